#include "bc/bc_ext.h"

#include <errno.h>
#include <string.h>

#include "bc/bc_xmlw.h"

/* -ENOENT (absent) is fine; anything else is an error for the whole extension. */
static int opt(int r, struct bc_ext *ext, unsigned bit)
{
	if (r == 0)
		ext->has |= bit;
	return r == -ENOENT ? 0 : r;
}

int bc_ext_parse(const void *xml, size_t len, struct bc_ext *ext)
{
	struct xml_doc *doc;
	const struct xml_node *root, *e;
	int r;

	memset(ext, 0, sizeof(*ext));
	r = bcx_parse(xml, len, &doc, &root);
	if (r < 0)
		return r;
	e = bcx_elem(root, "Extension");
	if (!e) {
		xml_free(doc);
		return -EBADMSG;
	}
	r = opt(bcx_get_u32(e, "binaryData", &ext->binary_data), ext, BC_EXT_BINARY);
	if (!r) r = opt(bcx_get_str(e, "userName", ext->user_name, sizeof(ext->user_name)), ext, BC_EXT_USER);
	if (!r) r = opt(bcx_get_str(e, "token", ext->token, sizeof(ext->token)), ext, BC_EXT_TOKEN);
	if (!r) r = opt(bcx_get_u32(e, "channelId", &ext->channel_id), ext, BC_EXT_CHANNEL);
	if (!r) r = opt(bcx_get_u32(e, "rfId", &ext->rf_id), ext, BC_EXT_RFID);
	if (!r) r = opt(bcx_get_u32(e, "encryptLen", &ext->encrypt_len), ext, BC_EXT_ENCLEN);
	if (!r) r = opt(bcx_get_i32(e, "checkPos", &ext->check_pos), ext, BC_EXT_CHECKPOS);
	if (!r) r = opt(bcx_get_i32(e, "checkValue", &ext->check_value), ext, BC_EXT_CHECKVAL);
	xml_free(doc);
	return r;
}

int bc_ext_build(struct sbuf *b, const struct bc_ext *ext)
{
	bcx_decl(b);
	bcx_open_v(b, "Extension");
	if (ext->has & BC_EXT_ENCLEN)
		bcx_leaf_ll(b, "encryptLen", ext->encrypt_len);
	if (ext->has & BC_EXT_BINARY)
		bcx_leaf_ll(b, "binaryData", ext->binary_data);
	if (ext->has & BC_EXT_USER)
		bcx_leaf(b, "userName", ext->user_name);
	if (ext->has & BC_EXT_TOKEN)
		bcx_leaf(b, "token", ext->token);
	if (ext->has & BC_EXT_CHANNEL)
		bcx_leaf_ll(b, "channelId", ext->channel_id);
	if (ext->has & BC_EXT_RFID)
		bcx_leaf_ll(b, "rfId", ext->rf_id);
	if (ext->has & BC_EXT_CHECKPOS)
		bcx_leaf_ll(b, "checkPos", ext->check_pos);
	if (ext->has & BC_EXT_CHECKVAL)
		bcx_leaf_ll(b, "checkValue", ext->check_value);
	return bcx_close(b, "Extension");
}

int bc_ext_build_binary(struct sbuf *b, unsigned v)
{
	struct bc_ext e = { .has = BC_EXT_BINARY, .binary_data = v };

	return bc_ext_build(b, &e);
}

int bc_ext_build_channel(struct sbuf *b, uint32_t channel_id)
{
	struct bc_ext e = { .has = BC_EXT_CHANNEL, .channel_id = channel_id };

	return bc_ext_build(b, &e);
}
