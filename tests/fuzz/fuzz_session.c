/* libFuzzer: the client side of a BcUdp session fed arbitrary datagrams — the reliable
 * transport (bcconn, client role), the BC reader with the negotiated encryption, and the
 * session's handling of whatever arrives (keep-alives answered, battery/motion XML, VersionInfo,
 * video media into frames, a msg-109 snapshot asked for by bit 4), before and while streaming.
 * Input: [flags u8][tid u8] then records [len u16 LE][datagram].  Our connection id is the
 * one the first datagram is addressed to (so real captures make seeds). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "bc/bc_header.h"
#include "util/sbuf.h"
#include "net/udpsock.h"
#include "source/bcsess.h"
#include "source/src_alarm.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static uint64_t frames;

static void on_frame(void *o, const struct bcmedia_pkt *p)
{
	(void)o;
	CHECK(p->data_len <= (1u << 20) || !p->data);
	frames++;
}

static void on_battery(void *o, int pct, const char *charge)
{
	(void)o;
	(void)pct;
	CHECK(strlen(charge) < 256);
}

/* hostile alarm reports go through the mapping to events too */
static void on_alarm(void *o, const struct bc_alarm_list *l)
{
	static struct src_alarm a;
	struct ev out[SRC_ALARM_NTYPES];

	(void)o;
	CHECK(src_alarm_update(&a, l, -1, out) <= SRC_ALARM_NTYPES);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const unsigned enc[4] = { BC_ENC_NONE, BC_ENC_XOR, BC_ENC_AES, BC_ENC_FULL_AES };
	static int sock = -1;
	static struct sockaddr_in self;
	struct bcsess s;
	size_t off = 2;
	int fd;

	if (n < 2)
		return 0;
	if (sock < 0) {
		/* the session's acks and replies go to this socket itself: never read, so once its
		 * buffer is full they are dropped (EAGAIN), like a lossy link */
		sock = sock_udp_open("127.0.0.1", 0, SOCK_F_NONBLOCK, NULL);
		CHECK(sock >= 0);
		CHECK(sock_addr(&self, "127.0.0.1", (uint16_t)sock_local_port(sock)) == 0);
	}
	fd = dup(sock);
	CHECK(fd >= 0);
	bcsess_init(&s, 1u << 20, 1u << 20, 0);
	s.cb.frame = on_frame;
	s.cb.battery = on_battery;
	s.cb.alarm = on_alarm;
	if (bcsess_attach_udp(&s, fd, &self, n >= 12 ? (int32_t)rd_le32(d + 8) : 77, 88, d[1], 0) < 0) {
		bcsess_free(&s);
		return 0;
	}
	if (d[0] & 3) {
		CHECK(bc_reader_set_crypto(&s.rd, enc[d[0] & 3], "0123456789ABCDEF", "pw") == 0);
		CHECK(bc_crypto_set(&s.tx_crypto, enc[d[0] & 3], "0123456789ABCDEF", "pw") == 0);
		s.enc = enc[d[0] & 3];
	}
	s.video_on = !!(d[0] & 4);
	s.video_num = d[0] >> 3;
	if (d[0] & 8)
		(void)bcsess_query_version(&s);
	if (d[0] & 16)
		(void)bcsess_snap_start(&s);
	while (off + 2 <= n) {
		size_t len = (size_t)(d[off] | d[off + 1] << 8);
		off += 2;
		if (len > n - off)
			len = n - off;
		if (bcsess_input(&s, d + off, len) < 0)
			break;   /* the session would end here */
		off += len;
	}
	CHECK(strlen(s.err) < sizeof(s.err));
	/* never more than announced, and DONE only with a complete JPEG */
	CHECK(s.snap.len <= s.snap_size);
	CHECK(bcsess_snap_poll(&s) != BCSESS_SNAP_DONE ||
	      (s.snap.len == s.snap_size && s.snap.len >= 4 && s.snap.data[0] == 0xff));
	bcsess_free(&s);
	return 0;
}
