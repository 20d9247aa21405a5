/* Configuration: defaults, the example file, broken files reported as file:line, command-line
 * overrides, password sources (file, systemd credential) and that no password ever shows. */
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

#include "app/cfg.h"

#define SECRET "Zebra-S3cret-42"
#define EXAMPLE "config/camera.conf.example"

/* Temporary files, removed after each test. */
static char tmp_paths[16][64];
static int n_tmp;

static char *tmp_file(const char *content, mode_t mode)
{
	char *p;
	int fd;

	assert_true(n_tmp < 16);
	p = tmp_paths[n_tmp++];
	snprintf(p, 64, "/tmp/test_cfg-XXXXXX.conf");
	fd = mkstemps(p, 5);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return p;
}

static char tmp_dir[64];

static int setup(void **state)
{
	unsetenv("CREDENTIALS_DIRECTORY");
	n_tmp = 0;
	tmp_dir[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	for (int i = 0; i < n_tmp; i++)
		unlink(tmp_paths[i]);
	if (tmp_dir[0]) {
		char p[128];

		snprintf(p, sizeof(p), "%s/password", tmp_dir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/http-password", tmp_dir);
		unlink(p);
		rmdir(tmp_dir);
	}
	unsetenv("CREDENTIALS_DIRECTORY");
	return 0;
}

/* cfg_check's output as a malloc'd string. */
static char *check_output(const char *path, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*rc = cfg_check(path, f);
	fclose(f);
	return buf;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not found in:\n%s", needle, hay);
}

static void assert_no_secret(const char *s)
{
	if (strstr(s, SECRET) || strstr(s, "Zebra"))
		fail_msg("password shown in:\n%s", s);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#define ARGV(...) ((char *[]){ "cam-bridge", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "cam-bridge", __VA_ARGS__ }) / sizeof(char *)))
#define FROM_ARGS(c, e, ...) cfg_from_args(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), c, e)

static const char minimal[] =
	"camera = { source = \"bc-tcp://admin@10.0.0.5\"; };\n"
	"output = { device = \"/dev/video40\"; };\n";

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
		char *p = tmp_file(minimal, 0600);

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
	char *out = check_output(EXAMPLE, &rc);

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

static void test_syntax_error_line(void **state)
{
	char *p = tmp_file("camera = {\n"
				 "\tuser = \"admin\";\n"
				 "\tstream = = \"main\";\n"
				 "};\n", 0600);
	char want[128];
	int rc;
	char *out = check_output(p, &rc);

	assert_int_equal(rc, 1);
	snprintf(want, sizeof(want), "%s:3: ", p);
	assert_contains(out, want);
	assert_int_equal(count_lines(out), 1);
	free(out);
}

static void test_include_error_names_included_file(void **state)
{
	char *inc = tmp_file("# shared\nlog = {\n level = = \"info\";\n};\n", 0600);
	char main_text[256];
	char *p;
	char want[128];
	int rc;
	char *out;

	snprintf(main_text, sizeof(main_text), "@include \"%s\"\n%s", strrchr(inc, '/') + 1,
		 minimal);
	p = tmp_file(main_text, 0600);
	out = check_output(p, &rc);
	assert_int_equal(rc, 1);
	snprintf(want, sizeof(want), "%s:3: ", inc);
	assert_contains(out, want);
	free(out);

	/* a good include works, and errors inside it carry its name and line */
	inc = tmp_file("output = {\n fps = 500;\n};\n", 0600);
	snprintf(main_text, sizeof(main_text),
		 "@include \"%s\"\ncamera = { source = \"bc-tcp://h\"; };\n", strrchr(inc, '/') + 1);
	p = tmp_file(main_text, 0600);
	out = check_output(p, &rc);
	assert_int_equal(rc, 1);
	snprintf(want, sizeof(want), "%s:2: output.fps: 500 out of range 1..120", inc);
	assert_contains(out, want);
	free(out);
}

static void test_unknown_key_line(void **state)
{
	char *p = tmp_file("camera = {\n"
				 "\tsource = \"bc-tcp://h\";\n"
				 "\tusr = \"admin\";\n"
				 "};\n"
				 "output = { device = \"/dev/video0\"; };\n"
				 "bogus = 1;\n", 0600);
	char want[128];
	int rc;
	char *out = check_output(p, &rc);

	assert_int_equal(rc, 1);
	snprintf(want, sizeof(want), "%s:3: unknown setting 'camera.usr' (did you mean "
		 "'camera.user'?)", p);
	assert_contains(out, want);
	snprintf(want, sizeof(want), "%s:6: unknown setting 'bogus'", p);
	assert_contains(out, want);
	assert_int_equal(count_lines(out), 2);
	free(out);
}

static void test_out_of_range_line(void **state)
{
	char *p = tmp_file("camera = { source = \"bc-tcp://h\"; };\n"
				 "output = {\n"
				 "\tdevice = \"/dev/video0\";\n"
				 "\tfps = 121;\n"
				 "};\n", 0600);
	char want[128];
	int rc;
	char *out = check_output(p, &rc);

	assert_int_equal(rc, 1);
	snprintf(want, sizeof(want), "%s:4: output.fps: 121 out of range 1..120", p);
	assert_contains(out, want);
	free(out);
}

static void test_many_errors_all_reported(void **state)
{
	char *p = tmp_file(
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
	char *out = check_output(p, &rc);
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
		assert_contains(out, want);
	}
	/* the missing output.device is reported too, without a line */
	snprintf(want, sizeof(want), "%s: missing required setting output.device", p);
	assert_contains(out, want);
	assert_no_secret(out);
	free(out);
}

static void test_missing_required(void **state)
{
	char *p = tmp_file("# nothing\n", 0600);
	struct cfg c;
	struct cfg_err e;
	int rc;
	char *out = check_output(p, &rc);

	assert_int_equal(rc, 1);
	assert_contains(out, "missing required setting camera.source");
	assert_contains(out, "missing required setting output.device");
	free(out);

	/* ...unless the command line gives them */
	assert_int_equal(FROM_ARGS(&c, &e, "-c", p, "--source", "rtsp://cam/x", "--output",
				   "label:Front Door"), CFG_RUN);
	assert_string_equal(c.output.device, "label:Front Door");

	/* bc-udp without a UID */
	p = tmp_file("camera = { source = \"bc-udp://admin@broadcast\"; };\n"
		     "output = { device = \"/dev/video0\"; };\n", 0600);
	out = check_output(p, &rc);
	assert_int_equal(rc, 1);
	assert_contains(out, ":1: camera.source: bc-udp needs the camera's UID");
	free(out);

	/* camera.uid supplies it */
	p = tmp_file("camera = { source = \"bc-udp://admin@broadcast\"; uid = \"ABC1\"; };\n"
		     "output = { device = \"/dev/video0\"; };\n", 0600);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_string_equal(c.camera.uid, "ABC1");
	assert_int_equal(c.camera.url.broadcast, 1);
	assert_int_equal(c.wake.mode, CFG_WAKE_ON_DEMAND);
}

static void test_cli_overrides_file(void **state)
{
	char *p = tmp_file("camera = { source = \"bc-tcp://admin@10.0.0.5\"; };\n"
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
	assert_contains(e.msg, "command line: --fps: 0 out of range 1..120");
	assert_true(FROM_ARGS(&c, &e, "-c", p, "--size", "640") < 0);
	assert_contains(e.msg, "--size");
	assert_true(FROM_ARGS(&c, &e, "-c", p, "--size", "641x480") < 0);
	assert_contains(e.msg, "--size: 641 must be even");
	assert_true(FROM_ARGS(&c, &e, "-c", p, "--nope") < 0);
	assert_contains(e.msg, "unknown or ambiguous option '--nope'");
	assert_true(FROM_ARGS(&c, &e, "-c", p, "--source") < 0);
	assert_contains(e.msg, "needs a value");
	assert_true(FROM_ARGS(&c, &e, "-c", "/nonexistent/x.conf") < 0);
	assert_contains(e.msg, "/nonexistent/x.conf: cannot open: No such file");
	assert_true(FROM_ARGS(&c, &e, "-c", p, "--reconnect.backoff_min_ms=60000",
			      "--reconnect.backoff_max_ms=1000") < 0);
	assert_contains(e.msg, "reconnect.backoff_min_ms: 60000 is more than");

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

static void test_check_args(void **state)
{
	char *p = tmp_file(minimal, 0600);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(cfg_check_args(ARGC("--check-config", p), ARGV("--check-config", p), f), 0);
	assert_int_equal(cfg_check_args(ARGC("-c", p, "--fps", "500", "--check-config"),
					ARGV("-c", p, "--fps", "500", "--check-config"), f), 1);
	fclose(f);
	assert_contains(buf, "command line: --fps: 500 out of range 1..120");
	free(buf);
}

static const char with_passwords[] =
	"camera = {\n"
	"\tsource = \"rtsp://admin:" SECRET "@cam/x\";\n"
	"\tpassword = \"" SECRET "\";\n"
	"};\n"
	"output = { device = \"/dev/video40\"; };\n"
	"http = { user = \"viewer\"; password = \"" SECRET "\"; };\n";

static void test_help_has_no_password(void **state)
{
	char *p = tmp_file(with_passwords, 0600);
	struct cfg c;
	struct cfg_err e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	assert_int_equal(FROM_ARGS(&c, &e, "-c", p, "--help"), CFG_HELP);
	assert_string_equal(c.http.password, SECRET);  /* it is configured */
	f = open_memstream(&buf, &len);
	cfg_usage(f, "cam-bridge", &c);
	cfg_usage(f, "cam-bridge", NULL);
	cfg_dump(&c, f);
	fclose(f);
	assert_contains(buf, "--source URL");
	assert_contains(buf, "--camera.password=PASS");
	assert_contains(buf, "[set]");
	assert_contains(buf, "rtsp://admin:***@cam/x");
	assert_contains(buf, "[default: 127.0.0.1:8080]");
	assert_contains(buf, "password = \"***\";");
	assert_no_secret(buf);
	free(buf);
}

static void test_errors_never_show_password(void **state)
{
	char longpw[200], text[600];
	char *p, *pf;
	struct cfg c;
	struct cfg_err e;
	char *buf = NULL, *out;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	/* file: wrong type, bad URL, too long, errors in the same lines as the password */
	memset(longpw, 'Z', 150);
	longpw[150] = '\0';
	snprintf(text, sizeof(text),
		 "camera = {\n"
		 "\tsource = \"bc-tcp://admin:" SECRET "@h/xyz\";\n"
		 "\tpassword = \"Zebra%s\";\n"
		 "\tuser = 5;\n"
		 "};\n"
		 "http = { password = \"" SECRET "\"; user = \"\"; };\n"
		 "output = { device = \"/dev/video0\"; };\n", longpw);
	p = tmp_file(text, 0644);
	out = check_output(p, &rc);
	assert_int_equal(rc, 1);
	assert_contains(out, "camera.password: longer than 127 bytes");
	assert_contains(out, "unknown stream");
	fputs(out, f);
	free(out);
	assert_true(cfg_load(p, &c, &e) < 0);
	fprintf(f, "%s\n", e.msg);
	for (int i = 0; i < c.n_warnings; i++)
		fprintf(f, "%s\n", c.warnings[i]);

	/* http password without a user */
	p = tmp_file("camera = { source = \"rtsp://cam\"; };\noutput = { device = \"/d\"; };\n"
		     "http = { password = \"" SECRET "\"; };\n", 0600);
	out = check_output(p, &rc);
	assert_int_equal(rc, 1);
	assert_contains(out, "http.user: required when an HTTP password is set");
	fputs(out, f);
	free(out);

	/* password files: too long, several lines */
	snprintf(text, sizeof(text), "%s%s\n", SECRET, longpw);
	pf = tmp_file(text, 0600);
	snprintf(text, sizeof(text), "camera = { source = \"bc-tcp://h\"; password_file = \"%s\"; };\n"
		 "output = { device = \"/d\"; };\n", pf);
	p = tmp_file(text, 0600);
	out = check_output(p, &rc);
	assert_int_equal(rc, 1);
	assert_contains(out, "password longer than 127 bytes");
	fputs(out, f);
	free(out);
	pf = tmp_file(SECRET "\n" SECRET "\n", 0600);
	snprintf(text, sizeof(text), "camera = { source = \"bc-tcp://h\"; password_file = \"%s\"; };\n"
		 "output = { device = \"/d\"; };\n", pf);
	p = tmp_file(text, 0600);
	out = check_output(p, &rc);
	assert_int_equal(rc, 1);
	assert_contains(out, "one line");
	fputs(out, f);
	free(out);

	/* command line: a mistyped secret option, with = and with a separate value */
	assert_true(FROM_ARGS(&c, &e, "--camera.pasword=" SECRET, "--source", "rtsp://c",
			      "--output", "/d") < 0);
	assert_contains(e.msg, "unknown or ambiguous option '--camera.pasword'");
	fprintf(f, "%s\n", e.msg);
	assert_true(FROM_ARGS(&c, &e, "--camera.pasword", SECRET, "--source", "rtsp://c",
			      "--output", "/d") < 0);
	fprintf(f, "%s\n", e.msg);
	assert_true(FROM_ARGS(&c, &e, "--source", "bc-tcp://admin:" SECRET "@h:0", "--output",
			      "/d") < 0);
	assert_contains(e.msg, "command line: --source: bc-tcp: port 0 out of range");
	fprintf(f, "%s\n", e.msg);
	/* a password on the command line works but warns, without the value */
	assert_int_equal(FROM_ARGS(&c, &e, "--camera.password", SECRET, "--source", "bc-tcp://h",
				   "--output", "/d"), CFG_RUN);
	assert_string_equal(c.camera.password, SECRET);
	assert_int_equal(c.n_warnings, 1);
	assert_contains(c.warnings[0], "visible to other users");
	fprintf(f, "%s\n", c.warnings[0]);
	fclose(f);
	assert_no_secret(buf);
	free(buf);
}

/* output.keep_open was documented but never read: it is gone from the options, and a file
 * that still sets it (copied from the old example) loads with a warning naming the line. */
static void test_keep_open_removed(void **state)
{
	char *p = tmp_file("camera = { source = \"rtsp://cam/x\"; };\n"
			   "output = { device = \"/d\";\n\tkeep_open = true; };\n", 0600);
	struct cfg c;
	struct cfg_err e;

	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_int_equal(c.n_warnings, 1);
	assert_contains(c.warnings[0], ":3: output.keep_open is no longer used");
	assert_true(FROM_ARGS(&c, &e, "--source", "rtsp://c", "--output", "/d",
			      "--output.keep_open=false") < 0);
	assert_contains(e.msg, "output.keep_open");
}

static void test_password_file_and_credentials(void **state)
{
	char *pf = tmp_file("pw-from-file\n", 0600);
	char text[512], path[128];
	char *p;
	struct cfg c;
	struct cfg_err e;
	FILE *f;

	snprintf(text, sizeof(text),
		 "camera = { source = \"rtsp://cam:554/x\"; user = \"op\"; password_file = \"%s\"; };\n"
		 "output = { device = \"/d\"; };\n", pf);
	p = tmp_file(text, 0600);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_string_equal(c.camera.password, "pw-from-file");
	assert_int_equal(c.camera.password_source, CFG_PW_FILE);
	/* rtsp without credentials gets them, encoded */
	assert_string_equal(c.camera.open_url, "rtsp://op:pw-from-file@cam:554/x");
	assert_int_equal(c.n_warnings, 0);

	/* the systemd credentials */
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/test_cfg-cred-XXXXXX");
	assert_non_null(mkdtemp(tmp_dir));
	snprintf(path, sizeof(path), "%s/password", tmp_dir);
	f = fopen(path, "w");
	fputs("p@ss word\r\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/http-password", tmp_dir);
	f = fopen(path, "w");
	fputs("webpw", f);
	fclose(f);
	setenv("CREDENTIALS_DIRECTORY", tmp_dir, 1);
	p = tmp_file("camera = { source = \"rtsp://cam/x\"; };\n"
		     "output = { device = \"/d\"; };\nhttp = { user = \"viewer\"; };\n", 0600);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_string_equal(c.camera.password, "p@ss word");
	assert_int_equal(c.camera.password_source, CFG_PW_CREDENTIAL);
	assert_string_equal(c.camera.open_url, "rtsp://admin:p%40ss%20word@cam/x");
	assert_string_equal(c.http.password, "webpw");
	assert_int_equal(c.http.password_source, CFG_PW_CREDENTIAL);
	assert_string_equal(cfg_pw_source_name(c.http.password_source), "credential");

	/* password_file wins over the credential, with a warning naming both sources */
	snprintf(text, sizeof(text),
		 "camera = { source = \"bc-tcp://h\"; password_file = \"%s\"; };\n"
		 "output = { device = \"/d\"; };\nhttp = { user = \"viewer\"; };\n", pf);
	p = tmp_file(text, 0600);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_string_equal(c.camera.password, "pw-from-file");
	assert_int_equal(c.n_warnings, 1);
	assert_contains(c.warnings[0], "using the password_file, ignoring the systemd credential");

	/* the URL's password wins over everything; the URL's user over camera.user */
	p = tmp_file("camera = { source = \"bc-tcp://boss:urlpw@h\"; user = \"x\"; "
		     "password = \"inl\"; };\noutput = { device = \"/d\"; };\n"
		     "http = { user = \"viewer\"; };\n", 0600);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_string_equal(c.camera.user, "boss");
	assert_string_equal(c.camera.password, "urlpw");
	assert_int_equal(c.camera.password_source, CFG_PW_URL);
	assert_int_equal(c.n_warnings, 2);

	/* an rtsp URL with its own password is used as it is */
	p = tmp_file("camera = { source = \"rtsp://a:b@cam/x\"; };\noutput = { device = \"/d\"; };\n"
		     "http = { user = \"viewer\"; };\n", 0600);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_int_equal(c.camera.password_source, CFG_PW_URL);
	assert_string_equal(c.camera.open_url, "rtsp://a:b@cam/x");

	/* a missing password_file is an error naming the file */
	unsetenv("CREDENTIALS_DIRECTORY");
	p = tmp_file("camera = { source = \"bc-tcp://h\"; password_file = \"/nonexistent/pw\"; };\n"
		     "output = { device = \"/d\"; };\n", 0600);
	assert_true(cfg_load(p, &c, &e) < 0);
	assert_contains(e.msg, ":1: camera.password_file: cannot open '/nonexistent/pw'");
}

static void test_permission_warning(void **state)
{
	static const char text[] =
		"camera = { source = \"bc-tcp://h\"; password = \"" SECRET "\"; };\n"
		"output = { device = \"/d\"; };\n";
	char *p = tmp_file(text, 0644);
	struct cfg c;
	struct cfg_err e;
	char want[128];
	int rc;
	char *out;

	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_int_equal(c.n_warnings, 1);
	snprintf(want, sizeof(want), "%s:1: camera.password holds a password", p);
	assert_contains(c.warnings[0], want);
	assert_contains(c.warnings[0], "readable by group/other (mode 0644)");
	assert_no_secret(c.warnings[0]);
	/* --check-config prints it, and still passes */
	out = check_output(p, &rc);
	assert_int_equal(rc, 0);
	assert_contains(out, "warning: ");
	free(out);

	p = tmp_file(text, 0600);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_int_equal(c.n_warnings, 0);

	/* a password inside the source URL counts too; a source without one does not */
	p = tmp_file("camera = { source = \"rtsp://u:" SECRET "@cam/x\"; };\n"
		     "output = { device = \"/d\"; };\n", 0640);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_int_equal(c.n_warnings, 1);
	assert_contains(c.warnings[0], "camera.source holds a password");
	p = tmp_file(minimal, 0644);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_int_equal(c.n_warnings, 0);
}

static void test_reload(void **state)
{
	char *p = tmp_file(minimal, 0600);
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
	assert_contains(e.msg, p);

	f = fopen(p, "w");
	fputs("camera = { source = \"bc-tcp://admin@10.0.0.6\"; password = \"x\"; };\n"
	      "output = { device = \"/dev/video40\"; fps = 5; };\n", f);
	fclose(f);
	assert_int_equal(cfg_reload(&cur, &next, &e), 0);
	assert_int_equal(next.output.fps, 5);
	assert_int_equal(cfg_changed_keys(&cur, &next, changed, sizeof(changed)), 3);
	assert_string_equal(changed, "camera.source, camera.password, output.fps");
	assert_int_equal(cfg_changed_keys(&next, &next, changed, sizeof(changed)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_example_validates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_example_documents_every_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_error_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_include_error_names_included_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_errors_all_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cli_overrides_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_has_no_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_never_show_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_open_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_file_and_credentials, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_permission_warning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
