/* A camera's compressed stream for tests: the test pattern in H.264 and, with audio, cam-sim's
 * AAC tone in ADTS frames (16 kHz, one per 64 ms), interleaved by time as a camera sends them. */
#ifndef CB_TU_AV_H
#define CB_TU_AV_H

#include "source/auq.h"

/* secs of stream at fps into fn, receive times on the monotonic clock ending now (so a tap
 * replays it).  Returns the AAC frames sent. */
unsigned tu_av_camera(void (*fn)(void *ctx, const struct au *au), void *ctx, int secs, int fps,
		      int audio);
/* Such a stream written through the recorder's muxer into a new file: MP4 (raw AAC with its
 * AudioSpecificConfig) or MPEG-TS (ADTS). */
void tu_av_file(const char *path, int mp4, int secs, int fps, int audio);

#endif
