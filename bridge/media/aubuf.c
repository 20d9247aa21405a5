#include "media/aubuf.h"

#include <errno.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/buffer.h>

#define AUBUF_ROUND (64u << 10)   /* grow in steps: AUs vary in size frame to frame */

int aubuf_fill(AVBufferRef **buf, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t need = alen + blen + AV_INPUT_BUFFER_PADDING_SIZE;

	if (alen + blen < alen || need < alen + blen) {
		av_buffer_unref(buf);
		return -ENOMEM;
	}
	if (*buf && !av_buffer_is_writable(*buf))
		av_buffer_unref(buf);   /* still in the decoder: leave it there */
	if (!*buf || (*buf)->size < need) {
		size_t cap = (need + AUBUF_ROUND - 1) / AUBUF_ROUND * AUBUF_ROUND;
		/* Contents are overwritten below: no need to keep (copy) the old ones. */
		av_buffer_unref(buf);
		if (av_buffer_realloc(buf, cap) < 0)
			return -ENOMEM;
	}
	memcpy((*buf)->data, a, alen);
	if (blen)
		memcpy((*buf)->data + alen, b, blen);
	memset((*buf)->data + alen + blen, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	return 0;
}
