#include "hub/status.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

const double status_decode_bucket_le[STATUS_DECODE_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16,
};

const char *cam_state_name(enum cam_state s)
{
	switch (s) {
	case CAM_CONNECTING: return "connecting";
	case CAM_STREAMING: return "streaming";
	case CAM_SLEEPING: return "sleeping";
	case CAM_OFFLINE: return "offline";
	case CAM_AUTH_FAILED: return "auth-failed";
	}
	return "unknown";
}

void status_init(struct status *st, const char *name)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	snprintf(st->s.name, sizeof(st->s.name), "%s", name ? name : "");
	st->s.battery_percent = -1;
	st->s.v4l2_clients = -1;
	st->s.started_mono_us = clock_mono_us();
	snprintf(st->s.hwaccel, sizeof(st->s.hwaccel), "none");
}

void status_destroy(struct status *st)
{
	pthread_mutex_destroy(&st->lock);
}

void status_snapshot(struct status *st, struct cam_status *out)
{
	pthread_mutex_lock(&st->lock);
	*out = st->s;
	pthread_mutex_unlock(&st->lock);
}

void status_set_state(struct status *st, enum cam_state state)
{
	STATUS_UPDATE(st, cs->state = state;);
}

void status_add_decode_time(struct status *st, double seconds)
{
	pthread_mutex_lock(&st->lock);
	st->s.decode_count++;
	st->s.decode_seconds_sum += seconds;
	for (int i = 0; i < STATUS_DECODE_BUCKETS; i++)
		if (seconds <= status_decode_bucket_le[i])
			st->s.decode_buckets[i]++;
	pthread_mutex_unlock(&st->lock);
}
