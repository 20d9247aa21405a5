/* libFuzzer: the BcMedia parser.  Byte 0 picks the chunk size.  Every packet must
 * re-serialize to exactly the bytes it was parsed from.  An AAC packet's ADTS header is read
 * as the recording side reads it (values in range, the MP4 config made without harm). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bc/bcmedia.h"
#include "media/adts.h"

static void check_adts(const struct bcmedia_pkt *pk)
{
	struct adts_info ai;
	uint8_t asc[ADTS_MAX_ASC];

	if (pk->kind != BCMEDIA_AAC || adts_parse(pk->data, pk->data_len, &ai) < 0)
		return;
	if (ai.sample_rate < 7350 || ai.sample_rate > 96000 || ai.channels < 1 || ai.channels > 8 ||
	    !ai.samples || ai.samples % 1024)
		__builtin_trap();
	(void)adts_asc(pk->data, pk->data_len, asc, sizeof(asc));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bcmedia_parser p;
	struct bcmedia_pkt pk;
	struct sbuf out;
	size_t chunk, off = 1;

	if (size < 1)
		return 0;
	bcmedia_parser_init(&p, 1 << 20);
	sbuf_init(&out, 0);
	chunk = data[0] ? (size_t)data[0] * 3 : size;
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		int rc;

		if (bcmedia_parser_feed(&p, data + off, n) < 0)
			break;
		off += n;
		for (int guard = 0; guard < 100000 && (rc = bcmedia_parser_next(&p, &pk)) != 0; guard++) {
			if (rc < 0)
				continue;
			check_adts(&pk);
			sbuf_reset(&out);
			if (bcmedia_write(&out, &pk) != (int)pk.wire_len ||
			    memcmp(out.data, p.buf.data, pk.wire_len) != 0)
				__builtin_trap();
		}
	}
	/* the one-shot parser on the raw input too */
	if (size > 1)
		(void)bcmedia_parse(data + 1, size - 1, 1 << 20, &pk, NULL);
	sbuf_free(&out);
	bcmedia_parser_free(&p);
	return 0;
}
