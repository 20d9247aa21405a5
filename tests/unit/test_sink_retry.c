/* Output retry with a fake clock: exponential backoff capped, one log line per change of state
 * plus a reminder a minute, quick retries for a FIFO waiting for its reader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>

#include "sink/retry.h"

#define SEC 1000000ull

static void test_backoff_and_log_lines(void **state)
{
	struct sink_retry r;
	uint64_t now = 5 * SEC, last = 0;
	int attempts = 0, failing = 0, still = 0;

	sink_retry_init(&r);
	assert_true(sink_retry_due(&r, now));
	/* A disk that stays full for ten minutes, the frame loop asking every 10 ms. */
	for (; now < 605 * SEC; now += 10000) {
		if (!sink_retry_due(&r, now))
			continue;
		switch (sink_retry_failed(&r, now, -ENOSPC, 0)) {
		case SINK_SAY_FAILING: failing++; break;
		case SINK_SAY_STILL: still++; break;
		default: break;
		}
		if (attempts) {
			uint64_t gap = now - last, want = 1000000ull << (attempts - 1);

			if (want > SINK_RETRY_MAX_MS * 1000ull)
				want = SINK_RETRY_MAX_MS * 1000ull;
			assert_in_range(gap, want, want + 10000);   /* 1, 2, 4, … 30 s */
		}
		last = now;
		attempts++;
	}
	assert_int_equal(failing, 1);
	assert_in_range(still, 8, 10);   /* about one a minute */
	assert_in_range(attempts, 22, 26);
	assert_int_equal(r.attempts, (uint64_t)attempts);
	/* Another error is news; recovery is news once. */
	assert_int_equal(sink_retry_failed(&r, now, -EIO, 0), SINK_SAY_FAILING);
	assert_int_equal(r.next_us, now + SINK_RETRY_MIN_MS * 1000ull);
	assert_int_equal(sink_retry_ok(&r, now), SINK_SAY_RECOVERED);
	assert_int_equal(sink_retry_ok(&r, now), SINK_SAY_NOTHING);
	assert_true(sink_retry_due(&r, now));
}

static void test_fifo_without_reader_is_retried_quickly(void **state)
{
	struct sink_retry r;
	uint64_t now = 0;

	sink_retry_init(&r);
	assert_int_equal(sink_retry_failed(&r, now, -ENXIO, 1), SINK_SAY_FAILING);
	for (int i = 0; i < 100; i++) {
		now = r.next_us;
		assert_int_equal(now, (uint64_t)(i + 1) * SINK_RETRY_MIN_MS * 1000ull);
		assert_true(sink_retry_failed(&r, now, -ENXIO, 1) != SINK_SAY_FAILING);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_and_log_lines),
		cmocka_unit_test(test_fifo_without_reader_is_retried_quickly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
