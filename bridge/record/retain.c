/* Retention: list the clips, oldest first, and remove while a limit is exceeded. */
#include "record/retain.h"
#include "record/clipdir.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The clip skip_path names, when it is one of NAME's: "…/NAME/YYYY-MM-DD/HHMMSS.ext". */
static int skip_clip(const char *skip_path, const char *name, char *sday, char *shms)
{
	char day[CLIP_DAY_LEN + 1], hms[CLIP_HMS_LEN + 1];
	enum clip_part part;
	size_t len, nl = strlen(name);
	const char *rel;

	if (!skip_path || (len = strlen(skip_path)) < CLIP_DAY_LEN + 1 + CLIP_HMS_LEN + 4)
		return 0;
	/* The last two components, then NAME before them. */
	rel = skip_path + len;
	for (int slashes = 0; rel > skip_path; rel--)
		if (rel[-1] == '/' && ++slashes == 2)
			break;
	if (clip_rel_parse(rel, day, hms, &part) < 0)
		return 0;
	/* "YYYY-MM-DD/HHMMSS.ext" is below NAME already; else NAME must come before it. */
	if (rel != skip_path) {
		rel--;    /* the '/' before the day */
		if ((size_t)(rel - skip_path) < nl || strncmp(rel - nl, name, nl) ||
		    (rel - nl > skip_path && rel[-(ptrdiff_t)nl - 1] != '/'))
			return 0;
	}
	memcpy(sday, day, sizeof(day));
	memcpy(shms, hms, sizeof(hms));
	return 1;
}

static int being_written(int namefd, const struct clip *c, int64_t now, const char *sday,
			 const char *shms)
{
	return (!strcmp(c->day, sday) && !strcmp(c->hms, shms)) || clip_is_open(namefd, c, now);
}

int retain_run(const char *dir, const char *name, int max_age_days, int max_total_mb,
	       const char *skip_path, struct retain_stats *st)
{
	char sday[CLIP_DAY_LEN + 1] = "", shms[CLIP_HMS_LEN + 1] = "";
	struct clip_list l;
	int64_t now = (int64_t)time(NULL);
	uint64_t total = 0, cap = (uint64_t)max_total_mb << 20;
	int namefd, r;

	memset(st, 0, sizeof(*st));
	if (max_age_days < 0 || max_total_mb < 0)
		return -EINVAL;
	if (!max_age_days && !max_total_mb)
		return 0;
	if ((namefd = clipdir_open(dir, name)) < 0)
		return namefd == -ENOENT ? 0 : namefd;
	if ((r = clipdir_scan(namefd, RETAIN_MAX_CLIPS, 0, &l)) < 0) {
		close(namefd);
		return r;
	}
	skip_clip(skip_path, name, sday, shms);
	clip_list_sort_oldest(&l);
	for (size_t i = 0; i < l.n; i++)
		total += clip_bytes(&l.v[i]);
	st->clips = (unsigned)l.n;
	st->truncated = l.truncated;
	st->bytes_before = total;
	for (size_t i = 0; i < l.n; i++) {
		const struct clip *c = &l.v[i];
		int too_old = max_age_days && now - c->mtime > (int64_t)max_age_days * 86400;
		int too_big = max_total_mb && total > cap;

		if (!too_old && !too_big)
			break;    /* the rest are younger, and the total fits */
		if (being_written(namefd, c, now, sday, shms)) {
			st->kept_open++;
			continue;
		}
		uint64_t freed = 0;
		r = clipdir_remove(namefd, c, &freed);
		if (r < 0 && !st->error)
			st->error = r;
		if (r == 0)
			st->removed++;
		st->bytes_freed += freed;
		total -= freed < total ? freed : total;
	}
	st->bytes_after = total;
	clip_list_free(&l);
	close(namefd);
	return 0;
}
