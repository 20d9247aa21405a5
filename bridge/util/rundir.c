#include "util/rundir.h"
#include "util/wfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUFFIX ".json"

enum { K_NAME, K_HTTP, K_DEVICE, K_STATE, K_PID, K_UPDATED, K_COUNT };

struct field {
	const char *key;
	size_t off, size;   /* size 0: a number */
};

static const struct field fields[K_COUNT] = {
	[K_NAME] = { "name", offsetof(struct rundir_cam, name), sizeof(((struct rundir_cam *)0)->name) },
	[K_HTTP] = { "http", offsetof(struct rundir_cam, http), sizeof(((struct rundir_cam *)0)->http) },
	[K_DEVICE] = { "device", offsetof(struct rundir_cam, device),
		       sizeof(((struct rundir_cam *)0)->device) },
	[K_STATE] = { "state", offsetof(struct rundir_cam, state),
		      sizeof(((struct rundir_cam *)0)->state) },
	[K_PID] = { "pid", 0, 0 },
	[K_UPDATED] = { "updated", 0, 0 },
};

int rundir_name_ok(const char *n)
{
	size_t len = strlen(n);

	if (!len || len >= sizeof(((struct rundir_cam *)0)->name) || n[0] == '.' || n[0] == '-')
		return 0;
	for (; *n; n++)
		if (!(*n >= 'a' && *n <= 'z') && !(*n >= 'A' && *n <= 'Z') &&
		    !(*n >= '0' && *n <= '9') && *n != '.' && *n != '_' && *n != '-')
			return 0;
	return 1;
}

/* Printable ASCII without quote or backslash: a JSON string that needs no escaping. */
static int plain_char(char c)
{
	return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
}

static int plain_str(const char *s, size_t size)
{
	size_t len = strnlen(s, size);

	if (len >= size)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!plain_char(s[i]))
			return 0;
	return 1;
}

int rundir_format(const struct rundir_cam *c, char *buf, size_t n)
{
	if (!rundir_name_ok(c->name) || !plain_str(c->http, sizeof(c->http)) ||
	    !plain_str(c->device, sizeof(c->device)) || !plain_str(c->state, sizeof(c->state)) ||
	    c->pid <= 0 || c->updated < 0)
		return -EINVAL;
	int len = snprintf(buf, n, "{\"name\":\"%s\",\"http\":\"%s\",\"device\":\"%s\","
			   "\"state\":\"%s\",\"pid\":%ld,\"updated\":%lld}\n", c->name, c->http,
			   c->device, c->state, c->pid, (long long)c->updated);
	if (len < 0 || (size_t)len >= n)
		return -ENOSPC;
	return len;
}

static int parse_num(const char **p, const char *end, long long *v)
{
	const char *s = *p;
	long long x = 0;

	if (s >= end || *s < '0' || *s > '9')
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (s - *p >= 18)
			return -1;    /* fits in 64 bits */
		x = x * 10 + (*s - '0');
	}
	*p = s;
	*v = x;
	return 0;
}

/* A string of plain characters into out[size]; the key form when size is for a key. */
static int parse_str(const char **p, const char *end, char *out, size_t size)
{
	const char *s = *p;
	size_t n = 0;

	if (s >= end || *s++ != '"')
		return -1;
	for (; s < end && *s != '"'; s++) {
		if (!plain_char(*s) || n + 1 >= size)
			return -1;
		out[n++] = *s;
	}
	if (s >= end)
		return -1;
	out[n] = 0;
	*p = s + 1;
	return 0;
}

int rundir_parse(const char *buf, size_t len, struct rundir_cam *out)
{
	const char *p = buf, *end = buf + len;
	unsigned seen = 0;

	memset(out, 0, sizeof(*out));
	if (p >= end || *p++ != '{')
		return -EBADMSG;
	for (;;) {
		char key[16];
		int k;

		if (parse_str(&p, end, key, sizeof(key)) || p >= end || *p++ != ':')
			return -EBADMSG;
		for (k = 0; k < K_COUNT && strcmp(key, fields[k].key); k++)
			;
		if (k == K_COUNT || seen & 1u << k)
			return -EBADMSG;
		seen |= 1u << k;
		if (fields[k].size) {
			if (parse_str(&p, end, (char *)out + fields[k].off, fields[k].size))
				return -EBADMSG;
		} else {
			long long v;
			if (parse_num(&p, end, &v))
				return -EBADMSG;
			if (k == K_PID)
				out->pid = (long)v;
			else
				out->updated = v;
		}
		if (p >= end)
			return -EBADMSG;
		if (*p == '}')
			break;
		if (*p++ != ',')
			return -EBADMSG;
	}
	p++;
	if (p < end && *p == '\n')
		p++;
	if (p != end || seen != (1u << K_COUNT) - 1 || !rundir_name_ok(out->name) || out->pid <= 0)
		return -EBADMSG;
	return 0;
}

/* dir/NAME.json */
static int file_path(char *out, size_t n, const char *dir, const char *name)
{
	int len = snprintf(out, n, "%s/%s" SUFFIX, dir, name);

	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

int rundir_write(const char *dir, const struct rundir_cam *c)
{
	char text[RUNDIR_FILE_MAX], path[4096];
	int len;

	if ((len = rundir_format(c, text, sizeof(text))) < 0)
		return len;
	if (file_path(path, sizeof(path), dir, c->name))
		return -ENAMETOOLONG;
	/* Readers skip the dot-named temporary file.  0644: the other instances (other users
	 * under DynamicUser=, UMask=0077) must read it. */
	return wfile_atomic(path, text, (size_t)len, 0644);
}

int rundir_read_at(int dirfd, const char *fname, struct rundir_cam *out)
{
	char buf[RUNDIR_FILE_MAX + 1], name[sizeof(out->name)];
	size_t fl = strlen(fname), sl = sizeof(SUFFIX) - 1;
	struct stat st;
	ssize_t n;
	int fd, r;

	if (fl <= sl || fl - sl >= sizeof(name) || strcmp(fname + fl - sl, SUFFIX))
		return -EINVAL;
	memcpy(name, fname, fl - sl);
	name[fl - sl] = 0;
	if (!rundir_name_ok(name))
		return -EINVAL;
	/* Non-blocking: a FIFO planted under the name must not hang the HTTP thread. */
	fd = openat(dirfd, fname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	r = -EMEDIUMTYPE;
	if (!S_ISREG(st.st_mode))
		goto out;
	r = -EFBIG;
	if (st.st_size > RUNDIR_FILE_MAX)
		goto out;
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		r = -errno;
		goto out;
	}
	if (n > RUNDIR_FILE_MAX)
		goto out;   /* grew since fstat */
	r = rundir_parse(buf, (size_t)n, out);
	if (!r && strcmp(out->name, name))
		r = -EBADMSG;
out:
	close(fd);
	return r;
}

static int alive(const struct rundir_cam *c, int64_t now)
{
	if (c->updated + RUNDIR_STALE_S < now || c->updated > now + RUNDIR_STALE_S)
		return 0;
	/* EPERM: alive, under another user (each systemd instance has its own). */
	return kill((pid_t)c->pid, 0) == 0 || errno == EPERM;
}

struct scan {
	int64_t now;
	struct rundir_cam *out;
	int max, n;
	int entries;    /* looked at so far, all directories together */
};

static void add(struct scan *s, const struct rundir_cam *c)
{
	for (int i = 0; i < s->n; i++) {
		if (!strcmp(s->out[i].name, c->name)) {
			if (c->updated > s->out[i].updated)
				s->out[i] = *c;
			return;
		}
	}
	if (s->n < s->max)
		s->out[s->n++] = *c;
}

/* The descriptors of one open directory (taken over and closed); its subdirectories too
 * when depth allows. */
static void scan_dir(struct scan *s, int fd, int depth)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int subdirs = 0;

	if (!d) {
		close(fd);
		return;
	}
	while (s->entries < RUNDIR_MAX_ENTRIES && (e = readdir(d))) {
		struct rundir_cam c;

		s->entries++;
		if (e->d_name[0] == '.')
			continue;    /* ".", "..", temporary files */
		if (e->d_type == DT_DIR) {
			int sub;
			if (!depth || ++subdirs > RUNDIR_MAX_SUBDIRS)
				continue;
			sub = openat(dirfd(d), e->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				scan_dir(s, sub, depth - 1);
			continue;
		}
		if ((e->d_type == DT_REG || e->d_type == DT_UNKNOWN) &&
		    rundir_read_at(dirfd(d), e->d_name, &c) == 0 && alive(&c, s->now))
			add(s, &c);
	}
	closedir(d);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct rundir_cam *)a)->name, ((const struct rundir_cam *)b)->name);
}

int rundir_list(const char *dir, int64_t now, struct rundir_cam *out, int max)
{
	struct scan s = { .now = now, .out = out, .max = max };
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	scan_dir(&s, fd, 1);
	qsort(out, (size_t)s.n, sizeof(*out), by_name);
	return s.n;
}

int rundir_find(const char *dir, const char *name, int64_t now, struct rundir_cam *out)
{
	struct rundir_cam *all = calloc(RUNDIR_MAX_CAMERAS, sizeof(*all));
	int n, r = -ENOENT;

	if (!all)
		return -ENOMEM;
	n = rundir_list(dir, now, all, RUNDIR_MAX_CAMERAS);
	for (int i = 0; i < n; i++) {
		if (!strcmp(all[i].name, name)) {
			*out = all[i];
			r = 0;
			break;
		}
	}
	free(all);
	return n < 0 ? n : r;
}

int rundir_remove(const char *dir, const char *name, long pid)
{
	char path[4096];
	struct rundir_cam c;
	int fd, r;

	if (!rundir_name_ok(name) || file_path(path, sizeof(path), dir, name))
		return -EINVAL;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s" SUFFIX, name);
	r = rundir_read_at(fd, path, &c);
	if (r == 0 && c.pid != pid)
		r = -EEXIST;      /* another bridge of that name took over */
	if (r == 0)
		r = unlinkat(fd, path, 0) < 0 ? -errno : 0;
	close(fd);
	return r;
}
