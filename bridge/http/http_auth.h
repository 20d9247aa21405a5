/* HTTP basic authentication: the decoded "user:password" of an Authorization header must equal
 * the configured one byte for byte, length included ("u:p<NUL>junk" is not "u:p").  Compared
 * as SHA-256 digests with CRYPTO_memcmp, so the time taken says nothing about the secret. */
#ifndef CB_HTTP_AUTH_H
#define CB_HTTP_AUTH_H

#include <stdint.h>

/* Longest Authorization header value looked at; longer ones are refused unread. */
#define HTTP_AUTH_MAX_HEADER 1024

struct http_auth {
	uint8_t digest[32];        /* SHA-256 of "user:password" */
};

/* -EINVAL for an empty user, a user with ':' or no password; -EIO if hashing failed. */
int http_auth_init(struct http_auth *a, const char *user, const char *password);
/* 1 when `header` (an Authorization value, NULL = absent) carries the right credentials. */
int http_auth_check(const struct http_auth *a, const char *header);

#endif
