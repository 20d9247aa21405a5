/* XML bodies: Extension, Preview start/stop, VersionInfo, LinkType, VideoInput, battery,
 * alarm events, keep-alive reply; camera-style formatting; tolerant parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bc/bc_event.h"
#include "bc/bc_ext.h"
#include "bc/bc_info.h"
#include "bc/bc_preview.h"
#include "bc/bc_xmlw.h"
#include "testutil.h"

#define X1 "<Extension><binaryData>x</binaryData></Extension>"
#define X2 "<Extension><foo>1</foo></Extension>"
static void test_extension(void **state)
{
	struct sbuf b;
	struct bc_ext e = { 0 }, p;
	const char *enc3 = "<Extension version=\"1.1\"><encryptLen>1024</encryptLen><binaryData>1</binaryData>"
			   "<checkPos>0</checkPos><checkValue>1667510320</checkValue></Extension>";

	(void)state;
	sbuf_init(&b, 0);
	bc_ext_build_binary(&b, 1);
	assert_string_equal(sbuf_str(&b), BCX_DECL "<Extension version=\"1.1\">\n<binaryData>1</binaryData>\n</Extension>\n");
	assert_int_equal(b.len, 106);     /* = payload_offset of modern_video_start1.bin */
	/* neolink test_enc3_extension */
	assert_int_equal(bc_ext_parse(enc3, strlen(enc3), &p), 0);
	assert_int_equal(p.has, BC_EXT_ENCLEN | BC_EXT_BINARY | BC_EXT_CHECKPOS | BC_EXT_CHECKVAL);
	assert_int_equal(p.encrypt_len, 1024);
	assert_int_equal(p.binary_data, 1);
	assert_int_equal(p.check_pos, 0);
	assert_int_equal(p.check_value, 0x63643030);
	/* negative checkValue seen on non-binary extensions */
	{
		const char *neg = "<Extension><checkPos>0</checkPos><checkValue>-1821213800</checkValue></Extension>";
		assert_int_equal(bc_ext_parse(neg, strlen(neg), &p), 0);
		assert_int_equal(p.check_value, -1821213800);
	}
	/* all fields round trip */
	e.has = BC_EXT_BINARY | BC_EXT_USER | BC_EXT_TOKEN | BC_EXT_CHANNEL | BC_EXT_RFID |
		BC_EXT_ENCLEN | BC_EXT_CHECKPOS | BC_EXT_CHECKVAL;
	e.binary_data = 1;
	strcpy(e.user_name, "admin");
	strcpy(e.token, "system, streaming, PTZ, IO, security, replay, disk,  network, alarm, record, video, image");
	e.channel_id = 2;
	e.rf_id = 3;
	e.encrypt_len = 100;
	e.check_pos = 4;
	e.check_value = -5;
	sbuf_reset(&b);
	bc_ext_build(&b, &e);
	assert_int_equal(bc_ext_parse(b.data, b.len, &p), 0);
	assert_memory_equal(&e, &p, sizeof(e));
	/* hostile / odd */
	assert_int_equal(bc_ext_parse("<body/>", 7, &p), -EBADMSG);
	assert_true(bc_ext_parse("\x01\x02", 2, &p) < 0);
	assert_int_equal(bc_ext_parse(X1, strlen(X1), &p), -EINVAL);
	assert_int_equal(bc_ext_parse(X2, strlen(X2), &p), 0);
	assert_int_equal(p.has, 0);
	sbuf_free(&b);
}

static void test_preview(void **state)
{
	struct sbuf b;
	struct bc_preview p;
	struct bc_msg m;
	uint8_t st;
	uint32_t h;
	enum bc_stream s;

	(void)state;
	bc_stream_params(BC_STREAM_MAIN, &st, &h);
	assert_int_equal(st, 0); assert_int_equal(h, 0);
	bc_stream_params(BC_STREAM_SUB, &st, &h);
	assert_int_equal(st, 1); assert_int_equal(h, 256);
	bc_stream_params(BC_STREAM_EXTERN, &st, &h);
	assert_int_equal(st, 0); assert_int_equal(h, 1024);
	assert_int_equal(bc_stream_from_name("externStream", &s), 0);
	assert_int_equal(s, BC_STREAM_EXTERN);
	assert_int_equal(bc_stream_from_name("x", &s), -EINVAL);

	sbuf_init(&b, 0);
	bc_preview_xml_build(&b, 0, BC_STREAM_SUB);
	assert_string_equal(sbuf_str(&b), BCX_DECL "<body>\n<Preview version=\"1.1\">\n<channelId>0</channelId>\n"
			    "<handle>256</handle>\n<streamType>subStream</streamType>\n</Preview>\n</body>\n");
	assert_int_equal(bc_preview_parse(b.data, b.len, &p), 0);
	assert_int_equal(p.handle, 256);
	assert_true(p.has_stream);
	assert_int_equal(p.stream, BC_STREAM_SUB);
	bc_msg_preview(&m, BC_MSG_VIDEO, 5, 0, BC_STREAM_SUB, b.data, b.len);
	assert_int_equal(m.hdr.stream_type, 1);
	assert_int_equal(m.hdr.msg_class, BC_CLASS_MODERN);
	sbuf_reset(&b);
	bc_preview_stop_xml_build(&b, 1, 1024);
	assert_int_equal(bc_preview_parse(b.data, b.len, &p), 0);
	assert_int_equal(p.channel_id, 1);
	assert_int_equal(p.handle, 1024);
	assert_false(p.has_stream);
	assert_int_equal(bc_preview_parse("<Preview><channelId>0</channelId></Preview>", 43, &p), -EBADMSG);
	sbuf_free(&b);
}

static void test_info(void **state)
{
	struct sbuf b;
	struct bc_version_info v = { 0 }, v2;
	struct bc_video_input vi = { 0, 128, 128, 128, 128, 128 }, vi2;
	char t[16];

	(void)state;
	sbuf_init(&b, 0);
	strcpy(v.name, "Cam & <Sim>");
	strcpy(v.type, "E1");
	strcpy(v.firmware_version, "v3.0.0.136_20121102");
	bc_version_info_build(&b, &v);
	assert_non_null(strstr(sbuf_str(&b), "<name>Cam &amp; &lt;Sim&gt;</name>\n"));
	assert_int_equal(bc_version_info_parse(b.data, b.len, &v2), 0);
	assert_memory_equal(&v, &v2, sizeof(v));
	assert_int_equal(bc_version_info_parse("<body/>", 7, &v2), -EBADMSG);

	sbuf_reset(&b);
	bc_link_type_build(&b, "LAN");
	assert_string_equal(sbuf_str(&b), BCX_DECL "<body>\n<LinkType version=\"1.1\">\n<type>LAN</type>\n</LinkType>\n</body>\n");
	assert_int_equal(bc_link_type_parse(b.data, b.len, t, sizeof(t)), 0);
	assert_string_equal(t, "LAN");
	assert_int_equal(bc_link_type_parse("<LinkType/>", 11, t, sizeof(t)), -EBADMSG);

	sbuf_reset(&b);
	bc_video_input_build(&b, &vi);
	assert_int_equal(bc_video_input_parse(b.data, b.len, &vi2), 0);
	assert_memory_equal(&vi, &vi2, sizeof(vi));
	sbuf_free(&b);
}

static void test_battery(void **state)
{
	struct sbuf b;
	struct bc_battery bat = { 0 }, p;
	/* as a battery camera sends it: indented, no declaration newline games */
	const char *cam = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<body>\n<BatteryList version=\"1.1\">\n"
			  "    <BatteryInfo>\n        <channelId>0</channelId>\n        <chargeStatus>charging</chargeStatus>\n"
			  "        <adapterStatus>solarPanel</adapterStatus>\n        <voltage>3999</voltage>\n"
			  "        <current>-396</current>\n        <temperature>21</temperature>\n"
			  "        <batteryPercent>100</batteryPercent>\n        <lowPower>0</lowPower>\n"
			  "        <batteryVersion>2</batteryVersion>\n    </BatteryInfo>\n</BatteryList>\n</body>\n";

	(void)state;
	assert_int_equal(bc_battery_parse(cam, strlen(cam), &p), 0);
	assert_string_equal(p.charge_status, "charging");
	assert_string_equal(p.adapter_status, "solarPanel");
	assert_int_equal(p.voltage, 3999);
	assert_int_equal(p.current, -396);
	assert_int_equal(p.temperature, 21);
	assert_int_equal(p.battery_percent, 100);
	assert_int_equal(p.low_power, 0);
	assert_int_equal(p.battery_version, 2);
	sbuf_init(&b, 0);
	for (int list = 0; list < 2; list++) {
		sbuf_reset(&b);
		bc_battery_build(&b, &p, list);
		assert_non_null(strstr(sbuf_str(&b), list ? "<BatteryList version=\"1.1\">\n<BatteryInfo>\n"
							     : "<body>\n<BatteryInfo version=\"1.1\">\n"));
		assert_int_equal(bc_battery_parse(b.data, b.len, &bat), 0);
		assert_memory_equal(&bat, &p, sizeof(p));
	}
	assert_int_equal(bc_battery_parse("<body/>", 7, &bat), -EBADMSG);
	sbuf_free(&b);
}

static void test_alarm(void **state)
{
	struct sbuf b;
	struct bc_alarm_list l = { 0 }, p;

	(void)state;
	l.n = 2;
	strcpy(l.ev[0].status, "MD");
	strcpy(l.ev[0].ai_type, "people");
	l.ev[0].time_stamp = 1700000000;
	l.ev[1].channel_id = 1;
	strcpy(l.ev[1].status, "none");
	strcpy(l.ev[1].ai_type, "none");
	l.ev[1].recording = 1;
	sbuf_init(&b, 0);
	bc_alarm_build(&b, &l);
	assert_non_null(strstr(sbuf_str(&b), "<AlarmEventList version=\"1.1\">\n<AlarmEvent version=\"1.1\">\n<channelId>0</channelId>\n<status>MD</status>\n<AItype>people</AItype>\n"));
	assert_int_equal(bc_alarm_parse(b.data, b.len, &p), 0);
	assert_memory_equal(&l, &p, sizeof(l));
	assert_int_equal(bc_alarm_parse("<AlarmEventList/>", 17, &p), -EBADMSG);
	/* more events than kept */
	sbuf_reset(&b);
	l.n = BC_ALARM_MAX;
	bc_alarm_build(&b, &l);
	{
		struct sbuf c;
		sbuf_init(&c, 0);
		sbuf_add(&c, b.data, b.len - strlen("</AlarmEventList>\n</body>\n"));
		for (int i = 0; i < 5; i++)
			sbuf_printf(&c, "<AlarmEvent><status>MD</status></AlarmEvent>");
		sbuf_printf(&c, "</AlarmEventList>\n</body>\n");
		assert_int_equal(bc_alarm_parse(c.data, c.len, &p), 0);
		assert_int_equal(p.n, BC_ALARM_MAX);
		sbuf_free(&c);
	}
	sbuf_free(&b);
}

static void test_keepalive(void **state)
{
	struct bc_header req = { .magic = BC_MAGIC, .msg_id = 234, .msg_num = 0x4321, .channel_id = 3,
				 .stream_type = 1, .msg_class = BC_CLASS_REPLY, .response_code = 0 };
	struct bc_msg m;
	struct sbuf b;

	(void)state;
	bc_msg_keepalive_reply(&m, &req);
	assert_int_equal(m.hdr.msg_id, 234);
	assert_int_equal(m.hdr.msg_num, 0x4321);
	assert_int_equal(m.hdr.channel_id, 3);
	assert_int_equal(m.hdr.stream_type, 1);
	assert_int_equal(m.hdr.response_code, 200);
	assert_int_equal(m.hdr.msg_class, 0x6414);
	sbuf_init(&b, 0);
	assert_int_equal(bc_msg_encode(&m, NULL, &b), 24);
	sbuf_free(&b);
}

static void test_getters(void **state)
{
	struct xml_doc *doc;
	const struct xml_node *root;
	const char *x = "<a><u>4294967296</u><i>-2147483649</i><s>toolong</s><n>12</n></a>";
	uint32_t u;
	int32_t i;
	char s[4];

	(void)state;
	assert_int_equal(bcx_parse(x, strlen(x), &doc, &root), 0);
	assert_int_equal(bcx_get_u32(root, "u", &u), -EINVAL);
	assert_int_equal(bcx_get_i32(root, "i", &i), -EINVAL);
	assert_int_equal(bcx_get_str(root, "s", s, sizeof(s)), -E2BIG);
	assert_string_equal(s, "too");
	assert_int_equal(bcx_get_u32(root, "n", &u), 0);
	assert_int_equal(u, 12);
	assert_int_equal(bcx_get_u32(root, "missing", &u), -ENOENT);
	assert_ptr_equal(bcx_elem(root, "a"), root);
	assert_null(bcx_elem(root, "zz"));
	xml_free(doc);

	/* truncation never splits a UTF-8 character */
	{
		const char *utf = "<a><s>ab\xc3\xa9</s></a>";     /* "abé" = 4 bytes */
		assert_int_equal(bcx_parse(utf, strlen(utf), &doc, &root), 0);
		assert_int_equal(bcx_get_str(root, "s", s, sizeof(s)), -E2BIG);
		assert_string_equal(s, "ab");
		xml_free(doc);
	}
	/* CR survives a write → parse round trip */
	{
		struct sbuf b;
		char t[16];
		sbuf_init(&b, 0);
		sbuf_add(&b, "<a>", 3);
		bcx_leaf(&b, "s", "x\ry<");
		sbuf_add(&b, "</a>", 4);
		assert_non_null(strstr(sbuf_str(&b), "<s>x&#13;y&lt;</s>\n"));
		assert_int_equal(bcx_parse(b.data, b.len, &doc, &root), 0);
		assert_int_equal(bcx_get_str(root, "s", t, sizeof(t)), 0);
		assert_string_equal(t, "x\ry<");
		xml_free(doc);
		sbuf_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extension),
		cmocka_unit_test(test_preview),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_battery),
		cmocka_unit_test(test_alarm),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_getters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
