#include "http/jpegcache.h"
#include "http/http.h"
#include "hub/hub.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include <libswscale/swscale.h>
#include <libavutil/pixfmt.h>

/* Limited (16..235 / 16..240) to full range (0..255), as JFIF expects. */
static uint8_t lut_y[256], lut_c[256];
static pthread_once_t lut_once = PTHREAD_ONCE_INIT;

static uint8_t clamp255(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

static void lut_init(void)
{
	for (int i = 0; i < 256; i++) {
		lut_y[i] = clamp255(((i - 16) * 255 * 2 + 219) / (219 * 2));
		int c = (i - 128) * 255;
		lut_c[i] = clamp255(128 + (c >= 0 ? (c * 2 + 224) / 448 : -((-c * 2 + 224) / 448)));
	}
}

int jpeg_enc_init(struct jpeg_enc *e, int quality)
{
	memset(e, 0, sizeof(*e));
	pthread_once(&lut_once, lut_init);
	e->quality = quality < 1 || quality > 100 ? HTTP_DEFAULT_JPEG_QUALITY : quality;
	e->tj = tjInitCompress();
	return e->tj ? 0 : -ENOMEM;
}

void jpeg_enc_fini(struct jpeg_enc *e)
{
	if (e->tj)
		tjDestroy(e->tj);
	free(e->out);
	free(e->planes);
	sws_freeContext(e->sws);
	memset(e, 0, sizeof(*e));
}

int jpeg_fit_size(int fw, int fh, int w, int h, int *ow, int *oh)
{
	if (fw <= 0 || fh <= 0 || w < 0 || h < 0)
		return -EINVAL;
	if (!w && !h) {
		w = fw;
		h = fh;
	} else if (!h) {
		h = (int)(((int64_t)w * fh + fw / 2) / fw) & ~1;
	} else if (!w) {
		w = (int)(((int64_t)h * fw + fh / 2) / fh) & ~1;
	}
	if (w < HTTP_MIN_SCALE_DIM || h < HTTP_MIN_SCALE_DIM ||
	    w > HTTP_MAX_SCALE_DIM || h > HTTP_MAX_SCALE_DIM)
		return -EINVAL;
	*ow = w;
	*oh = h;
	return 0;
}

static int grow(uint8_t **p, size_t *cap, size_t need)
{
	if (*cap >= need)
		return 0;
	uint8_t *n = realloc(*p, need);
	if (!n)
		return -ENOMEM;
	*p = n;
	*cap = need;
	return 0;
}

static void range_expand(const uint8_t *src, uint8_t *dst, size_t n, const uint8_t *lut)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = lut[src[i]];
}

int jpeg_enc_frame(struct jpeg_enc *e, const struct frame *f, int w, int h, size_t *len)
{
	int fw = f->width, fh = f->height;
	const uint8_t *planes[3];
	int strides[3];
	int r;

	if (!w || !h) {
		w = fw;
		h = fh;
	}
	if (fw < 2 || fh < 2 || f->size < (size_t)fw * fh * 3 / 2)
		return -EINVAL;
	int cw = tjPlaneWidth(1, w, TJSAMP_420), ch = tjPlaneHeight(1, h, TJSAMP_420);
	size_t ysz = (size_t)w * h, csz = (size_t)cw * ch;
	const uint8_t *fy = f->data, *fu = fy + (size_t)fw * fh, *fv = fu + (size_t)(fw / 2) * (fh / 2);

	strides[0] = w;
	strides[1] = strides[2] = cw;
	if (w == fw && h == fh && f->full_range) {
		planes[0] = fy;
		planes[1] = fu;
		planes[2] = fv;
	} else {
		if ((r = grow(&e->planes, &e->planes_cap, ysz + 2 * csz)) < 0)
			return r;
		uint8_t *dy = e->planes, *du = dy + ysz, *dv = du + csz;
		if (w == fw && h == fh) {
			range_expand(fy, dy, ysz, lut_y);
			range_expand(fu, du, csz, lut_c);
			range_expand(fv, dv, csz, lut_c);
		} else {
			e->sws = sws_getCachedContext(e->sws, fw, fh, AV_PIX_FMT_YUV420P, w, h,
						      AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
			if (!e->sws)
				return -ENOMEM;
			const uint8_t *const src[4] = { fy, fu, fv, NULL };
			const int sstr[4] = { fw, fw / 2, fw / 2, 0 };
			uint8_t *const dst[4] = { dy, du, dv, NULL };
			const int dstr[4] = { w, cw, cw, 0 };
			if (sws_scale(e->sws, src, sstr, 0, fh, dst, dstr) != h)
				return -EIO;
			if (!f->full_range) {
				range_expand(dy, dy, ysz, lut_y);
				range_expand(du, du, 2 * csz, lut_c);
			}
		}
		planes[0] = dy;
		planes[1] = du;
		planes[2] = dv;
	}
	unsigned long need = tjBufSize(w, h, TJSAMP_420);
	if (need == (unsigned long)-1)
		return -EINVAL;
	if ((r = grow(&e->out, &e->out_cap, need)) < 0)
		return r;
	unsigned long sz = e->out_cap;
	unsigned char *out = e->out;
	if (tjCompressFromYUVPlanes(e->tj, planes, w, strides, h, TJSAMP_420, &out, &sz,
				    e->quality, TJFLAG_NOREALLOC) < 0)
		return -EIO;
	*len = sz;
	return 0;
}

/* ---- cache ---------------------------------------------------------------------------- */

struct jpeg_cache {
	pthread_mutex_t enc_lock;  /* held while encoding: a second asker of the same seq waits */
	pthread_mutex_t cur_lock;  /* held briefly: cur and the pool list */
	struct jpeg_enc enc;
	int out_w, out_h;
	unsigned max_bufs, nbufs;
	struct jpeg_buf **bufs;
	struct jpeg_buf *cur;      /* the cache holds one reference */
	uint64_t encodes;
};

struct jpeg_cache *jpeg_cache_new(int out_w, int out_h, int quality, unsigned max_bufs)
{
	struct jpeg_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (max_bufs < 2)
		max_bufs = 2;
	c->bufs = calloc(max_bufs, sizeof(*c->bufs));
	if (!c->bufs || jpeg_enc_init(&c->enc, quality) < 0) {
		free(c->bufs);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->enc_lock, NULL);
	pthread_mutex_init(&c->cur_lock, NULL);
	c->out_w = out_w;
	c->out_h = out_h;
	c->max_bufs = max_bufs;
	return c;
}

void jpeg_cache_free(struct jpeg_cache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nbufs; i++) {
		free(c->bufs[i]->mem);
		free(c->bufs[i]);
	}
	free(c->bufs);
	jpeg_enc_fini(&c->enc);
	pthread_mutex_destroy(&c->enc_lock);
	pthread_mutex_destroy(&c->cur_lock);
	free(c);
}

void jpeg_buf_ref(struct jpeg_buf *b)
{
	__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
}

/* A buffer with no reference is free: only `cur` can hand out new references, and cur
 * always holds one, so a free buffer cannot come back to life behind our back. */
void jpeg_buf_unref(struct jpeg_buf *b)
{
	if (b)
		__atomic_sub_fetch(&b->refs, 1, __ATOMIC_RELEASE);
}

struct jpeg_buf *jpeg_cache_current(struct jpeg_cache *c)
{
	struct jpeg_buf *b;

	pthread_mutex_lock(&c->cur_lock);
	b = c->cur;
	if (b)
		jpeg_buf_ref(b);
	pthread_mutex_unlock(&c->cur_lock);
	return b;
}

uint64_t jpeg_cache_current_seq(struct jpeg_cache *c)
{
	uint64_t s;

	pthread_mutex_lock(&c->cur_lock);
	s = c->cur ? c->cur->seq : 0;
	pthread_mutex_unlock(&c->cur_lock);
	return s;
}

uint64_t jpeg_cache_encodes(struct jpeg_cache *c)
{
	return __atomic_load_n(&c->encodes, __ATOMIC_RELAXED);
}

static struct jpeg_buf *free_buf(struct jpeg_cache *c)
{
	struct jpeg_buf *b = NULL;

	pthread_mutex_lock(&c->cur_lock);
	for (unsigned i = 0; i < c->nbufs && !b; i++)
		if (__atomic_load_n(&c->bufs[i]->refs, __ATOMIC_ACQUIRE) == 0)
			b = c->bufs[i];
	if (!b && c->nbufs < c->max_bufs && (b = calloc(1, sizeof(*b)))) {
		b->cache = c;
		c->bufs[c->nbufs++] = b;
	}
	pthread_mutex_unlock(&c->cur_lock);
	return b;
}

int jpeg_cache_get(struct jpeg_cache *c, const struct frame *f, struct jpeg_buf **out)
{
	struct jpeg_buf *b;
	size_t len;
	int r, w = c->out_w, h = c->out_h;

	pthread_mutex_lock(&c->enc_lock);
	b = jpeg_cache_current(c);
	if (b && b->seq == f->seq) {
		pthread_mutex_unlock(&c->enc_lock);
		*out = b;
		return 0;
	}
	jpeg_buf_unref(b);
	if (w || h) {
		if ((r = jpeg_fit_size(f->width, f->height, w, h, &w, &h)) < 0)
			goto out;
	}
	if (!(b = free_buf(c))) {
		r = -EBUSY;
		goto out;
	}
	if ((r = jpeg_enc_frame(&c->enc, f, w, h, &len)) < 0)
		goto out;
	__atomic_add_fetch(&c->encodes, 1, __ATOMIC_RELAXED);
	if ((r = grow(&b->mem, &b->cap, len)) < 0)
		goto out;
	memcpy(b->mem, c->enc.out, len);
	b->data = b->mem;
	b->len = len;
	b->seq = f->seq;
	b->mono_us = f->mono_us;
	b->marker = f->marker;
	b->placeholder = f->placeholder;
	b->width = w ? w : f->width;
	b->height = h ? h : f->height;
	/* An older frame encoded late (a snapshot racing the notifier) goes to its caller
	 * only: `cur` never steps back to an older picture. */
	struct jpeg_buf *old = NULL;
	pthread_mutex_lock(&c->cur_lock);
	if (!c->cur || c->cur->seq < b->seq) {
		__atomic_store_n(&b->refs, 2, __ATOMIC_RELEASE);   /* cur + caller */
		old = c->cur;
		c->cur = b;
	} else {
		__atomic_store_n(&b->refs, 1, __ATOMIC_RELEASE);   /* caller */
	}
	pthread_mutex_unlock(&c->cur_lock);
	jpeg_buf_unref(old);
	*out = b;
	r = 0;
out:
	pthread_mutex_unlock(&c->enc_lock);
	return r;
}
