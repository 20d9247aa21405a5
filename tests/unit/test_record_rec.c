/* The recorder against a tap fed in real time with H.264 access units (a real SPS/PPS, dummy
 * slices: nothing is decoded): a motion alarm (on the event bus) makes one clip with the
 * pre-roll, extended while the alarm lasts, closed post_seconds after its end, with its
 * sidecar (trigger, open false) and EV_RECORDING start/end naming it; record.always cuts
 * files at keyframes every segment_seconds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <glob.h>
#include <unistd.h>
#include <cmocka.h>

#include <libavformat/avformat.h>

#include "tu_h264.h"
#include "event/event.h"
#include "record/rec.h"
#include "record/tap.h"
#include "util/clock.h"

#define FPS 25
#define GOP 10

struct fx {
	char dir[64];
	struct tap *tap;
	struct ev_bus *bus;
	struct rec *rec;
	unsigned n;            /* AUs fed */
};

/* Feeds `secs` of video in real time. */
static void feed(struct fx *x, double secs)
{
	uint8_t au[600];
	unsigned end = x->n + (unsigned)(secs * FPS);

	for (; x->n < end; x->n++) {
		tu_h264_feed(x->tap, au, sizeof(au), x->n, x->n % GOP == 0, 200);
		usleep(1000000 / FPS);
	}
}

static void start(struct fx *x, unsigned on_types, int always, int segment)
{
	struct rec_opts o = {
		.camera = "cam", .pre_seconds = 1, .post_seconds = 1, .max_seconds = 30,
		.segment_seconds = segment, .on_types = on_types, .always = always,
		.queue_bytes = 8 << 20,
	};

	memset(x, 0, sizeof(*x));
	snprintf(x->dir, sizeof(x->dir), "/tmp/cb-rec-test.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	assert_int_equal(tap_new(&x->tap, 1000000, 4 << 20), 0);
	assert_int_equal(ev_bus_new(&x->bus, "cam", 0), 0);
	o.dir = x->dir;
	o.tap = x->tap;
	o.events = x->bus;
	assert_int_equal(rec_start(&x->rec, &o), 0);
}

static void stop(struct fx *x)
{
	char cmd[128];

	rec_stop(x->rec);
	tap_free(x->tap);
	ev_bus_free(x->bus);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
	assert_int_equal(system(cmd), 0);
}

static char *slurp(const char *path)
{
	static char buf[1024];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

/* Packets in an MP4 (libavformat reads it back); *first_key = the first is a keyframe. */
static int packets(const char *path, int *first_key)
{
	AVFormatContext *ic = NULL;
	AVPacket *p = av_packet_alloc();
	int n = 0;

	assert_int_equal(avformat_open_input(&ic, path, NULL, NULL), 0);
	assert_int_equal(ic->streams[0]->codecpar->codec_id, AV_CODEC_ID_H264);
	assert_int_equal(ic->streams[0]->codecpar->width, 64);
	while (av_read_frame(ic, p) >= 0) {
		if (!n)
			*first_key = !!(p->flags & AV_PKT_FLAG_KEY);
		n++;
		av_packet_unref(p);
	}
	av_packet_free(&p);
	avformat_close_input(&ic);
	return n;
}

static void clips(struct fx *x, glob_t *g)
{
	char pat[128];

	snprintf(pat, sizeof(pat), "%s/cam/*/*.mp4", x->dir);
	memset(g, 0, sizeof(*g));
	glob(pat, 0, NULL, g);
}

static void test_motion_clip(void **state)
{
	struct fx x;
	struct ev evs[16];
	glob_t g;
	char json[PATH_MAX];
	int key = 0, n;

	start(&x, REC_ON_ALL_ALARMS, 0, 300);
	feed(&x, 2);                                  /* the pre-roll fills */
	ev_post(x.bus, EV_MOTION, EV_STATE_START, 0);
	feed(&x, 2);                                  /* longer than post_seconds: extended */
	ev_post(x.bus, EV_MOTION, EV_STATE_END, 0);
	feed(&x, 2.5);                                /* 1 s post, then over */
	clips(&x, &g);
	assert_int_equal(g.gl_pathc, 1);
	snprintf(json, sizeof(json), "%.*s.json", (int)strlen(g.gl_pathv[0]) - 4, g.gl_pathv[0]);
	assert_non_null(strstr(slurp(json), "\"trigger\":\"motion\""));
	assert_non_null(strstr(slurp(json), "\"open\":false"));
	n = packets(g.gl_pathv[0], &key);
	assert_true(key);
	/* pre-roll (1 s from a keyframe: 1..1.4 s) + 2 s alarm + 1 s post */
	assert_in_range(n, (int)(3.8 * FPS), (int)(4.8 * FPS));
	/* EV_RECORDING start and end, naming the clip relative to record.dir */
	size_t ne = ev_bus_since(x.bus, 0, evs, 16, NULL), rec_ev = 0;
	for (size_t i = 0; i < ne; i++) {
		if (evs[i].type != EV_RECORDING)
			continue;
		assert_int_equal(evs[i].state, rec_ev ? EV_STATE_END : EV_STATE_START);
		assert_string_equal(g.gl_pathv[0] + strlen(x.dir) + 1, evs[i].detail);
		rec_ev++;
	}
	assert_int_equal(rec_ev, 2);
	globfree(&g);
	stop(&x);
}

static void test_no_motion_no_clip_when_off(void **state)
{
	struct fx x;
	glob_t g;

	start(&x, 0, 0, 300);
	feed(&x, 1);
	ev_post(x.bus, EV_MOTION, EV_STATE_START, 0);
	feed(&x, 1.5);
	clips(&x, &g);
	assert_int_equal(g.gl_pathc, 0);
	globfree(&g);
	stop(&x);
}

/* The trigger of the one closed clip (its sidecar), or NULL when there is not exactly one. */
static const char *one_clip_trigger(struct fx *x)
{
	static char trig[32];
	char json[PATH_MAX];
	const char *p;
	glob_t g;

	clips(x, &g);
	if (g.gl_pathc != 1) {
		globfree(&g);
		return NULL;
	}
	snprintf(json, sizeof(json), "%.*s.json", (int)strlen(g.gl_pathv[0]) - 4, g.gl_pathv[0]);
	globfree(&g);
	p = strstr(slurp(json), "\"trigger\":\"");
	assert_non_null(p);
	assert_int_equal(sscanf(p + 11, "%31[^\"]", trig), 1);
	return trig;
}

/* An AI alarm as cameras report it: with motion, `lead` seconds of motion alone first. */
static void ai_alarm(struct fx *x, enum ev_type ai, double lead, double secs)
{
	ev_post(x->bus, EV_MOTION, EV_STATE_START, 0);
	feed(x, lead);
	ev_post(x->bus, ai, EV_STATE_START, 0);
	feed(x, secs);
	ev_post(x->bus, ai, EV_STATE_END, 0);
	ev_post(x->bus, EV_MOTION, EV_STATE_END, 0);
}

/* record.on_types = people,vehicle: plain motion records nothing; the camera's people alarm
 * (reported with motion, as cameras do) makes one clip named "people". */
static void test_chosen_types_only(void **state)
{
	struct fx x;

	start(&x, 1u << REC_TRIG_PEOPLE | 1u << REC_TRIG_VEHICLE, 0, 300);
	feed(&x, 1.1);                       /* the pre-roll fills */
	ai_alarm(&x, EV_DOG_CAT, 0, 0.4);
	feed(&x, 0.4);
	assert_null(one_clip_trigger(&x));   /* no clip at all (one opens at once) */
	ai_alarm(&x, EV_PEOPLE, 0, 0.4);
	feed(&x, 1.8);                       /* 1 s post, then over */
	assert_non_null(one_clip_trigger(&x));
	assert_string_equal(one_clip_trigger(&x), "people");
	stop(&x);
}

/* Every type on: motion and vehicle together make one clip, named after the AI type even
 * when motion came first. */
static void test_clip_named_after_ai_type(void **state)
{
	struct fx x;

	start(&x, REC_ON_ALL_ALARMS, 0, 300);
	feed(&x, 1.1);
	ai_alarm(&x, EV_VEHICLE, 0.3, 0.3);
	feed(&x, 1.8);
	assert_non_null(one_clip_trigger(&x));
	assert_string_equal(one_clip_trigger(&x), "vehicle");
	stop(&x);
}

static void test_always_segments(void **state)
{
	struct fx x;
	glob_t g;
	int key, total = 0;

	start(&x, 0, 1, 1);
	feed(&x, 4.2);
	rec_stop(x.rec);   /* closes the last one */
	x.rec = NULL;
	clips(&x, &g);
	assert_true(g.gl_pathc >= 3);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		key = 0;
		total += packets(g.gl_pathv[i], &key);
		assert_true(key);   /* every segment starts at a keyframe */
	}
	/* Nothing lost or doubled between segments: every AU since the first keyframe. */
	assert_in_range(total, 4 * FPS, (int)(4.2 * FPS) + 1);
	globfree(&g);
	stop(&x);
}

int main(void)
{
	av_log_set_level(AV_LOG_QUIET);   /* dummy slices: the parser has things to say */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_motion_clip),
		cmocka_unit_test(test_no_motion_no_clip_when_off),
		cmocka_unit_test(test_chosen_types_only),
		cmocka_unit_test(test_clip_named_after_ai_type),
		cmocka_unit_test(test_always_segments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
