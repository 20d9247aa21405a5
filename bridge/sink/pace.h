/* Constant output rate for the sinks, as a pure state machine: the caller passes "now", so tests
 * drive it with a fake clock.
 *
 * Rules (consumers such as Chrome restart the stream after 1 s without a frame, and give up
 * after 10 such timeouts):
 *  - a new camera frame is written as soon as it is there: no pacing delay (a camera faster than
 *    the configured fps is written at its own rate);
 *  - while the camera is live, the last camera frame is repeated where the output would
 *    otherwise fall half a frame behind the configured fps (camera slower than fps, or
 *    stalled), so the output rate is the configured one; a camera at that rate with some
 *    jitter gets no repeats at all;
 *  - while the camera is not live (connecting, asleep, offline), or live without any frame yet,
 *    or stalled longer than stale_ms, the placeholder card is written: once at once, then every
 *    placeholder interval (≤ 1 s).
 *
 * Use from the video thread:
 *	for (;;) {
 *		f = hub_wait(hub, seen, pace_timeout_ms(&p, clock_mono_us(), live));
 *		…
 *		switch (pace_tick(&p, clock_mono_us(), newest_camera_seq, live)) { … }
 *	}
 * pace_tick() assumes the caller performs the action it returns. */
#ifndef CB_OUT_PACE_H
#define CB_OUT_PACE_H

#include <stdint.h>

#define PACE_MAX_FPS 240
/* Placeholder interval when none is configured; half of Chrome's 1 s poll timeout. */
#define PACE_PLACEHOLDER_DEFAULT_MS 500
#define PACE_PLACEHOLDER_MAX_MS 1000

enum pace_action {
	PACE_WAIT = 0,       /* nothing due: wait pace_timeout_ms() or for a new frame */
	PACE_NEW,            /* write the newest camera frame */
	PACE_REPEAT,         /* write the last camera frame again */
	PACE_PLACEHOLDER,    /* write the offline/sleeping card */
};

struct pace_cfg {
	int fps;                   /* 1..PACE_MAX_FPS (clamped) */
	uint32_t placeholder_ms;   /* 0 = default; clamped to [1000/fps, PACE_PLACEHOLDER_MAX_MS] */
	uint32_t stale_ms;         /* live camera without a new frame this long → card; 0 = never */
};

struct pace {
	uint64_t interval_us, placeholder_us, stale_us;
	int started;               /* anything written yet */
	int have_cam;              /* a camera frame we may repeat */
	int last_was_placeholder;
	uint64_t last_write_us;    /* last write of any kind */
	uint64_t last_cam_us;      /* when the newest camera frame was written */
	uint64_t last_seq;         /* newest camera seq consumed */
	uint64_t live_base_us;     /* live output clock: writes counted since this moment … */
	uint64_t live_count;       /* … so repeats only fill in where the output falls behind */
	uint64_t n_new, n_repeat, n_placeholder;
};

void pace_init(struct pace *p, const struct pace_cfg *cfg);
/* newest_seq: hub seq of the newest camera picture (not placeholder frames), 0 = none yet.
 * cam_live: 1 while the camera session is streaming. */
enum pace_action pace_tick(struct pace *p, uint64_t now_us, uint64_t newest_seq, int cam_live);
/* When the next repeat/placeholder is due if no new frame arrives (may be ≤ now: due now). */
uint64_t pace_next_us(const struct pace *p, uint64_t now_us, int cam_live);
/* The same as a wait timeout in ms, rounded up (0 = due now). */
int pace_timeout_ms(const struct pace *p, uint64_t now_us, int cam_live);

#endif
