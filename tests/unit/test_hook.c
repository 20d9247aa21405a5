/* events.hook: one run per event with the CAM_* variables and nothing else of ours, no shell
 * between us and the program, the timeout ends a hanging hook (SIGTERM reaches it although the
 * daemon's threads block it) and the next event still runs, the queue bound counts drops, and
 * the publisher never waits for a hook. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "app/cfg.h"
#include "event/hook.h"
#include "util/clock.h"
#include "testutil.h"

static char dir[64];

static int setup(void **state)
{
	sigset_t m;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_hook-XXXXXX");
	assert_non_null(mkdtemp(dir));
	/* as in the daemon: every thread blocks these (signalfd in main) */
	sigemptyset(&m);
	sigaddset(&m, SIGTERM);
	sigaddset(&m, SIGINT);
	sigaddset(&m, SIGHUP);
	sigaddset(&m, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &m, NULL);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* A script in dir (the variable d holds dir); returns its path (static buffer). */
static const char *script_in(const char *shebang, const char *name, const char *body)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\nd='%s'\n%s\n", shebang, dir, body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

static const char *script(const char *name, const char *body)
{
	return script_in("#!/bin/sh", name, body);
}

static int exists(const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static char *slurp(const char *name)
{
	char p[256];
	size_t len;

	uint8_t *raw;
	char *s;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	raw = tu_read_file(p, &len);   /* not NUL-terminated */
	if (!raw)
		return NULL;
	s = calloc(1, len + 1);
	assert_non_null(s);
	memcpy(s, raw, len);
	free(raw);
	return s;
}

static void wait_idle(struct hook *h)
{
	uint64_t t0 = clock_mono_ms();

	while (hook_pending(h) && clock_mono_ms() - t0 < 30000)
		usleep(10000);
	assert_int_equal(hook_pending(h), 0);
}

static void wait_file(const char *name)
{
	uint64_t t0 = clock_mono_ms();

	while (!exists(name) && clock_mono_ms() - t0 < 30000)
		usleep(10000);
	assert_true(exists(name));
}

/* "NAME=value\n" is in the env dump. */
static void assert_var(const char *env, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(env, want) && strncmp(env, want + 1, strlen(want + 1)))
		fail_msg("missing %s in:\n%s", line, env);
}

static void test_env_per_event(void **state)
{
	struct ev_bus *b;
	struct hook *h;
	struct hook_stats st;
	struct ev e = { .type = EV_RECORDING, .state = EV_STATE_START, .marker = -1,
			.detail = "front/2026-12-03/021405.mp4" };
	const char *p = script("hook", "env > \"$d/env.$CAM_EVENT_ID\"");
	char *env;

	(void)state;
	setenv("CAM_TEST_SECRET", "do-not-pass", 1);
	assert_int_equal(ev_bus_new(&b, "front", 0), 0);
	assert_int_equal(hook_start(&(struct hook_opts){ .path = p, .camera = "front" }, b, &h), 0);
	ev_publish(b, &e);
	e = (struct ev){ .type = EV_MOTION, .state = EV_STATE_START, .marker = 1234,
			 .time_us = 1000000000123456LL, .value = 7, .detail = "zone\nA;$(x)" };
	ev_publish(b, &e);
	e = (struct ev){ .type = EV_RECORDING, .state = EV_STATE_END, .marker = -1,
			 .detail = "front/2026-12-03/021405.mp4" };
	ev_publish(b, &e);
	ev_post(b, EV_BATTERY, EV_STATE_NONE, 42);
	wait_idle(h);
	hook_get_stats(h, &st);
	assert_int_equal(st.runs, 4);
	assert_int_equal(st.failures, 0);
	assert_int_equal(st.dropped, 0);

	env = slurp("env.2");
	assert_non_null(env);
	assert_var(env, "CAM_NAME=front");
	assert_var(env, "CAM_EVENT=motion");
	assert_var(env, "CAM_STATE=start");
	assert_var(env, "CAM_TIME=2001-09-09T01:46:40.123Z");
	assert_var(env, "CAM_TIME_UNIX=1000000000");
	assert_var(env, "CAM_VALUE=7");
	assert_var(env, "CAM_MARKER=1234");
	assert_var(env, "CAM_DETAIL=zone?A;$(x)");
	assert_var(env, "CAM_EVENT_ID=2");
	assert_var(env, "CAM_RECORDING=front/2026-12-03/021405.mp4");
	assert_null(strstr(env, "CAM_TEST_SECRET"));
	assert_non_null(strstr(env, "PATH=/usr/local/sbin:"));
	free(env);
	env = slurp("env.1");
	assert_var(env, "CAM_EVENT=recording");
	assert_var(env, "CAM_STATE=start");
	free(env);
	env = slurp("env.3");
	assert_var(env, "CAM_STATE=end");
	assert_var(env, "CAM_RECORDING=front/2026-12-03/021405.mp4");
	free(env);
	env = slurp("env.4");
	assert_var(env, "CAM_EVENT=battery");
	assert_var(env, "CAM_STATE=");
	assert_var(env, "CAM_VALUE=42");
	assert_var(env, "CAM_RECORDING=");
	free(env);
	hook_stop(h);
	ev_bus_free(b);
	unsetenv("CAM_TEST_SECRET");
}

/* The path is the program, whole: a shell would split "h k;x" into "h" with argument "k",
 * then run "x". */
static void test_no_shell(void **state)
{
	struct ev_bus *b;
	struct hook *h;
	struct hook_stats st;
	char path[256], *args;

	(void)state;
	script("h", "touch \"$d/split\"");
	script("x", "touch \"$d/x-ran\"");
	snprintf(path, sizeof(path), "%s", script("h k;x", "echo \"$#|$0|$1\" > \"$d/args\""));
	assert_int_equal(ev_bus_new(&b, "front", 0), 0);
	assert_int_equal(hook_start(&(struct hook_opts){ .path = path, .camera = "front" }, b, &h),
			 0);
	ev_post(b, EV_ONLINE, EV_STATE_NONE, 0);
	wait_idle(h);
	args = slurp("args");
	assert_non_null(args);
	assert_true(strstr(args, "0|") == args);
	assert_non_null(strstr(args, "/h k;x|\n"));
	free(args);
	assert_false(exists("split"));
	assert_false(exists("x-ran"));
	hook_get_stats(h, &st);
	assert_int_equal(st.runs, 1);
	assert_int_equal(st.failures, 0);
	hook_stop(h);
	assert_int_equal(hook_start(&(struct hook_opts){ .path = "hook" }, b, &h), -EINVAL);
	ev_bus_free(b);
}

/* A hook that hangs is ended at its timeout by SIGTERM (fails if the daemon's blocked mask
 * leaks into the hook: then only SIGKILL ends it), one that ignores
 * SIGTERM by SIGKILL a second later; the publisher never waits; the next event runs. */
static void test_timeout(void **state)
{
	struct ev_bus *b;
	struct hook *h;
	struct hook_stats st;
	uint64_t t0, worst = 0;
	const char *p;

	/* Not a shell script: sh unblocks every signal at start-up and would hide a leaked mask. */
	if (access("/usr/bin/python3", X_OK))
		skip();
	p = script_in("#!/usr/bin/python3", "hang",
		"import os, signal, time\n"
		"ev = os.environ['CAM_EVENT']\n"
		"def touch(n): open(d + '/' + n, 'w').close()\n"
		"if ev == 'motion':\n"
		"    touch('started'); time.sleep(60)\n"
		"elif ev == 'people':\n"
		"    signal.signal(signal.SIGTERM, signal.SIG_IGN); touch('stubborn'); time.sleep(60)\n"
		"else:\n"
		"    touch('next.' + ev)\n");

	(void)state;
	assert_int_equal(ev_bus_new(&b, "front", 0), 0);
	assert_int_equal(hook_start(&(struct hook_opts){ .path = p, .timeout_s = 1 }, b, &h), 0);
	t0 = clock_mono_ms();
	ev_post(b, EV_MOTION, EV_STATE_START, 0);
	wait_file("started");
	for (int i = 0; i < 20; i++) {   /* the hook hangs: publishing is as fast as ever */
		uint64_t t = clock_mono_us();

		ev_post(b, i == 0 ? EV_PEOPLE : EV_OFFLINE, EV_STATE_NONE, 0);
		t = clock_mono_us() - t;
		worst = t > worst ? t : worst;
	}
	assert_true(worst < 100000);
	wait_file("stubborn");
	wait_idle(h);
	/* 1 s + up to 1 s + 1 s grace, not 60 s */
	assert_true(clock_mono_ms() - t0 < 20000);
	assert_true(exists("next.offline"));
	hook_get_stats(h, &st);
	assert_int_equal(st.timeouts, 2);
	assert_int_equal(st.sigkills, 1);   /* only the one that ignores SIGTERM */
	assert_int_equal(st.failures, 2);
	assert_int_equal(st.runs + st.dropped, 21);
	assert_true(st.runs >= 3);
	hook_stop(h);
	ev_bus_free(b);
}

/* One at a time: while one runs, `queue` wait and the rest are dropped and counted. */
static void test_queue_overflow(void **state)
{
	struct ev_bus *b;
	struct hook *h;
	struct hook_stats st;
	char go[256];
	const char *p = script("slow",
		"touch \"$d/ran.$CAM_EVENT_ID\"\n"
		"while [ ! -e \"$d/go\" ]; do sleep 0.02; done\n"
		"[ \"$CAM_EVENT\" != face ]");

	(void)state;
	assert_int_equal(ev_bus_new(&b, "front", 0), 0);
	assert_int_equal(hook_start(&(struct hook_opts){ .path = p, .queue = 2 }, b, &h), 0);
	ev_post(b, EV_MOTION, EV_STATE_START, 0);
	wait_file("ran.1");
	for (int i = 0; i < 5; i++)
		ev_post(b, i == 1 ? EV_FACE : EV_MOTION, EV_STATE_END, 0);
	hook_get_stats(h, &st);
	assert_int_equal(st.dropped, 3);
	assert_int_equal(hook_pending(h), 3);
	snprintf(go, sizeof(go), "%s/go", dir);
	close(open(go, O_CREAT | O_WRONLY, 0600));
	wait_idle(h);
	hook_get_stats(h, &st);
	assert_int_equal(st.runs, 3);
	assert_int_equal(st.dropped, 3);
	assert_int_equal(st.failures, 1);   /* the face run exits 1 */
	assert_true(exists("ran.2") && exists("ran.3"));
	assert_false(exists("ran.4") || exists("ran.5") || exists("ran.6"));
	hook_stop(h);
	ev_bus_free(b);
}

/* A program that went away after the configuration was checked: counted, no crash. */
static void test_missing_program(void **state)
{
	struct ev_bus *b;
	struct hook *h;
	struct hook_stats st;
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/gone", dir);
	assert_int_equal(ev_bus_new(&b, "front", 0), 0);
	assert_int_equal(hook_start(&(struct hook_opts){ .path = path }, b, &h), 0);
	ev_post(b, EV_MOTION, EV_STATE_START, 0);
	wait_idle(h);
	hook_get_stats(h, &st);
	assert_int_equal(st.runs, 1);
	assert_int_equal(st.failures, 1);
	hook_stop(h);
	ev_bus_free(b);
}

/* The path is checked when the configuration is loaded, the error naming the key. */
static void test_config_check(void **state)
{
	const char *ok = script("ok", "true");
	const char *bad[][2] = {
		{ "bin/hook", "events.hook: 'bin/hook' is not an absolute path" },
		{ "/nonexistent/hook", "events.hook: '/nonexistent/hook': No such file" },
		{ "/tmp", "events.hook: '/tmp' is not a regular file" },
		{ NULL, "is not executable" },
	};
	char arg[300], noexec[256];

	(void)state;
	snprintf(noexec, sizeof(noexec), "%s/noexec", dir);
	close(open(noexec, O_CREAT | O_WRONLY, 0644));
	bad[3][0] = noexec;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		char *argv[] = { "cam-bridge", "--source", "rtsp://cam/x", "--output", "/tmp/o",
				 arg, "--check-config", NULL };

		snprintf(arg, sizeof(arg), "--events.hook=%s", bad[i][0]);
		assert_int_equal(cfg_check_args(7, argv, f), 1);
		fclose(f);
		if (!strstr(out, bad[i][1]))
			fail_msg("%s: expected '%s' in: %s", bad[i][0], bad[i][1], out);
		free(out);
	}
	{
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		char *argv[] = { "cam-bridge", "--source", "rtsp://cam/x", "--output", "/tmp/o",
				 arg, "--check-config", NULL };

		snprintf(arg, sizeof(arg), "--events.hook=%s", ok);
		assert_int_equal(cfg_check_args(7, argv, f), 0);
		fclose(f);
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_env_per_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_shell, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_program, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_check, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
