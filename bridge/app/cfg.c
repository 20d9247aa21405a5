/* cam-bridge configuration: one schema table drives defaults, the libconfig walk (unknown
 * keys, types, ranges with file:line), the command-line options, --help, the dump and the
 * reload diff, so a new setting is one table row plus its struct field. */
#include "app/cfg.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include <arpa/inet.h>

/* ---- schema ------------------------------------------------------------------------------ */

enum ktype { K_STR, K_INT, K_BOOL, K_ENUM, K_STRLIST, K_INTLIST };

#define KF_SECRET   0x01        /* never printed */
#define KF_EVEN     0x02        /* must be even */
#define KF_ZERO_OK  0x04        /* 0 allowed besides min..max */
#define KF_REQUIRED 0x08

struct enum_val {
	const char *name;
	int val;
};

struct key {
	const char *path;           /* "group.key" or "key" */
	const char *alias;          /* short long option, or NULL */
	enum ktype type;
	size_t off, size;           /* STR: buffer; lists: one element */
	size_t off_n;               /* lists: the count */
	int max_n;                  /* lists: capacity */
	long long min, max;         /* INT and INTLIST */
	const struct enum_val *ev;
	int (*check)(const char *v, char *msg, size_t n);
	unsigned flags;
	const char *arg;            /* for --help */
	const char *help;
};

#define FLD(f) offsetof(struct cfg, f), sizeof(((struct cfg *)0)->f)
#define LST(f, nf) offsetof(struct cfg, f), sizeof(((struct cfg *)0)->f[0]), \
	offsetof(struct cfg, nf), (int)(sizeof(((struct cfg *)0)->f) / sizeof(((struct cfg *)0)->f[0]))

static const struct enum_val ev_stream[] = {
	{ "main", CFG_STREAM_MAIN }, { "sub", CFG_STREAM_SUB }, { 0, 0 } };
static const struct enum_val ev_enc[] = {
	{ "none", 0x00 }, { "bc", 0x01 }, { "aes", 0x02 }, { "full-aes", 0x12 }, { 0, 0 } };
static const struct enum_val ev_rtsp[] = {
	{ "tcp", CFG_RTSP_TCP }, { "udp", CFG_RTSP_UDP }, { "listen", CFG_RTSP_LISTEN }, { 0, 0 } };
static const struct enum_val ev_format[] = {
	{ "i420", CFG_FMT_I420 }, { "yuyv", CFG_FMT_YUYV }, { "nv12", CFG_FMT_NV12 }, { 0, 0 } };
static const struct enum_val ev_wake[] = {
	{ "auto", CFG_WAKE_AUTO }, { "always", CFG_WAKE_ALWAYS }, { "on-demand", CFG_WAKE_ON_DEMAND },
	{ 0, 0 } };
static const struct enum_val ev_level[] = {
	{ "err", LOG_ERR }, { "warning", LOG_WARNING }, { "notice", LOG_NOTICE },
	{ "info", LOG_INFO }, { "debug", LOG_DEBUG }, { 0, 0 } };

static int check_name(const char *v, char *msg, size_t n);
static int check_source(const char *v, char *msg, size_t n);
static int check_text(const char *v, char *msg, size_t n);
static int check_uid(const char *v, char *msg, size_t n);
static int check_iface(const char *v, char *msg, size_t n);
static int check_hostport(const char *v, char *msg, size_t n);
static int check_device(const char *v, char *msg, size_t n);
static int check_hwaccel(const char *v, char *msg, size_t n);
static int check_listen(const char *v, char *msg, size_t n);

static const struct key keys[] = {
	{ "name", "name", K_STR, FLD(name), 0, 0, 0, 0, NULL, check_name, 0, "NAME",
	  "camera name: device label, logs, HTTP routes (default: config file name without .conf)" },

	{ "camera.source", "source", K_STR, FLD(camera.source), 0, 0, 0, 0, NULL, check_source,
	  KF_REQUIRED, "URL", "bc-udp://, bc-tcp://, bc-p2p://, or any libavformat URL or file" },
	{ "camera.user", NULL, K_STR, FLD(camera.user), 0, 0, 0, 0, NULL, check_text, 0, "USER",
	  "camera login (a user in the URL wins)" },
	{ "camera.password", NULL, K_STR, FLD(camera.password), 0, 0, 0, 0, NULL, NULL, KF_SECRET,
	  "PASS", "camera password inline (prefer password_file or a credential)" },
	{ "camera.password_file", NULL, K_STR, FLD(camera.password_file), 0, 0, 0, 0, NULL, NULL, 0,
	  "FILE", "file holding the camera password (one line)" },
	{ "camera.uid", NULL, K_STR, FLD(camera.uid), 0, 0, 0, 0, NULL, check_uid, 0, "UID",
	  "camera UID (bc-udp; ?uid= in the URL wins)" },
	{ "camera.stream", NULL, K_ENUM, FLD(camera.stream), 0, 0, 0, 0, ev_stream, NULL, 0,
	  "main|sub", "stream when the URL has no /main or /sub" },
	{ "camera.max_encryption", NULL, K_ENUM, FLD(camera.max_encryption), 0, 0, 0, 0, ev_enc,
	  NULL, 0, "none|bc|aes|full-aes", "highest Baichuan encryption offered at login" },
	{ "camera.discovery_ports", NULL, K_INTLIST, LST(camera.discovery_ports,
	  camera.n_discovery_ports), 1, 65535, NULL, NULL, 0, "P,P", "bc-udp discovery ports" },
	{ "camera.discovery_interfaces", NULL, K_STRLIST, LST(camera.discovery_interfaces,
	  camera.n_discovery_interfaces), 0, 0, NULL, check_iface, 0, "IF,IF",
	  "bc-udp broadcast interfaces (empty: all)" },
	{ "camera.p2p_servers", NULL, K_STRLIST, LST(camera.p2p_servers, camera.n_p2p_servers),
	  0, 0, NULL, check_hostport, 0, "H:P,H:P", "bc-p2p lookup servers" },
	{ "camera.rtsp_transport", NULL, K_ENUM, FLD(camera.rtsp_transport), 0, 0, 0, 0, ev_rtsp,
	  NULL, 0, "tcp|udp|listen", "RTSP transport for rtsp:// sources (listen: the camera pushes to us)" },
	{ "camera.connect_timeout_ms", NULL, K_INT, FLD(camera.connect_timeout_ms), 0, 0, 100,
	  600000, NULL, NULL, 0, "MS", "connect and login timeout" },
	{ "camera.read_timeout_ms", NULL, K_INT, FLD(camera.read_timeout_ms), 0, 0, 100, 600000,
	  NULL, NULL, 0, "MS", "no data for this long: reconnect" },

	{ "output.device", "output", K_STR, FLD(output.device), 0, 0, 0, 0, NULL, check_device,
	  KF_REQUIRED, "PATH", "V4L2 device, label:NAME, or a regular file/FIFO for raw frames" },
	{ "output.format", "format", K_ENUM, FLD(output.format), 0, 0, 0, 0, ev_format, NULL, 0,
	  "i420|yuyv|nv12", "pixel format written" },
	{ "output.width", NULL, K_INT, FLD(output.width), 0, 0, 32, 8192, NULL, NULL, KF_EVEN, "W",
	  "frame width (also --size WxH)" },
	{ "output.height", NULL, K_INT, FLD(output.height), 0, 0, 32, 8192, NULL, NULL, KF_EVEN,
	  "H", "frame height" },
	{ "output.fps", "fps", K_INT, FLD(output.fps), 0, 0, 1, 120, NULL, NULL, 0, "N",
	  "frame rate announced and repeated at" },
	{ "output.placeholder_image", NULL, K_STR, FLD(output.placeholder_image), 0, 0, 0, 0, NULL,
	  NULL, 0, "FILE", "image shown while the camera is away (empty: built-in card)" },

	{ "wake.mode", NULL, K_ENUM, FLD(wake.mode), 0, 0, 0, 0, ev_wake, NULL, 0,
	  "auto|always|on-demand", "auto: on-demand for bc-udp/bc-p2p, else always" },
	{ "wake.idle_seconds", NULL, K_INT, FLD(wake.idle_seconds), 0, 0, 0, 86400, NULL, NULL, 0,
	  "S", "on-demand: keep streaming this long after the last viewer" },

	{ "reconnect.backoff_min_ms", NULL, K_INT, FLD(reconnect.backoff_min_ms), 0, 0, 10, 600000,
	  NULL, NULL, 0, "MS", "first reconnect delay" },
	{ "reconnect.backoff_max_ms", NULL, K_INT, FLD(reconnect.backoff_max_ms), 0, 0, 10,
	  3600000, NULL, NULL, 0, "MS", "longest reconnect delay" },
	{ "reconnect.auth_retry_seconds", NULL, K_INT, FLD(reconnect.auth_retry_seconds), 0, 0, 1,
	  86400, NULL, NULL, 0, "S", "wait after a rejected password" },

	{ "decode.hwaccel", "hwaccel", K_STR, FLD(decode.hwaccel), 0, 0, 0, 0, NULL, check_hwaccel,
	  0, "NAME", "auto|none|vaapi|vdpau|cuda|qsv|drm|vulkan|v4l2m2m" },
	{ "decode.device", NULL, K_STR, FLD(decode.device), 0, 0, 0, 0, NULL, NULL, 0, "PATH",
	  "hwaccel device, e.g. /dev/dri/renderD128 (empty: default)" },

	{ "http.listen", "http", K_STR, FLD(http.listen), 0, 0, 0, 0, NULL, check_listen, 0,
	  "ADDR:PORT", "HTTP sidecar address, [::]:PORT for IPv6, off to disable" },
	{ "http.user", NULL, K_STR, FLD(http.user), 0, 0, 0, 0, NULL, check_text, 0, "USER",
	  "HTTP basic-auth user (needed with a password)" },
	{ "http.password", NULL, K_STR, FLD(http.password), 0, 0, 0, 0, NULL, NULL, KF_SECRET,
	  "PASS", "HTTP password inline (empty: no authentication)" },
	{ "http.password_file", NULL, K_STR, FLD(http.password_file), 0, 0, 0, 0, NULL, NULL, 0,
	  "FILE", "file holding the HTTP password" },
	{ "http.max_connections", NULL, K_INT, FLD(http.max_connections), 0, 0, 1, 1024, NULL, NULL,
	  0, "N", "concurrent HTTP connections" },
	{ "http.jpeg_quality", NULL, K_INT, FLD(http.jpeg_quality), 0, 0, 1, 100, NULL, NULL, 0,
	  "Q", "MJPEG/snapshot JPEG quality" },
	{ "http.mjpeg_width", NULL, K_INT, FLD(http.mjpeg_width), 0, 0, 32, 8192, NULL, NULL,
	  KF_EVEN | KF_ZERO_OK, "W", "MJPEG width (0: output width)" },
	{ "http.mjpeg_height", NULL, K_INT, FLD(http.mjpeg_height), 0, 0, 32, 8192, NULL, NULL,
	  KF_EVEN | KF_ZERO_OK, "H", "MJPEG height (0: output height)" },
	{ "http.timeout_seconds", NULL, K_INT, FLD(http.timeout_seconds), 0, 0, 1, 3600, NULL,
	  NULL, 0, "S", "idle timeout of a non-streaming connection" },

	{ "limits.max_message_bytes", NULL, K_INT, FLD(limits.max_message_bytes), 0, 0, 65536,
	  67108864, NULL, NULL, 0, "BYTES", "largest Baichuan message accepted" },
	{ "limits.max_frame_bytes", NULL, K_INT, FLD(limits.max_frame_bytes), 0, 0, 65536,
	  268435456, NULL, NULL, 0, "BYTES", "largest compressed frame accepted" },

	{ "log.level", NULL, K_ENUM, FLD(log.level), 0, 0, 0, 0, ev_level, NULL, 0,
	  "err|warning|notice|info|debug", "log level (-v raises it)" },
};

#define NKEYS ((int)(sizeof(keys) / sizeof(keys[0])))
_Static_assert(sizeof(keys) / sizeof(keys[0]) <= CFG_MAX_KEYS, "raise CFG_MAX_KEYS");

static const char *const default_p2p[] = {
	"p2p.reolink.com:9999", "p2p1.reolink.com:9999", "p2p2.reolink.com:9999",
	"p2p3.reolink.com:9999", "p2p4.reolink.com:9999", "p2p5.reolink.com:9999",
	"p2p6.reolink.com:9999", "p2p7.reolink.com:9999", "p2p8.reolink.com:9999",
	"p2p9.reolink.com:9999", "p2p10.reolink.com:9999", "p2p11.reolink.com:9999",
};

static int key_index(const char *path)
{
	for (int i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].path, path))
			return i;
	return -1;
}

static void *kptr(const struct cfg *c, const struct key *k)
{
	return (char *)c + k->off;
}

static int *kcount(const struct cfg *c, const struct key *k)
{
	return (int *)((char *)c + k->off_n);
}

/* ---- defaults ---------------------------------------------------------------------------- */

void cfg_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->camera.user, sizeof(c->camera.user), "admin");
	c->camera.stream = CFG_STREAM_MAIN;
	c->camera.max_encryption = 0x12;
	c->camera.discovery_ports[0] = 2018;
	c->camera.discovery_ports[1] = 2015;
	c->camera.n_discovery_ports = 2;
	for (size_t i = 0; i < sizeof(default_p2p) / sizeof(default_p2p[0]); i++)
		snprintf(c->camera.p2p_servers[i], sizeof(c->camera.p2p_servers[i]), "%s",
			 default_p2p[i]);
	c->camera.n_p2p_servers = (int)(sizeof(default_p2p) / sizeof(default_p2p[0]));
	c->camera.rtsp_transport = CFG_RTSP_TCP;
	c->camera.connect_timeout_ms = 10000;
	c->camera.read_timeout_ms = 10000;
	c->output.format = CFG_FMT_I420;
	c->output.width = 1280;
	c->output.height = 720;
	c->output.fps = 15;
	c->wake.mode = CFG_WAKE_AUTO;
	c->wake.idle_seconds = 30;
	c->reconnect.backoff_min_ms = 500;
	c->reconnect.backoff_max_ms = 30000;
	c->reconnect.auth_retry_seconds = 300;
	snprintf(c->decode.hwaccel, sizeof(c->decode.hwaccel), "auto");
	snprintf(c->http.listen, sizeof(c->http.listen), "127.0.0.1:8080");
	c->http.max_connections = 16;
	c->http.jpeg_quality = 80;
	c->http.timeout_seconds = 30;
	c->limits.max_message_bytes = 4 << 20;
	c->limits.max_frame_bytes = 8 << 20;
	c->log.level = LOG_INFO;
}

/* ---- value checks (messages never echo secrets) ------------------------------------------ */

static int bad(char *msg, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *msg, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int has_ctrl(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 1;
	return 0;
}

static int check_text(const char *v, char *msg, size_t n)
{
	if (has_ctrl(v))
		return bad(msg, n, "control character in value");
	return 0;
}

static int check_name(const char *v, char *msg, size_t n)
{
	if (!*v)
		return bad(msg, n, "empty name");
	if (*v == '.' || *v == '-')
		return bad(msg, n, "name '%.40s' must not start with '.' or '-'", v);
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return bad(msg, n, "name '%.40s': only letters, digits, '-', '_' and '.'",
				   v);
	return 0;
}

static int check_source(const char *v, char *msg, size_t n)
{
	struct url u;
	char e[256];

	if (url_parse(v, &u, e, sizeof(e)))
		return bad(msg, n, "%s", e);
	return 0;
}

static int check_uid(const char *v, char *msg, size_t n)
{
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p))
			return bad(msg, n, "UID '%.40s': only letters and digits", v);
	return 0;
}

static int check_iface(const char *v, char *msg, size_t n)
{
	if (!*v)
		return bad(msg, n, "empty interface name");
	if (strlen(v) > CFG_IFACE_MAX)
		return bad(msg, n, "interface name longer than %d bytes", CFG_IFACE_MAX);
	for (const char *p = v; *p; p++)
		if (*p == '/' || isspace((unsigned char)*p) || (unsigned char)*p < 0x20)
			return bad(msg, n, "invalid interface name '%.40s'", v);
	return 0;
}

/* "host:port" or "[v6]:port"; the port defaults to 9999 when left out. */
static int split_hostport(const char *v, char *host, size_t hostlen, int *port, int def_port,
			  char *msg, size_t n)
{
	const char *h = v, *colon;
	size_t hn;
	char *end;
	long p;

	if (*v == '[') {
		const char *close = strchr(v, ']');

		if (!close)
			return bad(msg, n, "'%.60s': missing ']'", v);
		h = v + 1;
		hn = (size_t)(close - h);
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] && !colon)
			return bad(msg, n, "'%.60s': expected ':PORT' after ']'", v);
	} else {
		colon = strrchr(v, ':');
		hn = colon ? (size_t)(colon - v) : strlen(v);
		if (colon && memchr(v, ':', hn))
			return bad(msg, n, "'%.60s': write an IPv6 address as [addr]:port", v);
	}
	if (hn == 0)
		return bad(msg, n, "'%.60s': empty host", v);
	if (hn >= hostlen)
		return bad(msg, n, "'%.60s': host too long", v);
	memcpy(host, h, hn);
	host[hn] = '\0';
	if (!colon) {
		if (def_port < 0)
			return bad(msg, n, "'%.60s': expected HOST:PORT", v);
		*port = def_port;
		return 0;
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || p < 0 || p > 65535 || !isdigit((unsigned char)colon[1]))
		return bad(msg, n, "'%.60s': port must be 0..65535", v);
	*port = (int)p;
	return 0;
}

static int check_hostport(const char *v, char *msg, size_t n)
{
	char host[CFG_P2P_SERVER_MAX + 1];
	int port;

	if (split_hostport(v, host, sizeof(host), &port, 9999, msg, n))
		return -EINVAL;
	if (port == 0)
		return bad(msg, n, "'%.60s': port must be 1..65535", v);
	for (const char *p = host; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-._:", *p))
			return bad(msg, n, "'%.60s': invalid host", v);
	return 0;
}

static int parse_listen(const char *v, int *enabled, char *addr, size_t addrlen, int *port,
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
		return bad(msg, n, "'%.60s': expected a numeric address (127.0.0.1:8080, "
			   "[::]:8080) or off", v);
	*enabled = 1;
	snprintf(addr, addrlen, "%s", host);
	return 0;
}

static int check_listen(const char *v, char *msg, size_t n)
{
	char addr[64];
	int en, port;

	return parse_listen(v, &en, addr, sizeof(addr), &port, msg, n);
}

static int check_device(const char *v, char *msg, size_t n)
{
	if (!*v)
		return bad(msg, n, "empty device");
	if (!strncmp(v, "label:", 6)) {
		if (!v[6])
			return bad(msg, n, "empty label after 'label:'");
		if (strlen(v + 6) > 31)
			return bad(msg, n, "label longer than 31 bytes (V4L2 card name)");
	}
	return check_text(v, msg, n);
}

static int check_hwaccel(const char *v, char *msg, size_t n)
{
	static const char *const names[] = {
		"auto", "none", "vaapi", "vdpau", "cuda", "qsv", "drm", "vulkan", "v4l2m2m",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i]))
			return 0;
	return bad(msg, n, "'%.40s' is not one of auto, none, vaapi, vdpau, cuda, qsv, drm, "
		   "vulkan, v4l2m2m", v);
}

/* ---- setting values ---------------------------------------------------------------------- */

static int set_str(struct cfg *c, const struct key *k, const char *v, char *msg, size_t n)
{
	if (k->type == K_ENUM) {
		char list[128] = "";

		for (const struct enum_val *e = k->ev; e->name; e++) {
			if (!strcasecmp(e->name, v)) {
				*(int *)kptr(c, k) = e->val;
				return 0;
			}
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 e == k->ev ? "" : ", ", e->name);
		}
		return bad(msg, n, "'%.40s' is not one of %s", v, list);
	}
	if (strlen(v) >= k->size)
		return bad(msg, n, "longer than %zu bytes", k->size - 1);
	if (k->check && k->check(v, msg, n))
		return -EINVAL;
	if (has_ctrl(v))
		return bad(msg, n, "control character in value");
	memcpy(kptr(c, k), v, strlen(v) + 1);
	return 0;
}

static int range_ok(const struct key *k, long long v, char *msg, size_t n)
{
	if ((k->flags & KF_ZERO_OK) && v == 0)
		return 0;
	if (v < k->min || v > k->max)
		return bad(msg, n, "%lld out of range %s%lld..%lld", v,
			   k->flags & KF_ZERO_OK ? "0 or " : "", k->min, k->max);
	if ((k->flags & KF_EVEN) && (v & 1))
		return bad(msg, n, "%lld must be even", v);
	return 0;
}

static int set_int(struct cfg *c, const struct key *k, long long v, char *msg, size_t n)
{
	if (range_ok(k, v, msg, n))
		return -EINVAL;
	*(int *)kptr(c, k) = (int)v;
	return 0;
}

static int list_add_str(struct cfg *c, const struct key *k, const char *v, char *msg, size_t n)
{
	int *cnt = kcount(c, k);
	char *dst;

	if (*cnt >= k->max_n)
		return bad(msg, n, "more than %d entries", k->max_n);
	if (strlen(v) >= k->size)
		return bad(msg, n, "entry longer than %zu bytes", k->size - 1);
	if (k->check && k->check(v, msg, n))
		return -EINVAL;
	dst = (char *)kptr(c, k) + (size_t)*cnt * k->size;
	snprintf(dst, k->size, "%s", v);
	/* p2p servers: a missing port is the default 9999 */
	if (k->check == check_hostport && !strchr(v[0] == '[' ? strchr(v, ']') : v, ':')) {
		if (strlen(v) + 5 >= k->size)
			return bad(msg, n, "entry longer than %zu bytes", k->size - 1);
		strcat(dst, ":9999");
	}
	(*cnt)++;
	return 0;
}

static int list_add_int(struct cfg *c, const struct key *k, long long v, char *msg, size_t n)
{
	int *cnt = kcount(c, k);

	if (*cnt >= k->max_n)
		return bad(msg, n, "more than %d entries", k->max_n);
	if (range_ok(k, v, msg, n))
		return -EINVAL;
	((int *)kptr(c, k))[(*cnt)++] = (int)v;
	return 0;
}

static int parse_ll(const char *s, long long *v)
{
	char *end;

	errno = 0;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -EINVAL;
	*v = strtoll(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	return errno || *end ? -EINVAL : 0;
}

/* A value from the command line (lists comma-separated). */
static int set_text(struct cfg *c, const struct key *k, const char *v, char *msg, size_t n)
{
	long long ll;

	switch (k->type) {
	case K_STR:
	case K_ENUM:
		return set_str(c, k, v, msg, n);
	case K_INT:
		if (parse_ll(v, &ll))
			return bad(msg, n, "'%.40s' is not an integer", v);
		return set_int(c, k, ll, msg, n);
	case K_BOOL:
		if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") ||
		    !strcmp(v, "1"))
			*(int *)kptr(c, k) = 1;
		else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
			 !strcasecmp(v, "off") || !strcmp(v, "0"))
			*(int *)kptr(c, k) = 0;
		else
			return bad(msg, n, "'%.40s' is not true or false", v);
		return 0;
	case K_STRLIST:
	case K_INTLIST: {
		char buf[2048];
		char *save = NULL, *tok;

		if (strlen(v) >= sizeof(buf))
			return bad(msg, n, "list too long");
		snprintf(buf, sizeof(buf), "%s", v);
		*kcount(c, k) = 0;
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			while (isspace((unsigned char)*tok))
				tok++;
			for (char *e = tok + strlen(tok); e > tok && isspace((unsigned char)e[-1]);)
				*--e = '\0';
			if (k->type == K_STRLIST) {
				if (list_add_str(c, k, tok, msg, n))
					return -EINVAL;
			} else {
				if (parse_ll(tok, &ll))
					return bad(msg, n, "'%.40s' is not an integer", tok);
				if (list_add_int(c, k, ll, msg, n))
					return -EINVAL;
			}
		}
		return 0;
	}
	}
	return -EINVAL;
}

static const char *type_name(int t)
{
	switch (t) {
	case CONFIG_TYPE_GROUP: return "a group";
	case CONFIG_TYPE_INT: case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a number with a fraction";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	}
	return "nothing";
}

/* A value from libconfig.  Type errors name the type found, never the value. */
static int set_setting(struct cfg *c, const struct key *k, const config_setting_t *s,
		       char *msg, size_t n)
{
	int t = config_setting_type(s);

	switch (k->type) {
	case K_STR:
	case K_ENUM:
		if (t != CONFIG_TYPE_STRING)
			return bad(msg, n, "expected a string in quotes, found %s", type_name(t));
		return set_str(c, k, config_setting_get_string(s), msg, n);
	case K_INT:
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
			return bad(msg, n, "expected an integer, found %s", type_name(t));
		return set_int(c, k, config_setting_get_int64(s), msg, n);
	case K_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			return bad(msg, n, "expected true or false, found %s", type_name(t));
		*(int *)kptr(c, k) = config_setting_get_bool(s);
		return 0;
	case K_STRLIST:
	case K_INTLIST: {
		int len;

		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
			return bad(msg, n, "expected a list [ ... ], found %s", type_name(t));
		len = config_setting_length(s);
		*kcount(c, k) = 0;
		for (int i = 0; i < len; i++) {
			const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
			int et = config_setting_type(e);
			char m[200];

			if (k->type == K_STRLIST) {
				if (et != CONFIG_TYPE_STRING)
					return bad(msg, n, "entry %d: expected a string, found %s",
						   i + 1, type_name(et));
				if (list_add_str(c, k, config_setting_get_string(e), m, sizeof(m)))
					return bad(msg, n, "entry %d: %s", i + 1, m);
			} else {
				if (et != CONFIG_TYPE_INT && et != CONFIG_TYPE_INT64)
					return bad(msg, n, "entry %d: expected an integer, found %s",
						   i + 1, type_name(et));
				if (list_add_int(c, k, config_setting_get_int64(e), m, sizeof(m)))
					return bad(msg, n, "entry %d: %s", i + 1, m);
			}
		}
		return 0;
	}
	}
	return -EINVAL;
}

/* ---- diagnostics ------------------------------------------------------------------------- */

struct diag {
	FILE *out;              /* print every error and warning here, or NULL */
	struct cfg_err *err;    /* first error */
	int n;
};

static void diag_add(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void diag_add(struct diag *d, const char *fmt, ...)
{
	char line[CFG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (d->out)
		fprintf(d->out, "%s\n", line);
	if (d->err && d->n == 0)
		snprintf(d->err->msg, sizeof(d->err->msg), "%s", line);
	d->n++;
	if (d->err)
		d->err->count = d->n;
}

/* strlcpy: truncation is intended (paths in messages). */
static void scopy(char *dst, size_t n, const char *src)
{
	size_t len = 0;

	while (len + 1 < n && src[len])
		len++;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static int file_index(struct cfg *c, const char *file)
{
	for (int i = 0; i < c->n_files; i++)
		if (!strcmp(c->files[i], file))
			return i;
	if (c->n_files >= CFG_MAX_FILES)
		return 0;
	scopy(c->files[c->n_files], sizeof(c->files[0]), file);
	return c->n_files++;
}

/* "file:line: " / "command line: " / "file: " for where key ki was set. */
static void where(const struct cfg *c, int ki, char *buf, size_t n)
{
	const struct cfg_origin *o = &c->origin[ki];

	if (o->src == 1)
		snprintf(buf, n, "%s:%d: ", c->files[o->file], o->line);
	else if (o->src == 2)
		snprintf(buf, n, "command line: ");
	else if (c->config_path[0] && n > 3) {
		scopy(buf, n - 2, c->config_path);
		strcat(buf, ": ");
	}
	else
		buf[0] = '\0';
}

static void key_error(struct diag *d, const struct cfg *c, int ki, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void key_error(struct diag *d, const struct cfg *c, int ki, const char *fmt, ...)
{
	char w[CFG_PATH_MAX + 32], m[CFG_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	where(c, ki, w, sizeof(w));
	diag_add(d, "%s%s: %s", w, keys[ki].path, m);
}

static void warn(struct cfg *c, struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void warn(struct cfg *c, struct diag *d, const char *fmt, ...)
{
	char m[CFG_WARNING_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (d && d->out)
		fprintf(d->out, "warning: %s\n", m);
	if (c->n_warnings < CFG_MAX_WARNINGS)
		snprintf(c->warnings[c->n_warnings++], CFG_WARNING_MAX + 1, "%s", m);
}

/* ---- the file ---------------------------------------------------------------------------- */

static int edit_distance(const char *a, const char *b)
{
	int prev[40], cur[40];
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 40 || lb >= 40)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			int del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(int) * (lb + 1));
	}
	return prev[lb];
}

static void unknown_key(struct diag *d, const char *file, int line, const char *path)
{
	const char *best = NULL;
	int bestd = 3;

	for (int i = 0; i < NKEYS; i++) {
		int dist = edit_distance(path, keys[i].path);

		if (dist < bestd) {
			bestd = dist;
			best = keys[i].path;
		}
	}
	if (best)
		diag_add(d, "%s:%d: unknown setting '%.100s' (did you mean '%s'?)", file, line,
			 path, best);
	else
		diag_add(d, "%s:%d: unknown setting '%.100s'", file, line, path);
}

static int is_group_name(const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < NKEYS; i++)
		if (!strncmp(keys[i].path, name, n) && keys[i].path[n] == '.')
			return 1;
	return 0;
}

/* libconfig names an @included file as written: make it a path from here. */
static const char *src_file(const char *f, const char *path, const char *dir, char *buf,
			    size_t n)
{
	if (!f)
		return path;
	if (f[0] == '/' || !strcmp(f, path))
		return f;
	snprintf(buf, n, "%s/%s", dir, f);
	return buf;
}

/* An inline secret in a file that group/other can read earns a warning. */
static void check_secret_perms(struct cfg *c, struct diag *d, int ki, const char *file,
			       int line)
{
	const struct key *k = &keys[ki];
	const char *v = kptr(c, k);
	struct stat st;

	if (!*v)
		return;
	if (!(k->flags & KF_SECRET)) {
		char red[URL_MAX_LEN + 1];

		/* camera.source: only when it holds a password */
		if (url_redact(v, red, sizeof(red)) == 0 && !strcmp(red, v))
			return;
	}
	if (stat(file, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		warn(c, d, "%s:%d: %s holds a password but %s is readable by group/other "
		     "(mode %04o): chmod 600 it, or use a password_file or a systemd credential",
		     file, line, k->path, file, (unsigned)(st.st_mode & 07777));
}

static void apply_member(struct cfg *c, struct diag *d, const config_setting_t *s,
			 const char *path, const char *cfgpath, const char *dir)
{
	char fbuf[2 * CFG_PATH_MAX + 2];
	const char *file = src_file(config_setting_source_file(s), cfgpath, dir, fbuf,
				    sizeof(fbuf));
	int line = config_setting_source_line(s);
	int ki = key_index(path);
	char m[CFG_ERR_MAX - 64];

	if (ki < 0 && !strcmp(path, "output.keep_open")) {
		/* Was documented, never read: the device always stays open.  Old files still load. */
		warn(c, d, "%s:%d: output.keep_open is no longer used (the device always stays open, "
		     "showing the card while the camera is away): remove it", file, line);
		return;
	}
	if (ki < 0) {
		unknown_key(d, file, line, path);
		return;
	}
	if (set_setting(c, &keys[ki], s, m, sizeof(m))) {
		diag_add(d, "%s:%d: %s: %s", file, line, path, m);
		c->origin[ki].invalid = 1;
		return;
	}
	c->origin[ki].src = 1;
	c->origin[ki].file = (unsigned char)file_index(c, file);
	c->origin[ki].line = line;
	if (ki == key_index("camera.password") || ki == key_index("http.password") ||
	    ki == key_index("camera.source"))
		check_secret_perms(c, d, ki, file, line);
}

static int load_file(struct cfg *c, const char *path, struct diag *d)
{
	config_t lc;
	config_setting_t *root;
	char dir[CFG_PATH_MAX + 1];
	char *slash;
	int fd, n0 = d->n;

	/* libconfig's own I/O error has no errno: open it first to say why. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		diag_add(d, "%s: cannot open: %s", path, strerror(e));
		return -e;
	}
	close(fd);
	if (strlen(path) > CFG_PATH_MAX) {
		diag_add(d, "%.100s...: path longer than %d bytes", path, CFG_PATH_MAX);
		return -ENAMETOOLONG;
	}
	/* @include "x" is relative to the including file's folder. */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");

	config_init(&lc);
	config_set_include_dir(&lc, dir);
	if (!config_read_file(&lc, path)) {
		char fbuf[2 * CFG_PATH_MAX + 2];
		const char *ef = config_error_file(&lc);

		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO && !ef)
			diag_add(d, "%s: %s", path, config_error_text(&lc));
		else
			diag_add(d, "%s:%d: %s", src_file(ef, path, dir, fbuf, sizeof(fbuf)),
				 config_error_line(&lc), config_error_text(&lc));
		config_destroy(&lc);
		return -EINVAL;
	}
	file_index(c, path);
	root = config_root_setting(&lc);
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(s);

		if (is_group_name(name)) {
			if (!config_setting_is_group(s)) {
				char fbuf[2 * CFG_PATH_MAX + 2];

				diag_add(d, "%s:%d: %s: expected a group %s { ... }, found %s",
					 src_file(config_setting_source_file(s), path, dir,
						  fbuf, sizeof(fbuf)),
					 config_setting_source_line(s), name,
					 name, type_name(config_setting_type(s)));
				continue;
			}
			for (int j = 0; j < config_setting_length(s); j++) {
				const config_setting_t *m = config_setting_get_elem(s, (unsigned)j);
				char kp[160];

				snprintf(kp, sizeof(kp), "%.40s.%.100s", name,
					 config_setting_name(m));
				apply_member(c, d, m, kp, path, dir);
			}
		} else {
			apply_member(c, d, s, name, path, dir);
		}
	}
	config_destroy(&lc);
	return d->n > n0 ? -EINVAL : 0;
}

int cfg_load_file(struct cfg *c, const char *path, struct cfg_err *err)
{
	struct diag d = { .err = err };

	if (err)
		memset(err, 0, sizeof(*err));
	if (!c->config_path[0])
		snprintf(c->config_path, sizeof(c->config_path), "%s", path);
	return load_file(c, path, &d);
}

/* ---- resolving --------------------------------------------------------------------------- */

/* Reads a one-line secret (a trailing newline is dropped).  Errors name the file, never the
 * content. */
static int read_secret(const char *path, char *out, size_t outlen, char *msg, size_t n)
{
	char buf[URL_PASS_MAX + 4];
	struct stat st;
	ssize_t r;
	size_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return bad(msg, n, "cannot open '%.200s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return bad(msg, n, "'%.200s' is not a regular file", path);
	}
	r = read(fd, buf, sizeof(buf));
	close(fd);
	if (r < 0)
		return bad(msg, n, "cannot read '%.200s': %s", path, strerror(errno));
	len = (size_t)r;
	if (len && buf[len - 1] == '\n')
		len--;
	if (len && buf[len - 1] == '\r')
		len--;
	if (len == 0)
		return bad(msg, n, "'%.200s' is empty", path);
	if (len >= outlen || len > URL_PASS_MAX)
		return bad(msg, n, "'%.200s': password longer than %d bytes", path, URL_PASS_MAX);
	if (memchr(buf, '\n', len) || memchr(buf, '\0', len))
		return bad(msg, n, "'%.200s': password must be one line of text", path);
	memcpy(out, buf, len);
	out[len] = '\0';
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* An empty credential counts as none: the unit passes SetCredential=password:\n so that it
 * starts when no password file exists (systemd refuses an empty value). */
static int secret_file_blank(const char *path)
{
	char buf[4];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return 0;
	r = read(fd, buf, sizeof(buf));
	close(fd);
	return r == 0 || (r == 1 && buf[0] == '\n') || (r == 2 && buf[0] == '\r' && buf[1] == '\n');
}

static const char *pw_source_desc(enum cfg_pw_source s)
{
	switch (s) {
	case CFG_PW_URL: return "password in the URL";
	case CFG_PW_INLINE: return "inline password";
	case CFG_PW_FILE: return "password_file";
	case CFG_PW_CREDENTIAL: return "systemd credential";
	case CFG_PW_NONE: break;
	}
	return "no password";
}

const char *cfg_pw_source_name(enum cfg_pw_source s)
{
	switch (s) {
	case CFG_PW_URL: return "url";
	case CFG_PW_INLINE: return "inline";
	case CFG_PW_FILE: return "file";
	case CFG_PW_CREDENTIAL: return "credential";
	case CFG_PW_NONE: break;
	}
	return "none";
}

/* First of URL, inline, file, credential wins; out holds the inline value on entry. */
static void resolve_password(struct cfg *c, struct diag *d, const char *what, int url_has,
			     const char *url_pw, char *out, size_t outlen, int ki_file,
			     const char *cred, enum cfg_pw_source *src)
{
	const char *file = kptr(c, &keys[ki_file]);
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char credpath[CFG_PATH_MAX + 1] = "";
	enum cfg_pw_source have[4];
	int nh = 0;
	char m[CFG_ERR_MAX - 64];

	if (dir && *dir) {
		snprintf(credpath, sizeof(credpath), "%s/%s", dir, cred);
		if (access(credpath, F_OK) != 0 || secret_file_blank(credpath))
			credpath[0] = '\0';
	}
	if (url_has)
		have[nh++] = CFG_PW_URL;
	if (*out)
		have[nh++] = CFG_PW_INLINE;
	if (*file)
		have[nh++] = CFG_PW_FILE;
	if (credpath[0])
		have[nh++] = CFG_PW_CREDENTIAL;
	*src = nh ? have[0] : CFG_PW_NONE;
	for (int i = 1; i < nh; i++)
		warn(c, d, "%s: using the %s, ignoring the %s", what, pw_source_desc(have[0]),
		     pw_source_desc(have[i]));
	switch (*src) {
	case CFG_PW_URL:
		snprintf(out, outlen, "%s", url_pw);
		break;
	case CFG_PW_FILE: {
		struct stat st;

		if (read_secret(file, out, outlen, m, sizeof(m))) {
			key_error(d, c, ki_file, "%s", m);
			break;
		}
		if (stat(file, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
			warn(c, d, "%s: %s is readable by group/other (mode %04o): chmod 600 it",
			     keys[ki_file].path, file, (unsigned)(st.st_mode & 07777));
		break;
	}
	case CFG_PW_CREDENTIAL:
		if (read_secret(credpath, out, outlen, m, sizeof(m)))
			diag_add(d, "credential %s: %s", cred, m);
		break;
	case CFG_PW_INLINE:
	case CFG_PW_NONE:
		break;
	}
}

/* For libavformat URLs: where the userinfo is ("scheme://USERINFO@host"), if any. */
static int av_userinfo(const char *s, const char **ui, const char **at)
{
	const char *p = strstr(s, "://"), *end;

	if (!p)
		return 0;
	p += 3;
	end = p + strcspn(p, "/?#");
	for (const char *q = end; q > p; q--)
		if (q[-1] == '@') {
			*ui = p;
			*at = q - 1;
			return 1;
		}
	return 0;
}

static int scheme_takes_userinfo(const char *s)
{
	static const char *const schemes[] = { "rtsp://", "rtsps://", "http://", "https://" };

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (!strncasecmp(s, schemes[i], strlen(schemes[i])))
			return 1;
	return 0;
}

static void resolve_camera(struct cfg *c, struct diag *d)
{
	int ki_src = key_index("camera.source");
	int ki_uid = key_index("camera.uid");
	struct url *u = &c->camera.url;
	char e[256];
	int url_pw = 0;
	const char *url_pw_val = "";
	const char *ui = NULL, *at = NULL;

	if (!c->camera.source[0]) {
		if (c->origin[ki_src].invalid)
			return;
		where(c, ki_src, e, sizeof(e));
		diag_add(d, "%smissing required setting camera.source (or --source URL)", e);
		return;
	}
	if (url_parse(c->camera.source, u, e, sizeof(e))) {
		key_error(d, c, ki_src, "%s", e);
		return;
	}
	if (u->kind == URL_AV) {
		if (av_userinfo(u->av, &ui, &at) && memchr(ui, ':', (size_t)(at - ui)))
			url_pw = 1;
	} else {
		if (u->has_user)
			snprintf(c->camera.user, sizeof(c->camera.user), "%s", u->user);
		url_pw = u->has_password;
		url_pw_val = u->password;
		if (u->uid[0]) {
			if (c->camera.uid[0] && strcmp(c->camera.uid, u->uid))
				key_error(d, c, ki_uid, "'%s' differs from the UID in camera.source "
					  "('%s')", c->camera.uid, u->uid);
			snprintf(c->camera.uid, sizeof(c->camera.uid), "%s", u->uid);
		}
		if (u->kind == URL_BC_UDP && !c->camera.uid[0])
			key_error(d, c, ki_src, "bc-udp needs the camera's UID: add ?uid=UID or "
				  "set camera.uid");
		if (!c->camera.user[0])
			key_error(d, c, key_index("camera.user"), "empty (the camera needs a "
				  "login name)");
		if (u->stream >= 0)
			c->camera.stream = u->stream;
		if (u->n_iface) {
			for (int i = 0; i < u->n_iface; i++)
				snprintf(c->camera.discovery_interfaces[i],
					 sizeof(c->camera.discovery_interfaces[i]), "%s",
					 u->iface[i]);
			c->camera.n_discovery_interfaces = u->n_iface;
		}
		if (u->kind == URL_BC_UDP && u->port) {
			c->camera.discovery_ports[0] = u->port;
			c->camera.n_discovery_ports = 1;
		}
	}
	resolve_password(c, d, "camera password", url_pw, url_pw_val, c->camera.password,
			 sizeof(c->camera.password), key_index("camera.password_file"),
			 CFG_CRED_PASSWORD, &c->camera.password_source);
	if (u->kind != URL_AV)
		return;

	/* libavformat URL: add user:password from the config when the URL has none. */
	snprintf(c->camera.open_url, sizeof(c->camera.open_url), "%s", u->av);
	if (c->camera.password_source != CFG_PW_URL && c->camera.password[0] &&
	    scheme_takes_userinfo(u->av)) {
		const char *host = strstr(u->av, "://") + 3;
		char eu[3 * URL_USER_MAX + 1], ep[3 * URL_PASS_MAX + 1];
		int r;

		if (ui) /* "user@host": keep that user */
			host = at + 1;
		url_encode(ui ? "" : c->camera.user, eu, sizeof(eu));
		if (ui) {
			size_t un = (size_t)(at - ui);

			if (un >= sizeof(eu))
				un = sizeof(eu) - 1;
			memcpy(eu, ui, un);
			eu[un] = '\0';
		}
		url_encode(c->camera.password, ep, sizeof(ep));
		r = snprintf(c->camera.open_url, sizeof(c->camera.open_url), "%.*s%s:%s@%s",
			     (int)(strstr(u->av, "://") + 3 - u->av), u->av, eu, ep, host);
		explicit_bzero(ep, sizeof(ep));
		if (r < 0 || (size_t)r >= sizeof(c->camera.open_url)) {
			c->camera.open_url[0] = '\0';
			key_error(d, c, ki_src, "longer than %d bytes once the credentials are "
				  "added", URL_MAX_LEN);
		}
	}
}

static int cfg_finish_diag(struct cfg *c, struct diag *d)
{
	int n0 = d->n;
	int ki;
	char m[CFG_ERR_MAX - 64];

	if (!c->name[0]) {
		const char *b = c->config_path[0] ? strrchr(c->config_path, '/') : NULL;
		size_t len;

		b = c->config_path[0] ? (b ? b + 1 : c->config_path) : "camera";
		len = strlen(b);
		if (len > 5 && !strcmp(b + len - 5, ".conf"))
			len -= 5;
		snprintf(c->name, sizeof(c->name), "%.*s", (int)len, b);
		if (check_name(c->name, m, sizeof(m)))
			diag_add(d, "%s: %s (set name or --name)", c->config_path, m);
	}

	resolve_camera(c, d);

	ki = key_index("output.device");
	if (!c->output.device[0] && !c->origin[ki].invalid) {
		where(c, ki, m, sizeof(m));
		diag_add(d, "%smissing required setting output.device (or --output PATH)", m);
	}

	if (c->wake.mode == CFG_WAKE_AUTO)
		c->wake.mode = c->camera.source[0] && (c->camera.url.kind == URL_BC_UDP ||
						       c->camera.url.kind == URL_BC_P2P) ?
			CFG_WAKE_ON_DEMAND : CFG_WAKE_ALWAYS;

	if (c->reconnect.backoff_min_ms > c->reconnect.backoff_max_ms)
		key_error(d, c, key_index("reconnect.backoff_min_ms"),
			  "%d is more than reconnect.backoff_max_ms (%d)",
			  c->reconnect.backoff_min_ms, c->reconnect.backoff_max_ms);

	ki = key_index("http.listen");
	if (parse_listen(c->http.listen, &c->http.enabled, c->http.addr, sizeof(c->http.addr),
			 &c->http.port, m, sizeof(m)))
		key_error(d, c, ki, "%s", m);
	resolve_password(c, d, "http password", 0, "", c->http.password,
			 sizeof(c->http.password), key_index("http.password_file"),
			 CFG_CRED_HTTP_PASSWORD, &c->http.password_source);
	if (c->http.enabled && c->http.password[0] && !c->http.user[0])
		key_error(d, c, key_index("http.user"), "required when an HTTP password is set");
	if (c->http.enabled && c->http.user[0] && !c->http.password[0])
		warn(c, d, "http.user is set but there is no HTTP password: authentication is off");
	if (c->http.enabled && !c->http.password[0] && strcmp(c->http.addr, "127.0.0.1") &&
	    strcmp(c->http.addr, "::1"))
		warn(c, d, "HTTP listens on %s without a password: anyone who can reach it can "
		     "watch", c->http.listen);

	c->log.level += c->verbose;
	if (c->log.level > LOG_DEBUG)
		c->log.level = LOG_DEBUG;
	return d->n > n0 ? -EINVAL : 0;
}

int cfg_finish(struct cfg *c, struct cfg_err *err)
{
	struct diag d = { .err = err };

	if (err)
		memset(err, 0, sizeof(*err));
	return cfg_finish_diag(c, &d);
}

int cfg_load(const char *path, struct cfg *c, struct cfg_err *err)
{
	struct diag d = { .err = err };

	if (err)
		memset(err, 0, sizeof(*err));
	cfg_defaults(c);
	snprintf(c->config_path, sizeof(c->config_path), "%s", path);
	load_file(c, path, &d);
	if (c->n_files > 0)
		cfg_finish_diag(c, &d);
	return d.n ? -EINVAL : 0;
}

int cfg_check(const char *path, FILE *out)
{
	struct cfg *c = malloc(sizeof(*c));
	struct diag d = { .out = out };

	if (!c) {
		fprintf(out, "%s: out of memory\n", path);
		return 1;
	}
	cfg_defaults(c);
	snprintf(c->config_path, sizeof(c->config_path), "%s", path);
	/* After a syntax error there is no tree to check further (n_files stays 0). */
	load_file(c, path, &d);
	if (c->n_files > 0)
		cfg_finish_diag(c, &d);
	explicit_bzero(c, sizeof(*c));
	free(c);
	return d.n ? 1 : 0;
}

/* ---- command line ------------------------------------------------------------------------ */

enum {
	OPT_CONFIG = 'c', OPT_VERBOSE = 'v', OPT_HELP = 'h', OPT_VERSION = 'V',
	OPT_SIZE = 0x100, OPT_FRAMES, OPT_FRAME_LOG, OPT_CHECK,
	OPT_KEY = 0x1000,       /* + key index */
};

struct override {
	int ki;
	const char *opt;        /* as typed, for errors */
	const char *val;
	char buf[16];           /* --size halves */
};

#define MAX_OVERRIDES 256

/* The option name as typed, without any "=value" (which could be a password). */
static void opt_name(const char *arg, char *out, size_t n)
{
	size_t len = strcspn(arg, "=");

	if (len >= n)
		len = n - 1;
	memcpy(out, arg, len);
	out[len] = '\0';
}

static int from_args(int argc, char **argv, struct cfg *c, struct diag *d)
{
	struct option opts[CFG_MAX_KEYS * 2 + 16];
	struct override *ov;
	struct diag quiet = { 0 };
	int nov = 0, no = 0, action = CFG_RUN, have_config = 0;
	char m[CFG_ERR_MAX - 64];

	cfg_defaults(c);
	c->argc = argc;
	c->argv = argv;
	ov = calloc(MAX_OVERRIDES, sizeof(*ov));
	if (!ov) {
		diag_add(d, "out of memory");
		return -ENOMEM;
	}

	opts[no++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
	opts[no++] = (struct option){ "size", required_argument, NULL, OPT_SIZE };
	opts[no++] = (struct option){ "frames", required_argument, NULL, OPT_FRAMES };
	opts[no++] = (struct option){ "frame-log", required_argument, NULL, OPT_FRAME_LOG };
	opts[no++] = (struct option){ "check-config", no_argument, NULL, OPT_CHECK };
	opts[no++] = (struct option){ "verbose", no_argument, NULL, OPT_VERBOSE };
	opts[no++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	opts[no++] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
	for (int i = 0; i < NKEYS; i++) {
		opts[no++] = (struct option){ keys[i].path, required_argument, NULL, OPT_KEY + i };
		if (keys[i].alias && strcmp(keys[i].alias, keys[i].path))
			opts[no++] = (struct option){ keys[i].alias, required_argument, NULL,
						      OPT_KEY + i };
	}
	opts[no] = (struct option){ 0, 0, 0, 0 };

	/* Pass 1: options; values that belong to settings are kept for after the file. */
	optind = 0;             /* full re-initialisation (reload parses again) */
	opterr = 0;
	for (;;) {
		int li = -1;
		int o = getopt_long(argc, argv, ":c:vhV", opts, &li);
		char on[64];

		if (o == -1)
			break;
		opt_name(argv[optind - 1] ? argv[optind - 1] : "?", on, sizeof(on));
		switch (o) {
		case OPT_CONFIG:
			if (strlen(optarg) > CFG_PATH_MAX) {
				diag_add(d, "command line: --config: path longer than %d bytes",
					 CFG_PATH_MAX);
				break;
			}
			snprintf(c->config_path, sizeof(c->config_path), "%s", optarg);
			have_config = 1;
			break;
		case OPT_VERBOSE:
			c->verbose++;
			break;
		case OPT_HELP:
			action = CFG_HELP;
			break;
		case OPT_VERSION:
			if (action != CFG_HELP)
				action = CFG_VERSION;
			break;
		case OPT_CHECK:
			c->check_only = 1;
			if (action == CFG_RUN)
				action = CFG_CHECK;
			break;
		case OPT_FRAMES: {
			long long v;

			if (parse_ll(optarg, &v) || v < 1)
				diag_add(d, "command line: --frames: '%.40s' is not a positive "
					 "integer", optarg);
			else
				c->frames = (uint64_t)v;
			break;
		}
		case OPT_FRAME_LOG:
			if (strlen(optarg) > CFG_PATH_MAX || !*optarg)
				diag_add(d, "command line: --frame-log: empty or longer than %d "
					 "bytes", CFG_PATH_MAX);
			else
				snprintf(c->frame_log, sizeof(c->frame_log), "%s", optarg);
			break;
		case OPT_SIZE: {
			unsigned w, h;
			char x, extra;

			if (sscanf(optarg, "%u%c%u%c", &w, &x, &h, &extra) != 3 ||
			    (x != 'x' && x != 'X') || w > 100000 || h > 100000) {
				diag_add(d, "command line: --size: '%.40s' is not WxH (e.g. "
					 "1280x720)", optarg);
				break;
			}
			if (nov + 2 > MAX_OVERRIDES)
				break;
			ov[nov] = (struct override){ key_index("output.width"), "--size", NULL, "" };
			snprintf(ov[nov].buf, sizeof(ov[nov].buf), "%u", w);
			nov++;
			ov[nov] = (struct override){ key_index("output.height"), "--size", NULL, "" };
			snprintf(ov[nov].buf, sizeof(ov[nov].buf), "%u", h);
			nov++;
			break;
		}
		case ':':
			diag_add(d, "command line: option '%s' needs a value", on);
			break;
		case '?':
			if (optopt && optopt < 0x100 && isprint(optopt))
				diag_add(d, "command line: unknown option '-%c'", optopt);
			else
				diag_add(d, "command line: unknown or ambiguous option '%s'", on);
			break;
		default:
			if (o >= OPT_KEY && o < OPT_KEY + NKEYS) {
				if (nov >= MAX_OVERRIDES) {
					diag_add(d, "command line: more than %d options",
						 MAX_OVERRIDES);
					break;
				}
				ov[nov].ki = o - OPT_KEY;
				ov[nov].opt = li >= 0 ? opts[li].name : keys[o - OPT_KEY].path;
				ov[nov].val = optarg;
				nov++;
			}
			break;
		}
	}
	if (optind < argc) {
		if (c->check_only && !have_config && optind + 1 == argc &&
		    strlen(argv[optind]) <= CFG_PATH_MAX) {
			snprintf(c->config_path, sizeof(c->config_path), "%s", argv[optind]);
			have_config = 1;
		} else {
			/* not echoed: after a mistyped option it may be a password */
			diag_add(d, "command line: unexpected argument #%d (settings are "
				 "--GROUP.KEY=VALUE)", optind);
		}
	}
	/* --help and --version work whatever the rest says. */
	if (action == CFG_HELP || action == CFG_VERSION)
		d = &quiet;

	/* Pass 2: the file: -c, or CFG_DEFAULT_DIR/NAME.conf when it exists. */
	if (!have_config) {
		for (int i = nov - 1; i >= 0; i--) {
			if (ov[i].ki == key_index("name") && !check_name(ov[i].val, m, sizeof(m))) {
				char p[CFG_PATH_MAX + 1];

				snprintf(p, sizeof(p), "%s/%s.conf", CFG_DEFAULT_DIR, ov[i].val);
				if (access(p, F_OK) == 0) {
					snprintf(c->config_path, sizeof(c->config_path), "%s", p);
					have_config = 1;
				}
				break;
			}
		}
	}
	if (have_config)
		load_file(c, c->config_path, d);

	/* Pass 3: the command line wins over the file. */
	for (int i = 0; i < nov; i++) {
		const struct key *k = &keys[ov[i].ki];
		const char *v = ov[i].val ? ov[i].val : ov[i].buf;

		if (set_text(c, k, v, m, sizeof(m))) {
			diag_add(d, "command line: --%s: %s", ov[i].opt, m);
			c->origin[ov[i].ki].invalid = 1;
			continue;
		}
		c->origin[ov[i].ki].src = 2;
		if ((k->flags & KF_SECRET) && *v)
			warn(c, d, "--%s on the command line is visible to other users (ps): use "
			     "%s_file or a systemd credential", ov[i].opt, k->path);
	}
	free(ov);

	/* After a syntax error in the file there is nothing sensible to resolve. */
	if (!have_config || c->n_files > 0)
		cfg_finish_diag(c, d);
	/* --check-config reports through cfg_check_args, whatever was found here */
	if (action != CFG_RUN)
		return action;
	return d->n ? -EINVAL : action;
}

int cfg_from_args(int argc, char **argv, struct cfg *c, struct cfg_err *err)
{
	struct diag d = { .err = err };

	if (err)
		memset(err, 0, sizeof(*err));
	return from_args(argc, argv, c, &d);
}

int cfg_check_args(int argc, char **argv, FILE *out)
{
	struct cfg *c = malloc(sizeof(*c));
	struct diag d = { .out = out };
	int r;

	if (!c) {
		fprintf(out, "out of memory\n");
		return 1;
	}
	r = from_args(argc, argv, c, &d);
	explicit_bzero(c, sizeof(*c));
	free(c);
	return r < 0 || d.n ? 1 : 0;
}

int cfg_reload(const struct cfg *cur, struct cfg *next, struct cfg_err *err)
{
	int r = cfg_from_args(cur->argc, cur->argv, next, err);

	return r < 0 ? r : 0;
}

/* ---- printing ---------------------------------------------------------------------------- */

static const char *enum_name(const struct enum_val *ev, int v)
{
	for (; ev->name; ev++)
		if (ev->val == v)
			return ev->name;
	return "?";
}

const char *cfg_format_name(int format)
{
	return enum_name(ev_format, format);
}

/* A value as text: quoted=1 for libconfig syntax, else the command-line form.  Secrets come
 * out as "***" (set) or "" (not set); the source with its password hidden. */
static void fmt_value(const struct cfg *c, const struct key *k, int quoted, char *out, size_t n)
{
	char tmp[2048];
	size_t o = 0;

	out[0] = '\0';
	switch (k->type) {
	case K_STR: {
		const char *v = kptr(c, k);

		if (k->flags & KF_SECRET)
			v = *v ? "***" : "";
		else if (k->check == check_source)
			v = url_redact(v, tmp, sizeof(tmp)) == 0 ? tmp : "***";
		if (!quoted) {
			snprintf(out, n, "%s", v);
			break;
		}
		if (o + 1 < n)
			out[o++] = '"';
		for (; *v && o + 3 < n; v++) {
			if (*v == '"' || *v == '\\')
				out[o++] = '\\';
			out[o++] = *v;
		}
		out[o++] = '"';
		out[o] = '\0';
		break;
	}
	case K_ENUM:
		snprintf(out, n, quoted ? "\"%s\"" : "%s", enum_name(k->ev, *(int *)kptr(c, k)));
		break;
	case K_INT:
		snprintf(out, n, "%d", *(int *)kptr(c, k));
		break;
	case K_BOOL:
		snprintf(out, n, "%s", *(int *)kptr(c, k) ? "true" : "false");
		break;
	case K_STRLIST:
	case K_INTLIST:
		tmp[0] = '\0';
		for (int i = 0; i < *kcount(c, k); i++) {
			size_t l = strlen(tmp);
			const char *sep = i ? (quoted ? ", " : ",") : "";

			if (k->type == K_STRLIST)
				snprintf(tmp + l, sizeof(tmp) - l, quoted ? "%s\"%s\"" : "%s%s", sep,
					 (char *)kptr(c, k) + (size_t)i * k->size);
			else
				snprintf(tmp + l, sizeof(tmp) - l, "%s%d", sep,
					 ((int *)kptr(c, k))[i]);
		}
		snprintf(out, n, quoted ? "[%s]" : "%s", tmp);
		break;
	}
}

void cfg_usage(FILE *out, const char *prog, const struct cfg *c)
{
	struct cfg *def = malloc(sizeof(*def));
	char v[2200], opt[64];

	fprintf(out,
		"Usage: %s [OPTION]...\n"
		"Bridges one camera (Reolink Baichuan over UDP/TCP/P2P, or any RTSP/URL source) to\n"
		"a V4L2 loopback device, with an HTTP sidecar for MJPEG, snapshots and status.\n"
		"\n"
		"  -c, --config FILE     configuration file (default: %s/NAME.conf)\n"
		"      --name NAME       camera name: device label, logs, HTTP routes\n"
		"                        (default: the config file name without .conf)\n"
		"      --source URL      bc-udp://USER:PASS@HOST|broadcast[:PORT][/main|/sub]\n"
		"                              ?uid=UID[&iface=IF]\n"
		"                        bc-tcp://USER:PASS@HOST[:9000][/main|/sub]\n"
		"                        bc-p2p://USER:PASS@UID[/main|/sub]\n"
		"                        or rtsp://, rtsps://, udp://, http(s)://, rtmp://, srt://, a file\n"
		"      --output PATH     /dev/videoN, label:NAME, or a file/FIFO for raw frames\n"
		"      --format FMT      i420, yuyv or nv12\n"
		"      --size WxH        frame size, e.g. 1280x720\n"
		"      --fps N           frames per second (1..120)\n"
		"      --http ADDR:PORT  HTTP sidecar (default 127.0.0.1:8080; [::]:PORT; off)\n"
		"      --hwaccel NAME    auto, none, vaapi, ...\n"
		"      --frames N        exit 0 after N camera frames\n"
		"      --frame-log FILE  log one line per frame\n"
		"      --check-config [FILE]  check the configuration, print every problem, exit\n"
		"  -v, --verbose         more logging (repeatable)\n"
		"  -h, --help            this text\n"
		"  -V, --version         version\n"
		"\n"
		"Every setting of the configuration file is also an option, --GROUP.KEY=VALUE\n"
		"(lists comma-separated).  Passwords: URL, inline, *.password_file, or the systemd\n"
		"credentials '%s' and '%s'.\n\n",
		prog ? prog : "cam-bridge", CFG_DEFAULT_DIR, CFG_CRED_PASSWORD,
		CFG_CRED_HTTP_PASSWORD);
	if (def)
		cfg_defaults(def);
	for (int i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];

		snprintf(opt, sizeof(opt), "--%s=%s", k->path, k->arg);
		fprintf(out, "  %-44s %s", opt, k->help);
		if (k->flags & KF_SECRET) {
			if (c)
				fprintf(out, " [%s]", *(const char *)kptr(c, k) ? "set" : "not set");
		} else if (c) {
			fmt_value(c, k, 0, v, sizeof(v));
			fprintf(out, " [%s]", v);
		} else if (def) {
			fmt_value(def, k, 0, v, sizeof(v));
			fprintf(out, " [default: %s]", v);
		}
		fputc('\n', out);
	}
	free(def);
}

void cfg_dump(const struct cfg *c, FILE *out)
{
	char v[2200], group[32] = "";

	for (int i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *dot = strchr(k->path, '.');
		size_t gl = dot ? (size_t)(dot - k->path) : 0;

		if (gl != strlen(group) || strncmp(group, k->path, gl)) {
			if (group[0])
				fprintf(out, "};\n");
			snprintf(group, sizeof(group), "%.*s", (int)gl, k->path);
			if (group[0])
				fprintf(out, "%s = {\n", group);
		}
		fmt_value(c, k, 1, v, sizeof(v));
		fprintf(out, "%s%s = %s;\n", group[0] ? "\t" : "", dot ? dot + 1 : k->path, v);
	}
	if (group[0])
		fprintf(out, "};\n");
}

int cfg_changed_keys(const struct cfg *a, const struct cfg *b, char *out, size_t outlen)
{
	char va[2200], vb[2200];
	int n = 0;

	if (outlen)
		out[0] = '\0';
	for (int i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		int diff;

		if (k->type == K_STR)  /* raw compare: secrets and the source's password too */
			diff = strcmp(kptr(a, k), kptr(b, k)) != 0;
		else {
			fmt_value(a, k, 1, va, sizeof(va));
			fmt_value(b, k, 1, vb, sizeof(vb));
			diff = strcmp(va, vb) != 0;
		}
		if (!diff)
			continue;
		if (outlen)
			snprintf(out + strlen(out), outlen - strlen(out), "%s%s", n ? ", " : "",
				 k->path);
		n++;
	}
	return n;
}
