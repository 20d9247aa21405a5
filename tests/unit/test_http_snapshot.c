/* Snapshots: JPEG and PNG, scaled and not, refused sizes, and the viewer hold. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libavcodec/avcodec.h>

#include "httptest.h"
#include "util/clock.h"

static void test_snapshots(void **state)
{
	struct ht_fx *x = ht_fx_new(NULL);
	uint8_t *b;
	size_t n;
	int w, h;
	char *hd;
	uint8_t *y;

	assert_int_equal(ht_curl(x->port, "/snapshot.jpg", NULL, NULL, NULL, NULL), 503);
	ht_publish(x);
	assert_int_equal(ht_curl(x->port, "/snapshot.jpg", NULL, &b, &n, &hd), 200);
	assert_non_null(strcasestr(hd, "Content-Type: image/jpeg"));
	assert_non_null(strcasestr(hd, "X-Timestamp: "));
	free(hd);
	assert_int_equal(ht_jpeg_marker(b, n, &w, &h), 1000);
	assert_int_equal(w, W);
	assert_int_equal(h, H);
	free(b);

	assert_int_equal(ht_curl(x->port, "/snapshot.jpg?width=160&height=120", NULL, &b, &n, NULL), 200);
	assert_int_equal(ht_jpeg_marker(b, n, &w, &h), 1000);
	assert_int_equal(w, 160);
	assert_int_equal(h, 120);
	free(b);
	assert_int_equal(ht_curl(x->port, "/snapshot.jpg?width=640", NULL, &b, &n, NULL), 200);
	y = ht_jpeg_luma(b, n, &w, &h);
	assert_non_null(y);
	free(y);
	assert_int_equal(w, 640);
	assert_int_equal(h, 480);
	free(b);
	assert_int_equal(ht_curl(x->port, "/snapshot.jpg?height=100&width=333", NULL, &b, &n, NULL), 200);
	y = ht_jpeg_luma(b, n, &w, &h);
	assert_non_null(y);
	free(y);
	assert_int_equal(w, 333);
	assert_int_equal(h, 100);
	free(b);

	static const char *bad[] = { "?width=abc", "?width=0", "?width=5000", "?width=-1",
				     "?height=4097", "?width=", "?width=1e3", "?width=4", "?width=99999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char p[64];
		snprintf(p, sizeof(p), "/snapshot.jpg%s", bad[i]);
		if (ht_curl(x->port, p, NULL, NULL, NULL, NULL) != 400)
			fail_msg("%s not refused", p);
	}

	/* PNG: signature, IHDR size, and it decodes */
	assert_int_equal(ht_curl(x->port, "/snapshot.png?width=160&height=120", NULL, &b, &n, &hd), 200);
	assert_non_null(strcasestr(hd, "Content-Type: image/png"));
	free(hd);
	assert_true(n > 33);
	assert_memory_equal(b, "\x89PNG\r\n\x1a\n", 8);
	assert_int_equal((b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19]), 160);
	assert_int_equal((b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23]), 120);
	{
		const AVCodec *c = avcodec_find_decoder(AV_CODEC_ID_PNG);
		AVCodecContext *cc = avcodec_alloc_context3(c);
		AVPacket *pkt = av_packet_alloc();
		AVFrame *fr = av_frame_alloc();
		assert_int_equal(avcodec_open2(cc, c, NULL), 0);
		pkt->data = b;
		pkt->size = (int)n;
		assert_int_equal(avcodec_send_packet(cc, pkt), 0);
		assert_int_equal(avcodec_receive_frame(cc, fr), 0);
		assert_int_equal(fr->width, 160);
		assert_int_equal(fr->height, 120);
		/* marker top-left cell: counter 1000 has bit 31 clear -> black */
		assert_true(fr->data[0][(fr->linesize[0]) * 3 + 3 * 2] < 40);
		av_frame_free(&fr);
		pkt->data = NULL;
		pkt->size = 0;
		av_packet_free(&pkt);
		avcodec_free_context(&cc);
	}
	free(b);
	assert_int_equal(ht_curl(x->port, "/snapshot.png", NULL, &b, &n, NULL), 200);
	assert_int_equal((b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19]), W);
	free(b);
	/* a snapshot counts as watching for a while */
	for (int i = 0; i < 100 && hub_viewers(x->hub) == 0; i++)
		clock_sleep_us(10000);
	assert_int_equal(hub_viewers(x->hub), 1);
	ht_fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
