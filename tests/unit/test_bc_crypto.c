/* BCEncrypt keystreams, AES key derivation and CFB, MD5 login strings, cipher selection. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bc/bc_crypto.h"
#include "testutil.h"

static void check_keystream(uint8_t off, const char *hex)
{
	uint8_t zero[16] = { 0 }, out[16];
	size_t n;
	uint8_t *want = tu_hex(hex, &n);

	bc_xor(off, zero, out, 16);
	assert_int_equal(n, 16);
	assert_memory_equal(out, want, 16);
	free(want);
}

static void test_xor_keystreams(void **state)
{
	(void)state;
	/* SYNTHETIC_VECTORS.md "BC-XOR keystream" */
	check_keystream(0, "1f 2d 3c 4b 5a 69 78 ff 1f 2d 3c 4b 5a 69 78 ff");
	check_keystream(1, "2c 3d 4a 5b 68 79 fe 1e 2c 3d 4a 5b 68 79 fe 1e");
	check_keystream(0x8a, "b6 c1 d0 e3 f2 75 95 a7 b6 c1 d0 e3 f2 75 95 a7");
}

static void test_xor_xml_prefix(void **state)
{
	uint8_t b[5];

	(void)state;
	/* BAICHUAN.md §3.2: "<?xml" with offset 0 → 23 12 44 26 36; symmetric, in place */
	memcpy(b, "<?xml", 5);
	bc_xor(0, b, b, 5);
	assert_memory_equal(b, "\x23\x12\x44\x26\x36", 5);
	bc_xor(0, b, b, 5);
	assert_memory_equal(b, "<?xml", 5);
}

static void test_aes_key(void **state)
{
	uint8_t key[16];
	char hex[33];

	(void)state;
	bc_md5_hex("9E6D1FCB9E69846D-123456", 23, hex);
	assert_string_equal(hex, "0D119EB629684BDF5269975E342A1A99");
	bc_aes_key("9E6D1FCB9E69846D", "123456", key);
	assert_memory_equal(key, "0D119EB629684BDF", 16);
}

static void test_md5_login(void **state)
{
	char h[32];

	(void)state;
	bc_md5_login("admin", NULL, h);
	assert_string_equal(h, "21232F297A57A5A743894A0E4A801FC");
	bc_md5_login("admin", "9E6D1FCB9E69846D", h);
	assert_string_equal(h, "9F07915E819A076E2E14169830769D6");
	bc_md5_login("", "9E6D1FCB9E69846D", h);
	assert_string_equal(h, "8EFECD610524A98390F118D2789BE3B");
}

static void test_aes_cfb(void **state)
{
	const char *pt = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<body>\n";
	size_t n = strlen(pt);
	uint8_t key[16], ct[64], back[64], ct2[64];

	(void)state;
	bc_aes_key("9E6D1FCB9E69846D", "123456", key);
	assert_int_equal(bc_aes_cfb(key, true, (const uint8_t *)pt, ct, n), 0);
	assert_memory_not_equal(ct, pt, n);
	/* restarts from the IV every call: same plaintext → same ciphertext */
	assert_int_equal(bc_aes_cfb(key, true, (const uint8_t *)pt, ct2, n), 0);
	assert_memory_equal(ct, ct2, n);
	/* CFB is a stream: a prefix decrypts on its own */
	assert_int_equal(bc_aes_cfb(key, false, ct, back, 7), 0);
	assert_memory_equal(back, pt, 7);
	assert_int_equal(bc_aes_cfb(key, false, ct, back, n), 0);
	assert_memory_equal(back, pt, n);
	/* in place */
	memcpy(back, ct, n);
	assert_int_equal(bc_aes_cfb(key, false, back, back, n), 0);
	assert_memory_equal(back, pt, n);
	assert_int_equal(bc_aes_cfb(key, false, ct, back, 0), 0);
}

static void test_cipher_for(void **state)
{
	struct bc_crypto c;
	struct bc_header h = { .msg_id = 3, .msg_class = BC_CLASS_MODERN };
	struct bc_header login = { .msg_id = 1, .msg_class = BC_CLASS_MODERN };
	struct bc_header legacy = { .msg_id = 1, .msg_class = BC_CLASS_LEGACY, .response_code = 0xdc12 };
	struct bc_header nonce0 = { .msg_id = 1, .msg_class = BC_CLASS_NONCE, .response_code = 0xdd00 };
	struct bc_header nonce2 = { .msg_id = 1, .msg_class = BC_CLASS_NONCE, .response_code = 0xdd02 };

	(void)state;
	bc_crypto_init(&c);
	assert_int_equal(bc_cipher_for(&c, &h), BC_CIPHER_NONE);
	assert_int_equal(bc_cipher_for(&c, &nonce2), BC_CIPHER_XOR);   /* rc decides */
	assert_int_equal(bc_cipher_for(&c, &nonce0), BC_CIPHER_NONE);
	assert_int_equal(bc_crypto_set(&c, BC_ENC_XOR, NULL, NULL), 0);
	assert_int_equal(bc_cipher_for(&c, &h), BC_CIPHER_XOR);
	assert_int_equal(bc_cipher_for(&c, &legacy), BC_CIPHER_NONE);
	assert_int_equal(bc_cipher_for(&c, &nonce0), BC_CIPHER_NONE);
	assert_int_equal(bc_crypto_set(&c, BC_ENC_AES, NULL, NULL), -EINVAL);
	assert_int_equal(bc_crypto_set(&c, BC_ENC_AES, "N", "p"), 0);
	assert_int_equal(bc_cipher_for(&c, &h), BC_CIPHER_AES);
	assert_int_equal(bc_cipher_for(&c, &login), BC_CIPHER_XOR);   /* login never AES */
	assert_int_equal(bc_crypto_set(&c, BC_ENC_FULL_AES, "N", "p"), 0);
	assert_int_equal(bc_cipher_for(&c, &h), BC_CIPHER_AES);
	assert_int_equal(bc_cipher_for(&c, &login), BC_CIPHER_XOR);
	assert_int_equal(bc_crypto_set(&c, BC_ENC_AES3, "N", "p"), -ENOTSUP);
	assert_int_equal(bc_crypto_set(&c, 0x07, "N", "p"), -ENOTSUP);
	assert_false(bc_enc_supported(3));
	assert_true(bc_enc_supported(0x12));
	assert_string_equal(bc_enc_name(1), "bcencrypt");
	/* AES without a key */
	bc_crypto_init(&c);
	{
		uint8_t b[4] = { 1, 2, 3, 4 };
		assert_int_equal(bc_cipher_apply(&c, BC_CIPHER_AES, 0, false, b, 4), -ENOKEY);
		/* A header-only message has nothing to decrypt and needs no key. */
		assert_int_equal(bc_cipher_apply(&c, BC_CIPHER_AES, 0, false, b, 0), 0);
		assert_int_equal(bc_cipher_apply(&c, BC_CIPHER_NONE, 0, false, b, 4), 0);
		assert_int_equal(b[0], 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xor_keystreams),
		cmocka_unit_test(test_xor_xml_prefix),
		cmocka_unit_test(test_aes_key),
		cmocka_unit_test(test_md5_login),
		cmocka_unit_test(test_aes_cfb),
		cmocka_unit_test(test_cipher_for),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
