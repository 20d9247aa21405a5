/* Passthrough muxing with libavformat: access units as the camera sent them (Annex-B
 * H.264/H.265) into a fragmented MP4 file or an MPEG-TS byte stream, timestamps from their
 * receive times.  No decoding, no re-encoding. */
#ifndef CB_RECORD_MUX_H
#define CB_RECORD_MUX_H

#include <stddef.h>
#include <stdint.h>

#include "record/preroll.h"
#include "record/tap.h"

struct mux;

/* MPEG-TS output: called with whole 188-byte packets (at most 7 at a time, one UDP
 * datagram's worth); a negative return ends the muxer with that error. */
typedef int (*mux_write_fn)(void *ctx, const uint8_t *buf, size_t len);

/* A fragmented MP4 file (fragments start at keyframes; playable while written and after a
 * crash).  The file must not exist.  err gets libavformat's words.  0 or a negative errno. */
int mux_open_mp4(struct mux **out, const char *path, const struct tap_params *p,
		 char *err, size_t errlen);
/* MPEG-TS into fn (PAT/PMT before every keyframe). */
int mux_open_ts(struct mux **out, mux_write_fn fn, void *ctx, const struct tap_params *p,
		char *err, size_t errlen);
/* Writes one AU (the buffer is referenced, not copied).  The first one must be a keyframe. */
int mux_write(struct mux *m, const struct rec_au *au, char *err, size_t errlen);
/* Pushes buffered bytes out (MPEG-TS: to fn).  0 or a negative errno. */
int mux_flush(struct mux *m);
/* Writes the trailer and closes; the error of the trailer/close (the file is usable up to
 * the last complete fragment either way).  NULL is fine. */
int mux_close(struct mux *m, char *err, size_t errlen);
/* Receive-time span written so far (seconds) and AUs written. */
double mux_duration(const struct mux *m);
uint64_t mux_packets(const struct mux *m);

#endif
