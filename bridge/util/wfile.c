#include "util/wfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int wfile_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *base = strrchr(path, '/');
	char tmp[4096];
	int fd, r = 0, dl = base ? (int)(base - path + 1) : 0;

	base = base ? base + 1 : path;
	if (!*base)
		return -EISDIR;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", dl, path, base) >= sizeof(tmp))
		return -ENAMETOOLONG;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		r = -errno;
	for (size_t off = 0; off < len && !r;) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno != EINTR)
			r = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}
