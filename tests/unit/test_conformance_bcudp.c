/* BcUdp conformance: every real capture in conformance/bcudp/ and every synthetic udp_* vector
 * (values from conformance/INDEX.md §2 and §4).  Discovery packets are decoded, checked field by
 * field and re-encoded byte-identically (all real captures, client and camera alike, put a
 * newline after every tag: BCUDP_XML_CAMERA); Data/Ack packets re-serialise byte-identically. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "testutil.h"
#include "bc/bcudp_pkt.h"
#include "bc/bcudp_xml.h"
#include "net/bcconn.h"
#include "util/sbuf.h"

#define HAS(m, f) (((m)->has & BCUDP_HAS(BCUDP_F_##f)) != 0)

/* Parses a file holding exactly one packet. */
static uint8_t *load_one(const char *rel, size_t *len, struct bcudp_pkt *p)
{
	struct bcudp_err e = { "" };
	uint8_t *buf = tu_read_conformance(rel, len);
	int r;

	assert_non_null(buf);
	r = bcudp_parse(buf, *len, p, &e);
	if (r < 0)
		fail_msg("%s: %s", rel, e.msg);
	assert_int_equal((size_t)r, *len);
	return buf;
}

/* Decodes a discovery file, checks tid/crc, and re-encodes it byte-identically. */
static uint8_t *load_disc(const char *rel, uint32_t tid, enum bcudp_kind kind, unsigned flags,
			  struct bcudp_msg *m)
{
	struct bcudp_err e = { "" };
	struct bcudp_pkt p;
	uint8_t out[1024];
	size_t len;
	uint8_t *buf = load_one(rel, &len, &p);
	int n;

	assert_int_equal(p.type, BCUDP_DISC);
	assert_int_equal(p.unknown, 1);
	assert_int_equal(p.tid, tid);
	assert_true(p.crc_ok);
	assert_int_equal(p.crc, bcudp_crc(p.payload, p.payload_len));
	if (bcudp_msg_decode(&p, m, &e) < 0)
		fail_msg("%s: %s", rel, e.msg);
	assert_int_equal(m->kind, kind);
	n = bcudp_msg_encode(m, flags, tid, out, sizeof(out));
	assert_int_equal(n, (int)len);
	assert_memory_equal(out, buf, len);
	/* and the raw packet re-serialises too */
	n = bcudp_serialize(&p, out, sizeof(out));
	assert_int_equal(n, (int)len);
	assert_memory_equal(out, buf, len);
	return buf;
}

static void test_crc_and_keystream(void **state)
{
	static const uint8_t ks0[32] = {
		0x4b, 0x3c, 0x2d, 0x1f, 0x8d, 0x7f, 0x6c, 0x5a, 0x4b, 0x2e, 0x17, 0x38, 0x5a, 0x63,
		0x71, 0x82, 0x2b, 0x1a, 0x3f, 0x86, 0xd8, 0xf7, 0xc6, 0xa5, 0xb4, 0xe1, 0x71, 0x83,
		0xa5, 0xd3, 0xf2, 0x17 };
	static const uint8_t ks87[32] = {
		0xa2, 0x3c, 0x2d, 0x1f, 0xe4, 0x7f, 0x6c, 0x5a, 0xa2, 0x2e, 0x17, 0x38, 0xb1, 0x63,
		0x71, 0x82, 0x82, 0x1a, 0x3f, 0x86, 0x2f, 0xf8, 0xc6, 0xa5, 0x0b, 0xe2, 0x71, 0x83,
		0xfc, 0xd3, 0xf2, 0x17 };
	uint8_t z[64];

	(void)state;
	assert_int_equal(bcudp_crc("123456789", 9), 0x2dfd2d88u);
	memset(z, 0, sizeof(z));
	bcudp_xor(z, sizeof(z), 0);
	assert_memory_equal(z, ks0, 32);
	assert_memory_equal(z + 32, ks0, 32);      /* repeats every 32 bytes */
	memset(z, 0, sizeof(z));
	bcudp_xor(z, 32, 87);
	assert_memory_equal(z, ks87, 32);
}

static void test_xml_crypto_sample(void **state)
{
	size_t el, pl, ml;
	uint8_t *enc = tu_read_conformance("bcudp/xml_crypto_sample1.bin", &el);
	uint8_t *plain = tu_read_conformance("bcudp/xml_crypto_sample1_plaintext.bin", &pl);
	uint8_t *multi0 = tu_read_conformance("bcudp/udp_multi_0.bin", &ml);
	struct bcudp_msg m;
	struct sbuf b;

	(void)state;
	assert_int_equal(el, 100);
	assert_int_equal(pl, 100);
	/* it is the payload of udp_multi_0 */
	assert_int_equal(ml, 120);
	assert_memory_equal(multi0 + 20, enc, 100);
	bcudp_xor(enc, el, 87);
	assert_memory_equal(enc, plain, pl);
	assert_int_equal(bcudp_msg_parse(plain, pl, &m, NULL), 0);
	assert_int_equal(m.kind, BCUDP_K_D2C_T);
	assert_int_equal(m.sid, 62097899u);
	assert_string_equal(m.conn, "local");
	assert_int_equal(m.cid, 82000);
	assert_int_equal(m.did, 80);
	/* camera style rebuilds the plaintext exactly */
	sbuf_init(&b, 0);
	assert_int_equal(bcudp_msg_build(&m, BCUDP_XML_CAMERA, &b), 0);
	assert_int_equal(b.len, pl);
	assert_memory_equal(b.data, plain, pl);
	sbuf_free(&b);
	free(enc);
	free(plain);
	free(multi0);
}

static void test_negotiate_disc(void **state)
{
	struct bcudp_msg m;
	struct bcudp_pkt p;
	size_t len;
	uint8_t *buf = load_disc("bcudp/udp_negotiate_disc.bin", 96, BCUDP_K_C2D_DISC,
				 BCUDP_XML_CAMERA, &m);

	(void)state;
	assert_int_equal(m.cid, 82000);
	assert_int_equal(m.did, 80);
	assert_int_equal(m.has, BCUDP_HAS(BCUDP_F_CID) | BCUDP_HAS(BCUDP_F_DID));
	assert_int_equal(bcudp_parse(buf, 87, &p, NULL), 87);
	assert_int_equal(p.payload_len, 67);
	assert_int_equal(p.crc, 0x42824554u);
	free(buf);
	(void)len;
}

static void test_negotiate_camt(void **state)
{
	struct bcudp_msg m;
	uint8_t *buf = load_disc("bcudp/udp_negotiate_camt.bin", 113, BCUDP_K_D2C_T,
				 BCUDP_XML_CAMERA, &m);

	(void)state;
	assert_int_equal(m.sid, 62098713u);
	assert_string_equal(m.conn, "local");
	assert_int_equal(m.cid, 82001);
	assert_int_equal(m.did, 96);
	free(buf);
}

static void test_negotiate_clientt(void **state)
{
	struct bcudp_msg m;
	uint8_t *buf = load_disc("bcudp/udp_negotiate_clientt.bin", 1101, BCUDP_K_C2D_T,
				 BCUDP_XML_CAMERA, &m);

	(void)state;
	assert_int_equal(m.sid, 62098713u);
	assert_string_equal(m.conn, "local");
	assert_int_equal(m.cid, 82001);
	assert_int_equal(m.mtu, 1350);
	assert_false(HAS(&m, DID));
	free(buf);
}

static void test_negotiate_camcfm(void **state)
{
	struct bcudp_msg m;
	uint8_t *buf = load_disc("bcudp/udp_negotiate_camcfm.bin", 1101, BCUDP_K_D2C_CFM,
				 BCUDP_XML_CAMERA, &m);

	(void)state;
	assert_int_equal(m.sid, 62098713u);
	assert_string_equal(m.conn, "local");
	assert_int_equal(m.rsp, 0);
	assert_int_equal(m.cid, 82001);
	assert_int_equal(m.did, 96);
	assert_true(HAS(&m, TIME_R));
	assert_int_equal(m.time_r, 0);
	free(buf);
}

static void test_ack_capture(void **state)
{
	struct bcudp_pkt p;
	uint8_t out[64];
	size_t len;
	uint8_t *buf = load_one("bcudp/udp_ack.bin", &len, &p);

	(void)state;
	assert_int_equal(len, 28);
	assert_int_equal(p.type, BCUDP_ACK);
	assert_int_equal(p.conn_id, 80);
	assert_int_equal(p.unknown, 0);
	assert_int_equal(p.group_id, 0);
	assert_int_equal(p.packet_id, 2439);
	assert_int_equal(p.latency, 0);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(bcudp_serialize(&p, out, sizeof(out)), 28);
	assert_memory_equal(out, buf, 28);
	assert_int_equal(bcudp_build_ack(out, sizeof(out), 80, 0, 2439, 0, NULL, 0), 28);
	assert_memory_equal(out, buf, 28);
	free(buf);
}

/* Checks a 24-byte BC header of a camera msg-3 message and returns its body length. */
static uint32_t bc_msg3(const uint8_t *h)
{
	assert_int_equal(rd_le32(h), 0x0abcdef0u);
	assert_int_equal(rd_le32(h + 4), 3);         /* msg_id */
	assert_int_equal(h[13], 1);                  /* stream_type: substream */
	assert_int_equal(rd_le16(h + 14), 0x1f00);   /* msg_num */
	assert_int_equal(rd_le16(h + 16), 200);      /* response code */
	assert_int_equal(rd_le16(h + 18), 0x0000);   /* class: 24-byte header */
	assert_int_equal(rd_le32(h + 20), 0);        /* payload_offset */
	return rd_le32(h + 8);
}

static void test_data_capture(void **state)
{
	static const uint32_t bodies[3] = { 224, 240, 640 };
	struct bcudp_pkt p;
	uint8_t out[2048];
	size_t len, off = 0;
	uint8_t *buf = load_one("bcudp/udp_data.bin", &len, &p);

	(void)state;
	assert_int_equal(len, 1196);
	assert_int_equal(p.type, BCUDP_DATA);
	assert_int_equal(p.conn_id, 82000);
	assert_int_equal(p.unknown, 0);
	assert_int_equal(p.packet_id, 2439);
	assert_int_equal(p.payload_len, 1176);
	assert_int_equal(bcudp_serialize(&p, out, sizeof(out)), 1196);
	assert_memory_equal(out, buf, 1196);
	/* three complete BC messages: AAC, AAC, H264 P-frame */
	for (int i = 0; i < 3; i++) {
		assert_true(off + 24 <= p.payload_len);
		assert_int_equal(bc_msg3(p.payload + off), bodies[i]);
		off += 24 + bodies[i];
	}
	assert_int_equal(off, p.payload_len);
	assert_memory_equal(p.payload + 24, "05wb", 4);
	assert_memory_equal(p.payload + 24 + 224 + 24 + 240 + 24, "01dc", 4);
	free(buf);
}

static void check_cfm(const struct bcudp_msg *m)
{
	assert_int_equal(m->sid, 62097899u);
	assert_string_equal(m->conn, "local");
	assert_int_equal(m->rsp, 0);
	assert_int_equal(m->cid, 82000);
	assert_int_equal(m->did, 80);
	assert_true(HAS(m, TIME_R));
	assert_int_equal(m->time_r, 0);
}

static void test_multi_each(void **state)
{
	struct bcudp_msg m;
	struct bcudp_pkt p;
	uint8_t *buf, out[2048];
	size_t len;
	char rel[64];

	(void)state;
	buf = load_disc("bcudp/udp_multi_0.bin", 87, BCUDP_K_D2C_T, BCUDP_XML_CAMERA, &m);
	assert_int_equal(m.sid, 62097899u);
	assert_string_equal(m.conn, "local");
	assert_int_equal(m.cid, 82000);
	assert_int_equal(m.did, 80);
	free(buf);
	buf = load_disc("bcudp/udp_multi_1.bin", 92, BCUDP_K_C2D_T, BCUDP_XML_CAMERA, &m);
	assert_int_equal(m.sid, 62097899u);
	assert_string_equal(m.conn, "local");
	assert_int_equal(m.cid, 82000);
	assert_int_equal(m.mtu, 1350);
	free(buf);
	for (int i = 2; i <= 9; i++) {
		snprintf(rel, sizeof(rel), "bcudp/udp_multi_%d.bin", i);
		if (i == 3 || i == 4 || i == 7) {
			buf = load_one(rel, &len, &p);
			assert_int_equal(p.type, BCUDP_DATA);
			assert_int_equal(p.conn_id, 80);
			assert_int_equal(p.unknown, 0);
			assert_int_equal(p.packet_id, i == 4 ? 1 : 0);
			assert_int_equal(p.payload_len, i == 4 ? 526 : 1330);
			assert_int_equal(len, i == 4 ? 546 : 1350);
			assert_int_equal(bcudp_serialize(&p, out, sizeof(out)), (int)len);
			assert_memory_equal(out, buf, len);
		} else {
			buf = load_disc(rel, 92, BCUDP_K_D2C_CFM, BCUDP_XML_CAMERA, &m);
			check_cfm(&m);
		}
		free(buf);
	}
}

/* udp_multi_0..9 concatenated: the stream parser consumes everything; the Data payloads of
 * packets 0 and 1 form the official client's 1856-byte legacy login. */
static void test_multi_stream(void **state)
{
	static const enum bcudp_type want[10] = {
		BCUDP_DISC, BCUDP_DISC, BCUDP_DISC, BCUDP_DATA, BCUDP_DATA,
		BCUDP_DISC, BCUDP_DISC, BCUDP_DATA, BCUDP_DISC, BCUDP_DISC };
	uint8_t *all = NULL, login[4096];
	size_t total = 0, off = 0, llen = 0;
	struct bcudp_pkt p;
	struct bcudp_err e = { "" };
	int n = 0, r;

	(void)state;
	for (int i = 0; i < 10; i++) {
		char rel[64];
		size_t len;
		uint8_t *b;
		snprintf(rel, sizeof(rel), "bcudp/udp_multi_%d.bin", i);
		b = tu_read_conformance(rel, &len);
		assert_non_null(b);
		all = realloc(all, total + len);
		assert_non_null(all);
		memcpy(all + total, b, len);
		total += len;
		free(b);
	}
	while ((r = bcudp_parse_next(all, total, &off, &p, &e)) > 0) {
		assert_true(n < 10);
		assert_int_equal(p.type, want[n]);
		if (p.type == BCUDP_DISC)
			assert_true(p.crc_ok);
		/* reassemble by packet id, ignoring the retransmission of packet 0 */
		if (p.type == BCUDP_DATA && n != 7) {
			assert_int_equal(p.packet_id, n == 3 ? 0 : 1);
			memcpy(login + llen, p.payload, p.payload_len);
			llen += p.payload_len;
		}
		n++;
	}
	if (r < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(n, 10);
	assert_int_equal(off, total);
	assert_int_equal(llen, 1856);
	/* BC legacy login header, read directly */
	assert_int_equal(rd_le32(login), 0x0abcdef0u);
	assert_int_equal(rd_le32(login + 4), 1);        /* msg_id */
	assert_int_equal(rd_le32(login + 8), 1836);     /* body_len */
	assert_int_equal(rd_le16(login + 14), 256);     /* msg_num (official client byte 15) */
	assert_int_equal(rd_le16(login + 16), 0xdc12);  /* offers full AES */
	assert_int_equal(rd_le16(login + 18), 0x6514);  /* legacy class, 20-byte header */
	assert_int_equal(20 + 1836, 1856);
	free(all);
}

/* The capture fed through a camera-role bcconn (did 80, client cid 82000): control packets are
 * handed back to the caller, the login arrives once despite the retransmission. */
static void test_multi_bcconn(void **state)
{
	struct bcconn_cfg cfg;
	struct bcconn *c;
	struct bcconn_stats st;
	uint8_t out[4096];
	size_t got = 0;

	(void)state;
	bcconn_cfg_defaults(&cfg, BCCONN_CAMERA, 80, 82000);
	assert_int_equal(bcconn_new(&cfg, 0, &c), 0);
	for (int i = 0; i < 10; i++) {
		char rel[64];
		size_t len;
		uint8_t *b;
		int r;
		snprintf(rel, sizeof(rel), "bcudp/udp_multi_%d.bin", i);
		b = tu_read_conformance(rel, &len);
		r = bcconn_on_datagram(c, b, len, (uint64_t)i * 1000);
		assert_int_equal(r, (i == 3 || i == 4 || i == 7) ? 0 : 1);
		free(b);
	}
	got = bcconn_read(c, out, sizeof(out));
	assert_int_equal(got, 1856);
	assert_int_equal(rd_le16(out + 16), 0xdc12);
	assert_int_equal(rd_le16(out + 18), 0x6514);
	bcconn_get_stats(c, &st);
	assert_int_equal(st.rx_data, 3);
	assert_int_equal(st.rx_dup, 1);
	assert_int_equal(st.rx_gaps, 0);
	bcconn_free(c);
}

static void test_synthetic_c2d_c(void **state)
{
	struct bcudp_msg m;
	uint8_t *buf = load_disc("synthetic/udp_c2d_c_tid42.bin", 42, BCUDP_K_C2D_C, 0, &m);

	(void)state;
	assert_string_equal(m.uid, "95270000ABCDEFGH");
	assert_true(m.cli.has_port);
	assert_false(m.cli.has_ip);
	assert_int_equal(m.cli.port, 53812);
	assert_int_equal(m.cid, 12345678);
	assert_int_equal(m.mtu, 1350);
	assert_string_equal(m.debug, "false");
	assert_string_equal(m.p, "MAC");
	free(buf);
}

static void test_synthetic_d2c_c_r(void **state)
{
	struct bcudp_msg m;
	/* SYNTHETIC_VECTORS.md shows this XML compact, but the file has camera-style newlines */
	uint8_t *buf = load_disc("synthetic/udp_d2c_c_r_tid42.bin", 42, BCUDP_K_D2C_C_R,
				 BCUDP_XML_CAMERA, &m);

	(void)state;
	assert_true(m.timer.has_def && m.timer.has_hb && m.timer.has_hbt);
	assert_int_equal(m.timer.def, 3000);
	assert_int_equal(m.timer.hb, 10000);
	assert_int_equal(m.timer.hbt, 60000);
	assert_int_equal(m.rsp, 0);
	assert_int_equal(m.cid, 12345678);
	assert_int_equal(m.did, 80);
	free(buf);
}

static void test_synthetic_hb_disc(void **state)
{
	struct bcudp_msg m;
	uint8_t *buf = load_disc("synthetic/udp_c2d_hb_tid42.bin", 42, BCUDP_K_C2D_HB, 0, &m);

	(void)state;
	assert_int_equal(m.cid, 12345678);
	assert_int_equal(m.did, 80);
	free(buf);
	buf = load_disc("synthetic/udp_c2d_disc_tid43.bin", 43, BCUDP_K_C2D_DISC, 0, &m);
	assert_int_equal(m.cid, 12345678);
	assert_int_equal(m.did, 80);
	free(buf);
}

static void test_synthetic_data_ack(void **state)
{
	static const uint8_t login_upgrade[20] = {
		0xf0, 0xde, 0xbc, 0x0a, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0xdc, 0x14, 0x65 };
	static const uint8_t bm[5] = { 0, 1, 1, 0, 1 };
	struct bcudp_pkt p;
	uint8_t out[128];
	size_t len;
	uint8_t *buf;

	(void)state;
	buf = load_one("synthetic/udp_data_login_upgrade.bin", &len, &p);
	assert_int_equal(p.type, BCUDP_DATA);
	assert_int_equal(p.conn_id, 80);
	assert_int_equal(p.packet_id, 0);
	assert_int_equal(p.payload_len, 20);
	assert_memory_equal(p.payload, login_upgrade, 20);
	assert_int_equal(bcudp_build_data(out, sizeof(out), 80, 0, login_upgrade, 20), 40);
	assert_memory_equal(out, buf, 40);
	free(buf);

	buf = load_one("synthetic/udp_ack_empty.bin", &len, &p);
	assert_int_equal(p.type, BCUDP_ACK);
	assert_int_equal(p.conn_id, 80);
	assert_int_equal(p.group_id, BCUDP_ID_NONE);
	assert_int_equal(p.packet_id, BCUDP_ID_NONE);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(bcudp_serialize(&p, out, sizeof(out)), 28);
	assert_memory_equal(out, buf, 28);
	free(buf);

	buf = load_one("synthetic/udp_ack_bitmap.bin", &len, &p);
	assert_int_equal(len, 33);
	assert_int_equal(p.packet_id, 41);
	assert_int_equal(p.group_id, 0);
	assert_int_equal(p.payload_len, 5);
	assert_memory_equal(p.payload, bm, 5);
	assert_int_equal(bcudp_build_ack(out, sizeof(out), 80, 0, 41, 0, bm, 5), 33);
	assert_memory_equal(out, buf, 33);
	free(buf);
}

/* A camera bcconn fed the synthetic bitmap ack acknowledges exactly ≤41, 43, 44, 46. */
static void test_synthetic_ack_into_bcconn(void **state)
{
	struct bcconn_cfg cfg;
	struct bcconn *c;
	struct bcconn_stats st;
	uint8_t dg[BCCONN_DGRAM_MAX], pay[100];
	size_t len;
	uint8_t *ack;
	uint32_t resent[8];
	int nres = 0, n;

	(void)state;
	bcconn_cfg_defaults(&cfg, BCCONN_CAMERA, 80, 12345678);
	cfg.msg_align = BCCONN_ALIGN_PACKET;      /* one message per packet: ids 0..46 */
	assert_int_equal(bcconn_new(&cfg, 0, &c), 0);
	memset(pay, 0xab, sizeof(pay));
	for (int i = 0; i < 47; i++)
		assert_int_equal(bcconn_write_msg(c, pay, sizeof(pay)), (int)sizeof(pay));
	while ((n = bcconn_poll(c, 0, dg, sizeof(dg))) > 0)
		;
	bcconn_get_stats(c, &st);
	assert_int_equal(st.tx_inflight, 47);
	ack = tu_read_conformance("synthetic/udp_ack_bitmap.bin", &len);
	/* the synthetic ack addresses connection 80 */
	assert_int_equal(bcconn_on_datagram(c, ack, len, 1000), 0);
	free(ack);
	bcconn_get_stats(c, &st);
	assert_int_equal(st.tx_inflight, 5);     /* 42..46 still unacknowledged by cumulative */
	/* after 500 ms only 42 and 45 are resent */
	while ((n = bcconn_poll(c, 600000, dg, sizeof(dg))) > 0) {
		struct bcudp_pkt p;
		assert_true(bcudp_parse(dg, (size_t)n, &p, NULL) > 0);
		if (p.type == BCUDP_DATA) {
			assert_true(nres < 8);
			resent[nres++] = p.packet_id;
		}
	}
	assert_int_equal(nres, 2);
	assert_int_equal(resent[0], 42);
	assert_int_equal(resent[1], 45);
	bcconn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_and_keystream),
		cmocka_unit_test(test_xml_crypto_sample),
		cmocka_unit_test(test_negotiate_disc),
		cmocka_unit_test(test_negotiate_camt),
		cmocka_unit_test(test_negotiate_clientt),
		cmocka_unit_test(test_negotiate_camcfm),
		cmocka_unit_test(test_ack_capture),
		cmocka_unit_test(test_data_capture),
		cmocka_unit_test(test_multi_each),
		cmocka_unit_test(test_multi_stream),
		cmocka_unit_test(test_multi_bcconn),
		cmocka_unit_test(test_synthetic_c2d_c),
		cmocka_unit_test(test_synthetic_d2c_c_r),
		cmocka_unit_test(test_synthetic_hb_disc),
		cmocka_unit_test(test_synthetic_data_ack),
		cmocka_unit_test(test_synthetic_ack_into_bcconn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
