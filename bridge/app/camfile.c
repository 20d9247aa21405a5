#include "app/camfile.h"
#include "util/log.h"
#include "util/rundir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void app_camfile_init(struct app_camfile *f, const struct cfg *c)
{
	const char *rt = getenv("RUNTIME_DIRECTORY");

	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", c->name);
	if (c->run_dir[0]) {
		snprintf(f->dir, sizeof(f->dir), "%s", c->run_dir);
		snprintf(f->list, sizeof(f->list), "%s", c->run_dir);
		return;
	}
	snprintf(f->list, sizeof(f->list), "%s", RUNDIR_DEFAULT);
	if (rt && *rt && *rt != ':')
		snprintf(f->dir, sizeof(f->dir), "%.*s", (int)strcspn(rt, ":"), rt);
	else
		snprintf(f->dir, sizeof(f->dir), "%s", RUNDIR_DEFAULT);
}

void app_camfile_update(struct app_camfile *f, const struct cfg *c, int http_port,
			const char *state)
{
	struct rundir_cam d = { .pid = (long)getpid(), .updated = (int64_t)time(NULL) };
	int r;

	if (f->written && !strcmp(state, f->state) && d.updated >= f->written &&
	    d.updated - f->written < RUNDIR_REFRESH_S)
		return;
	snprintf(d.name, sizeof(d.name), "%s", c->name);
	if (http_port >= 0)
		snprintf(d.http, sizeof(d.http), strchr(c->http.addr, ':') ? "http://[%s]:%d"
			 : "http://%s:%d", c->http.addr, http_port);
	if (strlen(c->output.device) < sizeof(d.device))   /* else left out, not cut */
		memcpy(d.device, c->output.device, strlen(c->output.device) + 1);
	snprintf(d.state, sizeof(d.state), "%s", state);
	snprintf(f->state, sizeof(f->state), "%s", state);
	f->written = d.updated;
	r = rundir_write(f->dir, &d);
	if (r < 0 && !f->failed)
		log_warn("cameras page: cannot write %s/%s.json: %s (other bridges will not list "
			 "this one; see --run-dir)", f->dir, d.name, strerror(-r));
	else if (r == 0 && f->failed)
		log_info("cameras page: %s/%s.json written", f->dir, d.name);
	f->failed = r < 0;
}

void app_camfile_remove(struct app_camfile *f)
{
	if (f->written)
		rundir_remove(f->dir, f->name, (long)getpid());
}
