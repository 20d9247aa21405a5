#include "media/tpenc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>

#include "media/averr.h"
#include "media/marker.h"

#define PERIOD 256   /* stripe pattern period in pixels */

struct tpenc {
	int codec, w, h, fps, gop;
	AVCodecContext *ctx;
	AVFrame *frame;
	AVPacket *pkt;
	int64_t pts;
	int force_key;
	uint8_t *row_y, *row_u, *row_v;   /* pattern rows, PERIOD wider than the picture */
};

static uint8_t tri(int x, int lo, int hi)
{
	int span = hi - lo, p = x % (2 * span);

	return (uint8_t)(lo + (p < span ? p : 2 * span - p));
}

static int make_rows(struct tpenc *t)
{
	int cw = t->w / 2;

	t->row_y = malloc((size_t)t->w + PERIOD);
	t->row_u = malloc((size_t)cw + PERIOD);
	t->row_v = malloc((size_t)cw + PERIOD);
	if (!t->row_y || !t->row_u || !t->row_v)
		return -ENOMEM;
	/* Diagonal luma stripes; chroma with other periods so colours drift across the picture. */
	for (int x = 0; x < t->w + PERIOD; x++)
		t->row_y[x] = tri(x * 219 / (PERIOD / 2), 16, 235);
	for (int x = 0; x < cw + PERIOD; x++) {
		t->row_u[x] = tri(x * 2, 64, 192);
		t->row_v[x] = tri(x * 3 + 90, 64, 192);
	}
	return 0;
}

static void fill(uint8_t *p, int stride, int x, int y, int w, int h, uint8_t val)
{
	for (int r = 0; r < h; r++)
		memset(p + (size_t)(y + r) * stride + x, val, (size_t)w);
}

void tpenc_draw(struct tpenc *t, uint8_t *y, int ystride, uint8_t *u, uint8_t *v, int cstride,
		uint32_t counter)
{
	int w = t->w, h = t->h, cw = w / 2, ch = h / 2;

	for (int r = 0; r < h; r++)
		memcpy(y + (size_t)r * ystride, t->row_y + (r + counter * 4u) % PERIOD, (size_t)w);
	for (int r = 0; r < ch; r++) {
		memcpy(u + (size_t)r * cstride, t->row_u + (r + counter * 2u) % PERIOD, (size_t)cw);
		memcpy(v + (size_t)r * cstride, t->row_v + (r * 3u + counter * 2u) % PERIOD, (size_t)cw);
	}
	/* A box bouncing around below the marker band. */
	int bw = (w / 8) & ~1, bh = (h / 8) & ~1, top = marker_band_height(h) + 2;
	int bx = (2 * tri((int)(counter % 100000u) * 6, 0, (w - bw) / 2)) & ~1;
	int by = top + ((2 * tri((int)(counter % 100000u) * 4, 0, (h - top - bh) / 2)) & ~1);
	if (by + bh > h)
		by = h - bh;
	fill(y, ystride, bx, by, bw, bh, 200);
	fill(u, cstride, bx / 2, by / 2, bw / 2, bh / 2, 60);
	fill(v, cstride, bx / 2, by / 2, bw / 2, bh / 2, 200);
	marker_draw(y, ystride, w, h, counter);
	marker_draw_chroma(u, v, cstride, w, h);
}

static int set_opts(struct tpenc *t)
{
	char params[256];
	void *p = t->ctx->priv_data;
	int r = 0;

	r |= av_opt_set(p, "preset", "ultrafast", 0);
	r |= av_opt_set(p, "tune", "zerolatency", 0);
	r |= av_opt_set(p, "forced-idr", "1", 0);
	if (t->codec == DEC_H264) {
		/* One thread = one slice per picture, like a camera; ultrafast is cheap enough. */
		snprintf(params, sizeof(params), "scenecut=0:bframes=0:repeat-headers=1:annexb=1");
		r |= av_opt_set(p, "x264-params", params, 0);
	} else {
		snprintf(params, sizeof(params),
			 "log-level=none:bframes=0:repeat-headers=1:scenecut=0:open-gop=0:"
			 "keyint=%d:min-keyint=%d:frame-threads=1:info=0:annexb=1", t->gop, t->gop);
		r |= av_opt_set(p, "x265-params", params, 0);
	}
	return r < 0 ? -EINVAL : 0;
}

int tpenc_open(int codec, int w, int h, int fps, int gop, struct tpenc **out)
{
	struct tpenc *t;
	const AVCodec *c;
	int r;

	if ((codec != DEC_H264 && codec != DEC_H265) || w < TPENC_MIN_SIZE || h < TPENC_MIN_SIZE ||
	    w > TPENC_MAX_SIZE || h > TPENC_MAX_SIZE || w % 2 || h % 2 || fps < 1 ||
	    fps > TPENC_MAX_FPS)
		return -EINVAL;
	c = avcodec_find_encoder_by_name(codec == DEC_H264 ? "libx264" : "libx265");
	if (!c)
		return -ENOSYS;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->codec = codec;
	t->w = w;
	t->h = h;
	t->fps = fps;
	t->gop = gop > 0 ? gop : 2 * fps;
	r = make_rows(t);
	if (r < 0)
		goto fail;
	t->ctx = avcodec_alloc_context3(c);
	t->frame = av_frame_alloc();
	t->pkt = av_packet_alloc();
	if (!t->ctx || !t->frame || !t->pkt) {
		r = -ENOMEM;
		goto fail;
	}
	t->ctx->width = w;
	t->ctx->height = h;
	t->ctx->pix_fmt = AV_PIX_FMT_YUV420P;
	t->ctx->color_range = AVCOL_RANGE_MPEG;
	t->ctx->time_base = (AVRational){ 1, fps };
	t->ctx->framerate = (AVRational){ fps, 1 };
	t->ctx->gop_size = t->gop;
	t->ctx->keyint_min = t->gop;
	t->ctx->max_b_frames = 0;
	t->ctx->thread_count = 1;
	r = set_opts(t);
	if (r < 0)
		goto fail;
	r = avcodec_open2(t->ctx, c, NULL);
	if (r < 0) {
		r = media_averr(r);
		goto fail;
	}
	t->frame->format = AV_PIX_FMT_YUV420P;
	t->frame->width = w;
	t->frame->height = h;
	r = av_frame_get_buffer(t->frame, 0);
	if (r < 0) {
		r = media_averr(r);
		goto fail;
	}
	*out = t;
	return 0;
fail:
	tpenc_free(t);
	return r;
}

struct tpenc *tpenc_new(int codec, int w, int h, int fps, int gop)
{
	struct tpenc *t = NULL;
	int r = tpenc_open(codec, w, h, fps, gop, &t);

	if (r < 0) {
		errno = -r;
		return NULL;
	}
	return t;
}

void tpenc_free(struct tpenc *t)
{
	if (!t)
		return;
	avcodec_free_context(&t->ctx);
	av_frame_free(&t->frame);
	av_packet_free(&t->pkt);
	free(t->row_y);
	free(t->row_u);
	free(t->row_v);
	free(t);
}

void tpenc_force_keyframe(struct tpenc *t)
{
	t->force_key = 1;
}

int tpenc_next(struct tpenc *t, uint32_t counter, const uint8_t **au, size_t *len, int *keyframe)
{
	int r;

	av_packet_unref(t->pkt);
	/* The encoder may still hold the previous picture: copy-on-write only then. */
	r = av_frame_make_writable(t->frame);
	if (r < 0)
		return media_averr(r);
	tpenc_draw(t, t->frame->data[0], t->frame->linesize[0], t->frame->data[1],
		   t->frame->data[2], t->frame->linesize[1], counter);
	t->frame->pts = t->pts++;
	t->frame->pict_type = t->force_key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
	t->force_key = 0;
	r = avcodec_send_frame(t->ctx, t->frame);
	if (r < 0)
		return media_averr(r);
	r = avcodec_receive_packet(t->ctx, t->pkt);
	if (r == AVERROR(EAGAIN))
		return 0;
	if (r < 0)
		return media_averr(r);
	*au = t->pkt->data;
	*len = (size_t)t->pkt->size;
	if (keyframe)
		*keyframe = !!(t->pkt->flags & AV_PKT_FLAG_KEY);
	return 1;
}
