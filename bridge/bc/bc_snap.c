#include "bc/bc_snap.h"

#include <errno.h>
#include <string.h>

#include "bc/bc_xmlw.h"

int bc_snap_req_build(struct sbuf *b, uint32_t channel_id, const char *stream_type)
{
	bcx_begin(b);
	bcx_open_v(b, "Snap");
	bcx_leaf_ll(b, "channelId", channel_id);
	bcx_leaf_ll(b, "logicChannel", 0);
	bcx_leaf_ll(b, "time", 0);
	bcx_leaf_ll(b, "fullFrame", 0);
	bcx_leaf(b, "streamType", stream_type);
	bcx_close(b, "Snap");
	return bcx_end(b);
}

int bc_snap_req_parse(const void *xml, size_t len, uint32_t *channel_id)
{
	struct xml_doc *doc;
	const struct xml_node *root, *n;
	int r = bcx_parse(xml, len, &doc, &root);

	if (r < 0)
		return -EBADMSG;
	n = bcx_elem(root, "Snap");
	*channel_id = 0;
	if (n)
		(void)bcx_get_u32(n, "channelId", channel_id);
	xml_free(doc);
	return n ? 0 : -EBADMSG;
}

int bc_snap_info_build(struct sbuf *b, const struct bc_snap_info *i)
{
	bcx_begin(b);
	bcx_open_v(b, "Snap");
	bcx_leaf(b, "fileName", i->file_name);
	bcx_leaf_ll(b, "pictureSize", i->picture_size);
	bcx_close(b, "Snap");
	return bcx_end(b);
}

int bc_snap_info_parse(const void *xml, size_t len, struct bc_snap_info *i)
{
	struct xml_doc *doc;
	const struct xml_node *root, *n;
	int r;

	memset(i, 0, sizeof(*i));
	if (bcx_parse(xml, len, &doc, &root) < 0)
		return -EBADMSG;
	n = bcx_elem(root, "Snap");
	r = n ? bcx_get_u32(n, "pictureSize", &i->picture_size) : -ENOENT;
	if (!r)
		(void)bcx_get_str(n, "fileName", i->file_name, sizeof(i->file_name));
	xml_free(doc);
	if (r < 0)
		return -EBADMSG;
	return i->picture_size && i->picture_size <= BC_SNAP_MAX ? 0 : -EFBIG;
}
