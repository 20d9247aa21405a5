/* Text bodies of the sidecar: the status JSON (through an escaping writer: every string from
 * the camera is hostile), the Prometheus exposition and the index page. */
#ifndef CB_HTTP_TEXT_H
#define CB_HTTP_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "event/hook.h"
#include "event/mqtt.h"

struct sbuf;
struct cam_status;

/* A JSON string literal: quotes, backslashes and control characters escaped, invalid UTF-8
 * replaced by U+FFFD, at most max_in input bytes read. */
void http_json_str(struct sbuf *b, const char *s, size_t max_in);
/* A Prometheus label value: backslash, double quote and newline escaped, invalid UTF-8
 * replaced. */
void http_prom_label(struct sbuf *b, const char *s, size_t max_in);

struct http_text_ctx {
	const struct cam_status *cs;
	const char *camera;         /* label value / route name */
	const char *version;
	uint64_t now_us;            /* CLOCK_MONOTONIC */
	uint64_t last_hub_frame_us; /* publish time of the newest hub frame, 0 = none */
	int http_viewers;
	int hub_viewers;
	uint64_t stream_encodes;
	uint64_t snapshot_encodes;
	uint64_t bodies_refused;    /* requests answered 413 */
	uint64_t viewers_stalled;   /* MJPEG viewers dropped for not reading */
	uint64_t snapshots_busy;    /* snapshot asks answered 503 */
	int has_hook;               /* events.hook configured: its counters */
	struct hook_stats hook;
	int has_mqtt;               /* mqtt.host configured */
	struct mqtt_stats mqtt;
	int have_events;            /* the event bus is on: */
	uint64_t events[EV_NTYPES]; /* events published per type */
	int event_clients;          /* open /api/v1/events streams */
};

void http_status_json(struct sbuf *b, const struct http_text_ctx *c);
void http_metrics_text(struct sbuf *b, const struct http_text_ctx *c);
extern const char http_index_html[];

#endif
