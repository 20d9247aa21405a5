/* A URL source's AAC as ADTS frames, the form Baichuan cameras send and the recording side
 * takes: MPEG-TS and ADTS sources have them already; RTSP, MP4 and FLV carry raw frames with
 * the AudioSpecificConfig in the stream's extradata, and libavformat's "adts" muxer puts the
 * headers back. */
#ifndef CB_SOURCE_SRC_AAC_H
#define CB_SOURCE_SRC_AAC_H

#include <stddef.h>
#include <stdint.h>

struct AVCodecParameters;
struct AVPacket;
struct src_aac;

/* 0, -EPROTONOSUPPORT (not AAC), -ENOMEM, or libavformat's refusal as -EINVAL. */
int src_aac_open(struct src_aac **out, const struct AVCodecParameters *par);
void src_aac_free(struct src_aac *a);
/* One ADTS frame for the packet: 1 = *data and *len set (valid until the next call), 0 = none
 * (empty, too big for ADTS, or raw AAC without a config to describe it). */
int src_aac_frame(struct src_aac *a, const struct AVPacket *pkt, const uint8_t **data,
		  size_t *len);

#endif
