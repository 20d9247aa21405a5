/* The Baichuan session's blocking steps and resources: every wait gives up as soon as
 * keep_going says so (issue 9 item 8), discovery too, and a failed UDP attach does not leak
 * its socket (item 12). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "bc/bc_ext.h"
#include "bc/bc_msg.h"
#include "bc/bc_snap.h"
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

/* ---- the camera's JPEG (msg 109) against a hostile camera ---------------------------------- */

struct snapt {
	struct bcsess s;
	int sv[2];
};

static void snap_begin(struct snapt *t)
{
	bcsess_init(&t->s, 1u << 20, 1u << 20, 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, t->sv), 0);
	t->s.tcp_fd = t->sv[0];
	assert_int_equal(bcsess_snap_start(&t->s), 0);
}

static void snap_end(struct snapt *t)
{
	close(t->sv[1]);
	bcsess_free(&t->s);
}

/* One camera message into the session: binary with an Extension when ext, else XML. */
static void cam_msg(struct snapt *t, uint16_t num, uint16_t rc, const void *p, size_t len,
		    int binary, int ext)
{
	struct sbuf w, e;
	struct bc_msg m;

	sbuf_init(&w, 1u << 22);
	sbuf_init(&e, 1024);
	bc_msg_event(&m, BC_MSG_SNAP, num, 0);
	m.hdr.response_code = rc;
	if (ext) {
		bc_ext_build_binary(&e, 1);
		m.ext = e.data;
		m.ext_len = e.len;
	}
	m.payload = p;
	m.payload_len = len;
	m.payload_is_binary = binary;
	assert_true(bc_msg_encode(&m, NULL, &w) > 0);
	assert_int_equal(bcsess_input(&t->s, w.data, w.len), 0);
	sbuf_free(&w);
	sbuf_free(&e);
}

static void cam_info(struct snapt *t, uint16_t rc, uint32_t size)
{
	struct bc_snap_info i = { .picture_size = size };
	struct sbuf x;

	sbuf_init(&x, 4096);
	snprintf(i.file_name, sizeof(i.file_name), "01_x.jpg");
	assert_int_equal(bc_snap_info_build(&x, &i), 0);
	cam_msg(t, t->s.snap_num, rc, x.data, x.len, 0, 0);
	sbuf_free(&x);
}

static const uint8_t jpeg[8] = { 0xff, 0xd8, 0xff, 0xe0, 1, 2, 0xff, 0xd9 };

static void test_snap_good_and_noise(void **state)
{
	struct snapt t;

	(void)state;
	snap_begin(&t);
	cam_info(&t, 200, 8);
	assert_int_equal(bcsess_snap_poll(&t.s), BCSESS_SNAP_RECV);
	cam_msg(&t, 0x77, 200, jpeg, 5, 1, 1);
	/* another msg_num's chunks are someone else's */
	cam_msg(&t, 0x78, 201, "junkjunk", 8, 1, 1);
	cam_msg(&t, 0x77, 201, jpeg + 5, 3, 1, 0);
	assert_int_equal(bcsess_snap_poll(&t.s), BCSESS_SNAP_DONE);
	assert_int_equal(t.s.snap.len, 8);
	assert_memory_equal(t.s.snap.data, jpeg, 8);
	snap_end(&t);
}

static void test_snap_hostile(void **state)
{
	struct snapt t;

	(void)state;
	/* refused */
	snap_begin(&t);
	cam_info(&t, 400, 0);
	assert_int_equal(bcsess_snap_poll(&t.s), BCSESS_SNAP_FAILED);
	assert_non_null(strstr(t.s.snap_err, "refused"));
	snap_end(&t);
	/* no size, then an absurd size */
	snap_begin(&t);
	cam_msg(&t, t.s.snap_num, 200, "<Snap/>", 7, 0, 0);
	assert_int_equal(bcsess_snap_poll(&t.s), BCSESS_SNAP_FAILED);
	snap_end(&t);
	snap_begin(&t);
	cam_info(&t, 200, BC_SNAP_MAX + 1);
	assert_int_equal(bcsess_snap_poll(&t.s), BCSESS_SNAP_FAILED);
	snap_end(&t);
	/* more than announced: not a byte past the bound is kept */
	snap_begin(&t);
	cam_info(&t, 200, 4);
	cam_msg(&t, 9, 200, jpeg, 8, 1, 1);
	assert_int_equal(bcsess_snap_poll(&t.s), BCSESS_SNAP_FAILED);
	assert_true(t.s.snap.len <= 4);
	snap_end(&t);
	/* ends short */
	snap_begin(&t);
	cam_info(&t, 200, 8);
	cam_msg(&t, 9, 201, jpeg, 5, 1, 1);
	assert_int_equal(bcsess_snap_poll(&t.s), BCSESS_SNAP_FAILED);
	snap_end(&t);
	/* not a JPEG */
	snap_begin(&t);
	cam_info(&t, 200, 8);
	cam_msg(&t, 9, 201, "GIF89a..", 8, 1, 1);
	assert_int_equal(bcsess_snap_poll(&t.s), BCSESS_SNAP_FAILED);
	snap_end(&t);
	/* an error code mid-transfer */
	snap_begin(&t);
	cam_info(&t, 200, 8);
	cam_msg(&t, 9, 500, jpeg, 4, 1, 1);
	assert_int_equal(bcsess_snap_poll(&t.s), BCSESS_SNAP_FAILED);
	snap_end(&t);
	/* chunks before the answer, then silence: times out */
	snap_begin(&t);
	cam_msg(&t, 9, 201, jpeg, 8, 1, 1);
	assert_int_equal(bcsess_snap_poll(&t.s), BCSESS_SNAP_WAIT);
	t.s.snap_deadline = clock_mono_us();
	assert_int_equal(bcsess_snap_poll(&t.s), BCSESS_SNAP_FAILED);
	assert_non_null(strstr(t.s.snap_err, "within"));
	snap_end(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_failure_closes_fd),
		cmocka_unit_test(test_login_wait_cancelled),
		cmocka_unit_test(test_discovery_cancelled),
		cmocka_unit_test(test_snap_good_and_noise),
		cmocka_unit_test(test_snap_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
