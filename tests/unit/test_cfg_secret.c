/* Configuration secrets: password sources (URL, inline, file, systemd credential), permission
 * warnings, and that no password ever shows in --help, errors, warnings or the dump. */
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

#include "tu_cfg.h"

static const char with_passwords[] =
	"camera = {\n"
	"\tsource = \"rtsp://admin:" SECRET "@cam/x\";\n"
	"\tpassword = \"" SECRET "\";\n"
	"};\n"
	"output = { device = \"/dev/video40\"; };\n"
	"http = { user = \"viewer\"; password = \"" SECRET "\"; };\n";

static void test_help_has_no_password(void **state)
{
	char *p = tu_tmp_file(with_passwords, 0600);
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
	tu_assert_contains(buf, "--source URL");
	tu_assert_contains(buf, "--camera.password=PASS");
	tu_assert_contains(buf, "[set]");
	tu_assert_contains(buf, "rtsp://admin:***@cam/x");
	tu_assert_contains(buf, "[default: 127.0.0.1:8080]");
	tu_assert_contains(buf, "password = \"***\";");
	tu_assert_no_secret(buf);
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
	p = tu_tmp_file(text, 0644);
	out = tu_cfg_check_output(p, &rc);
	assert_int_equal(rc, 1);
	tu_assert_contains(out, "camera.password: longer than 127 bytes");
	tu_assert_contains(out, "unknown stream");
	fputs(out, f);
	free(out);
	assert_true(cfg_load(p, &c, &e) < 0);
	fprintf(f, "%s\n", e.msg);
	for (int i = 0; i < c.n_warnings; i++)
		fprintf(f, "%s\n", c.warnings[i]);

	/* http password without a user */
	p = tu_tmp_file("camera = { source = \"rtsp://cam\"; };\noutput = { device = \"/d\"; };\n"
		     "http = { password = \"" SECRET "\"; };\n", 0600);
	out = tu_cfg_check_output(p, &rc);
	assert_int_equal(rc, 1);
	tu_assert_contains(out, "http.user: required when an HTTP password is set");
	fputs(out, f);
	free(out);

	/* password files: too long, several lines */
	snprintf(text, sizeof(text), "%s%s\n", SECRET, longpw);
	pf = tu_tmp_file(text, 0600);
	snprintf(text, sizeof(text), "camera = { source = \"bc-tcp://h\"; password_file = \"%s\"; };\n"
		 "output = { device = \"/d\"; };\n", pf);
	p = tu_tmp_file(text, 0600);
	out = tu_cfg_check_output(p, &rc);
	assert_int_equal(rc, 1);
	tu_assert_contains(out, "password longer than 127 bytes");
	fputs(out, f);
	free(out);
	pf = tu_tmp_file(SECRET "\n" SECRET "\n", 0600);
	snprintf(text, sizeof(text), "camera = { source = \"bc-tcp://h\"; password_file = \"%s\"; };\n"
		 "output = { device = \"/d\"; };\n", pf);
	p = tu_tmp_file(text, 0600);
	out = tu_cfg_check_output(p, &rc);
	assert_int_equal(rc, 1);
	tu_assert_contains(out, "one line");
	fputs(out, f);
	free(out);

	/* command line: a mistyped secret option, with = and with a separate value */
	assert_true(FROM_ARGS(&c, &e, "--camera.pasword=" SECRET, "--source", "rtsp://c",
			      "--output", "/d") < 0);
	tu_assert_contains(e.msg, "unknown or ambiguous option '--camera.pasword'");
	fprintf(f, "%s\n", e.msg);
	assert_true(FROM_ARGS(&c, &e, "--camera.pasword", SECRET, "--source", "rtsp://c",
			      "--output", "/d") < 0);
	fprintf(f, "%s\n", e.msg);
	assert_true(FROM_ARGS(&c, &e, "--source", "bc-tcp://admin:" SECRET "@h:0", "--output",
			      "/d") < 0);
	tu_assert_contains(e.msg, "command line: --source: bc-tcp: port 0 out of range");
	fprintf(f, "%s\n", e.msg);
	/* a password on the command line works but warns, without the value */
	assert_int_equal(FROM_ARGS(&c, &e, "--camera.password", SECRET, "--source", "bc-tcp://h",
				   "--output", "/d"), CFG_RUN);
	assert_string_equal(c.camera.password, SECRET);
	assert_int_equal(c.n_warnings, 1);
	tu_assert_contains(c.warnings[0], "visible to other users");
	fprintf(f, "%s\n", c.warnings[0]);
	fclose(f);
	tu_assert_no_secret(buf);
	free(buf);
}

/* camera.password_file, http.password_file or a credential that is a FIFO: refused at once,
 * naming the key, instead of blocking the start (or a reload) until someone writes to it. */
static void test_password_fifo_refused(void **state)
{
	char *fifo = tu_fifo();
	char text[512], path[160], *p, *out;
	struct cfg c;
	struct cfg_err e;
	int rc;

	tu_deadline(20);
	snprintf(text, sizeof(text), "camera = { source = \"bc-tcp://h\"; password_file = \"%s\"; };\n"
		 "output = { device = \"/d\"; };\n", fifo);
	p = tu_tmp_file(text, 0600);
	assert_true(cfg_load(p, &c, &e) < 0);
	tu_assert_contains(e.msg, "camera.password_file: '");
	tu_assert_contains(e.msg, "not a regular file");
	out = tu_cfg_check_output(p, &rc);
	assert_int_equal(rc, 1);
	tu_assert_contains(out, "not a regular file");
	free(out);
	assert_true(FROM_ARGS(&c, &e, "--source", "bc-tcp://h", "--output", "/d", "--http.user",
			      "u", "--http.password_file", fifo) < 0);
	tu_assert_contains(e.msg, "http.password_file: '");
	tu_assert_contains(e.msg, "not a regular file");

	/* a systemd credential */
	snprintf(tu_cfg_tmp_dir, sizeof(tu_cfg_tmp_dir), "/tmp/test_cfg-cred-XXXXXX");
	assert_non_null(mkdtemp(tu_cfg_tmp_dir));
	snprintf(path, sizeof(path), "%s/password", tu_cfg_tmp_dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	setenv("CREDENTIALS_DIRECTORY", tu_cfg_tmp_dir, 1);
	assert_true(FROM_ARGS(&c, &e, "--source", "bc-tcp://h", "--output", "/d") < 0);
	tu_assert_contains(e.msg, "credential password: '");
	tu_assert_contains(e.msg, "not a regular file");
	tu_deadline(0);
}

/* http.user without a password used to log "authentication is off" while the server still
 * asked for user:"" (curl -u u: got in): now the configuration is refused, naming the keys. */
static void test_http_user_needs_password(void **state)
{
	struct cfg c;
	struct cfg_err e;
	char *p, *out;
	int rc;

	assert_true(FROM_ARGS(&c, &e, "--source", "bc-tcp://h", "--output", "/d", "--http.user",
			      "u") < 0);
	tu_assert_contains(e.msg, "command line: http.user: set but there is no HTTP password");
	tu_assert_contains(e.msg, "http.password_file");
	assert_int_equal(e.count, 1);
	p = tu_tmp_file("camera = { source = \"rtsp://cam\"; };\noutput = { device = \"/d\"; };\n"
			"http = {\n\tuser = \"u\";\n\tpassword = \"\";\n};\n", 0600);
	out = tu_cfg_check_output(p, &rc);
	assert_int_equal(rc, 1);
	tu_assert_contains(out, ":4: http.user: set but there is no HTTP password");
	free(out);
	/* neither: no authentication, fine; both: fine; HTTP off: the user does not matter */
	assert_int_equal(FROM_ARGS(&c, &e, "--source", "bc-tcp://h", "--output", "/d"), CFG_RUN);
	assert_int_equal(FROM_ARGS(&c, &e, "--source", "bc-tcp://h", "--output", "/d",
				   "--http.user", "u", "--http.password", "p"), CFG_RUN);
	assert_int_equal(FROM_ARGS(&c, &e, "--source", "bc-tcp://h", "--output", "/d",
				   "--http.user", "u", "--http", "off"), CFG_RUN);
	/* a password without a user, as before */
	assert_true(FROM_ARGS(&c, &e, "--source", "bc-tcp://h", "--output", "/d",
			      "--http.password", "p") < 0);
	tu_assert_contains(e.msg, "http.user: required when an HTTP password is set");
}

static void test_password_file_and_credentials(void **state)
{
	char *pf = tu_tmp_file("pw-from-file\n", 0600);
	char text[512], path[128];
	char *p;
	struct cfg c;
	struct cfg_err e;
	FILE *f;

	snprintf(text, sizeof(text),
		 "camera = { source = \"rtsp://cam:554/x\"; user = \"op\"; password_file = \"%s\"; };\n"
		 "output = { device = \"/d\"; };\n", pf);
	p = tu_tmp_file(text, 0600);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_string_equal(c.camera.password, "pw-from-file");
	assert_int_equal(c.camera.password_source, CFG_PW_FILE);
	/* rtsp without credentials gets them, encoded */
	assert_string_equal(c.camera.open_url, "rtsp://op:pw-from-file@cam:554/x");
	assert_int_equal(c.n_warnings, 0);

	/* the systemd credentials */
	snprintf(tu_cfg_tmp_dir, sizeof(tu_cfg_tmp_dir), "/tmp/test_cfg-cred-XXXXXX");
	assert_non_null(mkdtemp(tu_cfg_tmp_dir));
	snprintf(path, sizeof(path), "%s/password", tu_cfg_tmp_dir);
	f = fopen(path, "w");
	fputs("p@ss word\r\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/http-password", tu_cfg_tmp_dir);
	f = fopen(path, "w");
	fputs("webpw", f);
	fclose(f);
	setenv("CREDENTIALS_DIRECTORY", tu_cfg_tmp_dir, 1);
	p = tu_tmp_file("camera = { source = \"rtsp://cam/x\"; };\n"
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
	p = tu_tmp_file(text, 0600);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_string_equal(c.camera.password, "pw-from-file");
	assert_int_equal(c.n_warnings, 1);
	tu_assert_contains(c.warnings[0], "using the password_file, ignoring the systemd credential");

	/* the URL's password wins over everything; the URL's user over camera.user */
	p = tu_tmp_file("camera = { source = \"bc-tcp://boss:urlpw@h\"; user = \"x\"; "
		     "password = \"inl\"; };\noutput = { device = \"/d\"; };\n"
		     "http = { user = \"viewer\"; };\n", 0600);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_string_equal(c.camera.user, "boss");
	assert_string_equal(c.camera.password, "urlpw");
	assert_int_equal(c.camera.password_source, CFG_PW_URL);
	assert_int_equal(c.n_warnings, 2);

	/* an rtsp URL with its own password is used as it is */
	p = tu_tmp_file("camera = { source = \"rtsp://a:b@cam/x\"; };\noutput = { device = \"/d\"; };\n"
		     "http = { user = \"viewer\"; };\n", 0600);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_int_equal(c.camera.password_source, CFG_PW_URL);
	assert_string_equal(c.camera.open_url, "rtsp://a:b@cam/x");

	/* a missing password_file is an error naming the file */
	unsetenv("CREDENTIALS_DIRECTORY");
	p = tu_tmp_file("camera = { source = \"bc-tcp://h\"; password_file = \"/nonexistent/pw\"; };\n"
		     "output = { device = \"/d\"; };\n", 0600);
	assert_true(cfg_load(p, &c, &e) < 0);
	tu_assert_contains(e.msg, ":1: camera.password_file: cannot open '/nonexistent/pw'");
}

static void test_permission_warning(void **state)
{
	static const char text[] =
		"camera = { source = \"bc-tcp://h\"; password = \"" SECRET "\"; };\n"
		"output = { device = \"/d\"; };\n";
	char *p = tu_tmp_file(text, 0644);
	struct cfg c;
	struct cfg_err e;
	char want[128];
	int rc;
	char *out;

	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_int_equal(c.n_warnings, 1);
	snprintf(want, sizeof(want), "%s:1: camera.password holds a password", p);
	tu_assert_contains(c.warnings[0], want);
	tu_assert_contains(c.warnings[0], "readable by group/other (mode 0644)");
	tu_assert_no_secret(c.warnings[0]);
	/* --check-config prints it, and still passes */
	out = tu_cfg_check_output(p, &rc);
	assert_int_equal(rc, 0);
	tu_assert_contains(out, "warning: ");
	free(out);

	p = tu_tmp_file(text, 0600);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_int_equal(c.n_warnings, 0);

	/* a password inside the source URL counts too; a source without one does not */
	p = tu_tmp_file("camera = { source = \"rtsp://u:" SECRET "@cam/x\"; };\n"
		     "output = { device = \"/d\"; };\n", 0640);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_int_equal(c.n_warnings, 1);
	tu_assert_contains(c.warnings[0], "camera.source holds a password");
	p = tu_tmp_file(tu_cfg_minimal, 0644);
	assert_int_equal(cfg_load(p, &c, &e), 0);
	assert_int_equal(c.n_warnings, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_help_has_no_password, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_errors_never_show_password, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_password_fifo_refused, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_http_user_needs_password, tu_cfg_setup,
						tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_password_file_and_credentials, tu_cfg_setup, tu_cfg_teardown),
		cmocka_unit_test_setup_teardown(test_permission_warning, tu_cfg_setup, tu_cfg_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
