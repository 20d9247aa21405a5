/* MJPEG fan-out: one libmicrohttpd content-reader per viewer.  A viewer that already has the
 * newest picture is suspended; the notifier thread encodes each new frame once (when anybody
 * watches) and resumes the suspended viewers.  A viewer whose socket is slow is simply not
 * called back, and takes whatever is newest when it is: nothing queues. */
#include "http/http_internal.h"
#include "http/http_resp.h"
#include "hub/hub.h"
#include "hub/status.h"
#include "util/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

struct mjpeg_viewer {
	struct http_server *srv;
	struct MHD_Connection *conn;
	int fd;                        /* to notice a peer that left while suspended */
	int gone;
	struct jpeg_buf *buf;          /* part being sent, NULL between parts */
	char head[192];
	size_t head_len;
	size_t off;                    /* bytes of head + data + "\r\n" already given */
	uint64_t sent_seq;
	uint64_t last_send_us;
	struct http_progress prog;     /* to notice a peer that stopped reading */
	int suspended;
	struct mjpeg_viewer *prev, *next;
};

static void start_part(struct mjpeg_viewer *v, struct jpeg_buf *b, uint64_t now)
{
	char ts[32];
	int n;

	http_timestamp(b->mono_us, ts, sizeof(ts));
	n = snprintf(v->head, sizeof(v->head),
		     "--" MJPEG_BOUNDARY "\r\nContent-Type: image/jpeg\r\nContent-Length: %zu\r\n"
		     "X-Timestamp: %s\r\n\r\n", b->len, ts);
	v->head_len = n > 0 && (size_t)n < sizeof(v->head) ? (size_t)n : 0;
	v->buf = b;
	v->off = 0;
	v->sent_seq = b->seq;
	v->last_send_us = now;
}

/* 1 = a part is ready, 0 = suspended until the next frame or tick, -1 = end the stream. */
static int next_part(struct mjpeg_viewer *v)
{
	struct http_server *s = v->srv;
	struct jpeg_buf *b;
	struct frame *f;

	pthread_mutex_lock(&s->lock);
	if (s->stopping || v->gone) {
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	f = hub_latest(s->hub, jpeg_cache_current_seq(s->stream_cache));
	if (f && f->seq <= s->handled_seq) {
		/* The notifier saw this frame while nobody watched: encode it here, once. */
		pthread_mutex_unlock(&s->lock);
		if (jpeg_cache_get(s->stream_cache, f, &b) == 0)
			jpeg_buf_unref(b);
		frame_unref(f);
		pthread_mutex_lock(&s->lock);
		if (s->stopping) {
			pthread_mutex_unlock(&s->lock);
			return -1;
		}
	} else if (f) {
		frame_unref(f);   /* the notifier encodes it and wakes us */
	}
	b = jpeg_cache_current(s->stream_cache);
	uint64_t now = clock_mono_us();
	if (b && (b->seq > v->sent_seq || now - v->last_send_us >= MJPEG_RESEND_US)) {
		start_part(v, b, now);
		pthread_mutex_unlock(&s->lock);
		return 1;
	}
	jpeg_buf_unref(b);
	/* Suspend under the lock: the notifier only resumes viewers it sees suspended. */
	v->suspended = 1;
	MHD_suspend_connection(v->conn);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static ssize_t mjpeg_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct mjpeg_viewer *v = cls;
	size_t n = 0;

	(void)pos;
	if (!v->buf) {
		int r = next_part(v);
		if (r < 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (r == 0)
			return 0;
	}
	size_t total = v->head_len + v->buf->len + 2;
	while (n < max && v->off < total) {
		const uint8_t *src;
		size_t avail;
		if (v->off < v->head_len) {
			src = (const uint8_t *)v->head + v->off;
			avail = v->head_len - v->off;
		} else if (v->off < v->head_len + v->buf->len) {
			src = v->buf->data + (v->off - v->head_len);
			avail = v->buf->len - (v->off - v->head_len);
		} else {
			src = (const uint8_t *)"\r\n" + (v->off - v->head_len - v->buf->len);
			avail = total - v->off;
		}
		if (avail > max - n)
			avail = max - n;
		memcpy(out + n, src, avail);
		n += avail;
		v->off += avail;
	}
	if (v->off == total) {
		jpeg_buf_unref(v->buf);
		v->buf = NULL;
	}
	return (ssize_t)n;
}

static void mjpeg_free(void *cls)
{
	struct mjpeg_viewer *v = cls;
	struct http_server *s = v->srv;
	int n;

	pthread_mutex_lock(&s->lock);
	if (v->prev)
		v->prev->next = v->next;
	else
		s->viewers = v->next;
	if (v->next)
		v->next->prev = v->prev;
	n = --s->n_viewers;
	pthread_mutex_unlock(&s->lock);
	jpeg_buf_unref(v->buf);
	hub_viewer_remove(s->hub);
	STATUS_UPDATE(s->st, cs->http_clients = n;);
	free(v);
}

int mjpeg_open(struct http_server *s, struct MHD_Connection *conn, struct MHD_Response **out)
{
	struct mjpeg_viewer *v = calloc(1, sizeof(*v));
	struct MHD_Response *r;
	int n;

	if (!v)
		return -ENOMEM;
	v->srv = s;
	v->conn = conn;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	v->fd = ci ? ci->connect_fd : -1;
	v->prog.since_us = clock_mono_us();
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, MJPEG_BLOCK, mjpeg_read, v,
					      mjpeg_free);
	if (!r) {
		free(v);
		return -ENOMEM;
	}
	/* No chunked encoding: plain multipart until the connection closes, which is what
	 * every MJPEG client (and Home Assistant) expects. */
	MHD_set_response_options(r, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"multipart/x-mixed-replace;boundary=" MJPEG_BOUNDARY);
	MHD_add_response_header(r, MHD_HTTP_HEADER_PRAGMA, "no-cache");
	http_common_headers(r);
	pthread_mutex_lock(&s->lock);
	v->next = s->viewers;
	if (v->next)
		v->next->prev = v;
	s->viewers = v;
	n = ++s->n_viewers;
	pthread_mutex_unlock(&s->lock);
	hub_viewer_add(s->hub);
	STATUS_UPDATE(s->st, cs->http_clients = n;);
	*out = r;
	return 0;
}

/* MHD does not watch a suspended socket: peek at it so a viewer that left is let go at once
 * (and stops counting as watching).  The fd stays open while the connection is suspended. */
int http_peer_gone(int fd)
{
	char c;

	if (fd < 0)
		return 0;
	ssize_t r = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

int http_stalled(int fd, struct http_progress *p, uint64_t now, uint64_t limit)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	int outq = 0;

	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0 ||
	    l < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(ti.tcpi_bytes_acked) ||
	    ioctl(fd, SIOCOUTQ, &outq) < 0)
		return 0;
	if (outq <= 0 || ti.tcpi_bytes_acked != p->acked) {
		p->acked = ti.tcpi_bytes_acked;
		p->since_us = now;
		return 0;
	}
	return now - p->since_us >= limit;
}

void http_cut(int fd)
{
	/* MHD sees the socket fail and closes it (a suspended one once resumed); no linger, so
	 * the close resets instead of keeping the unsent data. */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	shutdown(fd, SHUT_RDWR);
}

void mjpeg_wake(struct http_server *s, int only_idle)
{
	struct mjpeg_viewer *v;
	int n = 0;
	uint64_t now = clock_mono_us();

	pthread_mutex_lock(&s->lock);
	for (v = s->viewers; v && n < s->max_conn; v = v->next) {
		if (only_idle && !v->gone && http_stalled(v->fd, &v->prog, now, s->stall_us)) {
			http_cut(v->fd);
			v->gone = 1;
			s->stalled_viewers++;
		}
		if (!v->suspended)
			continue;
		if (only_idle && !v->gone && now - v->last_send_us < MJPEG_RESEND_US &&
		    !(v->gone = http_peer_gone(v->fd)))
			continue;
		v->suspended = 0;
		s->wake[n++] = v->conn;
	}
	pthread_mutex_unlock(&s->lock);
	/* A suspended connection is neither called back nor freed until resumed, so the
	 * pointers stay valid after the unlock. */
	for (int i = 0; i < n; i++)
		MHD_resume_connection(s->wake[i]);
}
