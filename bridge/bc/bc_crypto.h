/* Baichuan encryption: BCEncrypt (XOR), AES-128-CFB128 (OpenSSL EVP), MD5 hex helpers.
 * See ../shared/protocol/BAICHUAN.md §3 and §4. */
#ifndef CB_BC_CRYPTO_H
#define CB_BC_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bc/bc_header.h"

/* Negotiated encryption (the XX of response_code 0xdcXX / 0xddXX). */
enum bc_enc {
	BC_ENC_NONE = 0x00,
	BC_ENC_XOR = 0x01,       /* BCEncrypt on XML (extension and payload) */
	BC_ENC_AES = 0x02,       /* AES-128-CFB on XML; binary plain */
	BC_ENC_AES3 = 0x03,      /* answered by some Argus 2 firmware: unsupported */
	BC_ENC_FULL_AES = 0x12,  /* AES on XML + first encryptLen bytes of binary */
};

/* Cipher applied to one message's extension / XML payload. */
enum bc_cipher {
	BC_CIPHER_AUTO = 0,      /* encoder: choose by context and header (bc_cipher_for) */
	BC_CIPHER_NONE,
	BC_CIPHER_XOR,
	BC_CIPHER_AES,
};

#define BC_AES_KEY_LEN  16
#define BC_MD5_HEX_LEN  32       /* full upper-case hex */
#define BC_MD5_LOGIN_LEN 31      /* what login fields carry: last hex digit dropped */

struct bc_crypto {
	enum bc_enc mode;
	bool have_key;
	uint8_t aes_key[BC_AES_KEY_LEN];
};

/* Known mode? (0x00, 0x01, 0x02, 0x12; 0x03 is known but not supported) */
bool bc_enc_supported(unsigned xx);
const char *bc_enc_name(unsigned xx);

/* mode NONE, no key. */
void bc_crypto_init(struct bc_crypto *c);
/* Sets the mode; AES modes derive the key from nonce and password (NULL = "").
 * -ENOTSUP for 0x03 or an unknown mode, -EINVAL if an AES mode lacks a nonce. */
int bc_crypto_set(struct bc_crypto *c, unsigned mode, const char *nonce, const char *password);

/* Which cipher protects the extension / XML payload of a message with this header:
 * class 0x6514 none; class 0x6614 with rc 0xddXX: none if XX == 0 else XOR;
 * msg_id 1 is never AES (XOR instead); otherwise by mode.  -ENOTSUP for mode 0x03. */
int bc_cipher_for(const struct bc_crypto *c, const struct bc_header *h);

/* BCEncrypt, symmetric, in place allowed: out[i] = in[i] ^ KEY[(offset+i)%8] ^ offset. */
void bc_xor(uint8_t offset, const uint8_t *in, uint8_t *out, size_t len);

/* key = first 16 chars of UPPERCASE hex MD5(nonce + "-" + password). */
int bc_aes_key(const char *nonce, const char *password, uint8_t key[BC_AES_KEY_LEN]);
/* AES-128-CFB128 from IV "0123456789abcdef" (restarted for every unit); in place allowed.
 * 0 or -EIO. */
int bc_aes_cfb(const uint8_t key[BC_AES_KEY_LEN], bool encrypt, const uint8_t *in, uint8_t *out,
	       size_t len);
/* Applies cipher to one unit (encrypt or decrypt).  -ENOKEY if AES without a key. */
int bc_cipher_apply(const struct bc_crypto *c, enum bc_cipher cipher, uint8_t offset, bool encrypt,
		    uint8_t *buf, size_t len);

/* Upper-case hex MD5 of data: 32 chars + NUL. */
void bc_md5_hex(const void *data, size_t len, char out[BC_MD5_HEX_LEN + 1]);
/* Login form: MD5(a + b) upper-case hex, first 31 chars + NUL (b may be NULL). */
void bc_md5_login(const char *a, const char *b, char out[BC_MD5_LOGIN_LEN + 1]);

#endif
