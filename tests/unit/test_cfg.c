/* Configuration: defaults, the key table against the example file and the man page, broken
 * files reported as file:line, command-line overrides, reload.  (Passwords: test_cfg_secret.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <libconfig.h>

#include "testutil.h"
#include "tu_cfg.h"


static void test_defaults(void **state)
{
	struct cfg c;

	cfg_defaults(&c);
	assert_string_equal(c.camera.user, "admin");
	assert_int_equal(c.camera.stream, CFG_STREAM_MAIN);
	assert_int_equal(c.camera.max_encryption, 0x12);
	assert_int_equal(c.camera.n_discovery_ports, 2);
	assert_int_equal(c.camera.discovery_ports[0], 2018);
	assert_int_equal(c.camera.discovery_ports[1], 2015);
	assert_int_equal(c.camera.n_p2p_servers, 12);
	assert_string_equal(c.camera.p2p_servers[0], "p2p.reolink.com:9999");
	assert_string_equal(c.camera.p2p_servers[11], "p2p11.reolink.com:9999");
	assert_int_equal(c.camera.rtsp_transport, CFG_RTSP_TCP);
	assert_int_equal(c.output.format, CFG_FMT_I420);
	assert_int_equal(c.output.width, 1280);
	assert_int_equal(c.output.height, 720);
	assert_int_equal(c.output.fps, 15);
	assert_int_equal(c.wake.mode, CFG_WAKE_AUTO);
	assert_string_equal(c.decode.hwaccel, "auto");
	assert_string_equal(c.http.listen, "127.0.0.1:8080");
	assert_int_equal(c.http.jpeg_quality, 80);
	assert_int_equal(c.limits.max_message_bytes, 4 << 20);
	assert_int_equal(c.log.level, LOG_INFO);
	assert_string_equal(cfg_format_name(CFG_FMT_NV12), "nv12");

	/* after finish: http resolved, wake resolved by the source kind */
	{
		struct cfg_err e;
		char *p = tu_tmp_file(tu_cfg_minimal, 0600);

		assert_int_equal(cfg_load(p, &c, &e), 0);
		assert_int_equal(c.http.enabled, 1);
		assert_string_equal(c.http.addr, "127.0.0.1");
		assert_int_equal(c.http.port, 8080);
		assert_int_equal(c.wake.mode, CFG_WAKE_ALWAYS);
		assert_int_equal(c.camera.url.kind, URL_BC_TCP);
		assert_int_equal(c.camera.url.port, 9000);
		assert_int_equal(c.n_warnings, 0);
		/* name = file name without .conf */
		assert_int_equal(strncmp(c.name, "test_cfg-", 9), 0);
		assert_null(strstr(c.name, ".conf"));
	}
}

static void test_example_validates(void **state)
{
	int rc;
	char *out = tu_cfg_check_output(EXAMPLE, &rc);

	if (rc != 0 || out[0])
		fail_msg("example does not validate cleanly:\n%s", out);
	free(out);
}

/* Every key cfg knows is in the example, with the default value. */
static void test_example_documents_every_key(void **state)
{
	struct cfg def, ex;
	struct cfg_err e;
	char *d1 = NULL, *d2 = NULL, *line, *save = NULL;
	size_t l1 = 0, l2 = 0;
	FILE *f;
	config_t lc;
	char group[64] = "";
	int nkeys = 0;

	cfg_defaults(&ex);
	assert_int_equal(cfg_load_file(&ex, EXAMPLE, &e), 0);
	cfg_defaults(&def);
	/* the two required settings have no default: take the example's */
	memcpy(def.camera.source, ex.camera.source, sizeof(def.camera.source));
	memcpy(def.output.device, ex.output.device, sizeof(def.output.device));
	f = open_memstream(&d1, &l1);
	cfg_dump(&def, f);
	fclose(f);
	f = open_memstream(&d2, &l2);
	cfg_dump(&ex, f);
	fclose(f);
	assert_string_equal(d1, d2);

	/* and each dumped key is literally in the file (not only defaulted) */
	config_init(&lc);
	assert_true(config_read_file(&lc, EXAMPLE));
	for (line = strtok_r(d1, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64], path[160];

		if (sscanf(line, "%31s = {", name) == 1 && strstr(line, "{")) {
			snprintf(group, sizeof(group), "%s", name);
			continue;
		}
		if (!strcmp(line, "};")) {
			group[0] = '\0';
			continue;
		}
		assert_int_equal(sscanf(line, " %63s =", name), 1);
		snprintf(path, sizeof(path), "%s%s%s", group, group[0] ? "." : "", name);
		nkeys++;
		if (!strcmp(path, "name"))      /* commented out: its default is derived */
			continue;
		if (!config_lookup(&lc, path))
			fail_msg("%s is not in %s", path, EXAMPLE);
	}
	assert_true(nkeys >= 39);
	config_destroy(&lc);
	free(d1);
	free(d2);
}

/* Every default passes its own key's checks (the table holds them as text). */
static void test_defaults_pass_checks(void **state)
{
	struct cfg c;
	char m[256] = "";

	if (cfg_defaults_check(&c, m, sizeof(m)))
		fail_msg("%s", m);
	assert_int_equal(c.camera.n_p2p_servers, 12);
}

/* The man page names every short option the key table has (--source, --fps, ...). */
static void test_man_page_lists_aliases(void **state)
{
	size_t len;
	char *man = (char *)tu_read_file("man/man8/cam-bridge.8", &len);
	struct cfg_key_info k;
	int n = 0;

	assert_non_null(man);
	for (int i = 0; cfg_key_info(i, &k) == 0; i++) {
		char opt[80];

		if (!k.alias)
			continue;
		const char *p = man;

		snprintf(opt, sizeof(opt), "\\-\\-%s", k.alias);
		while ((p = strstr(p, opt)) && p[strlen(opt)] != ' ' && p[strlen(opt)] != '\n')
			p++;
		if (!p)
			fail_msg("man/man8/cam-bridge.8 does not list --%s (%s)", k.alias, k.path);
		n++;
	}
	assert_int_equal(n, 7);
	assert_int_equal(cfg_key_info(cfg_key_count(), &k), -ENOENT);
	free(man);
}

/* A FIFO where a config file is expected (-c, --check-config, @include, a reload) is refused
 * at once with a clear message instead of waiting forever for a writer. */
static void test_fifo_config_refused(void **state)
{
	char *fifo = tu_fifo();
	char text[256], *p, *out;
	struct cfg c;
	struct cfg_err e;
	int rc;

	tu_deadline(20);
	assert_true(cfg_load(fifo, &c, &e) < 0);
	tu_assert_contains(e.msg, fifo);
	tu_assert_contains(e.msg, "not a regular file");
	out = tu_cfg_check_output(fifo, &rc);
	assert_int_equal(rc, 1);
	tu_assert_contains(out, "not a regular file");
	free(out);
	assert_true(FROM_ARGS(&c, &e, "-c", fifo) < 0);
	tu_assert_contains(e.msg, "not a regular file");

	/* an @include naming a FIFO: refused with the including file's line */
	snprintf(text, sizeof(text), "%s\n@include \"%s\"\n", tu_cfg_minimal, fifo);
	p = tu_tmp_file(text, 0600);
	assert_true(cfg_load(p, &c, &e) < 0);
	snprintf(text, sizeof(text), "%s:4: @include \"%s\": not a regular file", p, fifo);
	tu_assert_contains(e.msg, text);
	/* a directory, as before */
	assert_true(cfg_load("/tmp", &c, &e) < 0);
	tu_assert_contains(e.msg, "/tmp: is a directory");
	tu_deadline(0);
}

/* libconfig's scanner is quadratic in a line's length (4 MB: 17 s): a file over CFG_FILE_MAX
 * is refused before parsing, and so is a NUL byte (libconfig would stop reading there). */
static void test_huge_config_refused(void **state)
{
	size_t n = 1u << 20;
	char *text = malloc(n + 64), *p;
	struct cfg c;
	struct cfg_err e;
	char want[128];

	assert_non_null(text);
	snprintf(text, 64, "name = \"");
	memset(text + strlen(text), 'a', n);
	snprintf(text + 9 + n, 32, "\";\n");
	p = tu_tmp_file(text, 0600);
	free(text);
	assert_true(cfg_load(p, &c, &e) < 0);
	snprintf(want, sizeof(want), "%s: larger than %d bytes", p, CFG_FILE_MAX);
	tu_assert_contains(e.msg, want);
	assert_int_equal(e.count, 1);

	/* a file just under the limit still loads */
	text = malloc(CFG_FILE_MAX);
	assert_non_null(text);
	snprintf(text, CFG_FILE_MAX, "%s# ", tu_cfg_minimal);
	memset(text + strlen(text), 'x', CFG_FILE_MAX - strlen(text) - 2);
	text[CFG_FILE_MAX - 2] = '\n';
	text[CFG_FILE_MAX - 1] = '\0';
	p = tu_tmp_file(text, 0600);
	free(text);
	assert_int_equal(cfg_load(p, &c, &e), 0);

	/* a NUL byte: the rest would be ignored silently */
	{
		static const char nul[] = "output = { device = \"/dev/video1\"; };\n\0junk = 1;\n";
		char *q = tu_tmp_file("", 0600);
		FILE *f = fopen(q, "w");

		assert_non_null(f);
		fwrite(nul, 1, sizeof(nul) - 1, f);
		fclose(f);
		assert_true(cfg_load(q, &c, &e) < 0);
		tu_assert_contains(e.msg, "holds a NUL byte");
	}
}

static void test_syntax_error_line(void **state)
{
	char *p = tu_tmp_file("camera = {\n"
				 "\tuser = \"admin\";\n"
				 "\tstream = = \"main\";\n"
				 "};\n", 0600);
	char want[128];
	int rc;
	char *out = tu_cfg_check_output(p, &rc);

	assert_int_equal(rc, 1);
	snprintf(want, sizeof(want), "%s:3: ", p);
	tu_assert_contains(out, want);
	assert_int_equal(tu_count_lines(out), 1);
	free(out);
}

static void test_include_error_names_included_file(void **state)
{
	char *inc = tu_tmp_file("# shared\nlog = {\n level = = \"info\";\n};\n", 0600);
	char main_text[256];
	char *p;
	char want[128];
	int rc;
	char *out;

	snprintf(main_text, sizeof(main_text), "@include \"%s\"\n%s", strrchr(inc, '/') + 1,
		 tu_cfg_minimal);
	p = tu_tmp_file(main_text, 0600);
	out = tu_cfg_check_output(p, &rc);
	assert_int_equal(rc, 1);
	snprintf(want, sizeof(want), "%s:3: ", inc);
	tu_assert_contains(out, want);
	free(out);

	/* a good include works, and errors inside it carry its name and line */
	inc = tu_tmp_file("output = {\n fps = 500;\n};\n", 0600);
	snprintf(main_text, sizeof(main_text),
		 "@include \"%s\"\ncamera = { source = \"bc-tcp://h\"; };\n", strrchr(inc, '/') + 1);
	p = tu_tmp_file(main_text, 0600);
	out = tu_cfg_check_output(p, &rc);
	assert_int_equal(rc, 1);
	snprintf(want, sizeof(want), "%s:2: output.fps: 500 out of range 1..120", inc);
	tu_assert_contains(out, want);
	free(out);
}

static void test_unknown_key_line(void **state)
{
	char *p = tu_tmp_file("camera = {\n"
				 "\tsource = \"bc-tcp://h\";\n"
				 "\tusr = \"admin\";\n"
				 "};\n"
				 "output = { device = \"/dev/video0\"; };\n"
				 "bogus = 1;\n", 0600);
	char want[128];
	int rc;
	char *out = tu_cfg_check_output(p, &rc);

	assert_int_equal(rc, 1);
	snprintf(want, sizeof(want), "%s:3: unknown setting 'camera.usr' (did you mean "
		 "'camera.user'?)", p);
	tu_assert_contains(out, want);
	snprintf(want, sizeof(want), "%s:6: unknown setting 'bogus'", p);
	tu_assert_contains(out, want);
	assert_int_equal(tu_count_lines(out), 2);
	free(out);
}

static void test_out_of_range_line(void **state)
{
	char *p = tu_tmp_file("camera = { source = \"bc-tcp://h\"; };\n"
				 "output = {\n"
				 "\tdevice = \"/dev/video0\";\n"
				 "\tfps = 121;\n"
				 "};\n", 0600);
	char want[128];
	int rc;
	char *out = tu_cfg_check_output(p, &rc);

	assert_int_equal(rc, 1);
	snprintf(want, sizeof(want), "%s:4: output.fps: 121 out of range 1..120", p);
	tu_assert_contains(out, want);
	free(out);
}

static void test_many_errors_all_reported(void **state)
{
	char *p = tu_tmp_file(
		"camera = {\n"                                          /* 1 */
		"\tsource = \"bc-tcp://admin:" SECRET "@h:99999\";\n"   /* 2 bad port */
		"\tpassword = \"" SECRET "\";\n"                        /* 3 (valid) */
		"\tstream = \"third\";\n"                               /* 4 bad enum */
		"\tdiscovery_ports = [2018, 70000];\n"                  /* 5 bad entry */
		"};\n"                                                  /* 6 */
		"output = {\n"                                          /* 7 */
		"\twidth = 1279;\n"                                     /* 8 odd */
		"\theight = \"720\";\n"                                 /* 9 type */
		"\tformat = \"rgb\";\n"                                 /* 10 enum */
		"\tcolour = true;\n"                                    /* 11 unknown */
		"};\n"                                                  /* 12 */
		"http = { jpeg_quality = 0; listen = \"nowhere\"; };\n" /* 13 two */
		"reconnect = 5;\n"                                      /* 14 not a group */
		"limits = { max_frame_bytes = 1.5; };\n",               /* 15 float */
		0600);
	char want[160];
	int rc;
	char *out = tu_cfg_check_output(p, &rc);
	static const struct { int line; const char *msg; } exp[] = {
		{ 2, "camera.source: bc-tcp: port out of range 1..65535" },
		{ 4, "camera.stream: 'third' is not one of main, sub" },
		{ 5, "camera.discovery_ports: entry 2: 70000 out of range 1..65535" },
		{ 8, "output.width: 1279 must be even" },
		{ 9, "output.height: expected an integer, found a string" },
		{ 10, "output.format: 'rgb' is not one of i420, yuyv, nv12" },
		{ 11, "unknown setting 'output.colour'" },
		{ 13, "http.jpeg_quality: 0 out of range 1..100" },
		{ 13, "http.listen: 'nowhere'" },
		{ 14, "reconnect: expected a group reconnect { ... }, found an integer" },
		{ 15, "limits.max_frame_bytes: expected an integer, found a number with a fraction" },
	};

	assert_int_equal(rc, 1);
	for (size_t i = 0; i < sizeof(exp) / sizeof(exp[0]); i++) {
		snprintf(want, sizeof(want), "%s:%d: %s", p, exp[i].line, exp[i].msg);
		tu_assert_contains(out, want);
	}
	/* the missing output.device is reported too, without a line */
	snprintf(want, sizeof(want), "%s: missing required setting output.device", p);
	tu_assert_contains(out, want);
	tu_assert_no_secret(out);
	free(out);
}

static void test_missing_required(void **state)
{
	char *p = tu_tmp_file("# nothing\n", 0600);
	struct cfg c;
	struct cfg_err e;
	int rc;
	char *out = tu_cfg_check_output(p, &rc);

	assert_int_equal(rc, 1);
	tu_assert_contains(out, "missing required setting camera.source");
	tu_assert_contains(out, "missing required setting output.device");
	free(out);

	/* ...unless the command line gives them */
	assert_int_equal(FROM_ARGS(&c, &e, "-c", p, "--source", "rtsp://cam/x", "--output",
				   "label:Front Door"), CFG_RUN);
	assert_string_equal(c.output.device, "label:Front Door");

	/* bc-udp without a UID */
	p = tu_tmp_file("camera = { source = \"bc-udp://admin@broadcast\"; };\n"
		     "output = { device = \"/dev/video0\"; };\n", 0600);
	out = tu_cfg_check_output(p, &rc);
	assert_int_equal(rc, 1);
	tu_assert_contains(out, ":1: camera.source: bc-udp needs the camera's UID");
	free(out);

	/* camera.uid supplies it */
	p = tu_tmp_file("camera = { source = \"bc-udp://admin@broadcast\"; uid = \"ABC1\"; };\n"
		     "output = { device = \"/dev/video0\"; };\n", 0600);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_string_equal(c.camera.uid, "ABC1");
	assert_int_equal(c.camera.url.broadcast, 1);
	assert_int_equal(c.wake.mode, CFG_WAKE_ON_DEMAND);
}

static void test_cli_overrides_file(void **state)
{
	char *p = tu_tmp_file("camera = { source = \"bc-tcp://admin@10.0.0.5\"; };\n"
				 "output = { device = \"/dev/video40\"; fps = 10; format = \"i420\"; };\n"
				 "http = { listen = \"127.0.0.1:9000\"; };\n"
				 "wake = { mode = \"always\"; };\n", 0600);
	struct cfg c;
	struct cfg_err e;
	int r;

	r = FROM_ARGS(&c, &e, "-c", p, "--fps", "25", "--size", "640x480", "--format=nv12",
		      "--http", "[::]:8081", "--output", "/tmp/frames.raw", "--name", "front",
		      "--hwaccel", "none", "-v", "-v",
		      "--camera.discovery_ports=2015", "--camera.p2p_servers", "a.example,b:1",
		      "--frames", "3", "--frame-log", "/tmp/fl.txt", "--source",
		      "bc-udp://u@10.0.0.9/sub?uid=XYZ&iface=eth1", "--wake.mode", "on-demand");
	if (r != CFG_RUN)
		fail_msg("r=%d: %s", r, e.msg);
	assert_int_equal(c.output.fps, 25);
	assert_int_equal(c.output.width, 640);
	assert_int_equal(c.output.height, 480);
	assert_int_equal(c.output.format, CFG_FMT_NV12);
	assert_string_equal(c.output.device, "/tmp/frames.raw");
	assert_string_equal(c.name, "front");
	assert_string_equal(c.decode.hwaccel, "none");
	assert_int_equal(c.http.enabled, 1);
	assert_string_equal(c.http.addr, "::");
	assert_int_equal(c.http.port, 8081);
	assert_int_equal(c.log.level, LOG_DEBUG);
	assert_int_equal(c.verbose, 2);
	assert_int_equal(c.frames, 3);
	assert_string_equal(c.frame_log, "/tmp/fl.txt");
	assert_int_equal(c.camera.n_discovery_ports, 1);
	assert_int_equal(c.camera.discovery_ports[0], 2015);
	assert_int_equal(c.camera.n_p2p_servers, 2);
	assert_string_equal(c.camera.p2p_servers[0], "a.example:9999");
	assert_string_equal(c.camera.p2p_servers[1], "b:1");
	assert_int_equal(c.camera.url.kind, URL_BC_UDP);
	assert_string_equal(c.camera.uid, "XYZ");
	assert_string_equal(c.camera.user, "u");
	assert_int_equal(c.camera.stream, CFG_STREAM_SUB);
	assert_int_equal(c.camera.n_discovery_interfaces, 1);
	assert_string_equal(c.camera.discovery_interfaces[0], "eth1");
	assert_int_equal(c.wake.mode, CFG_WAKE_ON_DEMAND);

	/* --http off; a bad command-line value names the option */
	assert_int_equal(FROM_ARGS(&c, &e, "-c", p, "--http", "off"), CFG_RUN);
	assert_int_equal(c.http.enabled, 0);
	assert_true(FROM_ARGS(&c, &e, "-c", p, "--fps", "0") < 0);
	tu_assert_contains(e.msg, "command line: --fps: 0 out of range 1..120");
	assert_true(FROM_ARGS(&c, &e, "-c", p, "--size", "640") < 0);
	tu_assert_contains(e.msg, "--size");
	assert_true(FROM_ARGS(&c, &e, "-c", p, "--size", "641x480") < 0);
	tu_assert_contains(e.msg, "--size: 641 must be even");
	assert_true(FROM_ARGS(&c, &e, "-c", p, "--nope") < 0);
	tu_assert_contains(e.msg, "unknown or ambiguous option '--nope'");
	assert_true(FROM_ARGS(&c, &e, "-c", p, "--source") < 0);
	tu_assert_contains(e.msg, "needs a value");
	assert_true(FROM_ARGS(&c, &e, "-c", "/nonexistent/x.conf") < 0);
	tu_assert_contains(e.msg, "/nonexistent/x.conf: cannot open: No such file");
	assert_true(FROM_ARGS(&c, &e, "-c", p, "--reconnect.backoff_min_ms=60000",
			      "--reconnect.backoff_max_ms=1000") < 0);
	tu_assert_contains(e.msg, "reconnect.backoff_min_ms: 60000 is more than");

	/* actions */
	assert_int_equal(FROM_ARGS(&c, &e, "--version"), CFG_VERSION);
	assert_int_equal(FROM_ARGS(&c, &e, "--help", "--fps", "0"), CFG_HELP);
	assert_int_equal(FROM_ARGS(&c, &e, "--check-config", p), CFG_CHECK);
	assert_string_equal(c.config_path, p);
	assert_int_equal(c.check_only, 1);
	/* no file at all: everything from the command line, name "camera" */
	assert_int_equal(FROM_ARGS(&c, &e, "--source", "/tmp/clip.mp4", "--output", "/tmp/o"),
			 CFG_RUN);
	assert_string_equal(c.name, "camera");
	assert_int_equal(c.camera.url.av_is_path, 1);
	assert_int_equal(c.wake.mode, CFG_WAKE_ALWAYS);
}

/* Numbers on the command line never wrap: --size 4294967936x360 was 640x360 (32-bit wrap),
 * and errors named the option "----size". */
static void test_numbers_bounded(void **state)
{
	struct cfg c;
	struct cfg_err e;

#define RUN(...) FROM_ARGS(&c, &e, "--source", "bc-tcp://h", "--output", "/d", __VA_ARGS__)
	assert_true(RUN("--size", "4294967936x360") < 0);
	tu_assert_contains(e.msg, "command line: --size: 4294967936 out of range 32..8192");
	assert_null(strstr(e.msg, "----"));
	assert_true(RUN("--size", "640x4294967656") < 0);
	tu_assert_contains(e.msg, "--size: 4294967656 out of range 32..8192");
	assert_true(RUN("--size", "99999999999999999999x360") < 0);
	tu_assert_contains(e.msg, "command line: --size: '99999999999999999999x360' is not WxH");
	assert_true(RUN("--size", "-640x360") < 0);
	tu_assert_contains(e.msg, "is not WxH");
	assert_true(RUN("--size", "640x360x2") < 0);
	assert_true(RUN("--size", "640 x360") < 0);
	assert_int_equal(RUN("--size", "640X360"), CFG_RUN);
	assert_int_equal(c.output.width, 640);
	assert_int_equal(c.output.height, 360);

	assert_true(RUN("--frames", "18446744073709551617") < 0);
	tu_assert_contains(e.msg, "--frames: '18446744073709551617' is not a positive integer");
	assert_int_equal(RUN("--frames", "9223372036854775807"), CFG_RUN);
	assert_true(RUN("--fps", "4294967311") < 0);
	tu_assert_contains(e.msg, "command line: --fps: 4294967311 out of range 1..120");
	assert_true(RUN("--camera.discovery_ports", "2018,4294969314") < 0);
	tu_assert_contains(e.msg, "4294969314 out of range 1..65535");
	assert_true(RUN("--http", "127.0.0.1:4294975376") < 0);
	tu_assert_contains(e.msg, "port must be 0..65535");
	assert_true(RUN("--camera.p2p_servers", "p2p.example:4294977295") < 0);
	tu_assert_contains(e.msg, "port must be 0..65535");
#undef RUN
}

static void test_check_args(void **state)
{
	char *p = tu_tmp_file(tu_cfg_minimal, 0600);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(cfg_check_args(ARGC("--check-config", p), ARGV("--check-config", p), f), 0);
	assert_int_equal(cfg_check_args(ARGC("-c", p, "--fps", "500", "--check-config"),
					ARGV("-c", p, "--fps", "500", "--check-config"), f), 1);
	fclose(f);
	tu_assert_contains(buf, "command line: --fps: 500 out of range 1..120");
	free(buf);
}

/* output.keep_open was documented but never read: it is gone from the options, and a file
 * that still sets it (copied from the old example) loads with a warning naming the line. */
static void test_keep_open_removed(void **state)
{
	char *p = tu_tmp_file("camera = { source = \"rtsp://cam/x\"; };\n"
			      "output = { device = \"/d\";\n\tkeep_open = true; };\n", 0600);
	struct cfg c;
	struct cfg_err e;

	(void)state;
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_int_equal(c.n_warnings, 1);
	tu_assert_contains(c.warnings[0], ":3: output.keep_open is no longer used");
	assert_true(FROM_ARGS(&c, &e, "--source", "rtsp://c", "--output", "/d",
			      "--output.keep_open=false") < 0);
	tu_assert_contains(e.msg, "output.keep_open");
}

/* A self-signed certificate and its key in one file: ca_file, cert_file and key_file at once. */
static const char cert_and_key[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBgzCCASmgAwIBAgIUHoSDk+sToNS6JG2AGHvKVo6uF/kwCgYIKoZIzj0EAwIw\n"
	"FjEUMBIGA1UEAwwLdGVzdC1jbGllbnQwIBcNMjYxMjAzMDU0NjQzWhgPMjEyNjEx\n"
	"MDkwNTQ2NDNaMBYxFDASBgNVBAMMC3Rlc3QtY2xpZW50MFkwEwYHKoZIzj0CAQYI\n"
	"KoZIzj0DAQcDQgAEs/d4toguwd2Fm1MrouSksDkxlDVMBFls/kqiSigQkQhH6BE5\n"
	"uABI4L8Drb2YGdw7Jz72+lylNCPubWn39DtysaNTMFEwHQYDVR0OBBYEFJbE6BJ+\n"
	"d/qOd4/S97llkWYDHxt/MB8GA1UdIwQYMBaAFJbE6BJ+d/qOd4/S97llkWYDHxt/\n"
	"MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhALWr7giRRoEQOkt6\n"
	"GIfOjRxn9uPtmdRdM8vjMPR6NwVnAiBrnQ8yei/UsHf9FVEPdzYqC8NcS3rj66Od\n"
	"MB/mHH1PNQ==\n"
	"-----END CERTIFICATE-----\n"
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg8QhPZOpoO6qdIugQ\n"
	"LDbRCugDdD3P0ih6txMU1cQX9ROhRANCAASz93i2iC7B3YWbUyui5KSwOTGUNUwE\n"
	"WWz+SqJKKBCRCEfoETm4AEjgvwOtvZgZ3DsnPvb6XKU0I+5taff0O3Kx\n"
	"-----END PRIVATE KEY-----\n";

/* The MQTT TLS files are read at check time: --check-config names the key, its line and the
 * file's fault; half a client certificate is refused; a key others can read is warned
 * about; without a broker nothing is read. */
static void test_mqtt_tls_files(void **state)
{
	char *pem = tu_tmp_file("hello\n", 0600), text[512], *p, *out;
	struct cfg c;
	struct cfg_err e;
	int rc;

	(void)state;
	snprintf(text, sizeof(text), "camera = { source = \"rtsp://cam/x\"; };\n"
		 "output = { device = \"/d\"; };\n"
		 "mqtt = {\n\thost = \"127.0.0.1\";\n\tca_file = \"%s\";\n};\n", pem);
	p = tu_tmp_file(text, 0600);
	out = tu_cfg_check_output(p, &rc);
	assert_int_equal(rc, 1);
	tu_assert_contains(out, ":5: mqtt.ca_file: ");
	tu_assert_contains(out, pem);
	tu_assert_contains(out, "no PEM certificate");
	free(out);
	assert_true(FROM_ARGS(&c, &e, "--source", "rtsp://c", "--output", "/d", "--mqtt.host=h",
			      "--mqtt.ca_file=/nonexistent/ca.pem") < 0);
	tu_assert_contains(e.msg, "mqtt.ca_file: /nonexistent/ca.pem: ");
	assert_true(FROM_ARGS(&c, &e, "--source", "rtsp://c", "--output", "/d", "--mqtt.host=h",
			      "--mqtt.cert_file", pem) < 0);
	tu_assert_contains(e.msg, "mqtt.key_file: required with mqtt.cert_file");
	assert_true(FROM_ARGS(&c, &e, "--source", "rtsp://c", "--output", "/d", "--mqtt.host=h",
			      "--mqtt.key_file", pem) < 0);
	tu_assert_contains(e.msg, "mqtt.cert_file: required with mqtt.key_file");
	assert_int_equal(FROM_ARGS(&c, &e, "--source", "rtsp://c", "--output", "/d",
				   "--mqtt.ca_file=/nonexistent/ca.pem"), CFG_RUN);

	pem = tu_tmp_file(cert_and_key, 0600);
	p = tu_tmp_file(cert_and_key, 0644);
	assert_int_equal(FROM_ARGS(&c, &e, "--source", "rtsp://c", "--output", "/d",
				   "--mqtt.host=h", "--mqtt.ca_file", pem, "--mqtt.cert_file", pem,
				   "--mqtt.key_file", pem), CFG_RUN);
	assert_int_equal(c.n_warnings, 0);
	assert_int_equal(FROM_ARGS(&c, &e, "--source", "rtsp://c", "--output", "/d",
				   "--mqtt.host=h", "--mqtt.cert_file", pem, "--mqtt.key_file", p),
			 CFG_RUN);
	assert_int_equal(c.n_warnings, 1);
	tu_assert_contains(c.warnings[0], "mqtt.key_file: ");
	tu_assert_contains(c.warnings[0], "readable by group/other (mode 0644)");
}

static void test_reload(void **state)
{
	char *p = tu_tmp_file(tu_cfg_minimal, 0600);
	char **argv = ARGV("-c", p);
	struct cfg cur, next;
	struct cfg_err e;
	char changed[256];
	FILE *f;

	assert_int_equal(cfg_from_args(3, argv, &cur, &e), CFG_RUN);
	f = fopen(p, "a");
	fputs("output = { fps = 5; };\n", f);  /* a duplicate group: a syntax error */
	fclose(f);
	assert_true(cfg_reload(&cur, &next, &e) < 0);
	tu_assert_contains(e.msg, p);

	f = fopen(p, "w");
	fputs("camera = { source = \"bc-tcp://admin@10.0.0.6\"; password = \"x\"; };\n"
	      "output = { device = \"/dev/video40\"; fps = 5; };\n", f);
	fclose(f);
	assert_int_equal(cfg_reload(&cur, &next, &e), 0);
	assert_int_equal(next.output.fps, 5);
	assert_int_equal(cfg_changed_keys(&cur, &next, changed, sizeof(changed)), 3);
	assert_string_equal(changed, "camera.source, camera.password, output.fps");
	assert_int_equal(cfg_changed_prefix(&cur, &next, "camera."), 2);
	assert_int_equal(cfg_changed_prefix(&cur, &next, "output.fps"), 1);
	assert_int_equal(cfg_changed_prefix(&cur, &next, "record."), 0);
	assert_int_equal(cfg_changed_keys(&next, &next, changed, sizeof(changed)), 0);
}

/* record.on_types: a list of alarm type names, each checked; on_motion = true is every type;
 * both set: on_types wins, with a warning. */
static void test_record_on_types(void **state)
{
	char *p = tu_tmp_file("camera = { source = \"rtsp://cam/x\"; };\n"
			      "output = { device = \"/d\"; };\n"
			      "record = {\n\ton_types = \"people, cat\"; };\n", 0600);
	struct cfg c;
	struct cfg_err e;

	(void)state;
	assert_true(cfg_load(p, &c, &e) < 0);
	tu_assert_contains(e.msg, ":4: record.on_types: 'cat' is not an alarm type");
	assert_true(FROM_ARGS(&c, &e, "--source", "rtsp://c", "--output", "/d",
			      "--record.on_types=motion,,face") < 0);
	tu_assert_contains(e.msg, "empty entry");
	assert_int_equal(FROM_ARGS(&c, &e, "--source", "rtsp://c", "--output", "/d"), CFG_RUN);
	assert_int_equal(c.record.on_mask, 0);
	assert_int_equal(FROM_ARGS(&c, &e, "--source", "rtsp://c", "--output", "/d",
				   "--record.on_motion=true"), CFG_RUN);
	assert_int_equal(c.record.on_mask, 0x1f);   /* motion … face */
	assert_int_equal(FROM_ARGS(&c, &e, "--source", "rtsp://c", "--output", "/d",
				   "--record.on_types", " vehicle,dog_cat ,people"), CFG_RUN);
	assert_int_equal(c.record.on_mask, 1u << 1 | 1u << 2 | 1u << 3);
	assert_int_equal(c.n_warnings, 0);
	assert_int_equal(FROM_ARGS(&c, &e, "--source", "rtsp://c", "--output", "/d",
				   "--record.on_motion=true", "--record.on_types=face"), CFG_RUN);
	assert_int_equal(c.record.on_mask, 1u << 4);
	assert_int_equal(c.n_warnings, 1);
	tu_assert_contains(c.warnings[0], "record.on_motion is ignored");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_example_validates, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_example_documents_every_key, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_defaults_pass_checks, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_man_page_lists_aliases, tu_cfg_setup,
						tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_fifo_config_refused, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_huge_config_refused, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_syntax_error_line, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_include_error_names_included_file, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key_line, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range_line, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_many_errors_all_reported, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_missing_required, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_cli_overrides_file, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_numbers_bounded, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_check_args, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_keep_open_removed, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_mqtt_tls_files, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_reload, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_record_on_types, tu_cfg_setup, tu_cfg_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
