/* MQTT: the camera's state and events published to a broker (libmosquitto), with a retained
 * availability topic and last will, and Home Assistant discovery.  The bus listener only
 * records the new state and queues the event; one thread of this module talks to the broker,
 * reconnecting by itself, so a broker that is away or slow never holds up the camera. */
#ifndef CB_EVENT_MQTT_H
#define CB_EVENT_MQTT_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"

#define MQTT_QUEUE          64      /* events waiting for the event topic; more are dropped */
#define MQTT_KEEPALIVE_S    30
#define MQTT_CONNECT_TIMEOUT_MS 15000
#define MQTT_BACKOFF_MIN_MS 1000
#define MQTT_BACKOFF_MAX_MS 30000

struct mqtt_opts {
	const char *host;
	int port;
	const char *user;           /* NULL or "" = anonymous */
	const char *password;       /* never logged */
	int tls;                    /* TLS (implied by ca_file or cert_file) */
	const char *ca_file;        /* PEM CA certificates; NULL or "": the system's */
	const char *cert_file;      /* PEM client certificate and its key; NULL or "": none */
	const char *key_file;
	const char *topic_prefix;   /* topics are PREFIX/CAMERA/… */
	const char *discovery_prefix; /* "" = no Home Assistant discovery */
	const char *camera;
	const char *snapshot_url;   /* for the HA image entity; NULL or "" = none */
	const char *page_url;       /* the device's configuration_url; NULL or "" = none */
	const char *version;
};

struct mqtt_stats {
	int connected;
	uint64_t connects;          /* CONNACKs accepted */
	uint64_t published;         /* messages handed to the library */
	uint64_t dropped;           /* events not published: queue full */
};

struct mqtt;

/* Copies the options, reads the TLS files, listens on bus and starts the thread; the first
 * connection is made by the thread.  0, -EINVAL, -ENOMEM or the thread's error; msg (n
 * bytes, may be NULL) says what was wrong with a TLS file. */
int mqtt_start(const struct mqtt_opts *o, struct ev_bus *bus, struct mqtt **out, char *msg,
	       size_t n);
/* Publishes availability "offline", disconnects and frees.  NULL is fine. */
void mqtt_stop(struct mqtt *m);
void mqtt_get_stats(struct mqtt *m, struct mqtt_stats *s);

#endif
