#include "record/rec.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libavutil/buffer.h>

#include "event/event.h"
#include "hub/hub.h"
#include "hub/status.h"
#include "record/aufifo.h"
#include "record/clip.h"
#include "record/mux.h"
#include "record/tap.h"
#include "util/clock.h"
#include "util/log.h"

#define REC_RETRY_US     10000000ull  /* after a failure, try again this often */
#define REC_CHECK_US     1000000ull   /* look for the clip's file this often */
#define REC_IDLE_US      5000000ull   /* no video this long past the end (or at all, always):
				       * close the clip */
#define REC_QUEUE_AUS    8192
#define REC_WAIT_MS      100

struct rec {
	struct rec_opts o;
	char *dir, *camera;
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* under lock: the wishes */
	int stop;
	int stop_clip;
	uint64_t until_us;             /* record until (monotonic) */
	enum rec_trigger trig;         /* what asked last */
	int ai_started;                /* an AI alarm type that started since the thread last
				        * looked, or -1: it renames a clip that motion began */
	unsigned motion;               /* alarm types in progress (bit = enum ev_type) */
	uint64_t motion_since_us[EV_FACE + 1];
	/* the recorder thread's own */
	struct aufifo fifo;
	int subscribed;
	enum rec_trigger clip_trig;
	struct mux *mux;
	struct clip_paths cp;
	uint64_t first_us, last_au_us, checked_us;
	int failing;
	uint64_t retry_us;
};

static const char *const trig_names[] = {
	"motion", "people", "vehicle", "dog_cat", "face", "manual", "signal", "always" };

const char *rec_trigger_name(enum rec_trigger t)
{
	return (unsigned)t < sizeof(trig_names) / sizeof(trig_names[0]) ? trig_names[t] : "manual";
}

static void set_until(struct rec *r, uint64_t until, enum rec_trigger why)
{
	if (until > r->until_us)
		r->until_us = until;
	r->trig = why;
	pthread_cond_signal(&r->cond);
}

int rec_trigger(struct rec *r, enum rec_trigger why, int seconds)
{
	if (seconds < 0 || seconds > r->o.max_seconds)
		return -EINVAL;
	if (!seconds)
		seconds = r->o.post_seconds;
	pthread_mutex_lock(&r->lock);
	set_until(r, clock_mono_us() + (uint64_t)seconds * 1000000u, why);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

void rec_stop_clip(struct rec *r)
{
	pthread_mutex_lock(&r->lock);
	r->stop_clip = 1;
	r->until_us = 0;
	r->motion = 0;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static int is_ai(enum rec_trigger t)
{
	return t >= REC_TRIG_PEOPLE && t <= REC_TRIG_FACE;
}

/* On the publishing thread, bus locked: note the wish and return.  The camera reports an AI
 * alarm together with motion: the clip is named after the AI type. */
static void on_event(void *opaque, const struct ev *e)
{
	struct rec *r = opaque;
	uint64_t now = clock_mono_us();
	enum rec_trigger why = (enum rec_trigger)e->type;

	if (e->type > EV_FACE || !(r->o.on_types & (1u << e->type)))
		return;
	pthread_mutex_lock(&r->lock);
	if (e->state == EV_STATE_START) {
		r->motion |= 1u << e->type;
		r->motion_since_us[e->type] = now;
		if (is_ai(why))
			r->ai_started = why;
	} else if (e->state == EV_STATE_END) {
		r->motion &= ~(1u << e->type);
	}
	if (!is_ai(why) && is_ai(r->trig) && r->until_us > now)
		why = r->trig;
	set_until(r, now + (uint64_t)r->o.post_seconds * 1000000u, why);
	pthread_mutex_unlock(&r->lock);
}

static void status_clip(struct rec *r, int active)
{
	if (!r->o.st)
		return;
	STATUS_UPDATE(r->o.st, cs->rec_active = active;
		snprintf(cs->rec_clip, sizeof(cs->rec_clip), "%s", active ? r->cp.rel : "");
		if (!active) cs->rec_clips++;
		cs->rec_dropped = aufifo_dropped(&r->fifo););
}

static void publish(struct rec *r, enum ev_state state)
{
	struct ev e = { .type = EV_RECORDING, .state = state, .marker = -1 };

	snprintf(e.detail, sizeof(e.detail), "%s", r->cp.rel);
	ev_publish(r->o.events, &e);
}

/* Something went wrong with the disk: say it once, show it, try again later. */
static void failed(struct rec *r, const char *what, uint64_t now)
{
	if (!r->failing)
		log_err("recording to %s stopped: %s; streaming goes on, retrying every %llu s",
			r->dir, what, REC_RETRY_US / 1000000ull);
	r->failing = 1;
	r->retry_us = now + REC_RETRY_US;
	if (r->o.st)
		STATUS_UPDATE(r->o.st, snprintf(cs->rec_error, sizeof(cs->rec_error), "%s", what););
}

static void recovered(struct rec *r)
{
	if (!r->failing)
		return;
	log_notice("recording to %s works again", r->dir);
	r->failing = 0;
	if (r->o.st)
		STATUS_UPDATE(r->o.st, cs->rec_error[0] = 0;);
}

static void unsubscribe(struct rec *r)
{
	struct rec_au au;

	if (!r->subscribed)
		return;
	tap_unsubscribe(r->o.tap, aufifo_tap, &r->fifo);
	while (aufifo_pop(&r->fifo, &au, 0) == 1)
		av_buffer_unref(&au.buf);
	r->subscribed = 0;
	if (r->o.hub)
		hub_viewer_remove(r->o.hub);
}

static void close_clip(struct rec *r, int keep_json)
{
	struct stat sb;
	char err[160];
	double dur;

	if (!r->mux)
		return;
	dur = mux_duration(r->mux);
	(void)mux_close(r->mux, err, sizeof(err));   /* fragments written so far stay valid */
	r->mux = NULL;
	if (keep_json)
		(void)clip_write_json(&r->cp, rec_trigger_name(r->clip_trig), dur,
				      stat(r->cp.mp4, &sb) == 0 ? (uint64_t)sb.st_size : 0, 0);
	log_info("recorded %s (%.1f s)", r->cp.rel, dur);
	publish(r, EV_STATE_END);
	status_clip(r, 0);
	if (r->o.clip_closed)
		r->o.clip_closed(r->o.clip_closed_ctx);
}

static void thumbnail(struct rec *r)
{
	struct frame *f;

	if (!r->o.hub || !r->o.thumb || !(f = hub_latest(r->o.hub, 0)))
		return;
	if (!f->placeholder)
		(void)r->o.thumb(r->o.thumb_ctx, f, r->cp.jpg);   /* a clip without one is fine */
	frame_unref(f);
}

static int open_clip(struct rec *r, const struct rec_au *au, uint64_t now)
{
	struct tap_params p;
	char err[200], what[PATH_MAX + 64];
	time_t start = time(NULL) - (time_t)((now - au->t_us) / 1000000u);
	int e;

	if (tap_get_params(r->o.tap, &p) < 0 || p.codec != au->codec)
		return 0;   /* wait for a keyframe that describes itself */
	e = clip_make_paths(r->dir, r->camera, start, &r->cp);
	if (e < 0) {
		snprintf(what, sizeof(what), "cannot create the clip's folder: %s", strerror(-e));
		failed(r, what, now);
		return e;
	}
	e = mux_open_mp4(&r->mux, r->cp.mp4, &p, err, sizeof(err));
	if (e < 0) {
		failed(r, err, now);
		return e;
	}
	recovered(r);
	r->first_us = au->t_us;
	r->checked_us = now;
	thumbnail(r);
	(void)clip_write_json(&r->cp, rec_trigger_name(r->clip_trig), 0, 0, 1);
	log_info("recording %s (%s)", r->cp.rel, rec_trigger_name(r->clip_trig));
	publish(r, EV_STATE_START);
	status_clip(r, 1);
	return 0;
}

/* 1 = the clip is over at this AU (it belongs to the next one, if any). */
static int clip_over(struct rec *r, const struct rec_au *au, uint64_t until, int always)
{
	uint64_t len = au->t_us - r->first_us;
	int wanted = always || au->t_us < until;

	if (!wanted)
		return 1;
	/* Still wanted: a new file at a keyframe once the segment or the cap is reached. */
	if (!au->keyframe)
		return 0;
	if (always && len >= (uint64_t)r->o.segment_seconds * 1000000u)
		return 1;
	return len >= (uint64_t)r->o.max_seconds * 1000000u;
}

static void handle_au(struct rec *r, const struct rec_au *au, uint64_t until, int always,
		      uint64_t now)
{
	char err[200];

	r->last_au_us = now;
	if (r->mux && clip_over(r, au, until, always))
		close_clip(r, 1);
	if (!r->mux) {
		if (!always && au->t_us >= until)
			return;
		if (!au->keyframe)
			return;
		if (open_clip(r, au, now) < 0)
			unsubscribe(r);   /* try again after REC_RETRY_US */
		if (!r->mux)
			return;
	}
	if (mux_write(r->mux, au, err, sizeof(err)) < 0) {
		close_clip(r, 1);
		failed(r, err, now);
		unsubscribe(r);
	}
}

/* The file is gone (its folder deleted): close it and start again from the next keyframe. */
static void check_file(struct rec *r, uint64_t now)
{
	struct stat sb;

	if (!r->mux || now - r->checked_us < REC_CHECK_US)
		return;
	r->checked_us = now;
	if (stat(r->cp.mp4, &sb) == 0)
		return;
	log_warn("recording %s: the file was removed (%s); starting a new one", r->cp.rel,
		 strerror(errno));
	close_clip(r, 0);
}

static void *rec_main(void *arg)
{
	struct rec *r = arg;
	struct rec_au au;

	pthread_setname_np(pthread_self(), "record");
	for (;;) {
		uint64_t now = clock_mono_us(), until;
		int stop_clip, wanted, ai, always = r->o.always;
		enum rec_trigger trig;

		pthread_mutex_lock(&r->lock);
		if (r->stop) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		for (int t = 0; t <= EV_FACE; t++)   /* an alarm that never ends counts max_seconds */
			if (r->motion & (1u << t) && now - r->motion_since_us[t] <
			    (uint64_t)r->o.max_seconds * 1000000u && r->until_us <
			    now + (uint64_t)r->o.post_seconds * 1000000u)
				r->until_us = now + (uint64_t)r->o.post_seconds * 1000000u;
		stop_clip = r->stop_clip;
		r->stop_clip = 0;
		until = r->until_us;
		trig = r->trig;
		ai = r->ai_started;
		r->ai_started = -1;
		wanted = always || until > now;
		pthread_mutex_unlock(&r->lock);

		if (ai >= 0 && r->subscribed && r->clip_trig == REC_TRIG_MOTION)
			r->clip_trig = (enum rec_trigger)ai;

		if (stop_clip) {
			close_clip(r, 1);
			unsubscribe(r);
			continue;
		}
		if (!r->subscribed) {
			if (!wanted || (r->failing && now < r->retry_us)) {
				struct timespec ts = clock_mono_deadline(REC_WAIT_MS);

				pthread_mutex_lock(&r->lock);
				/* Failing: no new wish wakes us before the retry is due. */
				if (!r->stop && !r->stop_clip && (r->failing || r->until_us <= now))
					pthread_cond_timedwait(&r->cond, &r->lock, &ts);
				pthread_mutex_unlock(&r->lock);
				continue;
			}
			aufifo_reset(&r->fifo);
			r->clip_trig = always ? REC_TRIG_ALWAYS : trig;
			r->last_au_us = now;
			if (tap_subscribe(r->o.tap, aufifo_tap, &r->fifo, TAP_PREROLL) == 0) {
				r->subscribed = 1;
				/* A clip wants video: it wakes a camera that sleeps (wake = on-demand,
				 * events) as a viewer would, until it is over. */
				if (r->o.hub)
					hub_viewer_add(r->o.hub);
			}
			continue;
		}
		if (aufifo_pop(&r->fifo, &au, REC_WAIT_MS) == 1) {
			handle_au(r, &au, until, always, clock_mono_us());
			av_buffer_unref(&au.buf);
		}
		now = clock_mono_us();
		if (!r->mux && !wanted) {
			unsubscribe(r);   /* over, or the wish passed before any video came */
		} else if (r->mux && now - r->last_au_us >= REC_IDLE_US) {
			close_clip(r, 1);   /* no video: the camera is away */
			if (!wanted)
				unsubscribe(r);
		}
		check_file(r, now);
	}
	close_clip(r, 1);
	unsubscribe(r);
	return NULL;
}

static void rec_free(struct rec *r)
{
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	aufifo_fini(&r->fifo);
	free(r->dir);
	free(r->camera);
	free(r);
}

int rec_start(struct rec **out, const struct rec_opts *o)
{
	struct rec *r = calloc(1, sizeof(*r));
	pthread_condattr_t ca;
	int e;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->o = *o;
	r->ai_started = -1;
	r->dir = strdup(o->dir);
	r->camera = strdup(o->camera);
	if (!r->dir || !r->camera ||
	    (e = aufifo_init(&r->fifo, o->queue_bytes, REC_QUEUE_AUS)) < 0) {
		free(r->dir);
		free(r->camera);
		free(r);
		return -ENOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (o->st)
		STATUS_UPDATE(o->st, cs->rec_enabled = 1;);
	if ((e = pthread_create(&r->th, NULL, rec_main, r)) != 0) {
		rec_free(r);
		return -e;
	}
	if (o->on_types && o->events)
		(void)ev_bus_listen(o->events, on_event, r);
	*out = r;
	return 0;
}

void rec_stop(struct rec *r)
{
	if (!r)
		return;
	if (r->o.on_types && r->o.events)
		ev_bus_unlisten(r->o.events, on_event, r);
	pthread_mutex_lock(&r->lock);
	r->stop = 1;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->th, NULL);
	if (r->o.st)
		STATUS_UPDATE(r->o.st, cs->rec_enabled = 0;);
	rec_free(r);
}
