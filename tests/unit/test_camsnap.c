/* The mailbox between the HTTP sidecar and the source for the camera's own JPEG
 * (hub/camsnap.c): one ask at a time, bounded waits, late answers dropped, cancel. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hub/camsnap.h"

struct asker {
	struct camsnap *c;
	unsigned timeout_ms;
	int r;
	uint8_t *jpeg;
	size_t len;
};

static void *ask(void *arg)
{
	struct asker *a = arg;

	a->r = camsnap_get(a->c, a->timeout_ms, &a->jpeg, &a->len);
	return NULL;
}

/* The source side: waits until there is something to take. */
static void take_soon(struct camsnap *c)
{
	for (int i = 0; i < 2000 && !camsnap_take(c); i++)
		usleep(1000);
}

static void test_answer_reaches_the_asker(void **state)
{
	struct camsnap *c;
	struct asker a = { .timeout_ms = 10000 };
	pthread_t t;

	(void)state;
	assert_int_equal(camsnap_new(&c), 0);
	a.c = c;
	assert_int_equal(camsnap_take(c), 0);    /* nothing asked */
	assert_int_equal(pthread_create(&t, NULL, ask, &a), 0);
	take_soon(c);
	/* one at a time */
	uint8_t *j;
	size_t l;
	assert_int_equal(camsnap_get(c, 10, &j, &l), -EBUSY);
	camsnap_deliver(c, 0, (const uint8_t *)"\xff\xd8jpeg", 6);
	pthread_join(t, NULL);
	assert_int_equal(a.r, 0);
	assert_int_equal(a.len, 6);
	assert_memory_equal(a.jpeg, "\xff\xd8jpeg", 6);
	free(a.jpeg);
	/* an error is passed on */
	assert_int_equal(pthread_create(&t, NULL, ask, &a), 0);
	take_soon(c);
	camsnap_deliver(c, -EIO, NULL, 0);
	pthread_join(t, NULL);
	assert_int_equal(a.r, -EIO);
	assert_null(a.jpeg);
	camsnap_free(c);
}

static void test_timeout_and_late_answer(void **state)
{
	struct camsnap *c;
	uint8_t *j;
	size_t l;

	(void)state;
	assert_int_equal(camsnap_new(&c), 0);
	assert_int_equal(camsnap_get(c, 30, &j, &l), -ETIMEDOUT);
	assert_null(j);
	/* taken after the asker gave up: the answer is dropped, nobody leaks it */
	assert_int_equal(camsnap_take(c), 0);
	struct asker a = { .c = c, .timeout_ms = 30 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, ask, &a), 0);
	take_soon(c);
	pthread_join(t, NULL);
	assert_int_equal(a.r, -ETIMEDOUT);
	camsnap_deliver(c, 0, (const uint8_t *)"late", 4);
	/* the next ask is not answered by the stale picture */
	assert_int_equal(camsnap_get(c, 30, &j, &l), -ETIMEDOUT);
	assert_null(j);
	camsnap_free(c);
}

static void test_cancel(void **state)
{
	struct camsnap *c;
	struct asker a = { .timeout_ms = 60000 };
	pthread_t t;
	uint8_t *j;
	size_t l;

	(void)state;
	assert_int_equal(camsnap_new(&c), 0);
	a.c = c;
	assert_int_equal(pthread_create(&t, NULL, ask, &a), 0);
	take_soon(c);
	camsnap_cancel(c);                      /* ends a 60-s wait now */
	pthread_join(t, NULL);
	assert_int_equal(a.r, -ECANCELED);
	assert_int_equal(camsnap_get(c, 1000, &j, &l), -ECANCELED);
	camsnap_resume(c);
	assert_int_equal(camsnap_get(c, 10, &j, &l), -ETIMEDOUT);
	camsnap_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_reaches_the_asker),
		cmocka_unit_test(test_timeout_and_late_answer),
		cmocka_unit_test(test_cancel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
