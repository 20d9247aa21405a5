/* Camera alarm reports (msg 33 AlarmEventList XML, as the camera sends it) into bus events:
 * motion and the AI types start and end once each, "none" ends whatever was active, a lost
 * session ends it too, and hostile values start nothing unknown.  The source's link and
 * battery events reach the bus on changes only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bc/bc_event.h"
#include "source/src_alarm.h"
#include "source/src_impl.h"
#include "util/sbuf.h"

/* Builds the XML the camera pushes and parses it back, as the session does. */
static size_t report(struct src_alarm *a, const char *status, const char *ai, int64_t marker,
		     struct ev *out)
{
	struct bc_alarm_list l = { .n = 1 }, back;
	struct sbuf b;
	size_t n;

	snprintf(l.ev[0].status, sizeof(l.ev[0].status), "%s", status);
	snprintf(l.ev[0].ai_type, sizeof(l.ev[0].ai_type), "%s", ai);
	sbuf_init(&b, 1u << 16);
	assert_int_equal(bc_alarm_build(&b, &l), 0);
	assert_int_equal(bc_alarm_parse(b.data, b.len, &back), 0);
	sbuf_free(&b);
	n = src_alarm_update(a, &back, marker, out);
	assert_true(n <= SRC_ALARM_NTYPES);
	return n;
}

#define EXPECT(e, t, s) do { assert_int_equal((e).type, t); assert_int_equal((e).state, s); } while (0)

static void test_motion_start_end(void **state)
{
	struct src_alarm a = { 0 };
	struct ev e[SRC_ALARM_NTYPES];

	(void)state;
	assert_int_equal(report(&a, "MD", "none", 1234, e), 1);
	EXPECT(e[0], EV_MOTION, EV_STATE_START);
	assert_int_equal(e[0].marker, 1234);
	assert_int_equal(e[0].value, 0);
	/* the camera repeats MD while motion goes on: no new event */
	assert_int_equal(report(&a, "MD", "none", 2000, e), 0);
	assert_int_equal(report(&a, "none", "none", 3000, e), 1);
	EXPECT(e[0], EV_MOTION, EV_STATE_END);
	assert_int_equal(e[0].marker, 3000);
	assert_int_equal(report(&a, "none", "none", -1, e), 0);
	assert_int_equal(a.active, 0);
}

static void test_ai_types(void **state)
{
	struct src_alarm a = { 0 };
	struct ev e[SRC_ALARM_NTYPES];

	(void)state;
	/* an AI alarm is motion too: motion starts first */
	assert_int_equal(report(&a, "MD", "people", -1, e), 2);
	EXPECT(e[0], EV_MOTION, EV_STATE_START);
	EXPECT(e[1], EV_PEOPLE, EV_STATE_START);
	assert_int_equal(e[1].marker, -1);
	/* the person leaves, a car and a cat arrive */
	assert_int_equal(report(&a, "MD", "vehicle,dog_cat", -1, e), 3);
	EXPECT(e[0], EV_VEHICLE, EV_STATE_START);
	EXPECT(e[1], EV_DOG_CAT, EV_STATE_START);
	EXPECT(e[2], EV_PEOPLE, EV_STATE_END);
	assert_int_equal(report(&a, "MD", "face", -1, e), 3);
	EXPECT(e[0], EV_FACE, EV_STATE_START);
	EXPECT(e[1], EV_DOG_CAT, EV_STATE_END);
	EXPECT(e[2], EV_VEHICLE, EV_STATE_END);
	/* end of alarm: status none ends everything, whatever AItype still names; motion last */
	assert_int_equal(report(&a, "none", "face", -1, e), 2);
	EXPECT(e[0], EV_FACE, EV_STATE_END);
	EXPECT(e[1], EV_MOTION, EV_STATE_END);
}

static void test_session_lost_and_hostile(void **state)
{
	struct src_alarm a = { 0 };
	struct ev e[SRC_ALARM_NTYPES];
	struct bc_alarm_list l;
	static const char two[] = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
		"<AlarmEventList version=\"1.1\"><AlarmEvent version=\"1.1\"><channelId>0</channelId>"
		"<status>none</status><AItype>none</AItype></AlarmEvent>"
		"<AlarmEvent version=\"1.1\"><channelId>1</channelId><status>MD</status>"
		"<AItype>PEOPLE|spaceship</AItype></AlarmEvent></AlarmEventList>";

	(void)state;
	/* unknown AI words start motion only; case does not matter */
	assert_int_equal(report(&a, "MD", "spaceship,,, ,", 5, e), 1);
	EXPECT(e[0], EV_MOTION, EV_STATE_START);
	assert_int_equal(report(&a, "MD", "Vehicle", 5, e), 1);
	EXPECT(e[0], EV_VEHICLE, EV_STATE_START);
	/* the session went away mid-alarm: both end */
	assert_int_equal(src_alarm_end_all(&a, 77, e), 2);
	EXPECT(e[0], EV_VEHICLE, EV_STATE_END);
	EXPECT(e[1], EV_MOTION, EV_STATE_END);
	assert_int_equal(e[1].marker, 77);
	assert_int_equal(src_alarm_end_all(&a, 77, e), 0);
	/* two channels in one report: what any of them reports is active */
	assert_int_equal(bc_alarm_parse(two, sizeof(two) - 1, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(src_alarm_update(&a, &l, -1, e), 2);
	EXPECT(e[0], EV_MOTION, EV_STATE_START);
	EXPECT(e[1], EV_PEOPLE, EV_STATE_START);
}

static void test_link_and_battery(void **state)
{
	struct src s;
	struct ev_bus *bus;
	struct ev e[8];

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(ev_bus_new(&bus, "cam", 0), 0);
	s.o.events = bus;
	s.ev_link = s.ev_battery = s.ev_charging = -1;
	/* the reconnect loop says "offline" after every failed try: the bus hears it once */
	src_link_event(&s, EV_OFFLINE);
	src_link_event(&s, EV_OFFLINE);
	src_link_event(&s, EV_ONLINE);
	/* every login pushes msg 252 again */
	src_battery_event(&s, 80, 0);
	src_battery_event(&s, 80, 0);
	src_battery_event(&s, 79, 0);
	src_battery_event(&s, 79, 1);
	assert_int_equal(ev_bus_since(bus, 0, e, 8, NULL), 6);
	assert_int_equal(e[0].type, EV_OFFLINE);
	assert_int_equal(e[1].type, EV_ONLINE);
	assert_int_equal(e[2].type, EV_BATTERY);
	assert_int_equal(e[2].value, 80);
	assert_int_equal(e[3].type, EV_CHARGING);
	assert_int_equal(e[3].value, 0);
	assert_int_equal(e[4].type, EV_BATTERY);
	assert_int_equal(e[4].value, 79);
	assert_int_equal(e[5].type, EV_CHARGING);
	assert_int_equal(e[5].value, 1);
	assert_int_equal(e[5].state, EV_STATE_NONE);
	/* no bus: nothing to tell, nothing breaks */
	s.o.events = NULL;
	src_link_event(&s, EV_AUTH_FAILED);
	ev_bus_free(bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_motion_start_end),
		cmocka_unit_test(test_ai_types),
		cmocka_unit_test(test_session_lost_and_hostile),
		cmocka_unit_test(test_link_and_battery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
