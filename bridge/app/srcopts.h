/* From the configuration to what the source and the HTTP server take. */
#ifndef CB_APP_SRCOPTS_H
#define CB_APP_SRCOPTS_H

#include "app/cfg.h"
#include "source/src.h"

void app_src_opts(const struct cfg *c, struct src_opts *o);

#endif
