#include "media/adts.h"

#include <errno.h>
#include <string.h>

#include <libavcodec/adts_parser.h>
#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>

/* ISO 14496-3 sampling_frequency_index (libavcodec keeps its table private). */
static const int adts_rates[] = {
	96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
};

int adts_parse(const uint8_t *p, size_t len, struct adts_info *out)
{
	uint32_t samples;
	uint8_t frames;
	unsigned rate_idx, chans, flen;

	if (len < AV_AAC_ADTS_HEADER_SIZE || av_adts_header_parse(p, &samples, &frames) < 0)
		return -EBADMSG;
	/* The fixed header's fields (syncword checked by libavcodec above). */
	rate_idx = (p[2] >> 2) & 0x0f;
	chans = ((p[2] & 1u) << 2) | (p[3] >> 6);
	flen = ((p[3] & 3u) << 11) | ((unsigned)p[4] << 3) | (p[5] >> 5);
	if (flen != len)
		return -EBADMSG;
	if (rate_idx >= sizeof(adts_rates) / sizeof(adts_rates[0]) || !chans)
		return -ENOTSUP;
	out->object_type = (p[2] >> 6) + 1;
	out->sample_rate = adts_rates[rate_idx];
	out->channels = chans == 7 ? 8 : (int)chans;
	out->samples = samples;
	return 0;
}

int adts_same_stream(const struct adts_info *a, const struct adts_info *b)
{
	return a->object_type == b->object_type && a->sample_rate == b->sample_rate &&
	       a->channels == b->channels;
}

int adts_asc(const uint8_t *p, size_t len, uint8_t *asc, size_t cap)
{
	const AVBitStreamFilter *f = av_bsf_get_by_name("aac_adtstoasc");
	AVBSFContext *bsf = NULL;
	AVPacket *pkt = av_packet_alloc();
	const uint8_t *sd;
	size_t sd_len = 0;
	int r;

	if (!pkt)
		return -ENOMEM;
	if (!f) {
		r = -ENOSYS;
		goto out;
	}
	if ((r = av_bsf_alloc(f, &bsf)) < 0)
		goto out;
	bsf->par_in->codec_type = AVMEDIA_TYPE_AUDIO;
	bsf->par_in->codec_id = AV_CODEC_ID_AAC;
	if ((r = av_bsf_init(bsf)) < 0 || (r = av_new_packet(pkt, (int)len)) < 0)
		goto out;
	memcpy(pkt->data, p, len);
	if ((r = av_bsf_send_packet(bsf, pkt)) < 0 || (r = av_bsf_receive_packet(bsf, pkt)) < 0)
		goto out;
	/* The filter hands the config on with the first frame it converts. */
	sd = av_packet_get_side_data(pkt, AV_PKT_DATA_NEW_EXTRADATA, &sd_len);
	if (!sd || !sd_len) {
		r = -EBADMSG;
		goto out;
	}
	if (sd_len > cap) {
		r = -ENOSPC;
		goto out;
	}
	memcpy(asc, sd, sd_len);
	r = (int)sd_len;
out:
	av_bsf_free(&bsf);
	av_packet_free(&pkt);
	return r == AVERROR(ENOMEM) ? -ENOMEM : r < 0 && r > -4096 ? r : r < 0 ? -EBADMSG : r;
}
