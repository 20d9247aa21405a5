#include "sim/sim_run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bc/bcudp_pkt.h"
#include "bc/bcudp_xml.h"
#include "net/bcconn.h"
#include "net/udpsock.h"
#include "sim/sim_impair.h"
#include "sim/sim_media.h"
#include "sim/sim_msgs.h"
#include "sim/sim_p2p.h"
#include "sim/sim_proto.h"
#include "util/clock.h"
#include "util/log.h"

enum tag { T_DISC, T_SESS, T_LISTEN, T_TCP, T_TIMER, T_SIGNAL, T_MEDIA, T_FIFO };
#define TAG(t, i) (((uint64_t)(t) << 32) | (uint32_t)(i))

enum power { P_AWAKE, P_ASLEEP, P_WAKING, P_DROPOFF };

struct sim;

struct udp_sess {
	struct sim *sim;
	int fd;
	struct sockaddr_in peer;
	struct bcconn *c;
	struct sim_proto proto;
	int32_t cid, did;
	uint32_t tid;
	uint64_t last_rx;
	int ending;                  /* logout: DISC then free */
	uint64_t next_slot;          /* pacing */
	unsigned slot_sent;
};

struct tcp_client {
	struct sim *sim;
	int fd;
	struct sim_proto proto;
	struct sbuf outq;
	int want_out;
	int closing;
};

struct sim {
	const struct sim_cfg *cfg;
	int ep, tfd, sfd, efd, fifo_fd;
	int disc_fd[SIM_MAX_DISC_PORTS], disc_port[SIM_MAX_DISC_PORTS], n_disc;
	int tcp_fd, tcp_port, tcp_listening;
	struct sim_src *src[SIM_NSTREAMS];
	int src_users[SIM_NSTREAMS];
	struct udp_sess *udp;
	struct tcp_client *tcp;
	int tcp_zombie;              /* fd of a client silenced by a drop-off */
	struct sim_cam_state cam;
	struct sim_impair *imp;
	int imp_on;
	enum power power;
	uint64_t idle_since, wake_at, dropoff_until;
	uint64_t next_motion, motion_end;
	double battery_f;
	uint64_t last_drain;
	FILE *frame_log;
	uint32_t n_sessions;
	int quit;
	char fifo_buf[256];
	size_t fifo_len;
	uint8_t dgram[BCCONN_DGRAM_MAX];
	uint8_t rxbuf[65536];
};

/* ---- helpers -------------------------------------------------------------------------- */

static int ep_add(struct sim *s, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void ep_mod(struct sim *s, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	(void)epoll_ctl(s->ep, EPOLL_CTL_MOD, fd, &ev);
}

static const char *power_name(enum power p)
{
	switch (p) {
	case P_AWAKE: return "awake";
	case P_ASLEEP: return "asleep";
	case P_WAKING: return "waking";
	case P_DROPOFF: return "dropped off";
	}
	return "?";
}

static void set_listener(struct sim *s)
{
	int on = s->power == P_AWAKE;

	if (s->tcp_fd < 0 || on == s->tcp_listening)
		return;
	/* asleep / dropped off: connections wait in the backlog, unanswered */
	ep_mod(s, s->tcp_fd, on ? EPOLLIN : 0, TAG(T_LISTEN, 0));
	s->tcp_listening = on;
}

static void set_power(struct sim *s, enum power p, uint64_t now)
{
	if (s->power != p)
		log_notice("camera %s", power_name(p));
	s->power = p;
	if (p == P_AWAKE)
		s->idle_since = now;
	set_listener(s);
}

/* ---- media sources -------------------------------------------------------------------- */

static void src_use(struct sim *s, int idx, int on)
{
	int r;

	if (on) {
		if (s->src_users[idx]++ == 0) {
			r = sim_src_resume(s->src[idx]);
			if (r < 0)
				log_err("%s stream: cannot start the source: %s",
					idx ? "sub" : "main", strerror(-r));
		} else {
			sim_src_force_keyframe(s->src[idx]);
		}
	} else if (s->src_users[idx] > 0 && --s->src_users[idx] == 0) {
		sim_src_pause(s->src[idx]);
	}
}

static void frame_log(struct sim *s, int idx, const struct sim_au *au, size_t bytes)
{
	if (!s->frame_log)
		return;
	fprintf(s->frame_log, "%u %llu %llu %s %c %zu\n", au->counter,
		(unsigned long long)clock_mono_us(), (unsigned long long)clock_real_us(),
		idx == SIM_MAIN ? "main" : "sub", au->keyframe ? 'I' : 'P', bytes);
}

/* ---- UDP session ---------------------------------------------------------------------- */

static void udp_xmit(struct udp_sess *u, const uint8_t *d, size_t len, uint64_t now)
{
	struct sim *s = u->sim;

	if (s->imp_on) {
		(void)sim_impair_push(s->imp, d, len, now);
		return;
	}
	/* EAGAIN = lost, like a full Wi-Fi queue; the transport resends */
	(void)sock_sendto(u->fd, d, len, &u->peer);
}

static void udp_flush_impair(struct udp_sess *u, uint64_t now)
{
	struct sim *s = u->sim;
	int n;

	if (!s->imp_on)
		return;
	while ((n = sim_impair_pop(s->imp, now, s->dgram, sizeof(s->dgram))) > 0)
		(void)sock_sendto(u->fd, s->dgram, (size_t)n, &u->peer);
}

static int u_send(void *op, const uint8_t *msg, size_t len)
{
	struct udp_sess *u = op;
	int r = bcconn_write_msg(u->c, msg, len);

	if (r >= 0)
		return 0;
	return r == -ENOBUFS || r == -EPIPE ? -ENOBUFS : r;
}

static int u_fits(void *op, size_t n_msgs, size_t bytes)
{
	struct udp_sess *u = op;
	size_t pay = u->proto.chunk + BC_HDR_LEN_LONG;     /* ≤ one Data payload each */

	(void)bytes;
	return bcconn_tx_space(u->c) >= (n_msgs + 1) * (pay > 1330 ? pay : 1330);
}

static void u_stream(void *op, int idx, int on)
{
	struct udp_sess *u = op;

	src_use(u->sim, idx, on);
}

static void u_want_key(void *op, int idx)
{
	struct udp_sess *u = op;

	sim_src_force_keyframe(u->sim->src[idx]);
}

static void u_logout(void *op)
{
	struct udp_sess *u = op;

	log_info("udp session %d: logout", u->did);
	u->ending = 1;
	bcconn_close(u->c);
}

static void u_frame(void *op, int idx, const struct sim_au *au, size_t bytes)
{
	struct udp_sess *u = op;

	frame_log(u->sim, idx, au, bytes);
}

static const struct sim_proto_ops udp_ops = {
	u_send, u_fits, u_stream, u_want_key, u_logout, u_frame,
};

/* Ends the session; flush = send what is queued for the wire first (DISC packets). */
static void udp_end(struct sim *s, int flush, const char *why)
{
	struct udp_sess *u = s->udp;
	struct bcconn_stats st;
	uint64_t now = clock_mono_us();
	int n;

	if (!u)
		return;
	if (flush) {
		while ((n = bcconn_poll(u->c, now, s->dgram, sizeof(s->dgram))) > 0)
			udp_xmit(u, s->dgram, (size_t)n, now);
		udp_flush_impair(u, UINT64_MAX - 1);
	}
	if (s->imp)
		sim_impair_clear(s->imp);
	bcconn_get_stats(u->c, &st);
	log_notice("udp session did %d cid %d ended (%s): tx %llu data (%llu resent), rx %llu data, "
		   "keep-alives %llu sent %llu missed, frames main %llu (dropped %llu) sub %llu",
		   u->did, u->cid, why, (unsigned long long)st.tx_data,
		   (unsigned long long)st.tx_retrans, (unsigned long long)st.rx_data,
		   (unsigned long long)u->proto.stats.ka_sent,
		   (unsigned long long)u->proto.stats.ka_missed,
		   (unsigned long long)u->proto.st[SIM_MAIN].frames,
		   (unsigned long long)u->proto.st[SIM_MAIN].dropped,
		   (unsigned long long)u->proto.st[SIM_SUB].frames);
	sim_proto_stop_all(&u->proto);
	sim_proto_free(&u->proto);
	bcconn_free(u->c);
	close(u->fd);
	free(u);
	s->udp = NULL;
	s->idle_since = now;
}

/* D2C_C_R always leaves from the session socket: its source port is the session's.
 * (req: the opening request; a P2P C2D_T is answered with D2C_CFM, see sim_p2p.h) */
static void send_d2c_c_r(struct sim *s, struct udp_sess *u, const struct bcudp_msg *req,
			 uint32_t tid)
{
	int n = sim_p2p_open_reply(s->dgram, sizeof(s->dgram), req, tid, u->cid, u->did, 0);

	if (n < 0) {
		log_err("cannot build D2C_C_R: %s", strerror(-n));
		return;
	}
	udp_xmit(u, s->dgram, (size_t)n, clock_mono_us());
}

static int udp_begin(struct sim *s, const struct bcudp_msg *m, const struct sockaddr_in *to,
		     uint32_t tid, uint64_t now)
{
	struct bcconn_cfg cc;
	struct udp_sess *u;
	int fd, r, buf = 1 << 20;
	char a[SOCK_ADDR_STR];

	fd = sock_udp_open(s->cfg->listen, 0, SOCK_F_NONBLOCK, NULL);
	if (fd < 0) {
		log_err("session socket on %s: %s", s->cfg->listen, strerror(-fd));
		return fd;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	u = calloc(1, sizeof(*u));
	if (!u) {
		close(fd);
		return -ENOMEM;
	}
	u->sim = s;
	u->fd = fd;
	u->peer = *to;
	u->cid = m->cid;
	u->did = SIM_DID_BASE + 16 * (int32_t)(s->n_sessions++ % 64);
	u->tid = tid;
	u->last_rx = now;
	bcconn_cfg_defaults(&cc, BCCONN_CAMERA, u->did, u->cid);
	if ((m->has & BCUDP_HAS(BCUDP_F_MTU)) && m->mtu >= (int32_t)BCCONN_MIN_MTU &&
	    m->mtu < BCUDP_MTU_DEFAULT)
		cc.mtu = (unsigned)m->mtu;
	cc.tid = tid;
	cc.heartbeat = 1;            /* D2C_HB every second */
	cc.msg_align = BCCONN_ALIGN_WHOLE;
	r = bcconn_new(&cc, now, &u->c);
	if (r < 0) {
		log_err("udp session: %s", strerror(-r));
		close(fd);
		free(u);
		return r;
	}
	sim_proto_init(&u->proto, s->cfg, &s->cam, 1, &udp_ops, u);
	for (int i = 0; i < SIM_NSTREAMS; i++)
		sim_proto_set_codec(&u->proto, i, sim_src_h265(s->src[i]));
	if (ep_add(s, fd, EPOLLIN, TAG(T_SESS, 0)) < 0) {
		sim_proto_free(&u->proto);
		bcconn_free(u->c);
		close(fd);
		free(u);
		return -EIO;
	}
	s->udp = u;
	log_notice("udp session did %d for cid %d at %s (port %d)", u->did, u->cid,
		   sock_addr_str(to, a), sock_local_port(fd));
	send_d2c_c_r(s, u, m, tid);
	return 0;
}

static void on_c2d_c(struct sim *s, const struct bcudp_msg *m,
		     const struct sockaddr_in *from, uint32_t tid, uint64_t now)
{
	struct sockaddr_in to = *from;
	struct udp_sess *u = s->udp;
	char a[SOCK_ADDR_STR];

	/* the reply goes to the client's session socket, which <cli><port> names (camera_proxy
	 * sends C2D_C from another socket) */
	if ((m->has & BCUDP_HAS(BCUDP_F_CLI)) && m->cli.has_port && m->cli.port > 0 &&
	    m->cli.port < 65536)
		to.sin_port = htons((uint16_t)m->cli.port);
	if (!(m->has & BCUDP_HAS(BCUDP_F_CID)))
		return;
	if (u) {
		if (u->cid == m->cid && u->peer.sin_addr.s_addr == to.sin_addr.s_addr) {
			/* our reply was lost: answer again, from the session socket */
			send_d2c_c_r(s, u, m, tid);
			return;
		}
		if (now < u->last_rx + SIM_BUSY_ALIVE_US && !u->ending) {
			/* Busy: no answer.  A D2C_C_R with rsp -3 would be worse: camera_proxy and
			 * neolink take any D2C_C_R with their cid as success (did 0 included).
			 * Silence makes them retry; once the old session has been quiet for
			 * SIM_BUSY_ALIVE_US the next C2D_C replaces it. */
			log_info("C2D_C from %s (cid %d) ignored: busy with cid %d",
				 sock_addr_str(&to, a), m->cid, u->cid);
			return;
		}
		bcconn_close(u->c);
		udp_end(s, 1, "replaced by a new client");
	}
	(void)udp_begin(s, m, &to, tid, now);
}

static void on_disc_readable(struct sim *s, int i, uint64_t now)
{
	struct sockaddr_in from;
	struct bcudp_pkt p;
	struct bcudp_msg m;
	ssize_t n;

	while ((n = sock_recvfrom(s->disc_fd[i], s->rxbuf, sizeof(s->rxbuf), &from)) >= 0) {
		if (s->power == P_DROPOFF)
			continue;
		if (bcudp_parse(s->rxbuf, (size_t)n, &p, NULL) < 0 || p.type != BCUDP_DISC ||
		    bcudp_msg_decode(&p, &m, NULL) < 0 ||
		    (m.kind != BCUDP_K_C2D_C && !sim_p2p_is_open_request(&m)))
			continue;
		/* only its own UID: a real camera ignores the others (no answer at all); a P2P
		 * C2D_T has none, the register server matched it */
		if (m.kind == BCUDP_K_C2D_C &&
		    (!(m.has & BCUDP_HAS(BCUDP_F_UID)) || strcasecmp(m.uid, s->cfg->uid) != 0)) {
			log_debug("C2D_C for another uid ignored");
			continue;
		}
		if (s->power == P_ASLEEP) {
			s->wake_at = now + (uint64_t)s->cfg->wake_delay_ms * 1000u;
			set_power(s, P_WAKING, now);
			continue;
		}
		if (s->power == P_WAKING)
			continue;
		on_c2d_c(s, &m, &from, p.tid, now);
	}
}

static void on_sess_readable(struct sim *s, uint64_t now)
{
	struct udp_sess *u;
	struct sockaddr_in from;
	struct bcudp_pkt p;
	struct bcudp_msg m;
	ssize_t n;
	size_t k;
	int r;

	while ((u = s->udp) && (n = sock_recvfrom(u->fd, s->rxbuf, sizeof(s->rxbuf), &from)) >= 0) {
		if (from.sin_addr.s_addr != u->peer.sin_addr.s_addr)
			continue;
		/* a client that re-binds keeps its ids: follow its new port (neolink does this
		 * after a send stall, then sends C2D_HB) */
		if (from.sin_port != u->peer.sin_port && bcudp_parse(s->rxbuf, (size_t)n, &p, NULL) > 0 &&
		    (((p.type == BCUDP_DATA || p.type == BCUDP_ACK) && p.conn_id == u->did) ||
		     p.type == BCUDP_DISC))
			u->peer.sin_port = from.sin_port;
		u->last_rx = now;
		r = bcconn_on_datagram(u->c, s->rxbuf, (size_t)n, now);
		if (r == 1 && bcudp_parse(s->rxbuf, (size_t)n, &p, NULL) > 0 &&
		    bcudp_msg_decode(&p, &m, NULL) == 0 && m.kind == BCUDP_K_C2D_C &&
		    (m.has & BCUDP_HAS(BCUDP_F_CID)) && m.cid == u->cid)
			send_d2c_c_r(s, u, &m, p.tid);
		while ((k = bcconn_read(u->c, s->rxbuf, sizeof(s->rxbuf))) > 0) {
			r = sim_proto_input(&u->proto, s->rxbuf, k, now);
			if (r < 0) {
				log_warn("udp session %d: %s", u->did, strerror(-r));
				bcconn_close(u->c);
				break;
			}
		}
	}
}

/* Sends what the transport has due, paced; returns the next deadline. */
static uint64_t udp_service(struct sim *s, uint64_t now)
{
	struct udp_sess *u = s->udp;
	enum bcconn_state st;
	uint64_t t, t2;
	int n;

	if (!u)
		return UINT64_MAX;
	t = sim_proto_tick(&u->proto, now);
	if (now >= u->next_slot + SIM_UDP_SLOT_US) {
		u->next_slot = now;
		u->slot_sent = 0;
	}
	while (u->slot_sent < SIM_UDP_BURST &&
	       (n = bcconn_poll(u->c, now, s->dgram, sizeof(s->dgram))) > 0) {
		udp_xmit(u, s->dgram, (size_t)n, now);
		u->slot_sent++;
	}
	udp_flush_impair(u, now);
	st = bcconn_state(u->c, now);
	if (st != BCCONN_OPEN && bcconn_next_deadline(u->c, now) == UINT64_MAX) {
		udp_end(s, 1, u->ending ? "logout" : bcconn_state_name(st));
		return UINT64_MAX;
	}
	t2 = bcconn_next_deadline(u->c, now);
	if (u->slot_sent >= SIM_UDP_BURST && t2 <= now)
		t2 = u->next_slot + SIM_UDP_SLOT_US;
	if (t2 < t)
		t = t2;
	if (s->imp_on && (t2 = sim_impair_deadline(s->imp)) < t)
		t = t2;
	return t;
}

/* ---- TCP ------------------------------------------------------------------------------ */

static void tcp_update_events(struct tcp_client *c)
{
	int want = c->outq.len > 0;

	if (want != c->want_out) {
		ep_mod(c->sim, c->fd, EPOLLIN | (want ? EPOLLOUT : 0), TAG(T_TCP, 0));
		c->want_out = want;
	}
}

static int tcp_write_out(struct tcp_client *c)
{
	while (c->outq.len) {
		ssize_t n = send(c->fd, c->outq.data, c->outq.len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -errno;
		}
		sbuf_consume(&c->outq, (size_t)n);
	}
	tcp_update_events(c);
	return 0;
}

static int t_send(void *op, const uint8_t *msg, size_t len)
{
	struct tcp_client *c = op;

	if (c->closing)
		return -ENOBUFS;
	if (c->outq.len + len > SIM_TCP_OUTQ_MAX)
		return -ENOBUFS;
	if (sbuf_add(&c->outq, msg, len) < 0)
		return -ENOBUFS;
	return 0;
}

static int t_fits(void *op, size_t n_msgs, size_t bytes)
{
	struct tcp_client *c = op;

	(void)n_msgs;
	return c->outq.len + bytes <= SIM_TCP_OUTQ_MAX;
}

static void t_stream(void *op, int idx, int on)
{
	struct tcp_client *c = op;

	src_use(c->sim, idx, on);
}

static void t_want_key(void *op, int idx)
{
	struct tcp_client *c = op;

	sim_src_force_keyframe(c->sim->src[idx]);
}

static void t_logout(void *op)
{
	struct tcp_client *c = op;

	c->closing = 1;
}

static void t_frame(void *op, int idx, const struct sim_au *au, size_t bytes)
{
	struct tcp_client *c = op;

	frame_log(c->sim, idx, au, bytes);
}

static const struct sim_proto_ops tcp_ops = {
	t_send, t_fits, t_stream, t_want_key, t_logout, t_frame,
};

/* silent = keep the fd open without answering (drop-off), closed when the camera returns */
static void tcp_end(struct sim *s, int silent, const char *why)
{
	struct tcp_client *c = s->tcp;

	if (!c)
		return;
	log_notice("tcp client ended (%s)", why);
	sim_proto_stop_all(&c->proto);
	sim_proto_free(&c->proto);
	sbuf_free(&c->outq);
	if (silent) {
		(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
		if (s->tcp_zombie >= 0)
			close(s->tcp_zombie);
		s->tcp_zombie = c->fd;
	} else {
		close(c->fd);
	}
	free(c);
	s->tcp = NULL;
	s->idle_since = clock_mono_us();
}

static void on_accept(struct sim *s)
{
	struct tcp_client *c;
	int fd;

	while ((fd = accept4(s->tcp_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		/* one client at a time; a new connection replaces the old (neolink probes with a
		 * throw-away login, then reconnects) */
		if (s->tcp)
			tcp_end(s, 0, "replaced by a new connection");
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->sim = s;
		c->fd = fd;
		sbuf_init(&c->outq, SIM_TCP_OUTQ_MAX + (1u << 20));
		sim_proto_init(&c->proto, s->cfg, &s->cam, 0, &tcp_ops, c);
		for (int i = 0; i < SIM_NSTREAMS; i++)
			sim_proto_set_codec(&c->proto, i, sim_src_h265(s->src[i]));
		if (ep_add(s, fd, EPOLLIN, TAG(T_TCP, 0)) < 0) {
			sim_proto_free(&c->proto);
			sbuf_free(&c->outq);
			close(fd);
			free(c);
			continue;
		}
		s->tcp = c;
		log_notice("tcp client connected");
	}
}

static void on_tcp(struct sim *s, uint32_t events, uint64_t now)
{
	struct tcp_client *c = s->tcp;
	ssize_t n;
	int r;

	if (!c)
		return;
	if (events & EPOLLOUT) {
		r = tcp_write_out(c);
		if (r < 0) {
			tcp_end(s, 0, strerror(-r));
			return;
		}
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		n = recv(c->fd, s->rxbuf, sizeof(s->rxbuf), 0);
		if (n == 0) {
			tcp_end(s, 0, "closed by the client");
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			tcp_end(s, 0, strerror(errno));
			return;
		}
		r = sim_proto_input(&c->proto, s->rxbuf, (size_t)n, now);
		if (r < 0) {
			tcp_end(s, 0, strerror(-r));
			return;
		}
	}
}

static void tcp_service(struct sim *s)
{
	struct tcp_client *c = s->tcp;
	int r;

	if (!c)
		return;
	r = tcp_write_out(c);
	if (r < 0)
		tcp_end(s, 0, strerror(-r));
	else if (c->closing && !c->outq.len)
		tcp_end(s, 0, "logout");
}

/* ---- camera life ---------------------------------------------------------------------- */

static void each_proto(struct sim *s, void (*fn)(struct sim_proto *, void *), void *arg)
{
	if (s->udp)
		fn(&s->udp->proto, arg);
	if (s->tcp)
		fn(&s->tcp->proto, arg);
}

static void do_battery(struct sim_proto *p, void *arg)
{
	(void)arg;
	sim_proto_push_battery(p);
}

static void do_motion(struct sim_proto *p, void *arg)
{
	sim_proto_push_motion(p, *(int *)arg, time(NULL));
}

static void motion(struct sim *s, uint64_t now)
{
	int on = 1;

	log_info("motion alarm");
	each_proto(s, do_motion, &on);
	s->motion_end = now + SIM_MOTION_LEN_US;
}

static void dropoff(struct sim *s, int seconds, uint64_t now)
{
	log_notice("dropping off the network for %d s", seconds);
	/* lost Wi-Fi: nothing is sent, not even a D2C_DISC; the session state is gone */
	udp_end(s, 0, "drop-off");
	tcp_end(s, 1, "drop-off");
	s->dropoff_until = now + (uint64_t)seconds * 1000000u;
	set_power(s, P_DROPOFF, now);
}

static void go_to_sleep(struct sim *s, uint64_t now)
{
	udp_end(s, 0, "sleep");
	tcp_end(s, 0, "sleep");
	set_power(s, P_ASLEEP, now);
}

static void set_battery(struct sim *s, int pct)
{
	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	if (pct == s->cam.battery)
		return;
	s->cam.battery = pct;
	log_info("battery %d%%", pct);
	each_proto(s, do_battery, NULL);
}

static uint64_t life_service(struct sim *s, uint64_t now)
{
	const struct sim_cfg *cfg = s->cfg;
	uint64_t t = UINT64_MAX;

	if (s->power == P_DROPOFF) {
		if (now >= s->dropoff_until) {
			if (s->tcp_zombie >= 0) {
				close(s->tcp_zombie);
				s->tcp_zombie = -1;
			}
			set_power(s, P_AWAKE, now);
		} else {
			return s->dropoff_until;
		}
	}
	if (s->power == P_WAKING) {
		if (now >= s->wake_at)
			set_power(s, P_AWAKE, now);
		else
			return s->wake_at;
	}
	if (s->power != P_AWAKE)
		return UINT64_MAX;
	/* battery: drains while awake, charges 1 %/min on "charging" */
	if (now >= s->last_drain + 1000000u) {
		double dt_min = (double)(now - s->last_drain) / 60e6;
		s->last_drain = now;
		if (s->cam.charging)
			s->battery_f += dt_min;
		else
			s->battery_f -= cfg->drain_per_min * dt_min;
		if (s->battery_f < 0)
			s->battery_f = 0;
		if (s->battery_f > 100)
			s->battery_f = 100;
		set_battery(s, (int)(s->battery_f + 0.5));
	}
	if (cfg->drain_per_min > 0 || s->cam.charging)
		t = s->last_drain + 1000000u;
	if (cfg->motion_every) {
		if (!s->next_motion)
			s->next_motion = now + (uint64_t)cfg->motion_every * 1000000u;
		if (now >= s->next_motion) {
			motion(s, now);
			s->next_motion = now + (uint64_t)cfg->motion_every * 1000000u;
		}
		if (s->next_motion < t)
			t = s->next_motion;
	}
	if (s->motion_end) {
		if (now >= s->motion_end) {
			int off = 0;
			s->motion_end = 0;
			each_proto(s, do_motion, &off);
		} else if (s->motion_end < t) {
			t = s->motion_end;
		}
	}
	if (cfg->sleep_after && !s->udp && !s->tcp) {
		uint64_t at = s->idle_since + (uint64_t)cfg->sleep_after * 1000000u;
		if (now >= at) {
			go_to_sleep(s, now);
			return UINT64_MAX;
		}
		if (at < t)
			t = at;
	}
	return t;
}

/* ---- control: signals and FIFO -------------------------------------------------------- */

static void control_line(struct sim *s, char *line, uint64_t now)
{
	char cmd[32] = "", arg[32] = "";
	long v;

	if (sscanf(line, "%31s %31s", cmd, arg) < 1)
		return;
	if (!strcmp(cmd, "dropoff")) {
		v = arg[0] ? strtol(arg, NULL, 10) : s->cfg->dropoff_seconds;
		dropoff(s, v > 0 && v < 86400 ? (int)v : s->cfg->dropoff_seconds, now);
	} else if (!strcmp(cmd, "motion")) {
		if (s->power == P_AWAKE)
			motion(s, now);
	} else if (!strcmp(cmd, "battery")) {
		v = strtol(arg, NULL, 10);
		s->battery_f = (double)(v < 0 ? 0 : v > 100 ? 100 : v);
		set_battery(s, (int)s->battery_f);
	} else if (!strcmp(cmd, "charging")) {
		s->cam.charging = !strcmp(arg, "on") || !strcmp(arg, "1");
		each_proto(s, do_battery, NULL);
	} else if (!strcmp(cmd, "sleep")) {
		go_to_sleep(s, now);
	} else if (!strcmp(cmd, "wake")) {
		if (s->power == P_ASLEEP || s->power == P_WAKING)
			set_power(s, P_AWAKE, now);
	} else if (!strcmp(cmd, "loss") && s->imp) {
		/* needs impairment on from the start (e.g. --jitter 1): the queue exists then */
		sim_impair_set_loss(s->imp, strtod(arg, NULL));
	} else if (!strcmp(cmd, "keyframe")) {
		for (int i = 0; i < SIM_NSTREAMS; i++)
			sim_src_force_keyframe(s->src[i]);
	} else {
		log_warn("control: unknown command '%s'", cmd);
		return;
	}
	log_info("control: %s %s", cmd, arg);
}

static void on_fifo(struct sim *s, uint64_t now)
{
	ssize_t n;
	char *nl;

	for (;;) {
		n = read(s->fifo_fd, s->fifo_buf + s->fifo_len, sizeof(s->fifo_buf) - 1 - s->fifo_len);
		if (n <= 0)
			break;
		s->fifo_len += (size_t)n;
		s->fifo_buf[s->fifo_len] = 0;
		while ((nl = strchr(s->fifo_buf, '\n'))) {
			*nl = 0;
			control_line(s, s->fifo_buf, now);
			s->fifo_len -= (size_t)(nl + 1 - s->fifo_buf);
			memmove(s->fifo_buf, nl + 1, s->fifo_len + 1);
		}
		if (s->fifo_len == sizeof(s->fifo_buf) - 1)
			s->fifo_len = 0;          /* an over-long line: dropped */
	}
}

static void on_signal(struct sim *s, uint64_t now)
{
	struct signalfd_siginfo si;

	while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGINT:
		case SIGTERM:
			s->quit = 1;
			break;
		case SIGUSR1:
			if (s->power == P_AWAKE)
				motion(s, now);
			break;
		case SIGUSR2:
			dropoff(s, s->cfg->dropoff_seconds, now);
			break;
		}
	}
}

static void on_media(struct sim *s)
{
	struct sim_au au;
	uint64_t v;
	time_t now = time(NULL);

	if (read(s->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: someone else drained it */
	}
	for (int i = 0; i < SIM_NSTREAMS; i++) {
		while (sim_src_pop(s->src[i], &au) > 0) {
			if (s->udp)
				sim_proto_media(&s->udp->proto, i, &au, now);
			if (s->tcp)
				sim_proto_media(&s->tcp->proto, i, &au, now);
		}
		if (sim_src_error(s->src[i]) && s->src_users[i]) {
			static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10000, 1);
			log_msg_ratelimited(&rl, LOG_ERR, "%s stream source failed: %s",
					    i ? "sub" : "main", strerror(-sim_src_error(s->src[i])));
		}
	}
}

/* ---- set-up and loop ------------------------------------------------------------------ */

static int setup(struct sim *s)
{
	const struct sim_cfg *cfg = s->cfg;
	struct sim_impair_cfg ic;
	sigset_t ss;
	int r, one = 1;

	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->ep < 0 || s->tfd < 0 || s->efd < 0)
		return -errno;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGUSR2);
	/* blocked before any thread starts, so only the signalfd sees them */
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	s->sfd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sfd < 0)
		return -errno;
	ep_add(s, s->tfd, EPOLLIN, TAG(T_TIMER, 0));
	ep_add(s, s->sfd, EPOLLIN, TAG(T_SIGNAL, 0));
	ep_add(s, s->efd, EPOLLIN, TAG(T_MEDIA, 0));

	for (int i = 0; i < SIM_NSTREAMS; i++) {
		r = sim_src_new(cfg, i, s->efd, &s->src[i]);
		if (r < 0) {
			log_err("source '%s': %s", strcmp(cfg->source, "live") ? cfg->source : "live",
				strerror(-r));
			return r;
		}
	}
	for (int i = 0; i < cfg->n_disc_ports; i++) {
		int fd = sock_udp_open(cfg->listen, (uint16_t)cfg->disc_ports[i],
				       SOCK_F_BROADCAST | SOCK_F_NONBLOCK | SOCK_F_REUSEADDR, NULL);
		if (fd < 0) {
			log_err("discovery socket %s:%d: %s", cfg->listen, cfg->disc_ports[i],
				strerror(-fd));
			return fd;
		}
		s->disc_fd[s->n_disc] = fd;
		s->disc_port[s->n_disc] = sock_local_port(fd);
		ep_add(s, fd, EPOLLIN, TAG(T_DISC, s->n_disc));
		s->n_disc++;
	}
	if (cfg->tcp_port >= 0) {
		struct sockaddr_in a;
		socklen_t al = sizeof(a);

		if (sock_addr(&a, cfg->listen, (uint16_t)cfg->tcp_port) < 0)
			return -EINVAL;
		s->tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (s->tcp_fd < 0)
			return -errno;
		(void)setsockopt(s->tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s->tcp_fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s->tcp_fd, 8) < 0) {
			r = -errno;
			log_err("tcp %s:%d: %s", cfg->listen, cfg->tcp_port, strerror(-r));
			return r;
		}
		getsockname(s->tcp_fd, (struct sockaddr *)&a, &al);
		s->tcp_port = ntohs(a.sin_port);
		ep_add(s, s->tcp_fd, EPOLLIN, TAG(T_LISTEN, 0));
		s->tcp_listening = 1;
	}
	if (cfg->control_fifo[0]) {
		if (mkfifo(cfg->control_fifo, 0600) < 0 && errno != EEXIST) {
			r = -errno;
			log_err("control fifo %s: %s", cfg->control_fifo, strerror(-r));
			return r;
		}
		/* O_RDWR: the FIFO never reports EOF when a writer closes */
		s->fifo_fd = open(cfg->control_fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (s->fifo_fd < 0) {
			r = -errno;
			log_err("control fifo %s: %s", cfg->control_fifo, strerror(-r));
			return r;
		}
		ep_add(s, s->fifo_fd, EPOLLIN, TAG(T_FIFO, 0));
	}
	if (cfg->frame_log[0]) {
		s->frame_log = fopen(cfg->frame_log, "we");
		if (!s->frame_log) {
			r = -errno;
			log_err("frame log %s: %s", cfg->frame_log, strerror(-r));
			return r;
		}
		setvbuf(s->frame_log, NULL, _IOLBF, 0);
	}
	ic.loss = cfg->loss;
	ic.dup = cfg->dup;
	ic.reorder = (unsigned)cfg->reorder;
	ic.delay_us = (uint32_t)cfg->delay_ms * 1000u;
	ic.jitter_us = (uint32_t)cfg->jitter_ms * 1000u;
	ic.seed = cfg->seed;
	s->imp_on = sim_impair_enabled(&ic);
	if (s->imp_on && (r = sim_impair_new(&ic, &s->imp)) < 0)
		return r;
	return 0;
}

static void teardown(struct sim *s)
{
	udp_end(s, 1, "exit");
	tcp_end(s, 0, "exit");
	for (int i = 0; i < SIM_NSTREAMS; i++)
		sim_src_free(s->src[i]);
	for (int i = 0; i < s->n_disc; i++)
		close(s->disc_fd[i]);
	if (s->tcp_fd >= 0)
		close(s->tcp_fd);
	if (s->tcp_zombie >= 0)
		close(s->tcp_zombie);
	if (s->fifo_fd >= 0)
		close(s->fifo_fd);
	if (s->frame_log)
		fclose(s->frame_log);
	sim_impair_free(s->imp);
	if (s->sfd >= 0)
		close(s->sfd);
	if (s->efd >= 0)
		close(s->efd);
	if (s->tfd >= 0)
		close(s->tfd);
	if (s->ep >= 0)
		close(s->ep);
}

static void arm(struct sim *s, uint64_t at)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (at == UINT64_MAX)
		at = clock_mono_us() + 1000000u;      /* idle: look around once a second */
	its.it_value.tv_sec = (time_t)(at / 1000000u);
	its.it_value.tv_nsec = (long)(at % 1000000u) * 1000;
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

int sim_run(const struct sim_cfg *cfg)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct epoll_event ev[16];
	uint64_t now, next, t;
	int r, n;

	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->ep = s->tfd = s->sfd = s->efd = s->fifo_fd = s->tcp_fd = s->tcp_zombie = -1;
	s->cam.battery = cfg->battery;
	s->cam.charging = cfg->charging;
	s->battery_f = cfg->battery;
	r = setup(s);
	if (r < 0) {
		teardown(s);
		free(s);
		return r;
	}
	now = clock_mono_us();
	s->idle_since = s->last_drain = now;
	s->power = P_AWAKE;
	{
		char ports[96] = "";
		size_t o = 0;
		for (int i = 0; i < s->n_disc; i++)
			o += (size_t)snprintf(ports + o, sizeof(ports) - o, "%s%d", i ? "," : "",
					      s->disc_port[i]);
		log_notice("camera %s up on %s: discovery udp %s, tcp %d, encryption up to 0x%02x, "
			   "source %s", cfg->uid, cfg->listen, ports, s->tcp_fd >= 0 ? s->tcp_port : -1,
			   cfg->max_enc, cfg->source);
		/* machine-readable, for tests that asked for ephemeral ports */
		printf("cam-sim ready: disc=%s tcp=%d\n", ports, s->tcp_fd >= 0 ? s->tcp_port : -1);
		fflush(stdout);
	}
	while (!s->quit) {
		now = clock_mono_us();
		next = life_service(s, now);
		t = udp_service(s, now);
		if (t < next)
			next = t;
		tcp_service(s);
		if (s->quit)
			break;
		now = clock_mono_us();
		if (next <= now) {
			n = epoll_wait(s->ep, ev, 16, 0);
		} else {
			arm(s, next);
			n = epoll_wait(s->ep, ev, 16, -1);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			log_err("epoll: %s", strerror(-r));
			break;
		}
		now = clock_mono_us();
		for (int i = 0; i < n; i++) {
			uint32_t tag = (uint32_t)(ev[i].data.u64 >> 32), idx = (uint32_t)ev[i].data.u64;
			switch (tag) {
			case T_DISC: on_disc_readable(s, (int)idx, now); break;
			case T_SESS: on_sess_readable(s, now); break;
			case T_LISTEN: on_accept(s); break;
			case T_TCP: on_tcp(s, ev[i].events, now); break;
			case T_TIMER: {
				uint64_t x;
				if (read(s->tfd, &x, sizeof(x)) < 0) {
					/* EAGAIN: re-armed before it fired */
				}
				break;
			}
			case T_SIGNAL: on_signal(s, now); break;
			case T_MEDIA: on_media(s); break;
			case T_FIFO: on_fifo(s, now); break;
			}
		}
	}
	log_notice("exiting");
	teardown(s);
	free(s);
	return r < 0 ? r : 0;
}
