/* Value checks and text -> value: every value, from the file, the command line or a default,
 * passes here before it is stored.  Messages never echo a secret. */
#include "app/cfg_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event/event.h"
#include "util/num.h"

int cfg_bad(char *msg, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int cfg_has_ctrl(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 1;
	return 0;
}

int cfg_check_text(const char *v, char *msg, size_t n)
{
	if (cfg_has_ctrl(v))
		return cfg_bad(msg, n, "control character in value");
	return 0;
}

int cfg_check_name(const char *v, char *msg, size_t n)
{
	if (!*v)
		return cfg_bad(msg, n, "empty name");
	if (*v == '.' || *v == '-')
		return cfg_bad(msg, n, "name '%.40s' must not start with '.' or '-'", v);
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return cfg_bad(msg, n, "name '%.40s': only letters, digits, '-', '_' and '.'",
				   v);
	return 0;
}

int cfg_check_source(const char *v, char *msg, size_t n)
{
	struct url u;
	char e[256];

	if (url_parse(v, &u, e, sizeof(e)))
		return cfg_bad(msg, n, "%s", e);
	return 0;
}

int cfg_check_uid(const char *v, char *msg, size_t n)
{
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p))
			return cfg_bad(msg, n, "UID '%.40s': only letters and digits", v);
	return 0;
}

int cfg_check_iface(const char *v, char *msg, size_t n)
{
	if (!*v)
		return cfg_bad(msg, n, "empty interface name");
	if (strlen(v) > CFG_IFACE_MAX)
		return cfg_bad(msg, n, "interface name longer than %d bytes", CFG_IFACE_MAX);
	for (const char *p = v; *p; p++)
		if (*p == '/' || isspace((unsigned char)*p) || (unsigned char)*p < 0x20)
			return cfg_bad(msg, n, "invalid interface name '%.40s'", v);
	return 0;
}

/* "host:port" or "[v6]:port"; the port defaults to 9999 when left out. */
static int split_hostport(const char *v, char *host, size_t hostlen, int *port, int def_port,
			  char *msg, size_t n)
{
	const char *h = v, *colon;
	size_t hn;
	long long p;

	if (*v == '[') {
		const char *close = strchr(v, ']');

		if (!close)
			return cfg_bad(msg, n, "'%.60s': missing ']'", v);
		h = v + 1;
		hn = (size_t)(close - h);
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] && !colon)
			return cfg_bad(msg, n, "'%.60s': expected ':PORT' after ']'", v);
	} else {
		colon = strrchr(v, ':');
		hn = colon ? (size_t)(colon - v) : strlen(v);
		if (colon && memchr(v, ':', hn))
			return cfg_bad(msg, n, "'%.60s': write an IPv6 address as [addr]:port", v);
	}
	if (hn == 0)
		return cfg_bad(msg, n, "'%.60s': empty host", v);
	if (hn >= hostlen)
		return cfg_bad(msg, n, "'%.60s': host too long", v);
	memcpy(host, h, hn);
	host[hn] = '\0';
	if (!colon) {
		if (def_port < 0)
			return cfg_bad(msg, n, "'%.60s': expected HOST:PORT", v);
		*port = def_port;
		return 0;
	}
	if (num_parse(colon + 1, strlen(colon + 1), 0, 65535, &p))
		return cfg_bad(msg, n, "'%.60s': port must be 0..65535", v);
	*port = (int)p;
	return 0;
}

int cfg_check_hostport(const char *v, char *msg, size_t n)
{
	char host[CFG_P2P_SERVER_MAX + 1];
	int port;

	if (split_hostport(v, host, sizeof(host), &port, 9999, msg, n))
		return -EINVAL;
	if (port == 0)
		return cfg_bad(msg, n, "'%.60s': port must be 1..65535", v);
	for (const char *p = host; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-._:", *p))
			return cfg_bad(msg, n, "'%.60s': invalid host", v);
	return 0;
}

int cfg_parse_listen(const char *v, int *enabled, char *addr, size_t addrlen, int *port,
			char *msg, size_t n)
{
	char host[64];
	unsigned char bin[16];

	if (!strcmp(v, "off")) {
		*enabled = 0;
		addr[0] = '\0';
		*port = 0;
		return 0;
	}
	if (split_hostport(v, host, sizeof(host), port, -1, msg, n))
		return -EINVAL;
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (*v == '[' ? inet_pton(AF_INET6, host, bin) != 1 : inet_pton(AF_INET, host, bin) != 1)
		return cfg_bad(msg, n, "'%.60s': expected a numeric address (127.0.0.1:8080, "
			   "[::]:8080) or off", v);
	*enabled = 1;
	snprintf(addr, addrlen, "%s", host);
	return 0;
}

int cfg_check_listen(const char *v, char *msg, size_t n)
{
	char addr[64];
	int en, port;

	return cfg_parse_listen(v, &en, addr, sizeof(addr), &port, msg, n);
}

int cfg_check_device(const char *v, char *msg, size_t n)
{
	if (!*v)
		return cfg_bad(msg, n, "empty device");
	if (!strncmp(v, "label:", 6)) {
		if (!v[6])
			return cfg_bad(msg, n, "empty label after 'label:'");
		if (strlen(v + 6) > 31)
			return cfg_bad(msg, n, "label longer than 31 bytes (V4L2 card name)");
	}
	return cfg_check_text(v, msg, n);
}

int cfg_check_hwaccel(const char *v, char *msg, size_t n)
{
	static const char *const names[] = {
		"auto", "none", "vaapi", "vdpau", "cuda", "qsv", "drm", "vulkan", "v4l2m2m",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i]))
			return 0;
	return cfg_bad(msg, n, "'%.40s' is not one of auto, none, vaapi, vdpau, cuda, qsv, drm, "
		   "vulkan, v4l2m2m", v);
}

/* mqtt.host: a name or a numeric address, nothing a URL or a shell would read differently. */
int cfg_check_host(const char *v, char *msg, size_t n)
{
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr(".-_:", *p))
			return cfg_bad(msg, n, "'%.80s' is not a host name or address", v);
	return 0;
}

/* MQTT topic prefixes: the wildcards + and # are not allowed in a topic we publish to. */
int cfg_check_topic(const char *v, char *msg, size_t n)
{
	size_t len = strlen(v);

	if (cfg_has_ctrl(v))
		return cfg_bad(msg, n, "control character in topic");
	if (strpbrk(v, "+#"))
		return cfg_bad(msg, n, "'%.80s': MQTT wildcards + and # are not allowed", v);
	if (strpbrk(v, "\"\\"))   /* it goes into JSON discovery messages as it is */
		return cfg_bad(msg, n, "'%.80s': quotes and backslashes are not allowed", v);
	if (len && (v[0] == '/' || v[len - 1] == '/'))
		return cfg_bad(msg, n, "'%.80s' must not start or end with '/'", v);
	return 0;
}

/* A program the bridge runs (events.hook): absolute, so that nothing depends on PATH or the
 * working directory, and runnable now rather than failing at the first event. */
int cfg_parse_alarm_types(const char *v, unsigned *mask, char *msg, size_t n)
{
	*mask = 0;
	while (*v) {
		size_t len;
		int t;

		v += strspn(v, " \t");
		len = strcspn(v, ",");
		while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		if (!len)
			return cfg_bad(msg, n, "empty entry in the list");
		if ((t = ev_alarm_type(v, len)) < 0)
			return cfg_bad(msg, n, "'%.*s' is not an alarm type (motion, people, vehicle, "
				       "dog_cat, face)", len > 40 ? 40 : (int)len, v);
		*mask |= 1u << t;
		v += strcspn(v, ",");
		if (*v == ',' && !*++v)
			return cfg_bad(msg, n, "empty entry in the list");
	}
	return 0;
}

int cfg_check_alarm_types(const char *v, char *msg, size_t n)
{
	unsigned mask;

	return cfg_parse_alarm_types(v, &mask, msg, n);
}

int cfg_check_program(const char *v, char *msg, size_t n)
{
	struct stat st;

	if (!*v)
		return 0;
	if (cfg_has_ctrl(v))
		return cfg_bad(msg, n, "control characters in the path");
	if (v[0] != '/')
		return cfg_bad(msg, n, "'%.200s' is not an absolute path", v);
	if (stat(v, &st) != 0)
		return cfg_bad(msg, n, "'%.200s': %s", v, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cfg_bad(msg, n, "'%.200s' is not a regular file", v);
	if (access(v, X_OK) != 0)
		return cfg_bad(msg, n, "'%.200s' is not executable: %s", v, strerror(errno));
	return 0;
}

/* ---- setting values ---------------------------------------------------------------------- */

int cfg_set_str(struct cfg *c, const struct key *k, const char *v, char *msg, size_t n)
{
	if (k->type == K_ENUM) {
		char list[128] = "";

		for (const struct enum_val *e = k->ev; e->name; e++) {
			if (!strcasecmp(e->name, v)) {
				*(int *)cfg_kptr(c, k) = e->val;
				return 0;
			}
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 e == k->ev ? "" : ", ", e->name);
		}
		return cfg_bad(msg, n, "'%.40s' is not one of %s", v, list);
	}
	if (strlen(v) >= k->size)
		return cfg_bad(msg, n, "longer than %zu bytes", k->size - 1);
	if (k->check && k->check(v, msg, n))
		return -EINVAL;
	if (cfg_has_ctrl(v))
		return cfg_bad(msg, n, "control character in value");
	memcpy(cfg_kptr(c, k), v, strlen(v) + 1);
	return 0;
}

static int range_ok(const struct key *k, long long v, char *msg, size_t n)
{
	if ((k->flags & KF_ZERO_OK) && v == 0)
		return 0;
	if (v < k->min || v > k->max)
		return cfg_bad(msg, n, "%lld out of range %s%lld..%lld", v,
			   k->flags & KF_ZERO_OK ? "0 or " : "", k->min, k->max);
	if ((k->flags & KF_EVEN) && (v & 1))
		return cfg_bad(msg, n, "%lld must be even", v);
	return 0;
}

int cfg_set_int(struct cfg *c, const struct key *k, long long v, char *msg, size_t n)
{
	if (range_ok(k, v, msg, n))
		return -EINVAL;
	*(int *)cfg_kptr(c, k) = (int)v;
	return 0;
}

int cfg_list_add_str(struct cfg *c, const struct key *k, const char *v, char *msg, size_t n)
{
	int *cnt = cfg_kcount(c, k);
	char *dst;

	if (*cnt >= k->max_n)
		return cfg_bad(msg, n, "more than %d entries", k->max_n);
	if (strlen(v) >= k->size)
		return cfg_bad(msg, n, "entry longer than %zu bytes", k->size - 1);
	if (k->check && k->check(v, msg, n))
		return -EINVAL;
	dst = (char *)cfg_kptr(c, k) + (size_t)*cnt * k->size;
	snprintf(dst, k->size, "%s", v);
	/* p2p servers: a missing port is the default 9999 */
	if ((k->flags & KF_PORT9999) && !strchr(v[0] == '[' ? strchr(v, ']') : v, ':')) {
		if (strlen(v) + 5 >= k->size)
			return cfg_bad(msg, n, "entry longer than %zu bytes", k->size - 1);
		strcat(dst, ":9999");
	}
	(*cnt)++;
	return 0;
}

int cfg_list_add_int(struct cfg *c, const struct key *k, long long v, char *msg, size_t n)
{
	int *cnt = cfg_kcount(c, k);

	if (*cnt >= k->max_n)
		return cfg_bad(msg, n, "more than %d entries", k->max_n);
	if (range_ok(k, v, msg, n))
		return -EINVAL;
	((int *)cfg_kptr(c, k))[(*cnt)++] = (int)v;
	return 0;
}

int cfg_parse_ll(const char *s, long long *v)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return num_parse(s, n, LLONG_MIN, LLONG_MAX, v);
}

/* A value from the command line (lists comma-separated). */
int cfg_set_text(struct cfg *c, const struct key *k, const char *v, char *msg, size_t n)
{
	long long ll;

	switch (k->type) {
	case K_STR:
	case K_ENUM:
		return cfg_set_str(c, k, v, msg, n);
	case K_INT:
		if (cfg_parse_ll(v, &ll))
			return cfg_bad(msg, n, "'%.40s' is not an integer", v);
		return cfg_set_int(c, k, ll, msg, n);
	case K_BOOL:
		if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") ||
		    !strcmp(v, "1"))
			*(int *)cfg_kptr(c, k) = 1;
		else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
			 !strcasecmp(v, "off") || !strcmp(v, "0"))
			*(int *)cfg_kptr(c, k) = 0;
		else
			return cfg_bad(msg, n, "'%.40s' is not true or false", v);
		return 0;
	case K_STRLIST:
	case K_INTLIST: {
		char buf[2048];
		char *save = NULL, *tok;

		if (strlen(v) >= sizeof(buf))
			return cfg_bad(msg, n, "list too long");
		snprintf(buf, sizeof(buf), "%s", v);
		*cfg_kcount(c, k) = 0;
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			while (isspace((unsigned char)*tok))
				tok++;
			for (char *e = tok + strlen(tok); e > tok && isspace((unsigned char)e[-1]);)
				*--e = '\0';
			if (k->type == K_STRLIST) {
				if (cfg_list_add_str(c, k, tok, msg, n))
					return -EINVAL;
			} else {
				if (cfg_parse_ll(tok, &ll))
					return cfg_bad(msg, n, "'%.40s' is not an integer", tok);
				if (cfg_list_add_int(c, k, ll, msg, n))
					return -EINVAL;
			}
		}
		return 0;
	}
	}
	return -EINVAL;
}
