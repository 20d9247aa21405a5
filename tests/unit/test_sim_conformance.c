/* cam-sim against the real captures (../shared/conformance, INDEX.md): every message the
 * simulator builds where a capture exists is compared byte by byte (or field by field where
 * the capture's values are the camera's own, e.g. a nonce or a did).  The sim's own builders
 * are used, the same code the running cam-sim sends with. */
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
#include "bc/bc_crypto.h"
#include "bc/bc_header.h"
#include "bc/bc_login.h"
#include "bc/bcudp_pkt.h"
#include "bc/bcudp_xml.h"
#include "bc/xml.h"
#include "net/bcconn.h"
#include "sim/sim_msgs.h"
#include "util/sbuf.h"

static uint8_t *load(const char *rel, size_t *len)
{
	uint8_t *b = tu_read_conformance(rel, len);

	assert_non_null(b);
	return b;
}

/* Concatenates files "<prefix><i>.raw" for i in [0, n). */
static uint8_t *load_cat(const char *prefix, int n, size_t *len, size_t *sizes)
{
	uint8_t *all = NULL;
	char rel[128];

	*len = 0;
	for (int i = 0; i < n; i++) {
		size_t l;
		uint8_t *b;

		snprintf(rel, sizeof(rel), "%s%d.raw", prefix, i);
		b = load(rel, &l);
		all = realloc(all, *len + l);
		assert_non_null(all);
		memcpy(all + *len, b, l);
		*len += l;
		if (sizes)
			sizes[i] = l;
		free(b);
	}
	return all;
}

/* Element names of an XML unit in document order, "/"-separated with depth marks. */
static void shape(const struct xml_node *n, int depth, struct sbuf *out)
{
	for (; n; n = n->next) {
		sbuf_printf(out, "%d:%s ", depth, n->name);
		shape(n->child, depth + 1, out);
	}
}

static char *xml_shape(const void *xml, size_t len)
{
	struct xml_doc *doc;
	struct sbuf b;
	char *s;

	assert_int_equal(xml_parse(xml, len, &doc), 0);
	sbuf_init(&b, 1 << 16);
	shape(xml_root(doc), 0, &b);
	s = strdup(sbuf_str(&b));
	sbuf_free(&b);
	xml_free(doc);
	return s;
}

/* ---- nonce reply ---------------------------------------------------------------------- */

/* With the capture's nonce, the sim's Argus 2 nonce reply is battery_enc.bin exactly:
 * header (class 0x6614, rc 0xdd03, msg_num echoed, no payload_offset) and the XOR-ed,
 * 4-space-indented XML. */
static void test_nonce_reply_is_argus2_capture(void **state)
{
	size_t len;
	uint8_t *cap = load("bc/battery_enc.bin", &len);
	struct bc_header req, got;
	struct sbuf out;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.msg_id = 1;
	req.msg_num = 1;                     /* neolink's counter, echoed */
	req.msg_class = BC_CLASS_LEGACY;
	req.response_code = BC_RC_OFFER(3);
	sbuf_init(&out, 1 << 16);
	assert_true(sim_msg_nonce_reply(&out, &req, 3, "0-AhnEZyUg6eKrJFIWgXPF") > 0);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, cap, len);
	assert_int_equal(bc_header_parse(out.data, out.len, &got, NULL), 20);
	assert_int_equal(got.msg_class, 0x6614);
	assert_int_equal(got.response_code, 0xdd03);
	sbuf_free(&out);
	free(cap);
}

/* Against the other real nonce reply (E1-style camera, answer to the legacy login sample):
 * same header bytes except body_len, same XML element names and order. */
static void test_nonce_reply_vs_modern_login_sample(void **state)
{
	size_t llen, clen;
	uint8_t *login = load("bc/model_sample_legacy_login.bin", &llen);
	uint8_t *cap = load("bc/model_sample_modern_login.bin", &clen);
	struct bc_header req, got;
	char nonce[SIM_NONCE_LEN + 1];
	struct sbuf out;
	uint8_t plain[512];
	char *s1, *s2;

	(void)state;
	assert_int_equal(bc_header_parse(login, llen, &req, NULL), 20);
	assert_int_equal(sim_nonce_random(nonce), 0);
	sbuf_init(&out, 1 << 16);
	/* the sample offers dc01, the camera (max full AES) answers dd01 */
	assert_true(sim_msg_nonce_reply(&out, &req, bc_enc_negotiate(bc_enc_offer(req.response_code),
								     BC_ENC_FULL_AES),
					nonce) > 0);
	assert_int_equal(bc_header_parse(out.data, out.len, &got, NULL), 20);
	assert_memory_equal(out.data, cap, 8);              /* magic, msg_id */
	assert_memory_equal(out.data + 12, cap + 12, 8);    /* channel, stream, msg_num, rc, class */
	/* XML: XOR with offset = byte 12 */
	assert_true(out.len - 20 <= sizeof(plain) && clen - 20 <= sizeof(plain));
	bc_xor(out.data[12], out.data + 20, plain, out.len - 20);
	s1 = xml_shape(plain, out.len - 20);
	bc_xor(cap[12], cap + 20, plain, clen - 20);
	s2 = xml_shape(plain, clen - 20);
	assert_string_equal(s1, s2);
	assert_string_equal(s1, "0:body 1:Encryption 2:type 2:nonce ");
	free(s1);
	free(s2);
	sbuf_free(&out);
	free(login);
	free(cap);
}

/* Argus 2 nonce format, random each time. */
static void test_nonce_format(void **state)
{
	char a[SIM_NONCE_LEN + 1], b[SIM_NONCE_LEN + 1];

	(void)state;
	assert_int_equal(sim_nonce_random(a), 0);
	assert_int_equal(sim_nonce_random(b), 0);
	assert_int_equal(strlen(a), strlen("0-AhnEZyUg6eKrJFIWgXPF"));
	assert_memory_equal(a, "0-", 2);
	for (int i = 2; i < SIM_NONCE_LEN; i++)
		assert_true((a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= 'a' && a[i] <= 'z') ||
			    (a[i] >= '0' && a[i] <= '9'));
	assert_string_not_equal(a, b);
}

/* Wrong credentials: exactly the real 24-byte header-only rc 400. */
static void test_login_failed_is_capture(void **state)
{
	size_t len;
	uint8_t *cap = load("bc/modern_login_failed.bin", &len);
	struct bc_header req;
	struct sbuf out;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.msg_id = 1;
	req.msg_class = BC_CLASS_MODERN;
	sbuf_init(&out, 1024);
	assert_int_equal(sim_msg_status(&out, &req, 400), 24);
	assert_int_equal(len, 24);
	assert_memory_equal(out.data, cap, 24);
	sbuf_free(&out);
	free(cap);
}

/* Login success: DeviceInfo + StreamInfoList with the real camera's element order. */
static void test_login_ok_shape(void **state)
{
	size_t len;
	uint8_t *cap = load("bc/modern_login_success.bin", &len);
	struct sim_cfg cfg;
	struct sbuf b;
	uint8_t *plain = malloc(len);
	char *s1, *s2, *p1, *p2;

	(void)state;
	sim_cfg_defaults(&cfg);
	sbuf_init(&b, 1 << 16);
	assert_int_equal(sim_xml_login_ok(&b, &cfg), 0);
	bc_xor(cap[12], cap + 24, plain, len - 24);
	s1 = xml_shape(b.data, b.len);
	s2 = xml_shape(plain, len - 24);
	/* the capture has three StreamInfo blocks, ours one: compare up to the first's end */
	p1 = strstr(s1, "1:StreamInfoList");
	p2 = strstr(s2, "1:StreamInfoList");
	assert_non_null(p1);
	assert_non_null(p2);
	assert_memory_equal(s1, s2, (size_t)(p1 - s1));     /* whole DeviceInfo */
	p1 = strstr(p1, "3:encodeTable");
	p2 = strstr(p2, "3:encodeTable");
	assert_memory_equal(p1, p2, strlen("3:encodeTable 4:type 4:resolution 5:width 5:height "
					   "4:defaultFramerate 4:defaultBitrate 4:framerateTable "
					   "4:bitrateTable "));
	free(s1);
	free(s2);
	free(plain);
	sbuf_free(&b);
	free(cap);
}

/* ---- discovery ------------------------------------------------------------------------ */

static void disc_plain(const uint8_t *d, size_t len, uint32_t *tid, char *xml, size_t cap)
{
	struct bcudp_pkt p;
	int n;

	assert_true(bcudp_parse(d, len, &p, NULL) > 0);
	assert_int_equal(p.type, BCUDP_DISC);
	assert_int_equal(p.unknown, 1);
	assert_int_equal(p.crc_ok, 1);
	*tid = p.tid;
	n = bcudp_disc_decrypt(&p, (uint8_t *)xml, cap - 1, NULL);
	assert_true(n > 0);
	xml[n] = 0;
}

/* D2C_C_R: same bytes as the synthetic vector (built from the spec, validated against the real
 * captures), and the real camera's newline style (udp_negotiate_camt / camcfm). */
static void test_d2c_c_r(void **state)
{
	size_t slen, tlen, flen;
	uint8_t *syn = load("synthetic/udp_d2c_c_r_tid42.bin", &slen);
	uint8_t *camt = load("bcudp/udp_negotiate_camt.bin", &tlen);
	uint8_t *cfm = load("bcudp/udp_negotiate_camcfm.bin", &flen);
	uint8_t out[512];
	char x[1024], xr[1024];
	uint32_t tid;
	struct bcudp_msg m;
	struct bcudp_pkt p;
	int n;

	(void)state;
	n = sim_disc_reply(out, sizeof(out), 42, 12345678, 80, 0);
	assert_true(n > 0);
	assert_int_equal((size_t)n, slen);
	assert_memory_equal(out, syn, slen);
	disc_plain(out, (size_t)n, &tid, x, sizeof(x));
	assert_int_equal(tid, 42);
	assert_string_equal(x, "<P2P>\n<D2C_C_R>\n<timer>\n<def>3000</def>\n<hb>10000</hb>\n"
			       "<hbt>60000</hbt>\n</timer>\n<rsp>0</rsp>\n<cid>12345678</cid>\n"
			       "<did>80</did>\n</D2C_C_R>\n</P2P>\n");
	/* real camera packets: no declaration, <P2P> root, a newline after every tag */
	disc_plain(camt, tlen, &tid, xr, sizeof(xr));
	assert_memory_equal(xr, "<P2P>\n<D2C_T>\n", 14);
	assert_null(strstr(xr, "><"));
	assert_null(strstr(x, "><"));
	disc_plain(cfm, flen, &tid, xr, sizeof(xr));
	assert_memory_equal(xr, "<P2P>\n<D2C_CFM>\n", 16);
	assert_null(strstr(xr, "><"));
	/* ids are the same element names as in the camera's D2C_CFM: rsp, cid, did */
	assert_true(strstr(xr, "<rsp>0</rsp>\n<cid>") != NULL);
	assert_true(strstr(x, "<rsp>0</rsp>\n<cid>") != NULL);
	/* rsp and ids are signed (negative cids occur) */
	n = sim_disc_reply(out, sizeof(out), 7, -376737975, 0, -3);
	assert_true(bcudp_parse(out, (size_t)n, &p, NULL) > 0);
	assert_int_equal(bcudp_msg_decode(&p, &m, NULL), 0);
	assert_int_equal(m.kind, BCUDP_K_D2C_C_R);
	assert_int_equal(m.rsp, -3);
	assert_int_equal(m.cid, -376737975);
	free(syn);
	free(camt);
	free(cfm);
}

/* ---- BcUdp data and ack, as the sim's transport (bcconn, camera role) sends them --------- */

/* The three BC messages of udp_data.bin (camera → client), written one by one the way the
 * sim writes messages, come out as one Data packet with the same layout and payload. */
static void test_data_packet_layout(void **state)
{
	size_t len;
	uint8_t *cap = load("bcudp/udp_data.bin", &len);
	uint8_t out[BCCONN_DGRAM_MAX];
	struct bcconn_cfg cc;
	struct bcconn *c;
	struct bcudp_pkt p;
	size_t off = 20;
	int n;

	(void)state;
	assert_true(bcudp_parse(cap, len, &p, NULL) > 0);
	bcconn_cfg_defaults(&cc, BCCONN_CAMERA, 96, 82000);
	cc.msg_align = BCCONN_ALIGN_WHOLE;
	assert_int_equal(bcconn_new(&cc, 0, &c), 0);
	while (off < len) {
		struct bc_header h;
		assert_int_equal(bc_header_parse(cap + off, len - off, &h, NULL), 24);
		assert_int_equal(bcconn_write_msg(c, cap + off, 24 + h.body_len), 24 + h.body_len);
		off += 24 + h.body_len;
	}
	/* skip the first ack */
	do {
		n = bcconn_poll(c, 1, out, sizeof(out));
		assert_true(n > 0);
	} while (rd_le32(out) != BCUDP_MAGIC_DATA);
	assert_int_equal((size_t)n, len);
	assert_memory_equal(out, cap, 12);                  /* magic, connection_id = cid, 0 */
	assert_int_equal(rd_le32(out + 12), 0);              /* packet_id: ours starts at 0 */
	assert_memory_equal(out + 16, cap + 16, len - 16);   /* payload_size and payload */
	bcconn_free(c);
	free(cap);
}

/* The camera's ack has the 28-byte layout of udp_ack.bin (addressed to the client's cid). */
static void test_ack_layout(void **state)
{
	size_t len;
	uint8_t *cap = load("bcudp/udp_ack.bin", &len);
	uint8_t out[BCCONN_DGRAM_MAX], d[64];
	struct bcconn_cfg cc;
	struct bcconn *c;
	uint64_t t = 0;
	int n;

	(void)state;
	bcconn_cfg_defaults(&cc, BCCONN_CAMERA, 80, 82000);
	cc.rx_window = 4096;
	assert_int_equal(bcconn_new(&cc, 0, &c), 0);
	for (uint32_t id = 0; id <= 2439; id++) {
		n = bcudp_build_data(d, sizeof(d), 80, id, "x", 1);
		assert_true(n > 0);
		assert_int_equal(bcconn_on_datagram(c, d, (size_t)n, t), 0);
		assert_int_equal(bcconn_read(c, out, sizeof(out)), 1);
	}
	do {
		t += 10000;
		n = bcconn_poll(c, t, out, sizeof(out));
	} while (n > 0 && rd_le32(out) != BCUDP_MAGIC_ACK);
	assert_int_equal(n, 28);
	assert_int_equal(len, 28);
	assert_memory_equal(out, cap, 4);
	assert_int_equal((int32_t)rd_le32(out + 4), 82000);
	assert_memory_equal(out + 8, cap + 8, 20);           /* 0, group 0, 2439, latency 0, size 0 */
	bcconn_free(c);
	free(cap);
}

/* ---- BcMedia ------------------------------------------------------------------------- */

/* Argus 2 I-frame: the sim's header (16-byte additional header) is the capture's. */
static void test_iframe_layout(void **state)
{
	size_t len, sizes[5];
	uint8_t *cap = load_cat("bcmedia/argus2_iframe_", 5, &len, sizes);
	uint32_t size = rd_le32(cap + 8);
	struct sbuf b;

	(void)state;
	assert_int_equal(rd_le32(cap + 12), 16);
	sbuf_init(&b, 1 << 20);
	assert_true(sim_media_frame(&b, 1, 1, rd_le32(cap + 16), rd_le32(cap + 24), cap + 40, size) > 0);
	assert_int_equal(b.len, len);
	/* everything but the padding (stale bytes in the capture) */
	assert_memory_equal(b.data, cap, 40 + size);
	sbuf_free(&b);
	free(cap);
}

/* Argus 2 P-frame (8-byte additional header) followed by AAC, byte for byte. */
static void test_pframe_aac_layout(void **state)
{
	size_t len, sizes[18];
	uint8_t *cap = load_cat("bcmedia/argus2_pframe_", 18, &len, sizes);
	uint32_t size = rd_le32(cap + 8);
	size_t plen = 32 + size + (8 - size % 8) % 8, alen;
	struct sbuf b;

	(void)state;
	assert_int_equal(rd_le32(cap + 12), 8);
	sbuf_init(&b, 1 << 20);
	assert_true(sim_media_frame(&b, 1, 0, rd_le32(cap + 16), 0, cap + 32, size) > 0);
	assert_int_equal(b.len, plen);
	assert_memory_equal(b.data, cap, 32 + size);
	assert_memory_equal(cap + plen, "05wb", 4);
	alen = rd_le16(cap + plen + 4);
	sbuf_reset(&b);
	assert_true(sim_media_aac(&b, cap + plen + 8, alen) > 0);
	assert_int_equal(plen + b.len, len);
	assert_memory_equal(b.data, cap + plen, 8 + alen);
	sbuf_free(&b);
	free(cap);
}

/* InfoV2 as in the msg-3 reply capture (3840x2160, fps 20, 2020-04-08 20:52:39 local). */
static void test_info_v2(void **state)
{
	size_t len;
	uint8_t *cap = load("bc/modern_video_start1.bin", &len);
	struct sbuf b;
	struct tm tm = { .tm_year = 120, .tm_mon = 3, .tm_mday = 8, .tm_hour = 20, .tm_min = 52,
			 .tm_sec = 39, .tm_isdst = -1 };

	(void)state;
	sbuf_init(&b, 1024);
	assert_int_equal(sim_media_info(&b, 3840, 2160, 20, mktime(&tm)), 32);
	assert_int_equal(len, 24 + 106 + 32);
	assert_memory_equal(b.data, cap + 24 + 106, 32);
	sbuf_free(&b);
	free(cap);
}

/* The msg-3 reply's extension: binaryData=1, same bytes as the capture's (XOR offset 0). */
static void test_start_extension(void **state)
{
	size_t len;
	uint8_t *cap = load("bc/modern_video_start1.bin", &len);
	uint8_t plain[128];
	struct sbuf b;
	char *s1, *s2;

	(void)state;
	sbuf_init(&b, 1024);
	assert_int_equal(bc_ext_build_binary(&b, 1), 0);
	bc_xor(cap[12], cap + 24, plain, 106);
	s1 = xml_shape(b.data, b.len);
	s2 = xml_shape(plain, 106);
	assert_string_equal(s1, s2);
	assert_int_equal(b.len, 106);
	assert_memory_equal(b.data, plain, 106);
	free(s1);
	free(s2);
	sbuf_free(&b);
	free(cap);
}

/* Chunking: UDP 1010-byte payloads (the Argus 2's), TCP 40000 with the odd piece first —
 * exactly the BC payload sizes of the Swann and Argus 2 TCP captures. */
static void test_chunk_sizes(void **state)
{
	size_t ilen, plen, isz[5], psz[2], dlen, pos;
	uint8_t *ifr = load_cat("bcmedia/iframe_", 5, &ilen, isz);
	uint8_t *pfr = load_cat("bcmedia/pframe_", 2, &plen, psz);
	uint8_t *data = load("bcudp/udp_data.bin", &dlen);
	struct bc_header tmpl, h;
	struct sbuf w;
	int n;

	(void)state;
	/* the camera's own msg-3 header (substream, msg_num 0x1f00) is what we echo */
	assert_int_equal(bc_header_parse(data + 20, dlen - 20, &tmpl, NULL), 24);
	sbuf_init(&w, 4 << 20);
	n = sim_media_msgs(&w, &tmpl, ifr, ilen, SIM_CHUNK_TCP, 1);
	assert_int_equal(n, 5);
	for (int i = 0, off = 0; i < n; i++) {
		assert_int_equal(bc_header_parse(w.data + off, w.len - off, &h, NULL), 24);
		assert_int_equal(h.body_len, isz[i]);
		assert_int_equal(h.payload_offset, 0);
		/* same header bytes as the camera's media message, but for body_len */
		assert_memory_equal(w.data + off, data + 20, 8);
		assert_memory_equal(w.data + off + 12, data + 20 + 12, 12);
		off += 24 + (int)h.body_len;
	}
	sbuf_reset(&w);
	n = sim_media_msgs(&w, &tmpl, pfr, plen, SIM_CHUNK_TCP, 1);
	assert_int_equal(n, 2);
	assert_int_equal(rd_le32(w.data + 8), psz[0]);
	/* UDP: 1010-byte payloads */
	sbuf_reset(&w);
	n = sim_media_msgs(&w, &tmpl, ifr, 5000, SIM_CHUNK_UDP, 0);
	assert_int_equal(n, 5);
	pos = 0;
	for (int i = 0; i < n; i++) {
		uint32_t bl = rd_le32(w.data + pos + 8);
		assert_int_equal(bl, i < 4 ? 1010 : 5000 - 4 * 1010);
		pos += 24 + bl;
	}
	assert_int_equal(pos, w.len);
	sbuf_free(&w);
	free(ifr);
	free(pfr);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nonce_reply_is_argus2_capture),
		cmocka_unit_test(test_nonce_reply_vs_modern_login_sample),
		cmocka_unit_test(test_nonce_format),
		cmocka_unit_test(test_login_failed_is_capture),
		cmocka_unit_test(test_login_ok_shape),
		cmocka_unit_test(test_d2c_c_r),
		cmocka_unit_test(test_data_packet_layout),
		cmocka_unit_test(test_ack_layout),
		cmocka_unit_test(test_iframe_layout),
		cmocka_unit_test(test_pframe_aac_layout),
		cmocka_unit_test(test_info_v2),
		cmocka_unit_test(test_start_extension),
		cmocka_unit_test(test_chunk_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
