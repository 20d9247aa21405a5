#include "bc/xml.h"

#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <stdlib.h>
#include <string.h>

/* All nodes and strings live in one arena so freeing is one call and a hostile document can't
 * make us allocate more than the arena cap. */
#define ARENA_MAX (4u << 20)

struct arena_blk {
	struct arena_blk *next;
	size_t used, cap;
	char mem[];
};

struct xml_doc {
	struct arena_blk *blocks;
	size_t total;
	struct xml_node *root, *cur;
	int depth, nodes, err;
	struct sbuf text;          /* text of the element being parsed */
};

static void *arena_alloc(struct xml_doc *d, size_t n)
{
	struct arena_blk *b = d->blocks;

	n = (n + 7) & ~(size_t)7;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 8192 ? n : 8192;
		if (d->total + cap > ARENA_MAX)
			return NULL;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = d->blocks;
		b->used = 0;
		b->cap = cap;
		d->blocks = b;
		d->total += cap;
	}
	b->used += n;
	return b->mem + b->used - n;
}

static char *arena_strndup(struct xml_doc *d, const char *s, size_t n)
{
	char *p = arena_alloc(d, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

static void fail(struct xml_doc *d, XML_Parser p, int err)
{
	if (!d->err)
		d->err = err;
	XML_StopParser(p, XML_FALSE);
}

struct ctx { XML_Parser p; struct xml_doc *d; };

static void XMLCALL start_el(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct ctx *c = ud;
	struct xml_doc *d = c->d;
	struct xml_node *n, **tail;

	(void)attrs;
	if (++d->depth > XML_MAX_DEPTH || ++d->nodes > XML_MAX_NODES)
		return fail(d, c->p, -E2BIG);
	n = arena_alloc(d, sizeof(*n));
	if (!n || !(n->name = arena_strndup(d, name, strlen(name))))
		return fail(d, c->p, -E2BIG);
	n->text = "";
	n->child = n->next = NULL;
	n->parent = d->cur;
	if (!d->cur) {
		d->root = n;
	} else {
		for (tail = &d->cur->child; *tail; tail = &(*tail)->next)
			;
		*tail = n;
	}
	d->cur = n;
	sbuf_reset(&d->text);
}

static void XMLCALL end_el(void *ud, const XML_Char *name)
{
	struct ctx *c = ud;
	struct xml_doc *d = c->d;
	const char *s = (const char *)d->text.data;
	size_t a = 0, b = d->text.len;

	(void)name;
	if (d->text.err)
		return fail(d, c->p, -E2BIG);
	while (a < b && isspace((unsigned char)s[a]))
		a++;
	while (b > a && isspace((unsigned char)s[b - 1]))
		b--;
	if (b > a && !(d->cur->text = arena_strndup(d, s + a, b - a)))
		return fail(d, c->p, -E2BIG);
	sbuf_reset(&d->text);
	d->cur = d->cur->parent;
	d->depth--;
}

static void XMLCALL char_data(void *ud, const XML_Char *s, int len)
{
	struct ctx *c = ud;

	/* Only leaf text matters to us; mixed content of parents is whitespace in practice. */
	if (sbuf_add(&c->d->text, s, (size_t)len) < 0)
		fail(c->d, c->p, -E2BIG);
}

/* Refuse DTDs outright: no entity expansion games. */
static void XMLCALL doctype_start(void *ud, const XML_Char *n, const XML_Char *s, const XML_Char *p, int i)
{
	struct ctx *c = ud;

	(void)n; (void)s; (void)p; (void)i;
	fail(c->d, c->p, -EBADMSG);
}

int xml_parse(const void *buf, size_t len, struct xml_doc **out)
{
	struct xml_doc *d;
	struct ctx c;
	int r = 0;

	*out = NULL;
	if (len > XML_MAX_INPUT)
		return -E2BIG;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	sbuf_init(&d->text, 64 * 1024);
	c.d = d;
	c.p = XML_ParserCreate("UTF-8");
	if (!c.p) {
		xml_free(d);
		return -ENOMEM;
	}
	XML_SetUserData(c.p, &c);
	XML_SetElementHandler(c.p, start_el, end_el);
	XML_SetCharacterDataHandler(c.p, char_data);
	XML_SetStartDoctypeDeclHandler(c.p, doctype_start);
	if (XML_Parse(c.p, buf, (int)len, XML_TRUE) != XML_STATUS_OK)
		r = d->err ? d->err : -EBADMSG;
	else if (!d->root)
		r = -EBADMSG;
	XML_ParserFree(c.p);
	sbuf_free(&d->text);
	if (r < 0) {
		xml_free(d);
		return r;
	}
	*out = d;
	return 0;
}

void xml_free(struct xml_doc *d)
{
	struct arena_blk *b, *nb;

	if (!d)
		return;
	for (b = d->blocks; b; b = nb) {
		nb = b->next;
		free(b);
	}
	sbuf_free(&d->text);
	free(d);
}

const struct xml_node *xml_root(const struct xml_doc *d)
{
	return d ? d->root : NULL;
}

const struct xml_node *xml_child(const struct xml_node *n, const char *name)
{
	if (!n)
		return NULL;
	for (n = n->child; n; n = n->next)
		if (!name || !strcmp(n->name, name))
			return n;
	return NULL;
}

const struct xml_node *xml_next(const struct xml_node *n, const char *name)
{
	if (!n)
		return NULL;
	for (n = n->next; n; n = n->next)
		if (!name || !strcmp(n->name, name))
			return n;
	return NULL;
}

static const struct xml_node *find_deep(const struct xml_node *n, const char *name)
{
	const struct xml_node *c, *r;

	for (c = n ? n->child : NULL; c; c = c->next) {
		if (!strcmp(c->name, name))
			return c;
		if ((r = find_deep(c, name)))
			return r;
	}
	return NULL;
}

const struct xml_node *xml_find(const struct xml_node *from, const char *path)
{
	char step[128];
	const char *p = path, *e;
	size_t n;

	if (!from || !path)
		return NULL;
	if (p[0] == '/' && p[1] == '/') {
		const struct xml_node *hit;
		p += 2;
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n >= sizeof(step))
			return NULL;
		memcpy(step, p, n);
		step[n] = 0;
		hit = find_deep(from, step);
		return e ? xml_find(hit, e + 1) : hit;
	}
	while (from && *p) {
		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n >= sizeof(step))
			return NULL;
		memcpy(step, p, n);
		step[n] = 0;
		from = xml_child(from, step);
		p = e ? e + 1 : p + n;
	}
	return from;
}

const char *xml_get(const struct xml_node *from, const char *path)
{
	const struct xml_node *n = xml_find(from, path);

	return n ? n->text : NULL;
}

int xml_get_ll(const struct xml_node *from, const char *path, long long *out)
{
	const char *s = xml_get(from, path);
	char *end;
	long long v;

	if (!s)
		return -ENOENT;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int xml_escape(struct sbuf *b, const char *t)
{
	for (; *t; t++) {
		switch (*t) {
		case '&': sbuf_add(b, "&amp;", 5); break;
		case '<': sbuf_add(b, "&lt;", 4); break;
		case '>': sbuf_add(b, "&gt;", 4); break;
		case '"': sbuf_add(b, "&quot;", 6); break;
		case '\'': sbuf_add(b, "&apos;", 6); break;
		default: sbuf_add(b, t, 1);
		}
	}
	return b->err;
}

int xml_leaf(struct sbuf *b, const char *name, const char *text)
{
	sbuf_printf(b, "<%s>", name);
	xml_escape(b, text);
	return sbuf_printf(b, "</%s>", name);
}

int xml_leaf_ll(struct sbuf *b, const char *name, long long v)
{
	return sbuf_printf(b, "<%s>%lld</%s>", name, v, name);
}
