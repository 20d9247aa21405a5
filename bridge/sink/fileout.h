/* Raw-frame sink: every frame appended, packed (no padding), in the output pixel format, to a
 * regular file, a FIFO, or stdout ("-").  For tests, pipes (`| ffplay -f rawvideo …`) and
 * machines without v4l2loopback.
 *
 * A FIFO or pipe never blocks the caller for long (the frame loop must keep its rate and stop
 * on SIGTERM): a FIFO without a reader fails to open with -ENXIO (the caller retries later); a
 * write waits at most FILEOUT_WRITE_WAIT_MS for room.  A frame that could not be started is
 * dropped (-EAGAIN); one cut short by the deadline is finished before the next frame, so the
 * stream always holds whole frames.  A reader that goes away makes fileout_write return -EPIPE;
 * SIGPIPE is blocked and consumed around the write, so it never kills the process.  The caller
 * decides whether to reopen.
 *
 * Regular files: FILEOUT_APPEND appends, after cutting a partial last frame (a write that
 * failed half-way, ENOSPC) so that the file stays a whole number of frames. */
#ifndef CB_OUT_FILEOUT_H
#define CB_OUT_FILEOUT_H

#include <stddef.h>
#include <stdint.h>

#include "sink/outfmt.h"

struct frame;
struct fileout;

enum {
	FILEOUT_APPEND = 2,   /* regular file: append instead of truncating */
};

#define FILEOUT_WRITE_WAIT_MS 50

/* `err` (may be NULL) receives a one-line reason naming the path on failure. */
int fileout_open(struct fileout **out, const char *path, enum outfmt fmt, int width, int height,
		 int flags, char *err, size_t errlen);
/* Writes one frame (must be width×height); 0 (written, or started and finished with the next
 * call), -EAGAIN (a pipe without room: dropped) or -errno (-EPIPE: reader gone). */
int fileout_write(struct fileout *fo, const struct frame *f);
/* Finishes a frame cut short, waiting up to wait_ms: 0 = nothing left, -EAGAIN = some left
 * (fileout_close tries FILEOUT_WRITE_WAIT_MS, then gives up on it), else -errno. */
int fileout_flush(struct fileout *fo, int wait_ms);
/* Bytes per frame in the file. */
size_t fileout_frame_size(const struct fileout *fo);
int fileout_fd(const struct fileout *fo);
int fileout_is_fifo(const struct fileout *fo);
void fileout_close(struct fileout *fo);

#endif
