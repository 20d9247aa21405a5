/* Fake H.264 access units for the recording tests (test_record_*.c): real parameter sets
 * (64x48) on keyframes, then a slice NAL header and filler bytes.  Muxers take them; nothing
 * decodes them. */
#ifndef CB_TU_H264_H
#define CB_TU_H264_H

#include <stddef.h>
#include <stdint.h>

struct tap;

/* AU number n into buf (cap bytes): `len` filler bytes tagged with n.  Its length. */
size_t tu_h264_au(uint8_t *buf, size_t cap, unsigned n, int key, size_t len);
/* The same, handed to the tap as received now. */
void tu_h264_feed(struct tap *t, uint8_t *buf, size_t cap, unsigned n, int key, size_t len);
/* Two keyframes received 2.4 s apart, the last 100 ms ago: the tap then knows the camera
 * sends no sound, and muxers start at once instead of waiting for it. */
void tu_h264_video_only(struct tap *t, uint8_t *buf, size_t cap);

#endif
