#include "bc/bcudp_pkt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "util/sbuf.h"

static const uint32_t udp_key[8] = {
	0x1f2d3c4b, 0x5a6c7f8d, 0x38172e4b, 0x8271635a,
	0x863f1a2b, 0xa5c6f7d8, 0x8371e1b4, 0x17f2d3a5,
};

__attribute__((format(printf, 2, 3)))
static int seterr(struct bcudp_err *e, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

uint32_t bcudp_crc(const void *buf, size_t len)
{
	/* zlib's CRC inverts on entry and exit; seeding with ~0 and inverting the result cancels
	 * both, leaving init 0 / xorout 0. */
	return (uint32_t)crc32_z(0xffffffffUL, buf, len) ^ 0xffffffffu;
}

void bcudp_xor(void *buf, size_t len, uint32_t tid)
{
	uint8_t ks[32], *p = buf;

	for (int k = 0; k < 8; k++)
		wr_le32(ks + 4 * k, udp_key[k] + tid);
	for (size_t i = 0; i < len; i++)
		p[i] ^= ks[i & 31];
}

const char *bcudp_type_name(enum bcudp_type t)
{
	switch (t) {
	case BCUDP_DISC: return "discovery";
	case BCUDP_DATA: return "data";
	case BCUDP_ACK: return "ack";
	case BCUDP_RELAY: return "relay";
	}
	return "?";
}

int bcudp_parse(const uint8_t *buf, size_t len, struct bcudp_pkt *p, struct bcudp_err *e)
{
	uint32_t magic, size;
	size_t hdr;

	memset(p, 0, sizeof(*p));
	if (len < 4)
		return seterr(e, "bcudp: datagram of %zu bytes has no magic", len);
	magic = rd_le32(buf);
	switch (magic) {
	case BCUDP_MAGIC_DISC: p->type = BCUDP_DISC; hdr = BCUDP_DISC_HDR; break;
	case BCUDP_MAGIC_RELAY: p->type = BCUDP_RELAY; hdr = BCUDP_DISC_HDR; break;
	case BCUDP_MAGIC_DATA: p->type = BCUDP_DATA; hdr = BCUDP_DATA_HDR; break;
	case BCUDP_MAGIC_ACK: p->type = BCUDP_ACK; hdr = BCUDP_ACK_HDR; break;
	default:
		return seterr(e, "bcudp: magic 0x%08x unknown", magic);
	}
	if (len < hdr)
		return seterr(e, "bcudp: %s header needs %zu bytes, have %zu",
			      bcudp_type_name(p->type), hdr, len);
	p->unknown = rd_le32(buf + 8);
	switch (p->type) {
	case BCUDP_DISC:
	case BCUDP_RELAY:
		size = rd_le32(buf + 4);
		p->tid = rd_le32(buf + 12);
		p->crc = rd_le32(buf + 16);
		break;
	case BCUDP_DATA:
		p->conn_id = (int32_t)rd_le32(buf + 4);
		p->packet_id = rd_le32(buf + 12);
		size = rd_le32(buf + 16);
		break;
	default:
		p->conn_id = (int32_t)rd_le32(buf + 4);
		p->group_id = rd_le32(buf + 12);
		p->packet_id = rd_le32(buf + 16);
		p->latency = rd_le32(buf + 20);
		size = rd_le32(buf + 24);
		break;
	}
	if (size > BCUDP_MAX_PAYLOAD)
		return seterr(e, "bcudp: %s payload_size %u > limit %d",
			      bcudp_type_name(p->type), size, BCUDP_MAX_PAYLOAD);
	if (size > len - hdr)
		return seterr(e, "bcudp: %s payload_size %u > %zu bytes left in datagram",
			      bcudp_type_name(p->type), size, len - hdr);
	p->payload = buf + hdr;
	p->payload_len = size;
	if (p->type == BCUDP_DISC || p->type == BCUDP_RELAY)
		p->crc_ok = bcudp_crc(p->payload, size) == p->crc;
	return (int)(hdr + size);
}

int bcudp_parse_next(const uint8_t *buf, size_t len, size_t *off, struct bcudp_pkt *p,
		     struct bcudp_err *e)
{
	int r;

	if (*off >= len)
		return 0;
	r = bcudp_parse(buf + *off, len - *off, p, e);
	if (r < 0)
		return r;
	*off += (size_t)r;
	return 1;
}

int bcudp_build_data(uint8_t *out, size_t cap, int32_t conn_id, uint32_t packet_id,
		     const void *payload, size_t len)
{
	if (len > BCUDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (cap < BCUDP_DATA_HDR + len)
		return -ENOSPC;
	wr_le32(out, BCUDP_MAGIC_DATA);
	wr_le32(out + 4, (uint32_t)conn_id);
	wr_le32(out + 8, 0);
	wr_le32(out + 12, packet_id);
	wr_le32(out + 16, (uint32_t)len);
	if (len)
		memmove(out + BCUDP_DATA_HDR, payload, len);
	return (int)(BCUDP_DATA_HDR + len);
}

int bcudp_build_ack(uint8_t *out, size_t cap, int32_t conn_id, uint32_t group_id,
		    uint32_t packet_id, uint32_t latency, const uint8_t *bitmap, size_t bitmap_len)
{
	if (group_id != 0 && group_id != BCUDP_ID_NONE)
		return -EINVAL;
	if (bitmap_len > BCUDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (cap < BCUDP_ACK_HDR + bitmap_len)
		return -ENOSPC;
	wr_le32(out, BCUDP_MAGIC_ACK);
	wr_le32(out + 4, (uint32_t)conn_id);
	wr_le32(out + 8, 0);
	wr_le32(out + 12, group_id);
	wr_le32(out + 16, packet_id);
	wr_le32(out + 20, latency);
	wr_le32(out + 24, (uint32_t)bitmap_len);
	if (bitmap_len)
		memmove(out + BCUDP_ACK_HDR, bitmap, bitmap_len);
	return (int)(BCUDP_ACK_HDR + bitmap_len);
}

static int build_disc_raw(uint8_t *out, size_t cap, uint32_t magic, uint32_t tid,
			  const void *payload, size_t len, int encrypt)
{
	if (len > BCUDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (cap < BCUDP_DISC_HDR + len)
		return -ENOSPC;
	if (len)
		memmove(out + BCUDP_DISC_HDR, payload, len);
	if (encrypt)
		bcudp_xor(out + BCUDP_DISC_HDR, len, tid);
	wr_le32(out, magic);
	wr_le32(out + 4, (uint32_t)len);
	wr_le32(out + 8, 1);
	wr_le32(out + 12, tid);
	wr_le32(out + 16, bcudp_crc(out + BCUDP_DISC_HDR, len));
	return (int)(BCUDP_DISC_HDR + len);
}

int bcudp_build_disc(uint8_t *out, size_t cap, uint32_t tid, const void *xml, size_t len)
{
	return build_disc_raw(out, cap, BCUDP_MAGIC_DISC, tid, xml, len, 1);
}

int bcudp_serialize(const struct bcudp_pkt *p, uint8_t *out, size_t cap)
{
	switch (p->type) {
	case BCUDP_DISC:
		return build_disc_raw(out, cap, BCUDP_MAGIC_DISC, p->tid, p->payload,
				      p->payload_len, 0);
	case BCUDP_RELAY:
		return build_disc_raw(out, cap, BCUDP_MAGIC_RELAY, p->tid, p->payload,
				      p->payload_len, 0);
	case BCUDP_DATA:
		return bcudp_build_data(out, cap, p->conn_id, p->packet_id, p->payload,
					p->payload_len);
	case BCUDP_ACK:
		return bcudp_build_ack(out, cap, p->conn_id, p->group_id, p->packet_id,
				       p->latency, p->payload, p->payload_len);
	}
	return -EINVAL;
}

int bcudp_disc_decrypt(const struct bcudp_pkt *p, uint8_t *out, size_t cap, struct bcudp_err *e)
{
	if (p->type != BCUDP_DISC)
		return seterr(e, "bcudp: %s packet is not discovery", bcudp_type_name(p->type));
	if (!p->crc_ok)
		return seterr(e, "bcudp: discovery crc 0x%08x != computed 0x%08x (tid %u)",
			      p->crc, bcudp_crc(p->payload, p->payload_len), p->tid);
	if (p->payload_len > BCUDP_MAX_XML || p->payload_len > cap) {
		if (e)
			snprintf(e->msg, sizeof(e->msg),
				 "bcudp: discovery payload_size %zu > limit %d", p->payload_len,
				 BCUDP_MAX_XML);
		return -E2BIG;
	}
	memcpy(out, p->payload, p->payload_len);
	bcudp_xor(out, p->payload_len, p->tid);
	return (int)p->payload_len;
}
