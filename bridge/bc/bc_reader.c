#include "bc/bc_reader.h"

#include <errno.h>
#include <string.h>

void bc_reader_init(struct bc_reader *r, size_t max_msg)
{
	memset(r, 0, sizeof(*r));
	bc_ctx_init(&r->ctx);
	r->max_msg = max_msg ? max_msg : BC_MAX_MSG_DEFAULT;
	sbuf_init(&r->buf, 2 * r->max_msg);
}

void bc_reader_free(struct bc_reader *r)
{
	sbuf_free(&r->buf);
}

void bc_reader_reset(struct bc_reader *r)
{
	struct bc_crypto c = r->ctx.crypto;

	sbuf_reset(&r->buf);
	r->pending = 0;
	bc_ctx_init(&r->ctx);
	r->ctx.crypto = c;
}

static void drop_pending(struct bc_reader *r)
{
	if (r->pending) {
		sbuf_consume(&r->buf, r->pending);
		r->pending = 0;
	}
}

int bc_reader_feed(struct bc_reader *r, const void *data, size_t len)
{
	drop_pending(r);
	if (len > r->buf.max - r->buf.len)
		return bc_fail(&r->err, -ENOBUFS, "bc: %zu bytes buffered + %zu > %zu",
			       r->buf.len, len, r->buf.max);
	return sbuf_add(&r->buf, data, len);
}

/* Drops bytes up to the next possible magic (a magic prefix at the end is kept). */
static void resync(struct bc_reader *r)
{
	static const uint8_t m1[4] = { 0xf0, 0xde, 0xbc, 0x0a }, m2[4] = { 0xa0, 0xcb, 0xed, 0x0f };
	const uint8_t *p = r->buf.data;
	size_t n = r->buf.len, i;

	for (i = 1; i < n; i++) {
		size_t k = n - i < 4 ? n - i : 4;
		if (!memcmp(p + i, m1, k) || !memcmp(p + i, m2, k))
			break;
	}
	r->skipped += i < n ? i : n;
	sbuf_consume(&r->buf, i < n ? i : n);
}

int bc_reader_next(struct bc_reader *r, struct bc_msg *m)
{
	int n;

	drop_pending(r);
	if (r->buf.len == 0)
		return 0;
	n = bc_msg_decode(&r->ctx, r->buf.data, r->buf.len, r->max_msg, m, &r->err);
	if (n > 0) {
		r->pending = (size_t)n;
		return 1;
	}
	if (n == 0)
		return 0;
	if (m->wire_len) {
		r->skipped += m->wire_len;
		r->pending = m->wire_len;     /* framing intact: drop just this message */
	} else {
		resync(r);
	}
	return n;
}

const char *bc_reader_errmsg(const struct bc_reader *r)
{
	return r->err.msg;
}

int bc_reader_set_crypto(struct bc_reader *r, unsigned mode, const char *nonce, const char *password)
{
	return bc_crypto_set(&r->ctx.crypto, mode, nonce, password);
}

void bc_reader_binary_end(struct bc_reader *r, uint32_t msg_id, uint16_t msg_num)
{
	bc_ctx_set_binary(&r->ctx, msg_id, msg_num, false);
}
