/* libFuzzer: any bytes as BcUdp packets (stream parser, discovery decode, re-serialisation),
 * then as a script driving a client and a camera bcconn: records [op u8][len u16 LE][bytes]
 * deliver datagrams, write stream bytes/messages, read, and advance the fake clock. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bc/bcudp_pkt.h"
#include "bc/bcudp_xml.h"
#include "net/bcconn.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static void parse_all(const uint8_t *d, size_t n)
{
	static uint8_t out[70000];
	struct bcudp_pkt p;
	struct bcudp_msg m;
	struct bcudp_err e;
	size_t off = 0;
	int r;

	while ((r = bcudp_parse_next(d, n, &off, &p, &e)) > 0) {
		int s = bcudp_serialize(&p, out, sizeof(out));
		int bad_group = p.type == BCUDP_ACK && p.group_id != 0 && p.group_id != BCUDP_ID_NONE;

		/* strict when sending: only a forbidden ack group_id is refused */
		if (bad_group)
			CHECK(s == -EINVAL);
		else
			CHECK(s == (int)((p.type == BCUDP_ACK ? BCUDP_ACK_HDR : 20) + p.payload_len));
		if (s > 0) {
			/* everything but the unknown word (and a discovery crc) is reproduced */
			const uint8_t *in = d + off - (size_t)s;
			size_t from = p.type == BCUDP_DATA || p.type == BCUDP_ACK ? 12 : 20;
			CHECK(!memcmp(out, in, 8) && !memcmp(out + 12, in + 12, 4) &&
			      !memcmp(out + from, in + from, (size_t)s - from));
		}
		if (p.type == BCUDP_DISC && bcudp_msg_decode(&p, &m, &e) == 0 &&
		    m.kind != BCUDP_K_UNKNOWN) {
			/* a decoded message re-encodes when its fields suit its kind */
			int k = bcudp_msg_encode(&m, BCUDP_XML_CAMERA, p.tid, out, sizeof(out));
			CHECK(k > 0 || k == -EINVAL || k == -E2BIG);
		}
	}
	CHECK(off <= n);
}

static void pump(struct bcconn *from, struct bcconn *to, uint64_t now, int deliver)
{
	static uint8_t dg[BCCONN_DGRAM_MAX];
	struct bcudp_pkt p;
	int n, guard = 0;

	while ((n = bcconn_poll(from, now, dg, sizeof(dg))) > 0 && guard++ < 256) {
		CHECK(bcudp_parse(dg, (size_t)n, &p, NULL) == n);
		if (deliver)
			bcconn_on_datagram(to, dg, (size_t)n, now);
	}
	CHECK(n >= 0 || guard >= 256);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bcconn_cfg cc, mc;
	struct bcconn *cl, *cam;
	uint64_t now = 0;
	uint8_t buf[4096];
	size_t off = 0;

	parse_all(data, size);

	bcconn_cfg_defaults(&cc, BCCONN_CLIENT, 82000, 80);
	bcconn_cfg_defaults(&mc, BCCONN_CAMERA, 80, 82000);
	cc.rx_window = mc.rx_window = 64;
	cc.tx_queue = mc.tx_queue = 32;
	cc.tx_inflight = mc.tx_inflight = 16;
	if (size && (data[0] & 1))
		mc.ack_bitmap = 0;
	if (size)
		mc.msg_align = (enum bcconn_align)(data[0] >> 1 & 1 ? BCCONN_ALIGN_HEADER
								  : BCCONN_ALIGN_WHOLE);
	if (bcconn_new(&cc, 0, &cl) < 0)
		return 0;
	if (bcconn_new(&mc, 0, &cam) < 0) {
		bcconn_free(cl);
		return 0;
	}
	/* the raw input as one datagram to each side (the captures are real ones) */
	bcconn_on_datagram(cl, data, size, now);
	bcconn_on_datagram(cam, data, size, now);

	while (off + 3 <= size) {
		uint8_t op = data[off];
		size_t len = (size_t)(data[off + 1] | data[off + 2] << 8);
		const uint8_t *b = data + off + 3;
		struct bcconn *c = op & 0x80 ? cam : cl;

		off += 3;
		if (len > size - off)
			len = size - off;
		off += len;
		switch (op & 7) {
		case 0:
			bcconn_on_datagram(c, b, len, now);
			break;
		case 1:
			bcconn_write(c, b, len);
			break;
		case 2:
			bcconn_write_msg(c, b, len);
			break;
		case 3: {
			size_t got = bcconn_read(c, buf, len < sizeof(buf) ? len : sizeof(buf));
			CHECK(got <= sizeof(buf));
			break;
		}
		case 4:
			now += (uint64_t)len * 1000;
			pump(cl, cam, now, op & 0x40);
			pump(cam, cl, now, op & 0x20);
			break;
		case 5: {
			/* once everything due is sent, the deadline lies ahead: no busy loop */
			static uint8_t dg[BCCONN_DGRAM_MAX];
			int guard = 0;
			now += len;
			while (bcconn_poll(c, now, dg, sizeof(dg)) > 0)
				CHECK(++guard < 10000);
			CHECK(bcconn_next_deadline(c, now) > now);
			(void)bcconn_state(c, now);
			break;
		}
		case 6:
			if (op & 0x40)
				bcconn_close(c);
			break;
		default: {
			struct bcconn_stats st;
			bcconn_get_stats(c, &st);
			CHECK(st.rx_buffered <= 64 && st.tx_inflight <= 16 && st.tx_queued <= 32);
			break;
		}
		}
	}
	pump(cl, cam, now + 600000, 1);
	pump(cam, cl, now + 600000, 1);
	while (bcconn_read(cl, buf, sizeof(buf)) > 0)
		;
	bcconn_free(cl);
	bcconn_free(cam);
	return 0;
}
