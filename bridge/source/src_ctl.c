/* What every source part asks while it runs: should it go on, and how to wait without
 * missing a stop.  Kept apart from the dispatcher (src.c) so that calls run one way:
 * src.c → src_av.c / src_bc.c / src_p2p.c → here. */
#include "source/src_impl.h"
#include "util/clock.h"

int src_should_run(struct src *s)
{
	return !atomic_load(&s->stop) && (!s->o.wake_on_demand || atomic_load(&s->wanted));
}

int src_wait(struct src *s, unsigned ms)
{
	struct timespec ts = clock_mono_deadline(ms);
	int was = src_should_run(s);

	pthread_mutex_lock(&s->lock);
	while (src_should_run(s) == was && !atomic_load(&s->stop))
		if (pthread_cond_timedwait(&s->cond, &s->lock, &ts))
			break;
	pthread_mutex_unlock(&s->lock);
	return src_should_run(s);
}

void src_wake(struct src *s)
{
	pthread_mutex_lock(&s->lock);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void src_link_event(struct src *s, enum ev_type t)
{
	if (s->ev_link == (int)t)
		return;
	s->ev_link = (int)t;
	ev_post(s->o.events, t, EV_STATE_NONE, 0);
}

void src_battery_event(struct src *s, int percent, int charging)
{
	if (percent != s->ev_battery) {
		s->ev_battery = percent;
		ev_post(s->o.events, EV_BATTERY, EV_STATE_NONE, percent);
	}
	if (charging != s->ev_charging) {
		s->ev_charging = charging;
		ev_post(s->o.events, EV_CHARGING, EV_STATE_NONE, charging);
	}
}
