/* The recording side of the bridge, set up from the configuration: the tap on the access
 * units (pre-roll), the recorder and the MPEG-TS output.  main.c starts and stops it. */
#ifndef CB_APP_RECAPP_H
#define CB_APP_RECAPP_H

#include <pthread.h>

#include "app/cfg.h"

struct ev_bus;
struct hub;
struct status;
struct tap;
struct rec;
struct tsout;

struct recapp {
	/* copies for the retention run after each clip on the recorder's thread (the config
	 * may be reloaded), under lock */
	pthread_mutex_t lock;
	char dir[CFG_PATH_MAX + 1], name[CFG_NAME_MAX + 1];
	int max_age_days, max_total_mb;
	/* what a recorder restarted on reload needs */
	struct hub *hub;
	struct ev_bus *ev;
	struct status *st;
	struct tap *tap;
	struct rec *rec;          /* NULL when record.dir is empty */
	struct tsout *ts;         /* the shared MPEG-TS muxer (/stream.ts, output.udp) */
};

/* 0, or a negative errno (logged). */
int recapp_start(struct recapp *ra, const struct cfg *c, struct hub *hub, struct ev_bus *ev,
		 struct status *st);
/* record.max_age_days / max_total_mb over NAME's clips (at start, hourly, after each clip);
 * logs what it removed or could not. */
void recapp_retention(const char *dir, const char *name, int max_age_days, int max_total_mb);
/* SIGHUP, with the HTTP server stopped (it holds ra->rec): applies what changed among the
 * record.* keys from old to c.  Retention applies at once (and runs); the pre-roll bounds
 * apply to the running tap; any other change restarts the recorder, closing the clip being
 * written as at exit (the next trigger starts one under the new settings, record.always at
 * once).  A recorder that cannot start is logged; streaming goes on. */
void recapp_reload(struct recapp *ra, const struct cfg *old, const struct cfg *c);
/* SIGUSR1: a clip, as for POST /api/v1/record. */
void recapp_signal(struct recapp *ra);
/* Before the hub and the bus go. */
void recapp_stop(struct recapp *ra);

#endif
