/* The video thread: access units in, pictures out.  Decodes as soon as an AU arrives,
 * publishes the picture to the hub (HTTP reads it from there) and writes it to the sink at
 * once; between camera frames it repeats the last one or writes the placeholder card so the
 * output never stalls.  It also decides whether anybody watches (wake = on-demand). */
#ifndef CB_APP_VIDEO_H
#define CB_APP_VIDEO_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>

#include "sink/outfmt.h"

struct au;
struct auq;
struct hub;
struct status;
struct src;
struct sink;

struct video_opts {
	const char *name;             /* camera name, for the placeholder card */
	const char *output;           /* sink spec ("" = none: HTTP only) */
	enum outfmt fmt;
	int width, height, fps;
	const char *placeholder_image;/* "" = plain card */
	const char *hwaccel, *hwdevice;
	uint64_t frames_limit;        /* stop after this many camera frames (0 = never) */
	const char *frame_log;        /* "" = none */
	int on_demand;                /* open the camera only while someone watches */
	int idle_seconds;             /* …and keep it this long after the last viewer left */
	/* Every access unit popped is shown to this hook first (recording, /stream.ts): it must
	 * not block.  NULL = none. */
	void (*au_tap)(void *ctx, const struct au *au);
	void *au_tap_ctx;
};

struct video {
	struct video_opts o;          /* its strings are the video's own copies (the config that
				       * provided them is freed on reload) */
	char *strs;                   /* one block holding those copies */
	struct auq *q;
	struct hub *hub;
	struct status *st;
	struct src *src;              /* set before video_start; may be swapped under src_lock */
	pthread_mutex_t src_lock;
	pthread_t thread;
	atomic_int stop;
	atomic_int ready;             /* first frame written (READY=1) */
	atomic_int done;              /* frames_limit reached */
	atomic_int failed;            /* fatal error (sink lost for good) */
	atomic_uint_fast64_t beats;   /* turns of the frame loop (≥ 10 a second while it runs) */
};

int video_start(struct video *v, const struct video_opts *o, struct auq *q, struct hub *hub,
		struct status *st, struct src *src);
/* Swaps the source (config reload); the old one must be stopped by the caller. */
void video_set_source(struct video *v, struct src *src);
void video_stop(struct video *v);
/* 1 when the frame loop went round since the last call that returned 1 (*seen keeps the count):
 * the watchdog is fed only then, so a loop stuck in a write or a driver stops the pings. */
int video_progressed(struct video *v, uint64_t *seen);

#endif
