/* hostile-cam: a Baichuan TCP camera that logs the client in correctly (the simulator's
 * protocol code, sim_proto) and then attacks it, one attack per connection, in the order
 * given:
 *
 *   good      a valid 320x180 H.264 stream at --fps (recovery check between attacks)
 *   oversize  BC headers with body_len 0xfffffff0 and max+1, back to back
 *   magic     repeated BC magic with absurd lengths at full speed (issue 9 item 22)
 *   endless   valid messages of an unknown id, nonstop, no video
 *   huge      valid messages of ~4 MiB of junk each, nonstop
 *   xmlbomb   battery pushes (msg 252) whose XML is an entity-expansion bomb
 *   media     msg-3 media with absurd BcMedia sizes (frame 0x7ffffff0, 7 MiB junk frames,
 *             info 4294967295x4294967295, additional_len 65535)
 *   flip      valid video that switches codec (H.264/H.265) and size every second
 *   fields    BC framing intact, every header field and body random
 *   garbage   random bytes
 *   flood     (no connection) junk datagrams at full speed to --flood-host ports lo-hi
 *
 * After the list it serves "good" until killed.  One line per connection on stdout:
 *   entry N NAME: streaming after X ms, ended by bridge|tool after Y ms, Z bytes, T0_US T1_US
 * (monotonic µs of the attack's start and end).  --silent-version: never answer msg 80.
 * --rate KB: the byte attacks (oversize, magic, fields, garbage) send KB kilobytes a second
 * instead of as fast as the bridge reads (to measure its CPU at a given rate). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bc/bc_header.h"
#include "bc/bc_msg.h"
#include "bc/bcmedia.h"
#include "media/tpenc.h"
#include "net/udpsock.h"
#include "sim/sim_msgs.h"
#include "sim/sim_proto.h"
#include "util/clock.h"

#define CHUNK (64u << 10)
#define MAX_ENTRIES 64

struct conn {
	int fd;
	int dead;                    /* the bridge closed or reset the connection */
	int streaming;
	int want_key;
	int silent_version;
	uint64_t bytes;
	struct sim_proto p;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rate_bps;   /* 0 = unpaced */

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fill_rnd(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* --rate: sleep until `sent` bytes are due since t0 */
static void pace(uint64_t t0, uint64_t sent)
{
	uint64_t due, now = clock_mono_us();

	if (!rate_bps)
		return;
	due = t0 + sent * 1000000u / rate_bps;
	if (due > now)
		usleep((useconds_t)(due - now < 100000 ? due - now : 100000));
}

/* Writes everything within 2 s (a bridge that stops reading is an answer too). */
static int write_all(struct conn *c, const uint8_t *p, size_t n)
{
	uint64_t until = clock_mono_us() + 2000000;

	while (n && !c->dead) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			c->bytes += (uint64_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			c->dead = 1;
			return -errno;
		}
		if (clock_mono_us() > until)
			return -ETIMEDOUT;
		struct pollfd pf = { .fd = c->fd, .events = POLLOUT };
		(void)poll(&pf, 1, 20);
	}
	return 0;
}

static int c_send(void *op, const uint8_t *msg, size_t len)
{
	struct conn *c = op;

	if (c->silent_version && len >= 8 && rd_le32(msg + 4) == 80)
		return 0;   /* a camera that never answers VersionInfo */
	return write_all(c, msg, len) == -ETIMEDOUT ? -ENOBUFS : 0;
}

static int c_fits(void *op, size_t n, size_t bytes) { (void)op; (void)n; (void)bytes; return 1; }
static void c_stream(void *op, int idx, int on) { struct conn *c = op; if (idx == 0) c->streaming = on; }
static void c_want_key(void *op, int idx) { struct conn *c = op; (void)idx; c->want_key = 1; }
static void c_logout(void *op) { struct conn *c = op; c->dead = 1; }
static void c_frame(void *op, int idx, const struct sim_au *au, size_t b) { (void)op; (void)idx; (void)au; (void)b; }

static const struct sim_proto_ops ops = { c_send, c_fits, c_stream, c_want_key, c_logout, c_frame };

/* Reads what the bridge sent (pings, logout); marks the connection dead on EOF/error. */
static void pump_input(struct conn *c, int wait_ms)
{
	uint8_t buf[16384];
	struct pollfd pf = { .fd = c->fd, .events = POLLIN };

	if (poll(&pf, 1, wait_ms) <= 0)
		return;
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		c->dead = 1;
		return;
	}
	if (n > 0 && sim_proto_input(&c->p, buf, (size_t)n, clock_mono_us()) < 0)
		c->dead = 1;
	sim_proto_tick(&c->p, clock_mono_us());
}

/* ---- video ------------------------------------------------------------------------------ */

struct video {
	struct tpenc *enc;
	int codec, w, h;
	uint32_t counter;
	uint64_t next_us;
};

static int video_frame(struct conn *c, struct video *v, int fps, int codec, int w, int h)
{
	const uint8_t *au;
	size_t len;
	int key;
	struct sim_au a;

	if (!v->enc || v->codec != codec || v->w != w || v->h != h) {
		tpenc_free(v->enc);
		if (tpenc_open(codec, w, h, fps, fps, &v->enc) < 0) {
			v->enc = NULL;
			return -1;
		}
		v->codec = codec;
		v->w = w;
		v->h = h;
		sim_proto_set_codec(&c->p, 0, codec == DEC_H265);
	}
	if (c->want_key) {
		tpenc_force_keyframe(v->enc);
		c->want_key = 0;
	}
	if (tpenc_next(v->enc, v->counter++, &au, &len, &key) != 1)
		return -1;
	a = (struct sim_au){ .kind = SIM_AU_VIDEO, .counter = v->counter - 1, .keyframe = key,
			     .t_us = clock_mono_us(), .data = au, .len = len };
	sim_proto_media(&c->p, 0, &a, time(NULL));
	return 0;
}

/* ---- attacks ---------------------------------------------------------------------------- */

static void put_hdr(uint8_t *h, uint32_t msg_id, uint32_t body_len, uint16_t num, uint16_t rc,
		    uint16_t cls, uint32_t poff)
{
	wr_le32(h, BC_MAGIC);
	wr_le32(h + 4, msg_id);
	wr_le32(h + 8, body_len);
	h[12] = 0;
	h[13] = 0;
	wr_le16(h + 14, num);
	wr_le16(h + 16, rc);
	wr_le16(h + 18, cls);
	wr_le32(h + 20, poff);
}

/* One message with the session's encryption. */
static void send_msg(struct conn *c, uint32_t msg_id, const void *payload, size_t len)
{
	struct bc_msg m;
	struct sbuf out;

	sbuf_init(&out, 8u << 20);
	bc_msg_request(&m, msg_id, (uint16_t)rnd(), 0);
	m.hdr.response_code = 200;
	m.payload = payload;
	m.payload_len = len;
	if (bc_msg_encode(&m, &c->p.tx, &out) > 0)
		(void)write_all(c, out.data, out.len);
	sbuf_free(&out);
}

/* BcMedia bytes wrapped into the running stream's msg-3 messages (binary, not encrypted). */
static void send_media(struct conn *c, const uint8_t *media, size_t len)
{
	struct sbuf out;

	sbuf_init(&out, 32u << 20);
	if (sim_media_msgs(&out, &c->p.st[0].tmpl, media, len, 40000, 1) > 0)
		(void)write_all(c, out.data, out.len);
	sbuf_free(&out);
}

static const char XML_BOMB[] =
	"<?xml version=\"1.0\"?>\n<!DOCTYPE b [\n"
	"<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
	"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
	"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
	"<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
	"<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
	"<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
	"<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
	"]>\n<body><BatteryList version=\"1.1\"><BatteryInfo channelId=\"0\">"
	"<chargeStatus>&g;</chargeStatus><batteryPercent>&g;</batteryPercent>"
	"</BatteryInfo></BatteryList></body>\n";

static void attack_step(struct conn *c, const char *name, struct video *v, int fps,
			uint64_t t0)
{
	static uint8_t buf[CHUNK];
	uint64_t now = clock_mono_us();

	pace(t0, c->bytes);
	if (!strcmp(name, "good") || !strcmp(name, "flip")) {
		if (now < v->next_us)
			return;
		v->next_us = (v->next_us ? v->next_us : now) + 1000000u / (unsigned)fps;
		if (!strcmp(name, "good")) {
			video_frame(c, v, fps, DEC_H264, 320, 180);
		} else {
			static const int sz[][2] = { { 320, 180 }, { 640, 360 }, { 176, 144 }, { 480, 270 } };
			unsigned k = (unsigned)((now - t0) / 1000000u);
			video_frame(c, v, fps, k & 1 ? DEC_H265 : DEC_H264, sz[k % 4][0], sz[k % 4][1]);
		}
	} else if (!strcmp(name, "oversize")) {
		for (size_t i = 0; i + 24 <= sizeof(buf); i += 24)
			put_hdr(buf + i, 3, i & 24 ? 0xfffffff0u : (4u << 20) + 1, 0, 200, 0x6414, 0);
		(void)write_all(c, buf, sizeof(buf));
	} else if (!strcmp(name, "magic")) {
		for (size_t i = 0; i + 24 <= sizeof(buf); i += 24) {
			memset(buf + i, 0xa0, 24);
			wr_le32(buf + i, BC_MAGIC);
			wr_le32(buf + i + 8, 0xfffffff0u);
		}
		(void)write_all(c, buf, sizeof(buf));
	} else if (!strcmp(name, "endless")) {
		fill_rnd(buf, 1000);
		send_msg(c, 1234, buf, 1000);
	} else if (!strcmp(name, "huge")) {
		static uint8_t big[(4u << 20) - 64];
		fill_rnd(big, 4096);
		send_msg(c, 4321, big, sizeof(big));
	} else if (!strcmp(name, "xmlbomb")) {
		send_msg(c, 252, XML_BOMB, sizeof(XML_BOMB) - 1);
		pump_input(c, 50);
	} else if (!strcmp(name, "media")) {
		static uint8_t m[(7u << 20) + 256];
		size_t n = 0;
		/* an info packet 4294967295 x 4294967295 at 255 fps */
		wr_le32(m, BCMEDIA_MAGIC_INFO_V1);
		wr_le32(m + 4, BCMEDIA_INFO_LEN);
		wr_le32(m + 8, 0xffffffffu);
		wr_le32(m + 12, 0xffffffffu);
		m[17] = 255;
		n = BCMEDIA_INFO_LEN;
		/* an I-frame claiming 0x7ffffff0 bytes, then one with additional_len 65535 */
		memcpy(m + n, "00dcH264", 8);
		wr_le32(m + n + 8, 0x7ffffff0u);
		wr_le32(m + n + 12, 0);
		n += 24;
		memcpy(m + n, "01dcH265", 8);
		wr_le32(m + n + 8, 64);
		wr_le32(m + n + 12, 0xffffu);
		n += 24;
		/* a 7 MiB P-frame of junk (under the parser's 8 MiB limit): the decoder eats it */
		memcpy(m + n, "01dcH264", 8);
		wr_le32(m + n + 8, 7u << 20);
		wr_le32(m + n + 12, 0);
		n += 24;
		fill_rnd(m + n, 7u << 20);
		m[n] = 0; m[n + 1] = 0; m[n + 2] = 0; m[n + 3] = 1;
		n += 7u << 20;
		send_media(c, m, n);
		pump_input(c, 20);
	} else if (!strcmp(name, "fields")) {
		static const uint16_t cls[] = { 0x6414, 0x6614, 0x6514, 0x0000, 0x6482, 0x1234 };
		size_t n = 0;
		while (n + 24 + 2048 < sizeof(buf)) {
			uint32_t body = (uint32_t)(rnd() % 2048);
			put_hdr(buf + n, (uint32_t)rnd() % 400, body, (uint16_t)rnd(), (uint16_t)rnd(),
				cls[rnd() % 6], (uint32_t)(rnd() % (body + 1)));
			uint16_t cl = rd_le16(buf + n + 18);
			size_t hl = bc_header_len(cl);
			fill_rnd(buf + n + hl, body);
			n += hl + body;
		}
		(void)write_all(c, buf, n);
	} else if (!strcmp(name, "garbage")) {
		fill_rnd(buf, sizeof(buf));
		(void)write_all(c, buf, sizeof(buf));
	}
}

/* ---- connections ------------------------------------------------------------------------ */

static int run_entry(int lfd, int n, const char *name, struct sim_cfg *cfg, int fps,
		     unsigned secs, int silent_version)
{
	struct sim_cam_state cam = { .battery = 80 };
	struct video v = { 0 };
	struct conn c = { .silent_version = silent_version };
	struct pollfd pf = { .fd = lfd, .events = POLLIN };
	uint64_t t_acc, t0, t1;

	if (poll(&pf, 1, 120000) != 1)
		return -ETIMEDOUT;
	c.fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c.fd < 0)
		return -errno;
	t_acc = clock_mono_us();
	if (sim_proto_init(&c.p, cfg, &cam, 0, &ops, &c) < 0) {
		close(c.fd);
		return -ENOMEM;
	}
	while (!c.dead && !c.streaming && clock_mono_us() - t_acc < 15000000)
		pump_input(&c, 50);
	t0 = clock_mono_us();
	if (!c.streaming) {
		printf("entry %d %s: no video request (%s)\n", n, name, c.dead ? "closed" : "timeout");
	} else {
		while (!c.dead && (secs == 0 || clock_mono_us() - t0 < (uint64_t)secs * 1000000u)) {
			attack_step(&c, name, &v, fps, t0);
			pump_input(&c, 0);
			if (!strcmp(name, "good") || !strcmp(name, "flip"))
				pump_input(&c, 5);
		}
	}
	t1 = clock_mono_us();
	printf("entry %d %s: streaming after %llu ms, ended by %s after %llu ms, %llu bytes, %llu %llu\n",
	       n, name, (unsigned long long)((t0 - t_acc) / 1000), c.dead ? "bridge" : "tool",
	       (unsigned long long)((t1 - t0) / 1000), (unsigned long long)c.bytes,
	       (unsigned long long)t0, (unsigned long long)t1);
	fflush(stdout);
	tpenc_free(v.enc);
	sim_proto_free(&c.p);
	close(c.fd);
	return 0;
}

/* Junk datagrams (half with a BcUdp magic) to every port of [lo, hi] for secs seconds. */
static int flood(const char *host, int lo, int hi, unsigned secs)
{
	uint8_t d[1400];
	struct sockaddr_in to;
	uint64_t until = clock_mono_us() + (uint64_t)secs * 1000000u, sent = 0;
	int fd = sock_udp_open(NULL, 0, SOCK_F_NONBLOCK, NULL);

	if (fd < 0 || sock_addr(&to, host, 0) < 0)
		return -EINVAL;
	while (clock_mono_us() < until) {
		for (int p = lo; p <= hi; p++) {
			size_t n = 20 + rnd() % (sizeof(d) - 20);
			fill_rnd(d, n);
			if (p & 1)
				wr_le32(d, 0x2a87cf10u - (uint32_t)(rnd() % 2) * 0x10u);
			to.sin_port = htons((uint16_t)p);
			if (sock_sendto(fd, d, n, &to) > 0)
				sent++;
		}
		usleep(200);
	}
	printf("flood: %llu datagrams to %s:%d-%d\n", (unsigned long long)sent, host, lo, hi);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sim_cfg cfg;
	const char *entries[MAX_ENTRIES];
	char list[1024] = "good", *tok, *save = NULL;
	int n_entries = 0, port = 0, fps = 15, silent_version = 0, lfd, lo = 0, hi = 0, one = 1;
	unsigned secs = 4;
	const char *flood_host = NULL;
	struct sockaddr_in a;

	signal(SIGPIPE, SIG_IGN);
	sim_cfg_defaults(&cfg);
	cfg.max_enc = BC_ENC_AES;
	snprintf(cfg.user, sizeof(cfg.user), "admin");
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(argv[i], "--port")) port = atoi(v), i++;
		else if (!strcmp(argv[i], "--password")) snprintf(cfg.password, sizeof(cfg.password), "%s", v), i++;
		else if (!strcmp(argv[i], "--attacks")) snprintf(list, sizeof(list), "%s", v), i++;
		else if (!strcmp(argv[i], "--seconds")) secs = (unsigned)atoi(v), i++;
		else if (!strcmp(argv[i], "--fps")) fps = atoi(v) > 0 ? atoi(v) : 15, i++;
		else if (!strcmp(argv[i], "--seed")) rng_state = strtoull(v, NULL, 0), i++;
		else if (!strcmp(argv[i], "--rate")) rate_bps = strtoull(v, NULL, 0) * 1000u, i++;
		else if (!strcmp(argv[i], "--silent-version")) silent_version = 1;
		else if (!strcmp(argv[i], "--flood-host")) flood_host = v, i++;
		else if (!strcmp(argv[i], "--flood-ports")) sscanf(v, "%d-%d", &lo, &hi), i++;
		else {
			fprintf(stderr, "usage: hostile-cam --port P [--password PW] [--attacks a,b,..] "
				"[--seconds N] [--fps N] [--silent-version] [--seed N]\n"
				"       hostile-cam --flood-host IP --flood-ports LO-HI [--seconds N]\n");
			return 2;
		}
	}
	if (flood_host)
		return flood(flood_host, lo, hi > lo ? hi : lo, secs) < 0;
	for (tok = strtok_r(list, ",", &save); tok && n_entries < MAX_ENTRIES;
	     tok = strtok_r(NULL, ",", &save))
		entries[n_entries++] = tok;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sock_addr(&a, "127.0.0.1", (uint16_t)port) < 0 ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 4) < 0) {
		perror("hostile-cam: listen");
		return 1;
	}
	printf("hostile-cam ready on port %d\n", port);
	fflush(stdout);
	for (int i = 0;; i++) {
		const char *name = i < n_entries ? entries[i] : "good";
		if (run_entry(lfd, i, name, &cfg, fps, i < n_entries ? secs : 0, silent_version) < 0)
			break;
	}
	close(lfd);
	return 0;
}
