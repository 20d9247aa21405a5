/* The BC "Extension" XML that may precede a payload (BAICHUAN.md §2.3, §3.4):
 * <Extension version="1.1"><binaryData/><userName/><token/><channelId/><rfId/>
 * <encryptLen/><checkPos/><checkValue/></Extension> */
#ifndef CB_BC_EXT_H
#define CB_BC_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "util/sbuf.h"

#define BC_EXT_USER_MAX   64
#define BC_EXT_TOKEN_MAX  256

/* bits of bc_ext.has */
enum {
	BC_EXT_BINARY = 1u << 0,
	BC_EXT_USER = 1u << 1,
	BC_EXT_TOKEN = 1u << 2,
	BC_EXT_CHANNEL = 1u << 3,
	BC_EXT_RFID = 1u << 4,
	BC_EXT_ENCLEN = 1u << 5,
	BC_EXT_CHECKPOS = 1u << 6,
	BC_EXT_CHECKVAL = 1u << 7,
};

struct bc_ext {
	unsigned has;               /* which fields are present (BC_EXT_*) */
	uint32_t binary_data;       /* 1 = payload (and later ones on this msg_id/msg_num) binary */
	char user_name[BC_EXT_USER_MAX];
	char token[BC_EXT_TOKEN_MAX];
	uint32_t channel_id;
	uint32_t rf_id;
	uint32_t encrypt_len;       /* full AES: bytes of the binary payload that are encrypted */
	int32_t check_pos;          /* full AES: LE i32 at check_pos of the decrypted binary ... */
	int32_t check_value;        /* ... should equal check_value (e.g. "00dc") */
};

/* Parses a (decrypted) extension.  Unknown children are ignored.  0, -EBADMSG (not XML or
 * not an <Extension>), -EINVAL (a known field has a bad number), -E2BIG (string too long). */
int bc_ext_parse(const void *xml, size_t len, struct bc_ext *ext);
/* Appends the camera-style extension XML for the fields in ext->has. */
int bc_ext_build(struct sbuf *b, const struct bc_ext *ext);

/* Convenience: an extension with only binaryData=v / only channelId=ch. */
int bc_ext_build_binary(struct sbuf *b, unsigned v);
int bc_ext_build_channel(struct sbuf *b, uint32_t channel_id);

#endif
