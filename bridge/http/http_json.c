#include "http/http_text.h"
#include "util/sbuf.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* json = 1: JSON string body; json = 0: Prometheus label value. */
static void escape(struct sbuf *b, const char *str, size_t max_in, int json)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t n = strnlen((const char *)s, max_in);

	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t l = utf8_len(s + i, n - i);

		if (!l) {
			sbuf_add(b, "\xef\xbf\xbd", 3);
			i++;
			continue;
		}
		if (l > 1) {
			sbuf_add(b, s + i, l);
			i += l;
			continue;
		}
		i++;
		if (c == '"' || c == '\\') {
			sbuf_add(b, "\\", 1);
			sbuf_add(b, &c, 1);
		} else if (c == '\n') {
			sbuf_add(b, "\\n", 2);
		} else if (json && c < 0x20) {
			sbuf_printf(b, "\\u%04x", c);
		} else if (json && (c == '<' || c == '>' || c == '&')) {
			/* harmless in JSON, and keeps it inert if someone embeds it in HTML */
			sbuf_printf(b, "\\u%04x", c);
		} else if (!json && (c < 0x20 || c == 0x7f)) {
			sbuf_add(b, "\xef\xbf\xbd", 3);
		} else {
			sbuf_add(b, &c, 1);
		}
	}
}

void http_json_str(struct sbuf *b, const char *s, size_t max_in)
{
	sbuf_add(b, "\"", 1);
	escape(b, s, max_in, 1);
	sbuf_add(b, "\"", 1);
}

void http_prom_label(struct sbuf *b, const char *s, size_t max_in)
{
	escape(b, s, max_in, 0);
}
