#include "sim/sim_impair.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ent {
	uint64_t due, seq;
	uint16_t len;
	uint16_t slot;
};

struct sim_impair {
	struct sim_impair_cfg cfg;
	uint64_t rng, seq;
	uint8_t (*buf)[SIM_IMPAIR_DGRAM];
	uint16_t free_slots[SIM_IMPAIR_SLOTS];
	unsigned n_free;
	struct ent heap[SIM_IMPAIR_SLOTS];  /* min-heap on (due, seq) */
	unsigned n_heap;
	/* reorder window: held entries (slot, len), released shuffled */
	struct ent win[SIM_IMPAIR_MAX_WINDOW];
	unsigned n_win;
	uint64_t win_since;
	struct sim_impair_stats st;
};

uint64_t sim_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static double rnd01(struct sim_impair *im)
{
	return (double)(sim_rng_next(&im->rng) >> 11) * (1.0 / 9007199254740992.0);
}

int sim_impair_enabled(const struct sim_impair_cfg *c)
{
	return c->loss > 0 || c->dup > 0 || c->reorder > 1 || c->delay_us || c->jitter_us;
}

int sim_impair_new(const struct sim_impair_cfg *cfg, struct sim_impair **out)
{
	struct sim_impair *im = calloc(1, sizeof(*im));

	*out = NULL;
	if (!im)
		return -ENOMEM;
	im->buf = malloc(sizeof(*im->buf) * SIM_IMPAIR_SLOTS);
	if (!im->buf) {
		free(im);
		return -ENOMEM;
	}
	im->cfg = *cfg;
	if (im->cfg.reorder > SIM_IMPAIR_MAX_WINDOW)
		im->cfg.reorder = SIM_IMPAIR_MAX_WINDOW;
	im->rng = cfg->seed;
	sim_impair_clear(im);
	*out = im;
	return 0;
}

void sim_impair_free(struct sim_impair *im)
{
	if (!im)
		return;
	free(im->buf);
	free(im);
}

void sim_impair_clear(struct sim_impair *im)
{
	im->n_heap = im->n_win = 0;
	im->n_free = SIM_IMPAIR_SLOTS;
	for (unsigned i = 0; i < SIM_IMPAIR_SLOTS; i++)
		im->free_slots[i] = (uint16_t)(SIM_IMPAIR_SLOTS - 1 - i);
}

static int ent_less(const struct ent *a, const struct ent *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_push(struct sim_impair *im, struct ent e)
{
	unsigned i = im->n_heap++;

	while (i) {
		unsigned p = (i - 1) / 2;
		if (!ent_less(&e, &im->heap[p]))
			break;
		im->heap[i] = im->heap[p];
		i = p;
	}
	im->heap[i] = e;
}

static struct ent heap_pop(struct sim_impair *im)
{
	struct ent top = im->heap[0], last = im->heap[--im->n_heap];
	unsigned i = 0, n = im->n_heap;

	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;
		const struct ent *best = &last;
		if (l < n && ent_less(&im->heap[l], best))
			m = l, best = &im->heap[l];
		if (r < n && ent_less(&im->heap[r], best))
			m = r;
		if (m == i)
			break;
		im->heap[i] = im->heap[m];
		i = m;
	}
	if (n)
		im->heap[i] = last;
	return top;
}

/* Schedules an entry after delay + jitter. */
static void schedule(struct sim_impair *im, struct ent e, uint64_t now)
{
	e.due = now + im->cfg.delay_us;
	if (im->cfg.jitter_us)
		e.due += (uint64_t)(rnd01(im) * (double)(im->cfg.jitter_us + 1));
	e.seq = im->seq++;
	heap_push(im, e);
}

static void flush_window(struct sim_impair *im, uint64_t now)
{
	if (!im->n_win)
		return;
	/* Fisher–Yates, then schedule in the shuffled order */
	for (unsigned i = im->n_win - 1; i > 0; i--) {
		unsigned j = (unsigned)(sim_rng_next(&im->rng) % (i + 1));
		struct ent t = im->win[i];
		im->win[i] = im->win[j];
		im->win[j] = t;
	}
	for (unsigned i = 0; i < im->n_win; i++)
		schedule(im, im->win[i], now);
	im->st.reordered_windows++;
	im->n_win = 0;
}

static int enqueue(struct sim_impair *im, const uint8_t *d, size_t len, uint64_t now)
{
	struct ent e;

	if (!im->n_free) {
		im->st.overflow++;
		return 0;
	}
	e.slot = im->free_slots[--im->n_free];
	e.len = (uint16_t)len;
	memcpy(im->buf[e.slot], d, len);
	if (im->cfg.reorder > 1) {
		if (!im->n_win)
			im->win_since = now;
		im->win[im->n_win++] = e;
		if (im->n_win >= im->cfg.reorder)
			flush_window(im, now);
	} else {
		schedule(im, e, now);
	}
	return 1;
}

int sim_impair_push(struct sim_impair *im, const uint8_t *d, size_t len, uint64_t now)
{
	int n = 0;
	/* draw both numbers always, so one decision does not shift the others' sequence */
	double l = rnd01(im), u = rnd01(im);

	if (len > SIM_IMPAIR_DGRAM)
		return -EMSGSIZE;
	im->st.in++;
	if (l * 100.0 < im->cfg.loss) {
		im->st.lost++;
		return 0;
	}
	n += enqueue(im, d, len, now);
	if (u * 100.0 < im->cfg.dup) {
		im->st.duplicated++;
		n += enqueue(im, d, len, now);
	}
	return n;
}

int sim_impair_pop(struct sim_impair *im, uint64_t now, uint8_t *out, size_t cap)
{
	struct ent e;

	if (im->n_win && now >= im->win_since + SIM_IMPAIR_REORDER_US)
		flush_window(im, now);
	if (!im->n_heap || im->heap[0].due > now)
		return 0;
	e = heap_pop(im);
	im->free_slots[im->n_free++] = e.slot;
	if (e.len > cap)
		return -ENOSPC;
	memcpy(out, im->buf[e.slot], e.len);
	im->st.out++;
	return e.len;
}

uint64_t sim_impair_deadline(const struct sim_impair *im)
{
	uint64_t t = UINT64_MAX;

	if (im->n_heap)
		t = im->heap[0].due;
	if (im->n_win && im->win_since + SIM_IMPAIR_REORDER_US < t)
		t = im->win_since + SIM_IMPAIR_REORDER_US;
	return t;
}

void sim_impair_get_stats(const struct sim_impair *im, struct sim_impair_stats *st)
{
	*st = im->st;
}

void sim_impair_set_loss(struct sim_impair *im, double pct)
{
	im->cfg.loss = pct < 0 ? 0 : pct > 100 ? 100 : pct;
}
