#include "app/recapp.h"

#include <errno.h>
#include <string.h>

#include "app/cfg.h"
#include "record/tap.h"
#include "util/log.h"

int recapp_start(struct recapp *ra, const struct cfg *c, struct hub *hub, struct ev_bus *ev,
		 struct status *st)
{
	int r;

	(void)hub;
	(void)ev;
	(void)st;
	memset(ra, 0, sizeof(*ra));
	r = tap_new(&ra->tap, (uint64_t)c->record.pre_seconds * 1000000u,
		    (size_t)c->record.pre_max_mb << 20);
	if (r < 0) {
		log_err("cannot set up the pre-roll: %s", strerror(-r));
		return r;
	}
	return 0;
}

void recapp_stop(struct recapp *ra)
{
	tap_free(ra->tap);
	memset(ra, 0, sizeof(*ra));
}
