#include "dump/dump_input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bc/bcmedia.h"
#include "dump/dump_bc.h"
#include "dump/dump_udp.h"

enum dump_type dump_type_from_name(const char *name)
{
	if (!strcmp(name, "bc"))
		return DUMP_T_BC;
	if (!strcmp(name, "bcudp"))
		return DUMP_T_BCUDP;
	if (!strcmp(name, "media") || !strcmp(name, "bcmedia"))
		return DUMP_T_MEDIA;
	if (!strcmp(name, "pcap") || !strcmp(name, "pcapng"))
		return DUMP_T_PCAP;
	return DUMP_T_AUTO;
}

const char *dump_type_name(enum dump_type t)
{
	switch (t) {
	case DUMP_T_BC: return "bc";
	case DUMP_T_BCUDP: return "bcudp";
	case DUMP_T_MEDIA: return "media";
	case DUMP_T_PCAP: return "pcap";
	default: return "auto";
	}
}

enum dump_type dump_detect(const uint8_t *p, size_t n)
{
	static const uint8_t pcaps[][4] = {
		{ 0xa1, 0xb2, 0xc3, 0xd4 }, { 0xd4, 0xc3, 0xb2, 0xa1 },   /* µs, both byte orders */
		{ 0xa1, 0xb2, 0x3c, 0x4d }, { 0x4d, 0x3c, 0xb2, 0xa1 },   /* ns */
		{ 0x0a, 0x0d, 0x0d, 0x0a },                               /* pcapng section */
	};
	static const char *const media[] = { "1001", "1002", "05wb", "01wb" };

	if (n < 4)
		return DUMP_T_AUTO;
	if (!memcmp(p, "\xf0\xde\xbc\x0a", 4) || !memcmp(p, "\xa0\xcb\xed\x0f", 4))
		return DUMP_T_BC;
	if ((p[0] == 0x3a || p[0] == 0x20 || p[0] == 0x10 || p[0] == 0x31) && !memcmp(p + 1, "\xcf\x87\x2a", 3))
		return DUMP_T_BCUDP;
	for (size_t i = 0; i < sizeof(media) / sizeof(media[0]); i++)
		if (!memcmp(p, media[i], 4))
			return DUMP_T_MEDIA;
	if (p[0] >= '0' && p[0] <= '9' && (p[1] == '0' || p[1] == '1') && p[2] == 'd' && p[3] == 'c')
		return DUMP_T_MEDIA;
	for (size_t i = 0; i < sizeof(pcaps) / sizeof(pcaps[0]); i++)
		if (!memcmp(p, pcaps[i], 4))
			return DUMP_T_PCAP;
	return DUMP_T_AUTO;
}

/* ---- consumers ------------------------------------------------------------------------- */

/* BcMedia stream with coalesced garbage runs. */
struct media_in {
	struct bcmedia_parser p;
	uint64_t err_from, err_bytes;
	char err_msg[BC_ERR_MAX];
};

static void media_flush(struct dump *d, struct media_in *m)
{
	if (m->err_from == UINT64_MAX)
		return;
	dump_error(d, m->err_from, NULL, "%s; skipped %llu bytes to the next media magic", m->err_msg,
		   (unsigned long long)m->err_bytes);
	m->err_from = UINT64_MAX;
}

static void media_drain(struct dump *d, struct media_in *m)
{
	struct bcmedia_pkt pkt;

	for (;;) {
		uint64_t at = m->p.consumed + m->p.pending, sk = m->p.skipped;
		int r = bcmedia_parser_next(&m->p, &pkt);

		if (r == 0)
			return;
		if (r == 1) {
			media_flush(d, m);
			dump_media_item(d, &pkt, m->p.pkt_offset, NULL, NULL);
			continue;
		}
		if (m->err_from == UINT64_MAX || m->err_from + m->err_bytes != at) {
			media_flush(d, m);
			m->err_from = at;
			m->err_bytes = 0;
			snprintf(m->err_msg, sizeof(m->err_msg), "%s", m->p.err.msg);
		}
		m->err_bytes += m->p.skipped - sk;
	}
}

static void media_in(struct dump *d, struct media_in *m, const uint8_t *p, size_t n)
{
	while (n) {
		size_t held = m->p.buf.len - m->p.pending;
		size_t room = m->p.buf.max > held ? m->p.buf.max - held : 0;
		size_t k = n < room ? n : room;

		if (!k || bcmedia_parser_feed(&m->p, p, k) < 0) {
			dump_error(d, m->p.consumed, NULL, "bcmedia: cannot buffer input; stream reset");
			bcmedia_parser_reset(&m->p);
			m->p.buf.err = 0;
			if (!k)
				k = n < DUMP_READ_CHUNK ? n : DUMP_READ_CHUNK;
		}
		p += k;
		n -= k;
		media_drain(d, m);
	}
}

/* BcUdp datagrams back to back. */
struct udp_in {
	struct dump_udp u;
	uint8_t *buf;               /* one datagram at most, plus a read chunk */
	size_t len;
	uint64_t base;              /* stream offset of buf[0] */
	uint64_t err_from, err_bytes;
};
#define UDP_IN_CAP (BCUDP_MAX_PAYLOAD + BCUDP_ACK_HDR + DUMP_READ_CHUNK)

static void udp_flush(struct dump *d, struct udp_in *u)
{
	if (u->err_from == UINT64_MAX)
		return;
	dump_error(d, u->err_from, NULL, "bcudp: no packet magic (xx cf 87 2a) or a bad size; skipped %llu bytes",
		   (unsigned long long)u->err_bytes);
	u->err_from = UINT64_MAX;
}

static void udp_consume(struct udp_in *u, size_t n)
{
	memmove(u->buf, u->buf + n, u->len - n);
	u->len -= n;
	u->base += n;
}

/* Could these (< 4) bytes start a BcUdp magic? */
static bool magic_prefix(const uint8_t *p, size_t n)
{
	static const uint8_t tail[3] = { 0xcf, 0x87, 0x2a };

	if (n >= 4)
		return true;
	if (n >= 1 && p[0] != 0x3a && p[0] != 0x20 && p[0] != 0x10 && p[0] != 0x31)
		return false;
	return n <= 1 || !memcmp(p + 1, tail, n - 1);
}

static void udp_drain(struct dump *d, struct udp_in *u, bool eof)
{
	size_t off = 0;

	while (off < u->len) {
		int r = dump_udp_frame_len(u->buf + off, u->len - off);

		if (r == 0 && eof && !magic_prefix(u->buf + off, u->len - off))
			r = -EBADMSG;               /* a tail too short for a packet that is no magic either */
		if (r == 0 || (r > 0 && (size_t)r > u->len - off)) {
			if (!eof)
				break;
			udp_flush(d, u);
			dump_error(d, u->base + off, NULL, "bcudp: truncated packet: %zu bytes at the end%s",
				   u->len - off, r > 0 ? "" : " (header incomplete)");
			off = u->len;
			break;
		}
		if (r < 0) {
			if (u->err_from == UINT64_MAX || u->err_from + u->err_bytes != u->base + off) {
				udp_flush(d, u);
				u->err_from = u->base + off;
				u->err_bytes = 0;
			}
			u->err_bytes++;
			off++;
			continue;
		}
		udp_flush(d, u);
		dump_udp_datagram(d, &u->u, u->buf + off, (size_t)r, u->base + off, NULL);
		off += (size_t)r;
	}
	udp_consume(u, off);
}

int dump_stream_files(struct dump *d, enum dump_type t, char *const *files, int nfiles)
{
	struct dump_bcs bcs;
	struct media_in mi;
	struct udp_in ui;
	uint8_t *chunk = malloc(DUMP_READ_CHUNK);
	uint64_t total = 0;
	int ret = 0;

	memset(&mi, 0, sizeof(mi));
	memset(&ui, 0, sizeof(ui));
	if (!chunk)
		return -ENOMEM;
	if (t == DUMP_T_BC) {
		dump_bcs_init(d, &bcs);
		dump_bcs_crypto_from_opts(d, &bcs);
	} else if (t == DUMP_T_MEDIA) {
		bcmedia_parser_init(&mi.p, d->o.max_frame);
		mi.err_from = UINT64_MAX;
	} else {
		dump_udp_init(&ui.u);
		ui.err_from = UINT64_MAX;
		if (!(ui.buf = malloc(UDP_IN_CAP))) {
			free(chunk);
			return -ENOMEM;
		}
	}

	for (int fi = 0; fi < nfiles && !ret; fi++) {
		int fd = strcmp(files[fi], "-") ? open(files[fi], O_RDONLY | O_CLOEXEC) : 0;

		if (fd < 0) {
			dump_error(d, total, NULL, "%s: %s", files[fi], strerror(errno));
			ret = -EIO;
			break;
		}
		dump_file_add(d, total, files[fi]);
		for (;;) {
			size_t want = DUMP_READ_CHUNK;
			uint8_t *dst = chunk;
			ssize_t n;

			if (t == DUMP_T_BCUDP) {
				dst = ui.buf + ui.len;
				want = UDP_IN_CAP - ui.len < DUMP_READ_CHUNK ? UDP_IN_CAP - ui.len
									     : DUMP_READ_CHUNK;
			}
			n = read(fd, dst, want);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				dump_error(d, total, NULL, "%s: %s", files[fi], strerror(errno));
				ret = -EIO;
				break;
			}
			if (n == 0)
				break;
			total += (uint64_t)n;
			if (t == DUMP_T_BC) {
				dump_bcs_feed(d, &bcs, chunk, (size_t)n, NULL);
			} else if (t == DUMP_T_MEDIA) {
				media_in(d, &mi, chunk, (size_t)n);
			} else {
				ui.len += (size_t)n;
				udp_drain(d, &ui, false);
			}
		}
		if (fd > 0)
			close(fd);
	}

	if (t == DUMP_T_BC) {
		dump_bcs_finish(d, &bcs, NULL);
		dump_bcs_free(&bcs);
	} else if (t == DUMP_T_MEDIA) {
		size_t held = mi.p.buf.len - mi.p.pending;
		media_flush(d, &mi);
		if (held)
			dump_error(d, mi.p.consumed + mi.p.pending, NULL,
				   "bcmedia: truncated packet: %zu bytes at the end", held);
		bcmedia_parser_free(&mi.p);
	} else {
		udp_drain(d, &ui, true);
		udp_flush(d, &ui);
		dump_udp_finish(d, &ui.u);
		dump_udp_free(&ui.u);
		free(ui.buf);
	}
	free(chunk);
	return ret;
}
