/* Helpers of the HTTP sidecar tests (tests/unit/test_http*.c): a hub with a producer and a
 * server, curl(1) for ordinary requests, raw sockets for the MJPEG reader and the attacks
 * (tests may read raw bytes; the product parses no HTTP itself). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <turbojpeg.h>

#include "httptest.h"
#include "media/marker.h"
#include "hub/status.h"
#include "util/clock.h"
#include "testutil.h"

/* ---- fixture: hub + status + ht_producer + server ----------------------------------------- */


void ht_publish(struct ht_fx *x)
{
	struct frame *f = hub_get_free(x->hub);

	if (!f)
		return;
	memset(f->data, 90, (size_t)W * H);
	memset(f->data + W * H, 128, (size_t)W * H / 2);
	marker_draw_i420(f->data, W, H, x->counter);
	f->marker = x->counter;
	f->placeholder = 0;
	f->full_range = 0;
	x->counter++;
	hub_publish(x->hub, f);
	STATUS_UPDATE(&x->st, cs->last_frame_mono_us = clock_mono_us(); cs->frames_out++;);
	__atomic_add_fetch(&x->published, 1, __ATOMIC_RELAXED);
}

static void *ht_producer(void *arg)
{
	struct ht_fx *x = arg;

	while (!__atomic_load_n(&x->prod_stop, __ATOMIC_RELAXED)) {
		ht_publish(x);
		clock_sleep_us(1000000u / (unsigned)x->fps);
	}
	return NULL;
}

void ht_start_producer(struct ht_fx *x, int fps)
{
	x->fps = fps;
	__atomic_store_n(&x->prod_stop, 0, __ATOMIC_RELAXED);
	assert_int_equal(pthread_create(&x->prod, NULL, ht_producer, x), 0);
	x->prod_running = 1;
}

void ht_stop_producer(struct ht_fx *x)
{
	if (!x->prod_running)
		return;
	__atomic_store_n(&x->prod_stop, 1, __ATOMIC_RELAXED);
	pthread_join(x->prod, NULL);
	x->prod_running = 0;
}

struct ht_fx *ht_fx_new(const struct http_opts *extra)
{
	struct ht_fx *x = calloc(1, sizeof(*x));
	struct http_opts o = { .listen = "127.0.0.1:0", .camera_name = CAM, .version = "9.9-test",
			       .max_connections = 32, .timeout_s = 10 };

	assert_non_null(x);
	if (extra) {
		o = *extra;
		if (!o.listen)
			o.listen = "127.0.0.1:0";
		if (!o.camera_name)
			o.camera_name = CAM;
	}
	x->counter = 1000;
	x->hub = hub_new(W, H, 8);
	assert_non_null(x->hub);
	status_init(&x->st, CAM);
	assert_int_equal(http_server_start(&o, x->hub, &x->st, &x->srv), 0);
	x->port = http_server_port(x->srv);
	assert_true(x->port > 0);
	return x;
}

void ht_fx_free(struct ht_fx *x)
{
	ht_stop_producer(x);
	http_server_stop(x->srv);
	hub_free(x->hub);
	status_destroy(&x->st);
	free(x);
}


/* curl: returns the HTTP status; the body goes to *body (malloc'd), headers to *hdrs. */
int ht_curl(int port, const char *path, const char *extra, uint8_t **body,
		    size_t *blen, char **hdrs)
{
	char bf[] = "/tmp/test_http_bodyXXXXXX", hf[] = "/tmp/test_http_hdrXXXXXX";
	char cmd[1024];
	int code = -1, fd;

	fd = mkstemp(bf);
	close(fd);
	fd = mkstemp(hf);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "curl -s -m 10 %s -D %s -o %s -w '%%{http_code}' 'http://127.0.0.1:%d%s'",
		 extra ? extra : "", hf, bf, port, path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	if (fscanf(p, "%d", &code) != 1)
		code = -1;
	pclose(p);
	size_t n = 0;
	uint8_t *b = tu_read_file(bf, &n);
	if (body)
		*body = b;
	else
		free(b);
	if (blen)
		*blen = n;
	size_t hn = 0;
	char *h = (char *)tu_read_file(hf, &hn);
	if (h) {
		char *t = realloc(h, hn + 1);
		if (t) {
			h = t;
			h[hn] = 0;
		}
	}
	if (hdrs)
		*hdrs = h;
	else
		free(h);
	unlink(bf);
	unlink(hf);
	return code;
}

int ht_connect_from(int port, const char *src)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	if (src) {
		struct sockaddr_in b = { .sin_family = AF_INET };
		assert_int_equal(inet_pton(AF_INET, src, &b.sin_addr), 1);
		assert_int_equal(bind(fd, (struct sockaddr *)&b, sizeof(b)), 0);
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int ht_connect(int port)
{
	return ht_connect_from(port, NULL);
}

static void set_rcvtimeo(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

int ht_get_timed(int port, const char *path, int timeout_ms, uint64_t *us)
{
	uint64_t t0 = clock_mono_us();
	char req[256], buf[64];
	int fd = ht_connect(port), code = -1;
	size_t n = 0;

	*us = 0;
	if (fd < 0)
		return -1;
	set_rcvtimeo(fd, timeout_ms);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	if (ht_send_all(fd, req, strlen(req)) == 0) {
		while (n < 12) {
			ssize_t k = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
			if (k <= 0)
				break;
			n += (size_t)k;
		}
		buf[n] = 0;
		if (n >= 12 && !strncmp(buf, "HTTP/1.", 7))
			code = atoi(buf + 9);
	}
	*us = clock_mono_us() - t0;
	close(fd);
	return code;
}

int ht_wait_closed(int fd, int timeout_ms)
{
	uint64_t end = clock_mono_us() + (uint64_t)timeout_ms * 1000u;
	char buf[4096];

	set_rcvtimeo(fd, 100);
	while (clock_mono_us() < end) {
		ssize_t k = recv(fd, buf, sizeof(buf), 0);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return 1;
	}
	return 0;
}

int ht_send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}


static int ht_rd_fill(struct ht_rd *r)
{
	if (r->pos == r->len) {
		r->pos = r->len = 0;
		ssize_t n = recv(r->fd, r->buf, sizeof(r->buf), 0);
		if (n <= 0)
			return -1;
		r->len = (size_t)n;
	}
	return 0;
}

int ht_rd_line(struct ht_rd *r, char *out, size_t max)
{
	size_t n = 0;

	for (;;) {
		if (ht_rd_fill(r) < 0)
			return -1;
		char c = (char)r->buf[r->pos++];
		if (c == '\n')
			break;
		if (n + 1 < max)
			out[n++] = c;
	}
	if (n && out[n - 1] == '\r')
		n--;
	out[n] = 0;
	return (int)n;
}

int ht_rd_exact(struct ht_rd *r, uint8_t *out, size_t n)
{
	while (n) {
		if (ht_rd_fill(r) < 0)
			return -1;
		size_t k = r->len - r->pos < n ? r->len - r->pos : n;
		memcpy(out, r->buf + r->pos, k);
		r->pos += k;
		out += k;
		n -= k;
	}
	return 0;
}

/* Luma of a JPEG (tjDecompress2 to grey) and its size; NULL when it does not decode. */
uint8_t *ht_jpeg_luma(const uint8_t *j, size_t n, int *w, int *h)
{
	tjhandle t = tjInitDecompress();
	int ss, cs;
	uint8_t *y = NULL;

	if (tjDecompressHeader3(t, j, (unsigned long)n, w, h, &ss, &cs) == 0) {
		y = malloc((size_t)*w * *h);
		if (tjDecompress2(t, j, (unsigned long)n, y, *w, *w, *h, TJPF_GRAY, 0) != 0) {
			free(y);
			y = NULL;
		}
	}
	tjDestroy(t);
	return y;
}

int64_t ht_jpeg_marker(const uint8_t *j, size_t n, int *w, int *h)
{
	int ww, hh;
	uint8_t *y = ht_jpeg_luma(j, n, &ww, &hh);
	int64_t m;

	if (!y)
		return -2;
	m = marker_read(y, ww, ww, hh);
	free(y);
	if (w)
		*w = ww;
	if (h)
		*h = hh;
	return m;
}


int ht_stream_open(struct ht_rd *r, int port, const char *path, char *ctype, size_t ctlen)
{
	char req[256], line[1024];

	r->fd = ht_connect(port);
	r->pos = r->len = 0;
	if (r->fd < 0)
		return -1;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n", path);
	if (ht_send_all(r->fd, req, strlen(req)) < 0 || ht_rd_line(r, line, sizeof(line)) < 0)
		return -1;
	if (strncmp(line, "HTTP/1.1 200", 12) && strncmp(line, "HTTP/1.0 200", 12))
		return -1;
	ctype[0] = 0;
	while (ht_rd_line(r, line, sizeof(line)) > 0)
		if (!strncasecmp(line, "Content-Type:", 13))
			snprintf(ctype, ctlen, "%s", line + 13 + strspn(line + 13, " "));
	return 0;
}

/* Reads one part; 0 ok, else sets why. */
int ht_stream_part(struct ht_rd *r, int64_t *marker, char *why, size_t wl)
{
	char line[1024];
	long clen = -1;
	int ts = 0, ct = 0;

	if (ht_rd_line(r, line, sizeof(line)) < 0) {
		snprintf(why, wl, "eof before boundary");
		return -1;
	}
	if (strcmp(line, "--cambridgeframe")) {
		snprintf(why, wl, "bad boundary line '%.60s'", line);
		return -1;
	}
	for (;;) {
		if (ht_rd_line(r, line, sizeof(line)) < 0) {
			snprintf(why, wl, "eof in part headers");
			return -1;
		}
		if (!line[0])
			break;
		if (!strncasecmp(line, "Content-Length:", 15))
			clen = strtol(line + 15, NULL, 10);
		else if (!strcasecmp(line, "Content-Type: image/jpeg"))
			ct = 1;
		else if (!strncasecmp(line, "X-Timestamp:", 12) && strtod(line + 12, NULL) > 1.6e9)
			ts = 1;
	}
	if (clen <= 0 || clen > 4 << 20 || !ct || !ts) {
		snprintf(why, wl, "part headers: len %ld ct %d ts %d", clen, ct, ts);
		return -1;
	}
	uint8_t *j = malloc((size_t)clen + 2);
	if (ht_rd_exact(r, j, (size_t)clen + 2) < 0) {
		free(j);
		snprintf(why, wl, "eof in part body");
		return -1;
	}
	if (j[clen] != '\r' || j[clen + 1] != '\n' || j[0] != 0xff || j[1] != 0xd8 ||
	    j[clen - 2] != 0xff || j[clen - 1] != 0xd9) {
		free(j);
		snprintf(why, wl, "Content-Length does not frame the JPEG exactly");
		return -1;
	}
	*marker = ht_jpeg_marker(j, (size_t)clen, NULL, NULL);
	free(j);
	if (*marker < 0) {
		snprintf(why, wl, "part does not decode or has no marker (%lld)", (long long)*marker);
		return -1;
	}
	return 0;
}

void *ht_viewer_main(void *arg)
{
	struct ht_viewer *v = arg;
	struct ht_rd *r = malloc(sizeof(*r));
	char ct[256];

	if (ht_stream_open(r, v->port, v->path, ct, sizeof(ct)) < 0) {
		v->failed = 1;
		snprintf(v->why, sizeof(v->why), "stream open failed");
		goto out;
	}
	if (strcmp(ct, "multipart/x-mixed-replace;boundary=cambridgeframe")) {
		v->failed = 1;
		snprintf(v->why, sizeof(v->why), "content-type '%.100s'", ct);
		goto out;
	}
	while (v->got < v->want) {
		int64_t m;
		if (ht_stream_part(r, &m, v->why, sizeof(v->why)) < 0) {
			v->failed = 1;
			break;
		}
		v->markers[v->got++] = m;
	}
out:
	v->t_end = clock_mono_us();
	if (r->fd >= 0)
		close(r->fd);
	free(r);
	return NULL;
}

void ht_check_viewer(const struct ht_viewer *v)
{
	if (v->failed)
		fail_msg("viewer: %s (after %d parts)", v->why, v->got);
	assert_int_equal(v->got, v->want);
	for (int i = 1; i < v->got; i++)
		if (v->markers[i] < v->markers[i - 1])
			fail_msg("marker went back: %lld after %lld", (long long)v->markers[i],
				 (long long)v->markers[i - 1]);
}

int ht_count_distinct(const struct ht_viewer *v)
{
	int n = v->got ? 1 : 0;

	for (int i = 1; i < v->got; i++)
		n += v->markers[i] != v->markers[i - 1];
	return n;
}

/* ---- tests --------------------------------------------------------------------------- */