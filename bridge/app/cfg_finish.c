/* Resolving after every value is in: the source URL and its credentials, the name, wake mode,
 * http.listen, and the checks that span several keys. */
#include "app/cfg_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "event/event.h"
#include "event/mqtt_tls.h"

/* For libavformat URLs: where the userinfo is ("scheme://USERINFO@host"), if any. */
static int av_userinfo(const char *s, const char **ui, const char **at)
{
	const char *p = strstr(s, "://"), *end;

	if (!p)
		return 0;
	p += 3;
	end = p + strcspn(p, "/?#");
	for (const char *q = end; q > p; q--)
		if (q[-1] == '@') {
			*ui = p;
			*at = q - 1;
			return 1;
		}
	return 0;
}

static int scheme_takes_userinfo(const char *s)
{
	static const char *const schemes[] = { "rtsp://", "rtsps://", "http://", "https://" };

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (!strncasecmp(s, schemes[i], strlen(schemes[i])))
			return 1;
	return 0;
}

static void resolve_camera(struct cfg *c, struct diag *d)
{
	int ki_src = cfg_key_index("camera.source");
	int ki_uid = cfg_key_index("camera.uid");
	struct url *u = &c->camera.url;
	char e[256];
	int url_pw = 0;
	const char *url_pw_val = "";
	const char *ui = NULL, *at = NULL;

	if (!c->camera.source[0]) {
		if (c->origin[ki_src].invalid)
			return;
		cfg_where(c, ki_src, e, sizeof(e));
		cfg_diag_add(d, "%smissing required setting camera.source (or --source URL)", e);
		return;
	}
	if (url_parse(c->camera.source, u, e, sizeof(e))) {
		cfg_key_error(d, c, ki_src, "%s", e);
		return;
	}
	if (u->kind == URL_AV) {
		if (av_userinfo(u->av, &ui, &at) && memchr(ui, ':', (size_t)(at - ui)))
			url_pw = 1;
	} else {
		if (u->has_user)
			snprintf(c->camera.user, sizeof(c->camera.user), "%s", u->user);
		url_pw = u->has_password;
		url_pw_val = u->password;
		if (u->uid[0]) {
			if (c->camera.uid[0] && strcmp(c->camera.uid, u->uid))
				cfg_key_error(d, c, ki_uid, "'%s' differs from the UID in camera.source "
					  "('%s')", c->camera.uid, u->uid);
			snprintf(c->camera.uid, sizeof(c->camera.uid), "%s", u->uid);
		}
		if (u->kind == URL_BC_UDP && !c->camera.uid[0])
			cfg_key_error(d, c, ki_src, "bc-udp needs the camera's UID: add ?uid=UID or "
				  "set camera.uid");
		if (!c->camera.user[0])
			cfg_key_error(d, c, cfg_key_index("camera.user"), "empty (the camera needs a "
				  "login name)");
		if (u->stream >= 0)
			c->camera.stream = u->stream;
		if (u->n_iface) {
			for (int i = 0; i < u->n_iface; i++)
				snprintf(c->camera.discovery_interfaces[i],
					 sizeof(c->camera.discovery_interfaces[i]), "%s",
					 u->iface[i]);
			c->camera.n_discovery_interfaces = u->n_iface;
		}
		if (u->kind == URL_BC_UDP && u->port) {
			c->camera.discovery_ports[0] = u->port;
			c->camera.n_discovery_ports = 1;
		}
	}
	cfg_resolve_password(c, d, "camera password", url_pw, url_pw_val, c->camera.password,
			 sizeof(c->camera.password), cfg_key_index("camera.password_file"),
			 CFG_CRED_PASSWORD, &c->camera.password_source);
	if (u->kind != URL_AV)
		return;

	/* libavformat URL: add user:password from the config when the URL has none. */
	snprintf(c->camera.open_url, sizeof(c->camera.open_url), "%s", u->av);
	if (c->camera.password_source != CFG_PW_URL && c->camera.password[0] &&
	    scheme_takes_userinfo(u->av)) {
		const char *host = strstr(u->av, "://") + 3;
		char eu[3 * URL_USER_MAX + 1], ep[3 * URL_PASS_MAX + 1];
		int r;

		if (ui) /* "user@host": keep that user */
			host = at + 1;
		url_encode(ui ? "" : c->camera.user, eu, sizeof(eu));
		if (ui) {
			size_t un = (size_t)(at - ui);

			if (un >= sizeof(eu))
				un = sizeof(eu) - 1;
			memcpy(eu, ui, un);
			eu[un] = '\0';
		}
		url_encode(c->camera.password, ep, sizeof(ep));
		r = snprintf(c->camera.open_url, sizeof(c->camera.open_url), "%.*s%s:%s@%s",
			     (int)(strstr(u->av, "://") + 3 - u->av), u->av, eu, ep, host);
		explicit_bzero(ep, sizeof(ep));
		if (r < 0 || (size_t)r >= sizeof(c->camera.open_url)) {
			c->camera.open_url[0] = '\0';
			cfg_key_error(d, c, ki_src, "longer than %d bytes once the credentials are "
				  "added", URL_MAX_LEN);
		}
	}
}

/* The MQTT TLS files, read as the MQTT thread will read them, so that --check-config and a
 * reload catch a wrong file rather than the first connection attempt. */
static void check_mqtt_tls(struct cfg *c, struct diag *d)
{
	static const char *const keys[] = {
		[MQTT_TLS_CA] = "mqtt.ca_file", [MQTT_TLS_CERT] = "mqtt.cert_file",
		[MQTT_TLS_KEY] = "mqtt.key_file",
	};
	struct mqtt_tls_opts o = {
		.host = c->mqtt.host, .ca_file = c->mqtt.ca_file, .cert_file = c->mqtt.cert_file,
		.key_file = c->mqtt.key_file,
	};
	enum mqtt_tls_file which;
	SSL_CTX *ctx;
	char m[1400];

	if (!c->mqtt.host[0] || (!c->mqtt.tls && !c->mqtt.ca_file[0] && !c->mqtt.cert_file[0] &&
				 !c->mqtt.key_file[0]))
		return;
	if (!c->mqtt.cert_file[0] != !c->mqtt.key_file[0]) {
		cfg_key_error(d, c, cfg_key_index(c->mqtt.cert_file[0] ? "mqtt.key_file" :
						  "mqtt.cert_file"),
			      "required with %s (a client certificate needs both)",
			      c->mqtt.cert_file[0] ? "mqtt.cert_file" : "mqtt.key_file");
		return;
	}
	if (mqtt_tls_ctx_new(&o, NULL, &ctx, &which, m, sizeof(m)) < 0) {
		cfg_key_error(d, c, cfg_key_index(which ? keys[which] : "mqtt.host"), "%s", m);
		return;
	}
	SSL_CTX_free(ctx);
	if (c->mqtt.key_file[0])
		cfg_warn_readable(c, d, "mqtt.key_file", c->mqtt.key_file);
}

int cfg_finish_diag(struct cfg *c, struct diag *d)
{
	int n0 = d->n;
	int ki;
	char m[CFG_ERR_MAX - 64];

	if (!c->name[0]) {
		const char *b = c->config_path[0] ? strrchr(c->config_path, '/') : NULL;
		size_t len;

		b = c->config_path[0] ? (b ? b + 1 : c->config_path) : "camera";
		len = strlen(b);
		if (len > 5 && !strcmp(b + len - 5, ".conf"))
			len -= 5;
		snprintf(c->name, sizeof(c->name), "%.*s", (int)len, b);
		if (cfg_check_name(c->name, m, sizeof(m)))
			cfg_diag_add(d, "%s: %s (set name or --name)", c->config_path, m);
	}

	resolve_camera(c, d);

	ki = cfg_key_index("output.device");
	if (!c->output.device[0] && !c->origin[ki].invalid) {
		cfg_where(c, ki, m, sizeof(m));
		cfg_diag_add(d, "%smissing required setting output.device (or --output PATH)", m);
	}

	if (c->wake.mode == CFG_WAKE_AUTO)
		c->wake.mode = c->camera.source[0] && (c->camera.url.kind == URL_BC_UDP ||
						       c->camera.url.kind == URL_BC_P2P) ?
			CFG_WAKE_ON_DEMAND : CFG_WAKE_ALWAYS;
	if (c->wake.mode == CFG_WAKE_EVENTS && c->camera.source[0] &&
	    c->camera.url.kind != URL_BC_UDP && c->camera.url.kind != URL_BC_TCP &&
	    c->camera.url.kind != URL_BC_P2P)
		cfg_warn(c, d, "wake.mode = \"events\" needs a Baichuan camera (bc-udp, bc-tcp, "
			 "bc-p2p) for alarm reports: this source is woken on demand instead");

	if (c->reconnect.backoff_min_ms > c->reconnect.backoff_max_ms)
		cfg_key_error(d, c, cfg_key_index("reconnect.backoff_min_ms"),
			  "%d is more than reconnect.backoff_max_ms (%d)",
			  c->reconnect.backoff_min_ms, c->reconnect.backoff_max_ms);

	ki = cfg_key_index("http.listen");
	if (cfg_parse_listen(c->http.listen, &c->http.enabled, c->http.addr, sizeof(c->http.addr),
			 &c->http.port, m, sizeof(m)))
		cfg_key_error(d, c, ki, "%s", m);
	cfg_resolve_password(c, d, "http password", 0, "", c->http.password,
			 sizeof(c->http.password), cfg_key_index("http.password_file"),
			 CFG_CRED_HTTP_PASSWORD, &c->http.password_source);
	/* Authentication is on with both or off with neither: half of it is refused, never
	 * guessed (a user alone once meant a login with an empty password). */
	if (c->http.enabled && c->http.password[0] && !c->http.user[0])
		cfg_key_error(d, c, cfg_key_index("http.user"), "required when an HTTP password is "
			      "set (http.password, http.password_file or the credential %s)",
			      CFG_CRED_HTTP_PASSWORD);
	if (c->http.enabled && c->http.user[0] && c->http.password_source == CFG_PW_NONE)
		cfg_key_error(d, c, cfg_key_index("http.user"), "set but there is no HTTP password "
			      "(http.password, http.password_file or the credential %s): set both "
			      "for authentication, or neither", CFG_CRED_HTTP_PASSWORD);
	if (c->http.enabled && !c->http.password[0] && strcmp(c->http.addr, "127.0.0.1") &&
	    strcmp(c->http.addr, "::1"))
		cfg_warn(c, d, "HTTP listens on %s without a password: anyone who can reach it can "
		     "watch", c->http.listen);

	cfg_resolve_password(c, d, "mqtt password", 0, "", c->mqtt.password,
			 sizeof(c->mqtt.password), cfg_key_index("mqtt.password_file"),
			 CFG_CRED_MQTT_PASSWORD, &c->mqtt.password_source);
	if (c->mqtt.host[0] && c->mqtt.password[0] && !c->mqtt.user[0])
		cfg_key_error(d, c, cfg_key_index("mqtt.user"), "required when an MQTT password is "
			      "set (mqtt.password, mqtt.password_file or the credential %s)",
			      CFG_CRED_MQTT_PASSWORD);
	if (c->mqtt.host[0] && !c->mqtt.topic_prefix[0])
		cfg_key_error(d, c, cfg_key_index("mqtt.topic_prefix"), "empty (topics would start "
			      "with the camera name)");
	check_mqtt_tls(c, d);

	/* on_motion = true is the shorthand for every alarm type; on_types chooses.  (Its
	 * check already refused a bad list: it cannot fail here.) */
	(void)cfg_parse_alarm_types(c->record.on_types, &c->record.on_mask, m, sizeof(m));
	if (!c->record.on_types[0] && c->record.on_motion)
		c->record.on_mask = (1u << (EV_FACE + 1)) - 1;
	else if (c->record.on_types[0] && c->record.on_motion)
		cfg_warn(c, d, "record.on_motion is ignored: record.on_types (\"%s\") says which "
			 "alarms record", c->record.on_types);

	c->log.level += c->verbose;
	if (c->log.level > LOG_DEBUG)
		c->log.level = LOG_DEBUG;
	return d->n > n0 ? -EINVAL : 0;
}

int cfg_finish(struct cfg *c, struct cfg_err *err)
{
	struct diag d = { .err = err };

	if (err)
		memset(err, 0, sizeof(*err));
	return cfg_finish_diag(c, &d);
}

