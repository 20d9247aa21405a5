/* Shared by the files of bridge/http: the server object. */
#ifndef CB_HTTP_INTERNAL_H
#define CB_HTTP_INTERNAL_H

#include "http/http.h"
#include "http/http_auth.h"
#include "http/jpegcache.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

#define MJPEG_BOUNDARY        "cambridgeframe"
/* Re-send the last picture this often while the camera is idle, so browsers keep the view. */
#define MJPEG_RESEND_US       1000000u
/* How often the notifier looks at idle viewers, header deadlines and the snapshot hold. */
#define HTTP_TICK_MS          250
/* A request (headers and any body) must be complete this long after connect (or after the
 * previous response on a kept-alive connection); slower clients are cut (capped by
 * timeout_s).  No route takes a body, so one announced is refused before it is read. */
#define HTTP_REQUEST_DEADLINE_S 10
/* A snapshot counts as someone watching (wake = on-demand) for this long. */
#define HTTP_SNAPSHOT_HOLD_US 10000000u
/* Per-connection memory in MHD: bounds the request header size too. */
#define HTTP_CONN_MEMORY      (32 * 1024)
#define MJPEG_BLOCK           (128 * 1024)
/* Encoded pictures held at once beyond one per viewer. */
#define JPEG_CACHE_SPARE      4
#define PNG_COMPRESSION_LEVEL 1

struct mjpeg_viewer;
struct ts_viewer;
struct http_camreq;
struct camsnap;
struct http_conn;
struct sse_client;
struct ev;
struct ev_bus;

struct http_server {
	struct MHD_Daemon *d;
	struct hub *hub;
	struct status *st;
	int port;
	int auth;
	struct http_auth auth_key;
	char camera[64];
	char version[64];
	struct hook *hook;               /* NULL = no events.hook */
	struct mqtt *mqtt;               /* NULL = no MQTT */
	char *record_dir;                /* NULL = recordings off */
	char run_dir[1024];              /* the cameras of the machine (http_cameras.c); "" = none */
	int max_conn;
	int timeout_s;
	uint64_t stall_us;               /* viewers with no progress this long are dropped */
	int quality;
	int mjpeg_w, mjpeg_h;
	struct rec *rec;                 /* http_record.c */
	struct tsout *ts;                /* http_ts.c */
	struct ts_viewer *ts_viewers;    /* under lock */

	struct jpeg_cache *stream_cache;
	struct jpeg_cache *full_cache;   /* == stream_cache when the stream is not scaled */
	struct http_snaps *snaps;        /* http_snapshot.c: the encoder thread and its cache */
	struct camsnap *camsnap;         /* the camera's own JPEG (NULL = none) */
	struct http_camreq *cam_req;     /* http_camsnap.c: its worker and the one request */

	pthread_t notifier;
	int notifier_started;

	pthread_mutex_t lock;            /* everything below */
	int stopping;
	struct mjpeg_viewer *viewers;
	int n_viewers;
	uint64_t stalled_viewers;        /* dropped for not reading */
	uint64_t bodies_refused;         /* atomic */
	uint64_t handled_seq;            /* newest hub frame the notifier has dealt with */
	struct MHD_Connection **wake;    /* scratch, max_conn entries */
	struct http_conn *conns;
	uint64_t snap_hold_until;
	int snap_hold_active;            /* notifier's hub_viewer_add is in force */

	struct ev_bus *events;           /* NULL: /api/v1/events is off */
	pthread_t sse_thread;
	int sse_started;
	uint64_t sse_keepalive_us;
	struct sse_client *sse;          /* under lock, as the two below */
	int n_sse;
	struct MHD_Connection **sse_wake; /* scratch of the SSE thread, max_conn entries */
};

/* mjpeg.c */
int mjpeg_open(struct http_server *s, struct MHD_Connection *conn, struct MHD_Response **out);
/* Resumes suspended viewers: all of them (new frame) or only those due a re-send (tick).
 * Must be called without s->lock held. */
void mjpeg_wake(struct http_server *s, int only_idle);

/* http_server.c: a counter read under s->lock. */
int http_locked_int(struct http_server *s, const int *v);
/* 1 when the peer of a (suspended) connection has closed or reset it. */
int http_peer_gone(int fd);

/* http_events.c: GET /api/v1/events (SSE).  start: the waker thread (bus NULL = off);
 * stop: after s->stopping is set, before MHD_stop_daemon. */
enum MHD_Result http_events(struct http_server *s, struct MHD_Connection *conn);
int http_events_start(struct http_server *s, struct ev_bus *bus);
void http_events_stop(struct http_server *s);
int http_event_clients(struct http_server *s);
/* One event as SSE lines ("id:", "event:", "data: <ev_json>", blank line).  Length or
 * -ENOSPC. */
int http_sse_format(const struct ev *e, const char *camera, char *buf, size_t n);
/* The comment line saying `dropped` events fell out of the ring before next_id. */
int http_sse_dropped(uint64_t dropped, uint64_t next_id, char *buf, size_t n);

/* http_snapshot.c.  *job is NULL on a new request; a queued request gets its job there, is
 * suspended, and is called again with it once the picture is ready. */
enum MHD_Result http_snapshot(struct http_server *s, struct MHD_Connection *conn, int png,
			      void **job);
void http_snapshot_job_free(void *job);
int http_snapshots_start(struct http_server *s);
/* Fails what is still queued (resuming it) and ends the thread: before MHD_stop_daemon. */
void http_snapshots_stop(struct http_server *s);
void http_snapshots_free(struct http_server *s);
/* Encodes done and asks answered 503 so far. */
void http_snapshots_counts(struct http_server *s, uint64_t *encodes, uint64_t *busy);

/* http_record.c: POST /api/v1/record?seconds=N (stop = 0) and /api/v1/record/stop. */
enum MHD_Result http_record(struct http_server *s, struct MHD_Connection *conn, int stop);

/* http_ts.c: GET /stream.ts; waking suspended viewers (new bytes, ticks, stop). */
enum MHD_Result http_ts(struct http_server *s, struct MHD_Connection *conn);
void http_ts_wake(struct http_server *s);
/* The notifier's tick: cuts viewers that stopped reading, then wakes. */
void http_ts_tick(struct http_server *s);
void http_ts_attach(struct http_server *s);   /* start: new bytes wake the viewers */
void http_ts_detach(struct http_server *s);   /* stop, before the server goes */

/* mjpeg.c: a suspended connection's peer has gone (MHD does not watch those sockets). */
int http_peer_gone(int fd);
/* A streaming viewer's progress: the peer's acknowledged bytes, and since when. */
struct http_progress {
	uint64_t acked;
	uint64_t since_us;         /* the peer last took a byte (or had none waiting) */
};
/* mjpeg.c: 1 when data waits in fd's socket and the peer acknowledged none of it for `limit`
 * µs: it stopped reading.  A slow link still takes bytes and is left alone; unknown (no
 * TCP_INFO): never stalled. */
int http_stalled(int fd, struct http_progress *p, uint64_t now, uint64_t limit);
/* Shuts a viewer's socket down with a reset: MHD sees it fail and closes the connection on
 * its own thread.  Only while the connection cannot have been freed (its viewer is listed). */
void http_cut(int fd);

/* http_recordings.c: 1 when url is one of its routes (/recordings…, /api/v1/recordings…). */
int http_recordings_route(const char *url);
enum MHD_Result http_recordings(struct http_server *s, struct MHD_Connection *conn,
				const char *url, const char *method);

/* Snapshots say where their picture comes from: "camera" (its own JPEG, msg 109) or
 * "decoded" (the bridge's newest decoded frame). */
#define HTTP_SNAPSHOT_SOURCE  "X-Snapshot-Source"
/* A snapshot counts as someone watching for HTTP_SNAPSHOT_HOLD_US from now (wakes the camera). */
void http_hold_viewer(struct http_server *s);

/* http_camsnap.c: GET /snapshot.jpg?source=camera.  The camera's JPEG, fetched by a worker
 * thread through the source (one at a time, bounded wait); *fallback = 1 when the decoded
 * picture must be sent instead (no camera session can answer, busy, failed, timed out).
 * A request in progress has `s->cam_req` as its job (http_camsnap_release ends it). */
int http_camsnap_wanted(struct MHD_Connection *conn);
enum MHD_Result http_camsnap(struct http_server *s, struct MHD_Connection *conn, void **job,
			     int *fallback);
void http_camsnap_release(struct http_server *s);
int http_camsnap_start(struct http_server *s);
/* Before MHD_stop_daemon: ends a wait in progress and joins the worker. */
void http_camsnap_stop(struct http_server *s);
void http_camsnap_free(struct http_server *s);

/* http_server.c: 1 when a phase that began at `start` has lasted `limit` by `now` (a start
 * newer than `now` has not). */
int http_phase_expired(uint64_t now, uint64_t start, uint64_t limit);

#endif
