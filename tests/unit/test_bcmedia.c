/* BcMedia packets: serializer ↔ parser for every kind, padding, incremental parser with
 * arbitrary chunking, resync after garbage, hostile sizes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bc/bcmedia.h"
#include "testutil.h"

static uint8_t data[5000];

/* One packet of each kind into s; returns count. */
static int build_all(struct sbuf *s)
{
	struct bcmedia_pkt p;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + 1);
	memset(&p, 0, sizeof(p));
	p.kind = BCMEDIA_INFO_V2;
	p.info.width = 2304;
	p.info.height = 1296;
	p.info.fps = 15;
	p.info.start = (struct bcmedia_time){ 121, 4, 15, 10, 20, 30 };
	p.info.end = p.info.start;
	assert_int_equal(bcmedia_write(s, &p), 32);

	memset(&p, 0, sizeof(p));
	p.kind = BCMEDIA_IFRAME;
	p.frame.codec = BCMEDIA_H265;
	p.frame.microseconds = 1000;
	bcmedia_frame_set_time(&p.frame, 1700000000);
	p.data = data;
	p.data_len = 4001;                                   /* pad 7 */
	assert_int_equal(bcmedia_write(s, &p), 24 + 8 + 4001 + 7);

	memset(&p, 0, sizeof(p));
	p.kind = BCMEDIA_PFRAME;
	p.frame.codec = BCMEDIA_H264;
	p.frame.microseconds = 67000;
	p.frame.additional_len = 16;
	memcpy(p.frame.additional, "\x02\x00\x00\x07", 4);
	p.data = data;
	p.data_len = 800;                                    /* pad 0 */
	assert_int_equal(bcmedia_write(s, &p), 24 + 16 + 800);

	memset(&p, 0, sizeof(p));
	p.kind = BCMEDIA_AAC;
	p.data = data;
	p.data_len = 519;                                    /* pad 1 */
	assert_int_equal(bcmedia_write(s, &p), 8 + 519 + 1);

	memset(&p, 0, sizeof(p));
	p.kind = BCMEDIA_ADPCM;
	p.data = data;
	p.data_len = 244;                                    /* size 248, pad 0 */
	assert_int_equal(bcmedia_write(s, &p), 8 + 248);
	return 5;
}

static void check_all(const struct bcmedia_pkt *p, int i)
{
	switch (i) {
	case 0:
		assert_int_equal(p->kind, BCMEDIA_INFO_V2);
		assert_int_equal(p->info.width, 2304);
		assert_int_equal(p->info.height, 1296);
		assert_int_equal(p->info.fps, 15);
		assert_int_equal(p->info.start.year, 121);
		assert_int_equal(p->info.end.second, 30);
		break;
	case 1:
		assert_int_equal(p->kind, BCMEDIA_IFRAME);
		assert_int_equal(p->frame.codec, BCMEDIA_H265);
		assert_int_equal(p->frame.channel, '0');
		assert_true(p->frame.has_time);
		assert_int_equal(p->frame.posix_time, 1700000000);
		assert_int_equal(p->frame.additional_len, 8);
		assert_int_equal(p->data_len, 4001);
		assert_memory_equal(p->data, data, 4001);
		break;
	case 2:
		assert_int_equal(p->kind, BCMEDIA_PFRAME);
		assert_int_equal(p->frame.codec, BCMEDIA_H264);
		assert_false(p->frame.has_time);
		assert_int_equal(p->frame.additional_len, 16);
		assert_int_equal(p->frame.microseconds, 67000);
		assert_int_equal(p->data_len, 800);
		break;
	case 3:
		assert_int_equal(p->kind, BCMEDIA_AAC);
		assert_int_equal(p->data_len, 519);
		assert_memory_equal(p->data, data, 519);
		break;
	case 4:
		assert_int_equal(p->kind, BCMEDIA_ADPCM);
		assert_int_equal(p->data_len, 244);
		assert_int_equal(p->adpcm.sub_magic, 0x0100);
		assert_int_equal(p->adpcm.half_block, 122);
		assert_memory_equal(p->data, data, 244);
		break;
	}
}

static void test_write_parse(void **state)
{
	struct sbuf s, again;
	struct bcmedia_pkt p;
	size_t off = 0;
	int n = 0, r;

	(void)state;
	sbuf_init(&s, 0);
	sbuf_init(&again, 0);
	build_all(&s);
	while (off < s.len) {
		r = bcmedia_parse(s.data + off, s.len - off, BCMEDIA_MAX_FRAME_DEFAULT, &p, NULL);
		assert_true(r > 0);
		assert_int_equal(r % 8, 0);
		check_all(&p, n++);
		assert_int_equal(bcmedia_write(&again, &p), r);
		/* every shorter prefix asks for more */
		for (int cut = 0; cut < r; cut += 97)
			assert_int_equal(bcmedia_parse(s.data + off, (size_t)cut, BCMEDIA_MAX_FRAME_DEFAULT, &p, NULL), 0);
		off += (size_t)r;
	}
	assert_int_equal(n, 5);
	assert_int_equal(again.len, s.len);
	assert_memory_equal(again.data, s.data, s.len);   /* byte-identical re-serialization */
	sbuf_free(&s);
	sbuf_free(&again);
}

static void test_chunked(void **state)
{
	struct sbuf s;
	struct bcmedia_parser ps;
	struct bcmedia_pkt p;

	(void)state;
	sbuf_init(&s, 0);
	build_all(&s);
	build_all(&s);
	for (unsigned seed = 1; seed < 50; seed++) {
		size_t off = 0;
		int n = 0, r;

		srand(seed);
		bcmedia_parser_init(&ps, 0);
		while (off < s.len) {
			size_t c = (size_t)(rand() % (seed < 10 ? 7 : 3000)) + 1;
			if (c > s.len - off)
				c = s.len - off;
			assert_int_equal(bcmedia_parser_feed(&ps, s.data + off, c), 0);
			off += c;
			while ((r = bcmedia_parser_next(&ps, &p)) == 1)
				check_all(&p, n++ % 5);
			assert_int_equal(r, 0);
		}
		assert_int_equal(n, 10);
		assert_int_equal(ps.pkt_offset + 256, s.len);    /* last packet's offset */
		bcmedia_parser_free(&ps);
	}
	sbuf_free(&s);
}

static void test_resync(void **state)
{
	struct sbuf s;
	struct bcmedia_parser ps;
	struct bcmedia_pkt p;
	uint8_t junk[100];
	int r, n = 0, errors = 0;

	(void)state;
	memset(junk, 'x', sizeof(junk));
	memcpy(junk + 50, "00d", 3);        /* a false start */
	sbuf_init(&s, 0);
	sbuf_add(&s, junk, sizeof(junk));
	build_all(&s);
	bcmedia_parser_init(&ps, 0);
	bcmedia_parser_feed(&ps, s.data, s.len);
	for (int i = 0; i < 1000 && (r = bcmedia_parser_next(&ps, &p)) != 0; i++) {
		if (r < 0) {
			assert_int_equal(r, -EBADMSG);
			errors++;
		} else {
			check_all(&p, n++);
		}
	}
	assert_true(errors >= 1);
	assert_int_equal(n, 5);
	assert_int_equal(ps.skipped, 100);
	bcmedia_parser_free(&ps);
	sbuf_free(&s);
}

static void test_hostile(void **state)
{
	uint8_t b[64] = { 0 };
	struct bcmedia_pkt p;
	struct bc_err err = { "" };
	struct bcmedia_parser ps;

	(void)state;
	/* absurd payload_size */
	memcpy(b, "00dcH264", 8);
	wr_le32(b + 8, 0xfffffff0u);
	assert_int_equal(bcmedia_parse(b, 24, BCMEDIA_MAX_FRAME_DEFAULT, &p, &err), -EMSGSIZE);
	assert_non_null(strstr(err.msg, "payload_size 4294967280"));
	/* absurd additional header */
	wr_le32(b + 8, 10);
	wr_le32(b + 12, 1000);
	assert_int_equal(bcmedia_parse(b, 64, BCMEDIA_MAX_FRAME_DEFAULT, &p, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "additional_header_size 1000"));
	/* unknown codec */
	memcpy(b + 4, "VP80", 4);
	assert_int_equal(bcmedia_parse(b, 64, BCMEDIA_MAX_FRAME_DEFAULT, &p, &err), -EBADMSG);
	/* info header_size */
	memset(b, 0, sizeof(b));
	memcpy(b, "1001", 4);
	wr_le32(b + 4, 99);
	assert_int_equal(bcmedia_parse(b, 32, 100, &p, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "header_size 99"));
	/* ADPCM smaller than its sub-header */
	memcpy(b, "01wb", 4);
	wr_le16(b + 4, 2);
	assert_int_equal(bcmedia_parse(b, 32, 100, &p, &err), -EBADMSG);
	/* bad magic */
	memcpy(b, "abcd", 4);
	assert_int_equal(bcmedia_parse(b, 32, 100, &p, &err), -EBADMSG);
	assert_int_equal(bcmedia_parse(b, 3, 100, &p, &err), 0);
	/* parser with a small limit */
	bcmedia_parser_init(&ps, 1000);
	memcpy(b, "01dcH265", 8);
	wr_le32(b + 8, 5000);
	wr_le32(b + 12, 0);
	bcmedia_parser_feed(&ps, b, 24);
	assert_int_equal(bcmedia_parser_next(&ps, &p), -EMSGSIZE);
	assert_non_null(strstr(ps.err.msg, "payload_size 5000 > limit 1000"));
	{
		static uint8_t big[70000];
		assert_int_equal(bcmedia_parser_feed(&ps, big, sizeof(big)), -ENOBUFS);
	}
	bcmedia_parser_free(&ps);
	/* writer limits */
	{
		struct sbuf s;
		memset(&p, 0, sizeof(p));
		sbuf_init(&s, 0);
		p.kind = BCMEDIA_IFRAME;
		p.frame.additional_len = 65;
		assert_int_equal(bcmedia_write(&s, &p), -EINVAL);
		p.kind = BCMEDIA_AAC;
		p.data = data;
		p.data_len = 70000;
		assert_int_equal(bcmedia_write(&s, &p), -EINVAL);
		p.kind = 0;
		assert_int_equal(bcmedia_write(&s, &p), -EINVAL);
		assert_int_equal(s.len, 0);
		sbuf_free(&s);
	}
}

/* Parsed audio headers are written back verbatim; built ones get defaults. */
static void test_audio_verbatim(void **state)
{
	uint8_t b[16] = { '0', '1', 'w', 'b', 8, 0, 9, 0, 0x7a, 0, 2, 0, 1, 2, 3, 4 };
	struct bcmedia_pkt p;
	struct sbuf s;

	(void)state;
	assert_int_equal(bcmedia_parse(b, sizeof(b), 100, &p, NULL), 16);
	assert_true(p.verbatim);
	assert_int_equal(p.audio_size2, 9);
	assert_int_equal(p.adpcm.sub_magic, 0x7a);
	assert_int_equal(p.adpcm.half_block, 2);
	assert_int_equal(p.data_len, 4);
	sbuf_init(&s, 0);
	assert_int_equal(bcmedia_write(&s, &p), 16);
	assert_memory_equal(s.data, b, 16);
	p.verbatim = false;
	p.adpcm.sub_magic = 0;
	p.adpcm.half_block = 0;
	p.pad = NULL;
	sbuf_reset(&s);
	assert_int_equal(bcmedia_write(&s, &p), 16);
	assert_int_equal(rd_le16(s.data + 6), 8);
	assert_int_equal(rd_le16(s.data + 8), 0x0100);
	assert_int_equal(rd_le16(s.data + 10), 2);
	sbuf_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_parse),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_resync),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_audio_verbatim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
