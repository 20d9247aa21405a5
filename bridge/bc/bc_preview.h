/* Video start (msg 3) and stop (msg 4): <Preview><channelId/><handle/>[<streamType/>]</Preview>.
 * Stream selection (BAICHUAN.md §5): main → header stream_type 0, handle 0, "mainStream";
 * sub → 1, 256, "subStream"; extern → 0, 1024, "externStream".  Stop reuses the start's
 * msg_num and stream_type.  The reply is rc 200 + Extension binaryData=1 + BcMedia. */
#ifndef CB_BC_PREVIEW_H
#define CB_BC_PREVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bc/bc_msg.h"
#include "util/sbuf.h"

enum bc_stream { BC_STREAM_MAIN, BC_STREAM_SUB, BC_STREAM_EXTERN };

struct bc_preview {
	uint32_t channel_id;
	uint32_t handle;
	bool has_stream;            /* stop requests carry no streamType */
	enum bc_stream stream;      /* valid if has_stream and the name is known */
	char stream_name[24];       /* as sent */
};

const char *bc_stream_name(enum bc_stream s);
/* 0 or -EINVAL for an unknown name. */
int bc_stream_from_name(const char *name, enum bc_stream *s);
/* Header stream_type and Preview handle for a stream. */
void bc_stream_params(enum bc_stream s, uint8_t *stream_type, uint32_t *handle);

/* Camera-style start body (channelId, handle, streamType). */
int bc_preview_xml_build(struct sbuf *b, uint32_t channel_id, enum bc_stream s);
/* Stop body (channelId, handle; no streamType). */
int bc_preview_stop_xml_build(struct sbuf *b, uint32_t channel_id, uint32_t handle);
/* 0, -EBADMSG (no Preview/channelId/handle). */
int bc_preview_parse(const void *xml, size_t len, struct bc_preview *p);

/* m = msg 3 (start) or 4 (stop) request for stream s; header stream_type per
 * bc_stream_params; payload xml by pointer.  Same for both; pass msg_id. */
void bc_msg_preview(struct bc_msg *m, uint32_t msg_id, uint16_t msg_num, uint8_t channel_id,
		    enum bc_stream s, const uint8_t *xml, size_t len);

#endif
