/* Media costs at 1920x1080, ms per frame: test-pattern encode (x264/x265), software H.264
 * decode, conversion paths, packers, placeholder render.  Prints measurements only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>

#include "media/conv.h"
#include "media/dec.h"
#include "media/marker.h"
#include "media/placeholder.h"
#include "media/tpenc.h"

#define W 1920
#define H 1080
#define NAU 100

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void report(const char *what, double ms, int n)
{
	printf("%-44s %8.3f ms/frame\n", what, ms / n);
}

int main(void)
{
	uint8_t *aus[NAU];
	size_t lens[NAU];
	int keys[NAU];
	const uint8_t *au;
	double t0;
	int n;

	av_log_set_level(AV_LOG_ERROR);
	printf("bench_media: %dx%d\n", W, H);

	/* Encode (what cam-sim pays per stream). */
	for (int c = DEC_H264; c <= DEC_H265; c++) {
		struct tpenc *t = tpenc_new(c, W, H, 25, 50);
		if (!t) {
			printf("%s encoder unavailable\n", dec_codec_name(c));
			return 1;
		}
		int cnt = c == DEC_H264 ? NAU : 30;
		t0 = now_ms();
		for (int i = 0; i < cnt; i++) {
			size_t len;
			int key;
			if (tpenc_next(t, (uint32_t)i, &au, &len, &key) != 1)
				return 1;
			if (c == DEC_H264) {
				aus[i] = malloc(len);
				memcpy(aus[i], au, len);
				lens[i] = len;
				keys[i] = key;
			}
		}
		char label[64];
		snprintf(label, sizeof(label), "tpenc %s (draw + encode)", c == DEC_H264 ? "H.264 libx264" : "H.265 libx265");
		report(label, now_ms() - t0, cnt);
		tpenc_free(t);
	}

	/* Decode (software), keep the last frame for the conversion benchmarks. */
	struct dec_opts o = { .codec = DEC_H264, .hwaccel = "none" };
	struct dec *d;
	struct dec_out out;
	int64_t dec_us = 0;
	if (dec_new(&o, &d) < 0)
		return 1;
	t0 = now_ms();
	for (int rep = 0; rep < 2; rep++) {
		for (int i = 0; i < NAU; i++) {
			if (dec_decode(d, aus[i], lens[i], keys[i], &out) != 1)
				return 1;
			dec_us += out.decode_us;
		}
		dec_mark_loss(d);
	}
	report("decode H.264 software (wall)", now_ms() - t0, 2 * NAU);
	printf("%-44s %8.3f ms/frame\n", "decode H.264 software (dec_out.decode_us)", dec_us / 1e3 / (2 * NAU));

	/* Conversions into a hub frame. */
	struct conv *cv;
	struct frame fr = { .width = W, .height = H, .size = (size_t)W * H * 3 / 2 };
	fr.data = malloc(fr.size);
	conv_new(CONV_TO_LIMITED, &cv);
	AVFrame *yuv = av_frame_alloc(), *nv12 = av_frame_alloc(), *jpeg;
	if (dec_decode(d, aus[0], lens[0], 1, &out) != 1)
		return 1;
	av_frame_ref(yuv, out.frame);
	n = 300;
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		conv_frame(cv, yuv, &fr);
	report("conv copy (yuv420p, same size)", now_ms() - t0, n);

	jpeg = av_frame_clone(yuv);
	jpeg->color_range = AVCOL_RANGE_JPEG;
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		conv_frame(cv, jpeg, &fr);
	report("conv copy + full->limited range", now_ms() - t0, n);

	nv12->format = AV_PIX_FMT_NV12;
	nv12->width = W;
	nv12->height = H;
	av_frame_get_buffer(nv12, 0);
	memset(nv12->data[0], 100, (size_t)nv12->linesize[0] * H);
	memset(nv12->data[1], 128, (size_t)nv12->linesize[1] * H / 2);
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		conv_frame(cv, nv12, &fr);
	report("conv NV12 -> I420", now_ms() - t0, n);

	struct frame small = { .width = 1280, .height = 720, .size = 1280 * 720 * 3 / 2 };
	small.data = malloc(small.size);
	t0 = now_ms();
	for (int i = 0; i < 100; i++)
		conv_frame(cv, yuv, &small);
	report("conv scale 1080p -> 720p (swscale bilinear)", now_ms() - t0, 100);

	/* Packers for the sinks. */
	uint8_t *yuyv = malloc((size_t)W * H * 2), *nv = malloc((size_t)W * H * 3 / 2);
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		conv_i420_to_yuyv(fr.data, W, H, yuyv, (size_t)W * H * 2, 2 * W);
	report("conv_i420_to_yuyv", now_ms() - t0, n);
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		conv_i420_to_nv12(fr.data, W, H, nv, (size_t)W * H * 3 / 2, W);
	report("conv_i420_to_nv12", now_ms() - t0, n);
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		memcpy(nv, fr.data, fr.size);
	report("memcpy of one I420 frame (reference)", now_ms() - t0, n);

	t0 = now_ms();
	for (int i = 0; i < n; i++)
		ph_render(&fr, "Front Door", "sleeping", NULL);
	report("placeholder render", now_ms() - t0, n);
	t0 = now_ms();
	volatile int64_t sink = 0;
	for (int i = 0; i < n; i++)
		sink += marker_read(fr.data, W, W, H);
	report("marker_read", now_ms() - t0, n);
	if (sink != -1LL * n)
		printf("(placeholder read as a marker?)\n");

	free(yuyv);
	free(nv);
	free(small.data);
	free(fr.data);
	av_frame_free(&yuv);
	av_frame_free(&jpeg);
	av_frame_free(&nv12);
	conv_free(cv);
	dec_free(d);
	for (int i = 0; i < NAU; i++)
		free(aus[i]);
	return 0;
}
