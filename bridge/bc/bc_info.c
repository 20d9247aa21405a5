#include "bc/bc_info.h"

#include <errno.h>
#include <string.h>

#include "bc/bc_xmlw.h"

#define VS(n, m) BCX_F_STR(struct bc_version_info, n, m)
static const struct bcx_field ver_fields[] = {
	VS("name", name),
	VS("type", type),
	VS("serialNumber", serial_number),
	VS("buildDay", build_day),
	VS("hardwareVersion", hardware_version),
	VS("cfgVersion", cfg_version),
	VS("firmwareVersion", firmware_version),
	VS("detail", detail),
};
#undef VS

#define VU(n, m) BCX_F_U32(struct bc_video_input, n, m)
static const struct bcx_field vin_fields[] = {
	VU("channelId", channel_id),
	VU("bright", bright),
	VU("contrast", contrast),
	VU("saturation", saturation),
	VU("hue", hue),
	VU("sharpen", sharpen),
};
#undef VU

/* <body><Name version="1.1">fields</Name></body> */
static int build_obj(struct sbuf *b, const char *name, const struct bcx_field *f, size_t n,
		     const void *obj)
{
	bcx_begin(b);
	bcx_open_v(b, name);
	bcx_fields_build(b, f, n, obj);
	bcx_close(b, name);
	return bcx_end(b);
}

static int parse_obj(const void *xml, size_t len, const char *name, const struct bcx_field *f,
		     size_t n, void *obj, size_t size)
{
	struct xml_doc *doc;
	const struct xml_node *root, *e;
	int r;

	memset(obj, 0, size);
	r = bcx_parse(xml, len, &doc, &root);
	if (r < 0)
		return r;
	e = bcx_elem(root, name);
	if (e)
		bcx_fields_parse(e, f, n, obj);
	xml_free(doc);
	return e ? 0 : -EBADMSG;
}

int bc_version_info_build(struct sbuf *b, const struct bc_version_info *v)
{
	return build_obj(b, "VersionInfo", ver_fields, BCX_COUNT(ver_fields), v);
}

int bc_version_info_parse(const void *xml, size_t len, struct bc_version_info *v)
{
	return parse_obj(xml, len, "VersionInfo", ver_fields, BCX_COUNT(ver_fields), v, sizeof(*v));
}

int bc_video_input_build(struct sbuf *b, const struct bc_video_input *v)
{
	return build_obj(b, "VideoInput", vin_fields, BCX_COUNT(vin_fields), v);
}

int bc_video_input_parse(const void *xml, size_t len, struct bc_video_input *v)
{
	return parse_obj(xml, len, "VideoInput", vin_fields, BCX_COUNT(vin_fields), v, sizeof(*v));
}

int bc_link_type_build(struct sbuf *b, const char *type)
{
	bcx_begin(b);
	bcx_open_v(b, "LinkType");
	bcx_leaf(b, "type", type);
	bcx_close(b, "LinkType");
	return bcx_end(b);
}

int bc_link_type_parse(const void *xml, size_t len, char *type, size_t size)
{
	struct xml_doc *doc;
	const struct xml_node *root;
	int r;

	r = bcx_parse(xml, len, &doc, &root);
	if (r < 0)
		return r;
	r = bcx_get_str(bcx_elem(root, "LinkType"), "type", type, size);
	xml_free(doc);
	return r == -ENOENT ? -EBADMSG : r;
}
