/* Constant output rate for the sinks, as a pure state machine: the caller passes "now", so tests
 * drive it with a fake clock.
 *
 * The device gets the configured rate, never more: consumers (recorders, browsers, encoders)
 * are told `fps` and size their work for it.  Rules:
 *  - a hard cap: at most fps writes in any 1-s window, and no two writes closer than a quarter
 *    interval (no bursts); every action, the card included, waits for this gate;
 *  - output slots one interval apart: a new camera frame may take the next slot up to half an
 *    interval early, so a camera at the configured rate with jitter has its frames written the
 *    moment they arrive (low latency), while a faster camera cannot push the rate up;
 *  - a new frame that must wait is kept pending; when a newer one arrives first, the newest
 *    wins and the pending one is dropped (counted in n_dropped);
 *  - while the camera is live, the last frame is repeated when the output falls half an
 *    interval behind its slot (camera slower than fps, or stalled), so the output rate is the
 *    configured one;
 *  - while the camera is not live (connecting, asleep, offline), or live without any frame yet,
 *    or stalled longer than stale_ms, the placeholder card is written: at once, then every
 *    placeholder interval (≤ 1 s).
 *
 * Use from the video thread, ticking after every decoded frame (so none goes uncounted):
 *	for (;;) {
 *		wait for an access unit up to pace_timeout_ms(&p, clock_mono_us(), live);
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
#define PACE_WINDOW_US 1000000u

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
	unsigned fps;
	uint64_t interval_us, placeholder_us, stale_us;
	int started;               /* anything written yet */
	int have_cam;              /* a camera frame we may repeat */
	int last_was_placeholder;
	uint64_t last_write_us;    /* last write of any kind */
	uint64_t last_cam_us;      /* when the newest camera frame was written */
	uint64_t last_seq;         /* newest camera seq written (or passed over while not live) */
	uint64_t seen_seq;         /* newest camera seq seen by pace_tick */
	uint64_t slot_us;          /* the next output slot (live camera) */
	uint64_t ring[PACE_MAX_FPS]; /* the last `fps` write times, oldest at ring_pos … */
	unsigned ring_pos, ring_n; /* … once ring_n == fps */
	uint64_t n_new, n_repeat, n_placeholder;
	uint64_t n_dropped;        /* camera frames superseded before the rate allowed them */
};

void pace_init(struct pace *p, const struct pace_cfg *cfg);
/* newest_seq: hub seq of the newest camera picture (not placeholder frames), 0 = none yet.
 * cam_live: 1 while the camera session is streaming. */
enum pace_action pace_tick(struct pace *p, uint64_t now_us, uint64_t newest_seq, int cam_live);
/* When the next action is due if no new frame arrives (may be ≤ now: due now). */
uint64_t pace_next_us(const struct pace *p, uint64_t now_us, int cam_live);
/* The same as a wait timeout in ms, rounded up (0 = due now). */
int pace_timeout_ms(const struct pace *p, uint64_t now_us, int cam_live);

#endif
