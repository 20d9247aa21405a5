/* Network impairment of the camera's outgoing datagrams: loss, duplication, reordering within
 * a window, added delay and jitter — all decisions from one seeded generator, so a run with
 * the same seed and the same traffic makes the same decisions.  Pure (the caller passes the
 * monotonic time and sends what pop returns). */
#ifndef CB_SIM_IMPAIR_H
#define CB_SIM_IMPAIR_H

#include <stddef.h>
#include <stdint.h>

#define SIM_IMPAIR_SLOTS     4096     /* datagrams held at once; beyond that = lost */
#define SIM_IMPAIR_DGRAM     1500     /* largest datagram held (ours are <= 1350) */
#define SIM_IMPAIR_REORDER_US 5000u   /* a reorder window waits at most this long to fill */
#define SIM_IMPAIR_MAX_WINDOW 64

struct sim_impair_cfg {
	double loss, dup;               /* percent */
	unsigned reorder;               /* window in datagrams (0/1 = off) */
	uint32_t delay_us, jitter_us;
	uint64_t seed;
};

struct sim_impair_stats {
	uint64_t in, lost, duplicated, reordered_windows, overflow, out;
};

struct sim_impair;

/* 1 if cfg changes anything (else the caller can send directly). */
int sim_impair_enabled(const struct sim_impair_cfg *cfg);
int sim_impair_new(const struct sim_impair_cfg *cfg, struct sim_impair **out);
void sim_impair_free(struct sim_impair *im);
/* Changes the loss rate from now on (percent, clamped to 0..100): a loss burst in a test. */
void sim_impair_set_loss(struct sim_impair *im, double pct);
/* Drops everything held (the session ended). */
void sim_impair_clear(struct sim_impair *im);
/* Offers one datagram: the number of copies queued (0 = lost), or -EMSGSIZE. */
int sim_impair_push(struct sim_impair *im, const uint8_t *d, size_t len, uint64_t now);
/* The next datagram due by now: its length (copied to out), 0 if none. */
int sim_impair_pop(struct sim_impair *im, uint64_t now, uint8_t *out, size_t cap);
/* When pop will next have something (UINT64_MAX: nothing held). */
uint64_t sim_impair_deadline(const struct sim_impair *im);
void sim_impair_get_stats(const struct sim_impair *im, struct sim_impair_stats *st);

/* The generator (splitmix64), exposed for tests. */
uint64_t sim_rng_next(uint64_t *state);

#endif
