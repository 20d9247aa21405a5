/* The camera side of one Baichuan connection (a BcUdp session or a TCP client), independent
 * of the transport: login and encryption negotiation, the replies, camera-initiated messages
 * (252 battery, 78 VideoInput, 33 motion, 234 keep-alive) and media packaging.  The transport
 * is reached through ops; nothing here blocks, reads a clock or touches a socket. */
#ifndef CB_SIM_PROTO_H
#define CB_SIM_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bc/bc_crypto.h"
#include "bc/bc_reader.h"
#include "sim/sim_cfg.h"
#include "sim/sim_media.h"
#include "sim/sim_msgs.h"
#include "util/sbuf.h"

#define SIM_KEEPALIVE_US   4000000u   /* msg 234 period (UDP only) */
#define SIM_MAX_MSG        (256u << 10) /* largest client message accepted */

struct sim_proto_ops {
	/* one complete BC message: 0, -ENOBUFS (no room: caller drops), other < 0 = fatal */
	int (*send)(void *op, const uint8_t *msg, size_t len);
	/* can n_msgs messages totalling bytes be queued now? */
	int (*fits)(void *op, size_t n_msgs, size_t bytes);
	/* a stream started (on = 1) or stopped (0); want_key asks its source for a keyframe */
	void (*stream)(void *op, int idx, int on);
	void (*want_key)(void *op, int idx);
	/* the client logged out (msg 2): end the connection */
	void (*logout)(void *op);
	/* a video frame went out (frame log) */
	void (*frame_sent)(void *op, int idx, const struct sim_au *au, size_t bytes);
};

/* Camera-wide state the sessions report (owned by the loop). */
struct sim_cam_state {
	int battery;
	int charging;
};

enum sim_login { SIM_LOGIN_NONE, SIM_LOGIN_NONCE, SIM_LOGIN_OK };

struct sim_pstream {
	int active;
	int need_key;                /* dropping until the next I-frame */
	struct bc_header tmpl;       /* the start request: msg_num, channel, stream_type */
	uint64_t frames, dropped, bytes;
};

struct sim_proto_stats {
	uint64_t rx_msgs, rx_bad, tx_msgs, logins_ok, logins_failed, unknown;
	uint64_t ka_sent, ka_answered, ka_missed;
	uint64_t alarms_sent;
};

struct sim_proto {
	const struct sim_cfg *cfg;
	const struct sim_cam_state *cam;
	struct sim_proto_ops ops;
	void *op;
	size_t chunk;                /* media payload per BC message */
	int udp;

	struct bc_reader rd;
	struct bc_crypto tx;
	enum sim_login login;
	unsigned enc;
	char nonce[SIM_NONCE_LEN + 1];
	uint8_t channel;             /* byte 12 of the client's login: our events echo it */
	int alarms_on;               /* the client asked for alarm reports (msg 31) */
	struct sim_pstream st[SIM_NSTREAMS];
	int h265[SIM_NSTREAMS];

	uint16_t ka_num;
	int ka_outstanding;
	uint64_t ka_next;

	uint32_t last_counter;       /* marker of the newest main-stream picture (snapshots) */
	uint16_t snap_num;           /* msg_num the camera picks for snapshot chunks */

	struct sbuf out, xml, ext, media;
	struct sim_proto_stats stats;
	int dead;                    /* a fatal send error */
};

/* udp selects the media chunk size (1010 vs 40000) and the keep-alives. */
int sim_proto_init(struct sim_proto *p, const struct sim_cfg *cfg, const struct sim_cam_state *cam,
		   int udp, const struct sim_proto_ops *ops, void *op);
void sim_proto_free(struct sim_proto *p);
/* The streams' codecs (from the sources). */
void sim_proto_set_codec(struct sim_proto *p, int idx, int h265);

/* Bytes received from the client.  0, or negative errno when the connection must end. */
int sim_proto_input(struct sim_proto *p, const void *data, size_t len, uint64_t now_us);
/* Timers (keep-alive).  Returns the next deadline (monotonic µs, UINT64_MAX = none). */
uint64_t sim_proto_tick(struct sim_proto *p, uint64_t now_us);

int sim_proto_logged_in(const struct sim_proto *p);
/* Camera-initiated messages (no-ops before login). */
void sim_proto_push_battery(struct sim_proto *p);
/* msg 33 (only after the client's msg 31): ai as sim_xml_alarm. */
void sim_proto_push_alarm(struct sim_proto *p, const char *ai);
/* One AU from stream idx's source.  Packages and sends it if the stream is active. */
void sim_proto_media(struct sim_proto *p, int idx, const struct sim_au *au, time_t now);
/* Stop every stream (connection ending): reports them stopped through ops. */
void sim_proto_stop_all(struct sim_proto *p);

#endif
