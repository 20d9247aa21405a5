/* cam-bridge: one camera to one webcam device (+ HTTP).  Threads: session (source), video,
 * http (libmicrohttpd) and this one, which handles signals, sd_notify and the watchdog. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <poll.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "app/avlog.h"
#include "app/camfile.h"
#include "app/snapcmd.h"
#include "app/cfg.h"
#include "app/recapp.h"
#include "app/srcopts.h"
#include "app/video.h"
#include "http/http.h"
#include "event/event.h"
#include "app/notify.h"
#include "hub/camsnap.h"
#include "hub/hub.h"
#include "hub/status.h"
#include "record/tap.h"
#include "source/auq.h"
#include "source/src.h"
#include "util/clock.h"
#include "util/log.h"

#define HUB_POOL        8
#define AUQ_MAX_AUS     64
/* Retention also runs this often, for clips aging past record.max_age_days. */
#define RETAIN_EVERY_US (3600ull * 1000000u)

struct app {
	struct cfg *cfg;
	struct status st;
	struct hub *hub;
	struct auq q;
	struct src *src;
	struct video video;
	struct http_server *http;
	struct ev_bus *events;
	struct recapp rec;
	struct notify notify;      /* events.hook and MQTT: the bus's consumers */
	struct app_camfile camfile;
	struct camsnap *camsnap;
	int video_running;
};

static enum outfmt app_fmt(int f)
{
	return f == CFG_FMT_YUYV ? OUTFMT_YUYV : f == CFG_FMT_NV12 ? OUTFMT_NV12 : OUTFMT_I420;
}

static int start_source(struct app *a)
{
	struct src_opts o;
	int r;

	app_src_opts(a->cfg, &o);
	o.events = a->events;
	o.camsnap = a->camsnap;
	r = src_start(&o, &a->q, &a->st, &a->src);
	explicit_bzero(o.password, sizeof(o.password));
	explicit_bzero(o.url, sizeof(o.url));
	return r;
}

static int start_http(struct app *a)
{
	struct cfg *c = a->cfg;
	char listen[96];
	struct http_opts ho = {
		.user = c->http.user, .password = c->http.password,
		.max_connections = c->http.max_connections, .jpeg_quality = c->http.jpeg_quality,
		.mjpeg_width = c->http.mjpeg_width, .mjpeg_height = c->http.mjpeg_height,
		.timeout_s = c->http.timeout_seconds, .camera_name = c->name, .version = CB_VERSION,
		.events = a->events, .rec = a->rec.rec, .ts = a->rec.ts,
		.hook = a->notify.hook, .mqtt = a->notify.mqtt,
		.record_dir = c->record.dir, .run_dir = a->camfile.list, .camsnap = a->camsnap,
	};
	int r;

	if (!c->http.enabled)
		return 0;
	snprintf(listen, sizeof(listen), strchr(c->http.addr, ':') ? "[%s]:%d" : "%s:%d",
		 c->http.addr, c->http.port);
	ho.listen = listen;
	r = http_server_start(&ho, a->hub, &a->st, &a->http);
	if (r < 0) {
		log_err("cannot serve HTTP on %s: %s", listen, strerror(-r));
		return r;
	}
	log_info("HTTP on http://%s:%d/", c->http.addr, http_server_port(a->http));
	return 0;
}

/* record.max_age_days / max_total_mb over this camera's recordings (the recorder also runs
 * it after each clip, naming the clip it writes). */
static void run_retention(const struct cfg *c)
{
	recapp_retention(c->record.dir, c->name, c->record.max_age_days, c->record.max_total_mb);
}

static void notify_status(struct app *a, int watchdog)
{
	struct cam_status s;
	char bat[32] = "";

	status_snapshot(&a->st, &s);
	app_camfile_update(&a->camfile, a->cfg, a->http ? http_server_port(a->http) : -1,
			   cam_state_name(s.state));
	if (s.battery_percent >= 0)
		snprintf(bat, sizeof(bat), ", battery %d%%", s.battery_percent);
	sd_notifyf(0, "%sSTATUS=%s, camera %dx%d %s, out %dx%d %.1f fps%s, %d HTTP viewers",
		   watchdog ? "WATCHDOG=1\n" : "", cam_state_name(s.state), s.stream_width,
		   s.stream_height, s.codec[0] ? s.codec : "-", s.out_width, s.out_height, s.fps_out,
		   bat, s.http_clients);
}

/* SIGHUP: re-read the configuration; the camera, HTTP and record settings apply at once, the
 * output (device, format, size) only at the next start since consumers break when it
 * changes. */
static void reload(struct app *a)
{
	struct cfg *next = calloc(1, sizeof(*next)), *old;
	struct cfg_err err = { .count = 0 };
	char changed[1024];

	if (!next)
		return;
	if (cfg_reload(a->cfg, next, &err) < 0) {
		log_err("reload: %s (%d error%s); keeping the running configuration", err.msg,
			err.count, err.count == 1 ? "" : "s");
		free(next);
		return;
	}
	if (cfg_changed_keys(a->cfg, next, changed, sizeof(changed)) == 0) {
		log_info("reload: nothing changed");
		free(next);
		return;
	}
	log_info("reload: changed %s", changed);
	if (strstr(changed, "output."))
		log_warn("reload: output settings take effect at the next restart");
	/* Nothing may point into the old config once it is freed below: the video thread and
	 * the HTTP server copied what they keep, and run() re-reads a->cfg. */
	old = a->cfg;
	a->cfg = next;
	video_set_source(&a->video, NULL);
	src_stop(a->src);
	a->src = NULL;
	auq_flush(&a->q);   /* the video thread keeps using the same queue */
	if (start_source(a) == 0)
		video_set_source(&a->video, a->src);
	http_server_stop(a->http);   /* before the recorder it points to may change */
	a->http = NULL;
	recapp_reload(&a->rec, old, a->cfg);
	if (strstr(changed, "events.") || strstr(changed, "mqtt.")) {
		notify_stop(&a->notify);
		notify_start(&a->notify, a->cfg, a->events);
	}
	start_http(a);
	explicit_bzero(old, sizeof(*old));
	free(old);
}

static int run(struct app *a)
{
	struct cfg *c = a->cfg;
	struct video_opts vo = {
		.name = c->name, .output = c->output.device, .fmt = app_fmt(c->output.format),
		.width = c->output.width, .height = c->output.height, .fps = c->output.fps,
		.placeholder_image = c->output.placeholder_image, .hwaccel = c->decode.hwaccel,
		.hwdevice = c->decode.device, .frames_limit = c->frames, .frame_log = c->frame_log,
		.on_demand = c->wake.mode == CFG_WAKE_ON_DEMAND || c->wake.mode == CFG_WAKE_EVENTS,
		.idle_seconds = c->wake.idle_seconds,
	};
	uint64_t wd_usec = 0, next_tick = 0, beats_seen = 0, next_retain = 0;
	int ready_sent = 0, rc = 0, sfd, r;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGPIPE);
	sigaddset(&mask, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);   /* before any thread starts: they inherit it */
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		log_err("signalfd: %m");
		return 1;
	}

	status_init(&a->st, c->name);
	app_camfile_init(&a->camfile, c);
	a->hub = hub_new(c->output.width, c->output.height, HUB_POOL);
	if (!a->hub || ev_bus_new(&a->events, c->name, 0) < 0 || camsnap_new(&a->camsnap) < 0 ||
	    auq_init(&a->q, (size_t)c->limits.max_frame_bytes * 2, AUQ_MAX_AUS) < 0) {
		log_err("out of memory");
		return 1;
	}
	notify_start(&a->notify, c, a->events);   /* logs its own failures: video goes on */
	if (recapp_start(&a->rec, c, a->hub, a->events, &a->st) < 0)
		return 1;
	vo.au_tap = tap_feed;
	vo.au_tap_ctx = a->rec.tap;
	if ((r = start_source(a)) < 0) {
		log_err("cannot start the camera session: %s", strerror(-r));
		return 1;
	}
	if ((r = video_start(&a->video, &vo, &a->q, a->hub, &a->st, a->src)) < 0) {
		log_err("cannot start the video thread: %s", strerror(-r));
		return 1;
	}
	a->video_running = 1;
	if (start_http(a) < 0) {
		rc = 1;
		goto out;
	}
	if (sd_watchdog_enabled(0, &wd_usec) <= 0)
		wd_usec = 0;

	for (;;) {
		struct pollfd p = { .fd = sfd, .events = POLLIN };
		struct signalfd_siginfo si;
		uint64_t now;

		poll(&p, 1, 100);
		if (p.revents & POLLIN && read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				sd_notify(0, "RELOADING=1");
				reload(a);
				sd_notify(0, "READY=1");
			} else if (si.ssi_signo == SIGUSR1) {
				recapp_signal(&a->rec);
			} else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
				log_info("stopping");
				break;
			}
		}
		if (atomic_load(&a->video.done)) {
			log_info("wrote %" PRIu64 " frames, exiting", a->cfg->frames);
			break;
		}
		if (atomic_load(&a->video.failed)) {
			log_err("the video output failed, exiting");
			rc = 1;
			break;
		}
		if (!ready_sent && atomic_load(&a->video.ready)) {
			sd_notify(0, "READY=1");
			ready_sent = 1;
		}
		now = clock_mono_us();
		if (now >= next_retain) {    /* at start, then hourly */
			run_retention(a->cfg);
			next_retain = now + RETAIN_EVERY_US;
		}
		if (now >= next_tick) {
			/* The watchdog is fed from here only while the video thread makes progress. */
			notify_status(a, wd_usec != 0 && !atomic_load(&a->video.failed) &&
				      video_progressed(&a->video, &beats_seen));
			next_tick = now + (wd_usec ? wd_usec / 2 : 1000000);
			if (next_tick > now + 1000000)
				next_tick = now + 1000000;
		}
	}
out:
	sd_notify(0, "STOPPING=1");
	/* Both threads wind down at once: the camera (stop video, logout, disconnect) and the
	 * video output; SIGTERM must be done within a second. */
	atomic_store(&a->video.stop, 1);
	video_set_source(&a->video, NULL);
	src_stop(a->src);
	if (a->video_running)
		video_stop(&a->video);
	app_camfile_remove(&a->camfile);
	http_server_stop(a->http);
	recapp_stop(&a->rec);
	notify_stop(&a->notify);
	hub_close(a->hub);
	hub_free(a->hub);
	auq_destroy(&a->q);
	status_destroy(&a->st);
	ev_bus_free(a->events);
	camsnap_free(a->camsnap);
	close(sfd);
	return rc;
}

int main(int argc, char **argv)
{
	struct app a = { .cfg = calloc(1, sizeof(struct cfg)) };
	struct cfg_err err = { .count = 0 };
	int r, rc;

	if (!a.cfg)
		return 1;
	if (argc > 1 && !strcmp(argv[1], "snapshot")) {
		free(a.cfg);
		return app_snapshot_main(argc - 1, argv + 1);
	}
	r = cfg_from_args(argc, argv, a.cfg, &err);
	switch (r) {
	case CFG_HELP:
		cfg_usage(stdout, "cam-bridge", NULL);
		rc = 0;
		goto out;
	case CFG_VERSION:
		printf("cam-bridge %s\n", CB_VERSION);
		rc = 0;
		goto out;
	case CFG_CHECK:
		rc = cfg_check_args(argc, argv, stdout);
		goto out;
	case CFG_RUN:
		break;
	default:
		fprintf(stderr, "cam-bridge: %s", err.msg);
		if (err.count > 1)
			fprintf(stderr, " (and %d more; run with --check-config to see all)", err.count - 1);
		fprintf(stderr, "\n");
		rc = 1;
		goto out;
	}
	log_set_level(a.cfg->log.level);
	log_set_tag(a.cfg->name);
	app_avlog_init();
	for (int i = 0; i < a.cfg->n_warnings; i++)
		log_warn("%s", a.cfg->warnings[i]);
	rc = run(&a);
out:	/* every exit frees the config: ASan runs of --check-config stay clean */
	explicit_bzero(a.cfg, sizeof(*a.cfg));
	free(a.cfg);
	return rc;
}
