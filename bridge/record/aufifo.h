/* A bounded queue of shared access units (references, no copies) from the tap to one
 * consumer thread.  The producer never waits: past the bounds the oldest AUs go, up to the
 * next keyframe, and the count of dropped AUs grows. */
#ifndef CB_RECORD_AUFIFO_H
#define CB_RECORD_AUFIFO_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "record/preroll.h"

struct aufifo {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct preroll q;         /* span 0 would trim: used only as storage, see aufifo.c */
	int closed;
	uint64_t dropped;
};

int aufifo_init(struct aufifo *f, size_t max_bytes, unsigned max_aus);
void aufifo_fini(struct aufifo *f);
/* Queues a reference; never blocks.  The queue starts (and restarts after a drop) at a
 * keyframe. */
void aufifo_push(struct aufifo *f, const struct rec_au *au);
/* Waits up to timeout_ms; 1 = *out holds a reference the caller must av_buffer_unref,
 * 0 = timeout, -EPIPE = closed and empty. */
int aufifo_pop(struct aufifo *f, struct rec_au *out, int timeout_ms);
void aufifo_close(struct aufifo *f);
void aufifo_reset(struct aufifo *f);   /* empties it and reopens it */
uint64_t aufifo_dropped(struct aufifo *f);
/* The tap_fn that pushes into the aufifo given as ctx. */
void aufifo_tap(void *ctx, const struct rec_au *au);

#endif
