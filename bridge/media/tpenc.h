/* The built-in live test source of the simulated camera: a moving test pattern with the
 * frame marker (media/marker.h) of the frame counter drawn on top, encoded in-process with
 * libx264 (H.264) or libx265 (H.265) with zero-latency settings: no B-frames, one AU out per
 * picture in, Annex-B output with SPS/PPS (and VPS) repeated on every keyframe. */
#ifndef CB_MEDIA_TPENC_H
#define CB_MEDIA_TPENC_H

#include <stddef.h>
#include <stdint.h>

#include "media/dec.h"

#define TPENC_MIN_SIZE 32
#define TPENC_MAX_SIZE 8192
#define TPENC_MAX_FPS  120

struct tpenc;

/* codec: DEC_H264 / DEC_H265 (= AU_H264 / AU_H265); w, h even, 32…8192; fps 1…120;
 * gop = keyframe interval in frames (≤ 0: 2 s worth, 2*fps).
 * Returns 0 or -EINVAL (bad argument), -ENOSYS (encoder not built into libavcodec), … */
int tpenc_open(int codec, int w, int h, int fps, int gop, struct tpenc **out);
/* Same, returning NULL with errno set on failure. */
struct tpenc *tpenc_new(int codec, int w, int h, int fps, int gop);
void tpenc_free(struct tpenc *t);

/* Draws and encodes the picture for `counter` (marker + pattern position).  Returns 1 with
 * *au and *len (valid until the next call or tpenc_free) and *keyframe set, 0 when the encoder
 * produced nothing this time (it should not with these settings), or a negative errno. */
int tpenc_next(struct tpenc *t, uint32_t counter, const uint8_t **au, size_t *len, int *keyframe);
/* The next picture is encoded as an IDR with parameter sets (a viewer asked for one). */
void tpenc_force_keyframe(struct tpenc *t);

/* Draws the test picture for `counter` into planar 4:2:0 planes (w, h even).  Exposed for
 * tests and benchmarks; cheap: row copies from a precomputed pattern plus a filled box. */
void tpenc_draw(struct tpenc *t, uint8_t *y, int ystride, uint8_t *u, uint8_t *v, int cstride,
		uint32_t counter);

#endif
