/* The video thread with real frames: what the hub (HTTP) and the outputs get as the camera
 * comes and goes, and that nothing in the frame loop blocks it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "app/video.h"
#include "hub/hub.h"
#include "hub/status.h"
#include "media/tpenc.h"
#include "source/auq.h"
#include "util/clock.h"

#define W 160
#define H 120

struct rig {
	struct status st;
	struct hub *hub;
	struct auq q;
	struct video v;
	struct tpenc *enc;
	uint32_t counter;
	char dir[64];
};

static void rig_start(struct rig *r, const char *output, int fps)
{
	struct video_opts o = {
		.name = "cam", .output = output, .fmt = OUTFMT_I420, .width = W, .height = H,
		.fps = fps, .placeholder_image = "", .hwaccel = "none", .hwdevice = "",
		.frame_log = "",
	};

	status_init(&r->st, "cam");
	r->hub = hub_new(W, H, 8);
	assert_non_null(r->hub);
	assert_int_equal(auq_init(&r->q, 1 << 20, 64), 0);
	r->enc = tpenc_new(DEC_H264, W, H, 15, 1);   /* every picture a keyframe */
	assert_non_null(r->enc);
	assert_int_equal(video_start(&r->v, &o, &r->q, r->hub, &r->st, NULL), 0);
}

static void rig_stop(struct rig *r)
{
	video_stop(&r->v);
	tpenc_free(r->enc);
	hub_close(r->hub);
	hub_free(r->hub);
	auq_destroy(&r->q);
	status_destroy(&r->st);
}

static void push_frames(struct rig *r, int n)
{
	for (int i = 0; i < n; i++) {
		struct au au = { .codec = AU_H264, .recv_us = clock_mono_us() };

		assert_int_equal(tpenc_next(r->enc, r->counter++, &au.data, &au.len, &au.keyframe), 1);
		assert_int_equal(auq_push(&r->q, &au), 0);
		usleep(20000);
	}
}

/* Waits up to 3 s for the hub's newest frame to be a card (1) or a camera picture (0). */
static int hub_shows(struct rig *r, int placeholder)
{
	for (int i = 0; i < 300; i++) {
		struct frame *f = hub_latest(r->hub, 0);
		int is = f ? f->placeholder : -1;

		if (f)
			frame_unref(f);
		if (is == placeholder)
			return 1;
		usleep(10000);
	}
	return 0;
}

static void test_card_reaches_the_hub_every_time(void **state)
{
	struct rig r = { .counter = 0 };

	rig_start(&r, "", 15);
	status_set_state(&r.st, CAM_OFFLINE);
	assert_true(hub_shows(&r, 1));
	for (int round = 0; round < 3; round++) {
		status_set_state(&r.st, CAM_STREAMING);
		push_frames(&r, 5);
		assert_true(hub_shows(&r, 0));
		/* The same card text as last time: MJPEG and snapshots must still get it. */
		status_set_state(&r.st, CAM_OFFLINE);
		assert_true(hub_shows(&r, 1));
	}
	rig_stop(&r);
}

/* Stops within `limit_us`: the frame loop never sits in a blocking open or write. */
static void stop_quickly(struct rig *r, uint64_t limit_us)
{
	uint64_t t0 = clock_mono_us();

	rig_stop(r);
	assert_true(clock_mono_us() - t0 < limit_us);
}

static void test_fifo_output_never_blocks(void **state)
{
	struct rig r = { .counter = 0 };
	char path[96];
	uint64_t seen = 0;
	struct cam_status cs;
	int rd;

	alarm(60);   /* before the fix this hangs in open() or write(): fail instead */
	assert_non_null(mkdtemp(strcpy(r.dir, "/tmp/cb-video.XXXXXX")));
	snprintf(path, sizeof(path), "%s/out.fifo", r.dir);
	assert_int_equal(mkfifo(path, 0600), 0);

	/* No reader at all: the loop runs (HTTP gets pictures), the open is retried. */
	rig_start(&r, path, 15);
	status_set_state(&r.st, CAM_OFFLINE);
	assert_true(hub_shows(&r, 1));
	usleep(300000);
	assert_true(video_progressed(&r.v, &seen));
	usleep(300000);
	assert_true(video_progressed(&r.v, &seen));
	stop_quickly(&r, 2000000);

	/* A reader that never reads: frames are dropped and counted, the loop goes on. */
	rd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	rig_start(&r, path, 30);
	status_set_state(&r.st, CAM_STREAMING);
	push_frames(&r, 100);   /* 2 s at 50 fps: the 64 KiB pipe holds 2 frames */
	assert_true(video_progressed(&r.v, &seen));
	status_snapshot(&r.st, &cs);
	assert_true(cs.frames_out_dropped > 10);
	usleep(300000);
	assert_true(video_progressed(&r.v, &seen));
	stop_quickly(&r, 2000000);
	close(rd);
	unlink(path);
	rmdir(r.dir);
	alarm(0);
}

/* Lines the video thread logged (stderr goes to a file meanwhile) that contain `what`. */
static int count_lines(const char *file, const char *what)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(file, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

static void test_failing_output_backs_off(void **state)
{
	struct rig r = { .counter = 0 };
	char logf[] = "/tmp/cb-video-log.XXXXXX";
	int fd = mkstemp(logf), saved = dup(2);

	assert_true(fd >= 0 && saved >= 0);
	assert_true(dup2(fd, 2) == 2);
	/* Every write fails with ENOSPC. */
	rig_start(&r, "file:/dev/full", 15);
	status_set_state(&r.st, CAM_STREAMING);
	push_frames(&r, 200);   /* 4 s */
	rig_stop(&r);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	close(fd);
	/* One line when it starts failing; no line per attempt (it used to log two a write). */
	assert_int_equal(count_lines(logf, "No space left on device"), 1);
	assert_true(count_lines(logf, "/dev/full") <= 2);
	unlink(logf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_card_reaches_the_hub_every_time),
		cmocka_unit_test(test_fifo_output_never_blocks),
		cmocka_unit_test(test_failing_output_backs_off),
	};
	av_log_set_level(AV_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
