/* libFuzzer: a configuration file with any bytes, parsed by cfg_load_file (libconfig, then
 * every key's checks) from a temporary file.  Not cfg_finish: it resolves names and reads
 * password files, and a fuzzer must not send DNS queries. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/cfg.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static char path[64];
	static struct cfg c;
	struct cfg_err err;
	int fd, r;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/fuzz_cfg.%d.conf", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, d, n) == (ssize_t)n);
	close(fd);
	memset(&err, 0, sizeof(err));
	cfg_defaults(&c);
	r = cfg_load_file(&c, path, &err);
	CHECK(r <= 0);
	CHECK(memchr(err.msg, 0, sizeof(err.msg)) != NULL);
	if (r < 0)
		CHECK(err.msg[0] != 0);   /* every refusal says why */
	return 0;
}
