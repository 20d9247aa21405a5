/* The frame hub: pool accounting, newest-frame semantics, waits, close, and one producer with
 * four consumers under threads (run it under ASan/UBSan and TSan). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>

#include "hub/hub.h"
#include "util/clock.h"

static void test_new_rejects_bad_sizes(void **state)
{
	assert_null(hub_new(0, 480, 4));
	assert_null(hub_new(641, 480, 4));
	assert_null(hub_new(640, 481, 4));
	assert_null(hub_new(640, 480, 2));
	assert_null(hub_new(HUB_MAX_DIM + 2, 480, 4));
	errno = 0;
	assert_null(hub_new(-2, 480, 4));
	assert_int_equal(errno, EINVAL);
}

/* Resident memory of this process in bytes (/proc/self/statm), or 0 when unknown. */
static size_t rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* A pool frame costs resident memory only once it is used: hub_new must not touch all of
 * them (it did: 8 black 1080p frames = 25 MB of the bridge's RSS, of which 3-5 are ever
 * used).  A frame handed out for the first time is still black. */
static void test_pool_resident_only_when_used(void **state)
{
	const int w = 1920, h = 1080;
	const size_t fsize = (size_t)w * h * 3 / 2;
	size_t before = rss_bytes(), after;
	struct hub *hb = hub_new(w, h, 8);
	struct frame *f;

	assert_non_null(hb);
	after = rss_bytes();
	if (!before || !after)
		skip();
	/* ASan's shadow of the block is < 1/8 of it; before the fix this was 8 frames */
	assert_true(after < before + 2 * fsize);
	f = hub_get_free(hb);
	assert_non_null(f);
	for (size_t i = 0; i < (size_t)w * h; i += 4099)
		assert_int_equal(f->data[i], 16);
	for (size_t i = (size_t)w * h; i < fsize; i += 1031)
		assert_int_equal(f->data[i], 128);
	memset(f->data, 200, fsize);     /* a user writes it, then gives it back */
	hub_discard(f);
	f = hub_get_free(hb);
	assert_int_equal(f->data[0], 200);   /* reused as is: black only the first time */
	hub_discard(f);
	hub_free(hb);
}

static void test_publish_latest(void **state)
{
	struct hub *h = hub_new(64, 48, 3);
	struct frame *f, *g, *r;

	assert_non_null(h);
	assert_int_equal(hub_width(h), 64);
	assert_int_equal(hub_height(h), 48);
	assert_null(hub_latest(h, 0));

	f = hub_get_free(h);
	assert_non_null(f);
	assert_int_equal(f->size, 64 * 48 * 3 / 2);
	assert_int_equal(f->marker, -1);
	memset(f->data, 7, f->size);
	f->placeholder = 1;
	hub_publish(h, f);
	assert_int_equal(f->seq, 1);
	assert_true(f->mono_us > 0);

	r = hub_latest(h, 0);
	assert_ptr_equal(r, f);
	assert_int_equal(r->data[f->size - 1], 7);
	assert_int_equal(r->placeholder, 1);
	assert_null(hub_latest(h, 1));   /* nothing newer than seq 1 */

	g = hub_get_free(h);
	assert_non_null(g);
	assert_ptr_not_equal(g, f);      /* f is held by the hub and by us */
	assert_int_equal(g->placeholder, 0);
	hub_publish(h, g);
	assert_int_equal(g->seq, 2);
	assert_ptr_equal(hub_wait(h, 1, 0), g);
	frame_unref(g);
	/* f is no longer published but we still hold it: it must stay out of the pool. */
	assert_int_equal(hub_frames_in_use(h), 2);
	frame_unref(r);
	assert_int_equal(hub_frames_in_use(h), 1);
	hub_free(h);
}

static void test_get_free_null_when_all_held(void **state)
{
	struct hub *h = hub_new(16, 16, 4);
	struct frame *held[4];

	for (int i = 0; i < 4; i++) {
		held[i] = hub_get_free(h);
		assert_non_null(held[i]);
	}
	assert_null(hub_get_free(h));
	assert_int_equal(hub_frames_in_use(h), 4);
	hub_discard(held[2]);
	assert_ptr_equal(hub_get_free(h), held[2]);
	assert_null(hub_get_free(h));

	/* Publishing passes our reference: still all in use, until readers and the hub let go. */
	hub_publish(h, held[0]);
	assert_null(hub_get_free(h));
	frame_ref(held[0]);              /* a reader */
	hub_publish(h, held[1]);         /* the hub drops its ref to held[0], the reader keeps it */
	assert_null(hub_get_free(h));
	frame_unref(held[0]);
	assert_ptr_equal(hub_get_free(h), held[0]);
	for (int i = 0; i < 4; i++)
		if (i != 1)
			hub_discard(held[i]);
	assert_int_equal(hub_frames_in_use(h), 1);   /* the published one */
	hub_free(h);
}

static void test_wait_timeout(void **state)
{
	struct hub *h = hub_new(16, 16, 3);
	uint64_t t0 = clock_mono_us();
	struct frame *f;

	assert_null(hub_wait(h, 0, 50));
	assert_true(clock_mono_us() - t0 >= 49000);   /* it did wait, on the monotonic clock */
	assert_null(hub_wait(h, 0, 0));

	f = hub_get_free(h);
	hub_publish(h, f);
	t0 = clock_mono_us();
	assert_null(hub_wait(h, 1, 30));              /* only seq 1 exists */
	assert_true(clock_mono_us() - t0 >= 29000);
	f = hub_wait(h, 0, 1000);                     /* already there: no wait */
	assert_non_null(f);
	frame_unref(f);
	hub_free(h);
}

struct waiter {
	struct hub *h;
	uint64_t after;
	int timeout_ms;
	struct frame *got;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->got = hub_wait(w->h, w->after, w->timeout_ms);
	return NULL;
}

static void test_wait_woken_by_publish(void **state)
{
	struct hub *h = hub_new(16, 16, 3);
	struct waiter w = { .h = h, .after = 0, .timeout_ms = 10000 };
	pthread_t t;
	struct frame *f;

	assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
	clock_sleep_us(20000);
	f = hub_get_free(h);
	hub_publish(h, f);
	pthread_join(t, NULL);
	assert_ptr_equal(w.got, f);
	frame_unref(w.got);
	hub_free(h);
}

static void test_close_wakes_waiters(void **state)
{
	struct hub *h = hub_new(16, 16, 3);
	struct waiter w[3];
	pthread_t t[3];

	for (int i = 0; i < 3; i++) {
		w[i] = (struct waiter){ .h = h, .after = 0, .timeout_ms = i == 0 ? -1 : 60000 };
		assert_int_equal(pthread_create(&t[i], NULL, wait_thread, &w[i]), 0);
	}
	clock_sleep_us(20000);
	assert_false(hub_closed(h));
	hub_close(h);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_null(w[i].got);
	}
	assert_true(hub_closed(h));
	assert_null(hub_wait(h, 0, -1));   /* after close: returns at once */
	hub_free(h);
}

static void test_viewers(void **state)
{
	struct hub *h = hub_new(16, 16, 3);

	assert_int_equal(hub_viewers(h), 0);
	assert_int_equal(hub_viewer_add(h), 1);
	assert_int_equal(hub_viewer_add(h), 2);
	assert_int_equal(hub_viewer_remove(h), 1);
	assert_int_equal(hub_viewer_remove(h), 0);
	assert_int_equal(hub_viewer_remove(h), 0);   /* never negative */
	assert_int_equal(hub_viewers(h), 0);
	hub_free(h);
}

/* ---- one producer, four consumers ---------------------------------------------------- */

#define N_FRAMES 10000
#define N_CONSUMERS 4
#define W 32
#define H 16

static atomic_int errors;
static atomic_int get_free_failures;

struct consumer {
	struct hub *h;
	int id;
	unsigned seen;
};

static void *consumer_thread(void *arg)
{
	struct consumer *c = arg;
	uint64_t last = 0;

	for (;;) {
		struct frame *f = hub_wait(c->h, last, 5000);

		if (!f) {
			if (hub_closed(c->h))
				break;
			continue;
		}
		/* Newer than the last one, and the pixels belong to this seq: the producer never
		 * writes into a frame a reader holds. */
		if (f->seq <= last || f->marker != (int64_t)f->seq)
			atomic_fetch_add(&errors, 1);
		for (size_t i = 0; i < f->size; i++) {
			if (f->data[i] != (uint8_t)f->seq) {
				atomic_fetch_add(&errors, 1);
				break;
			}
		}
		last = f->seq;
		c->seen++;
		if ((c->seen + (unsigned)c->id) % 7 == 0)
			sched_yield();       /* hold it a little longer sometimes */
		frame_unref(f);
	}
	return NULL;
}

static void test_threads_one_producer_four_consumers(void **state)
{
	/* Each consumer holds ≤ 1 frame, the hub 1: one more is always free for the producer. */
	struct hub *h = hub_new(W, H, N_CONSUMERS + 2);
	struct consumer c[N_CONSUMERS];
	pthread_t t[N_CONSUMERS];

	atomic_store(&errors, 0);
	atomic_store(&get_free_failures, 0);
	for (int i = 0; i < N_CONSUMERS; i++) {
		c[i] = (struct consumer){ .h = h, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, consumer_thread, &c[i]), 0);
	}
	for (uint64_t seq = 1; seq <= N_FRAMES; seq++) {
		struct frame *f = hub_get_free(h);

		if (!f) {
			atomic_fetch_add(&get_free_failures, 1);
			break;
		}
		memset(f->data, (uint8_t)seq, f->size);
		f->marker = (int64_t)seq;
		hub_publish(h, f);
		if (seq % 64 == 0)
			sched_yield();
	}
	clock_sleep_us(20000);
	hub_close(h);
	for (int i = 0; i < N_CONSUMERS; i++)
		pthread_join(t[i], NULL);

	assert_int_equal(atomic_load(&get_free_failures), 0);
	assert_int_equal(atomic_load(&errors), 0);
	for (int i = 0; i < N_CONSUMERS; i++)
		assert_true(c[i].seen > 0);
	/* Every reader let go: only the published frame is still referenced. */
	assert_int_equal(hub_frames_in_use(h), 1);
	{
		struct frame *last = hub_latest(h, 0);

		assert_non_null(last);
		assert_int_equal(last->seq, N_FRAMES);
		frame_unref(last);
	}
	hub_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_rejects_bad_sizes),
		cmocka_unit_test(test_pool_resident_only_when_used),
		cmocka_unit_test(test_publish_latest),
		cmocka_unit_test(test_get_free_null_when_all_held),
		cmocka_unit_test(test_wait_timeout),
		cmocka_unit_test(test_wait_woken_by_publish),
		cmocka_unit_test(test_close_wakes_waiters),
		cmocka_unit_test(test_viewers),
		cmocka_unit_test(test_threads_one_producer_four_consumers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
