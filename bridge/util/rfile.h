/* Reading a file named by the configuration (config files, password files, credentials,
 * images): regular files only, bounded size, and never blocking: a FIFO named by mistake
 * (or by an attacker who can write the config folder) would otherwise hang the open until
 * a writer comes, with every signal waiting behind it. */
#ifndef CB_UTIL_RFILE_H
#define CB_UTIL_RFILE_H

#include <errno.h>
#include <stddef.h>

/* Not a regular file and not a directory (FIFO, socket, device).  A Linux errno no file
 * operation here returns otherwise, so callers can tell it apart. */
#define RFILE_ENOTREG EMEDIUMTYPE

/* Opens path read-only without blocking (O_NONBLOCK, so a FIFO's open returns at once) and
 * keeps it only if it is a regular file of at most max bytes.  Returns the fd (size in
 * *size) or a negative errno: -EISDIR, -RFILE_ENOTREG, -EFBIG (larger than max), or open's. */
int rfile_open(const char *path, size_t max, size_t *size);

/* The whole file (≤ max bytes) in a malloc'd buffer with a NUL after the last byte.
 * 0 or a negative errno as rfile_open, -ENOMEM, or read's. */
int rfile_read(const char *path, size_t max, char **buf, size_t *len);

/* What an error of rfile_open/rfile_read means, for "PATH: <this>" messages. */
const char *rfile_strerror(int err);

#endif
