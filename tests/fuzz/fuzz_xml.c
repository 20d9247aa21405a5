/* libFuzzer: the XML body parsers (over bc/xml.h) and, for what parses, build → parse
 * round trips (the builders escape, so the fields must come back unchanged). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bc/bc_devinfo.h"
#include "bc/bc_event.h"
#include "bc/bc_ext.h"
#include "bc/bc_info.h"
#include "bc/bc_login.h"
#include "bc/bc_preview.h"
#include "bc/bc_xmlw.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static struct bc_device_info di, di2;
static struct bc_stream_info_list sl, sl2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf b;
	struct bc_ext e, e2;
	struct bc_login_req lr;
	struct bc_preview pv;
	struct bc_version_info vi, vi2;
	struct bc_video_input vin;
	struct bc_battery bat, bat2;
	struct bc_alarm_list al, al2;
	char nonce[BC_NONCE_MAX], type[32];
	struct xml_doc *doc;
	const struct xml_node *root;

	sbuf_init(&b, 0);
	if (bcx_parse(data, size, &doc, &root) == 0) {
		(void)bcx_elem(root, "body");
		xml_free(doc);
	}
	if (bc_ext_parse(data, size, &e) == 0) {
		bc_ext_build(&b, &e);
		CHECK(bc_ext_parse(b.data, b.len, &e2) == 0);
		CHECK(!memcmp(&e, &e2, sizeof(e)));
		sbuf_reset(&b);
	}
	if (bc_nonce_parse(data, size, nonce) == 0) {
		char n2[BC_NONCE_MAX];
		bc_nonce_xml_build(&b, nonce);
		CHECK(bc_nonce_parse(b.data, b.len, n2) == 0 && !strcmp(nonce, n2));
		sbuf_reset(&b);
	}
	(void)bc_login_xml_parse(data, size, &lr);
	(void)bc_preview_parse(data, size, &pv);
	(void)bc_link_type_parse(data, size, type, sizeof(type));
	(void)bc_video_input_parse(data, size, &vin);
	if (bc_device_info_parse(data, size, &di, &sl) == 0) {
		bc_device_info_build(&b, &di, &sl);
		CHECK(bc_device_info_parse(b.data, b.len, &di2, &sl2) == 0);
		CHECK(!memcmp(&di, &di2, sizeof(di)));
		/* a list with zero streams is not written, so only compare non-empty ones */
		CHECK(!sl.n_streams || !memcmp(&sl, &sl2, sizeof(sl)));
		sbuf_reset(&b);
	}
	(void)bc_stream_info_list_parse(data, size, &sl);
	if (bc_version_info_parse(data, size, &vi) == 0) {
		bc_version_info_build(&b, &vi);
		CHECK(bc_version_info_parse(b.data, b.len, &vi2) == 0 && !memcmp(&vi, &vi2, sizeof(vi)));
		sbuf_reset(&b);
	}
	if (bc_battery_parse(data, size, &bat) == 0) {
		bc_battery_build(&b, &bat, 1);
		CHECK(bc_battery_parse(b.data, b.len, &bat2) == 0 && !memcmp(&bat, &bat2, sizeof(bat)));
		sbuf_reset(&b);
	}
	if (bc_alarm_parse(data, size, &al) == 0) {
		bc_alarm_build(&b, &al);
		CHECK(bc_alarm_parse(b.data, b.len, &al2) == 0 && !memcmp(&al, &al2, sizeof(al)));
	}
	sbuf_free(&b);
	return 0;
}
