/* The pre-roll ring and the per-consumer AU queue: the ring starts at a keyframe, keeps
 * pre_seconds behind the newest AU (from the keyframe at or before that point), stays within
 * its byte bound; the queue never blocks, drops to the next keyframe, waits for one after a
 * loss; the tap replays the ring to a new subscriber and hands it the parameter sets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include <libavutil/buffer.h>

#include "record/aufifo.h"
#include "record/preroll.h"
#include "record/tap.h"
#include "util/clock.h"

#define FPS_US 100000u   /* 10 fps */

/* AU number n (tag = n & 0xff), keyframe every `gop`, at n * 100 ms. */
static struct rec_au make_au(unsigned n, unsigned gop, size_t len)
{
	struct rec_au a = { .len = len, .codec = AU_H264, .keyframe = n % gop == 0,
			    .t_us = 1000000u + (uint64_t)n * FPS_US };

	a.buf = av_buffer_alloc(len);
	assert_non_null(a.buf);
	memset(a.buf->data, (int)(n & 0xff), len);
	return a;
}

static int add(struct preroll *p, unsigned n, unsigned gop, size_t len)
{
	struct rec_au a = make_au(n, gop, len);
	int r = preroll_add(p, &a);

	av_buffer_unref(&a.buf);
	return r;
}

static unsigned tag(const struct preroll *p, unsigned i)
{
	return preroll_at(p, i)->buf->data[0];
}

static void test_starts_at_keyframe(void **state)
{
	struct preroll p;

	assert_int_equal(preroll_init(&p, 5000000, 1 << 20, 256), 0);
	/* Joined mid-GOP: AUs 3..9 are refused, the ring begins at 10. */
	for (unsigned n = 3; n < 10; n++)
		assert_int_equal(add(&p, n, 10, 100), 0);
	assert_int_equal(p.count, 0);
	assert_int_equal(add(&p, 10, 10, 100), 1);
	assert_int_equal(add(&p, 11, 10, 100), 1);
	assert_int_equal(p.count, 2);
	assert_true(preroll_at(&p, 0)->keyframe);
	assert_int_equal(tag(&p, 0), 10);
	preroll_fini(&p);
}

static void test_pre_seconds_trimming(void **state)
{
	struct preroll p;

	/* 2 s window, 10 fps, keyframe every 10 AUs (1 s). */
	assert_int_equal(preroll_init(&p, 2000000, 1 << 20, 256), 0);
	for (unsigned n = 0; n <= 100; n++) {
		assert_int_equal(add(&p, n, 10, 100), 1);
		assert_true(preroll_at(&p, 0)->keyframe);
		/* At least 2 s behind the newest once that much was seen, less than 2 s + one GOP. */
		if (n >= 20)
			assert_true(preroll_span(&p) >= 2000000);
		assert_true(preroll_span(&p) < 3000000);
	}
	/* Newest is 100: the newest keyframe at or before 100 - 20 = 80 is 80. */
	assert_int_equal(tag(&p, 0), 80);
	assert_int_equal(p.count, 21);
	assert_int_equal(add(&p, 101, 10, 100), 1);
	assert_int_equal(tag(&p, 0), 80);   /* 90 is only 1.1 s old: 80 stays */
	assert_int_equal(p.dropped, 0);
	preroll_fini(&p);
}

static void test_byte_bound(void **state)
{
	struct preroll p;

	/* 10 s wanted but only 3000 bytes: 1000-byte AUs, GOP 2. */
	assert_int_equal(preroll_init(&p, 10000000, 3000, 256), 0);
	for (unsigned n = 0; n < 40; n++) {
		assert_int_equal(add(&p, n, 2, 1000), 1);
		assert_true(p.bytes <= 3000);
		assert_true(preroll_at(&p, 0)->keyframe);
	}
	assert_true(p.count >= 2);
	assert_int_equal(tag(&p, p.count - 1), 39);
	assert_true(p.dropped > 0);
	/* One GOP larger than the bound: emptied, P-frames refused until the next keyframe. */
	preroll_clear(&p);
	assert_int_equal(add(&p, 100, 100, 2000), 1);
	assert_int_equal(add(&p, 101, 100, 2000), 0);
	assert_int_equal(p.count, 0);
	assert_int_equal(add(&p, 102, 100, 100), 0);
	assert_int_equal(add(&p, 200, 100, 100), 1);
	/* An AU above the bound on its own is never kept. */
	assert_int_equal(add(&p, 300, 100, 4000), 0);
	preroll_fini(&p);
}

static void test_gap_and_codec_change_empty_it(void **state)
{
	struct preroll p;
	struct rec_au a;

	assert_int_equal(preroll_init(&p, 5000000, 1 << 20, 256), 0);
	for (unsigned n = 0; n < 5; n++)
		add(&p, n, 10, 100);
	a = make_au(5, 10, 100);
	a.gap = 1;
	assert_int_equal(preroll_add(&p, &a), 0);   /* a P-frame after a loss decodes from nothing */
	av_buffer_unref(&a.buf);
	assert_int_equal(p.count, 0);
	add(&p, 10, 10, 100);
	a = make_au(20, 10, 100);
	a.codec = AU_H265;
	assert_int_equal(preroll_add(&p, &a), 1);
	av_buffer_unref(&a.buf);
	assert_int_equal(p.count, 1);
	assert_int_equal(preroll_at(&p, 0)->codec, AU_H265);
	preroll_fini(&p);
}

static void test_aufifo(void **state)
{
	struct aufifo f;
	struct rec_au a, out;

	assert_int_equal(aufifo_init(&f, 3000, 64), 0);
	a = make_au(1, 10, 100);     /* not a keyframe: a consumer starts at one */
	aufifo_push(&f, &a);
	av_buffer_unref(&a.buf);
	assert_int_equal(aufifo_pop(&f, &out, 0), 0);
	for (unsigned n = 10; n < 13; n++) {
		a = make_au(n, 10, 100);
		aufifo_push(&f, &a);
		av_buffer_unref(&a.buf);
	}
	/* Popped empty, then a P-frame: still queued (a queue is not a ring). */
	for (unsigned n = 10; n < 13; n++) {
		assert_int_equal(aufifo_pop(&f, &out, 0), 1);
		assert_int_equal(out.buf->data[0], n);
		av_buffer_unref(&out.buf);
	}
	a = make_au(13, 10, 100);
	aufifo_push(&f, &a);
	av_buffer_unref(&a.buf);
	assert_int_equal(aufifo_pop(&f, &out, 0), 1);
	assert_int_equal(out.buf->data[0], 13);
	av_buffer_unref(&out.buf);
	/* Nobody pops: 1000-byte AUs, GOP 2; the producer never waits, oldest GOPs go. */
	for (unsigned n = 20; n < 40; n++) {
		a = make_au(n, 2, 1000);
		aufifo_push(&f, &a);
		av_buffer_unref(&a.buf);
	}
	assert_true(aufifo_dropped(&f) > 0);
	assert_int_equal(aufifo_pop(&f, &out, 0), 1);
	assert_true(out.keyframe);
	assert_true(out.gap);
	assert_true(out.buf->data[0] >= 36);
	av_buffer_unref(&out.buf);
	aufifo_close(&f);
	while (aufifo_pop(&f, &out, 0) == 1)
		av_buffer_unref(&out.buf);
	assert_int_equal(aufifo_pop(&f, &out, 0), -EPIPE);
	aufifo_fini(&f);
}

/* An H.264 IDR access unit: SPS (64x48, from x264), PPS, then the start of an IDR slice. */
static const uint8_t idr[] = {
	0x00, 0x00, 0x00, 0x01, 0x67, 0x42, 0xc0, 0x0a, 0xd9, 0x04, 0x7b, 0x01, 0x10, 0x00, 0x00,
	0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x01, 0x40, 0xf1, 0x22, 0x64, 0x80,
	0x00, 0x00, 0x00, 0x01, 0x68, 0xcb, 0x83, 0xcb, 0x20,
	0x00, 0x00, 0x00, 0x01, 0x65, 0x88, 0x84, 0x00, 0x33, 0xff,
};

static void test_tap_replays_and_params(void **state)
{
	struct tap *t;
	struct tap_params tp;
	struct aufifo f;
	struct rec_au out;
	uint8_t p[50];
	struct au au = { .data = idr, .len = sizeof(idr), .codec = AU_H264, .keyframe = 1,
			 .recv_us = 1000 };
	uint64_t aus, dropped;

	memset(p, 0, sizeof(p));
	p[3] = 1;
	p[4] = 0x41;
	uint64_t now = clock_mono_us();

	assert_int_equal(tap_new(&t, 5000000, 1 << 20), 0);
	assert_int_equal(tap_get_params(t, &tp), -EAGAIN);
	au.recv_us = now;
	tap_feed(t, &au);
	for (int i = 0; i < 4; i++) {
		struct au pa = { .data = p, .len = sizeof(p), .codec = AU_H264,
				 .recv_us = now + 1000 + (uint64_t)i * 1000 };
		p[10] = (uint8_t)i;
		tap_feed(t, &pa);
	}
	assert_int_equal(tap_get_params(t, &tp), 0);
	assert_int_equal(tp.codec, AU_H264);
	assert_int_equal(tp.extradata_len, 27 + 9);   /* SPS + PPS with their start codes */
	assert_memory_equal(tp.extradata, idr, tp.extradata_len);
	assert_int_equal(tp.width, 64);
	assert_int_equal(tp.height, 48);
	/* A new subscriber gets the ring (from the keyframe) then the live AUs, in order. */
	assert_int_equal(aufifo_init(&f, 1 << 20, 64), 0);
	assert_int_equal(tap_subscribe(t, aufifo_tap, &f, TAP_PREROLL), 0);
	p[10] = 9;
	au.data = p;
	au.len = sizeof(p);
	au.keyframe = 0;
	au.recv_us = now + 9000;
	tap_feed(t, &au);
	tap_unsubscribe(t, aufifo_tap, &f);
	tap_feed(t, &au);
	assert_int_equal(aufifo_pop(&f, &out, 0), 1);
	assert_true(out.keyframe);
	assert_int_equal(out.len, sizeof(idr));
	av_buffer_unref(&out.buf);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(aufifo_pop(&f, &out, 0), 1);
		assert_int_equal(out.buf->data[10], i);
		av_buffer_unref(&out.buf);
	}
	assert_int_equal(aufifo_pop(&f, &out, 0), 1);
	assert_int_equal(out.buf->data[10], 9);
	av_buffer_unref(&out.buf);
	assert_int_equal(aufifo_pop(&f, &out, 0), 0);   /* unsubscribed: nothing more */
	tap_counts(t, &aus, &dropped);
	assert_int_equal(aus, 7);
	aufifo_fini(&f);
	tap_free(t);
}

/* A stream that stopped seconds ago (camera asleep): its pre-roll is not replayed. */
static void test_tap_stale_preroll_not_replayed(void **state)
{
	struct tap *t;
	struct aufifo f;
	struct rec_au out;
	struct au au = { .data = idr, .len = sizeof(idr), .codec = AU_H264, .keyframe = 1,
			 .recv_us = clock_mono_us() - 60000000ull };

	assert_int_equal(tap_new(&t, 5000000, 1 << 20), 0);
	tap_feed(t, &au);
	au.recv_us += 40000;
	tap_feed(t, &au);
	assert_int_equal(aufifo_init(&f, 1 << 20, 64), 0);
	assert_int_equal(tap_subscribe(t, aufifo_tap, &f, TAP_PREROLL), 0);
	assert_int_equal(aufifo_pop(&f, &out, 0), 0);
	tap_unsubscribe(t, aufifo_tap, &f);
	aufifo_fini(&f);
	tap_free(t);
}

/* AUs a new TAP_PREROLL subscriber is handed. */
static int replayed(struct tap *t)
{
	struct aufifo f;
	struct rec_au out;
	int n = 0;

	assert_int_equal(aufifo_init(&f, 1 << 20, 256), 0);
	assert_int_equal(tap_subscribe(t, aufifo_tap, &f, TAP_PREROLL), 0);
	tap_unsubscribe(t, aufifo_tap, &f);
	while (aufifo_pop(&f, &out, 0) == 1) {
		av_buffer_unref(&out.buf);
		n++;
	}
	aufifo_fini(&f);
	return n;
}

/* A reload narrows the pre-roll of the running tap: from the next AU on it keeps less. */
static void test_tap_set_window(void **state)
{
	struct tap *t;
	struct au au = { .data = idr, .len = sizeof(idr), .codec = AU_H264, .keyframe = 1 };
	uint64_t now = clock_mono_us();

	assert_int_equal(tap_new(&t, 5000000, 1 << 20), 0);
	for (int i = 0; i < 20; i++) {    /* 2 s of keyframes, 100 ms apart, ending now */
		au.recv_us = now - 2000000 + (uint64_t)i * FPS_US;
		tap_feed(t, &au);
	}
	assert_int_equal(replayed(t), 20);
	tap_set_window(t, 300000, 1 << 20);
	au.recv_us = now;
	tap_feed(t, &au);
	assert_int_equal(replayed(t), 4);   /* newest, and back to 300 ms before it */
	tap_set_window(t, 5000000, 2 * sizeof(idr));
	tap_feed(t, &au);
	assert_int_equal(replayed(t), 2);   /* the byte bound */
	tap_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starts_at_keyframe),
		cmocka_unit_test(test_pre_seconds_trimming),
		cmocka_unit_test(test_byte_bound),
		cmocka_unit_test(test_gap_and_codec_change_empty_it),
		cmocka_unit_test(test_aufifo),
		cmocka_unit_test(test_tap_replays_and_params),
		cmocka_unit_test(test_tap_stale_preroll_not_replayed),
		cmocka_unit_test(test_tap_set_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
