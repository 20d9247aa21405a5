#include "sink/fileout.h"
#include "hub/hub.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct fileout {
	int fd;
	int own_fd;          /* 0 for stdout */
	int pipe;            /* FIFO, pipe or socket: SIGPIPE possible */
	enum outfmt fmt;
	int width, height;
	size_t frame_size;
	uint8_t *buf;        /* packed output picture; NULL for I420 (written straight from the frame) */
};

static void seterr(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

int fileout_open(struct fileout **out, const char *path, enum outfmt fmt, int width, int height,
		 int flags, char *err, size_t errlen)
{
	struct fileout *fo;
	struct stat st;
	int fd, own = 1, r;

	*out = NULL;
	if (!path || !*path) {
		seterr(err, errlen, "fileout: empty path");
		return -EINVAL;
	}
	if (width <= 0 || height <= 0 || width % 2 || height % 2 || width > HUB_MAX_DIM ||
	    height > HUB_MAX_DIM) {
		seterr(err, errlen, "%s: size %dx%d must be even and at most %d", path, width, height,
		       HUB_MAX_DIM);
		return -EINVAL;
	}
	if (outfmt_name(fmt)[0] == '?') {
		seterr(err, errlen, "%s: unknown pixel format %d", path, (int)fmt);
		return -EINVAL;
	}
	if (!strcmp(path, "-")) {
		fd = STDOUT_FILENO;
		own = 0;
	} else if (stat(path, &st) == 0 && S_ISFIFO(st.st_mode)) {
		/* Without O_NONBLOCK this waits for a reader; with it, ENXIO when there is none. */
		fd = open(path, O_WRONLY | O_CLOEXEC | ((flags & FILEOUT_NOWAIT) ? O_NONBLOCK : 0));
		if (fd < 0) {
			r = -errno;
			seterr(err, errlen, "%s: cannot open FIFO for writing: %s%s", path, strerror(-r),
			       r == -ENXIO ? " (no reader)" : "");
			return r;
		}
		/* Frames must not be cut in half: writes block from here on. */
		if (flags & FILEOUT_NOWAIT)
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
			  ((flags & FILEOUT_APPEND) ? O_APPEND : O_TRUNC), 0644);
		if (fd < 0) {
			r = -errno;
			seterr(err, errlen, "%s: cannot open for writing: %s", path, strerror(-r));
			return r;
		}
	}
	fo = calloc(1, sizeof(*fo));
	if (!fo) {
		if (own)
			close(fd);
		seterr(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	fo->fd = fd;
	fo->own_fd = own;
	fo->pipe = fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	fo->fmt = fmt;
	fo->width = width;
	fo->height = height;
	fo->frame_size = outfmt_image_size(fmt, outfmt_min_stride(fmt, width), height);
	if (fmt != OUTFMT_I420) {
		fo->buf = malloc(fo->frame_size);
		if (!fo->buf) {
			fileout_close(fo);
			seterr(err, errlen, "%s: out of memory", path);
			return -ENOMEM;
		}
	}
	*out = fo;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write with SIGPIPE blocked in this thread; a SIGPIPE raised by our write is pending then and
 * is consumed, so neither the process nor other threads see it.  (A SIGPIPE that was already
 * pending before is left alone.) */
static int write_nosigpipe(int fd, const uint8_t *p, size_t n)
{
	sigset_t pipe_set, old, pending;
	int r, was_pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigemptyset(&pending);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	r = write_all(fd, p, n);
	if (r == -EPIPE && !was_pending) {
		const struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

int fileout_write(struct fileout *fo, const struct frame *f)
{
	const uint8_t *p = f->data;

	if (!f || !f->data || f->width != fo->width || f->height != fo->height ||
	    f->size < (size_t)f->width * (size_t)f->height * 3 / 2)
		return -EINVAL;
	if (fo->buf) {
		long n = outfmt_pack(fo->fmt, f->data, f->width, f->height, fo->buf,
				     outfmt_min_stride(fo->fmt, fo->width), fo->frame_size, NULL);
		if (n < 0)
			return (int)n;
		p = fo->buf;
	}
	return fo->pipe ? write_nosigpipe(fo->fd, p, fo->frame_size)
			: write_all(fo->fd, p, fo->frame_size);
}

size_t fileout_frame_size(const struct fileout *fo) { return fo->frame_size; }
int fileout_fd(const struct fileout *fo) { return fo->fd; }
int fileout_is_fifo(const struct fileout *fo) { return fo->pipe; }

void fileout_close(struct fileout *fo)
{
	if (!fo)
		return;
	if (fo->own_fd && fo->fd >= 0)
		close(fo->fd);
	free(fo->buf);
	free(fo);
}
