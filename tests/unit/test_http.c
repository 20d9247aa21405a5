/* The HTTP sidecar against a real hub and real clients: curl(1) for ordinary requests, raw
 * sockets for the MJPEG reader and the abuse cases (tests may read raw bytes; the product
 * parses no HTTP itself). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <turbojpeg.h>
#include <libavcodec/avcodec.h>

#include "http/http.h"
#include "http/http_text.h"
#include "media/marker.h"
#include "hub/hub.h"
#include "hub/status.h"
#include "util/clock.h"
#include "util/sbuf.h"
#include "testutil.h"

#define W 320
#define H 240
#define CAM "Front"

/* ---- fixture: hub + status + producer + server ----------------------------------------- */

struct fx {
	struct hub *hub;
	struct status st;
	struct http_server *srv;
	int port;
	pthread_t prod;
	int prod_running;
	int prod_stop;            /* atomic */
	int fps;
	uint32_t counter;        /* next marker */
	uint64_t published;       /* atomic */
};

static void publish_one(struct fx *x)
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

static void *producer(void *arg)
{
	struct fx *x = arg;

	while (!__atomic_load_n(&x->prod_stop, __ATOMIC_RELAXED)) {
		publish_one(x);
		clock_sleep_us(1000000u / (unsigned)x->fps);
	}
	return NULL;
}

static void fx_start_producer(struct fx *x, int fps)
{
	x->fps = fps;
	__atomic_store_n(&x->prod_stop, 0, __ATOMIC_RELAXED);
	assert_int_equal(pthread_create(&x->prod, NULL, producer, x), 0);
	x->prod_running = 1;
}

static void fx_stop_producer(struct fx *x)
{
	if (!x->prod_running)
		return;
	__atomic_store_n(&x->prod_stop, 1, __ATOMIC_RELAXED);
	pthread_join(x->prod, NULL);
	x->prod_running = 0;
}

static struct fx *fx_new(const struct http_opts *extra)
{
	struct fx *x = calloc(1, sizeof(*x));
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

static void fx_free(struct fx *x)
{
	fx_stop_producer(x);
	http_server_stop(x->srv);
	hub_free(x->hub);
	status_destroy(&x->st);
	free(x);
}

/* ---- clients ------------------------------------------------------------------------- */

/* curl: returns the HTTP status; the body goes to *body (malloc'd), headers to *hdrs. */
static int curl_get(int port, const char *path, const char *extra, uint8_t **body,
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

static int tcp_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const void *p, size_t n)
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

/* Buffered reader over a socket. */
struct rd {
	int fd;
	uint8_t buf[65536];
	size_t pos, len;
};

static int rd_fill(struct rd *r)
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

static int rd_line(struct rd *r, char *out, size_t max)
{
	size_t n = 0;

	for (;;) {
		if (rd_fill(r) < 0)
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

static int rd_exact(struct rd *r, uint8_t *out, size_t n)
{
	while (n) {
		if (rd_fill(r) < 0)
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
static uint8_t *jpeg_luma(const uint8_t *j, size_t n, int *w, int *h)
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

static int64_t jpeg_marker(const uint8_t *j, size_t n, int *w, int *h)
{
	int ww, hh;
	uint8_t *y = jpeg_luma(j, n, &ww, &hh);
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

/* An MJPEG viewer on a raw socket. */
struct viewer {
	int port;
	const char *path;
	int want;                 /* parts to read */
	int got;
	int64_t markers[256];
	int failed;
	char why[160];
	uint64_t t_end;
};

static int stream_open(struct rd *r, int port, const char *path, char *ctype, size_t ctlen)
{
	char req[256], line[1024];

	r->fd = tcp_connect(port);
	r->pos = r->len = 0;
	if (r->fd < 0)
		return -1;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n", path);
	if (send_all(r->fd, req, strlen(req)) < 0 || rd_line(r, line, sizeof(line)) < 0)
		return -1;
	if (strncmp(line, "HTTP/1.1 200", 12) && strncmp(line, "HTTP/1.0 200", 12))
		return -1;
	ctype[0] = 0;
	while (rd_line(r, line, sizeof(line)) > 0)
		if (!strncasecmp(line, "Content-Type:", 13))
			snprintf(ctype, ctlen, "%s", line + 13 + strspn(line + 13, " "));
	return 0;
}

/* Reads one part; 0 ok, else sets why. */
static int stream_part(struct rd *r, int64_t *marker, char *why, size_t wl)
{
	char line[1024];
	long clen = -1;
	int ts = 0, ct = 0;

	if (rd_line(r, line, sizeof(line)) < 0) {
		snprintf(why, wl, "eof before boundary");
		return -1;
	}
	if (strcmp(line, "--cambridgeframe")) {
		snprintf(why, wl, "bad boundary line '%.60s'", line);
		return -1;
	}
	for (;;) {
		if (rd_line(r, line, sizeof(line)) < 0) {
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
	if (rd_exact(r, j, (size_t)clen + 2) < 0) {
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
	*marker = jpeg_marker(j, (size_t)clen, NULL, NULL);
	free(j);
	if (*marker < 0) {
		snprintf(why, wl, "part does not decode or has no marker (%lld)", (long long)*marker);
		return -1;
	}
	return 0;
}

static void *viewer_main(void *arg)
{
	struct viewer *v = arg;
	struct rd *r = malloc(sizeof(*r));
	char ct[256];

	if (stream_open(r, v->port, v->path, ct, sizeof(ct)) < 0) {
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
		if (stream_part(r, &m, v->why, sizeof(v->why)) < 0) {
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

static void check_viewer(const struct viewer *v)
{
	if (v->failed)
		fail_msg("viewer: %s (after %d parts)", v->why, v->got);
	assert_int_equal(v->got, v->want);
	for (int i = 1; i < v->got; i++)
		if (v->markers[i] < v->markers[i - 1])
			fail_msg("marker went back: %lld after %lld", (long long)v->markers[i],
				 (long long)v->markers[i - 1]);
}

static int count_distinct(const struct viewer *v)
{
	int n = v->got ? 1 : 0;

	for (int i = 1; i < v->got; i++)
		n += v->markers[i] != v->markers[i - 1];
	return n;
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_parse_listen(void **state)
{
	struct sockaddr_storage sa;
	socklen_t l;
	static const char *good[] = { "127.0.0.1:8080", "0.0.0.0:0", "[::]:80", "[::1]:65535",
				      "localhost:1" };
	static const char *bad[] = { "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", ":80",
				     "::1:80", "[::1]80", "host.example:80", "1.2.3.4:8x",
				     "[1.2.3.4]:80", "", "1.2.3.4:-1" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (http_parse_listen(good[i], &sa, &l) != 0)
			fail_msg("refused %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (http_parse_listen(bad[i], &sa, &l) != -EINVAL)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(http_parse_listen("[::1]:8080", &sa, &l), 0);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&sa)->sin6_port), 8080);
}

static void test_stream_markers(void **state)
{
	struct fx *x = fx_new(NULL);
	struct viewer v = { .port = x->port, .path = "/stream", .want = 25 };
	pthread_t t;

	fx_start_producer(x, 25);
	assert_int_equal(pthread_create(&t, NULL, viewer_main, &v), 0);
	pthread_join(t, NULL);
	check_viewer(&v);
	assert_true(count_distinct(&v) >= 10);
	assert_true(v.markers[v.got - 1] > v.markers[0]);
	fx_free(x);
}

static void test_one_encode_per_frame(void **state)
{
	struct fx *x = fx_new(NULL);
	struct viewer v[5];
	pthread_t t[5];

	fx_start_producer(x, 20);
	for (int i = 0; i < 5; i++) {
		v[i] = (struct viewer){ .port = x->port, .path = "/stream", .want = 30 };
		assert_int_equal(pthread_create(&t[i], NULL, viewer_main, &v[i]), 0);
	}
	for (int i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	fx_stop_producer(x);
	uint64_t enc = http_server_stream_encodes(x->srv);
	int distinct_max = 0;
	for (int i = 0; i < 5; i++) {
		check_viewer(&v[i]);
		int d = count_distinct(&v[i]);
		distinct_max = d > distinct_max ? d : distinct_max;
	}
	print_message("published %llu, encodes %llu, distinct per viewer %d\n",
		      (unsigned long long)x->published, (unsigned long long)enc, distinct_max);
	assert_true(enc >= (uint64_t)distinct_max);
	assert_true(enc <= x->published);
	fx_free(x);
}

static void test_idle_resend_and_viewers(void **state)
{
	struct fx *x = fx_new(NULL);
	struct viewer v = { .port = x->port, .path = "/stream", .want = 3 };
	pthread_t t;

	publish_one(x);    /* one frame, then the camera goes idle */
	uint64_t t0 = clock_mono_us();
	assert_int_equal(pthread_create(&t, NULL, viewer_main, &v), 0);
	/* while the viewer is open it counts as watching */
	int seen = 0;
	for (int i = 0; i < 100 && !seen; i++) {
		seen = hub_viewers(x->hub) >= 1 && http_server_stream_viewers(x->srv) == 1;
		clock_sleep_us(10000);
	}
	assert_true(seen);
	pthread_join(t, NULL);
	check_viewer(&v);
	assert_int_equal(v.markers[0], 1000);
	assert_int_equal(v.markers[2], 1000);
	/* parts 2 and 3 are the once-a-second re-sends */
	assert_true(v.t_end - t0 >= 1800000u);
	/* the viewer left while suspended: noticed within a tick, not at the next re-send */
	uint64_t t1 = clock_mono_us();
	for (int i = 0; i < 500 && http_server_stream_viewers(x->srv); i++)
		clock_sleep_us(10000);
	print_message("viewer gone after %.2f s\n", (double)(clock_mono_us() - t1) / 1e6);
	assert_int_equal(http_server_stream_viewers(x->srv), 0);
	assert_int_equal(hub_viewers(x->hub), 0);
	fx_free(x);
}

static void test_snapshots(void **state)
{
	struct fx *x = fx_new(NULL);
	uint8_t *b;
	size_t n;
	int w, h;
	char *hd;
	uint8_t *y;

	assert_int_equal(curl_get(x->port, "/snapshot.jpg", NULL, NULL, NULL, NULL), 503);
	publish_one(x);
	assert_int_equal(curl_get(x->port, "/snapshot.jpg", NULL, &b, &n, &hd), 200);
	assert_non_null(strcasestr(hd, "Content-Type: image/jpeg"));
	assert_non_null(strcasestr(hd, "X-Timestamp: "));
	free(hd);
	assert_int_equal(jpeg_marker(b, n, &w, &h), 1000);
	assert_int_equal(w, W);
	assert_int_equal(h, H);
	free(b);

	assert_int_equal(curl_get(x->port, "/snapshot.jpg?width=160&height=120", NULL, &b, &n, NULL), 200);
	assert_int_equal(jpeg_marker(b, n, &w, &h), 1000);
	assert_int_equal(w, 160);
	assert_int_equal(h, 120);
	free(b);
	assert_int_equal(curl_get(x->port, "/snapshot.jpg?width=640", NULL, &b, &n, NULL), 200);
	y = jpeg_luma(b, n, &w, &h);
	assert_non_null(y);
	free(y);
	assert_int_equal(w, 640);
	assert_int_equal(h, 480);
	free(b);
	assert_int_equal(curl_get(x->port, "/snapshot.jpg?height=100&width=333", NULL, &b, &n, NULL), 200);
	y = jpeg_luma(b, n, &w, &h);
	assert_non_null(y);
	free(y);
	assert_int_equal(w, 333);
	assert_int_equal(h, 100);
	free(b);

	static const char *bad[] = { "?width=abc", "?width=0", "?width=5000", "?width=-1",
				     "?height=4097", "?width=", "?width=1e3", "?width=4", "?width=99999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char p[64];
		snprintf(p, sizeof(p), "/snapshot.jpg%s", bad[i]);
		if (curl_get(x->port, p, NULL, NULL, NULL, NULL) != 400)
			fail_msg("%s not refused", p);
	}

	/* PNG: signature, IHDR size, and it decodes */
	assert_int_equal(curl_get(x->port, "/snapshot.png?width=160&height=120", NULL, &b, &n, &hd), 200);
	assert_non_null(strcasestr(hd, "Content-Type: image/png"));
	free(hd);
	assert_true(n > 33);
	assert_memory_equal(b, "\x89PNG\r\n\x1a\n", 8);
	assert_int_equal((b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19]), 160);
	assert_int_equal((b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23]), 120);
	{
		const AVCodec *c = avcodec_find_decoder(AV_CODEC_ID_PNG);
		AVCodecContext *cc = avcodec_alloc_context3(c);
		AVPacket *pkt = av_packet_alloc();
		AVFrame *fr = av_frame_alloc();
		assert_int_equal(avcodec_open2(cc, c, NULL), 0);
		pkt->data = b;
		pkt->size = (int)n;
		assert_int_equal(avcodec_send_packet(cc, pkt), 0);
		assert_int_equal(avcodec_receive_frame(cc, fr), 0);
		assert_int_equal(fr->width, 160);
		assert_int_equal(fr->height, 120);
		/* marker top-left cell: counter 1000 has bit 31 clear -> black */
		assert_true(fr->data[0][(fr->linesize[0]) * 3 + 3 * 2] < 40);
		av_frame_free(&fr);
		pkt->data = NULL;
		pkt->size = 0;
		av_packet_free(&pkt);
		avcodec_free_context(&cc);
	}
	free(b);
	assert_int_equal(curl_get(x->port, "/snapshot.png", NULL, &b, &n, NULL), 200);
	assert_int_equal((b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19]), W);
	free(b);
	/* a snapshot counts as watching for a while */
	for (int i = 0; i < 100 && hub_viewers(x->hub) == 0; i++)
		clock_sleep_us(10000);
	assert_int_equal(hub_viewers(x->hub), 1);
	fx_free(x);
}

static void test_status_json(void **state)
{
	struct fx *x = fx_new(NULL);
	uint8_t *b;
	size_t n;
	char *hd;

	STATUS_UPDATE(&x->st,
		cs->state = CAM_STREAMING;
		cs->battery_percent = 77;
		snprintf(cs->charge_status, sizeof(cs->charge_status), "charging");
		cs->stream_width = 2560; cs->stream_height = 1440;
		snprintf(cs->codec, sizeof(cs->codec), "h265");
		snprintf(cs->model, sizeof(cs->model), "Evil\"</script><b>\\\n\x01\xff\xc3(");
		snprintf(cs->firmware, sizeof(cs->firmware), "v3.0.0.\xe2\x82\xac");
		snprintf(cs->uid, sizeof(cs->uid), "95270000ABCDEF");
		cs->fps_in = 14.9; cs->reconnects = 3; cs->packets_lost = 11;
	);
	status_add_decode_time(&x->st, 0.003);
	assert_int_equal(curl_get(x->port, "/api/v1/status", NULL, &b, &n, &hd), 200);
	assert_non_null(strcasestr(hd, "Content-Type: application/json"));
	free(hd);
	char path[] = "/tmp/test_http_jsonXXXXXX";
	int fd = mkstemp(path);
	assert_true(write(fd, b, n) == (ssize_t)n);
	close(fd);
	free(b);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; s=json.load(open(\"%s\", encoding=\"utf-8\", errors=\"strict\"));"
		 "print(s[\"state\"], s[\"battery\"][\"percent\"], s[\"battery\"][\"charging\"],"
		 " s[\"stream\"][\"width\"], s[\"stream\"][\"height\"], s[\"stream\"][\"codec\"],"
		 " s[\"reconnects\"], s[\"packets_lost\"], s[\"camera\"][\"name\"], s[\"camera\"][\"uid\"],"
		 " ascii(s[\"camera\"][\"model\"]), s[\"camera\"][\"firmware\"].encode(\"utf-8\").hex(),"
		 " s[\"consumers\"][\"http\"], s[\"hwaccel\"])' 2>&1",
		 path);
	FILE *p = popen(cmd, "r");
	char out[512] = "";
	size_t got = fread(out, 1, sizeof(out) - 1, p);
	out[got] = 0;
	pclose(p);
	unlink(path);
	print_message("%s", out);
	assert_string_equal(out,
		"streaming 77 True 2560 1440 h265 3 11 Front 95270000ABCDEF "
		"'Evil\"</script><b>\\\\\\n\\x01\\ufffd\\ufffd(' 76332e302e302ee282ac 0 none\n");
	fx_free(x);
}

/* Strict Prometheus text 0.0.4 check of one exposition. */
static void check_prometheus(const char *text, const char *camera_label)
{
	regex_t sample, help, type;
	char fam[64][96];
	char type_of[64][16];
	int nf = 0, samples = 0;

	assert_int_equal(regcomp(&sample,
		"^([a-zA-Z_:][a-zA-Z0-9_:]*)\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\""
		"(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\")*)\\} "
		"(-?[0-9.eE+-]+|NaN|\\+Inf|-Inf)$", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&help, "^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&type, "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) "
				 "(counter|gauge|histogram|summary|untyped)$", REG_EXTENDED), 0);
	char *copy = strdup(text), *save = NULL;
	assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		regmatch_t m[8];
		if (line[0] == '#') {
			if (!regexec(&type, line, 3, m, 0)) {
				assert_true(nf < 64);
				snprintf(fam[nf], sizeof(fam[nf]), "%.*s", (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so);
				snprintf(type_of[nf], sizeof(type_of[nf]), "%.*s", (int)(m[2].rm_eo - m[2].rm_so), line + m[2].rm_so);
				for (int i = 0; i < nf; i++)
					if (!strcmp(fam[i], fam[nf]))
						fail_msg("TYPE twice: %s", line);
				if (!strcmp(type_of[nf], "counter") &&
				    (strlen(fam[nf]) < 6 || strcmp(fam[nf] + strlen(fam[nf]) - 6, "_total")))
					fail_msg("counter without _total: %s", fam[nf]);
				if (strncmp(fam[nf], "cam_bridge_", 11))
					fail_msg("name not cam_bridge_*: %s", fam[nf]);
				nf++;
			} else if (regexec(&help, line, 2, m, 0)) {
				fail_msg("bad comment line: %s", line);
			}
			continue;
		}
		if (regexec(&sample, line, 8, m, 0))
			fail_msg("bad sample line: %s", line);
		char name[96];
		snprintf(name, sizeof(name), "%.*s", (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so);
		/* the sample's family must have had its TYPE already, and be the latest one */
		assert_true(nf > 0);
		const char *f = fam[nf - 1];
		size_t fl = strlen(f);
		int ok = !strcmp(name, f);
		if (!strcmp(type_of[nf - 1], "histogram"))
			ok = !strncmp(name, f, fl) && (!strcmp(name + fl, "_bucket") ||
				!strcmp(name + fl, "_sum") || !strcmp(name + fl, "_count"));
		if (!ok)
			fail_msg("sample %s outside its family (%s)", name, f);
		if (!strstr(line, camera_label))
			fail_msg("no camera label: %s", line);
		samples++;
	}
	assert_true(samples > 20);
	free(copy);
	regfree(&sample);
	regfree(&help);
	regfree(&type);
}

static void test_metrics(void **state)
{
	struct fx *x = fx_new(NULL);
	uint8_t *b;
	size_t n;
	char *hd;

	STATUS_UPDATE(&x->st, cs->state = CAM_STREAMING; cs->battery_percent = 55;
		      cs->frames_decoded = 1234; cs->packets_retransmitted = 9;);
	status_add_decode_time(&x->st, 0.003);
	status_add_decode_time(&x->st, 0.5);
	assert_int_equal(curl_get(x->port, "/metrics", NULL, &b, &n, &hd), 200);
	assert_non_null(strcasestr(hd, "Content-Type: text/plain; version=0.0.4"));
	free(hd);
	char *t = realloc(b, n + 1);
	t[n] = 0;
	check_prometheus(t, "camera=\"Front\"");
	static const char *want[] = {
		"cam_bridge_up{camera=\"Front\"} 1\n",
		"cam_bridge_frames_decoded_total{camera=\"Front\"} 1234\n",
		"cam_bridge_frames_dropped_total{camera=\"Front\"} 0\n",
		"cam_bridge_frames_out_total{camera=\"Front\"} 0\n",
		"cam_bridge_battery_percent{camera=\"Front\"} 55\n",
		"cam_bridge_http_clients{camera=\"Front\"} 0\n",
		"cam_bridge_reconnects_total{camera=\"Front\"} 0\n",
		"cam_bridge_packets_lost_total{camera=\"Front\"} 0\n",
		"cam_bridge_packets_retransmitted_total{camera=\"Front\"} 9\n",
		"cam_bridge_bytes_in_total{camera=\"Front\"} 0\n",
		"cam_bridge_build_info{camera=\"Front\",version=\"9.9-test\"} 1\n",
		"cam_bridge_decode_seconds_bucket{camera=\"Front\",le=\"0.0025\"} 0\n",
		"cam_bridge_decode_seconds_bucket{camera=\"Front\",le=\"0.005\"} 1\n",
		"cam_bridge_decode_seconds_bucket{camera=\"Front\",le=\"+Inf\"} 2\n",
		"cam_bridge_decode_seconds_count{camera=\"Front\"} 2\n",
		"cam_bridge_uptime_seconds{camera=\"Front\"} ",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(t, want[i]))
			fail_msg("missing: %s", want[i]);
	free(t);

	/* label values escaped */
	struct sbuf sb;
	sbuf_init(&sb, 0);
	http_prom_label(&sb, "a\"b\\c\nd\x01", 64);
	assert_string_equal(sbuf_str(&sb), "a\\\"b\\\\c\\nd\xef\xbf\xbd");
	sbuf_free(&sb);
	fx_free(x);
}

static void test_basic_auth(void **state)
{
	struct http_opts o = { .user = "admin", .password = "s3cr:et", .max_connections = 8 };
	struct fx *x = fx_new(&o);
	char *hd;

	assert_int_equal(curl_get(x->port, "/api/v1/status", NULL, NULL, NULL, &hd), 401);
	assert_non_null(strcasestr(hd, "WWW-Authenticate: Basic realm=\"cam-bridge\""));
	free(hd);
	assert_int_equal(curl_get(x->port, "/api/v1/status", "-u admin:wrong", NULL, NULL, NULL), 401);
	assert_int_equal(curl_get(x->port, "/api/v1/status", "-u admin:s3cr:e", NULL, NULL, NULL), 401);
	assert_int_equal(curl_get(x->port, "/api/v1/status", "-u Admin:s3cr:et", NULL, NULL, NULL), 401);
	assert_int_equal(curl_get(x->port, "/metrics", NULL, NULL, NULL, NULL), 401);
	assert_int_equal(curl_get(x->port, "/stream", NULL, NULL, NULL, NULL), 401);
	assert_int_equal(curl_get(x->port, "/api/v1/status", "-u admin:s3cr:et", NULL, NULL, NULL), 200);
	uint8_t *b;
	size_t n;
	assert_int_equal(curl_get(x->port, "/api/v1/status", "-u admin:s3cr:et", &b, &n, NULL), 200);
	/* the status page never shows credentials */
	char *t = realloc(b, n + 1);
	t[n] = 0;
	assert_null(strstr(t, "s3cr"));
	free(t);
	fx_free(x);
}

static void test_routes(void **state)
{
	struct fx *x = fx_new(NULL);
	uint8_t *b;
	size_t n;
	char *hd;

	fx_start_producer(x, 20);
	clock_sleep_us(200000);
	assert_int_equal(curl_get(x->port, "/api/v1/cameras/" CAM, NULL, &b, &n, &hd), 200);
	assert_non_null(strcasestr(hd, "Content-Type: image/jpeg"));
	assert_true(jpeg_marker(b, n, NULL, NULL) >= 1000);
	free(b);
	free(hd);
	assert_int_equal(curl_get(x->port, "/api/v1/cameras/front", NULL, NULL, NULL, NULL), 404);
	assert_int_equal(curl_get(x->port, "/api/v1/cameras/FRONT/stream", NULL, NULL, NULL, NULL), 404);
	assert_int_equal(curl_get(x->port, "/api/v1/cameras/Fron", NULL, NULL, NULL, NULL), 404);
	assert_int_equal(curl_get(x->port, "/api/v1/cameras/Frontx", NULL, NULL, NULL, NULL), 404);
	assert_int_equal(curl_get(x->port, "/nope", NULL, NULL, NULL, NULL), 404);
	assert_int_equal(curl_get(x->port, "/metrics", "-X POST", NULL, NULL, &hd), 405);
	assert_non_null(strcasestr(hd, "Allow: GET, HEAD"));
	free(hd);
	struct viewer v = { .port = x->port, .path = "/api/v1/cameras/" CAM "/stream", .want = 5 };
	viewer_main(&v);
	check_viewer(&v);

	/* the page */
	assert_int_equal(curl_get(x->port, "/", NULL, &b, &n, &hd), 200);
	assert_non_null(strcasestr(hd, "Content-Type: text/html"));
	char *t = realloc(b, n + 1);
	t[n] = 0;
	assert_non_null(strstr(t, "<img id=\"live\" src=\"stream\""));
	assert_non_null(strstr(t, "fetch('api/v1/status'"));
	assert_non_null(strstr(t, "href=\"metrics\""));
	assert_null(strstr(t, "innerHTML"));
	free(t);
	free(hd);
	/* ffmpeg reads the stream as MJPEG, when it is installed */
	if (system("command -v ffmpeg >/dev/null 2>&1") == 0) {
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "timeout 20 ffmpeg -nostdin -v error -f mpjpeg "
			 "-i http://127.0.0.1:%d/stream -frames:v 5 -f null - 2>&1", x->port);
		assert_int_equal(system(cmd), 0);
	}
	fx_free(x);
}

static void test_healthz(void **state)
{
	struct fx *x = fx_new(NULL);

	assert_int_equal(curl_get(x->port, "/healthz", NULL, NULL, NULL, NULL), 503);
	publish_one(x);
	assert_int_equal(curl_get(x->port, "/healthz", NULL, NULL, NULL, NULL), 200);
	fx_free(x);
}

/* Misbehaving clients beside a viewer: its markers keep advancing. */
static void test_abuse(void **state)
{
	struct fx *x = fx_new(NULL);
	struct rd *r = malloc(sizeof(*r));
	char ct[256], why[160];
	int64_t m, last = -1;

	fx_start_producer(x, 25);
	assert_int_equal(stream_open(r, x->port, "/stream", ct, sizeof(ct)), 0);
	for (int i = 0; i < 5; i++) {
		if (stream_part(r, &m, why, sizeof(why)) < 0)
			fail_msg("%s", why);
		last = m;
	}
	/* garbage request line: answered 400 or closed, never a crash */
	int g = tcp_connect(x->port);
	send_all(g, "\x01\x02\xff GARBAGE \x7f\r\n\r\n", 17);
	char buf[4096];
	ssize_t k = recv(g, buf, sizeof(buf) - 1, 0);
	if (k > 0) {
		buf[k] = 0;
		assert_non_null(strstr(buf, " 400 "));
	}
	close(g);
	/* a 64 KiB header */
	int o = tcp_connect(x->port);
	char *big = malloc(70000);
	int bl = snprintf(big, 100, "GET /api/v1/status HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(big + bl, 'a', 65536);
	bl += 65536;
	memcpy(big + bl, "\r\n\r\n", 4);
	bl += 4;
	send_all(o, big, (size_t)bl);    /* may fail half way: the server closed */
	k = recv(o, buf, sizeof(buf) - 1, 0);
	if (k > 0) {
		buf[k] = 0;
		assert_null(strstr(buf, " 200 "));
	}
	free(big);
	close(o);
	/* silent clients and a /stream client that never reads */
	int silent[3];
	for (int i = 0; i < 3; i++)
		silent[i] = tcp_connect(x->port);
	int lazy = tcp_connect(x->port);
	int rcv = 4096;
	setsockopt(lazy, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	send_all(lazy, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n", 34);
	/* a slowloris: one header byte now and then */
	int slow = tcp_connect(x->port);
	send_all(slow, "GET / HTTP/1.1\r\n", 16);

	uint64_t t0 = clock_mono_us();
	int parts = 0;
	while (clock_mono_us() - t0 < 2000000u) {
		if (stream_part(r, &m, why, sizeof(why)) < 0)
			fail_msg("viewer disturbed: %s", why);
		if (m < last)
			fail_msg("marker went back");
		last = m;
		parts++;
		send_all(slow, "X", 1);
	}
	print_message("viewer got %d parts in 2 s beside the abusers\n", parts);
	assert_true(parts >= 25);
	/* other requests still work */
	assert_int_equal(curl_get(x->port, "/healthz", NULL, NULL, NULL, NULL), 200);
	for (int i = 0; i < 3; i++)
		close(silent[i]);
	close(lazy);
	close(slow);
	close(r->fd);
	free(r);
	fx_free(x);
}

/* Header deadline and idle timeout cut silent / slow clients. */
static void test_timeouts(void **state)
{
	struct http_opts o = { .timeout_s = 2, .max_connections = 8 };
	struct fx *x = fx_new(&o);
	char c;

	int silent = tcp_connect(x->port);
	int slow = tcp_connect(x->port);
	uint64_t t0 = clock_mono_us();
	send_all(slow, "GET / HTTP/1.1\r\n", 16);
	int closed_slow = 0;
	/* keep the slowloris busy: each byte resets an idle timer, not the header deadline */
	while (clock_mono_us() - t0 < 5000000u && !closed_slow) {
		if (send_all(slow, "X", 1) < 0)
			closed_slow = 1;
		struct timeval tv = { .tv_usec = 300000 };
		setsockopt(slow, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ssize_t k = recv(slow, &c, 1, 0);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			closed_slow = 1;
	}
	uint64_t dt = clock_mono_us() - t0;
	assert_true(closed_slow);
	assert_true(dt < 4500000u);
	/* the silent one is gone too */
	assert_true(recv(silent, &c, 1, 0) <= 0);
	close(silent);
	close(slow);
	fx_free(x);
}

static void test_connection_cap(void **state)
{
	struct http_opts o = { .max_connections = 4, .timeout_s = 30 };
	struct fx *x = fx_new(&o);
	int held[4];
	char c;

	publish_one(x);
	for (int i = 0; i < 4; i++)
		held[i] = tcp_connect(x->port);
	clock_sleep_us(200000);
	/* the fifth is accepted by the kernel and closed by the server at once */
	int extra = tcp_connect(x->port);
	if (extra >= 0) {
		send_all(extra, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 35);
		ssize_t k = recv(extra, &c, 1, 0);
		assert_true(k <= 0);
		close(extra);
	}
	close(held[0]);
	clock_sleep_us(300000);
	assert_int_equal(curl_get(x->port, "/healthz", NULL, NULL, NULL, NULL), 200);
	for (int i = 1; i < 4; i++)
		close(held[i]);
	fx_free(x);
}

/* Stop with viewers open (suspended and running) neither hangs nor leaks. */
static void test_stop_with_viewers(void **state)
{
	struct fx *x = fx_new(NULL);
	struct rd *r[3];
	char ct[256], why[160];
	int64_t m;

	publish_one(x);
	for (int i = 0; i < 3; i++) {
		r[i] = malloc(sizeof(*r[i]));
		assert_int_equal(stream_open(r[i], x->port, "/stream", ct, sizeof(ct)), 0);
		if (stream_part(r[i], &m, why, sizeof(why)) < 0)
			fail_msg("%s", why);
	}
	uint64_t t0 = clock_mono_us();
	fx_free(x);
	assert_true(clock_mono_us() - t0 < 3000000u);
	for (int i = 0; i < 3; i++) {
		close(r[i]->fd);
		free(r[i]);
	}
}

static void test_json_escape(void **state)
{
	struct sbuf b;

	sbuf_init(&b, 0);
	http_json_str(&b, "a\"\\\n\t\x1f<\xc3\xa9\xed\xa0\x80\xf0\x9f\x98\x80\xc0\xaf", 64);
	assert_string_equal(sbuf_str(&b),
		"\"a\\\"\\\\\\n\\u0009\\u001f\\u003c\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		"\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd\"");
	sbuf_reset(&b);
	http_json_str(&b, "abcdef", 3);     /* bounded read of fixed fields */
	assert_string_equal(sbuf_str(&b), "\"abc\"");
	sbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_stream_markers),
		cmocka_unit_test(test_one_encode_per_frame),
		cmocka_unit_test(test_idle_resend_and_viewers),
		cmocka_unit_test(test_snapshots),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_healthz),
		cmocka_unit_test(test_abuse),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_connection_cap),
		cmocka_unit_test(test_stop_with_viewers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
