/* A bounded queue of compressed access units between the session thread (producer) and the
 * video thread (consumer).  Bytes live in one ring allocated at start, so steady state never
 * allocates; when the consumer falls behind, the queue drops everything up to the next
 * keyframe rather than growing (late pictures are useless to a webcam). */
#ifndef CB_SOURCE_AUQ_H
#define CB_SOURCE_AUQ_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* AU_AAC: one ADTS frame of the camera's audio, passed through beside the video (never a
 * keyframe; the decoder skips it, the recording side muxes it). */
enum au_codec { AU_H264 = 1, AU_H265 = 2, AU_AAC = 3 };

static inline int au_is_video(enum au_codec c)
{
	return c == AU_H264 || c == AU_H265;
}

struct AVBufferRef;

struct au {
	const uint8_t *data;   /* Annex-B (video) or ADTS (AU_AAC) */
	size_t len;
	enum au_codec codec;
	int keyframe;
	int gap;               /* 1 = something was lost before this AU (drop until keyframe) */
	uint64_t recv_us;      /* monotonic time the last byte arrived */
	struct AVBufferRef *buf; /* auq_pop: the reference-counted, padded buffer holding data
				  * (the queue's; av_buffer_ref it to keep it); ignored by push */
};

struct auq {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t *ring;
	size_t ring_size;
	size_t head, tail;         /* byte offsets; head = write, tail = read */
	struct au_slot {
		size_t off, len;
		enum au_codec codec;
		int keyframe, gap;
		uint64_t recv_us;
	} *slots;
	unsigned nslots, first, count;
	int gap_pending;           /* next pushed AU carries gap = 1 */
	int closed;
	uint64_t dropped;          /* AUs dropped because the queue was full or too big */
	struct AVBufferRef *out;   /* the AU handed to the consumer (one copy, reused) */
};

/* ring_bytes bounds the memory (and the largest AU); max_aus the number of queued AUs. */
int auq_init(struct auq *q, size_t ring_bytes, unsigned max_aus);
void auq_destroy(struct auq *q);
/* Copies the AU in.  Returns 0, or -E2BIG (AU larger than the ring: dropped, gap set).
 * On overflow, queued AUs are dropped up to the next keyframe (or all of them). */
int auq_push(struct auq *q, const struct au *au);
/* Marks a loss: the next pushed video AU carries gap = 1. */
void auq_mark_gap(struct auq *q);
/* Waits up to timeout_ms for an AU; 1 = *out filled (data valid until the next pop, in
 * out->buf for a decoder to reference), 0 = timeout, -EPIPE = closed, -ENOMEM. */
int auq_pop(struct auq *q, struct au *out, int timeout_ms);
/* Drops everything queued (session restart). */
void auq_flush(struct auq *q);
void auq_close(struct auq *q);
uint64_t auq_dropped(struct auq *q);

#endif
