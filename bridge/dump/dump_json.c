#include "dump/dump_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

/* One output line: the biggest is an XML payload capped at DUMP_MAX_STR, escaped (≤ 6×). */
#define JW_LINE_MAX (16u << 20)

void jw_init(struct jw *j)
{
	memset(j, 0, sizeof(*j));
	sbuf_init(&j->b, JW_LINE_MAX);
}

void jw_free(struct jw *j)
{
	sbuf_free(&j->b);
}

void jw_begin(struct jw *j)
{
	sbuf_reset(&j->b);
	sbuf_add(&j->b, "{", 1);
	j->comma = false;
	j->depth = 1;
}

int jw_end(struct jw *j, FILE *f)
{
	int r;

	sbuf_add(&j->b, "}\n", 2);
	r = j->b.err;
	if (!r && fwrite(j->b.data, 1, j->b.len, f) != j->b.len)
		r = -EIO;
	sbuf_reset(&j->b);
	j->depth = 0;
	return r;
}

void jw_key(struct jw *j, const char *key)
{
	if (j->comma)
		sbuf_add(&j->b, ",", 1);
	j->comma = true;
	if (key) {
		sbuf_add(&j->b, "\"", 1);
		json_escape(&j->b, (const uint8_t *)key, strlen(key));
		sbuf_add(&j->b, "\":", 2);
	}
}

void jw_obj(struct jw *j, const char *key)
{
	jw_key(j, key);
	sbuf_add(&j->b, "{", 1);
	j->comma = false;
	j->depth++;
}

void jw_obj_end(struct jw *j)
{
	sbuf_add(&j->b, "}", 1);
	j->comma = true;
	j->depth--;
}

void jw_arr(struct jw *j, const char *key)
{
	jw_key(j, key);
	sbuf_add(&j->b, "[", 1);
	j->comma = false;
	j->depth++;
}

void jw_arr_end(struct jw *j)
{
	sbuf_add(&j->b, "]", 1);
	j->comma = true;
	j->depth--;
}

void jw_strn(struct jw *j, const char *key, const void *s, size_t len)
{
	jw_key(j, key);
	sbuf_add(&j->b, "\"", 1);
	json_escape(&j->b, s, len);
	sbuf_add(&j->b, "\"", 1);
}

void jw_str(struct jw *j, const char *key, const char *s)
{
	if (!s)
		jw_null(j, key);
	else
		jw_strn(j, key, s, strlen(s));
}

void jw_strf(struct jw *j, const char *key, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	jw_str(j, key, buf);
}

void jw_u64(struct jw *j, const char *key, uint64_t v)
{
	jw_key(j, key);
	sbuf_printf(&j->b, "%" PRIu64, v);
}

void jw_i64(struct jw *j, const char *key, int64_t v)
{
	jw_key(j, key);
	sbuf_printf(&j->b, "%" PRId64, v);
}

void jw_dbl(struct jw *j, const char *key, double v, int decimals)
{
	jw_key(j, key);
	sbuf_printf(&j->b, "%.*f", decimals, v);
}

void jw_bool(struct jw *j, const char *key, bool v)
{
	jw_key(j, key);
	sbuf_printf(&j->b, "%s", v ? "true" : "false");
}

void jw_null(struct jw *j, const char *key)
{
	jw_key(j, key);
	sbuf_add(&j->b, "null", 4);
}

void jw_hex(struct jw *j, const char *key, const void *s, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	const uint8_t *p = s;

	jw_key(j, key);
	sbuf_add(&j->b, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		char c[2] = { hx[p[i] >> 4], hx[p[i] & 15] };
		sbuf_add(&j->b, c, 2);
	}
	sbuf_add(&j->b, "\"", 1);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid (overlong, surrogate,
 * beyond U+10FFFF, truncated). */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	uint32_t cp;
	size_t k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		k = 2; cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		k = 3; cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		k = 4; cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

void json_escape(struct sbuf *b, const uint8_t *s, size_t len)
{
	size_t i = 0, run = 0;

	/* Plain runs are copied in one go: XML payloads are mostly ASCII. */
	while (i < len) {
		uint8_t c = s[i];
		size_t k;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			run++;
			continue;
		}
		if (run)
			sbuf_add(b, s + i - run, run);
		run = 0;
		switch (c) {
		case '"': sbuf_add(b, "\\\"", 2); i++; continue;
		case '\\': sbuf_add(b, "\\\\", 2); i++; continue;
		case '\n': sbuf_add(b, "\\n", 2); i++; continue;
		case '\r': sbuf_add(b, "\\r", 2); i++; continue;
		case '\t': sbuf_add(b, "\\t", 2); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			sbuf_printf(b, "\\u%04x", c);
			i++;
			continue;
		}
		k = utf8_len(s + i, len - i);
		if (k == 0) {
			sbuf_add(b, "\\ufffd", 6);
			i++;
			continue;
		}
		sbuf_add(b, s + i, k);
		i += k;
	}
	if (run)
		sbuf_add(b, s + i - run, run);
}
