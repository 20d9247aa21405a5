/* The video thread with an FFmpeg that lacks the HEVC decoder (simulated: this program's own
 * avcodec_find_decoder hides it).  An H.265 camera must be said once in the log and shown in
 * the status, not retried on every access unit; a switch to H.264 then decodes at once.  The
 * "hardware decoding not used" notice comes once however often the codec changes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <unistd.h>
#include <cmocka.h>

#include <libavcodec/avcodec.h>

#include "app/video.h"
#include "hub/hub.h"
#include "hub/status.h"
#include "media/tpenc.h"
#include "source/auq.h"
#include "util/clock.h"

static atomic_int hevc_lookups;

/* Interposes libavcodec's: the decoder (media/dec.c) finds no HEVC decoder. */
const AVCodec *avcodec_find_decoder(enum AVCodecID id)
{
	static const AVCodec *(*real)(enum AVCodecID);

	if (id == AV_CODEC_ID_HEVC) {
		atomic_fetch_add(&hevc_lookups, 1);
		return NULL;
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "avcodec_find_decoder");
	return real ? real(id) : NULL;
}

#define W 320
#define H 240

struct rig {
	struct status st;
	struct auq q;
	struct hub *hub;
	struct video v;
	char logpath[64];
	int saved_stderr;
};

static void push_stream(struct rig *r, int codec, int n, uint32_t first)
{
	struct tpenc *t = tpenc_new(codec, W, H, 25, 10);
	const uint8_t *data;
	size_t len;
	int key;

	assert_non_null(t);
	for (int i = 0; i < n; i++) {
		assert_int_equal(tpenc_next(t, first + (uint32_t)i, &data, &len, &key), 1);
		struct au au = { .data = data, .len = len, .codec = codec == DEC_H265 ? AU_H265 : AU_H264,
				 .keyframe = key, .recv_us = clock_mono_us() };
		assert_int_equal(auq_push(&r->q, &au), 0);
		clock_sleep_us(5000);   /* about as fast as the thread takes them: nothing dropped */
	}
	tpenc_free(t);
}

/* Waits up to 10 s for the status to satisfy cond. */
#define WAIT_STATUS(r, cs, cond) do { \
	uint64_t end_ = clock_mono_us() + 10000000; \
	do { status_snapshot(&(r)->st, &(cs)); if (cond) break; clock_sleep_us(10000); } \
	while (clock_mono_us() < end_); \
} while (0)

static int count_lines(const char *path, const char *needle)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void test_missing_decoder(void **state)
{
	struct rig r;
	struct cam_status cs;
	struct video_opts vo = {
		.name = "t", .output = "", .fmt = OUTFMT_I420, .width = W, .height = H, .fps = 15,
		.placeholder_image = "", .hwaccel = "auto", .hwdevice = "", .frame_log = "",
	};
	int fd, lookups;

	memset(&r, 0, sizeof(r));
	/* The bridge logs to stderr: keep it in a file to count the lines. */
	snprintf(r.logpath, sizeof(r.logpath), "/tmp/cb-nodec.XXXXXX");
	fd = mkstemp(r.logpath);
	assert_true(fd >= 0);
	fflush(stderr);
	r.saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);

	status_init(&r.st, "t");
	r.hub = hub_new(W, H, 8);
	assert_non_null(r.hub);
	assert_int_equal(auq_init(&r.q, 4u << 20, 64), 0);
	assert_int_equal(video_start(&r.v, &vo, &r.q, r.hub, &r.st, NULL), 0);

	/* H.265 that this FFmpeg cannot decode: every AU dropped, one error, status says why. */
	push_stream(&r, DEC_H265, 40, 100);
	/* (AUs the queue itself dropped, had the thread been slow, count too) */
	WAIT_STATUS(&r, cs, cs.frames_dropped + auq_dropped(&r.q) >= 40);
	lookups = atomic_load(&hevc_lookups);
	assert_true(cs.frames_dropped + auq_dropped(&r.q) >= 40);
	assert_int_equal(cs.frames_decoded, 0);
	print_message("H.265 decoder looked up %d times for 40 AUs; status: \"%s\"\n", lookups,
		      cs.decode_error);
	assert_true(lookups <= 4);   /* the first AU and one new set of parameter sets at most */
	assert_non_null(strstr(cs.decode_error, "h265"));
	/* The same camera streaming on (a reconnect): no new attempt, no new line. */
	push_stream(&r, DEC_H265, 20, 200);
	WAIT_STATUS(&r, cs, cs.frames_dropped + auq_dropped(&r.q) >= 60);
	assert_int_equal(atomic_load(&hevc_lookups), lookups);

	/* The camera switches to H.264: decoded at once, the status clears. */
	push_stream(&r, DEC_H264, 20, 300);
	WAIT_STATUS(&r, cs, cs.frames_decoded >= 15);
	assert_true(cs.frames_decoded >= 15);
	assert_string_equal(cs.decode_error, "");
	assert_string_equal(cs.codec, "h264");

	/* Flip-flopping codecs: H.265 fails again (codec change: one more try), H.264 back. */
	push_stream(&r, DEC_H265, 5, 400);
	push_stream(&r, DEC_H264, 20, 500);
	WAIT_STATUS(&r, cs, cs.frames_decoded >= 30);
	assert_true(cs.frames_decoded >= 30);

	atomic_store(&r.v.stop, 1);
	video_stop(&r.v);
	fflush(stderr);
	dup2(r.saved_stderr, 2);
	close(r.saved_stderr);

	assert_int_equal(count_lines(r.logpath, "cannot decode"), 1);
	/* Without a GPU: software decoding, said once for the three times H.264 was opened. */
	if (!strcmp(cs.hwaccel, "none"))
		assert_int_equal(count_lines(r.logpath, "hardware decoding not used"), 1);
	unlink(r.logpath);
	hub_close(r.hub);
	hub_free(r.hub);
	auq_destroy(&r.q);
	status_destroy(&r.st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_decoder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
