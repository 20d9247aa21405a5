/* Starts the bus consumers the configuration asks for.  The HTTP addresses handed to MQTT
 * (Home Assistant's snapshot entity and device page) must be reachable from elsewhere: a
 * wildcard listen address is replaced by the host name, port 0 (any) gives none. */
#include "app/notify.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "event/hook.h"
#include "event/mqtt.h"
#include "util/log.h"

static void http_base(const struct cfg *c, char *out, size_t n)
{
	char host[256];
	const char *a = c->http.addr;

	out[0] = '\0';
	if (!c->http.enabled || c->http.port == 0)
		return;
	if (!strcmp(a, "0.0.0.0") || !strcmp(a, "::")) {
		if (gethostname(host, sizeof(host)) != 0)
			return;
		host[sizeof(host) - 1] = '\0';
		a = host;
		snprintf(out, n, "http://%s:%d", a, c->http.port);
		return;
	}
	snprintf(out, n, strchr(a, ':') ? "http://[%s]:%d" : "http://%s:%d", a, c->http.port);
}

static void start_mqtt(struct notify *n, const struct cfg *c, struct ev_bus *bus)
{
	char base[300], snap[320] = "", page[320] = "", msg[1400];
	struct mqtt_opts mo = {
		.host = c->mqtt.host, .port = c->mqtt.port, .user = c->mqtt.user,
		.password = c->mqtt.password, .tls = c->mqtt.tls, .ca_file = c->mqtt.ca_file,
		.cert_file = c->mqtt.cert_file, .key_file = c->mqtt.key_file,
		.topic_prefix = c->mqtt.topic_prefix, .discovery_prefix = c->mqtt.discovery_prefix,
		.camera = c->name, .snapshot_url = snap, .page_url = page, .version = CB_VERSION,
	};
	int r;

	http_base(c, base, sizeof(base));
	if (base[0]) {
		snprintf(snap, sizeof(snap), "%s/snapshot.jpg", base);
		snprintf(page, sizeof(page), "%s/", base);
	}
	r = mqtt_start(&mo, bus, &n->mqtt, msg, sizeof(msg));
	if (r < 0)
		log_err("MQTT: cannot start (%s:%d): %s", c->mqtt.host, c->mqtt.port,
			msg[0] ? msg : strerror(-r));
	else
		log_info("MQTT: publishing to %s:%d as %s/%s", c->mqtt.host, c->mqtt.port,
			 c->mqtt.topic_prefix, c->name);
}

void notify_start(struct notify *n, const struct cfg *c, struct ev_bus *bus)
{
	struct hook_opts ho = {
		.path = c->events.hook, .camera = c->name,
		.timeout_s = c->events.hook_timeout_seconds,
	};
	int r;

	memset(n, 0, sizeof(*n));
	if (c->events.hook[0]) {
		r = hook_start(&ho, bus, &n->hook);
		if (r < 0)
			log_err("events.hook %s: cannot start the runner: %s", c->events.hook,
				strerror(-r));
		else
			log_info("events.hook: running %s once per event", c->events.hook);
	}
	if (c->mqtt.host[0])
		start_mqtt(n, c, bus);
}

void notify_stop(struct notify *n)
{
	mqtt_stop(n->mqtt);
	n->mqtt = NULL;
	hook_stop(n->hook);
	n->hook = NULL;
}
