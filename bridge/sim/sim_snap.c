#include "sim/sim_snap.h"

#include <errno.h>
#include <stdlib.h>
#include <turbojpeg.h>

#include "bc/bc_ext.h"
#include "bc/bc_msg.h"
#include "media/tpenc.h"

int sim_snap_jpeg(const struct sim_cfg *cfg, uint32_t counter, struct sbuf *out)
{
	const struct sim_stream_cfg *sc = &cfg->stream[0];
	int w = sc->width, h = sc->height, cw = w / 2, ch = h / 2, r;
	unsigned char *jpeg = NULL;
	unsigned long size = 0;
	struct tpenc *t;
	tjhandle tj;
	uint8_t *y;

	/* The drawing does not depend on the codec: H.264 opens fastest. */
	if ((r = tpenc_open(DEC_H264, w, h, sc->fps, sc->gop, &t)) < 0)
		return r;
	if (!(y = malloc((size_t)w * h + 2 * (size_t)cw * ch))) {
		tpenc_free(t);
		return -ENOMEM;
	}
	uint8_t *u = y + (size_t)w * h, *v = u + (size_t)cw * ch;
	tpenc_draw(t, y, w, u, v, cw, counter);
	tpenc_free(t);
	const unsigned char *planes[3] = { y, u, v };
	int strides[3] = { w, cw, cw };
	r = -EIO;
	if ((tj = tjInitCompress())) {
		if (tjCompressFromYUVPlanes(tj, planes, w, strides, h, TJSAMP_420, &jpeg, &size,
					    SIM_SNAP_QUALITY, 0) == 0)
			r = sbuf_add(out, jpeg, size);
		tjFree(jpeg);
		tjDestroy(tj);
	}
	free(y);
	return r;
}

int sim_snap_msgs(struct sbuf *wire, const struct bc_crypto *c, uint16_t num, uint8_t channel,
		  const uint8_t *jpeg, size_t len, size_t chunk)
{
	struct sbuf ext;
	int n = 0, r = 0;

	if (!chunk || !len)
		return -EINVAL;
	sbuf_init(&ext, 1024);
	bc_ext_build_binary(&ext, 1);
	for (size_t off = 0; off < len && r >= 0; off += chunk, n++) {
		struct bc_msg m;
		size_t k = len - off < chunk ? len - off : chunk;

		bc_msg_event(&m, BC_MSG_SNAP, num, channel);
		m.hdr.response_code = off + k == len ? BC_RC_LAST_CHUNK : BC_RC_OK;
		if (!off) {
			m.ext = ext.data;
			m.ext_len = ext.len;
		}
		m.payload = jpeg + off;
		m.payload_len = k;
		m.payload_is_binary = true;
		r = ext.err ? ext.err : bc_msg_encode(&m, c, wire);
	}
	sbuf_free(&ext);
	return r < 0 ? r : n;
}
