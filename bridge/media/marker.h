/* The frame marker: a 32-bit counter drawn into the top band of a picture, read back after
 * encode/decode/scale by tests and benchmarks to identify frames end to end.
 *
 * Layout: the band is the top h/16 rows; it is split into 32 equal-width cells across the
 * full width (cell i spans x = i*w/32 … (i+1)*w/32 - 1).  Cell i (from the left) is white
 * (Y = 235) when bit 31-i of the counter is 1, black (Y = 16) otherwise; chroma in the band
 * is neutral (128). */
#ifndef CB_MEDIA_MARKER_H
#define CB_MEDIA_MARKER_H

#include <stddef.h>
#include <stdint.h>

#define MARKER_BITS    32
#define MARKER_Y_ONE   235
#define MARKER_Y_ZERO  16
#define MARKER_MIN_W   32
#define MARKER_MIN_H   16
/* Largest raw file marker_read_frames will walk (bytes); bigger files are refused. */
#define MARKER_MAX_FILE (8ull << 30)

/* Height of the band for a picture h rows high (h/16). */
int marker_band_height(int h);

/* Draws the counter into the Y plane (w×h, stride bytes per row).  No-op when the picture is
 * smaller than MARKER_MIN_W × MARKER_MIN_H. */
void marker_draw(uint8_t *y, int stride, int w, int h, uint32_t counter);
/* Sets the band's chroma to 128 in planar 4:2:0 U and V planes (chroma stride, luma w×h). */
void marker_draw_chroma(uint8_t *u, uint8_t *v, int cstride, int w, int h);
/* Draws marker (Y + chroma) into a packed I420 buffer of w×h. */
void marker_draw_i420(uint8_t *i420, int w, int h, uint32_t counter);

/* The counter read from the Y plane, or -1 when the band is not a valid marker (a cell is
 * neither clearly black nor clearly white, or the picture is too small). */
int64_t marker_read(const uint8_t *y, int stride, int w, int h);

/* The counter from one raw picture: format "i420", "yuyv" or "nv12" (packed, no padding).
 * -1 when there is no marker; -EINVAL for an unknown format or bad size, -EMSGSIZE when len
 * is smaller than one picture. */
int64_t marker_read_image(const uint8_t *buf, size_t len, int w, int h, const char *format);

/* Bytes per picture of the raw format (0 when the format or size is invalid). */
size_t marker_image_size(int w, int h, const char *format);

/* Reads every whole picture of a raw multi-picture file and calls cb(opaque, index, counter)
 * for each (counter -1 = no marker).  cb returns 0 to go on, > 0 to stop, < 0 to stop
 * with that error.  Returns the number of pictures read (a trailing partial picture is
 * ignored), or a negative errno.  Works on regular files, pipes and FIFOs. */
typedef int (*marker_frame_cb)(void *opaque, uint64_t index, int64_t counter);
int64_t marker_read_frames(const char *path, int w, int h, const char *format,
			   marker_frame_cb cb, void *opaque);

#endif
