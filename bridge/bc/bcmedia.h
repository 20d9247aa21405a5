/* BcMedia: the media packets carried in the binary payloads of msg 3 (video) / 202 (talk).
 * Consecutive payloads of one stream form a byte stream; a packet may span payloads.
 * Every packet = 4-byte magic + header + data + padding to 8 (computed on the size field;
 * normally zeros, but never checked: real captures carry stale bytes there).  See ../shared/protocol/BAICHUAN.md §6. */
#ifndef CB_BC_BCMEDIA_H
#define CB_BC_BCMEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bc/bc_header.h"
#include "util/sbuf.h"

#define BCMEDIA_MAGIC_INFO_V1   0x31303031u   /* "1001" */
#define BCMEDIA_MAGIC_INFO_V2   0x32303031u   /* "1002" */
#define BCMEDIA_MAGIC_IFRAME    0x63643030u   /* "00dc" (byte 0 = channel digit '0'..'9') */
#define BCMEDIA_MAGIC_PFRAME    0x63643130u   /* "01dc" */
#define BCMEDIA_MAGIC_AAC       0x62773530u   /* "05wb" */
#define BCMEDIA_MAGIC_ADPCM     0x62773130u   /* "01wb" */

#define BCMEDIA_INFO_LEN        32
#define BCMEDIA_FRAME_HDR_LEN   24            /* before the additional header */
#define BCMEDIA_AUDIO_HDR_LEN   8
#define BCMEDIA_MAX_ADDITIONAL  64            /* observed 0, 8, 16 */
#define BCMEDIA_ADPCM_SUB_MAGIC 0x0100u
#define BCMEDIA_MAX_FRAME_DEFAULT (8u << 20)  /* payload_size limit of the parser */

enum bcmedia_kind {
	BCMEDIA_INFO_V1 = 1, BCMEDIA_INFO_V2, BCMEDIA_IFRAME, BCMEDIA_PFRAME, BCMEDIA_AAC,
	BCMEDIA_ADPCM,
};
enum bcmedia_codec { BCMEDIA_H264, BCMEDIA_H265 };

/* Camera-local wall clock, year - 1900. */
struct bcmedia_time {
	uint8_t year, month, day, hour, minute, second;
};

struct bcmedia_info {           /* InfoV1 / InfoV2 (identical layout) */
	uint32_t width, height;
	uint8_t unknown;
	uint8_t fps;                /* Reolink: fps; Swann: index into framerateTable */
	struct bcmedia_time start, end;
	uint16_t reserved;
};

struct bcmedia_frame {          /* I / P frame */
	enum bcmedia_codec codec;
	char channel;               /* magic byte 0, '0'..'9'; 0 = '0' when writing */
	uint32_t microseconds;      /* camera clock, wraps */
	uint32_t unknown;
	uint32_t additional_len;    /* 0, 8, 16 … ≤ BCMEDIA_MAX_ADDITIONAL */
	uint8_t additional[BCMEDIA_MAX_ADDITIONAL];
	bool has_time;              /* I-frame with additional_len ≥ 4 */
	uint32_t posix_time;        /* first u32 of the additional header (UTC seconds) */
};

struct bcmedia_adpcm {
	uint16_t sub_magic;         /* 0x0100; 0 = 0x0100 when writing (unless verbatim) */
	uint16_t half_block;        /* ignored when parsing; 0 = data_len/2 when writing (unless verbatim) */
};

struct bcmedia_pkt {
	enum bcmedia_kind kind;
	struct bcmedia_info info;   /* INFO_V1/V2 */
	struct bcmedia_frame frame; /* IFRAME/PFRAME */
	struct bcmedia_adpcm adpcm; /* ADPCM */
	const uint8_t *data;        /* frames: Annex-B; AAC: ADTS; ADPCM: DVI-4 block incl. the
	                               4-byte predictor; NULL for info */
	size_t data_len;
	/* Padding as received (bcmedia_pad(size) bytes), so re-serializing is byte-exact: the
	 * Swann I-frame capture pads with stale non-zero bytes.  NULL = zeros when writing. */
	const uint8_t *pad;
	size_t wire_len;            /* bytes of the packet including padding */
	uint16_t audio_size2;       /* AAC/ADPCM: the repeated size field as received */
	bool verbatim;              /* set by the parser: write audio_size2 and the ADPCM
	                               sub-header exactly as received, no defaults */
};

/* Padding after `size` data bytes. */
static inline size_t bcmedia_pad(size_t size) { return (8 - size % 8) % 8; }
/* Is this LE u32 a packet magic? */
bool bcmedia_magic_ok(uint32_t magic);
const char *bcmedia_kind_name(enum bcmedia_kind k);

/* Parses one packet at buf.  Returns its wire length (> 0), 0 if more bytes are needed, or
 * -EBADMSG (bad magic/codec/header_size/additional_header_size/sizes) / -EMSGSIZE
 * (payload_size > max_frame); err names the field.  p->data points into buf. */
int bcmedia_parse(const uint8_t *buf, size_t len, size_t max_frame, struct bcmedia_pkt *p,
		  struct bc_err *err);

/* Appends the packet with its real header layout and padding (p->pad or zeros).  -EINVAL for a bad kind,
 * additional_len > 64, or audio data over the u16 size field. */
int bcmedia_write(struct sbuf *b, const struct bcmedia_pkt *p);
/* Convenience for I-frames: 8-byte additional header {posix_time, 0}. */
void bcmedia_frame_set_time(struct bcmedia_frame *f, uint32_t posix_time);

/* ---- incremental parser ---------------------------------------------------------------- */
struct bcmedia_parser {
	struct sbuf buf;
	size_t pending;             /* bytes of the last returned packet */
	size_t max_frame;
	uint64_t consumed;          /* stream offset of buf[0] */
	uint64_t pkt_offset;        /* stream offset of the packet last returned */
	uint64_t skipped;           /* garbage bytes dropped while resyncing */
	struct bc_err err;
};

/* max_frame 0 = BCMEDIA_MAX_FRAME_DEFAULT. */
void bcmedia_parser_init(struct bcmedia_parser *p, size_t max_frame);
void bcmedia_parser_free(struct bcmedia_parser *p);
/* Drop buffered bytes (a new stream starts). */
void bcmedia_parser_reset(struct bcmedia_parser *p);
/* Appends binary payload bytes.  0, or -ENOBUFS if more than 2 * max_frame + 64 KiB would
 * be buffered (call bcmedia_parser_next after every feed). */
int bcmedia_parser_feed(struct bcmedia_parser *p, const void *data, size_t len);
/* 1 = *pkt filled (data valid until the next feed/next), 0 = need more, negative errno =
 * garbage or an over-limit packet was skipped up to the next magic (text in p->err.msg);
 * call again to continue. */
int bcmedia_parser_next(struct bcmedia_parser *p, struct bcmedia_pkt *pkt);

#endif
