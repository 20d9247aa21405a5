#include "media/img.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>

#include "media/averr.h"
#include "util/rfile.h"

static int fail(char *why, size_t why_len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *why, size_t why_len, int err, const char *fmt, ...)
{
	va_list ap;

	if (why && why_len) {
		va_start(ap, fmt);
		vsnprintf(why, why_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Picture size from the header, before any decoding: 0 or -EBADMSG. */
static int png_size(const uint8_t *d, size_t len, uint32_t *w, uint32_t *h)
{
	if (len < 24 || memcmp(d + 12, "IHDR", 4))
		return -EBADMSG;
	*w = be32(d + 16);
	*h = be32(d + 20);
	return 0;
}

static int jpeg_size(const uint8_t *d, size_t len, uint32_t *w, uint32_t *h)
{
	size_t p = 2;

	while (p + 4 <= len) {
		if (d[p] != 0xff)
			return -EBADMSG;
		uint8_t m = d[p + 1];
		if (m == 0xff) {          /* fill byte */
			p++;
			continue;
		}
		if (m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
			p += 2;
			continue;
		}
		uint32_t seg = be16(d + p + 2);
		if (seg < 2 || p + 2 + seg > len)
			return -EBADMSG;
		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
			if (seg < 7)
				return -EBADMSG;
			*h = be16(d + p + 5);
			*w = be16(d + p + 7);
			return 0;
		}
		if (m == 0xda)            /* scan before any frame header */
			return -EBADMSG;
		p += 2 + seg;
	}
	return -EBADMSG;
}

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

static int decode(const uint8_t *data, size_t len, enum AVCodecID id, AVFrame *frame)
{
	const AVCodec *c = avcodec_find_decoder(id);
	AVCodecContext *ctx = NULL;
	AVPacket *pkt = NULL;
	uint8_t *buf = NULL;
	int r;

	if (!c)
		return -ENOSYS;
	ctx = avcodec_alloc_context3(c);
	pkt = av_packet_alloc();
	buf = av_mallocz(len + AV_INPUT_BUFFER_PADDING_SIZE);
	if (!ctx || !pkt || !buf) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(buf, data, len);
	ctx->max_pixels = (int64_t)IMG_MAX_DIM * IMG_MAX_DIM;   /* second line of defence */
	ctx->thread_count = 1;
	r = avcodec_open2(ctx, c, NULL);
	if (r < 0)
		goto out;
	pkt->data = buf;
	pkt->size = (int)len;
	r = avcodec_send_packet(ctx, pkt);
	if (r < 0)
		goto out;
	r = avcodec_send_packet(ctx, NULL);
	if (r < 0 && r != AVERROR_EOF)
		goto out;
	r = avcodec_receive_frame(ctx, frame);
out:
	av_free(buf);
	av_packet_free(&pkt);
	avcodec_free_context(&ctx);
	return r < 0 ? media_averr(r) : 0;
}

int img_load_mem(const uint8_t *data, size_t len, int w, int h, uint8_t *i420, size_t i420_len,
		 char *why, size_t why_len)
{
	static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	enum AVCodecID id;
	uint32_t iw = 0, ih = 0;
	int r;

	if (!data || !i420 || w <= 0 || h <= 0 || w % 2 || h % 2 ||
	    i420_len < (size_t)w * h * 3 / 2)
		return fail(why, why_len, -EINVAL, "bad output size %dx%d", w, h);
	if (len > IMG_MAX_FILE)
		return fail(why, why_len, -EFBIG, "image is %zu bytes > limit %u", len, IMG_MAX_FILE);
	if (len >= 8 && !memcmp(data, png_sig, 8)) {
		id = AV_CODEC_ID_PNG;
		r = png_size(data, len, &iw, &ih);
	} else if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) {
		id = AV_CODEC_ID_MJPEG;
		r = jpeg_size(data, len, &iw, &ih);
	} else {
		return fail(why, why_len, -EPROTONOSUPPORT, "not a JPEG or PNG file");
	}
	if (r < 0)
		return fail(why, why_len, r, "%s header is damaged", id == AV_CODEC_ID_PNG ? "PNG" : "JPEG");
	if (!iw || !ih || iw > IMG_MAX_DIM || ih > IMG_MAX_DIM)
		return fail(why, why_len, -E2BIG, "image is %ux%u, limit %dx%d", iw, ih, IMG_MAX_DIM,
			    IMG_MAX_DIM);

	AVFrame *f = av_frame_alloc();
	if (!f)
		return fail(why, why_len, -ENOMEM, "out of memory");
	r = decode(data, len, id, f);
	if (r < 0) {
		fail(why, why_len, r == -ENOMEM ? r : -EBADMSG, "cannot decode the %s image: %s",
		     id == AV_CODEC_ID_PNG ? "PNG" : "JPEG", strerror(-r));
		r = r == -ENOMEM ? r : -EBADMSG;
		goto out;
	}
	if (f->width <= 0 || f->height <= 0 || f->width > IMG_MAX_DIM || f->height > IMG_MAX_DIM) {
		r = fail(why, why_len, -E2BIG, "image is %dx%d, limit %dx%d", f->width, f->height,
			 IMG_MAX_DIM, IMG_MAX_DIM);
		goto out;
	}

	/* Fit inside w×h keeping the aspect ratio; black bars around. */
	int64_t rw = w, rh = (int64_t)f->height * w / f->width;
	if (rh > h) {
		rh = h;
		rw = (int64_t)f->width * h / f->height;
	}
	rw &= ~1;
	rh &= ~1;
	if (rw < 2)
		rw = 2;
	if (rh < 2)
		rh = 2;
	int ox = (int)((w - rw) / 2) & ~1, oy = (int)((h - rh) / 2) & ~1;
	size_t ysz = (size_t)w * h, csz = (size_t)(w / 2) * (h / 2);
	memset(i420, 16, ysz);
	memset(i420 + ysz, 128, 2 * csz);

	int full = f->color_range == AVCOL_RANGE_JPEG || f->format == AV_PIX_FMT_YUVJ420P ||
		   f->format == AV_PIX_FMT_YUVJ422P || f->format == AV_PIX_FMT_YUVJ444P ||
		   f->format == AV_PIX_FMT_YUVJ440P;
	struct SwsContext *sws = sws_getContext(f->width, f->height, unj(f->format), (int)rw, (int)rh,
						AV_PIX_FMT_YUV420P, SWS_BICUBIC, NULL, NULL, NULL);
	if (!sws) {
		r = fail(why, why_len, -ENOTSUP, "cannot convert pixel format %d", f->format);
		goto out;
	}
	const int *coef = sws_getCoefficients(SWS_CS_DEFAULT);
	sws_setColorspaceDetails(sws, coef, full, coef, 0, 0, 1 << 16, 1 << 16);
	uint8_t *dp[4] = { i420 + (size_t)oy * w + ox,
			   i420 + ysz + (size_t)(oy / 2) * (w / 2) + ox / 2,
			   i420 + ysz + csz + (size_t)(oy / 2) * (w / 2) + ox / 2, NULL };
	int ds[4] = { w, w / 2, w / 2, 0 };
	r = sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dp, ds);
	sws_freeContext(sws);
	r = r < 0 ? fail(why, why_len, media_averr(r), "cannot scale the image") : 0;
out:
	av_frame_free(&f);
	return r;
}

int img_load(const char *path, int w, int h, uint8_t *i420, size_t i420_len,
	     char *why, size_t why_len)
{
	char *buf;
	size_t len;
	int r = rfile_read(path, IMG_MAX_FILE, &buf, &len);

	if (r == -EFBIG)
		return fail(why, why_len, r, "%s is larger than the limit of %u bytes", path,
			    IMG_MAX_FILE);
	if (r < 0)
		return fail(why, why_len, r, "cannot read %s: %s", path, rfile_strerror(r));
	r = img_load_mem((const uint8_t *)buf, len, w, h, i420, i420_len, why, why_len);
	free(buf);
	return r;
}
