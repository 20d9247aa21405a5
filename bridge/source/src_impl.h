/* Internal: what the dispatcher (src.c) and the source parts (src_av.c, src_bc.c, src_p2p.c)
 * share; the helpers they call live in src_ctl.c. */
#ifndef CB_SOURCE_SRC_IMPL_H
#define CB_SOURCE_SRC_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "event/event.h"
#include "source/src.h"

struct src {
	struct src_opts o;
	struct auq *q;
	struct status *st;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_int stop;
	atomic_int wanted;
	/* What the event bus was last told (session thread only), so it hears of changes only:
	 * EV_ONLINE/EV_OFFLINE/EV_SLEEPING/EV_AUTH_FAILED or -1, battery percent and charging
	 * or -1 while unknown. */
	int ev_link, ev_battery, ev_charging;
};

/* 1 while the running session should go on (not stopping, still wanted). */
int src_should_run(struct src *s);
/* Sleeps up to ms, returning early when stop/wanted changes.  Returns src_should_run(). */
int src_wait(struct src *s, unsigned ms);
/* Publishes a link event (EV_ONLINE, …) unless it is the one last published. */
void src_link_event(struct src *s, enum ev_type t);
/* Publishes EV_BATTERY / EV_CHARGING when they changed. */
void src_battery_event(struct src *s, int percent, int charging);

/* Wakes src_wait at once (stop or wanted changed). */
void src_wake(struct src *s);

/* One session each: connect, stream until error or !src_should_run, clean up.
 * Returns 0 when it ended because it was asked to, -EACCES on rejected credentials,
 * another negative errno on failure.  They update st (model, resolution, battery…). */
int src_bc_run(struct src *s);

struct bcsess;
/* P2P by UID: ask the lookup servers where the camera's register server is, register, and
 * connect (remote, map or relay) — then attach the session socket to ss.  0 or -errno. */
int src_p2p_find(struct src *s, struct bcsess *ss);
int src_av_run(struct src *s);

#endif
