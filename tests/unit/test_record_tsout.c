/* The shared MPEG-TS output (record/tsout.c) with slow readers: a reader that keeps up gets
 * the stream all along while another that stopped reading is dropped (-ENOBUFS) once it is
 * more than max_lag behind, or once the writer would overwrite what it has not read; a
 * dropped reader is counted once and stays dropped.  Real H.264 parameter sets, dummy
 * slices: nothing is decoded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <cmocka.h>

#include <libavutil/log.h>

#include "tu_h264.h"
#include "record/tap.h"
#include "record/tsout.h"
#include "util/clock.h"

static uint8_t au_buf[128 * 1024], rd_buf[64 * 1024];

static void feed(struct tap *tap, unsigned n, int key, size_t len)
{
	tu_h264_feed(tap, au_buf, sizeof(au_buf), n, key, len);
}

/* Reads what is there (after giving the muxer thread a moment): bytes, or a negative errno. */
static ssize_t drain(struct ts_reader *r)
{
	ssize_t n, total = 0;

	usleep(2000);
	while ((n = tsout_read(r, rd_buf, sizeof(rd_buf))) > 0)
		total += n;
	return n < 0 ? n : total;
}

static void setup(struct tap **tap, struct tsout **ts)
{
	char err[128];

	assert_int_equal(tap_new(tap, 2000000, 32 << 20), 0);
	tu_h264_video_only(*tap, au_buf, sizeof(au_buf));
	assert_int_equal(tsout_start(ts, *tap, NULL, NULL, err, sizeof(err)), 0);
}

/* 25 fps, keyframe every 5th: B reads at first, then stops; A reads all along. */
static void test_stopped_reader_dropped_after_max_lag(void **state)
{
	struct tap *tap;
	struct tsout *ts;
	struct ts_reader *a, *b;
	uint64_t dropped, aus;
	ssize_t ra, total_a = 0, total_b = 0;
	int readers;

	setup(&tap, &ts);
	tsout_set_max_lag(ts, 1000000);
	assert_int_equal(tsout_reader_open(ts, &a), 0);
	assert_int_equal(tsout_reader_open(ts, &b), 0);
	for (unsigned n = 0; n < 100; n++) {       /* 4 s */
		feed(tap, n, n % 5 == 0, 2000);
		assert_true((ra = drain(a)) >= 0);  /* A never falls behind, never dropped */
		total_a += ra;
		if (n < 25) {                       /* then B stops reading */
			ssize_t rb = drain(b);
			assert_true(rb >= 0);
			total_b += rb;
		}
		usleep(40000 - 2000);
	}
	assert_true(total_b > 10000);   /* B had the stream while it read */
	assert_true(total_a > 100 * 2000);
	/* B is 3 s behind now: dropped on its next read, and so on after. */
	assert_int_equal(drain(b), -ENOBUFS);
	assert_int_equal(tsout_read(b, rd_buf, sizeof(rd_buf)), -ENOBUFS);
	tsout_counts(ts, &readers, &dropped, &aus);
	assert_int_equal(readers, 2);    /* until the HTTP side closes it */
	assert_int_equal(dropped, 1);
	assert_true(aus >= 90);
	tsout_reader_close(b);
	tsout_reader_close(a);
	tsout_counts(ts, &readers, &dropped, &aus);
	assert_int_equal(readers, 0);
	tsout_stop(ts);
	tap_free(tap);
}

/* A reader just behind the live stream (less than max_lag) is not dropped. */
static void test_reader_within_lag_kept(void **state)
{
	struct tap *tap;
	struct tsout *ts;
	struct ts_reader *b;
	ssize_t got;

	setup(&tap, &ts);
	tsout_set_max_lag(ts, 5000000);
	assert_int_equal(tsout_reader_open(ts, &b), 0);
	for (unsigned n = 0; n < 25; n++) {        /* 1 s, read only at the end */
		feed(tap, n, n % 5 == 0, 2000);
		usleep(40000);
	}
	got = drain(b);
	assert_true(got > 25 * 2000);
	tsout_reader_close(b);
	tsout_stop(ts);
	tap_free(tap);
}

/* The lag by time is off (1 h): a reader that stopped is dropped before the writer laps it
 * in the 8 MiB ring, while the one that reads keeps going. */
static void test_stopped_reader_dropped_before_overwrite(void **state)
{
	struct tap *tap;
	struct tsout *ts;
	struct ts_reader *a, *b;
	uint64_t dropped, aus;
	size_t total_a = 0;
	int readers;

	setup(&tap, &ts);
	tsout_set_max_lag(ts, 3600ull * 1000000u);
	assert_int_equal(tsout_reader_open(ts, &a), 0);
	assert_int_equal(tsout_reader_open(ts, &b), 0);
	feed(tap, 0, 1, 1000);
	assert_true(drain(b) > 0);
	for (unsigned n = 1; total_a < TSOUT_RING_BYTES + (1u << 20); n++) {
		ssize_t ra;

		feed(tap, n, n % 10 == 0, 100000);
		for (int w = 0; (ra = drain(a)) == 0 && w < 1000; w++)
			;   /* the muxer is a thread: wait for this AU */
		assert_true(ra > 0);
		total_a += (size_t)ra;
		assert_true(n < 200);
	}
	assert_int_equal(drain(b), -ENOBUFS);
	tsout_counts(ts, &readers, &dropped, &aus);
	assert_int_equal(dropped, 1);
	tsout_reader_close(a);
	tsout_reader_close(b);
	tsout_stop(ts);
	tap_free(tap);
}

int main(void)
{
	av_log_set_level(AV_LOG_QUIET);   /* dummy slices: the parser has things to say */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stopped_reader_dropped_after_max_lag),
		cmocka_unit_test(test_reader_within_lag_kept),
		cmocka_unit_test(test_stopped_reader_dropped_before_overwrite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
