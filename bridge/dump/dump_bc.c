#include "dump/dump_bc.h"

#include <errno.h>
#include <string.h>

#include "bc/bc_login.h"

#define NO_RUN UINT64_MAX

void dump_bcs_init(struct dump *d, struct dump_bcs *s)
{
	memset(s, 0, sizeof(*s));
	bc_reader_init(&s->rd, d->o.max_msg);
	s->garbage_from = NO_RUN;
}

void dump_bcs_free(struct dump_bcs *s)
{
	bc_reader_free(&s->rd);
	for (int i = 0; i < DUMP_MEDIA_SLOTS; i++)
		if (s->media[i].used)
			bcmedia_parser_free(&s->media[i].p);
}

size_t dump_bcs_mem(const struct dump_bcs *s)
{
	size_t n = s->rd.buf.cap;

	for (int i = 0; i < DUMP_MEDIA_SLOTS; i++)
		if (s->media[i].used)
			n += s->media[i].p.buf.cap;
	return n;
}

/* Sets one direction's encryption.  Without --password an AES mode gets no key: the dump
 * then shows such units as encrypted instead of decrypting them with a guessed password. */
static int set_crypto(struct dump *d, struct dump_bcs *s, unsigned mode, const char *nonce)
{
	bool aes = mode == BC_ENC_AES || mode == BC_ENC_FULL_AES;

	if (aes && !d->o.password) {
		bc_crypto_init(&s->rd.ctx.crypto);
		s->rd.ctx.crypto.mode = (enum bc_enc)mode;
		return 0;
	}
	if (mode == BC_ENC_AES3 || !bc_enc_supported(mode)) {
		/* Kept so bc_cipher_for reports it per message; the headers still print. */
		bc_crypto_init(&s->rd.ctx.crypto);
		s->rd.ctx.crypto.mode = (enum bc_enc)mode;
		return 0;
	}
	return bc_reader_set_crypto(&s->rd, mode, nonce, d->o.password);
}

void dump_bcs_crypto_from_opts(struct dump *d, struct dump_bcs *s)
{
	/* --nonce: the stream starts after the negotiation; full AES decodes a superset of AES. */
	if (d->o.nonce)
		set_crypto(d, s, BC_ENC_FULL_AES, d->o.nonce);
}

/* ---- output helpers ------------------------------------------------------------------- */

static bool looks_xml(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')
			continue;
		return p[i] == '<';
	}
	return false;
}

static bool media_magic_at(const uint8_t *p, size_t n)
{
	return n >= 4 && bcmedia_magic_ok(rd_le32(p));
}

static const char *memfind(const char *h, size_t hn, const char *n)
{
	size_t nn = strlen(n);

	return hn >= nn ? memmem(h, hn, n, nn) : NULL;
}

/* XML text as a JSON string, capped at DUMP_MAX_STR, with the text of <password> elements
 * replaced by "***" (logout and some user lists carry them in clear) unless --show-secrets. */
static void xml_out(struct dump *d, const char *key, const uint8_t *x, size_t n)
{
	struct jw *j = &d->jw;
	bool trunc = n > DUMP_MAX_STR;
	const char *p = (const char *)x, *end;

	if (trunc)
		n = DUMP_MAX_STR;
	end = p + n;
	if (d->o.show_secrets || !memfind(p, n, "<password")) {
		jw_strn(j, key, x, n);
	} else {
		struct sbuf *b = &d->scratch;
		sbuf_reset(b);
		while (p < end) {
			const char *o = memfind(p, (size_t)(end - p), "<password"), *gt, *c;
			if (!o || !(gt = memchr(o, '>', (size_t)(end - o))) || gt[-1] == '/' ||
			    !(c = memfind(gt, (size_t)(end - gt), "</password"))) {
				sbuf_add(b, p, (size_t)(end - p));
				break;
			}
			sbuf_add(b, p, (size_t)(gt + 1 - p));
			sbuf_add(b, "***", 3);
			p = c;
		}
		jw_strn(j, key, b->data, b->len);
	}
	if (trunc) {
		char k[64];
		snprintf(k, sizeof(k), "%s_truncated", key);
		jw_bool(j, k, true);
	}
}

/* An undecodable unit: its length and first bytes. */
static void opaque_out(struct jw *j, const char *key, const char *what, const uint8_t *p, size_t n)
{
	jw_obj(j, key);
	jw_u64(j, what, n);
	jw_hex(j, "head", p, n < 16 ? n : 16);
	jw_obj_end(j);
}

static const char *cipher_name(enum bc_cipher c)
{
	switch (c) {
	case BC_CIPHER_XOR: return "xor";
	case BC_CIPHER_AES: return "aes";
	default: return "none";
	}
}

/* ---- garbage runs (coalesced so a garbage file gives one error, not thousands) ---------- */

static void flush_garbage(struct dump *d, struct dump_bcs *s)
{
	if (s->garbage_from == NO_RUN)
		return;
	if (s->garbage_is_warning)
		dump_warning(d, s->garbage_from, &s->garbage_where,
			     "bc: resync after a gap: skipped %llu bytes to the next BC magic",
			     (unsigned long long)s->garbage_bytes);
	else
		dump_error(d, s->garbage_from, &s->garbage_where,
			   "%s; skipped %llu bytes to the next BC magic", s->garbage_msg,
			   (unsigned long long)s->garbage_bytes);
	s->garbage_from = NO_RUN;
}

static void note_garbage(struct dump *d, struct dump_bcs *s, uint64_t off, uint64_t n,
			 const struct dump_where *w)
{
	if (s->garbage_from != NO_RUN && s->garbage_from + s->garbage_bytes == off) {
		s->garbage_bytes += n;
		return;
	}
	flush_garbage(d, s);
	s->garbage_from = off;
	s->garbage_bytes = n;
	s->garbage_is_warning = s->after_gap;
	snprintf(s->garbage_msg, sizeof(s->garbage_msg), "%s", bc_reader_errmsg(&s->rd));
	if (w)
		s->garbage_where = *w;
	else
		memset(&s->garbage_where, 0, sizeof(s->garbage_where));
}

/* ---- BcMedia inside the BC stream ------------------------------------------------------ */

static void media_flush_err(struct dump *d, struct dump_media_slot *m);

static struct dump_media_slot *media_slot(struct dump *d, struct dump_bcs *s, uint32_t msg_id,
					  uint16_t msg_num)
{
	struct dump_media_slot *m, *lru = NULL;

	for (int i = 0; i < DUMP_MEDIA_SLOTS; i++) {
		m = &s->media[i];
		if (m->used && m->msg_id == msg_id && m->msg_num == msg_num)
			return m;
	}
	for (int i = 0; i < DUMP_MEDIA_SLOTS; i++) {
		m = &s->media[i];
		if (!m->used) {
			lru = m;
			break;
		}
		if (!lru || m->last_use < lru->last_use)
			lru = m;
	}
	if (lru->used) {
		media_flush_err(d, lru);
		bcmedia_parser_free(&lru->p);   /* a peer opening many streams loses the oldest */
	}
	memset(lru, 0, sizeof(*lru));
	lru->used = true;
	lru->msg_id = msg_id;
	lru->msg_num = msg_num;
	lru->err_from = NO_RUN;
	bcmedia_parser_init(&lru->p, d->o.max_frame);
	return lru;
}

static void media_flush_err(struct dump *d, struct dump_media_slot *m)
{
	if (m->err_from == NO_RUN)
		return;
	if (m->lenient)
		dump_warning(d, m->err_bc_off, &m->err_where,
			     "bcmedia (msg_num 0x%04x, media offset %llu): joined mid-stream, skipped %llu bytes to the first packet",
			     m->msg_num, (unsigned long long)m->err_from, (unsigned long long)m->err_bytes);
	else
		dump_error(d, m->err_bc_off, &m->err_where,
			   "bcmedia (msg_num 0x%04x, media offset %llu): %s; skipped %llu bytes",
			   m->msg_num, (unsigned long long)m->err_from, m->err_msg,
			   (unsigned long long)m->err_bytes);
	m->err_from = NO_RUN;
}

static void media_feed(struct dump *d, struct dump_bcs *s, const struct bc_msg *msg, uint64_t bc_off,
		       const struct dump_where *w)
{
	struct dump_media_slot *m = media_slot(d, s, msg->hdr.msg_id, msg->hdr.msg_num);
	struct bcmedia_pkt pkt;
	int r;

	m->last_use = ++s->clock;
	if (m->p.consumed == 0 && m->p.buf.len == 0 && !(msg->ext_info.has & BC_EXT_BINARY))
		m->lenient = true;          /* first payload seen is a continuation */
	if (bcmedia_parser_feed(&m->p, msg->payload, msg->payload_len) < 0) {
		dump_error(d, bc_off, w, "%s; media stream reset", m->p.err.msg);
		bcmedia_parser_reset(&m->p);
		return;
	}
	for (;;) {
		uint64_t at = m->p.consumed + m->p.pending, sk = m->p.skipped;

		r = bcmedia_parser_next(&m->p, &pkt);
		if (r == 0)
			break;
		if (r == 1) {
			media_flush_err(d, m);
			m->lenient = false;
			dump_media_item(d, &pkt, bc_off, w, &msg->hdr);
			continue;
		}
		if (m->err_from == NO_RUN) {
			m->err_from = at;
			m->err_bytes = 0;
			m->err_bc_off = bc_off;
			if (w)
				m->err_where = *w;
			else
				memset(&m->err_where, 0, sizeof(m->err_where));
			snprintf(m->err_msg, sizeof(m->err_msg), "%s", m->p.err.msg);
		}
		m->err_bytes += m->p.skipped - sk;
	}
}

static const char *media_kind(enum bcmedia_kind k)
{
	switch (k) {
	case BCMEDIA_INFO_V1: return "infov1";
	case BCMEDIA_INFO_V2: return "infov2";
	case BCMEDIA_IFRAME: return "iframe";
	case BCMEDIA_PFRAME: return "pframe";
	case BCMEDIA_AAC: return "aac";
	case BCMEDIA_ADPCM: return "adpcm";
	}
	return "unknown";
}

static void media_time(struct jw *j, const char *key, const struct bcmedia_time *t)
{
	jw_strf(j, key, "%04u-%02u-%02u %02u:%02u:%02u", 1900u + t->year, t->month, t->day, t->hour,
		t->minute, t->second);
}

void dump_media_item(struct dump *d, const struct bcmedia_pkt *p, uint64_t off,
		     const struct dump_where *w, const struct bc_header *bc)
{
	static const unsigned adts_rates[16] = { 96000, 88200, 64000, 48000, 44100, 32000, 24000,
						 22050, 16000, 12000, 11025, 8000, 7350, 0, 0, 0 };
	struct jw *j = &d->jw;

	dump_item_begin(d, "media", off, w);
	if (bc) {
		jw_u64(j, "msg_id", bc->msg_id);
		jw_u64(j, "msg_num", bc->msg_num);
		jw_u64(j, "stream_type", bc->stream_type);
		/* the packet's own offset inside the msg_num's BcMedia stream */
	}
	jw_str(j, "kind", media_kind(p->kind));
	switch (p->kind) {
	case BCMEDIA_INFO_V1:
	case BCMEDIA_INFO_V2:
		jw_u64(j, "width", p->info.width);
		jw_u64(j, "height", p->info.height);
		jw_u64(j, "fps", p->info.fps);
		jw_u64(j, "unknown", p->info.unknown);
		media_time(j, "start", &p->info.start);
		media_time(j, "end", &p->info.end);
		break;
	case BCMEDIA_IFRAME:
	case BCMEDIA_PFRAME:
		jw_str(j, "codec", p->frame.codec == BCMEDIA_H265 ? "H265" : "H264");
		jw_strf(j, "channel", "%c", p->frame.channel ? p->frame.channel : '0');
		jw_u64(j, "size", p->data_len);
		jw_u64(j, "microseconds", p->frame.microseconds);
		if (p->frame.has_time)
			jw_u64(j, "time", p->frame.posix_time);
		else
			jw_null(j, "time");
		jw_u64(j, "additional_header_size", p->frame.additional_len);
		if (p->frame.additional_len)
			jw_hex(j, "additional_header", p->frame.additional,
			       p->frame.additional_len < BCMEDIA_MAX_ADDITIONAL ?
				       p->frame.additional_len : BCMEDIA_MAX_ADDITIONAL);
		jw_u64(j, "unknown", p->frame.unknown);
		if (p->data_len >= 5)
			jw_hex(j, "head", p->data, 8 < p->data_len ? 8 : p->data_len);
		break;
	case BCMEDIA_AAC:
		jw_str(j, "codec", "AAC");
		jw_u64(j, "size", p->data_len);
		if (p->data_len >= 7 && p->data[0] == 0xff && (p->data[1] & 0xf0) == 0xf0) {
			unsigned rate = adts_rates[(p->data[2] >> 2) & 15];
			if (rate)
				jw_u64(j, "sample_rate", rate);
		}
		break;
	case BCMEDIA_ADPCM:
		jw_str(j, "codec", "ADPCM");
		jw_u64(j, "size", p->data_len);
		jw_strf(j, "sub_magic", "0x%04x", p->adpcm.sub_magic);
		jw_u64(j, "half_block", p->adpcm.half_block);
		break;
	}
	jw_u64(j, "wire_len", p->wire_len);
	dump_item_end(d);
}

/* ---- messages -------------------------------------------------------------------------- */

static void emit_msg(struct dump *d, struct dump_bcs *s, struct bc_msg *m, uint64_t off,
		     const struct dump_where *w, int err)
{
	const struct bc_header *h = &m->hdr;
	struct jw *j = &d->jw;
	/* The payload lives in the reader's buffer (ours): re-encrypting it in place is how a
	 * wrong guess is undone. */
	uint8_t *pl = (uint8_t *)m->payload;
	size_t n = m->payload_len;
	bool binary = m->payload_is_binary, guessed = false, encrypted = false;
	enum bc_cipher cipher = m->cipher;
	bool xml = false;
	char nonce[BC_NONCE_MAX] = "";

	if (err < 0 && !m->ext_len && !n)
		err = 0;                    /* header only: nothing needed decrypting */
	if (err < 0) {
		/* Not decrypted (no key / unsupported mode): the payload is still raw. */
		if (media_magic_at(pl, n))
			binary = guessed = true;
		else
			encrypted = n > 0;
	} else if (!binary && n) {
		if (looks_xml(pl, n)) {
			xml = true;
		} else if (cipher != BC_CIPHER_NONE &&
			   bc_cipher_apply(&s->rd.ctx.crypto, cipher, h->channel_id, true, pl, n) == 0) {
			/* Not XML once decrypted: maybe it was never encrypted (a binary continuation
			 * whose start we missed, or a plaintext unit). */
			if (media_magic_at(pl, n)) {
				binary = guessed = true;
			} else if (looks_xml(pl, n)) {
				xml = true;
				cipher = BC_CIPHER_NONE;
			} else {
				bc_cipher_apply(&s->rd.ctx.crypto, cipher, h->channel_id, false, pl, n);
			}
		} else if (media_magic_at(pl, n)) {
			binary = guessed = true;
		}
	}
	if (guessed && (h->msg_id == BC_MSG_VIDEO || h->msg_id == BC_MSG_TALK))
		bc_ctx_set_binary(&s->rd.ctx, h->msg_id, h->msg_num, true);

	dump_item_begin(d, "bc", off, w);
	if (h->magic != BC_MAGIC)
		jw_strf(j, "magic", "0x%08x", h->magic);
	jw_u64(j, "msg_id", h->msg_id);
	jw_str(j, "msg_name", dump_msg_name(h->msg_id));
	jw_u64(j, "msg_num", h->msg_num);
	jw_u64(j, "body_len", h->body_len);
	jw_u64(j, "channel", h->channel_id);
	jw_u64(j, "stream_type", h->stream_type);
	jw_u64(j, "response_code", h->response_code);
	jw_strf(j, "response_code_hex", "0x%04x", h->response_code);
	jw_strf(j, "class", "0x%04x", h->msg_class);
	jw_u64(j, "header_len", bc_header_len(h->msg_class));
	if (bc_class_has_offset(h->msg_class))
		jw_u64(j, "payload_offset", h->payload_offset);
	else
		jw_null(j, "payload_offset");
	jw_str(j, "encryption", err < 0 ? (s->rd.ctx.crypto.mode == BC_ENC_NONE ? "unknown" : "aes")
				       : cipher_name(cipher));
	if (err < 0)
		jw_str(j, "decrypt_error", err == -ENOKEY ? "no key (give --password)"
					   : err == -ENOTSUP ? "encryption mode not supported"
							     : "decryption failed");

	/* extension */
	if (!m->ext_len) {
		jw_null(j, "extension");
	} else if (err < 0) {
		opaque_out(j, "extension", "encrypted", m->ext, m->ext_len);
	} else if (looks_xml(m->ext, m->ext_len)) {
		xml_out(d, "extension", m->ext, m->ext_len);
		if (m->ext_info.has & BC_EXT_BINARY)
			jw_u64(j, "binary_data", m->ext_info.binary_data);
		if (m->ext_info.has & BC_EXT_ENCLEN)
			jw_u64(j, "encrypt_len", m->ext_info.encrypt_len);
		if (m->check)
			jw_bool(j, "check_ok", m->check > 0);
	} else {
		opaque_out(j, "extension", "undecoded", m->ext, m->ext_len);
	}

	/* payload */
	if (!n) {
		jw_null(j, "payload");
	} else if (binary) {
		jw_obj(j, "payload");
		jw_u64(j, "binary", n);
		if (guessed)
			jw_bool(j, "guessed", true);
		jw_hex(j, "head", pl, n < 8 ? n : 8);
		jw_obj_end(j);
	} else if (encrypted) {
		opaque_out(j, "payload", "encrypted", pl, n);
	} else if (xml) {
		xml_out(d, "payload", pl, n);
	} else {
		opaque_out(j, "payload", "undecoded", pl, n);
	}
	bool undecoded = n && !binary && !encrypted && !xml;

	/* login specifics */
	if (h->msg_class == BC_CLASS_LEGACY && BC_RC_IS_OFFER(h->response_code))
		jw_str(j, "encryption_offer", bc_enc_name(h->response_code & 0xff));
	if (h->msg_class == BC_CLASS_LEGACY && n == BC_LEGACY_LOGIN_LEN) {
		struct bc_legacy_login ll;
		if (bc_legacy_login_parse(pl, n, &ll) == 0) {
			jw_str(j, "user_md5", ll.user_md5);
			jw_bool(j, "password_empty", ll.pass_md5[0] == 0);
		}
	}
	if (h->msg_class == BC_CLASS_NONCE && BC_RC_IS_CHOICE(h->response_code)) {
		unsigned mode = h->response_code & 0xff;
		jw_str(j, "encryption_choice", bc_enc_name(mode));
		if (xml && bc_nonce_parse(pl, n, nonce) == 0)
			jw_str(j, "nonce", nonce);
	}
	dump_item_end(d);
	if (undecoded)
		dump_warning(d, off, w, "bc: msg_id %u payload is not XML after %s decryption (%s)",
			     h->msg_id, cipher_name(cipher),
			     cipher == BC_CIPHER_AES ? "wrong --password or --nonce?"
						     : "AES without a nonce reply? give --nonce and --password");

	if (h->msg_class == BC_CLASS_NONCE && BC_RC_IS_CHOICE(h->response_code)) {
		unsigned mode = h->response_code & 0xff;
		int r = 0;

		if ((mode == BC_ENC_AES || mode == BC_ENC_FULL_AES) && !nonce[0])
			r = -EINVAL;
		else if ((r = set_crypto(d, s, mode, nonce)) == 0 && s->peer)
			r = set_crypto(d, s->peer, mode, nonce);
		if (r < 0)
			dump_error(d, off, w, "bc: cannot follow the negotiated encryption 0x%02x (%s)",
				   mode, nonce[0] ? "key derivation failed" : "no nonce in the reply");
		else if ((mode == BC_ENC_AES || mode == BC_ENC_FULL_AES) && !d->o.password)
			dump_warning(d, off, w, "bc: AES negotiated: give --password to decrypt");
	}

	if (binary && !d->o.quiet_media && n &&
	    (h->msg_id == BC_MSG_VIDEO || h->msg_id == BC_MSG_TALK)) {
		m->payload = pl;
		media_feed(d, s, m, off, w);
	}
}

static void drain(struct dump *d, struct dump_bcs *s, const struct dump_where *w)
{
	struct bc_msg m;

	for (;;) {
		uint64_t off = s->fed - (s->rd.buf.len - s->rd.pending);
		uint64_t skip0 = s->rd.skipped;
		int r = bc_reader_next(&s->rd, &m);

		if (r == 0)
			return;
		if (r == 1) {
			flush_garbage(d, s);
			s->after_gap = false;
			emit_msg(d, s, &m, off, w, 0);
		} else if (m.wire_len && (r == -ENOKEY || r == -ENOTSUP || r == -EIO)) {
			flush_garbage(d, s);
			s->after_gap = false;
			emit_msg(d, s, &m, off, w, r);
		} else if (m.wire_len) {
			flush_garbage(d, s);
			dump_error(d, off, w, "%s; message skipped", bc_reader_errmsg(&s->rd));
		} else {
			note_garbage(d, s, off, s->rd.skipped - skip0, w);
		}
	}
}

void dump_bcs_feed(struct dump *d, struct dump_bcs *s, const uint8_t *data, size_t len,
		   const struct dump_where *w)
{
	while (len) {
		/* After a drain at most one partial message (≤ max_msg) is buffered, so there is
		 * always room for a chunk. */
		size_t held = s->rd.buf.len - s->rd.pending;
		size_t room = s->rd.buf.max > held ? s->rd.buf.max - held : 0;
		size_t n = len < DUMP_READ_CHUNK ? len : DUMP_READ_CHUNK;
		int r;

		if (n > room)
			n = room;
		r = n ? bc_reader_feed(&s->rd, data, n) : -ENOBUFS;
		if (r < 0) {
			dump_error(d, s->fed, w, "bc: cannot buffer input (%s); stream reset",
				   strerror(-r));
			bc_reader_reset(&s->rd);
			s->rd.buf.err = 0;
			if (!n)
				n = len < DUMP_READ_CHUNK ? len : DUMP_READ_CHUNK;
		}
		s->fed += n;
		data += n;
		len -= n;
		if (r == 0)
			drain(d, s, w);
	}
}

void dump_bcs_gap(struct dump *d, struct dump_bcs *s, uint64_t missing, uint64_t missing_pkts,
		  const struct dump_where *w)
{
	size_t held = s->rd.buf.len - s->rd.pending;
	struct jw *j = &d->jw;

	flush_garbage(d, s);
	dump_item_begin(d, "gap", s->fed, w);
	if (missing_pkts)
		jw_u64(j, "missing_packets", missing_pkts);
	else
		jw_u64(j, "missing", missing);
	jw_u64(j, "dropped", held);   /* buffered bytes of the message the gap cut */
	dump_item_end(d);
	/* Drop the cut message but keep the crypto and sticky binary state. */
	sbuf_reset(&s->rd.buf);
	s->rd.pending = 0;
	s->fed += missing;
	s->after_gap = true;
	for (int i = 0; i < DUMP_MEDIA_SLOTS; i++) {
		if (s->media[i].used) {
			media_flush_err(d, &s->media[i]);
			bcmedia_parser_reset(&s->media[i].p);
			s->media[i].lenient = true;
		}
	}
}

void dump_bcs_finish(struct dump *d, struct dump_bcs *s, const struct dump_where *w)
{
	size_t held = s->rd.buf.len - s->rd.pending;

	flush_garbage(d, s);
	if (held) {
		uint64_t off = s->fed - held;
		const uint8_t *p = s->rd.buf.data + s->rd.pending;
		char what[96] = "";

		if (held >= BC_HDR_LEN_SHORT && bc_magic_ok(rd_le32(p))) {
			size_t hl = bc_header_len(rd_le16(p + 18));
			snprintf(what, sizeof(what), " (msg_id %u needs %llu bytes)", rd_le32(p + 4),
				 (unsigned long long)hl + rd_le32(p + 8));
		}
		if (s->lenient_tail)
			dump_warning(d, off, w, "bc: stream ends inside a message: %zu bytes%s", held, what);
		else
			dump_error(d, off, w, "bc: truncated message: %zu bytes at the end%s", held, what);
	}
	for (int i = 0; i < DUMP_MEDIA_SLOTS; i++) {
		struct dump_media_slot *m = &s->media[i];
		size_t mh = m->used ? m->p.buf.len - m->p.pending : 0;
		if (m->used)
			media_flush_err(d, m);
		if (mh)
			dump_warning(d, s->fed, w,
				     "bcmedia (msg_num 0x%04x): stream ends inside a packet: %zu bytes",
				     m->msg_num, mh);
	}
}
