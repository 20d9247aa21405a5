/* Misbehaving clients: garbage, huge headers, silent and slow clients, the connection cap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "httptest.h"
#include "util/clock.h"

static void test_abuse(void **state)
{
	struct ht_fx *x = ht_fx_new(NULL);
	struct ht_rd *r = malloc(sizeof(*r));
	char ct[256], why[160];
	int64_t m, last = -1;

	ht_start_producer(x, 25);
	assert_int_equal(ht_stream_open(r, x->port, "/stream", ct, sizeof(ct)), 0);
	for (int i = 0; i < 5; i++) {
		if (ht_stream_part(r, &m, why, sizeof(why)) < 0)
			fail_msg("%s", why);
		last = m;
	}
	/* garbage request line: answered 400 or closed, never a crash */
	int g = ht_connect(x->port);
	ht_send_all(g, "\x01\x02\xff GARBAGE \x7f\r\n\r\n", 17);
	char buf[4096];
	ssize_t k = recv(g, buf, sizeof(buf) - 1, 0);
	if (k > 0) {
		buf[k] = 0;
		assert_non_null(strstr(buf, " 400 "));
	}
	close(g);
	/* a 64 KiB header */
	int o = ht_connect(x->port);
	char *big = malloc(70000);
	int bl = snprintf(big, 100, "GET /api/v1/status HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(big + bl, 'a', 65536);
	bl += 65536;
	memcpy(big + bl, "\r\n\r\n", 4);
	bl += 4;
	ht_send_all(o, big, (size_t)bl);    /* may fail half way: the server closed */
	k = recv(o, buf, sizeof(buf) - 1, 0);
	if (k > 0) {
		buf[k] = 0;
		assert_null(strstr(buf, " 200 "));
	}
	free(big);
	close(o);
	/* silent clients and a /stream client that never reads */
	int silent[3];
	for (int i = 0; i < 3; i++)
		silent[i] = ht_connect(x->port);
	int lazy = ht_connect(x->port);
	int rcv = 4096;
	setsockopt(lazy, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	ht_send_all(lazy, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", 34);
	/* a slowloris: one header byte now and then */
	int slow = ht_connect(x->port);
	ht_send_all(slow, "GET / HTTP/1.1\r\n", 16);

	uint64_t t0 = clock_mono_us();
	int parts = 0;
	while (clock_mono_us() - t0 < 2000000u) {
		if (ht_stream_part(r, &m, why, sizeof(why)) < 0)
			fail_msg("viewer disturbed: %s", why);
		if (m < last)
			fail_msg("marker went back");
		last = m;
		parts++;
		ht_send_all(slow, "X", 1);
	}
	print_message("viewer got %d parts in 2 s beside the abusers\n", parts);
	assert_true(parts >= 25);
	/* other requests still work */
	assert_int_equal(ht_curl(x->port, "/healthz", NULL, NULL, NULL, NULL), 200);
	for (int i = 0; i < 3; i++)
		close(silent[i]);
	close(lazy);
	close(slow);
	close(r->fd);
	free(r);
	ht_fx_free(x);
}

static void test_timeouts(void **state)
{
	struct http_opts o = { .timeout_s = 2, .max_connections = 8 };
	struct ht_fx *x = ht_fx_new(&o);
	char c;

	int silent = ht_connect(x->port);
	int slow = ht_connect(x->port);
	uint64_t t0 = clock_mono_us();
	ht_send_all(slow, "GET / HTTP/1.1\r\n", 16);
	int closed_slow = 0;
	/* keep the slowloris busy: each byte resets an idle timer, not the header deadline */
	while (clock_mono_us() - t0 < 5000000u && !closed_slow) {
		if (ht_send_all(slow, "X", 1) < 0)
			closed_slow = 1;
		struct timeval tv = { .tv_usec = 300000 };
		setsockopt(slow, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ssize_t k = recv(slow, &c, 1, 0);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			closed_slow = 1;
	}
	uint64_t dt = clock_mono_us() - t0;
	assert_true(closed_slow);
	assert_true(dt < 4500000u);
	/* the silent one is gone too */
	assert_true(recv(silent, &c, 1, 0) <= 0);
	close(silent);
	close(slow);
	ht_fx_free(x);
}

static void test_connection_cap(void **state)
{
	struct http_opts o = { .max_connections = 4, .max_per_ip = 4, .timeout_s = 30 };
	struct ht_fx *x = ht_fx_new(&o);
	int held[4];
	char c;

	ht_publish(x);
	for (int i = 0; i < 4; i++)
		held[i] = ht_connect(x->port);
	clock_sleep_us(200000);
	/* the fifth is accepted by the kernel and closed by the server at once */
	int extra = ht_connect(x->port);
	if (extra >= 0) {
		ht_send_all(extra, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 35);
		ssize_t k = recv(extra, &c, 1, 0);
		assert_true(k <= 0);
		close(extra);
	}
	close(held[0]);
	clock_sleep_us(300000);
	assert_int_equal(ht_curl(x->port, "/healthz", NULL, NULL, NULL, NULL), 200);
	for (int i = 1; i < 4; i++)
		close(held[i]);
	ht_fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abuse),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_connection_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
