/* libFuzzer: the BC stream decoder.  Byte 0 picks the encryption mode, byte 1 the chunk
 * size; the rest is fed to a bc_reader.  Every decoded message is re-encoded (must not fail
 * for a decoded message), its bodies go through the XML parsers and binary payloads through
 * the BcMedia parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bc/bc_devinfo.h"
#include "bc/bc_event.h"
#include "bc/bc_info.h"
#include "bc/bc_login.h"
#include "bc/bc_preview.h"
#include "bc/bc_reader.h"
#include "bc/bcmedia.h"

static void bodies(const struct bc_msg *m, struct bcmedia_parser *mp)
{
	union {
		struct bc_device_info di;
		struct bc_login_req lr;
		struct bc_preview pv;
		struct bc_version_info vi;
		struct bc_battery bat;
		struct bc_alarm_list al;
		struct bc_legacy_login ll;
		char nonce[BC_NONCE_MAX];
	} u;
	struct bc_stream_info_list sl;
	struct bcmedia_pkt pk;

	if (m->payload_is_binary) {
		if (m->hdr.msg_class == BC_CLASS_LEGACY) {
			(void)bc_legacy_login_parse(m->payload, m->payload_len, &u.ll);
			return;
		}
		if (bcmedia_parser_feed(mp, m->payload, m->payload_len) < 0)
			bcmedia_parser_reset(mp);
		for (int i = 0; i < 64 && bcmedia_parser_next(mp, &pk) != 0; i++)
			;
		return;
	}
	switch (m->hdr.msg_id) {
	case BC_MSG_LOGIN:
		(void)bc_nonce_parse(m->payload, m->payload_len, u.nonce);
		(void)bc_login_xml_parse(m->payload, m->payload_len, &u.lr);
		(void)bc_device_info_parse(m->payload, m->payload_len, &u.di, &sl);
		break;
	case BC_MSG_VIDEO:
	case BC_MSG_VIDEO_STOP:
		(void)bc_preview_parse(m->payload, m->payload_len, &u.pv);
		break;
	case BC_MSG_VERSION:
		(void)bc_version_info_parse(m->payload, m->payload_len, &u.vi);
		break;
	case BC_MSG_BATTERY_LIST:
	case BC_MSG_BATTERY_INFO:
		(void)bc_battery_parse(m->payload, m->payload_len, &u.bat);
		break;
	case BC_MSG_MOTION:
		(void)bc_alarm_parse(m->payload, m->payload_len, &u.al);
		break;
	default:
		(void)bc_stream_info_list_parse(m->payload, m->payload_len, &sl);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned modes[] = { BC_ENC_NONE, BC_ENC_XOR, BC_ENC_AES, BC_ENC_FULL_AES };
	struct bc_reader r;
	struct bcmedia_parser mp;
	struct bc_msg m;
	struct sbuf out;
	size_t chunk, off = 2;

	if (size < 2)
		return 0;
	bc_reader_init(&r, 256 * 1024);
	bcmedia_parser_init(&mp, 256 * 1024);
	sbuf_init(&out, 0);
	bc_reader_set_crypto(&r, modes[data[0] & 3], "9E6D1FCB9E69846D", "123456");
	chunk = data[1] ? data[1] : size;
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		int rc;

		if (bc_reader_feed(&r, data + off, n) < 0)
			break;
		off += n;
		for (int guard = 0; guard < 100000 && (rc = bc_reader_next(&r, &m)) != 0; guard++) {
			if (rc < 0)
				continue;
			sbuf_reset(&out);
			/* a decoded message always re-encodes to its own length */
			if (bc_msg_encode(&m, &r.ctx.crypto, &out) != (int)m.wire_len)
				__builtin_trap();
			bodies(&m, &mp);
		}
	}
	sbuf_free(&out);
	bcmedia_parser_free(&mp);
	bc_reader_free(&r);
	return 0;
}
