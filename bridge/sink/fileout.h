/* Raw-frame sink: every frame appended, packed (no padding), in the output pixel format, to a
 * regular file, a FIFO, or stdout ("-").  For tests, pipes (`| ffplay -f rawvideo …`) and
 * machines without v4l2loopback.
 *
 * FIFO: open(O_WRONLY) waits until a reader opens the other end; with FILEOUT_NOWAIT it fails
 * at once with -ENXIO instead.  Writes then block while the pipe is full (the reader sets the
 * pace).  A reader that goes away makes fileout_write return -EPIPE; SIGPIPE is blocked and
 * consumed around the write, so it never kills the process.  The caller decides whether to
 * reopen. */
#ifndef CB_OUT_FILEOUT_H
#define CB_OUT_FILEOUT_H

#include <stddef.h>
#include <stdint.h>

#include "sink/outfmt.h"

struct frame;
struct fileout;

enum {
	FILEOUT_NOWAIT = 1,   /* FIFO without a reader: -ENXIO instead of waiting */
	FILEOUT_APPEND = 2,   /* regular file: append instead of truncating */
};

/* `err` (may be NULL) receives a one-line reason naming the path on failure. */
int fileout_open(struct fileout **out, const char *path, enum outfmt fmt, int width, int height,
		 int flags, char *err, size_t errlen);
/* Writes one frame (must be width×height); 0 or -errno (-EPIPE: reader gone). */
int fileout_write(struct fileout *fo, const struct frame *f);
/* Bytes per frame in the file. */
size_t fileout_frame_size(const struct fileout *fo);
int fileout_fd(const struct fileout *fo);
int fileout_is_fifo(const struct fileout *fo);
void fileout_close(struct fileout *fo);

#endif
