/* BC message encode/decode and the incremental reader: round trips in every mode, chunked
 * input, sticky binary mode, full-AES binary prefix, hostile input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bc/bc_ext.h"
#include "bc/bc_msg.h"
#include "bc/bc_reader.h"
#include "bc/bc_xmlw.h"
#include "testutil.h"

static const char XML[] = BCX_DECL "<body>\n<LinkType version=\"1.1\">\n<type>LAN</type>\n</LinkType>\n</body>\n";

/* Encode with `mode`, decode with a reader in the same mode, compare. */
static void roundtrip_mode(unsigned mode, uint32_t msg_id, uint8_t ch)
{
	struct bc_crypto c;
	struct bc_reader r;
	struct bc_msg m, d;
	struct sbuf out, ext;

	bc_crypto_init(&c);
	assert_int_equal(bc_crypto_set(&c, mode, "NONCE", "pw"), 0);
	sbuf_init(&out, 0);
	sbuf_init(&ext, 0);
	bc_ext_build_channel(&ext, 7);
	bc_msg_request(&m, msg_id, 0x1234, ch);
	m.ext = ext.data;
	m.ext_len = ext.len;
	m.payload = (const uint8_t *)XML;
	m.payload_len = strlen(XML);
	assert_int_equal(bc_msg_encode(&m, &c, &out), (int)(24 + ext.len + strlen(XML)));
	if (mode != BC_ENC_NONE)
		assert_memory_not_equal(out.data + 24 + ext.len, XML, 16);

	bc_reader_init(&r, 0);
	assert_int_equal(bc_reader_set_crypto(&r, mode, "NONCE", "pw"), 0);
	assert_int_equal(bc_reader_feed(&r, out.data, out.len), 0);
	assert_int_equal(bc_reader_next(&r, &d), 1);
	assert_int_equal(d.hdr.msg_id, msg_id);
	assert_int_equal(d.hdr.msg_num, 0x1234);
	assert_int_equal(d.hdr.channel_id, ch);
	assert_int_equal(d.hdr.payload_offset, ext.len);
	assert_int_equal(d.ext_len, ext.len);
	assert_memory_equal(d.ext, ext.data, ext.len);
	assert_true(d.ext_info.has & BC_EXT_CHANNEL);
	assert_int_equal(d.ext_info.channel_id, 7);
	assert_int_equal(d.payload_len, strlen(XML));
	assert_memory_equal(d.payload, XML, strlen(XML));
	assert_false(d.payload_is_binary);
	if (mode == BC_ENC_NONE)
		assert_int_equal(d.cipher, BC_CIPHER_NONE);
	else if (mode == BC_ENC_XOR || msg_id == 1)
		assert_int_equal(d.cipher, BC_CIPHER_XOR);
	else
		assert_int_equal(d.cipher, BC_CIPHER_AES);

	/* re-encode of the decoded message = same bytes */
	{
		struct sbuf again;
		sbuf_init(&again, 0);
		assert_true(bc_msg_encode(&d, &c, &again) > 0);
		assert_int_equal(again.len, out.len);
		assert_memory_equal(again.data, out.data, out.len);
		sbuf_free(&again);
	}
	assert_int_equal(bc_reader_next(&r, &d), 0);
	bc_reader_free(&r);
	sbuf_free(&out);
	sbuf_free(&ext);
}

static void test_roundtrip_modes(void **state)
{
	(void)state;
	roundtrip_mode(BC_ENC_NONE, 93, 0);
	roundtrip_mode(BC_ENC_XOR, 93, 0);
	roundtrip_mode(BC_ENC_XOR, 93, 0x8a);
	roundtrip_mode(BC_ENC_AES, 93, 0);
	roundtrip_mode(BC_ENC_AES, 1, 0);        /* login → XOR even in AES mode */
	roundtrip_mode(BC_ENC_FULL_AES, 93, 3);
}

/* A stream: msg 3 reply with binaryData=1, two binary continuations, binaryData=0, XML. */
static void build_stream(struct sbuf *out, const struct bc_crypto *c)
{
	struct bc_header req = { .msg_id = 3, .msg_num = 0x0900, .msg_class = BC_CLASS_MODERN };
	struct bc_msg m;
	struct sbuf ext;
	static const uint8_t bin1[32] = "1002 binary info......";
	uint8_t bin2[3000];

	for (size_t i = 0; i < sizeof(bin2); i++)
		bin2[i] = (uint8_t)(i * 7);
	sbuf_init(&ext, 0);
	bc_ext_build_binary(&ext, 1);
	bc_msg_reply(&m, &req, 200);
	m.ext = ext.data;
	m.ext_len = ext.len;
	m.payload = bin1;
	m.payload_len = sizeof(bin1);
	m.payload_is_binary = true;
	assert_true(bc_msg_encode(&m, c, out) > 0);
	assert_memory_equal(out->data + out->len - 32, bin1, 32);   /* binary stays plain */
	bc_msg_reply(&m, &req, 200);
	m.payload = bin2;
	m.payload_len = sizeof(bin2);
	m.payload_is_binary = true;
	assert_true(bc_msg_encode(&m, c, out) > 0);
	assert_true(bc_msg_encode(&m, c, out) > 0);
	/* an unrelated XML reply on another msg_num in between */
	req.msg_num = 0x0a00;
	req.msg_id = 93;
	bc_msg_reply(&m, &req, 200);
	m.payload = (const uint8_t *)XML;
	m.payload_len = strlen(XML);
	assert_true(bc_msg_encode(&m, c, out) > 0);
	/* binaryData=0 ends it; same msg_num, XML again */
	sbuf_reset(&ext);
	bc_ext_build_binary(&ext, 0);
	req.msg_num = 0x0900;
	req.msg_id = 3;
	bc_msg_reply(&m, &req, 200);
	m.ext = ext.data;
	m.ext_len = ext.len;
	m.payload = (const uint8_t *)XML;
	m.payload_len = strlen(XML);
	assert_true(bc_msg_encode(&m, c, out) > 0);
	sbuf_free(&ext);
}

static void check_stream(struct bc_reader *r, const uint8_t *data, size_t len, unsigned seed)
{
	struct bc_msg m;
	size_t off = 0;
	int got = 0, rc;
	int expect_bin[] = { 1, 1, 1, 0, 0 };
	size_t expect_len[] = { 32, 3000, 3000, sizeof(XML) - 1, sizeof(XML) - 1 };

	srand(seed);
	while (off < len || got < 5) {
		size_t n = seed ? (size_t)(rand() % 700) + 1 : len;
		if (n > len - off)
			n = len - off;
		if (n)
			assert_int_equal(bc_reader_feed(r, data + off, n), 0);
		off += n;
		while ((rc = bc_reader_next(r, &m)) == 1) {
			assert_true(got < 5);
			assert_int_equal(m.payload_is_binary, expect_bin[got]);
			assert_int_equal(m.payload_len, expect_len[got]);
			if (!expect_bin[got])
				assert_memory_equal(m.payload, XML, m.payload_len);
			if (got == 1 || got == 2)
				assert_int_equal(m.payload[10], (uint8_t)70);
			got++;
		}
		assert_int_equal(rc, 0);
		if (off == len)
			break;
	}
	assert_int_equal(got, 5);
}

static void test_sticky_binary_chunked(void **state)
{
	unsigned modes[] = { BC_ENC_NONE, BC_ENC_XOR, BC_ENC_AES, BC_ENC_FULL_AES };

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		struct bc_crypto c;
		struct sbuf s;

		bc_crypto_init(&c);
		bc_crypto_set(&c, modes[i], "nonce", "pass");
		sbuf_init(&s, 0);
		build_stream(&s, &c);
		for (unsigned seed = 0; seed < 20; seed++) {
			struct bc_reader r;
			bc_reader_init(&r, 0);
			bc_reader_set_crypto(&r, modes[i], "nonce", "pass");
			check_stream(&r, s.data, s.len, seed);
			bc_reader_free(&r);
		}
		sbuf_free(&s);
	}
}

static void test_binary_end_call(void **state)
{
	struct bc_ctx ctx;

	(void)state;
	bc_ctx_init(&ctx);
	bc_ctx_set_binary(&ctx, 3, 9, true);
	assert_true(bc_ctx_is_binary(&ctx, 3, 9));
	assert_false(bc_ctx_is_binary(&ctx, 4, 9));   /* keyed on (msg_id, msg_num) */
	bc_ctx_set_binary(&ctx, 3, 9, false);
	assert_false(bc_ctx_is_binary(&ctx, 3, 9));
	/* more streams than slots: never crashes, newest is kept */
	for (unsigned i = 0; i < 3 * BC_BIN_SLOTS; i++)
		bc_ctx_set_binary(&ctx, 3, (uint16_t)i, true);
	assert_true(bc_ctx_is_binary(&ctx, 3, (uint16_t)(3 * BC_BIN_SLOTS - 1)));
}

/* Full AES: encryptLen bytes of binary encrypted, rest plain; checkPos/checkValue. */
static void test_full_aes_binary(void **state)
{
	struct bc_crypto c;
	struct bc_reader r;
	struct bc_msg m, d;
	struct bc_ext e = { .has = BC_EXT_ENCLEN | BC_EXT_BINARY | BC_EXT_CHECKPOS | BC_EXT_CHECKVAL,
			    .binary_data = 1, .encrypt_len = 16, .check_pos = 0,
			    .check_value = 1667510320 };
	struct bc_header req = { .msg_id = 3, .msg_num = 5, .msg_class = BC_CLASS_MODERN };
	struct sbuf ext, out;
	uint8_t bin[40];

	(void)state;
	memcpy(bin, "00dcH265", 8);
	for (int i = 8; i < 40; i++)
		bin[i] = (uint8_t)i;
	bc_crypto_init(&c);
	bc_crypto_set(&c, BC_ENC_FULL_AES, "abc", "pw");
	sbuf_init(&ext, 0);
	sbuf_init(&out, 0);
	bc_ext_build(&ext, &e);
	bc_msg_reply(&m, &req, 200);
	m.ext = ext.data;
	m.ext_len = ext.len;
	m.payload = bin;
	m.payload_len = sizeof(bin);
	m.payload_is_binary = true;
	m.encrypt_len = 16;
	assert_true(bc_msg_encode(&m, &c, &out) > 0);
	/* first 16 bytes encrypted, the tail plain */
	assert_memory_not_equal(out.data + 24 + ext.len, bin, 16);
	assert_memory_equal(out.data + 24 + ext.len + 16, bin + 16, 24);

	bc_reader_init(&r, 0);
	bc_reader_set_crypto(&r, BC_ENC_FULL_AES, "abc", "pw");
	bc_reader_feed(&r, out.data, out.len);
	assert_int_equal(bc_reader_next(&r, &d), 1);
	assert_true(d.payload_is_binary);
	assert_int_equal(d.encrypt_len, 16);
	assert_int_equal(d.check, 1);
	assert_memory_equal(d.payload, bin, sizeof(bin));
	bc_reader_free(&r);

	/* wrong check value → flagged, not fatal */
	e.check_value = 1;
	sbuf_reset(&ext);
	sbuf_reset(&out);
	bc_ext_build(&ext, &e);
	m.ext = ext.data;
	m.ext_len = ext.len;
	assert_true(bc_msg_encode(&m, &c, &out) > 0);
	bc_reader_init(&r, 0);
	bc_reader_set_crypto(&r, BC_ENC_FULL_AES, "abc", "pw");
	bc_reader_feed(&r, out.data, out.len);
	assert_int_equal(bc_reader_next(&r, &d), 1);
	assert_int_equal(d.check, -1);
	bc_reader_free(&r);

	/* plain AES (0x02) never touches binary */
	bc_crypto_set(&c, BC_ENC_AES, "abc", "pw");
	sbuf_reset(&out);
	assert_true(bc_msg_encode(&m, &c, &out) > 0);
	assert_memory_equal(out.data + 24 + ext.len, bin, sizeof(bin));
	sbuf_free(&ext);
	sbuf_free(&out);
}

static void test_encode_errors(void **state)
{
	struct bc_msg m;
	struct sbuf out;
	struct bc_crypto c;
	uint8_t x[4] = "<?x";

	(void)state;
	sbuf_init(&out, 0);
	bc_msg_request(&m, 1, 0, 0);
	m.hdr.msg_class = BC_CLASS_LEGACY;
	m.ext = x;
	m.ext_len = 3;                    /* no payload_offset in a 20-byte header */
	assert_int_equal(bc_msg_encode(&m, NULL, &out), -EINVAL);
	assert_int_equal(out.len, 0);
	bc_msg_request(&m, 3, 0, 0);
	m.cipher = BC_CIPHER_AES;         /* AES without key */
	m.payload = x;
	m.payload_len = 3;
	bc_crypto_init(&c);
	assert_int_equal(bc_msg_encode(&m, &c, &out), -ENOKEY);
	assert_int_equal(out.len, 0);
	sbuf_free(&out);
}

/* Header-only keep-alive style message, the 24-byte header exact. */
static void test_header_only(void **state)
{
	struct bc_msg m;
	struct sbuf out;
	size_t n;
	uint8_t *want = tu_hex("f0 de bc 0a ea 00 00 00 00 00 00 00 00 01 07 00 c8 00 14 64 00 00 00 00", &n);

	(void)state;
	sbuf_init(&out, 0);
	bc_msg_request(&m, 234, 7, 0);
	m.hdr.stream_type = 1;
	m.hdr.response_code = 200;
	assert_int_equal(bc_msg_encode(&m, NULL, &out), 24);
	assert_memory_equal(out.data, want, 24);
	free(want);
	sbuf_free(&out);
}

static void test_hostile_reader(void **state)
{
	struct bc_reader r;
	struct bc_msg m;
	size_t n;
	/* huge body_len */
	uint8_t *huge = tu_hex("f0 de bc 0a 03 00 00 00 ff ff ff 7f 00 00 00 00 00 00 00 00 00 00 00 00", &n);
	/* payload_offset > body_len, followed by a valid header-only message */
	uint8_t *po = tu_hex("f0 de bc 0a 03 00 00 00 04 00 00 00 00 00 00 00 00 00 14 64 08 00 00 00 41 41 41 41"
			     "f0 de bc 0a 5d 00 00 00 00 00 00 00 00 00 00 00 c8 00 00 00 00 00 00 00", &n);
	uint8_t garbage[64];

	(void)state;
	bc_reader_init(&r, 0);
	assert_int_equal(bc_reader_feed(&r, huge, 24), 0);
	assert_int_equal(bc_reader_next(&r, &m), -EMSGSIZE);
	assert_non_null(strstr(bc_reader_errmsg(&r), "body_len 2147483647"));
	assert_int_equal(bc_reader_next(&r, &m), 0);

	bc_reader_reset(&r);
	assert_int_equal(bc_reader_feed(&r, po, n), 0);
	assert_int_equal(bc_reader_next(&r, &m), -EBADMSG);
	assert_non_null(strstr(bc_reader_errmsg(&r), "payload_offset 8 > body_len 4"));
	assert_int_equal(bc_reader_next(&r, &m), 1);            /* framing kept */
	assert_int_equal(m.hdr.msg_id, 93);
	assert_int_equal(bc_reader_next(&r, &m), 0);

	/* garbage, then a valid message: errors, then resync */
	bc_reader_reset(&r);
	memset(garbage, 0x55, sizeof(garbage));
	garbage[10] = 0xf0;                                      /* a lone magic byte */
	bc_reader_feed(&r, garbage, sizeof(garbage));
	bc_reader_feed(&r, po + 28, 24);
	{
		int rc, errors = 0, msgs = 0;
		for (int i = 0; i < 200 && (rc = bc_reader_next(&r, &m)) != 0; i++) {
			if (rc < 0) {
				assert_int_equal(rc, -EBADMSG);
				errors++;
			} else {
				msgs++;
			}
		}
		assert_true(errors >= 1);
		assert_int_equal(msgs, 1);
	}
	/* truncated header: just waits */
	bc_reader_reset(&r);
	bc_reader_feed(&r, po + 28, 19);
	assert_int_equal(bc_reader_next(&r, &m), 0);
	bc_reader_feed(&r, po + 28 + 19, 5);
	assert_int_equal(bc_reader_next(&r, &m), 1);
	bc_reader_free(&r);

	/* limit is configurable; feed refuses to buffer without bound */
	bc_reader_init(&r, 64);
	{
		uint8_t big[200] = { 0 };
		assert_int_equal(bc_reader_feed(&r, big, sizeof(big)), -ENOBUFS);
	}
	bc_reader_free(&r);

	/* AES message without a key: the message is dropped, stream continues */
	{
		struct bc_crypto c;
		struct sbuf s;
		struct bc_msg e;
		bc_crypto_init(&c);
		bc_crypto_set(&c, BC_ENC_AES, "n", "p");
		sbuf_init(&s, 0);
		bc_msg_request(&e, 93, 1, 0);
		e.payload = (const uint8_t *)XML;
		e.payload_len = strlen(XML);
		bc_msg_encode(&e, &c, &s);
		bc_msg_encode(&e, &c, &s);
		bc_reader_init(&r, 0);
		r.ctx.crypto.mode = BC_ENC_AES;                /* mode without key */
		bc_reader_feed(&r, s.data, s.len);
		assert_int_equal(bc_reader_next(&r, &m), -ENOKEY);
		assert_int_equal(bc_reader_next(&r, &m), -ENOKEY);
		assert_int_equal(bc_reader_next(&r, &m), 0);
		bc_reader_free(&r);
		sbuf_free(&s);
	}
	free(huge);
	free(po);
}

/* A non-XML, non-binary payload (or unparsable extension) is never an error. */
static void test_generic_never_error(void **state)
{
	struct bc_reader r;
	struct bc_msg m, d;
	struct sbuf s;
	const uint8_t junk[] = "not xml at all";

	(void)state;
	sbuf_init(&s, 0);
	bc_msg_request(&m, 999, 1, 0);
	m.ext = junk;
	m.ext_len = sizeof(junk);
	m.payload = junk;
	m.payload_len = sizeof(junk);
	bc_msg_encode(&m, NULL, &s);
	bc_reader_init(&r, 0);
	bc_reader_feed(&r, s.data, s.len);
	assert_int_equal(bc_reader_next(&r, &d), 1);
	assert_int_equal(d.hdr.msg_id, 999);
	assert_int_not_equal(d.ext_err, 0);
	assert_int_equal(d.ext_info.has, 0);
	assert_memory_equal(d.payload, junk, sizeof(junk));
	bc_reader_free(&r);
	sbuf_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_modes),
		cmocka_unit_test(test_sticky_binary_chunked),
		cmocka_unit_test(test_binary_end_call),
		cmocka_unit_test(test_full_aes_binary),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_header_only),
		cmocka_unit_test(test_hostile_reader),
		cmocka_unit_test(test_generic_never_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
