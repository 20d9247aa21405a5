/* One direction of a BC byte stream (a TCP direction, a BcUdp Data stream, or input files):
 * frames and decrypts messages (bc_reader), follows the encryption negotiation, prints one
 * "bc" item per message and feeds msg-3/202 binary payloads to BcMedia parsers. */
#ifndef CB_DUMP_BC_H
#define CB_DUMP_BC_H

#include "bc/bc_reader.h"
#include "bc/bcmedia.h"
#include "dump/dump.h"

struct dump_media_slot {
	bool used;
	uint32_t msg_id;
	uint16_t msg_num;
	uint64_t last_use;
	struct bcmedia_parser p;
	bool lenient;               /* joined mid-stream: garbage before the first packet is expected */
	uint64_t err_from;          /* coalesced resync run: media offset, UINT64_MAX = none */
	uint64_t err_bytes;
	uint64_t err_bc_off;        /* BC stream offset of the message where the run began */
	struct dump_where err_where;
	char err_msg[BC_ERR_MAX];
};

struct dump_bcs {
	struct bc_reader rd;
	struct dump_bcs *peer;      /* the other direction: the negotiation applies to both */
	uint64_t fed;               /* stream offset just past the bytes fed so far */
	bool after_gap;             /* bytes before the next magic are expected garbage */
	bool lenient_tail;          /* a partial message at the end is a warning (captures) */
	uint64_t garbage_from;      /* coalesced resync run start, UINT64_MAX = none */
	uint64_t garbage_bytes;
	bool garbage_is_warning;
	char garbage_msg[BC_ERR_MAX];
	struct dump_where garbage_where;
	uint64_t clock;
	struct dump_media_slot media[DUMP_MEDIA_SLOTS];
};

void dump_bcs_init(struct dump *d, struct dump_bcs *s);
void dump_bcs_free(struct dump_bcs *s);
/* Initial encryption from the options (--nonce/--password), or NONE (XOR auto-detected). */
void dump_bcs_crypto_from_opts(struct dump *d, struct dump_bcs *s);
/* Appends stream bytes and prints what decodes.  w: where the bytes came from (may be NULL). */
void dump_bcs_feed(struct dump *d, struct dump_bcs *s, const uint8_t *data, size_t len,
		   const struct dump_where *w);
/* `missing` bytes (TCP) or `missing_pkts` packets (BcUdp) were lost before the next feed:
 * drops the partial message, prints a "gap" item, and resyncs at the next magic without
 * calling the skipped bytes errors. */
void dump_bcs_gap(struct dump *d, struct dump_bcs *s, uint64_t missing, uint64_t missing_pkts,
		  const struct dump_where *w);
/* End of the stream: reports a trailing partial message. */
void dump_bcs_finish(struct dump *d, struct dump_bcs *s, const struct dump_where *w);
/* Bytes this stream holds (for the memory budget). */
size_t dump_bcs_mem(const struct dump_bcs *s);

/* Printing helpers shared with the media-only input. */
void dump_media_item(struct dump *d, const struct bcmedia_pkt *p, uint64_t off,
		     const struct dump_where *w, const struct bc_header *bc);
const char *dump_msg_name(uint32_t msg_id);

#endif
