/* cam-sim's P2P "dev" answer: the official client's C2D_T (udp_multi_1) is a session-opening
 * request, and our D2C_CFM for it is byte-identical to the real camera's (udp_multi_2); a
 * C2D_C still gets a D2C_C_R; relay/map/incomplete C2D_T are not ours to answer.  Then the
 * whole P2P client against that answer: C2D_T → D2C_CFM → connected via dev. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "bc/bcudp_pkt.h"
#include "bc/bcudp_xml.h"
#include "net/p2p_client.h"
#include "net/udpsock.h"
#include "sim/sim_p2p.h"
#include "testutil.h"

static void decode(const uint8_t *dg, size_t n, struct bcudp_msg *m, uint32_t *tid)
{
	struct bcudp_pkt p;

	assert_int_equal(bcudp_parse(dg, n, &p, NULL), (int)n);
	assert_int_equal(bcudp_msg_decode(&p, m, NULL), 0);
	*tid = p.tid;
}

static void test_real_capture(void **state)
{
	size_t tl, cl;
	uint8_t *t = tu_read_conformance("bcudp/udp_multi_1.bin", &tl);
	uint8_t *cfm = tu_read_conformance("bcudp/udp_multi_2.bin", &cl);
	uint8_t out[1024];
	struct bcudp_msg m;
	uint32_t tid;
	int n;

	(void)state;
	decode(t, tl, &m, &tid);
	assert_int_equal(m.kind, BCUDP_K_C2D_T);
	assert_true(sim_p2p_is_open_request(&m));
	n = sim_p2p_open_reply(out, sizeof(out), &m, tid, m.cid, 80, 0);
	assert_int_equal(n, (int)cl);
	assert_memory_equal(out, cfm, cl);
	free(t);
	free(cfm);
}

static void test_kinds(void **state)
{
	struct bcudp_msg m, r;
	uint8_t out[1024];
	uint32_t tid;
	int n;

	(void)state;
	bcudp_msg_init(&m, BCUDP_K_C2D_T);
	m.has = BCUDP_HAS(BCUDP_F_SID) | BCUDP_HAS(BCUDP_F_CONN) | BCUDP_HAS(BCUDP_F_CID) |
		BCUDP_HAS(BCUDP_F_MTU);
	snprintf(m.conn, sizeof(m.conn), "relay");
	assert_false(sim_p2p_is_open_request(&m));
	snprintf(m.conn, sizeof(m.conn), "map");
	assert_false(sim_p2p_is_open_request(&m));
	snprintf(m.conn, sizeof(m.conn), "local");
	assert_true(sim_p2p_is_open_request(&m));
	m.has &= ~BCUDP_HAS(BCUDP_F_SID);
	assert_false(sim_p2p_is_open_request(&m));
	bcudp_msg_init(&m, BCUDP_K_C2D_C);
	assert_false(sim_p2p_is_open_request(&m));
	/* a C2D_C (or no request) is answered with D2C_C_R as before */
	n = sim_p2p_open_reply(out, sizeof(out), &m, 5, 1234, 96, 0);
	assert_true(n > 0);
	decode(out, (size_t)n, &r, &tid);
	assert_int_equal(r.kind, BCUDP_K_D2C_C_R);
	assert_int_equal(r.cid, 1234);
	assert_int_equal(r.did, 96);
	assert_int_equal(tid, 5);
	n = sim_p2p_open_reply(out, sizeof(out), NULL, 6, 1234, 96, 0);
	decode(out, (size_t)n, &r, &tid);
	assert_int_equal(r.kind, BCUDP_K_D2C_C_R);
	assert_int_equal(sim_p2p_open_reply(out, 10, NULL, 6, 1234, 96, 0) < 0, 1);
}

/* The client's C2D_T, answered by the simulator's builder, connects the client. */
static void test_client_with_sim_answer(void **state)
{
	struct p2p_client_cfg cfg;
	struct p2p_client c;
	struct bcudp_msg m, a;
	struct sockaddr_in to, cam, reg;
	uint8_t dg[2048];
	uint32_t tid;
	int n;

	(void)state;
	p2p_client_cfg_defaults(&cfg);
	snprintf(cfg.uid, sizeof(cfg.uid), "95270000SIMARGUS");
	cfg.cid = 82000;
	cfg.seed = 3;
	assert_int_equal(p2p_client_add_server(&cfg, "10.0.0.1", 9999), 0);
	assert_int_equal(p2p_client_init(&c, &cfg, 0), 0);
	/* lookup and register answers */
	bcudp_msg_init(&a, BCUDP_K_M2C_Q_R);
	a.has = BCUDP_HAS(BCUDP_F_RSP) | BCUDP_HAS(BCUDP_F_REG) | BCUDP_HAS(BCUDP_F_RELAY);
	snprintf(a.reg.ip, sizeof(a.reg.ip), "10.0.0.1");
	a.reg.port = 58200;
	snprintf(a.relay.ip, sizeof(a.relay.ip), "10.0.0.1");
	a.relay.port = 58100;
	a.reg.has_ip = a.reg.has_port = a.relay.has_ip = a.relay.has_port = 1;
	n = bcudp_msg_encode(&a, 0, 1, dg, sizeof(dg));
	sock_addr(&to, "10.0.0.1", 9999);
	assert_int_equal(p2p_client_on_datagram(&c, dg, (size_t)n, &to, 0), 1);
	bcudp_msg_init(&a, BCUDP_K_R2C_C_R);
	a.has = BCUDP_HAS(BCUDP_F_RSP) | BCUDP_HAS(BCUDP_F_SID) | BCUDP_HAS(BCUDP_F_DEV);
	snprintf(a.dev.ip, sizeof(a.dev.ip), "10.0.0.5");
	a.dev.port = 2018;
	a.dev.has_ip = a.dev.has_port = 1;
	a.sid = 62097899;
	n = bcudp_msg_encode(&a, 0, 2, dg, sizeof(dg));
	sock_addr(&reg, "10.0.0.1", 58200);
	assert_int_equal(p2p_client_on_datagram(&c, dg, (size_t)n, &reg, 0), 1);
	/* the camera gets our C2D_T and answers from its session port */
	n = p2p_client_poll(&c, 0, dg, sizeof(dg), &to);
	assert_true(n > 0);
	decode(dg, (size_t)n, &m, &tid);
	assert_true(sim_p2p_is_open_request(&m));
	n = sim_p2p_open_reply(dg, sizeof(dg), &m, tid, m.cid, 80, 0);
	sock_addr(&cam, "10.0.0.5", 41000);
	assert_int_equal(p2p_client_on_datagram(&c, dg, (size_t)n, &cam, 0), 1);
	assert_int_equal(c.res.via, P2P_VIA_DEV);
	assert_int_equal(c.res.did, 80);
	assert_true(sock_addr_eq(&c.res.peer, &cam));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_capture),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_client_with_sim_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
