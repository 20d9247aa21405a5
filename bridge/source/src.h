/* A camera source: a thread ("session") that connects, logs in, streams and reconnects,
 * pushing compressed access units into an auq and camera facts into the status.
 * The same interface serves Baichuan (UDP, TCP, P2P) and any libavformat URL. */
#ifndef CB_SOURCE_SRC_H
#define CB_SOURCE_SRC_H

#include <stddef.h>
#include <stdint.h>

#include "source/auq.h"
#include "hub/status.h"

enum src_kind { SRC_BC_UDP, SRC_BC_TCP, SRC_BC_P2P, SRC_URL };

#define SRC_MAX_DISC_PORTS 4
#define SRC_MAX_P2P_SERVERS 16

struct ev_bus;
struct camsnap;

struct src_opts {
	enum src_kind kind;
	char url[1024];              /* SRC_URL: what libavformat opens (may hold a password) */
	char host[256];              /* bc-udp/bc-tcp: camera address; "" = broadcast discovery */
	int port;                    /* bc-tcp: 9000; bc-udp unicast: discovery port, 0 = 2018+2015 */
	char uid[64];                /* bc-udp / bc-p2p */
	char user[64];
	char password[128];
	int substream;               /* 0 = main, 1 = sub */
	int max_encryption;          /* highest offered: 0x00, 0x01, 0x02 or 0x12 */
	char iface[32];              /* broadcast interface, "" = all */
	int disc_ports[SRC_MAX_DISC_PORTS];
	int n_disc_ports;
	char p2p_servers[SRC_MAX_P2P_SERVERS][128]; /* "host:port" */
	int n_p2p_servers;
	int rtsp_tcp;                /* URL sources: RTSP over TCP */
	int rtsp_listen;             /* rtsp://: be the server the camera pushes to */
	int file_fps;                /* local files without a frame rate of their own play at this */
	unsigned read_timeout_ms;    /* no data this long: reconnect */
	unsigned backoff_min_ms, backoff_max_ms;
	unsigned auth_retry_ms;      /* wait after a rejected password */
	unsigned connect_timeout_ms;
	size_t max_message_bytes;    /* largest BC message accepted */
	size_t max_frame_bytes;      /* largest media frame accepted */
	int wake_on_demand;          /* start streaming only while src_set_wanted(1) */
	int wake_events;             /* Baichuan: the session stays open for alarm reports; video
	                                only while src_set_wanted(1) */
	struct ev_bus *events;       /* camera alarms and state changes go here (NULL = none) */
	struct camsnap *camsnap;     /* asks for the camera's own JPEG (msg 109; NULL = none) */
};

void src_opts_defaults(struct src_opts *o);

struct src;

/* Starts the session thread.  The source writes into q and st until src_stop. */
int src_start(const struct src_opts *o, struct auq *q, struct status *st, struct src **out);
/* On-demand and events modes: 1 = someone watches, open (or keep) the camera session; 0 = close it. */
void src_set_wanted(struct src *s, int wanted);
/* Stops streaming, logs out, disconnects and joins the thread (within ~1 s). */
void src_stop(struct src *s);

#endif
