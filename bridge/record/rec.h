/* The recorder: one thread writing clips (fragmented MP4, passthrough) from the tap's AUs,
 * pre-roll first.  Triggers only set a wish (start, until when) and return at once: the HTTP
 * handler, the signal loop and the event-bus listener never wait for the disk.  A write that
 * fails (disk full, read-only, folder gone) closes the clip, is logged once and shown in the
 * status; streaming is never affected and recording resumes by itself. */
#ifndef CB_RECORD_REC_H
#define CB_RECORD_REC_H

#include <stddef.h>
#include <stdint.h>

struct tap;
struct ev_bus;
struct hub;
struct status;
struct frame;

enum rec_trigger {
	REC_TRIG_MOTION, REC_TRIG_PEOPLE, REC_TRIG_VEHICLE, REC_TRIG_DOG_CAT, REC_TRIG_FACE,
	REC_TRIG_MANUAL, REC_TRIG_SIGNAL, REC_TRIG_ALWAYS,
};

/* Every alarm type: what record.on_motion = true means. */
#define REC_ON_ALL_ALARMS ((1u << (REC_TRIG_FACE + 1)) - 1)

/* Writes the thumbnail of frame f to path (JPEG).  0 or a negative errno. */
typedef int (*rec_thumb_fn)(void *ctx, const struct frame *f, const char *path);

struct rec_opts {
	const char *dir;           /* record.dir (copied) */
	const char *camera;        /* camera name: the folder below dir (copied) */
	int pre_seconds, post_seconds, max_seconds, segment_seconds;
	unsigned on_types;         /* alarms that start a clip: bit 1 << REC_TRIG_MOTION … FACE
				    * (the event types of the same names); 0 = none */
	int always;
	size_t queue_bytes;        /* AUs waiting for the disk at most (≥ the pre-roll bound) */
	struct tap *tap;
	struct ev_bus *events;     /* EV_RECORDING out; alarms in when on_types (may be NULL) */
	struct hub *hub;           /* thumbnails; a clip counts as a viewer (may be NULL) */
	struct status *st;         /* may be NULL */
	rec_thumb_fn thumb;
	void *thumb_ctx;
	void (*clip_closed)(void *ctx); /* after each clip (retention); may be NULL */
	void *clip_closed_ctx;
};

struct rec;

int rec_start(struct rec **out, const struct rec_opts *o);
void rec_stop(struct rec *r);
/* Record from the pre-roll on until `seconds` from now (0 = post_seconds), extending a clip
 * in progress; never beyond max_seconds per clip.  -EINVAL for seconds out of range. */
int rec_trigger(struct rec *r, enum rec_trigger why, int seconds);
/* Ends the clip in progress (and forgets pending wishes; motion and always start anew). */
void rec_stop_clip(struct rec *r);
const char *rec_trigger_name(enum rec_trigger t);

#endif
