/* H.264 / H.265 decoding of Annex-B access units over libavcodec, with optional hardware
 * decoding through FFmpeg's hwdevice API and a software fallback.
 *
 * Latency: one AU in, at most one picture out, no frame threads (slice threads only) and
 * AV_CODEC_FLAG_LOW_DELAY.  After a loss (dec_mark_loss) or a decode error nothing is output
 * until the next keyframe, so no grey/green smears reach the viewers.
 *
 * A codec that cannot be decoded (an FFmpeg without HEVC) is not retried on every AU: the
 * decoder remembers the failure until the codec or the stream's parameter sets change. */
#ifndef CB_MEDIA_DEC_H
#define CB_MEDIA_DEC_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

struct AVBufferRef;

/* Same values as enum au_codec (source/auq.h). */
enum dec_codec { DEC_H264 = 1, DEC_H265 = 2 };

/* Largest access unit accepted by dec_decode. */
#define DEC_MAX_AU_BYTES (16u << 20)
/* Consecutive hardware decode errors before falling back to software. */
#define DEC_HW_MAX_ERRORS 3

struct dec_opts {
	enum dec_codec codec;     /* 0: none yet, dec_set_codec opens it */
	const char *hwaccel;      /* "auto", "none" (or NULL), or an FFmpeg hwdevice type name */
	const char *hwdevice;     /* e.g. "/dev/dri/renderD128"; NULL = the type's default */
	int threads;              /* ≤ 1: one thread; > 1: that many slice threads */
};

struct dec_info {
	enum dec_codec codec;
	int width, height;        /* of the last picture output; 0 before the first */
	int full_range;           /* 1 = full-range (JPEG) YUV */
	int pix_fmt;              /* enum AVPixelFormat of the pictures output (after download) */
	const char *pix_fmt_name; /* "yuv420p", "yuvj420p", "nv12" … or "none" */
	int hw;                   /* 1 = hardware decoding is in use */
	uint64_t frames;          /* pictures output */
	uint64_t dropped;         /* AUs/pictures dropped while waiting for a keyframe */
	uint64_t errors;          /* decode errors */
	uint64_t hw_fallbacks;    /* switches from hardware to software */
};

struct dec_out {
	AVFrame *frame;           /* the picture, or NULL; owned by the decoder and valid until
				   * the next dec_decode / dec_set_codec / dec_free */
	int64_t decode_us;        /* time this call spent decoding (incl. hw download) */
	int dropped;              /* 1 = the AU was skipped or its picture dropped (no keyframe yet) */
};

struct dec;

/* -EINVAL for an unknown hwaccel name (see dec_hwaccel_valid), -ENOSYS when libavcodec lacks
 * the decoder (with o->codec 0 that comes from dec_set_codec / dec_decode instead, and the
 * decoder stays usable for another codec).  A hwaccel that cannot be used is not an error:
 * decoding falls back to software and dec_fallback_reason() says why. */
int dec_new(const struct dec_opts *o, struct dec **out);
void dec_free(struct dec *d);

/* Decodes one access unit (Annex-B).  keyframe: the caller's flag (the AU is also scanned for
 * IDR/IRAP NAL units).  Returns 1 with out->frame set, 0 without a picture (skipped while
 * waiting for a keyframe, or none ready), or a negative errno (bad data: the decoder then
 * waits for a keyframe; the caller keeps feeding). */
int dec_decode(struct dec *d, const uint8_t *au, size_t len, int keyframe, struct dec_out *out);
/* Same for an AU inside a reference-counted buffer with AV_INPUT_BUFFER_PADDING_SIZE bytes
 * after it (media/aubuf.h, auq_pop): libavcodec takes a reference instead of a copy.  Without
 * buf (or with an AU not inside it) the AU is copied once, into a buffer kept for the next. */
int dec_decode_buf(struct dec *d, struct AVBufferRef *buf, const uint8_t *au, size_t len,
		   int keyframe, struct dec_out *out);

/* Re-opens the decoder for another codec (no-op when unchanged).  Waits for a keyframe.
 * A codec that failed to open returns the same error again without another try. */
int dec_set_codec(struct dec *d, enum dec_codec codec);
/* The caller lost data: drop everything until the next keyframe. */
void dec_mark_loss(struct dec *d);
/* 1 while pictures are being dropped waiting for a keyframe. */
int dec_need_keyframe(const struct dec *d);

void dec_get_info(const struct dec *d, struct dec_info *info);
/* The hwdevice type in use ("vaapi", …) or "none" for software decoding. */
const char *dec_hwaccel_name(const struct dec *d);
/* Why hardware decoding is not in use although it was asked for (NULL when it is, or when
 * "none" was asked), e.g. "vaapi: cannot create device: Input/output error". */
const char *dec_fallback_reason(const struct dec *d);
/* The reason after a fallback, once per distinct reason over the decoder's life (then NULL):
 * the caller logs it once, not again at every reconnect or codec change. */
const char *dec_take_fallback_reason(struct dec *d);
/* Why the current codec cannot be decoded ("this FFmpeg has no h265 decoder"), or NULL. */
const char *dec_error(const struct dec *d);
/* The same, once per distinct error (then NULL), for the caller to log. */
const char *dec_take_error(struct dec *d);

/* 1 when name is "auto", "none" or a hwdevice type this FFmpeg knows. */
int dec_hwaccel_valid(const char *name);
/* "auto none vaapi vdpau cuda …" into buf (for error messages and --help). */
void dec_hwaccel_list(char *buf, size_t len);
const char *dec_codec_name(enum dec_codec codec);

#endif
