/* GET /snapshot.jpg?source=camera: the camera's own full-resolution JPEG (msg 109), asked of
 * the source thread through the camsnap mailbox.  The wait (waking a sleeping camera, then the
 * transfer) takes seconds, so it runs on a worker thread of its own while the request is
 * suspended; one request at a time, a second one gets the decoded picture at once. */
#include "http/http_internal.h"
#include "http/http_resp.h"
#include "hub/camsnap.h"
#include "hub/status.h"
#include "util/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Waking a sleeping battery camera takes a few seconds, the transfer BCSESS_SNAP_US at most. */
#define CAMSNAP_TIMEOUT_MS 8000

struct http_camreq {
	pthread_t thread;
	int started;
	/* under s->lock: */
	int stop;
	int busy;                 /* a request owns this */
	int asked;                /* the worker has it to do */
	int done;
	int err;
	uint8_t *jpeg;
	size_t len;
	uint64_t mono_us;
	struct MHD_Connection *conn;
	pthread_cond_t cond;
};

static void *worker(void *arg)
{
	struct http_server *s = arg;
	struct http_camreq *q = s->cam_req;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!q->stop && !q->asked)
			pthread_cond_wait(&q->cond, &s->lock);
		if (q->stop)
			break;
		q->asked = 0;
		pthread_mutex_unlock(&s->lock);

		uint8_t *jpeg;
		size_t len;
		http_hold_viewer(s);   /* on-demand: the camera wakes for it */
		int err = camsnap_get(s->camsnap, CAMSNAP_TIMEOUT_MS, &jpeg, &len);

		pthread_mutex_lock(&s->lock);
		q->err = err;
		q->jpeg = jpeg;
		q->len = len;
		q->mono_us = clock_mono_us();
		q->done = 1;
		struct MHD_Connection *conn = q->conn;
		pthread_mutex_unlock(&s->lock);
		/* Still suspended, so still ours; stop joins us before MHD goes away. */
		MHD_resume_connection(conn);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int http_camsnap_start(struct http_server *s)
{
	struct http_camreq *q;

	if (!s->camsnap)
		return 0;
	if (!(q = calloc(1, sizeof(*q))))
		return -ENOMEM;
	pthread_cond_init(&q->cond, NULL);
	s->cam_req = q;
	camsnap_resume(s->camsnap);
	if (pthread_create(&q->thread, NULL, worker, s)) {
		pthread_cond_destroy(&q->cond);
		free(q);
		s->cam_req = NULL;
		return -EAGAIN;
	}
	q->started = 1;
	return 0;
}

void http_camsnap_stop(struct http_server *s)
{
	struct http_camreq *q = s->cam_req;

	if (!q)
		return;
	camsnap_cancel(s->camsnap);   /* a wait in progress ends now */
	pthread_mutex_lock(&s->lock);
	q->stop = 1;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&s->lock);
	if (q->started)
		pthread_join(q->thread, NULL);
	q->started = 0;
	/* Asked but never taken up: MHD must not stop with it suspended.  MHD_stop_daemon, next,
	 * completes the request (http_camsnap_release). */
	if (q->busy && !q->done) {
		q->done = 1;
		q->err = -ECANCELED;
		MHD_resume_connection(q->conn);
	}
}

void http_camsnap_release(struct http_server *s)
{
	struct http_camreq *q = s->cam_req;

	pthread_mutex_lock(&s->lock);
	free(q->jpeg);
	q->jpeg = NULL;
	q->busy = q->done = 0;
	q->conn = NULL;
	pthread_mutex_unlock(&s->lock);
}

void http_camsnap_free(struct http_server *s)
{
	struct http_camreq *q = s->cam_req;

	if (!q)
		return;
	http_camsnap_stop(s);
	free(q->jpeg);
	pthread_cond_destroy(&q->cond);
	free(q);
	s->cam_req = NULL;
}

int http_camsnap_wanted(struct MHD_Connection *conn)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "source");

	return v && !strcmp(v, "camera");
}

static enum MHD_Result send_jpeg(struct MHD_Connection *conn, struct http_camreq *q)
{
	struct MHD_Response *r;
	char ts[32];

	/* The buffer stays ours until the request completes (http_camsnap_release). */
	r = MHD_create_response_from_buffer(q->len, q->jpeg, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return http_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
				       "out of memory\n");
	http_timestamp(q->mono_us, ts, sizeof(ts));
	MHD_add_response_header(r, "X-Timestamp", ts);
	MHD_add_response_header(r, HTTP_SNAPSHOT_SOURCE, "camera");
	return http_queue(conn, MHD_HTTP_OK, r, "image/jpeg");
}

enum MHD_Result http_camsnap(struct http_server *s, struct MHD_Connection *conn, void **job,
			     int *fallback)
{
	struct http_camreq *q = s->cam_req;
	struct cam_status cs;

	*fallback = 0;
	if (q && *job == q) {   /* resumed by the worker */
		pthread_mutex_lock(&s->lock);
		int done = q->done, err = q->err;
		pthread_mutex_unlock(&s->lock);
		if (!done)
			return MHD_NO;
		if (!err)
			return send_jpeg(conn, q);
		http_camsnap_release(s);
		*job = NULL;
		*fallback = 1;
		return MHD_YES;
	}
	status_snapshot(s->st, &cs);
	/* A URL source has no camera JPEG to give. */
	if (!q || !strcmp(cs.source, "url")) {
		*fallback = 1;
		return MHD_YES;
	}
	pthread_mutex_lock(&s->lock);
	if (q->busy || q->stop) {
		pthread_mutex_unlock(&s->lock);
		*fallback = 1;
		return MHD_YES;
	}
	q->busy = q->asked = 1;
	q->done = 0;
	q->conn = conn;
	/* Suspended before the worker can resume it. */
	MHD_suspend_connection(conn);
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&s->lock);
	*job = q;
	return MHD_YES;
}
