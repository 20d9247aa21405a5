#include "app/srcopts.h"

#include <stdio.h>
#include <string.h>

void app_src_opts(const struct cfg *c, struct src_opts *o)
{
	const struct url *u = &c->camera.url;

	src_opts_defaults(o);
	switch (u->kind) {
	case URL_BC_UDP: o->kind = SRC_BC_UDP; break;
	case URL_BC_TCP: o->kind = SRC_BC_TCP; break;
	case URL_BC_P2P: o->kind = SRC_BC_P2P; break;
	default: o->kind = SRC_URL; break;
	}
	snprintf(o->url, sizeof(o->url), "%s", c->camera.open_url);
	if (!u->broadcast)
		snprintf(o->host, sizeof(o->host), "%s", u->host);
	o->port = u->port;
	snprintf(o->uid, sizeof(o->uid), "%s", c->camera.uid);
	snprintf(o->user, sizeof(o->user), "%s", c->camera.user);
	snprintf(o->password, sizeof(o->password), "%s", c->camera.password);
	o->substream = c->camera.stream == CFG_STREAM_SUB;
	o->max_encryption = c->camera.max_encryption;
	if (c->camera.n_discovery_interfaces > 0)
		snprintf(o->iface, sizeof(o->iface), "%s", c->camera.discovery_interfaces[0]);
	o->n_disc_ports = 0;
	if (u->kind == URL_BC_UDP && u->port > 0) {
		o->disc_ports[o->n_disc_ports++] = u->port;
	} else {
		for (int i = 0; i < c->camera.n_discovery_ports && i < SRC_MAX_DISC_PORTS; i++)
			o->disc_ports[o->n_disc_ports++] = c->camera.discovery_ports[i];
	}
	for (int i = 0; i < c->camera.n_p2p_servers && i < SRC_MAX_P2P_SERVERS; i++)
		snprintf(o->p2p_servers[i], sizeof(o->p2p_servers[i]), "%s", c->camera.p2p_servers[i]);
	o->n_p2p_servers = c->camera.n_p2p_servers < SRC_MAX_P2P_SERVERS ?
		c->camera.n_p2p_servers : SRC_MAX_P2P_SERVERS;
	o->rtsp_tcp = c->camera.rtsp_transport != CFG_RTSP_UDP;
	o->rtsp_listen = c->camera.rtsp_transport == CFG_RTSP_LISTEN;
	o->file_fps = c->output.fps;
	o->read_timeout_ms = (unsigned)c->camera.read_timeout_ms;
	o->backoff_min_ms = (unsigned)c->reconnect.backoff_min_ms;
	o->backoff_max_ms = (unsigned)c->reconnect.backoff_max_ms;
	o->auth_retry_ms = (unsigned)c->reconnect.auth_retry_seconds * 1000u;
	o->connect_timeout_ms = (unsigned)c->camera.connect_timeout_ms;
	o->max_message_bytes = (size_t)c->limits.max_message_bytes;
	o->max_frame_bytes = (size_t)c->limits.max_frame_bytes;
	/* events mode needs alarm reports, which only Baichuan cameras send: on-demand for the rest */
	o->wake_events = c->wake.mode == CFG_WAKE_EVENTS && o->kind != SRC_URL;
	o->wake_on_demand = c->wake.mode == CFG_WAKE_ON_DEMAND ||
			    (c->wake.mode == CFG_WAKE_EVENTS && o->kind == SRC_URL);
}
