/* Camera alarm reports (msg 33 AlarmEventList XML, as the camera sends it) into bus events:
 * motion and the AI types start and end once each, "none" ends whatever was active, a lost
 * session ends it too, and hostile values start nothing unknown. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bc/bc_event.h"
#include "source/src_alarm.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_motion_start_end),
		cmocka_unit_test(test_ai_types),
		cmocka_unit_test(test_session_lost_and_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
