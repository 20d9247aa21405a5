/* Connection slots under attack (issue 9, item 14): request bodies trickled in, idle connects,
 * MJPEG viewers that never read.  Attackers connect from HT_ATTACKER (127.0.0.2); /healthz is
 * asked from 127.0.0.1 while the attack runs and must answer within HEALTHZ_MAX_US each time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http_internal.h"
#include "httptest.h"
#include "util/clock.h"

#define SLOTS 16
/* "/healthz answers within about a second" (generous for a loaded build machine). */
#define HEALTHZ_MAX_US 1500000u
#define ATTACK_US 4000000u

/* Asks /healthz every 200 ms for `dur_us` while `step` (if any) drives the attack; fails on
 * a probe that is not 200 within HEALTHZ_MAX_US. */
static void probe_healthz(struct ht_fx *x, uint64_t dur_us, void (*step)(void *), void *arg,
			  const char *attack)
{
	uint64_t t0 = clock_mono_us(), worst = 0;
	int probes = 0;

	while (clock_mono_us() - t0 < dur_us) {
		uint64_t us;
		int code = ht_get_timed(x->port, "/healthz", 3000, &us);
		if (code != 200 || us > HEALTHZ_MAX_US)
			fail_msg("%s: /healthz answered %d after %.2f s (probe %d)", attack, code,
				 (double)us / 1e6, probes);
		worst = us > worst ? us : worst;
		probes++;
		if (step)
			step(arg);
		clock_sleep_us(200000);
	}
	print_message("%s: %d /healthz probes, slowest %.3f s\n", attack, probes, (double)worst / 1e6);
}

/* The value of cam_bridge_NAME{camera="Front"} in /metrics, -1 when absent. */
static long long metric(struct ht_fx *x, const char *name)
{
	char want[128], *t;
	uint8_t *b;
	size_t n;
	long long v = -1;

	assert_int_equal(ht_curl(x->port, "/metrics", NULL, &b, &n, NULL), 200);
	t = realloc(b, n + 1);
	t[n] = 0;
	snprintf(want, sizeof(want), "\ncam_bridge_%s{camera=\"" CAM "\"} ", name);
	char *p = strstr(t, want);
	if (p)
		v = strtoll(p + strlen(want), NULL, 10);
	free(t);
	return v;
}

/* A request with a body is answered 413 and closed at once, whether or not auth is on. */
static void check_body_refused(int port, const char *req)
{
	int fd = ht_connect(port);
	char buf[512];

	assert_true(fd >= 0);
	assert_int_equal(ht_send_all(fd, req, strlen(req)), 0);
	ssize_t k = recv(fd, buf, sizeof(buf) - 1, 0);
	if (k <= 0)
		fail_msg("no answer to: %.60s", req);
	buf[k] = 0;
	if (strncmp(buf, "HTTP/1.1 413 ", 13))
		fail_msg("answered '%.40s' to: %.60s", buf, req);
	if (!ht_wait_closed(fd, 2000))
		fail_msg("left open after 413: %.60s", req);
	close(fd);
}

static void test_body_refused(void **state)
{
	static const char *reqs[] = {
		"POST /api/v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\nA",
		"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n",
		"GET /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
		"PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nA\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n",
	};
	struct http_opts o = { .max_connections = SLOTS, .max_per_ip = SLOTS, .timeout_s = 30 };
	struct http_opts oa = o;

	oa.user = "admin";
	oa.password = "pw";
	struct ht_fx *x = ht_fx_new(&o), *xa = ht_fx_new(&oa);
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		check_body_refused(x->port, reqs[i]);
		check_body_refused(xa->port, reqs[i]);
	}
	assert_int_equal(metric(x, "http_bodies_refused_total"), 5);
	/* an empty body is no body */
	ht_publish(x);
	int fd = ht_connect(x->port);
	char buf[64];
	static const char zero[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(ht_send_all(fd, zero, sizeof(zero) - 1), 0);
	assert_true(recv(fd, buf, sizeof(buf), 0) > 12);
	assert_memory_equal(buf, "HTTP/1.1 200 ", 13);
	close(fd);
	ht_fx_free(xa);
	ht_fx_free(x);
}

struct tricklers {
	int fd[SLOTS];
	int port;
	const char *req;
	int reopened;
};

/* Keeps SLOTS connections from the attacker sending one byte of their body per step, and
 * opens a new one for each the server closed. */
static void trickle(void *arg)
{
	struct tricklers *t = arg;

	for (int i = 0; i < SLOTS; i++) {
		if (t->fd[i] >= 0 && ht_send_all(t->fd[i], "A", 1) == 0)
			continue;
		if (t->fd[i] >= 0)
			close(t->fd[i]);
		t->fd[i] = ht_connect_from(t->port, HT_ATTACKER);
		if (t->fd[i] >= 0 && t->req)
			ht_send_all(t->fd[i], t->req, strlen(t->req));
		t->reopened++;
	}
}

static void run_trickle_attack(const char *req, const char *name)
{
	struct http_opts o = { .max_connections = SLOTS, .timeout_s = 30 };
	struct ht_fx *x = ht_fx_new(&o);
	struct tricklers t = { .port = x->port, .req = req };

	ht_publish(x);
	ht_start_producer(x, 15);
	for (int i = 0; i < SLOTS; i++)
		t.fd[i] = -1;
	trickle(&t);
	clock_sleep_us(300000);
	probe_healthz(x, ATTACK_US, trickle, &t, name);
	for (int i = 0; i < SLOTS; i++)
		if (t.fd[i] >= 0)
			close(t.fd[i]);
	ht_fx_free(x);
}

static void test_body_trickle(void **state)
{
	run_trickle_attack("POST /api/v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n",
			   "POST body 1 byte/200 ms");
	run_trickle_attack("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n",
			   "GET body 1 byte/200 ms");
}

/* Connections that send nothing (each batch waits out the request deadline). */
static void test_idle_connects(void **state)
{
	run_trickle_attack(NULL, "idle connects");
}

/* Viewers that never read: the per-address cap keeps slots for others, and each of them is
 * dropped once its socket took nothing for the stall timeout. */
static void test_stalled_viewers(void **state)
{
	struct http_opts o = { .max_connections = SLOTS, .timeout_s = 30, .stall_timeout_s = 2 };
	struct ht_fx *x = ht_fx_new(&o);
	int fd[SLOTS], rcv = 4096, n = 0;
	pthread_t t;

	ht_publish(x);
	ht_start_producer(x, 25);
	for (int i = 0; i < SLOTS; i++) {
		fd[i] = ht_connect_from(x->port, HT_ATTACKER);
		if (fd[i] < 0)
			continue;
		setsockopt(fd[i], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		ht_send_all(fd[i], "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", 34);
	}
	/* an honest viewer beside them keeps getting pictures all along */
	struct ht_viewer v = { .port = x->port, .path = "/stream", .want = 150 };
	assert_int_equal(pthread_create(&t, NULL, ht_viewer_main, &v), 0);
	clock_sleep_us(500000);
	int open_viewers = http_server_stream_viewers(x->srv);
	/* nothing is read from the attackers' sockets until the stall timeout (2 s) is past */
	probe_healthz(x, 5000000u, NULL, NULL, "viewers that never read");
	for (int i = 0; i < SLOTS; i++) {
		if (fd[i] < 0)
			continue;
		if (!ht_wait_closed(fd[i], 1000))
			fail_msg("viewer %d that never reads still open after 5 s", i);
		close(fd[i]);
		n++;
	}
	pthread_join(t, NULL);
	ht_check_viewer(&v);
	print_message("%d viewers open (cap %d per address + 1 honest), non-readers dropped; "
		      "the honest one got %d parts\n", open_viewers, SLOTS / HTTP_PER_IP_DIVISOR, v.got);
	assert_int_equal(open_viewers, SLOTS / HTTP_PER_IP_DIVISOR + 1);
	/* each non-reader is counted; the honest viewer, which left by itself, is not */
	assert_int_equal(metric(x, "http_viewers_stalled_total"), SLOTS / HTTP_PER_IP_DIVISOR);
	for (int i = 0; i < 200 && http_server_stream_viewers(x->srv); i++)
		clock_sleep_us(10000);
	assert_int_equal(http_server_stream_viewers(x->srv), 0);
	ht_fx_free(x);
}

/* A phase that started after `now` was read (another thread set it) has not expired: the
 * kept-alive connection whose response completed just then must not be cut. */
static void test_phase_no_wrap(void **state)
{
	assert_false(http_phase_expired(1000, 1005, 10000000u));
	assert_false(http_phase_expired(1000, 1000, 10000000u));
	assert_false(http_phase_expired(10000999, 1000, 10000000u));
	assert_true(http_phase_expired(10001000, 1000, 10000000u));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phase_no_wrap),
		cmocka_unit_test(test_body_refused),
		cmocka_unit_test(test_body_trickle),
		cmocka_unit_test(test_idle_connects),
		cmocka_unit_test(test_stalled_viewers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
