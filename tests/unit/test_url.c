/* Source URLs: every scheme, ports and defaults, IPv6, percent-encoding, malformed input with
 * its error text (never the password), and redaction. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "app/url.h"

#define SECRET "Zebra-S3cret-42"

static struct url u;
static char err[256];

static void ok(const char *s)
{
	int r = url_parse(s, &u, err, sizeof(err));

	if (r)
		fail_msg("'%s' rejected: %s", s, err);
}

/* Rejected, with an error containing `want`, never the password. */
static void ko(const char *s, const char *want)
{
	assert_int_equal(url_parse(s, &u, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("'%s': error '%s' lacks '%s'", s, err, want);
	if (strstr(err, SECRET) || strstr(err, "Zebra"))
		fail_msg("'%s': error '%s' shows the password", s, err);
}

static void test_bc_udp(void **state)
{
	ok("bc-udp://admin:pw@192.168.1.20/sub?uid=95270000ABCD");
	assert_int_equal(u.kind, URL_BC_UDP);
	assert_string_equal(u.user, "admin");
	assert_string_equal(u.password, "pw");
	assert_true(u.has_user && u.has_password);
	assert_string_equal(u.host, "192.168.1.20");
	assert_int_equal(u.port, 0);
	assert_int_equal(u.broadcast, 0);
	assert_int_equal(u.stream, 1);
	assert_string_equal(u.uid, "95270000ABCD");

	ok("bc-udp://admin:pw@cam.lan:2015/main?uid=X1");
	assert_string_equal(u.host, "cam.lan");
	assert_int_equal(u.port, 2015);
	assert_int_equal(u.stream, 0);

	ok("bc-udp://admin:pw@broadcast?uid=X1&iface=eth0&iface=wlan0");
	assert_int_equal(u.broadcast, 1);
	assert_string_equal(u.host, "");
	assert_int_equal(u.stream, -1);
	assert_int_equal(u.n_iface, 2);
	assert_string_equal(u.iface[0], "eth0");
	assert_string_equal(u.iface[1], "wlan0");

	ok("bc-udp://admin@*/sub?uid=X1");
	assert_int_equal(u.broadcast, 1);
	assert_true(u.has_user);
	assert_false(u.has_password);

	ok("bc-udp://BROADCAST?uid=X1");
	assert_int_equal(u.broadcast, 1);
	assert_false(u.has_user);

	/* no uid is fine here: camera.uid may supply it (cfg checks) */
	ok("bc-udp://10.0.0.2");
	assert_string_equal(u.uid, "");
}

static void test_bc_tcp(void **state)
{
	ok("bc-tcp://admin:pw@10.0.0.5");
	assert_int_equal(u.kind, URL_BC_TCP);
	assert_int_equal(u.port, 9000);
	assert_int_equal(u.stream, -1);

	ok("bc-tcp://admin:pw@10.0.0.5:9001/main");
	assert_int_equal(u.port, 9001);
	assert_int_equal(u.stream, 0);

	ok("BC-TCP://admin:pw@host-1.example.org/");
	assert_int_equal(u.kind, URL_BC_TCP);
	assert_string_equal(u.host, "host-1.example.org");
	assert_int_equal(u.stream, -1);

	ok("bc-tcp://h/SUB");
	assert_int_equal(u.stream, 1);
}

static void test_bc_p2p(void **state)
{
	ok("bc-p2p://admin:pw@95270000ABCDEFGH/sub");
	assert_int_equal(u.kind, URL_BC_P2P);
	assert_string_equal(u.uid, "95270000ABCDEFGH");
	assert_string_equal(u.host, "95270000ABCDEFGH");
	assert_int_equal(u.port, 0);
	assert_int_equal(u.stream, 1);

	ko("bc-p2p://admin:pw@95270000ABCDEFGH:9000", "no port");
	ko("bc-p2p://admin:pw@9527-0000", "UID");
	ko("bc-p2p://admin:pw@UID1?uid=UID2", "host part");
	ko("bc-p2p://admin:pw@", "missing camera UID");
}

static void test_ipv6(void **state)
{
	ok("bc-tcp://u:p@[fe80::1%25eth0]:9000/sub");
	assert_string_equal(u.host, "fe80::1%eth0");
	assert_int_equal(u.port, 9000);

	ok("bc-tcp://[::1]");
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 9000);

	ok("bc-udp://u:p@[2001:db8::7]:2018?uid=A");
	assert_string_equal(u.host, "2001:db8::7");
	assert_int_equal(u.port, 2018);

	ko("bc-tcp://u:p@[zz::1]", "invalid IPv6 address");
	ko("bc-tcp://u:p@[::1", "missing ']'");
	ko("bc-tcp://u:p@[::1]x", "after ']'");
	ko("bc-tcp://u:p@::1", "brackets");
	ko("bc-tcp://u:p@[fe80::1%25]", "empty IPv6 zone");
}

static void test_percent(void **state)
{
	ok("bc-tcp://ad%40min:p%3Aa%2Fss%25%20x@h");
	assert_string_equal(u.user, "ad@min");
	assert_string_equal(u.password, "p:a/ss% x");

	ok("bc-tcp://admin:a:b:c@h");   /* ':' in a password needs no encoding */
	assert_string_equal(u.password, "a:b:c");

	ok("bc-tcp://:onlypw@h");
	assert_false(u.has_user);
	assert_true(u.has_password);
	assert_string_equal(u.password, "onlypw");

	ok("bc-tcp://admin:@h");
	assert_true(u.has_password);
	assert_string_equal(u.password, "");

	ok("bc-udp://h?uid=AB%43");
	assert_string_equal(u.uid, "ABC");

	ko("bc-tcp://admin:" SECRET "%zz@h", "invalid percent-encoding in password");
	ko("bc-tcp://admin:" SECRET "%4@h", "invalid percent-encoding in password");
	ko("bc-tcp://admin:" SECRET "%00@h", "(NUL byte) in password");
	ko("bc-tcp://ad%g1:" SECRET "@h", "invalid percent-encoding in user name");
}

static void test_av_sources(void **state)
{
	static const char *const srcs[] = {
		"rtsp://admin:pw@192.168.1.9:554/h264Preview_01_main",
		"rtsps://cam.example/stream",
		"udp://@239.0.0.1:1234",
		"http://cam/cgi-bin/api.cgi?cmd=Snap",
		"https://cam/flv?port=1935&app=bcs&stream=channel0_main.bcs",
		"rtmp://cam/bcs/channel0_main.bcs?channel=0&stream=0&user=admin&password=pw",
		"srt://10.0.0.1:9000?mode=caller",
		"file:clip.mp4",
	};

	for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		ok(srcs[i]);
		assert_int_equal(u.kind, URL_AV);
		assert_string_equal(u.av, srcs[i]);
		assert_int_equal(u.av_is_path, 0);
	}
	ok("/var/lib/cam/test clip.mkv");
	assert_int_equal(u.kind, URL_AV);
	assert_int_equal(u.av_is_path, 1);
	ok("clip.mp4");
	assert_int_equal(u.av_is_path, 1);
	assert_string_equal(url_kind_name(URL_AV), "url");
	assert_string_equal(url_kind_name(URL_BC_P2P), "bc-p2p");
}

static void test_malformed(void **state)
{
	char big[URL_MAX_LEN + 20], longpw[200];

	ko("", "empty source");
	ko("bc-foo://x", "unknown scheme 'bc-foo'");
	ko("bc-udp:/x", "expected 'bc-udp://'");
	ko("bc-tcp://u:" SECRET "@", "missing host");
	ko("bc-udp://u:" SECRET "@/main?uid=A", "missing host (or 'broadcast')");
	ko("bc-tcp://u:" SECRET "@h:0", "port 0 out of range");
	ko("bc-tcp://u:" SECRET "@h:99999", "out of range 1..65535");
	ko("bc-tcp://u:" SECRET "@h:9a", "not a number");
	ko("bc-tcp://u:" SECRET "@h:", "empty port");
	ko("bc-tcp://u:" SECRET "@h/foo", "unknown stream '/foo' (expected /main or /sub)");
	ko("bc-tcp://u:" SECRET "@h?uid=A", "only applies to bc-udp");
	ko("bc-tcp://u:" SECRET "@h?iface=eth0", "only applies to bc-udp");
	ko("bc-tcp://u:" SECRET "@*", "only applies to bc-udp");
	ko("bc-udp://u:" SECRET "@h?foo=1", "unknown query parameter 'foo'");
	ko("bc-udp://u:" SECRET "@h?uid=A&uid=B", "duplicate ?uid=");
	ko("bc-udp://u:" SECRET "@h?uid", "needs a value");
	ko("bc-udp://u:" SECRET "@h?uid=A&", "stray '&'");
	ko("bc-udp://u:" SECRET "@h?", "empty query");
	ko("bc-udp://u:" SECRET "@h?uid=A-B", "letters and digits");
	ko("bc-udp://u:" SECRET "@h?uid=A&iface=", "empty ?iface=");
	ko("bc-udp://u:" SECRET "@h?uid=A&iface=averyveryverylongifname", "longer than 15");
	ko("bc-udp://u:" SECRET "@h#frag", "fragment");
	ko("bc-udp://u:" SECRET "@h/main#frag", "fragment");
	ko("bc-udp://u:" SECRET "@ho$t", "invalid character '$' in host");
	/* unencoded '/', '?', '#' or '@' in the password */
	ko("bc-tcp://u:Zebra/S3cret@h", "percent-encode");
	ko("bc-tcp://u:Zebra?S3cret@h", "percent-encode");
	ko("bc-tcp://u:Zebra#S3cret@h", "percent-encode");
	ko("bc-tcp://u:" SECRET "\n@h", "control character");
	/* user:password with the host forgotten: the port error must not echo it */
	ko("bc-tcp://admin:" SECRET, "port is not a number");
	ko("bc-tcp://admin:4242424242", "port out of range");
	if (strstr(err, "4242"))
		fail_msg("port echoed: %s", err);

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ko(big, "longer than 1023");

	memset(longpw, 'Z', 128);
	longpw[128] = '\0';
	snprintf(big, sizeof(big), "bc-tcp://admin:%s@h", longpw);
	ko(big, "password longer than 127 bytes");
	if (strstr(err, "ZZZZ"))
		fail_msg("password echoed: %s", err);
	longpw[127] = '\0';
	snprintf(big, sizeof(big), "bc-tcp://admin:%s@h", longpw);
	ok(big);
	assert_int_equal(strlen(u.password), 127);

	/* NULL error buffer is fine */
	assert_int_equal(url_parse("bc-tcp://", &u, NULL, 0), -EINVAL);
}

static void redacts(const char *in, const char *want)
{
	char out[1100];

	assert_int_equal(url_redact(in, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_redact(void **state)
{
	char small[16];

	redacts("rtsp://admin:" SECRET "@cam:554/x", "rtsp://admin:***@cam:554/x");
	redacts("bc-udp://admin:" SECRET "@broadcast/main?uid=A",
		"bc-udp://admin:***@broadcast/main?uid=A");
	redacts("bc-tcp://admin%40x:p%40ss@[::1]:9000", "bc-tcp://admin%40x:***@[::1]:9000");
	redacts("rtsp://admin@cam/x", "rtsp://admin@cam/x");
	redacts("rtsp://cam/x", "rtsp://cam/x");
	redacts("/var/lib/clip.mp4", "/var/lib/clip.mp4");
	redacts("rtmp://cam/bcs/c.bcs?channel=0&user=admin&password=" SECRET "&x=1",
		"rtmp://cam/bcs/c.bcs?channel=0&user=admin&password=***&x=1");
	redacts("http://cam/api?PWD=" SECRET, "http://cam/api?PWD=***");
	/* an unencoded '/' or '@' in the password: hidden anyway */
	redacts("rtsp://admin:Zebra/S3cr@t@cam/x", "rtsp://admin:***@cam/x");
	redacts("bc-tcp://admin:Zebra@S3cret@h", "bc-tcp://admin:***@h");
	redacts("", "");

	assert_int_equal(url_redact("rtsp://admin:" SECRET "@camera.example.org/x", small,
				    sizeof(small)), -ENOSPC);
	assert_null(strstr(small, "Zebra"));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_encode(void **state)
{
	char out[64];

	assert_int_equal(url_encode("a b@c:d/e%f~g_h.i-j", out, sizeof(out)), 0);
	assert_string_equal(out, "a%20b%40c%3Ad%2Fe%25f~g_h.i-j");
	assert_int_equal(url_encode("@@@@", out, 8), -ENOSPC);
	/* round trip through the parser */
	assert_int_equal(url_encode("p@ss:w/rd?#%", out, sizeof(out)), 0);
	{
		char s[128];

		snprintf(s, sizeof(s), "bc-tcp://admin:%s@h", out);
		ok(s);
		assert_string_equal(u.password, "p@ss:w/rd?#%");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bc_udp),
		cmocka_unit_test(test_bc_tcp),
		cmocka_unit_test(test_bc_p2p),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_av_sources),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
