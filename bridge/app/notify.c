#include "app/notify.h"

#include <string.h>

#include "event/hook.h"
#include "util/log.h"

void notify_start(struct notify *n, const struct cfg *c, struct ev_bus *bus)
{
	struct hook_opts ho = {
		.path = c->events.hook, .camera = c->name,
		.timeout_s = c->events.hook_timeout_seconds,
	};
	int r;

	memset(n, 0, sizeof(*n));
	if (c->events.hook[0]) {
		r = hook_start(&ho, bus, &n->hook);
		if (r < 0)
			log_err("events.hook %s: cannot start the runner: %s", c->events.hook,
				strerror(-r));
		else
			log_info("events.hook: running %s once per event", c->events.hook);
	}
}

void notify_stop(struct notify *n)
{
	hook_stop(n->hook);
	n->hook = NULL;
}
