/* Range: bytes=a-b | a- | -n, one range, strict digits. */
#include "http/http_range.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

/* Digits into *v (at most 18: no overflow); the end in *end.  0 or -EINVAL. */
static int num(const char *s, const char **end, uint64_t *v)
{
	size_t n = 0;

	*v = 0;
	while (s[n] >= '0' && s[n] <= '9') {
		if (n == 18)
			return -EINVAL;
		*v = *v * 10 + (uint64_t)(s[n] - '0');
		n++;
	}
	*end = s + n;
	return n ? 0 : -EINVAL;
}

int http_range_parse(const char *hdr, uint64_t size, uint64_t *first, uint64_t *len)
{
	static const char unit[] = "bytes=";
	uint64_t a, b;
	const char *p;

	*first = 0;
	*len = size;
	if (!hdr || strncasecmp(hdr, unit, sizeof(unit) - 1))
		return 0;
	p = hdr + sizeof(unit) - 1;
	if (*p == '-') {    /* the last n bytes */
		if (num(p + 1, &p, &b) < 0 || *p)
			return 0;
		if (!b || !size)
			return -ERANGE;
		*len = b < size ? b : size;
		*first = size - *len;
		return 1;
	}
	if (num(p, &p, &a) < 0 || *p++ != '-')
		return 0;
	if (!*p) {
		b = UINT64_MAX;
	} else if (num(p, &p, &b) < 0 || *p || b < a) {
		return 0;    /* bad syntax, or several ranges: ignored */
	}
	if (a >= size)
		return -ERANGE;
	if (b >= size)
		b = size - 1;
	*first = a;
	*len = b - a + 1;
	return 1;
}
