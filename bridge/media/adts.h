/* AAC in ADTS frames, as Baichuan cameras send it (BcMedia "05wb", BAICHUAN.md §6): what a
 * frame's header says about its stream, and the MPEG-4 AudioSpecificConfig an MP4 needs,
 * made by libavcodec's aac_adtstoasc filter. */
#ifndef CB_MEDIA_ADTS_H
#define CB_MEDIA_ADTS_H

#include <stddef.h>
#include <stdint.h>

#define ADTS_MAX_ASC 64      /* AudioSpecificConfig bytes kept (2 for the usual streams) */

struct adts_info {
	int object_type;         /* 2 = AAC-LC */
	int sample_rate;
	int channels;
	unsigned samples;        /* per frame: 1024 per raw data block */
};

/* Reads the header of one ADTS frame of len bytes.  0, -EBADMSG (no ADTS header, or a frame
 * length other than len: one frame per packet), -ENOTSUP (a rate index past the table, or
 * channels described by a program config element). */
int adts_parse(const uint8_t *p, size_t len, struct adts_info *out);
/* 1 when both describe the same stream (a muxer's track fits the frame). */
int adts_same_stream(const struct adts_info *a, const struct adts_info *b);
/* The AudioSpecificConfig of the frame's stream into asc: its length, or a negative errno
 * (-ENOSYS without the filter, -EBADMSG for a frame it refuses, -ENOSPC). */
int adts_asc(const uint8_t *p, size_t len, uint8_t *asc, size_t cap);

#endif
