/* cam-bridge configuration: every setting with its default, loaded from a libconfig file
 * (one per camera, /etc/cam-bridge/NAME.conf) and then overridden from the command line.
 *
 * Every file key GROUP.KEY is also a long option --GROUP.KEY=VALUE (lists comma-separated,
 * booleans true/false); the common ones have short names (--source, --size, …).
 * config/camera.conf.example documents every key.
 *
 * Passwords (camera and HTTP) come from, first match wins: the source URL (camera only), the
 * inline setting (file or command line), *.password_file, then the systemd credential
 * $CREDENTIALS_DIRECTORY/password (camera) or …/http-password (HTTP).  They never appear in
 * an error, a warning, --help or cfg_dump().
 *
 * Not thread-safe (getopt): call from the main thread.  No global state is kept.
 */
#ifndef CB_APP_CFG_H
#define CB_APP_CFG_H

#include <stdint.h>
#include <stdio.h>

#include "app/url.h"

#ifndef CB_VERSION
#define CB_VERSION "0.1.0"
#endif

#define CFG_DEFAULT_DIR        "/etc/cam-bridge"
#define CFG_CRED_PASSWORD      "password"       /* LoadCredential=password:… */
#define CFG_CRED_HTTP_PASSWORD "http-password"
#define CFG_CRED_MQTT_PASSWORD "mqtt-password"

#define CFG_NAME_MAX        63
#define CFG_PATH_MAX        1023
#define CFG_MAX_DISC_PORTS  4
#define CFG_MAX_IFACES      8
#define CFG_IFACE_MAX       URL_IFACE_MAX
#define CFG_MAX_P2P_SERVERS 16
#define CFG_P2P_SERVER_MAX  127             /* "host:port" */
#define CFG_MAX_WARNINGS    8
#define CFG_WARNING_MAX     255
#define CFG_MAX_KEYS        128
#define CFG_MAX_FILES       8                /* config file + @includes remembered for errors */
#define CFG_ERR_MAX         512
/* A configuration file (and each @include) is at most this big: libconfig's scanner takes
 * quadratic time on a long line (4 MB: 17 s), and a real file is a few KB. */
#define CFG_FILE_MAX        (256 * 1024)
#define CFG_INCLUDE_DEPTH   10               /* libconfig's own limit */

enum cfg_format { CFG_FMT_I420, CFG_FMT_YUYV, CFG_FMT_NV12 };
enum cfg_stream { CFG_STREAM_MAIN, CFG_STREAM_SUB };
/* LISTEN: cam-bridge is the RTSP server and the camera (or ffmpeg -f rtsp) pushes to it. */
enum cfg_rtsp { CFG_RTSP_TCP, CFG_RTSP_UDP, CFG_RTSP_LISTEN };
/* AUTO resolves in cfg_finish: ON_DEMAND for bc-udp/bc-p2p (battery cameras), else ALWAYS. */
enum cfg_wake { CFG_WAKE_AUTO, CFG_WAKE_ALWAYS, CFG_WAKE_ON_DEMAND, CFG_WAKE_EVENTS };
enum cfg_pw_source {
	CFG_PW_NONE, CFG_PW_URL, CFG_PW_INLINE, CFG_PW_FILE, CFG_PW_CREDENTIAL,
};

struct cfg {
	/* ---- run-time options (command line only) ---- */
	char config_path[CFG_PATH_MAX + 1]; /* "" = none */
	char name[CFG_NAME_MAX + 1];        /* also file key `name`; default: config basename */
	int check_only;                     /* --check-config */
	int verbose;                        /* number of -v */
	uint64_t frames;                    /* --frames: exit 0 after N frames, 0 = run forever */
	char frame_log[CFG_PATH_MAX + 1];   /* --frame-log */
	char run_dir[CFG_PATH_MAX + 1];     /* --run-dir: the cameras page's directory, "" = default */

	struct {
		char source[URL_MAX_LEN + 1];   /* as given: may hold a password, url_redact it */
		char user[URL_USER_MAX + 1];    /* effective (the URL's user wins) */
		char password[URL_PASS_MAX + 1];/* effective after cfg_finish: see password_source */
		char password_file[CFG_PATH_MAX + 1];
		char uid[URL_UID_MAX + 1];      /* effective (the URL's ?uid= / bc-p2p host wins) */
		int stream;                     /* enum cfg_stream; the URL's /main|/sub wins */
		int max_encryption;             /* 0x00 none, 0x01 bc, 0x02 aes, 0x12 full-aes */
		int discovery_ports[CFG_MAX_DISC_PORTS];
		int n_discovery_ports;
		/* effective: the URL's ?iface= replace the configured list */
		char discovery_interfaces[CFG_MAX_IFACES][CFG_IFACE_MAX + 1];
		int n_discovery_interfaces;
		char p2p_servers[CFG_MAX_P2P_SERVERS][CFG_P2P_SERVER_MAX + 1]; /* "host:port" */
		int n_p2p_servers;
		int rtsp_transport;             /* enum cfg_rtsp */
		int connect_timeout_ms;
		int read_timeout_ms;            /* no data for this long: reconnect */
		/* resolved by cfg_finish: */
		struct url url;                 /* parsed source */
		enum cfg_pw_source password_source;
		char open_url[URL_MAX_LEN + 1]; /* URL_AV: what to give libavformat (credentials
		                                   added when the URL had none); secret */
	} camera;
	struct {
		char device[CFG_PATH_MAX + 1];  /* /dev/videoN, label:NAME, or a file/FIFO */
		int format;                     /* enum cfg_format */
		int width, height, fps;
		char placeholder_image[CFG_PATH_MAX + 1]; /* "" = built-in card */
		char udp[CFG_PATH_MAX + 1];     /* "udp://HOST:PORT" MPEG-TS push, "" = off */
	} output;
	struct {
		char dir[CFG_PATH_MAX + 1];     /* "" = no recording */
		int pre_seconds, pre_max_mb;
		int post_seconds, max_seconds;
		int on_motion, always;
		char on_types[96];              /* "motion,people,…"; "" = as on_motion says */
		unsigned on_mask;               /* resolved: alarm types that record (bit = enum
		                                   ev_type), from on_types or on_motion */
		int segment_seconds;
		int max_age_days, max_total_mb; /* retention (record/retain.c) */
	} record;
	struct {
		int mode;                       /* enum cfg_wake; never AUTO after cfg_finish */
		int idle_seconds;
	} wake;
	struct {
		char hook[CFG_PATH_MAX + 1];    /* "" = no hook */
		int hook_timeout_seconds;
	} events;
	struct {
		char host[256];                 /* "" = off */
		int port;
		char user[URL_USER_MAX + 1];
		char password[URL_PASS_MAX + 1];/* effective after cfg_finish */
		char password_file[CFG_PATH_MAX + 1];
		char topic_prefix[128];
		char discovery_prefix[128];     /* "" = no Home Assistant discovery */
		int tls;
		char ca_file[CFG_PATH_MAX + 1]; /* "" = the system CAs; set: TLS on */
		char cert_file[CFG_PATH_MAX + 1];       /* client certificate, "" = none */
		char key_file[CFG_PATH_MAX + 1];
		/* resolved by cfg_finish: */
		enum cfg_pw_source password_source;
	} mqtt;
	struct {
		int backoff_min_ms, backoff_max_ms;
		int auth_retry_seconds;
	} reconnect;
	struct {
		char hwaccel[16];               /* auto, none, vaapi, vdpau, cuda, qsv, drm, v4l2m2m */
		char device[CFG_PATH_MAX + 1];  /* e.g. /dev/dri/renderD128, "" = default */
	} decode;
	struct {
		char listen[128];               /* "ADDR:PORT", "[V6]:PORT" or "off" */
		char user[URL_USER_MAX + 1];
		char password[URL_PASS_MAX + 1];/* effective after cfg_finish; "" = no auth */
		char password_file[CFG_PATH_MAX + 1];
		int max_connections;
		int jpeg_quality;
		int mjpeg_width, mjpeg_height;  /* 0 = the output size */
		int timeout_seconds;
		/* resolved by cfg_finish: */
		int enabled;
		char addr[64];                  /* numeric, no brackets */
		int port;                       /* 0 = any free port */
		enum cfg_pw_source password_source;
	} http;
	struct {
		int max_message_bytes;
		int max_frame_bytes;
	} limits;
	struct {
		int level;                      /* LOG_ERR..LOG_DEBUG, -v already added */
	} log;

	/* Warnings for the caller to log (inline password in a readable file, …). */
	char warnings[CFG_MAX_WARNINGS][CFG_WARNING_MAX + 1];
	int n_warnings;

	/* ---- bookkeeping ---- */
	int argc;                           /* kept for cfg_reload: main's argv lives on */
	char **argv;
	struct cfg_origin {
		unsigned char src;              /* 0 default, 1 file, 2 command line */
		unsigned char file;             /* index into files[] */
		unsigned char invalid;          /* given, but rejected (already reported) */
		int line;
	} origin[CFG_MAX_KEYS];
	char files[CFG_MAX_FILES][CFG_PATH_MAX + 1];
	int n_files;
};

/* First error (as "file:line: message") and how many there were. */
struct cfg_err {
	char msg[CFG_ERR_MAX];
	int count;
};

/* What cfg_from_args asks the caller to do besides running. */
enum cfg_action { CFG_RUN = 0, CFG_HELP = 1, CFG_VERSION = 2, CFG_CHECK = 3 };

void cfg_defaults(struct cfg *c);

/* Defaults, then the file, then cfg_finish.  0 or a negative errno with err filled. */
int cfg_load(const char *path, struct cfg *c, struct cfg_err *err);

/* Applies a file on top of c (no cfg_finish). */
int cfg_load_file(struct cfg *c, const char *path, struct cfg_err *err);

/* Resolves and cross-checks: parses the source, reads password files and credentials,
 * resolves wake.mode AUTO and http.listen, checks required settings, collects warnings. */
int cfg_finish(struct cfg *c, struct cfg_err *err);

/* Command line: -c FILE (or --config), --name, every other option; then the file
 * (-c, or CFG_DEFAULT_DIR/NAME.conf when only --name is given and it exists), then the
 * command-line overrides, then cfg_finish.  Returns CFG_RUN (0) or a negative errno with err
 * filled (first error; err->count of them).  CFG_HELP, CFG_VERSION and CFG_CHECK are returned
 * even when the configuration has errors (it is loaded best effort): for CFG_CHECK call
 * cfg_check_args(argc, argv, stdout) to print every problem and exit with its result. */
int cfg_from_args(int argc, char **argv, struct cfg *c, struct cfg_err *err);

/* SIGHUP: the same command line (c->argc/argv) again into a fresh struct; the caller swaps
 * when it returns 0 and keeps `cur` otherwise. */
int cfg_reload(const struct cfg *cur, struct cfg *next, struct cfg_err *err);

/* --check-config: validates the file and prints "file:line: message" for every error (and
 * "warning: …" lines for warnings) to out.  Returns 0 if valid, else 1. */
int cfg_check(const char *path, FILE *out);
/* The same over a whole command line (file + overrides). */
int cfg_check_args(int argc, char **argv, FILE *out);

/* --help.  With c, shows current values (secrets as "(set)"/"(not set)"). */
void cfg_usage(FILE *out, const char *prog, const struct cfg *c);
/* The effective configuration as a libconfig file, secrets as "***". */
void cfg_dump(const struct cfg *c, FILE *out);
/* Comma-separated keys whose values differ (for "reload: changed …" logs).  Returns count. */
int cfg_changed_keys(const struct cfg *a, const struct cfg *b, char *out, size_t outlen);
/* How many keys whose path starts with prefix ("record.", or one whole key) differ. */
int cfg_changed_prefix(const struct cfg *a, const struct cfg *b, const char *prefix);

/* The key table, for tests and tools that must agree with it (the example config, the man
 * page).  cfg_key_info: 0 or -ENOENT past the end. */
struct cfg_key_info {
	const char *path;       /* "group.key" */
	const char *alias;      /* short option (--ALIAS), or NULL */
	const char *def;        /* default as command-line text, or NULL */
	int secret;
};
int cfg_key_count(void);
int cfg_key_info(int i, struct cfg_key_info *info);
/* cfg_defaults, reporting a default its own key rejects (a bug in the table). */
int cfg_defaults_check(struct cfg *c, char *msg, size_t n);

const char *cfg_format_name(int format);   /* "i420", "yuyv", "nv12" */
const char *cfg_pw_source_name(enum cfg_pw_source s);

#endif
