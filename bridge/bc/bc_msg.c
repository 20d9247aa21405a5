#include "bc/bc_msg.h"

#include <errno.h>
#include <string.h>

void bc_ctx_init(struct bc_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	bc_crypto_init(&ctx->crypto);
}

static int bin_find(const struct bc_ctx *ctx, uint32_t msg_id, uint16_t msg_num)
{
	for (int i = 0; i < BC_BIN_SLOTS; i++)
		if (ctx->bin[i].used && ctx->bin[i].msg_id == msg_id && ctx->bin[i].msg_num == msg_num)
			return i;
	return -1;
}

bool bc_ctx_is_binary(const struct bc_ctx *ctx, uint32_t msg_id, uint16_t msg_num)
{
	return bin_find(ctx, msg_id, msg_num) >= 0;
}

void bc_ctx_set_binary(struct bc_ctx *ctx, uint32_t msg_id, uint16_t msg_num, bool on)
{
	int i = bin_find(ctx, msg_id, msg_num);

	if (!on) {
		if (i >= 0)
			ctx->bin[i].used = false;
		return;
	}
	if (i >= 0)
		return;
	for (i = 0; i < BC_BIN_SLOTS && ctx->bin[i].used; i++)
		;
	if (i == BC_BIN_SLOTS) {
		/* All taken: a peer opening endless streams loses its oldest. */
		i = (int)(ctx->bin_next++ % BC_BIN_SLOTS);
	}
	ctx->bin[i].msg_id = msg_id;
	ctx->bin[i].msg_num = msg_num;
	ctx->bin[i].used = true;
}

void bc_msg_request(struct bc_msg *m, uint32_t msg_id, uint16_t msg_num, uint8_t channel_id)
{
	memset(m, 0, sizeof(*m));
	m->hdr.magic = BC_MAGIC;
	m->hdr.msg_id = msg_id;
	m->hdr.msg_num = msg_num;
	m->hdr.channel_id = channel_id;
	m->hdr.msg_class = BC_CLASS_MODERN;
}

void bc_msg_reply(struct bc_msg *m, const struct bc_header *req, uint16_t rc)
{
	memset(m, 0, sizeof(*m));
	m->hdr.magic = BC_MAGIC;
	m->hdr.msg_id = req->msg_id;
	m->hdr.msg_num = req->msg_num;
	m->hdr.channel_id = req->channel_id;
	m->hdr.stream_type = req->stream_type;
	m->hdr.response_code = rc;
	m->hdr.msg_class = BC_CLASS_REPLY;
}

void bc_msg_event(struct bc_msg *m, uint32_t msg_id, uint16_t msg_num, uint8_t channel_id)
{
	memset(m, 0, sizeof(*m));
	m->hdr.magic = BC_MAGIC;
	m->hdr.msg_id = msg_id;
	m->hdr.msg_num = msg_num;
	m->hdr.channel_id = channel_id;
	m->hdr.response_code = BC_RC_OK;
	m->hdr.msg_class = BC_CLASS_REPLY;
}

/* A unit that is not '<' but XOR-decrypts to "<?xml": XOR-ed although no mode says so (a
 * decoder started without negotiation, e.g. the dump tool). */
static bool looks_xored(const uint8_t *p, size_t len, uint8_t offset)
{
	uint8_t t[5];

	if (len < 5 || p[0] == '<')
		return false;
	bc_xor(offset, p, t, 5);
	return !memcmp(t, "<?xml", 5);
}

int bc_msg_decode(struct bc_ctx *ctx, uint8_t *buf, size_t len, size_t max_msg, struct bc_msg *m,
		  struct bc_err *err)
{
	struct bc_header *h = &m->hdr;
	uint8_t *ext, *pl;
	size_t hl, total;
	int r, cipher;

	memset(m, 0, sizeof(*m));
	r = bc_header_parse(buf, len, h, err);
	if (r == 0)
		return 0;
	if (r < 0 && (len < 4 || !bc_magic_ok(rd_le32(buf))))
		return r;                              /* bad magic */
	/* Header fields are valid here even if payload_offset is not. */
	hl = bc_header_len(h->msg_class);
	if (h->body_len > max_msg || hl + h->body_len > max_msg)
		return bc_fail(err, -EMSGSIZE, "bc: body_len %u > limit %zu (msg_id %u)",
			       h->body_len, max_msg - hl, h->msg_id);
	total = hl + h->body_len;
	if (len < total)
		return 0;
	m->wire_len = total;
	if (r < 0)
		return r;                              /* payload_offset > body_len */

	ext = buf + hl;
	m->ext_len = h->payload_offset;
	m->ext = m->ext_len ? ext : NULL;
	pl = ext + m->ext_len;
	m->payload_len = h->body_len - m->ext_len;
	m->payload = pl;

	cipher = bc_cipher_for(&ctx->crypto, h);
	if (cipher < 0)
		return bc_fail(err, cipher, "bc: encryption mode 0x%02x not supported (msg_id %u)",
			       ctx->crypto.mode, h->msg_id);
	if (cipher == BC_CIPHER_NONE && ctx->crypto.mode == BC_ENC_NONE &&
	    h->msg_class != BC_CLASS_LEGACY &&
	    !(h->msg_class == BC_CLASS_NONCE && BC_RC_IS_CHOICE(h->response_code)) &&
	    looks_xored(m->ext_len ? ext : pl, m->ext_len ? m->ext_len : m->payload_len, h->channel_id))
		cipher = BC_CIPHER_XOR;
	m->cipher = (enum bc_cipher)cipher;

	if (m->ext_len) {
		r = bc_cipher_apply(&ctx->crypto, m->cipher, h->channel_id, false, ext, m->ext_len);
		if (r < 0)
			return bc_fail(err, r, "bc: cannot decrypt extension of msg_id %u", h->msg_id);
		m->ext_err = bc_ext_parse(ext, m->ext_len, &m->ext_info);
		if (m->ext_err < 0)
			m->ext_info.has = 0;
		if (m->ext_info.has & BC_EXT_BINARY)
			bc_ctx_set_binary(ctx, h->msg_id, h->msg_num, m->ext_info.binary_data != 0);
	}

	if (h->msg_class == BC_CLASS_LEGACY) {
		m->payload_is_binary = true;           /* MD5 fields, never encrypted */
		return (int)total;
	}
	m->payload_is_binary = bc_ctx_is_binary(ctx, h->msg_id, h->msg_num);
	if (!m->payload_is_binary) {
		r = bc_cipher_apply(&ctx->crypto, m->cipher, h->channel_id, false, pl, m->payload_len);
		if (r < 0)
			return bc_fail(err, r, "bc: cannot decrypt payload of msg_id %u", h->msg_id);
		return (int)total;
	}
	/* Full AES: only this message's extension says how much of the binary is encrypted. */
	if (ctx->crypto.mode == BC_ENC_FULL_AES && m->cipher == BC_CIPHER_AES &&
	    (m->ext_info.has & BC_EXT_ENCLEN) && m->ext_info.encrypt_len) {
		size_t n = m->ext_info.encrypt_len < m->payload_len ? m->ext_info.encrypt_len
								    : m->payload_len;
		r = bc_cipher_apply(&ctx->crypto, BC_CIPHER_AES, h->channel_id, false, pl, n);
		if (r < 0)
			return bc_fail(err, r, "bc: cannot decrypt binary of msg_id %u", h->msg_id);
		m->encrypt_len = m->ext_info.encrypt_len;
		if ((m->ext_info.has & (BC_EXT_CHECKPOS | BC_EXT_CHECKVAL)) ==
		    (BC_EXT_CHECKPOS | BC_EXT_CHECKVAL)) {
			int32_t pos = m->ext_info.check_pos;
			m->check = pos >= 0 && (size_t)pos + 4 <= m->payload_len &&
				   rd_le32(pl + pos) == (uint32_t)m->ext_info.check_value ? 1 : -1;
		}
	}
	return (int)total;
}

int bc_msg_encode(const struct bc_msg *m, const struct bc_crypto *c, struct sbuf *out)
{
	struct bc_crypto none;
	struct bc_header h = m->hdr;
	uint8_t hb[BC_HDR_LEN_MAX];
	size_t hl, start = out->len, body;
	int cipher, r;

	if (!c) {
		bc_crypto_init(&none);
		c = &none;
	}
	hl = bc_header_len(h.msg_class);
	if (m->ext_len && hl != BC_HDR_LEN_LONG)
		return -EINVAL;
	if (m->ext_len > UINT32_MAX || m->payload_len > UINT32_MAX - m->ext_len)
		return -EINVAL;
	body = m->ext_len + m->payload_len;
	h.body_len = (uint32_t)body;
	h.payload_offset = hl == BC_HDR_LEN_LONG ? (uint32_t)m->ext_len : 0;
	cipher = m->cipher != BC_CIPHER_AUTO ? (int)m->cipher : bc_cipher_for(c, &h);
	if (cipher < 0)
		return cipher;
	if (cipher == BC_CIPHER_AES && !c->have_key)
		return -ENOKEY;

	r = sbuf_reserve(out, hl + body);
	if (r < 0)
		return r;
	bc_header_write(&h, hb);
	sbuf_add(out, hb, hl);
	if (m->ext_len) {
		sbuf_add(out, m->ext, m->ext_len);
		r = bc_cipher_apply(c, (enum bc_cipher)cipher, h.channel_id, true,
				    out->data + out->len - m->ext_len, m->ext_len);
		if (r < 0)
			goto fail;
	}
	if (m->payload_len) {
		uint8_t *p = out->data + out->len;
		size_t n = m->payload_len;

		sbuf_add(out, m->payload, m->payload_len);
		if (m->payload_is_binary) {
			/* Binary is plain, except full AES's encrypted prefix. */
			if (!(c->mode == BC_ENC_FULL_AES && cipher == BC_CIPHER_AES && m->encrypt_len))
				n = 0;
			else if (m->encrypt_len < n)
				n = m->encrypt_len;
		}
		if (n && h.msg_class != BC_CLASS_LEGACY) {
			r = bc_cipher_apply(c, (enum bc_cipher)cipher, h.channel_id, true, p, n);
			if (r < 0)
				goto fail;
		}
	}
	return (int)(out->len - start);
fail:
	out->len = start;
	return r;
}
