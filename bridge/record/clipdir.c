/* Reading the recordings folder: strict names, no symlinks, regular files only.  Every step
 * below record.dir/NAME goes through openat/fstatat on a directory fd with O_NOFOLLOW, so a
 * symlink planted anywhere in the tree is neither followed nor removed. */
#include "record/clipdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const part_ext[CLIP_NPARTS] = { "mp4", "json", "jpg" };

const char *clip_part_ext(enum clip_part p)
{
	return (unsigned)p < CLIP_NPARTS ? part_ext[p] : "";
}

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

int clip_day_ok(const char *s)
{
	if (strlen(s) != CLIP_DAY_LEN || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2))
		return 0;
	int m = two(s + 5), d = two(s + 8);
	return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

int clip_file_part(const char *s, char hms[CLIP_HMS_LEN + 1])
{
	if (!digits(s, CLIP_HMS_LEN) || s[CLIP_HMS_LEN] != '.')
		return -1;
	if (two(s) > 23 || two(s + 2) > 59 || two(s + 4) > 60)
		return -1;
	for (int p = 0; p < CLIP_NPARTS; p++) {
		if (strcmp(s + CLIP_HMS_LEN + 1, part_ext[p]))
			continue;
		memcpy(hms, s, CLIP_HMS_LEN);
		hms[CLIP_HMS_LEN] = 0;
		return p;
	}
	return -1;
}

int clip_rel_parse(const char *rel, char day[CLIP_DAY_LEN + 1], char hms[CLIP_HMS_LEN + 1],
		   enum clip_part *part)
{
	char d[CLIP_DAY_LEN + 1];
	int p;

	if (!rel || strnlen(rel, 32) >= 32 || strlen(rel) <= CLIP_DAY_LEN || rel[CLIP_DAY_LEN] != '/')
		return -EINVAL;
	memcpy(d, rel, CLIP_DAY_LEN);
	d[CLIP_DAY_LEN] = 0;
	if (!clip_day_ok(d) || (p = clip_file_part(rel + CLIP_DAY_LEN + 1, hms)) < 0)
		return -EINVAL;
	memcpy(day, d, sizeof(d));
	*part = (enum clip_part)p;
	return 0;
}

int clipdir_open(const char *dir, const char *name)
{
	int dfd, fd, e;

	if (!dir || !*dir || !name || !*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	/* record.dir itself is the administrator's choice and may be a symlink. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	e = errno;
	close(dfd);
	return fd < 0 ? -e : fd;
}

static int open_day(int namefd, const char *day)
{
	int fd = openat(namefd, day, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static void part_name(char *buf, size_t n, const char *hms, enum clip_part p)
{
	snprintf(buf, n, "%s.%s", hms, part_ext[p]);
}

int clipdir_open_part(int namefd, const char *day, const char *hms, enum clip_part part,
		      uint64_t *size)
{
	char fn[32];
	struct stat st;
	int dfd, fd, e;

	if (!clip_day_ok(day) || (unsigned)part >= CLIP_NPARTS)
		return -EINVAL;
	if ((dfd = open_day(namefd, day)) < 0)
		return dfd;
	part_name(fn, sizeof(fn), hms, part);
	/* O_NONBLOCK: a FIFO of that name must not hang the open. */
	fd = openat(dfd, fn, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	e = errno;
	close(dfd);
	if (fd < 0)
		return -e;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EMEDIUMTYPE;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

static struct clip *list_add(struct clip_list *l, const char *day, const char *hms)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct clip *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	struct clip *c = &l->v[l->n++];
	memset(c, 0, sizeof(*c));
	memcpy(c->day, day, CLIP_DAY_LEN + 1);
	memcpy(c->hms, hms, CLIP_HMS_LEN + 1);
	return c;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The day folder names of namefd, sorted (malloc'd array of malloc'd names). */
static int day_names(int namefd, char ***out, size_t *n_out)
{
	int fd = dup(namefd);
	DIR *d;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	if (fd < 0)
		return -errno;
	if (!(d = fdopendir(fd))) {
		r = -errno;
		close(fd);
		return r;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		struct stat st;

		if (!clip_day_ok(de->d_name) ||
		    fstatat(namefd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
		}
		if (!(v[n] = strdup(de->d_name))) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	*n_out = n;
	return r;
}

/* One file of a day folder. */
struct day_file {
	char hms[CLIP_HMS_LEN + 1];
	int part;
	uint64_t size;
	int64_t mtime;
};

static int cmp_day_file(const void *a, const void *b)
{
	return strcmp(((const struct day_file *)a)->hms, ((const struct day_file *)b)->hms);
}

/* The layout's files of one day, sorted by time of day (a day holds at most 3 x 87840 of
 * them: the names bound it). */
static int day_files(int namefd, const char *day, struct day_file **out, size_t *n_out)
{
	int fd = open_day(namefd, day);
	struct day_file *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n_out = 0;
	if (fd < 0)
		return 0;    /* removed meanwhile, or replaced by a symlink: nothing to list */
	if (!(d = fdopendir(fd))) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		char hms[CLIP_HMS_LEN + 1];
		struct stat st;
		int p = clip_file_part(de->d_name, hms);

		if (p < 0 || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct day_file *nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				closedir(d);
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		memcpy(v[n].hms, hms, sizeof(hms));
		v[n].part = p;
		v[n].size = (uint64_t)st.st_size;
		v[n].mtime = (int64_t)st.st_mtime;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_day_file);
	*out = v;
	*n_out = n;
	return 0;
}

static int scan_day(int namefd, const char *day, struct clip_list *l)
{
	struct day_file *f;
	struct clip *c = NULL;
	size_t n;
	int r = day_files(namefd, day, &f, &n);

	for (size_t i = 0; r == 0 && i < n; i++) {
		if ((!c || strcmp(c->hms, f[i].hms)) && !(c = list_add(l, day, f[i].hms)))
			r = -ENOMEM;
		else {
			c->parts |= 1u << f[i].part;
			c->size[f[i].part] = f[i].size;
			if (f[i].mtime > c->mtime)
				c->mtime = f[i].mtime;
		}
	}
	free(f);
	return r;
}

int clipdir_scan(int namefd, size_t max, int newest, struct clip_list *out)
{
	char **days = NULL;
	size_t nd = 0;
	int r;

	memset(out, 0, sizeof(*out));
	r = day_names(namefd, &days, &nd);
	for (size_t k = 0; k < nd; k++) {
		size_t i = newest ? nd - 1 - k : k;

		if (r == 0 && out->n >= max)
			out->truncated = 1;
		if (r == 0 && !out->truncated)
			r = scan_day(namefd, days[i], out);
		free(days[i]);
	}
	free(days);
	if (r < 0)
		clip_list_free(out);
	return r;
}

int clipdir_stat(int namefd, const char *day, const char *hms, struct clip *c)
{
	int dfd = open_day(namefd, day);

	if (dfd < 0)
		return dfd;
	memset(c, 0, sizeof(*c));
	memcpy(c->day, day, CLIP_DAY_LEN + 1);
	memcpy(c->hms, hms, CLIP_HMS_LEN + 1);
	for (int p = 0; p < CLIP_NPARTS; p++) {
		char fn[32];
		struct stat st;

		part_name(fn, sizeof(fn), hms, (enum clip_part)p);
		if (fstatat(dfd, fn, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		c->parts |= 1u << p;
		c->size[p] = (uint64_t)st.st_size;
		if ((int64_t)st.st_mtime > c->mtime)
			c->mtime = (int64_t)st.st_mtime;
	}
	close(dfd);
	return c->parts ? 0 : -ENOENT;
}

uint64_t clip_bytes(const struct clip *c)
{
	uint64_t b = 0;

	for (int p = 0; p < CLIP_NPARTS; p++)
		if (c->parts & 1u << p)
			b += c->size[p];
	return b;
}

int clip_is_open(int namefd, const struct clip *c, int64_t now)
{
	struct clip_meta m;

	if (now - c->mtime >= CLIP_OPEN_FRESH_S)
		return 0;
	return clip_meta_read(namefd, c, &m) == 0 && m.open;
}

void clip_list_free(struct clip_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_name(const struct clip *a, const struct clip *b)
{
	int r = strcmp(a->day, b->day);
	return r ? r : strcmp(a->hms, b->hms);
}

static int cmp_oldest(const void *pa, const void *pb)
{
	const struct clip *a = pa, *b = pb;

	if (a->mtime != b->mtime)
		return a->mtime < b->mtime ? -1 : 1;
	return cmp_name(a, b);
}

static int cmp_newest(const void *pa, const void *pb)
{
	return cmp_name(pb, pa);
}

void clip_list_sort_oldest(struct clip_list *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_oldest);
}

void clip_list_sort_newest(struct clip_list *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_newest);
}

int clipdir_remove(int namefd, const struct clip *c, uint64_t *freed)
{
	int dfd = open_day(namefd, c->day), err = 0;

	if (dfd < 0)
		return dfd;
	for (int p = 0; p < CLIP_NPARTS; p++) {
		char fn[32];
		struct stat st;

		part_name(fn, sizeof(fn), c->hms, (enum clip_part)p);
		/* Looked at again right before unlinking: only a regular file goes. */
		if (fstatat(dfd, fn, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dfd, fn, 0) < 0) {
			if (!err)
				err = -errno;
			continue;
		}
		*freed += (uint64_t)st.st_size;
	}
	close(dfd);
	/* Fails (ENOTEMPTY) while anything else is left in the folder: that is wanted. */
	(void)unlinkat(namefd, c->day, AT_REMOVEDIR);
	return err;
}
