#include "bc/bc_crypto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>

static const uint8_t xor_key[8] = { 0x1F, 0x2D, 0x3C, 0x4B, 0x5A, 0x69, 0x78, 0xFF };
static const uint8_t aes_iv[16] = "0123456789abcdef";

bool bc_enc_supported(unsigned xx)
{
	return xx == BC_ENC_NONE || xx == BC_ENC_XOR || xx == BC_ENC_AES || xx == BC_ENC_FULL_AES;
}

const char *bc_enc_name(unsigned xx)
{
	switch (xx) {
	case BC_ENC_NONE: return "none";
	case BC_ENC_XOR: return "bcencrypt";
	case BC_ENC_AES: return "aes";
	case BC_ENC_AES3: return "aes03(unsupported)";
	case BC_ENC_FULL_AES: return "full-aes";
	default: return "unknown";
	}
}

void bc_crypto_init(struct bc_crypto *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = BC_ENC_NONE;
}

int bc_crypto_set(struct bc_crypto *c, unsigned mode, const char *nonce, const char *password)
{
	if (!bc_enc_supported(mode))
		return -ENOTSUP;
	if (mode == BC_ENC_AES || mode == BC_ENC_FULL_AES) {
		if (!nonce)
			return -EINVAL;
		bc_aes_key(nonce, password, c->aes_key);
		c->have_key = true;
	}
	c->mode = (enum bc_enc)mode;
	return 0;
}

int bc_cipher_for(const struct bc_crypto *c, const struct bc_header *h)
{
	if (h->msg_class == BC_CLASS_LEGACY)
		return BC_CIPHER_NONE;
	/* The nonce reply is sent before the peer knows the mode: its rc says it. */
	if (h->msg_class == BC_CLASS_NONCE && BC_RC_IS_CHOICE(h->response_code))
		return (h->response_code & 0xff) == 0 ? BC_CIPHER_NONE : BC_CIPHER_XOR;
	switch (c->mode) {
	case BC_ENC_NONE:
		return BC_CIPHER_NONE;
	case BC_ENC_XOR:
		return BC_CIPHER_XOR;
	case BC_ENC_AES:
	case BC_ENC_FULL_AES:
		/* Login traffic stays on BCEncrypt even after AES is negotiated. */
		return h->msg_id == BC_MSG_LOGIN ? BC_CIPHER_XOR : BC_CIPHER_AES;
	default:
		return -ENOTSUP;
	}
}

void bc_xor(uint8_t offset, const uint8_t *in, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = in[i] ^ xor_key[(offset + i) % 8] ^ offset;
}

void bc_md5_hex(const void *data, size_t len, char out[BC_MD5_HEX_LEN + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, md, &n, EVP_md5(), NULL) || n != 16)
		memset(md, 0, 16);   /* cannot happen with a working libcrypto */
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[BC_MD5_HEX_LEN] = 0;
}

/* MD5 over the concatenation of up to three strings, without a temporary buffer. */
static void md5_cat(const char *a, const char *b, const char *c, char out[BC_MD5_HEX_LEN + 1])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL);

	ok = ok && (!a || EVP_DigestUpdate(ctx, a, strlen(a)));
	ok = ok && (!b || EVP_DigestUpdate(ctx, b, strlen(b)));
	ok = ok && (!c || EVP_DigestUpdate(ctx, c, strlen(c)));
	ok = ok && EVP_DigestFinal_ex(ctx, md, &n) && n == 16;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		memset(md, 0, 16);
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[BC_MD5_HEX_LEN] = 0;
}

void bc_md5_login(const char *a, const char *b, char out[BC_MD5_LOGIN_LEN + 1])
{
	char full[BC_MD5_HEX_LEN + 1];

	md5_cat(a, b, NULL, full);
	memcpy(out, full, BC_MD5_LOGIN_LEN);
	out[BC_MD5_LOGIN_LEN] = 0;
}

int bc_aes_key(const char *nonce, const char *password, uint8_t key[BC_AES_KEY_LEN])
{
	char full[BC_MD5_HEX_LEN + 1];

	md5_cat(nonce, "-", password ? password : "", full);
	memcpy(key, full, BC_AES_KEY_LEN);
	return 0;
}

int bc_aes_cfb(const uint8_t key[BC_AES_KEY_LEN], bool encrypt, const uint8_t *in, uint8_t *out,
	       size_t len)
{
	EVP_CIPHER_CTX *ctx;
	int ok, n = 0;

	if (len == 0)
		return 0;
	if (len > 0x7fffffff)
		return -EINVAL;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	ok = EVP_CipherInit_ex(ctx, EVP_aes_128_cfb128(), NULL, key, aes_iv, encrypt ? 1 : 0) &&
	     EVP_CipherUpdate(ctx, out, &n, in, (int)len) && (size_t)n == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int bc_cipher_apply(const struct bc_crypto *c, enum bc_cipher cipher, uint8_t offset, bool encrypt,
		    uint8_t *buf, size_t len)
{
	switch (cipher) {
	case BC_CIPHER_XOR:
		bc_xor(offset, buf, buf, len);
		return 0;
	case BC_CIPHER_AES:
		if (len == 0)
			return 0;   /* nothing to decrypt: a header-only message needs no key */
		if (!c || !c->have_key)
			return -ENOKEY;
		return bc_aes_cfb(c->aes_key, encrypt, buf, buf, len);
	default:
		return 0;
	}
}
