/* cam-sim: set-up, the epoll loop, and what it shares with its parts (epoll, power, media). */
#include "sim/sim_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "net/udpsock.h"
#include "util/clock.h"
#include "util/log.h"

/* ---- helpers -------------------------------------------------------------------------- */

int sim_ep_add(struct sim *s, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void sim_ep_mod(struct sim *s, int fd, uint32_t events, uint64_t tag)
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
	sim_ep_mod(s, s->tcp_fd, on ? EPOLLIN : 0, TAG(T_LISTEN, 0));
	s->tcp_listening = on;
}

void sim_set_power(struct sim *s, enum power p, uint64_t now)
{
	if (s->power != p)
		log_notice("camera %s", power_name(p));
	s->power = p;
	if (p == P_AWAKE)
		s->idle_since = now;
	set_listener(s);
}

/* ---- media sources -------------------------------------------------------------------- */

void sim_src_use(struct sim *s, int idx, int on)
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

void sim_frame_log(struct sim *s, int idx, const struct sim_au *au, size_t bytes)
{
	if (!s->frame_log)
		return;
	fprintf(s->frame_log, "%u %llu %llu %s %c %zu\n", au->counter,
		(unsigned long long)clock_mono_us(), (unsigned long long)clock_real_us(),
		idx == SIM_MAIN ? "main" : "sub", au->keyframe ? 'I' : 'P', bytes);
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
	sim_ep_add(s, s->tfd, EPOLLIN, TAG(T_TIMER, 0));
	sim_ep_add(s, s->sfd, EPOLLIN, TAG(T_SIGNAL, 0));
	sim_ep_add(s, s->efd, EPOLLIN, TAG(T_MEDIA, 0));

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
		sim_ep_add(s, fd, EPOLLIN, TAG(T_DISC, s->n_disc));
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
		sim_ep_add(s, s->tcp_fd, EPOLLIN, TAG(T_LISTEN, 0));
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
		sim_ep_add(s, s->fifo_fd, EPOLLIN, TAG(T_FIFO, 0));
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
	sim_udp_end(s, 1, "exit");
	sim_tcp_end(s, 0, "exit");
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
	s->idle_since = s->last_drain = s->dg_since = now;
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
		next = sim_life_service(s, now);
		t = sim_udp_service(s, now);
		if (t < next)
			next = t;
		sim_tcp_service(s);
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
			case T_DISC: sim_on_disc(s, (int)idx, now); break;
			case T_SESS: sim_on_sess(s, now); break;
			case T_LISTEN: sim_on_accept(s); break;
			case T_TCP: sim_on_tcp(s, ev[i].events, now); break;
			case T_TIMER: {
				uint64_t x;
				if (read(s->tfd, &x, sizeof(x)) < 0) {
					/* EAGAIN: re-armed before it fired */
				}
				break;
			}
			case T_SIGNAL: sim_on_signal(s, now); break;
			case T_MEDIA: on_media(s); break;
			case T_FIFO: sim_on_fifo(s, now); break;
			}
		}
	}
	log_notice("exiting");
	teardown(s);
	sim_udp_log_counts(s, clock_mono_us());
	free(s);
	return r < 0 ? r : 0;
}
