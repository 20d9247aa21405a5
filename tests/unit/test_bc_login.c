/* Login pieces: legacy body, nonce XML, modern login hashes, negotiation, DeviceInfo. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bc/bc_devinfo.h"
#include "bc/bc_login.h"
#include "bc/bc_reader.h"
#include "testutil.h"

static void test_negotiate(void **state)
{
	(void)state;
	assert_int_equal(bc_enc_offer(0xdc12), 0x12);
	assert_int_equal(bc_enc_offer(0xdc01), 0x01);
	assert_int_equal(bc_enc_offer(0x0000), 0x00);     /* neolink's TCP probe */
	assert_int_equal(bc_enc_negotiate(0x12, 0x12), 0x12);
	assert_int_equal(bc_enc_negotiate(0x12, 0x02), 0x02);
	assert_int_equal(bc_enc_negotiate(0x12, 0x01), 0x01);
	assert_int_equal(bc_enc_negotiate(0x02, 0x12), 0x02);
	assert_int_equal(bc_enc_negotiate(0x01, 0x12), 0x01);
	assert_int_equal(bc_enc_negotiate(0x00, 0x12), 0x00);
	assert_int_equal(bc_enc_negotiate(0x12, 0x00), 0x00);
	assert_int_equal(bc_enc_negotiate(0x03, 0x12), 0x02);  /* 03 counts as aes */
	assert_int_equal(bc_enc_negotiate(0x03, 0x01), 0x01);
	assert_int_equal(bc_enc_negotiate(0x77, 0x12), 0x01);  /* unknown → xor */
}

static void test_legacy_body(void **state)
{
	uint8_t body[BC_LEGACY_LOGIN_LEN];
	struct bc_legacy_login l;

	(void)state;
	bc_legacy_login_body(body, "admin", "");
	assert_memory_equal(body, "21232F297A57A5A743894A0E4A801FC\0", 32);
	for (int i = 32; i < BC_LEGACY_LOGIN_LEN; i++)
		assert_int_equal(body[i], 0);
	assert_int_equal(bc_legacy_login_parse(body, sizeof(body), &l), 0);
	assert_string_equal(l.user_md5, "21232F297A57A5A743894A0E4A801FC");
	assert_string_equal(l.pass_md5, "");
	bc_legacy_login_body(body, "admin", "123456");
	assert_int_equal(bc_legacy_login_parse(body, sizeof(body), &l), 0);
	assert_string_equal(l.pass_md5, "E10ADC3949BA59ABBE56E057F20F883");
	/* hostile */
	assert_int_equal(bc_legacy_login_parse(body, 100, &l), -EBADMSG);
	memset(body, 'A', 64);
	assert_int_equal(bc_legacy_login_parse(body, sizeof(body), &l), -EBADMSG);
}

static void test_nonce(void **state)
{
	struct sbuf b;
	char nonce[BC_NONCE_MAX];
	char big[200];

	(void)state;
	sbuf_init(&b, 0);
	bc_nonce_xml_build(&b, "9E6D1FCB9E69846D");
	assert_string_equal(sbuf_str(&b),
		"<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<body>\n<Encryption version=\"1.1\">\n"
		"<type>md5</type>\n<nonce>9E6D1FCB9E69846D</nonce>\n</Encryption>\n</body>\n");
	assert_int_equal(bc_nonce_parse(b.data, b.len, nonce), 0);
	assert_string_equal(nonce, "9E6D1FCB9E69846D");
	/* hostile */
	assert_int_equal(bc_nonce_parse("<body/>", 7, nonce), -EBADMSG);
	assert_true(bc_nonce_parse("<body", 5, nonce) < 0);
	memset(big, 'N', sizeof(big));
	big[sizeof(big) - 1] = 0;
	sbuf_reset(&b);
	bc_nonce_xml_build(&b, big);
	assert_int_equal(bc_nonce_parse(b.data, b.len, nonce), -E2BIG);
	sbuf_free(&b);
}

static void test_modern_login(void **state)
{
	struct sbuf b;
	struct bc_login_req req;

	(void)state;
	sbuf_init(&b, 0);
	bc_login_xml_build(&b, "admin", "", "9E6D1FCB9E69846D");
	assert_int_equal(bc_login_xml_parse(b.data, b.len, &req), 0);
	assert_string_equal(req.user_hash, "9F07915E819A076E2E14169830769D6");
	assert_string_equal(req.pass_hash, "8EFECD610524A98390F118D2789BE3B");
	assert_int_equal(req.user_ver, 1);
	assert_string_equal(req.net_type, "LAN");
	assert_int_equal(req.udp_port, 0);
	assert_true(bc_login_check(&req, "admin", "", "9E6D1FCB9E69846D"));
	assert_true(bc_login_check(&req, "admin", NULL, "9E6D1FCB9E69846D"));
	assert_false(bc_login_check(&req, "admin", "x", "9E6D1FCB9E69846D"));
	assert_false(bc_login_check(&req, "root", "", "9E6D1FCB9E69846D"));
	assert_false(bc_login_check(&req, "admin", "", "0000"));
	assert_int_equal(bc_login_xml_parse("<body><LoginUser/></body>", 25, &req), -EBADMSG);
	sbuf_reset(&b);
	bc_logout_xml_build(&b, "admin", "pw<&>");
	assert_int_equal(bc_login_xml_parse(b.data, b.len, &req), 0);
	assert_string_equal(req.user_hash, "admin");
	assert_string_equal(req.pass_hash, "pw<&>");     /* escaped on the wire, restored */
	sbuf_free(&b);
}

/* The whole login exchange, client and camera sides, over one byte stream each way. */
static void test_login_flow(void **state)
{
	struct bc_reader cam, cli;
	struct bc_msg m, d;
	struct sbuf up, down, xml;
	char nonce[BC_NONCE_MAX];
	struct bc_login_req req;
	unsigned chosen;

	(void)state;
	sbuf_init(&up, 0);
	sbuf_init(&down, 0);
	sbuf_init(&xml, 0);
	bc_reader_init(&cam, 0);
	bc_reader_init(&cli, 0);

	/* client: login upgrade offering 0x12 */
	bc_msg_legacy_login(&m, 0x12, 0, 0, NULL);
	assert_int_equal(bc_msg_encode(&m, &cli.ctx.crypto, &up), 20);
	/* camera: answers with its choice */
	bc_reader_feed(&cam, up.data, up.len);
	sbuf_reset(&up);
	assert_int_equal(bc_reader_next(&cam, &d), 1);
	assert_int_equal(d.hdr.msg_class, BC_CLASS_LEGACY);
	chosen = bc_enc_negotiate(bc_enc_offer(d.hdr.response_code), BC_ENC_AES);
	assert_int_equal(chosen, BC_ENC_AES);
	bc_nonce_xml_build(&xml, "ABCDEF0123456789");
	bc_msg_nonce_reply(&m, &d.hdr, chosen, xml.data, xml.len);
	assert_true(bc_msg_encode(&m, &cam.ctx.crypto, &down) > 0);
	assert_int_equal(bc_reader_set_crypto(&cam, chosen, "ABCDEF0123456789", "secret"), 0);
	/* client: reads nonce, switches mode, sends modern login */
	bc_reader_feed(&cli, down.data, down.len);
	sbuf_reset(&down);
	assert_int_equal(bc_reader_next(&cli, &d), 1);
	assert_int_equal(d.hdr.response_code, 0xdd02);
	assert_int_equal(d.cipher, BC_CIPHER_XOR);
	assert_int_equal(bc_nonce_parse(d.payload, d.payload_len, nonce), 0);
	assert_int_equal(bc_reader_set_crypto(&cli, d.hdr.response_code & 0xff, nonce, "secret"), 0);
	sbuf_reset(&xml);
	bc_login_xml_build(&xml, "admin", "secret", nonce);
	bc_msg_login(&m, 0, 0, xml.data, xml.len);
	assert_true(bc_msg_encode(&m, &cli.ctx.crypto, &up) > 0);
	/* camera: checks the hashes (login stays XOR-ed in AES mode) */
	bc_reader_feed(&cam, up.data, up.len);
	assert_int_equal(bc_reader_next(&cam, &d), 1);
	assert_int_equal(d.cipher, BC_CIPHER_XOR);
	assert_int_equal(bc_login_xml_parse(d.payload, d.payload_len, &req), 0);
	assert_true(bc_login_check(&req, "admin", "secret", nonce));

	bc_reader_free(&cam);
	bc_reader_free(&cli);
	sbuf_free(&up);
	sbuf_free(&down);
	sbuf_free(&xml);
}

static void test_devinfo_roundtrip(void **state)
{
	struct bc_device_info di = { 0 }, back;
	struct bc_stream_info_list sl = { 0 }, sl2;
	struct sbuf b;

	(void)state;
	strcpy(di.type, "ipc");
	strcpy(di.resolution_name, "1920*1080");
	di.width = 1920;
	di.height = 1080;
	di.soft_ver = 123;
	strcpy(di.norm, "PAL");
	sl.n_streams = 1;
	sl.stream[0].channel_bits = 1;
	sl.stream[0].n_tables = 2;
	strcpy(sl.stream[0].table[0].type, "mainStream");
	sl.stream[0].table[0].width = 1920;
	sl.stream[0].table[0].height = 1080;
	sl.stream[0].table[0].default_framerate = 15;
	strcpy(sl.stream[0].table[0].framerate_table, "15,10");
	strcpy(sl.stream[0].table[1].type, "subStream");
	sl.stream[0].table[1].width = 640;
	sl.stream[0].table[1].height = 360;
	sbuf_init(&b, 0);
	assert_int_equal(bc_device_info_build(&b, &di, &sl), 0);
	assert_int_equal(bc_device_info_parse(b.data, b.len, &back, &sl2), 0);
	assert_memory_equal(&di, &back, sizeof(di));
	assert_memory_equal(&sl, &sl2, sizeof(sl));
	assert_int_equal(bc_stream_info_find(&sl2, "subStream")->width, 640);
	assert_null(bc_stream_info_find(&sl2, "externStream"));
	sbuf_reset(&b);
	bc_stream_info_list_build(&b, &sl);
	assert_int_equal(bc_stream_info_list_parse(b.data, b.len, &sl2), 0);
	assert_memory_equal(&sl, &sl2, sizeof(sl));
	assert_int_equal(bc_device_info_parse(b.data, b.len, &back, NULL), -EBADMSG);
	sbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_legacy_body),
		cmocka_unit_test(test_nonce),
		cmocka_unit_test(test_modern_login),
		cmocka_unit_test(test_login_flow),
		cmocka_unit_test(test_devinfo_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
