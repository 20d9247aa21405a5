/* Output pacing with a fake clock: new frames at once, repeats at fps while the camera is slow
 * or stalled, the placeholder at least once per second while it is down. */
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
	/* First picture: no waiting for the next slot. */
	assert_int_equal(pace_tick(&p, t + 2, 1, 1), PACE_NEW);
	/* Another picture 1 µs later (camera faster than fps): still immediately. */
	assert_int_equal(pace_tick(&p, t + 3, 2, 1), PACE_NEW);
	assert_int_equal(pace_tick(&p, t + 4, 2, 1), PACE_WAIT);
	/* The early frame banked one slot: the next repeat is due 1.5 intervals after it. */
	assert_int_equal(pace_timeout_ms(&p, t + 4, 1), 50);
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
	assert_int_equal(pace_tick(&p, t += MS, 4, 0), PACE_PLACEHOLDER);
	/* A picture decoded while the camera was reported down is not shown … */
	assert_int_equal(pace_tick(&p, t += MS, 5, 0), PACE_WAIT);
	/* … nor after it is back: still the card until a fresh picture arrives. */
	assert_int_equal(pace_tick(&p, t += MS, 5, 1), PACE_WAIT);
	assert_int_equal(pace_timeout_ms(&p, t, 1), 498);
	assert_int_equal(pace_tick(&p, t + 500 * MS, 5, 1), PACE_PLACEHOLDER);
	t += 500 * MS;
	assert_int_equal(pace_tick(&p, t += MS, 6, 1), PACE_NEW);
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
	assert_int_equal(pace_tick(&p, now + 501 * MS, 2, 1), PACE_NEW);
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
	/* Going down: the card is due at once. */
	assert_int_equal(pace_timeout_ms(&p, 1000, 0), 0);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
