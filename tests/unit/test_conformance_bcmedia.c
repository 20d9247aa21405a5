/* Conformance: every capture in ../shared/conformance/bcmedia/ with the values INDEX.md
 * lists (sizes, timestamps, codecs, Swann offsets), whole-stream parsing fed per BC payload
 * and in random chunk sizes (same result), byte-identical re-serialization. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <libavcodec/avcodec.h>

#include "bc/bcmedia.h"
#include "media/adts.h"
#include "testutil.h"

#define MAX_PKTS 16

struct rec {
	enum bcmedia_kind kind;
	uint64_t offset;
	size_t data_len, wire_len;
	uint32_t crc;               /* cheap digest of the data */
	struct bcmedia_pkt pkt;     /* header fields (data pointer not kept) */
};

struct result {
	int n;
	struct rec r[MAX_PKTS];
	uint64_t end;               /* stream offset after the last packet */
	struct sbuf reser;          /* every packet re-serialized */
};

static uint32_t digest(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Appends <prefix><i>.raw (i printed with `width` digits) for i < count, or just <prefix>
 * when count is 0, to s; lens[] gets each file's size. */
static void load(struct sbuf *s, const char *prefix, int width, int count, size_t *lens)
{
	char rel[128];

	for (int i = 0; i < (count ? count : 1); i++) {
		size_t n;
		uint8_t *f;
		if (count)
			snprintf(rel, sizeof(rel), "%s%0*d.raw", prefix, width, i);
		else
			snprintf(rel, sizeof(rel), "%s", prefix);
		f = tu_read_conformance(rel, &n);
		sbuf_add(s, f, n);
		if (lens)
			lens[i] = n;
		free(f);
	}
}

/* Parses s fed in chunks: chunk sizes from lens[] (per BC payload) when given, else random
 * (seed) or whole (seed 0).  Asserts no error and that everything is consumed. */
static void parse(const struct sbuf *s, const size_t *lens, int nlens, unsigned seed, struct result *res)
{
	struct bcmedia_parser p;
	struct bcmedia_pkt pk;
	size_t off = 0;
	int i = 0, r;

	memset(res, 0, sizeof(*res));
	sbuf_init(&res->reser, 0);
	bcmedia_parser_init(&p, 0);
	srand(seed);
	while (off < s->len) {
		size_t c;
		if (lens)
			c = lens[i++];
		else if (seed)
			c = (size_t)(rand() % 9000) + 1;
		else
			c = s->len;
		if (c > s->len - off)
			c = s->len - off;
		assert_int_equal(bcmedia_parser_feed(&p, s->data + off, c), 0);
		off += c;
		while ((r = bcmedia_parser_next(&p, &pk)) == 1) {
			struct rec *rc = &res->r[res->n];
			assert_true(res->n < MAX_PKTS);
			rc->kind = pk.kind;
			rc->offset = p.pkt_offset;
			rc->data_len = pk.data_len;
			rc->wire_len = pk.wire_len;
			rc->crc = digest(pk.data, pk.data_len);
			rc->pkt = pk;
			rc->pkt.data = rc->pkt.pad = NULL;
			assert_int_equal(bcmedia_write(&res->reser, &pk), (int)pk.wire_len);
			res->end = p.pkt_offset + pk.wire_len;
			res->n++;
		}
		assert_int_equal(r, 0);
	}
	assert_true(!lens || i == nlens);
	assert_int_equal(res->end, s->len);            /* parsed to the very end */
	assert_int_equal(p.buf.len, 0);
	assert_int_equal(p.skipped, 0);
	bcmedia_parser_free(&p);
	/* re-serialized packets = the original stream */
	assert_int_equal(res->reser.len, s->len);
	assert_memory_equal(res->reser.data, s->data, s->len);
}

/* Per-file feeding, whole feeding and random chunks give identical packets. */
static void parse_all_ways(const struct sbuf *s, const size_t *lens, int nlens, struct result *res)
{
	struct result other;

	parse(s, lens, nlens, 0, res);
	for (unsigned seed = 0; seed < 12; seed++) {
		parse(s, NULL, 0, seed, &other);
		assert_int_equal(other.n, res->n);
		for (int i = 0; i < res->n; i++) {
			assert_int_equal(other.r[i].kind, res->r[i].kind);
			assert_int_equal(other.r[i].offset, res->r[i].offset);
			assert_int_equal(other.r[i].data_len, res->r[i].data_len);
			assert_int_equal(other.r[i].crc, res->r[i].crc);
		}
		sbuf_free(&other.reser);
	}
}

static void test_info_v1(void **state)
{
	struct sbuf s;
	struct result res;
	const struct bcmedia_info *in;

	(void)state;
	sbuf_init(&s, 0);
	load(&s, "bcmedia/info_v1.raw", 0, 0, NULL);
	assert_int_equal(s.len, 32);
	parse_all_ways(&s, NULL, 0, &res);
	assert_int_equal(res.n, 1);
	assert_int_equal(res.r[0].kind, BCMEDIA_INFO_V1);
	in = &res.r[0].pkt.info;
	assert_int_equal(in->width, 2560);
	assert_int_equal(in->height, 1440);
	assert_int_equal(in->fps, 30);
	assert_int_equal(in->start.year, 121);
	assert_int_equal(in->start.month, 8);
	assert_int_equal(in->start.day, 4);
	assert_int_equal(in->start.hour, 23);
	assert_int_equal(in->start.minute, 23);
	assert_int_equal(in->start.second, 52);
	assert_memory_equal(&in->end, &in->start, sizeof(in->start));
	sbuf_free(&res.reser);
	sbuf_free(&s);
}

static void check_swann_iframe(const struct rec *r, const uint8_t *stream)
{
	const struct bcmedia_frame *f = &r->pkt.frame;

	assert_int_equal(r->kind, BCMEDIA_IFRAME);
	assert_int_equal(f->codec, BCMEDIA_H264);
	assert_int_equal(f->microseconds, 3557705112u);
	assert_true(f->has_time);
	assert_int_equal(f->posix_time, 1628085232);
	assert_int_equal(r->data_len, 192881);
	assert_int_equal(f->additional_len, 8);
	assert_memory_equal(f->additional + 4, "\x29\x01\x00\x00", 4);
	assert_int_equal(f->unknown, 3);
	assert_int_equal(r->wire_len, 24 + 8 + 192881 + 7);           /* pad 7 */
	assert_memory_equal(stream + r->offset + 32, "\x00\x00\x00\x01\x67\x64\x00\x33", 8);
	/* Discrepancy with "zero padding" (BAICHUAN.md §6): this capture pads with stale bytes. */
	assert_memory_equal(stream + r->offset + 32 + 192881, "\xf0\x9b\x0a\x61\x29\x01", 6);
}

static void check_swann_pframe0(const struct rec *r)
{
	assert_int_equal(r->kind, BCMEDIA_PFRAME);
	assert_int_equal(r->pkt.frame.codec, BCMEDIA_H264);
	assert_int_equal(r->pkt.frame.microseconds, 3557767112u);
	assert_false(r->pkt.frame.has_time);
	assert_int_equal(r->pkt.frame.additional_len, 0);
	assert_int_equal(r->data_len, 45108);
	assert_int_equal(r->wire_len, 24 + 45108 + 4);                /* pad 4 */
}

static void check_adpcm(const struct rec *r)
{
	assert_int_equal(r->kind, BCMEDIA_ADPCM);
	assert_int_equal(r->data_len, 244);
	assert_int_equal(r->wire_len, 256);
	assert_int_equal(r->pkt.adpcm.sub_magic, 0x0100);
	assert_int_equal(r->pkt.adpcm.half_block, 122);
}

static void test_swann_parts(void **state)
{
	struct sbuf s, ref;
	struct result res;
	size_t lens[5];

	(void)state;
	sbuf_init(&s, 0);
	load(&s, "bcmedia/iframe_", 1, 5, lens);
	assert_int_equal(lens[0], 32920);
	for (int i = 1; i < 5; i++)
		assert_int_equal(lens[i], 40000);
	/* byte-identical to video_stream_swan_00..04 */
	sbuf_init(&ref, 0);
	load(&ref, "bcmedia/video_stream_swan_", 2, 5, NULL);
	assert_int_equal(ref.len, s.len);
	assert_memory_equal(ref.data, s.data, s.len);
	parse_all_ways(&s, lens, 5, &res);
	assert_int_equal(res.n, 1);
	check_swann_iframe(&res.r[0], s.data);
	sbuf_free(&res.reser);

	sbuf_reset(&s);
	sbuf_reset(&ref);
	load(&s, "bcmedia/pframe_", 1, 2, lens);
	assert_int_equal(lens[0], 5136);
	assert_int_equal(lens[1], 40000);
	/* pframe_0..1 = video_stream_swan_05..06 */
	{
		size_t a, b;
		uint8_t *x = tu_read_conformance("bcmedia/video_stream_swan_05.raw", &a);
		uint8_t *y = tu_read_conformance("bcmedia/video_stream_swan_06.raw", &b);
		assert_int_equal(a + b, s.len);
		assert_memory_equal(x, s.data, a);
		assert_memory_equal(y, s.data + a, b);
		free(x);
		free(y);
	}
	parse_all_ways(&s, lens, 2, &res);
	assert_int_equal(res.n, 1);
	check_swann_pframe0(&res.r[0]);
	sbuf_free(&res.reser);

	sbuf_reset(&s);
	load(&s, "bcmedia/adpcm_0.raw", 0, 0, lens);
	assert_int_equal(s.len, 512);
	parse_all_ways(&s, lens, 1, &res);
	assert_int_equal(res.n, 2);
	check_adpcm(&res.r[0]);
	check_adpcm(&res.r[1]);
	assert_int_equal(rd_le16(s.data + 4), 248);       /* size includes the sub-header */
	sbuf_free(&res.reser);
	sbuf_free(&s);
	sbuf_free(&ref);
}

static void test_swann_stream(void **state)
{
	struct sbuf s;
	struct result res;
	size_t lens[10];
	static const size_t want_lens[10] = { 32920, 40000, 40000, 40000, 40000, 5136, 40000, 512, 10008, 40000 };

	(void)state;
	sbuf_init(&s, 0);
	load(&s, "bcmedia/video_stream_swan_", 2, 10, lens);
	assert_memory_equal(lens, want_lens, sizeof(want_lens));
	assert_int_equal(s.len, 288576);
	parse_all_ways(&s, lens, 10, &res);
	assert_int_equal(res.n, 5);
	check_swann_iframe(&res.r[0], s.data);
	assert_int_equal(res.r[0].offset, 0);
	check_swann_pframe0(&res.r[1]);
	assert_int_equal(res.r[1].offset, 192920);
	check_adpcm(&res.r[2]);
	assert_int_equal(res.r[2].offset, 238056);
	check_adpcm(&res.r[3]);
	assert_int_equal(res.r[3].offset, 238312);
	assert_int_equal(res.r[4].kind, BCMEDIA_PFRAME);
	assert_int_equal(res.r[4].pkt.frame.codec, BCMEDIA_H264);
	assert_int_equal(res.r[4].offset, 238568);
	assert_int_equal(res.r[4].data_len, 49978);
	assert_int_equal(res.r[4].offset + res.r[4].wire_len, 288576);   /* ends exactly */
	/* every BC payload starts at a packet boundary in this capture */
	{
		size_t off = 0;
		for (int i = 0; i < 10; i++) {
			if (i == 0 || i == 5 || i == 7 || i == 8)
				assert_true(bcmedia_magic_ok(rd_le32(s.data + off)));
			off += lens[i];
		}
	}
	sbuf_free(&res.reser);
	sbuf_free(&s);
}

static void test_argus2(void **state)
{
	struct sbuf s;
	struct result res;
	size_t lens[18];
	const struct bcmedia_frame *f;

	(void)state;
	sbuf_init(&s, 0);
	load(&s, "bcmedia/argus2_iframe_", 1, 5, lens);
	assert_int_equal(lens[0], 36104);
	assert_int_equal(s.len, 36104 + 4 * 40000);
	parse_all_ways(&s, lens, 5, &res);
	assert_int_equal(res.n, 1);
	f = &res.r[0].pkt.frame;
	assert_int_equal(res.r[0].kind, BCMEDIA_IFRAME);
	assert_int_equal(f->codec, BCMEDIA_H265);
	assert_int_equal(res.r[0].data_len, 196063);
	assert_int_equal(f->additional_len, 16);
	assert_memory_equal(f->additional, "\x4a\xdb\xa7\x61\x33\x01\xc3\x00\x02\x00\x00\x07\x00\x00\x00\x00", 16);
	assert_true(f->has_time);
	assert_int_equal(f->posix_time, 1638390602);
	assert_int_equal(f->microseconds, 2855770136u);
	assert_int_equal(f->unknown, 71);
	assert_int_equal(res.r[0].wire_len, 24 + 16 + 196063 + 1);    /* pad 1 */
	sbuf_free(&res.reser);

	sbuf_reset(&s);
	load(&s, "bcmedia/argus2_pframe_", 1, 18, lens);
	assert_int_equal(lens[0], 636);
	for (int i = 1; i < 17; i++)
		assert_int_equal(lens[i], 1010);
	assert_int_equal(lens[17], 692);
	parse_all_ways(&s, lens, 18, &res);
	assert_int_equal(res.n, 2);
	f = &res.r[0].pkt.frame;
	assert_int_equal(res.r[0].kind, BCMEDIA_PFRAME);
	assert_int_equal(f->codec, BCMEDIA_H265);
	assert_int_equal(res.r[0].data_len, 16927);
	assert_int_equal(f->additional_len, 8);
	assert_memory_equal(f->additional, "\x02\x00\x00\x07\x00\x00\x00\x00", 8);
	assert_false(f->has_time);                      /* P-frame: not a time */
	assert_int_equal(f->microseconds, 5493358);
	assert_int_equal(res.r[1].kind, BCMEDIA_AAC);
	assert_int_equal(res.r[1].data_len, 519);
	assert_memory_equal(s.data + res.r[1].offset + 8, "\xff\xf1\x60\x40", 4);   /* 16 kHz ADTS */
	sbuf_free(&res.reser);
	sbuf_free(&s);
}

/* The Argus 2's AAC frame (after the P-frame) as the recording side reads it: one whole
 * ADTS frame of AAC-LC, 16 kHz mono, whose MP4 config aac_adtstoasc makes, and which
 * libavcodec's AAC decoder takes. */
static void test_argus2_aac(void **state)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_AAC);
	AVCodecContext *dec;
	AVPacket *pkt;
	struct result res;
	struct adts_info ai;
	uint8_t asc[ADTS_MAX_ASC];
	size_t lens[18];
	struct sbuf s;
	const uint8_t *aac;

	(void)state;
	sbuf_init(&s, 0);
	load(&s, "bcmedia/argus2_pframe_", 1, 18, lens);
	parse_all_ways(&s, lens, 18, &res);
	assert_int_equal(res.r[1].kind, BCMEDIA_AAC);
	aac = s.data + res.r[1].offset + 8;
	assert_int_equal(adts_parse(aac, res.r[1].data_len, &ai), 0);
	assert_int_equal(ai.object_type, 2);   /* AAC-LC */
	assert_int_equal(ai.sample_rate, 16000);
	assert_int_equal(ai.channels, 1);
	assert_int_equal(ai.samples, 1024);
	assert_int_equal(adts_asc(aac, res.r[1].data_len, asc, sizeof(asc)), 2);
	assert_memory_equal(asc, "\x14\x08", 2);   /* LC, index 8 (16 kHz), 1 channel */
	assert_non_null(codec);
	assert_non_null(dec = avcodec_alloc_context3(codec));
	assert_int_equal(avcodec_open2(dec, codec, NULL), 0);
	assert_non_null(pkt = av_packet_alloc());
	assert_int_equal(av_new_packet(pkt, (int)res.r[1].data_len), 0);
	memcpy(pkt->data, aac, res.r[1].data_len);
	assert_int_equal(avcodec_send_packet(dec, pkt), 0);
	av_packet_free(&pkt);
	avcodec_free_context(&dec);
	sbuf_free(&res.reser);
	sbuf_free(&s);
}

/* Everything back to back (a stream restarts at each group): still parses to the end. */
static void test_everything_concatenated(void **state)
{
	struct sbuf s;
	struct result res;

	(void)state;
	sbuf_init(&s, 0);
	load(&s, "bcmedia/info_v1.raw", 0, 0, NULL);
	load(&s, "bcmedia/video_stream_swan_", 2, 10, NULL);
	load(&s, "bcmedia/argus2_iframe_", 1, 5, NULL);
	load(&s, "bcmedia/argus2_pframe_", 1, 18, NULL);
	load(&s, "bcmedia/adpcm_0.raw", 0, 0, NULL);
	parse_all_ways(&s, NULL, 0, &res);
	assert_int_equal(res.n, 1 + 5 + 1 + 2 + 2);
	sbuf_free(&res.reser);
	sbuf_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_v1),
		cmocka_unit_test(test_swann_parts),
		cmocka_unit_test(test_swann_stream),
		cmocka_unit_test(test_argus2),
		cmocka_unit_test(test_argus2_aac),
		cmocka_unit_test(test_everything_concatenated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
