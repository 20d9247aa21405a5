/* Conversion into hub frames: copy path, NV12 → I420, scaling (marker survives), full → limited
 * range, other formats through swscale; the YUYV / NV12 packers against libswscale. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include <libavutil/frame.h>
#include <libswscale/swscale.h>

#include "media/conv.h"
#include "media/marker.h"

static uint32_t rng_state = 777;

static uint8_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return (uint8_t)rng_state;
}

/* A frame with padded rows (linesize > width), random content. */
static AVFrame *new_avframe(int fmt, int w, int h)
{
	AVFrame *f = av_frame_alloc();

	f->format = fmt;
	f->width = w;
	f->height = h;
	assert_int_equal(av_frame_get_buffer(f, 64), 0);
	for (int p = 0; p < 4 && f->data[p]; p++) {
		int rows = p == 0 ? h : (fmt == AV_PIX_FMT_YUV422P ? h : (h + 1) / 2);
		for (int r = 0; r < rows; r++)
			for (int x = 0; x < f->linesize[p]; x++)
				f->data[p][r * f->linesize[p] + x] = rnd();
	}
	return f;
}

struct hubframe {
	struct frame f;
	uint8_t *buf;
};

static void hf_init(struct hubframe *h, int w, int ht)
{
	h->buf = malloc((size_t)w * ht * 3 / 2);
	memset(&h->f, 0, sizeof(h->f));
	h->f.width = w;
	h->f.height = ht;
	h->f.size = (size_t)w * ht * 3 / 2;
	h->f.data = h->buf;
}

static void test_copy_path(void **state)
{
	struct conv *c;
	struct hubframe h;
	int w = 322, ht = 182;
	AVFrame *f = new_avframe(AV_PIX_FMT_YUV420P, w, ht);

	assert_int_equal(conv_new(CONV_TO_LIMITED, &c), 0);
	hf_init(&h, w, ht);
	assert_int_equal(conv_frame(c, f, &h.f), 0);
	assert_int_equal(conv_last_path(c), CONV_PATH_COPY);
	assert_int_equal(h.f.full_range, 0);
	assert_int_equal(h.f.marker, -1);   /* random picture */
	for (int r = 0; r < ht; r++)
		assert_memory_equal(h.buf + r * w, f->data[0] + r * f->linesize[0], w);
	for (int r = 0; r < ht / 2; r++) {
		assert_memory_equal(h.buf + w * ht + r * w / 2, f->data[1] + r * f->linesize[1], w / 2);
		assert_memory_equal(h.buf + w * ht * 5 / 4 + r * w / 2, f->data[2] + r * f->linesize[2],
				    w / 2);
	}
	av_frame_free(&f);
	free(h.buf);
	conv_free(c);
}

/* NV12 (what hardware decoders hand over) → I420: the fast path equals swscale's output. */
static void test_nv12(void **state)
{
	struct conv *c;
	struct hubframe h;
	int w = 640, ht = 360;
	AVFrame *f = new_avframe(AV_PIX_FMT_NV12, w, ht);
	uint8_t *ref = malloc((size_t)w * ht * 3 / 2);
	struct SwsContext *sws = sws_getContext(w, ht, AV_PIX_FMT_NV12, w, ht, AV_PIX_FMT_YUV420P,
						SWS_POINT, NULL, NULL, NULL);
	uint8_t *rp[4] = { ref, ref + w * ht, ref + w * ht * 5 / 4, NULL };
	int rs[4] = { w, w / 2, w / 2, 0 };

	assert_int_equal(conv_new(CONV_TO_LIMITED, &c), 0);
	hf_init(&h, w, ht);
	assert_int_equal(conv_frame(c, f, &h.f), 0);
	assert_int_equal(conv_last_path(c), CONV_PATH_NV12);
	sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, ht, rp, rs);
	assert_memory_equal(h.buf, ref, (size_t)w * ht * 3 / 2);
	/* Spot-check the deinterleave by hand too. */
	assert_int_equal(h.buf[w * ht + 5], f->data[1][10]);
	assert_int_equal(h.buf[w * ht * 5 / 4 + 5], f->data[1][11]);
	sws_freeContext(sws);
	free(ref);
	av_frame_free(&f);
	free(h.buf);
	conv_free(c);
}

static void draw_marker_frame(AVFrame *f, uint32_t counter)
{
	for (int p = 0; p < 3; p++) {
		int rows = p ? f->height / 2 : f->height;
		for (int r = 0; r < rows; r++)
			memset(f->data[p] + r * f->linesize[p], p ? 128 : 90, f->linesize[p]);
	}
	marker_draw(f->data[0], f->linesize[0], f->width, f->height, counter);
}

static void test_scaling(void **state)
{
	static const int sizes[][4] = {
		{ 1920, 1080, 640, 360 }, { 1280, 720, 1920, 1080 }, { 640, 480, 320, 240 },
		{ 2560, 1920, 1280, 720 }, { 1920, 1080, 1280, 720 },
	};
	struct conv *c;

	assert_int_equal(conv_new(CONV_TO_LIMITED, &c), 0);
	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct hubframe h;
		AVFrame *f = new_avframe(AV_PIX_FMT_YUV420P, sizes[s][0], sizes[s][1]);
		hf_init(&h, sizes[s][2], sizes[s][3]);
		for (uint32_t k = 0; k < 3; k++) {
			uint32_t counter = 0xc0ffee00u + k * 77777;
			draw_marker_frame(f, counter);
			assert_int_equal(conv_frame(c, f, &h.f), 0);
			assert_int_equal(conv_last_path(c), CONV_PATH_SWS);
			assert_int_equal(marker_read(h.buf, h.f.width, h.f.width, h.f.height),
					 (int64_t)counter);
			assert_int_equal(h.f.marker, (int64_t)counter);
			/* The flat grey below the band stays grey. */
			assert_true(abs(h.buf[(h.f.height - 1) * h.f.width + 7] - 90) <= 1);
		}
		av_frame_free(&f);
		free(h.buf);
	}
	conv_free(c);
}

static void test_full_to_limited(void **state)
{
	struct conv *c, *keep;
	struct hubframe h;
	int w = 64, ht = 32;

	assert_int_equal(conv_new(CONV_TO_LIMITED, &c), 0);
	assert_int_equal(conv_new(CONV_KEEP_RANGE, &keep), 0);
	hf_init(&h, w, ht);
	for (int fmt = 0; fmt < 3; fmt++) {
		/* yuvj420p, yuv420p flagged JPEG range, and nv12 flagged JPEG range. */
		int pf = fmt == 0 ? AV_PIX_FMT_YUVJ420P : fmt == 1 ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_NV12;
		AVFrame *f = new_avframe(pf, w, ht);
		if (fmt)
			f->color_range = AVCOL_RANGE_JPEG;
		for (int r = 0; r < ht; r++)
			for (int x = 0; x < w; x++)
				f->data[0][r * f->linesize[0] + x] = x < w / 2 ? 0 : 255;
		for (int p = 1; p < (fmt == 2 ? 2 : 3); p++)
			for (int r = 0; r < ht / 2; r++)
				for (int x = 0; x < (fmt == 2 ? w : w / 2); x++)
					f->data[p][r * f->linesize[p] + x] = (x / 4) % 2 ? 255 : 0;
		assert_int_equal(conv_frame(c, f, &h.f), 0);
		assert_int_equal(conv_last_path(c), fmt == 2 ? CONV_PATH_NV12 : CONV_PATH_COPY);
		assert_int_equal(h.f.full_range, 0);
		for (int x = 0; x < w; x++)
			assert_int_equal(h.buf[5 * w + x], x < w / 2 ? 16 : 235);
		for (int i = 0; i < w * ht / 2; i++)
			assert_true(h.buf[w * ht + i] == 16 || h.buf[w * ht + i] == 240);
		/* Keep mode: untouched, flagged full. */
		assert_int_equal(conv_frame(keep, f, &h.f), 0);
		assert_int_equal(h.f.full_range, 1);
		assert_int_equal(h.buf[5 * w], 0);
		assert_int_equal(h.buf[5 * w + w - 1], 255);
		av_frame_free(&f);
	}
	/* Every level: within 1 of the exact mapping, ends and neutral chroma exact. */
	{
		AVFrame *g = new_avframe(AV_PIX_FMT_YUVJ420P, 256, 2);
		for (int x = 0; x < 256; x++)
			g->data[0][x] = g->data[0][g->linesize[0] + x] = (uint8_t)x;
		for (int x = 0; x < 128; x++)
			g->data[1][x] = g->data[2][x] = (uint8_t)(2 * x + (x == 64 ? 0 : 1));
		struct hubframe gh;
		hf_init(&gh, 256, 2);
		assert_int_equal(conv_frame(c, g, &gh.f), 0);
		for (int x = 0; x < 256; x++)
			assert_true(abs(gh.buf[x] - (16 + (x * 219 + 127) / 255)) <= 1);
		assert_int_equal(gh.buf[0], 16);
		assert_int_equal(gh.buf[255], 235);
		for (int x = 0; x < 128; x++) {
			int in = g->data[1][x], exact = 128 + (int)((in - 128) * 224.0 / 255.0 + (in >= 128 ? 0.5 : -0.5));
			assert_true(abs(gh.buf[512 + x] - exact) <= 1);
			assert_true(abs(gh.buf[512 + 128 + x] - exact) <= 1);
		}
		assert_int_equal(gh.buf[512 + 64], 128);
		av_frame_free(&g);
		free(gh.buf);
	}
	/* Scaled: swscale does the range conversion. */
	AVFrame *f = new_avframe(AV_PIX_FMT_YUVJ420P, 2 * w, 2 * ht);
	for (int r = 0; r < 2 * ht; r++)
		memset(f->data[0] + r * f->linesize[0], r < ht ? 0 : 255, 2 * w);
	for (int p = 1; p < 3; p++)
		for (int r = 0; r < ht; r++)
			memset(f->data[p] + r * f->linesize[p], 128, w);
	assert_int_equal(conv_frame(c, f, &h.f), 0);
	assert_int_equal(conv_last_path(c), CONV_PATH_SWS);
	assert_int_equal(h.f.full_range, 0);
	assert_true(abs(h.buf[2 * w + 3] - 16) <= 1);
	assert_true(abs(h.buf[(ht - 2) * w + 3] - 235) <= 1);
	assert_true(abs(h.buf[w * ht + 3] - 128) <= 1);
	assert_int_equal(conv_frame(keep, f, &h.f), 0);
	assert_int_equal(h.f.full_range, 1);
	assert_true(h.buf[2 * w + 3] <= 1);
	assert_true(h.buf[(ht - 2) * w + 3] >= 254);
	av_frame_free(&f);
	free(h.buf);
	conv_free(c);
	conv_free(keep);
}

static void test_other_formats(void **state)
{
	struct conv *c;
	struct hubframe h;
	int w = 320, ht = 240;
	AVFrame *f = new_avframe(AV_PIX_FMT_YUV422P, w, ht);

	assert_int_equal(conv_new(CONV_TO_LIMITED, &c), 0);
	hf_init(&h, w, ht);
	draw_marker_frame(f, 0xdeadbeef);
	assert_int_equal(conv_frame(c, f, &h.f), 0);
	assert_int_equal(conv_last_path(c), CONV_PATH_SWS);
	assert_int_equal(marker_read(h.buf, w, w, ht), 0xdeadbeef);
	/* Cached context reused, then size change rebuilds it. */
	assert_int_equal(conv_frame(c, f, &h.f), 0);
	av_frame_free(&f);
	/* Bad input. */
	struct frame bad = h.f;
	bad.width = 321;
	f = new_avframe(AV_PIX_FMT_YUV420P, w, ht);
	assert_int_equal(conv_frame(c, f, &bad), -EINVAL);
	bad = h.f;
	bad.size = 10;
	assert_int_equal(conv_frame(c, f, &bad), -EINVAL);
	assert_int_equal(conv_frame(c, NULL, &h.f), -EINVAL);
	f->format = AV_PIX_FMT_VAAPI;
	assert_int_equal(conv_frame(c, f, &h.f), -ENOTSUP);
	f->format = AV_PIX_FMT_YUV420P;
	av_frame_free(&f);
	free(h.buf);
	conv_free(c);
}

static void sws_pack(const uint8_t *i420, int w, int h, int dfmt, uint8_t *dst, int bpl)
{
	struct SwsContext *sws = sws_getContext(w, h, AV_PIX_FMT_YUV420P, w, h, dfmt,
						SWS_FAST_BILINEAR, NULL, NULL, NULL);
	const uint8_t *sp[4] = { i420, i420 + w * h, i420 + w * h * 5 / 4, NULL };
	int ss[4] = { w, w / 2, w / 2, 0 };
	uint8_t *dp[4] = { dst, dst + bpl * h, NULL, NULL };
	int ds[4] = { bpl, bpl, 0, 0 };

	assert_non_null(sws);
	sws_scale(sws, sp, ss, 0, h, dp, ds);
	sws_freeContext(sws);
}

static void test_packers(void **state)
{
	static const int sizes[][2] = { { 640, 360 }, { 322, 182 }, { 1920, 1080 }, { 2, 2 } };

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int w = sizes[s][0], h = sizes[s][1];
		uint8_t *i420 = malloc((size_t)w * h * 3 / 2);
		for (int i = 0; i < w * h * 3 / 2; i++)
			i420[i] = rnd();
		for (int pad = 0; pad <= 32; pad += 32) {
			int bpl = 2 * w + pad;
			size_t sz = (size_t)bpl * h;
			uint8_t *a = malloc(sz), *b = malloc(sz + 64);   /* swscale may write past the end */
			memset(a, 0xee, sz);
			memset(b, 0xee, sz);
			assert_int_equal(conv_i420_to_yuyv(i420, w, h, a, sz, bpl), (int)sz);
			sws_pack(i420, w, h, AV_PIX_FMT_YUYV422, b, bpl);
			for (int r = 0; r < h; r++)
				assert_memory_equal(a + r * bpl, b + r * bpl, 2 * w);
			if (pad)   /* row padding is not touched */
				assert_int_equal(a[2 * w], 0xee);
			assert_int_equal(conv_i420_to_yuyv(i420, w, h, a, sz - 1, bpl), -ENOSPC);
			assert_int_equal(conv_i420_to_yuyv(i420, w, h, a, sz, 2 * w - 2), -EINVAL);
			free(a);
			free(b);

			bpl = w + pad;
			sz = (size_t)bpl * h * 3 / 2;
			a = malloc(sz);
			b = malloc(sz + 64);
			assert_int_equal(conv_i420_to_nv12(i420, w, h, a, sz, bpl), (int)sz);
			sws_pack(i420, w, h, AV_PIX_FMT_NV12, b, bpl);
			for (int r = 0; r < h * 3 / 2; r++)
				assert_memory_equal(a + r * bpl, b + r * bpl, w);
			assert_int_equal(conv_i420_to_nv12(i420, w, h, a, sz - 1, bpl), -ENOSPC);
			assert_int_equal(conv_i420_to_nv12(i420, w, h + 1, a, sz, bpl), -EINVAL);
			assert_int_equal(conv_i420_to_nv12(NULL, w, h, a, sz, bpl), -EINVAL);
			free(a);
			free(b);
		}
		free(i420);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_path),
		cmocka_unit_test(test_nv12),
		cmocka_unit_test(test_scaling),
		cmocka_unit_test(test_full_to_limited),
		cmocka_unit_test(test_other_formats),
		cmocka_unit_test(test_packers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
