/* The frame marker: draw/read round trips over many counters and sizes (widths that are not
 * multiples of 32, padded strides), pictures without a marker read -1, raw image formats and
 * multi-picture files. */
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

#include "media/conv.h"
#include "media/marker.h"

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void test_roundtrip_sizes(void **state)
{
	static const int sizes[][2] = {
		{ 32, 16 }, { 33, 17 }, { 40, 30 }, { 100, 50 }, { 333, 200 }, { 320, 240 },
		{ 640, 360 }, { 642, 362 }, { 1279, 719 }, { 1920, 1080 }, { 2560, 1440 },
	};
	static const uint32_t fixed[] = { 0, 1, 2, 0x80000000u, 0xffffffffu, 0xaaaaaaaau, 0x55555555u,
					  0x0000ffffu, 0xffff0000u, 123456789u };

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int w = sizes[s][0], h = sizes[s][1];
		for (int pad = 0; pad <= 64; pad += 64) {
			int stride = w + pad;
			uint8_t *y = malloc((size_t)stride * h);
			for (size_t i = 0; i < (size_t)stride * h; i++)
				y[i] = (uint8_t)rng();   /* noise under and around the band */
			for (unsigned k = 0; k < 10 + 40; k++) {
				uint32_t c = k < 10 ? fixed[k] : rng();
				marker_draw(y, stride, w, h, c);
				assert_int_equal(marker_read(y, stride, w, h), (int64_t)c);
			}
			free(y);
		}
	}
	assert_int_equal(marker_band_height(1080), 67);
}

static void test_no_marker(void **state)
{
	int w = 320, h = 240;
	uint8_t *y = malloc((size_t)w * h);

	/* Random pictures. */
	for (int k = 0; k < 1000; k++) {
		for (int i = 0; i < w * h / 4; i++)
			((uint32_t *)y)[i] = rng();
		assert_int_equal(marker_read(y, w, w, h), -1);
	}
	/* Smooth random gradients (more camera-like than noise) in the mid tones. */
	for (int k = 0; k < 200; k++) {
		int a = 70 + (int)(rng() % 70), dx = (int)(rng() % 5) - 2, dy = (int)(rng() % 5) - 2;
		for (int r = 0; r < h; r++)
			for (int x = 0; x < w; x++)
				y[r * w + x] = (uint8_t)(a + dx * x / 16 + dy * r / 16);
		assert_int_equal(marker_read(y, w, w, h), -1);
	}
	/* Mid grey, and a marker with one cell smeared to grey. */
	memset(y, 128, (size_t)w * h);
	assert_int_equal(marker_read(y, w, w, h), -1);
	marker_draw(y, w, w, h, 0x12345678);
	assert_int_equal(marker_read(y, w, w, h), 0x12345678);
	for (int r = 0; r < h / 16; r++)
		memset(y + r * w + 5 * w / 32, 128, (size_t)(w / 32));
	assert_int_equal(marker_read(y, w, w, h), -1);
	/* Too small, NULL. */
	assert_int_equal(marker_read(y, w, 31, 100), -1);
	assert_int_equal(marker_read(y, w, 100, 15), -1);
	assert_int_equal(marker_read(NULL, w, w, h), -1);
	free(y);
}

/* Noise tolerance: codec-like error of a few levels keeps the counter. */
static void test_noisy_marker(void **state)
{
	int w = 640, h = 360;
	uint8_t *y = malloc((size_t)w * h);

	for (int k = 0; k < 100; k++) {
		uint32_t c = rng();
		memset(y, 100, (size_t)w * h);
		marker_draw(y, w, w, h, c);
		for (int i = 0; i < w * h; i++) {
			int v = y[i] + (int)(rng() % 21) - 10;
			y[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
		assert_int_equal(marker_read(y, w, w, h), (int64_t)c);
	}
	free(y);
}

static void fill_formats(int w, int h, uint32_t c, uint8_t *i420, uint8_t *yuyv, uint8_t *nv12)
{
	for (int i = 0; i < w * h * 3 / 2; i++)
		i420[i] = (uint8_t)rng();
	marker_draw_i420(i420, w, h, c);
	assert_int_equal(conv_i420_to_yuyv(i420, w, h, yuyv, (size_t)w * h * 2, w * 2), w * h * 2);
	assert_int_equal(conv_i420_to_nv12(i420, w, h, nv12, (size_t)w * h * 3 / 2, w),
			 w * h * 3 / 2);
}

static void test_read_image(void **state)
{
	int w = 322, h = 182;
	uint8_t *i420 = malloc((size_t)w * h * 3 / 2), *yuyv = malloc((size_t)w * h * 2);
	uint8_t *nv12 = malloc((size_t)w * h * 3 / 2);

	for (int k = 0; k < 20; k++) {
		uint32_t c = rng();
		fill_formats(w, h, c, i420, yuyv, nv12);
		assert_int_equal(marker_read_image(i420, (size_t)w * h * 3 / 2, w, h, "i420"), (int64_t)c);
		assert_int_equal(marker_read_image(yuyv, (size_t)w * h * 2, w, h, "yuyv"), (int64_t)c);
		assert_int_equal(marker_read_image(nv12, (size_t)w * h * 3 / 2, w, h, "nv12"), (int64_t)c);
	}
	/* Chroma in the band is neutral. */
	for (int x = 0; x < w / 2; x++)
		assert_int_equal(i420[w * h + x], 128);
	assert_int_equal(marker_read_image(i420, 100, w, h, "i420"), -EMSGSIZE);
	assert_int_equal(marker_read_image(i420, (size_t)w * h * 3 / 2, w, h, "rgb24"), -EINVAL);
	assert_int_equal(marker_read_image(i420, (size_t)w * h * 3 / 2, w, h, NULL), -EINVAL);
	assert_int_equal(marker_read_image(i420, (size_t)w * h * 3 / 2, 0, h, "i420"), -EINVAL);
	assert_int_equal(marker_image_size(w, h, "yuyv"), (size_t)w * h * 2);
	assert_int_equal(marker_image_size(w, h + 1, "i420"), 0);
	free(i420);
	free(yuyv);
	free(nv12);
}

struct seen {
	int n;
	int64_t got[16];
	int stop_at;
};

static int collect(void *opaque, uint64_t index, int64_t counter)
{
	struct seen *s = opaque;

	assert_int_equal(index, s->n);
	s->got[s->n++] = counter;
	return s->n == s->stop_at;
}

static void test_read_frames(void **state)
{
	const char *fmts[] = { "i420", "yuyv", "nv12" };
	int w = 160, h = 90;
	char path[] = "/tmp/cb-marker-XXXXXX";
	int fd = mkstemp(path);
	uint8_t *i420 = malloc((size_t)w * h * 3 / 2), *yuyv = malloc((size_t)w * h * 2);
	uint8_t *nv12 = malloc((size_t)w * h * 3 / 2);

	assert_true(fd >= 0);
	for (int f = 0; f < 3; f++) {
		FILE *fp = fopen(path, "wb");
		for (int i = 0; i < 10; i++) {
			fill_formats(w, h, 1000u + (uint32_t)i, i420, yuyv, nv12);
			if (i == 4)   /* one picture without a marker */
				memset(i420, 128, (size_t)w * h), memset(nv12, 128, (size_t)w * h),
				memset(yuyv, 128, (size_t)w * h * 2);
			const uint8_t *p = f == 0 ? i420 : f == 1 ? yuyv : nv12;
			fwrite(p, 1, marker_image_size(w, h, fmts[f]), fp);
		}
		fwrite(i420, 1, 100, fp);   /* trailing partial picture: ignored */
		fclose(fp);
		struct seen s = { 0 };
		assert_int_equal(marker_read_frames(path, w, h, fmts[f], collect, &s), 10);
		for (int i = 0; i < 10; i++)
			assert_int_equal(s.got[i], i == 4 ? -1 : 1000 + i);
		struct seen s2 = { .stop_at = 3 };
		assert_int_equal(marker_read_frames(path, w, h, fmts[f], collect, &s2), 3);
	}
	struct seen s3 = { 0 };
	assert_int_equal(marker_read_frames("/nonexistent", w, h, "i420", collect, &s3), -ENOENT);
	assert_int_equal(marker_read_frames(path, w, h, "bgr", collect, &s3), -EINVAL);
	close(fd);
	unlink(path);
	free(i420);
	free(yuyv);
	free(nv12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_sizes),
		cmocka_unit_test(test_no_marker),
		cmocka_unit_test(test_noisy_marker),
		cmocka_unit_test(test_read_image),
		cmocka_unit_test(test_read_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
