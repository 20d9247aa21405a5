/* The event bus: ids in order, the bounded ring and what fell out of it, listeners, waiting,
 * and the JSON that SSE and hooks carry. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "event/event.h"

struct seen {
	int n;
	uint64_t ids[16];
};

static void on_ev(void *opaque, const struct ev *e)
{
	struct seen *s = opaque;

	if (s->n < 16)
		s->ids[s->n] = e->id;
	s->n++;
}

static void test_ring_and_listeners(void **state)
{
	struct ev_bus *b;
	struct ev out[8];
	struct seen s = { 0 };
	uint64_t dropped = 99;

	(void)state;
	assert_int_equal(ev_bus_new(&b, "front", 4), 0);
	assert_int_equal(ev_bus_listen(b, on_ev, &s), 0);
	assert_int_equal(ev_bus_since(b, 0, out, 8, &dropped), 0);
	assert_int_equal(dropped, 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(ev_post(b, i % 2 ? EV_MOTION : EV_BATTERY,
					 i % 2 ? EV_STATE_START : EV_STATE_NONE, 50 + i), i + 1);
	assert_int_equal(s.n, 6);
	assert_int_equal(s.ids[5], 6);
	/* ring of 4: ids 3..6 kept, 1 and 2 dropped for a reader at 0 */
	assert_int_equal(ev_bus_since(b, 0, out, 8, &dropped), 4);
	assert_int_equal(dropped, 2);
	assert_int_equal(out[0].id, 3);
	assert_int_equal(out[3].id, 6);
	assert_int_equal(out[3].type, EV_MOTION);
	assert_int_equal(ev_bus_since(b, 4, out, 8, &dropped), 2);
	assert_int_equal(dropped, 0);
	assert_int_equal(out[0].id, 5);
	assert_int_equal(ev_bus_since(b, 6, out, 8, NULL), 0);
	assert_int_equal(ev_bus_since(b, 0, out, 1, NULL), 1);
	assert_int_equal(ev_bus_count(b, EV_MOTION), 3);
	assert_int_equal(ev_bus_count(b, EV_BATTERY), 3);
	assert_int_equal(ev_bus_count(b, EV_FACE), 0);
	assert_int_equal(ev_bus_last_id(b), 6);
	ev_bus_unlisten(b, on_ev, &s);
	ev_post(b, EV_ONLINE, EV_STATE_NONE, 0);
	assert_int_equal(s.n, 6);
	for (int i = 0; i < EV_MAX_LISTENERS; i++)
		assert_int_equal(ev_bus_listen(b, on_ev, &s), 0);
	assert_int_equal(ev_bus_listen(b, on_ev, &s), -ENOSPC);
	ev_bus_free(b);
	assert_int_equal(ev_publish(NULL, &(struct ev){ .type = EV_MOTION }), 0);
}

static void *late_post(void *arg)
{
	usleep(50000);
	ev_post(arg, EV_OFFLINE, EV_STATE_NONE, 0);
	return NULL;
}

static void test_wait(void **state)
{
	struct ev_bus *b;
	pthread_t t;

	(void)state;
	assert_int_equal(ev_bus_new(&b, "x", 0), 0);
	assert_int_equal(ev_bus_wait(b, 0, 20), 0);
	pthread_create(&t, NULL, late_post, b);
	assert_int_equal(ev_bus_wait(b, 0, 10000), 1);
	pthread_join(t, NULL);
	assert_int_equal(ev_bus_wait(b, 0, 0), 1);
	assert_int_equal(ev_bus_wait(b, 1, 10), 0);
	ev_bus_free(b);
}

static void test_json(void **state)
{
	struct ev e = { .id = 7, .type = EV_RECORDING, .state = EV_STATE_START,
			.time_us = 1700000000123456LL, .marker = 42, .value = 0 };
	char buf[512], small[20];

	(void)state;
	strcpy(e.detail, "front/2026-12-02/\"x\"\n.mp4");
	assert_true(ev_json(&e, "fr\\ont", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"id\":7,\"camera\":\"fr\\\\ont\",\"type\":\"recording\","
			    "\"state\":\"start\",\"time\":1700000000.123456,\"marker\":42,"
			    "\"value\":0,\"detail\":\"front/2026-12-02/\\\"x\\\"\\u000a.mp4\"}");
	assert_int_equal(ev_json(&e, "front", small, sizeof(small)), -ENOSPC);
	assert_string_equal(ev_type_name(EV_DOG_CAT), "dog_cat");
	assert_string_equal(ev_type_name(EV_AUTH_FAILED), "wrong_password");
	assert_string_equal(ev_type_name((enum ev_type)99), "?");
	assert_string_equal(ev_state_name(EV_STATE_END), "end");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_and_listeners),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
