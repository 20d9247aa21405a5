/* The libmicrohttpd daemon: options, routing, basic auth, header deadlines, and the notifier
 * thread that turns hub frames into MJPEG wake-ups. */
#include "http/http_internal.h"
#include "http/http_auth.h"
#include "http/http_cameras.h"
#include "http/http_resp.h"
#include "http/http_text.h"
#include "event/event.h"
#include "hub/hub.h"
#include "hub/status.h"
#include "util/clock.h"
#include "util/sbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define HTTP_REALM            "cam-bridge"
#define HTTP_LISTEN_MAX       128
/* /healthz is 200 while camera pictures arrived this recently. */
#define HTTP_HEALTHZ_MAX_AGE_US 10000000u
#define HTTP_TEXT_MAX         (256 * 1024)

/* A connection followed for the header deadline. */
struct http_conn {
	int fd;
	int in_request;
	int cut;
	uint64_t phase_start_us;
	struct http_conn *prev, *next;
};

static int request_marker;

int http_parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *len)
{
	char host[HTTP_LISTEN_MAX];
	const char *port_s;
	size_t hl;

	if (!s || strlen(s) >= HTTP_LISTEN_MAX)
		return -EINVAL;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || e[1] != ':')
			return -EINVAL;
		hl = (size_t)(e - s - 1);
		memcpy(host, s + 1, hl);
		port_s = e + 2;
	} else {
		const char *c = strrchr(s, ':');
		if (!c || memchr(s, ':', (size_t)(c - s)))
			return -EINVAL;    /* bare IPv6 needs brackets */
		hl = (size_t)(c - s);
		memcpy(host, s, hl);
		port_s = c + 1;
	}
	host[hl] = 0;
	if (!*port_s || strlen(port_s) > 5)
		return -EINVAL;
	unsigned port = 0;
	for (const char *p = port_s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		port = port * 10 + (unsigned)(*p - '0');
	}
	if (port > 65535)
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	struct sockaddr_in *a4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;
	if (s[0] != '[' && inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return 0;
	}
	return -EINVAL;
}

static int authorized(struct http_server *s, struct MHD_Connection *conn)
{
	return http_auth_check(&s->auth_key, MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION));
}

static void fill_ctx(struct http_server *s, struct http_text_ctx *c, struct cam_status *cs)
{
	struct frame *f;

	status_snapshot(s->st, cs);
	memset(c, 0, sizeof(*c));
	c->cs = cs;
	c->camera = s->camera;
	c->version = s->version;
	c->now_us = clock_mono_us();
	if ((f = hub_latest(s->hub, 0))) {
		c->last_hub_frame_us = f->mono_us;
		frame_unref(f);
	}
	pthread_mutex_lock(&s->lock);
	c->http_viewers = s->n_viewers;
	c->viewers_stalled = s->stalled_viewers;
	c->event_clients = s->n_sse;
	pthread_mutex_unlock(&s->lock);
	c->have_events = s->events != NULL;
	for (int t = 0; c->have_events && t < EV_NTYPES; t++)
		c->events[t] = ev_bus_count(s->events, (enum ev_type)t);
	c->hub_viewers = hub_viewers(s->hub);
	c->stream_encodes = jpeg_cache_encodes(s->stream_cache);
	http_snapshots_counts(s, &c->snapshot_encodes, &c->snapshots_busy);
	c->bodies_refused = __atomic_load_n(&s->bodies_refused, __ATOMIC_RELAXED);
	if (s->hook) {
		hook_get_stats(s->hook, &c->hook);
		c->has_hook = 1;
	}
	if (s->mqtt) {
		mqtt_get_stats(s->mqtt, &c->mqtt);
		c->has_mqtt = 1;
	}
}

static enum MHD_Result serve_text(struct http_server *s, struct MHD_Connection *conn, int metrics)
{
	struct cam_status cs;
	struct http_text_ctx c;
	struct sbuf b;

	fill_ctx(s, &c, &cs);
	sbuf_init(&b, HTTP_TEXT_MAX);
	if (metrics) {
		http_metrics_text(&b, &c);
		return http_reply_sbuf(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &b);
	}
	http_status_json(&b, &c);
	return http_reply_sbuf(conn, MHD_HTTP_OK, "application/json", &b);
}

static enum MHD_Result serve_healthz(struct http_server *s, struct MHD_Connection *conn)
{
	struct cam_status cs;
	struct http_text_ctx c;
	char msg[96];

	fill_ctx(s, &c, &cs);
	/* Camera frames count, not the placeholder card; the hub's newest frame stands in only
	 * where no camera frame is recorded in the status (a bare hub). */
	uint64_t last = cs.last_frame_mono_us ? cs.last_frame_mono_us : c.last_hub_frame_us;
	if (last && c.now_us - last <= HTTP_HEALTHZ_MAX_AGE_US) {
		snprintf(msg, sizeof(msg), "ok %s\n", cam_state_name(cs.state));
		return http_reply_text(conn, MHD_HTTP_OK, "text/plain", msg);
	}
	if (last)
		snprintf(msg, sizeof(msg), "no frame for %.1f s\n", (double)(c.now_us - last) / 1e6);
	else
		snprintf(msg, sizeof(msg), "no frame yet\n");
	return http_reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", msg);
}

static enum MHD_Result serve_stream(struct http_server *s, struct MHD_Connection *conn)
{
	struct MHD_Response *r;

	if (mjpeg_open(s, conn, &r) < 0)
		return http_reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
				       "out of memory\n");
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* camera_proxy's routes: /api/v1/cameras/NAME and /api/v1/cameras/NAME/stream. */
static int camera_route(struct http_server *s, const char *url, int *stream)
{
	static const char pfx[] = "/api/v1/cameras/";
	size_t nl = strlen(s->camera);

	if (strncmp(url, pfx, sizeof(pfx) - 1) || !nl)
		return 0;
	url += sizeof(pfx) - 1;
	if (strncmp(url, s->camera, nl))
		return 0;
	url += nl;
	if (!*url) {
		*stream = 0;
		return 1;
	}
	if (!strcmp(url, "/stream")) {
		*stream = 1;
		return 1;
	}
	return 0;
}

static struct http_conn *conn_track(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* The request is complete (headers, no body): its deadline no longer applies. */
static void request_started(struct http_server *s, struct MHD_Connection *conn)
{
	struct http_conn *t = conn_track(conn);

	if (t) {
		pthread_mutex_lock(&s->lock);
		t->in_request = 1;
		pthread_mutex_unlock(&s->lock);
	}
}

static int has_body(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_TRANSFER_ENCODING);

	return te || (cl && strspn(cl, "0") != strlen(cl));
}

static enum MHD_Result refuse_body(struct MHD_Connection *conn)
{
	return http_reply_static(conn, MHD_HTTP_CONTENT_TOO_LARGE,
				 "request bodies are not accepted\n", MHD_HTTP_HEADER_CONNECTION, "close");
}

/* A snapshot may be suspended while the encoder works: its job then lives in req_cls. */
static enum MHD_Result snapshot(struct http_server *s, struct MHD_Connection *conn, int png,
				void **req_cls)
{
	void *job = *req_cls == &request_marker ? NULL : *req_cls;
	enum MHD_Result r;

	/* ?source=camera: the camera's JPEG, or the decoded picture when it cannot be had. */
	if (!png && ((job && job == s->cam_req) || (!job && http_camsnap_wanted(conn)))) {
		int fallback;
		r = http_camsnap(s, conn, &job, &fallback);
		*req_cls = job ? job : &request_marker;
		if (!fallback)
			return r;
	}
	r = http_snapshot(s, conn, png, &job);
	if (job)
		*req_cls = job;
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **req_cls)
{
	struct http_server *s = cls;
	int stream = 0;

	(void)version;
	(void)upload_data;
	if (!*req_cls) {
		/* No route takes a body: refuse one before reading it, so a client cannot hold
		 * the slot by trickling a body in (auth or not). */
		if (has_body(conn)) {
			__atomic_add_fetch(&s->bodies_refused, 1, __ATOMIC_RELAXED);
			return refuse_body(conn);
		}
		*req_cls = &request_marker;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;     /* not announced, yet sent: drop it */
		return MHD_YES;
	}
	request_started(s, conn);
	int post = !strcmp(url, "/api/v1/record") || !strcmp(url, "/api/v1/record/stop");
	int recordings = !post && http_recordings_route(url);
	if (post ? strcmp(method, MHD_HTTP_METHOD_POST) :
	    strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD) &&
	    !(recordings && !strcmp(method, MHD_HTTP_METHOD_DELETE))) {
		struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL,
									 MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, post ? "POST" : "GET, HEAD");
		enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (s->auth && !authorized(s, conn)) {
		static const char msg[] = "authentication required\n";
		struct MHD_Response *r = MHD_create_response_from_buffer(
			sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
		enum MHD_Result ret = MHD_queue_basic_auth_fail_response(conn, HTTP_REALM, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (post)
		return http_record(s, conn, !strcmp(url, "/api/v1/record/stop"));
	if (!strcmp(url, "/"))
		return http_cameras_index(s, conn);
	if (!strcmp(url, "/stream"))
		return serve_stream(s, conn);
	if (!strcmp(url, "/stream.ts"))
		return http_ts(s, conn);
	if (!strcmp(url, "/snapshot.jpg"))
		return snapshot(s, conn, 0, req_cls);
	if (!strcmp(url, "/snapshot.png"))
		return snapshot(s, conn, 1, req_cls);
	if (!strcmp(url, "/api/v1/status"))
		return serve_text(s, conn, 0);
	if (!strcmp(url, "/metrics"))
		return serve_text(s, conn, 1);
	if (!strcmp(url, "/healthz"))
		return serve_healthz(s, conn);
	if (!strcmp(url, "/api/v1/events"))
		return http_events(s, conn);
	if (recordings)
		return http_recordings(s, conn, url, method);
	if (camera_route(s, url, &stream))
		return stream ? serve_stream(s, conn) : snapshot(s, conn, 0, req_cls);
	if (!strcmp(url, "/api/v1/cameras"))
		return http_cameras_json(s, conn);
	if (http_cameras_is_other(s, url))
		return http_cameras_redirect(s, conn, url);
	return http_reply_text(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n");
}

/* MHD's own %-decoding, except that a decoded NUL becomes DEL (0x7f), which no route or
 * file name holds: "/x.mp4%00.txt" must not be cut into "/x.mp4" by C string handling. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	size_t n = MHD_http_unescape(s);

	(void)cls;
	(void)conn;
	for (size_t i = 0; i < n; i++)
		if (!s[i])
			s[i] = 0x7f;
	return n;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_conn *t = conn_track(conn);

	(void)toe;
	if (*req_cls && *req_cls == s->cam_req)
		http_camsnap_release(s);
	else if (*req_cls && *req_cls != &request_marker)
		http_snapshot_job_free(*req_cls);
	*req_cls = NULL;
	if (!t)
		return;
	pthread_mutex_lock(&s->lock);
	t->in_request = 0;
	t->phase_start_us = clock_mono_us();
	pthread_mutex_unlock(&s->lock);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	struct http_conn *t;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!ci || !(t = calloc(1, sizeof(*t))))
			return;    /* not followed: only the idle timeout applies */
		t->fd = ci->connect_fd;
		t->phase_start_us = clock_mono_us();
		pthread_mutex_lock(&s->lock);
		t->next = s->conns;
		if (t->next)
			t->next->prev = t;
		s->conns = t;
		pthread_mutex_unlock(&s->lock);
		*socket_ctx = t;
		return;
	}
	if (!(t = *socket_ctx))
		return;
	/* MHD closes the socket only after this notification: the fd is still ours to
	 * shut down until it is unlinked here. */
	pthread_mutex_lock(&s->lock);
	if (t->prev)
		t->prev->next = t->next;
	else
		s->conns = t->next;
	if (t->next)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&s->lock);
	free(t);
	*socket_ctx = NULL;
}

int http_phase_expired(uint64_t now, uint64_t start, uint64_t limit)
{
	/* `start` may be newer than a `now` read a moment earlier on another thread. */
	return now > start && now - start >= limit;
}

/* Connections whose request (headers, and a body if one slipped through) is not complete by
 * the deadline are shut down; MHD then sees the socket fail and closes it on its own thread. */
static void cut_slow_requests(struct http_server *s)
{
	int deadline_s = s->timeout_s < HTTP_REQUEST_DEADLINE_S ? s->timeout_s
								: HTTP_REQUEST_DEADLINE_S;
	uint64_t limit = (uint64_t)deadline_s * 1000000u;

	pthread_mutex_lock(&s->lock);
	uint64_t now = clock_mono_us();
	for (struct http_conn *t = s->conns; t; t = t->next) {
		if (t->in_request || t->cut || !http_phase_expired(now, t->phase_start_us, limit))
			continue;
		shutdown(t->fd, SHUT_RDWR);
		t->cut = 1;
	}
	pthread_mutex_unlock(&s->lock);
}

static void snapshot_hold(struct http_server *s, uint64_t now)
{
	int add = 0, del = 0;

	pthread_mutex_lock(&s->lock);
	int want = s->snap_hold_until > now;
	if (want != s->snap_hold_active) {
		s->snap_hold_active = want;
		add = want;
		del = !want;
	}
	pthread_mutex_unlock(&s->lock);
	if (add)
		hub_viewer_add(s->hub);
	if (del)
		hub_viewer_remove(s->hub);
}

static void *notifier_main(void *arg)
{
	struct http_server *s = arg;
	uint64_t seen = 0, next_tick = clock_mono_us() + HTTP_TICK_MS * 1000u;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		int stop = s->stopping;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
		uint64_t now = clock_mono_us();
		int wait_ms = next_tick > now ? (int)((next_tick - now) / 1000u) : 0;
		struct frame *f = hub_wait(s->hub, seen, wait_ms);
		if (f) {
			seen = f->seq;
			pthread_mutex_lock(&s->lock);
			int watching = s->n_viewers > 0;
			pthread_mutex_unlock(&s->lock);
			if (watching) {
				struct jpeg_buf *b;
				/* Encoded here, once, off the HTTP thread. */
				if (jpeg_cache_get(s->stream_cache, f, &b) == 0)
					jpeg_buf_unref(b);
			}
			frame_unref(f);
			pthread_mutex_lock(&s->lock);
			s->handled_seq = seen;
			pthread_mutex_unlock(&s->lock);
			mjpeg_wake(s, 0);
		}
		now = clock_mono_us();
		if (now >= next_tick) {
			next_tick = now + HTTP_TICK_MS * 1000u;
			if (seen)
				mjpeg_wake(s, 1);
			cut_slow_requests(s);
			snapshot_hold(s, now);
			http_ts_tick(s);
		}
	}
	return NULL;
}

static void server_free(struct http_server *s)
{
	if (s->full_cache != s->stream_cache)
		jpeg_cache_free(s->full_cache);
	jpeg_cache_free(s->stream_cache);
	http_snapshots_free(s);
	http_camsnap_free(s);
	while (s->conns) {
		struct http_conn *t = s->conns;
		s->conns = t->next;
		free(t);
	}
	free(s->wake);
	free(s->sse_wake);
	free(s->record_dir);
	explicit_bzero(&s->auth_key, sizeof(s->auth_key));
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int http_server_start(const struct http_opts *o, struct hub *hub, struct status *st,
		      struct http_server **out)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	struct http_server *s;
	int r;

	*out = NULL;
	if (!o || !hub || !st)
		return -EINVAL;
	if ((r = http_parse_listen(o->listen ? o->listen : HTTP_DEFAULT_LISTEN, &sa, &salen)) < 0)
		return r;
	if (o->max_connections < 0 || o->max_connections > HTTP_MAX_CONNECTIONS_LIMIT ||
	    o->jpeg_quality < 0 || o->jpeg_quality > 100 || o->timeout_s < 0 ||
	    o->max_per_ip < 0 || o->max_per_ip > HTTP_MAX_CONNECTIONS_LIMIT || o->stall_timeout_s < 0 ||
	    o->mjpeg_width < 0 || o->mjpeg_width > HTTP_MAX_SCALE_DIM ||
	    o->mjpeg_height < 0 || o->mjpeg_height > HTTP_MAX_SCALE_DIM ||
	    (o->user && *o->user && (!o->password || !*o->password || strchr(o->user, ':'))))
		return -EINVAL;
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->hub = hub;
	s->rec = o->rec;
	s->ts = o->ts;
	s->st = st;
	s->max_conn = o->max_connections ? o->max_connections : HTTP_DEFAULT_MAX_CONNECTIONS;
	s->timeout_s = o->timeout_s ? o->timeout_s : HTTP_DEFAULT_TIMEOUT_S;
	int stall_s = o->stall_timeout_s ? o->stall_timeout_s
		      : s->timeout_s < HTTP_STALL_TIMEOUT_S ? s->timeout_s : HTTP_STALL_TIMEOUT_S;
	s->stall_us = (uint64_t)stall_s * 1000000u;
	int per_ip = o->max_per_ip ? o->max_per_ip : s->max_conn / HTTP_PER_IP_DIVISOR;
	if (per_ip < 1)
		per_ip = 1;
	s->quality = o->jpeg_quality ? o->jpeg_quality : HTTP_DEFAULT_JPEG_QUALITY;
	s->mjpeg_w = o->mjpeg_width;
	s->mjpeg_h = o->mjpeg_height;
	snprintf(s->camera, sizeof(s->camera), "%s", o->camera_name ? o->camera_name : "");
	s->hook = o->hook;
	s->mqtt = o->mqtt;
	snprintf(s->version, sizeof(s->version), "%s", o->version ? o->version : "unknown");
	r = -ENOMEM;
	if (o->record_dir && *o->record_dir && !(s->record_dir = strdup(o->record_dir)))
		goto fail;
	if (o->run_dir && strlen(o->run_dir) >= sizeof(s->run_dir)) {
		r = -ENAMETOOLONG;
		goto fail;
	}
	snprintf(s->run_dir, sizeof(s->run_dir), "%s", o->run_dir ? o->run_dir : "");
	if (o->user && *o->user) {
		s->auth = 1;
		if ((r = http_auth_init(&s->auth_key, o->user, o->password)) < 0)
			goto fail;
	}
	r = -ENOMEM;
	if (!(s->wake = calloc((size_t)s->max_conn, sizeof(*s->wake))))
		goto fail;
	s->stream_cache = jpeg_cache_new(s->mjpeg_w, s->mjpeg_h, s->quality,
					 (unsigned)s->max_conn + JPEG_CACHE_SPARE);
	if (!s->stream_cache)
		goto fail;
	if (s->mjpeg_w || s->mjpeg_h)
		s->full_cache = jpeg_cache_new(0, 0, s->quality, JPEG_CACHE_SPARE + 4);
	else
		s->full_cache = s->stream_cache;
	s->camsnap = o->camsnap;
	if (!s->full_cache || (r = http_snapshots_start(s)) < 0 || (r = http_camsnap_start(s)) < 0)
		goto fail;

	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_TURBO;
	if (sa.ss_family == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&sa;
		/* "[::]" is the user's explicit choice of every address: v4 too. */
		flags |= IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr) ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	}
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->max_conn,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)per_ip,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->timeout_s,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
				MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_UNESCAPE_CALLBACK, unescape, s,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				MHD_OPTION_END);
	if (!s->d) {
		r = errno == EADDRINUSE || errno == EACCES || errno == EADDRNOTAVAIL ? -errno
										    : -EIO;
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
	if ((r = -pthread_create(&s->notifier, NULL, notifier_main, s)) < 0) {
		MHD_stop_daemon(s->d);
		goto fail;
	}
	s->notifier_started = 1;
	http_ts_attach(s);
	if ((r = http_events_start(s, o->events)) < 0) {
		http_server_stop(s);
		return r;
	}
	*out = s;
	return 0;
fail:
	server_free(s);
	return r;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_mutex_unlock(&s->lock);
	if (s->notifier_started)
		pthread_join(s->notifier, NULL);
	/* MHD must not be stopped with suspended connections; resumed viewers see
	 * `stopping` and end their stream. */
	mjpeg_wake(s, 0);
	http_ts_detach(s);
	http_ts_wake(s);
	http_events_stop(s);
	http_snapshots_stop(s);
	http_camsnap_stop(s);
	MHD_stop_daemon(s->d);
	if (s->snap_hold_active)
		hub_viewer_remove(s->hub);
	server_free(s);
}

int http_server_port(const struct http_server *s)
{
	return s ? s->port : -EINVAL;
}

uint64_t http_server_stream_encodes(const struct http_server *s)
{
	return jpeg_cache_encodes(s->stream_cache);
}

uint64_t http_server_snapshot_encodes(struct http_server *s)
{
	uint64_t enc, busy;

	http_snapshots_counts(s, &enc, &busy);
	return enc;
}

int http_locked_int(struct http_server *s, const int *v)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = *v;
	pthread_mutex_unlock(&s->lock);
	return n;
}

int http_server_stream_viewers(struct http_server *s)
{
	return http_locked_int(s, &s->n_viewers);
}
