/* Login (msg 1): legacy body, login upgrade, nonce reply, modern login XML, encryption
 * negotiation, and logout (msg 2).  See ../shared/protocol/BAICHUAN.md §3.1, §4.
 * Flow: client sends legacy login or upgrade (class 0x6514, rc 0xdcXX) → camera answers the
 * nonce (class 0x6614, rc 0xddXX) → client sends modern login (class 0x6414, XML, XOR unless
 * mode 0) → camera answers rc 200 + DeviceInfo (bc_devinfo.h) or rc 400 header-only. */
#ifndef CB_BC_LOGIN_H
#define CB_BC_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bc/bc_crypto.h"
#include "bc/bc_msg.h"
#include "util/sbuf.h"

#define BC_LEGACY_LOGIN_LEN  1836
#define BC_LEGACY_FIELD_LEN  32      /* 31 hex chars + NUL; all NUL for an empty password */
#define BC_NONCE_MAX         64
#define BC_LOGIN_NET_MAX     16

/* ---- negotiation -------------------------------------------------------------------- */
/* The offer in a client's first login rc: 0xdcXX → XX; anything else (e.g. the rc 0 of
 * neolink's TCP probe) → 0. */
unsigned bc_enc_offer(uint16_t response_code);
/* The mode a camera whose best mode is camera_max chooses for a client offer (order
 * none < xor < aes < full-aes; an offer of 0x03 counts as aes, unknown offers as xor). */
unsigned bc_enc_negotiate(unsigned offer, unsigned camera_max);

/* ---- legacy login / upgrade (client → camera, class 0x6514) ------------------------- */
struct bc_legacy_login {
	char user_md5[BC_LEGACY_FIELD_LEN];   /* 31 chars, "" if the field is all NUL */
	char pass_md5[BC_LEGACY_FIELD_LEN];
};
/* 1836 bytes: MD5(user)[:31]\0, MD5(pass)[:31]\0 (32 NUL if pass is empty/NULL), zeros. */
void bc_legacy_login_body(uint8_t out[BC_LEGACY_LOGIN_LEN], const char *user, const char *pass);
/* 0, or -EBADMSG if len != 1836 or a field is not NUL-terminated. */
int bc_legacy_login_parse(const uint8_t *body, size_t len, struct bc_legacy_login *out);
/* m = msg 1, class 0x6514, rc 0xdc<max_enc>; body NULL = login upgrade (header only),
 * else the 1836-byte legacy body (kept by pointer). */
void bc_msg_legacy_login(struct bc_msg *m, unsigned max_enc, uint16_t msg_num, uint8_t channel_id,
			 const uint8_t *body);

/* ---- nonce reply (camera → client, class 0x6614, rc 0xddXX) ------------------------- */
/* Camera-style Encryption XML (byte-identical to the real camera's). */
int bc_nonce_xml_build(struct sbuf *b, const char *nonce);
/* 0, -EBADMSG (no Encryption/nonce), -E2BIG (nonce ≥ BC_NONCE_MAX). */
int bc_nonce_parse(const void *xml, size_t len, char nonce[BC_NONCE_MAX]);
/* m = reply to the login header `login` choosing `enc`, payload xml (kept by pointer).
 * Encode it with any crypto: the class/rc decide (XOR unless enc == 0). */
void bc_msg_nonce_reply(struct bc_msg *m, const struct bc_header *login, unsigned enc,
			const uint8_t *xml, size_t len);

/* ---- modern login (client → camera, class 0x6414, never AES) ------------------------ */
struct bc_login_req {
	char user_hash[BC_MD5_LOGIN_LEN + 1];     /* MD5(user + nonce)[:31] */
	char pass_hash[BC_MD5_LOGIN_LEN + 1];     /* MD5(pass + nonce)[:31] */
	uint32_t user_ver;
	char net_type[BC_LOGIN_NET_MAX];          /* "LAN" */
	uint32_t udp_port;
};
int bc_login_xml_build(struct sbuf *b, const char *user, const char *pass, const char *nonce);
/* Same, from the two hashes (as the official client formats it). */
int bc_login_xml_build_hashed(struct sbuf *b, const char *user_hash, const char *pass_hash);
/* 0, -EBADMSG (no LoginUser/userName/password), -E2BIG. */
int bc_login_xml_parse(const void *xml, size_t len, struct bc_login_req *req);
/* Camera side: do the hashes match user/pass for this nonce? */
bool bc_login_check(const struct bc_login_req *req, const char *user, const char *pass,
		    const char *nonce);
/* m = msg 1, class 0x6414, rc 0, payload xml (by pointer). */
void bc_msg_login(struct bc_msg *m, uint16_t msg_num, uint8_t channel_id, const uint8_t *xml,
		  size_t len);

/* ---- logout (msg 2): plain user/password (!) + LoginNet ----------------------------- */
int bc_logout_xml_build(struct sbuf *b, const char *user, const char *pass);

#endif
