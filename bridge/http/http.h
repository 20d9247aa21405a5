/* The HTTP sidecar: MJPEG stream, snapshots, status JSON, Prometheus metrics, health check and
 * a small live-view page, served by libmicrohttpd from its own threads.  It only reads the
 * frame hub and the status; it never blocks the video thread. */
#ifndef CB_HTTP_HTTP_H
#define CB_HTTP_HTTP_H

#include <stdint.h>
#include <sys/socket.h>

struct hub;
struct status;
struct http_server;

#define HTTP_DEFAULT_LISTEN          "127.0.0.1:8080"
#define HTTP_DEFAULT_MAX_CONNECTIONS 64
#define HTTP_MAX_CONNECTIONS_LIMIT   1024
#define HTTP_DEFAULT_TIMEOUT_S       30
#define HTTP_DEFAULT_JPEG_QUALITY    80
/* One client address may hold this share of the connections (1/N): a single abusive host
 * cannot take every slot, and one reverse proxy still gets half.  At least 1. */
#define HTTP_PER_IP_DIVISOR          2
/* An MJPEG viewer whose socket took no byte for this long (unacknowledged data waiting) is
 * dropped: a client that stops reading cannot keep a slot.  Capped by timeout_s. */
#define HTTP_STALL_TIMEOUT_S         10
/* Largest picture a snapshot may be scaled to (either side), and the MJPEG scale bound. */
#define HTTP_MAX_SCALE_DIM           4096
#define HTTP_MIN_SCALE_DIM           8
/* A snapshot's output is at most this many pixels (4096x2304), bounding one encode's cost. */
#define HTTP_SNAPSHOT_MAX_PIXELS     (4096 * 2304)
/* Snapshots waiting for (or in) the one encoder thread; more are answered 503 + Retry-After. */
#define HTTP_SNAPSHOT_QUEUE          4
/* Bytes of encoded snapshots alive at once (cached, or held by slow readers); past it new asks
 * are answered 503.  The cache keeps at most half. */
#define HTTP_SNAPSHOT_MEMORY         (64u << 20)

struct ev_bus;
struct rec;
struct tsout;
struct hook;
struct mqtt;
struct camsnap;

struct http_opts {
	const char *listen;        /* "ADDR:PORT" or "[V6]:PORT"; NULL = HTTP_DEFAULT_LISTEN; port 0 = any */
	const char *user;          /* basic auth; NULL or "" = no auth.  Never logged. */
	const char *password;      /* required (non-empty) with a user */
	int max_connections;       /* 0 = HTTP_DEFAULT_MAX_CONNECTIONS */
	int jpeg_quality;          /* 1..100; 0 = HTTP_DEFAULT_JPEG_QUALITY */
	int mjpeg_width;           /* MJPEG output size; 0 = frame size (one may be 0: aspect kept) */
	int mjpeg_height;
	int timeout_s;             /* idle timeout (and request deadline); 0 = HTTP_DEFAULT_TIMEOUT_S */
	int max_per_ip;            /* 0 = max_connections / HTTP_PER_IP_DIVISOR (at least 1) */
	int stall_timeout_s;       /* 0 = min(timeout_s, HTTP_STALL_TIMEOUT_S) */
	const char *camera_name;   /* for /api/v1/cameras/NAME and the metrics label */
	const char *version;       /* cam_bridge_build_info{version=…}; NULL = "unknown" */
	struct ev_bus *events;     /* /api/v1/events and the event counters (NULL = none) */
	struct rec *rec;           /* POST /api/v1/record[/stop] (NULL = recording off) */
	struct tsout *ts;          /* GET /stream.ts (NULL = off) */
	struct hook *hook;         /* events.hook counters on /metrics (NULL = no hook) */
	struct mqtt *mqtt;         /* MQTT state and counters on /metrics (NULL = no MQTT) */
	const char *record_dir;    /* /recordings: record.dir (clips in record_dir/camera_name);
	                              NULL or "" = recordings off */
	const char *run_dir;       /* where every bridge describes itself (util/rundir.h): `/` and
				    * /api/v1/cameras list them, /api/v1/cameras/OTHER… redirects
				    * there; NULL = this camera only */
	struct camsnap *camsnap;   /* /snapshot.jpg?source=camera (hub/camsnap.h); NULL = none */
};

/* Starts the daemon and its notifier thread.  `hub` and `st` must outlive the server.
 * Errors: -EINVAL (bad listen address or option), -EADDRINUSE, -ENOMEM, … */
int http_server_start(const struct http_opts *opts, struct hub *hub, struct status *st,
		      struct http_server **out);
/* Closes every connection and frees the server (NULL is fine). */
void http_server_stop(struct http_server *srv);
/* The port actually bound (useful with port 0). */
int http_server_port(const struct http_server *srv);
/* JPEG encodes done for the MJPEG stream (tests: one per frame whatever the viewer count). */
uint64_t http_server_stream_encodes(const struct http_server *srv);
/* Snapshot encodes done (tests: a cached picture costs none). */
uint64_t http_server_snapshot_encodes(struct http_server *srv);
/* Open MJPEG viewers. */
int http_server_stream_viewers(struct http_server *srv);

/* Parses "ADDR:PORT" / "[V6]:PORT" (numeric address or "localhost") into *sa. */
int http_parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *len);

#endif
