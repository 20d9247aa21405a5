#include "sim/sim_aac.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>

#define ADTS_MAX 2048

struct sim_aac {
	AVCodecContext *ctx;
	AVFrame *frame;
	AVPacket *pkt;
	int64_t pts;
	uint8_t out[SIM_ADTS_HDR + ADTS_MAX];
};

void sim_adts_header(uint8_t h[SIM_ADTS_HDR], size_t payload)
{
	size_t n = payload + SIM_ADTS_HDR;
	const unsigned profile = 1, freq_idx = 8, chans = 1;   /* LC, 16000 Hz, mono */

	h[0] = 0xff;
	h[1] = 0xf1;                                  /* MPEG-4, no CRC */
	h[2] = (uint8_t)((profile << 6) | (freq_idx << 2) | (chans >> 2));
	h[3] = (uint8_t)(((chans & 3) << 6) | ((n >> 11) & 3));
	h[4] = (uint8_t)((n >> 3) & 0xff);
	h[5] = (uint8_t)(((n & 7) << 5) | 0x1f);
	h[6] = 0xfc;
}

int sim_aac_open(struct sim_aac **out)
{
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
	struct sim_aac *a;
	int r;

	*out = NULL;
	if (!codec)
		return -ENOSYS;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->ctx = avcodec_alloc_context3(codec);
	a->frame = av_frame_alloc();
	a->pkt = av_packet_alloc();
	if (!a->ctx || !a->frame || !a->pkt) {
		sim_aac_free(a);
		return -ENOMEM;
	}
	a->ctx->sample_rate = SIM_AAC_RATE;
	a->ctx->sample_fmt = AV_SAMPLE_FMT_FLTP;
	a->ctx->bit_rate = 32000;
	av_channel_layout_default(&a->ctx->ch_layout, 1);
	r = avcodec_open2(a->ctx, codec, NULL);
	if (r < 0) {
		sim_aac_free(a);
		return r;
	}
	a->frame->format = AV_SAMPLE_FMT_FLTP;
	a->frame->nb_samples = a->ctx->frame_size ? a->ctx->frame_size : SIM_AAC_FRAME;
	a->frame->sample_rate = SIM_AAC_RATE;
	av_channel_layout_copy(&a->frame->ch_layout, &a->ctx->ch_layout);
	r = av_frame_get_buffer(a->frame, 0);
	if (r < 0) {
		sim_aac_free(a);
		return r;
	}
	*out = a;
	return 0;
}

void sim_aac_free(struct sim_aac *a)
{
	if (!a)
		return;
	avcodec_free_context(&a->ctx);
	av_frame_free(&a->frame);
	av_packet_free(&a->pkt);
	free(a);
}

int sim_aac_next(struct sim_aac *a, const uint8_t **adts, size_t *len)
{
	float *p;
	int r, n = a->frame->nb_samples;

	r = av_frame_make_writable(a->frame);
	if (r < 0)
		return r;
	p = (float *)a->frame->data[0];
	for (int i = 0; i < n; i++)
		p[i] = 0.05f * sinf(2.0f * (float)M_PI * 440.0f * (float)(a->pts + i) / SIM_AAC_RATE);
	a->frame->pts = a->pts;
	a->pts += n;
	r = avcodec_send_frame(a->ctx, a->frame);
	if (r < 0)
		return r;
	r = avcodec_receive_packet(a->ctx, a->pkt);
	if (r == AVERROR(EAGAIN))
		return 0;
	if (r < 0)
		return r;
	if (a->pkt->size > ADTS_MAX) {
		av_packet_unref(a->pkt);
		return -EMSGSIZE;
	}
	sim_adts_header(a->out, (size_t)a->pkt->size);
	memcpy(a->out + SIM_ADTS_HDR, a->pkt->data, (size_t)a->pkt->size);
	*adts = a->out;
	*len = SIM_ADTS_HDR + (size_t)a->pkt->size;
	av_packet_unref(a->pkt);
	return 1;
}
