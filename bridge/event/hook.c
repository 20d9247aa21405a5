/* The event hook runner.  The bus listener only copies the event into a bounded queue (it runs
 * on the publisher's thread with the bus locked); this module's thread spawns the program with
 * posix_spawn (no shell: the path is argv[0] and nothing else), waits for it with a pidfd and
 * ends it at the timeout. */
#include "event/hook.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"

#define HOOK_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct entry {
	struct ev e;
	char recording[EV_DETAIL_MAX];  /* the clip open when the event was published */
};

struct hook {
	char path[1024];
	char camera[64];
	int timeout_s;
	struct ev_bus *bus;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	int running;
	struct entry *q;
	int cap, head, n;
	char recording[EV_DETAIL_MAX];  /* tracked from EV_RECORDING start/end */
	struct hook_stats st;
	struct log_ratelimit rl;
};

/* Values come from the camera: no control characters reach the hook's environment. */
static void put_var(char *buf, size_t *k, char **env, int *ne, const char *name, const char *v)
{
	size_t start = *k;
	int w;

	if (*ne < 0)
		return;
	if (*ne >= HOOK_ENV_MAX || *k >= HOOK_ENV_BUF)
		goto full;
	w = snprintf(buf + *k, HOOK_ENV_BUF - *k, "%s=%s", name, v);
	if (w < 0 || (size_t)w >= HOOK_ENV_BUF - *k)
		goto full;
	for (char *p = buf + start + strlen(name) + 1; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	env[(*ne)++] = buf + start;
	*k += (size_t)w + 1;
	return;
full:
	*ne = -1;   /* stays negative: reported as -ENOSPC */
}

int hook_env(const struct ev *e, const char *camera, const char *recording, char *buf,
	     char **env)
{
	const char *home = getenv("HOME");
	char num[64], iso[64];
	time_t secs = (time_t)(e->time_us / 1000000);
	struct tm tm;
	size_t k = 0;
	int ne = 0;

	put_var(buf, &k, env, &ne, "PATH", HOOK_PATH);
	put_var(buf, &k, env, &ne, "HOME", home && home[0] == '/' && strlen(home) < 256 ? home : "/");
	put_var(buf, &k, env, &ne, "CAM_NAME", camera ? camera : "");
	put_var(buf, &k, env, &ne, "CAM_EVENT", ev_type_name(e->type));
	put_var(buf, &k, env, &ne, "CAM_STATE", ev_state_name(e->state));
	gmtime_r(&secs, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(iso + strlen(iso), sizeof(iso) - strlen(iso), ".%03dZ",
		 (int)(e->time_us % 1000000 / 1000));
	put_var(buf, &k, env, &ne, "CAM_TIME", iso);
	snprintf(num, sizeof(num), "%lld", (long long)secs);
	put_var(buf, &k, env, &ne, "CAM_TIME_UNIX", num);
	snprintf(num, sizeof(num), "%d", e->value);
	put_var(buf, &k, env, &ne, "CAM_VALUE", num);
	snprintf(num, sizeof(num), "%lld", (long long)e->marker);
	put_var(buf, &k, env, &ne, "CAM_MARKER", num);
	put_var(buf, &k, env, &ne, "CAM_DETAIL", e->detail);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)e->id);
	put_var(buf, &k, env, &ne, "CAM_EVENT_ID", num);
	put_var(buf, &k, env, &ne, "CAM_RECORDING", recording ? recording : "");
	if (ne < 0)
		return -ENOSPC;
	env[ne] = NULL;
	return ne;
}

static void on_event(void *opaque, const struct ev *e)
{
	struct hook *h = opaque;
	struct entry *t;

	pthread_mutex_lock(&h->lock);
	/* Tracked here, in publishing order, so that a dropped event cannot lose a clip. */
	if (e->type == EV_RECORDING)
		snprintf(h->recording, sizeof(h->recording), "%s",
			 e->state == EV_STATE_START ? e->detail : "");
	if (h->n == h->cap) {
		h->st.dropped++;
	} else {
		t = &h->q[(h->head + h->n++) % h->cap];
		t->e = *e;
		/* the recording event itself names its clip, the end included */
		snprintf(t->recording, sizeof(t->recording), "%s",
			 e->type == EV_RECORDING ? e->detail : h->recording);
		pthread_cond_signal(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
}

static int stopping(struct hook *h)
{
	int s;

	pthread_mutex_lock(&h->lock);
	s = h->stop;
	pthread_mutex_unlock(&h->lock);
	return s;
}

static void count(struct hook *h, uint64_t *field)
{
	pthread_mutex_lock(&h->lock);
	(*field)++;
	pthread_mutex_unlock(&h->lock);
}

static int spawn(struct hook *h, const struct entry *t, pid_t *pid)
{
	char buf[HOOK_ENV_BUF], *env[HOOK_ENV_MAX + 1];
	char *argv[] = { h->path, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int r;

	if (hook_env(&t->e, h->camera, t->recording, buf, env) < 0)
		return ENOSPC;
	/* The daemon's threads block SIGTERM and friends (signalfd): the hook must not inherit
	 * that, or the timeout could not end it gently.  Its own process group lets the timeout
	 * reach what it started (curl under a script). */
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
				 POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);   /* sockets, devices: not the hook's */
	r = posix_spawn(pid, h->path, &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	explicit_bzero(buf, sizeof(buf));
	return r;
}

/* Waits for the hook; at the timeout (or at stop) SIGTERM to its group, SIGKILL after the
 * grace.  Returns the wait status; *killed = 1 when the timeout ended it, 2 with SIGKILL. */
static int reap(struct hook *h, pid_t pid, int *killed)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	uint64_t now = clock_mono_ms(), deadline = now + (uint64_t)h->timeout_s * 1000;
	uint64_t term_at = 0, grace = HOOK_KILL_GRACE_MS;
	int status = 0, sent_kill = 0;

	*killed = 0;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		int ms;

		if (w == pid || (w < 0 && errno != EINTR))
			break;
		now = clock_mono_ms();
		if (!term_at && (now >= deadline || stopping(h))) {
			*killed = now >= deadline;
			if (!*killed)   /* the bridge is stopping: it has a second in all */
				grace = HOOK_STOP_GRACE_MS;
			kill(-pid, SIGTERM);
			term_at = now;
		}
		if (term_at && !sent_kill && now >= term_at + grace) {
			kill(-pid, SIGKILL);
			sent_kill = 1;
		}
		ms = term_at ? 50 : (int)(deadline - now < 100 ? deadline - now : 100);
		/* without pidfds (old kernels) the same loop polls every 10 ms */
		poll(pfd >= 0 ? &p : NULL, pfd >= 0, pfd >= 0 ? ms : (ms < 10 ? ms : 10));
	}
	if (pfd >= 0)
		close(pfd);
	if (*killed && sent_kill)
		*killed = 2;
	if (*killed)
		log_msg_ratelimited(&h->rl, LOG_WARNING, "events.hook %s: still running after %d s, "
				    "ended with %s", h->path, h->timeout_s,
				    sent_kill ? "SIGKILL" : "SIGTERM");
	return status;
}

static void run_one(struct hook *h, const struct entry *t)
{
	pid_t pid;
	int r, status, killed;

	count(h, &h->st.runs);
	r = spawn(h, t, &pid);
	if (r) {
		count(h, &h->st.failures);
		log_msg_ratelimited(&h->rl, LOG_WARNING, "events.hook %s: cannot run: %s", h->path,
				    strerror(r));
		return;
	}
	status = reap(h, pid, &killed);
	if (killed) {
		pthread_mutex_lock(&h->lock);
		h->st.timeouts++;
		h->st.failures++;
		h->st.sigkills += killed == 2;
		pthread_mutex_unlock(&h->lock);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		count(h, &h->st.failures);
		if (WIFEXITED(status))
			log_msg_ratelimited(&h->rl, LOG_WARNING, "events.hook %s: exit status %d "
					    "(event %s)", h->path, WEXITSTATUS(status),
					    ev_type_name(t->e.type));
		else if (WIFSIGNALED(status))
			log_msg_ratelimited(&h->rl, LOG_WARNING, "events.hook %s: killed by signal %d",
					    h->path, WTERMSIG(status));
	}
}

static void *runner(void *arg)
{
	struct hook *h = arg;
	struct entry t;

	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->stop && !h->n)
			pthread_cond_wait(&h->cond, &h->lock);
		if (h->stop)
			break;
		t = h->q[h->head];
		h->head = (h->head + 1) % h->cap;
		h->n--;
		h->running = 1;
		pthread_mutex_unlock(&h->lock);
		run_one(h, &t);
		pthread_mutex_lock(&h->lock);
		h->running = 0;
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

int hook_start(const struct hook_opts *o, struct ev_bus *bus, struct hook **out)
{
	struct hook *h;
	int r;

	*out = NULL;
	if (!o->path || o->path[0] != '/' || strlen(o->path) >= sizeof(h->path) || !bus ||
	    o->timeout_s < 0 || o->queue < 0 || o->queue > HOOK_QUEUE_MAX)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->cap = o->queue ? o->queue : HOOK_QUEUE_DEFAULT;
	h->q = calloc((size_t)h->cap, sizeof(*h->q));
	if (!h->q) {
		free(h);
		return -ENOMEM;
	}
	snprintf(h->path, sizeof(h->path), "%s", o->path);
	snprintf(h->camera, sizeof(h->camera), "%s", o->camera ? o->camera : "");
	h->timeout_s = o->timeout_s ? o->timeout_s : HOOK_TIMEOUT_DEFAULT_S;
	h->bus = bus;
	h->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT(60000, 5);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	r = pthread_create(&h->thread, NULL, runner, h);
	if (r) {
		pthread_cond_destroy(&h->cond);
		pthread_mutex_destroy(&h->lock);
		free(h->q);
		free(h);
		return -r;
	}
	r = ev_bus_listen(bus, on_event, h);
	if (r < 0) {
		h->bus = NULL;
		hook_stop(h);
		return r;
	}
	*out = h;
	return 0;
}

void hook_stop(struct hook *h)
{
	if (!h)
		return;
	if (h->bus)
		ev_bus_unlisten(h->bus, on_event, h);
	pthread_mutex_lock(&h->lock);
	h->stop = 1;
	h->n = 0;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h->q);
	free(h);
}

void hook_get_stats(struct hook *h, struct hook_stats *s)
{
	pthread_mutex_lock(&h->lock);
	*s = h->st;
	pthread_mutex_unlock(&h->lock);
}

int hook_pending(struct hook *h)
{
	int n;

	pthread_mutex_lock(&h->lock);
	n = h->n + h->running;
	pthread_mutex_unlock(&h->lock);
	return n;
}
