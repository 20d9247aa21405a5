/* Any source libavformat opens: rtsp://, udp:// MPEG-TS, http://, a file.  Low delay for live
 * sources: small probe, no input buffering, and packets go out as soon as they are read.  A
 * local file is paced at its own rate (src_fpace) and looped, so it behaves like a live camera. */
#include "source/src_impl.h"
#include "source/src_aac.h"
#include "source/src_fpace.h"
#include "util/clock.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>

struct av_sess {
	struct src *s;
	uint64_t deadline_us;   /* interrupt blocking I/O after this (0 = none) */
	int timed_out;          /* the deadline, not a stop, interrupted libavformat */
};

static int interrupt_cb(void *opaque)
{
	struct av_sess *a = opaque;

	if (!src_should_run(a->s))
		return 1;
	if (a->deadline_us && clock_mono_us() > a->deadline_us) {
		a->timed_out = 1;
		return 1;
	}
	return 0;
}

static int is_local_file(const char *url)
{
	return !strstr(url, "://") || !strncmp(url, "file:", 5);
}

/* libavformat's error as a negative errno; 0 only for a stop that was asked for. */
static int averr(const struct av_sess *a, int r)
{
	if (a->timed_out)
		return -ETIMEDOUT;   /* whatever libavformat made of the interrupt */
	if (r == AVERROR_EOF)
		return -ENODATA;
	if (r == AVERROR_EXIT)
		return src_should_run(a->s) ? -EINTR : 0;
	if (r == AVERROR(EACCES) || r == AVERROR_HTTP_UNAUTHORIZED || r == AVERROR_HTTP_FORBIDDEN)
		return -EACCES;
	return r < 0 && r > -4096 ? r : -EIO;
}

/* MP4/MKV store H.264/H.265 as length-prefixed NAL units with the parameter sets in avcC/hvcC
 * extradata: FFmpeg's *_mp4toannexb filters turn that into the Annex-B the decoder is fed. */
static int open_bsf(const AVStream *st, AVBSFContext **out)
{
	const char *name = st->codecpar->codec_id == AV_CODEC_ID_HEVC ? "hevc_mp4toannexb" : "h264_mp4toannexb";
	const AVBitStreamFilter *f;
	AVBSFContext *b;
	int r;

	*out = NULL;
	/* Annex-B streams (RTSP, MPEG-TS, raw files) have no avcC/hvcC extradata. */
	if (st->codecpar->extradata_size < 1 || st->codecpar->extradata[0] != 1)
		return 0;
	f = av_bsf_get_by_name(name);
	if (!f)
		return -ENOSYS;
	if ((r = av_bsf_alloc(f, &b)) < 0)
		return r;
	if ((r = avcodec_parameters_copy(b->par_in, st->codecpar)) < 0 || (b->time_base_in = st->time_base,
	    (r = av_bsf_init(b)) < 0)) {
		av_bsf_free(&b);
		return r;
	}
	*out = b;
	return 0;
}

static void push_packet(struct src *s, const AVPacket *pkt, enum au_codec codec)
{
	struct au au = {
		.data = pkt->data, .len = (size_t)pkt->size, .codec = codec,
		.keyframe = !!(pkt->flags & AV_PKT_FLAG_KEY), .recv_us = clock_mono_us(),
	};

	if (pkt->size <= 0)
		return;
	if ((size_t)pkt->size > s->o.max_frame_bytes) {
		auq_mark_gap(s->q);
		return;
	}
	STATUS_UPDATE(s->st, cs->frames_in++; cs->bytes_in += (uint64_t)pkt->size;);
	(void)auq_push(s->q, &au);   /* too big: dropped and marked as a gap */
}

/* The stream's AAC beside the video, as ADTS frames (the recording side takes them; the
 * decoder skips them).  Not paced: a file's sound goes as soon as it is read. */
static void push_audio(struct src *s, struct src_aac *aac, const AVPacket *pkt)
{
	struct au au = { .codec = AU_AAC, .recv_us = clock_mono_us() };

	if (src_aac_frame(aac, pkt, &au.data, &au.len) <= 0)
		return;
	STATUS_UPDATE(s->st, cs->audio_frames_in++;);
	(void)auq_push(s->q, &au);
}

/* The AAC stream to pass on beside the video (-1: none), with its converter. */
static int find_audio(AVFormatContext *fc, int vi, struct src_aac **aac)
{
	int ai = av_find_best_stream(fc, AVMEDIA_TYPE_AUDIO, -1, vi, NULL, 0);

	*aac = NULL;
	if (ai < 0 || src_aac_open(aac, fc->streams[ai]->codecpar) < 0)
		return -1;   /* no sound, or not AAC: the video alone, as before */
	return ai;
}

static AVFormatContext *open_input(struct src *s, struct av_sess *a, int local, int *err)
{
	AVFormatContext *fc = avformat_alloc_context();
	AVDictionary *opt = NULL;
	char fps[16];

	if (!fc) {
		*err = -ENOMEM;
		return NULL;
	}
	fc->interrupt_callback.callback = interrupt_cb;
	fc->interrupt_callback.opaque = a;
	av_dict_set(&opt, "probesize", "1000000", 0);
	av_dict_set(&opt, "analyzeduration", "1000000", 0);
	if (local) {
		/* Raw .h264/.h265 without timing in the SPS: play at the configured rate.  No
		 * "nobuffer" for files: it throws away the packets read while probing — with an
		 * MP4 that is the first keyframe, and nothing shows until the next one. */
		snprintf(fps, sizeof(fps), "%d", s->o.file_fps > 0 ? s->o.file_fps : 15);
		av_dict_set(&opt, "framerate", fps, 0);
	} else {
		fc->flags |= AVFMT_FLAG_NOBUFFER;
		av_dict_set(&opt, "fflags", "nobuffer", 0);
	}
	if (!strncmp(s->o.url, "rtsp", 4)) {
		av_dict_set(&opt, "rtsp_transport", s->o.rtsp_tcp ? "tcp" : "udp", 0);
		if (s->o.rtsp_listen)
			av_dict_set(&opt, "rtsp_flags", "listen", 0);
	}
	if (!strncmp(s->o.url, "udp:", 4)) {
		av_dict_set(&opt, "fifo_size", "0", 0);
		av_dict_set(&opt, "overrun_nonfatal", "1", 0);
	}
	/* A listening RTSP server waits as long as it takes for the camera to push. */
	a->deadline_us = s->o.rtsp_listen ? 0 : clock_mono_us() + (uint64_t)s->o.connect_timeout_ms * 1000;
	*err = avformat_open_input(&fc, s->o.url, NULL, &opt);   /* frees fc on failure */
	av_dict_free(&opt);
	if (*err < 0) {
		*err = averr(a, *err);
		return NULL;
	}
	if ((*err = avformat_find_stream_info(fc, NULL)) < 0) {
		*err = averr(a, *err);
		avformat_close_input(&fc);
		return NULL;
	}
	return fc;
}

/* The stream's frame rate, or the configured one. */
static double stream_fps(const AVStream *st, int fallback)
{
	AVRational r = st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0 ? st->avg_frame_rate :
		       st->r_frame_rate;

	if (r.num > 0 && r.den > 0)
		return av_q2d(r);
	return fallback > 0 ? fallback : 15;
}

/* Waits until the packet is due; 0 = go on, 1 = stop asked while waiting. */
static int pace(struct src *s, struct src_fpace *fp, const AVPacket *pkt, AVRational tb)
{
	int64_t ts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
	uint64_t due, now = clock_mono_us();

	ts = ts == AV_NOPTS_VALUE ? SRC_FPACE_NO_TS : av_rescale_q(ts, tb, AV_TIME_BASE_Q);
	due = src_fpace_next(fp, ts, pkt->duration > 0 ? av_rescale_q(pkt->duration, tb, AV_TIME_BASE_Q) : 0,
			     now);
	while (due > now) {
		if (!src_wait(s, (unsigned)((due - now + 999) / 1000)))
			return 1;
		now = clock_mono_us();
	}
	return 0;
}

/* End of a local file: start it again.  0, or a negative errno when looping cannot work
 * (nothing in it, not seekable): the session then backs off instead of spinning. */
static int rewind_file(AVFormatContext *fc, AVBSFContext *bsf, struct src_fpace *fp, unsigned packets)
{
	int64_t start = fc->start_time != AV_NOPTS_VALUE ? fc->start_time : 0;

	if (!packets)
		return -ENODATA;
	/* By time where the file has an index; raw .h264/.h265 have none: by byte. */
	if (avformat_seek_file(fc, -1, INT64_MIN, start, start, 0) < 0 &&
	    avformat_seek_file(fc, -1, INT64_MIN, start, INT64_MAX, 0) < 0 &&
	    avformat_seek_file(fc, -1, 0, 0, 0, AVSEEK_FLAG_BYTE) < 0)
		return -ESPIPE;
	if (bsf)
		av_bsf_flush(bsf);
	src_fpace_restart(fp);
	return 0;
}

int src_av_run(struct src *s)
{
	struct av_sess a = { .s = s };
	AVFormatContext *fc = NULL;
	AVBSFContext *bsf = NULL;
	AVPacket *pkt = av_packet_alloc(), *out = av_packet_alloc();
	const int local = is_local_file(s->o.url);
	struct src_fpace fp;
	enum au_codec codec;
	unsigned packets = 0;   /* video packets since the file (re)started */
	AVStream *st;
	struct src_aac *aac = NULL;
	int vi, ai, r;

	if (!pkt || !out) {
		r = -ENOMEM;
		goto end;
	}
	if (!(fc = open_input(s, &a, local, &r)))
		goto end;
	vi = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	if (vi < 0) {
		r = -ENOMSG;   /* no video stream */
		goto end;
	}
	st = fc->streams[vi];
	switch (st->codecpar->codec_id) {
	case AV_CODEC_ID_H264: codec = AU_H264; break;
	case AV_CODEC_ID_HEVC: codec = AU_H265; break;
	default:
		r = -EPROTONOSUPPORT;   /* only H.264 / H.265 */
		goto end;
	}
	ai = find_audio(fc, vi, &aac);
	for (unsigned i = 0; i < fc->nb_streams; i++)
		if ((int)i != vi && (int)i != ai)
			fc->streams[i]->discard = AVDISCARD_ALL;   /* other audio, data: not even read */
	if ((r = open_bsf(st, &bsf)) < 0)
		goto end;
	src_fpace_init(&fp, stream_fps(st, s->o.file_fps));
	STATUS_UPDATE(s->st,
		snprintf(cs->codec, sizeof(cs->codec), "%s", codec == AU_H264 ? "h264" : "h265");
		cs->stream_width = st->codecpar->width;
		cs->stream_height = st->codecpar->height;
		cs->state = CAM_STREAMING;);
	src_link_event(s, EV_ONLINE);

	while (src_should_run(s)) {
		a.deadline_us = clock_mono_us() + (uint64_t)s->o.read_timeout_ms * 1000;
		a.timed_out = 0;
		r = av_read_frame(fc, pkt);
		if (r == AVERROR_EOF && local) {
			/* Loop a file like a camera that never ends. */
			if ((r = rewind_file(fc, bsf, &fp, packets)) < 0)
				goto end;
			packets = 0;
			auq_mark_gap(s->q);
			continue;
		}
		if (r < 0) {
			r = averr(&a, r);
			goto end;
		}
		if (pkt->stream_index == ai && ai >= 0) {
			push_audio(s, aac, pkt);
			av_packet_unref(pkt);
			continue;
		}
		if (pkt->stream_index != vi) {
			av_packet_unref(pkt);
			continue;
		}
		packets++;
		if (local && pace(s, &fp, pkt, st->time_base)) {
			av_packet_unref(pkt);
			break;
		}
		if (bsf) {
			if ((r = av_bsf_send_packet(bsf, pkt)) < 0) {
				av_packet_unref(pkt);
				continue;
			}
			while (av_bsf_receive_packet(bsf, out) == 0) {
				push_packet(s, out, codec);
				av_packet_unref(out);
			}
		} else {
			push_packet(s, pkt, codec);
			av_packet_unref(pkt);
		}
	}
	r = 0;
end:
	src_aac_free(aac);
	av_bsf_free(&bsf);
	avformat_close_input(&fc);
	av_packet_free(&pkt);
	av_packet_free(&out);
	return r;
}
