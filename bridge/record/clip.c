#include "record/clip.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/wfile.h"

static int mkdir_one(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

/* out = a/b/c.ext (c and ext may be NULL). */
static int fmt(char *out, size_t n, const char *a, const char *b, const char *c, const char *ext)
{
	int r = snprintf(out, n, "%s/%s%s%s%s%s", a, b, c ? "/" : "", c ? c : "",
			 ext ? "." : "", ext ? ext : "");

	return r < 0 || (size_t)r >= n ? -ENAMETOOLONG : 0;
}

int clip_make_paths(const char *dir, const char *camera, time_t t, struct clip_paths *p)
{
	char day[16], hms[8], base[PATH_MAX];
	struct tm tm;
	int r;

	memset(p, 0, sizeof(*p));
	if (!dir[0] || !camera[0] || strchr(camera, '/'))
		return -EINVAL;
	if ((r = mkdir_one(dir)) < 0)
		return r;
	if ((r = fmt(base, sizeof(base), dir, camera, NULL, NULL)) < 0 ||
	    (r = mkdir_one(base)) < 0)
		return r;
	for (int i = 0; i < 60; i++, t++) {
		if (!localtime_r(&t, &tm))
			return -EINVAL;
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		strftime(hms, sizeof(hms), "%H%M%S", &tm);
		if ((r = fmt(base, sizeof(base), dir, camera, day, NULL)) < 0 ||
		    (r = mkdir_one(base)) < 0)
			return r;
		if ((r = fmt(p->mp4, sizeof(p->mp4), base, hms, NULL, "mp4")) < 0 ||
		    (r = fmt(p->json, sizeof(p->json), base, hms, NULL, "json")) < 0 ||
		    (r = fmt(p->jpg, sizeof(p->jpg), base, hms, NULL, "jpg")) < 0 ||
		    (r = fmt(p->rel, sizeof(p->rel), camera, day, hms, "mp4")) < 0)
			return r;
		if (access(p->mp4, F_OK) == 0)
			continue;
		snprintf(p->file, sizeof(p->file), "%s.mp4", hms);
		p->start = t;
		return 0;
	}
	return -EEXIST;
}

int clip_write_json(const struct clip_paths *p, const char *trigger, double duration,
		    uint64_t size, int open)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "{\"file\":\"%s\",\"start\":%lld,\"duration\":%.3f,"
			 "\"size\":%llu,\"trigger\":\"%s\",\"open\":%s}\n", p->file,
			 (long long)p->start, duration, (unsigned long long)size, trigger,
			 open ? "true" : "false");

	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	return wfile_atomic(p->json, buf, (size_t)n, 0644);
}
