#include "record/mux.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavcodec/bsf.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>

#include "media/adts.h"

#define MUX_TB_DEN   90000
#define TS_CHUNK     (7 * 188)   /* one UDP datagram of TS packets */
/* A muxer for a camera that may send audio holds its first AUs (up to this much stream time
 * or MUX_HOLD_AUS) until the first AAC frame, so that its header declares both tracks. */
#define MUX_AUDIO_WAIT_US 1000000u
#define MUX_HOLD_AUS      128
/* Audio timestamps count samples (the sound stays continuous); the receive times, which come
 * in bursts, re-anchor them only once the count fell this far behind (a loss, a pause). */
#define MUX_AUDIO_RESYNC_US 500000u

struct mux {
	AVFormatContext *oc;
	AVPacket *pkt;
	int ts;                     /* MPEG-TS into a callback */
	mux_write_fn fn;
	void *ctx;
	int cb_err;
	int header_done;
	struct rec_au hold[MUX_HOLD_AUS];   /* before the header: AUs waiting for the audio */
	unsigned nhold;
	uint64_t t0_us, last_us;
	int64_t last_dts;           /* video, in 1/MUX_TB_DEN */
	uint64_t packets, vpackets; /* AUs written: both tracks, video */
	/* the audio track (aidx -1: none) */
	int aidx;
	struct adts_info ainfo;
	AVBSFContext *absf;         /* MP4: ADTS frames to raw AAC (aac_adtstoasc) */
	int64_t a_next;             /* the next frame's timestamp, in samples */
	uint64_t apackets, adropped;
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
	while (m->nhold)
		av_buffer_unref(&m->hold[--m->nhold].buf);
	av_bsf_free(&m->absf);
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
	m->aidx = -1;
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

/* The header, then what was held for the audio.  MP4: opts are the movflags. */
static int write_au(struct mux *m, const struct rec_au *au, char *err, size_t n);

static int write_header(struct mux *m, char *err, size_t n)
{
	AVDictionary *opts = NULL;
	unsigned i;
	int r;

	/* Each fragment is complete on disk once written: a crash loses at most the last GOP. */
	if (!m->ts)
		av_dict_set(&opts, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0);
	r = avformat_write_header(m->oc, &opts);
	av_dict_free(&opts);
	if (r < 0) {
		m->failed = 1;
		return averr(r, "writing the header", err, n);
	}
	m->header_done = 1;
	if (!m->ts) {
		avio_flush(m->oc->pb);
		m->good_bytes = avio_tell(m->oc->pb);
	}
	for (i = 0, r = 0; i < m->nhold && r >= 0; i++)
		r = write_au(m, &m->hold[i], err, n);
	while (m->nhold)
		av_buffer_unref(&m->hold[--m->nhold].buf);
	return r;
}

int mux_open_mp4(struct mux **out, const char *path, const struct tap_params *p,
		 char *err, size_t n)
{
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
	m->oc->flush_packets = 1;
	if (!(m->path = strdup(path))) {
		mux_close(m, NULL, 0);
		return -ENOMEM;
	}
	if (!p->audio_wait && (r = write_header(m, err, n)) < 0) {
		mux_close(m, NULL, 0);
		return r;
	}
	*out = m;
	return 0;
}

int mux_open_ts(struct mux **out, mux_write_fn fn, void *ctx, const struct tap_params *p,
		char *err, size_t n)
{
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
	if (!p->audio_wait && (r = write_header(m, err, n)) < 0) {
		mux_free(m);
		return r;
	}
	*out = m;
	return 0;
}

/* The audio track, described by the camera's first AAC frame.  MP4 wants raw AAC frames
 * and the AudioSpecificConfig (aac_adtstoasc makes both); MPEG-TS carries ADTS as it is.
 * Whatever can fail comes before the stream is added: a refused frame leaves no trace. */
static int add_audio(struct mux *m, const struct rec_au *au)
{
	uint8_t asc[ADTS_MAX_ASC], *ed = NULL;
	struct adts_info ai;
	AVCodecParameters *par;
	AVStream *st;
	int r, asc_len = 0;

	if ((r = adts_parse(au->buf->data, au->len, &ai)) < 0)
		return r;
	if (!m->ts) {
		if ((asc_len = adts_asc(au->buf->data, au->len, asc, sizeof(asc))) < 0)
			return asc_len;
		if (!(ed = av_mallocz((size_t)asc_len + AV_INPUT_BUFFER_PADDING_SIZE)))
			return -ENOMEM;
		memcpy(ed, asc, (size_t)asc_len);
		if (av_bsf_alloc(av_bsf_get_by_name("aac_adtstoasc"), &m->absf) < 0) {
			av_free(ed);
			return -ENOSYS;
		}
		m->absf->par_in->codec_type = AVMEDIA_TYPE_AUDIO;
		m->absf->par_in->codec_id = AV_CODEC_ID_AAC;
		if (av_bsf_init(m->absf) < 0) {
			av_bsf_free(&m->absf);
			av_free(ed);
			return -ENOSYS;
		}
	}
	if (!(st = avformat_new_stream(m->oc, NULL))) {
		av_bsf_free(&m->absf);
		av_free(ed);
		return -ENOMEM;
	}
	st->time_base = (AVRational){ 1, ai.sample_rate };
	par = st->codecpar;
	par->codec_type = AVMEDIA_TYPE_AUDIO;
	par->codec_id = AV_CODEC_ID_AAC;
	par->sample_rate = ai.sample_rate;
	par->frame_size = (int)ai.samples;
	av_channel_layout_default(&par->ch_layout, ai.channels);
	par->extradata = ed;
	par->extradata_size = asc_len;
	m->aidx = st->index;   /* from here on the track is in the header */
	m->ainfo = ai;
	return 0;
}

/* av_write_frame on m->pkt (then emptied); the bookkeeping both tracks share. */
static int send_pkt(struct mux *m, const struct rec_au *au, char *err, size_t n)
{
	int r = av_write_frame(m->oc, m->pkt);

	av_packet_unref(m->pkt);
	if (r >= 0 && m->oc->pb->error < 0)
		r = m->oc->pb->error;
	if (r < 0) {
		m->failed = 1;
		return averr(m->cb_err ? m->cb_err : r, "writing", err, n);
	}
	if (au->t_us > m->last_us)
		m->last_us = au->t_us;
	m->packets++;
	return 0;
}

static int write_audio(struct mux *m, const struct rec_au *au, char *err, size_t n)
{
	const int64_t rate = m->ainfo.sample_rate;
	struct adts_info ai;
	int64_t recv;

	if (m->aidx < 0 || !m->vpackets)
		return 0;   /* no audio track, or before the first keyframe */
	if (adts_parse(au->buf->data, au->len, &ai) < 0 || !adts_same_stream(&ai, &m->ainfo)) {
		m->adropped++;   /* not this track's stream: left out, the video goes on */
		return 0;
	}
	recv = au->t_us > m->t0_us ? (int64_t)((au->t_us - m->t0_us) * (uint64_t)rate / 1000000u) : 0;
	if (!m->apackets || recv - m->a_next > rate * (int64_t)MUX_AUDIO_RESYNC_US / 1000000)
		m->a_next = !m->apackets || recv > m->a_next ? recv : m->a_next;
	if (!(m->pkt->buf = av_buffer_ref(au->buf)))
		return -ENOMEM;
	m->pkt->data = au->buf->data;
	m->pkt->size = (int)au->len;
	m->pkt->pts = m->pkt->dts = av_rescale_q(m->a_next, (AVRational){ 1, (int)rate },
						  m->oc->streams[m->aidx]->time_base);
	m->pkt->duration = av_rescale_q(ai.samples, (AVRational){ 1, (int)rate },
					m->oc->streams[m->aidx]->time_base);
	m->pkt->flags = AV_PKT_FLAG_KEY;
	m->a_next += ai.samples;
	if (m->absf && (av_bsf_send_packet(m->absf, m->pkt) < 0 ||
			av_bsf_receive_packet(m->absf, m->pkt) < 0)) {
		av_packet_unref(m->pkt);
		m->adropped++;   /* a frame the filter refuses: left out */
		return 0;
	}
	m->pkt->stream_index = m->aidx;
	m->apackets++;
	return send_pkt(m, au, err, n);
}

static int write_video(struct mux *m, const struct rec_au *au, char *err, size_t n)
{
	int64_t dts;
	int r;

	if (!m->vpackets) {
		if (!au->keyframe)
			return 0;   /* a stream starts at a keyframe */
		m->t0_us = au->t_us;
	}
	/* Receive times: strictly increasing, as both containers want. */
	dts = au->t_us > m->t0_us ? (int64_t)((au->t_us - m->t0_us) * MUX_TB_DEN / 1000000u) : 0;
	if (m->vpackets && dts <= m->last_dts)
		dts = m->last_dts + 1;
	m->pkt->buf = av_buffer_ref(au->buf);
	if (!m->pkt->buf)
		return -ENOMEM;
	m->pkt->data = au->buf->data;
	m->pkt->size = (int)au->len;
	m->pkt->pts = m->pkt->dts = dts;
	/* Not known until the next AU: the previous interval is the best guess (the MP4
	 * muxer needs one for the last sample of a fragment). */
	m->pkt->duration = m->vpackets ? dts - m->last_dts : 0;
	m->pkt->flags = au->keyframe ? AV_PKT_FLAG_KEY : 0;
	m->pkt->stream_index = 0;
	if ((r = send_pkt(m, au, err, n)) < 0)
		return r;
	/* A keyframe pushed the previous fragment out whole (flush_packets): a safe end. */
	if (!m->ts && au->keyframe)
		m->good_bytes = avio_tell(m->oc->pb);
	m->last_dts = dts;
	m->vpackets++;
	return 0;
}

static int write_au(struct mux *m, const struct rec_au *au, char *err, size_t n)
{
	return au_is_video(au->codec) ? write_video(m, au, err, n) : write_audio(m, au, err, n);
}

/* Before the header: video is held (from a keyframe on) until the first AAC frame declares
 * the audio track, or until waiting any longer would hold the picture back too much. */
static int hold(struct mux *m, const struct rec_au *au, char *err, size_t n)
{
	struct rec_au *h = &m->hold[m->nhold];
	int r;

	if (!au_is_video(au->codec)) {
		if (!m->nhold || add_audio(m, au) < 0)
			return 0;   /* before the first keyframe, or not AAC we can carry */
		if ((r = write_header(m, err, n)) < 0)
			return r;
		return write_au(m, au, err, n);
	}
	if (!m->nhold && !au->keyframe)
		return 0;
	*h = *au;
	if (!(h->buf = av_buffer_ref(au->buf)))
		return -ENOMEM;
	m->nhold++;
	if (m->nhold == MUX_HOLD_AUS || au->t_us >= m->hold[0].t_us + MUX_AUDIO_WAIT_US)
		return write_header(m, err, n);   /* video only, then */
	return 0;
}

int mux_write(struct mux *m, const struct rec_au *au, char *err, size_t n)
{
	if (m->failed) {
		snprintf(err, n, "an earlier write failed");
		return -EIO;
	}
	if (!m->header_done)
		return hold(m, au, err, n);
	return write_au(m, au, err, n);
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
	if (!m->header_done && !m->failed && m->nhold)
		r = write_header(m, err, n);   /* a clip shorter than the wait for audio */
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
