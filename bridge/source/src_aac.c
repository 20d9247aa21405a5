#include "source/src_aac.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#define SRC_AAC_MAX 8192   /* an ADTS frame's length field has 13 bits */

struct src_aac {
	AVFormatContext *oc;          /* the "adts" muxer; NULL without a config (ADTS only) */
	AVPacket *pkt;
	int64_t n;                    /* stand-in timestamps: the muxer wants them increasing */
	uint8_t out[SRC_AAC_MAX];
	size_t len;
	int overflow;
};

static int collect(void *opaque, uint8_t *buf, int n)
{
	struct src_aac *a = opaque;

	if (a->len + (size_t)n > sizeof(a->out)) {
		a->overflow = 1;
		return n;
	}
	memcpy(a->out + a->len, buf, (size_t)n);
	a->len += (size_t)n;
	return n;
}

void src_aac_free(struct src_aac *a)
{
	if (!a)
		return;
	if (a->oc) {
		if (a->oc->pb)
			av_freep(&a->oc->pb->buffer);
		avio_context_free(&a->oc->pb);
		avformat_free_context(a->oc);
	}
	av_packet_free(&a->pkt);
	free(a);
}

int src_aac_open(struct src_aac **out, const AVCodecParameters *par)
{
	struct src_aac *a;
	AVStream *st;
	uint8_t *buf;
	int r = -ENOMEM;

	*out = NULL;
	if (par->codec_id != AV_CODEC_ID_AAC)
		return -EPROTONOSUPPORT;
	if (!(a = calloc(1, sizeof(*a))) || !(a->pkt = av_packet_alloc()))
		goto fail;
	if (par->extradata_size > 0) {
		if (avformat_alloc_output_context2(&a->oc, NULL, "adts", NULL) < 0 || !a->oc ||
		    !(st = avformat_new_stream(a->oc, NULL)) ||
		    avcodec_parameters_copy(st->codecpar, par) < 0)
			goto fail;
		st->codecpar->codec_tag = 0;
		if (!(buf = av_malloc(4096)))
			goto fail;
		if (!(a->oc->pb = avio_alloc_context(buf, 4096, 1, a, NULL, collect, NULL))) {
			av_free(buf);
			goto fail;
		}
		a->oc->pb->seekable = 0;
		if (avformat_write_header(a->oc, NULL) < 0) {
			r = -EINVAL;   /* a config the muxer cannot express in ADTS */
			goto fail;
		}
		avio_flush(a->oc->pb);
	}
	*out = a;
	return 0;
fail:
	src_aac_free(a);
	return r;
}

int src_aac_frame(struct src_aac *a, const AVPacket *pkt, const uint8_t **data, size_t *len)
{
	if (pkt->size < 2)
		return 0;
	if (pkt->data[0] == 0xff && (pkt->data[1] & 0xf6) == 0xf0) {
		*data = pkt->data;   /* ADTS already (MPEG-TS, .aac) */
		*len = (size_t)pkt->size;
		return 1;
	}
	if (!a->oc || pkt->size > SRC_AAC_MAX || av_packet_ref(a->pkt, pkt) < 0)
		return 0;
	a->pkt->stream_index = 0;
	a->pkt->pts = a->pkt->dts = a->n++;
	a->pkt->duration = 0;
	a->len = 0;
	a->overflow = 0;
	if (av_write_frame(a->oc, a->pkt) < 0) {
		av_packet_unref(a->pkt);
		return 0;
	}
	av_packet_unref(a->pkt);
	avio_flush(a->oc->pb);
	if (a->overflow || !a->len)
		return 0;
	*data = a->out;
	*len = a->len;
	return 1;
}
