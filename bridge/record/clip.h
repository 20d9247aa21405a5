/* Where a clip goes and what is said about it: record.dir/NAME/YYYY-MM-DD/HHMMSS.mp4 (local
 * time) with HHMMSS.json and HHMMSS.jpg beside it (the layout recweb reads). */
#ifndef CB_RECORD_CLIP_H
#define CB_RECORD_CLIP_H

#include <limits.h>
#include <stdint.h>
#include <time.h>

#define CLIP_REL_MAX 160          /* fits an event's detail */

struct clip_paths {
	char rel[CLIP_REL_MAX];   /* NAME/YYYY-MM-DD/HHMMSS.mp4 */
	char mp4[PATH_MAX];
	char json[PATH_MAX];
	char jpg[PATH_MAX];
	char file[16];            /* HHMMSS.mp4 */
	time_t start;             /* the second the name stands for */
};

/* Creates the folders (mode 0755) and picks the name of the first free second at or after
 * t (two clips in one second: the second one is named a second later).  0 or a negative
 * errno (-ENAMETOOLONG, mkdir's, -EEXIST when a minute of names is taken). */
int clip_make_paths(const char *dir, const char *camera, time_t t, struct clip_paths *p);
/* Writes the .json whole (util/wfile: a reader never sees half of it). */
int clip_write_json(const struct clip_paths *p, const char *trigger, double duration,
		    uint64_t size, int open);

#endif
