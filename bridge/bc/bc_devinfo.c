#include "bc/bc_devinfo.h"

#include <errno.h>
#include <string.h>

#include "bc/bc_xmlw.h"

/* In the real camera's element order, so the builder reproduces its bytes. */
#define S(n, m) BCX_F_STR(struct bc_device_info, n, m)
#define U(n, m) BCX_F_U32(struct bc_device_info, n, m)
static const struct bcx_field di_fields[] = {
	S("firmVersion", firm_version),
	U("IOInputPortNum", io_input_port_num),
	U("IOOutputPortNum", io_output_port_num),
	U("diskNum", disk_num),
	S("type", type),
	U("channelNum", channel_num),
	U("audioNum", audio_num),
	U("ipChannel", ip_channel),
	U("analogChnNum", analog_chn_num),
	BCX_F_OPEN("resolution"),
	S("resolutionName", resolution_name),
	U("width", width),
	U("height", height),
	BCX_F_CLOSE("resolution"),
	S("language", language),
	U("sdCard", sd_card),
	S("ptzMode", ptz_mode),
	S("typeInfo", type_info),
	U("softVer", soft_ver),
	U("hardVer", hard_ver),
	U("panelVer", panel_ver),
	U("hdChannel1", hd_channel[0]),
	U("hdChannel2", hd_channel[1]),
	U("hdChannel3", hd_channel[2]),
	U("hdChannel4", hd_channel[3]),
	S("norm", norm),
	S("osdFormat", osd_format),
	U("B485", b485),
	U("supportAutoUpdate", support_auto_update),
	U("userVer", user_ver),
};
#undef S
#undef U

static void parse_sl(const struct xml_node *list, struct bc_stream_info_list *sl)
{
	const struct xml_node *si, *et;

	memset(sl, 0, sizeof(*sl));
	for (si = xml_child(list, "StreamInfo"); si && sl->n_streams < BC_STREAM_INFO_MAX;
	     si = xml_next(si, "StreamInfo")) {
		struct bc_stream_info *s = &sl->stream[sl->n_streams++];

		(void)bcx_get_u32(si, "channelBits", &s->channel_bits);
		for (et = xml_child(si, "encodeTable"); et && s->n_tables < BC_ENCODE_TABLE_MAX;
		     et = xml_next(et, "encodeTable")) {
			struct bc_encode_table *t = &s->table[s->n_tables++];

			(void)bcx_get_str(et, "type", t->type, sizeof(t->type));
			(void)bcx_get_u32(et, "resolution/width", &t->width);
			(void)bcx_get_u32(et, "resolution/height", &t->height);
			(void)bcx_get_u32(et, "defaultFramerate", &t->default_framerate);
			(void)bcx_get_u32(et, "defaultBitrate", &t->default_bitrate);
			(void)bcx_get_str(et, "framerateTable", t->framerate_table, sizeof(t->framerate_table));
			(void)bcx_get_str(et, "bitrateTable", t->bitrate_table, sizeof(t->bitrate_table));
		}
	}
}

int bc_device_info_parse(const void *xml, size_t len, struct bc_device_info *di,
			 struct bc_stream_info_list *streams)
{
	struct xml_doc *doc;
	const struct xml_node *root, *d, *list;
	int r;

	memset(di, 0, sizeof(*di));
	if (streams)
		memset(streams, 0, sizeof(*streams));
	r = bcx_parse(xml, len, &doc, &root);
	if (r < 0)
		return r;
	d = bcx_elem(root, "DeviceInfo");
	if (!d) {
		xml_free(doc);
		return -EBADMSG;
	}
	bcx_fields_parse(d, di_fields, BCX_COUNT(di_fields), di);
	list = bcx_elem(root, "StreamInfoList");
	if (streams && list)
		parse_sl(list, streams);
	xml_free(doc);
	return 0;
}

int bc_stream_info_list_parse(const void *xml, size_t len, struct bc_stream_info_list *sl)
{
	struct xml_doc *doc;
	const struct xml_node *root, *list;
	int r;

	memset(sl, 0, sizeof(*sl));
	r = bcx_parse(xml, len, &doc, &root);
	if (r < 0)
		return r;
	list = bcx_elem(root, "StreamInfoList");
	if (list)
		parse_sl(list, sl);
	xml_free(doc);
	return list ? 0 : -EBADMSG;
}

static int build_sl(struct sbuf *b, const struct bc_stream_info_list *sl)
{
	bcx_open_v(b, "StreamInfoList");
	for (unsigned i = 0; i < sl->n_streams && i < BC_STREAM_INFO_MAX; i++) {
		const struct bc_stream_info *s = &sl->stream[i];

		bcx_open(b, "StreamInfo");
		bcx_leaf_ll(b, "channelBits", s->channel_bits);
		for (unsigned j = 0; j < s->n_tables && j < BC_ENCODE_TABLE_MAX; j++) {
			const struct bc_encode_table *t = &s->table[j];

			bcx_open(b, "encodeTable");
			bcx_leaf(b, "type", t->type);
			bcx_open(b, "resolution");
			bcx_leaf_ll(b, "width", t->width);
			bcx_leaf_ll(b, "height", t->height);
			bcx_close(b, "resolution");
			bcx_leaf_ll(b, "defaultFramerate", t->default_framerate);
			bcx_leaf_ll(b, "defaultBitrate", t->default_bitrate);
			bcx_leaf(b, "framerateTable", t->framerate_table);
			bcx_leaf(b, "bitrateTable", t->bitrate_table);
			bcx_close(b, "encodeTable");
		}
		bcx_close(b, "StreamInfo");
	}
	return bcx_close(b, "StreamInfoList");
}

int bc_device_info_build(struct sbuf *b, const struct bc_device_info *di,
			 const struct bc_stream_info_list *streams)
{
	bcx_begin(b);
	bcx_open_v(b, "DeviceInfo");
	bcx_fields_build(b, di_fields, BCX_COUNT(di_fields), di);
	bcx_close(b, "DeviceInfo");
	if (streams && streams->n_streams)
		build_sl(b, streams);
	return bcx_end(b);
}

int bc_stream_info_list_build(struct sbuf *b, const struct bc_stream_info_list *sl)
{
	bcx_begin(b);
	build_sl(b, sl);
	return bcx_end(b);
}

const struct bc_encode_table *bc_stream_info_find(const struct bc_stream_info_list *sl,
						  const char *type)
{
	if (!sl->n_streams)
		return NULL;
	for (unsigned j = 0; j < sl->stream[0].n_tables; j++)
		if (!strcmp(sl->stream[0].table[j].type, type))
			return &sl->stream[0].table[j];
	return NULL;
}
