/* Loads a JPEG or PNG file (the placeholder background) into packed I420 at the output size:
 * scaled to fit with the aspect ratio kept (black bars), limited range.  Bounded: files over
 * IMG_MAX_FILE bytes and pictures over IMG_MAX_DIM in either direction are refused. */
#ifndef CB_MEDIA_IMG_H
#define CB_MEDIA_IMG_H

#include <stddef.h>
#include <stdint.h>

#define IMG_MAX_FILE (32u << 20)
#define IMG_MAX_DIM  8192

/* Fills i420 (w×h even, i420_len ≥ w*h*3/2).  Returns 0 or a negative errno, with a message
 * naming the problem in why (may be NULL): -EFBIG (file too big), -E2BIG (picture too big),
 * -EPROTONOSUPPORT (not JPEG/PNG), -EBADMSG (cannot be decoded), -ENOENT …, -EINVAL. */
int img_load(const char *path, int w, int h, uint8_t *i420, size_t i420_len,
	     char *why, size_t why_len);
/* The same from a buffer already in memory. */
int img_load_mem(const uint8_t *data, size_t len, int w, int h, uint8_t *i420, size_t i420_len,
		 char *why, size_t why_len);

#endif
