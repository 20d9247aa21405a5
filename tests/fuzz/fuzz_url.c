/* libFuzzer: source URLs — url_parse, url_redact (never leaks the password it parsed) and
 * url_encode over any bytes. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/url.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static char s[4096], out[8192], err[256];
	static struct url u;
	int r;

	if (n >= sizeof(s))
		n = sizeof(s) - 1;
	memcpy(s, d, n);
	s[n] = 0;
	err[0] = 0;
	r = url_parse(s, &u, err, sizeof(err));
	CHECK(r == 0 || (r == -EINVAL && err[0]));
	CHECK(memchr(err, 0, sizeof(err)) != NULL);
	if (r == 0 && u.kind != URL_AV && u.has_password && strlen(u.password) >= 4 &&
	    !strchr(u.password, '*')) {
		CHECK(strstr(err, u.password) == NULL);
		/* the same text may also appear outside the userinfo (or only percent-encoded):
		 * redaction never adds a copy and removes the userinfo's */
		if (url_redact(s, out, sizeof(out)) == 0)
			CHECK(count(s, u.password) ? count(out, u.password) < count(s, u.password)
						   : count(out, u.password) == 0);
	}
	r = url_redact(s, out, sizeof(out));
	CHECK(r == 0 || r == -ENOSPC);
	CHECK(memchr(out, 0, sizeof(out)) != NULL);
	r = url_encode(s, out, sizeof(out));
	CHECK(r == 0 || r == -ENOSPC);
	(void)url_kind_name(u.kind);
	return 0;
}
