#include "sink/pace.h"

#include <string.h>

void pace_init(struct pace *p, const struct pace_cfg *cfg)
{
	int fps = cfg->fps < 1 ? 1 : cfg->fps > PACE_MAX_FPS ? PACE_MAX_FPS : cfg->fps;
	uint64_t ph;

	memset(p, 0, sizeof(*p));
	p->fps = (unsigned)fps;
	p->interval_us = PACE_WINDOW_US / (unsigned)fps;
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

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Earliest moment any write may happen: a quarter interval after the last one (no bursts,
 * yet a new frame right after a repeat is not held back long), and not while the last second
 * already holds fps writes. */
static uint64_t gate_us(const struct pace *p)
{
	uint64_t g;

	if (!p->started)
		return 0;
	g = p->last_write_us + p->interval_us / 4;
	if (p->ring_n == p->fps)
		g = max64(g, p->ring[p->ring_pos] + PACE_WINDOW_US);
	return g;
}

/* Showing the card (not live, no frame yet, or stale)? */
static int card_mode(const struct pace *p, int cam_live)
{
	return !cam_live || !p->have_cam;
}

static int pending(const struct pace *p, int cam_live)
{
	return cam_live && p->seen_seq > p->last_seq;
}

static enum pace_action wrote(struct pace *p, uint64_t now, enum pace_action a)
{
	p->started = 1;
	p->last_write_us = now;
	p->last_was_placeholder = a == PACE_PLACEHOLDER;
	p->ring[p->ring_pos] = now;
	p->ring_pos = (p->ring_pos + 1) % p->fps;
	if (p->ring_n < p->fps)
		p->ring_n++;
	if (a == PACE_NEW || a == PACE_REPEAT) {
		/* Take a slot; a write a whole slot late (after the card, or a held-up thread)
		 * restarts the slot clock instead of bursting to catch up. */
		if (now > p->slot_us + p->interval_us)
			p->slot_us = now;
		p->slot_us += p->interval_us;
	}
	switch (a) {
	case PACE_NEW: p->n_new++; p->last_cam_us = now; p->last_seq = p->seen_seq; break;
	case PACE_REPEAT: p->n_repeat++; break;
	case PACE_PLACEHOLDER: p->n_placeholder++; break;
	case PACE_WAIT: break;
	}
	return a;
}

/* The next action by the rules, ignoring the gate: its kind and when it is due. */
static enum pace_action next_action(const struct pace *p, uint64_t now, int cam_live,
				    uint64_t *due)
{
	if (pending(p, cam_live)) {
		*due = p->have_cam ? since(p->slot_us, p->interval_us / 2) : now;
		return PACE_NEW;
	}
	if (card_mode(p, cam_live)) {
		*due = !p->started || !p->last_was_placeholder ? now
			: p->last_write_us + p->placeholder_us;
		return PACE_PLACEHOLDER;
	}
	*due = p->slot_us + p->interval_us / 2;
	return PACE_REPEAT;
}

enum pace_action pace_tick(struct pace *p, uint64_t now_us, uint64_t newest_seq, int cam_live)
{
	enum pace_action a;
	uint64_t due;

	if (!cam_live) {
		/* Frames decoded before the camera went away are not "new" once it is back. */
		p->seen_seq = p->last_seq = max64(p->last_seq, max64(p->seen_seq, newest_seq));
		p->have_cam = 0;
	} else if (newest_seq > p->seen_seq) {
		if (p->seen_seq > p->last_seq)
			p->n_dropped++;   /* the newest wins */
		p->seen_seq = newest_seq;
	} else if (p->have_cam && p->stale_us && since(now_us, p->last_cam_us) >= p->stale_us) {
		p->have_cam = 0;   /* a frozen picture would look live: show the card */
	}

	a = next_action(p, now_us, cam_live, &due);
	if (now_us < due || now_us < gate_us(p))
		return PACE_WAIT;
	if (a == PACE_NEW)
		p->have_cam = 1;
	return wrote(p, now_us, a);
}

uint64_t pace_next_us(const struct pace *p, uint64_t now_us, int cam_live)
{
	uint64_t due;

	next_action(p, now_us, cam_live, &due);
	if (!pending(p, cam_live) && !card_mode(p, cam_live) && p->stale_us &&
	    p->last_cam_us + p->stale_us < due)
		due = p->last_cam_us + p->stale_us;
	return max64(due, gate_us(p));
}

int pace_timeout_ms(const struct pace *p, uint64_t now_us, int cam_live)
{
	uint64_t due = pace_next_us(p, now_us, cam_live);

	if (due <= now_us)
		return 0;
	return (int)((due - now_us + 999) / 1000);
}
