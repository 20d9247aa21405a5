/* The event hook: a program run once per event on the bus, never through a shell, with the
 * event in environment variables (CAM_NAME, CAM_EVENT, CAM_STATE, CAM_TIME, …).  One runs at a
 * time from the runner's own thread; events arriving meanwhile wait in a bounded queue and the
 * excess is dropped and counted, so a slow or hanging hook never holds up the publisher. */
#ifndef CB_EVENT_HOOK_H
#define CB_EVENT_HOOK_H

#include <stdint.h>

#include "event/event.h"

#define HOOK_TIMEOUT_DEFAULT_S 10
#define HOOK_QUEUE_DEFAULT     32
#define HOOK_QUEUE_MAX         1024
/* After SIGTERM at the timeout, the hook's process group gets this long before SIGKILL. */
#define HOOK_KILL_GRACE_MS     1000
#define HOOK_STOP_GRACE_MS     300     /* the same when the bridge stops */

struct hook_opts {
	const char *path;       /* absolute path of the program (argv[0] too); copied */
	const char *camera;     /* CAM_NAME; copied */
	int timeout_s;          /* 0 = HOOK_TIMEOUT_DEFAULT_S */
	int queue;              /* events waiting at most; 0 = HOOK_QUEUE_DEFAULT */
};

struct hook_stats {
	uint64_t runs;          /* hooks started */
	uint64_t failures;      /* could not start, exit status != 0, or killed */
	uint64_t timeouts;      /* killed at the timeout (also counted in failures) */
	uint64_t sigkills;      /* of those, SIGTERM was not enough */
	uint64_t dropped;       /* events not run: the queue was full */
};

struct hook;

/* Listens on bus and starts the runner thread.  0, -EINVAL (path not absolute), -ENOMEM, or
 * the thread's error.  The bus must outlive the runner. */
int hook_start(const struct hook_opts *o, struct ev_bus *bus, struct hook **out);
/* Stops listening, drops what waits, ends a running hook (SIGTERM, then SIGKILL) and frees.
 * NULL is fine. */
void hook_stop(struct hook *h);
void hook_get_stats(struct hook *h, struct hook_stats *s);
/* Events queued or running (tests wait for 0). */
int hook_pending(struct hook *h);

/* The environment of one run, NULL-terminated in env (pointers into buf).  recording = the
 * clip being written ("" = none).  Exposed for tests.  Count of variables, or -ENOSPC. */
#define HOOK_ENV_MAX  16
#define HOOK_ENV_BUF  2048
int hook_env(const struct ev *e, const char *camera, const char *recording, char *buf,
	     char **env);

#endif
