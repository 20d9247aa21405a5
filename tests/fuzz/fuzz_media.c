/* libFuzzer: the media path — BcMedia byte stream (in chunks whose sizes come from the input)
 * → frames → AU queue → the H.264/H.265 decoder (libavcodec, software).
 * Input: [chunk u8][codec u8] then the stream. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bc/bcmedia.h"
#include "media/dec.h"
#include "source/auq.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)
#define MAX_FRAME (256u << 10)

static struct dec *decoder(enum dec_codec codec)
{
	static struct dec *d[2];
	int i = codec == DEC_H265;

	if (!d[i]) {
		struct dec_opts o;
		memset(&o, 0, sizeof(o));
		o.codec = codec;
		CHECK(dec_new(&o, &d[i]) == 0);
	}
	return d[i];
}

static void drain(struct auq *q)
{
	struct au au;
	struct dec_out out;

	while (auq_pop(q, &au, 0) > 0) {
		struct dec *d = decoder(au.codec == AU_H265 ? DEC_H265 : DEC_H264);
		if (au.gap)
			dec_mark_loss(d);
		(void)dec_decode(d, au.data, au.len, au.keyframe, &out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct bcmedia_parser p;
	struct bcmedia_pkt pkt;
	struct auq q;
	size_t off = 2, chunk;
	int r;

	if (n < 2)
		return 0;
	chunk = (size_t)data[0] * 16 + 1;
	bcmedia_parser_init(&p, MAX_FRAME);
	CHECK(auq_init(&q, 1u << 20, 16) == 0);
	while (off < n) {
		size_t k = n - off < chunk ? n - off : chunk;
		if (bcmedia_parser_feed(&p, data + off, k) < 0)
			bcmedia_parser_reset(&p);
		off += k;
		while ((r = bcmedia_parser_next(&p, &pkt)) != 0) {
			struct au au;
			if (r < 0 || (pkt.kind != BCMEDIA_IFRAME && pkt.kind != BCMEDIA_PFRAME))
				continue;
			CHECK(pkt.data_len <= MAX_FRAME);
			memset(&au, 0, sizeof(au));
			au.data = pkt.data;
			au.len = pkt.data_len;
			au.codec = (pkt.frame.codec == BCMEDIA_H265) ^ (data[1] & 1) ? AU_H265 : AU_H264;
			au.keyframe = pkt.kind == BCMEDIA_IFRAME;
			if (au.len)
				(void)auq_push(&q, &au);
		}
		drain(&q);
	}
	auq_destroy(&q);
	bcmedia_parser_free(&p);
	return 0;
}
