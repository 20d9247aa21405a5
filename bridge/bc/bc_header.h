/* Baichuan (BC) message header: 20 or 24 bytes depending on the message class.
 *
 *  0 magic  4 msg_id  8 body_len  12 channel_id (= XOR offset)  13 stream_type  14 msg_num
 * 16 response_code  18 class  [20 payload_offset: classes 0x6414, 0x0000, 0x6482 only]
 *
 * Pure functions over buffers; see ../shared/protocol/BAICHUAN.md §2. */
#ifndef CB_BC_HEADER_H
#define CB_BC_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BC_MAGIC          0x0abcdef0u  /* what we send; bytes f0 de bc 0a */
#define BC_MAGIC_REV      0x0fedcba0u  /* also accepted when parsing (device<->device) */

#define BC_CLASS_LEGACY   0x6514u      /* first login only; 20-byte header, body never encrypted */
#define BC_CLASS_NONCE    0x6614u      /* camera's nonce reply; 20-byte header, body = payload */
#define BC_CLASS_MODERN   0x6414u      /* client requests; 24-byte header */
#define BC_CLASS_REPLY    0x0000u      /* camera replies/events; 24-byte header */
#define BC_CLASS_FILE     0x6482u      /* file download (dissector); 24-byte header */

#define BC_HDR_LEN_SHORT  20
#define BC_HDR_LEN_LONG   24
#define BC_HDR_LEN_MAX    24

/* response_code values */
#define BC_RC_OK          200
#define BC_RC_LAST_CHUNK  201
#define BC_RC_BAD         400
#define BC_RC_BUSY        422
#define BC_RC_OFFER(xx)   ((uint16_t)(0xdc00u | ((xx) & 0xffu)))  /* client: "I support up to xx" */
#define BC_RC_CHOICE(xx)  ((uint16_t)(0xdd00u | ((xx) & 0xffu)))  /* camera: "use xx" */
#define BC_RC_IS_OFFER(rc)  (((rc) >> 8) == 0xdc)
#define BC_RC_IS_CHOICE(rc) (((rc) >> 8) == 0xdd)

/* Message ids the bridge, simulator and dump tool name (BAICHUAN.md §5). */
enum bc_msg_id {
	BC_MSG_LOGIN = 1, BC_MSG_LOGOUT = 2, BC_MSG_VIDEO = 3, BC_MSG_VIDEO_STOP = 4,
	BC_MSG_TALK_ABILITY = 10, BC_MSG_TALK_RESET = 11, BC_MSG_PTZ_CONTROL = 18,
	BC_MSG_PTZ_PRESET = 19, BC_MSG_REBOOT = 23, BC_MSG_MOTION_REQUEST = 31, BC_MSG_MOTION = 33,
	BC_MSG_ABILITY_SUPPORT = 58, BC_MSG_FW_UPGRADE = 67, BC_MSG_VIDEO_INPUT = 78,
	BC_MSG_VERSION = 80, BC_MSG_PING = 93, BC_MSG_GET_GENERAL = 104, BC_MSG_SET_GENERAL = 105,
	BC_MSG_SNAP = 109, BC_MSG_UID = 114, BC_MSG_STREAM_INFO_LIST = 146, BC_MSG_ABILITY_INFO = 151,
	BC_MSG_SUPPORT = 199, BC_MSG_TALK_CONFIG = 201, BC_MSG_TALK = 202,
	BC_MSG_UDP_KEEPALIVE = 234, BC_MSG_BATTERY_LIST = 252, BC_MSG_BATTERY_INFO = 253,
};

struct bc_header {
	uint32_t magic;           /* BC_MAGIC or BC_MAGIC_REV as received; 0 = BC_MAGIC on write */
	uint32_t msg_id;
	uint32_t body_len;        /* extension + payload bytes after the header */
	uint8_t channel_id;       /* also the BCEncrypt XOR offset: echo it in replies */
	uint8_t stream_type;      /* 0 main, 1 sub (msg 3/4) */
	uint16_t msg_num;         /* opaque 16 bits (official client counts in byte 15): echo it */
	uint16_t response_code;   /* 0 in requests, 200/400/…, or 0xdcXX / 0xddXX on login */
	uint16_t msg_class;       /* BC_CLASS_*: decides the header length */
	uint32_t payload_offset;  /* = extension length; only meaningful for 24-byte classes */
};

/* Header length for a class: 24 for 0x6414/0x0000/0x6482, else 20 (unknown classes too). */
size_t bc_header_len(uint16_t msg_class);
static inline bool bc_class_has_offset(uint16_t msg_class)
{
	return bc_header_len(msg_class) == BC_HDR_LEN_LONG;
}
static inline bool bc_magic_ok(uint32_t magic)
{
	return magic == BC_MAGIC || magic == BC_MAGIC_REV;
}

/* Optional error text for the caller that logs: e.g. "bc: payload_offset 300 > body_len 20". */
#define BC_ERR_MAX 160
struct bc_err {
	char msg[BC_ERR_MAX];
};
/* printf into err (if not NULL) and return code (a negative errno). */
int bc_fail(struct bc_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Parses the header at buf.  Returns the header length (20/24), 0 when more bytes are needed,
 * -EBADMSG on a bad magic or payload_offset > body_len (err names the field). */
int bc_header_parse(const uint8_t *buf, size_t len, struct bc_header *h, struct bc_err *err);

/* Writes the header (20 or 24 bytes by class) to out; returns its length.  body_len and
 * payload_offset are written as given. */
size_t bc_header_write(const struct bc_header *h, uint8_t out[BC_HDR_LEN_MAX]);

#endif
