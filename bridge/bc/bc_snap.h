/* Snapshot (msg 109, BAICHUAN.md §2.5 and the message table): the client asks with
 * <Snap><channelId/><logicChannel/><time/><fullFrame/><streamType/></Snap>; the camera answers
 * rc 200 + <Snap><fileName/><pictureSize/></Snap> on the request's msg_num, then sends the
 * JPEG as binary msg-109 chunks on a msg_num of its own: rc 200 each, the last one rc 201. */
#ifndef CB_BC_SNAP_H
#define CB_BC_SNAP_H

#include <stddef.h>
#include <stdint.h>

#include "util/sbuf.h"

/* Largest picture accepted (a 4K camera's JPEG is a few MB). */
#define BC_SNAP_MAX       (16u << 20)
#define BC_SNAP_NAME_MAX  128

struct bc_snap_info {
	char file_name[BC_SNAP_NAME_MAX];
	uint32_t picture_size;      /* bytes of the JPEG that follows */
};

int bc_snap_req_build(struct sbuf *b, uint32_t channel_id, const char *stream_type);
/* 0 or -EBADMSG (no <Snap>). */
int bc_snap_req_parse(const void *xml, size_t len, uint32_t *channel_id);
int bc_snap_info_build(struct sbuf *b, const struct bc_snap_info *i);
/* 0, -EBADMSG (no Snap/pictureSize), -EFBIG (pictureSize 0 or over BC_SNAP_MAX). */
int bc_snap_info_parse(const void *xml, size_t len, struct bc_snap_info *i);

#endif
