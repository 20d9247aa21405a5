#include "sink/outfmt.h"
#include "media/conv.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

int outfmt_parse(const char *name)
{
	if (!name)
		return -EINVAL;
	if (!strcasecmp(name, "i420") || !strcasecmp(name, "yu12") || !strcasecmp(name, "yuv420p"))
		return OUTFMT_I420;
	if (!strcasecmp(name, "yuyv") || !strcasecmp(name, "yuy2"))
		return OUTFMT_YUYV;
	if (!strcasecmp(name, "nv12"))
		return OUTFMT_NV12;
	return -EINVAL;
}

const char *outfmt_name(enum outfmt fmt)
{
	switch (fmt) {
	case OUTFMT_I420: return "i420";
	case OUTFMT_YUYV: return "yuyv";
	case OUTFMT_NV12: return "nv12";
	}
	return "?";
}

size_t outfmt_min_stride(enum outfmt fmt, int width)
{
	if (width <= 0)
		return 0;
	return fmt == OUTFMT_YUYV ? (size_t)width * 2 : (size_t)width;
}

size_t outfmt_image_size(enum outfmt fmt, size_t stride, int height)
{
	if (height <= 0 || height % 2 || stride == 0)
		return 0;
	switch (fmt) {
	case OUTFMT_YUYV:
		return stride * (size_t)height;
	case OUTFMT_I420:
		if (stride % 2)
			return 0;
		return stride * (size_t)height + 2 * (stride / 2) * (size_t)(height / 2);
	case OUTFMT_NV12:
		return stride * (size_t)height + stride * (size_t)(height / 2);
	}
	return 0;
}

static uint8_t clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

void outfmt_range_init(struct outfmt_range *r, int from_full, int to_full)
{
	r->identity = !from_full == !to_full;
	for (int i = 0; i < 256; i++) {
		if (r->identity) {
			r->y[i] = r->c[i] = (uint8_t)i;
		} else if (from_full) {   /* 0..255 → 16..235 / 16..240 */
			r->y[i] = clamp8(16 + (i * 219 + 127) / 255);
			r->c[i] = clamp8(128 + ((i - 128) * 224 + (i >= 128 ? 127 : -127)) / 255);
		} else {                  /* 16..235 / 16..240 → 0..255 */
			r->y[i] = clamp8(((i - 16) * 255 + (i >= 16 ? 109 : -109)) / 219);
			r->c[i] = clamp8(128 + ((i - 128) * 255 + (i >= 128 ? 112 : -112)) / 224);
		}
	}
}

static void copy_row(uint8_t *d, const uint8_t *s, size_t n, const uint8_t *lut)
{
	if (!lut) {
		memcpy(d, s, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		d[i] = lut[s[i]];
}

long outfmt_pack(enum outfmt fmt, const uint8_t *src, int w, int h, uint8_t *dst, size_t stride,
		 size_t dst_len, const struct outfmt_range *range)
{
	const uint8_t *ylut = NULL, *clut = NULL;
	size_t cw, ch, need;
	const uint8_t *sy, *su, *sv;

	if (w <= 0 || h <= 0 || w % 2 || h % 2 || stride < outfmt_min_stride(fmt, w))
		return -EINVAL;
	need = outfmt_image_size(fmt, stride, h);
	if (need == 0 || need > dst_len || need > (size_t)0x7fffffff)
		return -EINVAL;
	if (range && !range->identity) {
		ylut = range->y;
		clut = range->c;
	}
	/* Same range: the media library's packers (identical layout). */
	if (!ylut && fmt != OUTFMT_I420) {
		int r = fmt == OUTFMT_YUYV ? conv_i420_to_yuyv(src, w, h, dst, dst_len, (int)stride)
					   : conv_i420_to_nv12(src, w, h, dst, dst_len, (int)stride);

		return r < 0 ? r : (long)need;
	}
	cw = (size_t)w / 2;
	ch = (size_t)h / 2;
	sy = src;
	su = sy + (size_t)w * (size_t)h;
	sv = su + cw * ch;

	switch (fmt) {
	case OUTFMT_I420: {
		uint8_t *du = dst + stride * (size_t)h, *dv = du + (stride / 2) * ch;

		for (size_t y = 0; y < (size_t)h; y++)
			copy_row(dst + y * stride, sy + y * (size_t)w, (size_t)w, ylut);
		for (size_t y = 0; y < ch; y++) {
			copy_row(du + y * (stride / 2), su + y * cw, cw, clut);
			copy_row(dv + y * (stride / 2), sv + y * cw, cw, clut);
		}
		break;
	}
	case OUTFMT_NV12: {
		uint8_t *duv = dst + stride * (size_t)h;

		for (size_t y = 0; y < (size_t)h; y++)
			copy_row(dst + y * stride, sy + y * (size_t)w, (size_t)w, ylut);
		for (size_t y = 0; y < ch; y++) {
			uint8_t *d = duv + y * stride;
			const uint8_t *u = su + y * cw, *v = sv + y * cw;

			for (size_t x = 0; x < cw; x++) {
				d[2 * x] = clut ? clut[u[x]] : u[x];
				d[2 * x + 1] = clut ? clut[v[x]] : v[x];
			}
		}
		break;
	}
	case OUTFMT_YUYV:
		/* 4:2:0 → 4:2:2: each chroma row serves two luma rows. */
		for (size_t y = 0; y < (size_t)h; y++) {
			uint8_t *d = dst + y * stride;
			const uint8_t *ly = sy + y * (size_t)w;
			const uint8_t *u = su + (y / 2) * cw, *v = sv + (y / 2) * cw;

			for (size_t x = 0; x < cw; x++) {
				if (ylut) {
					d[4 * x] = ylut[ly[2 * x]];
					d[4 * x + 1] = clut[u[x]];
					d[4 * x + 2] = ylut[ly[2 * x + 1]];
					d[4 * x + 3] = clut[v[x]];
				} else {
					d[4 * x] = ly[2 * x];
					d[4 * x + 1] = u[x];
					d[4 * x + 2] = ly[2 * x + 1];
					d[4 * x + 3] = v[x];
				}
			}
		}
		break;
	default:
		return -EINVAL;
	}
	return (long)need;
}
