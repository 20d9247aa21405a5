/* The Range header of /recordings/PATH: one range (a-b, a-, -n), clamped to the file; 416 when
 * nothing of it is in the file; anything else ignored (the whole file is sent). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>

#include "http/http_range.h"

static void expect(const char *hdr, uint64_t size, int want, uint64_t first, uint64_t len)
{
	uint64_t f = 77, l = 77;
	int r = http_range_parse(hdr, size, &f, &l);

	if (r != want)
		fail_msg("'%s' of %llu: %d, want %d", hdr ? hdr : "(none)", (unsigned long long)size,
			 r, want);
	if (r >= 0 && (f != first || l != len))
		fail_msg("'%s': %llu+%llu, want %llu+%llu", hdr, (unsigned long long)f,
			 (unsigned long long)l, (unsigned long long)first, (unsigned long long)len);
}

static void test_ranges(void **state)
{
	(void)state;
	expect(NULL, 1000, 0, 0, 1000);
	expect("bytes=0-99", 1000, 1, 0, 100);
	expect("bytes=100-1099", 2000, 1, 100, 1000);
	expect("BYTES=5-5", 10, 1, 5, 1);
	expect("bytes=990-", 1000, 1, 990, 10);
	expect("bytes=0-", 1000, 1, 0, 1000);
	expect("bytes=-300", 1000, 1, 700, 300);
	expect("bytes=-5000", 1000, 1, 0, 1000);      /* more than the file: all of it */
	expect("bytes=500-999999", 1000, 1, 500, 500); /* end clamped */
	expect("bytes=999-999", 1000, 1, 999, 1);
}

static void test_unsatisfiable(void **state)
{
	(void)state;
	expect("bytes=1000-", 1000, -ERANGE, 0, 0);
	expect("bytes=1000-2000", 1000, -ERANGE, 0, 0);
	expect("bytes=-0", 1000, -ERANGE, 0, 0);
	expect("bytes=0-", 0, -ERANGE, 0, 0);
	expect("bytes=-10", 0, -ERANGE, 0, 0);
}

static void test_ignored(void **state)
{
	static const char *const bad[] = {
		"bytes=0-1,5-6", "bytes=5-1", "items=0-1", "bytes=", "bytes=-", "bytes=a-b",
		"bytes= 0-1", "bytes=0-1 ", "bytes=1-x", "bytes=99999999999999999999-",
		"bytes=0-99999999999999999999", "bytes=--1", "bytes=+1-2", "",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect(bad[i], 1000, 0, 0, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_unsatisfiable),
		cmocka_unit_test(test_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
