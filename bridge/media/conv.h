/* Decoded pictures into hub frames (packed I420 at the output size), and the packers the
 * V4L2 / file sinks use (I420 → YUYV, I420 → NV12).
 *
 * Paths, fastest first: plain plane copies when format and size already match (yuv420p /
 * yuvj420p), NV12 → I420 deinterleave (hardware downloads), libswscale only when scaling or
 * for other formats (one cached SwsContext, no per-frame allocation).
 *
 * Colour range: by default full-range (JPEG) input is converted to limited range, which is
 * what V4L2 consumers assume; CONV_KEEP_RANGE passes it through and flags the frame. */
#ifndef CB_MEDIA_CONV_H
#define CB_MEDIA_CONV_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/frame.h>

#include "hub/hub.h"

enum conv_range_mode {
	CONV_TO_LIMITED = 0,   /* full-range input becomes limited range (frame->full_range = 0) */
	CONV_KEEP_RANGE = 1,   /* keep it; frame->full_range tells the consumer */
};

enum conv_path { CONV_PATH_NONE, CONV_PATH_COPY, CONV_PATH_NV12, CONV_PATH_SWS };

struct conv;

int conv_new(enum conv_range_mode mode, struct conv **out);
void conv_free(struct conv *c);

/* Converts/scales src into dst (dst->width/height/data set by the hub; both even).  Sets
 * dst->full_range, dst->placeholder = 0 and dst->marker (marker_read of the result, -1 when
 * the picture carries none).  Returns 0, -EINVAL for a bad frame, -ENOTSUP for a format swscale cannot
 * read. */
int conv_frame(struct conv *c, const AVFrame *src, struct frame *dst);
/* Which path the last conv_frame took (tests, benchmarks, debug logs). */
enum conv_path conv_last_path(const struct conv *c);

/* Packed I420 (w×h, even) into YUYV 4:2:2 rows of bytesperline (≥ 2w) bytes; chroma rows are
 * repeated.  Returns the bytes used (bytesperline*h), -EINVAL or -ENOSPC (dst_len too small). */
int conv_i420_to_yuyv(const uint8_t *i420, int w, int h, uint8_t *dst, size_t dst_len,
		      int bytesperline);
/* Packed I420 into NV12 with bytesperline (≥ w) for both planes; the UV plane starts at
 * bytesperline*h.  Returns the bytes used (bytesperline*h*3/2), -EINVAL or -ENOSPC. */
int conv_i420_to_nv12(const uint8_t *i420, int w, int h, uint8_t *dst, size_t dst_len,
		      int bytesperline);

#endif
