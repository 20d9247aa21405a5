#include "hub/camsnap.h"
#include "util/clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { IDLE, ASKED, TAKEN, DONE };

struct camsnap {
	pthread_mutex_t lock;
	pthread_cond_t cond;      /* CLOCK_MONOTONIC */
	int state;
	int cancelled;
	int err;
	uint8_t *jpeg;
	size_t len;
};

int camsnap_new(struct camsnap **out)
{
	struct camsnap *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = c;
	return 0;
}

void camsnap_free(struct camsnap *c)
{
	if (!c)
		return;
	free(c->jpeg);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int camsnap_get(struct camsnap *c, unsigned timeout_ms, uint8_t **jpeg, size_t *len)
{
	struct timespec ts = clock_mono_deadline(timeout_ms);
	int r = -ETIMEDOUT;

	*jpeg = NULL;
	*len = 0;
	pthread_mutex_lock(&c->lock);
	if (c->cancelled || c->state != IDLE) {
		r = c->cancelled ? -ECANCELED : -EBUSY;
		pthread_mutex_unlock(&c->lock);
		return r;
	}
	c->state = ASKED;
	while (c->state != DONE && !c->cancelled)
		if (pthread_cond_timedwait(&c->cond, &c->lock, &ts))
			break;
	if (c->state == DONE) {
		r = c->err;
		*jpeg = c->jpeg;
		*len = c->len;
		c->jpeg = NULL;
	} else if (c->cancelled) {
		r = -ECANCELED;
	}
	/* A late answer to a request given up finds IDLE (or a newer ASKED) and is dropped. */
	c->state = IDLE;
	pthread_mutex_unlock(&c->lock);
	return r;
}

void camsnap_cancel(struct camsnap *c)
{
	pthread_mutex_lock(&c->lock);
	c->cancelled = 1;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

void camsnap_resume(struct camsnap *c)
{
	pthread_mutex_lock(&c->lock);
	c->cancelled = 0;
	pthread_mutex_unlock(&c->lock);
}

int camsnap_take(struct camsnap *c)
{
	int r = 0;

	pthread_mutex_lock(&c->lock);
	if (c->state == ASKED) {
		c->state = TAKEN;
		r = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

void camsnap_deliver(struct camsnap *c, int err, const uint8_t *jpeg, size_t len)
{
	pthread_mutex_lock(&c->lock);
	if (c->state == TAKEN) {
		c->err = err;
		c->len = 0;
		if (!err && !(c->jpeg = malloc(len ? len : 1)))
			c->err = -ENOMEM;
		else if (!err) {
			memcpy(c->jpeg, jpeg, len);
			c->len = len;
		}
		c->state = DONE;
		pthread_cond_broadcast(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
}
