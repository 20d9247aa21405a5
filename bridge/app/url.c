/* Camera source URL parsing and redaction (see url.h for the grammar). */
#include "app/url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/num.h"

#define ECHO_MAX 40     /* longest piece of the input echoed in an error */

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

const char *url_kind_name(enum url_kind k)
{
	switch (k) {
	case URL_BC_UDP: return "bc-udp";
	case URL_BC_TCP: return "bc-tcp";
	case URL_BC_P2P: return "bc-p2p";
	case URL_AV: break;
	}
	return "url";
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes [s, s+n) into out (max bytes + NUL).  `what` names the field in errors; the value
 * itself is never echoed (it may be a password). */
static int pct_decode(const char *s, size_t n, char *out, size_t max, const char *what,
		      char *err, size_t errlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return fail(err, errlen, "invalid percent-encoding in %s "
					    "(write '%%' as %%25)", what);
			c = (unsigned char)(hi << 4 | lo);
			if (c == 0)
				return fail(err, errlen, "%%00 (NUL byte) in %s", what);
			i += 2;
		}
		if (o >= max)
			return fail(err, errlen, "%s longer than %zu bytes", what, max);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static int is_hostname_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

static int valid_uid(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s))
			return 0;
	return 1;
}

static int parse_port(const char *s, size_t n, int *port, char *err, size_t errlen)
{
	long long v;
	int r;

	if (n == 0)
		return fail(err, errlen, "empty port after ':'");
	r = s[0] == '-' ? -EINVAL : num_parse(s, n, 0, 65535, &v);
	if (r == -EINVAL)
		return fail(err, errlen, "port is not a number");
	if (r < 0)
		return fail(err, errlen, "port out of range 1..65535");
	if (v < 1)
		return fail(err, errlen, "port 0 out of range 1..65535");
	*port = (int)v;
	return 0;
}

/* HOST[:PORT] or [V6]:PORT from [s, s+n).  The port is never echoed: with the host left out,
 * "user:PASS" lands here. */
static int parse_hostport(const char *s, size_t n, struct url *u, char *err, size_t errlen)
{
	const char *port = NULL;
	size_t hn, pn = 0;

	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		char tmp[URL_HOST_MAX + 1], addr[URL_HOST_MAX + 1];
		struct in6_addr a6;
		char *pct;

		if (!close)
			return fail(err, errlen, "missing ']' after IPv6 address");
		if (close + 1 < s + n) {
			if (close[1] != ':')
				return fail(err, errlen, "unexpected text after ']' "
					    "(expected ':PORT')");
			port = close + 2;
			pn = (size_t)(s + n - port);
		}
		if (pct_decode(s + 1, (size_t)(close - s - 1), tmp, URL_HOST_MAX, "host",
			       err, errlen))
			return -EINVAL;
		/* A zone ("%eth0", written %25eth0) is kept in host but not given to inet_pton. */
		snprintf(addr, sizeof(addr), "%s", tmp);
		pct = strchr(addr, '%');
		if (pct) {
			if (!pct[1])
				return fail(err, errlen, "empty IPv6 zone after '%%25'");
			for (const char *z = pct + 1; *z; z++)
				if (!is_hostname_char(*z))
					return fail(err, errlen, "invalid IPv6 zone");
			*pct = '\0';
		}
		if (inet_pton(AF_INET6, addr, &a6) != 1)
			return fail(err, errlen, "invalid IPv6 address '%.*s'", ECHO_MAX, tmp);
		snprintf(u->host, sizeof(u->host), "%s", tmp);
	} else {
		const char *colon = memchr(s, ':', n);

		hn = colon ? (size_t)(colon - s) : n;
		if (colon) {
			if (memchr(colon + 1, ':', n - hn - 1))
				return fail(err, errlen, "an IPv6 address must be written in "
					    "brackets: [addr]:port");
			port = colon + 1;
			pn = n - hn - 1;
		}
		if (hn > URL_HOST_MAX)
			return fail(err, errlen, "host longer than %d bytes", URL_HOST_MAX);
		for (size_t i = 0; i < hn; i++)
			if (!is_hostname_char(s[i]) && !(hn == 1 && s[i] == '*'))
				return fail(err, errlen, "invalid character '%c' in host '%.*s'",
					    s[i], (int)(hn < ECHO_MAX ? hn : ECHO_MAX), s);
		memcpy(u->host, s, hn);
		u->host[hn] = '\0';
	}
	if (port && parse_port(port, pn, &u->port, err, errlen))
		return -EINVAL;
	return 0;
}

static int parse_query(const char *q, struct url *u, char *err, size_t errlen)
{
	int have_uid = 0;

	while (*q) {
		const char *end = strchr(q, '&');
		size_t n = end ? (size_t)(end - q) : strlen(q);
		const char *eq = memchr(q, '=', n);
		size_t kn = eq ? (size_t)(eq - q) : n;
		const char *v = eq ? eq + 1 : q + n;
		size_t vn = (size_t)(q + n - v);

		if (n == 0)
			return fail(err, errlen, "empty query parameter (stray '&')");
		if (!eq)
			return fail(err, errlen, "query parameter '%.*s' needs a value ('name=value')",
				    (int)(kn < ECHO_MAX ? kn : ECHO_MAX), q);
		if (kn == 3 && !strncmp(q, "uid", 3)) {
			if (u->kind == URL_BC_P2P)
				return fail(err, errlen, "bc-p2p: the UID is the host part, "
					    "not ?uid=");
			if (u->kind != URL_BC_UDP)
				return fail(err, errlen, "?uid= only applies to bc-udp");
			if (have_uid++)
				return fail(err, errlen, "duplicate ?uid=");
			if (pct_decode(v, vn, u->uid, URL_UID_MAX, "uid", err, errlen))
				return -EINVAL;
			if (!valid_uid(u->uid))
				return fail(err, errlen, "uid '%.*s' must be 1..%d letters and digits",
					    ECHO_MAX, u->uid, URL_UID_MAX);
		} else if (kn == 5 && !strncmp(q, "iface", 5)) {
			char *dst;

			if (u->kind != URL_BC_UDP)
				return fail(err, errlen, "?iface= only applies to bc-udp");
			if (u->n_iface >= URL_MAX_IFACES)
				return fail(err, errlen, "more than %d ?iface= parameters",
					    URL_MAX_IFACES);
			dst = u->iface[u->n_iface];
			if (pct_decode(v, vn, dst, URL_IFACE_MAX, "iface", err, errlen))
				return -EINVAL;
			if (!*dst)
				return fail(err, errlen, "empty ?iface=");
			for (const char *c = dst; *c; c++)
				if (*c == '/' || isspace((unsigned char)*c))
					return fail(err, errlen, "invalid interface name '%s'", dst);
			u->n_iface++;
		} else {
			return fail(err, errlen, "unknown query parameter '%.*s' (%s knows %s)",
				    (int)(kn < ECHO_MAX ? kn : ECHO_MAX), q, url_kind_name(u->kind),
				    u->kind == URL_BC_UDP ? "uid, iface" : "none");
		}
		q += n + (end ? 1 : 0);
		if (end && !*q)
			return fail(err, errlen, "empty query parameter (stray '&')");
	}
	return 0;
}

static int parse_bc(const char *rest, struct url *u, char *err, size_t errlen)
{
	const char *name = url_kind_name(u->kind);
	size_t an = strcspn(rest, "/?#");
	const char *after = rest + an;
	const char *at = NULL, *hp;
	const char *path, *query = NULL;
	size_t pn;

	/* An '@' after the host means the password holds an unencoded '/', '?' or '#'; say so
	 * without echoing anything. */
	if (strchr(after, '@'))
		return fail(err, errlen, "%s: '@' after the host: percent-encode '/', '?', '#' "
			    "and '@' in the user name and password (%%2F %%3F %%23 %%40)", name);
	for (const char *p = rest; p < after; p++)
		if (*p == '@')
			at = p;
	if (at) {
		const char *colon = memchr(rest, ':', (size_t)(at - rest));
		size_t un = colon ? (size_t)(colon - rest) : (size_t)(at - rest);

		if (pct_decode(rest, un, u->user, URL_USER_MAX, "user name", err, errlen))
			return -EINVAL;
		u->has_user = un > 0;
		if (colon) {
			if (pct_decode(colon + 1, (size_t)(at - colon - 1), u->password,
				       URL_PASS_MAX, "password", err, errlen))
				return -EINVAL;
			u->has_password = 1;
		}
		hp = at + 1;
	} else {
		hp = rest;
	}
	if (parse_hostport(hp, (size_t)(after - hp), u, err, errlen)) {
		/* prefix the scheme for context */
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s", err ? err : "");
		return fail(err, errlen, "%s: %s", name, tmp);
	}

	if (u->kind == URL_BC_UDP &&
	    (!strcasecmp(u->host, "broadcast") || !strcmp(u->host, "*"))) {
		u->broadcast = 1;
		u->host[0] = '\0';
	} else if (!strcmp(u->host, "*")) {
		return fail(err, errlen, "%s: '*' (broadcast) only applies to bc-udp", name);
	} else if (!u->host[0]) {
		return fail(err, errlen, "%s: missing %s", name,
			    u->kind == URL_BC_P2P ? "camera UID" :
			    u->kind == URL_BC_UDP ? "host (or 'broadcast')" : "host");
	}
	if (u->kind == URL_BC_P2P) {
		if (u->port)
			return fail(err, errlen, "bc-p2p: no port after the UID (the P2P "
				    "servers tell where the camera is)");
		if (!valid_uid(u->host) || strlen(u->host) > URL_UID_MAX)
			return fail(err, errlen, "bc-p2p: UID '%.*s' must be 1..%d letters and "
				    "digits", ECHO_MAX, u->host, URL_UID_MAX);
		memcpy(u->uid, u->host, strlen(u->host) + 1);
	}
	if (u->kind == URL_BC_TCP && !u->port)
		u->port = URL_BC_TCP_PORT;

	path = after;
	pn = strcspn(path, "?#");
	u->stream = -1;
	if (pn == 0 || (pn == 1 && path[0] == '/'))
		;
	else if (pn == 5 && !strncasecmp(path, "/main", 5))
		u->stream = 0;
	else if (pn == 4 && !strncasecmp(path, "/sub", 4))
		u->stream = 1;
	else
		return fail(err, errlen, "%s: unknown stream '%.*s' (expected /main or /sub)",
			    name, (int)(pn < ECHO_MAX ? pn : ECHO_MAX), path);
	if (path[pn] == '#')
		return fail(err, errlen, "%s: a '#fragment' is not allowed", name);
	if (path[pn] == '?') {
		query = path + pn + 1;
		if (strchr(query, '#'))
			return fail(err, errlen, "%s: a '#fragment' is not allowed", name);
		if (!*query)
			return fail(err, errlen, "%s: empty query after '?'", name);
		if (parse_query(query, u, err, errlen)) {
			char tmp[256];

			snprintf(tmp, sizeof(tmp), "%s", err ? err : "");
			return fail(err, errlen, "%s: %s", name, tmp);
		}
	}
	return 0;
}

int url_parse(const char *s, struct url *u, char *err, size_t errlen)
{
	static const struct { const char *scheme; enum url_kind kind; } bc[] = {
		{ "bc-udp", URL_BC_UDP }, { "bc-tcp", URL_BC_TCP }, { "bc-p2p", URL_BC_P2P },
	};
	size_t len, sn = 0;

	memset(u, 0, sizeof(*u));
	u->stream = -1;
	if (err && errlen)
		err[0] = '\0';
	if (!s || !*s)
		return fail(err, errlen, "empty source");
	len = strlen(s);
	if (len > URL_MAX_LEN)
		return fail(err, errlen, "source longer than %d bytes", URL_MAX_LEN);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(err, errlen, "control character at offset %zu", i);

	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (isalpha((unsigned char)s[0])) {
		sn = 1;
		while (isalnum((unsigned char)s[sn]) || s[sn] == '+' || s[sn] == '-' ||
		       s[sn] == '.')
			sn++;
		if (s[sn] != ':')
			sn = 0;
	}
	for (size_t i = 0; i < sizeof(bc) / sizeof(bc[0]); i++) {
		if (sn != strlen(bc[i].scheme) || strncasecmp(s, bc[i].scheme, sn))
			continue;
		u->kind = bc[i].kind;
		if (strncmp(s + sn, "://", 3))
			return fail(err, errlen, "%s: expected '%s://' at the start",
				    bc[i].scheme, bc[i].scheme);
		return parse_bc(s + sn + 3, u, err, errlen);
	}
	if (sn > 3 && !strncasecmp(s, "bc-", 3))
		return fail(err, errlen, "unknown scheme '%.*s' (expected bc-udp, bc-tcp or "
			    "bc-p2p)", (int)(sn < ECHO_MAX ? sn : ECHO_MAX), s);
	u->kind = URL_AV;
	u->av_is_path = sn == 0;
	memcpy(u->av, s, len + 1);
	return 0;
}

static int emit(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
	int r = 0;

	if (*o + n >= outlen) {
		n = outlen - 1 - *o;
		r = -ENOSPC;
	}
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return r;
}

static int secret_param(const char *p, size_t n)
{
	static const char *const names[] = { "password", "passwd", "pass", "pwd" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (n == strlen(names[i]) && !strncasecmp(p, names[i], n))
			return 1;
	return 0;
}

int url_redact(const char *s, char *out, size_t outlen)
{
	const char *auth, *at, *p;
	size_t o = 0;
	int r = 0;

	if (!out || !outlen)
		return -ENOSPC;
	out[0] = '\0';
	if (!s)
		return 0;
	auth = strstr(s, "://");
	if (!auth) {
		p = s;
	} else {
		auth += 3;
		/* The last '@' anywhere: a password with an unencoded '/' or '@' is hidden too. */
		at = strrchr(auth, '@');
		p = auth;
		if (at) {
			const char *colon = memchr(auth, ':', (size_t)(at - auth));

			if (colon) {
				r |= emit(out, outlen, &o, s, (size_t)(colon + 1 - s));
				r |= emit(out, outlen, &o, "***", 3);
				p = at;
			}
		}
		if (p == auth)
			p = s;
	}
	/* Copy the rest, hiding values of password-like query parameters. */
	while (*p) {
		const char *name = p + 1;

		if ((*p == '?' || *p == '&' || *p == ';') && *name) {
			size_t nn = strcspn(name, "=&#;");

			if (name[nn] == '=' && secret_param(name, nn)) {
				const char *v = name + nn + 1;

				r |= emit(out, outlen, &o, p, (size_t)(v - p));
				r |= emit(out, outlen, &o, "***", 3);
				p = v + strcspn(v, "&#;");
				continue;
			}
		}
		r |= emit(out, outlen, &o, p, 1);
		p++;
	}
	return r ? -ENOSPC : 0;
}

int url_encode(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (!outlen)
		return -ENOSPC;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			if (o + 1 >= outlen)
				goto nospc;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outlen)
				goto nospc;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
nospc:
	out[0] = '\0';
	return -ENOSPC;
}
