#include "app/video.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <stdlib.h>

#include "media/conv.h"
#include "media/dec.h"
#include "media/img.h"
#include "media/placeholder.h"
#include "hub/hub.h"
#include "sink/pace.h"
#include "sink/fileout.h"
#include "sink/retry.h"
#include "sink/sink.h"
#include "hub/status.h"
#include "source/auq.h"
#include "source/src.h"
#include "util/clock.h"
#include "util/log.h"

#define VIDEO_MAX_WAIT_MS   100     /* re-check stop, viewers and sink at least this often */
#define VIDEO_STALE_MS      3000    /* a live camera silent this long shows the card */
#define FPS_WINDOW_US       2000000

struct vstate {
	struct video *v;
	struct sink *sink;
	struct sink_retry retry;
	int sink_said;                /* the "writing … to" line was logged */
	uint64_t out_dropped;         /* writes the output could not take */
	uint64_t drop_remind_us;      /* when to mention them again; 0 = not dropping */
	struct dec *dec;
	enum dec_codec codec;
	int dec_failed;               /* last shown: the codec cannot be decoded */
	const char *dec_hw;           /* last shown: hwaccel in use */
	struct conv *conv;
	struct pace pace;
	struct frame *cam;            /* newest camera frame (our reference) */
	uint64_t cam_seq;             /* its hub seq; 0 = none */
	struct frame *ph;             /* last placeholder card */
	char ph_text[32];
	uint8_t *ph_bg;               /* placeholder background image, or NULL */
	FILE *flog;
	uint64_t cam_frames;
	uint64_t skipped;             /* pace.n_dropped as last reported */
	int64_t prev_marker;          /* marker of the camera frame before s->cam */
	/* fps meters */
	uint64_t win_start_us, win_in, win_out;
	uint64_t last_watch_us;
	int wanted;
	int said_no_usage;
	int file_output;              /* the output is a file or FIFO (somebody always watches) */
};

static const char *state_text(enum cam_state s, int have_frames)
{
	switch (s) {
	case CAM_CONNECTING: return "connecting";
	case CAM_SLEEPING: return "sleeping";
	case CAM_OFFLINE: return "offline";
	case CAM_AUTH_FAILED: return "wrong password";
	case CAM_STREAMING: return have_frames ? "no video" : "starting";
	}
	return "offline";
}

/* One line per change of the output's state, and a reminder while it keeps failing. */
static void say_output(struct vstate *s, enum sink_retry_say say, const char *what)
{
	struct video *v = s->v;
	uint64_t secs = (clock_mono_us() - s->retry.since_us) / 1000000u;

	switch (say) {
	case SINK_SAY_FAILING:
		log_warn("output %s: %s; running without it (HTTP only), retrying in the background",
			 v->o.output, what);
		break;
	case SINK_SAY_STILL:
		log_warn("output %s still failing after %" PRIu64 " s (%" PRIu64 " attempts): %s",
			 v->o.output, secs, s->retry.attempts, what);
		break;
	case SINK_SAY_RECOVERED:
		log_notice("output %s works again after %" PRIu64 " s", v->o.output, secs);
		break;
	case SINK_SAY_NOTHING:
		break;
	}
}

static void open_sink(struct vstate *s)
{
	struct video *v = s->v;
	struct sink_cfg sc = {
		.fmt = v->o.fmt, .width = v->o.width, .height = v->o.height, .fps = v->o.fps,
		/* Reopening after a failure goes on where the file stopped. */
		.file_flags = s->sink_said ? FILEOUT_APPEND : 0,
	};
	uint64_t now = clock_mono_us();
	char err[256];
	int r;

	if (!v->o.output[0] || s->sink || !sink_retry_due(&s->retry, now))
		return;
	r = sink_open(&s->sink, v->o.output, &sc, err, sizeof(err));
	if (r == 0) {
		if (!s->sink_said)
			log_info("writing %dx%d %s at %d fps to %s", v->o.width, v->o.height,
				 outfmt_name(v->o.fmt), v->o.fps, v->o.output);
		s->sink_said = 1;
		return;
	}
	/* No loopback device, no reader on the FIFO, …: keep serving HTTP and try again later. */
	say_output(s, sink_retry_failed(&s->retry, now, r, r == -ENXIO), err);
}

/* --frame-log: one line per frame written, and per camera frame skipped by the rate cap. */
static void frame_log(struct vstate *s, int64_t marker, uint64_t now, const char *kind)
{
	if (!s->flog)
		return;
	fprintf(s->flog, "%" PRId64 " %" PRIu64 " %s\n", marker, now, kind);
	fflush(s->flog);
}

/* The output could not take this write: count it; say so once, and again now and then. */
static void output_dropped(struct vstate *s, uint64_t now)
{
	s->out_dropped++;
	STATUS_UPDATE(s->v->st, cs->frames_out_dropped = s->out_dropped;);
	if (now < s->drop_remind_us)
		return;
	log_warn("output %s does not keep up (reader too slow): %" PRIu64 " frames dropped so far",
		 s->v->o.output, s->out_dropped);
	s->drop_remind_us = now + SINK_RETRY_REMIND_MS * 1000ull;
}

static void write_out(struct vstate *s, struct frame *f, const char *kind)
{
	struct video *v = s->v;
	uint64_t now = clock_mono_us();
	int r = 0;

	if (s->sink) {
		r = sink_write(s->sink, f);
		if (r == -EAGAIN) {
			output_dropped(s, now);
			return;
		}
		if (r < 0) {
			int fifo_gone = r == -EPIPE && sink_kind(s->sink) == SINK_FILE;

			sink_close(s->sink);
			s->sink = NULL;
			if (fifo_gone) {
				log_err("writing to %s failed: the reader left", v->o.output);
				atomic_store(&v->failed, 1);   /* the reader of the FIFO left */
				return;
			}
			say_output(s, sink_retry_failed(&s->retry, now, r, 0), strerror(-r));
			return;
		}
		say_output(s, sink_retry_ok(&s->retry, now), "");
	}
	s->win_out++;
	STATUS_UPDATE(v->st, cs->frames_out++;);
	frame_log(s, f->marker, now, kind);
	atomic_store(&v->ready, 1);
}

/* Says what the decoder has to say — each message once — and shows it in the status. */
static void report_decoder(struct vstate *s, int force)
{
	const char *why, *err = dec_error(s->dec), *hw = dec_hwaccel_name(s->dec);

	if ((why = dec_take_fallback_reason(s->dec)))
		log_notice("hardware decoding not used, decoding in software: %s", why);
	if ((why = dec_take_error(s->dec)))
		log_err("cannot decode the camera's video: %s; trying again when the codec or its "
			"parameters change", why);
	if (!force && !!err == s->dec_failed && hw == s->dec_hw)
		return;
	s->dec_failed = !!err;
	s->dec_hw = hw;
	STATUS_UPDATE(s->v->st, snprintf(cs->hwaccel, sizeof(cs->hwaccel), "%s", hw);
		snprintf(cs->codec, sizeof(cs->codec), "%s", dec_codec_name(s->codec));
		snprintf(cs->decode_error, sizeof(cs->decode_error), "%s", err ? err : ""););
}

/* One decoder for the thread's life, re-opened on a codec change; a codec it cannot decode
 * is remembered there (not retried, hwaccel probing and all, on every AU). */
static int ensure_decoder(struct vstate *s, enum au_codec codec)
{
	struct video *v = s->v;
	struct dec_opts o = {
		.hwaccel = v->o.hwaccel, .hwdevice = v->o.hwdevice[0] ? v->o.hwdevice : NULL,
	};
	enum dec_codec c = codec == AU_H265 ? DEC_H265 : DEC_H264;
	int r;

	if (!s->dec && (r = dec_new(&o, &s->dec)) < 0)
		return r;
	if (s->codec != c) {
		(void)dec_set_codec(s->dec, c);   /* a failure shows in dec_error */
		s->codec = c;
		report_decoder(s, 1);
	}
	return 0;
}

static void handle_au(struct vstate *s, const struct au *au)
{
	struct video *v = s->v;
	struct dec_out out;
	struct frame *f;
	int r;

	if (!au_is_video(au->codec))
		return;   /* audio: only the recording side (the tap) wants it */
	if (ensure_decoder(s, au->codec) < 0) {
		STATUS_UPDATE(v->st, cs->frames_dropped++;);
		return;
	}
	if (au->gap)
		dec_mark_loss(s->dec);
	r = dec_decode_buf(s->dec, au->buf, au->data, au->len, au->keyframe, &out);
	report_decoder(s, 0);
	if (r <= 0 || !out.frame) {
		if (r < 0 || out.dropped)
			STATUS_UPDATE(v->st, cs->frames_dropped++;);
		return;
	}
	status_add_decode_time(v->st, (double)out.decode_us / 1e6);
	f = hub_get_free(v->hub);
	if (!f) {
		STATUS_UPDATE(v->st, cs->frames_dropped++;);   /* every buffer held by readers */
		return;
	}
	if (conv_frame(s->conv, out.frame, f) < 0) {
		hub_discard(f);
		STATUS_UPDATE(v->st, cs->frames_dropped++;);
		return;
	}
	frame_ref(f);   /* conv_frame has read the frame marker into f->marker */
	hub_publish(v->hub, f);
	s->prev_marker = s->cam ? s->cam->marker : -1;
	if (s->cam)
		frame_unref(s->cam);
	s->cam = f;
	s->cam_seq = f->seq;
	s->win_in++;
	STATUS_UPDATE(v->st, cs->frames_decoded++;
		cs->stream_width = out.frame->width; cs->stream_height = out.frame->height;
		cs->last_frame_mono_us = f->mono_us;);
}

static void write_placeholder(struct vstate *s, enum cam_state state)
{
	struct video *v = s->v;
	const char *text = state_text(state, s->cam_seq != 0);
	struct frame *f;

	/* Re-render when the text changes, or when a camera picture was published after the card:
	 * the hub (MJPEG, snapshots) must show what the device shows.  Otherwise re-send it. */
	if (!s->ph || strcmp(text, s->ph_text) || s->cam_seq > s->ph->seq) {
		f = hub_get_free(v->hub);
		if (!f)
			return;
		if (ph_render(f, v->o.name, text, s->ph_bg) < 0) {
			hub_discard(f);
			return;
		}
		snprintf(s->ph_text, sizeof(s->ph_text), "%s", text);
		frame_ref(f);
		hub_publish(v->hub, f);
		if (s->ph)
			frame_unref(s->ph);
		s->ph = f;
	}
	write_out(s, s->ph, "placeholder");
}

/* Someone watches: a V4L2 consumer, an HTTP viewer, a file/FIFO output or --frames. */
static void update_wanted(struct vstate *s, uint64_t now)
{
	struct video *v = s->v;
	int consumers = -1, watching;

	if (s->sink)
		consumers = sink_consumers(s->sink);
	STATUS_UPDATE(v->st, cs->v4l2_clients = consumers;);
	if (!v->o.on_demand) {
		watching = 1;
	} else if (v->o.frames_limit || s->file_output) {
		watching = 1;
	} else if (s->sink && consumers < 0) {
		if (!s->said_no_usage) {
			log_notice("the loopback driver does not report its consumers (v4l2loopback < 0.13): "
				   "keeping the camera awake as with wake = always");
			s->said_no_usage = 1;
		}
		watching = 1;
	} else {
		watching = consumers > 0 || hub_viewers(v->hub) > 0;
	}
	if (watching)
		s->last_watch_us = now;
	int want = watching || (s->last_watch_us &&
		now - s->last_watch_us < (uint64_t)v->o.idle_seconds * 1000000u);
	if (want != s->wanted) {
		if (s->wanted >= 0 || want)   /* at start, asleep is no news */
			log_info(want ? "someone is watching: waking the camera" :
				 "nobody watched for %d s: letting the camera sleep", v->o.idle_seconds);
		s->wanted = want;
	}
	pthread_mutex_lock(&v->src_lock);
	if (v->src)
		src_set_wanted(v->src, want);
	pthread_mutex_unlock(&v->src_lock);
}

static void update_rates(struct vstate *s, uint64_t now)
{
	uint64_t dt = now - s->win_start_us;

	if (dt < FPS_WINDOW_US)
		return;
	STATUS_UPDATE(s->v->st,
		cs->fps_in = (double)s->win_in * 1e6 / (double)dt;
		cs->fps_out = (double)s->win_out * 1e6 / (double)dt;);
	s->win_start_us = now;
	s->win_in = s->win_out = 0;
}

static void *video_thread(void *arg)
{
	struct video *v = arg;
	struct vstate s = { .v = v, .wanted = -1 };
	/* The card goes out at the announced rate too: consumers (recorders, browsers) see one
	 * constant frame rate whether the camera is there or not. */
	struct pace_cfg pc = { .fps = v->o.fps, .stale_ms = VIDEO_STALE_MS,
			       .placeholder_ms = v->o.fps > 0 ? 1000u / (unsigned)v->o.fps : 0 };
	struct cam_status snap;
	struct au au;
	size_t isz = (size_t)v->o.width * v->o.height * 3 / 2;
	enum pace_action act;
	char why[256];
	int r;

	pthread_setname_np(pthread_self(), "video");
	pace_init(&s.pace, &pc);
	sink_retry_init(&s.retry);
	s.file_output = v->o.output[0] && sink_kind_of(v->o.output, NULL) == SINK_FILE;
	if (conv_new(CONV_TO_LIMITED, &s.conv) < 0) {
		atomic_store(&v->failed, 1);
		return NULL;
	}
	if (v->o.placeholder_image[0]) {
		s.ph_bg = malloc(isz);
		if (s.ph_bg && img_load(v->o.placeholder_image, v->o.width, v->o.height, s.ph_bg, isz,
					why, sizeof(why)) < 0) {
			log_warn("placeholder image %s not used: %s", v->o.placeholder_image, why);
			free(s.ph_bg);
			s.ph_bg = NULL;
		}
	}
	if (v->o.frame_log[0] && !(s.flog = fopen(v->o.frame_log, "we")))
		log_err("cannot open frame log %s: %m", v->o.frame_log);
	open_sink(&s);
	s.win_start_us = clock_mono_us();

	while (!atomic_load(&v->stop)) {
		uint64_t now = clock_mono_us();
		int live, timeout;

		atomic_fetch_add(&v->beats, 1);
		status_snapshot(v->st, &snap);
		live = snap.state == CAM_STREAMING && s.cam_seq != 0;
		timeout = pace_timeout_ms(&s.pace, now, live);
		if (timeout > VIDEO_MAX_WAIT_MS)
			timeout = VIDEO_MAX_WAIT_MS;
		r = auq_pop(v->q, &au, timeout);
		if (r == 1) {
			if (v->o.au_tap)
				v->o.au_tap(v->o.au_tap_ctx, &au);
			handle_au(&s, &au);
			/* The state may have changed while we waited (the first frame of a session
			 * comes with "streaming"): judge the frame by the state it came in. */
			status_snapshot(v->st, &snap);
			live = snap.state == CAM_STREAMING && s.cam_seq != 0;
		}
		now = clock_mono_us();
		if (!s.sink)
			open_sink(&s);
		act = pace_tick(&s.pace, now, s.cam_seq, live);
		if (s.pace.n_dropped != s.skipped) {
			/* One tick per decoded frame: the one superseded is the previous one.  Logged
			 * before the write that supersedes it, so the log stays in camera order. */
			s.skipped = s.pace.n_dropped;
			STATUS_UPDATE(v->st, cs->frames_skipped = s.skipped;);
			frame_log(&s, s.prev_marker, now, "skipped");
		}
		switch (act) {
		case PACE_NEW:
			write_out(&s, s.cam, "new");
			if (v->o.frames_limit && ++s.cam_frames >= v->o.frames_limit) {
				atomic_store(&v->done, 1);
				goto out;
			}
			break;
		case PACE_REPEAT:
			write_out(&s, s.cam, "repeat");
			break;
		case PACE_PLACEHOLDER:
			write_placeholder(&s, snap.state);
			break;
		case PACE_WAIT:
			break;
		}
		if (atomic_load(&v->failed))
			break;
		update_wanted(&s, now);
		update_rates(&s, now);
	}
out:
	if (s.cam)
		frame_unref(s.cam);
	if (s.ph)
		frame_unref(s.ph);
	if (s.flog)
		fclose(s.flog);
	sink_close(s.sink);
	dec_free(s.dec);
	conv_free(s.conv);
	free(s.ph_bg);
	return NULL;
}

/* Copies every string of `o` into one block owned by the video thread. */
static int own_strings(struct video *v, const struct video_opts *o)
{
	const char *const src[] = { o->name, o->output, o->placeholder_image, o->hwaccel,
				    o->hwdevice, o->frame_log };
	const char **dst[] = { &v->o.name, &v->o.output, &v->o.placeholder_image, &v->o.hwaccel,
			       &v->o.hwdevice, &v->o.frame_log };
	size_t len[sizeof(src) / sizeof(src[0])], total = 0, i;
	char *p;

	for (i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		len[i] = src[i] ? strlen(src[i]) + 1 : 1;
		total += len[i];
	}
	p = v->strs = malloc(total);
	if (!p)
		return -ENOMEM;
	for (i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
		memcpy(p, src[i] ? src[i] : "", len[i]);
		*dst[i] = p;
		p += len[i];
	}
	return 0;
}

int video_start(struct video *v, const struct video_opts *o, struct auq *q, struct hub *hub,
		struct status *st, struct src *src)
{
	int r;

	memset(v, 0, sizeof(*v));
	v->o = *o;
	if (own_strings(v, o) < 0)
		return -ENOMEM;
	v->q = q;
	v->hub = hub;
	v->st = st;
	v->src = src;
	pthread_mutex_init(&v->src_lock, NULL);
	STATUS_UPDATE(st, cs->out_width = o->width; cs->out_height = o->height; cs->out_fps = o->fps;
		snprintf(cs->out_format, sizeof(cs->out_format), "%s", outfmt_name(o->fmt)););
	r = pthread_create(&v->thread, NULL, video_thread, v);
	if (r) {
		pthread_mutex_destroy(&v->src_lock);
		free(v->strs);
		v->strs = NULL;
	}
	return -r;
}

void video_set_source(struct video *v, struct src *src)
{
	pthread_mutex_lock(&v->src_lock);
	v->src = src;
	pthread_mutex_unlock(&v->src_lock);
}

int video_progressed(struct video *v, uint64_t *seen)
{
	uint64_t b = atomic_load(&v->beats);

	if (b == *seen)
		return 0;
	*seen = b;
	return 1;
}

void video_stop(struct video *v)
{
	atomic_store(&v->stop, 1);
	pthread_join(v->thread, NULL);
	pthread_mutex_destroy(&v->src_lock);
	free(v->strs);
	v->strs = NULL;
}
