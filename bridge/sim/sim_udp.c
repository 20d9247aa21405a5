/* cam-sim: the UDP side, discovery answers and one reliable-UDP session (bcconn). */
#include "sim/sim_loop.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/udpsock.h"
#include "sim/sim_p2p.h"
#include "util/clock.h"
#include "util/log.h"

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
	s->dg_tx++;
}

static void udp_flush_impair(struct udp_sess *u, uint64_t now)
{
	struct sim *s = u->sim;
	int n;

	if (!s->imp_on)
		return;
	while ((n = sim_impair_pop(s->imp, now, s->dgram, sizeof(s->dgram))) > 0) {
		(void)sock_sendto(u->fd, s->dgram, (size_t)n, &u->peer);
		s->dg_tx++;
	}
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

	sim_src_use(u->sim, idx, on);
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

	sim_frame_log(u->sim, idx, au, bytes);
}

static const struct sim_proto_ops udp_ops = {
	u_send, u_fits, u_stream, u_want_key, u_logout, u_frame,
};

/* Ends the session; flush = send what is queued for the wire first (DISC packets). */
void sim_udp_end(struct sim *s, int flush, const char *why)
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
	if (sim_ep_add(s, fd, EPOLLIN, TAG(T_SESS, 0)) < 0) {
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
		sim_udp_end(s, 1, "replaced by a new client");
	}
	(void)udp_begin(s, m, &to, tid, now);
}

void sim_on_disc(struct sim *s, int i, uint64_t now)
{
	struct sockaddr_in from;
	struct bcudp_pkt p;
	struct bcudp_msg m;
	ssize_t n;

	while ((n = sock_recvfrom(s->disc_fd[i], s->rxbuf, sizeof(s->rxbuf), &from)) >= 0) {
		s->dg_rx++;
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
			sim_set_power(s, P_WAKING, now);
			continue;
		}
		if (s->power == P_WAKING)
			continue;
		on_c2d_c(s, &m, &from, p.tid, now);
	}
}

void sim_on_sess(struct sim *s, uint64_t now)
{
	struct udp_sess *u;
	struct sockaddr_in from;
	struct bcudp_pkt p;
	struct bcudp_msg m;
	ssize_t n;
	size_t k;
	int r;

	while ((u = s->udp) && (n = sock_recvfrom(u->fd, s->rxbuf, sizeof(s->rxbuf), &from)) >= 0) {
		s->dg_rx++;
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

void sim_udp_log_counts(struct sim *s, uint64_t now)
{
	double min = (double)(now - s->dg_since) / 60e6;

	log_notice("datagrams: sent %llu, received %llu in %.1f s (%.1f/min sent, %.1f/min received)",
		   (unsigned long long)s->dg_tx, (unsigned long long)s->dg_rx, min * 60,
		   min > 0 ? (double)s->dg_tx / min : 0, min > 0 ? (double)s->dg_rx / min : 0);
}

/* Sends what the transport has due, paced; returns the next deadline. */
uint64_t sim_udp_service(struct sim *s, uint64_t now)
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
		sim_udp_end(s, 1, u->ending ? "logout" : bcconn_state_name(st));
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

