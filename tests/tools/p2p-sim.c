/* p2p-sim — simulated Reolink P2P servers for the tests (BAICHUAN.md §8).  Never a real
 * server's stand-in on a real network: it binds only to the addresses it is given.
 *
 *   lookup   ("M")  : C2M_Q{uid} → M2C_Q_R{reg, relay, …, rsp 0}, or {rsp -3} for other UIDs.
 *   register ("R")  : C2R_C{uid, cli, relay, cid} → R2C_C_R{dmap, dev, relay, sid, rsp 0}
 *                     (dev/dmap = the camera's discovery address); C2R_CFM is logged.
 *   relay (optional): C2D_T{sid, conn relay, cid} → the relay itself discovers the camera
 *                     locally (C2D_C with the CLIENT's cid, from a socket of its own), then
 *                     answers D2C_CFM{sid, relay, rsp 0, cid, did = the camera's did} and
 *                     forwards every datagram both ways unchanged — the ids already match on
 *                     both legs, so the camera needs nothing P2P-specific for this mode.
 *
 * Everything it does is logged to stderr, one line per event, for the tests to check. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "bc/bcudp_pkt.h"
#include "bc/bcudp_xml.h"
#include "net/udpsock.h"
#include "util/clock.h"

#define MAX_SESS     8            /* relay sessions at once */
#define MAX_SIDS     16           /* registrations remembered */
#define RESEND_US    500000u
#define IDLE_US      15000000u    /* a relay session nobody used this long is dropped */
#define DGRAM_MAX    65536

struct relay_sess {
	int used;
	int cam_fd;                  /* our leg to the camera */
	struct sockaddr_in client, camera;   /* camera: its session address once known */
	int32_t cid, did;
	uint32_t sid, tid;           /* tid: the client's C2D_T, echoed in D2C_CFM */
	int open;
	uint64_t next_disc, last_use;
	uint64_t to_cam, to_cli;
};

static struct {
	int m_fd, r_fd, relay_fd;
	struct sockaddr_in lookup, reg, relay, camera, dev;
	int have_relay, no_dev, refuse, verbose;
	char uid[BCUDP_STR_MAX];
	uint32_t fixed_sid;
	uint32_t sids[MAX_SIDS];
	int nsids;
	struct relay_sess s[MAX_SESS];
	uint32_t rng;
} g;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "p2p-sim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static uint32_t rnd(void)
{
	uint32_t x = g.rng ? g.rng : 0x2545f491u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return g.rng = x;
}

static void ep_set(struct bcudp_ep *e, const struct sockaddr_in *a)
{
	inet_ntop(AF_INET, &a->sin_addr, e->ip, sizeof(e->ip));
	e->port = ntohs(a->sin_port);
	e->has_ip = e->has_port = 1;
}

static void send_msg(int fd, const struct sockaddr_in *to, const struct bcudp_msg *m, uint32_t tid)
{
	uint8_t dg[2048];
	char a[SOCK_ADDR_STR];
	int n = bcudp_msg_encode(m, BCUDP_XML_CAMERA, tid, dg, sizeof(dg));

	if (n < 0) {
		say("cannot build %s: %s", bcudp_kind_name(m->kind), strerror(-n));
		return;
	}
	if (sock_sendto(fd, dg, (size_t)n, to) < 0 && g.verbose)
		say("send %s to %s failed", bcudp_kind_name(m->kind), sock_addr_str(to, a));
}

static int decode(const uint8_t *buf, size_t len, struct bcudp_msg *m, uint32_t *tid)
{
	struct bcudp_pkt p;

	if (bcudp_parse(buf, len, &p, NULL) < 0 || p.type != BCUDP_DISC)
		return -1;
	*tid = p.tid;
	return bcudp_msg_decode(&p, m, NULL) < 0 ? -1 : 0;
}

/* ---- lookup ("M") --------------------------------------------------------------------- */

static void on_lookup(const uint8_t *buf, size_t len, const struct sockaddr_in *from)
{
	struct bcudp_msg m, a;
	uint32_t tid;
	char fa[SOCK_ADDR_STR];
	int known;

	if (decode(buf, len, &m, &tid) < 0 || m.kind != BCUDP_K_C2M_Q)
		return;
	known = (m.has & BCUDP_HAS(BCUDP_F_UID)) && !strcmp(m.uid, g.uid);
	say("lookup: C2M_Q uid %s from %s → %s", m.uid, sock_addr_str(from, fa),
	    known ? "known" : "unknown (rsp -3)");
	bcudp_msg_init(&a, BCUDP_K_M2C_Q_R);
	a.has = BCUDP_HAS(BCUDP_F_RSP);
	if (known) {
		a.has |= BCUDP_HAS(BCUDP_F_REG) | BCUDP_HAS(BCUDP_F_RELAY) | BCUDP_HAS(BCUDP_F_TIMER) |
			 BCUDP_HAS(BCUDP_F_MTU) | BCUDP_HAS(BCUDP_F_DEBUG) | BCUDP_HAS(BCUDP_F_AC);
		ep_set(&a.reg, &g.reg);
		/* clients want a relay here even when there is none: name the register server */
		ep_set(&a.relay, g.have_relay ? &g.relay : &g.reg);
		a.mtu = BCUDP_MTU_DEFAULT;
		snprintf(a.debug, sizeof(a.debug), "251658240");
		a.ac = -1700607721;
		a.rsp = 0;
	} else {
		a.rsp = -3;
	}
	send_msg(g.m_fd, from, &a, tid);
}

/* ---- register ("R") ------------------------------------------------------------------- */

static int sid_known(uint32_t sid)
{
	for (int i = 0; i < g.nsids; i++)
		if (g.sids[i] == sid)
			return 1;
	return 0;
}

static void on_register(const uint8_t *buf, size_t len, const struct sockaddr_in *from)
{
	struct bcudp_msg m, a;
	uint32_t tid, sid;
	char fa[SOCK_ADDR_STR];

	if (decode(buf, len, &m, &tid) < 0)
		return;
	if (m.kind == BCUDP_K_C2R_CFM) {
		say("register: C2R_CFM sid %u conn %s cid %d did %d from %s", m.sid,
		    m.has & BCUDP_HAS(BCUDP_F_CONN) ? m.conn : "-", m.cid, m.did,
		    sock_addr_str(from, fa));
		return;
	}
	if (m.kind != BCUDP_K_C2R_C)
		return;
	bcudp_msg_init(&a, BCUDP_K_R2C_C_R);
	a.has = BCUDP_HAS(BCUDP_F_RSP);
	if (strcmp(m.uid, g.uid) || g.refuse) {
		a.rsp = g.refuse ? -1 : -3;
		say("register: C2R_C uid %s cid %d from %s → refused (rsp %d)", m.uid, m.cid,
		    sock_addr_str(from, fa), a.rsp);
		send_msg(g.r_fd, from, &a, tid);
		return;
	}
	sid = g.fixed_sid ? g.fixed_sid : (rnd() & 0x3fffffff) + 1;
	if (!sid_known(sid)) {
		if (g.nsids < MAX_SIDS)
			g.nsids++;
		memmove(g.sids + 1, g.sids, sizeof(g.sids[0]) * (size_t)(g.nsids - 1));
		g.sids[0] = sid;
	}
	a.has |= BCUDP_HAS(BCUDP_F_NAT) | BCUDP_HAS(BCUDP_F_SID) | BCUDP_HAS(BCUDP_F_AC);
	if (!g.no_dev) {
		a.has |= BCUDP_HAS(BCUDP_F_DEV) | BCUDP_HAS(BCUDP_F_DMAP);
		ep_set(&a.dev, &g.dev);
		ep_set(&a.dmap, &g.dev);
	}
	if (g.have_relay) {
		a.has |= BCUDP_HAS(BCUDP_F_RELAY);
		ep_set(&a.relay, &g.relay);
	}
	snprintf(a.nat, sizeof(a.nat), "NULL");
	a.sid = sid;
	a.ac = sid;
	a.rsp = 0;
	say("register: C2R_C uid %s cid %d cli %s:%d from %s → sid %u%s%s", m.uid, m.cid,
	    m.cli.ip, m.cli.port, sock_addr_str(from, fa), sid, g.no_dev ? "" : " dev",
	    g.have_relay ? " relay" : "");
	send_msg(g.r_fd, from, &a, tid);
}

/* ---- relay ---------------------------------------------------------------------------- */

static struct relay_sess *sess_by_client(const struct sockaddr_in *c)
{
	for (int i = 0; i < MAX_SESS; i++)
		if (g.s[i].used && sock_addr_eq(&g.s[i].client, c))
			return &g.s[i];
	return NULL;
}

static void sess_free(struct relay_sess *s, const char *why)
{
	char a[SOCK_ADDR_STR];

	say("relay: session sid %u client %s closed (%s; %llu datagrams to the camera, %llu to the client)",
	    s->sid, sock_addr_str(&s->client, a), why, (unsigned long long)s->to_cam,
	    (unsigned long long)s->to_cli);
	close(s->cam_fd);
	memset(s, 0, sizeof(*s));
}

static void relay_discover(struct relay_sess *s, uint64_t now)
{
	struct bcudp_msg m;

	bcudp_msg_init(&m, BCUDP_K_C2D_C);
	m.has = BCUDP_HAS(BCUDP_F_UID) | BCUDP_HAS(BCUDP_F_CLI) | BCUDP_HAS(BCUDP_F_CID) |
		BCUDP_HAS(BCUDP_F_MTU) | BCUDP_HAS(BCUDP_F_DEBUG) | BCUDP_HAS(BCUDP_F_P);
	snprintf(m.uid, sizeof(m.uid), "%s", g.uid);
	m.cli.port = sock_local_port(s->cam_fd);
	m.cli.has_port = 1;
	m.cid = s->cid;          /* the client's: then no id needs rewriting */
	m.mtu = BCUDP_MTU_DEFAULT;
	snprintf(m.debug, sizeof(m.debug), "0");
	snprintf(m.p, sizeof(m.p), "MAC");
	send_msg(s->cam_fd, &g.camera, &m, rnd() % 4096);
	s->next_disc = now + RESEND_US;
}

static void relay_confirm(struct relay_sess *s)
{
	struct bcudp_msg a;

	bcudp_msg_init(&a, BCUDP_K_D2C_CFM);
	a.has = BCUDP_HAS(BCUDP_F_SID) | BCUDP_HAS(BCUDP_F_CONN) | BCUDP_HAS(BCUDP_F_RSP) |
		BCUDP_HAS(BCUDP_F_CID) | BCUDP_HAS(BCUDP_F_DID) | BCUDP_HAS(BCUDP_F_TIME_R);
	a.sid = s->sid;
	snprintf(a.conn, sizeof(a.conn), "relay");
	a.rsp = 0;
	a.cid = s->cid;
	a.did = s->did;
	a.time_r = 0;
	send_msg(g.relay_fd, &s->client, &a, s->tid);
}

static void on_relay_client(const uint8_t *buf, size_t len, const struct sockaddr_in *from,
			    uint64_t now)
{
	struct relay_sess *s = sess_by_client(from);
	struct bcudp_msg m;
	uint32_t tid;
	char fa[SOCK_ADDR_STR];
	int fd;

	if (decode(buf, len, &m, &tid) == 0 && m.kind == BCUDP_K_C2D_T) {
		if (strcmp(m.conn, "relay") || !sid_known(m.sid)) {
			say("relay: C2D_T conn %s sid %u from %s ignored (not a relay request for a "
			    "registered session)", m.conn, m.sid, sock_addr_str(from, fa));
			return;
		}
		if (s && s->open) {
			relay_confirm(s);          /* our D2C_CFM was lost */
			return;
		}
		if (s)
			return;                    /* still discovering */
		for (int i = 0; i < MAX_SESS && !s; i++)
			if (!g.s[i].used)
				s = &g.s[i];
		if (!s) {
			say("relay: no free session for %s", sock_addr_str(from, fa));
			return;
		}
		fd = sock_udp_open(inet_ntoa(g.relay.sin_addr), 0, SOCK_F_NONBLOCK, NULL);
		if (fd < 0) {
			say("relay: camera-side socket: %s", strerror(-fd));
			return;
		}
		memset(s, 0, sizeof(*s));
		s->used = 1;
		s->cam_fd = fd;
		s->client = *from;
		s->cid = m.cid;
		s->sid = m.sid;
		s->tid = tid;
		s->last_use = now;
		say("relay: C2D_T sid %u cid %d from %s: discovering the camera", m.sid, m.cid,
		    sock_addr_str(from, fa));
		relay_discover(s, now);
		return;
	}
	if (!s || !s->open)
		return;
	s->last_use = now;
	if (sock_sendto(s->cam_fd, buf, len, &s->camera) >= 0)
		s->to_cam++;
}

static void on_relay_camera(struct relay_sess *s, const uint8_t *buf, size_t len,
			    const struct sockaddr_in *from, uint64_t now)
{
	struct bcudp_msg m;
	uint32_t tid;
	char ca[SOCK_ADDR_STR];

	if (!s->open) {
		if (decode(buf, len, &m, &tid) < 0 || m.kind != BCUDP_K_D2C_C_R || m.cid != s->cid)
			return;
		if (m.rsp != 0 || !(m.has & BCUDP_HAS(BCUDP_F_DID))) {
			say("relay: camera refused the relay (rsp %d)", m.rsp);
			return;
		}
		s->camera = *from;
		s->did = m.did;
		s->open = 1;
		s->last_use = now;
		say("relay: session sid %u open: client cid %d ↔ camera %s did %d", s->sid, s->cid,
		    sock_addr_str(from, ca), s->did);
		relay_confirm(s);
		return;
	}
	if (!sock_addr_eq(from, &s->camera))
		return;
	s->last_use = now;
	if (sock_sendto(g.relay_fd, buf, len, &s->client) >= 0)
		s->to_cli++;
}

/* ---- main ----------------------------------------------------------------------------- */

static int parse_addr(const char *s, struct sockaddr_in *a)
{
	char ip[64];
	const char *c = strrchr(s, ':');
	long port;
	char *end;

	if (!c || (size_t)(c - s) >= sizeof(ip))
		return -1;
	snprintf(ip, sizeof(ip), "%.*s", (int)(c - s), s);
	port = strtol(c + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -1;
	return sock_addr(a, ip, (uint16_t)port) < 0 ? -1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: p2p-sim --lookup IP:PORT --register IP:PORT [--relay IP:PORT] --camera IP:PORT\n"
"               --uid UID [--dev IP:PORT | --no-dev] [--refuse] [--sid N] [-v]\n"
"Simulated Reolink P2P servers for tests.  Binds only to the given addresses.\n"
"  --lookup IP:PORT    the lookup server (\"M\"): answers C2M_Q; rsp -3 for other UIDs\n"
"  --register IP:PORT  the register server (\"R\"): answers C2R_C with R2C_C_R\n"
"  --relay IP:PORT     also run a relay there: on C2D_T(conn relay) it discovers the camera\n"
"                      (C2D_C to --camera) and then forwards datagrams both ways\n"
"  --camera IP:PORT    the camera's discovery address (cam-sim --listen IP --disc-port PORT)\n"
"  --uid UID           the one UID these servers know\n"
"  --dev IP:PORT       the dev/dmap address given to clients (default: --camera)\n"
"  --no-dev            give no dev/dmap address (clients must use the relay)\n"
"  --refuse            the register server refuses (rsp -1)\n"
"  --sid N             session id to hand out (default: random)\n"
"  -v, --verbose       log send failures too\n"
"Runs until SIGINT/SIGTERM; logs one line per event to stderr.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lookup", required_argument, NULL, 'l' },
		{ "register", required_argument, NULL, 'r' },
		{ "relay", required_argument, NULL, 'R' },
		{ "camera", required_argument, NULL, 'c' },
		{ "uid", required_argument, NULL, 'u' },
		{ "dev", required_argument, NULL, 'd' },
		{ "no-dev", no_argument, NULL, 'D' },
		{ "refuse", no_argument, NULL, 'x' },
		{ "sid", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int have_l = 0, have_r = 0, have_c = 0, have_d = 0, o;
	struct sigaction sa = { .sa_handler = on_signal };
	static uint8_t buf[DGRAM_MAX];

	while ((o = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (o) {
		case 'l': if (parse_addr(optarg, &g.lookup) < 0) goto bad; have_l = 1; break;
		case 'r': if (parse_addr(optarg, &g.reg) < 0) goto bad; have_r = 1; break;
		case 'R': if (parse_addr(optarg, &g.relay) < 0) goto bad; g.have_relay = 1; break;
		case 'c': if (parse_addr(optarg, &g.camera) < 0) goto bad; have_c = 1; break;
		case 'd': if (parse_addr(optarg, &g.dev) < 0) goto bad; have_d = 1; break;
		case 'D': g.no_dev = 1; break;
		case 'x': g.refuse = 1; break;
		case 's': g.fixed_sid = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'u': snprintf(g.uid, sizeof(g.uid), "%s", optarg); break;
		case 'v': g.verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!have_l || !have_r || !have_c || !g.uid[0] || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!have_d)
		g.dev = g.camera;
	if (getrandom(&g.rng, sizeof(g.rng), 0) != (ssize_t)sizeof(g.rng))
		g.rng = (uint32_t)clock_mono_us();
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	g.m_fd = sock_udp_open(inet_ntoa(g.lookup.sin_addr), ntohs(g.lookup.sin_port), SOCK_F_NONBLOCK, NULL);
	g.r_fd = sock_udp_open(inet_ntoa(g.reg.sin_addr), ntohs(g.reg.sin_port), SOCK_F_NONBLOCK, NULL);
	g.relay_fd = g.have_relay ? sock_udp_open(inet_ntoa(g.relay.sin_addr), ntohs(g.relay.sin_port),
						  SOCK_F_NONBLOCK, NULL) : -1;
	if (g.m_fd < 0 || g.r_fd < 0 || (g.have_relay && g.relay_fd < 0)) {
		say("cannot bind: %s", strerror(-(g.m_fd < 0 ? g.m_fd : g.r_fd < 0 ? g.r_fd : g.relay_fd)));
		return 1;
	}
	say("ready: lookup %s:%u register %s:%u relay %s uid %s", inet_ntoa(g.lookup.sin_addr),
	    ntohs(g.lookup.sin_port), inet_ntoa(g.reg.sin_addr), ntohs(g.reg.sin_port),
	    g.have_relay ? "on" : "off", g.uid);

	while (!stop) {
		struct pollfd pf[3 + MAX_SESS];
		struct relay_sess *ps[3 + MAX_SESS];
		uint64_t now = clock_mono_us(), next = now + 200000;
		int n = 0, r;

		for (int i = 0; i < MAX_SESS; i++) {
			struct relay_sess *s = &g.s[i];
			if (!s->used)
				continue;
			if (now - s->last_use > IDLE_US) {
				sess_free(s, "idle");
				continue;
			}
			if (!s->open && now >= s->next_disc)
				relay_discover(s, now);
			if (!s->open && s->next_disc < next)
				next = s->next_disc;
		}
		pf[n] = (struct pollfd){ .fd = g.m_fd, .events = POLLIN }; ps[n++] = NULL;
		pf[n] = (struct pollfd){ .fd = g.r_fd, .events = POLLIN }; ps[n++] = NULL;
		if (g.relay_fd >= 0) {
			pf[n] = (struct pollfd){ .fd = g.relay_fd, .events = POLLIN };
			ps[n++] = NULL;
		}
		for (int i = 0; i < MAX_SESS; i++)
			if (g.s[i].used) {
				pf[n] = (struct pollfd){ .fd = g.s[i].cam_fd, .events = POLLIN };
				ps[n++] = &g.s[i];
			}
		r = poll(pf, (nfds_t)n, (int)((next - now + 999) / 1000));
		if (r <= 0)
			continue;
		now = clock_mono_us();
		for (int i = 0; i < n; i++) {
			struct sockaddr_in from;
			ssize_t len;
			int k = 0;

			if (!(pf[i].revents & POLLIN))
				continue;
			/* bounded per round so one busy socket cannot starve the others */
			while (k++ < 256 && (len = sock_recvfrom(pf[i].fd, buf, sizeof(buf), &from)) >= 0) {
				if (pf[i].fd == g.m_fd)
					on_lookup(buf, (size_t)len, &from);
				else if (pf[i].fd == g.r_fd)
					on_register(buf, (size_t)len, &from);
				else if (pf[i].fd == g.relay_fd)
					on_relay_client(buf, (size_t)len, &from, now);
				else if (ps[i] && ps[i]->used)
					on_relay_camera(ps[i], buf, (size_t)len, &from, now);
			}
		}
	}
	for (int i = 0; i < MAX_SESS; i++)
		if (g.s[i].used)
			sess_free(&g.s[i], "exit");
	say("stopped");
	return 0;
bad:
	fprintf(stderr, "p2p-sim: bad address '%s' (want IPv4:PORT)\n", optarg);
	return 2;
}
