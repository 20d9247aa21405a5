/* The run directory (util/rundir.c) and the cameras redirect (http/http_cameras.c): the
 * descriptor round-trips, is written atomically, and hostile neighbours (garbage, huge, bad
 * names, symlinks, FIFOs, dead processes, too many files) are never listed nor hang. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "http/http_cameras.h"
#include "util/rundir.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_rundir.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.out'", dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct rundir_cam cam(const char *name)
{
	struct rundir_cam c = { .pid = (long)getpid(), .updated = (int64_t)time(NULL) };

	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.http, sizeof(c.http), "http://127.0.0.1:8081");
	snprintf(c.device, sizeof(c.device), "/dev/video10");
	snprintf(c.state, sizeof(c.state), "streaming");
	return c;
}

static void put(const char *name, const char *text, size_t len)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_non_null(f = fopen(p, "w"));
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static int count_files(void)
{
	char cmd[128];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
	assert_non_null(p = popen(cmd, "r"));
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void test_format_parse_round_trip(void **state)
{
	struct rundir_cam c = cam("front.door_1"), d;
	char buf[RUNDIR_FILE_MAX];
	int len;

	(void)state;
	len = rundir_format(&c, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(rundir_parse(buf, (size_t)len, &d), 0);
	assert_string_equal(d.name, c.name);
	assert_string_equal(d.http, c.http);
	assert_string_equal(d.device, c.device);
	assert_string_equal(d.state, c.state);
	assert_int_equal(d.pid, c.pid);
	assert_int_equal(d.updated, c.updated);
	/* what the writer cannot write, it refuses */
	snprintf(c.device, sizeof(c.device), "/dev/\"x");
	assert_int_equal(rundir_format(&c, buf, sizeof(buf)), -EINVAL);
	c = cam("../etc");
	assert_int_equal(rundir_format(&c, buf, sizeof(buf)), -EINVAL);
}

static void test_parse_rejects_anything_else(void **state)
{
	static const char *bad[] = {
		"",
		"{}",
		"not json",
		/* missing key */
		"{\"name\":\"a\",\"http\":\"\",\"device\":\"\",\"state\":\"x\",\"pid\":1}",
		/* unknown key */
		"{\"name\":\"a\",\"http\":\"\",\"device\":\"\",\"state\":\"x\",\"pid\":1,\"updated\":2,\"x\":1}",
		/* duplicate key */
		"{\"name\":\"a\",\"name\":\"b\",\"http\":\"\",\"device\":\"\",\"state\":\"x\",\"pid\":1,\"updated\":2}",
		/* escapes, whitespace, negative and huge numbers, trailing bytes */
		"{\"name\":\"a\\\"\",\"http\":\"\",\"device\":\"\",\"state\":\"x\",\"pid\":1,\"updated\":2}",
		"{ \"name\":\"a\",\"http\":\"\",\"device\":\"\",\"state\":\"x\",\"pid\":1,\"updated\":2}",
		"{\"name\":\"a\",\"http\":\"\",\"device\":\"\",\"state\":\"x\",\"pid\":-1,\"updated\":2}",
		"{\"name\":\"a\",\"http\":\"\",\"device\":\"\",\"state\":\"x\",\"pid\":1,\"updated\":99999999999999999999}",
		"{\"name\":\"a\",\"http\":\"\",\"device\":\"\",\"state\":\"x\",\"pid\":1,\"updated\":2}x",
		"{\"name\":\"a\",\"http\":\"\",\"device\":\"\",\"state\":\"x\",\"pid\":1,\"updated\":2",
		/* a name that is a path, a pid 0, a string too long for its field */
		"{\"name\":\"../a\",\"http\":\"\",\"device\":\"\",\"state\":\"x\",\"pid\":1,\"updated\":2}",
		"{\"name\":\"a\",\"http\":\"\",\"device\":\"\",\"state\":\"x\",\"pid\":0,\"updated\":2}",
		"{\"name\":\"a\",\"http\":\"\",\"device\":\"\",\"state\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"pid\":1,\"updated\":2}",
	};
	struct rundir_cam c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("case %zu\n", i);
		assert_int_equal(rundir_parse(bad[i], strlen(bad[i]), &c), -EBADMSG);
	}
	/* a NUL inside is not the end */
	static const char nul[] = "{\"name\":\"a\0\",\"http\":\"\",\"device\":\"\",\"state\":\"x\",\"pid\":1,\"updated\":2}";
	assert_int_equal(rundir_parse(nul, sizeof(nul) - 1, &c), -EBADMSG);
}

static void test_write_is_atomic_and_removed(void **state)
{
	struct rundir_cam c = cam("front"), l[4];
	char p[256];
	struct stat st;

	(void)state;
	assert_int_equal(rundir_write(dir, &c), 0);
	snprintf(p, sizeof(p), "%s/front.json", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(count_files(), 1);   /* no temporary file left */
	snprintf(c.state, sizeof(c.state), "sleeping");
	assert_int_equal(rundir_write(dir, &c), 0);
	assert_int_equal(count_files(), 1);
	assert_int_equal(rundir_list(dir, c.updated, l, 4), 1);
	assert_string_equal(l[0].state, "sleeping");
	/* someone else's file of the same name stays */
	assert_int_equal(rundir_remove(dir, "front", c.pid + 1), -EEXIST);
	assert_int_equal(count_files(), 1);
	assert_int_equal(rundir_remove(dir, "front", c.pid), 0);
	assert_int_equal(count_files(), 0);
	/* a symlink planted as the final name is replaced, not followed */
	put("target", "keep", 4);
	snprintf(p, sizeof(p), "%s/target", dir);
	char lk[256];
	snprintf(lk, sizeof(lk), "%s/front.json", dir);
	assert_int_equal(symlink(p, lk), 0);
	assert_int_equal(rundir_write(dir, &c), 0);
	assert_int_equal(lstat(lk, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	FILE *f = fopen(p, "r");
	char keep[8] = "";
	assert_non_null(f);
	assert_non_null(fgets(keep, sizeof(keep), f));
	fclose(f);
	assert_string_equal(keep, "keep");
	/* a directory we cannot write to: an error, not a crash */
	assert_true(rundir_write("/nonexistent-dir", &c) < 0);
}

static void test_list_ignores_hostile_and_stale(void **state)
{
	struct rundir_cam c = cam("b"), l[RUNDIR_MAX_CAMERAS];
	char buf[RUNDIR_FILE_MAX], p[256], t[256];
	int64_t now = (int64_t)time(NULL);
	int len;

	(void)state;
	assert_int_equal(rundir_write(dir, &c), 0);
	c = cam("a");
	assert_int_equal(rundir_write(dir, &c), 0);
	/* dead process */
	c = cam("dead");
	c.pid = 999999999;
	len = rundir_format(&c, buf, sizeof(buf));
	put("dead.json", buf, (size_t)len);
	/* not refreshed for too long */
	c = cam("old");
	c.updated = now - RUNDIR_STALE_S - 5;
	assert_int_equal(rundir_write(dir, &c), 0);
	/* content names another camera than the file */
	c = cam("x");
	len = rundir_format(&c, buf, sizeof(buf));
	put("other.json", buf, (size_t)len);
	/* garbage, huge, empty, bad file name, symlink, FIFO (must not block) */
	put("junk.json", "garbage\n", 8);
	char *huge = malloc(1 << 20);
	assert_non_null(huge);
	memset(huge, ' ', 1 << 20);
	c = cam("huge");
	len = rundir_format(&c, huge, 1 << 20);
	huge[len] = ' ';
	put("huge.json", huge, 1 << 20);
	free(huge);
	put("empty.json", "", 0);
	c = cam("c");
	len = rundir_format(&c, buf, sizeof(buf));
	put("-c.json", buf, (size_t)len);
	snprintf(p, sizeof(p), "%s/a.json", dir);
	snprintf(t, sizeof(t), "%s/link.json", dir);
	assert_int_equal(symlink(p, t), 0);
	/* a symlink whose name matches what it points at (outside the directory), and a
	 * symlinked subdirectory: neither is followed */
	char out[96];
	snprintf(out, sizeof(out), "%s.out", dir);
	assert_int_equal(mkdir(out, 0755), 0);
	c = cam("sneaky");
	assert_int_equal(rundir_write(out, &c), 0);
	snprintf(p, sizeof(p), "%s/sneaky.json", out);
	snprintf(t, sizeof(t), "%s/sneaky.json", dir);
	assert_int_equal(symlink(p, t), 0);
	c = cam("viadir");
	assert_int_equal(rundir_write(out, &c), 0);
	snprintf(t, sizeof(t), "%s/linkdir", dir);
	assert_int_equal(symlink(out, t), 0);
	snprintf(t, sizeof(t), "%s/fifo.json", dir);
	assert_int_equal(mkfifo(t, 0600), 0);
	/* a subdirectory (a systemd instance's RuntimeDirectory) is looked into, one level */
	snprintf(t, sizeof(t), "%s/inst", dir);
	assert_int_equal(mkdir(t, 0755), 0);
	c = cam("sub");
	assert_int_equal(rundir_write(t, &c), 0);
	snprintf(t, sizeof(t), "%s/inst/deeper", dir);
	assert_int_equal(mkdir(t, 0755), 0);
	c = cam("deep");
	assert_int_equal(rundir_write(t, &c), 0);

	assert_int_equal(rundir_list(dir, now, l, RUNDIR_MAX_CAMERAS), 3);
	assert_string_equal(l[0].name, "a");
	assert_string_equal(l[1].name, "b");
	assert_string_equal(l[2].name, "sub");
	assert_int_equal(rundir_find(dir, "sub", now, &c), 0);
	assert_int_equal(rundir_find(dir, "dead", now, &c), -ENOENT);
	assert_int_equal(rundir_find(dir, "x", now, &c), -ENOENT);
	assert_int_equal(rundir_find(dir, "sneaky", now, &c), -ENOENT);
	assert_int_equal(rundir_find(dir, "viadir", now, &c), -ENOENT);
	/* the caller's bound holds */
	assert_int_equal(rundir_list(dir, now, l, 2), 2);
	assert_int_equal(rundir_list("/nonexistent-dir", now, l, 2), -ENOENT);
}

static void test_list_is_bounded(void **state)
{
	struct rundir_cam c, l[RUNDIR_MAX_CAMERAS];
	int64_t now = (int64_t)time(NULL);

	(void)state;
	for (int i = 0; i < RUNDIR_MAX_ENTRIES + 50; i++) {
		char n[32];
		snprintf(n, sizeof(n), "cam%04d", i);
		c = cam(n);
		assert_int_equal(rundir_write(dir, &c), 0);
	}
	int n = rundir_list(dir, now, l, RUNDIR_MAX_CAMERAS);
	assert_int_equal(n, RUNDIR_MAX_CAMERAS);
	for (int i = 1; i < n; i++)
		assert_true(strcmp(l[i - 1].name, l[i].name) < 0);
}

static void test_redirect_url(void **state)
{
	char u[256];

	(void)state;
	assert_int_equal(http_cameras_url("http://127.0.0.1:8081", "x:1", "/api/v1/cameras/b",
					  u, sizeof(u)), 0);
	assert_string_equal(u, "http://127.0.0.1:8081/api/v1/cameras/b");
	assert_int_equal(http_cameras_url("http://[::1]:8081", NULL, "/api/v1/cameras/b/stream",
					  u, sizeof(u)), 0);
	assert_string_equal(u, "http://[::1]:8081/api/v1/cameras/b/stream");
	/* a wildcard address: the host the client used */
	assert_int_equal(http_cameras_url("http://0.0.0.0:8082", "nas.lan:8081", "/x", u,
					  sizeof(u)), 0);
	assert_string_equal(u, "http://nas.lan:8082/x");
	assert_int_equal(http_cameras_url("http://[::]:8082", "[fd00::5]:8081", "/x", u,
					  sizeof(u)), 0);
	assert_string_equal(u, "http://[fd00::5]:8082/x");
	/* a hostile Host header is not echoed */
	assert_int_equal(http_cameras_url("http://0.0.0.0:8082", "evil.com/\r\nX: y", "/x", u,
					  sizeof(u)), 0);
	assert_string_equal(u, "http://127.0.0.1:8082/x");
	assert_int_equal(http_cameras_url("http://0.0.0.0:8082", "a:b", "/x", u, sizeof(u)), 0);
	assert_string_equal(u, "http://127.0.0.1:8082/x");
	/* the path is percent-encoded: no header injection through it */
	assert_int_equal(http_cameras_url("http://127.0.0.1:1", NULL, "/a b\r\n\"%", u, sizeof(u)), 0);
	assert_string_equal(u, "http://127.0.0.1:1/a%20b%0D%0A%22%25");
	/* bad bases and a small buffer */
	assert_int_equal(http_cameras_url("https://h:1", NULL, "/", u, sizeof(u)), -EINVAL);
	assert_int_equal(http_cameras_url("http://h", NULL, "/", u, sizeof(u)), -EINVAL);
	assert_int_equal(http_cameras_url("http://h:x1", NULL, "/", u, sizeof(u)), -EINVAL);
	assert_int_equal(http_cameras_url("http://h:1", NULL, "/abcdef", u, 10), -ENOSPC);
}

/* The redirect carries the query over: decoded arguments re-encoded, in order, bare flags
 * and empty values kept apart, nothing that could end the header or the URL let through. */
static void test_redirect_query(void **state)
{
	const struct http_qarg q[] = {
		{ .key = "width", .klen = 5, .value = "320", .vlen = 3 },
		{ .key = "flag", .klen = 4 },
		{ .key = "empty", .klen = 5, .value = "", .vlen = 0 },
		{ .key = "a b", .klen = 3, .value = "x&y=z#\r\n+%/?", .vlen = 12 },
	};
	char u[256] = "http://127.0.0.1:8081/api/v1/cameras/b";

	(void)state;
	assert_int_equal(http_cameras_query(u, sizeof(u), q, 0), 0);
	assert_string_equal(u, "http://127.0.0.1:8081/api/v1/cameras/b");
	assert_int_equal(http_cameras_query(u, sizeof(u), q, 4), 0);
	assert_string_equal(u, "http://127.0.0.1:8081/api/v1/cameras/b?width=320&flag&empty=&"
			    "a%20b=x%26y%3Dz%23%0D%0A%2B%25%2F%3F");
	strcpy(u, "http://h:1/x");
	assert_int_equal(http_cameras_query(u, 22, q, 1), -ENOSPC);
	assert_string_equal(u, "http://h:1/x");              /* unchanged */
	assert_int_equal(http_cameras_query(u, 23, q, 1), 0);   /* 22 + NUL */
	assert_string_equal(u, "http://h:1/x?width=320");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_parse_round_trip),
		cmocka_unit_test(test_parse_rejects_anything_else),
		cmocka_unit_test_setup_teardown(test_write_is_atomic_and_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_ignores_hostile_and_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_is_bounded, setup, teardown),
		cmocka_unit_test(test_redirect_url),
		cmocka_unit_test(test_redirect_query),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
