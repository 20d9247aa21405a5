#include "http/http_auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

static int sha256(const void *p, size_t n, uint8_t out[32])
{
	unsigned len = 0;

	return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : -EIO;
}

int http_auth_init(struct http_auth *a, const char *user, const char *password)
{
	char buf[HTTP_AUTH_MAX_HEADER];
	int n, r;

	if (!user || !*user || strchr(user, ':') || !password)
		return -EINVAL;
	n = snprintf(buf, sizeof(buf), "%s:%s", user, password);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	r = sha256(buf, (size_t)n, a->digest);
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

int http_auth_check(const struct http_auth *a, const char *header)
{
	uint8_t dec[HTTP_AUTH_MAX_HEADER], d[32];
	size_t n;
	int len, ok;

	if (!header || strncasecmp(header, "Basic ", 6))
		return 0;
	header += 6;
	header += strspn(header, " ");
	n = strlen(header);
	/* Base64 comes in whole quads: anything else is malformed, not to be guessed at. */
	if (!n || n >= sizeof(dec) || n % 4 || strspn(header, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"abcdefghijklmnopqrstuvwxyz0123456789+/=") != n)
		return 0;
	const char *eq = strchr(header, '=');
	if (eq && (size_t)(eq - header) < n - 2)
		return 0;
	len = EVP_DecodeBlock(dec, (const unsigned char *)header, (int)n);
	if (len < 0)
		return 0;
	/* EVP_DecodeBlock counts the padding as zero bytes: they are not part of the value. */
	for (size_t i = n; i > n - 2 && header[i - 1] == '='; i--)
		len--;
	ok = len >= 0 && sha256(dec, (size_t)len, d) == 0 && CRYPTO_memcmp(d, a->digest, 32) == 0;
	OPENSSL_cleanse(dec, sizeof(dec));
	return ok;
}
