/* What the simulated camera sends, as pure builders over buffers (no sockets, no clocks):
 * the byte-level tests build these and compare them with the real captures. */
#ifndef CB_SIM_MSGS_H
#define CB_SIM_MSGS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bc/bc_crypto.h"
#include "bc/bc_devinfo.h"
#include "bc/bc_event.h"
#include "bc/bc_header.h"
#include "bc/bcudp_xml.h"
#include "sim/sim_cfg.h"
#include "util/sbuf.h"

/* Argus 2 nonce: "0-" + 20 characters of [A-Za-z0-9] (battery_enc.bin: 0-AhnEZyUg6eKrJFIWgXPF). */
#define SIM_NONCE_RND   20
#define SIM_NONCE_LEN   (2 + SIM_NONCE_RND)

/* BC media payload per message: the Argus 2 over UDP used 1010 bytes (argus2_pframe_*),
 * TCP cameras 40000 (video_stream_swan_*). */
#define SIM_CHUNK_UDP   1010
#define SIM_CHUNK_TCP   40000

/* D2C_C_R timers (ms) as real cameras send them. */
#define SIM_TIMER_DEF   3000
#define SIM_TIMER_HB    10000
#define SIM_TIMER_HBT   60000

/* Nonce from 20 random bytes. */
void sim_nonce_make(const uint8_t rnd[SIM_NONCE_RND], char out[SIM_NONCE_LEN + 1]);
/* Same with getrandom(): 0 or -errno. */
int sim_nonce_random(char out[SIM_NONCE_LEN + 1]);

/* ---- BC messages: each appends one complete wire message to out ---------------------- */
/* The Argus 2's Encryption XML (4-space indentation, as in battery_enc.bin). */
int sim_nonce_xml(struct sbuf *b, const char *nonce);
/* Nonce reply to a legacy login / upgrade: class 0x6614, rc 0xdd<enc>, XOR unless enc == 0,
 * msg_num and byte 12 echoed. */
int sim_msg_nonce_reply(struct sbuf *out, const struct bc_header *login, unsigned enc,
			const char *nonce);
/* Header-only reply (class 0x0000, payload_offset 0): 24 bytes.  Wrong login = rc 400. */
int sim_msg_status(struct sbuf *out, const struct bc_header *req, uint16_t rc);
/* Reply / event with an XML payload (and optional extension), encrypted per c. */
int sim_msg_xml(struct sbuf *out, const struct bc_crypto *c, const struct bc_header *hdr,
		const struct sbuf *ext, const struct sbuf *xml);
/* Camera-initiated header: class 0x0000, rc 200 (keep-alive 234, events). */
void sim_event_header(struct bc_header *h, uint32_t msg_id, uint16_t msg_num, uint8_t channel);

/* ---- XML bodies ----------------------------------------------------------------------- */
void sim_stream_list(const struct sim_cfg *cfg, struct bc_stream_info_list *sl);
int sim_xml_login_ok(struct sbuf *b, const struct sim_cfg *cfg);      /* DeviceInfo + list */
int sim_xml_stream_list(struct sbuf *b, const struct sim_cfg *cfg);   /* msg 146 */
int sim_xml_ability(struct sbuf *b, const char *user);                /* msg 151 */
int sim_xml_version(struct sbuf *b, const struct sim_cfg *cfg);       /* msg 80 */
int sim_xml_general(struct sbuf *b, time_t now);                      /* msg 104 */
int sim_xml_uid(struct sbuf *b, const char *uid);                     /* msg 114 */
int sim_xml_video_input(struct sbuf *b);                              /* msg 78 */
/* msg 252 (list = 1) / 253 (list = 0). */
void sim_battery_fill(struct bc_battery *bat, int percent, int charging);
int sim_xml_battery(struct sbuf *b, int percent, int charging, int list);
/* msg 33: an alarm (status MD, AItype ai: "none" for plain motion, "people", …) or, with
 * ai NULL, its end (status none, AItype none). */
int sim_xml_alarm(struct sbuf *b, const char *ai);

/* ---- media ---------------------------------------------------------------------------- */
/* InfoV2 (32 bytes): size, fps, camera-local start/end time. */
int sim_media_info(struct sbuf *b, int width, int height, int fps, time_t now);
/* An I-frame (additional header 16: time, 33 01 c3 00, 02 00 00 07, 0 — Argus 2) or P-frame
 * (additional header 8: 02 00 00 07, 0) with padding to 8. */
int sim_media_frame(struct sbuf *b, int h265, int keyframe, uint32_t microseconds,
		    uint32_t posix_time, const uint8_t *data, size_t len);
/* AAC packet "05wb" (ADTS data). */
int sim_media_aac(struct sbuf *b, const uint8_t *adts, size_t len);
/* Cuts one media packet into msg-3 BC messages of at most `chunk` payload bytes: header =
 * tmpl (msg_id, msg_num, channel, stream_type echoed from the start request), class 0x0000,
 * rc 200, payload_offset 0.  remainder_first: the odd-sized piece comes first, then full
 * chunks — what every TCP capture shows (Swann 32920+4x40000, Argus 2 36104+4x40000); else
 * full chunks then the rest (UDP, 1010).  Returns the number of messages appended. */
int sim_media_msgs(struct sbuf *wire, const struct bc_header *tmpl, const uint8_t *media,
		   size_t len, size_t chunk, int remainder_first);

/* ---- discovery ------------------------------------------------------------------------ */
/* D2C_C_R {timer, rsp, cid, did} as a whole datagram (camera XML style, tid echoed). */
int sim_disc_reply(uint8_t *out, size_t cap, uint32_t tid, int32_t cid, int32_t did, int32_t rsp);

#endif
