/* P2P by UID (BAICHUAN.md §8): ask the configured lookup servers where the camera's register
 * server is, register, connect (dev, map or relay), and hand the socket that did all of it to
 * the Baichuan session — the camera or relay knows us by that socket's address. */
#include "source/src_impl.h"
#include "source/bcsess.h"
#include "net/p2p_client.h"
#include "net/udpsock.h"
#include "util/clock.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The address the kernel would send from towards `to`: on a host with several interfaces
 * (docker bridges, VPNs) "the first one" is often not the LAN address.  Nothing is sent. */
static int route_src(const struct sockaddr_in *to, struct in_addr *out)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0)
		r = -errno;
	else if (a.sin_addr.s_addr == htonl(INADDR_ANY))
		r = -ENOENT;
	else
		*out = a.sin_addr;
	close(fd);
	return r;
}

static int src_p2p_keep_going(void *ctx)
{
	return src_should_run(ctx);
}

int src_p2p_find(struct src *s, struct bcsess *ss)
{
	struct p2p_client_cfg pc;
	struct p2p_result res;
	char why[200] = "", a[SOCK_ADDR_STR];
	int fd, r, port;

	p2p_client_cfg_defaults(&pc);
	snprintf(pc.uid, sizeof(pc.uid), "%s", s->o.uid);
	if ((r = p2p_client_cfg_randomize(&pc)) < 0)
		return r;
	for (int i = 0; i < s->o.n_p2p_servers; i++) {
		r = p2p_client_add_server_str(&pc, s->o.p2p_servers[i]);
		if (r < 0)   /* one unresolvable server is not fatal while others remain */
			log_debug("P2P lookup server %s: %s", s->o.p2p_servers[i], strerror(-r));
	}
	if (pc.nserver == 0) {
		snprintf(ss->err, sizeof(ss->err), "P2P: none of the %d lookup servers resolves",
			 s->o.n_p2p_servers);
		log_warn("%s", ss->err);
		return -EHOSTUNREACH;
	}
	/* The register server passes our LAN address to the camera for the direct method. */
	if (s->o.iface[0] || route_src(&pc.server[0], &pc.cli_ip) < 0)
		r = sock_iface_addr(s->o.iface[0] ? s->o.iface : NULL, &pc.cli_ip);
	else
		r = 0;
	if (r < 0) {
		snprintf(ss->err, sizeof(ss->err), "P2P: no IPv4 address on %s",
			 s->o.iface[0] ? s->o.iface : "any interface");
		return r;
	}
	pc.cancel.keep_going = src_p2p_keep_going;
	pc.cancel.ctx = s;
	if (s->o.connect_timeout_ms) {
		uint64_t us = (uint64_t)s->o.connect_timeout_ms * 1000u;
		pc.register_us = pc.connect_us = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	}
	fd = sock_udp_open_range(NULL, 53500, 53999, SOCK_F_NONBLOCK, NULL,
				 (uint32_t)clock_mono_us());
	if (fd < 0)
		return fd;
	if ((port = sock_local_port(fd)) < 0) {
		close(fd);
		return port;
	}
	pc.cli_port = (uint16_t)port;
	r = p2p_connect(fd, &pc, &res, why, sizeof(why));
	if (r < 0) {
		close(fd);
		snprintf(ss->err, sizeof(ss->err), "%s", why[0] ? why : strerror(-r));
		/* the generic "session ended" line cannot say which step failed */
		if (r == -ENXIO || r == -ECONNREFUSED || r == -ETIMEDOUT)
			log_warn("%s", ss->err);
		return r;
	}
	log_info("camera %s reached over P2P via %s at %s", s->o.uid, p2p_via_name(res.via),
		 sock_addr_str(&res.peer, a));
	return bcsess_attach_udp(ss, fd, &res.peer, res.cid, res.did, res.tid, 0);
}
