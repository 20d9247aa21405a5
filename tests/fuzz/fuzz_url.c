/* libFuzzer: source URLs — url_parse, url_redact (never leaks the password it parsed) and
 * url_encode over any bytes. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/url.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static char s[4096], out[8192], err[256];
	static struct url u, u2;
	int r;

	if (n >= sizeof(s))
		n = sizeof(s) - 1;
	memcpy(s, d, n);
	s[n] = 0;
	err[0] = 0;
	r = url_parse(s, &u, err, sizeof(err));
	CHECK(r == 0 || (r == -EINVAL && err[0]));
	CHECK(memchr(err, 0, sizeof(err)) != NULL);
	/* the redacted URL parses to the same URL with the password "***": exactly the parsed
	 * password went, wherever else the same text may appear */
	if (r == 0 && u.kind != URL_AV && u.has_password && url_redact(s, out, sizeof(out)) == 0 &&
	    url_parse(out, &u2, err, sizeof(err)) == 0) {
		CHECK(u2.has_password && !strcmp(u2.password, "***"));
		CHECK(!strcmp(u2.user, u.user) && !strcmp(u2.host, u.host));
	}
	r = url_redact(s, out, sizeof(out));
	CHECK(r == 0 || r == -ENOSPC);
	CHECK(memchr(out, 0, sizeof(out)) != NULL);
	r = url_encode(s, out, sizeof(out));
	CHECK(r == 0 || r == -ENOSPC);
	(void)url_kind_name(u.kind);
	return 0;
}
