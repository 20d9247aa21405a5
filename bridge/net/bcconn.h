/* The reliable in-order byte stream of a BcUdp session (Data/Ack packets, BAICHUAN.md §7.4),
 * as a pure state machine for both ends: the bridge (client) and the simulator (camera).
 * It never reads a clock or touches a socket: the caller passes "now" (monotonic µs), feeds
 * received datagrams in and sends whatever bcconn_poll() hands out, then sleeps until
 * bcconn_next_deadline().  Checking the datagram's source address is the caller's job.
 *
 *   receive : reassembly across loss/duplication/reordering in a bounded window, delivered in
 *             packet_id order through bcconn_read(); ack = last in-order id + byte bitmap of
 *             later packets, every 10 ms.  Accepts bitmap and cumulative-only acks.
 *   send    : bytes cut into Data payloads ≤ mtu-20.  When the cumulative ack has not moved
 *             for 500 ms, a resend round goes back to the last acknowledged id and resends
 *             every packet in flight in order (go-back-N, what in-order-only peers such as
 *             camera_proxy need), skipping those a bitmap ack reported; then 500 ms again.
 *   session : client sends C2D_HB every 1 s (camera D2C_HB optional); C2D_DISC/D2C_DISC/R2C_DISC
 *             → CLOSED_BY_PEER (answered with our DISC); 10 s of silence → TIMED_OUT. */
#ifndef CB_NET_BCCONN_H
#define CB_NET_BCCONN_H

#include <stddef.h>
#include <stdint.h>

#define BCCONN_ACK_US        10000u      /* official client acks every 10 ms */
#define BCCONN_RESEND_US     500000u     /* resend unacknowledged data */
#define BCCONN_HB_US         1000000u    /* C2D_HB period */
#define BCCONN_TIMEOUT_US    10000000u   /* silence before TIMED_OUT */
#define BCCONN_RX_WINDOW     1024u       /* default receive window (packets past the reader) */
#define BCCONN_TX_QUEUE      1024u       /* default send queue (packets, queued + in flight) */
#define BCCONN_TX_INFLIGHT   512u        /* default unacknowledged packets on the wire */
#define BCCONN_MAX_WINDOW    16384u      /* upper bound for the three above */
#define BCCONN_MIN_MTU       128u
#define BCCONN_MAX_MTU       9000u
#define BCCONN_RX_SLOT_MIN   1480u       /* accept Data payloads up to this even with a small mtu */
#define BCCONN_DISC_REPEAT   3           /* DISC datagrams sent on close / timeout */
#define BCCONN_BC_HDR        24          /* longest BC header: must not straddle two packets */
/* Largest datagram bcconn_poll() produces: the out buffer must hold this many bytes. */
#define BCCONN_DGRAM_MAX     (BCCONN_MAX_MTU + 64)

enum bcconn_role { BCCONN_CLIENT, BCCONN_CAMERA };
enum bcconn_state { BCCONN_OPEN, BCCONN_CLOSED_BY_PEER, BCCONN_TIMED_OUT, BCCONN_CLOSED };
/* Message placement for bcconn_write_msg (camera_proxy tears the session down when a BC
 * header straddles two datagrams). */
enum bcconn_align {
	BCCONN_ALIGN_WHOLE,          /* append to the current packet only if the whole message
				      * fits, else start a new one (real cameras: several small
				      * messages per packet, each ~1 KiB Argus 2 message alone) */
	BCCONN_ALIGN_HEADER,         /* append if its first BCCONN_BC_HDR bytes fit */
	BCCONN_ALIGN_PACKET,         /* every message starts a new packet */
};

struct bcconn_cfg {
	enum bcconn_role role;
	int32_t local_id;            /* id the peer addresses us with (client: cid, camera: did) */
	int32_t remote_id;           /* the peer's id (client: did, camera: cid) */
	unsigned mtu;                /* datagram size; Data payload ≤ mtu - 20 */
	uint32_t tid;                /* tid of our HB/DISC packets (client: that of the C2D_C) */
	unsigned tx_queue, tx_inflight, rx_window;   /* packets */
	int heartbeat;               /* send C2D_HB/D2C_HB every hb_us */
	int ack_bitmap;              /* 1: bitmap acks (default); 0: cumulative only */
	enum bcconn_align msg_align; /* how bcconn_write_msg places messages in packets */
	uint32_t ack_us, resend_us, hb_us, timeout_us;
};

struct bcconn_stats {
	uint64_t tx_datagrams, tx_data, tx_retrans, tx_acks, tx_ctrl, tx_bytes;
	uint64_t rx_datagrams, rx_data, rx_dup, rx_out_of_window, rx_oversize;
	uint64_t rx_gaps;            /* ids skipped when a later one arrived first (loss or reordering) */
	uint64_t rx_acks, rx_ctrl, rx_bad, rx_foreign, rx_bytes;
	uint32_t tx_queued, tx_inflight, rx_buffered;      /* packets, right now */
	uint32_t latency_us;         /* mean interval between the peer's acks, last second */
};

struct bcconn;

/* Defaults: mtu 1350, windows above, heartbeat on for the client and off for the camera,
 * bitmap acks, BCCONN_ALIGN_WHOLE. */
void bcconn_cfg_defaults(struct bcconn_cfg *cfg, enum bcconn_role role, int32_t local_id,
			 int32_t remote_id);
/* 0, -EINVAL (mtu or a window out of range), -ENOMEM.  `now` starts the silence timer. */
int bcconn_new(const struct bcconn_cfg *cfg, uint64_t now, struct bcconn **out);
void bcconn_free(struct bcconn *c);

/* One received datagram (may hold several BcUdp packets).  0 = consumed; 1 = it held a
 * discovery/control packet bcconn does not handle (e.g. a repeated D2C_CFM or C2D_C): the
 * caller may decode it with bcudp_parse + bcudp_msg_decode; -EBADMSG = malformed (dropped,
 * counted).  Packets for another connection id are ignored. */
int bcconn_on_datagram(struct bcconn *c, const uint8_t *buf, size_t len, uint64_t now);

/* Queue stream bytes, all or nothing: len, -ENOBUFS (queue full: retry later or drop),
 * -EMSGSIZE (larger than the whole queue), -EPIPE (not open). */
int bcconn_write(struct bcconn *c, const void *buf, size_t len);
/* Same for one complete BC message, placed per cfg.msg_align: a message's header never
 * straddles two packets and messages never interleave. */
int bcconn_write_msg(struct bcconn *c, const void *msg, size_t len);
/* Bytes bcconn_write() accepts right now (bcconn_write_msg may need up to one packet more,
 * as it can skip the room left in the last packet). */
size_t bcconn_tx_space(const struct bcconn *c);
/* 1 when everything written has been acknowledged. */
int bcconn_tx_idle(const struct bcconn *c);

/* In-order received bytes: count copied (0 = none yet). */
size_t bcconn_read(struct bcconn *c, void *buf, size_t max);
size_t bcconn_readable(const struct bcconn *c);

/* Next datagram to send now: its length, 0 when nothing is due.  Call until it returns 0.
 * out must hold BCCONN_DGRAM_MAX bytes (-ENOSPC otherwise). */
int bcconn_poll(struct bcconn *c, uint64_t now, uint8_t *out, size_t cap);
/* Absolute time of the next thing to do (≤ now when poll has something; UINT64_MAX: idle). */
uint64_t bcconn_next_deadline(const struct bcconn *c, uint64_t now);

/* Local close: state CLOSED, poll then yields BCCONN_DISC_REPEAT DISC datagrams. */
void bcconn_close(struct bcconn *c);
/* Evaluates the silence timer too. */
enum bcconn_state bcconn_state(struct bcconn *c, uint64_t now);
const char *bcconn_state_name(enum bcconn_state s);
void bcconn_get_stats(const struct bcconn *c, struct bcconn_stats *st);

#endif
