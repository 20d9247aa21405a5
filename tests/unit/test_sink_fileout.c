/* Raw-frame sink and the pixel packers: exact bytes for each format from a known I420 pattern,
 * strides, range maps, FIFOs (no reader, reader gone → -EPIPE without dying of SIGPIPE). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <cmocka.h>

#include "sink/fileout.h"
#include "hub/hub.h"
#include "sink/outfmt.h"
#include "sink/sink.h"
#include "testutil.h"
#include "util/clock.h"

/* 4x4 I420: Y = 10..25 row-major, U = 100..103, V = 200..203 (2x2 each). */
static uint8_t pattern[24];

static struct frame make_frame(void)
{
	struct frame f;

	for (int i = 0; i < 16; i++)
		pattern[i] = (uint8_t)(10 + i);
	for (int i = 0; i < 4; i++) {
		pattern[16 + i] = (uint8_t)(100 + i);
		pattern[20 + i] = (uint8_t)(200 + i);
	}
	memset(&f, 0, sizeof(f));
	f.width = 4;
	f.height = 4;
	f.size = sizeof(pattern);
	f.data = pattern;
	f.marker = -1;
	return f;
}

static const uint8_t want_yuyv[32] = {
	10, 100, 11, 200,   12, 101, 13, 201,   /* row 0: chroma row 0 */
	14, 100, 15, 200,   16, 101, 17, 201,   /* row 1: chroma row 0 again */
	18, 102, 19, 202,   20, 103, 21, 203,   /* row 2: chroma row 1 */
	22, 102, 23, 202,   24, 103, 25, 203,   /* row 3 */
};

static const uint8_t want_nv12[24] = {
	10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
	100, 200, 101, 201,
	102, 202, 103, 203,
};

static char tmpdir[64];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cb-fileout-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	return nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static const char *tmp(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

static void write_and_check(enum outfmt fmt, const uint8_t *want, size_t want_len)
{
	struct fileout *fo;
	struct frame f = make_frame();
	char err[256];
	const char *path = tmp(outfmt_name(fmt));
	uint8_t *got;
	size_t len;

	assert_int_equal(fileout_open(&fo, path, fmt, 4, 4, 0, err, sizeof(err)), 0);
	assert_int_equal(fileout_frame_size(fo), want_len);
	assert_false(fileout_is_fifo(fo));
	assert_int_equal(fileout_write(fo, &f), 0);
	assert_int_equal(fileout_write(fo, &f), 0);   /* frames are appended back to back */
	fileout_close(fo);

	got = tu_read_file(path, &len);
	assert_non_null(got);
	assert_int_equal(len, 2 * want_len);
	assert_memory_equal(got, want, want_len);
	assert_memory_equal(got + want_len, want, want_len);
	free(got);
}

static void test_i420_bytes(void **state)
{
	struct frame f = make_frame();

	write_and_check(OUTFMT_I420, f.data, 24);
}

static void test_yuyv_bytes(void **state) { write_and_check(OUTFMT_YUYV, want_yuyv, 32); }
static void test_nv12_bytes(void **state) { write_and_check(OUTFMT_NV12, want_nv12, 24); }

static void test_truncate_and_append(void **state)
{
	struct fileout *fo;
	struct frame f = make_frame();
	const char *path = tmp("trunc");
	uint8_t *got;
	size_t len;

	for (int round = 0; round < 2; round++) {
		assert_int_equal(fileout_open(&fo, path, OUTFMT_I420, 4, 4, 0, NULL, 0), 0);
		assert_int_equal(fileout_write(fo, &f), 0);
		fileout_close(fo);
	}
	got = tu_read_file(path, &len);
	assert_int_equal(len, 24);   /* truncated on open */
	free(got);
	assert_int_equal(fileout_open(&fo, path, OUTFMT_I420, 4, 4, FILEOUT_APPEND, NULL, 0), 0);
	assert_int_equal(fileout_write(fo, &f), 0);
	fileout_close(fo);
	got = tu_read_file(path, &len);
	assert_int_equal(len, 48);
	free(got);
}

static void test_bad_args(void **state)
{
	struct fileout *fo;
	struct frame f = make_frame();
	char err[256] = "";

	assert_int_equal(fileout_open(&fo, tmp("x"), OUTFMT_I420, 5, 4, 0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "5x4"));
	assert_int_equal(fileout_open(&fo, "/nonexistent-dir-cb/x.yuv", OUTFMT_I420, 4, 4, 0, err,
				      sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent-dir-cb/x.yuv"));
	assert_null(fo);

	assert_int_equal(fileout_open(&fo, tmp("y"), OUTFMT_YUYV, 6, 4, 0, NULL, 0), 0);
	assert_int_equal(fileout_write(fo, &f), -EINVAL);   /* 4x4 frame into a 6x4 sink */
	fileout_close(fo);
}

static void test_fifo_no_reader(void **state)
{
	struct fileout *fo;
	char err[256] = "";
	const char *path = tmp("fifo1");

	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(20);   /* an open that waits for a reader would hang the test: fail it instead */
	assert_int_equal(fileout_open(&fo, path, OUTFMT_I420, 4, 4, 0, err,
				      sizeof(err)), -ENXIO);
	alarm(0);
	assert_non_null(strstr(err, "no reader"));
}

static void test_fifo_reader_gone_epipe(void **state)
{
	struct fileout *fo;
	struct frame f = make_frame();
	char path[128];
	uint8_t got[24];
	sigset_t pending;
	int rd;

	snprintf(path, sizeof(path), "%s", tmp("fifo2"));
	assert_int_equal(mkfifo(path, 0600), 0);
	rd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	assert_int_equal(fileout_open(&fo, path, OUTFMT_I420, 4, 4, 0, NULL, 0), 0);
	assert_true(fileout_is_fifo(fo));
	assert_int_equal(fileout_write(fo, &f), 0);
	assert_int_equal(read(rd, got, sizeof(got)), 24);
	assert_memory_equal(got, pattern, 24);

	close(rd);
	/* Default SIGPIPE action would kill this test process. */
	assert_int_equal(fileout_write(fo, &f), -EPIPE);
	assert_int_equal(fileout_write(fo, &f), -EPIPE);
	sigemptyset(&pending);
	sigpending(&pending);
	assert_false(sigismember(&pending, SIGPIPE));
	fileout_close(fo);
}

static void test_pack_strides(void **state)
{
	struct frame f = make_frame();
	uint8_t buf[64];

	/* I420 with a 6-byte Y stride: chroma stride 3, padding untouched. */
	memset(buf, 0xEE, sizeof(buf));
	assert_int_equal(outfmt_image_size(OUTFMT_I420, 6, 4), 36);
	assert_int_equal(outfmt_pack(OUTFMT_I420, f.data, 4, 4, buf, 6, sizeof(buf), NULL), 36);
	assert_memory_equal(buf, pattern, 4);
	assert_int_equal(buf[4], 0xEE);
	assert_memory_equal(buf + 18, pattern + 12, 4);
	{
		static const uint8_t want_u[6] = { 100, 101, 0xEE, 102, 103, 0xEE };
		static const uint8_t want_v[6] = { 200, 201, 0xEE, 202, 203, 0xEE };

		assert_memory_equal(buf + 24, want_u, 6);
		assert_memory_equal(buf + 30, want_v, 6);
	}

	/* NV12 stride 8: UV rows at 32 and 40. */
	memset(buf, 0xEE, sizeof(buf));
	assert_int_equal(outfmt_pack(OUTFMT_NV12, f.data, 4, 4, buf, 8, sizeof(buf), NULL), 48);
	assert_memory_equal(buf + 8, pattern + 4, 4);
	assert_memory_equal(buf + 32, want_nv12 + 16, 4);
	assert_memory_equal(buf + 40, want_nv12 + 20, 4);

	/* YUYV stride 10 (2 bytes padding per row). */
	memset(buf, 0xEE, sizeof(buf));
	assert_int_equal(outfmt_pack(OUTFMT_YUYV, f.data, 4, 4, buf, 10, sizeof(buf), NULL), 40);
	for (int r = 0; r < 4; r++)
		assert_memory_equal(buf + 10 * r, want_yuyv + 8 * r, 8);

	/* Refusals: stride below the minimum, buffer too small, odd size. */
	assert_int_equal(outfmt_pack(OUTFMT_YUYV, f.data, 4, 4, buf, 6, sizeof(buf), NULL), -EINVAL);
	assert_int_equal(outfmt_pack(OUTFMT_I420, f.data, 4, 4, buf, 4, 23, NULL), -EINVAL);
	assert_int_equal(outfmt_pack(OUTFMT_I420, f.data, 3, 4, buf, 4, sizeof(buf), NULL), -EINVAL);
}

static void test_range_maps(void **state)
{
	struct outfmt_range r;
	struct frame f = make_frame();
	uint8_t buf[32];

	outfmt_range_init(&r, 0, 0);
	assert_true(r.identity);
	outfmt_range_init(&r, 1, 1);
	assert_true(r.identity);

	outfmt_range_init(&r, 1, 0);   /* full → limited */
	assert_false(r.identity);
	assert_int_equal(r.y[0], 16);
	assert_int_equal(r.y[255], 235);
	assert_int_equal(r.c[0], 16);
	assert_int_equal(r.c[128], 128);
	assert_int_equal(r.c[255], 240);

	outfmt_range_init(&r, 0, 1);   /* limited → full */
	assert_int_equal(r.y[16], 0);
	assert_int_equal(r.y[235], 255);
	assert_int_equal(r.y[0], 0);
	assert_int_equal(r.y[255], 255);
	assert_int_equal(r.c[16], 0);
	assert_int_equal(r.c[128], 128);
	assert_int_equal(r.c[240], 255);

	assert_int_equal(outfmt_pack(OUTFMT_YUYV, f.data, 4, 4, buf, 8, sizeof(buf), &r), 32);
	assert_int_equal(buf[0], r.y[10]);
	assert_int_equal(buf[1], r.c[100]);
	assert_int_equal(buf[3], r.c[200]);
}

static void test_parse_names(void **state)
{
	assert_int_equal(outfmt_parse("i420"), OUTFMT_I420);
	assert_int_equal(outfmt_parse("YU12"), OUTFMT_I420);
	assert_int_equal(outfmt_parse("yuyv"), OUTFMT_YUYV);
	assert_int_equal(outfmt_parse("nv12"), OUTFMT_NV12);
	assert_int_equal(outfmt_parse("rgb24"), -EINVAL);
	assert_int_equal(outfmt_parse(NULL), -EINVAL);
	assert_string_equal(outfmt_name(OUTFMT_NV12), "nv12");
	assert_int_equal(outfmt_image_size(OUTFMT_YUYV, 2560, 720), 2560 * 720);
	assert_int_equal(outfmt_image_size(OUTFMT_I420, 1280, 720), 1280 * 720 * 3 / 2);
	assert_int_equal(outfmt_image_size(OUTFMT_NV12, 1920, 1080), 1920 * 1080 * 3 / 2);
}

static void test_sink_file(void **state)
{
	struct sink *s;
	struct frame f = make_frame();
	struct sink_cfg cfg = { .fmt = OUTFMT_NV12, .width = 4, .height = 4, .fps = 30 };
	char spec[160];
	uint8_t *got;
	size_t len;

	snprintf(spec, sizeof(spec), "file:%s", tmp("sink.nv12"));
	assert_int_equal(sink_open(&s, spec, &cfg, NULL, 0), 0);
	assert_int_equal(sink_kind(s), SINK_FILE);
	assert_int_equal(sink_poll_fd(s), -1);
	assert_int_equal(sink_consumers(s), -1);
	assert_non_null(sink_file(s));
	assert_null(sink_v4l2(s));
	assert_int_equal(sink_write(s, &f), 0);
	sink_close(s);
	got = tu_read_file(tmp("sink.nv12"), &len);
	assert_int_equal(len, 24);
	assert_memory_equal(got, want_nv12, 24);
	free(got);
}

/* ---- a FIFO whose reader stalls or reads slowly: never blocks, never cuts a frame ------- */

#define BIG_W 1280
#define BIG_H 720                       /* 1.4 MB a frame: larger than any pipe buffer */
#define BIG_SZ ((size_t)BIG_W * BIG_H * 3 / 2)
#define BIG_FRAMES 24

struct slow_reader {
	int fd;
	atomic_int mode;                    /* 0 = stalled, 1 = slow, 2 = fast, 3 = done */
	uint8_t *got;
	size_t len, cap;
};

static void *slow_reader_main(void *arg)
{
	struct slow_reader *r = arg;

	for (;;) {
		int m = atomic_load(&r->mode);
		ssize_t n;

		if (m == 0) {
			usleep(1000);
			continue;
		}
		n = read(r->fd, r->got + r->len, m == 1 ? 32768 : r->cap - r->len);
		if (n > 0)
			r->len += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			break;
		else if (m == 3)
			break;
		if (r->len == r->cap)
			break;
		usleep(m == 1 ? 5000 : 200);
	}
	return NULL;
}

static void test_fifo_stalled_and_slow_reader(void **state)
{
	struct slow_reader rd = { .cap = BIG_SZ * BIG_FRAMES };
	struct fileout *fo;
	struct frame f = { .width = BIG_W, .height = BIG_H, .size = BIG_SZ, .marker = -1 };
	const char *path = tmp("fifo-slow");
	pthread_t th;
	int wrote = 0, dropped = 0, partial_seen = 0;

	alarm(60);   /* a write that blocks would hang the test: fail it instead */
	assert_int_equal(mkfifo(path, 0600), 0);
	rd.fd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rd.fd >= 0);
	rd.got = malloc(rd.cap);
	f.data = malloc(BIG_SZ);
	assert_non_null(rd.got);
	assert_non_null(f.data);
	assert_int_equal(fileout_open(&fo, path, OUTFMT_I420, BIG_W, BIG_H, 0, NULL, 0), 0);
	assert_int_equal(pthread_create(&th, NULL, slow_reader_main, &rd), 0);

	for (int i = 0; i < 3 * BIG_FRAMES && wrote < BIG_FRAMES - 1; i++) {
		uint64_t t0 = clock_mono_us();
		int r;

		if (i == BIG_FRAMES / 2)
			atomic_store(&rd.mode, 1);   /* stalled at first, then slow */
		memset(f.data, wrote + 1, BIG_SZ);   /* frame k is all k: cuts would show */
		r = fileout_write(fo, &f);
		/* Never stuck: the frame loop keeps its rate and sees SIGTERM. */
		assert_true(clock_mono_us() - t0 < 500000);
		assert_true(r == 0 || r == -EAGAIN);
		if (r == 0)
			wrote++;
		else
			dropped++;
		partial_seen |= r == 0 && atomic_load(&rd.mode) == 1;
		usleep(20000);
	}
	assert_true(dropped > 0);        /* the stalled reader cost frames, not a hang */
	assert_true(partial_seen);
	/* Finish: the last frame cut short goes out whole before anything else. */
	{
		int r;
		uint64_t t0 = clock_mono_us();

		atomic_store(&rd.mode, 2);
		memset(f.data, wrote + 1, BIG_SZ);
		while ((r = fileout_write(fo, &f)) == -EAGAIN && clock_mono_us() - t0 < 20000000)
			;
		assert_int_equal(r, 0);
		wrote++;
		while ((r = fileout_flush(fo, 100)) == -EAGAIN && clock_mono_us() - t0 < 20000000)
			;
		assert_int_equal(r, 0);
	}
	fileout_close(fo);   /* EOF for the reader once it drained the pipe */
	atomic_store(&rd.mode, 3);
	pthread_join(th, NULL);
	close(rd.fd);
	alarm(0);

	/* Whole frames only, in order, each one value from start to end. */
	assert_int_equal(rd.len % BIG_SZ, 0);
	assert_true(rd.len / BIG_SZ >= 2);
	for (size_t k = 0, last = 0; k < rd.len / BIG_SZ; k++) {
		const uint8_t *fr = rd.got + k * BIG_SZ;

		assert_true(fr[0] > last);
		last = fr[0];
		for (size_t j = 1; j < BIG_SZ; j++)
			if (fr[j] != fr[0])
				fail_msg("frame %zu byte %zu: %u, expected %u", k, j, fr[j], fr[0]);
	}
	free(rd.got);
	free(f.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_i420_bytes),
		cmocka_unit_test(test_yuyv_bytes),
		cmocka_unit_test(test_nv12_bytes),
		cmocka_unit_test(test_truncate_and_append),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_fifo_no_reader),
		cmocka_unit_test(test_fifo_reader_gone_epipe),
		cmocka_unit_test(test_fifo_stalled_and_slow_reader),
		cmocka_unit_test(test_pack_strides),
		cmocka_unit_test(test_range_maps),
		cmocka_unit_test(test_parse_names),
		cmocka_unit_test(test_sink_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
