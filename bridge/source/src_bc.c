/* Baichuan sources: find the camera (TCP address, UDP local discovery, or P2P by UID), log
 * in, start the stream, and hand its frames to the video thread until told to stop. */
#include "source/src_impl.h"
#include "source/bcsess.h"
#include "source/src_alarm.h"
#include "hub/camsnap.h"
#include "net/disc_client.h"
#include "net/udpsock.h"
#include "util/clock.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bc/bcmedia.h"

#define CLOSE_MS 700   /* stop video + logout + disconnect: SIGTERM must finish within 1 s */
#define RUN_SLICE_MS 50 /* how soon a stop request is seen while streaming (part of that 1 s) */

struct bc_src {
	struct src *s;
	uint64_t bytes_win, win_start;
	struct src_alarm alarm;
	int64_t stream_time;         /* the newest frame's camera clock (µs), -1 before one */
};

/* The camera's AAC goes beside its video, as it came (ADTS), for the recordings and
 * /stream.ts; the decoder skips it.  ADPCM (talk-back) is not passed on. */
static void on_aac(struct bc_src *b, const struct bcmedia_pkt *p)
{
	struct au au = { .data = p->data, .len = p->data_len, .codec = AU_AAC,
			 .recv_us = clock_mono_us() };

	if (!au.len)
		return;
	STATUS_UPDATE(b->s->st, cs->audio_frames_in++;);
	(void)auq_push(b->s->q, &au);
}

static void on_frame(void *opaque, const struct bcmedia_pkt *p)
{
	struct bc_src *b = opaque;
	struct src *s = b->s;
	struct au au;

	if (p->kind == BCMEDIA_AAC) {
		on_aac(b, p);
		return;
	}
	if (p->kind != BCMEDIA_IFRAME && p->kind != BCMEDIA_PFRAME)
		return;
	au.data = p->data;
	au.len = p->data_len;
	au.codec = p->frame.codec == BCMEDIA_H265 ? AU_H265 : AU_H264;
	au.keyframe = p->kind == BCMEDIA_IFRAME;
	au.gap = 0;
	au.recv_us = clock_mono_us();
	b->stream_time = p->frame.microseconds;
	/* Streaming before the frame is queued: the video thread must not see a frame of a
	 * camera that is still "connecting" (it would drop it as stale). */
	STATUS_UPDATE(s->st, cs->frames_in++; cs->bytes_in += p->data_len;
		snprintf(cs->codec, sizeof(cs->codec), "%s", au.codec == AU_H265 ? "h265" : "h264");
		if (cs->state != CAM_STREAMING) cs->state = CAM_STREAMING;);
	if (au.len)
		(void)auq_push(s->q, &au);   /* too big: dropped and marked as a gap */
	b->bytes_win += p->data_len;
	if (au.recv_us - b->win_start >= 2000000) {
		double bps = (double)b->bytes_win * 8e6 / (double)(au.recv_us - b->win_start);
		STATUS_UPDATE(s->st, cs->bitrate_bps = bps;);
		b->bytes_win = 0;
		b->win_start = au.recv_us;
	}
}

static void on_battery(void *opaque, int percent, const char *charge)
{
	struct bc_src *b = opaque;

	STATUS_UPDATE(b->s->st, cs->battery_percent = percent;
		snprintf(cs->charge_status, sizeof(cs->charge_status), "%s", charge););
	src_battery_event(b->s, percent, !strcmp(charge, "charging"));
}

static void publish_alarms(struct bc_src *b, struct ev *ev, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ev[i].type == EV_MOTION && ev[i].state == EV_STATE_START)
			STATUS_UPDATE(b->s->st, cs->motion_events++;);
		ev_publish(b->s->o.events, &ev[i]);
	}
}

static void on_alarm(void *opaque, const struct bc_alarm_list *l)
{
	struct bc_src *b = opaque;
	struct ev ev[SRC_ALARM_NTYPES];

	publish_alarms(b, ev, src_alarm_update(&b->alarm, l, b->stream_time, ev));
}

/* Every blocking step (discovery, P2P, connect, each reply) gives up within ~50 ms of a
 * stop request or of the last viewer leaving (wake on demand). */
static int keep_going(void *ctx)
{
	return src_should_run(ctx);
}

static void version_to_status(struct src *s, struct bcsess *ss, int *done)
{
	if (*done || !ss->have_version)
		return;
	*done = 1;
	STATUS_UPDATE(s->st,
		snprintf(cs->model, sizeof(cs->model), "%s", ss->version.type[0] ? ss->version.type : ss->version.name);
		snprintf(cs->firmware, sizeof(cs->firmware), "%s", ss->version.firmware_version););
}

/* The camera's JPEG for the HTTP sidecar: one ask at a time, answered while the session is
 * open (with or without video). */
static void snapshot_step(struct src *s, struct bcsess *ss)
{
	struct camsnap *c = s->o.camsnap;

	if (!c)
		return;
	switch (bcsess_snap_poll(ss)) {
	case BCSESS_SNAP_IDLE:
		if (camsnap_take(c) && bcsess_snap_start(ss) < 0)
			camsnap_deliver(c, -EIO, NULL, 0);
		return;
	case BCSESS_SNAP_DONE:
		log_debug("camera snapshot: %zu bytes", ss->snap.len);
		camsnap_deliver(c, 0, ss->snap.data, ss->snap.len);
		break;
	case BCSESS_SNAP_FAILED:
		log_warn("camera snapshot: %s", ss->snap_err);
		camsnap_deliver(c, -EIO, NULL, 0);
		break;
	default:
		return;
	}
	bcsess_snap_reset(ss);
}

/* Video while it is wanted: always, or (wake.mode = events) while someone watches; the
 * session itself stays open for the camera's alarm reports. */
static int follow_wanted(struct bc_src *b, struct bcsess *ss)
{
	struct src *s = b->s;
	int want = !s->o.wake_events || atomic_load(&s->wanted);
	int r;

	if (want == ss->video_on)
		return 0;
	if (!want) {
		log_info("nobody watches: video stopped, listening for alarms");
		status_set_state(s->st, CAM_SLEEPING);
		b->stream_time = -1;   /* alarms from now on are at no frame */
		return bcsess_stop_video(ss);
	}
	if ((r = bcsess_start_video(ss, s->o.substream)) < 0)
		return r;
	STATUS_UPDATE(s->st, cs->stream_width = ss->info_width; cs->stream_height = ss->info_height;);
	auq_mark_gap(s->q);
	return 0;
}

/* Local discovery: unicast to a known address, or broadcast on 2018 + 2015. */
static int find_udp(struct src *s, struct bcsess *ss)
{
	struct disc_client_cfg dc;
	struct disc_result res;
	uint16_t ports[SRC_MAX_DISC_PORTS];
	int fd, r, i;

	disc_client_cfg_defaults(&dc);
	snprintf(dc.uid, sizeof(dc.uid), "%s", s->o.uid);
	if ((r = disc_client_cfg_randomize(&dc)) < 0)
		return r;
	for (i = 0; i < s->o.n_disc_ports; i++)
		ports[i] = (uint16_t)s->o.disc_ports[i];
	fd = sock_udp_open_range(NULL, 53500, 53999, SOCK_F_BROADCAST | SOCK_F_NONBLOCK, NULL,
				 (uint32_t)clock_mono_us());
	if (fd < 0)
		return fd;
	dc.cli_port = (uint16_t)sock_local_port(fd);
	dc.timeout_us = (uint32_t)s->o.connect_timeout_ms * 1000u;
	dc.cancel.keep_going = keep_going;
	dc.cancel.ctx = s;
	if (s->o.host[0]) {
		struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *ai;
		char ip[INET_ADDRSTRLEN];
		if (getaddrinfo(s->o.host, NULL, &hints, &ai) != 0) {
			close(fd);
			return -EHOSTUNREACH;
		}
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, ip, sizeof(ip));
		freeaddrinfo(ai);
		for (i = 0; i < s->o.n_disc_ports; i++)
			disc_client_add_dest(&dc, ip, ports[i]);
	} else if ((r = disc_client_add_broadcasts(&dc, s->o.iface[0] ? s->o.iface : NULL, ports,
						   s->o.n_disc_ports)) <= 0) {
		close(fd);
		return r < 0 ? r : -ENETUNREACH;
	}
	r = disc_local(fd, &dc, &res);
	if (r < 0) {
		close(fd);
		return r;
	}
	/* Unicast from here on: the camera's session socket is the reply's source. */
	sock_set_broadcast(fd, 0);
	return bcsess_attach_udp(ss, fd, &res.camera, res.cid, res.did, res.tid, 0);
}

int src_bc_run(struct src *s)
{
	struct bc_src b = { .s = s, .win_start = clock_mono_us(), .stream_time = -1 };
	struct ev ev[SRC_ALARM_NTYPES];
	struct bcsess ss;
	uint64_t lost, retrans, t0;
	int r, version_done = 0, found = 0;

	bcsess_init(&ss, s->o.max_message_bytes, s->o.max_frame_bytes, s->o.read_timeout_ms);
	ss.cb.frame = on_frame;
	ss.cb.battery = on_battery;
	ss.cb.alarm = on_alarm;
	ss.cb.opaque = &b;
	ss.keep_going = keep_going;
	ss.keep_going_ctx = s;
	t0 = clock_mono_us();
	switch (s->o.kind) {
	case SRC_BC_TCP:
		r = bcsess_connect_tcp(&ss, s->o.host, s->o.port ? s->o.port : 9000, s->o.connect_timeout_ms);
		break;
	case SRC_BC_UDP:
		r = find_udp(s, &ss);
		if (r == -ETIMEDOUT)
			snprintf(ss.err, sizeof(ss.err), "no answer to discovery for UID %s (asleep or away?)", s->o.uid);
		break;
	case SRC_BC_P2P:
		r = src_p2p_find(s, &ss);
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0)
		goto out;
	found = 1;
	log_debug("camera found after %llu ms", (unsigned long long)((clock_mono_us() - t0) / 1000));
	if ((r = bcsess_login(&ss, s->o.user, s->o.password, (unsigned)s->o.max_encryption)) < 0)
		goto out;
	log_info("logged in to %s (encryption %s)", ss.devinfo.type_info[0] ? ss.devinfo.type_info : "camera",
		 bc_enc_name(ss.enc));
	/* Version and video are asked for together: a camera that never answers msg 80 does
	 * not delay the picture. */
	(void)bcsess_query_version(&ss);
	(void)bcsess_request_alarms(&ss);
	src_link_event(s, EV_ONLINE);
	if (s->o.wake_events)
		status_set_state(s->st, CAM_SLEEPING);   /* no video until someone watches */
	STATUS_UPDATE(s->st, snprintf(cs->uid, sizeof(cs->uid), "%.39s", s->o.uid););
	while (src_should_run(s)) {
		if ((r = follow_wanted(&b, &ss)) < 0)
			break;
		version_to_status(s, &ss, &version_done);
		snapshot_step(s, &ss);
		if ((r = bcsess_run(&ss, RUN_SLICE_MS)) < 0)
			break;
		bcsess_stats(&ss, &lost, &retrans);
		STATUS_UPDATE(s->st, cs->packets_lost = lost; cs->packets_retransmitted = retrans;);
	}
out:
	/* no session, no reports: what was active ends here rather than never */
	publish_alarms(&b, ev, src_alarm_end_all(&b.alarm, b.stream_time, ev));
	if (r == -ECANCELED || !src_should_run(s))
		r = 0;   /* asked to stop (or nobody watches any more) while a step was waiting */
	version_to_status(s, &ss, &version_done);
	if (ss.snap_state != BCSESS_SNAP_IDLE && s->o.camsnap)
		camsnap_deliver(s->o.camsnap, -ECONNRESET, NULL, 0);
	if (r == -EACCES || r == -ENOTSUP)
		log_err("%s", ss.err);
	else if (r < 0 && found)   /* what went wrong with a camera that was there */
		log_warn("camera session: %s", ss.err);
	else if (r < 0)
		log_debug("camera session: %s", ss.err);
	/* A camera that is gone will not acknowledge a logout: do not wait for it. */
	bcsess_close(&ss, s->o.user, s->o.password,
		     r == -ETIMEDOUT || r == -ECONNRESET ? 0 : CLOSE_MS);
	bcsess_free(&ss);
	return r;
}
