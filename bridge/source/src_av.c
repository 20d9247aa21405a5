/* Any source libavformat opens: rtsp://, udp:// MPEG-TS, http://, a file.  Low delay: small
 * probe, no input buffering, and packets go out as soon as they are read.  A local file is
 * paced by its timestamps and looped, so it behaves like a live camera. */
#include "source/src_impl.h"
#include "util/clock.h"
#include "util/log.h"

#include <errno.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>

struct av_sess {
	struct src *s;
	uint64_t deadline_us;   /* interrupt blocking I/O after this (0 = none) */
};

static int interrupt_cb(void *opaque)
{
	struct av_sess *a = opaque;

	if (atomic_load(&a->s->stop) || !src_should_run(a->s))
		return 1;
	return a->deadline_us && clock_mono_us() > a->deadline_us;
}

static int is_local_file(const char *url)
{
	return !strstr(url, "://") || !strncmp(url, "file:", 5);
}

static int averr(int r)
{
	if (r == AVERROR_EOF)
		return -ENODATA;
	if (r == AVERROR_EXIT)
		return 0;
	if (r == AVERROR(EACCES) || r == AVERROR_HTTP_UNAUTHORIZED || r == AVERROR_HTTP_FORBIDDEN)
		return -EACCES;
	return r < 0 && r > -4096 ? r : -EIO;
}

static int open_bsf(const AVStream *st, AVBSFContext **out)
{
	const char *name = st->codecpar->codec_id == AV_CODEC_ID_HEVC ? "hevc_mp4toannexb" : "h264_mp4toannexb";
	const AVBitStreamFilter *f;
	AVBSFContext *b;
	int r;

	*out = NULL;
	/* Annex-B streams (RTSP, MPEG-TS) have no avcC/hvcC extradata: nothing to convert. */
	if (st->codecpar->extradata_size < 1 || st->codecpar->extradata[0] != 1)
		return 0;
	f = av_bsf_get_by_name(name);
	if (!f)
		return -ENOSYS;
	if ((r = av_bsf_alloc(f, &b)) < 0)
		return r;
	avcodec_parameters_copy(b->par_in, st->codecpar);
	b->time_base_in = st->time_base;
	if ((r = av_bsf_init(b)) < 0) {
		av_bsf_free(&b);
		return r;
	}
	*out = b;
	return 0;
}

static int push_packet(struct src *s, const AVPacket *pkt, enum au_codec codec)
{
	struct au au = {
		.data = pkt->data, .len = (size_t)pkt->size, .codec = codec,
		.keyframe = !!(pkt->flags & AV_PKT_FLAG_KEY), .recv_us = clock_mono_us(),
	};

	if (pkt->size <= 0)
		return 0;
	if ((size_t)pkt->size > s->o.max_frame_bytes) {
		auq_mark_gap(s->q);
		return 0;
	}
	STATUS_UPDATE(s->st, cs->frames_in++; cs->bytes_in += (uint64_t)pkt->size;);
	(void)auq_push(s->q, &au);   /* too big: dropped and marked as a gap */
	return 0;
}

int src_av_run(struct src *s)
{
	struct av_sess a = { .s = s };
	AVFormatContext *fc = NULL;
	AVDictionary *opt = NULL;
	AVBSFContext *bsf = NULL;
	AVPacket *pkt = av_packet_alloc(), *out = av_packet_alloc();
	const int local = is_local_file(s->o.url);
	enum au_codec codec;
	int64_t first_pts = AV_NOPTS_VALUE;
	uint64_t start_us = 0;
	int vi, r;

	if (!pkt || !out) {
		r = -ENOMEM;
		goto end;
	}
	fc = avformat_alloc_context();
	if (!fc) {
		r = -ENOMEM;
		goto end;
	}
	fc->interrupt_callback.callback = interrupt_cb;
	fc->interrupt_callback.opaque = &a;
	fc->flags |= AVFMT_FLAG_NOBUFFER;
	av_dict_set(&opt, "probesize", "1000000", 0);
	av_dict_set(&opt, "analyzeduration", "1000000", 0);
	av_dict_set(&opt, "fflags", "nobuffer", 0);
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
	a.deadline_us = s->o.rtsp_listen ? 0 : clock_mono_us() + (uint64_t)s->o.connect_timeout_ms * 1000;
	r = avformat_open_input(&fc, s->o.url, NULL, &opt);
	av_dict_free(&opt);
	if (r < 0) {
		r = averr(r);
		goto end;
	}
	r = avformat_find_stream_info(fc, NULL);
	if (r < 0) {
		r = averr(r);
		goto end;
	}
	vi = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	if (vi < 0) {
		r = -ENOMSG;   /* no video stream */
		goto end;
	}
	switch (fc->streams[vi]->codecpar->codec_id) {
	case AV_CODEC_ID_H264: codec = AU_H264; break;
	case AV_CODEC_ID_HEVC: codec = AU_H265; break;
	default:
		r = -EPROTONOSUPPORT;   /* only H.264 / H.265 */
		goto end;
	}
	if ((r = open_bsf(fc->streams[vi], &bsf)) < 0)
		goto end;
	STATUS_UPDATE(s->st,
		snprintf(cs->codec, sizeof(cs->codec), "%s", codec == AU_H264 ? "h264" : "h265");
		cs->stream_width = fc->streams[vi]->codecpar->width;
		cs->stream_height = fc->streams[vi]->codecpar->height;
		cs->state = CAM_STREAMING;);

	while (src_should_run(s)) {
		a.deadline_us = clock_mono_us() + (uint64_t)s->o.read_timeout_ms * 1000;
		r = av_read_frame(fc, pkt);
		if (r == AVERROR_EOF && local) {
			/* Loop a file like a camera that never ends. */
			avformat_seek_file(fc, vi, INT64_MIN, 0, INT64_MAX, 0);
			first_pts = AV_NOPTS_VALUE;
			auq_mark_gap(s->q);
			continue;
		}
		if (r < 0) {
			r = averr(r);
			goto end;
		}
		if (pkt->stream_index != vi) {
			av_packet_unref(pkt);
			continue;
		}
		if (local && pkt->pts != AV_NOPTS_VALUE) {
			int64_t t;
			if (first_pts == AV_NOPTS_VALUE) {
				first_pts = pkt->pts;
				start_us = clock_mono_us();
			}
			t = av_rescale_q(pkt->pts - first_pts, fc->streams[vi]->time_base, AV_TIME_BASE_Q);
			if (t > 0 && (uint64_t)t + start_us > clock_mono_us())
				src_wait(s, (unsigned)((uint64_t)t + start_us - clock_mono_us()) / 1000);
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
	av_bsf_free(&bsf);
	avformat_close_input(&fc);
	av_packet_free(&pkt);
	av_packet_free(&out);
	return r;
}
