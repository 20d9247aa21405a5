/* The frame hub: the newest decoded picture, shared by every consumer (V4L2 sink, MJPEG,
 * snapshots).  Frames are packed I420 (Y plane, then U, then V; no row padding) at the output
 * size, taken from a pool allocated once, and reference counted: no allocation per frame.
 *
 * One producer (the video thread) fills a frame and publishes it; any number of consumers
 * take a reference to the newest one.  A consumer that is slow simply sees a newer sequence
 * number next time: nothing queues. */
#ifndef CB_OUT_HUB_H
#define CB_OUT_HUB_H

#include <stddef.h>
#include <stdint.h>

struct hub;

struct frame {
	int width, height;        /* even */
	size_t size;              /* width*height*3/2 */
	uint8_t *data;            /* Y, then U (w/2*h/2), then V */
	uint64_t seq;             /* set by hub_publish: 1, 2, 3 … */
	uint64_t mono_us;         /* when it was published (CLOCK_MONOTONIC) */
	int64_t marker;           /* frame-marker counter read from the picture, -1 if none */
	int placeholder;          /* 1 = offline/sleeping card, not a camera picture */
	int full_range;           /* 1 = JPEG/full-range YUV (0..255), 0 = limited (16..235) */
	/* private */
	struct hub *hub;
	int refs;
};

/* pool_size ≥ 3: one being written, one published, the rest held by readers.
 * NULL (errno EINVAL or ENOMEM) for odd/zero/over-large sizes or a pool below 3. */
struct hub *hub_new(int width, int height, unsigned pool_size);
void hub_free(struct hub *h);

int hub_width(const struct hub *h);
int hub_height(const struct hub *h);

/* A free frame to fill, or NULL when every frame is held (then drop the picture). */
struct frame *hub_get_free(struct hub *h);
/* Make `f` the newest frame; the caller's reference passes to the hub. */
void hub_publish(struct hub *h, struct frame *f);
/* Return a frame obtained from hub_get_free without publishing it. */
void hub_discard(struct frame *f);

/* A reference to the newest frame if its seq > after_seq, else NULL. */
struct frame *hub_latest(struct hub *h, uint64_t after_seq);
/* Like hub_latest but waits up to timeout_ms (< 0: no limit) for a newer frame; NULL on
 * timeout or close. */
struct frame *hub_wait(struct hub *h, uint64_t after_seq, int timeout_ms);
/* Wake every waiter for good (shutdown). */
void hub_close(struct hub *h);

void frame_ref(struct frame *f);
void frame_unref(struct frame *f);

/* Consumers interested in frames register so the producer knows someone watches
 * (HTTP viewers count for wake = on-demand).  Returns the new count. */
int hub_viewer_add(struct hub *h);
int hub_viewer_remove(struct hub *h);
int hub_viewers(struct hub *h);

/* Added after the first interface: */
/* 1 once hub_close() was called (lets a waiter tell "closed" from "timed out"). */
int hub_closed(struct hub *h);
/* Frames with a reference (the published one counts): for tests and metrics. */
unsigned hub_frames_in_use(struct hub *h);
/* Largest width/height hub_new accepts (keeps size arithmetic far from overflow). */
#define HUB_MAX_DIM 8192

#endif
