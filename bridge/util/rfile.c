#include "util/rfile.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rfile_open(const char *path, size_t max, size_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -RFILE_ENOTREG;
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	*size = (size_t)st.st_size;
	return fd;
}

int rfile_read(const char *path, size_t max, char **buf, size_t *len)
{
	size_t size, got = 0;
	char *b;
	int fd = rfile_open(path, max, &size);

	if (fd < 0)
		return fd;
	b = malloc(size + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	/* read to EOF, not to st_size: a file growing meanwhile is still cut at max */
	for (;;) {
		ssize_t n = read(fd, b + got, size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			free(b);
			return -e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > size) {
			close(fd);
			free(b);
			return -EFBIG;
		}
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

const char *rfile_strerror(int err)
{
	switch (-err) {
	case RFILE_ENOTREG: return "not a regular file (a FIFO, socket or device)";
	case EISDIR: return "is a directory, not a file";
	case EFBIG: return "file too large";
	}
	return strerror(-err);
}
