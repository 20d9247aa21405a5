/* JPEG encoding straight from the hub's I420 planes (libjpeg-turbo, no RGB step) and a small
 * cache keyed by frame seq, so a frame is encoded at most once however many viewers want it.
 * Encoded pictures are reference counted: a slow writer keeps sending its old bytes while a
 * newer frame is encoded into another buffer. */
#ifndef CB_HTTP_JPEGCACHE_H
#define CB_HTTP_JPEGCACHE_H

#include <stddef.h>
#include <stdint.h>

struct frame;
struct SwsContext;

/* One encoder: a reused tjhandle, a worst-case output buffer (TJFLAG_NOREALLOC) and scratch
 * planes for scaling / range conversion, all grown only when the picture size grows. */
struct jpeg_enc {
	void *tj;
	int quality;
	uint8_t *out;
	size_t out_cap;
	uint8_t *planes;
	size_t planes_cap;
	struct SwsContext *sws;
};

int jpeg_enc_init(struct jpeg_enc *e, int quality);
void jpeg_enc_fini(struct jpeg_enc *e);
/* Encodes `f` scaled to w×h (0×0 = frame size) into e->out; *len = bytes.  Limited-range
 * frames are expanded to the full range JPEG (JFIF) expects.  0 or a negative errno. */
int jpeg_enc_frame(struct jpeg_enc *e, const struct frame *f, int w, int h, size_t *len);

/* Output size for a frame fw×fh asked to be w×h, where 0 keeps the aspect ratio (both 0 =
 * frame size).  Results are even-rounded when derived.  -EINVAL when out of bounds. */
int jpeg_fit_size(int fw, int fh, int w, int h, int *ow, int *oh);

struct jpeg_buf {
	const uint8_t *data;
	size_t len;
	uint64_t seq;              /* frame seq */
	uint64_t mono_us;          /* frame publish time */
	int64_t marker;
	int placeholder;
	int width, height;
	/* private */
	uint8_t *mem;
	size_t cap;
	int refs;                  /* atomic */
	struct jpeg_cache *cache;
};

struct jpeg_cache;

/* out_w × out_h: 0 = frame size.  max_bufs bounds the buffers held at once by slow writers. */
struct jpeg_cache *jpeg_cache_new(int out_w, int out_h, int quality, unsigned max_bufs);
void jpeg_cache_free(struct jpeg_cache *c);
/* A reference to the encoding of `f`, encoding it now unless it is the cached one.
 * -EBUSY when every buffer is held by writers; other negative errno on encode failure. */
int jpeg_cache_get(struct jpeg_cache *c, const struct frame *f, struct jpeg_buf **out);
/* A reference to the newest encoding, or NULL; never encodes, never waits for an encode. */
struct jpeg_buf *jpeg_cache_current(struct jpeg_cache *c);
/* Seq of the newest encoding (0 = none). */
uint64_t jpeg_cache_current_seq(struct jpeg_cache *c);
uint64_t jpeg_cache_encodes(struct jpeg_cache *c);

void jpeg_buf_ref(struct jpeg_buf *b);
void jpeg_buf_unref(struct jpeg_buf *b);

#endif
