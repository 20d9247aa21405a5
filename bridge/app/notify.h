/* The bus's consumers the configuration turns on: the events.hook runner and MQTT.  Their
 * failures are logged here once and never stop the bridge: video does not depend on them. */
#ifndef CB_APP_NOTIFY_H
#define CB_APP_NOTIFY_H

#include "app/cfg.h"
#include "event/event.h"

struct hook;
struct mqtt;

struct notify {
	struct hook *hook;      /* NULL: no events.hook */
	struct mqtt *mqtt;      /* NULL: no MQTT */
};

void notify_start(struct notify *n, const struct cfg *c, struct ev_bus *bus);
void notify_stop(struct notify *n);

#endif
