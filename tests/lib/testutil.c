#include "testutil.h"

#include <limits.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

/* For every test that encodes H.265 (tpenc): libx265 3.5 leaks ~12 KiB per encoder it opens
 * (x265::FrameFilter::init, inside x265_encoder_open, whatever the parameters): not ours to
 * fix, and bounded. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libx265.so\n";
}

static const char *repo_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("CAM_BRIDGE_SRC");

	if (env)
		return env;
	/* Tests run from the repository root (make, tests/run.sh). */
	if (!dir[0] && !getcwd(dir, sizeof(dir)))
		strcpy(dir, ".");
	return dir;
}

const char *tu_conformance_path(const char *rel)
{
	static char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/../shared/conformance", repo_dir());
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return NULL;
	snprintf(path, sizeof(path), "%s/../shared/conformance/%s", repo_dir(), rel);
	return path;
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n <= (64L << 20) &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

uint8_t *tu_read_conformance(const char *rel, size_t *len)
{
	const char *p = tu_conformance_path(rel);
	uint8_t *b;

	if (!p) {
		print_message("SKIP: ../shared/conformance is absent; conformance file %s not checked\n", rel);
		skip();
	}
	b = tu_read_file(p, len);
	if (!b)
		fail_msg("cannot read conformance file %s", p);
	return b;
}

uint8_t *tu_hex(const char *hex, size_t *len)
{
	size_t n = 0, cap = strlen(hex) / 2 + 1;
	uint8_t *out = malloc(cap);
	int hi = -1;

	for (; *hex; hex++) {
		int v;
		char c = *hex;
		if (c >= '0' && c <= '9') v = c - '0';
		else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
		else continue;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	*len = n;
	return out;
}
