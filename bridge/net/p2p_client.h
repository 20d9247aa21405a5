/* Client side of Reolink-style P2P (BAICHUAN.md §8): find a camera by UID through lookup
 * servers, register with the register server it names, then connect to the camera directly
 * ("dev": we send C2D_T; or the camera sends D2C_T and we answer C2D_A), via the NAT mapping
 * ("map": the camera dials us) or through the relay server ("relay").  Every packet goes out
 * of ONE socket, the one that then carries the Data/Ack session: the camera (or relay) learns
 * our address from it.
 *
 *   lookup   : C2M_Q{uid, p} to every server every 500 ms; the first M2C_Q_R from one of
 *              them with a usable reg and relay wins.  rsp ≠ 0 ("-3": UID unknown) from all
 *              servers, or from one with no better answer within a grace period → UNKNOWN_UID.
 *   register : C2R_C{uid, cli ip+port, relay, cid, …} to reg every 500 ms until R2C_C_R from
 *              reg with a sid and a usable dev/dmap/relay; rsp -1/-3 → REFUSED.
 *   connect  : in parallel, first success wins —
 *              dev   C2D_T{sid, local, cid, mtu} to dev every 500 ms; D2C_CFM{sid, cid, did}
 *                    (any source: the camera answers from its session socket) → peer = source;
 *                    an unsolicited D2C_T{sid, local, cid, did} from dmap (or dev) is answered
 *                    with C2D_A (same tid) until its D2C_CFM arrives;
 *              map   the same for D2C_T{conn map} from dmap (no C2D_T of ours);
 *              relay C2D_T{sid, relay, cid, mtu} to the relay after a 500 ms stagger;
 *                    D2C_CFM{conn relay} from the relay → peer = relay.
 *   confirm  : C2R_CFM{sid, conn, rsp 0, cid, did} to reg a few times, send-and-forget.
 *
 * Replies from unexpected sources, with another sid/cid, or for a disabled mode are ignored.
 * p2p_client_* is a pure state machine (fake-clock testable); p2p_connect() drives it on a
 * socket with the monotonic clock. */
#ifndef CB_NET_P2P_CLIENT_H
#define CB_NET_P2P_CLIENT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "bc/bcudp_xml.h"
#include "net/udpdrive.h"

#define P2P_MAX_SERVERS     32           /* lookup server addresses (after DNS) */
#define P2P_RESEND_US       500000u
#define P2P_LOOKUP_US       15000000u    /* neolink MAXIMUM_WAIT */
#define P2P_REGISTER_US     15000000u
#define P2P_CONNECT_US      15000000u
#define P2P_RELAY_DELAY_US  500000u      /* neolink staggers relay after the direct methods */
#define P2P_NEG_GRACE_US    2000000u     /* after a "UID unknown", how long a better answer may take */
#define P2P_CFM_REPEAT      3            /* C2R_CFM datagrams */
#define P2P_CFM_GAP_US      50000u
#define P2P_TID_RANGE       4096u

/* Connection methods (cfg.modes) */
#define P2P_MODE_DEV        1u           /* remote: C2D_T to dev, D2C_T(local) from dmap */
#define P2P_MODE_MAP        2u           /* D2C_T(map) from dmap */
#define P2P_MODE_RELAY      4u
#define P2P_MODE_ALL        (P2P_MODE_DEV | P2P_MODE_MAP | P2P_MODE_RELAY)

struct p2p_client_cfg {
	char uid[BCUDP_STR_MAX];
	int32_t cid;                 /* our connection id (random per attempt) */
	struct in_addr cli_ip;       /* our LAN IPv4, told to the register server */
	uint16_t cli_port;           /* our socket's local port */
	int32_t mtu;                 /* 1350 */
	char p[8];                   /* "MAC" */
	char debug[16];              /* "0" */
	struct sockaddr_in server[P2P_MAX_SERVERS];
	int nserver;
	unsigned modes;              /* P2P_MODE_* */
	uint32_t seed;               /* tid generator */
	uint32_t resend_us, lookup_us, register_us, connect_us;
	uint32_t relay_delay_us, neg_grace_us, cfm_gap_us;
	struct udp_cancel cancel;    /* p2p_connect() ends with -ECANCELED when it says stop */
	int cfm_repeat;
};

enum p2p_state {
	P2P_LOOKUP, P2P_REGISTER, P2P_CONNECT, P2P_CONFIRM,     /* running */
	P2P_CONNECTED,
	P2P_UNKNOWN_UID,             /* lookup servers do not know the UID */
	P2P_REFUSED,                 /* register server answered rsp -1/-3 */
	P2P_TIMED_OUT,               /* res.failed_in says in which phase */
};

/* How the session was established */
enum p2p_via { P2P_VIA_NONE, P2P_VIA_DEV, P2P_VIA_DEV_DEVICE, P2P_VIA_MAP, P2P_VIA_RELAY };

struct p2p_result {
	struct sockaddr_in peer;     /* session peer: the camera, or the relay */
	int32_t cid, did;
	uint32_t sid;
	uint32_t tid;                /* tid of the confirmed exchange (use it for C2D_HB) */
	enum p2p_via via;
	int32_t mtu;
	/* what the servers said (0.0.0.0:0 when absent or unusable) */
	struct sockaddr_in lookup_server, reg, relay, dev, dmap;
	int32_t rsp;                 /* the rsp of a refusal */
	enum p2p_state failed_in;    /* phase that timed out */
	int noanswer;                /* servers/camera never answered at all in failed_in */
};

struct p2p_slot {                    /* one repeating transmission */
	uint64_t next;               /* UINT64_MAX = off */
	uint32_t tid;
	struct sockaddr_in to;
};

struct p2p_client {
	struct p2p_client_cfg cfg;
	enum p2p_state state;
	uint64_t deadline;           /* of the current phase */
	uint64_t neg_deadline;       /* lookup: UNKNOWN_UID unless a good answer comes first */
	uint32_t neg_mask;           /* lookup servers that answered "unknown" */
	int next_server;             /* lookup round in progress: next index, -1 = done */
	struct p2p_slot lookup, reg, dev, relay, answer, cfm;
	int32_t answer_did;          /* C2D_A in flight: did and conn of the camera's D2C_T */
	char answer_conn[8];
	enum p2p_via answer_via;
	int cfm_left;
	int heard;                   /* something relevant arrived in the current phase */
	uint32_t rng;
	uint64_t sent;
	struct p2p_result res;
};

/* mtu 1350, p "MAC", debug "0", all modes, timings above; the rest unset. */
void p2p_client_cfg_defaults(struct p2p_client_cfg *cfg);
/* Random cid (31-bit, non-zero) and tid seed from getrandom(): 0 or -errno. */
int p2p_client_cfg_randomize(struct p2p_client_cfg *cfg);
/* Numeric IPv4: 0, -ENOSPC (P2P_MAX_SERVERS), -EINVAL. */
int p2p_client_add_server(struct p2p_client_cfg *cfg, const char *ip, uint16_t port);
/* "host:port" (port defaults to 9999), resolved with getaddrinfo (blocking; every IPv4
 * address is added, duplicates skipped): count added, -EINVAL (syntax), -EHOSTUNREACH
 * (does not resolve), -ENOSPC. */
int p2p_client_add_server_str(struct p2p_client_cfg *cfg, const char *hostport);

/* 0 or -EINVAL (no uid, no server, no mode, no cid). */
int p2p_client_init(struct p2p_client *c, const struct p2p_client_cfg *cfg, uint64_t now);
/* Next datagram to send now: length (and *to), 0 when nothing is due, < 0 error. */
int p2p_client_poll(struct p2p_client *c, uint64_t now, uint8_t *out, size_t cap,
		    struct sockaddr_in *to);
/* A received datagram: 1 = it moved the state machine (phase change, end, or a D2C_T to
 * answer), 0 = ignored (not for us / unexpected), < 0 = malformed (ignored too). */
int p2p_client_on_datagram(struct p2p_client *c, const uint8_t *buf, size_t len,
			   const struct sockaddr_in *from, uint64_t now);
uint64_t p2p_client_next_deadline(const struct p2p_client *c, uint64_t now);
/* Evaluates the timers too. */
enum p2p_state p2p_client_state(struct p2p_client *c, uint64_t now);
const char *p2p_state_name(enum p2p_state s);
const char *p2p_via_name(enum p2p_via v);
/* One line on why it failed (or how it connected), naming the phase and addresses; no
 * secrets (the UID is not secret).  Returns buf. */
const char *p2p_client_describe(const struct p2p_client *c, char *buf, size_t len);

/* Blocking: runs the whole exchange on fd (bound, nonblocking or not).  0 and *res;
 * -ENXIO (UID unknown), -ECONNREFUSED (registration refused), -ETIMEDOUT, or a socket
 * error when nothing could be sent.  why (may be NULL) gets p2p_client_describe(). */
int p2p_connect(int fd, const struct p2p_client_cfg *cfg, struct p2p_result *res, char *why,
		size_t whylen);

#endif
