/* cam-sim: the TCP side, one Baichuan client at a time, with a bounded output queue. */
#include "sim/sim_loop.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"

/* ---- TCP ------------------------------------------------------------------------------ */

static void tcp_update_events(struct tcp_client *c)
{
	int want = c->outq.len > 0;

	if (want != c->want_out) {
		sim_ep_mod(c->sim, c->fd, EPOLLIN | (want ? EPOLLOUT : 0), TAG(T_TCP, 0));
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

	sim_src_use(c->sim, idx, on);
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

	sim_frame_log(c->sim, idx, au, bytes);
}

static const struct sim_proto_ops tcp_ops = {
	t_send, t_fits, t_stream, t_want_key, t_logout, t_frame,
};

/* silent = keep the fd open without answering (drop-off), closed when the camera returns */
void sim_tcp_end(struct sim *s, int silent, const char *why)
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

void sim_on_accept(struct sim *s)
{
	struct tcp_client *c;
	int fd;

	while ((fd = accept4(s->tcp_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		/* one client at a time; a new connection replaces the old (neolink probes with a
		 * throw-away login, then reconnects) */
		if (s->tcp)
			sim_tcp_end(s, 0, "replaced by a new connection");
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
		if (sim_ep_add(s, fd, EPOLLIN, TAG(T_TCP, 0)) < 0) {
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

void sim_on_tcp(struct sim *s, uint32_t events, uint64_t now)
{
	struct tcp_client *c = s->tcp;
	ssize_t n;
	int r;

	if (!c)
		return;
	if (events & EPOLLOUT) {
		r = tcp_write_out(c);
		if (r < 0) {
			sim_tcp_end(s, 0, strerror(-r));
			return;
		}
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		n = recv(c->fd, s->rxbuf, sizeof(s->rxbuf), 0);
		if (n == 0) {
			sim_tcp_end(s, 0, "closed by the client");
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			sim_tcp_end(s, 0, strerror(errno));
			return;
		}
		r = sim_proto_input(&c->proto, s->rxbuf, (size_t)n, now);
		if (r < 0) {
			sim_tcp_end(s, 0, strerror(-r));
			return;
		}
	}
}

void sim_tcp_service(struct sim *s)
{
	struct tcp_client *c = s->tcp;
	int r;

	if (!c)
		return;
	r = tcp_write_out(c);
	if (r < 0)
		sim_tcp_end(s, 0, strerror(-r));
	else if (c->closing && !c->outq.len)
		sim_tcp_end(s, 0, "logout");
}

