#include "sink/pace.h"

#include <string.h>

void pace_init(struct pace *p, const struct pace_cfg *cfg)
{
	int fps = cfg->fps < 1 ? 1 : cfg->fps > PACE_MAX_FPS ? PACE_MAX_FPS : cfg->fps;
	uint64_t ph;

	memset(p, 0, sizeof(*p));
	p->interval_us = 1000000u / (unsigned)fps;
	ph = (uint64_t)(cfg->placeholder_ms ? cfg->placeholder_ms : PACE_PLACEHOLDER_DEFAULT_MS) * 1000u;
	if (ph > PACE_PLACEHOLDER_MAX_MS * 1000u)
		ph = PACE_PLACEHOLDER_MAX_MS * 1000u;
	if (ph < p->interval_us)
		ph = p->interval_us;
	p->placeholder_us = ph;
	p->stale_us = (uint64_t)cfg->stale_ms * 1000u;
}

static uint64_t since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

/* When the live output would be half a frame behind the configured rate without a repeat. */
static uint64_t repeat_due(const struct pace *p)
{
	return p->live_base_us + p->live_count * p->interval_us + p->interval_us / 2;
}

/* Showing the card (not live, no frame yet, or stale)? */
static int card_mode(const struct pace *p, int cam_live)
{
	return !cam_live || !p->have_cam;
}

static enum pace_action wrote(struct pace *p, uint64_t now, enum pace_action a)
{
	p->started = 1;
	p->last_write_us = now;
	p->last_was_placeholder = a == PACE_PLACEHOLDER;
	switch (a) {
	case PACE_NEW: p->n_new++; p->last_cam_us = now; p->live_count++; break;
	case PACE_REPEAT: p->n_repeat++; p->live_count++; break;
	case PACE_PLACEHOLDER: p->n_placeholder++; p->live_count = 0; break;
	case PACE_WAIT: break;
	}
	return a;
}

enum pace_action pace_tick(struct pace *p, uint64_t now_us, uint64_t newest_seq, int cam_live)
{
	if (!cam_live) {
		/* Frames decoded before the camera went away are not "new" once it is back. */
		if (newest_seq > p->last_seq)
			p->last_seq = newest_seq;
		p->have_cam = 0;
	} else if (newest_seq > p->last_seq) {
		p->last_seq = newest_seq;
		if (!p->have_cam || !p->live_count) {
			p->live_base_us = now_us;   /* (re)start the live output clock */
			p->live_count = 0;
		}
		p->have_cam = 1;
		wrote(p, now_us, PACE_NEW);
		/* A camera faster than fps runs ahead of the clock; it banks one frame at most. */
		if (p->live_base_us + p->live_count * p->interval_us > now_us + p->interval_us)
			p->live_base_us = now_us + p->interval_us - p->live_count * p->interval_us;
		return PACE_NEW;
	} else if (p->have_cam && p->stale_us && since(now_us, p->last_cam_us) >= p->stale_us) {
		p->have_cam = 0;   /* a frozen picture would look live: show the card */
	}

	if (card_mode(p, cam_live)) {
		if (!p->started || !p->last_was_placeholder ||
		    since(now_us, p->last_write_us) >= p->placeholder_us)
			return wrote(p, now_us, PACE_PLACEHOLDER);
		return PACE_WAIT;
	}
	if (now_us >= repeat_due(p)) {
		/* After a long stall (the thread was held up), catch up by one frame, not a burst. */
		if (now_us > repeat_due(p) + p->interval_us)
			p->live_base_us = now_us - p->live_count * p->interval_us - p->interval_us / 2;
		return wrote(p, now_us, PACE_REPEAT);
	}
	return PACE_WAIT;
}

uint64_t pace_next_us(const struct pace *p, uint64_t now_us, int cam_live)
{
	uint64_t due;

	if (!p->started)
		return now_us;
	if (card_mode(p, cam_live)) {
		if (!p->last_was_placeholder)
			return now_us;
		return p->last_write_us + p->placeholder_us;
	}
	due = repeat_due(p);
	if (p->stale_us && p->last_cam_us + p->stale_us < due)
		due = p->last_cam_us + p->stale_us;
	return due;
}

int pace_timeout_ms(const struct pace *p, uint64_t now_us, int cam_live)
{
	uint64_t due = pace_next_us(p, now_us, cam_live);

	if (due <= now_us)
		return 0;
	return (int)((due - now_us + 999) / 1000);
}
