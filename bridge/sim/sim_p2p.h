/* cam-sim's part of the P2P "dev" path (BAICHUAN.md §8.4): a client that got our address from
 * a register server sends C2D_T{sid, conn local, cid, mtu} to the discovery port; we open a
 * session exactly as for a C2D_C and answer D2C_CFM{sid, conn, rsp, cid, did, time_r 0} from
 * the session socket (like the real capture udp_multi_1/2).  C2D_T carries no UID: the
 * register server has already matched it, so any sid is accepted. */
#ifndef CB_SIM_P2P_H
#define CB_SIM_P2P_H

#include <stddef.h>
#include <stdint.h>

#include "bc/bcudp_xml.h"

/* 1 when m opens a session the way a C2D_C does: a complete C2D_T with conn "local". */
int sim_p2p_is_open_request(const struct bcudp_msg *m);
/* The answer to a session-opening request as a whole datagram (tid echoed): D2C_C_R for a
 * C2D_C (req NULL or a C2D_C), D2C_CFM for a C2D_T.  Length or negative errno. */
int sim_p2p_open_reply(uint8_t *out, size_t cap, const struct bcudp_msg *req, uint32_t tid,
		       int32_t cid, int32_t did, int32_t rsp);

#endif
