/* Local discovery client: the pure state machine on a fake clock, then disc_local() against a
 * fake camera on loopback that answers from its session socket (not the discovery port). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "bc/bcudp_pkt.h"
#include "bc/bcudp_xml.h"
#include "net/disc_client.h"
#include "net/udpsock.h"

#define MS 1000ull

static void cfg_basic(struct disc_client_cfg *cfg)
{
	disc_client_cfg_defaults(cfg);
	snprintf(cfg->uid, sizeof(cfg->uid), "95270000ABCDEFGH");
	cfg->cid = 12345678;
	cfg->cli_port = 53812;
	cfg->seed = 1;
	assert_int_equal(disc_client_add_dest(cfg, "255.255.255.255", DISC_PORT_A), 0);
	assert_int_equal(disc_client_add_dest(cfg, "255.255.255.255", DISC_PORT_B), 0);
	assert_int_equal(disc_client_add_dest(cfg, "192.168.1.50", DISC_PORT_A), 0);
}

static int reply(uint8_t *out, int32_t cid, int32_t did, int32_t rsp, uint32_t tid)
{
	struct bcudp_msg m;

	bcudp_msg_init(&m, BCUDP_K_D2C_C_R);
	m.has = BCUDP_HAS(BCUDP_F_TIMER) | BCUDP_HAS(BCUDP_F_RSP) | BCUDP_HAS(BCUDP_F_CID) |
		BCUDP_HAS(BCUDP_F_DID);
	m.timer.def = 3000; m.timer.hb = 10000; m.timer.hbt = 60000;
	m.timer.has_def = m.timer.has_hb = m.timer.has_hbt = 1;
	m.rsp = rsp;
	m.cid = cid;
	m.did = did;
	return bcudp_msg_encode(&m, BCUDP_XML_CAMERA, tid, out, 512);
}

static void test_config(void **state)
{
	struct disc_client_cfg cfg;
	struct disc_client d;
	uint16_t ports[2] = { 2018, 2015 };

	(void)state;
	disc_client_cfg_defaults(&cfg);
	assert_int_equal(cfg.mtu, 1350);
	assert_string_equal(cfg.p, "MAC");
	assert_int_equal(disc_client_init(&d, &cfg, 0), -EINVAL);      /* no uid */
	snprintf(cfg.uid, sizeof(cfg.uid), "X");
	assert_int_equal(disc_client_init(&d, &cfg, 0), -EINVAL);      /* no destination */
	assert_int_equal(disc_client_add_dest(&cfg, "not-an-ip", 2018), -EINVAL);
	assert_true(disc_client_add_broadcasts(&cfg, NULL, ports, 2) >= 2);
	assert_int_equal(ntohl(cfg.dest[0].sin_addr.s_addr), INADDR_BROADCAST);
	assert_int_equal(ntohs(cfg.dest[1].sin_port), 2015);
	while (cfg.ndest < DISC_MAX_DESTS)
		assert_int_equal(disc_client_add_dest(&cfg, "10.0.0.1", 2018), 0);
	assert_int_equal(disc_client_add_dest(&cfg, "10.0.0.1", 2018), -ENOSPC);
	assert_int_equal(disc_client_cfg_randomize(&cfg), 0);
	assert_true(cfg.cid > 0);
}

static void test_resend_and_timeout(void **state)
{
	struct disc_client_cfg cfg;
	struct disc_client d;
	uint8_t dg[2048];
	struct sockaddr_in to;
	uint32_t tids[200];
	int sent = 0, n, distinct = 0;

	(void)state;
	cfg_basic(&cfg);
	assert_int_equal(disc_client_init(&d, &cfg, 0), 0);
	for (uint64_t t = 0; t < 16000 * MS; t += 10 * MS) {
		while ((n = disc_client_poll(&d, t, dg, sizeof(dg), &to)) > 0) {
			struct bcudp_pkt p;
			struct bcudp_msg m;
			assert_int_equal(bcudp_parse(dg, (size_t)n, &p, NULL), n);
			assert_int_equal(bcudp_msg_decode(&p, &m, NULL), 0);
			assert_int_equal(m.kind, BCUDP_K_C2D_C);
			assert_string_equal(m.uid, "95270000ABCDEFGH");
			assert_int_equal(m.cli.port, 53812);
			assert_int_equal(m.cid, 12345678);
			assert_int_equal(m.mtu, 1350);
			assert_string_equal(m.debug, "0");
			assert_string_equal(m.p, "MAC");
			assert_true(p.tid < DISC_TID_RANGE);
			/* rounds every 500 ms, each to all three destinations in order */
			assert_int_equal(t % (500 * MS), 0);
			assert_true(sock_addr_eq(&to, &cfg.dest[sent % 3]));
			tids[sent++] = p.tid;
		}
		if (t < 15000 * MS)
			assert_int_equal(disc_client_state(&d, t), DISC_RUNNING);
	}
	assert_int_equal(sent, 30 * 3);
	for (int i = 1; i < sent; i++)
		distinct += tids[i] != tids[i - 1];
	assert_true(distinct > sent / 2);   /* a fresh tid per C2D_C */
	assert_int_equal(disc_client_state(&d, 15000 * MS), DISC_TIMED_OUT);
	assert_int_equal(disc_client_next_deadline(&d, 15000 * MS), UINT64_MAX);
}

static void test_reply_matching(void **state)
{
	struct disc_client_cfg cfg;
	struct disc_client d;
	struct sockaddr_in from, to;
	uint8_t dg[2048];
	int n;

	(void)state;
	cfg_basic(&cfg);
	assert_int_equal(disc_client_init(&d, &cfg, 0), 0);
	while (disc_client_poll(&d, 0, dg, sizeof(dg), &to) > 0)
		;
	sock_addr(&from, "192.168.1.50", 41234);           /* the camera's session port */
	n = reply(dg, 999, 80, 0, 7);                      /* someone else's discovery */
	assert_int_equal(disc_client_on_datagram(&d, dg, (size_t)n, &from, 100 * MS), 0);
	assert_int_equal(disc_client_on_datagram(&d, (const uint8_t *)"junk", 4, &from, 100 * MS),
			 -EBADMSG);
	n = bcudp_build_data(dg, sizeof(dg), 12345678, 0, "x", 1);
	assert_int_equal(disc_client_on_datagram(&d, dg, (size_t)n, &from, 100 * MS), 0);
	n = reply(dg, 12345678, -80, 0, 1101);
	assert_int_equal(disc_client_on_datagram(&d, dg, (size_t)n, &from, 200 * MS), 1);
	assert_int_equal(disc_client_state(&d, 200 * MS), DISC_FOUND);
	assert_true(sock_addr_eq(&d.res.camera, &from));
	assert_int_equal(d.res.did, -80);
	assert_int_equal(d.res.cid, 12345678);
	assert_int_equal(d.res.tid, 1101);
	assert_int_equal(d.res.timer.hb, 10000);
	assert_int_equal(disc_client_poll(&d, 500 * MS, dg, sizeof(dg), &to), 0);

	assert_int_equal(disc_client_init(&d, &cfg, 0), 0);
	n = reply(dg, 12345678, 80, -3, 1);
	assert_int_equal(disc_client_on_datagram(&d, dg, (size_t)n, &from, 1), 1);
	assert_int_equal(disc_client_state(&d, 1), DISC_REFUSED);
}

/* ---- loopback ------------------------------------------------------------------------- */

struct fake_cam {
	int disc_fd, sess_fd;
	int32_t did;
	int answered;
};

static void *cam_thread(void *arg)
{
	struct fake_cam *fc = arg;
	uint8_t buf[2048], out[512];
	struct sockaddr_in from;
	ssize_t n;

	/* ignore the first C2D_C (a sleeping camera), answer the second */
	for (int i = 0; i < 2; i++) {
		struct bcudp_pkt p;
		struct bcudp_msg m;
		n = sock_recvfrom(fc->disc_fd, buf, sizeof(buf), &from);
		if (n <= 0 || bcudp_parse(buf, (size_t)n, &p, NULL) != n ||
		    bcudp_msg_decode(&p, &m, NULL) < 0 || m.kind != BCUDP_K_C2D_C)
			return NULL;
		if (i == 1) {
			int k = reply(out, m.cid, fc->did, 0, p.tid);
			/* reply to <cli><port> on the client's address, from the session socket */
			from.sin_port = htons((uint16_t)m.cli.port);
			if (sock_sendto(fc->sess_fd, out, (size_t)k, &from) == k)
				fc->answered = 1;
		}
	}
	return NULL;
}

static void test_disc_local_loopback(void **state)
{
	struct fake_cam fc = { .did = 96 };
	struct disc_client_cfg cfg;
	struct disc_result res;
	pthread_t th;
	char ip[24];
	int fd;

	(void)state;
	fc.disc_fd = sock_udp_open("127.0.0.1", 0, 0, NULL);
	if (fc.disc_fd < 0)
		skip();
	fc.sess_fd = sock_udp_open("127.0.0.1", 0, 0, NULL);
	fd = sock_udp_open("127.0.0.1", 0, SOCK_F_NONBLOCK | SOCK_F_BROADCAST, NULL);
	assert_true(fc.sess_fd >= 0 && fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	disc_client_cfg_defaults(&cfg);
	snprintf(cfg.uid, sizeof(cfg.uid), "95270000ABCDEFGH");
	assert_int_equal(disc_client_cfg_randomize(&cfg), 0);
	cfg.cli_port = (uint16_t)sock_local_port(fd);
	cfg.timeout_us = 5000 * MS;
	assert_int_equal(disc_client_add_dest(&cfg, "127.0.0.1", (uint16_t)sock_local_port(fc.disc_fd)), 0);
	assert_int_equal(pthread_create(&th, NULL, cam_thread, &fc), 0);
	assert_int_equal(disc_local(fd, &cfg, &res), 0);
	pthread_join(th, NULL);
	assert_true(fc.answered);
	assert_int_equal(res.did, 96);
	assert_int_equal(res.cid, cfg.cid);
	/* the camera is the reply's source, not the port we sent to */
	assert_int_equal(ntohs(res.camera.sin_port), sock_local_port(fc.sess_fd));
	assert_string_equal(sock_addr_str(&res.camera, ip), ip);
	assert_non_null(strstr(ip, "127.0.0.1:"));

	/* nobody answers: times out */
	cfg.timeout_us = 1200 * MS;
	assert_int_equal(disc_local(fd, &cfg, &res), -ETIMEDOUT);
	close(fd);
	close(fc.disc_fd);
	close(fc.sess_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_resend_and_timeout),
		cmocka_unit_test(test_reply_matching),
		cmocka_unit_test(test_disc_local_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
