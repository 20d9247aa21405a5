/* A small read-only XML tree over expat, for the Baichuan bodies and the BcUdp discovery XML,
 * plus an escaping writer.  Input is hostile: depth, node count and text size are capped. */
#ifndef CB_BC_XML_H
#define CB_BC_XML_H

#include <stddef.h>
#include "util/sbuf.h"

#define XML_MAX_DEPTH  32
#define XML_MAX_NODES  4096
#define XML_MAX_INPUT  (1u << 20)

struct xml_node {
	const char *name;
	const char *text;          /* character data of this element, whitespace-trimmed, "" if none */
	struct xml_node *parent, *child, *next;
};

struct xml_doc;

/* 0, or -EBADMSG (not well-formed), -E2BIG (over a limit), -ENOMEM. */
int xml_parse(const void *buf, size_t len, struct xml_doc **out);
void xml_free(struct xml_doc *doc);
const struct xml_node *xml_root(const struct xml_doc *doc);

/* First descendant path "a/b/c" below `from` (each step = first child with that name).
 * A path starting with "//" searches the whole subtree for the first element of that name. */
const struct xml_node *xml_find(const struct xml_node *from, const char *path);
/* Text of xml_find(from, path), or NULL when absent. */
const char *xml_get(const struct xml_node *from, const char *path);
/* 0 and *out, -ENOENT when absent, -EINVAL when not a decimal integer in range. */
int xml_get_ll(const struct xml_node *from, const char *path, long long *out);
/* First child / next sibling with this name (NULL name = any). */
const struct xml_node *xml_child(const struct xml_node *n, const char *name);
const struct xml_node *xml_next(const struct xml_node *n, const char *name);

/* Writing: xml_escape appends text with &<>"' escaped. */
int xml_escape(struct sbuf *b, const char *text);
/* <name>escaped text</name> */
int xml_leaf(struct sbuf *b, const char *name, const char *text);
int xml_leaf_ll(struct sbuf *b, const char *name, long long v);

#endif
