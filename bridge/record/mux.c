#include "record/mux.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>

#define MUX_TB_DEN   90000
#define TS_CHUNK     (7 * 188)   /* one UDP datagram of TS packets */

struct mux {
	AVFormatContext *oc;
	AVPacket *pkt;
	int ts;                     /* MPEG-TS into a callback */
	mux_write_fn fn;
	void *ctx;
	int cb_err;
	int header_done;
	uint64_t t0_us, last_us;
	int64_t last_dts;
	uint64_t packets;
	int failed;                 /* a write failed: no trailer, cut back to good_bytes */
	int64_t good_bytes;         /* MP4: file size at the end of the last whole fragment */
	char *path;
};

static int averr(int r, const char *what, char *err, size_t n)
{
	char buf[AV_ERROR_MAX_STRING_SIZE];

	av_strerror(r, buf, sizeof(buf));
	if (err && n)
		snprintf(err, n, "%s: %s", what, buf);
	return r == AVERROR(ENOMEM) ? -ENOMEM : r < 0 && r > -4096 ? r : -EIO;
}

static int write_cb(void *opaque, uint8_t *buf, int len)
{
	struct mux *m = opaque;
	int r;

	if (m->cb_err)
		return m->cb_err;
	r = m->fn(m->ctx, buf, (size_t)len);
	if (r < 0) {
		m->cb_err = AVERROR(-r);
		return m->cb_err;
	}
	return len;
}

static int add_stream(struct mux *m, const struct tap_params *p, char *err, size_t n)
{
	AVStream *st = avformat_new_stream(m->oc, NULL);

	if (!st)
		return averr(AVERROR(ENOMEM), "new stream", err, n);
	st->time_base = (AVRational){ 1, MUX_TB_DEN };
	st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
	st->codecpar->codec_id = p->codec == AU_H265 ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264;
	st->codecpar->width = p->width;
	st->codecpar->height = p->height;
	if (p->codec == AU_H265)
		st->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1');   /* what Apple/browsers play */
	if (p->extradata_len) {
		st->codecpar->extradata = av_mallocz(p->extradata_len + AV_INPUT_BUFFER_PADDING_SIZE);
		if (!st->codecpar->extradata)
			return averr(AVERROR(ENOMEM), "extradata", err, n);
		memcpy(st->codecpar->extradata, p->extradata, p->extradata_len);
		st->codecpar->extradata_size = (int)p->extradata_len;
	}
	return 0;
}

static void mux_free(struct mux *m)
{
	if (!m)
		return;
	if (m->oc) {
		if (m->ts) {
			if (m->oc->pb)
				av_freep(&m->oc->pb->buffer);
			avio_context_free(&m->oc->pb);
		} else if (m->oc->pb) {
			avio_closep(&m->oc->pb);
		}
		avformat_free_context(m->oc);
	}
	av_packet_free(&m->pkt);
	free(m->path);
	free(m);
}

static int open_common(struct mux **out, const char *fmt, const struct tap_params *p,
		       char *err, size_t n)
{
	struct mux *m = calloc(1, sizeof(*m));
	int r;

	*out = NULL;
	if (!m || !(m->pkt = av_packet_alloc())) {
		free(m);
		return -ENOMEM;
	}
	if (!p->codec) {
		snprintf(err, n, "no keyframe seen yet");
		mux_free(m);
		return -EAGAIN;
	}
	r = avformat_alloc_output_context2(&m->oc, NULL, fmt, NULL);
	if (r < 0 || (r = add_stream(m, p, err, n)) < 0) {
		r = r < 0 && !err[0] ? averr(r, "output", err, n) : r;
		mux_free(m);
		return r;
	}
	*out = m;
	return 0;
}

static int write_header(struct mux *m, AVDictionary **opts, char *err, size_t n)
{
	int r = avformat_write_header(m->oc, opts);

	av_dict_free(opts);
	if (r < 0)
		return averr(r, "writing the header", err, n);
	m->header_done = 1;
	return 0;
}

int mux_open_mp4(struct mux **out, const char *path, const struct tap_params *p,
		 char *err, size_t n)
{
	AVDictionary *opts = NULL;
	struct mux *m;
	int r;

	err[0] = 0;
	if ((r = open_common(&m, "mp4", p, err, n)) < 0)
		return r;
	r = avio_open2(&m->oc->pb, path, AVIO_FLAG_WRITE, NULL, NULL);
	if (r < 0) {
		r = averr(r, path, err, n);
		mux_free(m);
		return r;
	}
	/* Each fragment is complete on disk once written: a crash loses at most the last GOP. */
	av_dict_set(&opts, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0);
	m->oc->flush_packets = 1;
	if ((r = write_header(m, &opts, err, n)) < 0) {
		mux_free(m);
		return r;
	}
	avio_flush(m->oc->pb);
	m->good_bytes = avio_tell(m->oc->pb);
	if (!(m->path = strdup(path))) {
		mux_close(m, NULL, 0);
		return -ENOMEM;
	}
	*out = m;
	return 0;
}

int mux_open_ts(struct mux **out, mux_write_fn fn, void *ctx, const struct tap_params *p,
		char *err, size_t n)
{
	AVDictionary *opts = NULL;
	uint8_t *buf;
	struct mux *m;
	int r;

	err[0] = 0;
	if ((r = open_common(&m, "mpegts", p, err, n)) < 0)
		return r;
	m->ts = 1;
	m->fn = fn;
	m->ctx = ctx;
	buf = av_malloc(TS_CHUNK);
	if (!buf || !(m->oc->pb = avio_alloc_context(buf, TS_CHUNK, 1, m, NULL, write_cb, NULL))) {
		av_free(buf);
		mux_free(m);
		return -ENOMEM;
	}
	m->oc->pb->seekable = 0;
	if ((r = write_header(m, &opts, err, n)) < 0) {
		mux_free(m);
		return r;
	}
	*out = m;
	return 0;
}

int mux_write(struct mux *m, const struct rec_au *au, char *err, size_t n)
{
	int64_t dts;
	int r;

	if (!m->packets) {
		if (!au->keyframe)
			return 0;   /* a stream starts at a keyframe */
		m->t0_us = au->t_us;
	}
	/* Receive times: strictly increasing, as both containers want. */
	dts = au->t_us > m->t0_us ? (int64_t)((au->t_us - m->t0_us) * MUX_TB_DEN / 1000000u) : 0;
	if (m->packets && dts <= m->last_dts)
		dts = m->last_dts + 1;
	m->pkt->buf = av_buffer_ref(au->buf);
	if (!m->pkt->buf)
		return -ENOMEM;
	m->pkt->data = au->buf->data;
	m->pkt->size = (int)au->len;
	m->pkt->pts = m->pkt->dts = dts;
	/* Not known until the next AU: the previous interval is the best guess (the MP4
	 * muxer needs one for the last sample of a fragment). */
	m->pkt->duration = m->packets ? dts - m->last_dts : 0;
	m->pkt->flags = au->keyframe ? AV_PKT_FLAG_KEY : 0;
	m->pkt->stream_index = 0;
	r = av_write_frame(m->oc, m->pkt);
	av_packet_unref(m->pkt);
	if (r >= 0 && m->oc->pb->error < 0)
		r = m->oc->pb->error;
	if (r < 0) {
		m->failed = 1;
		return averr(m->cb_err ? m->cb_err : r, "writing", err, n);
	}
	/* A keyframe pushed the previous fragment out whole (flush_packets): a safe end. */
	if (!m->ts && au->keyframe)
		m->good_bytes = avio_tell(m->oc->pb);
	m->last_dts = dts;
	if (au->t_us > m->last_us)
		m->last_us = au->t_us;
	m->packets++;
	return 0;
}

int mux_flush(struct mux *m)
{
	avio_flush(m->oc->pb);
	if (m->cb_err)
		return -EPIPE;
	return m->oc->pb->error < 0 ? averr(m->oc->pb->error, "", NULL, 0) : 0;
}

int mux_close(struct mux *m, char *err, size_t n)
{
	int r = 0;

	if (!m)
		return 0;
	if (err && n)
		err[0] = 0;
	if (m->header_done && !m->failed) {
		r = av_write_trailer(m->oc);
		r = r < 0 ? averr(r, "writing the trailer", err, n) : 0;
		if (r < 0)
			m->failed = 1;
	}
	if (!m->ts && m->oc->pb) {
		int c = avio_closep(&m->oc->pb);

		if (c < 0 && !r)
			r = averr(c, "closing", err, n);
		/* Disk full or the like: end the file after its last whole fragment, so it still
		 * plays to the end (the part of a fragment written before the error would not). */
		if ((m->failed || c < 0) && m->path && m->good_bytes > 0)
			(void)truncate(m->path, m->good_bytes);
	}
	mux_free(m);
	return r;
}

double mux_duration(const struct mux *m)
{
	return m->packets > 1 ? (double)(m->last_us - m->t0_us) / 1e6 : 0;
}

uint64_t mux_packets(const struct mux *m)
{
	return m->packets;
}
