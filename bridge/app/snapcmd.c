/* `cam-bridge snapshot`: one still for cron jobs and scripts.  Opens the camera session (waking
 * a battery camera), writes the first decoded I-frame (scaled to --size) or, with
 * --camera-jpeg, the camera's own JPEG (msg 109), logs out and exits: 0 when the file is
 * written, 1 with a message naming what failed. */
#include "app/snapcmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/buffer.h>

#include "app/avlog.h"
#include "app/cfg.h"
#include "app/srcopts.h"
#include "http/jpegcache.h"
#include "hub/camsnap.h"
#include "hub/hub.h"
#include "hub/status.h"
#include "media/conv.h"
#include "media/dec.h"
#include "source/auq.h"
#include "source/src.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/wfile.h"

#define SNAP_MAX_ARGS     256
#define SNAP_SLICE_MS     200
#define SNAP_AUQ_AUS      64
#define SNAP_JPEG_QUALITY 90

struct snapcmd {
	const char *out;
	int camera_jpeg;
	int timeout_s;
	int sized;                /* --size given: scale the decoded picture to it */
	struct cfg *cfg;
	struct status st;
	struct auq q;
	struct src *src;
	struct camsnap *camsnap;
	uint64_t deadline;
};

void app_snapshot_usage(FILE *f)
{
	fprintf(f,
		"Usage: cam-bridge snapshot (-c FILE | --source URL) -o OUT.jpg [--size WxH]\n"
		"                           [--camera-jpeg] [--timeout SECONDS] [--KEY=VALUE ...]\n"
		"Wakes the camera, writes one JPEG still and exits (0 = written).\n"
		"  -o FILE            where the JPEG goes (written beside it, then renamed)\n"
		"  --size WxH         scale the decoded picture (default: the camera's size)\n"
		"  --camera-jpeg      the camera's own full-resolution JPEG (Baichuan sources)\n"
		"  --timeout SECONDS  give up after this long (default 30, 1..600)\n"
		"Every camera setting of the configuration (-c, --source, --camera.*, ...) applies.\n");
}

/* Takes our options out of argv; the rest (and a dummy output) goes to the configuration.
 * 0, 1 (--help), or -EINVAL with a message printed. */
static int parse(struct snapcmd *c, int argc, char **argv, char **rest, int *nrest)
{
	int n = 0;

	c->timeout_s = 30;
	rest[n++] = "cam-bridge snapshot";
	/* Nothing is written to the output device; it is only a required setting. */
	rest[n++] = "--output=/dev/null";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (n >= SNAP_MAX_ARGS - 2) {
			fprintf(stderr, "cam-bridge snapshot: more than %d arguments\n", SNAP_MAX_ARGS);
			return -EINVAL;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return 1;
		if (!strcmp(a, "--camera-jpeg")) {
			c->camera_jpeg = 1;
			continue;
		}
		if (!strcmp(a, "-o") || !strcmp(a, "--timeout")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "cam-bridge snapshot: %s needs a value\n", a);
				return -EINVAL;
			}
			v = argv[++i];
		} else if (!strncmp(a, "-o", 2) && strncmp(a, "--", 2)) {
			v = a + 2;
			a = "-o";
		} else if (!strncmp(a, "--timeout=", 10)) {
			v = a + 10;
			a = "--timeout";
		}
		if (v && !strcmp(a, "-o")) {
			c->out = v;
			continue;
		}
		if (v) {
			char *end;
			long t = strtol(v, &end, 10);
			if (!*v || *end || t < 1 || t > 600) {
				fprintf(stderr, "cam-bridge snapshot: --timeout: '%.20s' is not 1..600 "
					"seconds\n", v);
				return -EINVAL;
			}
			c->timeout_s = (int)t;
			continue;
		}
		if (!strcmp(a, "--size") || !strncmp(a, "--size=", 7))
			c->sized = 1;
		rest[n++] = argv[i];
	}
	if (!c->out || !*c->out) {
		fprintf(stderr, "cam-bridge snapshot: -o OUT.jpg is required\n");
		return -EINVAL;
	}
	if (c->camera_jpeg && c->sized) {
		fprintf(stderr, "cam-bridge snapshot: --size does not apply to --camera-jpeg (the "
			"camera's JPEG is sent as the camera made it)\n");
		return -EINVAL;
	}
	rest[n] = NULL;
	*nrest = n;
	return 0;
}

static int remaining_ms(const struct snapcmd *c)
{
	uint64_t now = clock_mono_us();

	return now >= c->deadline ? 0 : (int)((c->deadline - now) / 1000);
}

/* Why the camera gave nothing, for the timeout message. */
static const char *camera_state(struct snapcmd *c)
{
	struct cam_status cs;

	status_snapshot(&c->st, &cs);
	return cam_state_name(cs.state);
}

static int auth_failed(struct snapcmd *c)
{
	struct cam_status cs;

	status_snapshot(&c->st, &cs);
	return cs.state == CAM_AUTH_FAILED;
}

static int camera_jpeg(struct snapcmd *c, uint8_t **jpeg, size_t *len)
{
	struct cam_status cs;
	int r;

	/* Asked once the session streams: an ask given up on loses the transfer in progress. */
	for (;;) {
		status_snapshot(&c->st, &cs);
		if (cs.state == CAM_STREAMING)
			break;
		if (cs.state == CAM_AUTH_FAILED)
			return -EACCES;
		if (!remaining_ms(c))
			return -ETIMEDOUT;
		usleep(SNAP_SLICE_MS * 1000);
	}
	r = camsnap_get(c->camsnap, (unsigned)remaining_ms(c), jpeg, len);
	return r == -EBUSY ? -ETIMEDOUT : r;
}

/* The first I-frame the camera sends, decoded, scaled and JPEG-encoded into e->out. */
static int decoded_jpeg(struct snapcmd *c, struct jpeg_enc *e, size_t *len)
{
	struct dec_opts dopts = { .hwaccel = c->cfg->decode.hwaccel,
				  .hwdevice = c->cfg->decode.device[0] ? c->cfg->decode.device : NULL };
	struct frame f = { .width = 0 };
	struct dec *d = NULL;
	struct conv *cv = NULL;
	int r;

	if ((r = dec_new(&dopts, &d)) < 0 || (r = conv_new(CONV_TO_LIMITED, &cv)) < 0)
		goto out;
	r = -ETIMEDOUT;
	while (remaining_ms(c) > 0) {
		struct dec_out o;
		struct au au;
		int p;

		if (auth_failed(c)) {
			r = -EACCES;
			break;
		}
		if ((p = auq_pop(&c->q, &au, SNAP_SLICE_MS)) <= 0 || !au_is_video(au.codec))
			continue;
		if ((p = dec_set_codec(d, (enum dec_codec)au.codec)) < 0) {
			r = p;
			break;
		}
		p = dec_decode_buf(d, au.buf, au.data, au.len, au.keyframe, &o);
		if (p <= 0 || !o.frame)
			continue;
		int w = c->sized ? c->cfg->output.width : o.frame->width & ~1;
		int h = c->sized ? c->cfg->output.height : o.frame->height & ~1;
		f.width = w;
		f.height = h;
		f.size = (size_t)w * h * 3 / 2;
		if (!(f.data = malloc(f.size))) {
			r = -ENOMEM;
			break;
		}
		if ((r = conv_frame(cv, o.frame, &f)) == 0)
			r = jpeg_enc_frame(e, &f, 0, 0, len);
		break;
	}
out:
	free(f.data);
	conv_free(cv);
	dec_free(d);
	return r;
}

static int run(struct snapcmd *c)
{
	struct src_opts o;
	struct jpeg_enc e;
	uint8_t *jpeg = NULL;
	size_t len = 0;
	int r;

	memset(&e, 0, sizeof(e));
	status_init(&c->st, c->cfg->name);
	if (auq_init(&c->q, (size_t)c->cfg->limits.max_frame_bytes * 2, SNAP_AUQ_AUS) < 0 ||
	    jpeg_enc_init(&e, SNAP_JPEG_QUALITY) < 0 ||
	    (c->camera_jpeg && camsnap_new(&c->camsnap) < 0)) {
		log_err("snapshot: out of memory");
		r = -ENOMEM;
		goto out;
	}
	app_src_opts(c->cfg, &o);
	if (c->camera_jpeg && o.kind == SRC_URL) {
		log_err("snapshot: --camera-jpeg needs a Baichuan camera (bc-udp://, bc-tcp://, "
			"bc-p2p://); this source is a URL");
		r = -EINVAL;
		goto out;
	}
	o.wake_on_demand = 0;    /* the still is the viewer: video at once, whatever wake.mode */
	o.wake_events = 0;
	o.camsnap = c->camsnap;
	c->deadline = clock_mono_us() + (uint64_t)c->timeout_s * 1000000u;
	r = src_start(&o, &c->q, &c->st, &c->src);
	explicit_bzero(o.password, sizeof(o.password));
	explicit_bzero(o.url, sizeof(o.url));
	if (r < 0) {
		log_err("snapshot: cannot start the camera session: %s", strerror(-r));
		goto out;
	}
	if (c->camera_jpeg) {
		r = camera_jpeg(c, &jpeg, &len);
	} else {
		r = decoded_jpeg(c, &e, &len);
		jpeg = e.out;
	}
	if (r == -ETIMEDOUT)
		log_err("snapshot: no %s within %d s (camera %s)", c->camera_jpeg ?
			"JPEG from the camera" : "picture", c->timeout_s, camera_state(c));
	else if (r == -EACCES)
		log_err("snapshot: the camera rejected the user name or password");
	else if (r == -EIO && c->camera_jpeg)
		log_err("snapshot: the camera did not give its JPEG (see the log above)");
	else if (r < 0)
		log_err("snapshot: %s", strerror(-r));
	else if ((r = wfile_atomic(c->out, jpeg, len, 0644)) < 0)
		log_err("snapshot: cannot write %s: %s", c->out, strerror(-r));
	else
		log_info("snapshot: wrote %s (%zu bytes%s)", c->out, len,
			 c->camera_jpeg ? ", the camera's JPEG" : "");
out:
	src_stop(c->src);     /* stop video, log out, disconnect */
	if (c->camera_jpeg)
		free(jpeg);
	jpeg_enc_fini(&e);
	camsnap_free(c->camsnap);
	auq_destroy(&c->q);
	status_destroy(&c->st);
	return r < 0 ? 1 : 0;
}

int app_snapshot_main(int argc, char **argv)
{
	struct snapcmd c = { .cfg = calloc(1, sizeof(struct cfg)) };
	struct cfg_err err = { .count = 0 };
	char *rest[SNAP_MAX_ARGS];
	int n = 0, r, rc = 1;

	if (!c.cfg)
		return 1;
	r = parse(&c, argc, argv, rest, &n);
	if (r) {
		app_snapshot_usage(r > 0 ? stdout : stderr);
		rc = r > 0 ? 0 : 2;
		goto out;
	}
	r = cfg_from_args(n, rest, c.cfg, &err);
	if (r != CFG_RUN) {
		if (r < 0)
			fprintf(stderr, "cam-bridge snapshot: %s\n", err.msg);
		else
			app_snapshot_usage(stderr);
		rc = 2;
		goto out;
	}
	log_set_level(c.cfg->log.level);
	log_set_tag(c.cfg->name);
	app_avlog_init();
	rc = run(&c);
out:
	explicit_bzero(c.cfg, sizeof(*c.cfg));
	free(c.cfg);
	return rc;
}
