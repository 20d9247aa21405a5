/* The frame hub.  One mutex guards every reference count, the newest-frame pointer and the
 * sequence counter; frame pixels are written only while the writer holds the sole reference,
 * so readers never need the lock to read them (the lock hand-over orders the accesses). */
#include "hub/hub.h"
#include "util/clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* More frames than this is a configuration mistake, not a need. */
#define HUB_MAX_POOL 64

struct hub {
	pthread_mutex_t lock;
	pthread_cond_t cond;       /* signalled on publish and close; CLOCK_MONOTONIC */
	int width, height;
	size_t frame_size;
	unsigned n;
	struct frame *frames;
	uint8_t *mem;              /* one block for every frame's pixels */
	uint64_t blacked;          /* bit i: frame i was filled black (first use) */
	struct frame *latest;      /* holds one reference while published */
	uint64_t seq;
	int closed;
	int viewers;
};

struct hub *hub_new(int width, int height, unsigned pool_size)
{
	struct hub *h;
	pthread_condattr_t ca;

	if (width <= 0 || height <= 0 || width % 2 || height % 2 || width > HUB_MAX_DIM ||
	    height > HUB_MAX_DIM || pool_size < 3 || pool_size > HUB_MAX_POOL) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->width = width;
	h->height = height;
	h->frame_size = (size_t)width * (size_t)height * 3 / 2;
	h->n = pool_size;
	h->frames = calloc(pool_size, sizeof(*h->frames));
	h->mem = malloc(h->frame_size * pool_size);
	if (!h->frames || !h->mem) {
		free(h->frames);
		free(h->mem);
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	for (unsigned i = 0; i < pool_size; i++) {
		struct frame *f = &h->frames[i];

		f->width = width;
		f->height = height;
		f->size = h->frame_size;
		f->data = h->mem + h->frame_size * i;
		f->marker = -1;
		f->hub = h;
	}
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	/* Timed waits must not jump when the wall clock is set (NTP at boot). */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cond, &ca);
	pthread_condattr_destroy(&ca);
	return h;
}

void hub_free(struct hub *h)
{
	if (!h)
		return;
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h->mem);
	free(h->frames);
	free(h);
}

int hub_width(const struct hub *h) { return h->width; }
int hub_height(const struct hub *h) { return h->height; }

struct frame *hub_get_free(struct hub *h)
{
	struct frame *f = NULL;
	int first = 0;

	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < h->n; i++) {
		if (h->frames[i].refs == 0) {
			f = &h->frames[i];
			f->refs = 1;
			first = !(h->blacked & 1ull << i);
			h->blacked |= 1ull << i;
			break;
		}
	}
	pthread_mutex_unlock(&h->lock);
	if (first) {
		/* Black (limited range) on first use, not in hub_new: a frame never used then
		 * costs no resident memory (a 1080p pool of 8 is 25 MB; 3-5 are used). */
		uint8_t *p = h->mem + h->frame_size * (size_t)(f - h->frames);
		memset(p, 16, (size_t)h->width * h->height);
		memset(p + (size_t)h->width * h->height, 128,
		       h->frame_size - (size_t)h->width * h->height);
	}
	if (f) {
		/* Sole owner now: reset what a previous user may have changed. */
		f->width = h->width;
		f->height = h->height;
		f->size = h->frame_size;
		f->data = h->mem + h->frame_size * (size_t)(f - h->frames);
		f->seq = 0;
		f->mono_us = 0;
		f->marker = -1;
		f->placeholder = 0;
		f->full_range = 0;
	}
	return f;
}

void hub_publish(struct hub *h, struct frame *f)
{
	struct frame *old;

	if (!f || f->hub != h)
		return;
	pthread_mutex_lock(&h->lock);
	f->seq = ++h->seq;
	f->mono_us = clock_mono_us();
	old = h->latest;
	h->latest = f;         /* the caller's reference becomes the hub's */
	if (old)
		old->refs--;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

void hub_discard(struct frame *f)
{
	frame_unref(f);
}

/* Called with the lock held. */
static struct frame *take_latest(struct hub *h, uint64_t after_seq)
{
	struct frame *f = h->latest;

	if (!f || f->seq <= after_seq)
		return NULL;
	f->refs++;
	return f;
}

struct frame *hub_latest(struct hub *h, uint64_t after_seq)
{
	struct frame *f;

	pthread_mutex_lock(&h->lock);
	f = take_latest(h, after_seq);
	pthread_mutex_unlock(&h->lock);
	return f;
}

struct frame *hub_wait(struct hub *h, uint64_t after_seq, int timeout_ms)
{
	struct frame *f = NULL;
	struct timespec deadline;

	if (timeout_ms >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&h->lock);
	for (;;) {
		if (h->closed)
			break;
		f = take_latest(h, after_seq);
		if (f || timeout_ms == 0)
			break;
		if (timeout_ms < 0) {
			pthread_cond_wait(&h->cond, &h->lock);
		} else if (pthread_cond_timedwait(&h->cond, &h->lock, &deadline) == ETIMEDOUT) {
			if (!h->closed)
				f = take_latest(h, after_seq);
			break;
		}
	}
	pthread_mutex_unlock(&h->lock);
	return f;
}

void hub_close(struct hub *h)
{
	pthread_mutex_lock(&h->lock);
	h->closed = 1;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

int hub_closed(struct hub *h)
{
	int c;

	pthread_mutex_lock(&h->lock);
	c = h->closed;
	pthread_mutex_unlock(&h->lock);
	return c;
}

void frame_ref(struct frame *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->hub->lock);
	f->refs++;
	pthread_mutex_unlock(&f->hub->lock);
}

void frame_unref(struct frame *f)
{
	struct hub *h;

	if (!f)
		return;
	h = f->hub;
	pthread_mutex_lock(&h->lock);
	if (f->refs > 0)
		f->refs--;
	pthread_mutex_unlock(&h->lock);
}

unsigned hub_frames_in_use(struct hub *h)
{
	unsigned n = 0;

	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < h->n; i++)
		n += h->frames[i].refs > 0;
	pthread_mutex_unlock(&h->lock);
	return n;
}

int hub_viewer_add(struct hub *h)
{
	int n;

	pthread_mutex_lock(&h->lock);
	n = ++h->viewers;
	pthread_mutex_unlock(&h->lock);
	return n;
}

int hub_viewer_remove(struct hub *h)
{
	int n;

	pthread_mutex_lock(&h->lock);
	if (h->viewers > 0)
		h->viewers--;
	n = h->viewers;
	pthread_mutex_unlock(&h->lock);
	return n;
}

int hub_viewers(struct hub *h)
{
	int n;

	pthread_mutex_lock(&h->lock);
	n = h->viewers;
	pthread_mutex_unlock(&h->lock);
	return n;
}
