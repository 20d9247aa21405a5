/* The HTTP sidecar's text routes: listen addresses, JSON and Prometheus escaping, status,
 * metrics, routing (camera_proxy paths, 404, 405 + Allow), the page, /healthz, basic auth. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httptest.h"
#include "http/http_auth.h"
#include "http/http_text.h"
#include "util/sbuf.h"
#include "util/clock.h"

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

static void test_status_json(void **state)
{
	struct ht_fx *x = ht_fx_new(NULL);
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
	assert_int_equal(ht_curl(x->port, "/api/v1/status", NULL, &b, &n, &hd), 200);
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
	ht_fx_free(x);
}

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
	struct ht_fx *x = ht_fx_new(NULL);
	uint8_t *b;
	size_t n;
	char *hd;

	STATUS_UPDATE(&x->st, cs->state = CAM_STREAMING; cs->battery_percent = 55;
		      cs->frames_decoded = 1234; cs->packets_retransmitted = 9;);
	status_add_decode_time(&x->st, 0.003);
	status_add_decode_time(&x->st, 0.5);
	assert_int_equal(ht_curl(x->port, "/metrics", NULL, &b, &n, &hd), 200);
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
		"cam_bridge_snapshot_encodes_total{camera=\"Front\"} 0\n",
		"cam_bridge_http_bodies_refused_total{camera=\"Front\"} 0\n",
		"cam_bridge_http_viewers_stalled_total{camera=\"Front\"} 0\n",
		"cam_bridge_http_snapshots_busy_total{camera=\"Front\"} 0\n",
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
	ht_fx_free(x);
}

/* The credential check alone: crafted and random headers never pass, the right one does. */
static void test_auth_check(void **state)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
	struct http_auth a;
	char h[HTTP_AUTH_MAX_HEADER + 64];

	assert_int_equal(http_auth_init(&a, "admin", "s3cr:et"), 0);
	assert_int_equal(http_auth_init(&a, "", "p"), -EINVAL);
	assert_int_equal(http_auth_init(&a, "admin", "s3cr:et"), 0);
	assert_true(http_auth_check(&a, "Basic YWRtaW46czNjcjpldA=="));
	assert_false(http_auth_check(&a, NULL));
	assert_false(http_auth_check(&a, "Basic YWRtaW46czNjcjpldABqdW5r"));
	srand(9);
	for (int i = 0; i < 3000; i++) {
		size_t n = (size_t)(rand() % (int)(sizeof(h) - 8));
		memcpy(h, "Basic ", 6);
		for (size_t k = 0; k < n; k++)
			h[6 + k] = i % 2 ? b64[rand() % 65] : (char)(1 + rand() % 255);
		h[6 + n] = 0;
		if (http_auth_check(&a, h))
			fail_msg("random header %d passed", i);
	}
	/* an over-long header is refused unread */
	memset(h, 'A', sizeof(h) - 1);
	memcpy(h, "Basic ", 6);
	h[sizeof(h) - 1] = 0;
	assert_false(http_auth_check(&a, h));
}

static void test_basic_auth(void **state)
{
	struct http_opts o = { .user = "admin", .password = "s3cr:et", .max_connections = 8 };
	struct ht_fx *x = ht_fx_new(&o);
	char *hd;

	assert_int_equal(ht_curl(x->port, "/api/v1/status", NULL, NULL, NULL, &hd), 401);
	assert_non_null(strcasestr(hd, "WWW-Authenticate: Basic realm=\"cam-bridge\""));
	free(hd);
	assert_int_equal(ht_curl(x->port, "/api/v1/status", "-u admin:wrong", NULL, NULL, NULL), 401);
	assert_int_equal(ht_curl(x->port, "/api/v1/status", "-u admin:s3cr:e", NULL, NULL, NULL), 401);
	assert_int_equal(ht_curl(x->port, "/api/v1/status", "-u Admin:s3cr:et", NULL, NULL, NULL), 401);
	assert_int_equal(ht_curl(x->port, "/metrics", NULL, NULL, NULL, NULL), 401);
	assert_int_equal(ht_curl(x->port, "/stream", NULL, NULL, NULL, NULL), 401);
	assert_int_equal(ht_curl(x->port, "/api/v1/status", "-u admin:s3cr:et", NULL, NULL, NULL), 200);
	/* the whole decoded value counts, length included: a NUL does not end it */
	static const char *refused[] = {
		"Basic YWRtaW46czNjcjpldABqdW5r",    /* admin:s3cr:et<NUL>junk */
		"Basic YWRtaW46czNjcjpldAA=",        /* admin:s3cr:et<NUL> */
		"Basic YWRtaW4AOnMzY3I6ZXQ=",        /* admin<NUL>:s3cr:et */
		"Basic YWRtaW46czNjcjpldFg=",        /* admin:s3cr:etX */
		"Basic YWRtaW46",                    /* admin: */
		"Basic YWRtaW46czNjcjpldA",          /* unpadded */
		"Basic YWRtaW46czNjcjpl=dA=",        /* padding inside */
		"Basic ", "Basic", "Bearer YWRtaW46czNjcjpldA==", "YWRtaW46czNjcjpldA==",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char h[128];
		snprintf(h, sizeof(h), "-H 'Authorization: %s'", refused[i]);
		if (ht_curl(x->port, "/api/v1/status", h, NULL, NULL, NULL) != 401)
			fail_msg("accepted %s", refused[i]);
	}
	assert_int_equal(ht_curl(x->port, "/api/v1/status",
				 "-H 'Authorization: basic   YWRtaW46czNjcjpldA=='", NULL, NULL, NULL), 200);
	uint8_t *b;
	size_t n;
	assert_int_equal(ht_curl(x->port, "/api/v1/status", "-u admin:s3cr:et", &b, &n, NULL), 200);
	/* the status page never shows credentials */
	char *t = realloc(b, n + 1);
	t[n] = 0;
	assert_null(strstr(t, "s3cr"));
	free(t);
	ht_fx_free(x);
	/* a user needs a non-empty password (and no ':') */
	struct hub *hub = hub_new(W, H, 4);
	struct status st;
	struct http_server *srv;
	static const struct http_opts bad[] = {
		{ .listen = "127.0.0.1:0", .user = "u" },
		{ .listen = "127.0.0.1:0", .user = "u", .password = "" },
		{ .listen = "127.0.0.1:0", .user = "u:v", .password = "p" },
	};
	status_init(&st, CAM);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(http_server_start(&bad[i], hub, &st, &srv), -EINVAL);
	status_destroy(&st);
	hub_free(hub);
}

static void test_routes(void **state)
{
	struct ht_fx *x = ht_fx_new(NULL);
	uint8_t *b;
	size_t n;
	char *hd;

	ht_start_producer(x, 20);
	clock_sleep_us(200000);
	assert_int_equal(ht_curl(x->port, "/api/v1/cameras/" CAM, NULL, &b, &n, &hd), 200);
	assert_non_null(strcasestr(hd, "Content-Type: image/jpeg"));
	assert_true(ht_jpeg_marker(b, n, NULL, NULL) >= 1000);
	free(b);
	free(hd);
	assert_int_equal(ht_curl(x->port, "/api/v1/cameras/front", NULL, NULL, NULL, NULL), 404);
	assert_int_equal(ht_curl(x->port, "/api/v1/cameras/FRONT/stream", NULL, NULL, NULL, NULL), 404);
	assert_int_equal(ht_curl(x->port, "/api/v1/cameras/Fron", NULL, NULL, NULL, NULL), 404);
	assert_int_equal(ht_curl(x->port, "/api/v1/cameras/Frontx", NULL, NULL, NULL, NULL), 404);
	assert_int_equal(ht_curl(x->port, "/nope", NULL, NULL, NULL, NULL), 404);
	assert_int_equal(ht_curl(x->port, "/metrics", "-X POST", NULL, NULL, &hd), 405);
	assert_non_null(strcasestr(hd, "Allow: GET, HEAD"));
	free(hd);
	struct ht_viewer v = { .port = x->port, .path = "/api/v1/cameras/" CAM "/stream", .want = 5 };
	ht_viewer_main(&v);
	ht_check_viewer(&v);

	/* the page */
	assert_int_equal(ht_curl(x->port, "/", NULL, &b, &n, &hd), 200);
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
	ht_fx_free(x);
}

static void test_healthz(void **state)
{
	struct ht_fx *x = ht_fx_new(NULL);

	assert_int_equal(ht_curl(x->port, "/healthz", NULL, NULL, NULL, NULL), 503);
	ht_publish(x);
	assert_int_equal(ht_curl(x->port, "/healthz", NULL, NULL, NULL, NULL), 200);
	ht_fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_auth_check),
		cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_healthz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
