#include "bc/bc_login.h"

#include <errno.h>
#include <string.h>

#include "bc/bc_xmlw.h"

static int enc_rank(unsigned xx)
{
	switch (xx) {
	case BC_ENC_NONE: return 0;
	case BC_ENC_XOR: return 1;
	case BC_ENC_AES: case BC_ENC_AES3: return 2;
	case BC_ENC_FULL_AES: return 3;
	default: return 1;
	}
}

unsigned bc_enc_offer(uint16_t rc)
{
	return BC_RC_IS_OFFER(rc) ? (rc & 0xffu) : BC_ENC_NONE;
}

unsigned bc_enc_negotiate(unsigned offer, unsigned camera_max)
{
	static const unsigned by_rank[] = { BC_ENC_NONE, BC_ENC_XOR, BC_ENC_AES, BC_ENC_FULL_AES };
	int a = enc_rank(offer), b = enc_rank(camera_max);

	return by_rank[a < b ? a : b];
}

void bc_legacy_login_body(uint8_t out[BC_LEGACY_LOGIN_LEN], const char *user, const char *pass)
{
	char h[BC_MD5_LOGIN_LEN + 1];

	memset(out, 0, BC_LEGACY_LOGIN_LEN);
	bc_md5_login(user ? user : "", NULL, h);
	memcpy(out, h, BC_MD5_LOGIN_LEN);
	if (pass && *pass) {
		bc_md5_login(pass, NULL, h);
		memcpy(out + BC_LEGACY_FIELD_LEN, h, BC_MD5_LOGIN_LEN);
	}
}

static int field(const uint8_t *p, char out[BC_LEGACY_FIELD_LEN])
{
	const uint8_t *nul = memchr(p, 0, BC_LEGACY_FIELD_LEN);

	if (!nul)
		return -EBADMSG;
	memcpy(out, p, (size_t)(nul - p) + 1);
	return 0;
}

int bc_legacy_login_parse(const uint8_t *body, size_t len, struct bc_legacy_login *out)
{
	memset(out, 0, sizeof(*out));
	if (len != BC_LEGACY_LOGIN_LEN)
		return -EBADMSG;
	if (field(body, out->user_md5) < 0 || field(body + BC_LEGACY_FIELD_LEN, out->pass_md5) < 0)
		return -EBADMSG;
	return 0;
}

void bc_msg_legacy_login(struct bc_msg *m, unsigned max_enc, uint16_t msg_num, uint8_t channel_id,
			 const uint8_t *body)
{
	memset(m, 0, sizeof(*m));
	m->hdr.magic = BC_MAGIC;
	m->hdr.msg_id = BC_MSG_LOGIN;
	m->hdr.msg_num = msg_num;
	m->hdr.channel_id = channel_id;
	m->hdr.response_code = BC_RC_OFFER(max_enc);
	m->hdr.msg_class = BC_CLASS_LEGACY;
	m->payload = body;
	m->payload_len = body ? BC_LEGACY_LOGIN_LEN : 0;
	m->payload_is_binary = true;
}

int bc_nonce_xml_build(struct sbuf *b, const char *nonce)
{
	bcx_begin(b);
	bcx_open_v(b, "Encryption");
	bcx_leaf(b, "type", "md5");
	bcx_leaf(b, "nonce", nonce);
	bcx_close(b, "Encryption");
	return bcx_end(b);
}

int bc_nonce_parse(const void *xml, size_t len, char nonce[BC_NONCE_MAX])
{
	struct xml_doc *doc;
	const struct xml_node *root;
	int r;

	nonce[0] = 0;
	r = bcx_parse(xml, len, &doc, &root);
	if (r < 0)
		return r;
	r = bcx_get_str(bcx_elem(root, "Encryption"), "nonce", nonce, BC_NONCE_MAX);
	xml_free(doc);
	if (r == 0 && !nonce[0])
		r = -EBADMSG;
	return r == -ENOENT ? -EBADMSG : r;
}

void bc_msg_nonce_reply(struct bc_msg *m, const struct bc_header *login, unsigned enc,
			const uint8_t *xml, size_t len)
{
	bc_msg_reply(m, login, BC_RC_CHOICE(enc));
	m->hdr.msg_class = BC_CLASS_NONCE;
	m->payload = xml;
	m->payload_len = len;
}

int bc_login_xml_build_hashed(struct sbuf *b, const char *user_hash, const char *pass_hash)
{
	bcx_begin(b);
	bcx_open_v(b, "LoginUser");
	bcx_leaf(b, "userName", user_hash);
	bcx_leaf(b, "password", pass_hash);
	bcx_leaf_ll(b, "userVer", 1);
	bcx_close(b, "LoginUser");
	bcx_open_v(b, "LoginNet");
	bcx_leaf(b, "type", "LAN");
	bcx_leaf_ll(b, "udpPort", 0);
	bcx_close(b, "LoginNet");
	return bcx_end(b);
}

int bc_login_xml_build(struct sbuf *b, const char *user, const char *pass, const char *nonce)
{
	char uh[BC_MD5_LOGIN_LEN + 1], ph[BC_MD5_LOGIN_LEN + 1];

	bc_md5_login(user ? user : "", nonce, uh);
	bc_md5_login(pass ? pass : "", nonce, ph);
	return bc_login_xml_build_hashed(b, uh, ph);
}

int bc_login_xml_parse(const void *xml, size_t len, struct bc_login_req *req)
{
	struct xml_doc *doc;
	const struct xml_node *root, *u, *n;
	int r;

	memset(req, 0, sizeof(*req));
	r = bcx_parse(xml, len, &doc, &root);
	if (r < 0)
		return r;
	u = bcx_elem(root, "LoginUser");
	r = bcx_get_str(u, "userName", req->user_hash, sizeof(req->user_hash));
	if (!r)
		r = bcx_get_str(u, "password", req->pass_hash, sizeof(req->pass_hash));
	if (!r) {
		(void)bcx_get_u32(u, "userVer", &req->user_ver);
		n = bcx_elem(root, "LoginNet");
		(void)bcx_get_str(n, "type", req->net_type, sizeof(req->net_type));
		(void)bcx_get_u32(n, "udpPort", &req->udp_port);
	}
	xml_free(doc);
	return r == -ENOENT ? -EBADMSG : r;
}

bool bc_login_check(const struct bc_login_req *req, const char *user, const char *pass,
		    const char *nonce)
{
	char uh[BC_MD5_LOGIN_LEN + 1], ph[BC_MD5_LOGIN_LEN + 1];

	bc_md5_login(user ? user : "", nonce, uh);
	bc_md5_login(pass ? pass : "", nonce, ph);
	/* Both compared fully (no early exit on the user name). */
	return (strcmp(uh, req->user_hash) == 0) & (strcmp(ph, req->pass_hash) == 0);
}

void bc_msg_login(struct bc_msg *m, uint16_t msg_num, uint8_t channel_id, const uint8_t *xml,
		  size_t len)
{
	bc_msg_request(m, BC_MSG_LOGIN, msg_num, channel_id);
	m->payload = xml;
	m->payload_len = len;
}

int bc_logout_xml_build(struct sbuf *b, const char *user, const char *pass)
{
	return bc_login_xml_build_hashed(b, user ? user : "", pass ? pass : "");
}
