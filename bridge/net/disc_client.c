#include "net/disc_client.h"
#include "net/udpdrive.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "bc/bcudp_pkt.h"
#include "net/udpsock.h"
#include "util/clock.h"

void disc_client_cfg_defaults(struct disc_client_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mtu = BCUDP_MTU_DEFAULT;
	snprintf(cfg->p, sizeof(cfg->p), "MAC");
	snprintf(cfg->debug, sizeof(cfg->debug), "0");
	cfg->resend_us = DISC_RESEND_US;
	cfg->timeout_us = DISC_TIMEOUT_US;
}

int disc_client_cfg_randomize(struct disc_client_cfg *cfg)
{
	return sock_random_id(&cfg->cid, &cfg->seed);
}

int disc_client_add_dest(struct disc_client_cfg *cfg, const char *ip, uint16_t port)
{
	if (cfg->ndest >= DISC_MAX_DESTS)
		return -ENOSPC;
	if (!ip || !*ip || sock_addr(&cfg->dest[cfg->ndest], ip, port) < 0)
		return -EINVAL;
	cfg->ndest++;
	return 0;
}

int disc_client_add_broadcasts(struct disc_client_cfg *cfg, const char *ifname,
			       const uint16_t *ports, int nports)
{
	struct in_addr b[SOCK_MAX_BCAST + 1];
	char ip[INET_ADDRSTRLEN];
	int n, added = 0, r;

	b[0].s_addr = htonl(INADDR_BROADCAST);
	n = sock_bcast_list(b + 1, SOCK_MAX_BCAST, ifname);
	if (n < 0)
		return n;
	for (int i = 0; i <= n; i++) {
		if (i > 0 && b[i].s_addr == b[0].s_addr)
			continue;
		inet_ntop(AF_INET, &b[i], ip, sizeof(ip));
		for (int k = 0; k < nports; k++) {
			if ((r = disc_client_add_dest(cfg, ip, ports[k])) < 0)
				return r;
			added++;
		}
	}
	return added;
}

static uint32_t next_rand(uint32_t *s)
{
	/* xorshift32: tids only need to differ, not to be secret */
	uint32_t x = *s ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

int disc_client_init(struct disc_client *d, const struct disc_client_cfg *cfg, uint64_t now)
{
	if (!cfg->uid[0] || cfg->ndest <= 0 || cfg->ndest > DISC_MAX_DESTS || !cfg->resend_us)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	d->cfg.uid[sizeof(d->cfg.uid) - 1] = 0;
	d->cfg.p[sizeof(d->cfg.p) - 1] = 0;
	d->cfg.debug[sizeof(d->cfg.debug) - 1] = 0;
	d->state = DISC_RUNNING;
	d->deadline = now + cfg->timeout_us;
	d->next_round = now;
	d->next_dest = -1;
	d->rng = cfg->seed;
	return 0;
}

enum disc_state disc_client_state(struct disc_client *d, uint64_t now)
{
	if (d->state == DISC_RUNNING && now >= d->deadline)
		d->state = DISC_TIMED_OUT;
	return d->state;
}

int disc_client_poll(struct disc_client *d, uint64_t now, uint8_t *out, size_t cap,
		     struct sockaddr_in *to)
{
	struct bcudp_msg m;
	int n;

	if (disc_client_state(d, now) != DISC_RUNNING)
		return 0;
	if (d->next_dest < 0) {
		if (now < d->next_round)
			return 0;
		d->next_dest = 0;
		d->next_round = now + d->cfg.resend_us;
	}
	bcudp_msg_init(&m, BCUDP_K_C2D_C);
	m.has = BCUDP_HAS(BCUDP_F_UID) | BCUDP_HAS(BCUDP_F_CLI) | BCUDP_HAS(BCUDP_F_CID) |
		BCUDP_HAS(BCUDP_F_MTU) | BCUDP_HAS(BCUDP_F_DEBUG) | BCUDP_HAS(BCUDP_F_P);
	memcpy(m.uid, d->cfg.uid, sizeof(m.uid));
	m.cli.port = d->cfg.cli_port;
	m.cli.has_port = 1;
	m.cid = d->cfg.cid;
	m.mtu = d->cfg.mtu;
	memcpy(m.debug, d->cfg.debug, sizeof(d->cfg.debug));
	memcpy(m.p, d->cfg.p, sizeof(d->cfg.p));
	n = bcudp_msg_encode(&m, 0, next_rand(&d->rng) % DISC_TID_RANGE, out, cap);
	if (n < 0)
		return n;
	*to = d->cfg.dest[d->next_dest];
	if (++d->next_dest >= d->cfg.ndest)
		d->next_dest = -1;
	d->sent++;
	return n;
}

int disc_client_on_datagram(struct disc_client *d, const uint8_t *buf, size_t len,
			    const struct sockaddr_in *from, uint64_t now)
{
	struct bcudp_pkt p;
	struct bcudp_msg m;
	size_t off = 0;
	int r;

	if (disc_client_state(d, now) != DISC_RUNNING)
		return 0;
	while ((r = bcudp_parse_next(buf, len, &off, &p, NULL)) > 0) {
		if (p.type != BCUDP_DISC)
			continue;
		if ((r = bcudp_msg_decode(&p, &m, NULL)) < 0)
			return r;
		if (m.kind != BCUDP_K_D2C_C_R || !(m.has & BCUDP_HAS(BCUDP_F_CID)) ||
		    m.cid != d->cfg.cid)
			continue;
		memset(&d->res, 0, sizeof(d->res));
		d->res.camera = *from;
		d->res.cid = m.cid;
		d->res.did = m.did;
		d->res.tid = p.tid;
		d->res.rsp = m.has & BCUDP_HAS(BCUDP_F_RSP) ? m.rsp : 0;
		d->res.timer = m.timer;
		/* a reply without a did cannot open a session */
		d->state = d->res.rsp == 0 && (m.has & BCUDP_HAS(BCUDP_F_DID)) ? DISC_FOUND
									: DISC_REFUSED;
		return 1;
	}
	return r;
}

uint64_t disc_client_next_deadline(const struct disc_client *d, uint64_t now)
{
	if (d->state != DISC_RUNNING)
		return UINT64_MAX;
	if (d->next_dest >= 0)
		return now;
	return d->next_round < d->deadline ? d->next_round : d->deadline;
}

static int dm_poll(void *m, uint64_t now, uint8_t *out, size_t cap, struct sockaddr_in *to)
{
	return disc_client_poll(m, now, out, cap, to);
}

static int dm_on_datagram(void *m, const uint8_t *buf, size_t len, const struct sockaddr_in *from,
			  uint64_t now)
{
	return disc_client_on_datagram(m, buf, len, from, now);
}

static uint64_t dm_next_deadline(void *m, uint64_t now)
{
	return disc_client_next_deadline(m, now);
}

static int dm_finished(void *m, uint64_t now)
{
	return disc_client_state(m, now) != DISC_RUNNING;
}

int disc_local(int fd, const struct disc_client_cfg *cfg, struct disc_result *res)
{
	struct disc_client d;
	struct udp_machine um = { &d, dm_poll, dm_on_datagram, dm_next_deadline, dm_finished,
				  cfg->cancel };
	int r, send_err;

	if ((r = disc_client_init(&d, cfg, clock_mono_us())) < 0)
		return r;
	if ((r = udp_drive(fd, &um, &send_err)) < 0)
		return r;
	switch (disc_client_state(&d, clock_mono_us())) {
	case DISC_FOUND:
		*res = d.res;
		return 0;
	case DISC_REFUSED:
		*res = d.res;
		return -ECONNREFUSED;
	default:
		return send_err ? send_err : -ETIMEDOUT;
	}
}
