/* Pacing of a local file source: each packet goes out when the previous one did plus the
 * time between their time stamps, so a file plays like a live camera at its own rate.  Files
 * without usable time stamps (a raw .h264) step by the packet duration or the frame rate.
 * Pure arithmetic over a clock passed in: unit-testable, no sleeping here. */
#ifndef CB_SOURCE_SRC_FPACE_H
#define CB_SOURCE_SRC_FPACE_H

#include <stdint.h>

#define SRC_FPACE_NO_TS    INT64_MIN
#define SRC_FPACE_MIN_US   2000       /* no file plays faster than 500 packets/s */
#define SRC_FPACE_MAX_US   10000000   /* a longer step is a discontinuity, not a pause */
#define SRC_FPACE_LATE_US  1000000    /* this far behind (suspend, slow disk): start again */

struct src_fpace {
	int64_t frame_us;          /* step when nothing better is known */
	int64_t prev_ts_us;        /* previous packet's time stamp, SRC_FPACE_NO_TS = none */
	int64_t prev_dur_us;       /* previous packet's duration, 0 = unknown */
	uint64_t due_us;           /* when the previous packet was due, 0 = none yet */
};

/* fps: the stream's frame rate, or the configured one when the file has none (≤ 0: 15). */
void src_fpace_init(struct src_fpace *p, double fps);
/* A packet with time stamp ts_us (dts, else pts; SRC_FPACE_NO_TS if none) and duration dur_us
 * (0 = unknown): returns the monotonic time it is due (≥ the previous one). */
uint64_t src_fpace_next(struct src_fpace *p, int64_t ts_us, int64_t dur_us, uint64_t now_us);
/* The file starts again: keep the rhythm (one step after the last packet), forget its clock. */
void src_fpace_restart(struct src_fpace *p);

#endif
