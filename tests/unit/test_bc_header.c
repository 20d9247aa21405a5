/* BC header: lengths by class, parse/write, magic variants, hostile headers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bc/bc_header.h"
#include "util/sbuf.h"
#include "testutil.h"

static void test_len_by_class(void **state)
{
	(void)state;
	assert_int_equal(bc_header_len(0x6514), 20);
	assert_int_equal(bc_header_len(0x6614), 20);
	assert_int_equal(bc_header_len(0x6414), 24);
	assert_int_equal(bc_header_len(0x0000), 24);
	assert_int_equal(bc_header_len(0x6482), 24);
	assert_int_equal(bc_header_len(0x1234), 20);   /* unknown → 20 like the dissector */
	assert_true(bc_class_has_offset(0x6414));
	assert_false(bc_class_has_offset(0x6614));
}

static void test_parse_legacy(void **state)
{
	size_t n;
	uint8_t *b = tu_hex("f0 de bc 0a 01 00 00 00 2c 07 00 00 00 00 00 01 01 dc 14 65", &n);
	struct bc_header h;
	uint8_t out[24];

	(void)state;
	assert_int_equal(bc_header_parse(b, n, &h, NULL), 20);
	assert_int_equal(h.magic, BC_MAGIC);
	assert_int_equal(h.msg_id, 1);
	assert_int_equal(h.body_len, 1836);
	assert_int_equal(h.channel_id, 0);
	assert_int_equal(h.stream_type, 0);
	assert_int_equal(h.msg_num, 256);
	assert_int_equal(h.response_code, 0xdc01);
	assert_int_equal(h.msg_class, 0x6514);
	assert_int_equal(h.payload_offset, 0);
	assert_int_equal(bc_header_write(&h, out), 20);
	assert_memory_equal(out, b, 20);
	free(b);
}

static void test_parse_modern(void **state)
{
	size_t n;
	uint8_t *b = tu_hex("f0 de bc 0a 03 00 00 00 8a 00 00 00 00 00 00 09 c8 00 00 00 6a 00 00 00", &n);
	struct bc_header h;
	uint8_t out[24];

	(void)state;
	/* Any prefix shorter than the header asks for more. */
	for (size_t i = 0; i < 24; i++)
		assert_int_equal(bc_header_parse(b, i, &h, NULL), 0);
	assert_int_equal(bc_header_parse(b, n, &h, NULL), 24);
	assert_int_equal(h.msg_id, 3);
	assert_int_equal(h.body_len, 138);
	assert_int_equal(h.msg_num, 0x0900);
	assert_int_equal(h.response_code, 200);
	assert_int_equal(h.payload_offset, 106);
	assert_int_equal(bc_header_write(&h, out), 24);
	assert_memory_equal(out, b, 24);
	free(b);
}

static void test_reversed_magic(void **state)
{
	size_t n;
	uint8_t *b = tu_hex("a0 cb ed 0f 6d 00 00 00 00 00 00 00 00 00 00 00 c8 00 00 00 00 00 00 00", &n);
	struct bc_header h;
	uint8_t out[24];

	(void)state;
	assert_int_equal(bc_header_parse(b, n, &h, NULL), 24);
	assert_int_equal(h.magic, BC_MAGIC_REV);
	bc_header_write(&h, out);
	assert_memory_equal(out, b, 24);          /* remembered and reproduced */
	h.magic = 0;
	bc_header_write(&h, out);
	assert_int_equal(rd_le32(out), BC_MAGIC); /* default */
	free(b);
}

static void test_hostile(void **state)
{
	size_t n;
	uint8_t *b = tu_hex("f0 de bc 0a 03 00 00 00 10 00 00 00 00 00 00 00 00 00 14 64 11 00 00 00", &n);
	struct bc_header h;
	struct bc_err err = { "" };

	(void)state;
	/* payload_offset 17 > body_len 16 */
	assert_int_equal(bc_header_parse(b, n, &h, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "payload_offset 17 > body_len 16"));
	/* bad magic is reported as soon as 4 bytes are there */
	b[0] = 0x00;
	assert_int_equal(bc_header_parse(b, 4, &h, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "magic"));
	assert_int_equal(bc_header_parse(b, 3, &h, NULL), 0);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_len_by_class),
		cmocka_unit_test(test_parse_legacy),
		cmocka_unit_test(test_parse_modern),
		cmocka_unit_test(test_reversed_magic),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
