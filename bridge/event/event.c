#include "event/event.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

struct listener {
	ev_listener_fn fn;
	void *opaque;
};

struct ev_bus {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char camera[64];
	struct ev *ring;
	size_t cap;
	uint64_t last_id;             /* ring holds ids max(1, last_id - cap + 1) .. last_id */
	uint64_t count[EV_NTYPES];
	struct listener l[EV_MAX_LISTENERS];
};

static const char *const type_names[EV_NTYPES] = {
	[EV_MOTION] = "motion", [EV_PEOPLE] = "people", [EV_VEHICLE] = "vehicle",
	[EV_DOG_CAT] = "dog_cat", [EV_FACE] = "face", [EV_ONLINE] = "online",
	[EV_OFFLINE] = "offline", [EV_SLEEPING] = "sleeping", [EV_BATTERY] = "battery",
	[EV_CHARGING] = "charging", [EV_AUTH_FAILED] = "wrong_password",
	[EV_RECORDING] = "recording",
};

const char *ev_type_name(enum ev_type t)
{
	return (unsigned)t < EV_NTYPES ? type_names[t] : "?";
}

int ev_alarm_type(const char *name, size_t len)
{
	for (int t = EV_MOTION; t <= EV_FACE; t++)
		if (strlen(type_names[t]) == len && !memcmp(name, type_names[t], len))
			return t;
	return -EINVAL;
}

const char *ev_state_name(enum ev_state s)
{
	return s == EV_STATE_START ? "start" : s == EV_STATE_END ? "end" : "";
}

int ev_bus_new(struct ev_bus **out, const char *camera, size_t ring)
{
	struct ev_bus *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (!b)
		return -ENOMEM;
	b->cap = ring ? ring : EV_RING_DEFAULT;
	b->ring = calloc(b->cap, sizeof(*b->ring));
	if (!b->ring) {
		free(b);
		return -ENOMEM;
	}
	snprintf(b->camera, sizeof(b->camera), "%s", camera ? camera : "");
	pthread_mutex_init(&b->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = b;
	return 0;
}

void ev_bus_free(struct ev_bus *b)
{
	if (!b)
		return;
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b->ring);
	free(b);
}

const char *ev_bus_camera(const struct ev_bus *b)
{
	return b->camera;
}

int ev_bus_listen(struct ev_bus *b, ev_listener_fn fn, void *opaque)
{
	int r = -ENOSPC;

	pthread_mutex_lock(&b->lock);
	for (int i = 0; i < EV_MAX_LISTENERS; i++)
		if (!b->l[i].fn) {
			b->l[i] = (struct listener){ fn, opaque };
			r = 0;
			break;
		}
	pthread_mutex_unlock(&b->lock);
	return r;
}

void ev_bus_unlisten(struct ev_bus *b, ev_listener_fn fn, void *opaque)
{
	pthread_mutex_lock(&b->lock);
	for (int i = 0; i < EV_MAX_LISTENERS; i++)
		if (b->l[i].fn == fn && b->l[i].opaque == opaque)
			b->l[i] = (struct listener){ 0 };
	pthread_mutex_unlock(&b->lock);
}

uint64_t ev_publish(struct ev_bus *b, struct ev *e)
{
	if (!b)
		return 0;
	if (!e->time_us)
		e->time_us = (int64_t)clock_real_us();
	e->detail[sizeof(e->detail) - 1] = '\0';
	pthread_mutex_lock(&b->lock);
	e->id = ++b->last_id;
	b->ring[(e->id - 1) % b->cap] = *e;
	if ((unsigned)e->type < EV_NTYPES)
		b->count[e->type]++;
	for (int i = 0; i < EV_MAX_LISTENERS; i++)
		if (b->l[i].fn)
			b->l[i].fn(b->l[i].opaque, e);
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	return e->id;
}

uint64_t ev_post(struct ev_bus *b, enum ev_type t, enum ev_state s, int value)
{
	struct ev e = { .type = t, .state = s, .marker = -1, .value = value };

	return ev_publish(b, &e);
}

size_t ev_bus_since(struct ev_bus *b, uint64_t since, struct ev *out, size_t max,
		    uint64_t *dropped)
{
	uint64_t first, id;
	size_t n = 0;

	pthread_mutex_lock(&b->lock);
	first = b->last_id >= b->cap ? b->last_id - b->cap + 1 : 1;
	if (dropped)
		*dropped = since + 1 < first ? first - since - 1 : 0;
	for (id = since + 1 < first ? first : since + 1; id <= b->last_id && n < max; id++)
		out[n++] = b->ring[(id - 1) % b->cap];
	pthread_mutex_unlock(&b->lock);
	return n;
}

int ev_bus_wait(struct ev_bus *b, uint64_t since, int timeout_ms)
{
	struct timespec dl;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&b->lock);
	while (b->last_id <= since)
		if (pthread_cond_timedwait(&b->cond, &b->lock, &dl) == ETIMEDOUT)
			break;
	r = b->last_id > since;
	pthread_mutex_unlock(&b->lock);
	return r;
}

uint64_t ev_bus_last_id(struct ev_bus *b)
{
	uint64_t id;

	pthread_mutex_lock(&b->lock);
	id = b->last_id;
	pthread_mutex_unlock(&b->lock);
	return id;
}

uint64_t ev_bus_count(struct ev_bus *b, enum ev_type t)
{
	uint64_t n;

	if ((unsigned)t >= EV_NTYPES)
		return 0;
	pthread_mutex_lock(&b->lock);
	n = b->count[t];
	pthread_mutex_unlock(&b->lock);
	return n;
}

/* JSON string body: the detail is a path or a name, escape what JSON needs. */
static size_t json_str(char *o, size_t n, const char *s)
{
	size_t k = 0;

	for (; *s && k + 7 < n; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			o[k++] = '\\';
			o[k++] = (char)c;
		} else if (c < 0x20) {
			k += (size_t)snprintf(o + k, n - k, "\\u%04x", c);
		} else {
			o[k++] = (char)c;
		}
	}
	o[k] = '\0';
	return k;
}

int ev_json(const struct ev *e, const char *camera, char *buf, size_t n)
{
	char cam[2 * 64 * 3], det[EV_DETAIL_MAX * 6 + 8];
	int w;

	json_str(cam, sizeof(cam), camera ? camera : "");
	json_str(det, sizeof(det), e->detail);
	w = snprintf(buf, n,
		     "{\"id\":%llu,\"camera\":\"%s\",\"type\":\"%s\",\"state\":\"%s\","
		     "\"time\":%lld.%06lld,\"marker\":%lld,\"value\":%d,\"detail\":\"%s\"}",
		     (unsigned long long)e->id, cam, ev_type_name(e->type),
		     ev_state_name(e->state), (long long)(e->time_us / 1000000),
		     (long long)(e->time_us % 1000000), (long long)e->marker, e->value, det);
	return w < 0 || (size_t)w >= n ? -ENOSPC : w;
}
