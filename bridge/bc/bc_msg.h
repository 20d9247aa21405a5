/* One BC message: header + extension + payload, decoded (decrypted) or to be encoded.
 * Works for both roles: the bridge (client) and the camera simulator.
 * See ../shared/protocol/BAICHUAN.md §2–3.  For a byte stream use bc_reader.h. */
#ifndef CB_BC_MSG_H
#define CB_BC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bc/bc_crypto.h"
#include "bc/bc_ext.h"
#include "bc/bc_header.h"
#include "util/sbuf.h"

/* Sticky binary mode entries remembered per connection (peer-controlled, so bounded). */
#define BC_BIN_SLOTS 32

/* Per-connection decoding state. */
struct bc_ctx {
	struct bc_crypto crypto;
	struct {
		uint32_t msg_id;
		uint16_t msg_num;
		bool used;
	} bin[BC_BIN_SLOTS];
	unsigned bin_next;          /* slot to evict when all are used */
};

void bc_ctx_init(struct bc_ctx *ctx);
/* Sticky binary mode, keyed on (msg_id, msg_num): set by Extension binaryData=1, cleared by
 * binaryData=0 or by the owner when a stream/transfer ends (bc_ctx_set_binary(.., false)). */
bool bc_ctx_is_binary(const struct bc_ctx *ctx, uint32_t msg_id, uint16_t msg_num);
void bc_ctx_set_binary(struct bc_ctx *ctx, uint32_t msg_id, uint16_t msg_num, bool on);

struct bc_msg {
	struct bc_header hdr;       /* encode: body_len and payload_offset are computed */
	const uint8_t *ext;         /* extension plaintext (XML), NULL/0 if none */
	size_t ext_len;
	const uint8_t *payload;     /* payload plaintext (XML or binary) */
	size_t payload_len;
	bool payload_is_binary;     /* binary payloads are never XOR/AES-ed (except full AES) */
	enum bc_cipher cipher;      /* decode: cipher that was removed; encode: AUTO = by context */
	uint32_t encrypt_len;       /* full AES: encrypted prefix of a binary payload (0 = none) */

	/* decode only */
	struct bc_ext ext_info;     /* parsed extension; ext_info.has == 0 if none/unparsable */
	int ext_err;                /* 0, or why the extension did not parse (not fatal) */
	int check;                  /* full AES checkPos/checkValue: 0 absent, 1 ok, -1 mismatch */
	size_t wire_len;            /* header + body bytes on the wire */
};

/* Fills m->hdr for a client request: class 0x6414, rc 0.  Clears the rest of m. */
void bc_msg_request(struct bc_msg *m, uint32_t msg_id, uint16_t msg_num, uint8_t channel_id);
/* Fills m->hdr for a reply to req: class 0x0000, echoes msg_id, msg_num, channel_id and
 * stream_type, response_code rc.  Clears the rest of m. */
void bc_msg_reply(struct bc_msg *m, const struct bc_header *req, uint16_t rc);
/* Camera-initiated event (class 0x0000, rc 200). */
void bc_msg_event(struct bc_msg *m, uint32_t msg_id, uint16_t msg_num, uint8_t channel_id);

/* Decodes the message at the start of buf, decrypting extension and payload IN PLACE (m's
 * pointers point into buf).  Updates ctx's sticky binary mode.
 * Returns the message's wire length (> 0), 0 if buf holds only part of it, or a negative errno:
 *   -EBADMSG  bad magic, or payload_offset > body_len (m->wire_len != 0: skip that many bytes)
 *   -EMSGSIZE header + body_len > max_msg
 *   -ENOTSUP / -ENOKEY / -EIO  cannot decrypt (m->wire_len set)
 * err (may be NULL) names the field. */
int bc_msg_decode(struct bc_ctx *ctx, uint8_t *buf, size_t len, size_t max_msg, struct bc_msg *m,
		  struct bc_err *err);

/* Appends m's wire bytes to out, encrypting extension and non-binary payload with
 * m->cipher (or, if AUTO, bc_cipher_for(c, &m->hdr)); with full AES also the first
 * m->encrypt_len bytes of a binary payload.  c may be NULL (= no encryption).
 * Re-encoding a decoded message reproduces its bytes.  Returns the bytes appended, -EINVAL
 * (extension on a 20-byte-header class, body over 4 GiB), -ENOTSUP, -ENOKEY, or sbuf errors. */
int bc_msg_encode(const struct bc_msg *m, const struct bc_crypto *c, struct sbuf *out);

#endif
