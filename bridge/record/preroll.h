/* The pre-roll ring: the last few seconds of compressed access units, always starting at a
 * keyframe, bounded in bytes and in count.  AUs are reference counted (AVBufferRef), so the
 * ring, the recorder and every /stream.ts muxer share one copy of each.  Not thread safe:
 * record/tap.c locks around it. */
#ifndef CB_RECORD_PREROLL_H
#define CB_RECORD_PREROLL_H

#include <stddef.h>
#include <stdint.h>

#include "source/auq.h"

struct AVBufferRef;

/* One access unit as the recording side sees it. */
struct rec_au {
	struct AVBufferRef *buf;  /* data (Annex-B, or ADTS for AU_AAC) at buf->data, padded */
	size_t len;
	enum au_codec codec;
	int keyframe;
	int gap;                  /* something was lost before it */
	uint64_t t_us;            /* monotonic receive time: the timestamps written */
};

struct preroll {
	struct rec_au *au;
	unsigned cap, first, count;
	size_t bytes, max_bytes;
	uint64_t span_us;
	uint64_t dropped;         /* AUs dropped for the byte/count bound (not the time window) */
	int queue;                /* used as a queue (aufifo): a gap waits for the next keyframe
				   * instead of emptying it, and nothing is trimmed by time */
	int need_key;
};

/* span_us: time kept behind the newest AU (0 = only the current GOP); max_bytes and max_aus
 * bound memory.  0 or -EINVAL / -ENOMEM. */
int preroll_init(struct preroll *p, uint64_t span_us, size_t max_bytes, unsigned max_aus);
void preroll_fini(struct preroll *p);
/* Takes a new reference to au->buf.  The ring always begins with a keyframe: an AU that is
 * not one (audio included) is refused while the ring is empty (returns 0), and a video gap or
 * a video codec change empties it.  Older GOPs go once the window still covers span_us without them, or to stay within
 * the bounds.  1 = kept, 0 = not kept, -ENOMEM. */
int preroll_add(struct preroll *p, const struct rec_au *au);
void preroll_clear(struct preroll *p);
/* Moves the oldest AU (and its reference) to *out.  1, or 0 when empty. */
int preroll_pop(struct preroll *p, struct rec_au *out);
/* The i-th AU, oldest first (i < p->count). */
const struct rec_au *preroll_at(const struct preroll *p, unsigned i);
/* Newest minus oldest receive time (0 when fewer than two AUs). */
uint64_t preroll_span(const struct preroll *p);

#endif
