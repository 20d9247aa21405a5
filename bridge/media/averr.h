/* Internal to bridge/media: AVERROR codes as negative errno values. */
#ifndef CB_MEDIA_AVERR_H
#define CB_MEDIA_AVERR_H

#include <errno.h>
#include <libavutil/error.h>

static inline int media_averr(int averr)
{
	if (averr >= 0)
		return averr;
	if (averr > -4096)                     /* AVERROR(errno) is -errno */
		return averr;
	switch (averr) {
	case AVERROR_INVALIDDATA:
		return -EBADMSG;
	case AVERROR_EOF:
		return -ENODATA;
	case AVERROR_DECODER_NOT_FOUND:
	case AVERROR_ENCODER_NOT_FOUND:
	case AVERROR_PATCHWELCOME:
		return -ENOSYS;
	case AVERROR_BUFFER_TOO_SMALL:
		return -ENOBUFS;
	default:
		return -EIO;
	}
}

#endif
