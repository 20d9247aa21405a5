/* The access-unit queue: order, wrap-around, overflow drops to the next keyframe, gaps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "source/auq.h"

static void push(struct auq *q, uint8_t tag, size_t len, int key)
{
	uint8_t buf[4096];
	struct au a = { .data = buf, .len = len, .codec = AU_H264, .keyframe = key };

	memset(buf, tag, len);
	assert_int_equal(auq_push(q, &a), 0);
}

static uint8_t pop_tag(struct auq *q, struct au *a)
{
	assert_int_equal(auq_pop(q, a, 0), 1);
	for (size_t i = 0; i < a->len; i++)
		assert_int_equal(a->data[i], a->data[0]);
	return a->data[0];
}

static void test_order_and_wrap(void **state)
{
	struct auq q;
	struct au a;

	assert_int_equal(auq_init(&q, 4096, 16), 0);
	for (int round = 0; round < 50; round++) {
		push(&q, (uint8_t)(round * 3), 1000, 1);
		push(&q, (uint8_t)(round * 3 + 1), 1500, 0);
		push(&q, (uint8_t)(round * 3 + 2), 700, 0);
		assert_int_equal(pop_tag(&q, &a), (uint8_t)(round * 3));
		assert_int_equal(a.len, 1000);
		assert_true(a.keyframe);
		assert_int_equal(pop_tag(&q, &a), (uint8_t)(round * 3 + 1));
		assert_int_equal(a.len, 1500);
		assert_int_equal(pop_tag(&q, &a), (uint8_t)(round * 3 + 2));
		assert_false(a.gap);
	}
	assert_int_equal(auq_pop(&q, &a, 10), 0);
	assert_int_equal(auq_dropped(&q), 0);
	auq_destroy(&q);
}

static void test_overflow_drops_to_keyframe(void **state)
{
	struct auq q;
	struct au a;

	assert_int_equal(auq_init(&q, 4096, 64), 0);
	push(&q, 1, 1000, 1);
	push(&q, 2, 1000, 0);
	push(&q, 3, 1000, 1);
	push(&q, 4, 1000, 0);
	push(&q, 5, 1000, 0);   /* no room: drops 1 and 2, keeps the keyframe 3 */
	assert_int_equal(auq_dropped(&q), 2);
	assert_int_equal(pop_tag(&q, &a), 3);
	assert_true(a.keyframe);
	assert_true(a.gap);
	assert_int_equal(pop_tag(&q, &a), 4);
	assert_false(a.gap);
	assert_int_equal(pop_tag(&q, &a), 5);
	auq_destroy(&q);
}

static void test_too_big_and_gap(void **state)
{
	struct auq q;
	struct au a;
	uint8_t big[5000] = { 0 };
	struct au b = { .data = big, .len = sizeof(big), .codec = AU_H265 };

	assert_int_equal(auq_init(&q, 4096, 8), 0);
	assert_int_equal(auq_push(&q, &b), -E2BIG);
	b.len = 0;
	assert_int_equal(auq_push(&q, &b), -EINVAL);
	push(&q, 9, 10, 0);
	assert_int_equal(pop_tag(&q, &a), 9);
	assert_true(a.gap);
	auq_mark_gap(&q);
	push(&q, 10, 10, 0);
	assert_int_equal(pop_tag(&q, &a), 10);
	assert_true(a.gap);
	auq_close(&q);
	assert_int_equal(auq_pop(&q, &a, 1000), -EPIPE);
	auq_destroy(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_wrap),
		cmocka_unit_test(test_overflow_drops_to_keyframe),
		cmocka_unit_test(test_too_big_and_gap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
