/* The key table: every setting once, with its type, default, range, check and help.  Loading,
 * the command line, --help, --check-config, cfg_dump, the reload diff and the tests that keep
 * config/camera.conf.example and the man page true all derive from it, so a new setting is
 * one row here plus its field in struct cfg. */
#include "app/cfg_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#define FLD(f) .off = offsetof(struct cfg, f), .size = sizeof(((struct cfg *)0)->f)
#define LST(f, nf) .off = offsetof(struct cfg, f), .size = sizeof(((struct cfg *)0)->f[0]), \
	.off_n = offsetof(struct cfg, nf), \
	.max_n = (int)(sizeof(((struct cfg *)0)->f) / sizeof(((struct cfg *)0)->f[0]))
#define RANGE(lo, hi) .min = (lo), .max = (hi)

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
	{ "events", CFG_WAKE_EVENTS },
	{ 0, 0 } };
static const struct enum_val ev_level[] = {
	{ "err", LOG_ERR }, { "warning", LOG_WARNING }, { "notice", LOG_NOTICE },
	{ "info", LOG_INFO }, { "debug", LOG_DEBUG }, { 0, 0 } };

/* Grouped by section, in the order of cfg_dump and --help. */
const struct key cfg_keys[] = {
	{ "name", K_STR, FLD(name), .check = cfg_check_name, .alias = "name", .arg = "NAME",
	  .help = "camera name: device label, logs, HTTP routes (default: config file name "
		  "without .conf)" },

	{ "camera.source", K_STR, FLD(camera.source), .check = cfg_check_source,
	  .flags = KF_REQUIRED | KF_URL, .alias = "source", .arg = "URL",
	  .help = "bc-udp://, bc-tcp://, bc-p2p://, or any libavformat URL or file" },
	{ "camera.user", K_STR, FLD(camera.user), .check = cfg_check_text, .def = "admin",
	  .arg = "USER", .help = "camera login (a user in the URL wins)" },
	{ "camera.password", K_STR, FLD(camera.password), .flags = KF_SECRET, .arg = "PASS",
	  .help = "camera password inline (prefer password_file or a credential)" },
	{ "camera.password_file", K_STR, FLD(camera.password_file), .arg = "FILE",
	  .help = "file holding the camera password (one line)" },
	{ "camera.uid", K_STR, FLD(camera.uid), .check = cfg_check_uid, .arg = "UID",
	  .help = "camera UID (bc-udp; ?uid= in the URL wins)" },
	{ "camera.stream", K_ENUM, FLD(camera.stream), .ev = ev_stream, .def = "main",
	  .arg = "main|sub", .help = "stream when the URL has no /main or /sub" },
	{ "camera.max_encryption", K_ENUM, FLD(camera.max_encryption), .ev = ev_enc,
	  .def = "full-aes", .arg = "none|bc|aes|full-aes",
	  .help = "highest Baichuan encryption offered at login" },
	{ "camera.discovery_ports", K_INTLIST,
	  LST(camera.discovery_ports, camera.n_discovery_ports), RANGE(1, 65535),
	  .def = "2018,2015", .arg = "P,P", .help = "bc-udp discovery ports" },
	{ "camera.discovery_interfaces", K_STRLIST,
	  LST(camera.discovery_interfaces, camera.n_discovery_interfaces),
	  .check = cfg_check_iface, .arg = "IF,IF",
	  .help = "bc-udp broadcast interfaces (empty: all)" },
	{ "camera.p2p_servers", K_STRLIST, LST(camera.p2p_servers, camera.n_p2p_servers),
	  .check = cfg_check_hostport, .flags = KF_PORT9999,
	  .def = "p2p.reolink.com:9999,p2p1.reolink.com:9999,p2p2.reolink.com:9999,"
		 "p2p3.reolink.com:9999,p2p4.reolink.com:9999,p2p5.reolink.com:9999,"
		 "p2p6.reolink.com:9999,p2p7.reolink.com:9999,p2p8.reolink.com:9999,"
		 "p2p9.reolink.com:9999,p2p10.reolink.com:9999,p2p11.reolink.com:9999",
	  .arg = "H:P,H:P", .help = "bc-p2p lookup servers" },
	{ "camera.rtsp_transport", K_ENUM, FLD(camera.rtsp_transport), .ev = ev_rtsp,
	  .def = "tcp", .arg = "tcp|udp|listen",
	  .help = "RTSP transport for rtsp:// sources (listen: the camera pushes to us)" },
	{ "camera.connect_timeout_ms", K_INT, FLD(camera.connect_timeout_ms), RANGE(100, 600000),
	  .def = "10000", .arg = "MS", .help = "connect and login timeout" },
	{ "camera.read_timeout_ms", K_INT, FLD(camera.read_timeout_ms), RANGE(100, 600000),
	  .def = "10000", .arg = "MS", .help = "no data for this long: reconnect" },

	{ "output.device", K_STR, FLD(output.device), .check = cfg_check_device,
	  .flags = KF_REQUIRED, .alias = "output", .arg = "PATH",
	  .help = "V4L2 device, label:NAME, or a regular file/FIFO for raw frames" },
	{ "output.format", K_ENUM, FLD(output.format), .ev = ev_format, .def = "i420",
	  .alias = "format", .arg = "i420|yuyv|nv12", .help = "pixel format written" },
	{ "output.width", K_INT, FLD(output.width), RANGE(32, 8192), .flags = KF_EVEN,
	  .def = "1280", .arg = "W", .help = "frame width (also --size WxH)" },
	{ "output.height", K_INT, FLD(output.height), RANGE(32, 8192), .flags = KF_EVEN,
	  .def = "720", .arg = "H", .help = "frame height" },
	{ "output.fps", K_INT, FLD(output.fps), RANGE(1, 120), .def = "15", .alias = "fps",
	  .arg = "N", .help = "frame rate announced and repeated at" },
	{ "output.placeholder_image", K_STR, FLD(output.placeholder_image), .arg = "FILE",
	  .help = "image shown while the camera is away (empty: built-in card)" },
	{ "output.udp", K_STR, FLD(output.udp), .check = cfg_check_text, .arg = "udp://HOST:PORT",
	  .help = "also push the camera's stream as MPEG-TS over UDP (empty: off)" },

	{ "record.dir", K_STR, FLD(record.dir), .arg = "DIR",
	  .help = "folder for recordings: DIR/NAME/YYYY-MM-DD/HHMMSS.mp4 (empty: no recording)" },
	{ "record.pre_seconds", K_INT, FLD(record.pre_seconds), RANGE(0, 60), .def = "5",
	  .arg = "S", .help = "pre-roll: seconds before the trigger kept in memory and recorded" },
	{ "record.pre_max_mb", K_INT, FLD(record.pre_max_mb), RANGE(1, 1024), .def = "32",
	  .arg = "MB", .help = "memory bound of the pre-roll" },
	{ "record.post_seconds", K_INT, FLD(record.post_seconds), RANGE(0, 3600), .def = "10",
	  .arg = "S", .help = "seconds recorded after the trigger ends (motion: extended while it lasts)" },
	{ "record.max_seconds", K_INT, FLD(record.max_seconds), RANGE(1, 86400), .def = "300",
	  .arg = "S", .help = "longest clip" },
	{ "record.on_motion", K_BOOL, FLD(record.on_motion), .def = "false",
	  .arg = "true|false", .help = "record on the camera's motion and AI alarms (all "
					   "of them; record.on_types chooses)" },
	{ "record.on_types", K_STR, FLD(record.on_types), .check = cfg_check_alarm_types,
	  .arg = "TYPE,TYPE", .help = "record on these alarms only: motion, people, vehicle, "
				      "dog_cat, face (empty: as on_motion says)" },
	{ "record.always", K_BOOL, FLD(record.always), .def = "false",
	  .arg = "true|false", .help = "record all the time, in segments" },
	{ "record.segment_seconds", K_INT, FLD(record.segment_seconds), RANGE(10, 86400),
	  .def = "300", .arg = "S", .help = "record.always: length of one file" },
	{ "record.max_age_days", K_INT, FLD(record.max_age_days), RANGE(0, 36500), .def = "0",
	  .arg = "D", .help = "remove clips older than this (0: keep)" },
	{ "record.max_total_mb", K_INT, FLD(record.max_total_mb), RANGE(0, 1073741824), .def = "0",
	  .arg = "MB", .help = "remove the oldest clips past this total (0: no limit)" },

	{ "wake.mode", K_ENUM, FLD(wake.mode), .ev = ev_wake, .def = "auto",
	  .arg = "auto|always|on-demand|events",
	  .help = "auto: on-demand for bc-udp/bc-p2p, else always; events: session open for alarms, "
		  "video on demand" },
	{ "wake.idle_seconds", K_INT, FLD(wake.idle_seconds), RANGE(0, 86400), .def = "30",
	  .arg = "S", .help = "on-demand: keep streaming this long after the last viewer" },

	{ "events.hook", K_STR, FLD(events.hook), .check = cfg_check_program, .arg = "PROGRAM",
	  .help = "program run once per event, values in CAM_* variables (absolute path; no "
		  "shell, no arguments; empty: none)" },
	{ "events.hook_timeout_seconds", K_INT, FLD(events.hook_timeout_seconds), RANGE(1, 3600),
	  .def = "10", .arg = "S", .help = "a hook still running after this is stopped (SIGTERM, "
					     "SIGKILL 1 s later)" },

	{ "mqtt.host", K_STR, FLD(mqtt.host), .check = cfg_check_host, .arg = "HOST",
	  .help = "MQTT broker (empty: no MQTT)" },
	{ "mqtt.port", K_INT, FLD(mqtt.port), RANGE(1, 65535), .def = "1883", .arg = "PORT",
	  .help = "MQTT broker port (8883 is the usual one with TLS)" },
	{ "mqtt.user", K_STR, FLD(mqtt.user), .check = cfg_check_text, .arg = "USER",
	  .help = "MQTT user (empty: anonymous)" },
	{ "mqtt.password", K_STR, FLD(mqtt.password), .flags = KF_SECRET, .arg = "PASS",
	  .help = "MQTT password inline (prefer password_file or the mqtt-password credential)" },
	{ "mqtt.password_file", K_STR, FLD(mqtt.password_file), .arg = "FILE",
	  .help = "file holding the MQTT password" },
	{ "mqtt.topic_prefix", K_STR, FLD(mqtt.topic_prefix), .check = cfg_check_topic,
	  .def = "cam-bridge", .arg = "TOPIC", .help = "topics are PREFIX/NAME/state, …" },
	{ "mqtt.discovery_prefix", K_STR, FLD(mqtt.discovery_prefix), .check = cfg_check_topic,
	  .def = "homeassistant", .arg = "TOPIC",
	  .help = "Home Assistant discovery prefix (empty: no discovery messages)" },
	{ "mqtt.tls", K_BOOL, FLD(mqtt.tls), .def = "false", .arg = "BOOL",
	  .help = "TLS to the broker, checked against the system CA certificates or ca_file" },
	{ "mqtt.ca_file", K_STR, FLD(mqtt.ca_file), .check = cfg_check_text, .arg = "FILE",
	  .help = "PEM file of the CA certificates the broker's is checked against (turns TLS on)" },
	{ "mqtt.cert_file", K_STR, FLD(mqtt.cert_file), .check = cfg_check_text, .arg = "FILE",
	  .help = "PEM client certificate for brokers that ask for one (with key_file)" },
	{ "mqtt.key_file", K_STR, FLD(mqtt.key_file), .check = cfg_check_text, .arg = "FILE",
	  .help = "PEM private key of cert_file, not encrypted" },

	{ "reconnect.backoff_min_ms", K_INT, FLD(reconnect.backoff_min_ms), RANGE(10, 600000),
	  .def = "500", .arg = "MS", .help = "first reconnect delay" },
	{ "reconnect.backoff_max_ms", K_INT, FLD(reconnect.backoff_max_ms), RANGE(10, 3600000),
	  .def = "30000", .arg = "MS", .help = "longest reconnect delay" },
	{ "reconnect.auth_retry_seconds", K_INT, FLD(reconnect.auth_retry_seconds),
	  RANGE(1, 86400), .def = "300", .arg = "S", .help = "wait after a rejected password" },

	{ "decode.hwaccel", K_STR, FLD(decode.hwaccel), .check = cfg_check_hwaccel, .def = "auto",
	  .alias = "hwaccel", .arg = "NAME",
	  .help = "auto|none|vaapi|vdpau|cuda|qsv|drm|vulkan|v4l2m2m" },
	{ "decode.device", K_STR, FLD(decode.device), .arg = "PATH",
	  .help = "hwaccel device, e.g. /dev/dri/renderD128 (empty: default)" },

	{ "http.listen", K_STR, FLD(http.listen), .check = cfg_check_listen,
	  .def = "127.0.0.1:8080", .alias = "http", .arg = "ADDR:PORT",
	  .help = "HTTP sidecar address, [::]:PORT for IPv6, off to disable" },
	{ "http.user", K_STR, FLD(http.user), .check = cfg_check_text, .arg = "USER",
	  .help = "HTTP basic-auth user (with a password; neither: no authentication)" },
	{ "http.password", K_STR, FLD(http.password), .flags = KF_SECRET, .arg = "PASS",
	  .help = "HTTP password inline (empty: no authentication)" },
	{ "http.password_file", K_STR, FLD(http.password_file), .arg = "FILE",
	  .help = "file holding the HTTP password" },
	{ "http.max_connections", K_INT, FLD(http.max_connections), RANGE(1, 1024), .def = "16",
	  .arg = "N", .help = "concurrent HTTP connections" },
	{ "http.jpeg_quality", K_INT, FLD(http.jpeg_quality), RANGE(1, 100), .def = "80",
	  .arg = "Q", .help = "MJPEG/snapshot JPEG quality" },
	{ "http.mjpeg_width", K_INT, FLD(http.mjpeg_width), RANGE(32, 8192),
	  .flags = KF_EVEN | KF_ZERO_OK, .def = "0", .arg = "W",
	  .help = "MJPEG width (0: output width)" },
	{ "http.mjpeg_height", K_INT, FLD(http.mjpeg_height), RANGE(32, 8192),
	  .flags = KF_EVEN | KF_ZERO_OK, .def = "0", .arg = "H",
	  .help = "MJPEG height (0: output height)" },
	{ "http.timeout_seconds", K_INT, FLD(http.timeout_seconds), RANGE(1, 3600), .def = "30",
	  .arg = "S", .help = "idle timeout of a non-streaming connection" },

	{ "limits.max_message_bytes", K_INT, FLD(limits.max_message_bytes),
	  RANGE(65536, 67108864), .def = "4194304", .arg = "BYTES",
	  .help = "largest Baichuan message accepted" },
	{ "limits.max_frame_bytes", K_INT, FLD(limits.max_frame_bytes),
	  RANGE(65536, 268435456), .def = "8388608", .arg = "BYTES",
	  .help = "largest compressed frame accepted" },

	{ "log.level", K_ENUM, FLD(log.level), .ev = ev_level, .def = "info",
	  .arg = "err|warning|notice|info|debug", .help = "log level (-v raises it)" },
};

const int cfg_nkeys = (int)(sizeof(cfg_keys) / sizeof(cfg_keys[0]));
_Static_assert(sizeof(cfg_keys) / sizeof(cfg_keys[0]) <= CFG_MAX_KEYS, "raise CFG_MAX_KEYS");

int cfg_key_index(const char *path)
{
	for (int i = 0; i < cfg_nkeys; i++)
		if (!strcmp(cfg_keys[i].path, path))
			return i;
	return -1;
}

const char *cfg_enum_name(const struct enum_val *ev, int v)
{
	for (; ev->name; ev++)
		if (ev->val == v)
			return ev->name;
	return "?";
}

const char *cfg_format_name(int format)
{
	return cfg_enum_name(ev_format, format);
}

int cfg_key_count(void)
{
	return cfg_nkeys;
}

int cfg_key_info(int i, struct cfg_key_info *info)
{
	if (i < 0 || i >= cfg_nkeys)
		return -ENOENT;
	info->path = cfg_keys[i].path;
	info->alias = cfg_keys[i].alias;
	info->def = cfg_keys[i].def;
	info->secret = !!(cfg_keys[i].flags & KF_SECRET);
	return 0;
}

/* Every default goes through the same checks as a value from the file: a bad default is a
 * bug the unit tests catch (cfg_defaults_check). */
int cfg_defaults_check(struct cfg *c, char *msg, size_t n)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < cfg_nkeys; i++) {
		char m[200];

		if (cfg_keys[i].def && cfg_set_text(c, &cfg_keys[i], cfg_keys[i].def, m, sizeof(m))) {
			snprintf(msg, n, "default of %s: %s", cfg_keys[i].path, m);
			return -EINVAL;
		}
	}
	return 0;
}

void cfg_defaults(struct cfg *c)
{
	char m[256];

	(void)cfg_defaults_check(c, m, sizeof(m));
}
