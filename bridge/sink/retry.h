/* When to try a failed output again and what to tell the user about it, as a pure state
 * machine over a caller-supplied clock (tests drive it with a fake one).
 *
 * An output that fails (no loopback device, ENOSPC, EIO, a FIFO without reader) is retried with
 * exponential backoff (SINK_RETRY_MIN_MS doubling to SINK_RETRY_MAX_MS; a FIFO waiting for its
 * reader every SINK_RETRY_MIN_MS, since opening one costs nothing).  The log gets one line per
 * change of state (working → failing, a different error, failing → working) and a reminder
 * every SINK_RETRY_REMIND_MS while it keeps failing — never a line per attempt. */
#ifndef CB_SINK_RETRY_H
#define CB_SINK_RETRY_H

#include <stdint.h>

#define SINK_RETRY_MIN_MS    1000
#define SINK_RETRY_MAX_MS    30000
#define SINK_RETRY_REMIND_MS 60000

enum sink_retry_say {
	SINK_SAY_NOTHING = 0,
	SINK_SAY_FAILING,       /* it just started failing, or with another error */
	SINK_SAY_STILL,         /* the periodic reminder */
	SINK_SAY_RECOVERED,     /* working again after failing */
};

struct sink_retry {
	int err;                /* current error (positive errno), 0 = working */
	uint64_t since_us;      /* failing since */
	uint64_t next_us;       /* next attempt */
	uint64_t delay_us;      /* backoff before the attempt after next */
	uint64_t remind_us;     /* next reminder */
	uint64_t attempts;      /* failed attempts since failing began */
};

void sink_retry_init(struct sink_retry *r);
/* An attempt failed with -err at `now`; `quick` = retry at the minimum delay (FIFO without a
 * reader).  Schedules the next attempt and says whether to log. */
enum sink_retry_say sink_retry_failed(struct sink_retry *r, uint64_t now_us, int err, int quick);
/* The output works (opened or written) at `now`. */
enum sink_retry_say sink_retry_ok(struct sink_retry *r, uint64_t now_us);
/* Time for the next attempt? */
int sink_retry_due(const struct sink_retry *r, uint64_t now_us);

#endif
