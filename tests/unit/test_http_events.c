/* GET /api/v1/events: the SSE lines of one event, then a real server: the retry hint, events
 * in order with their types and states, ?since= replays (and says what fell out of the ring),
 * live events, keep-alive comments, a bad since refused, a client that leaves let go, and the
 * per-type counters on /metrics. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "httptest.h"
#include "event/event.h"
#include "http/http_internal.h"
#include "util/clock.h"

static void test_format(void **state)
{
	struct ev e = { .id = 12, .type = EV_PEOPLE, .state = EV_STATE_START,
			.time_us = 1700000000000001LL, .marker = -1 };
	char buf[1024], small[40];

	(void)state;
	strcpy(e.detail, "a\nb");
	int n = http_sse_format(&e, "Front", buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, "id: 12\nevent: people\ndata: {\"id\":12,\"camera\":\"Front\","
			    "\"type\":\"people\",\"state\":\"start\",\"time\":1700000000.000001,"
			    "\"marker\":-1,\"value\":0,\"detail\":\"a\\u000ab\"}\n\n");
	assert_int_equal(http_sse_format(&e, "Front", small, sizeof(small)), -ENOSPC);
	assert_true(http_sse_dropped(5, 9, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, ": 5 events dropped before id 9 (more than the bridge keeps)\n");
}

/* Reads the next SSE block (lines up to a blank one) into out, comments included. */
static int block(struct ht_rd *r, char *out, size_t n)
{
	char line[2048];
	size_t o = 0;
	int k;

	out[0] = 0;
	while ((k = ht_rd_line(r, line, sizeof(line))) > 0)
		o += (size_t)snprintf(out + o, n - o, "%s\n", line);
	return k < 0 && !o ? -1 : 0;
}

static void expect_event(struct ht_rd *r, unsigned id, const char *type, const char *st)
{
	char b[4096], want[128];

	assert_int_equal(block(r, b, sizeof(b)), 0);
	snprintf(want, sizeof(want), "id: %u\nevent: %s\ndata: {\"id\":%u,\"camera\":\"Front\","
		 "\"type\":\"%s\",\"state\":\"%s\"", id, type, id, type, st);
	if (strncmp(b, want, strlen(want)))
		fail_msg("got '%s', want '%s…'", b, want);
}

/* The server notices departed clients within a tick: wait for the count. */
static int clients_become(struct http_server *srv, int n)
{
	uint64_t until = clock_mono_us() + 5000000u;

	while (http_event_clients(srv) != n && clock_mono_us() < until)
		usleep(20000);
	return http_event_clients(srv);
}

static void test_stream(void **state)
{
	struct ev_bus *bus;
	struct http_opts o = { .max_connections = 8, .timeout_s = 2, .events = NULL };
	struct ht_fx *x;
	struct ht_rd *r = calloc(1, sizeof(*r)), *r2 = calloc(1, sizeof(*r2));
	char ct[128], b[4096];
	uint8_t *body;
	size_t blen;

	(void)state;
	assert_int_equal(ev_bus_new(&bus, CAM, 4), 0);
	o.events = bus;
	x = ht_fx_new(&o);
	ev_post(bus, EV_ONLINE, EV_STATE_NONE, 0);
	ev_post(bus, EV_MOTION, EV_STATE_START, 0);
	/* replay from 0, then live */
	assert_int_equal(ht_stream_open(r, x->port, "/api/v1/events?since=0", ct, sizeof(ct)), 0);
	assert_string_equal(ct, "text/event-stream");
	assert_int_equal(block(r, b, sizeof(b)), 0);
	assert_string_equal(b, "retry: 3000\n");
	expect_event(r, 1, "online", "");
	expect_event(r, 2, "motion", "start");
	ev_post(bus, EV_PEOPLE, EV_STATE_START, 0);
	ev_post(bus, EV_PEOPLE, EV_STATE_END, 0);
	expect_event(r, 3, "people", "start");
	expect_event(r, 4, "people", "end");
	/* quiet: a keep-alive comment (timeout 2 s → every second) */
	assert_int_equal(block(r, b, sizeof(b)), 0);
	assert_string_equal(b, ": keep-alive\n");
	ev_post(bus, EV_BATTERY, EV_STATE_NONE, 42);
	expect_event(r, 5, "battery", "");
	/* since=1 with a ring of 4 (ids 2..5 kept… then 6 more): what fell out is said */
	for (int i = 0; i < 3; i++)
		ev_post(bus, EV_MOTION, i % 2 ? EV_STATE_END : EV_STATE_START, 0);
	assert_int_equal(ht_stream_open(r2, x->port, "/api/v1/events?since=1", ct, sizeof(ct)), 0);
	assert_int_equal(block(r2, b, sizeof(b)), 0);
	assert_string_equal(b, "retry: 3000\n");
	assert_int_equal(block(r2, b, sizeof(b)), 0);
	assert_non_null(strstr(b, ": 3 events dropped before id 5 "));
	assert_non_null(strstr(b, "id: 5\nevent: battery\n"));
	expect_event(r2, 6, "motion", "start");
	/* without since: only what comes next */
	close(r2->fd);
	assert_int_equal(ht_stream_open(r2, x->port, "/api/v1/events", ct, sizeof(ct)), 0);
	assert_int_equal(block(r2, b, sizeof(b)), 0);
	ev_post(bus, EV_FACE, EV_STATE_START, 0);
	expect_event(r2, 9, "face", "start");
	assert_int_equal(clients_become(x->srv, 2), 2);
	/* the counters */
	assert_int_equal(ht_curl(x->port, "/metrics", NULL, &body, &blen, NULL), 200);
	assert_non_null(strstr((char *)body, "cam_bridge_events_total{camera=\"Front\",type=\"motion\"} 4\n"));
	assert_non_null(strstr((char *)body, "cam_bridge_events_total{camera=\"Front\",type=\"face\"} 1\n"));
	assert_non_null(strstr((char *)body, "cam_bridge_http_event_clients{camera=\"Front\"} 2\n"));
	free(body);
	/* ?wait=0: a JSON snapshot of what is kept after since (ring of 4: ids 6..9) */
	assert_int_equal(ht_curl(x->port, "/api/v1/events?since=7&wait=0", NULL, &body, &blen, NULL), 200);
	body = realloc(body, blen + 1);
	body[blen] = 0;
	assert_non_null(strstr((char *)body, "{\"dropped\":0,\"events\":[{\"id\":8,"));
	assert_non_null(strstr((char *)body, "},{\"id\":9,\"camera\":\"Front\",\"type\":\"face\""));
	assert_non_null(strstr((char *)body, "}],\"next\":9}\n"));
	free(body);
	assert_int_equal(ht_curl(x->port, "/api/v1/events?wait=0", NULL, &body, &blen, NULL), 200);
	body = realloc(body, blen + 1);
	body[blen] = 0;
	assert_non_null(strstr((char *)body, "{\"dropped\":5,\"events\":[{\"id\":6,"));
	free(body);
	assert_int_equal(ht_curl(x->port, "/api/v1/events?wait=5", NULL, &body, &blen, NULL), 400);
	free(body);
	/* a bad since */
	assert_int_equal(ht_curl(x->port, "/api/v1/events?since=12x", NULL, &body, &blen, NULL), 400);
	free(body);
	/* clients that leave are let go while suspended */
	close(r->fd);
	close(r2->fd);
	assert_int_equal(clients_become(x->srv, 0), 0);
	ht_fx_free(x);
	ev_bus_free(bus);
	free(r);
	free(r2);
}

/* Streams hold connections: with max_connections 2, two of them leave no room for a third
 * request until one leaves. */
static void test_connection_limit(void **state)
{
	struct ev_bus *bus;
	struct http_opts o = { .max_connections = 2, .max_per_ip = 2, .timeout_s = 10 };
	struct ht_fx *x;
	struct ht_rd *r = calloc(2, sizeof(*r));
	char ct[128];
	uint64_t us;

	(void)state;
	assert_int_equal(ev_bus_new(&bus, CAM, 0), 0);
	o.events = bus;
	x = ht_fx_new(&o);
	assert_int_equal(ht_stream_open(&r[0], x->port, "/api/v1/events", ct, sizeof(ct)), 0);
	assert_int_equal(ht_stream_open(&r[1], x->port, "/api/v1/events", ct, sizeof(ct)), 0);
	assert_int_equal(ht_get_timed(x->port, "/healthz", 1500, &us), -1);
	close(r[0].fd);
	assert_int_equal(clients_become(x->srv, 1), 1);
	assert_true(ht_get_timed(x->port, "/healthz", 3000, &us) > 0);
	close(r[1].fd);
	ht_fx_free(x);
	ev_bus_free(bus);
	free(r);
}

/* No bus: the route says so; stopping the server ends open streams. */
static void test_off_and_stop(void **state)
{
	struct ev_bus *bus;
	struct http_opts o = { .max_connections = 8, .timeout_s = 10 };
	struct ht_fx *x = ht_fx_new(&o);
	struct ht_rd *r = calloc(1, sizeof(*r));
	char ct[128];
	uint8_t *body;
	size_t blen;

	(void)state;
	assert_int_equal(ht_curl(x->port, "/api/v1/events", NULL, &body, &blen, NULL), 404);
	free(body);
	ht_fx_free(x);
	assert_int_equal(ev_bus_new(&bus, CAM, 0), 0);
	o.events = bus;
	x = ht_fx_new(&o);
	/* HEAD: the headers, no stream held open */
	char *hdrs;
	assert_int_equal(ht_curl(x->port, "/api/v1/events", "-I", &body, &blen, &hdrs), 200);
	assert_non_null(strstr(hdrs, "text/event-stream"));
	free(body);
	free(hdrs);
	assert_int_equal(clients_become(x->srv, 0), 0);
	assert_int_equal(ht_stream_open(r, x->port, "/api/v1/events", ct, sizeof(ct)), 0);
	uint64_t t0 = clock_mono_us();
	ht_fx_free(x);
	assert_true(clock_mono_us() - t0 < 3000000u);
	assert_true(ht_wait_closed(r->fd, 3000));
	close(r->fd);
	ev_bus_free(bus);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_connection_limit),
		cmocka_unit_test(test_off_and_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
