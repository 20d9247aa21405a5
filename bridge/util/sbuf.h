/* A growable byte buffer with a hard cap, for building messages and text. */
#ifndef CB_UTIL_SBUF_H
#define CB_UTIL_SBUF_H

#include <stddef.h>
#include <stdint.h>

struct sbuf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;      /* never grows past this; 0 = 64 MiB */
	int err;         /* first error (-ENOMEM / -E2BIG); later appends are ignored */
};

void sbuf_init(struct sbuf *b, size_t max);
void sbuf_free(struct sbuf *b);
void sbuf_reset(struct sbuf *b);
int sbuf_reserve(struct sbuf *b, size_t extra);
int sbuf_add(struct sbuf *b, const void *p, size_t n);
int sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sbuf_add_le16(struct sbuf *b, uint16_t v);
int sbuf_add_le32(struct sbuf *b, uint32_t v);
/* Drop the first n bytes (consumed input). */
void sbuf_consume(struct sbuf *b, size_t n);
/* NUL-terminated view of the contents (the NUL is not counted in len). */
const char *sbuf_str(struct sbuf *b);

static inline uint16_t rd_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t rd_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void wr_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void wr_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

#endif
