/* Helpers for the bcconn tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tu_bcconn.h"

uint32_t tu_rnd(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

struct bcconn *tu_bcconn_new(enum bcconn_role role, void (*tweak)(struct bcconn_cfg *))
{
	struct bcconn_cfg cfg;
	struct bcconn *c;

	if (role == BCCONN_CLIENT)
		bcconn_cfg_defaults(&cfg, role, CID, DID);
	else
		bcconn_cfg_defaults(&cfg, role, DID, CID);
	cfg.tid = 42;
	if (tweak)
		tweak(&cfg);
	assert_int_equal(bcconn_new(&cfg, 0, &c), 0);
	return c;
}

int tu_bcudp_classify(const uint8_t *b, size_t n, struct bcudp_pkt *p, struct bcudp_msg *m)
{
	struct bcudp_pkt tmp;
	struct bcudp_msg mt;

	if (!p)
		p = &tmp;
	if (!m)
		m = &mt;
	assert_int_equal(bcudp_parse(b, n, p, NULL), (int)n);
	if (p->type == BCUDP_DISC) {
		assert_true(p->crc_ok);
		assert_int_equal(bcudp_msg_decode(p, m, NULL), 0);
		return 100 + (int)m->kind;
	}
	return (int)p->type;
}
