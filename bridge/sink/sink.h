/* One interface over the two frame sinks, chosen by the output spec:
 *   "label:NAME", "v4l2:PATH", an existing character device, or any path under /dev/
 *                                → V4L2 loopback (v4l2out.h)
 *   "file:PATH", "-" (stdout), "/dev/null", "/dev/stdout", any other path (regular file,
 *   FIFO) → raw frames (fileout.h) — /dev/null is handy for benchmarks */
#ifndef CB_OUT_SINK_H
#define CB_OUT_SINK_H

#include <stddef.h>

#include "sink/outfmt.h"

struct frame;
struct sink;

enum sink_kind {
	SINK_V4L2 = 1,
	SINK_FILE,
};

struct sink_cfg {
	enum outfmt fmt;
	int width, height;     /* even */
	int fps;
	int full_range;        /* V4L2 only: announce full-range YUV */
	int file_flags;        /* fileout flags (FILEOUT_APPEND) */
};

/* Which sink `spec` selects, and the path inside it (points into spec; path may be NULL). */
enum sink_kind sink_kind_of(const char *spec, const char **path);
/* 0 or -errno, with a one-line reason in `err` (see v4l2out_open, fileout_open). */
int sink_open(struct sink **out, const char *spec, const struct sink_cfg *cfg, char *err,
	      size_t errlen);
int sink_write(struct sink *s, const struct frame *f);
enum sink_kind sink_kind(const struct sink *s);
/* V4L2: fd to poll for POLLPRI (consumer changes); file: -1. */
int sink_poll_fd(const struct sink *s);
/* Consumers streaming (V4L2 with the client-usage event), -1 = unknown. */
int sink_consumers(struct sink *s);
struct v4l2out *sink_v4l2(struct sink *s);     /* NULL for a file sink */
struct fileout *sink_file(struct sink *s);     /* NULL for a V4L2 sink */
void sink_close(struct sink *s);

#endif
