/* Writing a whole file so that readers see the old one or the new one, never half of it:
 * a temporary file beside it (".NAME.XXXXXX", created O_EXCL, so nobody can aim it at a
 * symlink), then rename.  Used for the run directory's descriptors and for stills. */
#ifndef CB_UTIL_WFILE_H
#define CB_UTIL_WFILE_H

#include <stddef.h>
#include <sys/types.h>

/* 0 or a negative errno (-ENAMETOOLONG, open's, write's, rename's); on failure no temporary
 * file is left.  `mode` is applied whatever the umask. */
int wfile_atomic(const char *path, const void *data, size_t len, mode_t mode);

#endif
