/* Runs a pure datagram state machine (discovery, P2P) on a real socket with the monotonic
 * clock: send what it hands out, sleep until its next deadline or a datagram, feed datagrams
 * in, until it says it is finished. */
#ifndef CB_NET_UDPDRIVE_H
#define CB_NET_UDPDRIVE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* "Should this blocking step go on?"  Checked at least every UDP_CANCEL_SLICE_MS, so a stop
 * request or a viewer who left ends discovery/P2P at once instead of after its timeout. */
#define UDP_CANCEL_SLICE_MS 50
struct udp_cancel {
	int (*keep_going)(void *ctx);   /* NULL = never cancelled */
	void *ctx;
};

struct udp_machine {
	void *m;
	/* Next datagram due: its length (and *to), 0 when nothing is due, < 0 error. */
	int (*poll)(void *m, uint64_t now, uint8_t *out, size_t cap, struct sockaddr_in *to);
	/* A received datagram; 1 = finished now (stop reading), otherwise ignored result. */
	int (*on_datagram)(void *m, const uint8_t *buf, size_t len, const struct sockaddr_in *from,
			   uint64_t now);
	uint64_t (*next_deadline)(void *m, uint64_t now);
	/* 1 when the machine has reached a final state. */
	int (*finished)(void *m, uint64_t now);
	struct udp_cancel cancel;
};

/* 0 once finished (the caller reads the machine's result), -ECANCELED when um->cancel said
 * stop, or -errno for a socket error.
 * *send_err: 0 if some datagram went out, else the last send error (e.g. no route), so a
 * timeout can be reported as what it really was. */
int udp_drive(int fd, const struct udp_machine *um, int *send_err);

#endif
