#include "bc/bc_reader.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

void bc_reader_init(struct bc_reader *r, size_t max_msg)
{
	memset(r, 0, sizeof(*r));
	bc_ctx_init(&r->ctx);
	r->max_msg = max_msg ? max_msg : BC_MAX_MSG_DEFAULT;
	r->next_f0 = r->next_a0 = SIZE_MAX;
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
	r->next_f0 = r->next_a0 = SIZE_MAX;
	bc_ctx_init(&r->ctx);
	r->ctx.crypto = c;
}

int bc_reader_feed(struct bc_reader *r, const void *data, size_t len)
{
	if (r->pending) {
		sbuf_consume(&r->buf, r->pending);
		r->pending = 0;
	}
	r->next_f0 = r->next_a0 = SIZE_MAX;   /* offsets moved, and new bytes may hold magic */
	if (len > r->buf.max - r->buf.len)
		return bc_fail(&r->err, -ENOBUFS, "bc: %zu bytes buffered + %zu > %zu",
			       r->buf.len, len, r->buf.max);
	return sbuf_add(&r->buf, data, len);
}

/* Offset of the next byte c at or after `from` (buf.len = none), remembered in *cache so that
 * a stream of failing candidates costs one pass over the buffer, not one pass each. */
static size_t next_byte(const struct bc_reader *r, size_t *cache, uint8_t c, size_t from)
{
	const uint8_t *p;

	if (*cache != SIZE_MAX && *cache >= from)
		return *cache;
	p = from < r->buf.len ? memchr(r->buf.data + from, c, r->buf.len - from) : NULL;
	*cache = p ? (size_t)(p - r->buf.data) : r->buf.len;
	return *cache;
}

/* Drops bytes up to the next possible magic (a magic prefix at the end is kept). */
static void resync(struct bc_reader *r)
{
	static const uint8_t m1[4] = { 0xf0, 0xde, 0xbc, 0x0a }, m2[4] = { 0xa0, 0xcb, 0xed, 0x0f };
	const uint8_t *p = r->buf.data;
	size_t n = r->buf.len, i = r->pending + 1;

	while (i < n) {
		size_t a = next_byte(r, &r->next_f0, m1[0], i);
		size_t b = next_byte(r, &r->next_a0, m2[0], i);
		size_t k;

		i = a < b ? a : b;
		if (i >= n)
			break;
		k = n - i < 4 ? n - i : 4;
		if (!memcmp(p + i, i == a ? m1 : m2, k))
			break;
		i++;
	}
	if (i > n)
		i = n;
	r->skipped += i - r->pending;
	r->pending = i;
}

/* Skips candidates that cannot be a message (bad magic, body_len over the limit) without
 * decoding them: a flood of repeated magic costs a scan, not a decode and an error text per
 * candidate.  Returns the error of the run skipped (its text set once), or 0. */
static int skip_garbage(struct bc_reader *r)
{
	uint64_t from = r->skipped;
	uint32_t body = 0;
	int bad = 0;

	while (r->pending < r->buf.len) {
		const uint8_t *p = r->buf.data + r->pending;
		size_t avail = r->buf.len - r->pending;

		if (avail >= 4 && !bc_magic_ok(rd_le32(p)))
			bad = bad ? bad : -EBADMSG;
		else if (avail >= 12 && rd_le32(p + 8) > r->max_msg)
			bad = -EMSGSIZE, body = rd_le32(p + 8);
		else
			break;
		resync(r);
	}
	if (bad == -EMSGSIZE)
		return bc_fail(&r->err, bad, "bc: %llu bytes skipped (body_len %u > limit %zu)",
			       (unsigned long long)(r->skipped - from), body, r->max_msg);
	if (bad)
		return bc_fail(&r->err, bad, "bc: %llu bytes skipped (no magic)",
			       (unsigned long long)(r->skipped - from));
	return 0;
}

int bc_reader_next(struct bc_reader *r, struct bc_msg *m)
{
	int n;

	if ((n = skip_garbage(r)) < 0) {
		memset(m, 0, sizeof(*m));   /* wire_len 0: no message was framed */
		return n;
	}
	if (r->pending >= r->buf.len)
		return 0;
	n = bc_msg_decode(&r->ctx, r->buf.data + r->pending, r->buf.len - r->pending, r->max_msg,
			  m, &r->err);
	if (n > 0) {
		r->pending += (size_t)n;
		return 1;
	}
	if (n == 0)
		return 0;
	if (m->wire_len) {
		r->skipped += m->wire_len;
		r->pending += m->wire_len;     /* framing intact: drop just this message */
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
