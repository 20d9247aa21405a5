/* cam-sim: a simulated Reolink battery camera (see docs/cam-sim.md and --help). */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <libavutil/log.h>

#include "sim/sim_cfg.h"
#include "sim/sim_run.h"
#include "util/log.h"

int main(int argc, char **argv)
{
	struct sim_cfg cfg;
	int r;

	sim_cfg_defaults(&cfg);
	r = sim_cfg_parse(&cfg, argc, argv);
	if (r != 0)
		return r > 0 ? 0 : 2;
	log_set_level(cfg.verbose >= 2 ? LOG_DEBUG : cfg.verbose ? LOG_INFO : LOG_NOTICE);
	log_set_tag("cam-sim");
	/* encoder chatter (x264 banner, AAC stats) only with -vv */
	av_log_set_level(cfg.verbose >= 2 ? AV_LOG_INFO : AV_LOG_ERROR);
	r = sim_run(&cfg);
	/* the process holds the password: scrub it before exit */
	memset(cfg.password, 0, sizeof(cfg.password));
	return r < 0 ? 1 : 0;
}
