/* Incremental BcMedia parser (declared in bcmedia.h). */
#include "bc/bcmedia.h"

#include <errno.h>
#include <string.h>

void bcmedia_parser_init(struct bcmedia_parser *p, size_t max_frame)
{
	memset(p, 0, sizeof(*p));
	p->max_frame = max_frame ? max_frame : BCMEDIA_MAX_FRAME_DEFAULT;
	sbuf_init(&p->buf, 2 * p->max_frame + 65536);
}

void bcmedia_parser_free(struct bcmedia_parser *p)
{
	sbuf_free(&p->buf);
}

static void consume(struct bcmedia_parser *p, size_t n)
{
	sbuf_consume(&p->buf, n);
	p->consumed += n;
}

void bcmedia_parser_reset(struct bcmedia_parser *p)
{
	consume(p, p->buf.len);
	p->pending = 0;
}

static void drop_pending(struct bcmedia_parser *p)
{
	if (p->pending) {
		consume(p, p->pending);
		p->pending = 0;
	}
}

int bcmedia_parser_feed(struct bcmedia_parser *p, const void *data, size_t len)
{
	drop_pending(p);
	if (len > p->buf.max - p->buf.len)
		return bc_fail(&p->err, -ENOBUFS, "bcmedia: %zu bytes buffered + %zu > %zu",
			       p->buf.len, len, p->buf.max);
	return sbuf_add(&p->buf, data, len);
}

/* Could a magic start at p (n bytes available; a partial one at the end counts)? */
static bool magic_prefix(const uint8_t *s, size_t n)
{
	uint8_t t[4];

	if (n >= 4)
		return bcmedia_magic_ok(rd_le32(s));
	/* Complete the prefix with each candidate's tail. */
	static const char *const cands[] = { "1001", "1002", "0dc", "1dc", "05wb", "01wb" };
	for (unsigned i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		const char *c = cands[i];
		size_t cl = strlen(c);
		if (cl == 3) {   /* frame: digit + "0dc"/"1dc" */
			if (!(s[0] >= '0' && s[0] <= '9'))
				continue;
			t[0] = s[0];
			memcpy(t + 1, c, 3);
		} else {
			memcpy(t, c, 4);
		}
		if (!memcmp(s, t, n))
			return true;
	}
	return false;
}

static void resync(struct bcmedia_parser *p)
{
	const uint8_t *s = p->buf.data;
	size_t n = p->buf.len, i;

	for (i = 1; i < n; i++)
		if (magic_prefix(s + i, n - i))
			break;
	p->skipped += i;
	consume(p, i);
}

int bcmedia_parser_next(struct bcmedia_parser *p, struct bcmedia_pkt *pkt)
{
	int r;

	drop_pending(p);
	if (p->buf.len == 0)
		return 0;
	r = bcmedia_parse(p->buf.data, p->buf.len, p->max_frame, pkt, &p->err);
	if (r > 0) {
		p->pkt_offset = p->consumed;
		p->pending = (size_t)r;
		return 1;
	}
	if (r < 0)
		resync(p);
	return r;
}
