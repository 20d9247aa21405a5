#include "record/preroll.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/buffer.h>

int preroll_init(struct preroll *p, uint64_t span_us, size_t max_bytes, unsigned max_aus)
{
	memset(p, 0, sizeof(*p));
	if (max_aus < 2 || max_bytes == 0)
		return -EINVAL;
	p->au = calloc(max_aus, sizeof(*p->au));
	if (!p->au)
		return -ENOMEM;
	p->cap = max_aus;
	p->max_bytes = max_bytes;
	p->span_us = span_us;
	return 0;
}

void preroll_fini(struct preroll *p)
{
	if (p->au)
		preroll_clear(p);
	free(p->au);
	memset(p, 0, sizeof(*p));
}

static struct rec_au *slot(const struct preroll *p, unsigned i)
{
	return &p->au[(p->first + i) % p->cap];
}

const struct rec_au *preroll_at(const struct preroll *p, unsigned i)
{
	return i < p->count ? slot(p, i) : NULL;
}

static void drop_first(struct preroll *p)
{
	struct rec_au *a = slot(p, 0);

	p->bytes -= a->len;
	av_buffer_unref(&a->buf);
	p->first = (p->first + 1) % p->cap;
	p->count--;
}

void preroll_clear(struct preroll *p)
{
	while (p->count)
		drop_first(p);
	p->first = 0;
}

/* Index of the first keyframe after the oldest AU, or 0 when there is none. */
static unsigned next_keyframe(const struct preroll *p)
{
	for (unsigned i = 1; i < p->count; i++)
		if (slot(p, i)->keyframe)
			return i;
	return 0;
}

int preroll_pop(struct preroll *p, struct rec_au *out)
{
	struct rec_au *a;

	if (!p->count)
		return 0;
	a = slot(p, 0);
	*out = *a;
	a->buf = NULL;
	p->bytes -= a->len;
	p->first = (p->first + 1) % p->cap;
	p->count--;
	return 1;
}

uint64_t preroll_span(const struct preroll *p)
{
	if (p->count < 2)
		return 0;
	return slot(p, p->count - 1)->t_us - slot(p, 0)->t_us;
}

/* Drops the oldest GOP (all of it when it is the only one). */
static void drop_gop(struct preroll *p)
{
	unsigned k = next_keyframe(p);

	if (!k)
		k = p->count;
	p->dropped += k;
	while (k--)
		drop_first(p);
}

int preroll_add(struct preroll *p, const struct rec_au *au)
{
	struct rec_au *a;
	unsigned k;
	int gap = au->gap;

	if (p->queue) {
		/* A queue keeps what it holds; after a loss it waits for a keyframe. */
		if (au->gap)
			p->need_key = 1;
		if (p->need_key && !au->keyframe)
			return 0;
		p->need_key = 0;
	} else {
		/* What follows no longer decodes from the kept keyframe (the ring begins with
		 * one; audio, kept beside the video, never empties it). */
		if (au_is_video(au->codec) && (au->gap || (p->count && slot(p, 0)->codec != au->codec)))
			preroll_clear(p);
		if (!p->count && !au->keyframe)
			return 0;
	}
	if (au->len > p->max_bytes) {
		preroll_clear(p);
		p->dropped++;
		p->need_key = p->queue;
		return 0;
	}
	while (p->count && (p->count == p->cap || p->bytes + au->len > p->max_bytes)) {
		drop_gop(p);
		if (p->count)
			slot(p, 0)->gap = 1;   /* the reader sees the jump */
		else
			gap = 1;
	}
	if (gap && !p->count && !au->keyframe) {
		p->need_key = p->queue;
		return 0;
	}
	a = slot(p, p->count);
	*a = *au;
	a->gap = gap;
	a->buf = av_buffer_ref(au->buf);
	if (!a->buf)
		return -ENOMEM;
	p->count++;
	p->bytes += au->len;
	/* Keep the newest keyframe that is at least span_us old, and everything after it. */
	while (!p->queue && (k = next_keyframe(p)) && au->t_us - slot(p, k)->t_us >= p->span_us)
		while (k--)
			drop_first(p);
	return 1;
}
