/* num_parse: the one integer parser for config and command-line text; bounded, never wraps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <cmocka.h>

#include "util/num.h"

static int P(const char *s, long long min, long long max, long long *v)
{
	return num_parse(s, strlen(s), min, max, v);
}

static void test_num_parse(void **state)
{
	long long v = 7;

	(void)state;
	assert_int_equal(P("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(P("640", 0, 8192, &v), 0);
	assert_int_equal(v, 640);
	assert_int_equal(P("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(P("9223372036854775807", 0, LLONG_MAX, &v), 0);
	assert_true(v == LLONG_MAX);
	/* what strtoul / %u would have wrapped */
	v = 7;
	assert_int_equal(P("4294967936", 0, 8192, &v), -ERANGE);
	assert_int_equal(P("9223372036854775808", 0, LLONG_MAX, &v), -EINVAL);
	assert_int_equal(P("18446744073709552256", 0, LLONG_MAX, &v), -EINVAL);
	assert_int_equal(P("99999999999999999999999999", 0, LLONG_MAX, &v), -EINVAL);
	assert_int_equal(P("-1", 0, 10, &v), -ERANGE);
	assert_int_equal(v, 7);
	/* not numbers */
	static const char *const bad[] = { "", "-", "+1", " 1", "1 ", "0x10", "1e3", "12a", "--1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(P(bad[i], LLONG_MIN, LLONG_MAX, &v), -EINVAL);
	/* exactly n bytes: "640x360" as two numbers */
	assert_int_equal(num_parse("640x360", 3, 0, 9999, &v), 0);
	assert_int_equal(v, 640);
	assert_int_equal(num_parse("640x360", 4, 0, 9999, &v), -EINVAL);
	assert_int_equal(v, 640);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_num_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
