#include "bc/bc_preview.h"

#include <errno.h>
#include <string.h>

#include "bc/bc_xmlw.h"

static const char *const names[] = { "mainStream", "subStream", "externStream" };

const char *bc_stream_name(enum bc_stream s)
{
	return (unsigned)s < 3 ? names[s] : "mainStream";
}

int bc_stream_from_name(const char *name, enum bc_stream *s)
{
	for (unsigned i = 0; i < 3; i++) {
		if (!strcmp(name, names[i])) {
			*s = (enum bc_stream)i;
			return 0;
		}
	}
	return -EINVAL;
}

void bc_stream_params(enum bc_stream s, uint8_t *stream_type, uint32_t *handle)
{
	switch (s) {
	case BC_STREAM_SUB: *stream_type = 1; *handle = 256; break;
	case BC_STREAM_EXTERN: *stream_type = 0; *handle = 1024; break;
	default: *stream_type = 0; *handle = 0; break;
	}
}

int bc_preview_xml_build(struct sbuf *b, uint32_t channel_id, enum bc_stream s)
{
	uint8_t st;
	uint32_t handle;

	bc_stream_params(s, &st, &handle);
	bcx_begin(b);
	bcx_open_v(b, "Preview");
	bcx_leaf_ll(b, "channelId", channel_id);
	bcx_leaf_ll(b, "handle", handle);
	bcx_leaf(b, "streamType", bc_stream_name(s));
	bcx_close(b, "Preview");
	return bcx_end(b);
}

int bc_preview_stop_xml_build(struct sbuf *b, uint32_t channel_id, uint32_t handle)
{
	bcx_begin(b);
	bcx_open_v(b, "Preview");
	bcx_leaf_ll(b, "channelId", channel_id);
	bcx_leaf_ll(b, "handle", handle);
	bcx_close(b, "Preview");
	return bcx_end(b);
}

int bc_preview_parse(const void *xml, size_t len, struct bc_preview *p)
{
	struct xml_doc *doc;
	const struct xml_node *root, *pv;
	int r;

	memset(p, 0, sizeof(*p));
	r = bcx_parse(xml, len, &doc, &root);
	if (r < 0)
		return r;
	pv = bcx_elem(root, "Preview");
	r = bcx_get_u32(pv, "channelId", &p->channel_id);
	if (!r)
		r = bcx_get_u32(pv, "handle", &p->handle);
	if (!r && bcx_get_str(pv, "streamType", p->stream_name, sizeof(p->stream_name)) == 0) {
		p->has_stream = true;
		(void)bc_stream_from_name(p->stream_name, &p->stream);
	}
	xml_free(doc);
	return r < 0 ? -EBADMSG : 0;
}

void bc_msg_preview(struct bc_msg *m, uint32_t msg_id, uint16_t msg_num, uint8_t channel_id,
		    enum bc_stream s, const uint8_t *xml, size_t len)
{
	uint32_t handle;

	bc_msg_request(m, msg_id, msg_num, channel_id);
	bc_stream_params(s, &m->hdr.stream_type, &handle);
	m->payload = xml;
	m->payload_len = len;
}
