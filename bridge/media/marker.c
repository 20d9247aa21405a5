#include "media/marker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A cell counts as black/white when its mean is within MARGIN of the nominal level and no
 * sampled pixel strays further than SPREAD: codec noise passes, random pictures do not. */
#define MARKER_MARGIN 40
#define MARKER_SPREAD 70

int marker_band_height(int h)
{
	return h / 16;
}

static int usable(int w, int h)
{
	return w >= MARKER_MIN_W && h >= MARKER_MIN_H;
}

void marker_draw(uint8_t *y, int stride, int w, int h, uint32_t counter)
{
	int bh = marker_band_height(h);

	if (!usable(w, h))
		return;
	uint8_t *row = y;
	for (int i = 0; i < MARKER_BITS; i++) {
		int x0 = (int)((int64_t)i * w / MARKER_BITS);
		int x1 = (int)((int64_t)(i + 1) * w / MARKER_BITS);
		memset(row + x0, (counter >> (31 - i)) & 1 ? MARKER_Y_ONE : MARKER_Y_ZERO,
		       (size_t)(x1 - x0));
	}
	for (int r = 1; r < bh; r++)
		memcpy(y + (size_t)r * stride, row, (size_t)w);
}

void marker_draw_chroma(uint8_t *u, uint8_t *v, int cstride, int w, int h)
{
	int cw = (w + 1) / 2, ch = (marker_band_height(h) + 1) / 2;

	if (!usable(w, h))
		return;
	for (int r = 0; r < ch; r++) {
		memset(u + (size_t)r * cstride, 128, (size_t)cw);
		memset(v + (size_t)r * cstride, 128, (size_t)cw);
	}
}

void marker_draw_i420(uint8_t *i420, int w, int h, uint32_t counter)
{
	size_t ysz = (size_t)w * h, csz = (size_t)(w / 2) * (h / 2);

	marker_draw(i420, w, w, h, counter);
	marker_draw_chroma(i420 + ysz, i420 + ysz + csz, w / 2, w, h);
}

/* step = distance between horizontally adjacent luma samples (1 planar, 2 YUYV). */
static int64_t read_generic(const uint8_t *y, size_t stride, int step, int w, int h)
{
	int bh = marker_band_height(h);
	uint32_t v = 0;

	if (!usable(w, h))
		return -1;
	/* The centre half of each cell in both directions, away from blurred edges. */
	int r0 = bh / 4, r1 = bh - bh / 4;
	if (r1 <= r0)
		r1 = r0 + 1;
	for (int i = 0; i < MARKER_BITS; i++) {
		int x0 = (int)((int64_t)i * w / MARKER_BITS);
		int x1 = (int)((int64_t)(i + 1) * w / MARKER_BITS);
		int cw = x1 - x0;
		int s0 = x0 + cw / 4, s1 = x1 - cw / 4;
		if (s1 <= s0)
			s1 = s0 + 1;
		unsigned sum = 0, n = 0, lo = 255, hi = 0;
		for (int r = r0; r < r1; r++) {
			const uint8_t *p = y + (size_t)r * stride;
			for (int x = s0; x < s1; x++) {
				unsigned s = p[(size_t)x * step];
				sum += s;
				n++;
				if (s < lo)
					lo = s;
				if (s > hi)
					hi = s;
			}
		}
		unsigned mean = sum / n;
		int bit;
		if (mean <= MARKER_Y_ZERO + MARKER_MARGIN && hi <= MARKER_Y_ZERO + MARKER_SPREAD)
			bit = 0;
		else if (mean >= MARKER_Y_ONE - MARKER_MARGIN && lo + MARKER_SPREAD >= MARKER_Y_ONE)
			bit = 1;
		else
			return -1;
		v = v << 1 | (uint32_t)bit;
	}
	return v;
}

int64_t marker_read(const uint8_t *y, int stride, int w, int h)
{
	if (!y || stride < w)
		return -1;
	return read_generic(y, (size_t)stride, 1, w, h);
}

size_t marker_image_size(int w, int h, const char *format)
{
	if (w <= 0 || h <= 0 || w > 16384 || h > 16384 || !format)
		return 0;
	if (!strcmp(format, "i420") || !strcmp(format, "nv12")) {
		if (w % 2 || h % 2)
			return 0;
		return (size_t)w * h * 3 / 2;
	}
	if (!strcmp(format, "yuyv")) {
		if (w % 2)
			return 0;
		return (size_t)w * h * 2;
	}
	return 0;
}

int64_t marker_read_image(const uint8_t *buf, size_t len, int w, int h, const char *format)
{
	size_t need = marker_image_size(w, h, format);

	if (!need)
		return -EINVAL;
	if (len < need)
		return -EMSGSIZE;
	if (!strcmp(format, "yuyv"))
		return read_generic(buf, (size_t)w * 2, 2, w, h);
	return read_generic(buf, (size_t)w, 1, w, h);   /* i420 and nv12 start with the Y plane */
}

int64_t marker_read_frames(const char *path, int w, int h, const char *format,
			   marker_frame_cb cb, void *opaque)
{
	size_t fsz = marker_image_size(w, h, format);
	int64_t n = 0;
	struct stat st;
	int fd, ret = 0;

	if (!fsz || !cb)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > MARKER_MAX_FILE) {
		ret = -EFBIG;
		goto out;
	}
	uint8_t *buf = malloc(fsz);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	/* Read whole pictures (works for pipes and FIFOs too). */
	for (;;) {
		size_t got = 0;
		while (got < fsz) {
			ssize_t r = read(fd, buf + got, fsz - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				ret = -errno;
				break;
			}
			if (r == 0)
				break;
			got += (size_t)r;
		}
		if (ret < 0 || got < fsz)
			break;
		int64_t m = marker_read_image(buf, fsz, w, h, format);
		int c = cb(opaque, (uint64_t)n, m < 0 ? -1 : m);
		n++;
		if (c) {
			ret = c < 0 ? c : 0;
			break;
		}
	}
	free(buf);
out:
	close(fd);
	return ret ? ret : n;
}
