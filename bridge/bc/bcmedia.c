#include "bc/bcmedia.h"

#include <errno.h>
#include <string.h>

static bool is_frame_magic(uint32_t m, char kind)
{
	return (m >> 8) == ((uint32_t)'c' << 16 | (uint32_t)'d' << 8 | (uint32_t)kind) &&
	       (m & 0xff) >= '0' && (m & 0xff) <= '9';
}

bool bcmedia_magic_ok(uint32_t m)
{
	return m == BCMEDIA_MAGIC_INFO_V1 || m == BCMEDIA_MAGIC_INFO_V2 || is_frame_magic(m, '0') ||
	       is_frame_magic(m, '1') || m == BCMEDIA_MAGIC_AAC || m == BCMEDIA_MAGIC_ADPCM;
}

const char *bcmedia_kind_name(enum bcmedia_kind k)
{
	switch (k) {
	case BCMEDIA_INFO_V1: return "InfoV1";
	case BCMEDIA_INFO_V2: return "InfoV2";
	case BCMEDIA_IFRAME: return "I-frame";
	case BCMEDIA_PFRAME: return "P-frame";
	case BCMEDIA_AAC: return "AAC";
	case BCMEDIA_ADPCM: return "ADPCM";
	}
	return "?";
}

static void rd_time(const uint8_t *p, struct bcmedia_time *t)
{
	t->year = p[0];
	t->month = p[1];
	t->day = p[2];
	t->hour = p[3];
	t->minute = p[4];
	t->second = p[5];
}

static int parse_info(const uint8_t *buf, size_t len, struct bcmedia_pkt *p, struct bc_err *err)
{
	uint32_t hs;

	if (len < BCMEDIA_INFO_LEN)
		return 0;
	hs = rd_le32(buf + 4);
	if (hs != BCMEDIA_INFO_LEN)
		return bc_fail(err, -EBADMSG, "bcmedia: info header_size %u != 32", hs);
	p->info.width = rd_le32(buf + 8);
	p->info.height = rd_le32(buf + 12);
	p->info.unknown = buf[16];
	p->info.fps = buf[17];
	rd_time(buf + 18, &p->info.start);
	rd_time(buf + 24, &p->info.end);
	p->info.reserved = rd_le16(buf + 30);
	p->wire_len = BCMEDIA_INFO_LEN;
	return BCMEDIA_INFO_LEN;
}

static int parse_frame(const uint8_t *buf, size_t len, size_t max_frame, struct bcmedia_pkt *p,
		       struct bc_err *err)
{
	struct bcmedia_frame *f = &p->frame;
	uint32_t size, ahs;
	size_t total;

	if (len < BCMEDIA_FRAME_HDR_LEN)
		return 0;
	if (!memcmp(buf + 4, "H264", 4))
		f->codec = BCMEDIA_H264;
	else if (!memcmp(buf + 4, "H265", 4))
		f->codec = BCMEDIA_H265;
	else
		return bc_fail(err, -EBADMSG, "bcmedia: unknown video codec %02x%02x%02x%02x",
			       buf[4], buf[5], buf[6], buf[7]);
	size = rd_le32(buf + 8);
	ahs = rd_le32(buf + 12);
	if (size > max_frame)
		return bc_fail(err, -EMSGSIZE, "bcmedia: payload_size %u > limit %zu", size, max_frame);
	if (ahs > BCMEDIA_MAX_ADDITIONAL)
		return bc_fail(err, -EBADMSG, "bcmedia: additional_header_size %u > %u", ahs,
			       BCMEDIA_MAX_ADDITIONAL);
	f->channel = (char)buf[0];
	f->microseconds = rd_le32(buf + 16);
	f->unknown = rd_le32(buf + 20);
	f->additional_len = ahs;
	total = BCMEDIA_FRAME_HDR_LEN + ahs + size + bcmedia_pad(size);
	if (len < total)
		return 0;
	memcpy(f->additional, buf + BCMEDIA_FRAME_HDR_LEN, ahs);
	if (p->kind == BCMEDIA_IFRAME && ahs >= 4) {
		f->has_time = true;
		f->posix_time = rd_le32(f->additional);
	}
	p->data = buf + BCMEDIA_FRAME_HDR_LEN + ahs;
	p->data_len = size;
	p->pad = p->data + size;
	p->wire_len = total;
	return (int)total;
}

static int parse_audio(const uint8_t *buf, size_t len, struct bcmedia_pkt *p, struct bc_err *err)
{
	uint16_t size;
	size_t total, hdr = BCMEDIA_AUDIO_HDR_LEN;

	if (len < BCMEDIA_AUDIO_HDR_LEN)
		return 0;
	size = rd_le16(buf + 4);      /* buf + 6 repeats it; the first one rules */
	if (p->kind == BCMEDIA_ADPCM) {
		if (size < 4)
			return bc_fail(err, -EBADMSG, "bcmedia: ADPCM size %u < 4", size);
		hdr += 4;
	}
	total = BCMEDIA_AUDIO_HDR_LEN + size + bcmedia_pad(size);
	if (len < total)
		return 0;
	p->audio_size2 = rd_le16(buf + 6);
	p->verbatim = true;
	if (p->kind == BCMEDIA_ADPCM) {
		p->adpcm.sub_magic = rd_le16(buf + 8);
		p->adpcm.half_block = rd_le16(buf + 10);
	}
	p->data = buf + hdr;
	p->data_len = BCMEDIA_AUDIO_HDR_LEN + size - hdr;
	p->pad = buf + BCMEDIA_AUDIO_HDR_LEN + size;
	p->wire_len = total;
	return (int)total;
}

int bcmedia_parse(const uint8_t *buf, size_t len, size_t max_frame, struct bcmedia_pkt *p,
		  struct bc_err *err)
{
	uint32_t m;

	memset(p, 0, sizeof(*p));
	if (len < 4)
		return 0;
	m = rd_le32(buf);
	if (m == BCMEDIA_MAGIC_INFO_V1 || m == BCMEDIA_MAGIC_INFO_V2) {
		p->kind = m == BCMEDIA_MAGIC_INFO_V1 ? BCMEDIA_INFO_V1 : BCMEDIA_INFO_V2;
		return parse_info(buf, len, p, err);
	}
	if (is_frame_magic(m, '0') || is_frame_magic(m, '1')) {
		p->kind = is_frame_magic(m, '0') ? BCMEDIA_IFRAME : BCMEDIA_PFRAME;
		return parse_frame(buf, len, max_frame, p, err);
	}
	if (m == BCMEDIA_MAGIC_AAC || m == BCMEDIA_MAGIC_ADPCM) {
		p->kind = m == BCMEDIA_MAGIC_AAC ? BCMEDIA_AAC : BCMEDIA_ADPCM;
		return parse_audio(buf, len, p, err);
	}
	return bc_fail(err, -EBADMSG, "bcmedia: bad magic %02x %02x %02x %02x", buf[0], buf[1],
		       buf[2], buf[3]);
}

static const uint8_t zeros[8];

static void wr_time(uint8_t *p, const struct bcmedia_time *t)
{
	p[0] = t->year;
	p[1] = t->month;
	p[2] = t->day;
	p[3] = t->hour;
	p[4] = t->minute;
	p[5] = t->second;
}

int bcmedia_write(struct sbuf *b, const struct bcmedia_pkt *p)
{
	uint8_t h[BCMEDIA_FRAME_HDR_LEN + BCMEDIA_MAX_ADDITIONAL];
	size_t start = b->len;

	switch (p->kind) {
	case BCMEDIA_INFO_V1:
	case BCMEDIA_INFO_V2:
		wr_le32(h, p->kind == BCMEDIA_INFO_V1 ? BCMEDIA_MAGIC_INFO_V1 : BCMEDIA_MAGIC_INFO_V2);
		wr_le32(h + 4, BCMEDIA_INFO_LEN);
		wr_le32(h + 8, p->info.width);
		wr_le32(h + 12, p->info.height);
		h[16] = p->info.unknown;
		h[17] = p->info.fps;
		wr_time(h + 18, &p->info.start);
		wr_time(h + 24, &p->info.end);
		wr_le16(h + 30, p->info.reserved);
		sbuf_add(b, h, BCMEDIA_INFO_LEN);
		break;
	case BCMEDIA_IFRAME:
	case BCMEDIA_PFRAME: {
		const struct bcmedia_frame *f = &p->frame;
		char ch = f->channel >= '0' && f->channel <= '9' ? f->channel : '0';

		if (f->additional_len > BCMEDIA_MAX_ADDITIONAL || p->data_len > UINT32_MAX)
			return -EINVAL;
		h[0] = (uint8_t)ch;
		memcpy(h + 1, p->kind == BCMEDIA_IFRAME ? "0dc" : "1dc", 3);
		memcpy(h + 4, f->codec == BCMEDIA_H265 ? "H265" : "H264", 4);
		wr_le32(h + 8, (uint32_t)p->data_len);
		wr_le32(h + 12, f->additional_len);
		wr_le32(h + 16, f->microseconds);
		wr_le32(h + 20, f->unknown);
		memcpy(h + BCMEDIA_FRAME_HDR_LEN, f->additional, f->additional_len);
		sbuf_add(b, h, BCMEDIA_FRAME_HDR_LEN + f->additional_len);
		sbuf_add(b, p->data, p->data_len);
		sbuf_add(b, p->pad ? p->pad : zeros, bcmedia_pad(p->data_len));
		break;
	}
	case BCMEDIA_AAC:
	case BCMEDIA_ADPCM: {
		size_t size = p->data_len + (p->kind == BCMEDIA_ADPCM ? 4 : 0);

		if (size > 0xffff)
			return -EINVAL;
		wr_le32(h, p->kind == BCMEDIA_AAC ? BCMEDIA_MAGIC_AAC : BCMEDIA_MAGIC_ADPCM);
		wr_le16(h + 4, (uint16_t)size);
		wr_le16(h + 6, p->verbatim ? p->audio_size2 : (uint16_t)size);
		if (p->kind == BCMEDIA_ADPCM) {
			uint16_t magic = p->adpcm.sub_magic, half = p->adpcm.half_block;
			if (!p->verbatim && !magic)
				magic = BCMEDIA_ADPCM_SUB_MAGIC;
			if (!p->verbatim && !half)
				half = (uint16_t)(p->data_len / 2);
			wr_le16(h + 8, magic);
			wr_le16(h + 10, half);
		}
		sbuf_add(b, h, p->kind == BCMEDIA_ADPCM ? 12 : 8);
		sbuf_add(b, p->data, p->data_len);
		sbuf_add(b, p->pad ? p->pad : zeros, bcmedia_pad(size));
		break;
	}
	default:
		return -EINVAL;
	}
	if (b->err) {
		b->len = start;
		return b->err;
	}
	return (int)(b->len - start);
}

void bcmedia_frame_set_time(struct bcmedia_frame *f, uint32_t posix_time)
{
	memset(f->additional, 0, 8);
	wr_le32(f->additional, posix_time);
	f->additional_len = 8;
	f->has_time = true;
	f->posix_time = posix_time;
}
