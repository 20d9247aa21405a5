#include "source/bcsess.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bc/bc_event.h"
#include "bc/bc_info.h"
#include "bc/bc_login.h"
#include "bc/bc_preview.h"
#include "bc/bc_snap.h"
#include "net/udpsock.h"
#include "util/clock.h"

#define RX_CHUNK 65536

void bcsess_init(struct bcsess *s, size_t max_msg, size_t max_frame, unsigned read_timeout_ms)
{
	memset(s, 0, sizeof(*s));
	s->tcp_fd = s->udp_fd = -1;
	bc_reader_init(&s->rd, max_msg);
	bc_crypto_init(&s->tx_crypto);
	sbuf_init(&s->out, max_msg ? max_msg : BC_MAX_MSG_DEFAULT);
	bcmedia_parser_init(&s->media, max_frame);
	s->max_frame = max_frame;
	sbuf_init(&s->snap, BC_SNAP_MAX);
	s->snap_chunk_num = -1;
	s->read_timeout_us = (uint64_t)(read_timeout_ms ? read_timeout_ms : 10000) * 1000;
}

void bcsess_free(struct bcsess *s)
{
	if (s->tcp_fd >= 0)
		close(s->tcp_fd);
	if (s->udp_fd >= 0)
		close(s->udp_fd);
	bcconn_free(s->conn);
	bc_reader_free(&s->rd);
	sbuf_free(&s->out);
	bcmedia_parser_free(&s->media);
	sbuf_free(&s->snap);
	memset(&s->tx_crypto, 0, sizeof(s->tx_crypto));   /* the AES key */
	s->tcp_fd = s->udp_fd = -1;
	s->conn = NULL;
}

static int fail(struct bcsess *s, int r, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s: %s", what, strerror(-r));
	return r;
}

static int keep_going(struct bcsess *s)
{
	return !s->keep_going || s->keep_going(s->keep_going_ctx);
}

/* poll() until `until` in slices that look at keep_going: 1 ready, 0 timed out, -ECANCELED,
 * -errno. */
static int wait_fd(struct bcsess *s, struct pollfd *pf, uint64_t until)
{
	for (;;) {
		uint64_t now = clock_mono_us();
		int ms, r;

		if (!keep_going(s))
			return -ECANCELED;
		ms = until > now ? (int)((until - now + 999) / 1000) : 0;
		if (s->keep_going && ms > BCSESS_SLICE_MS)
			ms = BCSESS_SLICE_MS;
		r = poll(pf, 1, ms);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0)
			return 1;
		if (clock_mono_us() >= until)
			return 0;
	}
}

int bcsess_connect_tcp(struct bcsess *s, const char *host, int port, unsigned timeout_ms)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai, *p;
	char ports[12];
	int fd = -1, r = -EHOSTUNREACH;

	snprintf(ports, sizeof(ports), "%d", port > 0 ? port : 9000);
	if ((r = getaddrinfo(host, ports, &hints, &ai)) != 0)
		return fail(s, -EHOSTUNREACH, "resolving the camera address");
	r = -EHOSTUNREACH;
	for (p = ai; p; p = p->ai_next) {
		struct pollfd pf;
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		fd = socket(p->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, p->ai_addr, p->ai_addrlen) < 0 && errno != EINPROGRESS) {
			r = -errno;
			close(fd);
			fd = -1;
			continue;
		}
		pf.fd = fd;
		pf.events = POLLOUT;
		if ((r = wait_fd(s, &pf, clock_mono_us() + (uint64_t)timeout_ms * 1000)) <= 0) {
			r = r < 0 ? r : -ETIMEDOUT;
			if (r == -ECANCELED) {
				close(fd);
				fd = -1;
				break;
			}
		} else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) {
			r = 0;
			break;
		} else {
			r = -soerr;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (r < 0)
		return fail(s, r, "connecting to the camera");
	s->tcp_fd = fd;
	s->last_rx_us = s->last_progress_us = clock_mono_us();
	return 0;
}

int bcsess_attach_udp(struct bcsess *s, int fd, const struct sockaddr_in *peer, int32_t cid,
		      int32_t did, uint32_t tid, unsigned mtu)
{
	struct bcconn_cfg cfg;
	int r;

	bcconn_cfg_defaults(&cfg, BCCONN_CLIENT, cid, did);
	cfg.tid = tid;
	if (mtu)
		cfg.mtu = mtu;
	r = bcconn_new(&cfg, clock_mono_us(), &s->conn);
	if (r < 0) {
		close(fd);
		return fail(s, r, "starting the UDP session");
	}
	s->udp_fd = fd;
	s->peer = *peer;
	/* ICMP port-unreachable from the camera = its session is gone (e.g. it restarted) */
	(void)sock_set_recverr(fd);
	s->last_rx_us = s->last_progress_us = clock_mono_us();
	return 0;
}

/* ---- transport ---------------------------------------------------------------------- */

static int flush_udp(struct bcsess *s)
{
	uint8_t dg[BCCONN_DGRAM_MAX];
	uint64_t now = clock_mono_us();
	int n;

	while ((n = bcconn_poll(s->conn, now, dg, sizeof(dg))) > 0) {
		ssize_t w = sock_sendto(s->udp_fd, dg, (size_t)n, &s->peer);
		if (w < 0 && w != -EAGAIN && w != -ENOBUFS)
			return fail(s, (int)w, "sending to the camera");
	}
	return n < 0 ? fail(s, n, "UDP session") : 0;
}

static int tcp_send_all(struct bcsess *s, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = send(s->tcp_fd, p, len, MSG_NOSIGNAL);
		if (w < 0) {
			struct pollfd pf = { .fd = s->tcp_fd, .events = POLLOUT };
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return fail(s, -errno, "sending to the camera");
			if (poll(&pf, 1, 2000) != 1)
				return fail(s, -ETIMEDOUT, "sending to the camera");
			continue;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int send_msg(struct bcsess *s, const struct bc_msg *m)
{
	int r;

	sbuf_reset(&s->out);
	r = bc_msg_encode(m, &s->tx_crypto, &s->out);
	if (r < 0)
		return fail(s, r, "encoding a message");
	if (s->tcp_fd >= 0)
		return tcp_send_all(s, s->out.data, s->out.len);
	r = bcconn_write_msg(s->conn, s->out.data, s->out.len);
	if (r < 0)
		return fail(s, r, "queueing a message");
	return flush_udp(s);
}

/* Reads whatever the transport has; feeds the BC reader.  Returns 0, or -errno when dead. */
/* The transport's in-order bytes into the BC reader. */
static int feed_conn(struct bcsess *s)
{
	uint8_t buf[RX_CHUNK];
	size_t n;
	int r;

	while ((n = bcconn_read(s->conn, buf, sizeof(buf))) > 0)
		if ((r = bc_reader_feed(&s->rd, buf, n)) < 0)
			return fail(s, r, "camera stream");
	return 0;
}

static int pump(struct bcsess *s, uint64_t until_us)
{
	uint8_t buf[RX_CHUNK];
	uint64_t now = clock_mono_us(), dl = until_us;
	struct pollfd pf;
	int r;

	if (s->conn) {
		uint64_t d = bcconn_next_deadline(s->conn, now);
		if (d < dl)
			dl = d;
	}
	pf.fd = s->tcp_fd >= 0 ? s->tcp_fd : s->udp_fd;
	pf.events = POLLIN;
	if (!keep_going(s))
		return fail(s, -ECANCELED, "stopped");
	if (s->keep_going && dl > now + BCSESS_SLICE_MS * 1000u)
		dl = now + BCSESS_SLICE_MS * 1000u;
	r = poll(&pf, 1, dl > now ? (int)((dl - now + 999) / 1000) : 0);
	now = clock_mono_us();
	if (r > 0 && s->udp_fd >= 0 && (pf.revents & POLLERR) &&
	    sock_port_unreachable(s->udp_fd, &s->peer))
		return fail(s, -ECONNRESET, "the camera's session port is closed (camera restarted?)");
	if (r > 0 && s->tcp_fd >= 0) {
		ssize_t n = recv(s->tcp_fd, buf, sizeof(buf), 0);
		if (n == 0)
			return fail(s, -ECONNRESET, "camera closed the connection");
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return fail(s, -errno, "reading from the camera");
		if (n > 0) {
			s->last_rx_us = now;
			if ((r = bc_reader_feed(&s->rd, buf, (size_t)n)) < 0)
				return fail(s, r, "camera stream");
		}
	} else if (r > 0) {
		struct sockaddr_in from;
		ssize_t n;
		while ((n = sock_recvfrom(s->udp_fd, buf, sizeof(buf), &from)) > 0) {
			if (!sock_addr_eq(&from, &s->peer))
				continue;   /* only the camera's session address */
			s->last_rx_us = now;
			bcconn_on_datagram(s->conn, buf, (size_t)n, now);
		}
	}
	if (s->conn) {
		if ((r = feed_conn(s)) < 0 || (r = flush_udp(s)) < 0)
			return r;
		switch (bcconn_state(s->conn, now)) {
		case BCCONN_OPEN: break;
		case BCCONN_CLOSED_BY_PEER: return fail(s, -ECONNRESET, "camera ended the session");
		case BCCONN_TIMED_OUT: return fail(s, -ETIMEDOUT, "camera silent for 10 s");
		case BCCONN_CLOSED: return fail(s, -EPIPE, "session closed");
		}
	}
	if (s->conn && s->video_on && now - s->last_rx_us > BCSESS_STREAM_SILENCE_US)
		return fail(s, -ETIMEDOUT, "camera stopped sending while streaming");
	/* Progress, not bytes: a camera sending only garbage (or endless junk messages) is
	 * reset after camera.read_timeout_ms like a silent one. */
	if (now - s->last_progress_us > s->read_timeout_us)
		return fail(s, -ETIMEDOUT, s->video_on ? "no video frame for longer than the read timeout"
					       : "no message from the camera for longer than the read timeout");
	return 0;
}

/* ---- messages ----------------------------------------------------------------------- */

/* Media packets of the running stream.  0, or -EPROTO when the camera announces a picture
 * no camera has or sends nothing but garbage: the session is reset (s->err says why). */
static int on_media(struct bcsess *s, const uint8_t *p, size_t len)
{
	struct bcmedia_pkt pkt;
	int r;

	if (bcmedia_parser_feed(&s->media, p, len) < 0) {
		bcmedia_parser_reset(&s->media);
		return 0;
	}
	while ((r = bcmedia_parser_next(&s->media, &pkt)) != 0) {
		if (r < 0) {
			/* garbage skipped up to the next magic: a few happen, a stream of them is
			 * a broken or hostile camera */
			if (++s->media_errors >= BCSESS_MAX_MEDIA_ERRORS) {
				snprintf(s->err, sizeof(s->err), "camera media stream is garbage (%u bad "
					 "packets in a row, last: %.80s)", s->media_errors, s->media.err.msg);
				return -EPROTO;
			}
			continue;
		}
		s->media_errors = 0;
		if (pkt.kind == BCMEDIA_INFO_V1 || pkt.kind == BCMEDIA_INFO_V2) {
			if (!pkt.info.width || !pkt.info.height || pkt.info.width > BCSESS_MAX_DIM ||
			    pkt.info.height > BCSESS_MAX_DIM) {
				snprintf(s->err, sizeof(s->err), "camera announced a %ux%u stream (limit %u)",
					 pkt.info.width, pkt.info.height, BCSESS_MAX_DIM);
				return -EPROTO;
			}
			s->info_width = (int)pkt.info.width;
			s->info_height = (int)pkt.info.height;
			s->info_fps = pkt.info.fps;
		}
		if (pkt.kind == BCMEDIA_IFRAME || pkt.kind == BCMEDIA_PFRAME)
			s->last_progress_us = clock_mono_us();
		if (s->cb.frame)
			s->cb.frame(s->cb.opaque, &pkt);
	}
	return 0;
}

/* ---- snapshot (msg 109) ----------------------------------------------------------------- */

/* Returns 0: a failed snapshot never ends the session. */
static int snap_fail(struct bcsess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int snap_fail(struct bcsess *s, const char *fmt, ...)
{
	va_list ap;

	s->snap_state = BCSESS_SNAP_FAILED;
	va_start(ap, fmt);
	vsnprintf(s->snap_err, sizeof(s->snap_err), fmt, ap);
	va_end(ap);
	return 0;
}

/* The reply on our msg_num, then the chunks on the camera's (any, then that one only). */
static int snap_msg(struct bcsess *s, const struct bc_msg *m)
{
	uint16_t rc = m->hdr.response_code;

	if (s->snap_state == BCSESS_SNAP_WAIT && m->hdr.msg_num == s->snap_num &&
	    !m->payload_is_binary) {
		struct bc_snap_info info;
		if (rc != BC_RC_OK)
			return snap_fail(s, "the camera refused the snapshot (rc %u)", rc);
		if (bc_snap_info_parse(m->payload, m->payload_len, &info) < 0)
			return snap_fail(s, "the camera's snapshot answer has no pictureSize "
				      "(or over %u bytes)", BC_SNAP_MAX);
		s->snap_size = info.picture_size;
		s->snap_state = BCSESS_SNAP_RECV;
		return 0;
	}
	if (s->snap_state != BCSESS_SNAP_RECV || !m->payload_is_binary ||
	    (s->snap_chunk_num >= 0 && m->hdr.msg_num != s->snap_chunk_num))
		return 0;
	s->snap_chunk_num = m->hdr.msg_num;
	if (rc != BC_RC_OK && rc != BC_RC_LAST_CHUNK)
		return snap_fail(s, "the camera broke off the snapshot (rc %u)", rc);
	if (m->payload_len > s->snap_size - s->snap.len)
		return snap_fail(s, "the camera sent more than the %u bytes it announced", s->snap_size);
	if (sbuf_add(&s->snap, m->payload, m->payload_len) < 0)
		return snap_fail(s, "out of memory for a %u-byte snapshot", s->snap_size);
	if (rc != BC_RC_LAST_CHUNK)
		return 0;
	bc_ctx_set_binary(&s->rd.ctx, BC_MSG_SNAP, m->hdr.msg_num, false);
	if (s->snap.len != s->snap_size)
		return snap_fail(s, "the snapshot ended short of the %u bytes announced", s->snap_size);
	if (s->snap.len < 4 || s->snap.data[0] != 0xff || s->snap.data[1] != 0xd8)
		return snap_fail(s, "the camera's snapshot is not a JPEG (%u bytes)", s->snap_size);
	s->snap_state = BCSESS_SNAP_DONE;
	return 0;
}

int bcsess_snap_start(struct bcsess *s)
{
	struct bc_msg m;
	struct sbuf x, e;
	int r;

	bcsess_snap_reset(s);
	s->snap_num = s->next_num++;
	sbuf_init(&x, 1024);
	sbuf_init(&e, 1024);
	bc_snap_req_build(&x, 0, "main");
	bc_ext_build_channel(&e, 0);
	bc_msg_request(&m, BC_MSG_SNAP, s->snap_num, 0);
	m.ext = e.data;
	m.ext_len = e.len;
	m.payload = x.data;
	m.payload_len = x.len;
	r = x.err ? x.err : e.err ? e.err : send_msg(s, &m);
	sbuf_free(&x);
	sbuf_free(&e);
	if (r < 0)
		return r;
	s->snap_state = BCSESS_SNAP_WAIT;
	s->snap_deadline = clock_mono_us() + BCSESS_SNAP_US;
	return 0;
}

enum bcsess_snap_state bcsess_snap_poll(struct bcsess *s)
{
	if ((s->snap_state == BCSESS_SNAP_WAIT || s->snap_state == BCSESS_SNAP_RECV) &&
	    clock_mono_us() >= s->snap_deadline)
		(void)snap_fail(s, "no complete snapshot from the camera within %u s",
				BCSESS_SNAP_US / 1000000u);
	return s->snap_state;
}

void bcsess_snap_reset(struct bcsess *s)
{
	s->snap_state = BCSESS_SNAP_IDLE;
	s->snap_chunk_num = -1;
	s->snap_size = 0;
	s->snap_err[0] = 0;
	sbuf_reset(&s->snap);
}

/* Messages nobody waits for: keep-alives, events, media. */
static int handle_async(struct bcsess *s, const struct bc_msg *m)
{
	struct bc_msg r;

	switch (m->hdr.msg_id) {
	case BC_MSG_UDP_KEEPALIVE:
		bc_msg_keepalive_reply(&r, &m->hdr);
		return send_msg(s, &r);
	case BC_MSG_BATTERY_LIST:
	case BC_MSG_BATTERY_INFO: {
		struct bc_battery b;
		if (!m->payload_is_binary && bc_battery_parse(m->payload, m->payload_len, &b) == 0 &&
		    s->cb.battery)
			s->cb.battery(s->cb.opaque, (int)b.battery_percent, b.charge_status);
		return 0;
	}
	case BC_MSG_MOTION: {
		struct bc_alarm_list l;
		if (!m->payload_is_binary && bc_alarm_parse(m->payload, m->payload_len, &l) == 0 &&
		    s->cb.alarm)
			s->cb.alarm(s->cb.opaque, &l);
		return 0;
	}
	case BC_MSG_VERSION:
		if (s->version_pending && m->hdr.msg_num == s->version_num) {
			s->version_pending = 0;
			if (m->hdr.response_code == BC_RC_OK && !m->payload_is_binary &&
			    bc_version_info_parse(m->payload, m->payload_len, &s->version) == 0)
				s->have_version = 1;
		}
		return 0;
	case BC_MSG_SNAP:
		return snap_msg(s, m);
	case BC_MSG_VIDEO:
		if (s->video_on && m->hdr.msg_num == s->video_num && m->payload_is_binary)
			return on_media(s, m->payload, m->payload_len);
		return 0;
	default:
		return 0;   /* anything else is decoded and ignored: it never breaks the session */
	}
}

/* Runs the session until a message (msg_id, msg_num) arrives; copies what `take` needs. */
typedef int (*take_fn)(struct bcsess *s, const struct bc_msg *m, void *ctx);

/* Next decoded message: 1, 0 = none buffered.  Bad ones are skipped. */
static int next_msg(struct bcsess *s, struct bc_msg *m)
{
	int r;

	while ((r = bc_reader_next(&s->rd, m)) != 0) {
		if (r < 0)
			continue;
		if (!s->video_on)
			s->last_progress_us = clock_mono_us();
		return 1;
	}
	return 0;
}

static int wait_reply(struct bcsess *s, uint32_t msg_id, uint16_t msg_num, uint64_t timeout_us,
		      take_fn take, void *ctx)
{
	uint64_t until = clock_mono_us() + timeout_us;
	struct bc_msg m;
	int r;

	for (;;) {
		while (next_msg(s, &m)) {
			if (m.hdr.msg_id == msg_id && m.hdr.msg_num == msg_num &&
			    !(msg_id == BC_MSG_VIDEO && s->video_on))
				return take(s, &m, ctx);
			if ((r = handle_async(s, &m)) < 0)
				return r;
		}
		if (clock_mono_us() >= until)
			return fail(s, -ETIMEDOUT, "no reply from the camera");
		if ((r = pump(s, until)) < 0)
			return r;
	}
}

struct nonce_ctx { char nonce[BC_NONCE_MAX]; unsigned enc; };

static int take_nonce(struct bcsess *s, const struct bc_msg *m, void *ctx)
{
	struct nonce_ctx *n = ctx;

	if (m->hdr.msg_class != BC_CLASS_NONCE || !BC_RC_IS_CHOICE(m->hdr.response_code))
		return fail(s, -EPROTO, "camera does not support the modern login");
	n->enc = m->hdr.response_code & 0xff;
	if (bc_nonce_parse(m->payload, m->payload_len, n->nonce) < 0)
		return fail(s, -EPROTO, "login: no nonce in the camera's answer");
	return 0;
}

static int take_login(struct bcsess *s, const struct bc_msg *m, void *ctx)
{
	(void)ctx;
	if (m->hdr.response_code == BC_RC_BAD || m->hdr.response_code == 401)
		return fail(s, -EACCES, "camera rejected the user name or password");
	if (m->hdr.response_code != BC_RC_OK)
		return fail(s, -EPROTO, "unexpected login answer");
	if (m->payload_len && !m->payload_is_binary)
		bc_device_info_parse(m->payload, m->payload_len, &s->devinfo, &s->streams);
	return 0;
}

int bcsess_login(struct bcsess *s, const char *user, const char *pass, unsigned max_enc)
{
	uint8_t body[BC_LEGACY_LOGIN_LEN];
	struct nonce_ctx n = { .enc = 0 };
	struct bc_msg m;
	struct sbuf x;
	uint16_t num = s->next_num++;
	int r;

	/* Legacy body with our offer (what the official client sends over UDP). */
	bc_legacy_login_body(body, user, pass);
	bc_msg_legacy_login(&m, max_enc, num, 0, body);
	if ((r = send_msg(s, &m)) < 0)
		return r;
	explicit_bzero(body, sizeof(body));
	if ((r = wait_reply(s, BC_MSG_LOGIN, num, BCSESS_REPLY_US, take_nonce, &n)) < 0)
		return r;
	if (!bc_enc_supported(n.enc)) {
		snprintf(s->err, sizeof(s->err), "camera chose encryption 0x%02x (%s), not supported",
			 n.enc, bc_enc_name(n.enc));
		return -ENOTSUP;
	}
	if ((r = bc_reader_set_crypto(&s->rd, n.enc, n.nonce, pass)) < 0 ||
	    (r = bc_crypto_set(&s->tx_crypto, n.enc, n.nonce, pass)) < 0)
		return fail(s, r, "setting up encryption");
	s->enc = n.enc;
	sbuf_init(&x, 4096);
	bc_login_xml_build(&x, user, pass, n.nonce);
	bc_msg_login(&m, num, 0, x.data, x.len);
	r = x.err ? x.err : send_msg(s, &m);
	sbuf_free(&x);
	if (r < 0)
		return r;
	return wait_reply(s, BC_MSG_LOGIN, num, BCSESS_REPLY_US, take_login, NULL);
}

int bcsess_query_version(struct bcsess *s)
{
	struct bc_msg m;
	uint16_t num = s->next_num++;
	int r;

	bc_msg_request(&m, BC_MSG_VERSION, num, 0);
	if ((r = send_msg(s, &m)) < 0)
		return r;
	s->version_num = num;
	s->version_pending = 1;   /* handle_async takes the answer whenever it comes */
	return 0;
}

int bcsess_request_alarms(struct bcsess *s)
{
	struct bc_msg m;

	/* the answer (200, or 400 from cameras without alarms) is ignored by handle_async */
	bc_msg_request(&m, BC_MSG_MOTION_REQUEST, s->next_num++, 0);
	return send_msg(s, &m);
}

static int take_video(struct bcsess *s, const struct bc_msg *m, void *ctx)
{
	(void)ctx;
	if (m->hdr.response_code != BC_RC_OK)
		return fail(s, -EPROTO, "camera refused to start the video stream");
	s->video_on = 1;
	bcmedia_parser_reset(&s->media);
	if (m->payload_is_binary && m->payload_len)
		return on_media(s, m->payload, m->payload_len);
	return 0;
}

int bcsess_start_video(struct bcsess *s, int substream)
{
	enum bc_stream st = substream ? BC_STREAM_SUB : BC_STREAM_MAIN;
	struct bc_msg m;
	struct sbuf x;
	int r;

	s->video_num = s->next_num++;
	s->substream = substream;
	sbuf_init(&x, 4096);
	bc_preview_xml_build(&x, 0, st);
	bc_msg_preview(&m, BC_MSG_VIDEO, s->video_num, 0, st, x.data, x.len);
	r = x.err ? x.err : send_msg(s, &m);
	sbuf_free(&x);
	if (r < 0)
		return r;
	r = wait_reply(s, BC_MSG_VIDEO, s->video_num, BCSESS_REPLY_US, take_video, NULL);
	s->next_ping_us = clock_mono_us() + BCSESS_PING_US;
	return r;
}

int bcsess_input(struct bcsess *s, const uint8_t *buf, size_t len)
{
	struct bc_msg m;
	int r;

	s->last_rx_us = clock_mono_us();
	if (s->conn) {
		bcconn_on_datagram(s->conn, buf, len, s->last_rx_us);
		if ((r = feed_conn(s)) < 0)
			return r;
	} else if ((r = bc_reader_feed(&s->rd, buf, len)) < 0) {
		return fail(s, r, "camera stream");
	}
	while (next_msg(s, &m))
		if ((r = handle_async(s, &m)) < 0)
			return r;
	return s->conn ? flush_udp(s) : 0;
}

int bcsess_run(struct bcsess *s, unsigned timeout_ms)
{
	uint64_t until = clock_mono_us() + (uint64_t)timeout_ms * 1000;
	struct bc_msg m;
	int r;

	do {
		if ((r = pump(s, until)) < 0)
			return r;
		while (next_msg(s, &m))
			if ((r = handle_async(s, &m)) < 0)
				return r;
		if (clock_mono_us() >= s->next_ping_us) {
			/* Liveness; the reply is just another message. */
			bc_msg_request(&m, BC_MSG_PING, s->next_num++, 0);
			if ((r = send_msg(s, &m)) < 0)
				return r;
			s->next_ping_us = clock_mono_us() + BCSESS_PING_US;
		}
	} while (clock_mono_us() < until);
	return 0;
}

int bcsess_stop_video(struct bcsess *s)
{
	enum bc_stream st = s->substream ? BC_STREAM_SUB : BC_STREAM_MAIN;
	struct bc_msg m;
	struct sbuf x;
	uint8_t stype;
	uint32_t handle;
	int r = -ENOMEM;

	if (!s->video_on)
		return 0;
	/* whatever the camera still sends on the old msg_num is ignored from here on */
	s->video_on = 0;
	s->last_progress_us = clock_mono_us();
	bc_stream_params(st, &stype, &handle);
	sbuf_init(&x, 1024);
	bc_preview_stop_xml_build(&x, 0, handle);
	bc_msg_preview(&m, BC_MSG_VIDEO_STOP, s->video_num, 0, st, x.data, x.len);
	if (!x.err)
		r = send_msg(s, &m);
	sbuf_free(&x);
	return r;
}

void bcsess_close(struct bcsess *s, const char *user, const char *pass, unsigned max_ms)
{
	uint64_t until = clock_mono_us() + (uint64_t)max_ms * 1000;
	struct bc_msg m;
	struct sbuf x;

	if (s->tcp_fd < 0 && !s->conn)
		return;
	s->keep_going = NULL;   /* closing is bounded by max_ms, even when stopping */
	(void)bcsess_stop_video(s);
	if (s->enc || s->devinfo.type[0]) {
		sbuf_init(&x, 4096);
		bc_logout_xml_build(&x, user, pass);
		bc_msg_request(&m, BC_MSG_LOGOUT, s->next_num++, 0);
		m.payload = x.data;
		m.payload_len = x.len;
		if (!x.err)
			(void)send_msg(s, &m);
		explicit_bzero(x.data, x.len);
		sbuf_free(&x);
	}
	if (s->conn) {
		/* Let the camera acknowledge stop/logout, then say goodbye (C2D_DISC). */
		while (!bcconn_tx_idle(s->conn) && clock_mono_us() < until)
			if (pump(s, clock_mono_us() + 20000) < 0)
				break;
		bcconn_close(s->conn);
		(void)flush_udp(s);
	} else if (s->tcp_fd >= 0) {
		shutdown(s->tcp_fd, SHUT_WR);
	}
}

void bcsess_stats(const struct bcsess *s, uint64_t *lost, uint64_t *retrans)
{
	struct bcconn_stats st;

	*lost = *retrans = 0;
	if (!s->conn)
		return;
	bcconn_get_stats(s->conn, &st);
	*lost = st.rx_gaps;
	*retrans = st.tx_retrans;
}
