/* Output pixel formats of the sinks, and packing the hub's packed I420 into them.
 *
 * YUYV/NV12 without range change go through media/conv.h (conv_i420_to_yuyv/_nv12); the
 * loops here only cover what those do not: I420 with a padded stride, and frames whose range
 * differs from what the sink announced.  Caller-provided buffer: no allocation. */
#ifndef CB_OUT_OUTFMT_H
#define CB_OUT_OUTFMT_H

#include <stddef.h>
#include <stdint.h>

struct frame;

enum outfmt {
	OUTFMT_I420 = 0,   /* V4L2 YU12: Y plane, U plane, V plane (default: Chrome's 1st choice) */
	OUTFMT_YUYV,       /* packed 4:2:2 Y0 U Y1 V (OBS virtual cam, widest legacy support) */
	OUTFMT_NV12,       /* Y plane, then interleaved U V */
};

/* "i420" (also "yu12", "yuv420p"), "yuyv" (also "yuy2"), "nv12"; -EINVAL otherwise. */
int outfmt_parse(const char *name);
const char *outfmt_name(enum outfmt fmt);

/* Smallest line stride for `width` (bytes of one Y row, or one YUYV row). */
size_t outfmt_min_stride(enum outfmt fmt, int width);
/* Bytes of one picture with Y/line stride `stride` (planar 4:2:0 chroma strides follow the
 * V4L2 convention: stride/2 for I420, stride for NV12's UV plane); 0 if stride is unusable. */
size_t outfmt_image_size(enum outfmt fmt, size_t stride, int height);

/* Value maps for YUV range conversion: identity unless from_full != to_full. */
struct outfmt_range {
	int identity;
	uint8_t y[256];
	uint8_t c[256];
};
void outfmt_range_init(struct outfmt_range *r, int from_full, int to_full);

/* Packs I420 `src` (w×h, packed) into `dst` (dst_len ≥ outfmt_image_size(fmt, stride, h))
 * with the given stride; `range` may be NULL (no conversion).  Padding bytes are left as they
 * are.  Returns the bytes of the picture, or -EINVAL (odd/zero size, stride or dst too small). */
long outfmt_pack(enum outfmt fmt, const uint8_t *src, int w, int h, uint8_t *dst, size_t stride,
		 size_t dst_len, const struct outfmt_range *range);

#endif
