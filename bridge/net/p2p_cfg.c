/* P2P client settings: defaults, random ids, and the lookup-server list (names resolved here,
 * before the state machine runs, so p2p_client.c never blocks on DNS). */
#include "net/p2p_client.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/udpsock.h"

#define P2P_DEFAULT_PORT 9999

void p2p_client_cfg_defaults(struct p2p_client_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mtu = BCUDP_MTU_DEFAULT;
	snprintf(cfg->p, sizeof(cfg->p), "MAC");
	snprintf(cfg->debug, sizeof(cfg->debug), "0");
	cfg->modes = P2P_MODE_ALL;
	cfg->resend_us = P2P_RESEND_US;
	cfg->lookup_us = P2P_LOOKUP_US;
	cfg->register_us = P2P_REGISTER_US;
	cfg->connect_us = P2P_CONNECT_US;
	cfg->relay_delay_us = P2P_RELAY_DELAY_US;
	cfg->neg_grace_us = P2P_NEG_GRACE_US;
	cfg->cfm_gap_us = P2P_CFM_GAP_US;
	cfg->cfm_repeat = P2P_CFM_REPEAT;
}

int p2p_client_cfg_randomize(struct p2p_client_cfg *cfg)
{
	return sock_random_id(&cfg->cid, &cfg->seed);
}

int p2p_client_add_server(struct p2p_client_cfg *cfg, const char *ip, uint16_t port)
{
	if (cfg->nserver >= P2P_MAX_SERVERS)
		return -ENOSPC;
	if (!ip || !*ip || !port || sock_addr(&cfg->server[cfg->nserver], ip, port) < 0)
		return -EINVAL;
	cfg->nserver++;
	return 0;
}

int p2p_client_add_server_str(struct p2p_client_cfg *cfg, const char *hostport)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *ai, *a;
	char host[256], port[8];
	const char *colon;
	size_t hl;
	int added = 0;

	if (!hostport)
		return -EINVAL;
	colon = strrchr(hostport, ':');
	hl = colon ? (size_t)(colon - hostport) : strlen(hostport);
	if (!hl || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, hostport, hl);
	host[hl] = 0;
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (!colon[1] || *end || p < 1 || p > 65535)
			return -EINVAL;
		snprintf(port, sizeof(port), "%ld", p);
	} else {
		snprintf(port, sizeof(port), "%d", P2P_DEFAULT_PORT);
	}
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -EHOSTUNREACH;
	for (a = ai; a; a = a->ai_next) {
		const struct sockaddr_in *sa = (const struct sockaddr_in *)a->ai_addr;
		int dup = 0;
		if (a->ai_family != AF_INET || a->ai_addrlen < sizeof(*sa))
			continue;
		for (int i = 0; i < cfg->nserver; i++)
			dup |= sock_addr_eq(&cfg->server[i], sa);
		if (dup)
			continue;
		if (cfg->nserver >= P2P_MAX_SERVERS) {
			freeaddrinfo(ai);
			return added ? added : -ENOSPC;
		}
		cfg->server[cfg->nserver++] = *sa;
		added++;
	}
	freeaddrinfo(ai);
	return added;
}

