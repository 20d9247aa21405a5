/* libavformat URL sources: a camera that never answers is a timeout — the session backs off,
 * shows "offline" and counts the reconnect — not a stop that was asked for (which retried at
 * once, forever "connecting", without a word). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "hub/status.h"
#include "source/auq.h"
#include "source/src.h"
#include "util/clock.h"

static int bound_socket(int type, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Runs a URL source for up to 5 s against something silent; the state must go "offline"
 * between attempts and the reconnects must be counted. */
static void expect_offline(const char *url)
{
	struct src_opts o;
	struct status st;
	struct auq q;
	struct src *s = NULL;
	struct cam_status cs;
	int seen_offline = 0;
	uint64_t t0 = clock_mono_us();

	src_opts_defaults(&o);
	o.kind = SRC_URL;
	snprintf(o.url, sizeof(o.url), "%s", url);
	o.connect_timeout_ms = 300;
	o.read_timeout_ms = 300;
	o.backoff_min_ms = 300;
	o.backoff_max_ms = 600;
	status_init(&st, "t");
	assert_int_equal(auq_init(&q, 1 << 16, 8), 0);
	assert_int_equal(src_start(&o, &q, &st, &s), 0);
	while (clock_mono_us() - t0 < 5000000) {
		status_snapshot(&st, &cs);
		seen_offline |= cs.state == CAM_OFFLINE;
		if (seen_offline && cs.reconnects >= 2)
			break;
		clock_sleep_us(10000);
	}
	status_snapshot(&st, &cs);
	src_stop(s);
	print_message("%s: reconnects %llu, offline seen %d\n", url, (unsigned long long)cs.reconnects,
		      seen_offline);
	assert_true(seen_offline);
	assert_true(cs.reconnects >= 2);
	auq_destroy(&q);
	status_destroy(&st);
}

/* An RTSP camera that does not answer the TCP handshake: a listener whose accept queue is
 * full drops further SYNs, so the bridge's connect hangs as with a host that is away. */
static void test_rtsp_connect_timeout(void **state)
{
	int port, lfd = bound_socket(SOCK_STREAM, &port), fill[4];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons((uint16_t)port) };
	char url[64];

	assert_int_equal(listen(lfd, 0), 0);
	for (int i = 0; i < 4; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		(void)connect(fill[i], (struct sockaddr *)&a, sizeof(a));
	}
	snprintf(url, sizeof(url), "rtsp://127.0.0.1:%d/live", port);
	expect_offline(url);
	for (int i = 0; i < 4; i++)
		close(fill[i]);
	close(lfd);
}

/* MPEG-TS over UDP where nothing is sent: opening (probing) times out. */
static void test_udp_silence(void **state)
{
	int port, fd = bound_socket(SOCK_DGRAM, &port);
	char url[64];

	close(fd);   /* a port nobody sends to */
	snprintf(url, sizeof(url), "udp://127.0.0.1:%d", port);
	expect_offline(url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtsp_connect_timeout),
		cmocka_unit_test(test_udp_silence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
