/* BcUdp packets (battery cameras): Discovery/control (0x2a87cf3a), Data (0x2a87cf10) and Ack
 * (0x2a87cf20) headers, the discovery XML cipher and checksum.  Pure functions over buffers.
 * Lenient when parsing (odd "unknown" words and bad CRCs are reported, not fatal), strict when
 * building.  See BAICHUAN.md §7. */
#ifndef CB_BC_BCUDP_PKT_H
#define CB_BC_BCUDP_PKT_H

#include <stddef.h>
#include <stdint.h>

#define BCUDP_MAGIC_DISC   0x2a87cf3au
#define BCUDP_MAGIC_ACK    0x2a87cf20u
#define BCUDP_MAGIC_DATA   0x2a87cf10u
#define BCUDP_MAGIC_RELAY  0x2a87cf31u   /* dissector only; same layout as discovery */

#define BCUDP_DISC_HDR     20
#define BCUDP_DATA_HDR     20
#define BCUDP_ACK_HDR      28

#define BCUDP_MTU_DEFAULT  1350
/* Largest payload we accept or build: an IPv4 UDP datagram minus our smallest header. */
#define BCUDP_MAX_PAYLOAD  (65507 - BCUDP_DATA_HDR)
/* Largest discovery XML we decrypt and parse (real ones are < 1 KiB). */
#define BCUDP_MAX_XML      8192

#define BCUDP_ID_NONE      0xffffffffu   /* ack packet_id/group_id "nothing received yet" */

enum bcudp_type { BCUDP_DISC = 1, BCUDP_DATA, BCUDP_ACK, BCUDP_RELAY };

/* One parsed packet.  `payload` points into the parsed buffer: the encrypted XML (discovery),
 * the stream bytes (data) or the bitmap (ack). */
struct bcudp_pkt {
	enum bcudp_type type;
	uint32_t unknown;       /* word at offset 8 as received (1 for discovery, 0 otherwise) */
	/* discovery / relay */
	uint32_t tid;
	uint32_t crc;           /* as received */
	int crc_ok;             /* crc == bcudp_crc(payload) */
	/* data / ack */
	int32_t conn_id;        /* the receiver's connection id */
	uint32_t packet_id;
	uint32_t group_id;      /* ack */
	uint32_t latency;       /* ack "maybe_latency" */
	const uint8_t *payload;
	size_t payload_len;
};

/* Human-readable reason for the last parse error, naming the field. */
struct bcudp_err { char msg[128]; };

/* CRC-32 (poly 0x04C11DB7 reflected, init 0, xorout 0) – "123456789" → 0x2dfd2d88. */
uint32_t bcudp_crc(const void *buf, size_t len);
/* XOR with the UDP key words + tid (32-bit wrapping); symmetric, in place. */
void bcudp_xor(void *buf, size_t len, uint32_t tid);

/* Parses the packet at the start of buf.  Returns the bytes consumed (header + payload, > 0) or
 * -EBADMSG (unknown magic, truncated header, payload_size beyond the buffer).  e may be NULL. */
int bcudp_parse(const uint8_t *buf, size_t len, struct bcudp_pkt *p, struct bcudp_err *e);
/* Stream parser over back-to-back packets: 1 = *p filled and *off advanced, 0 = end of buffer,
 * < 0 = error at *off. */
int bcudp_parse_next(const uint8_t *buf, size_t len, size_t *off, struct bcudp_pkt *p,
		     struct bcudp_err *e);

/* Builders write into out[cap] and return the datagram length, -ENOSPC when cap is too small,
 * -EMSGSIZE when the payload is over BCUDP_MAX_PAYLOAD, -EINVAL for values the protocol
 * forbids. */
int bcudp_build_data(uint8_t *out, size_t cap, int32_t conn_id, uint32_t packet_id,
		     const void *payload, size_t len);
/* group_id must be 0 or BCUDP_ID_NONE. */
int bcudp_build_ack(uint8_t *out, size_t cap, int32_t conn_id, uint32_t group_id,
		    uint32_t packet_id, uint32_t latency, const uint8_t *bitmap, size_t bitmap_len);
/* Encrypts the plaintext XML with tid and adds the checksum. */
int bcudp_build_disc(uint8_t *out, size_t cap, uint32_t tid, const void *xml, size_t len);
/* Re-serialises a parsed packet (discovery payload is taken as already encrypted; the checksum
 * is recomputed).  Strict: the unknown word is written as the protocol constant. */
int bcudp_serialize(const struct bcudp_pkt *p, uint8_t *out, size_t cap);

/* Decrypts a discovery packet's XML into out[cap] (≥ payload_len); returns its length,
 * -EBADMSG on a checksum mismatch or a non-discovery packet, -E2BIG over BCUDP_MAX_XML. */
int bcudp_disc_decrypt(const struct bcudp_pkt *p, uint8_t *out, size_t cap, struct bcudp_err *e);

const char *bcudp_type_name(enum bcudp_type t);

#endif
