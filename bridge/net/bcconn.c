#include "net/bcconn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bc/bcudp_pkt.h"
#include "bc/bcudp_xml.h"
#include "util/sbuf.h"

#define CTRL_XML_MAX 192

/* Packet ids are u32 serial numbers: compare by signed distance. */
static inline int32_t sdiff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

struct txslot {
	uint16_t len;
	uint8_t sent, sacked;
};

struct rxslot {
	uint16_t len;
	uint8_t have;
};

struct bcconn {
	struct bcconn_cfg cfg;
	enum bcconn_state state;
	size_t pay_max;              /* our Data payload size */

	/* send: ids [snd_una, snd_nxt) are in flight, [snd_nxt, snd_end) queued */
	struct txslot *tx;
	uint8_t *txbuf;
	uint32_t snd_una, snd_nxt, snd_end;
	/* Resend round: go-back-N over [rs_cur, rs_end), skipping what the peer's bitmap acked.
	 * A round starts when snd_una has not moved for resend_us. */
	uint32_t rs_cur, rs_end;
	int rs_active;
	uint64_t progress_at;        /* snd_una last moved, a round started, or flight began */

	/* receive: [dlv_nxt, rcv_nxt) received in order (dlv_off bytes of dlv_nxt already read),
	 * later slots up to rcv_end hold out-of-order packets */
	struct rxslot *rx;
	uint8_t *rxbuf;
	size_t rx_slot;
	uint32_t dlv_nxt, rcv_nxt, rcv_end, hi_next;
	size_t dlv_off, rx_avail;
	int rx_started;              /* rcv_nxt has moved: acks carry a packet_id */
	uint8_t *bitmap;

	uint64_t last_rx, next_ack, next_hb;
	int disc_pending;

	/* the peer's ack interval, averaged once per second ("maybe_latency") */
	uint64_t lat_last_ack, lat_window_start, lat_sum;
	uint32_t lat_n;

	uint8_t hb_xml[CTRL_XML_MAX], disc_xml[CTRL_XML_MAX];
	size_t hb_len, disc_len;

	struct bcconn_stats st;
};

void bcconn_cfg_defaults(struct bcconn_cfg *cfg, enum bcconn_role role, int32_t local_id,
			 int32_t remote_id)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->role = role;
	cfg->local_id = local_id;
	cfg->remote_id = remote_id;
	cfg->mtu = BCUDP_MTU_DEFAULT;
	cfg->tx_queue = BCCONN_TX_QUEUE;
	cfg->tx_inflight = BCCONN_TX_INFLIGHT;
	cfg->rx_window = BCCONN_RX_WINDOW;
	cfg->heartbeat = role == BCCONN_CLIENT;
	cfg->ack_bitmap = 1;
	cfg->ack_us = BCCONN_ACK_US;
	cfg->resend_us = BCCONN_RESEND_US;
	cfg->hb_us = BCCONN_HB_US;
	cfg->timeout_us = BCCONN_TIMEOUT_US;
}

/* HB and DISC never change within a session: build their XML once. */
static int ctrl_xml(const struct bcconn *c, enum bcudp_kind kind, uint8_t *dst, size_t *len)
{
	struct bcudp_msg m;
	struct sbuf b;
	int r;

	bcudp_msg_init(&m, kind);
	m.has = BCUDP_HAS(BCUDP_F_CID) | BCUDP_HAS(BCUDP_F_DID);
	m.cid = c->cfg.role == BCCONN_CLIENT ? c->cfg.local_id : c->cfg.remote_id;
	m.did = c->cfg.role == BCCONN_CLIENT ? c->cfg.remote_id : c->cfg.local_id;
	sbuf_init(&b, CTRL_XML_MAX);
	r = bcudp_msg_build(&m, c->cfg.role == BCCONN_CAMERA ? BCUDP_XML_CAMERA : 0, &b);
	if (r >= 0) {
		memcpy(dst, b.data, b.len);
		*len = b.len;
	}
	sbuf_free(&b);
	return r;
}

static int window_ok(unsigned v) { return v >= 1 && v <= BCCONN_MAX_WINDOW; }

int bcconn_new(const struct bcconn_cfg *cfg, uint64_t now, struct bcconn **out)
{
	struct bcconn *c;
	int r;

	*out = NULL;
	if (cfg->mtu < BCCONN_MIN_MTU || cfg->mtu > BCCONN_MAX_MTU || !window_ok(cfg->tx_queue) ||
	    !window_ok(cfg->tx_inflight) || !window_ok(cfg->rx_window) || !cfg->ack_us ||
	    !cfg->resend_us || !cfg->hb_us || !cfg->timeout_us)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	if (c->cfg.tx_inflight > c->cfg.tx_queue)
		c->cfg.tx_inflight = c->cfg.tx_queue;
	c->pay_max = cfg->mtu - BCUDP_DATA_HDR;
	c->rx_slot = c->pay_max > BCCONN_RX_SLOT_MIN ? c->pay_max : BCCONN_RX_SLOT_MIN;
	c->tx = calloc(cfg->tx_queue, sizeof(*c->tx));
	c->txbuf = malloc((size_t)cfg->tx_queue * c->pay_max);
	c->rx = calloc(cfg->rx_window, sizeof(*c->rx));
	c->rxbuf = malloc((size_t)cfg->rx_window * c->rx_slot);
	c->bitmap = malloc(cfg->rx_window);
	if (!c->tx || !c->txbuf || !c->rx || !c->rxbuf || !c->bitmap) {
		bcconn_free(c);
		return -ENOMEM;
	}
	if ((r = ctrl_xml(c, cfg->role == BCCONN_CLIENT ? BCUDP_K_C2D_HB : BCUDP_K_D2C_HB,
			  c->hb_xml, &c->hb_len)) < 0 ||
	    (r = ctrl_xml(c, cfg->role == BCCONN_CLIENT ? BCUDP_K_C2D_DISC : BCUDP_K_D2C_DISC,
			  c->disc_xml, &c->disc_len)) < 0) {
		bcconn_free(c);
		return r;
	}
	c->state = BCCONN_OPEN;
	c->last_rx = now;
	c->next_ack = now;
	c->next_hb = now;            /* neolink sends the first heartbeat right away */
	c->lat_window_start = now;
	*out = c;
	return 0;
}

void bcconn_free(struct bcconn *c)
{
	if (!c)
		return;
	free(c->tx);
	free(c->txbuf);
	free(c->rx);
	free(c->rxbuf);
	free(c->bitmap);
	free(c);
}

const char *bcconn_state_name(enum bcconn_state s)
{
	switch (s) {
	case BCCONN_OPEN: return "open";
	case BCCONN_CLOSED_BY_PEER: return "closed by peer";
	case BCCONN_TIMED_OUT: return "timed out";
	case BCCONN_CLOSED: return "closed";
	}
	return "?";
}

static void check_timeout(struct bcconn *c, uint64_t now)
{
	if (c->state == BCCONN_OPEN && now >= c->last_rx + c->cfg.timeout_us) {
		c->state = BCCONN_TIMED_OUT;
		/* the peer may still hear us: tell it we are gone */
		c->disc_pending = BCCONN_DISC_REPEAT;
	}
}

enum bcconn_state bcconn_state(struct bcconn *c, uint64_t now)
{
	check_timeout(c, now);
	return c->state;
}

void bcconn_close(struct bcconn *c)
{
	if (c->state != BCCONN_OPEN)
		return;
	c->state = BCCONN_CLOSED;
	c->disc_pending = BCCONN_DISC_REPEAT;
}

/* ---- receiving ------------------------------------------------------------------------ */

static struct rxslot *rxs(struct bcconn *c, uint32_t id) { return &c->rx[id % c->cfg.rx_window]; }
static uint8_t *rxb(struct bcconn *c, uint32_t id)
{
	return c->rxbuf + (size_t)(id % c->cfg.rx_window) * c->rx_slot;
}
static struct txslot *txs(const struct bcconn *c, uint32_t id)
{
	return &c->tx[id % c->cfg.tx_queue];
}
static uint8_t *txb(const struct bcconn *c, uint32_t id)
{
	return c->txbuf + (size_t)(id % c->cfg.tx_queue) * c->pay_max;
}

static void on_data(struct bcconn *c, const struct bcudp_pkt *p)
{
	uint32_t id = p->packet_id;
	struct rxslot *s;

	c->st.rx_data++;
	if (sdiff(id, c->rcv_nxt) < 0) {
		c->st.rx_dup++;
		return;
	}
	if ((uint32_t)(id - c->dlv_nxt) >= c->cfg.rx_window) {
		c->st.rx_out_of_window++;
		return;
	}
	if (p->payload_len > c->rx_slot) {
		c->st.rx_oversize++;
		return;
	}
	s = rxs(c, id);
	if (s->have) {
		c->st.rx_dup++;
		return;
	}
	s->have = 1;
	s->len = (uint16_t)p->payload_len;
	memcpy(rxb(c, id), p->payload, p->payload_len);
	c->st.rx_bytes += p->payload_len;
	/* ids skipped over for the first time count as lost (even if they arrive later) */
	if (sdiff(id, c->hi_next) > 0)
		c->st.rx_gaps += (uint32_t)(id - c->hi_next);
	if (sdiff(id + 1, c->hi_next) > 0)
		c->hi_next = id + 1;
	if (sdiff(id + 1, c->rcv_end) > 0)
		c->rcv_end = id + 1;
	while (c->rcv_nxt != c->rcv_end && rxs(c, c->rcv_nxt)->have) {
		c->rx_avail += rxs(c, c->rcv_nxt)->len;
		c->rcv_nxt++;
		c->rx_started = 1;
	}
}

static void on_ack(struct bcconn *c, const struct bcudp_pkt *p, uint64_t now)
{
	uint32_t base = p->packet_id + 1;    /* first id the bitmap speaks about */
	size_t n;

	c->st.rx_acks++;
	if (c->lat_last_ack)
		c->lat_sum += now - c->lat_last_ack, c->lat_n++;
	c->lat_last_ack = now;
	if (now >= c->lat_window_start + 1000000) {
		c->st.latency_us = c->lat_n ? (uint32_t)(c->lat_sum / c->lat_n) : 0;
		c->lat_sum = c->lat_n = 0;
		c->lat_window_start = now;
	}
	if (p->packet_id == BCUDP_ID_NONE)
		return;              /* "nothing received yet" */
	if (sdiff(base, c->snd_nxt) > 0) {
		c->st.rx_bad++;      /* acks something we never sent */
		return;
	}
	if (sdiff(base, c->snd_una) > 0)
		c->progress_at = now;
	while (sdiff(base, c->snd_una) > 0) {
		struct txslot *s = txs(c, c->snd_una);
		memset(s, 0, sizeof(*s));
		c->snd_una++;
	}
	n = p->payload_len;
	if (n > (uint32_t)(c->snd_nxt - base))
		n = c->snd_nxt - base;
	for (size_t k = 0; k < n; k++)
		if (p->payload[k] && sdiff(base + (uint32_t)k, c->snd_una) >= 0)
			txs(c, base + (uint32_t)k)->sacked = 1;
}

static int ids_match(const struct bcconn *c, const struct bcudp_msg *m)
{
	int32_t cid = c->cfg.role == BCCONN_CLIENT ? c->cfg.local_id : c->cfg.remote_id;
	int32_t did = c->cfg.role == BCCONN_CLIENT ? c->cfg.remote_id : c->cfg.local_id;

	if ((m->has & BCUDP_HAS(BCUDP_F_CID)) && m->cid != cid)
		return 0;
	if ((m->has & BCUDP_HAS(BCUDP_F_DID)) && m->did != did)
		return 0;
	return 1;
}

/* 1 = not ours to handle, 0 = consumed, < 0 = bad */
static int on_ctrl(struct bcconn *c, const struct bcudp_pkt *p)
{
	struct bcudp_msg m;
	enum bcudp_kind hb, disc;
	int r;

	if (p->type != BCUDP_DISC)
		return 1;
	if ((r = bcudp_msg_decode(p, &m, NULL)) < 0)
		return r;
	hb = c->cfg.role == BCCONN_CLIENT ? BCUDP_K_D2C_HB : BCUDP_K_C2D_HB;
	disc = c->cfg.role == BCCONN_CLIENT ? BCUDP_K_D2C_DISC : BCUDP_K_C2D_DISC;
	if (m.kind == hb && ids_match(c, &m))
		return 0;
	if ((m.kind == disc && ids_match(c, &m)) ||
	    (m.kind == BCUDP_K_R2C_DISC && c->cfg.role == BCCONN_CLIENT)) {
		if (c->state == BCCONN_OPEN) {
			c->state = BCCONN_CLOSED_BY_PEER;
			c->disc_pending = 1;         /* answer it, as the 33-fork does */
		}
		return 0;
	}
	return 1;
}

int bcconn_on_datagram(struct bcconn *c, const uint8_t *buf, size_t len, uint64_t now)
{
	struct bcudp_pkt p;
	size_t off = 0;
	int r, ret = 0, ours = 0;

	c->st.rx_datagrams++;
	check_timeout(c, now);
	while ((r = bcudp_parse_next(buf, len, &off, &p, NULL)) > 0) {
		if (p.type == BCUDP_DATA || p.type == BCUDP_ACK) {
			if (p.conn_id != c->cfg.local_id) {
				c->st.rx_foreign++;
				continue;
			}
			ours = 1;
			if (c->state != BCCONN_OPEN)
				continue;
			if (p.type == BCUDP_DATA)
				on_data(c, &p);
			else
				on_ack(c, &p, now);
			continue;
		}
		c->st.rx_ctrl++;
		r = c->state == BCCONN_OPEN || p.type != BCUDP_DISC ? on_ctrl(c, &p) : 1;
		if (r < 0) {
			c->st.rx_bad++;
			ret = r;
			continue;
		}
		ours = 1;
		if (r > 0 && ret == 0)
			ret = 1;
	}
	if (r < 0) {
		c->st.rx_bad++;
		ret = r;
	}
	if (ours && c->state == BCCONN_OPEN)
		c->last_rx = now;
	return ret;
}

size_t bcconn_read(struct bcconn *c, void *buf, size_t max)
{
	uint8_t *o = buf;
	size_t done = 0;

	while (done < max && c->dlv_nxt != c->rcv_nxt) {
		struct rxslot *s = rxs(c, c->dlv_nxt);
		size_t n = s->len - c->dlv_off;
		if (n > max - done)
			n = max - done;
		memcpy(o + done, rxb(c, c->dlv_nxt) + c->dlv_off, n);
		done += n;
		c->dlv_off += n;
		if (c->dlv_off == s->len) {
			s->have = 0;
			s->len = 0;
			c->dlv_off = 0;
			c->dlv_nxt++;
		}
	}
	c->rx_avail -= done;
	return done;
}

size_t bcconn_readable(const struct bcconn *c)
{
	return c->rx_avail;
}

/* ---- sending -------------------------------------------------------------------------- */

/* Room left in the last queued (not yet sent) packet, 0 when there is none. */
static size_t tail_room(const struct bcconn *c)
{
	if (c->snd_end == c->snd_nxt)
		return 0;
	return c->pay_max - txs(c, c->snd_end - 1)->len;
}

size_t bcconn_tx_space(const struct bcconn *c)
{
	if (c->state != BCCONN_OPEN)
		return 0;
	return tail_room(c) + (size_t)(c->cfg.tx_queue - (c->snd_end - c->snd_una)) * c->pay_max;
}

int bcconn_tx_idle(const struct bcconn *c)
{
	return c->snd_una == c->snd_end;
}

static int queue(struct bcconn *c, const uint8_t *p, size_t len, int new_packet)
{
	size_t room = new_packet ? 0 : tail_room(c), free_pkts, need, total = len;

	if (c->state != BCCONN_OPEN)
		return -EPIPE;
	if (len > (size_t)c->cfg.tx_queue * c->pay_max || len > INT32_MAX)
		return -EMSGSIZE;
	free_pkts = c->cfg.tx_queue - (c->snd_end - c->snd_una);
	need = len > room ? (len - room + c->pay_max - 1) / c->pay_max : 0;
	if (need > free_pkts)
		return -ENOBUFS;
	if (room && len) {
		struct txslot *s = txs(c, c->snd_end - 1);
		size_t n = len < room ? len : room;
		memcpy(txb(c, c->snd_end - 1) + s->len, p, n);
		s->len = (uint16_t)(s->len + n);
		p += n;
		len -= n;
	}
	while (len) {
		size_t n = len < c->pay_max ? len : c->pay_max;
		struct txslot *s = txs(c, c->snd_end);
		memset(s, 0, sizeof(*s));
		memcpy(txb(c, c->snd_end), p, n);
		s->len = (uint16_t)n;
		c->snd_end++;
		p += n;
		len -= n;
	}
	return (int)total;
}

int bcconn_write(struct bcconn *c, const void *buf, size_t len)
{
	return queue(c, buf, len, 0);
}

int bcconn_write_msg(struct bcconn *c, const void *msg, size_t len)
{
	size_t need;

	switch (c->cfg.msg_align) {
	case BCCONN_ALIGN_HEADER:
		need = len < BCCONN_BC_HDR ? len : BCCONN_BC_HDR;
		break;
	case BCCONN_ALIGN_PACKET:
		need = SIZE_MAX;
		break;
	default:
		need = len;
		break;
	}
	return queue(c, msg, len, tail_room(c) < need || !tail_room(c));
}

static int emit_data(struct bcconn *c, uint32_t id, uint64_t now, uint8_t *out, size_t cap)
{
	struct txslot *s = txs(c, id);
	int n = bcudp_build_data(out, cap, c->cfg.remote_id, id, txb(c, id), s->len);

	if (n < 0)
		return n;
	if (s->sent) {
		c->st.tx_retrans++;
	} else {
		s->sent = 1;
		c->st.tx_bytes += s->len;
	}
	c->st.tx_data++;
	return n;
}

static int emit_ack(struct bcconn *c, uint8_t *out, size_t cap)
{
	size_t n = 0;

	c->st.tx_acks++;
	if (!c->rx_started)
		return bcudp_build_ack(out, cap, c->cfg.remote_id, BCUDP_ID_NONE, BCUDP_ID_NONE, 0,
				       NULL, 0);
	if (c->cfg.ack_bitmap && c->rcv_end != c->rcv_nxt) {
		n = c->rcv_end - c->rcv_nxt;
		if (n > c->cfg.mtu - BCUDP_ACK_HDR)
			n = c->cfg.mtu - BCUDP_ACK_HDR;
		for (size_t k = 0; k < n; k++)
			c->bitmap[k] = rxs(c, c->rcv_nxt + (uint32_t)k)->have;
	}
	return bcudp_build_ack(out, cap, c->cfg.remote_id, 0, c->rcv_nxt - 1, c->st.latency_us,
			       c->bitmap, n);
}

/* Next packet of the current resend round, starting one when the acks have stalled. */
static int next_resend(struct bcconn *c, uint64_t now, uint32_t *id)
{
	if (!c->rs_active) {
		if (c->snd_una == c->snd_nxt || now < c->progress_at + c->cfg.resend_us)
			return 0;
		c->rs_active = 1;
		c->rs_cur = c->snd_una;
		c->rs_end = c->snd_nxt;
		c->progress_at = now;
	}
	if (sdiff(c->rs_cur, c->snd_una) < 0)
		c->rs_cur = c->snd_una;
	while (sdiff(c->rs_cur, c->rs_end) < 0 && txs(c, c->rs_cur)->sacked)
		c->rs_cur++;
	if (sdiff(c->rs_cur, c->rs_end) >= 0) {
		c->rs_active = 0;
		return 0;
	}
	*id = c->rs_cur++;
	return 1;
}

int bcconn_poll(struct bcconn *c, uint64_t now, uint8_t *out, size_t cap)
{
	uint32_t id;
	int n;

	if (cap < BCCONN_DGRAM_MAX)
		return -ENOSPC;
	check_timeout(c, now);
	if (c->disc_pending > 0) {
		c->disc_pending--;
		c->st.tx_ctrl++;
		c->st.tx_datagrams++;
		return bcudp_build_disc(out, cap, c->cfg.tid, c->disc_xml, c->disc_len);
	}
	if (c->state != BCCONN_OPEN)
		return 0;
	n = 0;
	if (now >= c->next_ack) {
		c->next_ack = now + c->cfg.ack_us;
		n = emit_ack(c, out, cap);
	} else if (c->cfg.heartbeat && now >= c->next_hb) {
		c->next_hb = c->next_hb + c->cfg.hb_us > now ? c->next_hb + c->cfg.hb_us
							     : now + c->cfg.hb_us;
		c->st.tx_ctrl++;
		n = bcudp_build_disc(out, cap, c->cfg.tid, c->hb_xml, c->hb_len);
	} else if (next_resend(c, now, &id)) {
		n = emit_data(c, id, now, out, cap);
	} else if (c->snd_nxt != c->snd_end && c->snd_nxt - c->snd_una < c->cfg.tx_inflight) {
		if (c->snd_una == c->snd_nxt)
			c->progress_at = now;        /* the resend clock starts with the flight */
		n = emit_data(c, c->snd_nxt, now, out, cap);
		c->snd_nxt++;
	}
	if (n > 0)
		c->st.tx_datagrams++;
	return n;
}

uint64_t bcconn_next_deadline(const struct bcconn *c, uint64_t now)
{
	uint64_t t;

	if (c->disc_pending > 0)
		return now;
	if (c->state != BCCONN_OPEN)
		return UINT64_MAX;
	t = c->last_rx + c->cfg.timeout_us;
	if (c->next_ack < t)
		t = c->next_ack;
	if (c->cfg.heartbeat && c->next_hb < t)
		t = c->next_hb;
	if (c->snd_una != c->snd_nxt && c->progress_at + c->cfg.resend_us < t)
		t = c->progress_at + c->cfg.resend_us;
	if (c->rs_active ||
	    (c->snd_nxt != c->snd_end && c->snd_nxt - c->snd_una < c->cfg.tx_inflight))
		t = now;
	return t;
}

void bcconn_get_stats(const struct bcconn *c, struct bcconn_stats *st)
{
	*st = c->st;
	st->tx_queued = c->snd_end - c->snd_nxt;
	st->tx_inflight = c->snd_nxt - c->snd_una;
	st->rx_buffered = c->rcv_end - c->dlv_nxt;
}
