#include "bc/bcudp_xml.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bc/xml.h"

enum ftype { T_STR, T_I32, T_U32, T_I64, T_EP, T_TIMER };

struct fdesc {
	const char *name;
	enum ftype type;
	size_t off, size;
};

#define F(id, nm, ty, member) \
	[id] = { nm, ty, offsetof(struct bcudp_msg, member), sizeof(((struct bcudp_msg *)0)->member) }
static const struct fdesc fields[BCUDP_F_COUNT] = {
	F(BCUDP_F_UID, "uid", T_STR, uid),
	F(BCUDP_F_CLI, "cli", T_EP, cli),
	F(BCUDP_F_TO, "to", T_EP, to),
	F(BCUDP_F_CID, "cid", T_I32, cid),
	F(BCUDP_F_DID, "did", T_I32, did),
	F(BCUDP_F_SID, "sid", T_U32, sid),
	F(BCUDP_F_MTU, "mtu", T_I32, mtu),
	F(BCUDP_F_DEBUG, "debug", T_STR, debug),
	F(BCUDP_F_P, "p", T_STR, p),
	F(BCUDP_F_CONN, "conn", T_STR, conn),
	F(BCUDP_F_RSP, "rsp", T_I32, rsp),
	F(BCUDP_F_TIMER, "timer", T_TIMER, timer),
	F(BCUDP_F_TIME_R, "time_r", T_I32, time_r),
	F(BCUDP_F_REG, "reg", T_EP, reg),
	F(BCUDP_F_RELAY, "relay", T_EP, relay),
	F(BCUDP_F_LOG, "log", T_EP, log),
	F(BCUDP_F_T, "t", T_EP, t),
	F(BCUDP_F_DEV, "dev", T_EP, dev),
	F(BCUDP_F_DMAP, "dmap", T_EP, dmap),
	F(BCUDP_F_RELAYT, "relayt", T_EP, relayt),
	F(BCUDP_F_NAT, "nat", T_STR, nat),
	F(BCUDP_F_AC, "ac", T_I64, ac),
	F(BCUDP_F_FAMILY, "family", T_I32, family),
	F(BCUDP_F_R, "r", T_I32, r),
	F(BCUDP_F_VER, "ver", T_I32, ver),
};
#undef F

#define END BCUDP_F_COUNT
struct kdesc {
	const char *name;
	uint32_t required;
	int8_t order[12];            /* field order when building, END-terminated */
};

#define H(f) BCUDP_HAS(BCUDP_F_##f)
#define O(...) { __VA_ARGS__, END }
#define X(f) BCUDP_F_##f
static const struct kdesc kinds[BCUDP_K_COUNT] = {
	[BCUDP_K_UNKNOWN] = { "", 0, O(END) },
	[BCUDP_K_C2D_S] = { "C2D_S", H(TO), O(X(TO)) },
	[BCUDP_K_C2D_C] = { "C2D_C", H(UID) | H(CLI) | H(CID) | H(MTU),
			    O(X(UID), X(CLI), X(CID), X(MTU), X(DEBUG), X(P)) },
	[BCUDP_K_D2C_C_R] = { "D2C_C_R", H(RSP) | H(CID) | H(DID),
			      O(X(TIMER), X(RSP), X(CID), X(DID)) },
	[BCUDP_K_C2D_T] = { "C2D_T", H(SID) | H(CONN) | H(CID) | H(MTU),
			    O(X(SID), X(CONN), X(CID), X(MTU)) },
	[BCUDP_K_D2C_T] = { "D2C_T", H(SID) | H(CONN) | H(CID) | H(DID),
			    O(X(SID), X(CONN), X(CID), X(DID)) },
	[BCUDP_K_C2D_A] = { "C2D_A", H(SID) | H(CONN) | H(CID) | H(DID) | H(MTU),
			    O(X(SID), X(CONN), X(CID), X(DID), X(MTU)) },
	[BCUDP_K_D2C_CFM] = { "D2C_CFM", H(SID) | H(CONN) | H(RSP) | H(CID) | H(DID),
			      O(X(SID), X(CONN), X(RSP), X(CID), X(DID), X(TIME_R)) },
	[BCUDP_K_C2D_HB] = { "C2D_HB", H(CID) | H(DID), O(X(CID), X(DID)) },
	[BCUDP_K_D2C_HB] = { "D2C_HB", H(CID) | H(DID), O(X(CID), X(DID)) },
	[BCUDP_K_C2D_DISC] = { "C2D_DISC", H(CID) | H(DID), O(X(CID), X(DID)) },
	[BCUDP_K_D2C_DISC] = { "D2C_DISC", H(CID) | H(DID), O(X(CID), X(DID)) },
	[BCUDP_K_R2C_DISC] = { "R2C_DISC", H(SID), O(X(SID)) },
	[BCUDP_K_C2M_Q] = { "C2M_Q", H(UID), O(X(UID), X(P), X(VER)) },
	[BCUDP_K_M2C_Q_R] = { "M2C_Q_R", H(RSP),
			      O(X(REG), X(RELAY), X(LOG), X(T), X(TIMER), X(MTU), X(DEBUG), X(AC),
				X(RSP)) },
	[BCUDP_K_C2R_C] = { "C2R_C", H(UID) | H(CLI) | H(CID),
			    O(X(UID), X(CLI), X(RELAY), X(CID), X(DEBUG), X(FAMILY), X(P), X(R)) },
	[BCUDP_K_R2C_C_R] = { "R2C_C_R", H(RSP),
			      O(X(DMAP), X(DEV), X(RELAY), X(RELAYT), X(NAT), X(SID), X(RSP),
				X(AC)) },
	[BCUDP_K_R2C_T] = { "R2C_T", H(SID), O(X(DEV), X(DMAP), X(SID), X(CID), X(RSP)) },
	[BCUDP_K_C2R_CFM] = { "C2R_CFM", H(SID) | H(CID) | H(DID),
			      O(X(SID), X(CONN), X(RSP), X(CID), X(DID)) },
	[BCUDP_K_C2R_HB] = { "C2R_HB", H(SID) | H(CID) | H(DID), O(X(SID), X(CID), X(DID)) },
};
#undef H
#undef O
#undef X

void bcudp_msg_init(struct bcudp_msg *m, enum bcudp_kind kind)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	if (kind > BCUDP_K_UNKNOWN && kind < BCUDP_K_COUNT)
		snprintf(m->name, sizeof(m->name), "%s", kinds[kind].name);
}

const char *bcudp_kind_name(enum bcudp_kind k)
{
	return k > BCUDP_K_UNKNOWN && k < BCUDP_K_COUNT ? kinds[k].name : "unknown";
}

enum bcudp_kind bcudp_kind_from_name(const char *name)
{
	for (int k = 1; k < BCUDP_K_COUNT; k++)
		if (!strcmp(kinds[k].name, name))
			return (enum bcudp_kind)k;
	return BCUDP_K_UNKNOWN;
}

const char *bcudp_field_name(enum bcudp_field f)
{
	return (unsigned)f < BCUDP_F_COUNT ? fields[f].name : "?";
}

uint32_t bcudp_kind_fields(enum bcudp_kind k, uint32_t *required)
{
	uint32_t allowed = 0;

	if (required)
		*required = 0;
	if (k <= BCUDP_K_UNKNOWN || k >= BCUDP_K_COUNT)
		return 0;
	for (int i = 0; kinds[k].order[i] != END; i++)
		allowed |= BCUDP_HAS(kinds[k].order[i]);
	if (required)
		*required = kinds[k].required;
	return allowed;
}

/* ---- building ------------------------------------------------------------------------- */

static void open_tag(struct sbuf *b, const char *name, unsigned flags)
{
	sbuf_printf(b, flags & BCUDP_XML_CAMERA ? "<%s>\n" : "<%s>", name);
}

static void close_tag(struct sbuf *b, const char *name, unsigned flags)
{
	sbuf_printf(b, flags & BCUDP_XML_CAMERA ? "</%s>\n" : "</%s>", name);
}

static void leaf_s(struct sbuf *b, const char *name, const char *v, unsigned flags)
{
	xml_leaf(b, name, v);
	if (flags & BCUDP_XML_CAMERA)
		sbuf_add(b, "\n", 1);
}

static void leaf_ll(struct sbuf *b, const char *name, long long v, unsigned flags)
{
	xml_leaf_ll(b, name, v);
	if (flags & BCUDP_XML_CAMERA)
		sbuf_add(b, "\n", 1);
}

static void build_field(const struct bcudp_msg *m, int f, unsigned flags, struct sbuf *b)
{
	const struct fdesc *d = &fields[f];
	const void *v = (const uint8_t *)m + d->off;

	switch (d->type) {
	case T_STR:
		leaf_s(b, d->name, v, flags);
		break;
	case T_I32:
		leaf_ll(b, d->name, *(const int32_t *)v, flags);
		break;
	case T_U32:
		leaf_ll(b, d->name, *(const uint32_t *)v, flags);
		break;
	case T_I64:
		leaf_ll(b, d->name, (long long)*(const int64_t *)v, flags);
		break;
	case T_EP: {
		const struct bcudp_ep *ep = v;
		open_tag(b, d->name, flags);
		if (ep->has_ip)
			leaf_s(b, "ip", ep->ip, flags);
		if (ep->has_port)
			leaf_ll(b, "port", ep->port, flags);
		close_tag(b, d->name, flags);
		break;
	}
	case T_TIMER: {
		const struct bcudp_timer *t = v;
		if (!t->has_def && !t->has_hb && !t->has_hbt) {
			sbuf_printf(b, flags & BCUDP_XML_CAMERA ? "<%s/>\n" : "<%s/>", d->name);
			break;
		}
		open_tag(b, d->name, flags);
		if (t->has_def)
			leaf_ll(b, "def", t->def, flags);
		if (t->has_hb)
			leaf_ll(b, "hb", t->hb, flags);
		if (t->has_hbt)
			leaf_ll(b, "hbt", t->hbt, flags);
		close_tag(b, d->name, flags);
		break;
	}
	}
}

int bcudp_msg_build(const struct bcudp_msg *m, unsigned flags, struct sbuf *b)
{
	const struct kdesc *k;
	uint32_t allowed, required;

	if (m->kind <= BCUDP_K_UNKNOWN || m->kind >= BCUDP_K_COUNT)
		return -EINVAL;
	k = &kinds[m->kind];
	allowed = bcudp_kind_fields(m->kind, &required);
	if ((m->has & required) != required || (m->has & ~allowed))
		return -EINVAL;
	/* Strings must be terminated within their buffers. */
	for (int i = 0; k->order[i] != END; i++) {
		const struct fdesc *d = &fields[k->order[i]];
		const char *s = (const char *)m + d->off;
		if (!(m->has & BCUDP_HAS(k->order[i])))
			continue;
		if (d->type == T_STR && !memchr(s, 0, d->size))
			return -EINVAL;
		if (d->type == T_EP && !memchr(((const struct bcudp_ep *)s)->ip, 0, BCUDP_IP_MAX))
			return -EINVAL;
	}
	open_tag(b, "P2P", flags);
	open_tag(b, k->name, flags);
	for (int i = 0; k->order[i] != END; i++)
		if (m->has & BCUDP_HAS(k->order[i]))
			build_field(m, k->order[i], flags, b);
	close_tag(b, k->name, flags);
	close_tag(b, "P2P", flags);
	return b->err;
}

/* ---- parsing -------------------------------------------------------------------------- */

static int field_err(struct bcudp_err *e, int r, const char *name, const char *text)
{
	if (e) {
		if (r == -E2BIG)
			snprintf(e->msg, sizeof(e->msg), "bcudp: <%s> of %zu chars > limit %d",
				 name, strlen(text), BCUDP_STR_MAX - 1);
		else
			snprintf(e->msg, sizeof(e->msg), "bcudp: <%s> \"%.40s\" is not a 32-bit integer",
				 name, text);
	}
	return r;
}

static int get_str(const struct xml_node *n, char *dst, size_t size, struct bcudp_err *e)
{
	size_t l = strlen(n->text);

	if (l >= size)
		return field_err(e, -E2BIG, n->name, n->text);
	memcpy(dst, n->text, l + 1);
	return 0;
}

/* Accepts -2^31 .. 2^32-1 and wraps to 32 bits: peers disagree on signedness. */
static int get_32(const struct xml_node *n, uint32_t *dst, struct bcudp_err *e)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(n->text, &end, 10);
	if (errno || end == n->text || *end || v < INT32_MIN || v > (long long)UINT32_MAX)
		return field_err(e, -EINVAL, n->name, n->text);
	*dst = (uint32_t)v;
	return 0;
}

static int get_i32(const struct xml_node *n, int32_t *dst, struct bcudp_err *e)
{
	uint32_t u;
	int r = get_32(n, &u, e);

	if (!r)
		*dst = (int32_t)u;
	return r;
}

static int parse_field(const struct xml_node *n, int f, struct bcudp_msg *m, struct bcudp_err *e)
{
	const struct fdesc *d = &fields[f];
	void *v = (uint8_t *)m + d->off;
	const struct xml_node *c;
	int r = 0;

	switch (d->type) {
	case T_STR:
		return get_str(n, v, d->size, e);
	case T_I32:
		return get_i32(n, v, e);
	case T_U32:
		return get_32(n, v, e);
	case T_I64: {
		char *end;
		long long x;
		errno = 0;
		x = strtoll(n->text, &end, 10);
		if (errno || end == n->text || *end)
			return field_err(e, -EINVAL, n->name, n->text);
		*(int64_t *)v = x;
		return 0;
	}
	case T_EP: {
		struct bcudp_ep *ep = v;
		if ((c = xml_child(n, "ip"))) {
			if ((r = get_str(c, ep->ip, sizeof(ep->ip), e)) < 0)
				return r;
			ep->has_ip = 1;
		}
		if ((c = xml_child(n, "port"))) {
			if ((r = get_i32(c, &ep->port, e)) < 0)
				return r;
			ep->has_port = 1;
		}
		return 0;
	}
	case T_TIMER: {
		struct bcudp_timer *t = v;
		if ((c = xml_child(n, "def"))) {
			if ((r = get_i32(c, &t->def, e)) < 0)
				return r;
			t->has_def = 1;
		}
		if ((c = xml_child(n, "hb"))) {
			if ((r = get_i32(c, &t->hb, e)) < 0)
				return r;
			t->has_hb = 1;
		}
		if ((c = xml_child(n, "hbt"))) {
			if ((r = get_i32(c, &t->hbt, e)) < 0)
				return r;
			t->has_hbt = 1;
		}
		return 0;
	}
	}
	return 0;
}

int bcudp_msg_parse(const void *xml, size_t len, struct bcudp_msg *m, struct bcudp_err *e)
{
	struct xml_doc *doc;
	const struct xml_node *root, *k, *n;
	int r;

	bcudp_msg_init(m, BCUDP_K_UNKNOWN);
	r = xml_parse(xml, len, &doc);
	if (r < 0) {
		if (e)
			snprintf(e->msg, sizeof(e->msg), "bcudp: discovery XML of %zu bytes: %s",
				 len, r == -E2BIG ? "over a limit" : "not well-formed");
		return r == -ENOMEM ? r : r == -E2BIG ? -E2BIG : -EBADMSG;
	}
	root = xml_root(doc);
	if (strcmp(root->name, "P2P")) {
		if (e)
			snprintf(e->msg, sizeof(e->msg), "bcudp: root <%.40s> is not <P2P>",
				 root->name);
		r = -EBADMSG;
		goto out;
	}
	k = xml_child(root, NULL);
	if (!k) {
		if (e)
			snprintf(e->msg, sizeof(e->msg), "bcudp: <P2P> has no message element");
		r = -EBADMSG;
		goto out;
	}
	m->kind = bcudp_kind_from_name(k->name);
	snprintf(m->name, sizeof(m->name), "%s", k->name);
	for (n = xml_child(k, NULL); n; n = xml_next(n, NULL)) {
		for (int f = 0; f < BCUDP_F_COUNT; f++) {
			/* the first occurrence wins; later duplicates are ignored */
			if (strcmp(n->name, fields[f].name) || (m->has & BCUDP_HAS(f)))
				continue;
			if ((r = parse_field(n, f, m, e)) < 0)
				goto out;
			m->has |= BCUDP_HAS(f);
			break;
		}
	}
	r = 0;
out:
	xml_free(doc);
	return r;
}

int bcudp_msg_encode(const struct bcudp_msg *m, unsigned flags, uint32_t tid, uint8_t *out,
		     size_t cap)
{
	struct sbuf b;
	int r;

	sbuf_init(&b, BCUDP_MAX_XML);
	r = bcudp_msg_build(m, flags, &b);
	if (r >= 0)
		r = bcudp_build_disc(out, cap, tid, b.data, b.len);
	sbuf_free(&b);
	return r;
}

int bcudp_msg_decode(const struct bcudp_pkt *p, struct bcudp_msg *m, struct bcudp_err *e)
{
	uint8_t buf[BCUDP_MAX_XML];
	int n = bcudp_disc_decrypt(p, buf, sizeof(buf), e);

	if (n < 0) {
		bcudp_msg_init(m, BCUDP_K_UNKNOWN);
		return n;
	}
	return bcudp_msg_parse(buf, (size_t)n, m, e);
}
