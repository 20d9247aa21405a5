/* This bridge's descriptor in the run directory (util/rundir.h): written at start, again when
 * the state changes or every RUNDIR_REFRESH_S, removed on exit.  Main thread only. */
#ifndef CB_APP_CAMFILE_H
#define CB_APP_CAMFILE_H

#include <stdint.h>

#include "app/cfg.h"

struct app_camfile {
	char dir[CFG_PATH_MAX + 1];   /* where ours is written */
	char list[CFG_PATH_MAX + 1];  /* where every camera is listed from */
	char name[64];
	char state[32];               /* as last written */
	int64_t written;              /* unix s of the last write, 0 = none */
	int failed;                   /* the last write failed (logged once) */
};

/* The directories: --run-dir; else $RUNTIME_DIRECTORY (the unit's, first of a list) to write
 * and RUNDIR_DEFAULT to list (it holds the instances' directories). */
void app_camfile_init(struct app_camfile *f, const struct cfg *c);
/* Writes when due: `http_port` < 0 = no HTTP. */
void app_camfile_update(struct app_camfile *f, const struct cfg *c, int http_port,
			const char *state);
void app_camfile_remove(struct app_camfile *f);

#endif
