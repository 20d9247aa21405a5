#include "record/tsout.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libavutil/buffer.h>

#include "hub/status.h"
#include "record/aufifo.h"
#include "record/mux.h"
#include "record/tap.h"
#include "util/clock.h"
#include "util/log.h"

#define TS_MARKS        64
#define TS_QUEUE_BYTES  (16u << 20)
#define TS_QUEUE_AUS    4096
#define TS_WAIT_MS      200
/* A reader this close to being overwritten is dropped (the writer never waits). */
#define TS_GUARD        (256u << 10)

struct ts_reader {
	struct tsout *t;
	uint64_t pos;              /* absolute byte offset in the stream */
	int waiting;               /* start at the first keyframe mark at or after pos */
	int closed;
	int dropped;               /* fell too far behind: over */
};

struct tsout {
	struct tap *tap;
	struct status *st;
	pthread_t th;
	pthread_mutex_t lock;      /* everything below but the notify */
	pthread_cond_t cond;
	int stop;
	int readers;
	uint8_t *ring;
	uint64_t head;             /* bytes written so far */
	uint64_t marks[TS_MARKS];  /* where keyframes (with PAT/PMT) begin, oldest first */
	uint64_t mark_us[TS_MARKS]; /* when each was written (monotonic) */
	unsigned nmarks;
	uint64_t max_lag_us;
	uint64_t dropped, aus;
	int udp_fd;
	struct sockaddr_storage udp_sa;
	socklen_t udp_len;
	uint64_t udp_errors;
	pthread_mutex_t nlock;
	void (*notify)(void *ctx);
	void *nctx;
	/* the muxer thread's own */
	struct aufifo fifo;
	int subscribed;
	struct mux *mux;
	enum au_codec codec;
};

static int parse_udp(struct tsout *t, const char *url, char *err, size_t n)
{
	char host[256], *port;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV }, *ai;
	const char *h = url + 6;
	int r;

	if (strncmp(url, "udp://", 6) || strlen(h) >= sizeof(host)) {
		snprintf(err, n, "output.udp: want udp://HOST:PORT");
		return -EINVAL;
	}
	if (*h == '[') {
		snprintf(host, sizeof(host), "%s", h + 1);
		port = strstr(host, "]:");
		if (port)
			*port++ = 0;
	} else {
		snprintf(host, sizeof(host), "%s", h);
		port = strrchr(host, ':');
	}
	if (!port || !port[1] || strchr(port + 1, '/') || strchr(port + 1, '?')) {
		snprintf(err, n, "output.udp: want udp://HOST:PORT");
		return -EINVAL;
	}
	*port++ = 0;
	if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, n, "output.udp: %s: %s", host, gai_strerror(r));
		return -EINVAL;
	}
	t->udp_fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (t->udp_fd < 0) {
		r = -errno;
		freeaddrinfo(ai);
		snprintf(err, n, "output.udp: socket: %s", strerror(-r));
		return r;
	}
	memcpy(&t->udp_sa, ai->ai_addr, ai->ai_addrlen);
	t->udp_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* The muxer's output: into the ring (overwriting what the slowest reader has not read), and
 * one datagram per chunk. */
static int on_bytes(void *ctx, const uint8_t *buf, size_t len)
{
	struct tsout *t = ctx;
	size_t off = t->head % TSOUT_RING_BYTES, first = TSOUT_RING_BYTES - off;

	if (t->udp_fd >= 0 &&
	    sendto(t->udp_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (struct sockaddr *)&t->udp_sa, t->udp_len) < 0)
		t->udp_errors++;   /* nobody listening, or a full socket: UDP drops */
	pthread_mutex_lock(&t->lock);
	if (first >= len) {
		memcpy(t->ring + off, buf, len);
	} else {
		memcpy(t->ring + off, buf, first);
		memcpy(t->ring, buf + first, len - first);
	}
	t->head += len;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

static void add_mark(struct tsout *t)
{
	pthread_mutex_lock(&t->lock);
	if (t->nmarks == TS_MARKS) {
		memmove(t->marks, t->marks + 1, (TS_MARKS - 1) * sizeof(t->marks[0]));
		memmove(t->mark_us, t->mark_us + 1, (TS_MARKS - 1) * sizeof(t->mark_us[0]));
		t->nmarks--;
	}
	t->mark_us[t->nmarks] = clock_mono_us();
	t->marks[t->nmarks++] = t->head;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

static void notify(struct tsout *t)
{
	pthread_mutex_lock(&t->nlock);
	if (t->notify)
		t->notify(t->nctx);
	pthread_mutex_unlock(&t->nlock);
}

static void mux_end(struct tsout *t)
{
	mux_close(t->mux, NULL, 0);
	t->mux = NULL;
	pthread_mutex_lock(&t->lock);
	t->nmarks = 0;   /* a new muxer starts a new stream: readers wait for its keyframe */
	pthread_mutex_unlock(&t->lock);
}

static void mux_au(struct tsout *t, const struct rec_au *au)
{
	struct tap_params p;
	char err[200];

	if (t->mux && au_is_video(au->codec) && au->codec != t->codec)
		mux_end(t);
	if (!t->mux) {
		if (!au->keyframe || tap_get_params(t->tap, &p) < 0 || p.codec != au->codec)
			return;
		if (mux_open_ts(&t->mux, on_bytes, t, &p, err, sizeof(err)) < 0) {
			log_err("MPEG-TS output: %s", err);
			return;
		}
		t->codec = au->codec;
	}
	if (au->keyframe) {
		(void)mux_flush(t->mux);
		add_mark(t);
	}
	if (mux_write(t->mux, au, err, sizeof(err)) < 0 || mux_flush(t->mux) < 0) {
		mux_end(t);
		return;
	}
	pthread_mutex_lock(&t->lock);
	t->aus++;
	pthread_mutex_unlock(&t->lock);
	notify(t);
}

static void *ts_main(void *arg)
{
	struct tsout *t = arg;
	struct rec_au au;

	pthread_setname_np(pthread_self(), "mpegts");
	for (;;) {
		int idle;

		pthread_mutex_lock(&t->lock);
		idle = !t->readers && t->udp_fd < 0;
		if (idle && !t->stop && !t->subscribed)
			pthread_cond_wait(&t->cond, &t->lock);
		idle = !t->readers && t->udp_fd < 0;
		if (t->stop) {
			pthread_mutex_unlock(&t->lock);
			break;
		}
		pthread_mutex_unlock(&t->lock);
		if (idle) {
			/* Nobody reads: no muxing (and a new first reader starts a new stream). */
			if (t->subscribed) {
				tap_unsubscribe(t->tap, aufifo_tap, &t->fifo);
				t->subscribed = 0;
			}
			mux_end(t);
			continue;
		}
		if (!t->subscribed) {
			aufifo_reset(&t->fifo);
			t->subscribed = tap_subscribe(t->tap, aufifo_tap, &t->fifo, TAP_LAST_GOP) == 0;
		}
		if (aufifo_pop(&t->fifo, &au, TS_WAIT_MS) == 1) {
			mux_au(t, &au);
			av_buffer_unref(&au.buf);
		}
	}
	if (t->subscribed)
		tap_unsubscribe(t->tap, aufifo_tap, &t->fifo);
	mux_end(t);
	return NULL;
}

int tsout_start(struct tsout **out, struct tap *tap, const char *udp, struct status *st,
		char *err, size_t n)
{
	struct tsout *t = calloc(1, sizeof(*t));
	int r;

	*out = NULL;
	err[0] = 0;
	if (!t || !(t->ring = malloc(TSOUT_RING_BYTES))) {
		free(t);
		return -ENOMEM;
	}
	t->tap = tap;
	t->st = st;
	t->udp_fd = -1;
	t->max_lag_us = TSOUT_MAX_LAG_US;
	if ((udp && udp[0] && (r = parse_udp(t, udp, err, n)) < 0) ||
	    (r = aufifo_init(&t->fifo, TS_QUEUE_BYTES, TS_QUEUE_AUS)) < 0) {
		if (t->udp_fd >= 0)
			close(t->udp_fd);
		free(t->ring);
		free(t);
		return r;
	}
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->nlock, NULL);
	pthread_cond_init(&t->cond, NULL);
	if ((r = pthread_create(&t->th, NULL, ts_main, t)) != 0) {
		t->stop = 1;
		tsout_stop(t);
		return -r;
	}
	*out = t;
	return 0;
}

void tsout_stop(struct tsout *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	int started = !t->stop;
	t->stop = 1;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	if (started)
		pthread_join(t->th, NULL);
	aufifo_fini(&t->fifo);
	if (t->udp_fd >= 0)
		close(t->udp_fd);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->nlock);
	pthread_cond_destroy(&t->cond);
	free(t->ring);
	free(t);
}

void tsout_set_max_lag(struct tsout *t, uint64_t us)
{
	pthread_mutex_lock(&t->lock);
	t->max_lag_us = us;
	pthread_mutex_unlock(&t->lock);
}

void tsout_set_notify(struct tsout *t, void (*fn)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&t->nlock);
	t->notify = fn;
	t->nctx = ctx;
	pthread_mutex_unlock(&t->nlock);
}

static void set_viewers(struct tsout *t, int n)
{
	if (t->st)
		STATUS_UPDATE(t->st, cs->ts_viewers = n;);
}

/* Under lock: mark i is still in the ring (with room before the writer reaches it). */
static int mark_ok(const struct tsout *t, unsigned i)
{
	return t->head - t->marks[i] < TSOUT_RING_BYTES - TS_GUARD;
}

/* Under lock: the first keyframe mark at or after pos.  1 = found. */
static int mark_from(const struct tsout *t, uint64_t pos, uint64_t *mark)
{
	for (unsigned i = 0; i < t->nmarks; i++) {
		if (mark_ok(t, i) && t->marks[i] >= pos) {
			*mark = t->marks[i];
			return 1;
		}
	}
	return 0;
}

/* Under lock: the reader is more than max_lag behind the writer (a keyframe it has not reached
 * yet was written that long ago), or about to be overwritten. */
static int too_far_behind(const struct tsout *t, const struct ts_reader *r)
{
	uint64_t now = clock_mono_us();

	if (t->head - r->pos >= TSOUT_RING_BYTES - TS_GUARD)
		return 1;
	for (unsigned i = 0; i < t->nmarks; i++)
		if (t->marks[i] > r->pos)
			return now - t->mark_us[i] > t->max_lag_us;
	return 0;
}

/* Under lock: the newest keyframe mark still in the ring.  1 = found. */
static int mark_newest(const struct tsout *t, uint64_t *mark)
{
	if (!t->nmarks || !mark_ok(t, t->nmarks - 1))
		return 0;
	*mark = t->marks[t->nmarks - 1];
	return 1;
}

int tsout_reader_open(struct tsout *t, struct ts_reader **out)
{
	struct ts_reader *r = calloc(1, sizeof(*r));
	int n;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->t = t;
	pthread_mutex_lock(&t->lock);
	/* The newest keyframe still in the ring, else the next one. */
	r->waiting = !mark_newest(t, &r->pos);
	if (r->waiting)
		r->pos = t->head;
	n = ++t->readers;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	set_viewers(t, n);
	*out = r;
	return 0;
}

ssize_t tsout_read(struct ts_reader *r, uint8_t *buf, size_t max)
{
	struct tsout *t = r->t;
	size_t n, off, first;
	uint64_t m;

	pthread_mutex_lock(&t->lock);
	if (t->stop || r->closed) {
		pthread_mutex_unlock(&t->lock);
		return -EPIPE;
	}
	if (r->waiting) {
		if (!mark_from(t, r->pos, &m)) {
			pthread_mutex_unlock(&t->lock);
			return 0;
		}
		r->pos = m;
		r->waiting = 0;
	}
	if (r->pos > t->head) {   /* cannot happen (head only grows): start again */
		r->pos = t->head;
		r->waiting = 1;
		pthread_mutex_unlock(&t->lock);
		return 0;
	}
	if (r->dropped || too_far_behind(t, r)) {
		/* Skipping ahead would hide from the viewer that it cannot keep up, and a reader
		 * that stopped would wait here for ever: it is let go (players reconnect). */
		t->dropped += !r->dropped;
		r->dropped = 1;
		pthread_mutex_unlock(&t->lock);
		return -ENOBUFS;
	}
	n = (size_t)(t->head - r->pos);
	if (n > max)
		n = max;
	off = r->pos % TSOUT_RING_BYTES;
	first = TSOUT_RING_BYTES - off;
	if (first >= n) {
		memcpy(buf, t->ring + off, n);
	} else {
		memcpy(buf, t->ring + off, first);
		memcpy(buf + first, t->ring, n - first);
	}
	r->pos += n;
	pthread_mutex_unlock(&t->lock);
	return (ssize_t)n;
}

void tsout_reader_close(struct ts_reader *r)
{
	struct tsout *t;
	int n;

	if (!r)
		return;
	t = r->t;
	pthread_mutex_lock(&t->lock);
	n = --t->readers;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	set_viewers(t, n);
	free(r);
}

void tsout_counts(struct tsout *t, int *readers, uint64_t *dropped, uint64_t *aus)
{
	pthread_mutex_lock(&t->lock);
	*readers = t->readers;
	*dropped = t->dropped;
	*aus = t->aus;
	pthread_mutex_unlock(&t->lock);
}
