#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <libavutil/buffer.h>
#include <libavutil/log.h>

#include "tu_av.h"
#include "media/tpenc.h"
#include "record/mux.h"
#include "record/tap.h"
#include "sim/sim_aac.h"
#include "util/clock.h"

unsigned tu_av_camera(void (*fn)(void *ctx, const struct au *au), void *ctx, int secs, int fps,
		      int audio)
{
	const uint64_t video_us = 1000000u / (unsigned)fps;
	const uint64_t audio_us = 1000000ull * SIM_AAC_FRAME / SIM_AAC_RATE;
	uint64_t vt = clock_mono_us() - (uint64_t)secs * 1000000u, at = vt + 1000;
	struct tpenc *enc;
	struct sim_aac *aac = NULL;
	unsigned frames = 0, n_audio = 0;

	av_log_set_level(AV_LOG_ERROR);   /* no encoder statistics in the test output */
	assert_int_equal(tpenc_open(AU_H264, 160, 96, fps, fps, &enc), 0);
	if (audio)
		assert_int_equal(sim_aac_open(&aac), 0);
	while (frames < (unsigned)(secs * fps)) {
		const uint8_t *d;
		size_t len;
		int key = 0;

		if (aac && at < vt) {
			if (sim_aac_next(aac, &d, &len) > 0) {
				struct au a = { .data = d, .len = len, .codec = AU_AAC, .recv_us = at };
				fn(ctx, &a);
				n_audio++;
			}
			at += audio_us;
			continue;
		}
		assert_true(tpenc_next(enc, frames, &d, &len, &key) >= 0);
		if (len) {
			struct au v = { .data = d, .len = len, .codec = AU_H264, .keyframe = key,
					.recv_us = vt };
			fn(ctx, &v);
		}
		vt += video_us;
		frames++;
	}
	tpenc_free(enc);
	sim_aac_free(aac);
	return n_audio;
}

struct tu_file {
	struct mux *m;
	FILE *f;
};

static void to_mux(void *ctx, const struct rec_au *au)
{
	struct tu_file *x = ctx;
	char err[200];

	assert_int_equal(mux_write(x->m, au, err, sizeof(err)), 0);
}

static int to_file(void *ctx, const uint8_t *buf, size_t len)
{
	struct tu_file *x = ctx;

	return fwrite(buf, 1, len, x->f) == len ? 0 : -EIO;
}

void tu_av_file(const char *path, int mp4, int secs, int fps, int audio)
{
	struct tu_file x = { 0 };
	struct tap_params p;
	struct tap *t;
	char err[200];

	assert_int_equal(tap_new(&t, (uint64_t)secs * 2000000u, 64 << 20), 0);
	tu_av_camera(tap_feed, t, secs, fps, audio);
	assert_int_equal(tap_get_params(t, &p), 0);
	if (mp4) {
		assert_int_equal(mux_open_mp4(&x.m, path, &p, err, sizeof(err)), 0);
	} else {
		assert_non_null(x.f = fopen(path, "we"));
		assert_int_equal(mux_open_ts(&x.m, to_file, &x, &p, err, sizeof(err)), 0);
	}
	/* the whole stream, replayed from the tap's pre-roll */
	assert_int_equal(tap_subscribe(t, to_mux, &x, TAP_PREROLL), 0);
	tap_unsubscribe(t, to_mux, &x);
	if (!mp4)
		assert_int_equal(mux_flush(x.m), 0);
	assert_int_equal(mux_close(x.m, err, sizeof(err)), 0);
	if (x.f)
		fclose(x.f);
	tap_free(t);
}
