#include "dump/dump_pcap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "bc/bc_header.h"
#include "dump/dump_bc.h"
#include "dump/dump_udp.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_ACK 0x10

struct tcp_seg {
	bool used;
	uint32_t seq;
	uint32_t len;
	uint8_t *data;
};

struct tcp_dir {
	bool started;
	uint32_t isn, next;           /* stream offset = seq - isn */
	bool have_ack;
	uint32_t peer_acked;          /* highest ack the other side sent for this direction */
	bool hole;
	double hole_since;
	unsigned n_segs;
	size_t seg_bytes;
	struct tcp_seg seg[DUMP_TCP_OOO_SEGS];
	char src[DUMP_EP_MAX], dst[DUMP_EP_MAX];
	struct dump_where where;
	struct dump_bcs bc;
};

struct tcp_flow {
	bool used;
	int family;
	uint8_t addr[2][16];
	uint16_t port[2];
	uint64_t last_use;
	struct tcp_dir dir[2];        /* dir[0]: endpoint 0 → endpoint 1 */
};

struct pcap_ctx {
	struct dump *d;
	struct tcp_flow *flows;
	struct dump_udp udp;
	uint64_t clock;
	uint64_t packets, non_ip, fragments, other_tcp, other_udp, truncated;
};

/* ---- TCP reassembly -------------------------------------------------------------------- */

static void deliver(struct dump *d, struct tcp_dir *t, const uint8_t *p, uint32_t n)
{
	t->next += n;
	dump_bcs_feed(d, &t->bc, p, n, &t->where);
}

static void seg_drop(struct tcp_dir *t, struct tcp_seg *s)
{
	free(s->data);
	s->data = NULL;
	s->used = false;
	t->n_segs--;
	t->seg_bytes -= s->len;
}

/* Delivers held segments that now continue the stream. */
static void deliver_held(struct dump *d, struct tcp_dir *t, double now)
{
	bool again = true;

	while (again && t->n_segs) {
		again = false;
		for (int i = 0; i < DUMP_TCP_OOO_SEGS; i++) {
			struct tcp_seg *s = &t->seg[i];
			if (!s->used || (int32_t)(s->seq - t->next) > 0)
				continue;
			if ((int32_t)(s->seq + s->len - t->next) > 0) {
				uint32_t skip = t->next - s->seq;
				uint8_t *data = s->data;
				uint32_t len = s->len;
				s->data = NULL;
				seg_drop(t, s);
				deliver(d, t, data + skip, len - skip);
				free(data);
			} else {
				seg_drop(t, s);
			}
			again = true;
			break;
		}
	}
	t->hole = t->n_segs > 0;
	t->hole_since = now;
}

/* The bytes before the lowest held segment are not in the capture: skip them. */
static void skip_gap(struct dump *d, struct tcp_dir *t, double now)
{
	uint32_t low = 0;
	bool any = false;

	for (int i = 0; i < DUMP_TCP_OOO_SEGS; i++)
		if (t->seg[i].used && (!any || (int32_t)(t->seg[i].seq - low) < 0)) {
			low = t->seg[i].seq;
			any = true;
		}
	if (!any)
		return;
	dump_bcs_gap(d, &t->bc, low - t->next, 0, &t->where);
	t->next = low;
	deliver_held(d, t, now);
}

static void hold(struct dump *d, struct tcp_dir *t, uint32_t seq, const uint8_t *p, uint32_t n,
		 double now)
{
	while (t->n_segs == DUMP_TCP_OOO_SEGS || t->seg_bytes + n > DUMP_TCP_OOO_BYTES) {
		skip_gap(d, t, now);
		if ((int32_t)(seq - t->next) <= 0)
			break;
	}
	if ((int32_t)(seq - t->next) <= 0) {
		uint32_t skip = t->next - seq;
		if (skip < n) {
			deliver(d, t, p + skip, n - skip);
			deliver_held(d, t, now);
		}
		return;
	}
	for (int i = 0; i < DUMP_TCP_OOO_SEGS; i++) {
		struct tcp_seg *s = &t->seg[i];
		if (s->used)
			continue;
		if (!(s->data = malloc(n))) {
			dump_error(d, t->bc.fed, &t->where, "tcp: out of memory holding a segment");
			return;
		}
		memcpy(s->data, p, n);
		s->seq = seq;
		s->len = n;
		s->used = true;
		t->n_segs++;
		t->seg_bytes += n;
		if (!t->hole) {
			t->hole = true;
			t->hole_since = now;
		}
		return;
	}
}

static void tcp_data(struct dump *d, struct tcp_dir *t, uint32_t seq, const uint8_t *p, uint32_t n,
		     double now)
{
	if ((int32_t)(seq - t->next) <= 0) {
		uint32_t skip = t->next - seq;
		if ((int32_t)(seq + n - t->next) <= 0)
			return;                     /* retransmission of delivered bytes */
		deliver(d, t, p + skip, n - skip);
		deliver_held(d, t, now);
		return;
	}
	/* Ahead of what we have.  If the receiver already acknowledged the missing bytes, the
	 * capture lost them: a gap now.  Otherwise wait a little for reordered segments. */
	if (t->have_ack && (int32_t)(t->peer_acked - t->next) > 0) {
		hold(d, t, seq, p, n, now);
		skip_gap(d, t, now);
		return;
	}
	hold(d, t, seq, p, n, now);
}

static void dir_finish(struct dump *d, struct tcp_dir *t)
{
	while (t->n_segs)
		skip_gap(d, t, 0);
	dump_bcs_finish(d, &t->bc, &t->where);
}

static void flow_free(struct tcp_flow *f)
{
	for (int k = 0; k < 2; k++) {
		struct tcp_dir *t = &f->dir[k];
		for (int i = 0; i < DUMP_TCP_OOO_SEGS; i++)
			if (t->seg[i].used)
				seg_drop(t, &t->seg[i]);
		dump_bcs_free(&t->bc);
	}
	f->used = false;
}

static void ep_str(char *out, size_t size, int family, const uint8_t *a, uint16_t port)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family, a, ip, sizeof(ip));
	if (family == AF_INET6)
		snprintf(out, size, "[%s]:%u", ip, port);
	else
		snprintf(out, size, "%s:%u", ip, port);
}

static void dir_init(struct dump *d, struct tcp_flow *f, int k)
{
	struct tcp_dir *t = &f->dir[k];

	memset(t, 0, sizeof(*t));
	ep_str(t->src, sizeof(t->src), f->family, f->addr[k], f->port[k]);
	ep_str(t->dst, sizeof(t->dst), f->family, f->addr[!k], f->port[!k]);
	t->where.pcap = true;
	t->where.proto = "tcp";
	t->where.src = t->src;
	t->where.dst = t->dst;
	dump_bcs_init(d, &t->bc);
	dump_bcs_crypto_from_opts(d, &t->bc);
	t->bc.lenient_tail = true;    /* a capture may stop anywhere */
}

static size_t alen(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static bool has_bc_magic(const uint8_t *p, size_t n)
{
	static const uint8_t m1[4] = { 0xf0, 0xde, 0xbc, 0x0a }, m2[4] = { 0xa0, 0xcb, 0xed, 0x0f };

	return memmem(p, n, m1, 4) || memmem(p, n, m2, 4);
}

static size_t ctx_mem(const struct pcap_ctx *c)
{
	size_t n = dump_udp_mem(&c->udp);

	for (int i = 0; i < DUMP_TCP_FLOWS; i++) {
		const struct tcp_flow *f = &c->flows[i];
		if (f->used)
			for (int k = 0; k < 2; k++)
				n += f->dir[k].seg_bytes + dump_bcs_mem(&f->dir[k].bc);
	}
	return n;
}

static void evict(struct pcap_ctx *c, struct tcp_flow *f, const char *why)
{
	dump_warning(c->d, f->dir[0].bc.fed, &f->dir[0].where, "tcp: forgetting this connection (%s)",
		     why);
	dir_finish(c->d, &f->dir[0]);
	dir_finish(c->d, &f->dir[1]);
	flow_free(f);
}

/* Finds the flow and which direction src→dst is; creates it only for payloads that hold a
 * BC magic (other TCP traffic in the capture is ignored). */
static struct tcp_flow *flow_get(struct pcap_ctx *c, int family, const uint8_t *src, uint16_t sport,
				 const uint8_t *dst, uint16_t dport, const uint8_t *p, size_t n,
				 int *dir)
{
	size_t al = alen(family);
	struct tcp_flow *f, *lru = NULL;

	for (int i = 0; i < DUMP_TCP_FLOWS; i++) {
		f = &c->flows[i];
		if (!f->used || f->family != family)
			continue;
		for (int k = 0; k < 2; k++)
			if (!memcmp(f->addr[k], src, al) && f->port[k] == sport &&
			    !memcmp(f->addr[!k], dst, al) && f->port[!k] == dport) {
				*dir = k;
				return f;
			}
	}
	if (!n || !has_bc_magic(p, n))
		return NULL;
	for (int i = 0; i < DUMP_TCP_FLOWS; i++) {
		f = &c->flows[i];
		if (!f->used) {
			lru = f;
			break;
		}
		if (!lru || f->last_use < lru->last_use)
			lru = f;
	}
	f = lru;
	if (f->used)
		evict(c, f, "too many connections");
	memset(f, 0, sizeof(*f));
	f->used = true;
	f->family = family;
	memcpy(f->addr[0], src, al);
	memcpy(f->addr[1], dst, al);
	f->port[0] = sport;
	f->port[1] = dport;
	dir_init(c->d, f, 0);
	dir_init(c->d, f, 1);
	f->dir[0].bc.peer = &f->dir[1].bc;
	f->dir[1].bc.peer = &f->dir[0].bc;
	*dir = 0;
	return f;
}

static void tcp_packet(struct pcap_ctx *c, int family, const uint8_t *src, const uint8_t *dst,
		       const uint8_t *p, size_t n, uint64_t pkt, double now)
{
	struct tcp_flow *f;
	struct tcp_dir *t, *o;
	uint32_t seq, ack;
	uint16_t sport, dport;
	size_t hl;
	uint8_t flags;
	int k;

	if (n < 20 || (hl = (size_t)(p[12] >> 4) * 4) < 20 || hl > n) {
		c->truncated++;
		return;
	}
	sport = (uint16_t)(p[0] << 8 | p[1]);
	dport = (uint16_t)(p[2] << 8 | p[3]);
	seq = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	ack = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	flags = p[13];
	p += hl;
	n -= hl;
	f = flow_get(c, family, src, sport, dst, dport, p, n, &k);
	if (!f) {
		c->other_tcp++;
		return;
	}
	f->last_use = ++c->clock;
	t = &f->dir[k];
	o = &f->dir[!k];
	for (int i = 0; i < 2; i++) {
		f->dir[i].where.packet = pkt;
		f->dir[i].where.time = now;
	}
	if (flags & TH_SYN) {
		t->started = true;
		t->isn = t->next = seq + 1;
		return;
	}
	if ((flags & TH_ACK) && (!o->have_ack || (int32_t)(ack - o->peer_acked) > 0)) {
		o->peer_acked = ack;
		o->have_ack = true;
		if (o->started && o->n_segs && (int32_t)(ack - o->next) > 0)
			skip_gap(c->d, o, now);
	}
	if (n) {
		if (!t->started) {
			t->started = true;
			t->isn = t->next = seq;
			t->bc.after_gap = true;    /* joined mid-stream: garbage before the first magic */
		}
		tcp_data(c->d, t, seq, p, (uint32_t)n, now);
	}
	for (int i = 0; i < 2; i++)
		if (f->dir[i].hole && now - f->dir[i].hole_since > DUMP_TCP_HOLD_SECS)
			skip_gap(c->d, &f->dir[i], now);
}

/* ---- lower layers ---------------------------------------------------------------------- */

static void udp_packet(struct pcap_ctx *c, int family, const uint8_t *src, const uint8_t *dst,
		       const uint8_t *p, size_t n, uint64_t pkt, double now)
{
	char s[DUMP_EP_MAX], t[DUMP_EP_MAX];
	struct dump_where w = { .pcap = true, .packet = pkt, .time = now, .proto = "udp" };
	size_t ulen;

	if (n < 8) {
		c->truncated++;
		return;
	}
	ulen = (size_t)(p[4] << 8 | p[5]);
	if (ulen >= 8 && ulen < n)
		n = ulen;
	if (n < 12 || p[9] != 0xcf || p[10] != 0x87 || p[11] != 0x2a) {
		c->other_udp++;
		return;
	}
	ep_str(s, sizeof(s), family, src, (uint16_t)(p[0] << 8 | p[1]));
	ep_str(t, sizeof(t), family, dst, (uint16_t)(p[2] << 8 | p[3]));
	w.src = s;
	w.dst = t;
	dump_udp_datagram(c->d, &c->udp, p + 8, n - 8, 0, &w);
}

static void ip_packet(struct pcap_ctx *c, const uint8_t *p, size_t n, uint64_t pkt, double now)
{
	uint8_t proto;
	const uint8_t *src, *dst;
	int family;

	if (n < 1) {
		c->non_ip++;
		return;
	}
	if (p[0] >> 4 == 4) {
		size_t ihl = (size_t)(p[0] & 15) * 4, tot;
		if (n < 20 || ihl < 20 || ihl > n) {
			c->truncated++;
			return;
		}
		tot = (size_t)(p[2] << 8 | p[3]);
		if (tot >= ihl && tot < n)
			n = tot;                    /* Ethernet padding */
		if ((p[6] & 0x3f) || p[7]) {        /* MF or a fragment offset */
			c->fragments++;
			return;
		}
		family = AF_INET;
		proto = p[9];
		src = p + 12;
		dst = p + 16;
		p += ihl;
		n -= ihl;
	} else if (p[0] >> 4 == 6) {
		size_t plen, off = 40;
		if (n < 40) {
			c->truncated++;
			return;
		}
		plen = (size_t)(p[4] << 8 | p[5]);
		if (plen + 40 < n)
			n = plen + 40;
		proto = p[6];
		src = p + 8;
		dst = p + 24;
		family = AF_INET6;
		/* hop-by-hop, routing, destination options; a fragment header ends it */
		while (proto == 0 || proto == 43 || proto == 60 || proto == 44) {
			if (proto == 44 || off + 8 > n) {
				c->fragments++;
				return;
			}
			proto = p[off];
			off += (size_t)(p[off + 1] + 1) * 8;
		}
		if (off > n) {
			c->truncated++;
			return;
		}
		p += off;
		n -= off;
	} else {
		c->non_ip++;
		return;
	}
	if (proto == 6)
		tcp_packet(c, family, src, dst, p, n, pkt, now);
	else if (proto == 17)
		udp_packet(c, family, src, dst, p, n, pkt, now);
}

static void ether_type(struct pcap_ctx *c, unsigned et, const uint8_t *p, size_t n, uint64_t pkt,
		       double now)
{
	if (et == 0x0800 || et == 0x86dd)
		ip_packet(c, p, n, pkt, now);
	else
		c->non_ip++;
}

static void link_packet(struct pcap_ctx *c, int dlt, const uint8_t *p, size_t n, uint64_t pkt,
			double now)
{
	unsigned et;

	switch (dlt) {
	case DLT_EN10MB:
		if (n < 14)
			break;
		et = (unsigned)(p[12] << 8 | p[13]);
		p += 14;
		n -= 14;
		while ((et == 0x8100 || et == 0x88a8) && n >= 4) {   /* VLAN tags */
			et = (unsigned)(p[2] << 8 | p[3]);
			p += 4;
			n -= 4;
		}
		ether_type(c, et, p, n, pkt, now);
		return;
	case DLT_LINUX_SLL:
		if (n < 16)
			break;
		ether_type(c, (unsigned)(p[14] << 8 | p[15]), p + 16, n - 16, pkt, now);
		return;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		if (n < 20)
			break;
		ether_type(c, (unsigned)(p[0] << 8 | p[1]), p + 20, n - 20, pkt, now);
		return;
#endif
	case DLT_NULL:
	case DLT_LOOP:
		if (n < 4)
			break;
		ip_packet(c, p + 4, n - 4, pkt, now);   /* family word: the IP version tells */
		return;
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
	case DLT_IPV6:
#endif
		ip_packet(c, p, n, pkt, now);
		return;
	default:
		break;
	}
	c->non_ip++;
}

static bool dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_NULL: case DLT_LOOP: case DLT_RAW:
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
#endif
#ifdef DLT_IPV4
	case DLT_IPV4: case DLT_IPV6:
#endif
		return true;
	}
	return false;
}

int dump_pcap_files(struct dump *d, char *const *files, int nfiles)
{
	struct pcap_ctx c;
	int ret = 0;

	memset(&c, 0, sizeof(c));
	c.d = d;
	c.flows = calloc(DUMP_TCP_FLOWS, sizeof(*c.flows));
	if (!c.flows) {
		dump_error(d, 0, NULL, "pcap: out of memory");
		return -ENOMEM;
	}
	dump_udp_init(&c.udp);
	for (int fi = 0; fi < nfiles && !ret; fi++) {
		char errbuf[PCAP_ERRBUF_SIZE] = "";
		struct pcap_pkthdr *ph;
		const u_char *data;
		pcap_t *pc = pcap_open_offline(files[fi], errbuf);
		int dlt, r;

		if (!pc) {
			dump_error(d, 0, NULL, "pcap: %s: %s", files[fi], errbuf);
			ret = -EIO;
			break;
		}
		dlt = pcap_datalink(pc);
		if (!dlt_supported(dlt))
			dump_error(d, 0, NULL, "pcap: %s: link type %s (%d) not supported", files[fi],
				   pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?",
				   dlt);
		while (dlt_supported(dlt) && (r = pcap_next_ex(pc, &ph, &data)) != PCAP_ERROR_BREAK) {
			double now;

			if (r == PCAP_ERROR) {
				dump_error(d, 0, NULL, "pcap: %s: packet %llu: %s", files[fi],
					   (unsigned long long)c.packets + 1, pcap_geterr(pc));
				ret = -EIO;
				break;
			}
			if (r != 1)
				continue;
			c.packets++;
			now = (double)ph->ts.tv_sec + (double)ph->ts.tv_usec / 1e6;
			if (ph->caplen < ph->len)
				c.truncated++;
			link_packet(&c, dlt, data, ph->caplen, c.packets, now);
			/* Bounded memory: forget the least recently active connections. */
			while (ctx_mem(&c) > DUMP_MEM_BUDGET) {
				struct tcp_flow *lru = NULL;
				for (int i = 0; i < DUMP_TCP_FLOWS; i++)
					if (c.flows[i].used && c.flows[i].last_use != c.clock &&
					    (!lru || c.flows[i].last_use < lru->last_use))
						lru = &c.flows[i];
				if (!lru)
					break;
				evict(&c, lru, "memory budget");
			}
		}
		pcap_close(pc);
	}
	for (int i = 0; i < DUMP_TCP_FLOWS; i++) {
		if (!c.flows[i].used)
			continue;
		dir_finish(d, &c.flows[i].dir[0]);
		dir_finish(d, &c.flows[i].dir[1]);
		flow_free(&c.flows[i]);
	}
	dump_udp_finish(d, &c.udp);
	dump_udp_free(&c.udp);
	free(c.flows);
	d->packets = c.packets;
	d->ignored = c.non_ip + c.fragments + c.other_tcp + c.other_udp;
	d->truncated = c.truncated;
	return ret;
}
