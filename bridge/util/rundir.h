/* The run directory shared by the bridges of one machine (/run/cam-bridge): each one writes
 * NAME.json describing itself, every one lists them all.  The files are written by other
 * processes (maybe another user), so reading them is bounded and strict: a fixed number of
 * entries and bytes, no symlinks, names checked, and only the exact JSON shape that
 * rundir_format writes is accepted. */
#ifndef CB_UTIL_RUNDIR_H
#define CB_UTIL_RUNDIR_H

#include <stddef.h>
#include <stdint.h>

#define RUNDIR_DEFAULT      "/run/cam-bridge"
/* Descriptors listed at most, and directory entries looked at in all (dir + subdirs). */
#define RUNDIR_MAX_CAMERAS  64
#define RUNDIR_MAX_ENTRIES  1024
#define RUNDIR_MAX_SUBDIRS  64
#define RUNDIR_FILE_MAX     1024
/* A descriptor not refreshed for this long is stale (the writer refreshes every few s). */
#define RUNDIR_STALE_S      60
#define RUNDIR_REFRESH_S    5

struct rundir_cam {
	char name[64];      /* [A-Za-z0-9._-], not starting with '.' or '-' */
	char http[128];     /* "http://ADDR:PORT" or "" (no HTTP) */
	char device[128];
	char state[32];
	long pid;
	int64_t updated;    /* unix seconds */
};

/* 1 when `name` may be a camera (and so a file) name. */
int rundir_name_ok(const char *name);
/* The one-line JSON of `c` into buf (NUL-terminated); its length, or -EINVAL when a field
 * holds a character the reader would refuse, -ENOSPC. */
int rundir_format(const struct rundir_cam *c, char *buf, size_t n);
/* Parses exactly what rundir_format writes: every key once, no other key. -EBADMSG. */
int rundir_parse(const char *buf, size_t len, struct rundir_cam *out);
/* Writes dir/NAME.json atomically (temporary file, then rename), mode 0644. */
int rundir_write(const char *dir, const struct rundir_cam *c);
/* Removes dir/NAME.json if it still describes process `pid` (a newer bridge of the same name
 * keeps its file). */
int rundir_remove(const char *dir, const char *name, long pid);
/* Reads one descriptor file `name` (NAME.json) in the directory open as dirfd: regular file
 * (no symlink), at most RUNDIR_FILE_MAX bytes, content naming the same camera. */
int rundir_read_at(int dirfd, const char *fname, struct rundir_cam *out);
/* The live cameras in dir and its direct subdirectories (one per systemd instance), sorted by
 * name, one per name (the newest); stale ones (process gone, or not refreshed for
 * RUNDIR_STALE_S at `now`) are left out.  Returns the count (≤ max) or a negative errno. */
int rundir_list(const char *dir, int64_t now, struct rundir_cam *out, int max);
/* One camera by name, as rundir_list sees it: 0, -ENOENT. */
int rundir_find(const char *dir, const char *name, int64_t now, struct rundir_cam *out);

#endif
