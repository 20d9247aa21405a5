#include "dump/dump_udp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bc/bcudp_xml.h"

void dump_udp_init(struct dump_udp *u)
{
	memset(u, 0, sizeof(*u));
}

static void held_clear(struct dump_udps *st)
{
	for (int i = 0; i < DUMP_UDP_REORDER; i++) {
		free(st->held[i].data);
		st->held[i].data = NULL;
		st->held[i].used = false;
	}
	st->n_held = 0;
	st->held_bytes = 0;
}

static void stream_free(struct dump_udps *st)
{
	held_clear(st);
	dump_bcs_free(&st->bc);
	st->used = false;
}

void dump_udp_free(struct dump_udp *u)
{
	for (int i = 0; i < DUMP_UDP_STREAMS; i++)
		if (u->s[i].used)
			stream_free(&u->s[i]);
}

size_t dump_udp_mem(const struct dump_udp *u)
{
	size_t n = 0;

	for (int i = 0; i < DUMP_UDP_STREAMS; i++)
		if (u->s[i].used)
			n += u->s[i].held_bytes + dump_bcs_mem(&u->s[i].bc);
	return n;
}

int dump_udp_frame_len(const uint8_t *buf, size_t len)
{
	size_t hdr, size_at;
	uint32_t size;

	if (len < 4)
		return 0;
	switch (rd_le32(buf)) {
	case BCUDP_MAGIC_DISC:
	case BCUDP_MAGIC_RELAY: hdr = BCUDP_DISC_HDR; size_at = 4; break;
	case BCUDP_MAGIC_DATA: hdr = BCUDP_DATA_HDR; size_at = 16; break;
	case BCUDP_MAGIC_ACK: hdr = BCUDP_ACK_HDR; size_at = 24; break;
	default: return -EBADMSG;
	}
	if (len < hdr)
		return 0;
	size = rd_le32(buf + size_at);
	if (size > BCUDP_MAX_PAYLOAD)
		return -EBADMSG;
	return (int)(hdr + size);
}

/* ---- streams ------------------------------------------------------------------------- */

static struct dump_udps *stream_get(struct dump *d, struct dump_udp *u, int32_t conn_id,
				    const struct dump_where *w)
{
	const char *src = w && w->src ? w->src : "", *dst = w && w->dst ? w->dst : "";
	struct dump_udps *st = NULL, *lru = NULL;

	for (int i = 0; i < DUMP_UDP_STREAMS; i++) {
		st = &u->s[i];
		if (st->used && st->conn_id == conn_id && !strcmp(st->src, src) && !strcmp(st->dst, dst))
			return st;
	}
	for (int i = 0; i < DUMP_UDP_STREAMS; i++) {
		st = &u->s[i];
		if (!st->used) {
			lru = st;
			break;
		}
		if (!lru || st->last_use < lru->last_use)
			lru = st;
	}
	st = lru;
	if (st->used) {
		dump_warning(d, st->bc.fed, &st->where,
			     "bcudp: more than %d data streams: forgetting the oldest (connection_id %d)",
			     DUMP_UDP_STREAMS, st->conn_id);
		dump_bcs_finish(d, &st->bc, &st->where);
		if (st->bc.peer)
			st->bc.peer->peer = NULL;
		stream_free(st);
	}
	memset(st, 0, sizeof(*st));
	st->used = true;
	st->conn_id = conn_id;
	snprintf(st->src, sizeof(st->src), "%s", src);
	snprintf(st->dst, sizeof(st->dst), "%s", dst);
	if (w)
		st->where = *w;
	st->where.src = st->src[0] ? st->src : NULL;
	st->where.dst = st->dst[0] ? st->dst : NULL;
	st->where.has_conn = true;
	st->where.conn_id = conn_id;
	dump_bcs_init(d, &st->bc);
	dump_bcs_crypto_from_opts(d, &st->bc);
	st->bc.lenient_tail = true;       /* datagrams may simply stop */
	/* The opposite direction shares the negotiated encryption: same endpoints swapped in a
	 * capture; in a file, the other stream (one session per file is the normal case). */
	for (int i = 0; i < DUMP_UDP_STREAMS; i++) {
		struct dump_udps *o = &u->s[i];
		if (o == st || !o->used || o->bc.peer)
			continue;
		if (src[0] ? (!strcmp(o->src, dst) && !strcmp(o->dst, src)) : !o->src[0]) {
			o->bc.peer = &st->bc;
			st->bc.peer = &o->bc;
			/* A stream joining late inherits what the other one negotiated. */
			st->bc.rd.ctx.crypto = o->bc.rd.ctx.crypto;
			break;
		}
	}
	return st;
}

static void deliver(struct dump *d, struct dump_udps *st, const uint8_t *p, size_t n)
{
	st->next_id++;
	dump_bcs_feed(d, &st->bc, p, n, &st->where);
}

/* Delivers held packets that are now in order. */
static void deliver_held(struct dump *d, struct dump_udps *st)
{
	bool again = true;

	while (again && st->n_held) {
		again = false;
		for (int i = 0; i < DUMP_UDP_REORDER; i++) {
			struct dump_udp_held *h = &st->held[i];
			if (h->used && h->id == st->next_id) {
				uint8_t *data = h->data;
				size_t len = h->len;
				h->used = false;
				h->data = NULL;
				st->n_held--;
				st->held_bytes -= len;
				deliver(d, st, data, len);
				free(data);
				again = true;
				break;
			}
		}
	}
}

/* Gives up waiting for next_id: skips to the lowest held id. */
static void skip_gap(struct dump *d, struct dump_udps *st)
{
	uint32_t low = 0;
	bool any = false;

	for (int i = 0; i < DUMP_UDP_REORDER; i++) {
		struct dump_udp_held *h = &st->held[i];
		if (h->used && (!any || (int32_t)(h->id - low) < 0)) {
			low = h->id;
			any = true;
		}
	}
	if (!any)
		return;
	dump_bcs_gap(d, &st->bc, 0, (uint32_t)(low - st->next_id), &st->where);
	st->next_id = low;
	deliver_held(d, st);
}

/* In-order delivery of one (non-duplicate) Data packet. */
static void data_in(struct dump *d, struct dump_udps *st, uint32_t id, const uint8_t *p, size_t n)
{
	if (!st->started) {
		st->started = true;
		st->next_id = id;
		st->bc.after_gap = id != 0;   /* joined mid-stream */
	}
	if ((int32_t)(id - st->next_id) < 0)
		return;
	if (id == st->next_id) {
		deliver(d, st, p, n);
		deliver_held(d, st);
		return;
	}
	for (int i = 0; i < DUMP_UDP_REORDER; i++)
		if (st->held[i].used && st->held[i].id == id)
			return;
	while (st->n_held == DUMP_UDP_REORDER || st->held_bytes + n > DUMP_UDP_HELD_MAX) {
		skip_gap(d, st);
		if ((int32_t)(id - st->next_id) <= 0)
			break;
	}
	if (id == st->next_id) {
		deliver(d, st, p, n);
		deliver_held(d, st);
		return;
	}
	if ((int32_t)(id - st->next_id) < 0)
		return;
	for (int i = 0; i < DUMP_UDP_REORDER; i++) {
		struct dump_udp_held *h = &st->held[i];
		if (h->used)
			continue;
		h->data = malloc(n ? n : 1);
		if (!h->data) {
			dump_error(d, st->bc.fed, &st->where, "bcudp: out of memory holding packet %u", id);
			return;
		}
		memcpy(h->data, p, n);
		h->len = n;
		h->id = id;
		h->used = true;
		st->n_held++;
		st->held_bytes += n;
		break;
	}
	return;
}

void dump_udp_finish(struct dump *d, struct dump_udp *u)
{
	for (int i = 0; i < DUMP_UDP_STREAMS; i++) {
		struct dump_udps *st = &u->s[i];
		if (!st->used)
			continue;
		while (st->n_held)
			skip_gap(d, st);
		dump_bcs_finish(d, &st->bc, &st->where);
	}
}

/* ---- items --------------------------------------------------------------------------- */

static void ep_out(struct jw *j, const char *key, const struct bcudp_ep *e)
{
	jw_obj(j, key);
	if (e->has_ip)
		jw_str(j, "ip", e->ip);
	if (e->has_port)
		jw_i64(j, "port", e->port);
	jw_obj_end(j);
}

static void fields_out(struct jw *j, const struct bcudp_msg *m)
{
	jw_obj(j, "fields");
	for (int f = 0; f < BCUDP_F_COUNT; f++) {
		const char *k = bcudp_field_name((enum bcudp_field)f);
		if (!(m->has & BCUDP_HAS(f)))
			continue;
		switch ((enum bcudp_field)f) {
		case BCUDP_F_UID: jw_str(j, k, m->uid); break;
		case BCUDP_F_CLI: ep_out(j, k, &m->cli); break;
		case BCUDP_F_TO: ep_out(j, k, &m->to); break;
		case BCUDP_F_CID: jw_i64(j, k, m->cid); break;
		case BCUDP_F_DID: jw_i64(j, k, m->did); break;
		case BCUDP_F_SID: jw_u64(j, k, m->sid); break;
		case BCUDP_F_MTU: jw_i64(j, k, m->mtu); break;
		case BCUDP_F_DEBUG: jw_str(j, k, m->debug); break;
		case BCUDP_F_P: jw_str(j, k, m->p); break;
		case BCUDP_F_CONN: jw_str(j, k, m->conn); break;
		case BCUDP_F_RSP: jw_i64(j, k, m->rsp); break;
		case BCUDP_F_TIMER:
			jw_obj(j, k);
			if (m->timer.has_def)
				jw_i64(j, "def", m->timer.def);
			if (m->timer.has_hb)
				jw_i64(j, "hb", m->timer.hb);
			if (m->timer.has_hbt)
				jw_i64(j, "hbt", m->timer.hbt);
			jw_obj_end(j);
			break;
		case BCUDP_F_TIME_R: jw_i64(j, k, m->time_r); break;
		case BCUDP_F_REG: ep_out(j, k, &m->reg); break;
		case BCUDP_F_RELAY: ep_out(j, k, &m->relay); break;
		case BCUDP_F_LOG: ep_out(j, k, &m->log); break;
		case BCUDP_F_T: ep_out(j, k, &m->t); break;
		case BCUDP_F_DEV: ep_out(j, k, &m->dev); break;
		case BCUDP_F_DMAP: ep_out(j, k, &m->dmap); break;
		case BCUDP_F_RELAYT: ep_out(j, k, &m->relayt); break;
		case BCUDP_F_NAT: jw_str(j, k, m->nat); break;
		case BCUDP_F_AC: jw_i64(j, k, m->ac); break;
		case BCUDP_F_FAMILY: jw_i64(j, k, m->family); break;
		case BCUDP_F_R: jw_i64(j, k, m->r); break;
		case BCUDP_F_VER: jw_i64(j, k, m->ver); break;
		case BCUDP_F_COUNT: break;
		}
	}
	jw_obj_end(j);
}

void dump_udp_datagram(struct dump *d, struct dump_udp *u, const uint8_t *buf, size_t len,
		       uint64_t off, const struct dump_where *w)
{
	struct bcudp_err e = { "" };
	struct bcudp_pkt p;
	struct jw *j = &d->jw;
	struct dump_udps *st = NULL;
	bool fresh = true;
	int n = bcudp_parse(buf, len, &p, &e);

	if (n < 0) {
		dump_error(d, off, w, "%s", e.msg);
		return;
	}
	if (p.type == BCUDP_DATA) {
		st = stream_get(d, u, p.conn_id, w);
		st->last_use = ++u->clock;
		if (w) {      /* newest packet number/time for the items this packet completes */
			st->where.packet = w->packet;
			st->where.time = w->time;
		}
		/* Printed before the BC items its payload completes. */
		if (!st->started || (int32_t)(p.packet_id - st->next_id) >= 0) {
			fresh = true;
			for (int i = 0; i < DUMP_UDP_REORDER; i++)
				if (st->held[i].used && st->held[i].id == p.packet_id)
					fresh = false;
		} else {
			fresh = false;
		}
	}

	dump_item_begin(d, "bcudp", off, w);
	jw_str(j, "kind", bcudp_type_name(p.type));
	jw_strf(j, "magic", "0x%08x", rd_le32(buf));
	jw_u64(j, "payload_size", p.payload_len);
	switch (p.type) {
	case BCUDP_DISC:
	case BCUDP_RELAY: {
		struct bcudp_msg m;
		size_t xl = p.payload_len;
		uint8_t *xml;

		sbuf_reset(&d->scratch);
		if (sbuf_add(&d->scratch, p.payload, xl) < 0) {
			jw_str(j, "xml_error", "no memory");
			break;
		}
		xml = d->scratch.data;

		jw_u64(j, "tid", p.tid);
		jw_strf(j, "crc", "0x%08x", p.crc);
		jw_bool(j, "crc_ok", p.crc_ok);
		if (p.unknown != 1)
			jw_u64(j, "unknown", p.unknown);
		bcudp_xor(xml, xl, p.tid);
		if (p.type == BCUDP_RELAY) {
			jw_hex(j, "head", p.payload, xl < 16 ? xl : 16);
			break;
		}
		jw_strn(j, "xml", xml, xl);
		if (bcudp_msg_parse(xml, xl, &m, &e) == 0) {
			jw_str(j, "msg", m.name);
			fields_out(j, &m);
		} else {
			jw_str(j, "xml_error", e.msg);
		}
		break;
	}
	case BCUDP_DATA:
		jw_i64(j, "connection_id", p.conn_id);
		jw_u64(j, "packet_id", p.packet_id);
		if (p.unknown)
			jw_u64(j, "unknown", p.unknown);
		if (!fresh)
			jw_bool(j, "duplicate", true);
		break;
	case BCUDP_ACK: {
		static const char hx[] = "01";
		char bm[129];
		size_t k;

		jw_i64(j, "connection_id", p.conn_id);
		jw_u64(j, "group_id", p.group_id);
		jw_u64(j, "packet_id", p.packet_id);
		jw_u64(j, "latency", p.latency);
		if (p.unknown)
			jw_u64(j, "unknown", p.unknown);
		/* bitmap: one char per packet after packet_id ('1' received, '0' missing, '?' other) */
		for (k = 0; k < p.payload_len && k < sizeof(bm) - 1; k++)
			bm[k] = p.payload[k] <= 1 ? hx[p.payload[k]] : '?';
		bm[k] = 0;
		jw_str(j, "bitmap", bm);
		if (p.payload_len > k)
			jw_bool(j, "bitmap_truncated", true);
		break;
	}
	}
	dump_item_end(d);
	if (p.type == BCUDP_DISC && !p.crc_ok)
		dump_error(d, off, w, "bcudp: checksum 0x%08x != 0x%08x of the payload (tid %u)",
			   p.crc, bcudp_crc(p.payload, p.payload_len), p.tid);
	if ((size_t)n < len)
		dump_warning(d, off + (size_t)n, w, "bcudp: %zu bytes after the packet in the datagram",
			     len - (size_t)n);
	if (st && fresh)
		data_in(d, st, p.packet_id, p.payload, p.payload_len);
}
