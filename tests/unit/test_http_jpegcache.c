/* The JPEG cache: one encode per frame, and the newest frame wins whatever order the encodes
 * finish in (a snapshot encoding frame N after the notifier encoded N+1 must not step the
 * stream back to N). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "http/jpegcache.h"
#include "httptest.h"
#include "media/marker.h"

static struct frame *make(uint64_t seq, uint32_t marker, uint8_t *data)
{
	static struct frame f[4];
	struct frame *p = &f[seq % 4];

	memset(data, 90, (size_t)W * H);
	memset(data + W * H, 128, (size_t)W * H / 2);
	marker_draw_i420(data, W, H, marker);
	*p = (struct frame){ .width = W, .height = H, .size = (size_t)W * H * 3 / 2, .data = data,
			     .seq = seq, .marker = marker };
	return p;
}

static void test_newest_wins(void **state)
{
	static uint8_t d1[W * H * 3 / 2], d2[W * H * 3 / 2];
	struct jpeg_cache *c = jpeg_cache_new(0, 0, 80, 4);
	struct jpeg_buf *b2, *b1, *cur;

	assert_non_null(c);
	assert_int_equal(jpeg_cache_get(c, make(2, 1002, d2), &b2), 0);
	assert_int_equal(b2->seq, 2);
	/* a late encode of an older frame: the caller gets its own picture ... */
	assert_int_equal(jpeg_cache_get(c, make(1, 1001, d1), &b1), 0);
	assert_int_equal(b1->seq, 1);
	assert_int_equal(ht_jpeg_marker(b1->data, b1->len, NULL, NULL), 1001);
	/* ... and the cache keeps the newest */
	assert_int_equal(jpeg_cache_current_seq(c), 2);
	cur = jpeg_cache_current(c);
	assert_non_null(cur);
	assert_int_equal(ht_jpeg_marker(cur->data, cur->len, NULL, NULL), 1002);
	jpeg_buf_unref(cur);
	/* the older buffer goes back to the pool once its reader lets go */
	jpeg_buf_unref(b1);
	jpeg_buf_unref(b2);
	assert_int_equal(jpeg_cache_get(c, make(2, 1002, d2), &b2), 0);
	assert_int_equal(jpeg_cache_encodes(c), 2);
	jpeg_buf_unref(b2);
	jpeg_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newest_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
