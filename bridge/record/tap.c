#include "record/tap.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/buffer.h>

#include "media/annexb.h"
#include "util/clock.h"

#define TAP_MAX_AUS 4096          /* 5 s at 120 fps with room to spare */
/* A pre-roll whose newest AU is this old is from a stream that stopped (camera asleep or
 * gone): not replayed, a clip must not begin with minutes-old pictures. */
#define TAP_STALE_US 3000000ull

struct tap {
	pthread_mutex_t lock;
	struct preroll ring;
	struct tap_params params;
	struct AVCodecParserContext *parser;
	struct AVCodecContext *pctx;
	enum au_codec parser_codec;
	struct { tap_fn fn; void *ctx; } subs[TAP_MAX_SUBS];
	uint64_t aus;
	/* does the camera send audio?  Known "no" once a run of video went TAP_NO_AUDIO_US
	 * without any; a run starts after TAP_STALE_US without video (a new session) */
	uint64_t run_start_us, last_video_us;
	int run_audio, no_audio;
};

int tap_new(struct tap **out, uint64_t pre_us, size_t max_bytes)
{
	struct tap *t = calloc(1, sizeof(*t));
	int r;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	if ((r = preroll_init(&t->ring, pre_us, max_bytes, TAP_MAX_AUS)) < 0) {
		free(t);
		return r;
	}
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

static void parser_close(struct tap *t)
{
	if (t->parser)
		av_parser_close(t->parser);
	avcodec_free_context(&t->pctx);
	t->parser = NULL;
	t->parser_codec = 0;
}

void tap_free(struct tap *t)
{
	if (!t)
		return;
	preroll_fini(&t->ring);
	parser_close(t);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void tap_set_window(struct tap *t, uint64_t pre_us, size_t max_bytes)
{
	pthread_mutex_lock(&t->lock);
	t->ring.span_us = pre_us;
	t->ring.max_bytes = max_bytes;
	pthread_mutex_unlock(&t->lock);
}

/* 1 for a VPS/SPS/PPS NAL unit. */
static int is_param_set(enum au_codec c, const uint8_t *nal)
{
	if (c == AU_H265) {
		int type = (nal[0] >> 1) & 0x3f;
		return type >= 32 && type <= 34;
	}
	return (nal[0] & 0x1f) == 7 || (nal[0] & 0x1f) == 8;
}

/* The keyframe's parameter sets become the extradata; its size comes from a parser (the
 * MP4 header wants it and the AU carries no other description). */
static void take_params(struct tap *t, const struct au *au)
{
	struct tap_params *p = &t->params;
	const uint8_t *pos = au->data, *end = au->data + au->len, *sc, *nal;
	size_t nal_len, n = 0;
	uint8_t *pout;
	int plen;

	while (annexb_nal_next(&pos, end, &sc, &nal, &nal_len)) {
		size_t with_sc = (size_t)(nal + nal_len - sc);

		if (!nal_len || !is_param_set(au->codec, nal))
			continue;
		if (n + with_sc > sizeof(p->extradata))
			break;
		memcpy(p->extradata + n, sc, with_sc);
		n += with_sc;
	}
	if (!n)
		return;   /* no in-band parameter sets: keep the previous ones */
	p->extradata_len = n;
	if (p->codec != au->codec)
		p->width = p->height = 0;
	p->codec = au->codec;
	if (t->parser_codec != au->codec) {
		parser_close(t);
		enum AVCodecID id = au->codec == AU_H265 ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264;
		t->parser = av_parser_init(id);
		t->pctx = avcodec_alloc_context3(NULL);
		if (!t->parser || !t->pctx) {
			parser_close(t);
			return;
		}
		t->parser->flags |= PARSER_FLAG_COMPLETE_FRAMES;
		t->parser_codec = au->codec;
	}
	av_parser_parse2(t->parser, t->pctx, &pout, &plen, au->data, (int)au->len,
			 AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
	if (t->parser->width > 0 && t->parser->height > 0) {
		p->width = t->parser->width;
		p->height = t->parser->height;
	}
}

static void track_audio(struct tap *t, const struct au *au)
{
	if (!au_is_video(au->codec)) {
		t->run_audio = 1;
		t->no_audio = 0;
		return;
	}
	if (!t->last_video_us || au->recv_us > t->last_video_us + TAP_STALE_US) {
		t->run_start_us = au->recv_us;
		t->run_audio = 0;
	}
	t->last_video_us = au->recv_us;
	if (!t->run_audio && au->recv_us >= t->run_start_us + TAP_NO_AUDIO_US)
		t->no_audio = 1;
}

void tap_feed(void *tap, const struct au *au)
{
	struct tap *t = tap;
	struct rec_au ra = {
		.len = au->len, .codec = au->codec, .keyframe = au->keyframe, .gap = au->gap,
		.t_us = au->recv_us,
	};

	if (!t || !au->len || au->len > (size_t)INT32_MAX)
		return;
	/* The one copy: exact size, padded for parsers and muxers. */
	ra.buf = av_buffer_alloc(au->len + AV_INPUT_BUFFER_PADDING_SIZE);
	if (!ra.buf)
		return;
	memcpy(ra.buf->data, au->data, au->len);
	memset(ra.buf->data + au->len, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	pthread_mutex_lock(&t->lock);
	t->aus++;
	track_audio(t, au);
	if (au->keyframe && au_is_video(au->codec))
		take_params(t, au);
	(void)preroll_add(&t->ring, &ra);
	for (int i = 0; i < TAP_MAX_SUBS; i++)
		if (t->subs[i].fn)
			t->subs[i].fn(t->subs[i].ctx, &ra);
	pthread_mutex_unlock(&t->lock);
	av_buffer_unref(&ra.buf);
}

/* Where a subscriber's replay starts in the ring. */
static unsigned replay_from(const struct preroll *ring, enum tap_replay replay)
{
	unsigned i;

	if (replay == TAP_PREROLL)
		return 0;
	if (replay == TAP_LAST_GOP)
		for (i = ring->count; i-- > 0;)
			if (preroll_at(ring, i)->keyframe)
				return i;
	return ring->count;
}

int tap_subscribe(struct tap *t, tap_fn fn, void *ctx, enum tap_replay replay)
{
	int r = -ENOSPC;

	pthread_mutex_lock(&t->lock);
	if (t->ring.count &&
	    clock_mono_us() > preroll_at(&t->ring, t->ring.count - 1)->t_us + TAP_STALE_US)
		preroll_clear(&t->ring);
	for (int i = 0; i < TAP_MAX_SUBS; i++) {
		if (t->subs[i].fn)
			continue;
		for (unsigned k = replay_from(&t->ring, replay); k < t->ring.count; k++)
			fn(ctx, preroll_at(&t->ring, k));
		t->subs[i].fn = fn;
		t->subs[i].ctx = ctx;
		r = 0;
		break;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

void tap_unsubscribe(struct tap *t, tap_fn fn, void *ctx)
{
	pthread_mutex_lock(&t->lock);
	for (int i = 0; i < TAP_MAX_SUBS; i++)
		if (t->subs[i].fn == fn && t->subs[i].ctx == ctx)
			t->subs[i].fn = NULL;
	pthread_mutex_unlock(&t->lock);
}

int tap_get_params(struct tap *t, struct tap_params *out)
{
	int r;

	pthread_mutex_lock(&t->lock);
	r = t->params.codec ? 0 : -EAGAIN;
	*out = t->params;
	out->audio_wait = !t->no_audio;
	pthread_mutex_unlock(&t->lock);
	return r;
}

void tap_counts(struct tap *t, uint64_t *aus, uint64_t *dropped)
{
	pthread_mutex_lock(&t->lock);
	*aus = t->aus;
	*dropped = t->ring.dropped;
	pthread_mutex_unlock(&t->lock);
}
