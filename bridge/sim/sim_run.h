/* The simulated camera's event loop: one thread with epoll over the discovery sockets, the
 * UDP session socket, the TCP listener and client, a timerfd, a signalfd, the media eventfd
 * and the control FIFO.  Media encoding runs in the sources' threads (sim_media.h). */
#ifndef CB_SIM_RUN_H
#define CB_SIM_RUN_H

#include "sim/sim_cfg.h"

/* Timings of the camera model. */
#define SIM_BUSY_ALIVE_US   2000000u  /* a session heard from within this is "in use" */
#define SIM_MOTION_LEN_US   3000000u  /* MD → none */
#define SIM_UDP_BURST       32        /* datagrams per pacing slot ... */
#define SIM_UDP_SLOT_US     1000u     /* ... of this length (≈ 43 MB/s at 1350 B) */
#define SIM_TCP_OUTQ_MAX    (4u << 20)
#define SIM_DID_BASE        80        /* real cameras hand out did 80, 96, … */

/* Runs until SIGINT/SIGTERM.  0 or negative errno (set-up failed; logged). */
int sim_run(const struct sim_cfg *cfg);

#endif
