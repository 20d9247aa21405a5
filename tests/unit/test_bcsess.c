/* The Baichuan session's blocking steps and resources: every wait gives up as soon as
 * keep_going says so (issue 9 item 8), discovery too, and a failed UDP attach does not leak
 * its socket (item 12). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "net/disc_client.h"
#include "net/udpsock.h"
#include "source/bcsess.h"
#include "util/clock.h"

/* keep_going that says stop once the deadline passed */
static int until_deadline(void *ctx)
{
	return clock_mono_us() < *(uint64_t *)ctx;
}

static void test_attach_failure_closes_fd(void **state)
{
	struct bcsess s;
	struct sockaddr_in peer;
	int fd;

	(void)state;
	fd = sock_udp_open("127.0.0.1", 0, SOCK_F_NONBLOCK, NULL);
	assert_true(fd >= 0);
	assert_int_equal(sock_addr(&peer, "127.0.0.1", 9), 0);
	bcsess_init(&s, 0, 0, 0);
	/* an mtu bcconn refuses */
	assert_true(bcsess_attach_udp(&s, fd, &peer, 1, 2, 3, 5) < 0);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	bcsess_free(&s);
}

/* A camera that accepted the connection and never answers the login. */
static void test_login_wait_cancelled(void **state)
{
	struct bcsess s;
	int sv[2];
	uint64_t t0, stop_at;
	int r;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	bcsess_init(&s, 0, 0, 0);
	s.tcp_fd = sv[0];
	t0 = clock_mono_us();
	stop_at = t0 + 200000;
	s.keep_going = until_deadline;
	s.keep_going_ctx = &stop_at;
	s.last_rx_us = s.last_progress_us = t0;
	r = bcsess_login(&s, "admin", "pw", 0x12);
	assert_int_equal(r, -ECANCELED);
	/* BCSESS_REPLY_US is 5 s: it ended within a slice of the stop, not at the timeout */
	assert_true(clock_mono_us() - stop_at < 1000000);
	bcsess_free(&s);
	close(sv[1]);
}

static void test_discovery_cancelled(void **state)
{
	struct disc_client_cfg cfg;
	struct disc_result res;
	uint64_t stop_at;
	int fd, quiet;

	(void)state;
	/* a bound socket nobody reads: no answer, no ICMP */
	quiet = sock_udp_open("127.0.0.1", 0, SOCK_F_NONBLOCK, NULL);
	fd = sock_udp_open("127.0.0.1", 0, SOCK_F_NONBLOCK, NULL);
	assert_true(quiet >= 0 && fd >= 0);
	disc_client_cfg_defaults(&cfg);
	assert_int_equal(disc_client_cfg_randomize(&cfg), 0);
	strcpy(cfg.uid, "95270000CANCEL01");
	cfg.cli_port = (uint16_t)sock_local_port(fd);
	assert_int_equal(disc_client_add_dest(&cfg, "127.0.0.1", (uint16_t)sock_local_port(quiet)), 0);
	stop_at = clock_mono_us() + 200000;
	cfg.cancel.keep_going = until_deadline;
	cfg.cancel.ctx = &stop_at;
	assert_int_equal(disc_local(fd, &cfg, &res), -ECANCELED);
	/* the discovery timeout is 15 s */
	assert_true(clock_mono_us() - stop_at < 1000000);
	close(fd);
	close(quiet);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_failure_closes_fd),
		cmocka_unit_test(test_login_wait_cancelled),
		cmocka_unit_test(test_discovery_cancelled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
