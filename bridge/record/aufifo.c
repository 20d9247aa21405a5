#include "record/aufifo.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <libavutil/buffer.h>

#include "util/clock.h"

int aufifo_init(struct aufifo *f, size_t max_bytes, unsigned max_aus)
{
	pthread_condattr_t ca;
	int r;

	memset(f, 0, sizeof(*f));
	if ((r = preroll_init(&f->q, 0, max_bytes, max_aus)) < 0)
		return r;
	f->q.queue = 1;
	f->q.need_key = 1;   /* a consumer starts at a keyframe */
	pthread_mutex_init(&f->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cond, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

void aufifo_fini(struct aufifo *f)
{
	if (!f->q.au)
		return;
	preroll_fini(&f->q);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
}

void aufifo_push(struct aufifo *f, const struct rec_au *au)
{
	uint64_t before;

	pthread_mutex_lock(&f->lock);
	if (!f->closed) {
		before = f->q.dropped;
		if (preroll_add(&f->q, au) == 0 && f->q.dropped == before)
			f->q.dropped++;   /* refused (waiting for a keyframe): dropped too */
		f->dropped = f->q.dropped;
		pthread_cond_signal(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);
}

void aufifo_tap(void *ctx, const struct rec_au *au)
{
	aufifo_push(ctx, au);
}

int aufifo_pop(struct aufifo *f, struct rec_au *out, int timeout_ms)
{
	struct timespec ts = clock_mono_deadline(timeout_ms > 0 ? (unsigned)timeout_ms : 0);
	int r = 0;

	pthread_mutex_lock(&f->lock);
	while (!f->q.count && !f->closed && r == 0)
		r = pthread_cond_timedwait(&f->cond, &f->lock, &ts);
	r = preroll_pop(&f->q, out);
	if (!r && f->closed)
		r = -EPIPE;
	pthread_mutex_unlock(&f->lock);
	return r;
}

void aufifo_close(struct aufifo *f)
{
	pthread_mutex_lock(&f->lock);
	f->closed = 1;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

void aufifo_reset(struct aufifo *f)
{
	pthread_mutex_lock(&f->lock);
	preroll_clear(&f->q);
	f->q.need_key = 1;
	f->closed = 0;
	pthread_mutex_unlock(&f->lock);
}

uint64_t aufifo_dropped(struct aufifo *f)
{
	uint64_t d;

	pthread_mutex_lock(&f->lock);
	d = f->dropped;
	pthread_mutex_unlock(&f->lock);
	return d;
}
