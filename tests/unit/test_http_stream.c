/* The MJPEG stream against a real hub and raw-socket viewers: markers in order, one encode
 * per frame whatever the viewer count, idle re-sends, viewers that leave, stop with viewers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <unistd.h>

#include "httptest.h"
#include "util/clock.h"

static void test_stream_markers(void **state)
{
	struct ht_fx *x = ht_fx_new(NULL);
	struct ht_viewer v = { .port = x->port, .path = "/stream", .want = 25 };
	pthread_t t;

	ht_start_producer(x, 25);
	assert_int_equal(pthread_create(&t, NULL, ht_viewer_main, &v), 0);
	pthread_join(t, NULL);
	ht_check_viewer(&v);
	assert_true(ht_count_distinct(&v) >= 10);
	assert_true(v.markers[v.got - 1] > v.markers[0]);
	ht_fx_free(x);
}

static void test_one_encode_per_frame(void **state)
{
	struct ht_fx *x = ht_fx_new(NULL);
	struct ht_viewer v[5];
	pthread_t t[5];

	ht_start_producer(x, 20);
	for (int i = 0; i < 5; i++) {
		v[i] = (struct ht_viewer){ .port = x->port, .path = "/stream", .want = 30 };
		assert_int_equal(pthread_create(&t[i], NULL, ht_viewer_main, &v[i]), 0);
	}
	for (int i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	ht_stop_producer(x);
	uint64_t enc = http_server_stream_encodes(x->srv);
	int distinct_max = 0;
	for (int i = 0; i < 5; i++) {
		ht_check_viewer(&v[i]);
		int d = ht_count_distinct(&v[i]);
		distinct_max = d > distinct_max ? d : distinct_max;
	}
	print_message("published %llu, encodes %llu, distinct per viewer %d\n",
		      (unsigned long long)x->published, (unsigned long long)enc, distinct_max);
	assert_true(enc >= (uint64_t)distinct_max);
	assert_true(enc <= x->published);
	ht_fx_free(x);
}

static void test_idle_resend_and_viewers(void **state)
{
	struct ht_fx *x = ht_fx_new(NULL);
	struct ht_viewer v = { .port = x->port, .path = "/stream", .want = 3 };
	pthread_t t;

	ht_publish(x);    /* one frame, then the camera goes idle */
	uint64_t t0 = clock_mono_us();
	assert_int_equal(pthread_create(&t, NULL, ht_viewer_main, &v), 0);
	/* while the viewer is open it counts as watching */
	int seen = 0;
	for (int i = 0; i < 100 && !seen; i++) {
		seen = hub_viewers(x->hub) >= 1 && http_server_stream_viewers(x->srv) == 1;
		clock_sleep_us(10000);
	}
	assert_true(seen);
	pthread_join(t, NULL);
	ht_check_viewer(&v);
	assert_int_equal(v.markers[0], 1000);
	assert_int_equal(v.markers[2], 1000);
	/* parts 2 and 3 are the once-a-second re-sends */
	assert_true(v.t_end - t0 >= 1800000u);
	/* the viewer left while suspended: noticed within a tick, not at the next re-send */
	uint64_t t1 = clock_mono_us();
	for (int i = 0; i < 500 && http_server_stream_viewers(x->srv); i++)
		clock_sleep_us(10000);
	print_message("viewer gone after %.2f s\n", (double)(clock_mono_us() - t1) / 1e6);
	assert_int_equal(http_server_stream_viewers(x->srv), 0);
	assert_int_equal(hub_viewers(x->hub), 0);
	ht_fx_free(x);
}

static void test_stop_with_viewers(void **state)
{
	struct ht_fx *x = ht_fx_new(NULL);
	struct ht_rd *r[3];
	char ct[256], why[160];
	int64_t m;

	ht_publish(x);
	for (int i = 0; i < 3; i++) {
		r[i] = malloc(sizeof(*r[i]));
		assert_int_equal(ht_stream_open(r[i], x->port, "/stream", ct, sizeof(ct)), 0);
		if (ht_stream_part(r[i], &m, why, sizeof(why)) < 0)
			fail_msg("%s", why);
	}
	uint64_t t0 = clock_mono_us();
	ht_fx_free(x);
	assert_true(clock_mono_us() - t0 < 3000000u);
	for (int i = 0; i < 3; i++) {
		close(r[i]->fd);
		free(r[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_markers),
		cmocka_unit_test(test_one_encode_per_frame),
		cmocka_unit_test(test_idle_resend_and_viewers),
		cmocka_unit_test(test_stop_with_viewers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
