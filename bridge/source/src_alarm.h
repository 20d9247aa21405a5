/* Camera alarms (msg 33 AlarmEventList) as bus events: which alarm types are active, and the
 * start/end events a new report implies.  Pure: the source thread feeds it, tests drive it. */
#ifndef CB_SOURCE_SRC_ALARM_H
#define CB_SOURCE_SRC_ALARM_H

#include <stddef.h>
#include <stdint.h>

#include "bc/bc_event.h"
#include "event/event.h"

/* EV_MOTION … EV_FACE: the alarm types, each starts or ends at most once per report. */
#define SRC_ALARM_NTYPES 5

struct src_alarm {
	unsigned active;   /* bit (1 << type) per active alarm type */
};

/* The events that report l implies, given what was active: starts in type order (motion
 * first), ends in reverse (motion last).  out holds SRC_ALARM_NTYPES; returns how many.
 * marker: the newest stream time, or -1. */
size_t src_alarm_update(struct src_alarm *a, const struct bc_alarm_list *l, int64_t marker,
			struct ev *out);
/* The session ended: END for every active alarm.  Same out/return as above. */
size_t src_alarm_end_all(struct src_alarm *a, int64_t marker, struct ev *out);

#endif
