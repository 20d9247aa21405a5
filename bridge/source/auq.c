#include "source/auq.h"
#include "media/aubuf.h"
#include "util/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/buffer.h>

int auq_init(struct auq *q, size_t ring_bytes, unsigned max_aus)
{
	pthread_condattr_t ca;

	memset(q, 0, sizeof(*q));
	if (ring_bytes < 1024 || max_aus < 2)
		return -EINVAL;
	q->ring = malloc(ring_bytes);
	q->slots = calloc(max_aus, sizeof(*q->slots));
	if (!q->ring || !q->slots) {
		auq_destroy(q);
		return -ENOMEM;
	}
	q->ring_size = ring_bytes;
	q->nslots = max_aus;
	pthread_mutex_init(&q->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cond, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

void auq_destroy(struct auq *q)
{
	if (q->ring) {
		pthread_mutex_destroy(&q->lock);
		pthread_cond_destroy(&q->cond);
	}
	free(q->ring);
	free(q->slots);
	av_buffer_unref(&q->out);
	memset(q, 0, sizeof(*q));
}

static size_t used_bytes(const struct auq *q)
{
	if (!q->count)
		return 0;
	return (q->head + q->ring_size - q->slots[q->first].off) % q->ring_size
		+ (q->head == q->slots[q->first].off ? q->ring_size : 0);
}

static void drop_first(struct auq *q)
{
	q->first = (q->first + 1) % q->nslots;
	q->count--;
	q->dropped++;
	if (!q->count)
		q->head = q->tail = 0;
}

/* Make room by dropping queued AUs up to the next keyframe; if none is queued, drop all. */
static void drop_to_keyframe(struct auq *q)
{
	unsigned i, k = q->count;

	for (i = 1; i < q->count; i++) {
		if (q->slots[(q->first + i) % q->nslots].keyframe) {
			k = i;
			break;
		}
	}
	while (k--)
		drop_first(q);
	if (q->count)
		q->slots[q->first].gap = 1;
	else
		q->gap_pending = 1;
}

int auq_push(struct auq *q, const struct au *au)
{
	struct au_slot *s;
	size_t first_part;

	if (au->len == 0)
		return -EINVAL;
	pthread_mutex_lock(&q->lock);
	if (au->len > q->ring_size) {
		q->dropped++;
		q->gap_pending = 1;
		pthread_mutex_unlock(&q->lock);
		return -E2BIG;
	}
	while (q->count && (q->count == q->nslots || q->ring_size - used_bytes(q) < au->len))
		drop_to_keyframe(q);
	s = &q->slots[(q->first + q->count) % q->nslots];
	s->off = q->head;
	s->len = au->len;
	s->codec = au->codec;
	s->keyframe = au->keyframe;
	s->recv_us = au->recv_us;
	/* A loss matters to the decoder: audio never carries (or clears) the mark. */
	s->gap = au_is_video(au->codec) && (au->gap || q->gap_pending);
	if (au_is_video(au->codec))
		q->gap_pending = 0;
	first_part = q->ring_size - q->head;
	if (first_part >= au->len) {
		memcpy(q->ring + q->head, au->data, au->len);
	} else {
		memcpy(q->ring + q->head, au->data, first_part);
		memcpy(q->ring, au->data + first_part, au->len - first_part);
	}
	q->head = (q->head + au->len) % q->ring_size;
	q->count++;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

void auq_mark_gap(struct auq *q)
{
	pthread_mutex_lock(&q->lock);
	q->gap_pending = 1;
	pthread_mutex_unlock(&q->lock);
}

int auq_pop(struct auq *q, struct au *out, int timeout_ms)
{
	struct timespec ts = clock_mono_deadline(timeout_ms > 0 ? (unsigned)timeout_ms : 0);
	struct au_slot *s;
	size_t first_part;
	int r = 0;

	pthread_mutex_lock(&q->lock);
	while (!q->count && !q->closed && r == 0)
		r = pthread_cond_timedwait(&q->cond, &q->lock, &ts);
	if (!q->count) {
		r = q->closed ? -EPIPE : 0;
		pthread_mutex_unlock(&q->lock);
		return r;
	}
	s = &q->slots[q->first];
	first_part = q->ring_size - s->off;
	if (first_part >= s->len)
		r = aubuf_fill(&q->out, q->ring + s->off, s->len, NULL, 0);
	else
		r = aubuf_fill(&q->out, q->ring + s->off, first_part, q->ring, s->len - first_part);
	q->first = (q->first + 1) % q->nslots;
	q->count--;
	if (!q->count)
		q->head = q->tail = 0;
	if (r < 0) {
		q->dropped++;
		q->gap_pending = 1;
		pthread_mutex_unlock(&q->lock);
		return r;
	}
	out->data = q->out->data;
	out->buf = q->out;
	out->len = s->len;
	out->codec = s->codec;
	out->keyframe = s->keyframe;
	out->gap = s->gap;
	out->recv_us = s->recv_us;
	pthread_mutex_unlock(&q->lock);
	return 1;
}

void auq_flush(struct auq *q)
{
	pthread_mutex_lock(&q->lock);
	q->first = q->count = 0;
	q->head = q->tail = 0;
	q->gap_pending = 1;
	pthread_mutex_unlock(&q->lock);
}

void auq_close(struct auq *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

uint64_t auq_dropped(struct auq *q)
{
	uint64_t d;

	pthread_mutex_lock(&q->lock);
	d = q->dropped;
	pthread_mutex_unlock(&q->lock);
	return d;
}
