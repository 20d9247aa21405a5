/* GET /snapshot.jpg, /snapshot.png and /api/v1/cameras/NAME: the newest picture, optionally
 * scaled (?width=&height=, bounded by HTTP_SNAPSHOT_MAX_PIXELS).
 *
 * Encoding is done by one worker thread, never by the thread that serves every connection:
 * the request is suspended, queued (at most HTTP_SNAPSHOT_QUEUE; beyond that 503 + Retry-After)
 * and resumed with its picture.  Pictures are cached by (frame seq, size, format), so a client
 * asking again for the same frame costs no encode; an unscaled JPEG the stream already encoded
 * is sent from the stream's cache without waiting. */
#include "http/http_internal.h"
#include "http/http_resp.h"
#include "hub/hub.h"
#include "util/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>

/* Pictures kept for repeated asks (different sizes/formats of the same few frames). */
#define SNAP_CACHE     6
/* The worker yields to the video thread: snapshots are the first thing to slow down. */
#define SNAP_NICE      10

/* An encoded snapshot, shared by the cache and the responses sending it. */
struct snap_pic {
	struct http_snaps *q;      /* counts its bytes in q->live_bytes */
	uint64_t seq, mono_us;
	int w, h, png;
	uint8_t *data;
	size_t len;
	int refs;                  /* atomic */
};

struct snap_job {
	struct http_server *srv;
	struct MHD_Connection *conn;
	struct frame *f;
	int w, h, png;
	int done;
	struct snap_pic *pic;      /* NULL = failed */
	struct snap_job *next;
};

struct http_snaps {
	pthread_t thread;
	int started;
	pthread_mutex_t lock;      /* everything below */
	pthread_cond_t cond;
	int stop;
	struct snap_job *head, *tail;
	int queued;                /* waiting or being encoded */
	struct snap_pic *cache[SNAP_CACHE];   /* oldest first */
	size_t cache_bytes;
	size_t live_bytes;         /* atomic: every picture alive, cached or being sent */
	uint64_t encodes;
	uint64_t busy;
	struct jpeg_enc enc;       /* the worker's only */
};

/* "" / absent = 0; a decimal 1..HTTP_MAX_SCALE_DIM (no sign, no junk) or -EINVAL. */
static int parse_dim(const char *v)
{
	int n = 0;

	if (!v)
		return 0;
	if (!*v || strlen(v) > 5)
		return -EINVAL;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		n = n * 10 + (*p - '0');
	}
	return n >= 1 && n <= HTTP_MAX_SCALE_DIM ? n : -EINVAL;
}

static int encode_png(const struct frame *f, int w, int h, uint8_t **out, size_t *len)
{
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
	AVCodecContext *cc = NULL;
	AVFrame *rgb = NULL;
	AVPacket *pkt = NULL;
	struct SwsContext *sws = NULL;
	int r = -ENOMEM;

	if (!codec)
		return -ENOSYS;
	if (!(cc = avcodec_alloc_context3(codec)) || !(rgb = av_frame_alloc()) ||
	    !(pkt = av_packet_alloc()))
		goto out;
	cc->width = w;
	cc->height = h;
	cc->pix_fmt = AV_PIX_FMT_RGB24;
	cc->time_base = (AVRational){ 1, 25 };
	cc->compression_level = PNG_COMPRESSION_LEVEL;
	if (avcodec_open2(cc, codec, NULL) < 0) {
		r = -EIO;
		goto out;
	}
	rgb->format = AV_PIX_FMT_RGB24;
	rgb->width = w;
	rgb->height = h;
	if (av_frame_get_buffer(rgb, 0) < 0)
		goto out;
	sws = sws_getContext(f->width, f->height, AV_PIX_FMT_YUV420P, w, h, AV_PIX_FMT_RGB24,
			     SWS_BILINEAR, NULL, NULL, NULL);
	if (!sws)
		goto out;
	const int *coef = sws_getCoefficients(SWS_CS_ITU601);
	sws_setColorspaceDetails(sws, coef, f->full_range, coef, 1, 0, 1 << 16, 1 << 16);
	const uint8_t *y = f->data, *u = y + (size_t)f->width * f->height;
	const uint8_t *v = u + (size_t)(f->width / 2) * (f->height / 2);
	const uint8_t *const src[4] = { y, u, v, NULL };
	const int sstr[4] = { f->width, f->width / 2, f->width / 2, 0 };
	if (sws_scale(sws, src, sstr, 0, f->height, rgb->data, rgb->linesize) != h) {
		r = -EIO;
		goto out;
	}
	if (avcodec_send_frame(cc, rgb) < 0 || avcodec_receive_packet(cc, pkt) < 0) {
		r = -EIO;
		goto out;
	}
	if (!(*out = malloc((size_t)pkt->size)))
		goto out;
	memcpy(*out, pkt->data, (size_t)pkt->size);
	*len = (size_t)pkt->size;
	r = 0;
out:
	sws_freeContext(sws);
	av_packet_free(&pkt);
	av_frame_free(&rgb);
	avcodec_free_context(&cc);
	return r;
}

void http_hold_viewer(struct http_server *s)
{
	pthread_mutex_lock(&s->lock);
	s->snap_hold_until = clock_mono_us() + HTTP_SNAPSHOT_HOLD_US;
	pthread_mutex_unlock(&s->lock);
}

static void pic_unref(struct snap_pic *p)
{
	if (p && __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		__atomic_sub_fetch(&p->q->live_bytes, p->len, __ATOMIC_RELAXED);
		free(p->data);
		free(p);
	}
}

static void pic_unref_cb(void *cls)
{
	pic_unref(cls);
}

static void jpeg_buf_unref_cb(void *cls)
{
	jpeg_buf_unref(cls);
}

/* A cached picture of (seq, w, h, png) with a reference, or NULL.  Caller holds q->lock. */
static struct snap_pic *cache_find(struct http_snaps *q, uint64_t seq, int w, int h, int png)
{
	for (int i = 0; i < SNAP_CACHE; i++) {
		struct snap_pic *p = q->cache[i];
		if (p && p->seq == seq && p->w == w && p->h == h && p->png == png) {
			__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
			return p;
		}
	}
	return NULL;
}

/* Keeps the newest pictures within SNAP_CACHE entries and half the snapshot memory, so the
 * cache alone can never make every new ask "busy". */
static void cache_put(struct http_snaps *q, struct snap_pic *p)
{
	if (p->len > HTTP_SNAPSHOT_MEMORY / 2)
		return;
	while (q->cache[0] && (q->cache[SNAP_CACHE - 1] ||
			       q->cache_bytes + p->len > HTTP_SNAPSHOT_MEMORY / 2)) {
		q->cache_bytes -= q->cache[0]->len;
		pic_unref(q->cache[0]);
		memmove(q->cache, q->cache + 1, sizeof(q->cache) - sizeof(q->cache[0]));
		q->cache[SNAP_CACHE - 1] = NULL;
	}
	int i = 0;
	while (q->cache[i])
		i++;
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	q->cache[i] = p;
	q->cache_bytes += p->len;
}

static struct snap_pic *encode(struct http_server *s, const struct frame *f, int w, int h, int png)
{
	struct snap_pic *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return NULL;
	if (png) {
		r = encode_png(f, w, h, &p->data, &p->len);
	} else {
		size_t len = 0;
		if ((r = jpeg_enc_frame(&s->snaps->enc, f, w, h, &len)) == 0) {
			if ((p->data = malloc(len)))
				memcpy(p->data, s->snaps->enc.out, len);
			else
				r = -ENOMEM;
			p->len = len;
		}
	}
	if (r < 0) {
		free(p->data);
		free(p);
		return NULL;
	}
	p->seq = f->seq;
	p->mono_us = f->mono_us;
	p->w = w;
	p->h = h;
	p->png = png;
	p->refs = 1;
	p->q = s->snaps;
	__atomic_add_fetch(&p->q->live_bytes, p->len, __ATOMIC_RELAXED);
	return p;
}

static void *worker_main(void *arg)
{
	struct http_server *s = arg;
	struct http_snaps *q = s->snaps;

	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), SNAP_NICE);
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->head && !q->stop)
			pthread_cond_wait(&q->cond, &q->lock);
		struct snap_job *j = q->head;
		if (!j)
			break;                  /* stopping with nothing left */
		q->head = j->next;
		if (!q->head)
			q->tail = NULL;
		/* an identical ask queued earlier may have filled the cache meanwhile */
		j->pic = cache_find(q, j->f->seq, j->w, j->h, j->png);
		if (!j->pic && !q->stop) {
			pthread_mutex_unlock(&q->lock);
			struct snap_pic *p = encode(s, j->f, j->w, j->h, j->png);
			pthread_mutex_lock(&q->lock);
			q->encodes++;
			if (p)
				cache_put(q, p);
			j->pic = p;
		}
		frame_unref(j->f);
		j->f = NULL;
		j->done = 1;
		q->queued--;
		/* resume outside our lock: MHD may call back into the handler at once */
		pthread_mutex_unlock(&q->lock);
		MHD_resume_connection(j->conn);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int http_snapshots_start(struct http_server *s)
{
	struct http_snaps *q = calloc(1, sizeof(*q));
	int r;

	if (!q)
		return -ENOMEM;
	if ((r = jpeg_enc_init(&q->enc, s->quality)) < 0) {
		free(q);
		return r;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	s->snaps = q;
	if ((r = -pthread_create(&q->thread, NULL, worker_main, s)) < 0) {
		http_snapshots_stop(s);
		return r;
	}
	q->started = 1;
	return 0;
}

/* Finishes the queue (the jobs left fail and are resumed, as MHD cannot stop with suspended
 * connections) and frees everything.  Called before MHD_stop_daemon. */
void http_snapshots_stop(struct http_server *s)
{
	struct http_snaps *q = s->snaps;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = 1;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	if (q->started)
		pthread_join(q->thread, NULL);
	q->started = 0;
}

void http_snapshots_free(struct http_server *s)
{
	struct http_snaps *q = s->snaps;

	if (!q)
		return;
	http_snapshots_stop(s);
	for (int i = 0; i < SNAP_CACHE; i++)
		pic_unref(q->cache[i]);
	jpeg_enc_fini(&q->enc);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	free(q);
	s->snaps = NULL;
}

void http_snapshots_counts(struct http_server *s, uint64_t *encodes, uint64_t *busy)
{
	pthread_mutex_lock(&s->snaps->lock);
	*encodes = s->snaps->encodes;
	*busy = s->snaps->busy;
	pthread_mutex_unlock(&s->snaps->lock);
}

void http_snapshot_job_free(void *job)
{
	struct snap_job *j = job;

	if (!j)
		return;
	if (j->f)
		frame_unref(j->f);
	pic_unref(j->pic);
	free(j);
}

static enum MHD_Result send_picture(struct MHD_Connection *conn, struct MHD_Response *resp,
				    int png, uint64_t mono_us)
{
	char ts[32];

	if (!resp)
		return http_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
				       "encode failed\n");
	http_timestamp(mono_us, ts, sizeof(ts));
	MHD_add_response_header(resp, "X-Timestamp", ts);
	MHD_add_response_header(resp, HTTP_SNAPSHOT_SOURCE, "decoded");
	return http_queue(conn, MHD_HTTP_OK, resp, png ? "image/png" : "image/jpeg");
}

static enum MHD_Result send_pic(struct MHD_Connection *conn, struct snap_pic *p)
{
	struct MHD_Response *r = NULL;

	if (!p)
		return send_picture(conn, NULL, 0, 0);
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	r = MHD_create_response_from_buffer_with_free_callback_cls(p->len, p->data, pic_unref_cb, p);
	if (!r)
		pic_unref(p);
	return send_picture(conn, r, p->png, p->mono_us);
}

/* The stream already encoded this very frame at full size: send those bytes now. */
static enum MHD_Result send_cached_jpeg(struct http_server *s, struct MHD_Connection *conn,
					struct jpeg_buf *b)
{
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
		b->len, b->mem, jpeg_buf_unref_cb, b);
	uint64_t mono_us = b->mono_us;

	if (!r)
		jpeg_buf_unref(b);
	return send_picture(conn, r, 0, mono_us);
}

static enum MHD_Result busy(struct MHD_Connection *conn)
{
	return http_reply_static(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				 "busy encoding other snapshots, retry in a second\n",
				 MHD_HTTP_HEADER_RETRY_AFTER, "1");
}

enum MHD_Result http_snapshot(struct http_server *s, struct MHD_Connection *conn, int png,
			      void **job)
{
	struct http_snaps *q = s->snaps;
	struct snap_job *j = *job;

	if (j) {         /* resumed by the worker */
		if (!j->done)
			return MHD_NO;
		return send_pic(conn, j->pic);
	}
	int w = parse_dim(MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "width"));
	int h = parse_dim(MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "height"));
	struct frame *f;

	if (w < 0 || h < 0)
		return http_reply_text(conn, MHD_HTTP_BAD_REQUEST, "text/plain",
				       "width and height must be integers 8..4096\n");
	http_hold_viewer(s);
	if (!(f = hub_latest(s->hub, 0)))
		return http_reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
				       "no picture yet\n");
	if (jpeg_fit_size(f->width, f->height, w, h, &w, &h) < 0) {
		frame_unref(f);
		return http_reply_text(conn, MHD_HTTP_BAD_REQUEST, "text/plain",
				       "width and height must be integers 8..4096\n");
	}
	if ((int64_t)w * h > HTTP_SNAPSHOT_MAX_PIXELS) {
		frame_unref(f);
		return http_reply_text(conn, MHD_HTTP_BAD_REQUEST, "text/plain",
				       "width x height must be at most 4096x2304 pixels\n");
	}
	if (!png && w == f->width && h == f->height) {
		struct jpeg_buf *b = jpeg_cache_current(s->full_cache);
		if (b && b->seq == f->seq) {
			frame_unref(f);
			return send_cached_jpeg(s, conn, b);
		}
		jpeg_buf_unref(b);
	}
	pthread_mutex_lock(&q->lock);
	struct snap_pic *p = cache_find(q, f->seq, w, h, png);
	if (p) {
		pthread_mutex_unlock(&q->lock);
		frame_unref(f);
		enum MHD_Result ret = send_pic(conn, p);
		pic_unref(p);
		return ret;
	}
	/* Slow readers keep pictures alive: past the memory bound, no new encode starts. */
	if (q->stop || q->queued >= HTTP_SNAPSHOT_QUEUE ||
	    __atomic_load_n(&q->live_bytes, __ATOMIC_RELAXED) > HTTP_SNAPSHOT_MEMORY ||
	    !(j = calloc(1, sizeof(*j)))) {
		q->busy++;
		pthread_mutex_unlock(&q->lock);
		frame_unref(f);
		return busy(conn);
	}
	*j = (struct snap_job){ .srv = s, .conn = conn, .f = f, .w = w, .h = h, .png = png };
	/* Suspended before the worker can see it, so its resume cannot come first. */
	MHD_suspend_connection(conn);
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->queued++;
	*job = j;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	return MHD_YES;
}
