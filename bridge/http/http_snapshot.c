/* GET /snapshot.jpg, /snapshot.png and /api/v1/cameras/NAME: the newest picture, optionally
 * scaled (?width=&height=, bounded).  The unscaled JPEG comes from the cache (no copy). */
#include "http/http_internal.h"
#include "http/http_resp.h"
#include "hub/hub.h"
#include "util/clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>

/* "" / absent = 0; a decimal 1..HTTP_MAX_SCALE_DIM (no sign, no junk) or -EINVAL. */
static int parse_dim(const char *v)
{
	int n = 0;

	if (!v)
		return 0;
	if (!*v || strlen(v) > 5)
		return -EINVAL;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		n = n * 10 + (*p - '0');
	}
	return n >= 1 && n <= HTTP_MAX_SCALE_DIM ? n : -EINVAL;
}

static void unref_buf(void *cls)
{
	jpeg_buf_unref(cls);
}

static int encode_png(const struct frame *f, int w, int h, uint8_t **out, size_t *len)
{
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
	AVCodecContext *cc = NULL;
	AVFrame *rgb = NULL;
	AVPacket *pkt = NULL;
	struct SwsContext *sws = NULL;
	int r = -ENOMEM;

	if (!codec)
		return -ENOSYS;
	if (!(cc = avcodec_alloc_context3(codec)) || !(rgb = av_frame_alloc()) ||
	    !(pkt = av_packet_alloc()))
		goto out;
	cc->width = w;
	cc->height = h;
	cc->pix_fmt = AV_PIX_FMT_RGB24;
	cc->time_base = (AVRational){ 1, 25 };
	cc->compression_level = PNG_COMPRESSION_LEVEL;
	if (avcodec_open2(cc, codec, NULL) < 0) {
		r = -EIO;
		goto out;
	}
	rgb->format = AV_PIX_FMT_RGB24;
	rgb->width = w;
	rgb->height = h;
	if (av_frame_get_buffer(rgb, 0) < 0)
		goto out;
	sws = sws_getContext(f->width, f->height, AV_PIX_FMT_YUV420P, w, h, AV_PIX_FMT_RGB24,
			     SWS_BILINEAR, NULL, NULL, NULL);
	if (!sws)
		goto out;
	const int *coef = sws_getCoefficients(SWS_CS_ITU601);
	sws_setColorspaceDetails(sws, coef, f->full_range, coef, 1, 0, 1 << 16, 1 << 16);
	const uint8_t *y = f->data, *u = y + (size_t)f->width * f->height;
	const uint8_t *v = u + (size_t)(f->width / 2) * (f->height / 2);
	const uint8_t *const src[4] = { y, u, v, NULL };
	const int sstr[4] = { f->width, f->width / 2, f->width / 2, 0 };
	if (sws_scale(sws, src, sstr, 0, f->height, rgb->data, rgb->linesize) != h) {
		r = -EIO;
		goto out;
	}
	if (avcodec_send_frame(cc, rgb) < 0 || avcodec_receive_packet(cc, pkt) < 0) {
		r = -EIO;
		goto out;
	}
	if (!(*out = malloc((size_t)pkt->size)))
		goto out;
	memcpy(*out, pkt->data, (size_t)pkt->size);
	*len = (size_t)pkt->size;
	r = 0;
out:
	sws_freeContext(sws);
	av_packet_free(&pkt);
	av_frame_free(&rgb);
	avcodec_free_context(&cc);
	return r;
}

static void hold_viewer(struct http_server *s)
{
	pthread_mutex_lock(&s->lock);
	s->snap_hold_until = clock_mono_us() + HTTP_SNAPSHOT_HOLD_US;
	pthread_mutex_unlock(&s->lock);
}

enum MHD_Result http_snapshot(struct http_server *s, struct MHD_Connection *conn, int png)
{
	int w = parse_dim(MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "width"));
	int h = parse_dim(MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "height"));
	struct MHD_Response *resp = NULL;
	struct frame *f;
	char ts[32];
	int r;

	if (w < 0 || h < 0)
		return http_reply_text(conn, MHD_HTTP_BAD_REQUEST, "text/plain",
				       "width and height must be integers 8..4096\n");
	hold_viewer(s);
	if (!(f = hub_latest(s->hub, 0)))
		return http_reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
				       "no picture yet\n");
	if (jpeg_fit_size(f->width, f->height, w, h, &w, &h) < 0) {
		frame_unref(f);
		return http_reply_text(conn, MHD_HTTP_BAD_REQUEST, "text/plain",
				       "width and height must be integers 8..4096\n");
	}
	http_timestamp(f->mono_us, ts, sizeof(ts));
	if (png) {
		uint8_t *data = NULL;
		size_t len = 0;
		if ((r = encode_png(f, w, h, &data, &len)) == 0)
			resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
		if (r == 0 && !resp)
			free(data);
	} else if (w == f->width && h == f->height) {
		struct jpeg_buf *b;
		if ((r = jpeg_cache_get(s->full_cache, f, &b)) == 0) {
			resp = MHD_create_response_from_buffer_with_free_callback_cls(
				b->len, b->mem, unref_buf, b);
			if (!resp)
				jpeg_buf_unref(b);
		}
	} else {
		size_t len = 0;
		pthread_mutex_lock(&s->adhoc_lock);
		if ((r = jpeg_enc_frame(&s->adhoc, f, w, h, &len)) == 0)
			resp = MHD_create_response_from_buffer(len, s->adhoc.out,
							       MHD_RESPMEM_MUST_COPY);
		pthread_mutex_unlock(&s->adhoc_lock);
	}
	frame_unref(f);
	if (!resp)
		return http_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
				       "encode failed\n");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, png ? "image/png" : "image/jpeg");
	MHD_add_response_header(resp, "X-Timestamp", ts);
	http_common_headers(resp);
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}
