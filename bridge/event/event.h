/* Events: what happened to the camera (alarms it pushes, its own state changes, recordings),
 * kept in a bounded ring with ids so late readers can replay, and handed to listeners (hook
 * runner, MQTT, recorder, metrics) on the publishing thread. */
#ifndef CB_EVENT_EVENT_H
#define CB_EVENT_EVENT_H

#include <stddef.h>
#include <stdint.h>

enum ev_type {
	/* camera alarms (msg 33): start and end */
	EV_MOTION, EV_PEOPLE, EV_VEHICLE, EV_DOG_CAT, EV_FACE,
	/* the bridge's view of the camera */
	EV_ONLINE, EV_OFFLINE, EV_SLEEPING, EV_BATTERY, EV_CHARGING, EV_AUTH_FAILED,
	/* a clip being written: start (detail = path) and end */
	EV_RECORDING,
	EV_NTYPES
};

enum ev_state { EV_STATE_NONE, EV_STATE_START, EV_STATE_END };

#define EV_DETAIL_MAX 160
#define EV_RING_DEFAULT 256
#define EV_MAX_LISTENERS 8

struct ev {
	uint64_t id;             /* 1, 2, … per process; set by ev_publish */
	enum ev_type type;
	enum ev_state state;
	int64_t time_us;         /* wall clock (CLOCK_REALTIME); ev_publish sets it when 0 */
	int64_t marker;          /* frame marker / stream time where it applies, else -1 */
	int value;               /* EV_BATTERY: percent; EV_CHARGING: 1/0; else 0 */
	char detail[EV_DETAIL_MAX]; /* EV_RECORDING: the clip's path; else "" */
};

struct ev_bus;

/* Listeners run on the publishing thread with the bus locked: they queue and return, never
 * block, never publish. */
typedef void (*ev_listener_fn)(void *opaque, const struct ev *e);

/* ring: events kept for ev_bus_since (0 = EV_RING_DEFAULT).  0 or -ENOMEM. */
int ev_bus_new(struct ev_bus **out, const char *camera, size_t ring);
void ev_bus_free(struct ev_bus *b);
const char *ev_bus_camera(const struct ev_bus *b);

/* 0, or -ENOSPC past EV_MAX_LISTENERS. */
int ev_bus_listen(struct ev_bus *b, ev_listener_fn fn, void *opaque);
void ev_bus_unlisten(struct ev_bus *b, ev_listener_fn fn, void *opaque);

/* Assigns e->id (and e->time_us when 0), keeps a copy, tells the listeners, wakes waiters.
 * Returns the id.  A NULL bus is fine (returns 0): events are optional. */
uint64_t ev_publish(struct ev_bus *b, struct ev *e);
/* Shorthand for a state change without marker or detail. */
uint64_t ev_post(struct ev_bus *b, enum ev_type t, enum ev_state s, int value);

/* Copies up to max kept events with id > since, oldest first; returns how many.  *dropped (may
 * be NULL) = events after `since` that fell out of the ring before this call. */
size_t ev_bus_since(struct ev_bus *b, uint64_t since, struct ev *out, size_t max,
		    uint64_t *dropped);
/* Waits up to timeout_ms for an event with id > since.  1 = there is one, 0 = timed out. */
int ev_bus_wait(struct ev_bus *b, uint64_t since, int timeout_ms);
/* The newest id (0 = none yet). */
uint64_t ev_bus_last_id(struct ev_bus *b);
/* Events published of type t (metrics). */
uint64_t ev_bus_count(struct ev_bus *b, enum ev_type t);

const char *ev_type_name(enum ev_type t);   /* "motion", "people", … ("?" when out of range) */
const char *ev_state_name(enum ev_state s); /* "start", "end", "" */
/* The camera alarm type (EV_MOTION … EV_FACE) named by the first len bytes of name, as
 * ev_type_name spells it; -EINVAL for anything else. */
int ev_alarm_type(const char *name, size_t len);
/* One JSON object for the event (camera name included).  Length, or -ENOSPC. */
int ev_json(const struct ev *e, const char *camera, char *buf, size_t n);

#endif
