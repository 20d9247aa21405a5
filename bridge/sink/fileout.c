#include "sink/fileout.h"
#include "hub/hub.h"
#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILEOUT_PIPE_MAX (1u << 20)   /* Linux's default /proc/sys/fs/pipe-max-size */

struct fileout {
	int fd;
	int own_fd;          /* 0 for stdout */
	int pipe;            /* FIFO, pipe or socket: SIGPIPE possible, written without blocking */
	int restore_fl;      /* stdout's file status flags to put back, -1 = untouched */
	enum outfmt fmt;
	int width, height;
	size_t frame_size;
	uint8_t *buf;        /* packed output picture; NULL for I420 to a file (written from the frame) */
	size_t pend_off, pend_len; /* pipe: the part of buf still to write */
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

/* Non-blocking from here on (stdout's flags are put back on close), and a pipe buffer that holds
 * a whole frame where the system allows it (best effort: fewer partial writes). */
static void pipe_setup(struct fileout *fo)
{
	int fl = fcntl(fo->fd, F_GETFL), cur = fcntl(fo->fd, F_GETPIPE_SZ);
	size_t want = fo->frame_size < FILEOUT_PIPE_MAX ? fo->frame_size : FILEOUT_PIPE_MAX;

	if (fl >= 0 && !(fl & O_NONBLOCK) && fcntl(fo->fd, F_SETFL, fl | O_NONBLOCK) == 0 &&
	    !fo->own_fd)
		fo->restore_fl = fl;
	if (cur > 0 && (size_t)cur < want)
		(void)fcntl(fo->fd, F_SETPIPE_SZ, (int)want);
}

int fileout_open(struct fileout **out, const char *path, enum outfmt fmt, int width, int height,
		 int flags, char *err, size_t errlen)
{
	struct fileout *fo;
	struct stat st;
	size_t fsz;
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
		/* Without a reader: ENXIO at once instead of waiting for one. */
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			r = -errno;
			seterr(err, errlen, "%s: cannot open FIFO for writing: %s%s", path, strerror(-r),
			       r == -ENXIO ? " (no reader)" : "");
			return r;
		}
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
			  ((flags & FILEOUT_APPEND) ? O_APPEND : O_TRUNC), 0644);
		if (fd < 0) {
			r = -errno;
			seterr(err, errlen, "%s: cannot open for writing: %s", path, strerror(-r));
			return r;
		}
	}
	fsz = outfmt_image_size(fmt, outfmt_min_stride(fmt, width), height);
	if ((flags & FILEOUT_APPEND) && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size % (off_t)fsz && ftruncate(fd, st.st_size - st.st_size % (off_t)fsz) < 0) {
		r = -errno;
		seterr(err, errlen, "%s: cannot cut the partial last frame: %s", path, strerror(-r));
		if (own)
			close(fd);
		return r;
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
	fo->restore_fl = -1;
	fo->pipe = fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
	fo->fmt = fmt;
	fo->width = width;
	fo->height = height;
	fo->frame_size = fsz;
	if (fo->pipe)
		pipe_setup(fo);
	if (fmt != OUTFMT_I420 || fo->pipe) {
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

/* Writes the pending part of buf without blocking, waiting for room up to `deadline`.
 * 0 = all written, -EAGAIN = some left, else -errno. */
static int pipe_flush(struct fileout *fo, uint64_t deadline)
{
	while (fo->pend_off < fo->pend_len) {
		ssize_t w = write(fo->fd, fo->buf + fo->pend_off, fo->pend_len - fo->pend_off);
		struct pollfd p = { .fd = fo->fd, .events = POLLOUT };
		uint64_t now;

		if (w > 0) {
			fo->pend_off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return -errno;
		now = clock_mono_us();
		if (now >= deadline)
			return -EAGAIN;
		if (poll(&p, 1, (int)((deadline - now + 999) / 1000)) < 0 && errno != EINTR)
			return -errno;
	}
	fo->pend_off = fo->pend_len = 0;
	return 0;
}

/* pipe_flush with SIGPIPE blocked in this thread; a SIGPIPE raised by our write is pending
 * then and is consumed, so neither the process nor other threads see it.  (A SIGPIPE that was
 * already pending before is left alone.) */
static int pipe_flush_nosigpipe(struct fileout *fo, uint64_t deadline)
{
	sigset_t pipe_set, old, pending;
	int r, was_pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigemptyset(&pending);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	r = pipe_flush(fo, deadline);
	if (r == -EPIPE && !was_pending) {
		const struct timespec zero = { 0, 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* The frame in the output format: packed into buf, or the frame's own bytes for I420 unless
 * `copy` (a pipe may have to keep the rest of it for later). */
static int frame_bytes(struct fileout *fo, const struct frame *f, int copy, const uint8_t **p)
{
	*p = f->data;
	if (fo->fmt != OUTFMT_I420) {
		long n = outfmt_pack(fo->fmt, f->data, f->width, f->height, fo->buf,
				     outfmt_min_stride(fo->fmt, fo->width), fo->frame_size, NULL);
		if (n < 0)
			return (int)n;
		*p = fo->buf;
	} else if (copy) {
		memcpy(fo->buf, f->data, fo->frame_size);
		*p = fo->buf;
	}
	return 0;
}

static int pipe_write(struct fileout *fo, const struct frame *f)
{
	uint64_t deadline = clock_mono_us() + FILEOUT_WRITE_WAIT_MS * 1000u;
	const uint8_t *p;
	int r;

	/* First the rest of a frame cut short last time: the reader must get whole frames. */
	if (fo->pend_len && (r = pipe_flush_nosigpipe(fo, deadline)) < 0)
		return r;   /* -EAGAIN: still not done, this frame is dropped */
	if ((r = frame_bytes(fo, f, 1, &p)) < 0)
		return r;
	fo->pend_off = 0;
	fo->pend_len = fo->frame_size;
	r = pipe_flush_nosigpipe(fo, deadline);
	if (r == -EAGAIN && fo->pend_off == 0) {
		fo->pend_len = 0;   /* nothing of it went out: dropped whole */
		return -EAGAIN;
	}
	return r == -EAGAIN ? 0 : r;
}

int fileout_flush(struct fileout *fo, int wait_ms)
{
	if (!fo->pend_len)
		return 0;
	return pipe_flush_nosigpipe(fo, clock_mono_us() + (uint64_t)(wait_ms > 0 ? wait_ms : 0) * 1000u);
}

int fileout_write(struct fileout *fo, const struct frame *f)
{
	const uint8_t *p;
	int r;

	if (!f || !f->data || f->width != fo->width || f->height != fo->height ||
	    f->size < (size_t)f->width * (size_t)f->height * 3 / 2)
		return -EINVAL;
	if (fo->pipe)
		return pipe_write(fo, f);
	if ((r = frame_bytes(fo, f, 0, &p)) < 0)
		return r;
	return write_all(fo->fd, p, fo->frame_size);
}

size_t fileout_frame_size(const struct fileout *fo) { return fo->frame_size; }
int fileout_fd(const struct fileout *fo) { return fo->fd; }
int fileout_is_fifo(const struct fileout *fo) { return fo->pipe; }

void fileout_close(struct fileout *fo)
{
	if (!fo)
		return;
	(void)fileout_flush(fo, FILEOUT_WRITE_WAIT_MS);   /* a reader should not get half a frame */
	if (fo->own_fd && fo->fd >= 0)
		close(fo->fd);
	if (fo->restore_fl >= 0)
		(void)fcntl(fo->fd, F_SETFL, fo->restore_fl);
	free(fo->buf);
	free(fo);
}
