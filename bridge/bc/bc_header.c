#include "bc/bc_header.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "util/sbuf.h"

int bc_fail(struct bc_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

size_t bc_header_len(uint16_t msg_class)
{
	switch (msg_class) {
	case BC_CLASS_MODERN:
	case BC_CLASS_REPLY:
	case BC_CLASS_FILE:
		return BC_HDR_LEN_LONG;
	default:
		/* 0x6514, 0x6614 and (as the dissector does) anything unknown */
		return BC_HDR_LEN_SHORT;
	}
}

int bc_header_parse(const uint8_t *buf, size_t len, struct bc_header *h, struct bc_err *err)
{
	size_t hl;

	/* Judge the magic as soon as we have it so a garbage stream fails fast. */
	if (len >= 4 && !bc_magic_ok(rd_le32(buf)))
		return bc_fail(err, -EBADMSG, "bc: bad magic 0x%08x", rd_le32(buf));
	if (len < BC_HDR_LEN_SHORT)
		return 0;
	hl = bc_header_len(rd_le16(buf + 18));
	if (len < hl)
		return 0;
	h->magic = rd_le32(buf);
	h->msg_id = rd_le32(buf + 4);
	h->body_len = rd_le32(buf + 8);
	h->channel_id = buf[12];
	h->stream_type = buf[13];
	h->msg_num = rd_le16(buf + 14);
	h->response_code = rd_le16(buf + 16);
	h->msg_class = rd_le16(buf + 18);
	h->payload_offset = hl == BC_HDR_LEN_LONG ? rd_le32(buf + 20) : 0;
	if (h->payload_offset > h->body_len)
		return bc_fail(err, -EBADMSG, "bc: payload_offset %u > body_len %u (msg_id %u)",
			       h->payload_offset, h->body_len, h->msg_id);
	return (int)hl;
}

size_t bc_header_write(const struct bc_header *h, uint8_t out[BC_HDR_LEN_MAX])
{
	size_t hl = bc_header_len(h->msg_class);

	wr_le32(out, bc_magic_ok(h->magic) ? h->magic : BC_MAGIC);
	wr_le32(out + 4, h->msg_id);
	wr_le32(out + 8, h->body_len);
	out[12] = h->channel_id;
	out[13] = h->stream_type;
	wr_le16(out + 14, h->msg_num);
	wr_le16(out + 16, h->response_code);
	wr_le16(out + 18, h->msg_class);
	if (hl == BC_HDR_LEN_LONG)
		wr_le32(out + 20, h->payload_offset);
	return hl;
}
