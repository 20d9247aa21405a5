#include "http/http_text.h"
#include "hub/status.h"
#include "util/sbuf.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#define STR(b, field) http_json_str(b, field, sizeof(field))

/* A string, or null when it is empty. */
static void str_or_null(struct sbuf *b, const char *s, size_t size)
{
	if (s[0])
		http_json_str(b, s, size);
	else
		sbuf_add(b, "null", 4);
}

static void num(struct sbuf *b, double v)
{
	if (isfinite(v))
		sbuf_printf(b, "%.3f", v);
	else
		sbuf_add(b, "null", 4);
}

/* true / false / null from the camera's free-form charge status. */
static const char *charging(const char *cs)
{
	if (!cs[0])
		return "null";
	return !strncasecmp(cs, "charging", 8) ? "true" : "false";
}

void http_status_json(struct sbuf *b, const struct http_text_ctx *c)
{
	const struct cam_status *s = c->cs;

	sbuf_add(b, "{\"camera\":{\"name\":", 18);
	STR(b, s->name);
	sbuf_add(b, ",\"model\":", 9);
	STR(b, s->model);
	sbuf_add(b, ",\"firmware\":", 12);
	STR(b, s->firmware);
	sbuf_add(b, ",\"uid\":", 7);
	STR(b, s->uid);
	sbuf_add(b, ",\"source\":", 10);
	STR(b, s->source);
	sbuf_add(b, "},\"state\":", 10);
	http_json_str(b, cam_state_name(s->state), 32);
	sbuf_add(b, ",\"battery\":{\"percent\":", 22);
	if (s->battery_percent >= 0)
		sbuf_printf(b, "%d", s->battery_percent);
	else
		sbuf_add(b, "null", 4);
	sbuf_printf(b, ",\"charging\":%s,\"charge_status\":", charging(s->charge_status));
	STR(b, s->charge_status);
	sbuf_printf(b, "},\"stream\":{\"width\":%d,\"height\":%d,\"codec\":",
		    s->stream_width, s->stream_height);
	STR(b, s->codec);
	sbuf_printf(b, "},\"output\":{\"width\":%d,\"height\":%d,\"fps\":%d,\"format\":",
		    s->out_width, s->out_height, s->out_fps);
	STR(b, s->out_format);
	sbuf_add(b, "},\"fps_in\":", 11);
	num(b, s->fps_in);
	sbuf_add(b, ",\"fps_out\":", 11);
	num(b, s->fps_out);
	sbuf_printf(b, ",\"decode\":{\"count\":%llu,\"avg_ms\":", (unsigned long long)s->decode_count);
	if (s->decode_count)
		num(b, s->decode_seconds_sum * 1000.0 / (double)s->decode_count);
	else
		sbuf_add(b, "null", 4);
	sbuf_add(b, "},\"bitrate_bps\":", 16);
	num(b, s->bitrate_bps);
	sbuf_printf(b, ",\"frames\":{\"in\":%llu,\"decoded\":%llu,\"dropped\":%llu,\"out\":%llu"
		    ",\"skipped\":%llu,\"out_dropped\":%llu}",
		    (unsigned long long)s->frames_in, (unsigned long long)s->frames_decoded,
		    (unsigned long long)s->frames_dropped, (unsigned long long)s->frames_out,
		    (unsigned long long)s->frames_skipped, (unsigned long long)s->frames_out_dropped);
	sbuf_printf(b, ",\"bytes_in\":%llu,\"packets_lost\":%llu,\"packets_retransmitted\":%llu"
		    ",\"reconnects\":%llu,\"motion_events\":%llu,\"audio_frames_in\":%llu",
		    (unsigned long long)s->bytes_in, (unsigned long long)s->packets_lost,
		    (unsigned long long)s->packets_retransmitted,
		    (unsigned long long)s->reconnects, (unsigned long long)s->motion_events,
		    (unsigned long long)s->audio_frames_in);
	sbuf_add(b, ",\"uptime_seconds\":", 18);
	num(b, c->now_us > s->started_mono_us ? (double)(c->now_us - s->started_mono_us) / 1e6 : 0);
	sbuf_add(b, ",\"last_frame_age_seconds\":", 26);
	if (s->last_frame_mono_us && c->now_us >= s->last_frame_mono_us)
		num(b, (double)(c->now_us - s->last_frame_mono_us) / 1e6);
	else
		sbuf_add(b, "null", 4);
	sbuf_printf(b, ",\"consumers\":{\"http\":%d,\"v4l2\":", c->http_viewers);
	if (s->v4l2_clients >= 0)
		sbuf_printf(b, "%d", s->v4l2_clients);
	else
		sbuf_add(b, "null", 4);
	sbuf_printf(b, ",\"watching\":%d},\"hwaccel\":", c->hub_viewers);
	STR(b, s->hwaccel);
	sbuf_add(b, ",\"decode_error\":", 16);
	str_or_null(b, s->decode_error, sizeof(s->decode_error));
	sbuf_printf(b, ",\"recording\":{\"enabled\":%s,\"active\":%s,\"clip\":",
		    s->rec_enabled ? "true" : "false", s->rec_active ? "true" : "false");
	STR(b, s->rec_clip);
	sbuf_add(b, ",\"error\":", 9);
	str_or_null(b, s->rec_error, sizeof(s->rec_error));
	sbuf_printf(b, ",\"clips\":%llu,\"dropped\":%llu},\"ts_viewers\":%d",
		    (unsigned long long)s->rec_clips, (unsigned long long)s->rec_dropped,
		    s->ts_viewers);
	sbuf_add(b, "}\n", 2);
}

/* ---- Prometheus text format 0.0.4 ------------------------------------------------------ */

static void head(struct sbuf *b, const char *name, const char *type, const char *help)
{
	sbuf_printf(b, "# HELP cam_bridge_%s %s\n# TYPE cam_bridge_%s %s\n", name, help, name, type);
}

static void labels(struct sbuf *b, const struct http_text_ctx *c)
{
	sbuf_add(b, "{camera=\"", 9);
	http_prom_label(b, c->camera, 256);
	sbuf_add(b, "\"", 1);
}

static void sample_u(struct sbuf *b, const struct http_text_ctx *c, const char *name,
		     unsigned long long v)
{
	sbuf_printf(b, "cam_bridge_%s", name);
	labels(b, c);
	sbuf_printf(b, "} %llu\n", v);
}

static void sample_d(struct sbuf *b, const struct http_text_ctx *c, const char *name, double v)
{
	sbuf_printf(b, "cam_bridge_%s", name);
	labels(b, c);
	if (isfinite(v))
		sbuf_printf(b, "} %.6g\n", v);
	else
		sbuf_add(b, "} NaN\n", 6);
}

static void counter(struct sbuf *b, const struct http_text_ctx *c, const char *name,
		    const char *help, uint64_t v)
{
	head(b, name, "counter", help);
	sample_u(b, c, name, (unsigned long long)v);
}

static void gauge(struct sbuf *b, const struct http_text_ctx *c, const char *name,
		  const char *help, double v)
{
	head(b, name, "gauge", help);
	sample_d(b, c, name, v);
}

void http_metrics_text(struct sbuf *b, const struct http_text_ctx *c)
{
	const struct cam_status *s = c->cs;

	gauge(b, c, "up", "1 when the camera is streaming video.", s->state == CAM_STREAMING);
	head(b, "state", "gauge", "Camera connection state (1 for the current one).");
	for (int st = CAM_CONNECTING; st <= CAM_AUTH_FAILED; st++) {
		sbuf_add(b, "cam_bridge_state", 16);
		labels(b, c);
		sbuf_printf(b, ",state=\"%s\"} %d\n", cam_state_name((enum cam_state)st),
			    s->state == (enum cam_state)st);
	}
	head(b, "build_info", "gauge", "Build information.");
	sbuf_add(b, "cam_bridge_build_info", 21);
	labels(b, c);
	sbuf_add(b, ",version=\"", 10);
	http_prom_label(b, c->version ? c->version : "unknown", 64);
	sbuf_add(b, "\"} 1\n", 5);
	counter(b, c, "frames_in_total", "Video access units received from the camera.", s->frames_in);
	counter(b, c, "frames_decoded_total", "Pictures decoded.", s->frames_decoded);
	counter(b, c, "frames_dropped_total",
		"Pictures not shown (loss, waiting for a keyframe, decode errors).", s->frames_dropped);
	counter(b, c, "frames_out_total", "Pictures written to the outputs.", s->frames_out);
	counter(b, c, "frames_skipped_total",
		"Pictures superseded by a newer one before the output rate allowed them.",
		s->frames_skipped);
	counter(b, c, "frames_out_dropped_total", "Writes the output could not take.",
		s->frames_out_dropped);
	counter(b, c, "bytes_in_total", "Compressed video bytes received.", s->bytes_in);
	counter(b, c, "audio_frames_in_total",
		"AAC frames received from the camera (passed on to recordings and /stream.ts).",
		s->audio_frames_in);
	counter(b, c, "packets_lost_total", "Transport packets lost.", s->packets_lost);
	counter(b, c, "packets_retransmitted_total", "Transport packets retransmitted.",
		s->packets_retransmitted);
	counter(b, c, "reconnects_total", "Camera sessions re-established.", s->reconnects);
	counter(b, c, "motion_events_total", "Motion events reported by the camera.", s->motion_events);
	counter(b, c, "mjpeg_encodes_total", "JPEG encodes for the MJPEG stream.", c->stream_encodes);
	counter(b, c, "snapshot_encodes_total", "Snapshot encodes (cached pictures cost none).",
		c->snapshot_encodes);
	counter(b, c, "http_bodies_refused_total", "HTTP requests refused for carrying a body.",
		c->bodies_refused);
	counter(b, c, "http_viewers_stalled_total", "MJPEG and /stream.ts viewers dropped for not reading or falling behind.",
		c->viewers_stalled);
	counter(b, c, "http_snapshots_busy_total", "Snapshot asks answered 503 (encoder busy).",
		c->snapshots_busy);
	if (c->has_hook) {
		counter(b, c, "hook_runs_total", "events.hook runs started.", c->hook.runs);
		counter(b, c, "hook_failures_total",
			"events.hook runs that failed (could not start, exit status, killed).",
			c->hook.failures);
		counter(b, c, "hook_timeouts_total", "events.hook runs ended at the timeout.",
			c->hook.timeouts);
		counter(b, c, "hook_dropped_total", "Events not given to the hook: queue full.",
			c->hook.dropped);
	}
	if (c->has_mqtt) {
		gauge(b, c, "mqtt_connected", "1 while the MQTT broker is connected.",
		      c->mqtt.connected);
		counter(b, c, "mqtt_connects_total", "MQTT connections accepted by the broker.",
			c->mqtt.connects);
		counter(b, c, "mqtt_published_total", "MQTT messages published.",
			c->mqtt.published);
		counter(b, c, "mqtt_dropped_total",
			"Events not published to MQTT: the queue was full while the broker was away.",
			c->mqtt.dropped);
	}
	if (c->have_events) {
		head(b, "events_total", "counter", "Events published, per type (start and end each count).");
		for (int t = 0; t < EV_NTYPES; t++) {
			sbuf_add(b, "cam_bridge_events_total", 23);
			labels(b, c);
			sbuf_printf(b, ",type=\"%s\"} %llu\n", ev_type_name((enum ev_type)t),
				    (unsigned long long)c->events[t]);
		}
		gauge(b, c, "http_event_clients", "Open /api/v1/events streams.", c->event_clients);
	}

	head(b, "decode_seconds", "histogram", "Time to decode one picture.");
	for (int i = 0; i < STATUS_DECODE_BUCKETS; i++) {
		sbuf_add(b, "cam_bridge_decode_seconds_bucket", 32);
		labels(b, c);
		sbuf_printf(b, ",le=\"%g\"} %llu\n", status_decode_bucket_le[i],
			    (unsigned long long)s->decode_buckets[i]);
	}
	sbuf_add(b, "cam_bridge_decode_seconds_bucket", 32);
	labels(b, c);
	sbuf_printf(b, ",le=\"+Inf\"} %llu\n", (unsigned long long)s->decode_count);
	sample_d(b, c, "decode_seconds_sum", s->decode_seconds_sum);
	sample_u(b, c, "decode_seconds_count", (unsigned long long)s->decode_count);

	head(b, "battery_percent", "gauge", "Battery charge in percent (absent when unknown).");
	if (s->battery_percent >= 0)
		sample_d(b, c, "battery_percent", s->battery_percent);
	head(b, "battery_charging", "gauge", "1 while the battery charges (absent when unknown).");
	if (s->charge_status[0])
		sample_d(b, c, "battery_charging", !strncasecmp(s->charge_status, "charging", 8));
	gauge(b, c, "fps_in", "Pictures per second received.", s->fps_in);
	gauge(b, c, "fps_out", "Pictures per second written to the outputs.", s->fps_out);
	gauge(b, c, "bitrate_bits_per_second", "Compressed video bitrate in.", s->bitrate_bps);
	gauge(b, c, "http_clients", "Open MJPEG viewers.", c->http_viewers);
	gauge(b, c, "ts_viewers", "Open /stream.ts viewers.", s->ts_viewers);
	gauge(b, c, "recording", "1 while a clip is written.", s->rec_active);
	gauge(b, c, "recording_error", "1 while recording fails (disk full, read-only, ...).",
	      s->rec_error[0] != 0);
	counter(b, c, "recordings_total", "Clips written.", s->rec_clips);
	counter(b, c, "recording_dropped_total", "Access units the disk could not keep up with.",
		s->rec_dropped);
	head(b, "v4l2_clients", "gauge", "Processes reading the V4L2 device (absent when unknown).");
	if (s->v4l2_clients >= 0)
		sample_d(b, c, "v4l2_clients", s->v4l2_clients);
	gauge(b, c, "uptime_seconds", "Seconds since the bridge started.",
	      c->now_us > s->started_mono_us ? (double)(c->now_us - s->started_mono_us) / 1e6 : 0);
	head(b, "last_frame_age_seconds", "gauge",
	     "Seconds since the last camera picture (absent before the first).");
	if (s->last_frame_mono_us && c->now_us >= s->last_frame_mono_us)
		sample_d(b, c, "last_frame_age_seconds",
			 (double)(c->now_us - s->last_frame_mono_us) / 1e6);
}
