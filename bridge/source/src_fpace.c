#include "source/src_fpace.h"

static int64_t clamp_step(int64_t us)
{
	return us < SRC_FPACE_MIN_US ? SRC_FPACE_MIN_US : us > SRC_FPACE_MAX_US ? SRC_FPACE_MAX_US : us;
}

void src_fpace_init(struct src_fpace *p, double fps)
{
	if (!(fps >= 0.1 && fps <= 1000.0))   /* also NaN */
		fps = 15.0;
	p->frame_us = clamp_step((int64_t)(1e6 / fps));
	p->prev_ts_us = SRC_FPACE_NO_TS;
	p->prev_dur_us = 0;
	p->due_us = 0;
}

uint64_t src_fpace_next(struct src_fpace *p, int64_t ts_us, int64_t dur_us, uint64_t now_us)
{
	int64_t step = p->frame_us;
	uint64_t due;

	/* The previous packet's duration says when this one comes; a time stamp difference says
	 * it better, unless it goes backwards or jumps (a discontinuity or a hostile file). */
	if (p->prev_dur_us > 0 && p->prev_dur_us <= SRC_FPACE_MAX_US)
		step = p->prev_dur_us;
	if (ts_us != SRC_FPACE_NO_TS && p->prev_ts_us != SRC_FPACE_NO_TS &&
	    ts_us > p->prev_ts_us && ts_us - p->prev_ts_us <= SRC_FPACE_MAX_US)
		step = ts_us - p->prev_ts_us;
	step = clamp_step(step);
	due = p->due_us ? p->due_us + (uint64_t)step : now_us;
	if (due + SRC_FPACE_LATE_US < now_us)
		due = now_us;
	p->due_us = due;
	p->prev_ts_us = ts_us;
	p->prev_dur_us = dur_us;
	return due;
}

void src_fpace_restart(struct src_fpace *p)
{
	p->prev_ts_us = SRC_FPACE_NO_TS;
}
