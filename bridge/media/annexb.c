#include "media/annexb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int annexb_nal_next(const uint8_t **pos, const uint8_t *end, const uint8_t **sc,
		    const uint8_t **nal, size_t *nal_len)
{
	const uint8_t *p = *pos, *start = NULL, *begin = *pos;

	/* Find 00 00 01 via memchr on the 01. */
	while (p + 3 <= end) {
		const uint8_t *one = memchr(p + 2, 1, (size_t)(end - p - 2));
		if (!one)
			break;
		if (one[-1] == 0 && one[-2] == 0) {
			start = one - 2;
			break;
		}
		p = one - 1;   /* the next memchr starts just after this 01 */
	}
	if (!start) {
		*pos = end;
		return 0;
	}
	const uint8_t *n = start + 3, *e = end, *q = n;
	while (q + 3 <= end) {
		const uint8_t *one = memchr(q + 2, 1, (size_t)(end - q - 2));
		if (!one)
			break;
		if (one[-1] == 0 && one[-2] == 0) {
			e = one - 2;
			break;
		}
		q = one - 1;
	}
	/* Leave *pos on the zero byte of a 4-byte start code so the next call sees it. */
	*pos = e > n && e < end && e[-1] == 0 ? e - 1 : e;
	while (e > n && e[-1] == 0)
		e--;
	if (sc)   /* a 4-byte start code belongs to this NAL, not to the previous one */
		*sc = start > begin && start[-1] == 0 ? start - 1 : start;
	*nal = n;
	*nal_len = (size_t)(e - n);
	return 1;
}

static int h264_type(const uint8_t *nal)
{
	return nal[0] & 0x1f;
}

static int h265_type(const uint8_t *nal)
{
	return (nal[0] >> 1) & 0x3f;
}

int annexb_is_keyframe(enum dec_codec codec, const uint8_t *au, size_t len)
{
	const uint8_t *pos = au, *end = au + len, *nal;
	size_t nlen;

	while (annexb_nal_next(&pos, end, NULL, &nal, &nlen)) {
		if (nlen < 2)
			continue;
		if (codec == DEC_H264 && h264_type(nal) == 5)
			return 1;
		if (codec == DEC_H265 && h265_type(nal) >= 16 && h265_type(nal) <= 21)
			return 1;
	}
	return 0;
}

int annexb_detect_codec(const uint8_t *data, size_t len)
{
	const uint8_t *pos = data, *end = data + len, *nal;
	size_t nlen;
	int seen = 0;

	/* H.265 headers are 2 bytes with layer 0 and temporal id 1 (second byte 0x01); the first
	 * byte of an H.264 SPS/PPS/AUD/IDR (0x67, 0x68, 0x09, 0x65 …) never has that form. */
	while (annexb_nal_next(&pos, end, NULL, &nal, &nlen) && seen++ < 64) {
		if (nlen < 2 || nal[0] & 0x80)
			continue;
		int t5 = h265_type(nal);
		if (nal[1] == 0x01 && !(nal[0] & 1) &&
		    ((t5 >= 32 && t5 <= 35) || (t5 >= 16 && t5 <= 21)))
			return DEC_H265;
		int t4 = h264_type(nal);
		if (t4 == 7 || t4 == 8 || t4 == 9 || t4 == 5)
			return DEC_H264;
	}
	return -EPROTONOSUPPORT;
}

/* Does this NAL start a new access unit, given the current AU already holds a slice? */
static int starts_au(enum dec_codec codec, const uint8_t *nal, size_t len, int *is_slice)
{
	*is_slice = 0;
	if (codec == DEC_H264) {
		int t = h264_type(nal);
		if (t >= 1 && t <= 5) {
			*is_slice = 1;
			/* first_mb_in_slice == 0 is ue(v) "1": the top bit of the slice header. */
			return len > 1 && (nal[1] & 0x80);
		}
		return t == 6 || t == 7 || t == 8 || t == 9 || (t >= 14 && t <= 18);
	}
	int t = h265_type(nal);
	if (t <= 31) {
		*is_slice = 1;
		return len > 2 && (nal[2] & 0x80);   /* first_slice_segment_in_pic_flag */
	}
	return (t >= 32 && t <= 35) || t == 39 || (t >= 41 && t <= 44) || (t >= 48 && t <= 55);
}

struct annexb {
	uint8_t *data;
	size_t len;
	size_t pos;
	enum dec_codec codec;
	uint64_t loops;
	int started;
};

static int read_all(const char *path, uint8_t **out, size_t *out_len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > ANNEXB_MAX_FILE) {
		ret = -EFBIG;
		goto out;
	}
	size_t len = (size_t)st.st_size, got = 0;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ret = r < 0 ? -errno : -EIO;
			free(buf);
			goto out;
		}
		got += (size_t)r;
	}
	*out = buf;
	*out_len = len;
out:
	close(fd);
	return ret;
}

/* One AU starting at pos: returns its end (the start code of the next AU, or the end). */
static size_t au_end(const struct annexb *a, size_t pos, int *has_slice)
{
	const uint8_t *p = a->data + pos, *end = a->data + a->len, *sc, *nal;
	size_t nlen;
	int slice = 0, is_slice;

	while (annexb_nal_next(&p, end, &sc, &nal, &nlen)) {
		if (!nlen)
			continue;
		if (starts_au(a->codec, nal, nlen, &is_slice) && slice)
			return (size_t)(sc - a->data);
		slice |= is_slice;
	}
	*has_slice = slice;
	return a->len;
}

int annexb_open(const char *path, struct annexb **out)
{
	struct annexb *a = calloc(1, sizeof(*a));
	int ret;

	if (!a)
		return -ENOMEM;
	ret = read_all(path, &a->data, &a->len);
	if (ret < 0)
		goto fail;
	ret = annexb_detect_codec(a->data, a->len);
	if (ret < 0)
		goto fail;
	a->codec = (enum dec_codec)ret;
	/* The file must hold at least one picture, or annexb_next would never return one. */
	{
		const uint8_t *p = a->data, *end = a->data + a->len, *nal;
		size_t nlen;
		int is_slice = 0;
		while (!is_slice && annexb_nal_next(&p, end, NULL, &nal, &nlen))
			if (nlen)
				(void)starts_au(a->codec, nal, nlen, &is_slice);
		if (!is_slice) {
			ret = -ENODATA;
			goto fail;
		}
	}
	*out = a;
	return 0;
fail:
	annexb_free(a);
	return ret;
}

void annexb_free(struct annexb *a)
{
	if (!a)
		return;
	free(a->data);
	free(a);
}

enum dec_codec annexb_codec(const struct annexb *a)
{
	return a->codec;
}

uint64_t annexb_loops(const struct annexb *a)
{
	return a->loops;
}

int annexb_next(struct annexb *a, const uint8_t **au, size_t *len, int *keyframe)
{
	int first = !a->started, slice = 1;

	a->started = 1;
	for (int tries = 0; tries < 2; tries++) {
		if (a->pos >= a->len) {
			a->pos = 0;
			a->loops++;
			first = 1;
		}
		slice = 1;
		size_t e = au_end(a, a->pos, &slice);
		if (e == a->len && !slice) {
			/* Trailing parameter sets without a picture: start over. */
			a->pos = a->len;
			continue;
		}
		*au = a->data + a->pos;
		*len = e - a->pos;
		if (keyframe)
			*keyframe = annexb_is_keyframe(a->codec, *au, *len);
		a->pos = e;
		return first ? 2 : 1;
	}
	return -ENODATA;
}
