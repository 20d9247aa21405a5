/* GET /stream.ts: the camera's own stream as MPEG-TS (record/tsout.c muxes it once for
 * everybody; no decoding).  A viewer with nothing to read is suspended and woken when the
 * muxer has written more, or at the notifier's tick (to notice a peer that left, or the
 * server stopping).  A viewer counts as watching for wake = on-demand.  Slow viewers hold a
 * bounded backlog: the muxer drops a reader more than TSOUT_MAX_LAG_US behind, the tick cuts
 * one whose socket took nothing for the stall timeout, and the socket's send buffer is
 * capped at TS_SNDBUF. */
#include "http/http_internal.h"
#include "http/http_resp.h"
#include "hub/hub.h"
#include "record/tsout.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "util/clock.h"

#define TS_BLOCK  (64 * 1024)
/* The bytes a viewer's socket may hold on our side (the kernel doubles it): ample for a
 * LAN at camera bitrates (256 KiB at 1 ms is 256 MB/s), and it keeps what waits unseen by
 * the lag check small: at 500 kbit/s, 4 s; autotuned, megabytes. */
#define TS_SNDBUF (128 * 1024)

struct ts_viewer {
	struct http_server *srv;
	struct MHD_Connection *conn;
	struct ts_reader *rd;
	int fd;
	int suspended;
	int gone;
	struct http_progress prog;
	struct ts_viewer *prev, *next;
};

static ssize_t ts_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct ts_viewer *v = cls;
	struct http_server *s = v->srv;
	ssize_t n;

	(void)pos;
	pthread_mutex_lock(&s->lock);
	int end = s->stopping || v->gone;
	pthread_mutex_unlock(&s->lock);
	if (end)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = tsout_read(v->rd, (uint8_t *)out, max);
	if (n == -ENOBUFS) {
		pthread_mutex_lock(&s->lock);
		s->stalled_viewers++;
		pthread_mutex_unlock(&s->lock);
	}
	if (n < 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n > 0)
		return n;
	pthread_mutex_lock(&s->lock);
	v->suspended = 1;
	pthread_mutex_unlock(&s->lock);
	MHD_suspend_connection(v->conn);
	return 0;
}

static void ts_free(void *cls)
{
	struct ts_viewer *v = cls;
	struct http_server *s = v->srv;

	pthread_mutex_lock(&s->lock);
	if (v->prev)
		v->prev->next = v->next;
	else
		s->ts_viewers = v->next;
	if (v->next)
		v->next->prev = v->prev;
	pthread_mutex_unlock(&s->lock);
	tsout_reader_close(v->rd);
	hub_viewer_remove(s->hub);
	free(v);
}

enum MHD_Result http_ts(struct http_server *s, struct MHD_Connection *conn)
{
	struct ts_viewer *v;
	struct MHD_Response *r;

	if (!s->ts)
		return http_reply_text(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n");
	v = calloc(1, sizeof(*v));
	if (!v || tsout_reader_open(s->ts, &v->rd) < 0) {
		free(v);
		return http_reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
				       "out of memory\n");
	}
	v->srv = s;
	v->conn = conn;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	v->fd = ci ? ci->connect_fd : -1;
	v->prog.since_us = clock_mono_us();
	if (v->fd >= 0)
		(void)setsockopt(v->fd, SOL_SOCKET, SO_SNDBUF, &(int){ TS_SNDBUF }, sizeof(int));
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, TS_BLOCK, ts_read, v, ts_free);
	if (!r) {
		tsout_reader_close(v->rd);
		free(v);
		return MHD_NO;
	}
	/* Plain bytes until the connection closes: what ffmpeg, VLC and go2rtc expect. */
	MHD_set_response_options(r, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
	pthread_mutex_lock(&s->lock);
	v->next = s->ts_viewers;
	if (v->next)
		v->next->prev = v;
	s->ts_viewers = v;
	pthread_mutex_unlock(&s->lock);
	hub_viewer_add(s->hub);
	return http_queue(conn, MHD_HTTP_OK, r, "video/mp2t");
}

void http_ts_wake(struct http_server *s)
{
	struct MHD_Connection *wake[HTTP_MAX_CONNECTIONS_LIMIT];
	struct ts_viewer *v;
	int n = 0;

	pthread_mutex_lock(&s->lock);
	for (v = s->ts_viewers; v && n < HTTP_MAX_CONNECTIONS_LIMIT; v = v->next) {
		if (!v->suspended)
			continue;
		if (!v->gone)
			v->gone = http_peer_gone(v->fd);
		v->suspended = 0;
		wake[n++] = v->conn;
	}
	pthread_mutex_unlock(&s->lock);
	/* Suspended connections are neither called back nor freed: still valid here. */
	for (int i = 0; i < n; i++)
		MHD_resume_connection(wake[i]);
}

void http_ts_tick(struct http_server *s)
{
	uint64_t now = clock_mono_us();

	pthread_mutex_lock(&s->lock);
	for (struct ts_viewer *v = s->ts_viewers; v; v = v->next) {
		if (v->gone || !http_stalled(v->fd, &v->prog, now, s->stall_us))
			continue;
		http_cut(v->fd);   /* listed: MHD has not freed it (ts_free unlinks first) */
		v->gone = 1;
		s->stalled_viewers++;
	}
	pthread_mutex_unlock(&s->lock);
	http_ts_wake(s);
}

static void on_bytes(void *ctx)
{
	http_ts_wake(ctx);
}

void http_ts_attach(struct http_server *s)
{
	if (s->ts)
		tsout_set_notify(s->ts, on_bytes, s);
}

void http_ts_detach(struct http_server *s)
{
	if (s->ts)
		tsout_set_notify(s->ts, NULL, NULL);
}
