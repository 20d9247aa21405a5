/* Helpers shared by the configuration tests (test_cfg*.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "tu_cfg.h"

const char tu_cfg_minimal[] =
	"camera = { source = \"bc-tcp://admin@10.0.0.5\"; };\n"
	"output = { device = \"/dev/video40\"; };\n";

/* Temporary files, removed after each test. */
static char tmp_paths[16][64];
static int n_tmp;

char *tu_tmp_file(const char *content, mode_t mode)
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

char tu_cfg_tmp_dir[64];

int tu_cfg_setup(void **state)
{
	unsetenv("CREDENTIALS_DIRECTORY");
	n_tmp = 0;
	tu_cfg_tmp_dir[0] = '\0';
	return 0;
}

int tu_cfg_teardown(void **state)
{
	for (int i = 0; i < n_tmp; i++)
		unlink(tmp_paths[i]);
	if (tu_cfg_tmp_dir[0]) {
		char p[128];

		snprintf(p, sizeof(p), "%s/password", tu_cfg_tmp_dir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/http-password", tu_cfg_tmp_dir);
		unlink(p);
		rmdir(tu_cfg_tmp_dir);
	}
	unsetenv("CREDENTIALS_DIRECTORY");
	return 0;
}

/* cfg_check's output as a malloc'd string. */
char *tu_cfg_check_output(const char *path, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*rc = cfg_check(path, f);
	fclose(f);
	return buf;
}

void tu_assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not found in:\n%s", needle, hay);
}

void tu_assert_no_secret(const char *s)
{
	if (strstr(s, SECRET) || strstr(s, "Zebra"))
		fail_msg("password shown in:\n%s", s);
}

int tu_count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

char *tu_fifo(void)
{
	char *p;

	assert_true(n_tmp < 16);
	p = tmp_paths[n_tmp++];
	snprintf(p, 64, "/tmp/test_cfg-fifo-%d-%d", (int)getpid(), n_tmp);
	unlink(p);
	assert_int_equal(mkfifo(p, 0600), 0);
	return p;
}

static void on_deadline(int sig)
{
	static const char msg[] = "FAIL: deadline passed: something blocked (a FIFO read?)\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(3);
}

void tu_deadline(unsigned seconds)
{
	signal(SIGALRM, on_deadline);
	alarm(seconds);
}
