/* File pacing: packets go out at the file's rate — by time stamps, else by duration, else by
 * the frame rate — and hostile time stamps never make it spin or stall. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "source/src_fpace.h"

#define T0 1000000000ull
#define NO SRC_FPACE_NO_TS

static void test_raw_stream_by_duration(void **state)
{
	struct src_fpace p;

	/* A raw .h264: no time stamps, 40 ms durations. */
	src_fpace_init(&p, 25);
	assert_int_equal(src_fpace_next(&p, NO, 40000, T0), T0);   /* the first goes at once */
	for (int i = 1; i < 100; i++)
		assert_int_equal(src_fpace_next(&p, NO, 40000, T0), T0 + (uint64_t)i * 40000);
}

static void test_frame_rate_when_nothing_else(void **state)
{
	struct src_fpace p;

	src_fpace_init(&p, 10);
	src_fpace_next(&p, NO, 0, T0);
	assert_int_equal(src_fpace_next(&p, NO, 0, T0), T0 + 100000);
	src_fpace_init(&p, 0);    /* no rate known at all: 15 fps */
	src_fpace_next(&p, NO, 0, T0);
	assert_int_equal(src_fpace_next(&p, NO, 0, T0), T0 + 66666);
	src_fpace_init(&p, 1e9);  /* absurd */
	src_fpace_next(&p, NO, 0, T0);
	assert_int_equal(src_fpace_next(&p, NO, 0, T0), T0 + 66666);
}

static void test_time_stamps_win(void **state)
{
	struct src_fpace p;
	uint64_t due;

	/* Variable frame rate: 30 ms, then 70 ms, whatever the durations say. */
	src_fpace_init(&p, 25);
	src_fpace_next(&p, 5000000, 40000, T0);
	assert_int_equal(src_fpace_next(&p, 5030000, 40000, T0), T0 + 30000);
	assert_int_equal(src_fpace_next(&p, 5100000, 40000, T0), T0 + 100000);
	/* Backwards (a discontinuity): the duration. */
	due = src_fpace_next(&p, 1000, 40000, T0);
	assert_int_equal(due, T0 + 140000);
	/* A jump of an hour: not a pause of an hour. */
	assert_int_equal(src_fpace_next(&p, 3600000000ll, 40000, T0), T0 + 180000);
	/* The same time stamp again, or 1 µs later: never faster than SRC_FPACE_MIN_US. */
	assert_int_equal(src_fpace_next(&p, 3600000000ll, 0, T0), T0 + 220000);
	assert_int_equal(src_fpace_next(&p, 3600000001ll, 0, T0), T0 + 220000 + SRC_FPACE_MIN_US);
}

static void test_never_spins(void **state)
{
	struct src_fpace p;
	uint64_t prev = 0, due;

	/* Whatever a file holds, each packet is due at least SRC_FPACE_MIN_US after the last. */
	src_fpace_init(&p, 25);
	for (int i = 0; i < 1000; i++) {
		int64_t ts = (i * 7919) % 13 == 0 ? NO : (int64_t)((i * 104729) % 1000) - 500;
		due = src_fpace_next(&p, ts, (i % 3) - 1, T0);
		if (i)
			assert_true(due >= prev + SRC_FPACE_MIN_US);
		prev = due;
	}
}

static void test_late_restarts_clock(void **state)
{
	struct src_fpace p;

	src_fpace_init(&p, 25);
	src_fpace_next(&p, NO, 40000, T0);
	/* The reader stalled 5 s (suspend, slow disk): no burst of 125 frames to catch up. */
	assert_int_equal(src_fpace_next(&p, NO, 40000, T0 + 5000000), T0 + 5000000);
	assert_int_equal(src_fpace_next(&p, NO, 40000, T0 + 5000000), T0 + 5040000);
	/* Slightly late is caught up (the file keeps its rate on average). */
	assert_int_equal(src_fpace_next(&p, NO, 40000, T0 + 5100000), T0 + 5080000);
}

static void test_loop_keeps_rhythm(void **state)
{
	struct src_fpace p;

	src_fpace_init(&p, 25);
	src_fpace_next(&p, 0, 40000, T0);
	src_fpace_next(&p, 40000, 40000, T0);
	src_fpace_restart(&p);
	/* The file starts again at time stamp 0: one frame after the last one, not at once. */
	assert_int_equal(src_fpace_next(&p, 0, 40000, T0), T0 + 80000);
	assert_int_equal(src_fpace_next(&p, 40000, 40000, T0), T0 + 120000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_stream_by_duration),
		cmocka_unit_test(test_frame_rate_when_nothing_else),
		cmocka_unit_test(test_time_stamps_win),
		cmocka_unit_test(test_never_spins),
		cmocka_unit_test(test_late_restarts_clock),
		cmocka_unit_test(test_loop_keeps_rhythm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
