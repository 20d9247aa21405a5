/* Annex-B byte streams: a NAL unit scanner, keyframe detection, and a file source that
 * splits an H.264/H.265 elementary stream file into access units and loops at the end
 * (cam-sim --source FILE). */
#ifndef CB_MEDIA_ANNEXB_H
#define CB_MEDIA_ANNEXB_H

#include <stddef.h>
#include <stdint.h>

#include "media/dec.h"

/* Largest elementary stream file annexb_open loads (it is read into memory once). */
#define ANNEXB_MAX_FILE (256u << 20)

/* The next NAL unit at or after *pos (before end).  Returns 1 and sets *sc (its start code),
 * *nal and *nal_len (the NAL without start code or trailing zero bytes), and advances *pos;
 * 0 when there is none. */
int annexb_nal_next(const uint8_t **pos, const uint8_t *end, const uint8_t **sc,
		    const uint8_t **nal, size_t *nal_len);

/* 1 when the access unit holds an IDR (H.264) or IRAP (H.265) picture. */
int annexb_is_keyframe(enum dec_codec codec, const uint8_t *au, size_t len);

/* The codec of an Annex-B stream from its first parameter set / AUD / IDR NAL, or
 * -EPROTONOSUPPORT when neither fits (not Annex-B H.264/H.265). */
int annexb_detect_codec(const uint8_t *data, size_t len);

struct annexb;

/* Loads the file; -EFBIG above ANNEXB_MAX_FILE, -EPROTONOSUPPORT if it is not an H.264/H.265
 * elementary stream, -ENODATA if it holds no picture. */
int annexb_open(const char *path, struct annexb **out);
void annexb_free(struct annexb *a);
enum dec_codec annexb_codec(const struct annexb *a);
/* The next access unit (data valid until annexb_free); after the last one it starts over.
 * Returns 1, or 2 when this AU is the first of a new loop. */
int annexb_next(struct annexb *a, const uint8_t **au, size_t *len, int *keyframe);
/* How many times the file wrapped around. */
uint64_t annexb_loops(const struct annexb *a);

#endif
