#include "sim/sim_media.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "media/annexb.h"
#include "media/dec.h"
#include "media/tpenc.h"
#include "sim/sim_aac.h"
#include "util/clock.h"

struct slot {
	uint8_t *buf;
	size_t cap;
	struct sim_au au;
};

struct sim_src {
	struct sim_stream_cfg sc;
	int codec;                   /* DEC_H264 / DEC_H265 */
	int audio;
	int notify_fd;
	struct annexb *file;         /* NULL = live */

	pthread_t thr;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;           /* CLOCK_MONOTONIC */
	int run, quit;               /* under mu */
	uint64_t resume_gen;         /* under mu: bumps on every resume */

	struct slot ring[SIM_SRC_RING];
	unsigned head, tail;         /* under mu; [head, tail) pending */
	int held;                    /* loop holds ring[head] until its next pop */

	atomic_int force_key;
	atomic_int err;
	atomic_uint_fast64_t dropped;
	uint32_t counter;            /* thread only */
};

int sim_src_new(const struct sim_cfg *cfg, int idx, int notify_fd, struct sim_src **out)
{
	struct sim_src *s;
	pthread_condattr_t ca;
	int r;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->sc = cfg->stream[idx];
	s->codec = cfg->codec;
	s->counter = cfg->first_marker;
	s->notify_fd = notify_fd;
	if (strcmp(cfg->source, "live") != 0) {
		r = annexb_open(cfg->source, &s->file);
		if (r < 0) {
			free(s);
			return r;
		}
		s->codec = annexb_codec(s->file);
	} else {
		s->audio = cfg->audio && idx == SIM_MAIN;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	*out = s;
	return 0;
}

int sim_src_h265(const struct sim_src *s)
{
	return s->codec == DEC_H265;
}

/* Copies an AU into the ring (producer).  Full ring: drop, next picture is a keyframe. */
static void push(struct sim_src *s, enum sim_au_kind kind, uint32_t counter, int key,
		 const uint8_t *data, size_t len)
{
	struct slot *sl;
	uint64_t one = 1;

	pthread_mutex_lock(&s->mu);
	if (s->tail - s->head >= SIM_SRC_RING) {
		pthread_mutex_unlock(&s->mu);
		if (kind == SIM_AU_VIDEO) {
			atomic_fetch_add(&s->dropped, 1);
			atomic_store(&s->force_key, 1);
		}
		return;
	}
	sl = &s->ring[s->tail % SIM_SRC_RING];
	pthread_mutex_unlock(&s->mu);
	/* The slot is ours until tail moves: the consumer only reads [head, tail). */
	if (sl->cap < len) {
		size_t cap = len + len / 4 + 4096;
		uint8_t *nb = realloc(sl->buf, cap);
		if (!nb) {
			atomic_store(&s->err, -ENOMEM);
			return;
		}
		sl->buf = nb;
		sl->cap = cap;
	}
	memcpy(sl->buf, data, len);
	sl->au = (struct sim_au){ kind, counter, key, clock_mono_us(), sl->buf, len };
	pthread_mutex_lock(&s->mu);
	s->tail++;
	pthread_mutex_unlock(&s->mu);
	if (write(s->notify_fd, &one, sizeof(one)) < 0) {
		/* eventfd counter saturated: the loop is awake anyway */
	}
}

/* Waits until `deadline` (monotonic µs) or a state change.  Returns 0 to go on producing,
 * 1 if paused/restarted (caller re-anchors), -1 to quit. */
static int wait_until(struct sim_src *s, uint64_t deadline, uint64_t gen)
{
	struct timespec ts = { (time_t)(deadline / 1000000), (long)(deadline % 1000000) * 1000 };
	int ret = 0;

	pthread_mutex_lock(&s->mu);
	while (!s->quit && s->run && s->resume_gen == gen && clock_mono_us() < deadline)
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	if (s->quit)
		ret = -1;
	else if (!s->run || s->resume_gen != gen)
		ret = 1;
	pthread_mutex_unlock(&s->mu);
	return ret;
}

/* Blocks while paused; returns the resume generation, or 0 to quit. */
static uint64_t wait_run(struct sim_src *s)
{
	uint64_t gen;

	pthread_mutex_lock(&s->mu);
	while (!s->quit && !s->run)
		pthread_cond_wait(&s->cv, &s->mu);
	gen = s->quit ? 0 : s->resume_gen;
	pthread_mutex_unlock(&s->mu);
	return gen;
}

static void *thread_main(void *arg)
{
	struct sim_src *s = arg;
	struct tpenc *enc = NULL;
	struct sim_aac *aac = NULL;
	uint64_t period = 1000000u / (unsigned)s->sc.fps, t0, gen, frames = 0, audio_frames = 0;
	int r;

	if (!s->file) {
		r = tpenc_open(s->codec, s->sc.width, s->sc.height, s->sc.fps, s->sc.gop, &enc);
		if (r < 0) {
			atomic_store(&s->err, r);
			return NULL;
		}
		if (s->audio && sim_aac_open(&aac) < 0)
			aac = NULL;          /* audio is optional: go on without it */
	}
	while ((gen = wait_run(s)) != 0) {
		t0 = clock_mono_us();
		frames = audio_frames = 0;
		atomic_store(&s->force_key, 1);
		for (;;) {
			const uint8_t *au;
			size_t len;
			int key = 0;
			uint64_t due = t0 + frames * period, now;

			r = wait_until(s, due, gen);
			if (r)
				break;
			if (enc) {
				if (atomic_exchange(&s->force_key, 0))
					tpenc_force_keyframe(enc);
				r = tpenc_next(enc, s->counter, &au, &len, &key);
			} else {
				/* a file cannot be asked for a keyframe: the consumer waits for one */
				atomic_store(&s->force_key, 0);
				r = annexb_next(s->file, &au, &len, &key);
			}
			if (r < 0) {
				atomic_store(&s->err, r);
				goto out;
			}
			if (r > 0)
				push(s, SIM_AU_VIDEO, s->counter, key, au, len);
			s->counter++;
			frames++;
			/* AAC frames (1024 samples) due by now */
			while (aac && audio_frames * 1024u * 1000000u / SIM_AAC_RATE <= frames * period) {
				const uint8_t *adts;
				size_t alen;
				if (sim_aac_next(aac, &adts, &alen) > 0)
					push(s, SIM_AU_AAC, 0, 0, adts, alen);
				audio_frames++;
			}
			now = clock_mono_us();
			if (now > t0 + frames * period + 4 * period) {
				/* fell behind (slow encoder): skip, don't burst to catch up */
				t0 = now - frames * period;
			}
		}
	}
out:
	tpenc_free(enc);
	sim_aac_free(aac);
	return NULL;
}

int sim_src_resume(struct sim_src *s)
{
	int r;

	pthread_mutex_lock(&s->mu);
	s->run = 1;
	s->resume_gen++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (!s->started) {
		r = pthread_create(&s->thr, NULL, thread_main, s);
		if (r)
			return -r;
		s->started = 1;
	}
	return 0;
}

void sim_src_pause(struct sim_src *s)
{
	pthread_mutex_lock(&s->mu);
	s->run = 0;
	pthread_cond_broadcast(&s->cv);
	/* what is queued is stale for the next viewer */
	if (s->held && s->head != s->tail)
		s->head++;
	s->held = 0;
	s->head = s->tail;
	pthread_mutex_unlock(&s->mu);
}

void sim_src_force_keyframe(struct sim_src *s)
{
	atomic_store(&s->force_key, 1);
}

int sim_src_pop(struct sim_src *s, struct sim_au *au)
{
	int got = 0;

	pthread_mutex_lock(&s->mu);
	if (s->held) {
		s->head++;
		s->held = 0;
	}
	if (s->head != s->tail) {
		*au = s->ring[s->head % SIM_SRC_RING].au;
		s->held = 1;
		got = 1;
	}
	pthread_mutex_unlock(&s->mu);
	return got;
}

uint64_t sim_src_dropped(const struct sim_src *s)
{
	return atomic_load(&s->dropped);
}

int sim_src_error(const struct sim_src *s)
{
	return atomic_load(&s->err);
}

void sim_src_free(struct sim_src *s)
{
	if (!s)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->quit = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thr, NULL);
	}
	for (int i = 0; i < SIM_SRC_RING; i++)
		free(s->ring[i].buf);
	annexb_free(s->file);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
