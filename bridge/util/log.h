/* Logging to stderr with sd-daemon priority prefixes ("<3>…"), which journald turns into
 * priorities.  Only the caller that can act on an error logs it; library code returns a
 * negative errno instead. */
#ifndef CB_UTIL_LOG_H
#define CB_UTIL_LOG_H

#include <stdint.h>
#include <syslog.h>

/* Messages above this priority are dropped.  Set once at start-up from the config (-v). */
void log_set_level(int max_priority);
int log_get_level(void);
/* Optional short tag printed before every message (the camera name). */
void log_set_tag(const char *tag);

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)    log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)   log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)  log_msg(LOG_DEBUG, __VA_ARGS__)

/* Rate limit: at most `burst` messages per `interval_ms`; then one "suppressed N" line.
 * Keep one per call site (static storage is fine: it is not shared state between modules). */
struct log_ratelimit {
	uint64_t interval_ms;
	unsigned burst;
	uint64_t begin_ms;
	unsigned num;
	unsigned suppressed;
};
#define LOG_RATELIMIT_INIT(ms, b) { .interval_ms = (ms), .burst = (b) }
/* Returns 1 if the message may be logged now. */
int log_ratelimit_ok(struct log_ratelimit *rl);

#define log_msg_ratelimited(rl, prio, ...) \
	do { if (log_ratelimit_ok(rl)) log_msg(prio, __VA_ARGS__); } while (0)

#endif
