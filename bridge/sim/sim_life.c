/* cam-sim: the camera's life (battery, motion, sleep, drop-off) and its controls (signals, the
 * control FIFO). */
#include "sim/sim_loop.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"

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

static void do_alarm(struct sim_proto *p, void *arg)
{
	sim_proto_push_alarm(p, arg);
}

void sim_alarm(struct sim *s, const char *type, uint64_t len_us, uint64_t now)
{
	/* plain motion is MD with AItype none; an AI alarm names its type */
	snprintf(s->alarm_ai, sizeof(s->alarm_ai), "%s", strcmp(type, "motion") ? type : "none");
	log_info("%s alarm%s", type, len_us ? "" : " (held)");
	each_proto(s, do_alarm, s->alarm_ai);
	s->alarm_on = 1;
	s->motion_end = len_us ? now + len_us : 0;
}

void sim_alarm_end(struct sim *s)
{
	s->motion_end = 0;
	if (!s->alarm_on)
		return;
	s->alarm_on = 0;
	log_info("alarm end");
	each_proto(s, do_alarm, NULL);
}

void sim_motion(struct sim *s, uint64_t now)
{
	sim_alarm(s, s->cfg->alarm_type, SIM_MOTION_LEN_US, now);
}

void sim_dropoff(struct sim *s, int seconds, uint64_t now)
{
	log_notice("dropping off the network for %d s", seconds);
	/* lost Wi-Fi: nothing is sent, not even a D2C_DISC; the session state is gone */
	sim_udp_end(s, 0, "drop-off");
	sim_tcp_end(s, 1, "drop-off");
	s->dropoff_until = now + (uint64_t)seconds * 1000000u;
	sim_set_power(s, P_DROPOFF, now);
}

static void go_to_sleep(struct sim *s, uint64_t now)
{
	sim_udp_end(s, 0, "sleep");
	sim_tcp_end(s, 0, "sleep");
	sim_set_power(s, P_ASLEEP, now);
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

uint64_t sim_life_service(struct sim *s, uint64_t now)
{
	const struct sim_cfg *cfg = s->cfg;
	uint64_t t = UINT64_MAX;

	if (s->power == P_DROPOFF) {
		if (now >= s->dropoff_until) {
			if (s->tcp_zombie >= 0) {
				close(s->tcp_zombie);
				s->tcp_zombie = -1;
			}
			sim_set_power(s, P_AWAKE, now);
		} else {
			return s->dropoff_until;
		}
	}
	if (s->power == P_WAKING) {
		if (now >= s->wake_at)
			sim_set_power(s, P_AWAKE, now);
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
			sim_motion(s, now);
			s->next_motion = now + (uint64_t)cfg->motion_every * 1000000u;
		}
		if (s->next_motion < t)
			t = s->next_motion;
	}
	if (s->motion_end) {
		if (now >= s->motion_end)
			sim_alarm_end(s);
		else if (s->motion_end < t) {
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
	char cmd[32] = "", arg[32] = "", arg2[32] = "";
	long v;

	if (sscanf(line, "%31s %31s %31s", cmd, arg, arg2) < 1)
		return;
	if (!strcmp(cmd, "dropoff")) {
		v = arg[0] ? strtol(arg, NULL, 10) : s->cfg->dropoff_seconds;
		sim_dropoff(s, v > 0 && v < 86400 ? (int)v : s->cfg->dropoff_seconds, now);
	} else if (!strcmp(cmd, "motion")) {
		if (s->power == P_AWAKE)
			sim_motion(s, now);
	} else if (!strcmp(cmd, "alarm")) {
		if (!strcmp(arg, "end")) {
			sim_alarm_end(s);
		} else if (sim_check_alarm_type(arg) == 0) {
			v = arg2[0] ? strtol(arg2, NULL, 10) : 0;
			if (s->power == P_AWAKE)
				sim_alarm(s, arg, v > 0 && v < 86400 ? (uint64_t)v * 1000000u : 0, now);
		} else {
			log_warn("control: alarm: unknown type '%s' (motion, people, vehicle, dog_cat, "
				 "face or end)", arg);
			return;
		}
	} else if (!strcmp(cmd, "stats")) {
		sim_udp_log_counts(s, now);
		if (!strcmp(arg, "reset")) {
			s->dg_tx = s->dg_rx = 0;
			s->dg_since = now;
		}
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
			sim_set_power(s, P_AWAKE, now);
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

void sim_on_fifo(struct sim *s, uint64_t now)
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

void sim_on_signal(struct sim *s, uint64_t now)
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
				sim_motion(s, now);
			break;
		case SIGUSR2:
			sim_dropoff(s, s->cfg->dropoff_seconds, now);
			break;
		}
	}
}

