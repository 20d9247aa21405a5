/* Output pacing with a fake clock: new frames at once when the rate allows, never more than fps
 * writes in any second (faster cameras: the newest frame wins, the rest counted as dropped),
 * repeats at fps while the camera is slow or stalled, the placeholder at least once per second
 * while it is down. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sink/pace.h"

#define MS 1000u
#define SEC 1000000u

static void test_init_clamps(void **state)
{
	struct pace p;

	pace_init(&p, &(struct pace_cfg){ .fps = 30 });
	assert_int_equal(p.interval_us, 33333);
	assert_int_equal(p.placeholder_us, PACE_PLACEHOLDER_DEFAULT_MS * MS);
	pace_init(&p, &(struct pace_cfg){ .fps = 0, .placeholder_ms = 5000 });
	assert_int_equal(p.interval_us, SEC);          /* fps clamped to 1 */
	assert_int_equal(p.placeholder_us, SEC);       /* never slower than 1/s */
	pace_init(&p, &(struct pace_cfg){ .fps = 10, .placeholder_ms = 20 });
	assert_int_equal(p.placeholder_us, 100 * MS);  /* not faster than the frame rate */
	pace_init(&p, &(struct pace_cfg){ .fps = 100000 });
	assert_int_equal(p.interval_us, SEC / PACE_MAX_FPS);
}

static void test_new_frame_written_at_once(void **state)
{
	struct pace p;
	uint64_t t = 5 * SEC;

	pace_init(&p, &(struct pace_cfg){ .fps = 30 });
	/* Live but nothing decoded yet: the card, right away. */
	assert_int_equal(pace_tick(&p, t, 0, 1), PACE_PLACEHOLDER);
	assert_int_equal(pace_tick(&p, t + 1, 0, 1), PACE_WAIT);
	/* First picture, 10 ms after the card: no waiting for the next slot. */
	assert_int_equal(pace_tick(&p, t + 10 * MS, 1, 1), PACE_NEW);
	/* Another picture 1 ms later (camera faster than fps): it may take its slot half an
	 * interval early at most, so it waits … */
	assert_int_equal(pace_tick(&p, t + 11 * MS, 2, 1), PACE_WAIT);
	assert_int_equal(pace_timeout_ms(&p, t + 11 * MS, 1), 16);
	/* … and when a third comes first, the newest wins and the second is counted as dropped. */
	assert_int_equal(pace_tick(&p, t + 20 * MS, 3, 1), PACE_WAIT);
	assert_int_equal(p.n_dropped, 1);
	assert_int_equal(pace_tick(&p, t + 10 * MS + 16667, 3, 1), PACE_NEW);
	assert_int_equal(p.last_seq, 3);
	assert_int_equal(p.n_new, 2);
	assert_int_equal(p.n_placeholder, 1);
}

static void test_repeats_at_fps_when_stalled(void **state)
{
	struct pace p;
	uint64_t t = 1000, last;
	int repeats = 0;

	pace_init(&p, &(struct pace_cfg){ .fps = 30 });
	assert_int_equal(pace_tick(&p, t, 7, 1), PACE_NEW);
	last = t;
	/* Tick every millisecond for 3 s without a new frame. */
	for (uint64_t now = t + MS; now <= t + 3 * SEC; now += MS) {
		enum pace_action a = pace_tick(&p, now, 7, 1);

		assert_true(a == PACE_WAIT || a == PACE_REPEAT);
		if (a == PACE_REPEAT) {
			/* The first repeat half a frame late (jitter grace), then one per interval;
			 * never more than a tick late. */
			uint64_t gap = repeats ? p.interval_us : p.interval_us * 3 / 2;

			assert_true(now - last + MS > gap);   /* due times fall between ticks */
			assert_true(now - last < gap + MS);
			last = now;
			repeats++;
		}
	}
	assert_in_range(repeats, 85, 90);   /* 30/s over 3 s, ticks on a 1 ms grid */

	/* Driven by pace_next_us instead: exactly one repeat per due time. */
	pace_init(&p, &(struct pace_cfg){ .fps = 25 });
	assert_int_equal(pace_tick(&p, 0, 1, 1), PACE_NEW);
	for (int i = 1; i <= 100; i++) {
		uint64_t due = pace_next_us(&p, 0, 1);

		assert_int_equal(due, (uint64_t)i * 40 * MS + 20 * MS);
		assert_int_equal(pace_tick(&p, due - 1, 1, 1), PACE_WAIT);
		assert_int_equal(pace_tick(&p, due, 1, 1), PACE_REPEAT);
	}
	/* Camera slower than fps (10 fps camera, 25 out): repeats fill in to exactly 25 writes a
	 * second, and each new frame goes out the moment it arrives. */
	pace_init(&p, &(struct pace_cfg){ .fps = 25 });
	{
		uint64_t seq = 0;
		int news = 0, reps = 0;

		for (uint64_t now = 0; now < SEC; now += MS) {
			if (now % (100 * MS) == 0)
				seq++;
			switch (pace_tick(&p, now, seq, 1)) {
			case PACE_NEW: news++; assert_int_equal(now % (100 * MS), 0); break;
			case PACE_REPEAT: reps++; break;
			case PACE_PLACEHOLDER: fail(); break;
			case PACE_WAIT: break;
			}
		}
		assert_int_equal(news, 10);
		assert_int_equal(news + reps, 25);
	}
	/* Camera at the output rate with ±10 ms jitter: no repeats at all. */
	pace_init(&p, &(struct pace_cfg){ .fps = 15 });
	{
		uint64_t seq = 0, next = 0;
		int news = 0, reps = 0;
		unsigned rnd = 1;

		for (uint64_t now = 0; now < 10 * SEC; now += MS) {
			if (now >= next) {
				seq++;
				rnd = rnd * 1103515245u + 12345u;
				next = seq * 66667 + (rnd >> 16) % (20 * MS) - 10 * MS + 10 * MS;
			}
			switch (pace_tick(&p, now, seq, 1)) {
			case PACE_NEW: news++; break;
			case PACE_REPEAT: reps++; break;
			default: break;
			}
		}
		assert_in_range(news, 149, 151);
		assert_int_equal(reps, 0);
	}
}

static void test_placeholder_when_offline(void **state)
{
	struct pace p;
	uint64_t t = 0, last = 0;
	int n = 0;

	pace_init(&p, &(struct pace_cfg){ .fps = 30, .placeholder_ms = 1000 });
	assert_int_equal(pace_tick(&p, t, 3, 1), PACE_NEW);
	/* Camera goes to sleep: the card at once, not another repeat of its last picture. */
	t += 10 * MS;
	assert_int_equal(pace_tick(&p, t, 3, 0), PACE_PLACEHOLDER);
	last = t;
	for (uint64_t now = t + MS; now <= t + 10 * SEC; now += MS) {
		enum pace_action a = pace_tick(&p, now, 3, 0);

		assert_true(a == PACE_WAIT || a == PACE_PLACEHOLDER);
		if (a == PACE_PLACEHOLDER) {
			assert_true(now - last <= SEC);   /* ≥ 1 per second: Chrome never times out */
			last = now;
			n++;
		}
	}
	assert_int_equal(n, 10);
	assert_int_equal(pace_timeout_ms(&p, last, 0), 1000);
}

static void test_back_online(void **state)
{
	struct pace p;
	uint64_t t = 0;

	pace_init(&p, &(struct pace_cfg){ .fps = 30 });
	assert_int_equal(pace_tick(&p, t, 4, 1), PACE_NEW);
	assert_int_equal(pace_tick(&p, t += 10 * MS, 4, 0), PACE_PLACEHOLDER);
	/* A picture decoded while the camera was reported down is not shown … */
	assert_int_equal(pace_tick(&p, t += MS, 5, 0), PACE_WAIT);
	/* … nor after it is back: still the card until a fresh picture arrives. */
	assert_int_equal(pace_tick(&p, t += MS, 5, 1), PACE_WAIT);
	assert_int_equal(pace_timeout_ms(&p, t, 1), 498);
	assert_int_equal(pace_tick(&p, t + 500 * MS, 5, 1), PACE_PLACEHOLDER);
	t += 500 * MS;
	assert_int_equal(pace_tick(&p, t += 10 * MS, 6, 1), PACE_NEW);
	assert_int_equal(pace_tick(&p, t + 33333, 6, 1), PACE_WAIT);   /* jitter grace */
	assert_int_equal(pace_tick(&p, t + 49999, 6, 1), PACE_REPEAT);
}

static void test_stale_live_camera_shows_card(void **state)
{
	struct pace p;
	uint64_t now;
	enum pace_action a = PACE_WAIT;

	pace_init(&p, &(struct pace_cfg){ .fps = 10, .stale_ms = 2000 });
	assert_int_equal(pace_tick(&p, 0, 1, 1), PACE_NEW);
	for (now = 150 * MS; now < 2 * SEC; now += 100 * MS)
		assert_int_equal(pace_tick(&p, now, 1, 1), PACE_REPEAT);
	a = pace_tick(&p, now, 1, 1);
	assert_int_equal(a, PACE_PLACEHOLDER);
	assert_int_equal(pace_tick(&p, now + 100 * MS, 1, 1), PACE_WAIT);
	assert_int_equal(pace_tick(&p, now + 500 * MS, 1, 1), PACE_PLACEHOLDER);
	assert_int_equal(pace_tick(&p, now + 501 * MS, 2, 1), PACE_WAIT);   /* 1 ms after a write */
	assert_int_equal(pace_tick(&p, now + 525 * MS, 2, 1), PACE_NEW);
}

static void test_timeout_rounding(void **state)
{
	struct pace p;

	pace_init(&p, &(struct pace_cfg){ .fps = 30 });
	assert_int_equal(pace_timeout_ms(&p, 123, 1), 0);   /* nothing written yet: due now */
	assert_int_equal(pace_tick(&p, 0, 1, 1), PACE_NEW);
	assert_int_equal(pace_timeout_ms(&p, 49000, 1), 1);  /* 999 µs left → 1 ms, never 0 */
	assert_int_equal(pace_timeout_ms(&p, 49999, 1), 0);
	assert_int_equal(pace_timeout_ms(&p, 50000, 1), 0);
	/* Going down: the card is due as soon as the gate allows (a quarter interval). */
	assert_int_equal(pace_timeout_ms(&p, 1000, 0), 8);
	assert_int_equal(pace_timeout_ms(&p, 8333, 0), 0);
}

/* ---- scripted arrival patterns, driven like the video thread drives the pacer ---------------- */

#define SIM_MAX_WRITES 20000

struct sim {
	struct pace p;
	uint64_t t[SIM_MAX_WRITES];       /* write times */
	enum pace_action a[SIM_MAX_WRITES];
	uint64_t lat[SIM_MAX_WRITES];     /* NEW: write time - arrival time of that frame */
	int n, news, repeats, cards;
	uint64_t arrivals;
};

/* Arrival time of frame i (0-based) of a pattern; UINT64_MAX = no more frames. */
typedef uint64_t (*arrival_fn)(uint64_t i, void *arg);

/* Runs the video thread's loop for `dur` µs: wait for the next frame or until the pacer's
 * timeout (whole ms, rounded up, as auq_pop takes it), take one frame per wake-up, tick. */
static void sim_run(struct sim *s, int fps, arrival_fn arr, void *arg, uint64_t dur)
{
	uint64_t now = 0, seq = 0, next = arr(0, arg), arrived_at[64] = { 0 };

	memset(s, 0, sizeof(*s));
	pace_init(&s->p, &(struct pace_cfg){ .fps = fps });
	while (now < dur) {
		enum pace_action a;
		uint64_t wake = now + (uint64_t)pace_timeout_ms(&s->p, now, 1) * MS;

		if (next <= now) {   /* an access unit was waiting: decoded at once */
			seq++;
			arrived_at[seq % 64] = next;
			s->arrivals++;
			next = arr(seq, arg);
		} else if (wake > now && next <= wake) {   /* a frame first, as auq_pop returns it */
			now = next;
			continue;
		} else if (wake > now) {
			now = wake;
		}
		a = pace_tick(&s->p, now, seq, 1);
		if (a == PACE_WAIT)
			continue;
		assert_true(s->n < SIM_MAX_WRITES);
		s->t[s->n] = now;
		s->a[s->n] = a;
		s->lat[s->n] = a == PACE_NEW ? now - arrived_at[seq % 64] : 0;
		s->news += a == PACE_NEW;
		s->repeats += a == PACE_REPEAT;
		s->cards += a == PACE_PLACEHOLDER;
		s->n++;
	}
}

/* The cap: no 1-s window holds more than fps writes, no two writes closer than a quarter
 * interval.  Returns the largest count seen in a 1-s window. */
static int assert_rate_capped(const struct sim *s, int fps)
{
	int most = 0;

	for (int i = 0, j = 0; i < s->n; i++) {
		while (s->t[j] + SEC <= s->t[i])
			j++;
		if (i - j + 1 > most)
			most = i - j + 1;
		if (i)
			assert_true(s->t[i] - s->t[i - 1] >= SEC / (unsigned)fps / 4);
	}
	assert_true(most <= fps);
	return most;
}

/* Writes in [from, to). */
static int writes_between(const struct sim *s, uint64_t from, uint64_t to)
{
	int n = 0;

	for (int i = 0; i < s->n; i++)
		n += s->t[i] >= from && s->t[i] < to;
	return n;
}

/* The configured rate (one short at most, for window edges) over every second after the first. */
static void assert_steady(const struct sim *s, int fps, uint64_t dur)
{
	for (uint64_t t = SEC; t + SEC <= dur; t += SEC / 2)
		assert_in_range(writes_between(s, t, t + SEC), fps - 1, fps);
}

static uint64_t every(uint64_t i, void *arg)
{
	return i * *(uint64_t *)arg;
}

static void test_camera_faster_than_fps(void **state)
{
	static struct sim s;
	uint64_t period = 33333;   /* 30 fps camera, 15 fps output */

	sim_run(&s, 15, every, &period, 10 * SEC);
	assert_rate_capped(&s, 15);
	/* Exactly the configured rate over each second once started, no repeats needed. */
	assert_steady(&s, 15, 10 * SEC);
	assert_int_equal(s.repeats, 0);
	/* Every other frame is surplus: dropped and counted, the newest always wins. */
	assert_in_range(s.p.n_dropped, 140, 152);
	assert_in_range(s.arrivals - (s.p.n_new + s.p.n_dropped), 0, 1);   /* one may be pending */
	for (int i = 0; i < s.n; i++)
		if (s.a[i] == PACE_NEW)
			assert_true(s.lat[i] < period);   /* never older than one camera frame */
}

static void test_flood(void **state)
{
	static struct sim s;
	uint64_t period = 2 * MS;   /* ~500 valid frames a second, unpaced */

	sim_run(&s, 15, every, &period, 5 * SEC);
	assert_rate_capped(&s, 15);
	assert_in_range(s.n, 74, 76);
	assert_true(s.p.n_dropped > 2400);
	for (int i = 0; i < s.n; i++)
		if (s.a[i] == PACE_NEW)
			assert_true(s.lat[i] < period);
}

static uint64_t jitter(uint64_t i, void *arg)
{
	/* 15 fps sent, 20 ms fixed delay + up to 150 ms jitter, delivered in order. */
	static uint64_t last;
	unsigned r = (unsigned)(i * 2654435761u) >> 8;
	uint64_t t = i * 66667 + 20 * MS + r % (150 * MS);

	(void)arg;
	if (i == 0 || t < last)
		t = i == 0 ? t : last;
	last = t;
	return t;
}

static void test_jitter(void **state)
{
	static struct sim s;

	sim_run(&s, 15, jitter, NULL, 20 * SEC);
	assert_rate_capped(&s, 15);
	/* Repeats cover the late frames and the late frames do not come on top: 15/s. */
	assert_steady(&s, 15, 20 * SEC);
}

static uint64_t bursts(uint64_t i, void *arg)
{
	/* 15 fps on average, delivered 10 at a time every 666 ms (a stalled network catching
	 * up, or a decoder that releases B-frame groups together). */
	(void)arg;
	return (i / 10) * 666667 + (i % 10) * 100;
}

static void test_bursts(void **state)
{
	static struct sim s;

	sim_run(&s, 15, bursts, NULL, 10 * SEC);
	assert_rate_capped(&s, 15);
	assert_steady(&s, 15, 10 * SEC);
	assert_true(s.p.n_dropped > 0);
}

static uint64_t bframes(uint64_t i, void *arg)
{
	/* A 25 fps .ts with B-frames: pictures come out of the decoder in uneven pairs. */
	(void)arg;
	return (i / 2) * 80 * MS + (i % 2) * 5 * MS;
}

static void test_bframes_at_higher_rate(void **state)
{
	static struct sim s;

	sim_run(&s, 15, bframes, NULL, 10 * SEC);
	assert_rate_capped(&s, 15);
	assert_steady(&s, 15, 10 * SEC);
}

static void test_on_time_frames_not_delayed(void **state)
{
	static struct sim s;
	uint64_t period = 66667;   /* the camera at the output rate */

	sim_run(&s, 15, every, &period, 10 * SEC);
	assert_rate_capped(&s, 15);
	assert_int_equal(s.repeats, 0);
	assert_int_equal(s.p.n_dropped, 0);
	for (int i = 0; i < s.n; i++)
		if (s.a[i] == PACE_NEW)
			assert_int_equal(s.lat[i], 0);
	/* A slower camera (10 fps into 15): each frame at once, repeats fill up to 15/s. */
	period = 100 * MS;
	sim_run(&s, 15, every, &period, 10 * SEC);
	assert_rate_capped(&s, 15);
	for (int i = 0; i < s.n; i++)
		if (s.a[i] == PACE_NEW)
			assert_int_equal(s.lat[i], 0);
	assert_steady(&s, 15, 10 * SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_clamps),
		cmocka_unit_test(test_new_frame_written_at_once),
		cmocka_unit_test(test_repeats_at_fps_when_stalled),
		cmocka_unit_test(test_placeholder_when_offline),
		cmocka_unit_test(test_back_online),
		cmocka_unit_test(test_stale_live_camera_shows_card),
		cmocka_unit_test(test_timeout_rounding),
		cmocka_unit_test(test_camera_faster_than_fps),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_bursts),
		cmocka_unit_test(test_bframes_at_higher_rate),
		cmocka_unit_test(test_on_time_frames_not_delayed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
