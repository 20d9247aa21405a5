#include "net/p2p_client.h"
#include "net/udpdrive.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "bc/bcudp_pkt.h"
#include "net/udpsock.h"
#include "util/clock.h"

/* ---- helpers ------------------------------------------------------------------------- */

static uint32_t next_rand(uint32_t *s)
{
	/* xorshift32: tids only need to differ, not to be secret */
	uint32_t x = *s ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static uint32_t new_tid(struct p2p_client *c)
{
	return next_rand(&c->rng) % P2P_TID_RANGE;
}

static void slot_off(struct p2p_slot *s)
{
	memset(s, 0, sizeof(*s));
	s->next = UINT64_MAX;
}

static int slot_on(const struct p2p_slot *s)
{
	return s->to.sin_family == AF_INET;
}

static void slot_start(struct p2p_client *c, struct p2p_slot *s, const struct sockaddr_in *to,
		       uint64_t at)
{
	s->to = *to;
	s->next = at;
	s->tid = new_tid(c);
}

/* An address a server may send us to: IPv4, not 0.0.0.0/x.x.x.0 (neolink's rule), not
 * multicast or the limited broadcast, port ≠ 0. */
static int ep_addr(const struct bcudp_ep *ep, struct sockaddr_in *out)
{
	struct sockaddr_in a;
	uint32_t h;

	if (!ep->has_ip || !ep->has_port || ep->port <= 0 || ep->port > 65535)
		return 0;
	if (sock_addr(&a, ep->ip, (uint16_t)ep->port) < 0)
		return 0;
	h = ntohl(a.sin_addr.s_addr);
	if ((h & 0xff) == 0 || IN_MULTICAST(h) || h == INADDR_BROADCAST)
		return 0;
	*out = a;
	return 1;
}

static int addr_set(const struct sockaddr_in *a)
{
	return a->sin_family == AF_INET && a->sin_port != 0;
}

static int same_ip(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return addr_set(b) && a->sin_addr.s_addr == b->sin_addr.s_addr;
}

static int server_index(const struct p2p_client *c, const struct sockaddr_in *from)
{
	for (int i = 0; i < c->cfg.nserver; i++)
		if (sock_addr_eq(&c->cfg.server[i], from))
			return i;
	return -1;
}

static void ep_set(struct bcudp_ep *ep, const struct sockaddr_in *a)
{
	inet_ntop(AF_INET, &a->sin_addr, ep->ip, sizeof(ep->ip));
	ep->port = ntohs(a->sin_port);
	ep->has_ip = ep->has_port = 1;
}

static int has(const struct bcudp_msg *m, enum bcudp_field f)
{
	return !!(m->has & BCUDP_HAS(f));
}

/* ---- state --------------------------------------------------------------------------- */

int p2p_client_init(struct p2p_client *c, const struct p2p_client_cfg *cfg, uint64_t now)
{
	if (!cfg->uid[0] || cfg->nserver <= 0 || cfg->nserver > P2P_MAX_SERVERS ||
	    !(cfg->modes & P2P_MODE_ALL) || !cfg->cid || !cfg->resend_us || cfg->cfm_repeat < 0)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->cfg.uid[sizeof(c->cfg.uid) - 1] = 0;
	c->cfg.p[sizeof(c->cfg.p) - 1] = 0;
	c->cfg.debug[sizeof(c->cfg.debug) - 1] = 0;
	c->rng = cfg->seed;
	slot_off(&c->lookup);
	slot_off(&c->reg);
	slot_off(&c->dev);
	slot_off(&c->relay);
	slot_off(&c->answer);
	slot_off(&c->cfm);
	c->state = P2P_LOOKUP;
	c->deadline = now + cfg->lookup_us;
	c->neg_deadline = UINT64_MAX;
	c->lookup.next = now;
	c->next_server = -1;
	c->res.cid = cfg->cid;
	c->res.mtu = cfg->mtu;
	c->res.failed_in = P2P_LOOKUP;
	return 0;
}

static int running(enum p2p_state s)
{
	return s == P2P_LOOKUP || s == P2P_REGISTER || s == P2P_CONNECT || s == P2P_CONFIRM;
}

enum p2p_state p2p_client_state(struct p2p_client *c, uint64_t now)
{
	if (c->state == P2P_LOOKUP && now >= c->neg_deadline) {
		c->state = P2P_UNKNOWN_UID;
	} else if ((c->state == P2P_LOOKUP || c->state == P2P_REGISTER ||
		    c->state == P2P_CONNECT) && now >= c->deadline) {
		c->res.failed_in = c->state;
		c->res.noanswer = !c->heard;
		c->state = P2P_TIMED_OUT;
	}
	return c->state;
}

static void enter_register(struct p2p_client *c, uint64_t now)
{
	c->state = P2P_REGISTER;
	c->res.failed_in = P2P_REGISTER;
	c->heard = 0;
	c->deadline = now + c->cfg.register_us;
	slot_off(&c->lookup);
	c->next_server = -1;
	slot_start(c, &c->reg, &c->res.reg, now);
}

static void enter_connect(struct p2p_client *c, uint64_t now)
{
	c->state = P2P_CONNECT;
	c->res.failed_in = P2P_CONNECT;
	c->heard = 0;
	c->deadline = now + c->cfg.connect_us;
	slot_off(&c->reg);
	if ((c->cfg.modes & P2P_MODE_DEV) && addr_set(&c->res.dev))
		slot_start(c, &c->dev, &c->res.dev, now);
	if ((c->cfg.modes & P2P_MODE_RELAY) && addr_set(&c->res.relay))
		slot_start(c, &c->relay, &c->res.relay, now + c->cfg.relay_delay_us);
}

static void connected(struct p2p_client *c, enum p2p_via via, const struct sockaddr_in *peer,
		      int32_t did, uint32_t tid, uint64_t now)
{
	c->res.via = via;
	c->res.peer = *peer;
	c->res.did = did;
	c->res.tid = tid;
	slot_off(&c->dev);
	slot_off(&c->relay);
	slot_off(&c->answer);
	c->cfm_left = c->cfg.cfm_repeat;
	if (c->cfm_left > 0) {
		c->state = P2P_CONFIRM;
		slot_start(c, &c->cfm, &c->res.reg, now);
	} else {
		c->state = P2P_CONNECTED;
	}
}

/* ---- sending ------------------------------------------------------------------------- */

static const char *via_conn(enum p2p_via v)
{
	return v == P2P_VIA_RELAY ? "relay" : v == P2P_VIA_MAP ? "map" : "local";
}

static int build(struct p2p_client *c, enum bcudp_kind kind, uint32_t tid, const char *conn,
		 uint8_t *out, size_t cap)
{
	struct bcudp_msg m;

	bcudp_msg_init(&m, kind);
	switch (kind) {
	case BCUDP_K_C2M_Q:
		m.has = BCUDP_HAS(BCUDP_F_UID) | BCUDP_HAS(BCUDP_F_P);
		memcpy(m.uid, c->cfg.uid, sizeof(m.uid));
		snprintf(m.p, sizeof(m.p), "%s", c->cfg.p);
		break;
	case BCUDP_K_C2R_C:
		m.has = BCUDP_HAS(BCUDP_F_UID) | BCUDP_HAS(BCUDP_F_CLI) | BCUDP_HAS(BCUDP_F_RELAY) |
			BCUDP_HAS(BCUDP_F_CID) | BCUDP_HAS(BCUDP_F_DEBUG) |
			BCUDP_HAS(BCUDP_F_FAMILY) | BCUDP_HAS(BCUDP_F_P) | BCUDP_HAS(BCUDP_F_R);
		memcpy(m.uid, c->cfg.uid, sizeof(m.uid));
		inet_ntop(AF_INET, &c->cfg.cli_ip, m.cli.ip, sizeof(m.cli.ip));
		m.cli.port = c->cfg.cli_port;
		m.cli.has_ip = m.cli.has_port = 1;
		ep_set(&m.relay, &c->res.relay);
		m.cid = c->cfg.cid;
		snprintf(m.debug, sizeof(m.debug), "%s", c->cfg.debug);
		m.family = 4;
		snprintf(m.p, sizeof(m.p), "%s", c->cfg.p);
		m.r = 3;
		break;
	case BCUDP_K_C2D_T:
		m.has = BCUDP_HAS(BCUDP_F_SID) | BCUDP_HAS(BCUDP_F_CONN) | BCUDP_HAS(BCUDP_F_CID) |
			BCUDP_HAS(BCUDP_F_MTU);
		m.sid = c->res.sid;
		snprintf(m.conn, sizeof(m.conn), "%s", conn);
		m.cid = c->cfg.cid;
		m.mtu = c->cfg.mtu;
		break;
	case BCUDP_K_C2D_A:
		m.has = BCUDP_HAS(BCUDP_F_SID) | BCUDP_HAS(BCUDP_F_CONN) | BCUDP_HAS(BCUDP_F_CID) |
			BCUDP_HAS(BCUDP_F_DID) | BCUDP_HAS(BCUDP_F_MTU);
		m.sid = c->res.sid;
		snprintf(m.conn, sizeof(m.conn), "%s", conn);
		m.cid = c->cfg.cid;
		m.did = c->answer_did;
		m.mtu = c->cfg.mtu;
		break;
	case BCUDP_K_C2R_CFM:
		m.has = BCUDP_HAS(BCUDP_F_SID) | BCUDP_HAS(BCUDP_F_CONN) | BCUDP_HAS(BCUDP_F_RSP) |
			BCUDP_HAS(BCUDP_F_CID) | BCUDP_HAS(BCUDP_F_DID);
		m.sid = c->res.sid;
		snprintf(m.conn, sizeof(m.conn), "%s", conn);
		m.rsp = 0;
		m.cid = c->cfg.cid;
		m.did = c->res.did;
		break;
	default:
		return -EINVAL;
	}
	return bcudp_msg_encode(&m, 0, tid, out, cap);
}

/* Emits slot s if due: length, 0 if not due. */
static int fire(struct p2p_client *c, struct p2p_slot *s, enum bcudp_kind kind, const char *conn,
		uint64_t now, uint32_t period, uint8_t *out, size_t cap, struct sockaddr_in *to)
{
	int n;

	if (s->next > now)
		return 0;
	n = build(c, kind, s->tid, conn, out, cap);
	if (n < 0)
		return n;
	s->next = now + period;
	*to = s->to;
	c->sent++;
	return n;
}

int p2p_client_poll(struct p2p_client *c, uint64_t now, uint8_t *out, size_t cap,
		    struct sockaddr_in *to)
{
	int n;

	switch (p2p_client_state(c, now)) {
	case P2P_LOOKUP:
		if (c->next_server < 0) {
			if (now < c->lookup.next)
				return 0;
			c->next_server = 0;
			c->lookup.next = now + c->cfg.resend_us;
		}
		/* servers that already said "unknown" are not asked again */
		while (c->next_server < c->cfg.nserver && (c->neg_mask >> c->next_server & 1))
			c->next_server++;
		if (c->next_server >= c->cfg.nserver) {
			c->next_server = -1;
			return 0;
		}
		n = build(c, BCUDP_K_C2M_Q, new_tid(c), NULL, out, cap);
		if (n < 0)
			return n;
		*to = c->cfg.server[c->next_server];
		if (++c->next_server >= c->cfg.nserver)
			c->next_server = -1;
		c->sent++;
		return n;
	case P2P_REGISTER:
		return fire(c, &c->reg, BCUDP_K_C2R_C, NULL, now, c->cfg.resend_us, out, cap, to);
	case P2P_CONNECT:
		if ((n = fire(c, &c->answer, BCUDP_K_C2D_A, c->answer_conn, now, c->cfg.resend_us, out, cap, to)))
			return n;
		if ((n = fire(c, &c->dev, BCUDP_K_C2D_T, "local", now, c->cfg.resend_us, out, cap, to)))
			return n;
		return fire(c, &c->relay, BCUDP_K_C2D_T, "relay", now, c->cfg.resend_us, out, cap, to);
	case P2P_CONFIRM:
		n = fire(c, &c->cfm, BCUDP_K_C2R_CFM, via_conn(c->res.via), now, c->cfg.cfm_gap_us, out, cap, to);
		if (n > 0 && --c->cfm_left <= 0) {
			slot_off(&c->cfm);
			c->state = P2P_CONNECTED;
		}
		return n;
	default:
		return 0;
	}
}

uint64_t p2p_client_next_deadline(const struct p2p_client *c, uint64_t now)
{
	uint64_t d;
	const struct p2p_slot *slots[] = { &c->reg, &c->dev, &c->relay, &c->answer, &c->cfm };

	if (!running(c->state))
		return UINT64_MAX;
	if (c->state == P2P_LOOKUP && c->next_server >= 0)
		return now;
	d = c->state == P2P_CONFIRM ? UINT64_MAX : c->deadline;
	if (c->state == P2P_LOOKUP) {
		if (c->lookup.next < d)
			d = c->lookup.next;
		if (c->neg_deadline < d)
			d = c->neg_deadline;
	}
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		if (slots[i]->next < d)
			d = slots[i]->next;
	return d;
}

/* ---- receiving ----------------------------------------------------------------------- */

static int on_lookup(struct p2p_client *c, const struct bcudp_msg *m,
		     const struct sockaddr_in *from, uint64_t now)
{
	struct sockaddr_in reg, relay;
	int idx = server_index(c, from);
	int32_t rsp = has(m, BCUDP_F_RSP) ? m->rsp : 0;

	if (m->kind != BCUDP_K_M2C_Q_R || idx < 0)
		return 0;
	c->heard = 1;
	if (rsp == 0 && has(m, BCUDP_F_REG) && has(m, BCUDP_F_RELAY) && ep_addr(&m->reg, &reg) &&
	    ep_addr(&m->relay, &relay)) {
		c->res.lookup_server = *from;
		c->res.reg = reg;
		c->res.relay = relay;
		c->res.rsp = 0;
		enter_register(c, now);
		return 1;
	}
	if (rsp == 0)
		return 0;            /* no usable addresses: not an answer, keep asking */
	/* "UID unknown" (-3): give the other servers a short chance to know better */
	c->res.rsp = rsp;
	c->neg_mask |= 1u << idx;
	if (c->neg_deadline == UINT64_MAX)
		c->neg_deadline = now + c->cfg.neg_grace_us;
	if (c->cfg.nserver >= 32 ? c->neg_mask == UINT32_MAX
				 : c->neg_mask == (1u << c->cfg.nserver) - 1)
		c->state = P2P_UNKNOWN_UID;
	return 1;
}

static int on_register(struct p2p_client *c, const struct bcudp_msg *m,
		       const struct sockaddr_in *from, uint64_t now)
{
	struct sockaddr_in dev = { 0 }, dmap = { 0 }, relay = { 0 };
	int32_t rsp = has(m, BCUDP_F_RSP) ? m->rsp : 0;
	int usable = 0;

	if (m->kind != BCUDP_K_R2C_C_R || !sock_addr_eq(from, &c->res.reg))
		return 0;
	c->heard = 1;
	if (rsp == -1 || rsp == -3) {
		c->res.rsp = rsp;
		c->state = P2P_REFUSED;
		return 1;
	}
	if (!has(m, BCUDP_F_SID))
		return 0;
	if (has(m, BCUDP_F_DEV))
		ep_addr(&m->dev, &dev);
	if (has(m, BCUDP_F_DMAP))
		ep_addr(&m->dmap, &dmap);
	if (has(m, BCUDP_F_RELAY))
		ep_addr(&m->relay, &relay);
	/* only what an enabled method can use counts */
	if ((c->cfg.modes & P2P_MODE_DEV) && (addr_set(&dev) || addr_set(&dmap)))
		usable = 1;
	if ((c->cfg.modes & P2P_MODE_MAP) && addr_set(&dmap))
		usable = 1;
	if ((c->cfg.modes & P2P_MODE_RELAY) && addr_set(&relay))
		usable = 1;
	if (!usable)
		return 0;
	c->res.sid = m->sid;
	c->res.dev = dev;
	c->res.dmap = dmap;
	c->res.relay = relay;   /* the session relay (may differ from the lookup's) */
	enter_connect(c, now);
	return 1;
}

static int on_connect(struct p2p_client *c, const struct bcudp_msg *m, uint32_t tid,
		      const struct sockaddr_in *from, uint64_t now)
{
	int32_t rsp = has(m, BCUDP_F_RSP) ? m->rsp : 0;
	const char *conn = has(m, BCUDP_F_CONN) ? m->conn : "";

	if (m->kind != BCUDP_K_D2C_T && m->kind != BCUDP_K_D2C_CFM)
		return 0;
	if (!has(m, BCUDP_F_SID) || !has(m, BCUDP_F_CID) || !has(m, BCUDP_F_DID) ||
	    m->sid != c->res.sid || m->cid != c->cfg.cid)
		return 0;
	if (m->kind == BCUDP_K_D2C_T) {
		/* the camera dials us: from its mapped address (or its LAN one without a dmap) */
		const struct sockaddr_in *want = addr_set(&c->res.dmap) ? &c->res.dmap : &c->res.dev;
		enum p2p_via via;
		if (!strcmp(conn, "local") && (c->cfg.modes & P2P_MODE_DEV))
			via = P2P_VIA_DEV_DEVICE;
		else if (!strcmp(conn, "map") && (c->cfg.modes & P2P_MODE_MAP))
			via = P2P_VIA_MAP;
		else
			return 0;
		if (!addr_set(want) || !sock_addr_eq(from, want))
			return 0;
		c->heard = 1;
		/* answered with the D2C_T's own tid, now and on every repeat */
		c->answer.to = *from;
		c->answer.tid = tid;
		c->answer.next = now;
		c->answer_did = m->did;
		c->answer_via = via;
		snprintf(c->answer_conn, sizeof(c->answer_conn), "%s",
			 via == P2P_VIA_MAP ? "map" : "local");
		return 1;
	}
	/* D2C_CFM */
	if (!strcmp(conn, "relay")) {
		if (!slot_on(&c->relay) || !sock_addr_eq(from, &c->relay.to))
			return 0;
		c->heard = 1;
		if (rsp != 0) {
			c->res.rsp = rsp;
			return 0;
		}
		connected(c, P2P_VIA_RELAY, from, m->did, tid, now);
		return 1;
	}
	if (slot_on(&c->answer) && sock_addr_eq(from, &c->answer.to) && m->did == c->answer_did &&
	    !strcmp(conn, c->answer_conn)) {
		c->heard = 1;
		if (rsp != 0) {
			c->res.rsp = rsp;
			return 0;
		}
		connected(c, c->answer_via, from, m->did, c->answer.tid, now);
		return 1;
	}
	/* our C2D_T: the camera answers from its session socket, whose port we cannot know, but
	 * from the address we registered for it */
	if (slot_on(&c->dev) && strcmp(conn, "map") &&
	    (same_ip(from, &c->res.dev) || same_ip(from, &c->res.dmap))) {
		c->heard = 1;
		if (rsp != 0) {
			c->res.rsp = rsp;
			return 0;
		}
		connected(c, P2P_VIA_DEV, from, m->did, tid, now);
		return 1;
	}
	return 0;
}

int p2p_client_on_datagram(struct p2p_client *c, const uint8_t *buf, size_t len,
			   const struct sockaddr_in *from, uint64_t now)
{
	struct bcudp_pkt p;
	struct bcudp_msg m;
	size_t off = 0;
	int r, moved = 0;

	while ((r = bcudp_parse_next(buf, len, &off, &p, NULL)) > 0) {
		enum p2p_state st = p2p_client_state(c, now);
		if (st != P2P_LOOKUP && st != P2P_REGISTER && st != P2P_CONNECT)
			return moved;
		if (p.type != BCUDP_DISC)
			continue;
		if ((r = bcudp_msg_decode(&p, &m, NULL)) < 0)
			return moved ? moved : r;
		if (st == P2P_LOOKUP)
			r = on_lookup(c, &m, from, now);
		else if (st == P2P_REGISTER)
			r = on_register(c, &m, from, now);
		else
			r = on_connect(c, &m, p.tid, from, now);
		moved |= r;
	}
	return r < 0 && !moved ? r : moved;
}

/* ---- text ---------------------------------------------------------------------------- */

const char *p2p_state_name(enum p2p_state s)
{
	switch (s) {
	case P2P_LOOKUP: return "lookup";
	case P2P_REGISTER: return "register";
	case P2P_CONNECT: return "connect";
	case P2P_CONFIRM: return "confirm";
	case P2P_CONNECTED: return "connected";
	case P2P_UNKNOWN_UID: return "unknown-uid";
	case P2P_REFUSED: return "refused";
	case P2P_TIMED_OUT: return "timed-out";
	}
	return "?";
}

const char *p2p_via_name(enum p2p_via v)
{
	switch (v) {
	case P2P_VIA_NONE: return "none";
	case P2P_VIA_DEV: return "dev";
	case P2P_VIA_DEV_DEVICE: return "dev (camera-initiated)";
	case P2P_VIA_MAP: return "map";
	case P2P_VIA_RELAY: return "relay";
	}
	return "?";
}

static const char *astr(const struct sockaddr_in *a, char *buf)
{
	if (!addr_set(a))
		return "-";
	return sock_addr_str(a, buf);
}

const char *p2p_client_describe(const struct p2p_client *c, char *buf, size_t len)
{
	char a[SOCK_ADDR_STR], b[SOCK_ADDR_STR], d[SOCK_ADDR_STR];
	const struct p2p_result *r = &c->res;

	switch (c->state) {
	case P2P_CONNECTED:
	case P2P_CONFIRM:
		snprintf(buf, len, "P2P: UID %s connected via %s, peer %s (sid %u, cid %d, did %d)",
			 c->cfg.uid, p2p_via_name(r->via), astr(&r->peer, a), r->sid, r->cid, r->did);
		break;
	case P2P_UNKNOWN_UID:
		snprintf(buf, len, "P2P: the lookup servers do not know UID %s (rsp %d)",
			 c->cfg.uid, r->rsp);
		break;
	case P2P_REFUSED:
		snprintf(buf, len, "P2P: register server %s refused UID %s (rsp %d)",
			 astr(&r->reg, a), c->cfg.uid, r->rsp);
		break;
	case P2P_TIMED_OUT:
		switch (r->failed_in) {
		case P2P_LOOKUP:
			snprintf(buf, len, r->noanswer ?
				 "P2P: no answer from the %d lookup server address(es) (first %s)" :
				 "P2P: the %d lookup server address(es) (first %s) gave no usable register/relay address",
				 c->cfg.nserver, astr(&c->cfg.server[0], a));
			break;
		case P2P_REGISTER:
			snprintf(buf, len, r->noanswer ?
				 "P2P: no answer from register server %s" :
				 "P2P: register server %s gave no usable camera or relay address",
				 astr(&r->reg, a));
			break;
		default:
			snprintf(buf, len, "P2P: camera UID %s did not confirm (dev %s, dmap %s, relay %s%s)",
				 c->cfg.uid, astr(&r->dev, a), astr(&r->dmap, b), astr(&r->relay, d),
				 r->rsp ? ", refused" : "");
		}
		break;
	default:
		snprintf(buf, len, "P2P: UID %s: %s in progress", c->cfg.uid, p2p_state_name(c->state));
	}
	return buf;
}

/* ---- blocking driver ----------------------------------------------------------------- */

static int pm_poll(void *m, uint64_t now, uint8_t *out, size_t cap, struct sockaddr_in *to)
{
	return p2p_client_poll(m, now, out, cap, to);
}

static int pm_on_datagram(void *m, const uint8_t *buf, size_t len, const struct sockaddr_in *from,
			  uint64_t now)
{
	(void)p2p_client_on_datagram(m, buf, len, from, now);
	return 0;
}

static uint64_t pm_next_deadline(void *m, uint64_t now)
{
	return p2p_client_next_deadline(m, now);
}

static int pm_finished(void *m, uint64_t now)
{
	return !running(p2p_client_state(m, now));
}

int p2p_connect(int fd, const struct p2p_client_cfg *cfg, struct p2p_result *res, char *why,
		size_t whylen)
{
	struct p2p_client c;
	struct udp_machine um = { &c, pm_poll, pm_on_datagram, pm_next_deadline, pm_finished,
				  cfg->cancel };
	int r, send_err;

	if ((r = p2p_client_init(&c, cfg, clock_mono_us())) < 0)
		return r;
	if ((r = udp_drive(fd, &um, &send_err)) < 0)
		return r;
	*res = c.res;
	if (why)
		p2p_client_describe(&c, why, whylen);
	switch (c.state) {
	case P2P_CONNECTED: return 0;
	case P2P_UNKNOWN_UID: return -ENXIO;
	case P2P_REFUSED: return -ECONNREFUSED;
	default: return send_err ? send_err : -ETIMEDOUT;
	}
}
