#include "media/conv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "media/averr.h"
#include "media/marker.h"

/* The per-pixel loops below must run at memcpy-like speed: let the compilers vectorize them
 * (gcc only vectorizes these interleaving loops at -O3; clang needs the hint). */
#if defined(__GNUC__) && !defined(__clang__)
#define HOT __attribute__((optimize("O3")))
#else
#define HOT
#endif
#ifdef __clang__
/* A hint, not a requirement: sanitizer builds cannot vectorize and must not fail for it. */
#pragma clang diagnostic ignored "-Wpass-failed"
#define VEC _Pragma("clang loop vectorize(enable) vectorize_width(16)")
#else
#define VEC
#endif

struct conv {
	enum conv_range_mode mode;
	enum conv_path last;
	struct SwsContext *sws;
	struct {                         /* what sws was made for */
		int sw, sh, sfmt, sfull, dw, dh, dfull, csp;
	} key;
};

int conv_new(enum conv_range_mode mode, struct conv **out)
{
	struct conv *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->mode = mode;
	*out = c;
	return 0;
}

void conv_free(struct conv *c)
{
	if (!c)
		return;
	sws_freeContext(c->sws);
	free(c);
}

enum conv_path conv_last_path(const struct conv *c)
{
	return c->last;
}

static int is_full(const AVFrame *f)
{
	return f->color_range == AVCOL_RANGE_JPEG || f->format == AV_PIX_FMT_YUVJ420P ||
	       f->format == AV_PIX_FMT_YUVJ422P || f->format == AV_PIX_FMT_YUVJ444P ||
	       f->format == AV_PIX_FMT_YUVJ440P;
}

/* swscale wants the range given separately, not through the deprecated yuvj formats. */
static enum AVPixelFormat unj(enum AVPixelFormat f)
{
	switch (f) {
	case AV_PIX_FMT_YUVJ420P: return AV_PIX_FMT_YUV420P;
	case AV_PIX_FMT_YUVJ422P: return AV_PIX_FMT_YUV422P;
	case AV_PIX_FMT_YUVJ444P: return AV_PIX_FMT_YUV444P;
	case AV_PIX_FMT_YUVJ440P: return AV_PIX_FMT_YUV440P;
	default: return f;
	}
}

enum range_op { RANGE_KEEP, RANGE_LUMA, RANGE_CHROMA };

/* Full → limited range in 16-bit fixed point: 0..255 → 16..235 (luma), 16..240 with 128
 * kept (chroma); within 1 of the exact value. */
HOT static void range_row(uint8_t *restrict d, const uint8_t *restrict s, int n, enum range_op op)
{
	if (op == RANGE_LUMA) {
		VEC for (int x = 0; x < n; x++)
			d[x] = (uint8_t)(16 + ((s[x] * (uint16_t)220 + 128) >> 8));
	} else {
		VEC for (int x = 0; x < n; x++)
			d[x] = (uint8_t)(16 + ((s[x] * (uint16_t)225 + 64) >> 8));
	}
}

HOT static void range_inplace(uint8_t *p, int n, enum range_op op)
{
	if (op == RANGE_LUMA) {
		VEC for (int x = 0; x < n; x++)
			p[x] = (uint8_t)(16 + ((p[x] * (uint16_t)220 + 128) >> 8));
	} else {
		VEC for (int x = 0; x < n; x++)
			p[x] = (uint8_t)(16 + ((p[x] * (uint16_t)225 + 64) >> 8));
	}
}

static void copy_plane(uint8_t *dst, int dstride, const uint8_t *src, int sstride, int w, int h,
		       enum range_op op)
{
	for (int r = 0; r < h; r++) {
		const uint8_t *s = src + (ptrdiff_t)r * sstride;
		uint8_t *d = dst + (size_t)r * dstride;
		if (op == RANGE_KEEP)
			memcpy(d, s, (size_t)w);
		else
			range_row(d, s, w, op);
	}
}

HOT static void deinterleave_row(uint8_t *restrict u, uint8_t *restrict v, const uint8_t *restrict s,
				 int cw)
{
	VEC for (int x = 0; x < cw; x++) {
		u[x] = s[2 * x];
		v[x] = s[2 * x + 1];
	}
}

static void deinterleave(uint8_t *u, uint8_t *v, int dstride, const uint8_t *uv, int sstride,
			 int cw, int ch, enum range_op op)
{
	for (int r = 0; r < ch; r++) {
		uint8_t *du = u + (size_t)r * dstride, *dv = v + (size_t)r * dstride;
		deinterleave_row(du, dv, uv + (ptrdiff_t)r * sstride, cw);
		if (op != RANGE_KEEP) {
			range_inplace(du, cw, op);
			range_inplace(dv, cw, op);
		}
	}
}

static int get_sws(struct conv *c, const AVFrame *src, enum AVPixelFormat sfmt, int sfull,
		   int dw, int dh, int dfull)
{
	int csp = src->colorspace == AVCOL_SPC_BT709 ? SWS_CS_ITU709 : SWS_CS_DEFAULT;

	if (c->sws && c->key.sw == src->width && c->key.sh == src->height && c->key.sfmt == sfmt &&
	    c->key.sfull == sfull && c->key.dw == dw && c->key.dh == dh && c->key.dfull == dfull &&
	    c->key.csp == csp)
		return 0;
	sws_freeContext(c->sws);
	/* Bilinear: good enough for downscaling a camera picture and far cheaper than bicubic;
	 * unscaled conversions without range change still get swscale's special converters. */
	c->sws = sws_getContext(src->width, src->height, sfmt, dw, dh, AV_PIX_FMT_YUV420P,
				SWS_BILINEAR, NULL, NULL, NULL);
	if (!c->sws)
		return -ENOTSUP;
	const int *coef = sws_getCoefficients(csp);
	/* Same matrix both sides: only the range (and the size) changes. */
	sws_setColorspaceDetails(c->sws, coef, sfull, coef, dfull, 0, 1 << 16, 1 << 16);
	c->key.sw = src->width;
	c->key.sh = src->height;
	c->key.sfmt = sfmt;
	c->key.sfull = sfull;
	c->key.dw = dw;
	c->key.dh = dh;
	c->key.dfull = dfull;
	c->key.csp = csp;
	return 0;
}

int conv_frame(struct conv *c, const AVFrame *src, struct frame *dst)
{
	int w = dst->width, h = dst->height, r;

	c->last = CONV_PATH_NONE;
	if (!src || !dst->data || w <= 0 || h <= 0 || w % 2 || h % 2 || src->width <= 0 ||
	    src->height <= 0 || !src->data[0] || dst->size < (size_t)w * h * 3 / 2)
		return -EINVAL;
	int full = is_full(src), out_full = full && c->mode == CONV_KEEP_RANGE;
	enum range_op yop = full && !out_full ? RANGE_LUMA : RANGE_KEEP;
	enum range_op cop = full && !out_full ? RANGE_CHROMA : RANGE_KEEP;
	uint8_t *dy = dst->data, *du = dy + (size_t)w * h, *dv = du + (size_t)(w / 2) * (h / 2);
	if (src->format == AV_PIX_FMT_NONE || !av_pix_fmt_desc_get(src->format))
		return -EINVAL;
	if (av_pix_fmt_desc_get(src->format)->flags & AV_PIX_FMT_FLAG_HWACCEL)
		return -ENOTSUP;   /* a hardware surface: dec downloads those */
	dst->full_range = out_full;
	if (src->width == w && src->height == h) {
		switch (src->format) {
		case AV_PIX_FMT_YUV420P:
		case AV_PIX_FMT_YUVJ420P:
			copy_plane(dy, w, src->data[0], src->linesize[0], w, h, yop);
			copy_plane(du, w / 2, src->data[1], src->linesize[1], w / 2, h / 2, cop);
			copy_plane(dv, w / 2, src->data[2], src->linesize[2], w / 2, h / 2, cop);
			c->last = CONV_PATH_COPY;
			goto done;
		case AV_PIX_FMT_NV12:
			copy_plane(dy, w, src->data[0], src->linesize[0], w, h, yop);
			deinterleave(du, dv, w / 2, src->data[1], src->linesize[1], w / 2, h / 2, cop);
			c->last = CONV_PATH_NV12;
			goto done;
		default:
			break;
		}
	}
	r = get_sws(c, src, unj(src->format), full, w, h, out_full);
	if (r < 0)
		return r;
	uint8_t *dp[4] = { dy, du, dv, NULL };
	int ds[4] = { w, w / 2, w / 2, 0 };
	r = sws_scale(c->sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height,
		      dp, ds);
	if (r < 0)
		return media_averr(r);
	c->last = CONV_PATH_SWS;
done:
	dst->placeholder = 0;
	dst->marker = marker_read(dy, w, w, h);   /* ~1 µs; -1 for camera pictures */
	return 0;
}

HOT static void yuyv_row(uint8_t *restrict d, const uint8_t *restrict y, const uint8_t *restrict u,
			 const uint8_t *restrict v, int cw)
{
	VEC for (int x = 0; x < cw; x++) {
		d[4 * x] = y[2 * x];
		d[4 * x + 1] = u[x];
		d[4 * x + 2] = y[2 * x + 1];
		d[4 * x + 3] = v[x];
	}
}

HOT static void interleave_row(uint8_t *restrict d, const uint8_t *restrict u,
			       const uint8_t *restrict v, int cw)
{
	VEC for (int x = 0; x < cw; x++) {
		d[2 * x] = u[x];
		d[2 * x + 1] = v[x];
	}
}

static int check_pack(const uint8_t *i420, int w, int h, const uint8_t *dst, int bpl, int min_bpl,
		      size_t need, size_t dst_len)
{
	if (!i420 || !dst || w <= 0 || h <= 0 || w % 2 || h % 2 || bpl < min_bpl)
		return -EINVAL;
	if (dst_len < need)
		return -ENOSPC;
	return 0;
}

int conv_i420_to_yuyv(const uint8_t *i420, int w, int h, uint8_t *dst, size_t dst_len,
		      int bytesperline)
{
	size_t need = (size_t)bytesperline * h;
	int r = check_pack(i420, w, h, dst, bytesperline, 2 * w, need, dst_len);

	if (r < 0)
		return r;
	const uint8_t *U = i420 + (size_t)w * h, *V = U + (size_t)(w / 2) * (h / 2);
	for (int y = 0; y < h; y++)
		yuyv_row(dst + (size_t)y * bytesperline, i420 + (size_t)y * w,
			 U + (size_t)(y / 2) * (w / 2), V + (size_t)(y / 2) * (w / 2), w / 2);
	return (int)need;
}

int conv_i420_to_nv12(const uint8_t *i420, int w, int h, uint8_t *dst, size_t dst_len,
		      int bytesperline)
{
	size_t need = (size_t)bytesperline * h * 3 / 2;
	int r = check_pack(i420, w, h, dst, bytesperline, w, need, dst_len);

	if (r < 0)
		return r;
	const uint8_t *U = i420 + (size_t)w * h, *V = U + (size_t)(w / 2) * (h / 2);
	uint8_t *uv = dst + (size_t)bytesperline * h;
	for (int y = 0; y < h; y++)
		memcpy(dst + (size_t)y * bytesperline, i420 + (size_t)y * w, (size_t)w);
	for (int y = 0; y < h / 2; y++)
		interleave_row(uv + (size_t)y * bytesperline, U + (size_t)y * (w / 2),
			       V + (size_t)y * (w / 2), w / 2);
	return (int)need;
}
