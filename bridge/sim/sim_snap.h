/* cam-sim's answer to msg 109: a JPEG of the picture the camera shows now (the live test
 * pattern at the main stream's size with the marker of the newest frame counter), made with
 * libturbojpeg, and the msg-109 messages that carry it (BAICHUAN.md: the reply on the
 * request's msg_num, then binary chunks on a msg_num of the camera's, the last one rc 201). */
#ifndef CB_SIM_SNAP_H
#define CB_SIM_SNAP_H

#include <stddef.h>
#include <stdint.h>

#include "bc/bc_crypto.h"
#include "bc/bc_header.h"
#include "sim/sim_cfg.h"
#include "util/sbuf.h"

#define SIM_SNAP_QUALITY 90

/* Appends the JPEG to out.  0 or a negative errno. */
int sim_snap_jpeg(const struct sim_cfg *cfg, uint32_t counter, struct sbuf *out);
/* Appends the chunk messages of jpeg (chunk bytes each) on msg_num `num` to wire: binary, the
 * first with an Extension binaryData=1 (encrypted per c), rc 200, the last rc 201.  Returns the
 * number of messages. */
int sim_snap_msgs(struct sbuf *wire, const struct bc_crypto *c, uint16_t num, uint8_t channel,
		  const uint8_t *jpeg, size_t len, size_t chunk);

#endif
