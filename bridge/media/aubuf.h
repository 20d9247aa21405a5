/* A reference-counted buffer for one access unit, padded as libavcodec wants it
 * (AV_INPUT_BUFFER_PADDING_SIZE zero bytes after the data), reused from one AU to the next:
 * the decoder takes a reference instead of a copy, and once it has let go the same memory
 * holds the next AU — no allocation per frame in steady state. */
#ifndef CB_MEDIA_AUBUF_H
#define CB_MEDIA_AUBUF_H

#include <stddef.h>
#include <stdint.h>

struct AVBufferRef;

/* Puts a then b (b may be NULL/0: an AU split by a ring's wrap) into *buf: the same buffer
 * when nobody else holds it and it is large enough, else a new one (the old reference is
 * dropped; whoever still holds it keeps it).  0 or -ENOMEM; *buf is NULL on failure. */
int aubuf_fill(struct AVBufferRef **buf, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

#endif
