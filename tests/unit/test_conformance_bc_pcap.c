/* Conformance: the two pcapng captures in ../shared/conformance/bc/, read with libpcap (TCP
 * payloads, no reassembly: they are partial captures, so only messages complete within one
 * segment are checked). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "bc/bc_crypto.h"
#include "bc/bc_devinfo.h"
#include "bc/bc_info.h"
#include "bc/bc_login.h"
#include "bc/bc_preview.h"
#include "bc/bc_reader.h"
#include "bc/bc_xmlw.h"
#include "bc/bcmedia.h"
#include "testutil.h"

typedef void (*seg_fn)(void *ud, unsigned sport, unsigned dport, const uint8_t *p, size_t n);

/* Calls fn for every TCP payload of an Ethernet/IPv4 capture; returns the packet count. */
static int pcap_each(const char *rel, seg_fn fn, void *ud)
{
	const char *path = tu_conformance_path(rel);
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *ph;
	const u_char *d;
	pcap_t *pc;
	int count = 0;

	if (!path) {
		print_message("SKIP: ../shared/conformance is absent; %s not checked\n", rel);
		skip();
	}
	pc = pcap_open_offline(path, errbuf);
	if (!pc)
		fail_msg("pcap_open_offline %s: %s", path, errbuf);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	while (pcap_next_ex(pc, &ph, &d) == 1) {
		size_t n = ph->caplen, ihl, thl, iplen;
		const uint8_t *ip, *tcp;

		if (n < 14 + 20 || d[12] != 0x08 || d[13] != 0x00)
			continue;
		ip = d + 14;
		ihl = (size_t)(ip[0] & 15) * 4;
		iplen = (size_t)ip[2] << 8 | ip[3];
		if (ip[9] != 6 || n < 14 + ihl + 20 || iplen > n - 14)
			continue;
		tcp = ip + ihl;
		thl = (size_t)(tcp[12] >> 4) * 4;
		if (iplen < ihl + thl)
			continue;
		count++;
		if (iplen > ihl + thl)
			fn(ud, (unsigned)tcp[0] << 8 | tcp[1], (unsigned)tcp[2] << 8 | tcp[3], tcp + thl,
			   iplen - ihl - thl);
	}
	pcap_close(pc);
	return count;
}

struct aes_cap {
	int nonce_seen, login_seen, aes_bodies, msg3_reply, msgs;
};

static void aes_seg(void *ud, unsigned sport, unsigned dport, const uint8_t *p, size_t n)
{
	static const uint8_t aes_prefix[8] = { 0xa6, 0x2f, 0x81, 0xc3, 0x54, 0x19, 0x2d, 0x68 };
	struct aes_cap *c = ud;
	struct bc_reader r;
	struct bc_msg m;
	int rc;

	if (n < 4 || rd_le32(p) != BC_MAGIC)
		return;                                   /* a continuation segment */
	/* No password: decode with no mode (XOR login traffic is sniffed), AES stays raw. */
	bc_reader_init(&r, 0);
	bc_reader_feed(&r, p, n);
	while ((rc = bc_reader_next(&r, &m)) != 0) {
		assert_true(rc > 0);
		c->msgs++;
		if (m.hdr.msg_class == BC_CLASS_NONCE) {
			char nonce[BC_NONCE_MAX];
			assert_int_equal(sport, 9000);
			assert_int_equal(m.hdr.response_code, 0xdd02);
			assert_int_equal(bc_nonce_parse(m.payload, m.payload_len, nonce), 0);
			assert_string_equal(nonce, "AB5B32EC757765C2");
			c->nonce_seen++;
		} else if (m.hdr.msg_id == 1 && m.hdr.msg_class == BC_CLASS_MODERN) {
			struct bc_login_req req;
			struct sbuf b;
			assert_int_equal(dport, 9000);
			assert_int_equal(m.cipher, BC_CIPHER_XOR);
			assert_int_equal(bc_login_xml_parse(m.payload, m.payload_len, &req), 0);
			assert_string_equal(req.user_hash, "0DFB4D21F2A282128100524E2C4792B");
			assert_string_equal(req.pass_hash, "EC1AF34630047FEB2C5B9D2C5402A8D");
			/* the official client's formatting = our builder's */
			sbuf_init(&b, 0);
			bc_login_xml_build_hashed(&b, req.user_hash, req.pass_hash);
			assert_int_equal(b.len, m.payload_len);
			assert_memory_equal(b.data, m.payload, b.len);
			sbuf_free(&b);
			c->login_seen++;
		} else if (m.hdr.body_len) {
			/* every AES unit restarts from the IV: identical first bytes */
			const uint8_t *first = m.ext_len ? m.ext : m.payload;
			assert_true(m.ext_len ? m.ext_len >= 8 : m.payload_len >= 8);
			assert_memory_equal(first, aes_prefix, 8);
			assert_int_equal(m.cipher, BC_CIPHER_NONE);
			c->aes_bodies++;
			if (m.hdr.msg_id == 3 && m.hdr.msg_class == BC_CLASS_REPLY) {
				struct bcmedia_pkt pk;
				/* AES extension, plaintext binary InfoV2 */
				assert_int_equal(m.hdr.payload_offset, 106);
				assert_int_equal(m.payload_len, 32);
				assert_int_equal(bcmedia_parse(m.payload, 32, BCMEDIA_MAX_FRAME_DEFAULT, &pk, NULL), 32);
				assert_int_equal(pk.kind, BCMEDIA_INFO_V2);
				assert_int_equal(pk.info.width, 2304);
				assert_int_equal(pk.info.height, 1296);
				assert_int_equal(pk.info.fps, 15);
				assert_int_equal(pk.info.start.year + 1900, 2021);
				assert_int_equal(pk.info.start.month, 4);
				assert_int_equal(pk.info.start.day, 15);
				c->msg3_reply++;
			}
		}
	}
	bc_reader_free(&r);
}

static void test_pcap_aes_login(void **state)
{
	struct aes_cap c = { 0 };

	(void)state;
	assert_int_equal(pcap_each("bc/EncryptionProtocol02_login.pcapng", aes_seg, &c), 25);
	assert_int_equal(c.nonce_seen, 1);
	assert_int_equal(c.login_seen, 1);
	assert_int_equal(c.aes_bodies, 15);     /* INDEX: all 15 encrypted bodies */
	assert_int_equal(c.msg3_reply, 1);
}

struct fw_cap {
	int info_seen, replies;
};

static void fw_seg(void *ud, unsigned sport, unsigned dport, const uint8_t *p, size_t n)
{
	struct fw_cap *c = ud;
	struct bc_reader r;
	struct bc_msg m;

	if (n < 4 || rd_le32(p) != BC_MAGIC)
		return;
	bc_reader_init(&r, 0);
	bc_reader_set_crypto(&r, BC_ENC_XOR, NULL, NULL);
	bc_reader_feed(&r, p, n);
	while (bc_reader_next(&r, &m) == 1) {
		assert_int_equal(m.hdr.msg_id, 67);
		if (dport == 9000) {
			struct xml_doc *doc;
			const struct xml_node *root, *ci;
			char name[128];
			uint32_t size;
			assert_int_equal(m.hdr.msg_class, 0x6414);
			assert_int_equal(bcx_parse(m.payload, m.payload_len, &doc, &root), 0);
			ci = bcx_elem(root, "ConfigFileInfo");
			assert_int_equal(bcx_get_str(ci, "fileName", name, sizeof(name)), 0);
			assert_string_equal(name, "IPC_517SD5.115_20102200.E1.GC4623.3MP.WIFI8188FTV.PT.REOLINK.pak");
			assert_int_equal(bcx_get_u32(ci, "fileSize", &size), 0);
			assert_int_equal(size, 9491791);
			assert_int_equal(bcx_get_u32(ci, "updateParameter", &size), 0);
			assert_int_equal(size, 0);
			xml_free(doc);
			c->info_seen++;
		} else {
			assert_int_equal(m.hdr.response_code, 200);
			assert_int_equal(m.hdr.body_len, 0);
			assert_int_equal(m.hdr.msg_class, 0x0000);
			c->replies++;
		}
	}
	bc_reader_free(&r);
}

static void test_pcap_fw_upgrade(void **state)
{
	struct fw_cap c = { 0 };

	(void)state;
	assert_int_equal(pcap_each("bc/e1_firmwareupgrade.pcapng", fw_seg, &c), 504);
	assert_int_equal(c.info_seen, 1);
	assert_int_equal(c.replies, 252);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_aes_login),
		cmocka_unit_test(test_pcap_fw_upgrade),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
