#include "app/recapp.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/cfg.h"
#include "event/event.h"
#include "http/jpegcache.h"
#include "hub/hub.h"
#include "record/rec.h"
#include "record/retain.h"
#include "record/tap.h"
#include "record/tsout.h"
#include "util/log.h"
#include "util/wfile.h"

#define THUMB_WIDTH   320
#define THUMB_QUALITY 75
/* The recorder's queue holds the whole pre-roll at the start of a clip, plus this much. */
#define REC_QUEUE_SPARE (16u << 20)

/* The clip's thumbnail with the HTTP side's JPEG encoder, written whole. */
static int write_thumb(void *ctx, const struct frame *f, const char *path)
{
	struct jpeg_enc e;
	size_t len = 0;
	int w, h, r;

	(void)ctx;
	if ((r = jpeg_fit_size(f->width, f->height, THUMB_WIDTH, 0, &w, &h)) < 0 ||
	    (r = jpeg_enc_init(&e, THUMB_QUALITY)) < 0)
		return r;
	r = jpeg_enc_frame(&e, f, w, h, &len);
	if (r == 0)
		r = wfile_atomic(path, e.out, len, 0644);
	jpeg_enc_fini(&e);
	return r;
}

void recapp_retention(const char *dir, const char *name, int max_age_days, int max_total_mb)
{
	struct retain_stats rs;
	int r;

	if (!dir[0] || (!max_age_days && !max_total_mb))
		return;
	r = retain_run(dir, name, max_age_days, max_total_mb, NULL, &rs);
	if (r < 0)
		log_warn("retention: cannot read %s/%s: %s", dir, name, strerror(-r));
	else if (rs.error)
		log_warn("retention: removed %u clips, could not remove one: %s", rs.removed,
			 strerror(-rs.error));
	else if (rs.removed)
		log_info("retention: removed %u clips (%.1f MiB), %.1f MiB left", rs.removed,
			 (double)rs.bytes_freed / (1 << 20), (double)rs.bytes_after / (1 << 20));
}

/* On the recorder's thread, after each clip; the values may change on a reload. */
static void clip_closed(void *ctx)
{
	struct recapp *ra = ctx;
	char dir[sizeof(ra->dir)], name[sizeof(ra->name)];
	int age, total;

	pthread_mutex_lock(&ra->lock);
	memcpy(dir, ra->dir, sizeof(dir));
	memcpy(name, ra->name, sizeof(name));
	age = ra->max_age_days;
	total = ra->max_total_mb;
	pthread_mutex_unlock(&ra->lock);
	recapp_retention(dir, name, age, total);
}

static void set_retention(struct recapp *ra, const struct cfg *c)
{
	pthread_mutex_lock(&ra->lock);
	snprintf(ra->dir, sizeof(ra->dir), "%s", c->record.dir);
	snprintf(ra->name, sizeof(ra->name), "%s", c->name);
	ra->max_age_days = c->record.max_age_days;
	ra->max_total_mb = c->record.max_total_mb;
	pthread_mutex_unlock(&ra->lock);
}

static size_t pre_bytes(const struct cfg *c)
{
	return (size_t)c->record.pre_max_mb << 20;
}

/* The recorder, when record.dir is set: 0 or a negative errno (logged). */
static int start_recorder(struct recapp *ra, const struct cfg *c)
{
	struct rec_opts ro = {
		.dir = c->record.dir, .camera = c->name, .pre_seconds = c->record.pre_seconds,
		.post_seconds = c->record.post_seconds, .max_seconds = c->record.max_seconds,
		.segment_seconds = c->record.segment_seconds, .on_types = c->record.on_mask,
		.always = c->record.always, .queue_bytes = pre_bytes(c) + REC_QUEUE_SPARE,
		.tap = ra->tap, .events = ra->ev, .hub = ra->hub, .st = ra->st, .thumb = write_thumb,
		.clip_closed = clip_closed, .clip_closed_ctx = ra,
	};
	char on[96] = "";
	int r;

	if (!c->record.dir[0])
		return 0;
	if ((r = rec_start(&ra->rec, &ro)) < 0) {
		log_err("cannot start the recorder: %s", strerror(-r));
		return r;
	}
	for (int t = EV_MOTION; t <= EV_FACE; t++)
		if (c->record.on_mask & (1u << t))
			snprintf(on + strlen(on), sizeof(on) - strlen(on), "%s%s",
				 on[0] ? "," : "on ", ev_type_name((enum ev_type)t));
	log_info("recording to %s/%s (%s%s%s%d s pre-roll)", c->record.dir, c->name,
		 c->record.always ? "always, " : "", on, on[0] ? ", " : "", c->record.pre_seconds);
	return 0;
}

int recapp_start(struct recapp *ra, const struct cfg *c, struct hub *hub, struct ev_bus *ev,
		 struct status *st)
{
	char err[256];
	int r;

	memset(ra, 0, sizeof(*ra));
	pthread_mutex_init(&ra->lock, NULL);
	ra->hub = hub;
	ra->ev = ev;
	ra->st = st;
	set_retention(ra, c);
	r = tap_new(&ra->tap, (uint64_t)c->record.pre_seconds * 1000000u, pre_bytes(c));
	if (r < 0) {
		log_err("cannot set up the pre-roll: %s", strerror(-r));
		recapp_stop(ra);
		return r;
	}
	r = tsout_start(&ra->ts, ra->tap, c->output.udp, st, err, sizeof(err));
	if (r < 0) {
		log_err("cannot start the MPEG-TS output: %s", err[0] ? err : strerror(-r));
		recapp_stop(ra);
		return r;
	}
	if (c->output.udp[0])
		log_info("pushing MPEG-TS to %s", c->output.udp);
	if ((r = start_recorder(ra, c)) < 0)
		recapp_stop(ra);
	return r;
}

void recapp_reload(struct recapp *ra, const struct cfg *old, const struct cfg *c)
{
	int retention = cfg_changed_prefix(old, c, "record.max_age_days") +
			cfg_changed_prefix(old, c, "record.max_total_mb");

	if (!ra->tap || !cfg_changed_prefix(old, c, "record."))
		return;
	set_retention(ra, c);
	if (retention)
		recapp_retention(c->record.dir, c->name, c->record.max_age_days,
				 c->record.max_total_mb);
	if (cfg_changed_prefix(old, c, "record.") == retention)
		return;   /* retention only: the clip being written goes on */
	tap_set_window(ra->tap, (uint64_t)c->record.pre_seconds * 1000000u, pre_bytes(c));
	if (ra->rec)
		log_info("reload: restarting the recorder for the new record.* settings");
	rec_stop(ra->rec);   /* closes the clip being written, as at exit */
	ra->rec = NULL;
	(void)start_recorder(ra, c);   /* logged; streaming goes on without it */
}

void recapp_signal(struct recapp *ra)
{
	if (!ra->rec) {
		log_notice("SIGUSR1: recording is off (record.dir is not set)");
		return;
	}
	(void)rec_trigger(ra->rec, REC_TRIG_SIGNAL, 0);
}

void recapp_stop(struct recapp *ra)
{
	rec_stop(ra->rec);
	tsout_stop(ra->ts);
	tap_free(ra->tap);
	pthread_mutex_destroy(&ra->lock);
	memset(ra, 0, sizeof(*ra));
}
