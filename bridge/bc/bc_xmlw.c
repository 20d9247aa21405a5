#include "bc/bc_xmlw.h"

#include <errno.h>
#include <string.h>

int bcx_decl(struct sbuf *b)
{
	return sbuf_add(b, BCX_DECL, sizeof(BCX_DECL) - 1);
}

int bcx_begin(struct sbuf *b)
{
	bcx_decl(b);
	return sbuf_add(b, "<body>\n", 7);
}

int bcx_end(struct sbuf *b)
{
	return sbuf_add(b, "</body>\n", 8);
}

int bcx_open(struct sbuf *b, const char *name)
{
	return sbuf_printf(b, "<%s>\n", name);
}

int bcx_open_v(struct sbuf *b, const char *name)
{
	return sbuf_printf(b, "<%s version=\"1.1\">\n", name);
}

int bcx_close(struct sbuf *b, const char *name)
{
	return sbuf_printf(b, "</%s>\n", name);
}

int bcx_leaf(struct sbuf *b, const char *name, const char *text)
{
	const char *cr;
	char chunk[256];

	if (!text)
		text = "";
	sbuf_printf(b, "<%s>", name);
	/* A raw CR would come back as LF (XML end-of-line handling): write it as a reference. */
	while ((cr = strchr(text, '\r'))) {
		size_t n = (size_t)(cr - text);
		while (n) {
			size_t k = n < sizeof(chunk) - 1 ? n : sizeof(chunk) - 1;
			memcpy(chunk, text, k);
			chunk[k] = 0;
			xml_escape(b, chunk);
			text += k;
			n -= k;
		}
		sbuf_add(b, "&#13;", 5);
		text++;
	}
	xml_escape(b, text);
	return sbuf_printf(b, "</%s>\n", name);
}

int bcx_leaf_ll(struct sbuf *b, const char *name, long long v)
{
	xml_leaf_ll(b, name, v);
	return sbuf_add(b, "\n", 1);
}

int bcx_parse(const void *buf, size_t len, struct xml_doc **doc, const struct xml_node **root)
{
	int r = xml_parse(buf, len, doc);

	if (r < 0)
		return r;
	*root = xml_root(*doc);
	return 0;
}

const struct xml_node *bcx_elem(const struct xml_node *root, const char *name)
{
	char path[96];
	size_t n = strlen(name);

	if (!root)
		return NULL;
	if (!strcmp(root->name, name))
		return root;
	if (n + 3 > sizeof(path))
		return NULL;
	path[0] = path[1] = '/';
	memcpy(path + 2, name, n + 1);
	return xml_find(root, path);
}

int bcx_get_str(const struct xml_node *n, const char *path, char *out, size_t size)
{
	const char *s = xml_get(n, path);
	size_t l;

	if (size)
		out[0] = 0;
	if (!s)
		return -ENOENT;
	if (!size)
		return -E2BIG;
	l = strlen(s);
	if (l >= size) {
		/* Truncate on a UTF-8 character boundary so the result stays valid text. */
		l = size - 1;
		while (l > 0 && ((unsigned char)s[l] & 0xc0) == 0x80)
			l--;
		memcpy(out, s, l);
		out[l] = 0;
		return -E2BIG;
	}
	memcpy(out, s, l + 1);
	return 0;
}

int bcx_get_u32(const struct xml_node *n, const char *path, uint32_t *out)
{
	long long v;
	int r = xml_get_ll(n, path, &v);

	if (r < 0)
		return r;
	if (v < 0 || v > 0xffffffffLL)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int bcx_get_i32(const struct xml_node *n, const char *path, int32_t *out)
{
	long long v;
	int r = xml_get_ll(n, path, &v);

	if (r < 0)
		return r;
	if (v < INT32_MIN || v > INT32_MAX)
		return -EINVAL;
	*out = (int32_t)v;
	return 0;
}

void bcx_fields_parse(const struct xml_node *n, const struct bcx_field *f, size_t count, void *obj)
{
	const struct xml_node *cur = n;

	for (size_t i = 0; i < count; i++) {
		char *p = (char *)obj + f[i].off;
		uint32_t u;
		int32_t s;

		switch (f[i].kind) {
		case BCX_OPEN: cur = xml_child(n, f[i].name); break;
		case BCX_CLOSE: cur = n; break;
		case BCX_STR: (void)bcx_get_str(cur, f[i].name, p, f[i].size); break;
		case BCX_U32:
			if (bcx_get_u32(cur, f[i].name, &u) == 0)
				memcpy(p, &u, sizeof(u));
			break;
		case BCX_I32:
			if (bcx_get_i32(cur, f[i].name, &s) == 0)
				memcpy(p, &s, sizeof(s));
			break;
		}
	}
}

int bcx_fields_build(struct sbuf *b, const struct bcx_field *f, size_t count, const void *obj)
{
	for (size_t i = 0; i < count; i++) {
		const char *p = (const char *)obj + f[i].off;
		uint32_t u;
		int32_t s;

		switch (f[i].kind) {
		case BCX_OPEN: bcx_open(b, f[i].name); break;
		case BCX_CLOSE: bcx_close(b, f[i].name); break;
		case BCX_STR: bcx_leaf(b, f[i].name, p); break;
		case BCX_U32:
			memcpy(&u, p, sizeof(u));
			bcx_leaf_ll(b, f[i].name, u);
			break;
		case BCX_I32:
			memcpy(&s, p, sizeof(s));
			bcx_leaf_ll(b, f[i].name, s);
			break;
		}
	}
	return b->err;
}
