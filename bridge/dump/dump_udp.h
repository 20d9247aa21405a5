/* BcUdp datagrams: one "bcudp" item each (discovery XML decrypted and parsed, data/ack
 * ids), and the Data payloads put back in packet_id order into one BC stream per direction
 * (key: the UDP endpoints in a capture, the receiver's connection_id in a file). */
#ifndef CB_DUMP_UDP_H
#define CB_DUMP_UDP_H

#include "bc/bcudp_pkt.h"
#include "dump/dump_bc.h"

#define DUMP_UDP_STREAMS   32          /* BC-over-UDP directions tracked (LRU evicted) */
#define DUMP_UDP_REORDER   64          /* out-of-order Data packets held per direction */
#define DUMP_UDP_HELD_MAX  (1u << 20)  /* … and their bytes */
#define DUMP_EP_MAX        64          /* "[v6addr]:port" */

struct dump_udp_held {
	bool used;
	uint32_t id;
	size_t len;
	uint8_t *data;
};

struct dump_udps {
	bool used;
	char src[DUMP_EP_MAX], dst[DUMP_EP_MAX];   /* "" for file input */
	int32_t conn_id;
	uint64_t last_use;
	bool started;
	uint32_t next_id;
	unsigned n_held;
	size_t held_bytes;
	struct dump_udp_held held[DUMP_UDP_REORDER];
	struct dump_where where;    /* src/dst point into this struct */
	struct dump_bcs bc;
};

struct dump_udp {
	struct dump_udps s[DUMP_UDP_STREAMS];
	uint64_t clock;
};

void dump_udp_init(struct dump_udp *u);
void dump_udp_free(struct dump_udp *u);
/* One datagram at stream offset off (w NULL for file input). */
void dump_udp_datagram(struct dump *d, struct dump_udp *u, const uint8_t *buf, size_t len,
		       uint64_t off, const struct dump_where *w);
/* End of input: held packets are delivered across their gaps, streams finished. */
void dump_udp_finish(struct dump *d, struct dump_udp *u);
size_t dump_udp_mem(const struct dump_udp *u);

/* Length of the BcUdp packet at buf (header + payload_size), 0 if more bytes are needed to
 * tell, -EBADMSG if buf does not start with a BcUdp magic or the size is over the limit. */
int dump_udp_frame_len(const uint8_t *buf, size_t len);

#endif
