#include "util/log.h"
#include "util/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

static int max_level = LOG_INFO;
static char log_tag[64];

void log_set_level(int max_priority) { max_level = max_priority; }
int log_get_level(void) { return max_level; }

void log_set_tag(const char *tag)
{
	snprintf(log_tag, sizeof(log_tag), "%s", tag ? tag : "");
}

void log_msg(int prio, const char *fmt, ...)
{
	char line[1024];
	int saved = errno;
	va_list ap;
	int n;

	if (prio > max_level)
		return;
	n = snprintf(line, sizeof(line), "<%d>%s%s", prio, log_tag, log_tag[0] ? ": " : "");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line so lines of different threads never interleave. */
	fprintf(stderr, "%s\n", line);
	errno = saved;
}

int log_ratelimit_ok(struct log_ratelimit *rl)
{
	uint64_t now = clock_mono_ms();

	if (rl->begin_ms == 0 || now - rl->begin_ms >= rl->interval_ms) {
		if (rl->suppressed)
			log_msg(LOG_WARNING, "(%u similar messages suppressed)", rl->suppressed);
		rl->begin_ms = now;
		rl->num = 0;
		rl->suppressed = 0;
	}
	if (rl->num < rl->burst) {
		rl->num++;
		return 1;
	}
	rl->suppressed++;
	return 0;
}
