/* The placeholder card (non-uniform, text present, no marker, flags) at several sizes, with
 * and without a background image; image loading of PNG/JPEG made here with libavcodec, and
 * refusal of garbage, damaged, oversized and huge files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <libavcodec/avcodec.h>

#include "media/img.h"
#include "media/marker.h"
#include "media/placeholder.h"
#include "util/rfile.h"

static struct frame *new_frame(int w, int h)
{
	struct frame *f = calloc(1, sizeof(*f));

	f->width = w;
	f->height = h;
	f->size = (size_t)w * h * 3 / 2;
	f->data = malloc(f->size);
	f->marker = 1234;
	return f;
}

static void free_frame(struct frame *f)
{
	free(f->data);
	free(f);
}

/* Text pixels (Y = 235) in rows [y0, y1). */
static long text_pixels(const struct frame *f, int y0, int y1)
{
	long n = 0;

	for (int y = y0; y < y1; y++)
		for (int x = 0; x < f->width; x++)
			n += f->data[(size_t)y * f->width + x] == 235;
	return n;
}

static void test_placeholder_sizes(void **state)
{
	static const int sizes[][2] = { { 1920, 1080 }, { 1280, 720 }, { 640, 360 }, { 640, 480 },
					{ 320, 240 }, { 160, 90 }, { 32, 16 } };

	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int w = sizes[s][0], h = sizes[s][1];
		struct frame *f = new_frame(w, h);
		assert_int_equal(ph_render(f, "Front Door", "offline", NULL), 0);
		assert_int_equal(f->placeholder, 1);
		assert_int_equal(f->marker, -1);
		assert_int_equal(f->full_range, 0);
		/* Dark background, bright text in the name's area, not uniform. */
		assert_int_equal(f->data[0], PH_BG_Y);
		assert_int_equal(f->data[(size_t)w * h - 1], PH_BG_Y);
		long name_px = text_pixels(f, 0, h / 2);
		assert_true(name_px > (long)w * h / 400);
		/* The state line is drawn too (its own colour, below the name). */
		long state_px = 0;
		for (int y = h / 2; y < h; y++)
			for (int x = 0; x < w; x++)
				state_px += f->data[(size_t)y * w + x] != PH_BG_Y;
		assert_true(state_px > (long)w * h / 400);
		/* Never mistaken for a frame marker. */
		assert_int_equal(marker_read(f->data, w, w, h), -1);
		print_message("%dx%d: name %ld px, state %ld px\n", w, h, name_px, state_px);
		free_frame(f);
	}
}

static void test_placeholder_text(void **state)
{
	struct frame *f = new_frame(640, 360), *g = new_frame(640, 360);
	char longname[300];

	assert_int_equal(ph_render(f, "A", "sleeping", NULL), 0);
	assert_int_equal(ph_render(g, "B", "sleeping", NULL), 0);
	assert_memory_not_equal(f->data, g->data, f->size);   /* the name is drawn */
	assert_int_equal(ph_render(g, "A", "wrong password", NULL), 0);
	assert_memory_not_equal(f->data, g->data, f->size);   /* the state is drawn */
	/* Long, empty, non-ASCII and NULL strings are fine. */
	memset(longname, 'W', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	assert_int_equal(ph_render(f, longname, "connecting", NULL), 0);
	assert_int_equal(ph_render(f, "", "", NULL), 0);
	assert_int_equal(ph_render(f, "Caf\xc3\xa9", NULL, NULL), 0);
	assert_int_equal(ph_render(f, NULL, "offline", NULL), 0);
	/* Bad frames. */
	f->width = 641;
	assert_int_equal(ph_render(f, "x", "y", NULL), -EINVAL);
	f->width = 640;
	f->size = 100;
	assert_int_equal(ph_render(f, "x", "y", NULL), -EINVAL);
	assert_int_equal(ph_render(NULL, "x", "y", NULL), -EINVAL);
	free_frame(f);
	free_frame(g);
}

/* Encodes one picture with libavcodec's PNG or MJPEG encoder. */
static uint8_t *make_image(enum AVCodecID id, int w, int h, size_t *len)
{
	const AVCodec *c = avcodec_find_encoder(id);
	AVCodecContext *ctx = avcodec_alloc_context3(c);
	AVFrame *f = av_frame_alloc();
	AVPacket *pkt = av_packet_alloc();
	uint8_t *out;

	ctx->width = w;
	ctx->height = h;
	ctx->time_base = (AVRational){ 1, 25 };
	ctx->pix_fmt = id == AV_CODEC_ID_PNG ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_YUVJ420P;
	ctx->color_range = AVCOL_RANGE_JPEG;
	assert_int_equal(avcodec_open2(ctx, c, NULL), 0);
	f->format = ctx->pix_fmt;
	f->width = w;
	f->height = h;
	assert_int_equal(av_frame_get_buffer(f, 0), 0);
	if (id == AV_CODEC_ID_PNG) {
		/* Pure white picture. */
		for (int y = 0; y < h; y++)
			memset(f->data[0] + y * f->linesize[0], 255, (size_t)w * 3);
	} else {
		for (int y = 0; y < h; y++)
			memset(f->data[0] + y * f->linesize[0], 255, (size_t)w);
		for (int p = 1; p < 3; p++)
			for (int y = 0; y < h / 2; y++)
				memset(f->data[p] + y * f->linesize[p], 128, (size_t)w / 2);
	}
	f->pts = 0;
	assert_int_equal(avcodec_send_frame(ctx, f), 0);
	assert_int_equal(avcodec_receive_packet(ctx, pkt), 0);
	out = malloc((size_t)pkt->size);
	memcpy(out, pkt->data, (size_t)pkt->size);
	*len = (size_t)pkt->size;
	av_packet_free(&pkt);
	av_frame_free(&f);
	avcodec_free_context(&ctx);
	return out;
}

static char *write_tmp(const uint8_t *data, size_t len)
{
	char *p = strdup("/tmp/cb-img-XXXXXX");
	int fd = mkstemp(p);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return p;
}

static void load_check(enum AVCodecID id)
{
	size_t len;
	uint8_t *img = make_image(id, 400, 400, &len);   /* square: pillarboxed into 16:9 */
	char *path = write_tmp(img, len);
	int w = 640, h = 360;
	uint8_t *out = malloc((size_t)w * h * 3 / 2);
	char why[256] = "";

	assert_int_equal(img_load(path, w, h, out, (size_t)w * h * 3 / 2, why, sizeof(why)), 0);
	/* White (limited range 235) in the middle, black bars left and right. */
	assert_true(abs(out[(h / 2) * w + w / 2] - 235) <= 2);
	assert_int_equal(out[(h / 2) * w + 5], 16);
	assert_int_equal(out[(h / 2) * w + w - 5], 16);
	assert_true(abs(out[w * h + (h / 4) * (w / 2) + w / 4] - 128) <= 2);

	/* As the placeholder background: darkened, text on top. */
	struct frame *f = new_frame(w, h);
	assert_int_equal(ph_render(f, "Garden", "sleeping", out), 0);
	assert_true(f->data[(h / 2) * w + w / 2 + 1] < 235 || f->data[(h / 2) * w + w / 2 + 1] == 235);
	assert_true(text_pixels(f, 0, h / 2) > 0);
	assert_true(f->data[h - 1] < 120);
	free_frame(f);

	/* Damaged: the first half of the file only. */
	unlink(path);
	free(path);
	path = write_tmp(img, len / 2);
	int r = img_load(path, w, h, out, (size_t)w * h * 3 / 2, why, sizeof(why));
	print_message("half %s file: %d %s\n", id == AV_CODEC_ID_PNG ? "PNG" : "JPEG", r, why);
	/* The MJPEG decoder may conceal a truncated scan; PNG must fail. */
	if (id == AV_CODEC_ID_PNG) {
		assert_int_equal(r, -EBADMSG);
		assert_true(why[0]);
	}
	unlink(path);
	free(path);
	free(out);
	free(img);
}

static void test_img_png(void **state)
{
	load_check(AV_CODEC_ID_PNG);
}

static void test_img_jpeg(void **state)
{
	load_check(AV_CODEC_ID_MJPEG);
}

static void test_img_rejects(void **state)
{
	int w = 320, h = 240;
	uint8_t *out = malloc((size_t)w * h * 3 / 2);
	char why[256];
	uint8_t junk[1000];
	char *path;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7 + 3);
	path = write_tmp(junk, sizeof(junk));
	why[0] = 0;
	assert_int_equal(img_load(path, w, h, out, (size_t)w * h * 3 / 2, why, sizeof(why)),
			 -EPROTONOSUPPORT);
	print_message("garbage: %s\n", why);
	assert_non_null(strstr(why, "JPEG or PNG"));
	unlink(path);
	free(path);

	/* A PNG header claiming 10000x10 pixels: refused before decoding. */
	static const uint8_t big_png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
					   0, 0, 0, 13, 'I', 'H', 'D', 'R',
					   0, 0, 0x27, 0x10, 0, 0, 0, 10, 8, 2, 0, 0, 0, 0, 0, 0, 0 };
	assert_int_equal(img_load_mem(big_png, sizeof(big_png), w, h, out, (size_t)w * h * 3 / 2,
				      why, sizeof(why)), -E2BIG);
	print_message("too big: %s\n", why);
	/* A JPEG SOF claiming 9000 rows. */
	static const uint8_t big_jpg[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 4, 'J', 'F',
					   0xff, 0xc0, 0, 11, 8, 0x23, 0x28, 0, 16, 1, 1, 0x11, 0 };
	assert_int_equal(img_load_mem(big_jpg, sizeof(big_jpg), w, h, out, (size_t)w * h * 3 / 2,
				      why, sizeof(why)), -E2BIG);

	/* A file over the size limit (sparse, so it costs nothing). */
	path = write_tmp(junk, 1);
	assert_int_equal(truncate(path, IMG_MAX_FILE + 1), 0);
	assert_int_equal(img_load(path, w, h, out, (size_t)w * h * 3 / 2, why, sizeof(why)), -EFBIG);
	print_message("huge: %s\n", why);
	unlink(path);
	free(path);

	assert_int_equal(img_load("/nonexistent.png", w, h, out, (size_t)w * h * 3 / 2, why,
				  sizeof(why)), -ENOENT);
	/* A FIFO (output.placeholder_image=FIFO): refused at once, not a video thread blocked in
	 * open() until a writer comes (and SIGTERM waiting behind it).  alarm: a hang fails. */
	{
		char fifo[64];

		snprintf(fifo, sizeof(fifo), "/tmp/test_media_ph-%d.fifo", (int)getpid());
		unlink(fifo);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		alarm(20);
		assert_int_equal(img_load(fifo, w, h, out, (size_t)w * h * 3 / 2, why, sizeof(why)),
				 -RFILE_ENOTREG);
		alarm(0);
		unlink(fifo);
		assert_non_null(strstr(why, "not a regular file"));
		print_message("fifo: %s\n", why);
		assert_true(img_load("/tmp", w, h, out, (size_t)w * h * 3 / 2, why, sizeof(why)) < 0);
		assert_non_null(strstr(why, "directory"));
	}
	assert_int_equal(img_load_mem(junk, sizeof(junk), w, h, out, 10, NULL, 0), -EINVAL);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placeholder_sizes),
		cmocka_unit_test(test_placeholder_text),
		cmocka_unit_test(test_img_png),
		cmocka_unit_test(test_img_jpeg),
		cmocka_unit_test(test_img_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
