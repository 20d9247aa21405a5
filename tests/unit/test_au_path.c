/* The access-unit path, session → queue → decoder: one copy (into the queue's ring) on the
 * way in, one (out of the ring into a reference-counted, padded buffer) on the way out, and
 * libavcodec takes a reference to that buffer — no allocation the size of an AU per frame
 * once running (this program counts every allocation in the process: its malloc family
 * wraps glibc's; not under AddressSanitizer, which owns malloc there). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdatomic.h>
#include <cmocka.h>

#include <libavcodec/avcodec.h>
#include <libavutil/buffer.h>

#include "media/aubuf.h"
#include "media/dec.h"
#include "media/marker.h"
#include "media/tpenc.h"
#include "source/auq.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_MALLOC_WRAP 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define NO_MALLOC_WRAP 1
#endif

static atomic_int counting;
static atomic_ulong au_allocs;
static atomic_size_t au_len;   /* the AU being handled: a copy of it needs len (+ padding) */

#ifndef NO_MALLOC_WRAP
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t align, size_t n);

static void note(size_t n)
{
	size_t len = atomic_load_explicit(&au_len, memory_order_relaxed);

	if (atomic_load_explicit(&counting, memory_order_relaxed) && n >= len &&
	    n <= len + AV_INPUT_BUFFER_PADDING_SIZE)
		atomic_fetch_add(&au_allocs, 1);
}

void *malloc(size_t n) { note(n); return __libc_malloc(n); }
void *calloc(size_t n, size_t m) { note(n * m); return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { note(n); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { note(n); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { note(n); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n)
{
	void *p;

	note(n);
	p = __libc_memalign(a, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}
#endif

#define W 640
#define H 480
#define N 120

struct stream {
	uint8_t *data[N];
	size_t len[N];
	int key[N];
};

static void make_stream(struct stream *s, int codec)
{
	struct tpenc *t = tpenc_new(codec, W, H, 25, 30);
	const uint8_t *au;

	assert_non_null(t);
	for (int i = 0; i < N; i++) {
		assert_int_equal(tpenc_next(t, 1000u + (unsigned)i, &au, &s->len[i], &s->key[i]), 1);
		s->data[i] = malloc(s->len[i]);
		assert_non_null(s->data[i]);
		memcpy(s->data[i], au, s->len[i]);
	}
	tpenc_free(t);
}

static void free_stream(struct stream *s)
{
	for (int i = 0; i < N; i++)
		free(s->data[i]);
}

/* Every picture comes out with its marker, through the queue and the referencing decoder;
 * *copies: allocations the size of the AU at hand in the second half (steady state). */
static void run_path(int codec, unsigned long *copies)
{
	struct stream s;
	struct auq q;
	struct dec *d = NULL;
	struct dec_opts o = { .codec = codec, .hwaccel = "none" };
	struct dec_out out;
	struct au au;

	make_stream(&s, codec);
	assert_int_equal(auq_init(&q, 8u << 20, 64), 0);
	assert_int_equal(dec_new(&o, &d), 0);
	for (int i = 0; i < N; i++) {
		struct au in = { .data = s.data[i], .len = s.len[i], .codec = codec, .keyframe = s.key[i] };
		atomic_store(&au_len, s.len[i]);
		if (i == N / 2)
			atomic_store(&counting, 1);   /* warmed up: from here on, steady state */
		assert_int_equal(auq_push(&q, &in), 0);
		assert_int_equal(auq_pop(&q, &au, 0), 1);
		assert_non_null(au.buf);
		assert_int_equal(au.len, s.len[i]);
		assert_memory_equal(au.data, s.data[i], s.len[i]);
		assert_int_equal(dec_decode_buf(d, au.buf, au.data, au.len, au.keyframe, &out), 1);
		assert_int_equal(marker_read(out.frame->data[0], out.frame->linesize[0], W, H), 1000 + i);
		/* libavcodec let go of the AU: the queue reuses the same buffer next time. */
		assert_true(av_buffer_is_writable(au.buf));
	}
	atomic_store(&counting, 0);
	*copies = atomic_exchange(&au_allocs, 0);
	print_message("%s: %lu allocations the size of an AU in %d AUs\n", dec_codec_name(codec),
		      *copies, N / 2);
	dec_free(d);
	auq_destroy(&q);
	free_stream(&s);
}

static void expect_no_copies(unsigned long copies)
{
#ifdef NO_MALLOC_WRAP
	(void)copies;
	skip();   /* the pictures were checked; allocations cannot be counted under ASan */
#else
	assert_int_equal(copies, 0);
#endif
}

static void test_no_au_sized_alloc_h264(void **state)
{
	unsigned long copies;

	run_path(DEC_H264, &copies);
	expect_no_copies(copies);
}

static void test_no_au_sized_alloc_h265(void **state)
{
	unsigned long copies;

	run_path(DEC_H265, &copies);
	expect_no_copies(copies);
}

/* The decoder's own copy (dec_decode without a buffer, or an AU not inside the buffer given)
 * works the same, and it too is made once into a buffer that is reused. */
static void test_copy_path(void **state)
{
	struct stream s;
	struct dec *d = NULL;
	struct dec_opts o = { .codec = DEC_H264, .hwaccel = "none" };
	struct dec_out out;
	AVBufferRef *other = av_buffer_alloc(64);

	make_stream(&s, DEC_H264);
	assert_int_equal(dec_new(&o, &d), 0);
	for (int i = 0; i < N; i++) {
		atomic_store(&au_len, s.len[i]);
		if (i == N / 2)
			atomic_store(&counting, 1);
		int r = i % 2 ? dec_decode(d, s.data[i], s.len[i], s.key[i], &out) :
				dec_decode_buf(d, other, s.data[i], s.len[i], s.key[i], &out);
		assert_int_equal(r, 1);
		assert_int_equal(marker_read(out.frame->data[0], out.frame->linesize[0], W, H), 1000 + i);
	}
	atomic_store(&counting, 0);
	assert_true(av_buffer_is_writable(other));
	av_buffer_unref(&other);
	dec_free(d);
	free_stream(&s);
	expect_no_copies(atomic_exchange(&au_allocs, 0));
}

/* aubuf: both parts and zeroed padding; the buffer is kept when free, replaced when held. */
static void test_aubuf(void **state)
{
	AVBufferRef *b = NULL, *held;
	const uint8_t a[3] = { 1, 2, 3 }, c[2] = { 4, 5 };
	uint8_t *first;

	assert_int_equal(aubuf_fill(&b, a, 3, c, 2), 0);
	assert_memory_equal(b->data, "\1\2\3\4\5", 5);
	for (int i = 0; i < AV_INPUT_BUFFER_PADDING_SIZE; i++)
		assert_int_equal(b->data[5 + i], 0);
	first = b->data;
	assert_int_equal(aubuf_fill(&b, c, 2, NULL, 0), 0);
	assert_ptr_equal(b->data, first);
	held = av_buffer_ref(b);
	assert_int_equal(aubuf_fill(&b, a, 3, NULL, 0), 0);
	assert_ptr_not_equal(b->data, first);   /* the holder's bytes are left alone */
	assert_memory_equal(held->data, "\4\5", 2);
	av_buffer_unref(&held);
	av_buffer_unref(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_au_sized_alloc_h264),
		cmocka_unit_test(test_no_au_sized_alloc_h265),
		cmocka_unit_test(test_copy_path),
		cmocka_unit_test(test_aubuf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
