/* Camera-style XML for BC bodies: writing (declaration + newline, one element per line, as
 * Reolink cameras format it) and small typed read helpers over bc/xml.h. */
#ifndef CB_BC_XMLW_H
#define CB_BC_XMLW_H

#include <stddef.h>
#include <stdint.h>

#include "bc/xml.h"
#include "util/sbuf.h"

#define BCX_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"

/* All writers append to b and return b->err (0 or a negative errno). */
int bcx_decl(struct sbuf *b);                          /* the declaration line */
int bcx_begin(struct sbuf *b);                         /* declaration + "<body>\n" */
int bcx_end(struct sbuf *b);                           /* "</body>\n" */
int bcx_open(struct sbuf *b, const char *name);        /* "<name>\n" */
int bcx_open_v(struct sbuf *b, const char *name);      /* "<name version=\"1.1\">\n" */
int bcx_close(struct sbuf *b, const char *name);       /* "</name>\n" */
int bcx_leaf(struct sbuf *b, const char *name, const char *text);   /* "<n>escaped</n>\n" */
int bcx_leaf_ll(struct sbuf *b, const char *name, long long v);

/* Parses an XML unit (extension or payload).  *root = document element. 0 or negative errno. */
int bcx_parse(const void *buf, size_t len, struct xml_doc **doc, const struct xml_node **root);
/* The element `name`: root itself or its first descendant of that name; NULL if absent. */
const struct xml_node *bcx_elem(const struct xml_node *root, const char *name);

/* Typed getters of the child path below n.  0, -ENOENT (absent), -EINVAL (not a number / out
 * of range), -E2BIG (string truncated; out still NUL-terminated). */
int bcx_get_str(const struct xml_node *n, const char *path, char *out, size_t size);
int bcx_get_u32(const struct xml_node *n, const char *path, uint32_t *out);
int bcx_get_i32(const struct xml_node *n, const char *path, int32_t *out);

/* Flat structs <-> XML elements, driven by a table so parse and build stay in step and keep
 * the camera's element order.  OPEN/CLOSE nest one level ("<resolution>…</resolution>"). */
enum bcx_kind { BCX_STR, BCX_U32, BCX_I32, BCX_OPEN, BCX_CLOSE };
struct bcx_field {
	enum bcx_kind kind;
	const char *name;
	size_t off, size;           /* member offset and size (char arrays: buffer size) */
};
#define BCX_F_STR(T, name, m) { BCX_STR, name, offsetof(T, m), sizeof(((T *)0)->m) }
#define BCX_F_U32(T, name, m) { BCX_U32, name, offsetof(T, m), sizeof(uint32_t) }
#define BCX_F_I32(T, name, m) { BCX_I32, name, offsetof(T, m), sizeof(int32_t) }
#define BCX_F_OPEN(name)      { BCX_OPEN, name, 0, 0 }
#define BCX_F_CLOSE(name)     { BCX_CLOSE, name, 0, 0 }
#define BCX_COUNT(a)          (sizeof(a) / sizeof((a)[0]))

/* Absent or malformed fields are left as they are (zero the struct first). */
void bcx_fields_parse(const struct xml_node *n, const struct bcx_field *f, size_t count, void *obj);
/* Writes every field (one per line). */
int bcx_fields_build(struct sbuf *b, const struct bcx_field *f, size_t count, const void *obj);

#endif
