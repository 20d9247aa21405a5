/* The tap on the compressed path: the video thread hands it every access unit it pops (one
 * copy into a reference-counted buffer, shared by everybody after that); it keeps the
 * pre-roll ring and the codec parameters, and passes each AU to the subscribers (recorder,
 * /stream.ts muxer), which only queue it.  Never blocks the caller beyond a short lock. */
#ifndef CB_RECORD_TAP_H
#define CB_RECORD_TAP_H

#include <stddef.h>
#include <stdint.h>

#include "record/preroll.h"
#include "source/auq.h"

#define TAP_MAX_SUBS    8
#define TAP_MAX_PARAMS  4096     /* bytes of VPS/SPS/PPS kept (Annex-B) */
#define TAP_NO_AUDIO_US 2000000ull   /* video without audio this long: a video-only camera */

/* What a muxer needs before the first packet. */
struct tap_params {
	enum au_codec codec;      /* 0 = nothing seen yet */
	int width, height;        /* 0 when the parameter sets could not be parsed */
	uint8_t extradata[TAP_MAX_PARAMS];
	size_t extradata_len;     /* Annex-B parameter sets of the newest keyframe */
	/* 1 unless the camera is known to send no audio (a whole TAP_NO_AUDIO_US of video
	 * without any): a muxer then waits a little for the first AAC frame, so the track
	 * is declared in its header. */
	int audio_wait;
};

/* Runs under the tap's lock on the feeding thread: queue and return. */
typedef void (*tap_fn)(void *ctx, const struct rec_au *au);

struct tap;

/* pre_us: pre-roll kept; max_bytes bounds it.  0 or -ENOMEM/-EINVAL. */
int tap_new(struct tap **out, uint64_t pre_us, size_t max_bytes);
void tap_free(struct tap *t);
/* New pre-roll bounds (a reload): what is kept beyond them goes with the next AU. */
void tap_set_window(struct tap *t, uint64_t pre_us, size_t max_bytes);
/* The video thread's hook (matches video_opts.au_tap). */
void tap_feed(void *tap, const struct au *au);
enum tap_replay {
	TAP_LIVE = 0,        /* only what comes from now on */
	TAP_PREROLL = 1,     /* the whole pre-roll first (a recording) */
	TAP_LAST_GOP = 2,    /* from the newest keyframe kept (a viewer: a picture at once) */
};
/* Adds a subscriber, handing it the replay first under the same lock, so nothing is missed
 * or doubled between the two.  0 or -ENOSPC. */
int tap_subscribe(struct tap *t, tap_fn fn, void *ctx, enum tap_replay replay);
void tap_unsubscribe(struct tap *t, tap_fn fn, void *ctx);
/* 0, or -EAGAIN when no keyframe was seen yet. */
int tap_get_params(struct tap *t, struct tap_params *out);
/* AUs taken and AUs the pre-roll dropped for its bounds (metrics, tests). */
void tap_counts(struct tap *t, uint64_t *aus, uint64_t *dropped);

#endif
