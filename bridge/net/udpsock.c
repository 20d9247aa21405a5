#include "net/udpsock.h"

#include <sys/random.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int sock_addr(struct sockaddr_in *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	if (!ip || !*ip) {
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	return inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? 0 : -EINVAL;
}

const char *sock_addr_str(const struct sockaddr_in *a, char *buf)
{
	char ip[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	snprintf(buf, SOCK_ADDR_STR, "%s:%u", ip, ntohs(a->sin_port));
	return buf;
}

int sock_addr_eq(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

int sock_set_broadcast(int fd, int on)
{
	return setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) < 0 ? -errno : 0;
}

int sock_udp_open(const char *bind_ip, uint16_t port, unsigned flags, const char *ifname)
{
	struct sockaddr_in a;
	int fd, one = 1, r;

	if (sock_addr(&a, bind_ip, port) < 0)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | (flags & SOCK_F_NONBLOCK ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -errno;
	if ((flags & SOCK_F_REUSEADDR) && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if ((flags & SOCK_F_BROADCAST) && setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0)
		goto fail;
	if (ifname && *ifname &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto fail;
	return fd;
fail:
	r = -errno;
	close(fd);
	return r;
}

int sock_udp_open_range(const char *bind_ip, uint16_t lo, uint16_t hi, unsigned flags,
			const char *ifname, uint32_t seed)
{
	unsigned span, i;
	int fd = -EINVAL;

	if (lo == 0 || hi < lo)
		return -EINVAL;
	span = (unsigned)hi - lo + 1;
	for (i = 0; i < span; i++) {
		fd = sock_udp_open(bind_ip, (uint16_t)(lo + (seed + i) % span), flags, ifname);
		if (fd != -EADDRINUSE)
			return fd;
	}
	return fd;
}

int sock_local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &l) < 0)
		return -errno;
	return ntohs(a.sin_port);
}

ssize_t sock_sendto(int fd, const void *buf, size_t len, const struct sockaddr_in *to)
{
	ssize_t n;

	do
		n = sendto(fd, buf, len, MSG_NOSIGNAL, (const struct sockaddr *)to, sizeof(*to));
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t sock_recvfrom(int fd, void *buf, size_t cap, struct sockaddr_in *from)
{
	struct sockaddr_in tmp;
	socklen_t l = sizeof(tmp);
	ssize_t n;

	do
		n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&tmp, &l);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (from)
		*from = tmp;
	return n;
}

int sock_set_recverr(int fd)
{
	int on = 1;

	return setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof(on)) < 0 ? -errno : 0;
}

int sock_port_unreachable(int fd, const struct sockaddr_in *to)
{
	int hit = 0;

	for (;;) {
		uint8_t data[64], ctl[512];
		struct sockaddr_in dst;
		struct iovec iov = { data, sizeof(data) };
		struct msghdr mh = { .msg_name = &dst, .msg_namelen = sizeof(dst), .msg_iov = &iov,
				     .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
		struct cmsghdr *c;

		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return hit;   /* EAGAIN: drained */
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct sock_extended_err ee;

			if (c->cmsg_level != SOL_IP || c->cmsg_type != IP_RECVERR)
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin == SO_EE_ORIGIN_ICMP && ee.ee_type == 3 && ee.ee_code == 3 &&
			    mh.msg_namelen >= sizeof(dst) && sock_addr_eq(&dst, to))
				hit = 1;
		}
	}
}

static int iface_usable(const struct ifaddrs *i, const char *ifname)
{
	if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
		return 0;
	if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
		return 0;
	return !ifname || !*ifname || !strcmp(i->ifa_name, ifname);
}

int sock_bcast_list(struct in_addr *out, int max, const char *ifname)
{
	struct ifaddrs *ifa, *i;
	int n = 0;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i && n < max; i = i->ifa_next) {
		if (!iface_usable(i, ifname) || !(i->ifa_flags & IFF_BROADCAST) || !i->ifa_broadaddr)
			continue;
		out[n++] = ((const struct sockaddr_in *)i->ifa_broadaddr)->sin_addr;
	}
	freeifaddrs(ifa);
	return n;
}

int sock_iface_addr(const char *ifname, struct in_addr *out)
{
	struct ifaddrs *ifa, *i;
	int r = -ENOENT;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (iface_usable(i, ifname)) {
			*out = ((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
			r = 0;
			break;
		}
	}
	freeifaddrs(ifa);
	return r;
}

int sock_random_id(int32_t *cid, uint32_t *seed)
{
	uint32_t r[2];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return errno ? -errno : -EIO;
	*cid = (int32_t)(r[0] & 0x7fffffff);
	if (!*cid)
		*cid = 1;
	*seed = r[1];
	return 0;
}
