/* P2P client: the pure state machine on a fake clock with scripted server and camera answers
 * (lookup, unknown UID, register refusal, dev / camera-initiated / map / relay connects,
 * timeouts, hostile or mismatched replies), then p2p_connect() against a fake lookup server,
 * register server and camera on loopback.  Never talks to a real P2P server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "bc/bcudp_pkt.h"
#include "bc/bcudp_xml.h"
#include "net/p2p_client.h"
#include "net/udpsock.h"

#define MS 1000ull
#define CID 4242
#define SID 495151439u
#define UIDS "95270000ABCDEFGH"

static struct sockaddr_in A(const char *ip, uint16_t port)
{
	struct sockaddr_in a;

	assert_int_equal(sock_addr(&a, ip, port), 0);
	return a;
}

static void cfg_basic(struct p2p_client_cfg *cfg)
{
	p2p_client_cfg_defaults(cfg);
	snprintf(cfg->uid, sizeof(cfg->uid), UIDS);
	cfg->cid = CID;
	inet_pton(AF_INET, "192.168.1.20", &cfg->cli_ip);
	cfg->cli_port = 53600;
	cfg->seed = 7;
	assert_int_equal(p2p_client_add_server(cfg, "10.0.0.1", 9999), 0);
	assert_int_equal(p2p_client_add_server(cfg, "10.0.0.2", 9999), 0);
}

/* Decodes what the client sent. */
static void decode(const uint8_t *dg, int n, struct bcudp_msg *m, uint32_t *tid)
{
	struct bcudp_pkt p;

	assert_true(n > 0);
	assert_int_equal(bcudp_parse(dg, (size_t)n, &p, NULL), n);
	assert_int_equal(p.type, BCUDP_DISC);
	assert_true(p.crc_ok);
	assert_int_equal(bcudp_msg_decode(&p, m, NULL), 0);
	if (tid)
		*tid = p.tid;
}

static void ep(struct bcudp_ep *e, const char *ip, int port)
{
	snprintf(e->ip, sizeof(e->ip), "%s", ip);
	e->port = port;
	e->has_ip = e->has_port = 1;
}

static int m2c_q_r(uint8_t *out, int rsp, const char *reg_ip, const char *relay_ip)
{
	struct bcudp_msg m;

	bcudp_msg_init(&m, BCUDP_K_M2C_Q_R);
	m.has = BCUDP_HAS(BCUDP_F_RSP);
	if (reg_ip) {
		m.has |= BCUDP_HAS(BCUDP_F_REG);
		ep(&m.reg, reg_ip, 58200);
	}
	if (relay_ip) {
		m.has |= BCUDP_HAS(BCUDP_F_RELAY);
		ep(&m.relay, relay_ip, 58100);
	}
	m.rsp = rsp;
	return bcudp_msg_encode(&m, 0, 11, out, 2048);
}

/* dev/dmap/relay: "ip:port" or NULL */
static void ep_str(struct bcudp_ep *e, const char *s)
{
	char ip[32];
	const char *c = strchr(s, ':');

	snprintf(ip, sizeof(ip), "%.*s", (int)(c - s), s);
	ep(e, ip, atoi(c + 1));
}

static int r2c_c_r(uint8_t *out, int rsp, int with_sid, const char *dev, const char *dmap,
		   const char *relay)
{
	struct bcudp_msg m;

	bcudp_msg_init(&m, BCUDP_K_R2C_C_R);
	m.has = BCUDP_HAS(BCUDP_F_RSP);
	if (dev) {
		m.has |= BCUDP_HAS(BCUDP_F_DEV);
		ep_str(&m.dev, dev);
	}
	if (dmap) {
		m.has |= BCUDP_HAS(BCUDP_F_DMAP);
		ep_str(&m.dmap, dmap);
	}
	if (relay) {
		m.has |= BCUDP_HAS(BCUDP_F_RELAY);
		ep_str(&m.relay, relay);
	}
	if (with_sid) {
		m.has |= BCUDP_HAS(BCUDP_F_SID);
		m.sid = SID;
	}
	m.rsp = rsp;
	return bcudp_msg_encode(&m, 0, 12, out, 2048);
}

static int cam_msg(uint8_t *out, enum bcudp_kind k, uint32_t tid, uint32_t sid, const char *conn,
		   int rsp, int32_t cid, int32_t did)
{
	struct bcudp_msg m;

	bcudp_msg_init(&m, k);
	m.has = BCUDP_HAS(BCUDP_F_SID) | BCUDP_HAS(BCUDP_F_CONN) | BCUDP_HAS(BCUDP_F_CID) |
		BCUDP_HAS(BCUDP_F_DID);
	if (k == BCUDP_K_D2C_CFM)
		m.has |= BCUDP_HAS(BCUDP_F_RSP) | BCUDP_HAS(BCUDP_F_TIME_R);
	m.sid = sid;
	snprintf(m.conn, sizeof(m.conn), "%s", conn);
	m.rsp = rsp;
	m.cid = cid;
	m.did = did;
	return bcudp_msg_encode(&m, BCUDP_XML_CAMERA, tid, out, 2048);
}

static const struct sockaddr_in *S1(void)
{
	static struct sockaddr_in a;

	a = A("10.0.0.1", 9999);
	return &a;
}

static int feed(struct p2p_client *c, const uint8_t *dg, int n, struct sockaddr_in from,
		uint64_t now)
{
	assert_true(n > 0);
	return p2p_client_on_datagram(c, dg, (size_t)n, &from, now);
}

/* Drives a client to CONNECT with the given register answer (reg 18.0.0.1:58200). */
static void to_connect(struct p2p_client *c, const struct p2p_client_cfg *cfg, const char *dev,
		       const char *dmap, const char *relay)
{
	uint8_t dg[2048];
	struct sockaddr_in to;

	assert_int_equal(p2p_client_init(c, cfg, 0), 0);
	while (p2p_client_poll(c, 0, dg, sizeof(dg), &to) > 0)
		;
	assert_int_equal(feed(c, dg, m2c_q_r(dg, 0, "18.0.0.1", "18.0.0.2"), *S1(), 10 * MS), 1);
	assert_int_equal(p2p_client_state(c, 10 * MS), P2P_REGISTER);
	assert_true(p2p_client_poll(c, 10 * MS, dg, sizeof(dg), &to) > 0);
	assert_int_equal(feed(c, dg, r2c_c_r(dg, 0, 1, dev, dmap, relay), A("18.0.0.1", 58200),
			      20 * MS), 1);
	assert_int_equal(p2p_client_state(c, 20 * MS), P2P_CONNECT);
}

/* Sends the remaining C2R_CFMs and checks them. */
static void confirm(struct p2p_client *c, uint64_t now, const char *conn, int32_t did)
{
	uint8_t dg[2048];
	struct sockaddr_in to;
	struct bcudp_msg m;
	int n, count = 0;

	assert_int_equal(p2p_client_state(c, now), P2P_CONFIRM);
	for (uint64_t t = now; t < now + 1000 * MS && p2p_client_state(c, t) == P2P_CONFIRM;
	     t += 10 * MS) {
		while ((n = p2p_client_poll(c, t, dg, sizeof(dg), &to)) > 0) {
			decode(dg, n, &m, NULL);
			assert_int_equal(m.kind, BCUDP_K_C2R_CFM);
			assert_true(sock_addr_eq(&to, &c->res.reg));
			assert_int_equal(m.sid, SID);
			assert_string_equal(m.conn, conn);
			assert_int_equal(m.cid, CID);
			assert_int_equal(m.did, did);
			assert_int_equal(m.rsp, 0);
			count++;
		}
	}
	assert_int_equal(count, P2P_CFM_REPEAT);
	assert_int_equal(c->state, P2P_CONNECTED);
}

static void test_config(void **state)
{
	struct p2p_client_cfg cfg;
	struct p2p_client c;

	(void)state;
	p2p_client_cfg_defaults(&cfg);
	assert_int_equal(cfg.mtu, 1350);
	assert_int_equal(cfg.modes, P2P_MODE_ALL);
	assert_int_equal(p2p_client_init(&c, &cfg, 0), -EINVAL);          /* no uid */
	snprintf(cfg.uid, sizeof(cfg.uid), UIDS);
	cfg.cid = 1;
	assert_int_equal(p2p_client_init(&c, &cfg, 0), -EINVAL);          /* no server */
	assert_int_equal(p2p_client_add_server(&cfg, "p2p.example", 9999), -EINVAL);
	assert_int_equal(p2p_client_add_server(&cfg, "10.0.0.1", 0), -EINVAL);
	assert_int_equal(p2p_client_add_server_str(&cfg, "127.0.0.1:9998"), 1);
	assert_int_equal(p2p_client_add_server_str(&cfg, "127.0.0.1:9998"), 0);   /* duplicate */
	assert_int_equal(p2p_client_add_server_str(&cfg, "127.0.0.2"), 1);
	assert_int_equal(ntohs(cfg.server[1].sin_port), 9999);                 /* default port */
	assert_int_equal(p2p_client_add_server_str(&cfg, "127.0.0.1:0"), -EINVAL);
	assert_int_equal(p2p_client_add_server_str(&cfg, "127.0.0.1:99x"), -EINVAL);
	assert_int_equal(p2p_client_add_server_str(&cfg, ":9999"), -EINVAL);
	assert_int_equal(cfg.nserver, 2);
	cfg.modes = 0;
	assert_int_equal(p2p_client_init(&c, &cfg, 0), -EINVAL);          /* no method */
	cfg.modes = P2P_MODE_RELAY;
	assert_int_equal(p2p_client_init(&c, &cfg, 0), 0);
	while (cfg.nserver < P2P_MAX_SERVERS)
		assert_int_equal(p2p_client_add_server(&cfg, "10.1.1.1", 9999), 0);
	assert_int_equal(p2p_client_add_server(&cfg, "10.1.1.1", 9999), -ENOSPC);
	assert_int_equal(p2p_client_cfg_randomize(&cfg), 0);
	assert_true(cfg.cid > 0);
}

static void test_lookup_resend_timeout(void **state)
{
	struct p2p_client_cfg cfg;
	struct p2p_client c;
	uint8_t dg[2048];
	struct sockaddr_in to;
	struct bcudp_msg m;
	char why[200];
	int n, rounds = 0;

	(void)state;
	cfg_basic(&cfg);
	assert_int_equal(p2p_client_init(&c, &cfg, 0), 0);
	n = p2p_client_poll(&c, 0, dg, sizeof(dg), &to);
	decode(dg, n, &m, NULL);
	assert_int_equal(m.kind, BCUDP_K_C2M_Q);
	assert_string_equal(m.uid, UIDS);
	assert_string_equal(m.p, "MAC");
	assert_true(sock_addr_eq(&to, S1()));
	n = p2p_client_poll(&c, 0, dg, sizeof(dg), &to);
	assert_true(n > 0);
	assert_int_equal(ntohl(to.sin_addr.s_addr), 0x0a000002);
	assert_int_equal(p2p_client_poll(&c, 0, dg, sizeof(dg), &to), 0);
	assert_int_equal(p2p_client_poll(&c, 499 * MS, dg, sizeof(dg), &to), 0);
	assert_int_equal(p2p_client_next_deadline(&c, 100 * MS), 500 * MS);
	for (uint64_t t = 500 * MS; t < P2P_LOOKUP_US; t += 500 * MS) {
		int k = 0;
		while (p2p_client_poll(&c, t, dg, sizeof(dg), &to) > 0)
			k++;
		assert_int_equal(k, 2);
		rounds++;
	}
	assert_int_equal(rounds, 29);
	assert_int_equal(p2p_client_state(&c, P2P_LOOKUP_US), P2P_TIMED_OUT);
	assert_int_equal(c.res.failed_in, P2P_LOOKUP);
	assert_true(c.res.noanswer);
	assert_int_equal(p2p_client_poll(&c, P2P_LOOKUP_US, dg, sizeof(dg), &to), 0);
	assert_int_equal(p2p_client_next_deadline(&c, P2P_LOOKUP_US), UINT64_MAX);
	assert_non_null(strstr(p2p_client_describe(&c, why, sizeof(why)), "no answer from the 2 lookup"));
}

static void test_full_dev(void **state)
{
	struct p2p_client_cfg cfg;
	struct p2p_client c;
	uint8_t dg[2048];
	struct sockaddr_in to;
	struct bcudp_msg m;
	uint32_t tid;
	char why[200];
	int n;

	(void)state;
	cfg_basic(&cfg);
	assert_int_equal(p2p_client_init(&c, &cfg, 0), 0);
	while (p2p_client_poll(&c, 0, dg, sizeof(dg), &to) > 0)
		;
	/* an answer from the second server wins; reg and relay become ours */
	assert_int_equal(feed(&c, dg, m2c_q_r(dg, 0, "18.0.0.1", "18.0.0.2"), A("10.0.0.2", 9999),
			      30 * MS), 1);
	assert_int_equal(p2p_client_state(&c, 30 * MS), P2P_REGISTER);
	n = p2p_client_poll(&c, 30 * MS, dg, sizeof(dg), &to);
	decode(dg, n, &m, NULL);
	assert_int_equal(m.kind, BCUDP_K_C2R_C);
	assert_int_equal(ntohs(to.sin_port), 58200);
	assert_string_equal(m.uid, UIDS);
	assert_string_equal(m.cli.ip, "192.168.1.20");
	assert_int_equal(m.cli.port, 53600);
	assert_string_equal(m.relay.ip, "18.0.0.2");
	assert_int_equal(m.relay.port, 58100);
	assert_int_equal(m.cid, CID);
	assert_int_equal(m.family, 4);
	/* resent every 500 ms */
	assert_int_equal(p2p_client_poll(&c, 400 * MS, dg, sizeof(dg), &to), 0);
	assert_true(p2p_client_poll(&c, 530 * MS, dg, sizeof(dg), &to) > 0);
	/* an R2C_C_R from elsewhere is ignored, the register server's one moves on */
	n = r2c_c_r(dg, 0, 1, "192.168.1.30:2018", "203.0.113.5:57933", "18.0.0.3:51134");
	assert_int_equal(feed(&c, dg, n, A("18.0.0.9", 58200), 600 * MS), 0);
	assert_int_equal(feed(&c, dg, n, A("18.0.0.1", 58200), 600 * MS), 1);
	assert_int_equal(p2p_client_state(&c, 600 * MS), P2P_CONNECT);
	assert_int_equal(c.res.sid, SID);
	assert_int_equal(ntohs(c.res.relay.sin_port), 51134);
	/* C2D_T(local) to dev now, C2D_T(relay) only after the stagger */
	n = p2p_client_poll(&c, 600 * MS, dg, sizeof(dg), &to);
	decode(dg, n, &m, &tid);
	assert_int_equal(m.kind, BCUDP_K_C2D_T);
	assert_string_equal(m.conn, "local");
	assert_int_equal(m.sid, SID);
	assert_int_equal(m.cid, CID);
	assert_int_equal(m.mtu, 1350);
	assert_true(sock_addr_eq(&to, &c.res.dev));
	assert_int_equal(p2p_client_poll(&c, 600 * MS, dg, sizeof(dg), &to), 0);
	/* mismatched confirmations: sid, cid, source, rsp */
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, tid, SID + 1, "local", 0, CID, 80),
			      A("192.168.1.30", 40000), 700 * MS), 0);
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, tid, SID, "local", 0, CID + 1, 80),
			      A("192.168.1.30", 40000), 700 * MS), 0);
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, tid, SID, "local", 0, CID, 80),
			      A("192.168.1.99", 40000), 700 * MS), 0);
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, tid, SID, "local", -1, CID, 80),
			      A("192.168.1.30", 40000), 700 * MS), 0);
	assert_int_equal(p2p_client_state(&c, 700 * MS), P2P_CONNECT);
	/* the camera answers from its session port, not the one we sent to */
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, tid, SID, "local", 0, CID, 80),
			      A("192.168.1.30", 40000), 700 * MS), 1);
	assert_int_equal(c.res.via, P2P_VIA_DEV);
	assert_int_equal(ntohs(c.res.peer.sin_port), 40000);
	assert_int_equal(c.res.did, 80);
	assert_int_equal(c.res.tid, tid);
	confirm(&c, 700 * MS, "local", 80);
	/* later repeats change nothing */
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, tid, SID, "relay", 0, CID, 81),
			      A("18.0.0.3", 51134), 900 * MS), 0);
	assert_int_equal(c.res.via, P2P_VIA_DEV);
	assert_non_null(strstr(p2p_client_describe(&c, why, sizeof(why)), "via dev"));
}

static void test_unknown_uid(void **state)
{
	struct p2p_client_cfg cfg;
	struct p2p_client c;
	uint8_t dg[2048];
	struct sockaddr_in to;
	char why[200];
	int k;

	(void)state;
	cfg_basic(&cfg);
	/* both servers say -3: fails at once */
	assert_int_equal(p2p_client_init(&c, &cfg, 0), 0);
	while (p2p_client_poll(&c, 0, dg, sizeof(dg), &to) > 0)
		;
	assert_int_equal(feed(&c, dg, m2c_q_r(dg, -3, NULL, NULL), *S1(), 10 * MS), 1);
	assert_int_equal(p2p_client_state(&c, 10 * MS), P2P_LOOKUP);
	/* the one that said "unknown" is not asked again */
	for (k = 0; p2p_client_poll(&c, 500 * MS, dg, sizeof(dg), &to) > 0; k++)
		assert_int_equal(ntohl(to.sin_addr.s_addr), 0x0a000002);
	assert_int_equal(k, 1);
	assert_int_equal(feed(&c, dg, m2c_q_r(dg, -3, NULL, NULL), A("10.0.0.2", 9999), 600 * MS), 1);
	assert_int_equal(p2p_client_state(&c, 600 * MS), P2P_UNKNOWN_UID);
	assert_int_equal(c.res.rsp, -3);
	assert_non_null(strstr(p2p_client_describe(&c, why, sizeof(why)), "do not know UID " UIDS));

	/* one says -3, the other stays silent: fails after the grace period, not 15 s */
	assert_int_equal(p2p_client_init(&c, &cfg, 0), 0);
	assert_int_equal(feed(&c, dg, m2c_q_r(dg, -3, NULL, NULL), *S1(), 10 * MS), 1);
	assert_int_equal(p2p_client_next_deadline(&c, 10 * MS) <= 10 * MS + P2P_NEG_GRACE_US, 1);
	assert_int_equal(p2p_client_state(&c, 10 * MS + P2P_NEG_GRACE_US - 1), P2P_LOOKUP);
	assert_int_equal(p2p_client_state(&c, 10 * MS + P2P_NEG_GRACE_US), P2P_UNKNOWN_UID);

	/* one says -3, the other knows better within the grace period */
	assert_int_equal(p2p_client_init(&c, &cfg, 0), 0);
	assert_int_equal(feed(&c, dg, m2c_q_r(dg, -3, NULL, NULL), *S1(), 10 * MS), 1);
	assert_int_equal(feed(&c, dg, m2c_q_r(dg, 0, "18.0.0.1", "18.0.0.2"), A("10.0.0.2", 9999),
			      900 * MS), 1);
	assert_int_equal(p2p_client_state(&c, 5000 * MS), P2P_REGISTER);
}

static void test_register_errors(void **state)
{
	struct p2p_client_cfg cfg;
	struct p2p_client c;
	uint8_t dg[2048];
	struct sockaddr_in to, reg = A("18.0.0.1", 58200);
	char why[200];
	int k = 0;

	(void)state;
	cfg_basic(&cfg);
	for (int rsp = -3; rsp <= -1; rsp += 2) {
		assert_int_equal(p2p_client_init(&c, &cfg, 0), 0);
		assert_int_equal(feed(&c, dg, m2c_q_r(dg, 0, "18.0.0.1", "18.0.0.2"), *S1(), 0), 1);
		assert_int_equal(feed(&c, dg, r2c_c_r(dg, rsp, 0, NULL, NULL, NULL), reg, 10 * MS), 1);
		assert_int_equal(p2p_client_state(&c, 10 * MS), P2P_REFUSED);
		assert_int_equal(c.res.rsp, rsp);
		assert_non_null(strstr(p2p_client_describe(&c, why, sizeof(why)), "refused"));
	}
	/* no sid, or nothing usable: not an answer; then silence until the timeout */
	assert_int_equal(p2p_client_init(&c, &cfg, 0), 0);
	assert_int_equal(feed(&c, dg, m2c_q_r(dg, 0, "18.0.0.1", "18.0.0.2"), *S1(), 0), 1);
	assert_int_equal(feed(&c, dg, r2c_c_r(dg, 0, 0, "10.0.0.7:2018", NULL, NULL), reg, 10 * MS), 0);
	assert_int_equal(feed(&c, dg, r2c_c_r(dg, 0, 1, "10.0.0.0:2018", "0.0.0.0:1", NULL), reg,
			      10 * MS), 0);
	assert_int_equal(feed(&c, dg, r2c_c_r(dg, 0, 1, "224.0.0.1:2018", NULL, "255.255.255.255:9"),
			      reg, 10 * MS), 0);
	for (uint64_t t = 0; t < P2P_REGISTER_US; t += 100 * MS)
		while (p2p_client_poll(&c, t, dg, sizeof(dg), &to) > 0)
			k++;
	assert_int_equal(k, 30);
	assert_int_equal(p2p_client_state(&c, P2P_REGISTER_US), P2P_TIMED_OUT);
	assert_int_equal(c.res.failed_in, P2P_REGISTER);
	assert_false(c.res.noanswer);
	assert_non_null(strstr(p2p_client_describe(&c, why, sizeof(why)), "no usable"));
}

static void test_relay(void **state)
{
	struct p2p_client_cfg cfg;
	struct p2p_client c;
	uint8_t dg[2048];
	struct sockaddr_in to, relay = A("18.0.0.3", 51134);
	struct bcudp_msg m;
	uint32_t tid = 0;
	int n, dev_sent = 0, relay_sent = 0;

	(void)state;
	cfg_basic(&cfg);
	/* dev given but silent: relay wins after its stagger */
	to_connect(&c, &cfg, "192.168.1.30:2018", NULL, "18.0.0.3:51134");
	for (uint64_t t = 20 * MS; t < 1600 * MS; t += 10 * MS) {
		while ((n = p2p_client_poll(&c, t, dg, sizeof(dg), &to)) > 0) {
			decode(dg, n, &m, NULL);
			assert_int_equal(m.kind, BCUDP_K_C2D_T);
			if (!strcmp(m.conn, "relay")) {
				assert_true(sock_addr_eq(&to, &relay));
				assert_true(t >= 20 * MS + P2P_RELAY_DELAY_US);
				decode(dg, n, &m, &tid);
				relay_sent++;
			} else {
				dev_sent++;
			}
		}
	}
	assert_int_equal(dev_sent, 4);       /* 20, 520, 1020, 1520 ms */
	assert_int_equal(relay_sent, 3);     /* 520, 1020, 1520 ms */
	/* a relay confirmation from another address, or conn=local from the relay: ignored */
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, tid, SID, "relay", 0, CID, 32),
			      A("18.0.0.4", 51134), 1600 * MS), 0);
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, tid, SID, "local", 0, CID, 32),
			      relay, 1600 * MS), 0);
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, tid, SID, "relay", 0, CID, 32),
			      relay, 1600 * MS), 1);
	assert_int_equal(c.res.via, P2P_VIA_RELAY);
	assert_true(sock_addr_eq(&c.res.peer, &relay));
	assert_int_equal(c.res.did, 32);
	assert_int_equal(c.res.tid, tid);
	confirm(&c, 1600 * MS, "relay", 32);

	/* relay disabled: its confirmation means nothing, and no C2D_T goes to it */
	cfg.modes = P2P_MODE_DEV;
	to_connect(&c, &cfg, "192.168.1.30:2018", NULL, "18.0.0.3:51134");
	for (uint64_t t = 20 * MS; t < 1600 * MS; t += 10 * MS)
		while ((n = p2p_client_poll(&c, t, dg, sizeof(dg), &to)) > 0)
			assert_false(sock_addr_eq(&to, &relay));
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, tid, SID, "relay", 0, CID, 32),
			      relay, 1600 * MS), 0);
	/* and the camera never answering ends in a connect timeout */
	assert_int_equal(p2p_client_state(&c, 20 * MS + P2P_CONNECT_US), P2P_TIMED_OUT);
	assert_int_equal(c.res.failed_in, P2P_CONNECT);
}

static void test_camera_initiated(void **state)
{
	struct p2p_client_cfg cfg;
	struct p2p_client c;
	uint8_t dg[2048];
	struct sockaddr_in to, dmap = A("203.0.113.5", 57933);
	struct bcudp_msg m;
	int n;

	(void)state;
	cfg_basic(&cfg);
	to_connect(&c, &cfg, "192.168.1.30:2018", "203.0.113.5:57933", NULL);
	while (p2p_client_poll(&c, 20 * MS, dg, sizeof(dg), &to) > 0)
		;
	/* D2C_T from elsewhere, or for another session: ignored */
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_T, 87, SID, "local", 0, CID, 96),
			      A("203.0.113.6", 57933), 30 * MS), 0);
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_T, 87, SID - 1, "local", 0, CID, 96),
			      dmap, 30 * MS), 0);
	assert_int_equal(p2p_client_poll(&c, 30 * MS, dg, sizeof(dg), &to), 0);
	/* the real one is answered with C2D_A on its own tid */
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_T, 87, SID, "local", 0, CID, 96),
			      dmap, 30 * MS), 1);
	n = p2p_client_poll(&c, 30 * MS, dg, sizeof(dg), &to);
	decode(dg, n, &m, NULL);
	assert_int_equal(bcudp_parse(dg, (size_t)n, &(struct bcudp_pkt){ 0 }, NULL), n);
	assert_int_equal(m.kind, BCUDP_K_C2D_A);
	assert_true(sock_addr_eq(&to, &dmap));
	assert_int_equal(m.sid, SID);
	assert_string_equal(m.conn, "local");
	assert_int_equal(m.cid, CID);
	assert_int_equal(m.did, 96);
	assert_int_equal(m.mtu, 1350);
	{
		struct bcudp_pkt p;
		bcudp_parse(dg, (size_t)n, &p, NULL);
		assert_int_equal(p.tid, 87);
	}
	/* resent (with its tid) until confirmed, beside our own C2D_T to dev */
	{
		int answers = 0;
		struct bcudp_pkt p;
		while ((n = p2p_client_poll(&c, 530 * MS, dg, sizeof(dg), &to)) > 0) {
			decode(dg, n, &m, NULL);
			bcudp_parse(dg, (size_t)n, &p, NULL);
			if (m.kind == BCUDP_K_C2D_A) {
				assert_int_equal(p.tid, 87);
				answers++;
			}
		}
		assert_int_equal(answers, 1);
	}
	/* a confirmation with another did: ignored */
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, 87, SID, "local", 0, CID, 97),
			      A("192.168.1.99", 57933), 600 * MS), 0);
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, 87, SID, "local", 0, CID, 96),
			      dmap, 600 * MS), 1);
	assert_int_equal(c.res.via, P2P_VIA_DEV_DEVICE);
	assert_true(sock_addr_eq(&c.res.peer, &dmap));
	assert_int_equal(c.res.did, 96);
	assert_int_equal(c.res.tid, 87);
	confirm(&c, 600 * MS, "local", 96);
}

static void test_map(void **state)
{
	struct p2p_client_cfg cfg;
	struct p2p_client c;
	uint8_t dg[2048];
	struct sockaddr_in to, dmap = A("203.0.113.5", 57933);
	struct bcudp_msg m;
	int n;

	(void)state;
	cfg_basic(&cfg);
	/* map disabled: the camera's D2C_T(map) is ignored */
	cfg.modes = P2P_MODE_DEV | P2P_MODE_RELAY;
	to_connect(&c, &cfg, NULL, "203.0.113.5:57933", "18.0.0.3:51134");
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_T, 5, SID, "map", 0, CID, 33), dmap,
			      30 * MS), 0);

	cfg.modes = P2P_MODE_MAP;
	to_connect(&c, &cfg, NULL, "203.0.113.5:57933", NULL);
	/* map only: nothing of ours goes out, we wait for the camera */
	assert_int_equal(p2p_client_poll(&c, 20 * MS, dg, sizeof(dg), &to), 0);
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_T, 5, SID, "local", 0, CID, 33), dmap,
			      30 * MS), 0);
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_T, 5, SID, "map", 0, CID, 33), dmap,
			      30 * MS), 1);
	n = p2p_client_poll(&c, 30 * MS, dg, sizeof(dg), &to);
	decode(dg, n, &m, NULL);
	assert_int_equal(m.kind, BCUDP_K_C2D_A);
	assert_string_equal(m.conn, "map");
	/* a conn=local confirmation is not the answer to a map handshake */
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, 5, SID, "local", 0, CID, 33), dmap,
			      40 * MS), 0);
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, 5, SID, "map", 0, CID, 33), dmap,
			      40 * MS), 1);
	assert_int_equal(c.res.via, P2P_VIA_MAP);
	confirm(&c, 40 * MS, "map", 33);
}

static void test_hostile(void **state)
{
	struct p2p_client_cfg cfg;
	struct p2p_client c;
	uint8_t dg[2048], junk[64];
	struct sockaddr_in to;
	int n;

	(void)state;
	cfg_basic(&cfg);
	assert_int_equal(p2p_client_init(&c, &cfg, 0), 0);
	memset(junk, 0x41, sizeof(junk));
	assert_true(feed(&c, junk, sizeof(junk), *S1(), 0) < 0);
	/* a Data packet, then a lookup answer with a broken checksum */
	n = bcudp_build_data(dg, sizeof(dg), CID, 0, "x", 1);
	assert_int_equal(feed(&c, dg, n, *S1(), 0), 0);
	n = m2c_q_r(dg, 0, "18.0.0.1", "18.0.0.2");
	dg[n - 1] ^= 1;
	assert_true(feed(&c, dg, n, *S1(), 0) < 0);
	/* from a host we did not ask, or a port we did not ask */
	n = m2c_q_r(dg, 0, "18.0.0.1", "18.0.0.2");
	assert_int_equal(feed(&c, dg, n, A("10.0.0.3", 9999), 0), 0);
	assert_int_equal(feed(&c, dg, n, A("10.0.0.1", 9998), 0), 0);
	/* "unknown UID" from a stranger does not count either */
	assert_int_equal(feed(&c, dg, m2c_q_r(dg, -3, NULL, NULL), A("10.0.0.3", 9999), 0), 0);
	assert_int_equal(c.neg_deadline, UINT64_MAX);
	/* unusable addresses, missing relay, wrong kind */
	assert_int_equal(feed(&c, dg, m2c_q_r(dg, 0, "18.0.0.0", "18.0.0.2"), *S1(), 0), 0);
	assert_int_equal(feed(&c, dg, m2c_q_r(dg, 0, "18.0.0.1", NULL), *S1(), 0), 0);
	assert_int_equal(feed(&c, dg, m2c_q_r(dg, 0, "239.1.2.3", "18.0.0.2"), *S1(), 0), 0);
	assert_int_equal(feed(&c, dg, r2c_c_r(dg, -1, 0, NULL, NULL, NULL), *S1(), 0), 0);
	assert_int_equal(feed(&c, dg, cam_msg(dg, BCUDP_K_D2C_CFM, 1, 0, "local", 0, CID, 1), *S1(), 0), 0);
	assert_int_equal(p2p_client_state(&c, 0), P2P_LOOKUP);
	/* a lookup answer with rsp 0 but no addresses: heard, not an answer */
	assert_int_equal(feed(&c, dg, m2c_q_r(dg, 0, NULL, NULL), *S1(), 0), 0);
	assert_int_equal(p2p_client_state(&c, P2P_LOOKUP_US), P2P_TIMED_OUT);
	assert_false(c.res.noanswer);
	/* after the end, everything is ignored */
	assert_int_equal(feed(&c, dg, m2c_q_r(dg, 0, "18.0.0.1", "18.0.0.2"), *S1(), P2P_LOOKUP_US), 0);
	assert_int_equal(p2p_client_poll(&c, P2P_LOOKUP_US, dg, sizeof(dg), &to), 0);
}

/* ---- p2p_connect() over loopback ------------------------------------------------------ */

struct fake {
	int m_fd, r_fd, cam_fd;
	uint16_t r_port, cam_port;
	int unknown;                 /* answer rsp -3 */
	volatile int stop;
	int got_cfm;
};

static void reply(int fd, const struct sockaddr_in *to, struct bcudp_msg *m, uint32_t tid)
{
	uint8_t dg[2048];
	int n = bcudp_msg_encode(m, BCUDP_XML_CAMERA, tid, dg, sizeof(dg));

	assert_true(n > 0);
	sock_sendto(fd, dg, (size_t)n, to);
}

static void *fake_servers(void *arg)
{
	struct fake *f = arg;
	struct pollfd pf[3] = { { .fd = f->m_fd, .events = POLLIN }, { .fd = f->r_fd, .events = POLLIN },
				{ .fd = f->cam_fd, .events = POLLIN } };

	while (!f->stop) {
		if (poll(pf, 3, 50) <= 0)
			continue;
		for (int i = 0; i < 3; i++) {
			uint8_t dg[2048];
			struct sockaddr_in from;
			struct bcudp_pkt p;
			struct bcudp_msg m, a;
			ssize_t n;

			if (!(pf[i].revents & POLLIN))
				continue;
			n = sock_recvfrom(pf[i].fd, dg, sizeof(dg), &from);
			if (n <= 0 || bcudp_parse(dg, (size_t)n, &p, NULL) < 0 || p.type != BCUDP_DISC ||
			    bcudp_msg_decode(&p, &m, NULL) < 0)
				continue;
			if (i == 0 && m.kind == BCUDP_K_C2M_Q) {
				bcudp_msg_init(&a, BCUDP_K_M2C_Q_R);
				a.has = BCUDP_HAS(BCUDP_F_RSP);
				a.rsp = f->unknown ? -3 : 0;
				if (!f->unknown) {
					a.has |= BCUDP_HAS(BCUDP_F_REG) | BCUDP_HAS(BCUDP_F_RELAY);
					ep(&a.reg, "127.0.0.1", f->r_port);
					ep(&a.relay, "127.0.0.1", 1);
				}
				reply(f->m_fd, &from, &a, p.tid);
			} else if (i == 1 && m.kind == BCUDP_K_C2R_C) {
				bcudp_msg_init(&a, BCUDP_K_R2C_C_R);
				a.has = BCUDP_HAS(BCUDP_F_RSP) | BCUDP_HAS(BCUDP_F_SID) |
					BCUDP_HAS(BCUDP_F_DEV) | BCUDP_HAS(BCUDP_F_DMAP);
				ep(&a.dev, "127.0.0.1", f->cam_port);
				ep(&a.dmap, "127.0.0.1", f->cam_port);
				a.sid = SID;
				reply(f->r_fd, &from, &a, p.tid);
			} else if (i == 1 && m.kind == BCUDP_K_C2R_CFM) {
				f->got_cfm++;
			} else if (i == 2 && m.kind == BCUDP_K_C2D_T && m.sid == SID) {
				bcudp_msg_init(&a, BCUDP_K_D2C_CFM);
				a.has = BCUDP_HAS(BCUDP_F_SID) | BCUDP_HAS(BCUDP_F_CONN) |
					BCUDP_HAS(BCUDP_F_RSP) | BCUDP_HAS(BCUDP_F_CID) |
					BCUDP_HAS(BCUDP_F_DID) | BCUDP_HAS(BCUDP_F_TIME_R);
				a.sid = SID;
				snprintf(a.conn, sizeof(a.conn), "%s", m.conn);
				a.cid = m.cid;
				a.did = 80;
				reply(f->cam_fd, &from, &a, p.tid);
			}
		}
	}
	return NULL;
}

static void run_connect(int unknown)
{
	struct fake f = { .unknown = unknown };
	struct p2p_client_cfg cfg;
	struct p2p_result res;
	pthread_t th;
	char why[200];
	int fd, r;

	f.m_fd = sock_udp_open("127.0.0.1", 0, 0, NULL);
	f.r_fd = sock_udp_open("127.0.0.1", 0, 0, NULL);
	f.cam_fd = sock_udp_open("127.0.0.1", 0, 0, NULL);
	fd = sock_udp_open("127.0.0.1", 0, SOCK_F_NONBLOCK, NULL);
	assert_true(f.m_fd >= 0 && f.r_fd >= 0 && f.cam_fd >= 0 && fd >= 0);
	f.r_port = (uint16_t)sock_local_port(f.r_fd);
	f.cam_port = (uint16_t)sock_local_port(f.cam_fd);
	p2p_client_cfg_defaults(&cfg);
	snprintf(cfg.uid, sizeof(cfg.uid), UIDS);
	assert_int_equal(p2p_client_cfg_randomize(&cfg), 0);
	inet_pton(AF_INET, "127.0.0.1", &cfg.cli_ip);
	cfg.cli_port = (uint16_t)sock_local_port(fd);
	cfg.lookup_us = cfg.register_us = cfg.connect_us = 5000000;
	/* a dead server first: its ICMP error must not stop the others */
	assert_int_equal(p2p_client_add_server(&cfg, "127.0.0.1", 1), 0);
	assert_int_equal(p2p_client_add_server(&cfg, "127.0.0.1", (uint16_t)sock_local_port(f.m_fd)), 0);
	assert_int_equal(pthread_create(&th, NULL, fake_servers, &f), 0);
	r = p2p_connect(fd, &cfg, &res, why, sizeof(why));
	usleep(100000);
	f.stop = 1;
	pthread_join(th, NULL);
	if (unknown) {
		assert_int_equal(r, -ENXIO);
		assert_non_null(strstr(why, "do not know UID"));
	} else {
		assert_int_equal(r, 0);
		assert_int_equal(res.via, P2P_VIA_DEV);
		assert_int_equal(ntohs(res.peer.sin_port), f.cam_port);
		assert_int_equal(res.did, 80);
		assert_int_equal(res.cid, cfg.cid);
		assert_int_equal(res.sid, SID);
		assert_int_equal(f.got_cfm, P2P_CFM_REPEAT);
	}
	close(fd);
	close(f.m_fd);
	close(f.r_fd);
	close(f.cam_fd);
}

static void test_connect_loopback(void **state)
{
	(void)state;
	run_connect(0);
	run_connect(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_lookup_resend_timeout),
		cmocka_unit_test(test_full_dev),
		cmocka_unit_test(test_unknown_uid),
		cmocka_unit_test(test_register_errors),
		cmocka_unit_test(test_relay),
		cmocka_unit_test(test_camera_initiated),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_connect_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
