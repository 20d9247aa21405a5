/* Decoding: tpenc → dec → marker end to end (H.264 and H.265), bit-exactness of the copy path
 * against a plain libavcodec decode, drop-until-keyframe, hwaccel fallback and names, and the
 * Annex-B file splitter. */
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

#include <libavcodec/avcodec.h>

#include "media/annexb.h"
#include "media/conv.h"
#include "media/dec.h"
#include "media/marker.h"
#include "media/tpenc.h"

#define W 320
#define H 240

static uint32_t counter_of(int i)
{
	return 0x5a000000u + (uint32_t)i * 2654435761u % 0xffffffu;   /* varied bit patterns */
}

/* Does the AU hold a NAL of this type? */
static int has_nal(enum dec_codec c, const uint8_t *au, size_t len, int type)
{
	const uint8_t *pos = au, *nal;
	size_t n;

	while (annexb_nal_next(&pos, au + len, NULL, &nal, &n)) {
		int t = c == DEC_H264 ? nal[0] & 0x1f : (nal[0] >> 1) & 0x3f;
		if (n && t == type)
			return 1;
	}
	return 0;
}

static struct dec *new_dec(enum dec_codec c, const char *hw)
{
	struct dec_opts o = { .codec = c, .hwaccel = hw };
	struct dec *d = NULL;

	assert_int_equal(dec_new(&o, &d), 0);
	return d;
}

static void roundtrip(enum dec_codec c)
{
	struct tpenc *t = tpenc_new(c, W, H, 15, 30);
	struct dec *d = new_dec(c, "none");
	struct dec_out out;
	struct dec_info info;
	const uint8_t *au;
	size_t len;
	int key;

	assert_non_null(t);
	for (int i = 0; i < 75; i++) {
		assert_int_equal(tpenc_next(t, counter_of(i), &au, &len, &key), 1);
		assert_int_equal(key, i % 30 == 0);
		if (key) {
			/* Parameter sets repeated on every keyframe. */
			if (c == DEC_H264) {
				assert_true(has_nal(c, au, len, 7));
				assert_true(has_nal(c, au, len, 8));
			} else {
				assert_true(has_nal(c, au, len, 32));
				assert_true(has_nal(c, au, len, 33));
				assert_true(has_nal(c, au, len, 34));
			}
		}
		assert_int_equal(annexb_is_keyframe(c, au, len), key);
		/* No added delay: every AU yields its own picture at once. */
		assert_int_equal(dec_decode(d, au, len, key, &out), 1);
		assert_non_null(out.frame);
		assert_true(out.decode_us >= 0);
		assert_int_equal(marker_read(out.frame->data[0], out.frame->linesize[0],
					     out.frame->width, out.frame->height),
				 (int64_t)counter_of(i));
	}
	dec_get_info(d, &info);
	assert_int_equal(info.codec, c);
	assert_int_equal(info.width, W);
	assert_int_equal(info.height, H);
	assert_int_equal(info.pix_fmt, AV_PIX_FMT_YUV420P);
	assert_string_equal(info.pix_fmt_name, "yuv420p");
	assert_int_equal(info.full_range, 0);
	assert_int_equal(info.hw, 0);
	assert_int_equal(info.frames, 75);
	assert_int_equal(info.errors, 0);
	assert_false(dec_need_keyframe(d));
	dec_free(d);
	tpenc_free(t);
}

static void test_h264_roundtrip(void **state)
{
	roundtrip(DEC_H264);
}

static void test_h265_roundtrip(void **state)
{
	roundtrip(DEC_H265);
}

/* The copy path must hand over exactly what a plain libavcodec decode produces. */
static void test_copy_bit_identical(void **state)
{
	struct tpenc *t = tpenc_new(DEC_H264, W, H, 25, 50);
	struct dec *d = new_dec(DEC_H264, "none");
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	AVCodecContext *ref = avcodec_alloc_context3(codec);
	AVPacket *pkt = av_packet_alloc();
	AVFrame *rf = av_frame_alloc();
	struct conv *cv;
	uint8_t *buf = malloc(W * H * 3 / 2);
	struct frame fr = { .width = W, .height = H, .size = W * H * 3 / 2, .data = buf };
	struct dec_out out;
	const uint8_t *au;
	size_t len;
	int key;

	assert_non_null(t);
	assert_int_equal(avcodec_open2(ref, codec, NULL), 0);
	assert_int_equal(conv_new(CONV_TO_LIMITED, &cv), 0);
	for (int i = 0; i < 60; i++) {
		assert_int_equal(tpenc_next(t, (uint32_t)i, &au, &len, &key), 1);
		assert_int_equal(dec_decode(d, au, len, key, &out), 1);
		assert_int_equal(conv_frame(cv, out.frame, &fr), 0);
		assert_int_equal(conv_last_path(cv), CONV_PATH_COPY);
		assert_int_equal(fr.full_range, 0);

		assert_int_equal(av_new_packet(pkt, (int)len), 0);
		memcpy(pkt->data, au, len);
		assert_int_equal(avcodec_send_packet(ref, pkt), 0);
		av_packet_unref(pkt);
		assert_int_equal(avcodec_receive_frame(ref, rf), 0);
		for (int p = 0; p < 3; p++) {
			int pw = p ? W / 2 : W, ph = p ? H / 2 : H;
			const uint8_t *plane = buf + (p == 0 ? 0 : p == 1 ? W * H : W * H + W * H / 4);
			for (int y = 0; y < ph; y++)
				assert_memory_equal(plane + y * pw, rf->data[p] + y * rf->linesize[p], pw);
		}
		av_frame_unref(rf);
		assert_int_equal(marker_read(buf, W, W, H), i);
	}
	conv_free(cv);
	free(buf);
	av_frame_free(&rf);
	av_packet_free(&pkt);
	avcodec_free_context(&ref);
	dec_free(d);
	tpenc_free(t);
}

static void test_drop_until_keyframe(void **state)
{
	struct tpenc *t = tpenc_new(DEC_H264, W, H, 15, 10);
	struct dec *d = new_dec(DEC_H264, NULL);
	struct dec_out out;
	struct dec_info info;
	const uint8_t *au;
	size_t len;
	int key;

	assert_non_null(t);
	/* A fresh decoder waits for its first keyframe. */
	assert_true(dec_need_keyframe(d));
	for (int i = 0; i < 25; i++) {
		assert_int_equal(tpenc_next(t, (uint32_t)i, &au, &len, &key), 1);
		if (i == 4)
			dec_mark_loss(d);
		int r = dec_decode(d, au, len, key, &out);
		if (i >= 4 && i < 10) {
			assert_int_equal(r, 0);
			assert_null(out.frame);
			assert_true(out.dropped);
			assert_true(dec_need_keyframe(d));
		} else {
			assert_int_equal(r, 1);
			assert_int_equal(marker_read(out.frame->data[0], out.frame->linesize[0], W, H), i);
			assert_false(dec_need_keyframe(d));
		}
	}
	dec_get_info(d, &info);
	assert_int_equal(info.frames, 19);
	assert_int_equal(info.dropped, 6);

	/* Started mid-GOP: nothing until the keyframe; the caller's flag is not needed (IDR scan). */
	dec_free(d);
	d = new_dec(DEC_H264, "none");
	for (int i = 25; i < 45; i++) {
		assert_int_equal(tpenc_next(t, (uint32_t)i, &au, &len, &key), 1);
		int r = dec_decode(d, au, len, 0, &out);
		assert_int_equal(r, i >= 30 ? 1 : 0);
		if (r)
			assert_int_equal(marker_read(out.frame->data[0], out.frame->linesize[0], W, H), i);
	}
	/* Parameter sets delivered as their own AU before a bare IDR are still fed. */
	dec_free(d);
	d = new_dec(DEC_H264, "none");
	tpenc_force_keyframe(t);
	assert_int_equal(tpenc_next(t, 77, &au, &len, &key), 1);
	assert_true(key);
	{
		const uint8_t *pos = au, *sc, *nal, *idr = NULL;
		size_t n;
		while (annexb_nal_next(&pos, au + len, &sc, &nal, &n))
			if ((nal[0] & 0x1f) == 5 && !idr)
				idr = sc;
		assert_non_null(idr);
		size_t ps_len = (size_t)(idr - au);
		assert_int_equal(dec_decode(d, au, ps_len, 0, &out), 0);
		assert_false(out.dropped);
		assert_int_equal(dec_decode(d, idr, len - ps_len, 0, &out), 1);
		assert_int_equal(marker_read(out.frame->data[0], out.frame->linesize[0], W, H), 77);
	}
	/* Garbage: an error (or no picture), never a smeared frame, then recovery at a keyframe. */
	static const uint8_t junk[] = { 0, 0, 0, 1, 0x41, 0x9a, 0x12, 0x34, 0x56, 0x78, 0xff, 0xee,
					0x00, 0x00, 0x01, 0x41, 0xe0, 0x11, 0x22, 0x33 };
	int r = dec_decode(d, junk, sizeof(junk), 0, &out);
	assert_true(r <= 1);
	assert_int_equal(dec_decode(d, NULL, 0, 0, &out), -EINVAL);
	dec_free(d);
	tpenc_free(t);
}

static void test_hwaccel_fallback(void **state)
{
	const char *names[] = { "vaapi", "auto" };

	for (unsigned n = 0; n < 2; n++) {
		struct tpenc *t = tpenc_new(DEC_H264, W, H, 15, 30);
		struct dec *d = new_dec(DEC_H264, names[n]);
		struct dec_out out;
		const uint8_t *au;
		size_t len;
		int key;

		assert_non_null(t);
		if (strcmp(dec_hwaccel_name(d), "none")) {
			/* This machine has a working GPU: nothing to fall back from. */
			print_message("note: %s decoding active on this machine\n", dec_hwaccel_name(d));
			assert_null(dec_fallback_reason(d));
		} else {
			const char *why = dec_fallback_reason(d);
			assert_non_null(why);
			print_message("hwaccel %s fallback: %s\n", names[n], why);
			if (n == 0)
				assert_non_null(strstr(why, "vaapi"));
			else
				assert_non_null(strstr(why, "auto"));
			assert_string_equal(dec_take_fallback_reason(d), why);
			assert_null(dec_take_fallback_reason(d));   /* once */
		}
		for (int i = 0; i < 10; i++) {
			assert_int_equal(tpenc_next(t, (uint32_t)i + 100, &au, &len, &key), 1);
			assert_int_equal(dec_decode(d, au, len, key, &out), 1);
			assert_int_equal(marker_read(out.frame->data[0], out.frame->linesize[0],
						     out.frame->width, out.frame->height), i + 100);
		}
		dec_free(d);
		tpenc_free(t);
	}
}

/* The fallback notice comes once per distinct reason over the decoder's life, not again at
 * every re-open (codec change, reconnect). */
static void test_fallback_said_once(void **state)
{
	struct dec *d = new_dec(DEC_H264, "auto");
	int said = 0;

	if (strcmp(dec_hwaccel_name(d), "none")) {
		dec_free(d);
		skip();   /* a working GPU here: no fallback to speak of */
	}
	for (int i = 0; i < 6; i++) {
		said += dec_take_fallback_reason(d) != NULL;
		assert_int_equal(dec_set_codec(d, i % 2 ? DEC_H264 : DEC_H265), 0);
	}
	said += dec_take_fallback_reason(d) != NULL;
	assert_non_null(dec_fallback_reason(d));   /* still there to read */
	print_message("fallback notices over 7 opens: %d\n", said);
	assert_true(said >= 1 && said <= 2);   /* the H.264 and the H.265 reasons may differ */
	dec_free(d);
}

static void test_hwaccel_names(void **state)
{
	struct dec_opts o = { .codec = DEC_H264, .hwaccel = "warpdrive" };
	struct dec *d = NULL;
	char list[512];

	assert_int_equal(dec_new(&o, &d), -EINVAL);
	assert_null(d);
	assert_false(dec_hwaccel_valid("warpdrive"));
	assert_true(dec_hwaccel_valid("vaapi"));
	assert_true(dec_hwaccel_valid("auto"));
	assert_true(dec_hwaccel_valid("none"));
	dec_hwaccel_list(list, sizeof(list));
	assert_non_null(strstr(list, "auto none"));
	assert_non_null(strstr(list, "vaapi"));
	o.hwaccel = "none";
	o.codec = 7;
	assert_int_equal(dec_new(&o, &d), -EINVAL);
	assert_string_equal(dec_codec_name(DEC_H265), "h265");
}

static void test_set_codec(void **state)
{
	struct dec *d = new_dec(DEC_H264, "none");
	struct tpenc *t = tpenc_new(DEC_H265, 160, 96, 10, 20);
	struct dec_out out;
	struct dec_info info;
	const uint8_t *au;
	size_t len;
	int key;

	assert_non_null(t);
	assert_int_equal(dec_set_codec(d, DEC_H265), 0);
	assert_true(dec_need_keyframe(d));
	for (int i = 0; i < 5; i++) {
		assert_int_equal(tpenc_next(t, (uint32_t)i, &au, &len, &key), 1);
		assert_int_equal(dec_decode(d, au, len, key, &out), 1);
		assert_int_equal(marker_read(out.frame->data[0], out.frame->linesize[0], 160, 96), i);
	}
	dec_get_info(d, &info);
	assert_int_equal(info.codec, DEC_H265);
	assert_int_equal(dec_set_codec(d, DEC_H265), 0);
	assert_int_equal(dec_set_codec(d, 0), -EINVAL);
	dec_free(d);
	tpenc_free(t);
}

static void test_tpenc_args(void **state)
{
	struct tpenc *t;

	assert_null(tpenc_new(DEC_H264, 31, 240, 15, 30));
	assert_int_equal(errno, EINVAL);
	assert_null(tpenc_new(DEC_H264, 320, 240, 0, 30));
	assert_null(tpenc_new(9, 320, 240, 15, 30));
	assert_int_equal(tpenc_open(DEC_H264, 320, 241, 15, 30, &t), -EINVAL);

	/* A forced keyframe comes out as an IDR with parameter sets. */
	const uint8_t *au;
	size_t len;
	int key;
	t = tpenc_new(DEC_H264, 64, 32, 30, 0);
	assert_non_null(t);
	assert_int_equal(tpenc_next(t, 0, &au, &len, &key), 1);
	assert_true(key);
	assert_int_equal(tpenc_next(t, 1, &au, &len, &key), 1);
	assert_false(key);
	tpenc_force_keyframe(t);
	assert_int_equal(tpenc_next(t, 2, &au, &len, &key), 1);
	assert_true(key);
	assert_true(has_nal(DEC_H264, au, len, 7));
	assert_true(has_nal(DEC_H264, au, len, 5));
	for (int i = 3; i < 60; i++) {
		assert_int_equal(tpenc_next(t, (uint32_t)i, &au, &len, &key), 1);
		assert_int_equal(key, i == 2 + 60);   /* default GOP 2 s = 60 frames */
	}
	tpenc_free(t);
}

static char *tmpfile_path(void)
{
	char *p = strdup("/tmp/cb-media-XXXXXX");
	int fd = mkstemp(p);

	assert_true(fd >= 0);
	close(fd);
	return p;
}

static void annexb_file(enum dec_codec c)
{
	enum { N = 40 };
	struct tpenc *t = tpenc_new(c, 192, 108, 15, 15);
	uint8_t *copies[N];
	size_t lens[N];
	int keys[N];
	char *path = tmpfile_path();
	FILE *f = fopen(path, "wb");
	struct annexb *a = NULL;
	const uint8_t *au;
	size_t len;
	int key;

	assert_non_null(t);
	assert_non_null(f);
	for (int i = 0; i < N; i++) {
		assert_int_equal(tpenc_next(t, (uint32_t)i, &au, &len, &key), 1);
		copies[i] = malloc(len);
		memcpy(copies[i], au, len);
		lens[i] = len;
		keys[i] = key;
		assert_int_equal(fwrite(au, 1, len, f), len);
	}
	fclose(f);
	assert_int_equal(annexb_open(path, &a), 0);
	assert_int_equal(annexb_codec(a), c);
	struct dec *d = new_dec(c, "none");
	for (int loop = 0; loop < 2; loop++) {
		for (int i = 0; i < N; i++) {
			int r = annexb_next(a, &au, &len, &key);
			assert_int_equal(r, i == 0 ? 2 : 1);
			assert_int_equal(len, lens[i]);
			assert_memory_equal(au, copies[i], len);
			assert_int_equal(key, keys[i]);
			struct dec_out out;
			if (loop == 0) {
				assert_int_equal(dec_decode(d, au, len, key, &out), 1);
				assert_int_equal(marker_read(out.frame->data[0], out.frame->linesize[0],
							     192, 108), i);
			}
		}
	}
	assert_int_equal(annexb_loops(a), 1);
	annexb_free(a);
	dec_free(d);
	for (int i = 0; i < N; i++)
		free(copies[i]);
	tpenc_free(t);
	unlink(path);
	free(path);
}

static void test_annexb_h264(void **state)
{
	annexb_file(DEC_H264);
}

static void test_annexb_h265(void **state)
{
	annexb_file(DEC_H265);
}

static void test_annexb_garbage(void **state)
{
	char *path = tmpfile_path();
	FILE *f = fopen(path, "wb");
	struct annexb *a = NULL;
	uint8_t junk[4096];

	srand(7);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(rand() | 0x80);   /* no 00 00 01 anywhere */
	fwrite(junk, 1, sizeof(junk), f);
	fclose(f);
	assert_int_equal(annexb_open(path, &a), -EPROTONOSUPPORT);
	/* Parameter sets only, no picture. */
	static const uint8_t sps_only[] = { 0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0xd9, 0, 0, 1, 0x68, 0xce };
	f = fopen(path, "wb");
	fwrite(sps_only, 1, sizeof(sps_only), f);
	fclose(f);
	assert_int_equal(annexb_open(path, &a), -ENODATA);
	assert_int_equal(annexb_open("/nonexistent/x.264", &a), -ENOENT);
	unlink(path);
	free(path);
}

int main(void)
{
	av_log_set_level(AV_LOG_WARNING);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h264_roundtrip),
		cmocka_unit_test(test_h265_roundtrip),
		cmocka_unit_test(test_copy_bit_identical),
		cmocka_unit_test(test_drop_until_keyframe),
		cmocka_unit_test(test_hwaccel_fallback),
		cmocka_unit_test(test_fallback_said_once),
		cmocka_unit_test(test_hwaccel_names),
		cmocka_unit_test(test_set_codec),
		cmocka_unit_test(test_tpenc_args),
		cmocka_unit_test(test_annexb_h264),
		cmocka_unit_test(test_annexb_h265),
		cmocka_unit_test(test_annexb_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
