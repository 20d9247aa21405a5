/* Helpers for the bcconn tests (test_bcconn.c, test_bcconn_lossy.c). */
#ifndef CB_TU_BCCONN_H
#define CB_TU_BCCONN_H

#include <stddef.h>
#include <stdint.h>

#include "bc/bcudp_pkt.h"
#include "bc/bcudp_xml.h"
#include "net/bcconn.h"

#define MS 1000ull
#define CID 82000
#define DID 80

/* xorshift32: a seeded, repeatable sequence. */
uint32_t tu_rnd(uint32_t *s);
/* A connection in role, CID/DID as a client or camera would have them, tid 42; tweak may
 * change the settings first.  Fails the test when bcconn_new does. */
struct bcconn *tu_bcconn_new(enum bcconn_role role, void (*tweak)(struct bcconn_cfg *));
/* What a datagram is: BCUDP_DATA / BCUDP_ACK, or the discovery kind + 100.  p, m may be NULL. */
int tu_bcudp_classify(const uint8_t *b, size_t n, struct bcudp_pkt *p, struct bcudp_msg *m);

#endif
