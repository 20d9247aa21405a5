#include "util/sbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SBUF_DEFAULT_MAX (64u << 20)

void sbuf_init(struct sbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max ? max : SBUF_DEFAULT_MAX;
}

void sbuf_free(struct sbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}

void sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	b->err = 0;
}

int sbuf_reserve(struct sbuf *b, size_t extra)
{
	size_t need, ncap;
	uint8_t *p;

	if (b->err)
		return b->err;
	if (extra > b->max || b->len > b->max - extra)
		return b->err = -E2BIG;
	need = b->len + extra + 1;     /* room for sbuf_str's NUL */
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	p = realloc(b->data, ncap);
	if (!p)
		return b->err = -ENOMEM;
	b->data = p;
	b->cap = ncap;
	return 0;
}

int sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	int r = sbuf_reserve(b, n);

	if (r < 0)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return b->err = -EINVAL;
	r = sbuf_reserve(b, (size_t)n);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int sbuf_add_le16(struct sbuf *b, uint16_t v)
{
	uint8_t t[2];

	wr_le16(t, v);
	return sbuf_add(b, t, 2);
}

int sbuf_add_le32(struct sbuf *b, uint32_t v)
{
	uint8_t t[4];

	wr_le32(t, v);
	return sbuf_add(b, t, 4);
}

void sbuf_consume(struct sbuf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

const char *sbuf_str(struct sbuf *b)
{
	if (sbuf_reserve(b, 0) < 0 || !b->data)
		return "";
	b->data[b->len] = 0;
	return (const char *)b->data;
}
