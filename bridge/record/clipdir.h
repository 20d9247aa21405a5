/* The recordings on disk, as the recorder lays them out (docs/recordings-web.md):
 * record.dir/NAME/YYYY-MM-DD/HHMMSS.mp4 with HHMMSS.json (sidecar) and HHMMSS.jpg (thumbnail).
 * Only names of exactly that shape are ever looked at, opened or removed; symlinks are never
 * followed below record.dir/NAME (NAME included), and only regular files are used. */
#ifndef CB_RECORD_CLIPDIR_H
#define CB_RECORD_CLIPDIR_H

#include <stddef.h>
#include <stdint.h>

#define CLIP_DAY_LEN  10          /* YYYY-MM-DD */
#define CLIP_HMS_LEN  6           /* HHMMSS */
/* A sidecar saying "open": true counts as being written while its clip changed this
 * recently; older, it is a clip left open by a crash. */
#define CLIP_OPEN_FRESH_S 300
/* Largest sidecar read; the recorder writes ~150 bytes. */
#define CLIP_META_MAX 4096

enum clip_part { CLIP_MP4, CLIP_JSON, CLIP_JPG, CLIP_NPARTS };

struct clip {
	char day[CLIP_DAY_LEN + 1];
	char hms[CLIP_HMS_LEN + 1];
	unsigned parts;               /* bit (1 << enum clip_part) per part present */
	uint64_t size[CLIP_NPARTS];   /* bytes of each present part */
	int64_t mtime;                /* newest modification time of its parts, s */
};

struct clip_list {
	struct clip *v;
	size_t n, cap;
	int truncated;                /* more clips than the scan's limit: the newest left out */
};

/* What the sidecar says; fields it lacks stay at their "unknown" value. */
struct clip_meta {
	int64_t start;                /* unix s, -1 unknown */
	double duration;              /* s, < 0 unknown */
	int64_t size;                 /* bytes, -1 unknown */
	char trigger[16];             /* "" unknown */
	int open;                     /* "open": true */
};

/* "mp4", "json", "jpg". */
const char *clip_part_ext(enum clip_part p);
/* 1 when s is a day folder name YYYY-MM-DD (month 01-12, day 01-31). */
int clip_day_ok(const char *s);
/* The part of a file name "HHMMSS.ext" (hms filled), or -1 for any other name. */
int clip_file_part(const char *s, char hms[CLIP_HMS_LEN + 1]);
/* A path below record.dir/NAME, exactly "YYYY-MM-DD/HHMMSS.ext": 0, or -EINVAL for anything
 * else (.., absolute paths, extra slashes, other names or characters). */
int clip_rel_parse(const char *rel, char day[CLIP_DAY_LEN + 1], char hms[CLIP_HMS_LEN + 1],
		   enum clip_part *part);

/* record.dir/NAME as a directory fd (NAME not followed if a symlink; NAME must be a plain
 * file name).  -ENOENT when absent, -EINVAL for a bad name, or open's error. */
int clipdir_open(const char *dir, const char *name);
/* One part of a clip opened read-only: a regular file reached without symlinks.  Returns the
 * fd (size in *size) or a negative errno (-ENOENT, -ELOOP for a symlink, -EMEDIUMTYPE for a
 * file that is not regular). */
int clipdir_open_part(int namefd, const char *day, const char *hms, enum clip_part part,
		      uint64_t *size);

/* The clips in the day folders of namefd (layout names only), the oldest days first (newest
 * = 0) or the newest first.  No day is started once max clips are listed (out->truncated is
 * then set), so a scan holds at most max clips plus one day's.  0 or -ENOMEM / opendir's
 * error on namefd. */
int clipdir_scan(int namefd, size_t max, int newest, struct clip_list *out);
/* The parts of one clip as they are now: 0, or -ENOENT when none is there. */
int clipdir_stat(int namefd, const char *day, const char *hms, struct clip *c);
/* Bytes of all its parts. */
uint64_t clip_bytes(const struct clip *c);
/* 1 when the clip is being written: its sidecar says "open" and it changed within
 * CLIP_OPEN_FRESH_S of now (unix s). */
int clip_is_open(int namefd, const struct clip *c, int64_t now);
void clip_list_free(struct clip_list *l);
/* Oldest first: by mtime, then by name. */
void clip_list_sort_oldest(struct clip_list *l);
/* Newest first by name (day, then time of day). */
void clip_list_sort_newest(struct clip_list *l);

/* Removes the clip's parts (regular files only), then its day folder if now empty.  Bytes
 * freed added to *freed.  0, or the first unlink error (the other parts still tried). */
int clipdir_remove(int namefd, const struct clip *c, uint64_t *freed);

/* Parses a sidecar (a flat JSON object; unknown keys ignored).  0 or -EINVAL. */
int clip_meta_parse(const char *buf, size_t len, struct clip_meta *m);
/* Reads and parses the clip's sidecar; m is set to "unknown" whatever happens. */
int clip_meta_read(int namefd, const struct clip *c, struct clip_meta *m);

#endif
