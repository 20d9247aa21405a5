/* BcUdp packet codec: headers, cipher, checksum, discovery XML model; hostile inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "bc/bcudp_pkt.h"
#include "bc/bcudp_xml.h"
#include "util/sbuf.h"

#define HAS(m, f) (((m)->has & BCUDP_HAS(BCUDP_F_##f)) != 0)

static void test_parse_errors(void **state)
{
	struct bcudp_pkt p;
	struct bcudp_err e = { "" };
	uint8_t b[64] = { 0 };

	(void)state;
	assert_int_equal(bcudp_parse(b, 0, &p, &e), -EBADMSG);
	assert_int_equal(bcudp_parse(b, 3, &p, NULL), -EBADMSG);
	memset(b, 0, sizeof(b));
	wr_le32(b, 0x0abcdef0);                 /* a BC header is not a BcUdp packet */
	assert_int_equal(bcudp_parse(b, sizeof(b), &p, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "magic"));
	/* truncated headers */
	wr_le32(b, BCUDP_MAGIC_ACK);
	assert_int_equal(bcudp_parse(b, 27, &p, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "ack header"));
	wr_le32(b, BCUDP_MAGIC_DATA);
	assert_int_equal(bcudp_parse(b, 19, &p, &e), -EBADMSG);
	wr_le32(b, BCUDP_MAGIC_DISC);
	assert_int_equal(bcudp_parse(b, 19, &p, &e), -EBADMSG);
	/* payload_size beyond the datagram names the field */
	wr_le32(b, BCUDP_MAGIC_DATA);
	wr_le32(b + 16, 45);
	assert_int_equal(bcudp_parse(b, 64, &p, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "payload_size 45"));
	wr_le32(b + 16, 44);
	assert_int_equal(bcudp_parse(b, 64, &p, &e), 64);
	wr_le32(b + 16, 0xffffffff);
	assert_int_equal(bcudp_parse(b, 64, &p, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "payload_size"));
	wr_le32(b, BCUDP_MAGIC_ACK);
	wr_le32(b + 24, 37);
	assert_int_equal(bcudp_parse(b, 64, &p, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "ack payload_size 37"));
	wr_le32(b, BCUDP_MAGIC_DISC);
	wr_le32(b + 4, 0x7fffffff);
	assert_int_equal(bcudp_parse(b, 64, &p, &e), -EBADMSG);
}

static void test_lenient_receive(void **state)
{
	uint8_t b[128];
	struct bcudp_pkt p;
	struct bcudp_err e = { "" };
	struct bcudp_msg m;
	uint8_t x[64];
	int n;

	(void)state;
	/* unknown words the protocol fixes are reported, not fatal */
	n = bcudp_build_data(b, sizeof(b), -5, 7, "abc", 3);
	assert_int_equal(n, 23);
	wr_le32(b + 8, 99);
	assert_int_equal(bcudp_parse(b, (size_t)n, &p, NULL), 23);
	assert_int_equal(p.unknown, 99);
	assert_int_equal(p.conn_id, -5);
	/* strict again when sending */
	assert_int_equal(bcudp_serialize(&p, x, sizeof(x)), 23);
	assert_int_equal(rd_le32(x + 8), 0);
	/* bad checksum: parsed, flagged, refused by the decoder with a reason */
	n = bcudp_build_disc(b, sizeof(b), 5, "<P2P><C2D_HB><cid>1</cid><did>2</did></C2D_HB></P2P>",
			     52);
	assert_true(n > 0);
	assert_int_equal(bcudp_parse(b, (size_t)n, &p, NULL), n);
	assert_true(p.crc_ok);
	assert_int_equal(bcudp_msg_decode(&p, &m, &e), 0);
	assert_int_equal(m.kind, BCUDP_K_C2D_HB);
	b[30] ^= 1;
	assert_int_equal(bcudp_parse(b, (size_t)n, &p, NULL), n);
	assert_false(p.crc_ok);
	assert_int_equal(bcudp_msg_decode(&p, &m, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "crc"));
	/* the relay type parses with the discovery layout */
	wr_le32(b, BCUDP_MAGIC_RELAY);
	assert_int_equal(bcudp_parse(b, (size_t)n, &p, NULL), n);
	assert_int_equal(p.type, BCUDP_RELAY);
	assert_int_equal(bcudp_msg_decode(&p, &m, &e), -EBADMSG);
}

static void test_build_strict(void **state)
{
	uint8_t b[64], bm[40];
	struct bcudp_pkt p;

	(void)state;
	memset(bm, 1, sizeof(bm));
	assert_int_equal(bcudp_build_ack(b, sizeof(b), 1, 5, 0, 0, NULL, 0), -EINVAL);
	assert_int_equal(bcudp_build_ack(b, 27, 1, 0, 0, 0, NULL, 0), -ENOSPC);
	assert_int_equal(bcudp_build_ack(b, sizeof(b), 1, 0, 0, 0, bm, 37), -ENOSPC);
	assert_int_equal(bcudp_build_ack(b, sizeof(b), 1, 0, 3, 9, bm, 36), 64);
	assert_int_equal(bcudp_parse(b, 64, &p, NULL), 64);
	assert_int_equal(p.packet_id, 3);
	assert_int_equal(p.latency, 9);
	assert_int_equal(p.payload_len, 36);
	assert_int_equal(bcudp_build_data(b, 19, 1, 0, NULL, 0), -ENOSPC);
	assert_int_equal(bcudp_build_data(b, sizeof(b), 1, 0, NULL, BCUDP_MAX_PAYLOAD + 1),
			 -EMSGSIZE);
	assert_int_equal(bcudp_build_disc(b, sizeof(b), 0, bm, 40), 60);
	assert_int_equal(bcudp_build_disc(b, sizeof(b), 0, bm, 45), -ENOSPC);
	/* wrapping tid: key words + tid overflow without trouble */
	assert_int_equal(bcudp_build_disc(b, sizeof(b), 0xfffffff0u, bm, 40), 60);
	assert_int_equal(bcudp_parse(b, 60, &p, NULL), 60);
	assert_true(p.crc_ok);
	assert_int_equal(p.tid, 0xfffffff0u);
	assert_int_equal(p.unknown, 1);
}

static void test_stream_parser(void **state)
{
	uint8_t b[512];
	size_t len = 0, off = 0;
	struct bcudp_pkt p;
	struct bcudp_err e = { "" };
	int n, count = 0, r;

	(void)state;
	for (int i = 0; i < 5; i++) {
		n = bcudp_build_data(b + len, sizeof(b) - len, 80, (uint32_t)i, "hello", 5);
		assert_true(n > 0);
		len += (size_t)n;
		n = bcudp_build_ack(b + len, sizeof(b) - len, 80, 0, (uint32_t)i, 0, NULL, 0);
		assert_true(n > 0);
		len += (size_t)n;
	}
	while ((r = bcudp_parse_next(b, len, &off, &p, &e)) > 0)
		count++;
	assert_int_equal(r, 0);
	assert_int_equal(count, 10);
	assert_int_equal(off, len);
	/* trailing garbage: error at its offset, everything before consumed */
	memcpy(b + len, "\x10\xcf\x87", 3);
	off = 0;
	count = 0;
	while ((r = bcudp_parse_next(b, len + 3, &off, &p, &e)) > 0)
		count++;
	assert_int_equal(r, -EBADMSG);
	assert_int_equal(count, 10);
	assert_int_equal(off, len);
}

static int parse_str(const char *xml, struct bcudp_msg *m, struct bcudp_err *e)
{
	return bcudp_msg_parse(xml, strlen(xml), m, e);
}

static void test_xml_parse_values(void **state)
{
	struct bcudp_msg m;
	struct bcudp_err e = { "" };

	(void)state;
	/* negative ids, u32 sid, any order, indentation */
	assert_int_equal(parse_str("<P2P>\n  <D2C_CFM>\n    <did>-5</did>\n\t<cid>-376737975</cid>\n"
				   "    <sid>4294967295</sid><conn> relay </conn><rsp>-3</rsp>"
				   "</D2C_CFM>\n</P2P>", &m, &e), 0);
	assert_int_equal(m.kind, BCUDP_K_D2C_CFM);
	assert_int_equal(m.cid, -376737975);
	assert_int_equal(m.did, -5);
	assert_int_equal(m.sid, 4294967295u);
	assert_string_equal(m.conn, "relay");
	assert_int_equal(m.rsp, -3);
	assert_false(HAS(&m, TIME_R));
	/* out of range / not a number: named field */
	assert_int_equal(parse_str("<P2P><C2D_HB><cid>99999999999</cid></C2D_HB></P2P>", &m, &e),
			 -EINVAL);
	assert_non_null(strstr(e.msg, "<cid>"));
	assert_int_equal(parse_str("<P2P><C2D_HB><did>12x</did></C2D_HB></P2P>", &m, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "<did>"));
	assert_int_equal(parse_str("<P2P><C2D_HB><did></did></C2D_HB></P2P>", &m, &e), -EINVAL);
	/* string over its limit */
	{
		char x[300];
		memset(x, 0, sizeof(x));
		strcpy(x, "<P2P><C2D_C><uid>");
		memset(x + strlen(x), 'A', 100);
		strcat(x, "</uid></C2D_C></P2P>");
		assert_int_equal(parse_str(x, &m, &e), -E2BIG);
		assert_non_null(strstr(e.msg, "<uid>"));
	}
	/* structure */
	assert_int_equal(parse_str("<X><C2D_HB/></X>", &m, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "P2P"));
	assert_int_equal(parse_str("<P2P></P2P>", &m, &e), -EBADMSG);
	assert_int_equal(parse_str("<P2P><C2D_HB>", &m, &e), -EBADMSG);
	assert_int_equal(parse_str("", &m, &e), -EBADMSG);
	assert_int_equal(parse_str("<!DOCTYPE x [<!ENTITY a \"b\">]><P2P><C2D_HB/></P2P>", &m, &e),
			 -EBADMSG);
	/* unknown kind: name kept, fields still read */
	assert_int_equal(parse_str("<P2P><X2Y_Z><cid>7</cid><foo>1</foo></X2Y_Z></P2P>", &m, &e), 0);
	assert_int_equal(m.kind, BCUDP_K_UNKNOWN);
	assert_string_equal(m.name, "X2Y_Z");
	assert_int_equal(m.cid, 7);
	/* duplicate element: the first wins */
	assert_int_equal(parse_str("<P2P><C2D_HB><cid>1</cid><cid>2</cid></C2D_HB></P2P>", &m, &e), 0);
	assert_int_equal(m.cid, 1);
}

/* Real P2P server replies from BAICHUAN.md §8. */
static void test_xml_p2p_servers(void **state)
{
	struct bcudp_msg m;
	struct bcudp_err e = { "" };

	(void)state;
	assert_int_equal(parse_str(
		"<P2P><M2C_Q_R><reg><ip>18.162.200.47</ip><port>58200</port></reg>"
		"<relay><ip>1.2.3.4</ip><port>58100</port></relay><log><ip>1.2.3.5</ip><port>57850</port></log>"
		"<t><ip>1.2.3.6</ip><port>9996</port></t><timer/><retry/><mtu>1350</mtu><debug>251658240</debug>"
		"<ac>-1700607721</ac><rsp>0</rsp></M2C_Q_R></P2P>", &m, &e), 0);
	assert_int_equal(m.kind, BCUDP_K_M2C_Q_R);
	assert_string_equal(m.reg.ip, "18.162.200.47");
	assert_int_equal(m.reg.port, 58200);
	assert_int_equal(m.relay.port, 58100);
	assert_int_equal(m.log.port, 57850);
	assert_string_equal(m.t.ip, "1.2.3.6");
	assert_true(HAS(&m, TIMER));
	assert_false(m.timer.has_def);
	assert_int_equal(m.mtu, 1350);
	assert_string_equal(m.debug, "251658240");
	assert_int_equal(m.ac, -1700607721);
	assert_int_equal(m.rsp, 0);

	assert_int_equal(parse_str(
		"<P2P><M2C_Q_R><devinfo><type/><mac/><bat>0</bat><qr>0</qr></devinfo><rsp>-3</rsp>"
		"</M2C_Q_R></P2P>", &m, &e), 0);
	assert_int_equal(m.rsp, -3);
	assert_false(HAS(&m, REG));

	assert_int_equal(parse_str(
		"<P2P><R2C_C_R><dmap><ip>5.6.7.8</ip><port>57933</port></dmap>"
		"<dev><ip>192.168.1.9</ip><port>57933</port></dev><relay><ip>9.9.9.9</ip><port>51134</port></relay>"
		"<relayt><ip>9.9.9.9</ip><port>9997</port></relayt><nat>NULL</nat><sid>495151439</sid><rsp>0</rsp>"
		"<ac>495151439</ac></R2C_C_R></P2P>", &m, &e), 0);
	assert_int_equal(m.kind, BCUDP_K_R2C_C_R);
	assert_string_equal(m.dmap.ip, "5.6.7.8");
	assert_string_equal(m.dev.ip, "192.168.1.9");
	assert_int_equal(m.relayt.port, 9997);
	assert_string_equal(m.nat, "NULL");
	assert_int_equal(m.sid, 495151439u);
	assert_int_equal(m.ac, 495151439);

	assert_int_equal(parse_str(
		"<P2P><R2C_T><dev><ip>1.1.1.1</ip><port>1</port></dev><dmap><ip>2.2.2.2</ip><port>2</port></dmap>"
		"<sid>495151439</sid><cid>254000</cid><rsp>0</rsp></R2C_T></P2P>", &m, &e), 0);
	assert_int_equal(m.kind, BCUDP_K_R2C_T);
	assert_int_equal(m.cid, 254000);
}

static void fill_all(struct bcudp_msg *m)
{
	snprintf(m->uid, sizeof(m->uid), "9527<&>\"'UID");
	m->cli.port = 53812; m->cli.has_port = 1;
	snprintf(m->cli.ip, sizeof(m->cli.ip), "192.168.1.2"); m->cli.has_ip = 1;
	m->to.port = 3000; m->to.has_port = 1;
	m->cid = -376737975; m->did = 80; m->sid = 4000000000u; m->mtu = 1350;
	snprintf(m->debug, sizeof(m->debug), "0");
	snprintf(m->p, sizeof(m->p), "WIN");
	snprintf(m->conn, sizeof(m->conn), "map");
	m->rsp = -1; m->time_r = 7;
	m->timer.def = 3000; m->timer.hb = 10000; m->timer.hbt = 60000;
	m->timer.has_def = m->timer.has_hb = m->timer.has_hbt = 1;
	m->relay.port = 58100; m->relay.has_port = 1;
	snprintf(m->relay.ip, sizeof(m->relay.ip), "1.2.3.4"); m->relay.has_ip = 1;
	m->reg = m->log = m->t = m->dev = m->dmap = m->relayt = m->relay;
	m->reg.port = 1; m->log.port = 2; m->t.port = 3; m->dev.port = 4; m->dmap.port = 5;
	m->relayt.port = 6;
	snprintf(m->nat, sizeof(m->nat), "NULL");
	m->ac = -1700607721; m->family = 4; m->r = 3; m->ver = 3;
}

/* Every kind, both styles: build → parse gives the same fields; strictness of the builder. */
static void test_xml_roundtrip_all_kinds(void **state)
{
	(void)state;
	for (int k = 1; k < BCUDP_K_COUNT; k++) {
		uint32_t req, allowed = bcudp_kind_fields((enum bcudp_kind)k, &req);

		assert_int_not_equal(allowed, 0);
		assert_int_equal(req & ~allowed, 0);
		for (int style = 0; style < 2; style++) {
			unsigned fl = style ? BCUDP_XML_CAMERA : 0;
			struct bcudp_msg m, back;
			struct bcudp_err e = { "" };
			struct sbuf b;

			bcudp_msg_init(&m, (enum bcudp_kind)k);
			fill_all(&m);
			sbuf_init(&b, 0);
			m.has = allowed;
			assert_int_equal(bcudp_msg_build(&m, fl, &b), 0);
			assert_int_equal(memcmp(b.data, style ? "<P2P>\n<" : "<P2P><", style ? 7 : 6), 0);
			assert_int_equal(bcudp_msg_parse(b.data, b.len, &back, &e), 0);
			assert_int_equal(back.kind, k);
			assert_int_equal(back.has, allowed);
			for (int f = 0; f < BCUDP_F_COUNT; f++) {
				if (!(allowed & BCUDP_HAS(f)))
					continue;
				switch (f) {
				case BCUDP_F_UID: assert_string_equal(back.uid, m.uid); break;
				case BCUDP_F_CLI: assert_memory_equal(&back.cli, &m.cli, sizeof(m.cli)); break;
				case BCUDP_F_TO:
					assert_int_equal(back.to.port, 3000);
					assert_false(back.to.has_ip);
					break;
				case BCUDP_F_CID: assert_int_equal(back.cid, m.cid); break;
				case BCUDP_F_DID: assert_int_equal(back.did, m.did); break;
				case BCUDP_F_SID: assert_int_equal(back.sid, m.sid); break;
				case BCUDP_F_MTU: assert_int_equal(back.mtu, m.mtu); break;
				case BCUDP_F_DEBUG: assert_string_equal(back.debug, m.debug); break;
				case BCUDP_F_P: assert_string_equal(back.p, m.p); break;
				case BCUDP_F_CONN: assert_string_equal(back.conn, m.conn); break;
				case BCUDP_F_RSP: assert_int_equal(back.rsp, m.rsp); break;
				case BCUDP_F_TIMER:
					assert_memory_equal(&back.timer, &m.timer, sizeof(m.timer));
					break;
				case BCUDP_F_TIME_R: assert_int_equal(back.time_r, m.time_r); break;
				case BCUDP_F_REG: assert_int_equal(back.reg.port, 1); break;
				case BCUDP_F_RELAY: assert_memory_equal(&back.relay, &m.relay, sizeof(m.relay)); break;
				case BCUDP_F_LOG: assert_int_equal(back.log.port, 2); break;
				case BCUDP_F_T: assert_int_equal(back.t.port, 3); break;
				case BCUDP_F_DEV: assert_int_equal(back.dev.port, 4); break;
				case BCUDP_F_DMAP: assert_int_equal(back.dmap.port, 5); break;
				case BCUDP_F_RELAYT: assert_int_equal(back.relayt.port, 6); break;
				case BCUDP_F_NAT: assert_string_equal(back.nat, m.nat); break;
				case BCUDP_F_AC: assert_int_equal(back.ac, m.ac); break;
				case BCUDP_F_FAMILY: assert_int_equal(back.family, 4); break;
				case BCUDP_F_R: assert_int_equal(back.r, 3); break;
				case BCUDP_F_VER: assert_int_equal(back.ver, 3); break;
				}
			}
			/* mandatory only: fine; one missing or one foreign field: refused */
			m.has = req;
			sbuf_reset(&b);
			assert_int_equal(bcudp_msg_build(&m, fl, &b), 0);
			for (int f = 0; f < BCUDP_F_COUNT; f++) {
				sbuf_reset(&b);
				if (req & BCUDP_HAS(f)) {
					m.has = allowed & ~BCUDP_HAS(f);
					assert_int_equal(bcudp_msg_build(&m, fl, &b), -EINVAL);
				} else if (!(allowed & BCUDP_HAS(f))) {
					m.has = allowed | BCUDP_HAS(f);
					assert_int_equal(bcudp_msg_build(&m, fl, &b), -EINVAL);
				}
			}
			sbuf_free(&b);
		}
	}
}

static void test_xml_encode_decode(void **state)
{
	struct bcudp_msg m, back;
	struct bcudp_pkt p;
	struct bcudp_err e = { "" };
	uint8_t dg[512];
	int n;

	(void)state;
	bcudp_msg_init(&m, BCUDP_K_UNKNOWN);
	m.has = BCUDP_HAS(BCUDP_F_CID);
	assert_int_equal(bcudp_msg_encode(&m, 0, 1, dg, sizeof(dg)), -EINVAL);
	bcudp_msg_init(&m, BCUDP_K_C2D_DISC);
	m.has = BCUDP_HAS(BCUDP_F_CID) | BCUDP_HAS(BCUDP_F_DID);
	m.cid = 12345678;
	m.did = 80;
	n = bcudp_msg_encode(&m, 0, 43, dg, sizeof(dg));
	assert_int_equal(n, 84);                  /* = synthetic/udp_c2d_disc_tid43.bin */
	assert_int_equal(rd_le32(dg + 16), 0x10f72f4eu);
	assert_int_equal(bcudp_msg_encode(&m, 0, 43, dg, 83), -ENOSPC);
	assert_int_equal(bcudp_parse(dg, (size_t)n, &p, NULL), n);
	assert_int_equal(bcudp_msg_decode(&p, &back, &e), 0);
	assert_int_equal(back.kind, BCUDP_K_C2D_DISC);
	/* a data packet is not discovery */
	n = bcudp_build_data(dg, sizeof(dg), 1, 1, "x", 1);
	assert_int_equal(bcudp_parse(dg, (size_t)n, &p, NULL), n);
	assert_int_equal(bcudp_msg_decode(&p, &back, &e), -EBADMSG);
	/* discovery XML over the limit */
	{
		static uint8_t big[BCUDP_MAX_XML + 100];
		memset(big, ' ', sizeof(big));
		n = bcudp_build_disc(big, sizeof(big), 0, big + BCUDP_DISC_HDR, BCUDP_MAX_XML + 1);
		assert_true(n > 0);
		assert_int_equal(bcudp_parse(big, (size_t)n, &p, NULL), n);
		assert_int_equal(bcudp_msg_decode(&p, &back, &e), -E2BIG);
		assert_non_null(strstr(e.msg, "payload_size"));
	}
}

/* Random corruption of valid packets must never crash (run under ASan/UBSan). */
static void test_mutations(void **state)
{
	uint8_t base[256], b[256];
	struct bcudp_msg m;
	struct bcudp_pkt p;
	uint32_t rng = 12345;
	int n;

	(void)state;
	bcudp_msg_init(&m, BCUDP_K_D2C_C_R);
	m.has = BCUDP_HAS(BCUDP_F_TIMER) | BCUDP_HAS(BCUDP_F_RSP) | BCUDP_HAS(BCUDP_F_CID) |
		BCUDP_HAS(BCUDP_F_DID);
	m.timer.has_hb = 1;
	m.timer.hb = 10000;
	m.cid = 5;
	m.did = 6;
	n = bcudp_msg_encode(&m, BCUDP_XML_CAMERA, 42, base, sizeof(base));
	assert_true(n > 0);
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)n;
		memcpy(b, base, len);
		for (int k = 0; k < 1 + i % 4; k++) {
			rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5;
			b[rng % len] ^= (uint8_t)(rng >> 8);
		}
		if (i % 7 == 0)
			len = rng % len;
		/* keep the checksum right half the time so the XML parser sees garbage too */
		if (i & 1 && len >= BCUDP_DISC_HDR && rd_le32(b + 4) <= len - BCUDP_DISC_HDR)
			wr_le32(b + 16, bcudp_crc(b + BCUDP_DISC_HDR, rd_le32(b + 4)));
		if (bcudp_parse(b, len, &p, NULL) > 0 && p.type == BCUDP_DISC)
			(void)bcudp_msg_decode(&p, &m, NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_lenient_receive),
		cmocka_unit_test(test_build_strict),
		cmocka_unit_test(test_stream_parser),
		cmocka_unit_test(test_xml_parse_values),
		cmocka_unit_test(test_xml_p2p_servers),
		cmocka_unit_test(test_xml_roundtrip_all_kinds),
		cmocka_unit_test(test_xml_encode_decode),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
