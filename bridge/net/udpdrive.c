#include "net/udpdrive.h"
#include "net/udpsock.h"
#include "util/clock.h"

#include <errno.h>
#include <poll.h>

int udp_drive(int fd, const struct udp_machine *um, int *send_err)
{
	uint8_t buf[4096];
	struct sockaddr_in to, from;
	int r, last_err = 0, sent_ok = 0;

	for (;;) {
		uint64_t now = clock_mono_us(), dl;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ms;

		while ((r = um->poll(um->m, now, buf, sizeof(buf), &to)) > 0) {
			ssize_t s = sock_sendto(fd, buf, (size_t)r, &to);
			if (s < 0)
				last_err = (int)s;   /* e.g. an interface or server without a route */
			else
				sent_ok = 1;
		}
		*send_err = sent_ok ? 0 : last_err;
		if (r < 0)
			return r;
		if (um->finished(um->m, now))
			return 0;
		if (um->cancel.keep_going && !um->cancel.keep_going(um->cancel.ctx))
			return -ECANCELED;
		dl = um->next_deadline(um->m, now);
		ms = dl <= now ? 0 : (int)((dl - now + 999) / 1000);
		if (um->cancel.keep_going && ms > UDP_CANCEL_SLICE_MS)
			ms = UDP_CANCEL_SLICE_MS;
		r = poll(&pfd, 1, ms);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		while ((r = (int)sock_recvfrom(fd, buf, sizeof(buf), &from)) >= 0) {
			if (um->on_datagram(um->m, buf, (size_t)r, &from, clock_mono_us()) == 1)
				break;
			/* a blocking socket: read only what poll announced */
			pfd.revents = 0;
			if (poll(&pfd, 1, 0) <= 0)
				break;
		}
		/* ECONNREFUSED: an ICMP port-unreachable from one destination, not fatal. */
		if (r < 0 && r != -EAGAIN && r != -ECONNREFUSED)
			return r;
	}
}
