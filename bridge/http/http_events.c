/* GET /api/v1/events: Server-Sent Events from the event bus.  One libmicrohttpd
 * content-reader per client, each with a fixed buffer (one event at a time, taken from the
 * bus's ring only when the socket can take more), suspended while there is nothing to say.
 * A thread waits on the bus and resumes the clients that have news, a keep-alive due, or a
 * peer that left.  A client too slow for the ring is told how many events it missed. */
#include "http/http_internal.h"
#include "http/http_resp.h"
#include "event/event.h"
#include "util/clock.h"
#include "util/sbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SSE_BUF          4096          /* one event's lines with room to spare (≤ ~1.7 KB) */
#define SSE_RETRY_MS     3000
#define SSE_KEEPALIVE_US 15000000u    /* at most; half the idle timeout when that is shorter */
#define SSE_TICK_MS      250           /* keep-alives and departed peers are seen this soon */
#define SSE_BLOCK        (8 * 1024)
#define SSE_JSON_MAX     (2u << 20)    /* a ?wait=0 snapshot: the whole ring fits many times */

struct sse_client {
	struct http_server *srv;
	struct MHD_Connection *conn;
	int fd;
	int gone;
	int suspended;
	int started;                   /* the retry hint is out */
	uint64_t last_id;              /* newest event sent (or the start point) */
	uint64_t last_write_us;
	char buf[SSE_BUF];
	size_t len, off;               /* bytes in buf, bytes of them already given */
	struct sse_client *prev, *next;
};

int http_sse_format(const struct ev *e, const char *camera, char *buf, size_t n)
{
	int h, j;

	h = snprintf(buf, n, "id: %llu\nevent: %s\ndata: ", (unsigned long long)e->id,
		     ev_type_name(e->type));
	if (h < 0 || (size_t)h >= n)
		return -ENOSPC;
	/* ev_json escapes every control character: the data line has no newline in it */
	j = ev_json(e, camera, buf + h, n - (size_t)h);
	if (j < 0 || (size_t)h + (size_t)j + 2 >= n)
		return -ENOSPC;
	memcpy(buf + h + j, "\n\n", 3);
	return h + j + 2;
}

int http_sse_dropped(uint64_t dropped, uint64_t next_id, char *buf, size_t n)
{
	int w = snprintf(buf, n, ": %llu events dropped before id %llu (more than the bridge keeps)\n",
			 (unsigned long long)dropped, (unsigned long long)next_id);

	return w < 0 || (size_t)w >= n ? -ENOSPC : w;
}

/* Puts what is due into c->buf: the retry hint, then the next event (with a note of what
 * fell out of the ring before it), or a keep-alive.  1 = something to send, 0 = nothing. */
static int fill(struct sse_client *c, uint64_t now)
{
	struct http_server *s = c->srv;
	uint64_t dropped = 0;
	struct ev e;
	int w;

	c->len = c->off = 0;
	if (!c->started) {
		c->started = 1;
		c->len = (size_t)snprintf(c->buf, sizeof(c->buf), "retry: %d\n\n", SSE_RETRY_MS);
	}
	while (ev_bus_since(s->events, c->last_id, &e, 1, &dropped) == 1) {
		c->last_id = e.id;
		if (dropped && (w = http_sse_dropped(dropped, e.id, c->buf + c->len,
						     sizeof(c->buf) - c->len)) > 0)
			c->len += (size_t)w;
		if ((w = http_sse_format(&e, s->camera, c->buf + c->len, sizeof(c->buf) - c->len)) > 0) {
			c->len += (size_t)w;
			break;
		}
		/* cannot happen with SSE_BUF: skip rather than stall the stream */
	}
	if (!c->len && now - c->last_write_us >= s->sse_keepalive_us)
		c->len = (size_t)snprintf(c->buf, sizeof(c->buf), ": keep-alive\n\n");
	if (c->len)
		c->last_write_us = now;
	return c->len > 0;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct sse_client *c = cls;
	struct http_server *s = c->srv;
	size_t n = 0, k;

	(void)pos;
	for (;;) {
		if (c->off < c->len) {
			k = c->len - c->off < max - n ? c->len - c->off : max - n;
			memcpy(out + n, c->buf + c->off, k);
			c->off += k;
			n += k;
			if (n == max)
				return (ssize_t)n;
			continue;
		}
		pthread_mutex_lock(&s->lock);
		int end = s->stopping || c->gone;
		pthread_mutex_unlock(&s->lock);
		if (end)
			return n ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
		if (fill(c, clock_mono_us()))
			continue;
		if (n)
			return (ssize_t)n;
		/* Suspend under the lock, after a last look: the waker only resumes clients it
		 * sees suspended, and an event published since fill() would wait a tick. */
		pthread_mutex_lock(&s->lock);
		if (ev_bus_last_id(s->events) > c->last_id || s->stopping) {
			pthread_mutex_unlock(&s->lock);
			continue;
		}
		c->suspended = 1;
		MHD_suspend_connection(c->conn);
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
}

static void sse_free(void *cls)
{
	struct sse_client *c = cls;
	struct http_server *s = c->srv;

	pthread_mutex_lock(&s->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->sse = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_sse--;
	pthread_mutex_unlock(&s->lock);
	free(c);
}

/* "since" (or a browser's Last-Event-ID on reconnect): a decimal id; none = `dflt`.
 * 0 or -EINVAL. */
static int start_id(struct MHD_Connection *conn, uint64_t dflt, uint64_t *id)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since");
	char *end;

	if (!v)
		v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
	if (!v) {
		*id = dflt;
		return 0;
	}
	if (!*v || strlen(v) > 20 || strspn(v, "0123456789") != strlen(v))
		return -EINVAL;
	errno = 0;
	*id = strtoull(v, &end, 10);
	return errno ? -EINVAL : 0;
}

/* ?wait=0: the kept events after `since` as one JSON object, for clients that poll:
 * {"next":ID to pass as since next time,"dropped":N,"events":[…]}. */
static enum MHD_Result events_json(struct http_server *s, struct MHD_Connection *conn,
				   uint64_t since)
{
	struct ev ev[16];
	struct sbuf b;
	char one[SSE_BUF];
	uint64_t dropped = 0;
	size_t n;
	int first = 1, w;

	sbuf_init(&b, SSE_JSON_MAX);
	n = ev_bus_since(s->events, since, ev, 16, &dropped);
	sbuf_printf(&b, "{\"dropped\":%llu,\"events\":[", (unsigned long long)dropped);
	while (n) {
		for (size_t i = 0; i < n; i++) {
			since = ev[i].id;
			if ((w = ev_json(&ev[i], s->camera, one, sizeof(one))) < 0)
				continue;
			if (!first)
				sbuf_add(&b, ",", 1);
			sbuf_add(&b, one, (size_t)w);
			first = 0;
		}
		/* events published meanwhile are included: ids only grow */
		n = ev_bus_since(s->events, since, ev, 16, NULL);
	}
	sbuf_printf(&b, "],\"next\":%llu}\n", (unsigned long long)since);
	return http_reply_sbuf(conn, MHD_HTTP_OK, "application/json", &b);
}

enum MHD_Result http_events(struct http_server *s, struct MHD_Connection *conn)
{
	const char *wait = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "wait");
	struct sse_client *c;
	struct MHD_Response *r;
	uint64_t since;

	if (!s->events)
		return http_reply_text(conn, MHD_HTTP_NOT_FOUND, "text/plain", "events are off\n");
	/* the stream starts with the next event, a snapshot with the oldest kept */
	if (start_id(conn, wait ? 0 : ev_bus_last_id(s->events), &since) < 0)
		return http_reply_text(conn, MHD_HTTP_BAD_REQUEST, "text/plain",
				       "since: expected an event id (a decimal number)\n");
	if (wait && strcmp(wait, "0"))
		return http_reply_text(conn, MHD_HTTP_BAD_REQUEST, "text/plain",
				       "wait: only 0 (answer at once with a JSON snapshot)\n");
	if (wait)
		return events_json(s, conn, since);
	if (!(c = calloc(1, sizeof(*c))))
		return http_reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", "out of memory\n");
	c->srv = s;
	c->conn = conn;
	c->last_id = since;
	c->last_write_us = clock_mono_us();
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	c->fd = ci ? ci->connect_fd : -1;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, sse_read, c, sse_free);
	if (!r) {
		free(c);
		return http_reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", "out of memory\n");
	}
	/* like MJPEG: the raw stream until the connection closes, no chunk framing */
	MHD_set_response_options(r, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	pthread_mutex_lock(&s->lock);
	c->next = s->sse;
	if (c->next)
		c->next->prev = c;
	s->sse = c;
	s->n_sse++;
	pthread_mutex_unlock(&s->lock);
	return http_queue(conn, MHD_HTTP_OK, r, "text/event-stream");
}

/* Resumes the suspended clients with news, a keep-alive due or a departed peer (all of them
 * when stopping).  Without s->lock held. */
static void sse_wake(struct http_server *s, uint64_t last_id)
{
	uint64_t now = clock_mono_us();
	struct sse_client *c;
	int n = 0;

	pthread_mutex_lock(&s->lock);
	for (c = s->sse; c && n < s->max_conn; c = c->next) {
		if (!c->suspended)
			continue;
		if (!s->stopping && c->last_id >= last_id &&
		    now - c->last_write_us < s->sse_keepalive_us && !(c->gone = http_peer_gone(c->fd)))
			continue;
		c->suspended = 0;
		s->sse_wake[n++] = c->conn;
	}
	pthread_mutex_unlock(&s->lock);
	/* suspended connections are neither called back nor freed until resumed */
	for (int i = 0; i < n; i++)
		MHD_resume_connection(s->sse_wake[i]);
}

static void *sse_main(void *arg)
{
	struct http_server *s = arg;
	uint64_t seen = ev_bus_last_id(s->events);

	for (;;) {
		pthread_mutex_lock(&s->lock);
		int stop = s->stopping;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
		(void)ev_bus_wait(s->events, seen, SSE_TICK_MS);
		seen = ev_bus_last_id(s->events);
		sse_wake(s, seen);
	}
	return NULL;
}

int http_events_start(struct http_server *s, struct ev_bus *bus)
{
	int r;

	s->events = bus;
	if (!bus)
		return 0;
	/* well inside the idle timeout, or MHD would close a quiet stream */
	s->sse_keepalive_us = (uint64_t)s->timeout_s * 1000000u / 2;
	if (s->sse_keepalive_us > SSE_KEEPALIVE_US)
		s->sse_keepalive_us = SSE_KEEPALIVE_US;
	if (!(s->sse_wake = calloc((size_t)s->max_conn, sizeof(*s->sse_wake))))
		return -ENOMEM;
	if ((r = pthread_create(&s->sse_thread, NULL, sse_main, s)) != 0)
		return -r;
	s->sse_started = 1;
	return 0;
}

void http_events_stop(struct http_server *s)
{
	if (s->sse_started) {
		pthread_join(s->sse_thread, NULL);
		s->sse_started = 0;
	}
	if (s->sse_wake)
		sse_wake(s, UINT64_MAX);   /* s->stopping is set: every client ends */
}

int http_event_clients(struct http_server *s)
{
	return http_locked_int(s, &s->n_sse);
}
