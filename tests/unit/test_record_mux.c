/* The passthrough muxer with the camera's audio: real H.264 (the test pattern encoder) and
 * real AAC in ADTS frames (cam-sim's 16 kHz tone) go through the tap into a fragmented MP4
 * and into MPEG-TS; libavformat reads both back with an AAC track whose every frame decodes
 * and whose length matches the video's.  A video-only camera's muxer writes its header at
 * once and has one track; one that waited for audio in vain writes every held picture. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "media/adts.h"
#include "record/mux.h"
#include "record/tap.h"
#include "sim/sim_aac.h"
#include "util/clock.h"
#include "tu_av.h"

#define FPS      15
#define SECS     3

/* What the tap hands a subscriber: every AU, in order, referenced. */
struct seen {
	struct rec_au au[400];
	unsigned n;
};

static void keep(void *ctx, const struct rec_au *au)
{
	struct seen *s = ctx;

	assert_true(s->n < 400);
	s->au[s->n] = *au;
	s->au[s->n].buf = av_buffer_ref(au->buf);
	s->n++;
}

struct track {
	int present;
	enum AVCodecID codec;
	int sample_rate, channels;
	unsigned packets, decoded;
	double duration;
};

/* Reads a file back: the video and audio tracks, every AAC frame through the decoder. */
static void read_back(const char *path, struct track *v, struct track *a)
{
	AVFormatContext *ic = NULL;
	AVCodecContext *dec = NULL;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *fr = av_frame_alloc();
	int64_t end[2] = { 0, 0 }, start[2] = { INT64_MIN, INT64_MIN };

	memset(v, 0, sizeof(*v));
	memset(a, 0, sizeof(*a));
	assert_int_equal(avformat_open_input(&ic, path, NULL, NULL), 0);
	assert_true(avformat_find_stream_info(ic, NULL) >= 0);
	assert_true(ic->nb_streams >= 1 && ic->nb_streams <= 2);
	for (unsigned i = 0; i < ic->nb_streams; i++) {
		AVCodecParameters *par = ic->streams[i]->codecpar;
		struct track *tr = par->codec_type == AVMEDIA_TYPE_AUDIO ? a : v;

		tr->present = 1;
		tr->codec = par->codec_id;
		tr->sample_rate = par->sample_rate;
		tr->channels = par->ch_layout.nb_channels;
		if (tr == a) {
			const AVCodec *c = avcodec_find_decoder(par->codec_id);
			assert_non_null(c);
			dec = avcodec_alloc_context3(c);
			assert_int_equal(avcodec_parameters_to_context(dec, par), 0);
			assert_int_equal(avcodec_open2(dec, c, NULL), 0);
		}
	}
	while (av_read_frame(ic, pkt) >= 0) {
		AVStream *st = ic->streams[pkt->stream_index];
		int audio = st->codecpar->codec_type == AVMEDIA_TYPE_AUDIO;
		struct track *tr = audio ? a : v;
		int64_t ts = av_rescale_q(pkt->pts, st->time_base, AV_TIME_BASE_Q);
		int64_t dur = av_rescale_q(pkt->duration, st->time_base, AV_TIME_BASE_Q);

		tr->packets++;
		if (start[audio] == INT64_MIN)
			start[audio] = ts;
		if (ts + dur > end[audio])
			end[audio] = ts + dur;
		if (audio) {
			assert_int_equal(avcodec_send_packet(dec, pkt), 0);
			while (avcodec_receive_frame(dec, fr) == 0)
				a->decoded++;
		}
		av_packet_unref(pkt);
	}
	v->duration = (double)(end[0] - start[0]) / 1e6;
	a->duration = a->packets ? (double)(end[1] - start[1]) / 1e6 : 0;
	avcodec_free_context(&dec);
	av_frame_free(&fr);
	av_packet_free(&pkt);
	avformat_close_input(&ic);
}

static void write_all(struct mux *m, struct seen *s)
{
	char err[200];

	for (unsigned i = 0; i < s->n; i++) {
		assert_int_equal(mux_write(m, &s->au[i], err, sizeof(err)), 0);
		av_buffer_unref(&s->au[i].buf);
	}
	s->n = 0;
}

/* Everything in a fresh tap, replayed from its pre-roll (as the recorder gets it). */
static struct tap *stream(struct seen *s, struct tap_params *p, int with_audio, unsigned *n_audio)
{
	struct tap *t;

	assert_int_equal(tap_new(&t, 10000000, 8 << 20), 0);
	*n_audio = tu_av_camera(tap_feed, t, SECS, FPS, with_audio);
	assert_int_equal(tap_get_params(t, p), 0);
	s->n = 0;
	assert_int_equal(tap_subscribe(t, keep, s, TAP_PREROLL), 0);
	tap_unsubscribe(t, keep, s);
	return t;
}

/* The AUs into a new MP4 file, read back; *early = its size right after opening. */
static void via_mp4(struct seen *s, const struct tap_params *p, struct track *v, struct track *a,
		    off_t *early)
{
	char path[] = "/tmp/cb-mux-test.XXXXXX", err[200];
	struct stat sb;
	struct mux *m;
	int fd;

	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(mux_open_mp4(&m, path, p, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &sb), 0);
	*early = sb.st_size;
	write_all(m, s);
	assert_int_equal(mux_close(m, err, sizeof(err)), 0);
	read_back(path, v, a);
	unlink(path);
}

static void test_mp4_with_audio(void **state)
{
	static struct seen s;
	struct tap_params p;
	struct track v, a;
	unsigned n_audio, in_ring = 0;
	struct tap *t;
	off_t early;

	(void)state;
	t = stream(&s, &p, 1, &n_audio);
	assert_true(p.audio_wait);
	assert_true(n_audio >= SECS * SIM_AAC_RATE / SIM_AAC_FRAME - 3);
	for (unsigned i = 0; i < s.n; i++)
		in_ring += s.au[i].codec == AU_AAC;
	assert_true(s.au[0].keyframe);
	assert_int_equal(in_ring, n_audio);   /* the pre-roll keeps the sound too */
	via_mp4(&s, &p, &v, &a, &early);
	assert_true(v.present);
	assert_int_equal(v.codec, AV_CODEC_ID_H264);
	assert_int_equal(v.packets, SECS * FPS);
	assert_true(a.present);
	assert_int_equal(a.codec, AV_CODEC_ID_AAC);
	assert_int_equal(a.sample_rate, SIM_AAC_RATE);
	assert_int_equal(a.channels, 1);
	assert_int_equal(a.packets, n_audio);
	assert_int_equal(a.decoded, n_audio);   /* every frame is real AAC to the decoder */
	assert_true(a.duration > v.duration - 0.2 && a.duration < v.duration + 0.2);
	tap_free(t);
}

/* A hostile camera's "AAC": frames that are not ADTS, that lie about their length, or that
 * belong to another stream (another rate) are left out, even as the first frame; the rest
 * of the sound and all the pictures are written. */
static void test_mp4_bad_audio_left_out(void **state)
{
	static struct seen s;
	struct tap_params p;
	struct track v, a;
	unsigned n_audio, k = 0, bad = 0;
	struct tap *t;
	off_t early;

	(void)state;
	t = stream(&s, &p, 1, &n_audio);
	for (unsigned i = 0; i < s.n; i++) {
		uint8_t *d = s.au[i].buf->data;

		if (s.au[i].codec != AU_AAC || k++ % 4)
			continue;
		switch (bad++ % 3) {
		case 0: memset(d, 0x5a, s.au[i].len); break;            /* garbage */
		case 1: s.au[i].len--; break;                           /* length lies */
		case 2: d[2] = (uint8_t)((d[2] & ~0x3c) | (3 << 2)); break;   /* 48 kHz */
		}
	}
	via_mp4(&s, &p, &v, &a, &early);
	assert_int_equal(v.packets, SECS * FPS);
	assert_true(a.present);
	assert_int_equal(a.sample_rate, SIM_AAC_RATE);
	assert_int_equal(a.packets, n_audio - bad);
	assert_int_equal(a.decoded, a.packets);
	tap_free(t);
}

struct membuf {
	uint8_t *data;
	size_t len;
};

static int to_mem(void *ctx, const uint8_t *buf, size_t len)
{
	struct membuf *b = ctx;

	assert_int_equal(len % 188, 0);
	b->data = realloc(b->data, b->len + len);
	assert_non_null(b->data);
	memcpy(b->data + b->len, buf, len);
	b->len += len;
	return 0;
}

static void test_ts_with_audio(void **state)
{
	static struct seen s;
	char path[] = "/tmp/cb-mux-test.XXXXXX", err[200];
	struct membuf b = { 0 };
	struct tap_params p;
	struct track v, a;
	struct mux *m;
	unsigned n_audio;
	struct tap *t;
	FILE *f;
	int fd;

	(void)state;
	t = stream(&s, &p, 1, &n_audio);
	assert_int_equal(mux_open_ts(&m, to_mem, &b, &p, err, sizeof(err)), 0);
	write_all(m, &s);
	assert_int_equal(mux_flush(m), 0);
	assert_int_equal(mux_close(m, err, sizeof(err)), 0);
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
	fclose(f);
	read_back(path, &v, &a);
	assert_int_equal(v.packets, SECS * FPS);
	assert_true(a.present);
	assert_int_equal(a.codec, AV_CODEC_ID_AAC);
	assert_int_equal(a.sample_rate, SIM_AAC_RATE);
	assert_int_equal(a.decoded, n_audio);
	assert_true(a.duration > v.duration - 0.2 && a.duration < v.duration + 0.2);
	unlink(path);
	free(b.data);
	tap_free(t);
}

/* A camera without audio: known after TAP_NO_AUDIO_US of video; its muxer then writes the
 * header at once (as before audio existed) and has one track.  One that waits for audio in
 * vain (as at the start of a first session, before the tap knows) gives up after a second
 * of video and writes every picture it held, in order. */
static void test_video_only(void **state)
{
	static struct seen s;
	struct tap_params p;
	struct track v, a;
	unsigned n_audio;
	struct tap *t;
	off_t early;

	(void)state;
	for (int wait = 0; wait < 2; wait++) {
		t = stream(&s, &p, 0, &n_audio);
		assert_false(p.audio_wait);
		p.audio_wait = wait;
		via_mp4(&s, &p, &v, &a, &early);
		if (!wait)
			assert_true(early > 0);   /* the header is there before the first picture */
		assert_int_equal(v.packets, SECS * FPS);
		assert_false(a.present);
		tap_free(t);
	}
}

/* The pre-roll ring keeps audio beside the video: audio before the first keyframe is not
 * kept, and an AAC frame never empties the ring nor starts it. */
static void test_ring_with_audio(void **state)
{
	static const uint8_t adts_hdr[7] = { 0xff, 0xf1, 0x60, 0x40, 0x01, 0x3f, 0xfc };
	static struct seen s;
	struct tap_params p;
	struct adts_info ai;
	uint8_t frame[9], key[] = { 0, 0, 0, 1, 0x65, 0x88 }, pf[] = { 0, 0, 0, 1, 0x41, 0x9a };
	uint64_t now = clock_mono_us();
	struct tap *t;

	(void)state;
	memcpy(frame, adts_hdr, sizeof(adts_hdr));
	frame[7] = frame[8] = 0x21;
	assert_int_equal(adts_parse(frame, sizeof(frame), &ai), 0);
	assert_int_equal(ai.sample_rate, 16000);
	assert_int_equal(ai.channels, 1);
	assert_int_equal(ai.samples, 1024);
	assert_int_equal(adts_parse(frame, sizeof(frame) - 1, &ai), -EBADMSG);   /* length */
	assert_int_equal(adts_parse(key, sizeof(key), &ai), -EBADMSG);
	assert_int_equal(tap_new(&t, 10000000, 1 << 20), 0);
	struct au a = { .data = frame, .len = sizeof(frame), .codec = AU_AAC, .recv_us = now,
			.gap = 1 };
	struct au k = { .data = key, .len = sizeof(key), .codec = AU_H264, .keyframe = 1,
			.recv_us = now + 200 };
	struct au v = { .data = pf, .len = sizeof(pf), .codec = AU_H264, .recv_us = now + 400 };
	tap_feed(t, &a);   /* before any keyframe: not kept */
	tap_feed(t, &k);
	a.recv_us = now + 300;
	tap_feed(t, &a);   /* its gap flag must not empty the ring */
	tap_feed(t, &v);
	assert_int_equal(tap_subscribe(t, keep, &s, TAP_PREROLL), 0);
	tap_unsubscribe(t, keep, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.au[0].codec, AU_H264);
	assert_int_equal(s.au[1].codec, AU_AAC);
	assert_int_equal(s.au[2].codec, AU_H264);
	for (unsigned i = 0; i < s.n; i++)
		av_buffer_unref(&s.au[i].buf);
	s.n = 0;
	assert_int_equal(tap_get_params(t, &p), -EAGAIN);   /* no parameter sets: no params */
	tap_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mp4_with_audio),
		cmocka_unit_test(test_ts_with_audio),
		cmocka_unit_test(test_mp4_bad_audio_left_out),
		cmocka_unit_test(test_video_only),
		cmocka_unit_test(test_ring_with_audio),
	};

	av_log_set_level(AV_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
