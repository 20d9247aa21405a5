/* MQTT publisher.  One thread owns the libmosquitto client and drives it with libmosquitto's
 * external-loop API (poll on its socket and on our eventfd, then mosquitto_loop with a zero
 * timeout): no library thread and no client locking, the publisher wakes at once for an event
 * or a stop, and reconnecting is ours — mosquitto_loop_forever gives up for good on some
 * errors (a failed DNS lookup, TLS), which a bridge that runs for months must not. */
#include "event/mqtt.h"

#include <errno.h>
#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "event/mqtt_tls.h"
#include "util/clock.h"
#include "util/log.h"

#define N_ALARMS (EV_FACE - EV_MOTION + 1)
enum {
	D_LINK = 1u << 0, D_BATTERY = 1u << 1, D_CHARGING = 1u << 2, D_DISC_BATTERY = 1u << 3,
	D_DISC_CHARGING = 1u << 4,
	D_ALARM0 = 1u << 5,       /* + alarm type: its state topic */
	D_DISC_ALARM0 = 1u << 10, /* + alarm type: its discovery message */
	D_LINK_DISC = 1u << 16,   /* the state sensor and the snapshot image (at connect) */
};
enum { C_IDLE, C_CONNECTING, C_UP };
enum { L_NONE, L_UP, L_DOWN };

struct mqtt {
	/* options */
	char host[256], user[128], password[256], disc[128], camera[64], version[64];
	char snapshot_url[320], page_url[320];
	char base[200];         /* PREFIX/CAMERA */
	char id[80];            /* cam-bridge_CAMERA: HA unique ids and device identifier */
	char ca[1100];          /* what the broker's certificate is checked against */
	int port, tls;

	struct ev_bus *bus;
	struct mosquitto *mosq;
	pthread_t thread;
	int efd;

	pthread_mutex_t lock;   /* the state below, written by the bus listener */
	int stop;
	struct ev q[MQTT_QUEUE];
	int head, n;
	char link[16];          /* "" = not known yet */
	int alarm[N_ALARMS];    /* -1 unknown, 0 off, 1 on */
	int battery, charging;  /* -1 unknown */
	unsigned dirty;
	struct mqtt_stats st;

	/* the thread's own */
	int conn, full, logged;
	int tls_logged;         /* a TLS failure was logged since the last connect */
	struct mqtt_tls_fail fail;      /* this attempt's, recorded by the handshake */
	char tls_err[160];      /* libmosquitto's last OpenSSL error message */
	uint64_t attempt_ms, next_try_ms;
	unsigned backoff_ms;
};

static const char *const alarm_topic[N_ALARMS] = {
	"motion", "people", "vehicle", "dog_cat", "face",
};
static const char *const alarm_name[N_ALARMS] = {
	"Motion", "Person", "Vehicle", "Animal", "Face",
};

static void on_event(void *opaque, const struct ev *e)
{
	struct mqtt *m = opaque;
	uint64_t one = 1;

	pthread_mutex_lock(&m->lock);
	/* State is recorded here in publishing order: a full queue costs event messages, never
	 * a retained state. */
	if (e->type >= EV_MOTION && e->type <= EV_FACE && e->state != EV_STATE_NONE) {
		int i = e->type - EV_MOTION;

		/* an AI type gets its entity when the camera first reports it (motion has one
		 * from the start) */
		if (m->alarm[i] < 0 && i > 0)
			m->dirty |= D_DISC_ALARM0 << i;
		m->alarm[i] = e->state == EV_STATE_START;
		m->dirty |= D_ALARM0 << i;
	} else if (e->type == EV_ONLINE || e->type == EV_OFFLINE || e->type == EV_SLEEPING) {
		snprintf(m->link, sizeof(m->link), "%s", ev_type_name(e->type));
		m->dirty |= D_LINK;
	} else if (e->type == EV_BATTERY) {
		if (m->battery < 0)
			m->dirty |= D_DISC_BATTERY;
		m->battery = e->value;
		m->dirty |= D_BATTERY;
	} else if (e->type == EV_CHARGING) {
		if (m->charging < 0)
			m->dirty |= D_DISC_CHARGING;
		m->charging = e->value != 0;
		m->dirty |= D_CHARGING;
	}
	if (m->n == MQTT_QUEUE)
		m->st.dropped++;
	else
		m->q[(m->head + m->n++) % MQTT_QUEUE] = *e;
	pthread_mutex_unlock(&m->lock);
	if (write(m->efd, &one, sizeof(one)) < 0) {
		/* the counter is already non-zero: the thread wakes anyway */
	}
}

static void send_msg(struct mqtt *m, const char *topic, const char *payload, int retain)
{
	if (mosquitto_publish(m->mosq, NULL, topic, (int)strlen(payload), payload, 0,
			      retain) == MOSQ_ERR_SUCCESS) {
		pthread_mutex_lock(&m->lock);
		m->st.published++;
		pthread_mutex_unlock(&m->lock);
	}
}

static void pub(struct mqtt *m, const char *leaf, const char *payload, int retain)
{
	char topic[400];

	snprintf(topic, sizeof(topic), "%s/%s", m->base, leaf);
	send_msg(m, topic, payload, retain);
}

/* One Home Assistant discovery message: DISC/COMPONENT/ID/OBJ/config, retained. */
static void disc(struct mqtt *m, const char *component, const char *obj, const char *name,
		 const char *fields)
{
	char topic[400], payload[2048], cfg_url[400] = "";

	if (m->page_url[0])
		snprintf(cfg_url, sizeof(cfg_url), ",\"configuration_url\":\"%s\"", m->page_url);
	snprintf(topic, sizeof(topic), "%s/%s/%s/%s/config", m->disc, component, m->id, obj);
	snprintf(payload, sizeof(payload),
		 "{\"name\":\"%s\",\"unique_id\":\"%s_%s\",%s,"
		 "\"availability_topic\":\"%s/availability\",\"payload_available\":\"online\","
		 "\"payload_not_available\":\"offline\","
		 "\"device\":{\"identifiers\":[\"%s\"],\"name\":\"%s\",\"manufacturer\":\"Reolink\","
		 "\"model\":\"cam-bridge\",\"sw_version\":\"%s\"%s}}",
		 name, m->id, obj, fields, m->base, m->id, m->camera, m->version, cfg_url);
	send_msg(m, topic, payload, 1);
}

/* A state topic as a sensor or binary sensor; extra: more JSON members or "". */
static void disc_topic(struct mqtt *m, const char *component, const char *leaf,
		       const char *name, const char *extra)
{
	char f[512];

	snprintf(f, sizeof(f), "\"state_topic\":\"%s/%s\"%s%s", m->base, leaf,
		 !strcmp(component, "binary_sensor") ?
		 ",\"payload_on\":\"ON\",\"payload_off\":\"OFF\"" : "", extra);
	disc(m, component, leaf, name, f);
}

/* Announced once each value is known (after a connect: again, all the known ones), so a
 * camera without a battery or AI detection shows no empty entities. */
static void disc_known(struct mqtt *m, unsigned dirty, const int *alarm, int battery,
		       int charging)
{
	char f[512];

	for (int i = 0; i < N_ALARMS; i++)
		if ((dirty & (D_DISC_ALARM0 << i)) && (i == 0 || alarm[i] >= 0))
			disc_topic(m, "binary_sensor", alarm_topic[i], alarm_name[i],
				   ",\"device_class\":\"motion\"");
	if ((dirty & D_DISC_BATTERY) && battery >= 0)
		disc_topic(m, "sensor", "battery", "Battery", ",\"device_class\":\"battery\","
			   "\"unit_of_measurement\":\"%\",\"state_class\":\"measurement\"");
	if ((dirty & D_DISC_CHARGING) && charging >= 0)
		disc_topic(m, "binary_sensor", "charging", "Charging",
			   ",\"device_class\":\"battery_charging\"");
	if (dirty & D_LINK_DISC) {
		disc_topic(m, "sensor", "state", "State", ",\"device_class\":\"enum\","
			   "\"options\":[\"online\",\"offline\",\"sleeping\"],\"icon\":\"mdi:cctv\"");
		/* HA's MQTT camera wants the picture's bytes on a topic; its image entity takes
		 * a URL */
		if (m->snapshot_url[0]) {
			snprintf(f, sizeof(f), "\"url_topic\":\"%s/snapshot_url\"", m->base);
			disc(m, "image", "snapshot", "Snapshot", f);
		}
	}
}

/* Publishes what changed (everything after a connect) and the queued events. */
static void flush(struct mqtt *m)
{
	struct ev q[MQTT_QUEUE];
	int alarm[N_ALARMS], battery, charging, n = 0;
	char link[16], num[16], json[1024];
	unsigned dirty;

	pthread_mutex_lock(&m->lock);
	dirty = m->dirty | (m->full ? ~0u : 0);
	m->dirty = 0;
	memcpy(alarm, m->alarm, sizeof(alarm));
	memcpy(link, m->link, sizeof(link));
	battery = m->battery;
	charging = m->charging;
	while (m->n) {
		q[n++] = m->q[m->head];
		m->head = (m->head + 1) % MQTT_QUEUE;
		m->n--;
	}
	pthread_mutex_unlock(&m->lock);

	if (m->full) {
		pub(m, "availability", "online", 1);
		if (m->snapshot_url[0])
			pub(m, "snapshot_url", m->snapshot_url, 1);
	}
	if (m->disc[0])
		disc_known(m, dirty, alarm, battery, charging);
	m->full = 0;
	if ((dirty & D_LINK) && link[0])
		pub(m, "state", link, 1);
	for (int i = 0; i < N_ALARMS; i++)
		if ((dirty & (D_ALARM0 << i)) && alarm[i] >= 0)
			pub(m, alarm_topic[i], alarm[i] ? "ON" : "OFF", 1);
	snprintf(num, sizeof(num), "%d", battery);
	if ((dirty & D_BATTERY) && battery >= 0)
		pub(m, "battery", num, 1);
	if ((dirty & D_CHARGING) && charging >= 0)
		pub(m, "charging", charging ? "ON" : "OFF", 1);
	for (int i = 0; i < n; i++)
		if (ev_json(&q[i], m->camera, json, sizeof(json)) > 0)
			pub(m, "event", json, 0);
}

/* Logged once per change between up and down, not once per retry; a TLS failure (the
 * certificate check, a client certificate refused) also when the broker was already down
 * for another reason, as an error: retrying will not mend it. */
static void down_log(struct mqtt *m, const char *why, int tls)
{
	uint64_t now = clock_mono_ms();

	if (tls && !m->tls_logged)
		log_err("MQTT: broker %s:%d: %s; retrying in the background (video is not "
			"affected)", m->host, m->port, why);
	else if (m->logged != L_DOWN)
		log_warn("MQTT: broker %s:%d: %s; retrying in the background (video is not "
			 "affected)", m->host, m->port, why);
	m->tls_logged |= tls;
	m->logged = L_DOWN;
	if (m->conn == C_UP) {
		pthread_mutex_lock(&m->lock);
		m->st.connected = 0;
		pthread_mutex_unlock(&m->lock);
	}
	m->conn = C_IDLE;
	m->next_try_ms = now + m->backoff_ms;
	m->backoff_ms = m->backoff_ms * 2 > MQTT_BACKOFF_MAX_MS ? MQTT_BACKOFF_MAX_MS :
		m->backoff_ms * 2;
}

/* A connection that failed or ended: with TLS, what the handshake found says more than
 * libmosquitto's "A TLS error occurred". */
static void down(struct mqtt *m, const char *why)
{
	char f[256], msg[1600];
	const char *t = strstr(m->tls_err, "::");   /* "…:SSL routines::REASON" */

	if (m->fail.err) {
		mqtt_tls_fail_str(&m->fail, f, sizeof(f));
		snprintf(msg, sizeof(msg), "TLS certificate check failed: %s; checked against %s",
			 f, m->ca);
		down_log(m, msg, 1);
	} else if (m->tls_err[0]) {
		t = t ? t + 2 : m->tls_err;
		snprintf(msg, sizeof(msg), "TLS: %s%s", t, strstr(t, "certificate required") ?
			 " (the broker wants a client certificate: mqtt.cert_file and key_file)" : "");
		down_log(m, msg, 1);
	} else {
		down_log(m, why, 0);
	}
	memset(&m->fail, 0, sizeof(m->fail));
	m->tls_err[0] = '\0';
}

static const char *rc_str(int rc)
{
	return rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc);
}

static void on_connect(struct mosquitto *mosq, void *opaque, int rc)
{
	struct mqtt *m = opaque;

	(void)mosq;
	if (rc) {
		down(m, mosquitto_connack_string(rc));
		return;
	}
	if (m->logged != L_UP)
		log_info("MQTT: connected to %s:%d", m->host, m->port);
	m->logged = L_UP;
	m->conn = C_UP;
	m->tls_logged = 0;
	m->full = 1;
	m->backoff_ms = MQTT_BACKOFF_MIN_MS;
	pthread_mutex_lock(&m->lock);
	m->st.connected = 1;
	m->st.connects++;
	pthread_mutex_unlock(&m->lock);
}

static void on_disconnect(struct mosquitto *mosq, void *opaque, int rc)
{
	struct mqtt *m = opaque;

	(void)mosq;
	if (m->conn != C_IDLE)
		down(m, rc ? "connection lost" : "disconnected");
}

static void try_connect(struct mqtt *m)
{
	int rc;

	m->attempt_ms = clock_mono_ms();
	m->conn = C_CONNECTING;
	memset(&m->fail, 0, sizeof(m->fail));
	m->tls_err[0] = '\0';
	rc = mosquitto_connect_async(m->mosq, m->host, m->port, MQTT_KEEPALIVE_S);
	if (rc != MOSQ_ERR_SUCCESS)
		down(m, rc_str(rc));
}

static int stopping(struct mqtt *m)
{
	int s;

	pthread_mutex_lock(&m->lock);
	s = m->stop;
	pthread_mutex_unlock(&m->lock);
	return s;
}

static void *run(void *arg)
{
	struct mqtt *m = arg;
	uint64_t v;

	while (!stopping(m)) {
		uint64_t now = clock_mono_ms();
		struct pollfd p[2] = { { .fd = m->efd, .events = POLLIN } };
		int np = 1, sock, rc;

		if (m->conn == C_IDLE && now >= m->next_try_ms)
			try_connect(m);
		if (m->conn == C_CONNECTING && now - m->attempt_ms > MQTT_CONNECT_TIMEOUT_MS)
			down(m, "no answer");
		sock = m->conn != C_IDLE ? mosquitto_socket(m->mosq) : -1;
		if (sock >= 0) {
			/* a connect in progress has its CONNECT queued: want_write covers it */
			p[np++] = (struct pollfd){ .fd = sock, .events = POLLIN |
				(mosquitto_want_write(m->mosq) ? POLLOUT : 0) };
		}
		poll(p, (nfds_t)np, 1000);
		if (p[0].revents & POLLIN && read(m->efd, &v, sizeof(v)) < 0) {
			/* nothing to drain */
		}
		if (m->conn != C_IDLE) {
			/* zero timeout: our poll did the waiting; this reads, writes, finishes a
			 * pending connect and keeps the connection alive */
			rc = mosquitto_loop(m->mosq, 0, 1);
			if (rc != MOSQ_ERR_SUCCESS && m->conn != C_IDLE)
				down(m, rc_str(rc));
		}
		if (m->conn == C_UP)
			flush(m);
	}
	if (m->conn == C_UP) {
		pub(m, "availability", "offline", 1);
		m->conn = C_IDLE;   /* our own goodbye: not a loss to log */
		mosquitto_disconnect(m->mosq);
		for (int i = 0; i < 20 && mosquitto_want_write(m->mosq); i++)
			mosquitto_loop(m->mosq, 50, 1);
	}
	return NULL;
}

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
	mosquitto_lib_init();
}

/* libmosquitto reports OpenSSL's errors only through its log: the last one is kept for
 * the message of a failed handshake. */
static void on_log(struct mosquitto *mosq, void *opaque, int level, const char *str)
{
	struct mqtt *m = opaque;

	(void)mosq;
	if (level == MOSQ_LOG_ERR && !strncmp(str, "OpenSSL Error", 13))
		snprintf(m->tls_err, sizeof(m->tls_err), "%s", str);
}

/* Our own TLS context (mqtt_tls.h), of which libmosquitto takes a reference. */
static int setup_tls(struct mqtt *m, const struct mqtt_opts *o, char *msg, size_t n)
{
	struct mqtt_tls_opts to = {
		.host = m->host, .ca_file = o->ca_file, .cert_file = o->cert_file,
		.key_file = o->key_file,
	};
	enum mqtt_tls_file which;
	SSL_CTX *ctx;
	int r = mqtt_tls_ctx_new(&to, &m->fail, &ctx, &which, msg, n);

	if (r < 0)
		return r;
	/* libmosquitto 2.0 applies its own defaults to a context unless told not to: they would
	 * replace our verification */
	r = mosquitto_void_option(m->mosq, MOSQ_OPT_SSL_CTX, ctx) == MOSQ_ERR_SUCCESS &&
		mosquitto_int_option(m->mosq, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0) ==
		MOSQ_ERR_SUCCESS ? 0 : -ENOTSUP;
	SSL_CTX_free(ctx);
	if (r < 0)
		snprintf(msg, n, "libmosquitto was built without TLS");
	mosquitto_log_callback_set(m->mosq, on_log);
	snprintf(m->ca, sizeof(m->ca), "%s", o->ca_file && o->ca_file[0] ? o->ca_file :
		 "the system CA certificates");
	return r;
}

static int setup_client(struct mqtt *m, const struct mqtt_opts *o, char *msg, size_t n)
{
	char client_id[96], will[256];

	snprintf(client_id, sizeof(client_id), "cam-bridge-%s", m->camera);
	m->mosq = mosquitto_new(client_id, true, m);
	if (!m->mosq)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	mosquitto_connect_callback_set(m->mosq, on_connect);
	mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
	snprintf(will, sizeof(will), "%s/availability", m->base);
	if (mosquitto_will_set(m->mosq, will, 7, "offline", 1, true) != MOSQ_ERR_SUCCESS)
		return -EINVAL;
	if (m->user[0] &&
	    mosquitto_username_pw_set(m->mosq, m->user, m->password[0] ? m->password : NULL))
		return -EINVAL;
	return m->tls ? setup_tls(m, o, msg, n) : 0;
}

static void free_mqtt(struct mqtt *m)
{
	if (m->mosq)
		mosquitto_destroy(m->mosq);
	if (m->efd >= 0)
		close(m->efd);
	pthread_mutex_destroy(&m->lock);
	explicit_bzero(m->password, sizeof(m->password));
	free(m);
}

int mqtt_start(const struct mqtt_opts *o, struct ev_bus *bus, struct mqtt **out, char *msg,
	       size_t n)
{
	char dummy[1];
	struct mqtt *m;
	int r;

	*out = NULL;
	if (!msg || !n) {
		msg = dummy;
		n = sizeof(dummy);
	}
	msg[0] = '\0';
	if (!o->host || !o->host[0] || !bus || !o->topic_prefix || !o->camera ||
	    strlen(o->host) >= sizeof(m->host) || o->port < 1 || o->port > 65535)
		return -EINVAL;
	pthread_once(&lib_once, lib_init);
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	m->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->efd < 0) {
		r = -errno;
		free_mqtt(m);
		return r;
	}
	snprintf(m->host, sizeof(m->host), "%s", o->host);
	snprintf(m->user, sizeof(m->user), "%s", o->user ? o->user : "");
	snprintf(m->password, sizeof(m->password), "%s", o->password ? o->password : "");
	snprintf(m->disc, sizeof(m->disc), "%s", o->discovery_prefix ? o->discovery_prefix : "");
	snprintf(m->camera, sizeof(m->camera), "%s", o->camera);
	snprintf(m->version, sizeof(m->version), "%s", o->version ? o->version : "");
	snprintf(m->snapshot_url, sizeof(m->snapshot_url), "%s",
		 o->snapshot_url ? o->snapshot_url : "");
	snprintf(m->page_url, sizeof(m->page_url), "%s", o->page_url ? o->page_url : "");
	snprintf(m->base, sizeof(m->base), "%s/%s", o->topic_prefix, o->camera);
	snprintf(m->id, sizeof(m->id), "cam-bridge_%s", o->camera);
	for (char *p = m->id; *p; p++)   /* HA ids: letters, digits, '_' and '-' */
		if (*p == '.')
			*p = '_';
	m->port = o->port;
	m->tls = o->tls || (o->ca_file && o->ca_file[0]) || (o->cert_file && o->cert_file[0]);
	m->battery = m->charging = -1;
	for (int i = 0; i < N_ALARMS; i++)
		m->alarm[i] = -1;
	m->backoff_ms = MQTT_BACKOFF_MIN_MS;
	m->bus = bus;
	if ((r = setup_client(m, o, msg, n)) < 0) {
		free_mqtt(m);
		return r;
	}
	r = pthread_create(&m->thread, NULL, run, m);
	if (r) {
		free_mqtt(m);
		return -r;
	}
	r = ev_bus_listen(bus, on_event, m);
	if (r < 0) {
		m->bus = NULL;
		mqtt_stop(m);
		return r;
	}
	*out = m;
	return 0;
}

void mqtt_stop(struct mqtt *m)
{
	uint64_t one = 1;

	if (!m)
		return;
	if (m->bus)
		ev_bus_unlisten(m->bus, on_event, m);
	pthread_mutex_lock(&m->lock);
	m->stop = 1;
	pthread_mutex_unlock(&m->lock);
	if (write(m->efd, &one, sizeof(one)) < 0) {
		/* already signalled */
	}
	pthread_join(m->thread, NULL);
	free_mqtt(m);
}

void mqtt_get_stats(struct mqtt *m, struct mqtt_stats *s)
{
	pthread_mutex_lock(&m->lock);
	*s = m->st;
	pthread_mutex_unlock(&m->lock);
}
