#include "source/src_impl.h"
#include "util/clock.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void src_opts_defaults(struct src_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->kind = SRC_BC_UDP;
	o->max_encryption = 0x12;
	o->disc_ports[0] = 2018;
	o->disc_ports[1] = 2015;
	o->n_disc_ports = 2;
	o->rtsp_tcp = 1;
	o->file_fps = 15;
	o->backoff_min_ms = 500;
	o->backoff_max_ms = 30000;
	o->auth_retry_ms = 60000;
	o->connect_timeout_ms = 15000;
	o->read_timeout_ms = 10000;
	o->max_message_bytes = 4u << 20;
	o->max_frame_bytes = 8u << 20;
}

/* Exponential backoff with ±25 % jitter so many bridges don't hammer a camera in step. */
static unsigned next_backoff(unsigned cur, const struct src_opts *o, unsigned *seed)
{
	unsigned b = cur ? cur * 2 : o->backoff_min_ms;
	unsigned j;

	if (b > o->backoff_max_ms)
		b = o->backoff_max_ms;
	j = b / 4 ? (unsigned)rand_r(seed) % (b / 2 + 1) : 0;
	return b - b / 4 + j;
}

static void *session_thread(void *arg)
{
	struct src *s = arg;
	unsigned backoff = 0, seed = (unsigned)clock_mono_us();
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(60000, 3);
	uint64_t started;
	int r;

	pthread_setname_np(pthread_self(), "session");
	while (!atomic_load(&s->stop)) {
		if (!src_should_run(s)) {
			status_set_state(s->st, CAM_SLEEPING);
			src_link_event(s, EV_SLEEPING);
			src_wait(s, 1000);
			backoff = 0;
			continue;
		}
		status_set_state(s->st, CAM_CONNECTING);
		started = clock_mono_ms();
		r = s->o.kind == SRC_URL ? src_av_run(s) : src_bc_run(s);
		auq_mark_gap(s->q);
		if (atomic_load(&s->stop))
			break;
		if (r == 0)
			continue;
		STATUS_UPDATE(s->st, cs->reconnects++;);
		if (r == -EACCES) {
			status_set_state(s->st, CAM_AUTH_FAILED);
			src_link_event(s, EV_AUTH_FAILED);
			log_err("camera rejected the user name or password; retrying in %u s",
				s->o.auth_retry_ms / 1000);
			src_wait(s, s->o.auth_retry_ms);
			continue;
		}
		status_set_state(s->st, CAM_OFFLINE);
		src_link_event(s, EV_OFFLINE);
		if (r == -ENXIO) {
			/* The P2P servers do not know this UID: retrying soon will not change that. */
			log_err("no camera with UID %s is registered; retrying in %u s", s->o.uid,
				s->o.auth_retry_ms / 1000);
			src_wait(s, s->o.auth_retry_ms);
			continue;
		}
		if (clock_mono_ms() - started > 60000)
			backoff = 0;   /* a session that lasted is not a reconnect storm */
		backoff = next_backoff(backoff, &s->o, &seed);
		log_msg_ratelimited(&rl, LOG_WARNING, "camera session ended: %s; reconnecting in %u ms",
				    strerror(-r), backoff);
		src_wait(s, backoff);
	}
	return NULL;
}

int src_start(const struct src_opts *o, struct auq *q, struct status *st, struct src **out)
{
	struct src *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;
	int r;

	if (!s)
		return -ENOMEM;
	s->o = *o;
	s->q = q;
	s->st = st;
	s->ev_link = s->ev_battery = s->ev_charging = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	STATUS_UPDATE(st, snprintf(cs->source, sizeof(cs->source), "%s",
		o->kind == SRC_BC_UDP ? "bc-udp" : o->kind == SRC_BC_TCP ? "bc-tcp" :
		o->kind == SRC_BC_P2P ? "bc-p2p" : "url"););
	r = pthread_create(&s->thread, NULL, session_thread, s);
	if (r) {
		free(s);
		return -r;
	}
	*out = s;
	return 0;
}

void src_set_wanted(struct src *s, int wanted)
{
	if (atomic_exchange(&s->wanted, wanted) != wanted)
		src_wake(s);
}

void src_stop(struct src *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, 1);
	src_wake(s);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	explicit_bzero(s->o.password, sizeof(s->o.password));
	free(s);
}
