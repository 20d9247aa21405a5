/* Small UDP/IPv4 socket helpers: open (bind, broadcast, nonblocking, close-on-exec), send and
 * receive with addresses, and the interfaces' broadcast addresses.  All return -errno. */
#ifndef CB_NET_UDPSOCK_H
#define CB_NET_UDPSOCK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SOCK_MAX_BCAST 16            /* broadcast addresses collected from interfaces */
#define SOCK_ADDR_STR  24            /* "255.255.255.255:65535" + NUL */

/* sock_udp_open flags */
#define SOCK_F_BROADCAST 1u            /* SO_BROADCAST */
#define SOCK_F_NONBLOCK  2u
#define SOCK_F_REUSEADDR 4u

/* Opens an AF_INET UDP socket (always close-on-exec) bound to bind_ip:port ("" or NULL =
 * 0.0.0.0, port 0 = ephemeral); ifname ("" = any) binds to a device (SO_BINDTODEVICE, needs
 * CAP_NET_RAW).  Returns the fd or -errno (-EINVAL for a bad address). */
int sock_udp_open(const char *bind_ip, uint16_t port, unsigned flags, const char *ifname);
/* Same, trying ports in [lo, hi] starting at a pseudo-random one (neolink binds 53500–53999). */
int sock_udp_open_range(const char *bind_ip, uint16_t lo, uint16_t hi, unsigned flags,
			const char *ifname, uint32_t seed);
int sock_set_broadcast(int fd, int on);
/* Local port of a bound socket, or -errno. */
int sock_local_port(int fd);

/* One datagram: bytes sent/received or -errno (-EAGAIN when a nonblocking socket is empty);
 * EINTR is retried. */
ssize_t sock_sendto(int fd, const void *buf, size_t len, const struct sockaddr_in *to);
ssize_t sock_recvfrom(int fd, void *buf, size_t cap, struct sockaddr_in *from);

/* Queue ICMP errors for datagrams this socket sent (IP_RECVERR): 0 or -errno. */
int sock_set_recverr(int fd);
/* Drains the socket's error queue: 1 if an ICMP "port unreachable" came back for a datagram
 * sent to `to` (nobody listens there any more), else 0. */
int sock_port_unreachable(int fd, const struct sockaddr_in *to);

/* A fresh connection id (random, positive 31-bit) and a random seed for tids, from
 * getrandom(): 0 or -errno. */
int sock_random_id(int32_t *cid, uint32_t *seed);

/* "a.b.c.d" + port → address; 0 or -EINVAL. */
int sock_addr(struct sockaddr_in *a, const char *ip, uint16_t port);
/* "a.b.c.d:port" into buf[SOCK_ADDR_STR]; returns buf. */
const char *sock_addr_str(const struct sockaddr_in *a, char *buf);
int sock_addr_eq(const struct sockaddr_in *a, const struct sockaddr_in *b);

/* IPv4 broadcast addresses of the interfaces that are up, not loopback and have
 * IFF_BROADCAST (only `ifname` when not NULL/""): count written to out[max], or -errno. */
int sock_bcast_list(struct in_addr *out, int max, const char *ifname);
/* First IPv4 address of `ifname` (NULL/"" = first non-loopback interface): 0 or -ENOENT. */
int sock_iface_addr(const char *ifname, struct in_addr *out);

#endif
