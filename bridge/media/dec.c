#include "media/dec.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavutil/hwcontext.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>

#include "media/annexb.h"
#include "media/aubuf.h"
#include "media/averr.h"

#define DEC_SAID_MAX 8   /* distinct notices remembered, so none is repeated */

struct dec {
	enum dec_codec codec;
	char hwaccel[32];          /* as asked: "auto", "none" or a type name */
	char hwdevice[256];
	int threads;

	AVCodecContext *ctx;
	AVBufferRef *hwdev;
	enum AVHWDeviceType hw_type;
	enum AVPixelFormat hw_pix_fmt;
	int hw_active;             /* ctx decodes with hw_pix_fmt */
	int hw_failed;             /* get_format had to choose software: fall back for good */
	int hw_errors;             /* consecutive decode errors while on hardware */

	AVPacket *pkt;
	AVBufferRef *own;          /* padded copy of an AU handed over without a buffer */
	AVFrame *frame, *tmp, *sw;
	AVFrame *last;             /* what the last call handed out */

	int need_key;
	char reason[256];
	int reason_new;
	/* The codec cannot be decoded (no decoder in this FFmpeg, or it does not open): said
	 * once, not retried until the codec or the stream's parameter sets change. */
	int open_err;
	char open_why[160];
	int open_why_new;
	uint32_t open_ps;          /* hash of the parameter sets it failed with (0 = none seen) */
	uint32_t said[DEC_SAID_MAX];  /* hashes of the notices handed out (fallbacks, errors) */
	unsigned nsaid;
	struct dec_info info;
};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *dec_codec_name(enum dec_codec codec)
{
	switch (codec) {
	case DEC_H264:
		return "h264";
	case DEC_H265:
		return "h265";
	}
	return "unknown";
}

static enum AVCodecID codec_id(enum dec_codec c)
{
	return c == DEC_H265 ? AV_CODEC_ID_HEVC : c == DEC_H264 ? AV_CODEC_ID_H264 : AV_CODEC_ID_NONE;
}

int dec_hwaccel_valid(const char *name)
{
	if (!name || !*name || !strcmp(name, "auto") || !strcmp(name, "none"))
		return 1;
	return av_hwdevice_find_type_by_name(name) != AV_HWDEVICE_TYPE_NONE;
}

void dec_hwaccel_list(char *buf, size_t len)
{
	enum AVHWDeviceType t = AV_HWDEVICE_TYPE_NONE;
	size_t n;

	if (!len)
		return;
	snprintf(buf, len, "auto none");
	while ((t = av_hwdevice_iterate_types(t)) != AV_HWDEVICE_TYPE_NONE) {
		n = strlen(buf);
		snprintf(buf + n, len - n, " %s", av_hwdevice_get_type_name(t));
	}
}

static void set_reason(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(struct dec *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	d->reason_new = 1;
}

/* Appends src to dst (size bytes), truncating. */
static void append(char *dst, size_t size, const char *src)
{
	size_t n = strlen(dst), m = strlen(src);

	if (n + 1 >= size)
		return;
	if (m > size - n - 1)
		m = size - n - 1;
	memcpy(dst + n, src, m);
	dst[n + m] = 0;
}

/* The pixel format the decoder uses for hardware type t, or NONE. */
static enum AVPixelFormat hw_format_for(const AVCodec *c, enum AVHWDeviceType t)
{
	const AVCodecHWConfig *cfg;

	for (int i = 0; (cfg = avcodec_get_hw_config(c, i)); i++)
		if ((cfg->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) && cfg->device_type == t)
			return cfg->pix_fmt;
	return AV_PIX_FMT_NONE;
}

static enum AVPixelFormat get_format(AVCodecContext *ctx, const enum AVPixelFormat *fmts)
{
	struct dec *d = ctx->opaque;
	const enum AVPixelFormat *p;

	if (d->hw_active && !d->hw_failed) {
		for (p = fmts; *p != AV_PIX_FMT_NONE; p++)
			if (*p == d->hw_pix_fmt)
				return *p;
		/* Not offered: unsupported profile/size, or libavcodec just failed to set up the
		 * hwaccel and calls again without it. */
		d->hw_failed = 1;
	}
	for (p = fmts; *p != AV_PIX_FMT_NONE; p++) {
		const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(*p);
		if (desc && !(desc->flags & AV_PIX_FMT_FLAG_HWACCEL))
			return *p;
	}
	return AV_PIX_FMT_NONE;
}

/* Tries one hwdevice type; 0 or a negative errno with the reason stored. */
static int try_hw(struct dec *d, const AVCodec *c, enum AVHWDeviceType t)
{
	const char *name = av_hwdevice_get_type_name(t);
	enum AVPixelFormat fmt = hw_format_for(c, t);
	int r;

	if (fmt == AV_PIX_FMT_NONE) {
		set_reason(d, "%s: the %s decoder cannot use it", name, dec_codec_name(d->codec));
		return -ENOTSUP;
	}
	r = av_hwdevice_ctx_create(&d->hwdev, t, d->hwdevice[0] ? d->hwdevice : NULL, NULL, 0);
	if (r < 0) {
		char e[AV_ERROR_MAX_STRING_SIZE];
		av_strerror(r, e, sizeof(e));
		set_reason(d, "%s: cannot open device %s: %s", name,
			   d->hwdevice[0] ? d->hwdevice : "(default)", e);
		return media_averr(r);
	}
	d->hw_type = t;
	d->hw_pix_fmt = fmt;
	return 0;
}

/* Picks the hwdevice (or none) as asked; never fails for an unusable device. */
static void setup_hw(struct dec *d, const AVCodec *c)
{
	d->hw_type = AV_HWDEVICE_TYPE_NONE;
	d->hw_pix_fmt = AV_PIX_FMT_NONE;
	d->hw_failed = 0;
	d->hw_errors = 0;
	if (!d->hwaccel[0] || !strcmp(d->hwaccel, "none"))
		return;
	if (strcmp(d->hwaccel, "auto")) {
		(void)try_hw(d, c, av_hwdevice_find_type_by_name(d->hwaccel));
		return;
	}
	/* auto: VA-API first, then every other type the decoder supports. */
	char why[sizeof(d->reason)] = "";
	const AVCodecHWConfig *cfg;
	if (!try_hw(d, c, AV_HWDEVICE_TYPE_VAAPI))
		return;
	append(why, sizeof(why), d->reason);
	for (int i = 0; (cfg = avcodec_get_hw_config(c, i)); i++) {
		if (!(cfg->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) ||
		    cfg->device_type == AV_HWDEVICE_TYPE_VAAPI)
			continue;
		if (!try_hw(d, c, cfg->device_type))
			return;
		append(why, sizeof(why), "; ");
		append(why, sizeof(why), d->reason);
	}
	set_reason(d, "auto: no usable hwaccel (%s)", why);
}

static int open_ctx(struct dec *d, int use_hw)
{
	const AVCodec *c = avcodec_find_decoder(codec_id(d->codec));
	int r;

	if (!c)
		return -ENOSYS;
	d->ctx = avcodec_alloc_context3(c);
	if (!d->ctx)
		return -ENOMEM;
	d->ctx->opaque = d;
	d->ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
	/* Frame threads add one frame of delay per thread: slice threads only. */
	d->ctx->thread_count = d->threads > 1 ? d->threads : 1;
	d->ctx->thread_type = FF_THREAD_SLICE;
	d->hw_active = 0;
	if (use_hw && d->hwdev) {
		d->ctx->hw_device_ctx = av_buffer_ref(d->hwdev);
		if (!d->ctx->hw_device_ctx)
			return -ENOMEM;
		d->ctx->get_format = get_format;
		d->ctx->hwaccel_flags |= AV_HWACCEL_FLAG_ALLOW_PROFILE_MISMATCH;
		d->hw_active = 1;
	}
	r = avcodec_open2(d->ctx, c, NULL);
	if (r < 0) {
		avcodec_free_context(&d->ctx);
		d->hw_active = 0;
		return media_averr(r);
	}
	return 0;
}

static void close_ctx(struct dec *d)
{
	avcodec_free_context(&d->ctx);
	av_frame_unref(d->frame);
	av_frame_unref(d->tmp);
	av_frame_unref(d->sw);
	d->last = NULL;
	d->hw_active = 0;
}

static int open_failed(struct dec *d, int err)
{
	if (err == -ENOSYS)
		snprintf(d->open_why, sizeof(d->open_why), "this FFmpeg has no %s decoder",
			 dec_codec_name(d->codec));
	else
		snprintf(d->open_why, sizeof(d->open_why), "cannot open the %s decoder: %s",
			 dec_codec_name(d->codec), strerror(-err));
	d->open_err = err;
	d->open_why_new = 1;
	return err;
}

/* Opens for d->codec: hardware as asked when it works, else software. */
static int open_all(struct dec *d)
{
	const AVCodec *c = avcodec_find_decoder(codec_id(d->codec));
	int r;

	d->open_err = 0;
	if (!c)
		return open_failed(d, -ENOSYS);
	av_buffer_unref(&d->hwdev);
	setup_hw(d, c);
	if (d->hwdev) {
		r = open_ctx(d, 1);
		if (!r)
			goto done;
		char e[64];
		snprintf(e, sizeof(e), "%s", strerror(-r));
		set_reason(d, "%s: cannot open the %s decoder: %s", av_hwdevice_get_type_name(d->hw_type),
			   dec_codec_name(d->codec), e);
		av_buffer_unref(&d->hwdev);
	}
	r = open_ctx(d, 0);
	if (r < 0)
		return open_failed(d, r);
done:
	d->need_key = 1;
	d->info.codec = d->codec;
	d->info.hw = d->hw_active;
	return 0;
}

/* mpv-style: drop the hardware context and start again with a clean software decoder. */
static int fall_back(struct dec *d, const char *what, int err)
{
	const char *name = av_hwdevice_get_type_name(d->hw_type);

	set_reason(d, "%s: %s (%s); switched to software decoding", name ? name : "hwaccel", what,
		   err ? strerror(-err) : "no hardware format offered");
	close_ctx(d);
	av_buffer_unref(&d->hwdev);
	d->info.hw_fallbacks++;
	d->info.hw = 0;
	d->need_key = 1;
	return open_ctx(d, 0);
}

int dec_new(const struct dec_opts *o, struct dec **out)
{
	struct dec *d;
	int r;

	if (!o || (o->codec && codec_id(o->codec) == AV_CODEC_ID_NONE))
		return -EINVAL;
	if (!dec_hwaccel_valid(o->hwaccel))
		return -EINVAL;
	if (o->hwaccel && strlen(o->hwaccel) >= sizeof(d->hwaccel))
		return -EINVAL;
	if (o->hwdevice && strlen(o->hwdevice) >= sizeof(d->hwdevice))
		return -ENAMETOOLONG;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->codec = o->codec;
	snprintf(d->hwaccel, sizeof(d->hwaccel), "%s", o->hwaccel ? o->hwaccel : "none");
	snprintf(d->hwdevice, sizeof(d->hwdevice), "%s", o->hwdevice ? o->hwdevice : "");
	d->threads = o->threads;
	d->info.pix_fmt = AV_PIX_FMT_NONE;
	d->info.pix_fmt_name = "none";
	d->pkt = av_packet_alloc();
	d->frame = av_frame_alloc();
	d->tmp = av_frame_alloc();
	d->sw = av_frame_alloc();
	if (!d->pkt || !d->frame || !d->tmp || !d->sw) {
		r = -ENOMEM;
		goto fail;
	}
	if (d->codec && (r = open_all(d)) < 0)
		goto fail;
	*out = d;
	return 0;
fail:
	dec_free(d);
	return r;
}

void dec_free(struct dec *d)
{
	if (!d)
		return;
	close_ctx(d);
	av_buffer_unref(&d->hwdev);
	av_packet_free(&d->pkt);
	av_frame_free(&d->frame);
	av_frame_free(&d->tmp);
	av_frame_free(&d->sw);
	av_buffer_unref(&d->own);
	free(d);
}

int dec_set_codec(struct dec *d, enum dec_codec codec)
{
	if (codec_id(codec) == AV_CODEC_ID_NONE)
		return -EINVAL;
	if (codec == d->codec && (d->ctx || d->open_err))
		return d->ctx ? 0 : d->open_err;   /* failed before: not again for the same codec */
	close_ctx(d);
	d->codec = codec;
	d->open_ps = 0;
	d->info.width = d->info.height = 0;
	return open_all(d);
}

void dec_mark_loss(struct dec *d)
{
	d->need_key = 1;
	if (d->ctx)
		avcodec_flush_buffers(d->ctx);
}

int dec_need_keyframe(const struct dec *d)
{
	return d->need_key;
}

void dec_get_info(const struct dec *d, struct dec_info *info)
{
	*info = d->info;
}

const char *dec_hwaccel_name(const struct dec *d)
{
	return d->hw_active ? av_hwdevice_get_type_name(d->hw_type) : "none";
}

const char *dec_fallback_reason(const struct dec *d)
{
	return !d->hw_active && d->reason[0] ? d->reason : NULL;
}

/* 1 the first time this text is handed out, 0 after (FNV-1a; DEC_SAID_MAX remembered). */
static int first_time(struct dec *d, const char *text)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		h = (h ^ *p) * 16777619u;
	for (unsigned i = 0; i < d->nsaid && i < DEC_SAID_MAX; i++)
		if (d->said[i] == h)
			return 0;
	d->said[d->nsaid++ % DEC_SAID_MAX] = h;
	return 1;
}

const char *dec_take_fallback_reason(struct dec *d)
{
	if (!d->reason_new || d->hw_active)
		return NULL;
	d->reason_new = 0;
	return first_time(d, d->reason) ? d->reason : NULL;
}

const char *dec_error(const struct dec *d)
{
	return d->ctx || !d->open_err ? NULL : d->open_why;
}

const char *dec_take_error(struct dec *d)
{
	if (!d->open_why_new || d->ctx || !d->open_err)
		return NULL;
	d->open_why_new = 0;
	return first_time(d, d->open_why) ? d->open_why : NULL;
}

/* Hardware frame → system memory, into a frame kept between calls (no per-frame alloc). */
static int download(struct dec *d, AVFrame *hw, AVFrame **out)
{
	int r;

	if (d->sw->buf[0] && (d->sw->width != hw->width || d->sw->height != hw->height))
		av_frame_unref(d->sw);
	r = av_hwframe_transfer_data(d->sw, hw, 0);
	if (r < 0)
		return media_averr(r);
	r = av_frame_copy_props(d->sw, hw);
	if (r < 0)
		return media_averr(r);
	*out = d->sw;
	return 0;
}

/* Sends the AU and keeps the newest picture in d->frame.  1 = picture, 0 = none. */
static int feed(struct dec *d, int key)
{
	int r, got = 0;

	av_frame_unref(d->frame);
	d->pkt->flags = key ? AV_PKT_FLAG_KEY : 0;
	r = avcodec_send_packet(d->ctx, d->pkt);
	if (r < 0 && r != AVERROR(EAGAIN))
		return media_averr(r);
	for (;;) {
		int rr = avcodec_receive_frame(d->ctx, d->tmp);
		if (rr == AVERROR(EAGAIN) || rr == AVERROR_EOF)
			break;
		if (rr < 0)
			return media_averr(rr);
		if (got)
			d->info.dropped++;     /* an older picture: only the newest matters */
		av_frame_unref(d->frame);
		av_frame_move_ref(d->frame, d->tmp);
		got = 1;
	}
	if (r == AVERROR(EAGAIN)) {
		/* The decoder was full (cannot happen with one picture per AU, but be safe). */
		r = avcodec_send_packet(d->ctx, d->pkt);
		if (r < 0)
			return media_averr(r);
	}
	return got;
}

/* Does the AU hold a picture (VCL NAL)?  Parameter-set-only AUs are fed even while waiting
 * for a keyframe: some sources send SPS/PPS separately, just before the IDR.  *ps: a hash of
 * its parameter sets (VPS/SPS/PPS), 0 when it has none. */
static int scan_au(enum dec_codec c, const uint8_t *au, size_t len, uint32_t *ps)
{
	const uint8_t *pos = au, *nal;
	size_t n;
	int pic = 0;

	*ps = 0;
	while (annexb_nal_next(&pos, au + len, NULL, &nal, &n)) {
		if (!n)
			continue;
		int t = c == DEC_H264 ? nal[0] & 0x1f : (nal[0] >> 1) & 0x3f;
		if (c == DEC_H264 ? (t >= 1 && t <= 5) : t <= 31)
			pic = 1;
		else if (c == DEC_H264 ? (t == 7 || t == 8) : (t >= 32 && t <= 34))
			for (size_t i = 0; i < n; i++)
				*ps = (*ps ^ nal[i]) * 16777619u;
	}
	return pic;
}

static int hard_hw_error(int err)
{
	/* Bad bitstream data is the stream's fault, not the hardware's: only count those. */
	return err != -EBADMSG && err != -EAGAIN;
}

static int decode(struct dec *d, AVBufferRef *buf, const uint8_t *au, size_t len, int keyframe,
		  struct dec_out *out, int64_t t0)
{
	uint32_t ps;
	int key, r;

	if (!d->codec)
		return -EINVAL;
	int pic = scan_au(d->codec, au, len, &ps);
	if (!d->ctx) {
		/* It failed to open: only new parameter sets (another profile or size) are worth
		 * another try — not every AU, hardware probing and all. */
		if (d->open_err && (!ps || ps == d->open_ps))
			return d->open_err;
		d->open_ps = ps;
		if ((r = open_all(d)) < 0)
			return r;
	}
	key = keyframe || annexb_is_keyframe(d->codec, au, len);
	if (d->need_key && !key && pic) {
		/* Decoding would only produce smears: skip the work until a keyframe. */
		d->info.dropped++;
		out->dropped = 1;
		return 0;
	}
	if (buf && au >= buf->data && len + AV_INPUT_BUFFER_PADDING_SIZE <= buf->size &&
	    (size_t)(au - buf->data) <= buf->size - len - AV_INPUT_BUFFER_PADDING_SIZE) {
		/* libavcodec takes a reference: no copy. */
		if (!(d->pkt->buf = av_buffer_ref(buf)))
			return -ENOMEM;
		d->pkt->data = (uint8_t *)au;
	} else {
		if (aubuf_fill(&d->own, au, len, NULL, 0) < 0)
			return -ENOMEM;
		if (!(d->pkt->buf = av_buffer_ref(d->own)))
			return -ENOMEM;
		d->pkt->data = d->own->data;
	}
	d->pkt->size = (int)len;

	r = feed(d, key);
	if (r == -EBADMSG && !pic)
		r = 0;   /* h264 says "no frame!" for parameter sets alone, after storing them */
	if (r < 0 && d->hw_active && (hard_hw_error(r) || ++d->hw_errors >= DEC_HW_MAX_ERRORS)) {
		int rr = fall_back(d, "decode error", r);
		if (rr < 0)
			return rr;
		r = key ? feed(d, key) : 0;
	} else if (r >= 0 && d->hw_active && d->hw_failed) {
		/* libavcodec had to pick a software format: redo cleanly in software. */
		int rr = fall_back(d, "hardware decoding not possible for this stream", 0);
		if (rr < 0)
			return rr;
		r = key ? feed(d, key) : 0;
	}
	if (r < 0) {
		d->info.errors++;
		d->need_key = 1;
		out->decode_us = now_us() - t0;
		return r;
	}
	if (key)
		d->need_key = 0;
	if (r == 0) {   /* parameter sets only, or nothing ready */
		out->decode_us = now_us() - t0;
		return 0;
	}
	d->hw_errors = 0;

	AVFrame *f = d->frame;
	if (f->decode_error_flags || (f->flags & AV_FRAME_FLAG_CORRUPT)) {
		/* Concealed damage: do not show it, wait for a clean keyframe. */
		d->info.errors++;
		d->info.dropped++;
		d->need_key = 1;
		out->dropped = 1;
		out->decode_us = now_us() - t0;
		return 0;
	}
	if (d->hw_active && f->format == d->hw_pix_fmt) {
		r = download(d, f, &f);
		if (r < 0) {
			int rr = fall_back(d, "cannot download the picture", r);
			if (rr < 0)
				return rr;
			out->decode_us = now_us() - t0;
			if (!key)
				return 0;
			r = feed(d, key);
			if (r == -EBADMSG && !pic)
				r = 0;   /* parameter sets alone, as above */
			if (r <= 0)
				return r;
			d->need_key = 0;
			f = d->frame;
		}
	}
	d->info.width = f->width;
	d->info.height = f->height;
	d->info.pix_fmt = f->format;
	d->info.pix_fmt_name = av_get_pix_fmt_name(f->format);
	if (!d->info.pix_fmt_name)
		d->info.pix_fmt_name = "none";
	d->info.full_range = f->color_range == AVCOL_RANGE_JPEG || f->format == AV_PIX_FMT_YUVJ420P ||
			     f->format == AV_PIX_FMT_YUVJ422P || f->format == AV_PIX_FMT_YUVJ444P;
	d->info.frames++;
	d->last = f;
	out->frame = f;
	out->decode_us = now_us() - t0;
	return 1;
}

int dec_decode_buf(struct dec *d, AVBufferRef *buf, const uint8_t *au, size_t len, int keyframe,
		   struct dec_out *out)
{
	int64_t t0 = now_us();
	int r;

	memset(out, 0, sizeof(*out));
	d->last = NULL;
	av_frame_unref(d->frame);
	if (!au || !len)
		return -EINVAL;
	if (len > DEC_MAX_AU_BYTES)
		return -E2BIG;
	r = decode(d, buf, au, len, keyframe, out, t0);
	av_packet_unref(d->pkt);   /* our reference; libavcodec keeps its own while it needs it */
	return r;
}

int dec_decode(struct dec *d, const uint8_t *au, size_t len, int keyframe, struct dec_out *out)
{
	return dec_decode_buf(d, NULL, au, len, keyframe, out);
}
