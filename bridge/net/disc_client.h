/* Client-side local discovery (BAICHUAN.md §7.3): send C2D_C{uid, cli port, cid, mtu, debug, p}
 * with a fresh tid to every destination (broadcast and/or unicast, ports 2015/2018) every
 * 500 ms until a D2C_C_R with our cid arrives or 15 s pass.  The camera answers from its
 * session socket, so the reply's SOURCE address is the camera for the rest of the session,
 * and the socket used here must be the one that then carries the session.
 *
 * disc_client_* is a pure state machine (fake-clock testable); disc_local() drives it on a
 * socket with the monotonic clock. */
#ifndef CB_NET_DISC_CLIENT_H
#define CB_NET_DISC_CLIENT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "bc/bcudp_xml.h"
#include "net/udpdrive.h"

#define DISC_MAX_DESTS   32
#define DISC_RESEND_US   500000u
#define DISC_TIMEOUT_US  15000000u
#define DISC_PORT_A      2018
#define DISC_PORT_B      2015
#define DISC_TID_RANGE   4096u       /* small tids, like the official client and camera_proxy */

struct disc_client_cfg {
	char uid[BCUDP_STR_MAX];
	int32_t cid;                 /* our connection id (random per attempt) */
	uint16_t cli_port;           /* our socket's local port */
	int32_t mtu;                 /* 1350 */
	char p[8];                   /* "MAC" */
	char debug[8];               /* "0" (official client) */
	struct sockaddr_in dest[DISC_MAX_DESTS];
	int ndest;
	uint32_t seed;               /* tid generator */
	uint32_t resend_us, timeout_us;
	struct udp_cancel cancel;    /* disc_local() ends with -ECANCELED when it says stop */
};

enum disc_state { DISC_RUNNING, DISC_FOUND, DISC_REFUSED, DISC_TIMED_OUT };

struct disc_result {
	struct sockaddr_in camera;   /* source address of the D2C_C_R */
	int32_t cid, did;
	uint32_t tid;                /* tid of the reply (use it for C2D_HB) */
	int32_t rsp;
	struct bcudp_timer timer;
};

struct disc_client {
	struct disc_client_cfg cfg;
	enum disc_state state;
	uint64_t deadline, next_round;
	int next_dest;               /* next destination of the current round, -1 = round done */
	uint32_t rng;
	uint64_t sent;
	struct disc_result res;
};

/* mtu 1350, p "MAC", debug "0", 500 ms / 15 s; uid, cid, port, seed and destinations unset. */
void disc_client_cfg_defaults(struct disc_client_cfg *cfg);
/* Random cid (31-bit, non-zero) and tid seed from getrandom(): 0 or -errno. */
int disc_client_cfg_randomize(struct disc_client_cfg *cfg);
/* 0 or -ENOSPC (DISC_MAX_DESTS), -EINVAL (bad IPv4 text). */
int disc_client_add_dest(struct disc_client_cfg *cfg, const char *ip, uint16_t port);
/* 255.255.255.255 and every interface broadcast address (only ifname's if set) × ports:
 * count added or -errno. */
int disc_client_add_broadcasts(struct disc_client_cfg *cfg, const char *ifname,
			       const uint16_t *ports, int nports);

/* 0 or -EINVAL (no uid or no destination). */
int disc_client_init(struct disc_client *d, const struct disc_client_cfg *cfg, uint64_t now);
/* Next C2D_C to send now: length (and *to), 0 when nothing is due, < 0 error. */
int disc_client_poll(struct disc_client *d, uint64_t now, uint8_t *out, size_t cap,
		     struct sockaddr_in *to);
/* A received datagram: 1 = finished (FOUND, or REFUSED on rsp ≠ 0), 0 = not for us,
 * < 0 = malformed (ignored; the caller may log it at debug level). */
int disc_client_on_datagram(struct disc_client *d, const uint8_t *buf, size_t len,
			    const struct sockaddr_in *from, uint64_t now);
uint64_t disc_client_next_deadline(const struct disc_client *d, uint64_t now);
enum disc_state disc_client_state(struct disc_client *d, uint64_t now);

/* Blocking: runs discovery on fd (bound, SO_BROADCAST as needed).  0 and *res, -ETIMEDOUT,
 * -ECONNREFUSED (camera answered rsp ≠ 0), or a socket error when no C2D_C could be sent. */
int disc_local(int fd, const struct disc_client_cfg *cfg, struct disc_result *res);

#endif
