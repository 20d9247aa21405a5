#include "sim/sim_p2p.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim/sim_msgs.h"

#define NEED_T (BCUDP_HAS(BCUDP_F_SID) | BCUDP_HAS(BCUDP_F_CONN) | BCUDP_HAS(BCUDP_F_CID))

int sim_p2p_is_open_request(const struct bcudp_msg *m)
{
	/* conn=relay is the relay server's business, map needs a NAT we do not model */
	return m->kind == BCUDP_K_C2D_T && (m->has & NEED_T) == NEED_T &&
	       !strcmp(m->conn, "local");
}

int sim_p2p_open_reply(uint8_t *out, size_t cap, const struct bcudp_msg *req, uint32_t tid,
		       int32_t cid, int32_t did, int32_t rsp)
{
	struct bcudp_msg m;

	if (!req || req->kind != BCUDP_K_C2D_T)
		return sim_disc_reply(out, cap, tid, cid, did, rsp);
	bcudp_msg_init(&m, BCUDP_K_D2C_CFM);
	m.has = BCUDP_HAS(BCUDP_F_SID) | BCUDP_HAS(BCUDP_F_CONN) | BCUDP_HAS(BCUDP_F_RSP) |
		BCUDP_HAS(BCUDP_F_CID) | BCUDP_HAS(BCUDP_F_DID) | BCUDP_HAS(BCUDP_F_TIME_R);
	m.sid = req->sid;
	snprintf(m.conn, sizeof(m.conn), "%s", req->conn);
	m.rsp = rsp;
	m.cid = cid;
	m.did = did;
	m.time_r = 0;
	return bcudp_msg_encode(&m, BCUDP_XML_CAMERA, tid, out, cap);
}
