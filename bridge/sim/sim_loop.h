/* cam-sim's event loop, inside view: the state the loop's parts share.  Only sim_run.c
 * (set-up, loop, media), sim_udp.c (the UDP session), sim_tcp.c (the TCP client) and
 * sim_life.c (battery, motion, sleep, drop-off; signals and the control FIFO) include it. */
#ifndef CB_SIM_LOOP_H
#define CB_SIM_LOOP_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>

#include "net/bcconn.h"
#include "sim/sim_impair.h"
#include "sim/sim_media.h"
#include "sim/sim_msgs.h"
#include "sim/sim_proto.h"
#include "sim/sim_run.h"
#include "util/sbuf.h"

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
	uint64_t next_motion, motion_end;   /* motion_end 0: no alarm, or held until 'alarm end' */
	int alarm_on;
	char alarm_ai[16];                  /* the AItype of the alarm going on */
	uint64_t dg_tx, dg_rx, dg_since;    /* UDP datagrams (discovery + session) since dg_since */
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

/* sim_run.c */
int sim_ep_add(struct sim *s, int fd, uint32_t events, uint64_t tag);
void sim_ep_mod(struct sim *s, int fd, uint32_t events, uint64_t tag);
void sim_set_power(struct sim *s, enum power p, uint64_t now);
void sim_src_use(struct sim *s, int idx, int on);
void sim_frame_log(struct sim *s, int idx, const struct sim_au *au, size_t bytes);

/* sim_udp.c: returns the next deadline (UINT64_MAX: none) */
void sim_udp_end(struct sim *s, int flush, const char *why);
uint64_t sim_udp_service(struct sim *s, uint64_t now);
void sim_on_disc(struct sim *s, int i, uint64_t now);
void sim_on_sess(struct sim *s, uint64_t now);
/* Logs the datagram counters and their rate per minute (the cost of a session to a camera). */
void sim_udp_log_counts(struct sim *s, uint64_t now);

/* sim_tcp.c */
void sim_tcp_end(struct sim *s, int silent, const char *why);
void sim_tcp_service(struct sim *s);
void sim_on_accept(struct sim *s);
void sim_on_tcp(struct sim *s, uint32_t events, uint64_t now);

/* sim_life.c */
uint64_t sim_life_service(struct sim *s, uint64_t now);
void sim_motion(struct sim *s, uint64_t now);
/* type as --alarm-type; len_us 0 = held until sim_alarm_end. */
void sim_alarm(struct sim *s, const char *type, uint64_t len_us, uint64_t now);
void sim_alarm_end(struct sim *s);
void sim_dropoff(struct sim *s, int seconds, uint64_t now);
void sim_on_fifo(struct sim *s, uint64_t now);
void sim_on_signal(struct sim *s, uint64_t now);

#endif
