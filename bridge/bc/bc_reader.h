/* Incremental BC stream decoder (TCP, or the reassembled BcUdp byte stream): feed chunks of
 * any size, pull complete decrypted messages.  No allocation per message in steady state
 * (an Extension XML is parsed with expat when present).
 *
 * Typical client use (the simulator is the mirror image):
 *   bc_reader_init(&r, 0);
 *   send bc_msg_legacy_login(.., BC_ENC_FULL_AES, ..)           (bc_login.h)
 *   on data: bc_reader_feed(&r, buf, n);
 *            while ((rc = bc_reader_next(&r, &m)) != 0) {
 *                    if (rc < 0) { log bc_reader_errmsg(&r); continue; }   (or drop the link)
 *                    nonce reply: bc_nonce_parse(m.payload, ..) and
 *                                 bc_reader_set_crypto(&r, m.hdr.response_code & 0xff, nonce, pw)
 *                    m.payload_is_binary: bcmedia_parser_feed(..)         (bcmedia.h)
 *            }
 *   send: bc_msg_encode(&msg, &r.ctx.crypto, &out)                       (bc_msg.h)
 *
 * Header map: bc_header.h (framing, ids), bc_crypto.h (XOR/AES/MD5), bc_msg.h (message +
 * encode), bc_ext.h (Extension), bc_login.h (login/nonce/logout), bc_devinfo.h (DeviceInfo,
 * StreamInfoList), bc_preview.h (msg 3/4), bc_info.h (78/80/93), bc_event.h (33/234/252/253),
 * bc_xmlw.h (camera-style XML writer + getters), bcmedia.h (media packets). */
#ifndef CB_BC_READER_H
#define CB_BC_READER_H

#include <stddef.h>
#include <stdint.h>

#include "bc/bc_msg.h"
#include "util/sbuf.h"

#define BC_MAX_MSG_DEFAULT (4u << 20)   /* header + body; a camera's biggest XML is ~100 KiB */

struct bc_reader {
	struct bc_ctx ctx;          /* encryption + sticky binary mode; the owner may change it */
	struct sbuf buf;            /* input; the first `pending` bytes are already consumed */
	size_t pending;             /* consumed bytes at the front, dropped at the next feed
				     * (one memmove per feed, not one per message) */
	size_t next_f0, next_a0;    /* cached offsets of the next 0xf0 / 0xa0 byte (resync);
				     * SIZE_MAX = unknown, buf.len = none */
	size_t max_msg;
	uint64_t skipped;           /* bytes thrown away while resyncing */
	struct bc_err err;          /* text of the last error */
};

/* max_msg 0 = BC_MAX_MSG_DEFAULT. */
void bc_reader_init(struct bc_reader *r, size_t max_msg);
void bc_reader_free(struct bc_reader *r);
/* Forget buffered input and binary state (keeps the crypto), e.g. for a new connection. */
void bc_reader_reset(struct bc_reader *r);

/* Appends input.  0, or -ENOBUFS when more than 2 * max_msg would be buffered (drain with
 * bc_reader_next after every feed). */
int bc_reader_feed(struct bc_reader *r, const void *data, size_t len);

/* Pulls the next message: 1 = *m filled (its pointers stay valid until the next feed/next
 * call), 0 = need more input, negative errno = a bad message was dropped or the stream was
 * resynchronised (text in bc_reader_errmsg); call again to continue.
 *   -EBADMSG  bad magic (skips to the next magic) or payload_offset > body_len (skips it)
 *   -EMSGSIZE body_len over the limit (skips to the next magic)
 *   A run of garbage (bad magic / absurd body_len, candidate after candidate) is skipped in
 *   one call and reported once, with the byte count in the text.
 *   -ENOTSUP / -ENOKEY  cannot decrypt (message skipped) */
int bc_reader_next(struct bc_reader *r, struct bc_msg *m);
const char *bc_reader_errmsg(const struct bc_reader *r);

/* Switch encryption after the login negotiation (see bc_crypto_set). */
int bc_reader_set_crypto(struct bc_reader *r, unsigned mode, const char *nonce, const char *password);
/* A binary stream/transfer on (msg_id, msg_num) ended: later messages there are XML again. */
void bc_reader_binary_end(struct bc_reader *r, uint32_t msg_id, uint16_t msg_num);

#endif
