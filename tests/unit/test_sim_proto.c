/* cam-sim session logic (sim_proto) over a fake transport: login with every encryption mode,
 * the wrong-password answer, replies, pushes after login, video start/stop, media packaging,
 * dropping to the next I-frame when the transport is full, keep-alives. */
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
#include "bc/bc_devinfo.h"
#include "bc/bc_event.h"
#include "bc/bc_login.h"
#include "bc/bc_msg.h"
#include "bc/bc_preview.h"
#include "bc/bc_reader.h"
#include "bc/bcmedia.h"
#include "bc/bc_snap.h"
#include "sim/sim_proto.h"
#include "source/bcsess.h"

#include <sys/socket.h>
#include <turbojpeg.h>
#include <unistd.h>

struct fake {
	struct bc_reader rd;         /* the client's view of what the camera sent */
	struct bc_msg msgs[64];
	uint8_t *bufs[64];
	int n;
	int full;                    /* fits() says no */
	int streams[SIM_NSTREAMS], want_key[SIM_NSTREAMS], logout, frames;
	size_t raw_len[64];
	uint8_t raw0[64][32];        /* first bytes of each wire message */
};

static int f_send(void *op, const uint8_t *msg, size_t len)
{
	struct fake *f = op;
	struct bc_msg m;
	int r;

	if (f->n < 64) {
		f->raw_len[f->n] = len;
		memcpy(f->raw0[f->n], msg, len < 32 ? len : 32);
	}
	assert_int_equal(bc_reader_feed(&f->rd, msg, len), 0);
	r = bc_reader_next(&f->rd, &m);
	assert_int_equal(r, 1);
	assert_int_equal(m.wire_len, len);
	if (f->n < 64) {
		/* keep a copy: the reader's buffer moves on */
		f->bufs[f->n] = malloc(len);
		memcpy(f->bufs[f->n], msg, len);
		f->msgs[f->n] = m;
		if (m.payload_len) {
			f->msgs[f->n].payload = malloc(m.payload_len + 1);
			memcpy((uint8_t *)f->msgs[f->n].payload, m.payload, m.payload_len);
		} else {
			f->msgs[f->n].payload = NULL;
		}
		f->n++;
	}
	return 0;
}

static int f_fits(void *op, size_t n, size_t bytes)
{
	struct fake *f = op;

	(void)n;
	(void)bytes;
	return !f->full;
}

static void f_stream(void *op, int idx, int on)
{
	struct fake *f = op;

	f->streams[idx] += on ? 1 : -1;
}

static void f_want_key(void *op, int idx)
{
	struct fake *f = op;

	f->want_key[idx]++;
}

static void f_logout(void *op)
{
	((struct fake *)op)->logout++;
}

static void f_frame(void *op, int idx, const struct sim_au *au, size_t bytes)
{
	(void)idx;
	(void)au;
	(void)bytes;
	((struct fake *)op)->frames++;
}

static const struct sim_proto_ops fops = { f_send, f_fits, f_stream, f_want_key, f_logout, f_frame };

static void fake_reset(struct fake *f)
{
	for (int i = 0; i < f->n; i++) {
		free(f->bufs[i]);
		free((void *)f->msgs[i].payload);
	}
	f->n = 0;
}

struct ctx {
	struct sim_cfg cfg;
	struct sim_cam_state cam;
	struct sim_proto p;
	struct fake f;
	struct bc_crypto cc;         /* the client's encoder */
	char nonce[BC_NONCE_MAX];
};

static void setup_ctx(struct ctx *c, unsigned max_enc, int udp)
{
	memset(c, 0, sizeof(*c));
	sim_cfg_defaults(&c->cfg);
	snprintf(c->cfg.password, sizeof(c->cfg.password), "123456");
	c->cfg.max_enc = max_enc;
	c->cam.battery = 77;
	bc_reader_init(&c->f.rd, 0);
	bc_crypto_init(&c->cc);
	sim_proto_init(&c->p, &c->cfg, &c->cam, udp, &fops, &c->f);
}

static void teardown_ctx(struct ctx *c)
{
	sim_proto_free(&c->p);
	fake_reset(&c->f);
	bc_reader_free(&c->f.rd);
}

static void client_send(struct ctx *c, struct bc_msg *m)
{
	struct sbuf b;

	sbuf_init(&b, 1 << 20);
	assert_true(bc_msg_encode(m, &c->cc, &b) > 0);
	assert_int_equal(sim_proto_input(&c->p, b.data, b.len, 0), 0);
	sbuf_free(&b);
}

/* Upgrade (header-only legacy login offering `offer`), then modern login. */
static void login(struct ctx *c, unsigned offer, const char *pass, uint16_t num)
{
	struct bc_msg m;
	struct sbuf x;

	fake_reset(&c->f);
	bc_msg_legacy_login(&m, offer, num, 0, NULL);
	client_send(c, &m);
	assert_int_equal(c->f.n, 1);
	assert_int_equal(c->f.msgs[0].hdr.msg_class, BC_CLASS_NONCE);
	assert_int_equal(c->f.msgs[0].hdr.msg_num, num);
	assert_int_equal(bc_nonce_parse(c->f.msgs[0].payload, c->f.msgs[0].payload_len, c->nonce), 0);
	assert_int_equal(bc_crypto_set(&c->cc, c->f.msgs[0].hdr.response_code & 0xff, c->nonce, pass), 0);
	assert_int_equal(bc_reader_set_crypto(&c->f.rd, c->f.msgs[0].hdr.response_code & 0xff,
					      c->nonce, pass), 0);
	fake_reset(&c->f);
	sbuf_init(&x, 4096);
	assert_int_equal(bc_login_xml_build(&x, "admin", pass, c->nonce), 0);
	bc_msg_login(&m, num, 0, x.data, x.len);
	client_send(c, &m);
	sbuf_free(&x);
}

static void test_login_modes(void **state)
{
	static const struct { unsigned offer, max, want; } cases[] = {
		{ 0x12, BC_ENC_FULL_AES, 0x12 }, { 0x12, BC_ENC_AES, 0x02 }, { 0x12, BC_ENC_XOR, 0x01 },
		{ 0x12, BC_ENC_NONE, 0x00 }, { 0x01, BC_ENC_FULL_AES, 0x01 }, { 0x00, BC_ENC_AES, 0x00 },
		{ 0x02, BC_ENC_FULL_AES, 0x02 },
	};
	struct ctx c;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bc_device_info di;
		struct bc_stream_info_list sl;
		struct bc_battery bat;

		setup_ctx(&c, cases[i].max, 1);
		login(&c, cases[i].offer, "123456", 0x0100);
		assert_int_equal(c.p.enc, cases[i].want);
		assert_true(sim_proto_logged_in(&c.p));
		/* 200 + DeviceInfo/StreamInfoList, then pushed 252 (msg_num 0) and 78 */
		assert_int_equal(c.f.n, 3);
		assert_int_equal(c.f.msgs[0].hdr.msg_id, 1);
		assert_int_equal(c.f.msgs[0].hdr.response_code, 200);
		assert_int_equal(c.f.msgs[0].hdr.msg_num, 0x0100);
		/* msg 1 is XOR even in AES modes */
		assert_int_equal(c.f.msgs[0].cipher, cases[i].want ? BC_CIPHER_XOR : BC_CIPHER_NONE);
		assert_int_equal(bc_device_info_parse(c.f.msgs[0].payload, c.f.msgs[0].payload_len,
						      &di, &sl), 0);
		assert_int_equal(di.width, 1280);
		assert_int_equal(sl.stream[0].n_tables, 2);
		assert_int_equal(c.f.msgs[1].hdr.msg_id, 252);
		assert_int_equal(c.f.msgs[1].hdr.msg_num, 0);
		assert_int_equal(bc_battery_parse(c.f.msgs[1].payload, c.f.msgs[1].payload_len, &bat), 0);
		assert_int_equal(bat.battery_percent, 77);
		assert_int_equal(c.f.msgs[1].cipher, cases[i].want >= 2 ? BC_CIPHER_AES :
				 cases[i].want ? BC_CIPHER_XOR : BC_CIPHER_NONE);
		assert_int_equal(c.f.msgs[2].hdr.msg_id, 78);
		teardown_ctx(&c);
	}
}

/* Wrong password: the 24-byte header-only 400 of modern_login_failed.bin, nothing else. */
static void test_wrong_password(void **state)
{
	size_t len;
	uint8_t *cap = tu_read_conformance("bc/modern_login_failed.bin", &len);
	struct ctx c;

	(void)state;
	setup_ctx(&c, BC_ENC_FULL_AES, 1);
	login(&c, 0x12, "wrong", 0);
	assert_int_equal(c.f.n, 1);
	assert_int_equal(c.f.raw_len[0], 24);
	assert_memory_equal(c.f.raw0[0], cap, 24);
	assert_false(sim_proto_logged_in(&c.p));
	/* before login, any other request gets 400 too */
	fake_reset(&c.f);
	{
		struct bc_msg m;
		bc_msg_request(&m, 80, 5, 0);
		client_send(&c, &m);
	}
	assert_int_equal(c.f.n, 1);
	assert_int_equal(c.f.msgs[0].hdr.response_code, 400);
	free(cap);
	teardown_ctx(&c);
}

/* The legacy login sample (1836-byte body, admin / empty password) gets the nonce reply. */
static void test_legacy_body_login(void **state)
{
	size_t len;
	uint8_t *cap = tu_read_conformance("bc/model_sample_legacy_login.bin", &len);
	struct ctx c;

	(void)state;
	setup_ctx(&c, BC_ENC_AES, 0);
	assert_int_equal(sim_proto_input(&c.p, cap, len, 0), 0);
	assert_int_equal(c.f.n, 1);
	assert_int_equal(c.f.msgs[0].hdr.response_code, 0xdd01);
	assert_int_equal(c.f.msgs[0].hdr.msg_num, 256);
	free(cap);
	teardown_ctx(&c);
}

static void request(struct ctx *c, uint32_t id, uint16_t num, const char *xml)
{
	struct bc_msg m;

	bc_msg_request(&m, id, num, 0);
	if (xml) {
		m.payload = (const uint8_t *)xml;
		m.payload_len = strlen(xml);
	}
	client_send(c, &m);
}

static void test_replies(void **state)
{
	static const uint32_t ok_xml[] = { 80, 93, 104, 114, 146, 151, 253, 78 };
	static const char *elem[] = { "VersionInfo", "LinkType", "SystemGeneral", "Uid",
				      "StreamInfoList", "AbilityInfo", "BatteryInfo", "VideoInput" };
	struct ctx c;

	(void)state;
	setup_ctx(&c, BC_ENC_AES, 1);
	login(&c, 0x12, "123456", 0);
	for (size_t i = 0; i < sizeof(ok_xml) / sizeof(ok_xml[0]); i++) {
		fake_reset(&c.f);
		request(&c, ok_xml[i], (uint16_t)(0x0900 + i), NULL);
		assert_int_equal(c.f.n, 1);
		assert_int_equal(c.f.msgs[0].hdr.msg_id, ok_xml[i]);
		assert_int_equal(c.f.msgs[0].hdr.msg_num, 0x0900 + i);
		assert_int_equal(c.f.msgs[0].hdr.response_code, 200);
		assert_int_equal(c.f.msgs[0].hdr.msg_class, 0);
		assert_int_equal(c.f.msgs[0].cipher, BC_CIPHER_AES);
		assert_non_null(strstr((const char *)c.f.msgs[0].payload, elem[i]));
	}
	/* 31 → 200 header-only; unknown → 400 header-only */
	fake_reset(&c.f);
	request(&c, 31, 1, NULL);
	request(&c, 999, 2, NULL);
	assert_int_equal(c.f.n, 2);
	assert_int_equal(c.f.msgs[0].hdr.response_code, 200);
	assert_int_equal(c.f.msgs[0].hdr.body_len, 0);
	assert_int_equal(c.f.msgs[1].hdr.response_code, 400);
	assert_int_equal(c.f.msgs[1].hdr.body_len, 0);
	/* logout */
	request(&c, 2, 3, NULL);
	assert_int_equal(c.f.logout, 1);
	teardown_ctx(&c);
}

/* Alarms (msg 33) only after msg 31, in BAICHUAN.md's layout: MD + AItype, then the end
 * (status none); msg_num 0 like the other pushes. */
static void test_alarms(void **state)
{
	static const char want_people[] = "<AlarmEventList version=\"1.1\">\n<AlarmEvent version=\"1.1\">\n"
		"<channelId>0</channelId>\n<status>MD</status>\n<AItype>people</AItype>\n"
		"<recording>0</recording>\n<timeStamp>0</timeStamp>\n</AlarmEvent>\n</AlarmEventList>\n";
	struct bc_alarm_list l;
	struct ctx c;

	(void)state;
	setup_ctx(&c, BC_ENC_AES, 1);
	login(&c, 0x12, "123456", 0);
	fake_reset(&c.f);
	sim_proto_push_alarm(&c.p, "people");
	assert_int_equal(c.f.n, 0);          /* not asked for yet */
	request(&c, 31, 7, NULL);
	assert_int_equal(c.f.n, 1);
	assert_int_equal(c.f.msgs[0].hdr.response_code, 200);
	fake_reset(&c.f);
	sim_proto_push_alarm(&c.p, "people");
	sim_proto_push_alarm(&c.p, "none");
	sim_proto_push_alarm(&c.p, NULL);
	assert_int_equal(c.f.n, 3);
	assert_int_equal(c.f.msgs[0].hdr.msg_id, 33);
	assert_int_equal(c.f.msgs[0].hdr.msg_num, 0);
	assert_non_null(strstr((const char *)c.f.msgs[0].payload, want_people));
	assert_int_equal(bc_alarm_parse(c.f.msgs[1].payload, c.f.msgs[1].payload_len, &l), 0);
	assert_string_equal(l.ev[0].status, "MD");
	assert_string_equal(l.ev[0].ai_type, "none");
	assert_int_equal(bc_alarm_parse(c.f.msgs[2].payload, c.f.msgs[2].payload_len, &l), 0);
	assert_string_equal(l.ev[0].status, "none");
	assert_string_equal(l.ev[0].ai_type, "none");
	assert_int_equal(c.p.stats.alarms_sent, 3);
	teardown_ctx(&c);
}

static void test_video(void **state)
{
	struct ctx c;
	struct sbuf x;
	struct bc_msg m;
	uint8_t frame[3000];
	struct sim_au au = { SIM_AU_VIDEO, 1, 0, 1000, frame, sizeof(frame) };
	struct bcmedia_pkt pkt;

	(void)state;
	memset(frame, 0xab, sizeof(frame));
	setup_ctx(&c, BC_ENC_FULL_AES, 1);
	login(&c, 0x12, "123456", 0);
	fake_reset(&c.f);
	sbuf_init(&x, 4096);
	bc_preview_xml_build(&x, 0, BC_STREAM_SUB);
	bc_msg_preview(&m, BC_MSG_VIDEO, 0x1f00, 0, BC_STREAM_SUB, x.data, x.len);
	client_send(&c, &m);
	assert_int_equal(c.f.streams[SIM_SUB], 1);
	assert_int_equal(c.f.n, 1);
	/* 200 + Extension binaryData=1 (AES) + plain InfoV2 with the sub size */
	assert_int_equal(c.f.msgs[0].hdr.response_code, 200);
	assert_int_equal(c.f.msgs[0].hdr.stream_type, 1);
	assert_int_equal(c.f.msgs[0].hdr.msg_num, 0x1f00);
	assert_true(c.f.msgs[0].ext_info.has & BC_EXT_BINARY);
	assert_true(c.f.msgs[0].payload_is_binary);
	assert_int_equal(c.f.msgs[0].payload_len, 32);
	assert_int_equal(bcmedia_parse(c.f.msgs[0].payload, 32, 0, &pkt, NULL), 32);
	assert_int_equal(pkt.kind, BCMEDIA_INFO_V2);
	assert_int_equal(pkt.info.width, 640);
	assert_int_equal(pkt.info.fps, 10);
	/* a P-frame before the first I-frame is dropped */
	fake_reset(&c.f);
	sim_proto_media(&c.p, SIM_SUB, &au, 0);
	assert_int_equal(c.f.n, 0);
	/* the I-frame goes out in 1010-byte msg-3 payloads, same msg_num, po 0, binary */
	au.keyframe = 1;
	sim_proto_media(&c.p, SIM_SUB, &au, 0);
	assert_int_equal(c.f.n, 4);                  /* 24+16+3000 = 3040 → 1010×3 + 10 */
	for (int i = 0; i < c.f.n; i++) {
		assert_int_equal(c.f.msgs[i].hdr.msg_id, 3);
		assert_int_equal(c.f.msgs[i].hdr.msg_num, 0x1f00);
		assert_int_equal(c.f.msgs[i].hdr.payload_offset, 0);
		assert_int_equal(c.f.msgs[i].hdr.body_len, i < 3 ? 1010 : 10);
		assert_true(c.f.msgs[i].payload_is_binary);
	}
	assert_memory_equal(c.f.msgs[0].payload, "00dcH264", 8);
	assert_int_equal(c.f.frames, 1);
	/* transport full: the frame is dropped and the stream waits for an I-frame */
	fake_reset(&c.f);
	au.keyframe = 0;
	c.f.full = 1;
	sim_proto_media(&c.p, SIM_SUB, &au, 0);
	assert_int_equal(c.f.n, 0);
	assert_int_equal(c.f.want_key[SIM_SUB], 1);
	c.f.full = 0;
	sim_proto_media(&c.p, SIM_SUB, &au, 0);
	assert_int_equal(c.f.n, 0);
	au.keyframe = 1;
	sim_proto_media(&c.p, SIM_SUB, &au, 0);
	assert_int_equal(c.f.n, 4);
	/* the main stream is not active: nothing */
	fake_reset(&c.f);
	sim_proto_media(&c.p, SIM_MAIN, &au, 0);
	assert_int_equal(c.f.n, 0);
	/* stop (same msg_num) → 200, source released */
	sbuf_reset(&x);
	bc_preview_stop_xml_build(&x, 0, 256);
	bc_msg_preview(&m, BC_MSG_VIDEO_STOP, 0x1f00, 0, BC_STREAM_SUB, x.data, x.len);
	client_send(&c, &m);
	assert_int_equal(c.f.n, 1);
	assert_int_equal(c.f.msgs[0].hdr.msg_id, 4);
	assert_int_equal(c.f.msgs[0].hdr.response_code, 200);
	assert_int_equal(c.f.streams[SIM_SUB], 0);
	sbuf_free(&x);
	teardown_ctx(&c);
}

static void test_keepalive(void **state)
{
	struct ctx c;
	struct bc_msg m;
	uint64_t t;

	(void)state;
	setup_ctx(&c, BC_ENC_XOR, 1);
	login(&c, 0x01, "123456", 0);
	fake_reset(&c.f);
	t = sim_proto_tick(&c.p, 1000);
	assert_int_equal(c.f.n, 0);
	sim_proto_tick(&c.p, t);
	assert_int_equal(c.f.n, 1);
	assert_int_equal(c.f.msgs[0].hdr.msg_id, 234);
	assert_int_equal(c.f.msgs[0].hdr.body_len, 0);
	/* the client's answer */
	bc_msg_keepalive_reply(&m, &c.f.msgs[0].hdr);
	client_send(&c, &m);
	assert_int_equal(c.p.stats.ka_answered, 1);
	sim_proto_tick(&c.p, t + SIM_KEEPALIVE_US);
	sim_proto_tick(&c.p, t + 2 * SIM_KEEPALIVE_US);
	assert_int_equal(c.p.stats.ka_missed, 1);
	teardown_ctx(&c);
	/* TCP: no keep-alives */
	setup_ctx(&c, BC_ENC_XOR, 0);
	login(&c, 0x01, "123456", 0);
	assert_int_equal(sim_proto_tick(&c.p, 1000), UINT64_MAX);
	teardown_ctx(&c);
}

/* msg 109 end to end: cam-sim answers with a JPEG of its picture in the documented layout
 * (reply on the request's msg_num, binary chunks on its own msg_num, the last rc 201) and the
 * bridge's session puts it together, over every encryption. */
static void test_snapshot(void **state)
{
	static const unsigned offers[] = { 0x00, 0x01, 0x12 };

	(void)state;
	for (size_t k = 0; k < sizeof(offers) / sizeof(offers[0]); k++) {
		struct ctx c;
		struct bcsess s;
		uint8_t req[4096];
		int sv[2], w = 0, h = 0, sub, cs;
		ssize_t n;

		setup_ctx(&c, BC_ENC_FULL_AES, 0);
		c.cfg.stream[SIM_MAIN] = (struct sim_stream_cfg){ 320, 180, 10, 0 };
		login(&c, offers[k], "123456", 0);
		bcsess_init(&s, 1u << 20, 1u << 20, 0);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		s.tcp_fd = sv[0];
		assert_int_equal(bc_reader_set_crypto(&s.rd, c.p.enc, c.nonce, "123456"), 0);
		assert_int_equal(bc_crypto_set(&s.tx_crypto, c.p.enc, c.nonce, "123456"), 0);
		s.enc = c.p.enc;
		assert_int_equal(bcsess_snap_start(&s), 0);
		assert_int_equal(bcsess_snap_poll(&s), BCSESS_SNAP_WAIT);
		n = recv(sv[1], req, sizeof(req), 0);
		assert_true(n > 0);
		fake_reset(&c.f);
		assert_int_equal(sim_proto_input(&c.p, req, (size_t)n, 0), 0);
		/* reply + at least one chunk (40000 bytes each over TCP) */
		assert_true(c.f.n >= 2);
		assert_int_equal(c.f.msgs[0].hdr.msg_id, BC_MSG_SNAP);
		assert_int_equal(c.f.msgs[0].hdr.msg_num, s.snap_num);
		assert_int_equal(c.f.msgs[0].hdr.response_code, BC_RC_OK);
		for (int i = 1; i < c.f.n; i++) {
			assert_int_equal(c.f.msgs[i].hdr.msg_id, BC_MSG_SNAP);
			assert_int_not_equal(c.f.msgs[i].hdr.msg_num, s.snap_num);
			assert_int_equal(c.f.msgs[i].hdr.response_code,
					 i == c.f.n - 1 ? BC_RC_LAST_CHUNK : BC_RC_OK);
			assert_true(c.f.msgs[i].payload_is_binary);
		}
		for (int i = 0; i < c.f.n; i++)
			assert_int_equal(bcsess_input(&s, c.f.bufs[i], c.f.raw_len[i]), 0);
		assert_int_equal(bcsess_snap_poll(&s), BCSESS_SNAP_DONE);
		tjhandle tj = tjInitDecompress();
		assert_non_null(tj);
		assert_int_equal(tjDecompressHeader3(tj, s.snap.data, s.snap.len, &w, &h, &sub, &cs), 0);
		tjDestroy(tj);
		assert_int_equal(w, 320);
		assert_int_equal(h, 180);
		assert_int_equal(s.snap.data[s.snap.len - 2], 0xff);
		assert_int_equal(s.snap.data[s.snap.len - 1], 0xd9);
		bcsess_snap_reset(&s);
		assert_int_equal(bcsess_snap_poll(&s), BCSESS_SNAP_IDLE);
		close(sv[1]);
		bcsess_free(&s);
		teardown_ctx(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_modes),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_legacy_body_login),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_alarms),
		cmocka_unit_test(test_video),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_snapshot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
