/* `cam-bridge snapshot …`: the one-shot still (bridge/app/snapcmd.c). */
#ifndef CB_APP_SNAPCMD_H
#define CB_APP_SNAPCMD_H

#include <stdio.h>

/* argv[0] is "snapshot".  Exit status: 0 written, 1 failed, 2 usage. */
int app_snapshot_main(int argc, char **argv);
void app_snapshot_usage(FILE *f);

#endif
