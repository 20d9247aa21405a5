/* Retention of the recordings of one camera: record.max_age_days and record.max_total_mb.
 * The oldest clips go first (mp4, sidecar and thumbnail together, then the day folder once
 * empty); a clip being written is never removed.  Only names of the recording layout are
 * touched (see clipdir.h); symlinks are neither followed nor removed. */
#ifndef CB_RECORD_RETAIN_H
#define CB_RECORD_RETAIN_H

#include <stdint.h>

/* Clips looked at in one run (the oldest days first); bounds the memory of a run.  A clip
 * whose sidecar says "open" goes only once CLIP_OPEN_FRESH_S old (a crash left it). */
#define RETAIN_MAX_CLIPS    (1u << 18)

struct retain_stats {
	unsigned clips;           /* clips found */
	unsigned removed;         /* clips removed */
	unsigned kept_open;       /* clips due to go but being written */
	uint64_t bytes_before;    /* total of every clip's files before the run */
	uint64_t bytes_after;
	uint64_t bytes_freed;
	int error;                /* first removal error (negative errno), 0 = none */
	int truncated;            /* more than RETAIN_MAX_CLIPS clips: only the oldest seen */
};

/* Applies the limits to record.dir/NAME (max_age_days 0 = no age limit, max_total_mb 0 = no
 * size cap).  skip_path: the clip the recorder is writing (NULL = none), as the path of any
 * of its files relative to record.dir ("NAME/YYYY-MM-DD/HHMMSS.mp4") or absolute.
 * 0 (also when record.dir/NAME does not exist yet), or a negative errno when the folder
 * cannot be read; removal errors are reported in st->error and the run goes on. */
int retain_run(const char *dir, const char *name, int max_age_days, int max_total_mb,
	       const char *skip_path, struct retain_stats *st);

#endif
