#include "sim/sim_msgs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "bc/bc_devinfo.h"
#include "bc/bc_ext.h"
#include "bc/bc_info.h"
#include "bc/bc_login.h"
#include "bc/bc_msg.h"
#include "bc/bc_xmlw.h"
#include "bc/bcmedia.h"
#include "bc/bcudp_pkt.h"

void sim_nonce_make(const uint8_t rnd[SIM_NONCE_RND], char out[SIM_NONCE_LEN + 1])
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	out[0] = '0';
	out[1] = '-';
	for (int i = 0; i < SIM_NONCE_RND; i++)
		out[2 + i] = al[rnd[i] % (sizeof(al) - 1)];
	out[SIM_NONCE_LEN] = 0;
}

int sim_nonce_random(char out[SIM_NONCE_LEN + 1])
{
	uint8_t rnd[SIM_NONCE_RND];
	ssize_t n = getrandom(rnd, sizeof(rnd), 0);

	if (n != (ssize_t)sizeof(rnd))
		return n < 0 ? -errno : -EIO;
	sim_nonce_make(rnd, out);
	return 0;
}

/* ---- BC messages ---------------------------------------------------------------------- */

int sim_nonce_xml(struct sbuf *b, const char *nonce)
{
	bcx_begin(b);
	sbuf_printf(b, "    <Encryption version=\"1.1\">\n");
	sbuf_printf(b, "        <type>md5</type>\n");
	/* our nonces are [A-Za-z0-9-]: nothing to escape */
	sbuf_printf(b, "        <nonce>%s</nonce>\n", nonce);
	sbuf_printf(b, "    </Encryption>\n");
	return bcx_end(b);
}

int sim_msg_nonce_reply(struct sbuf *out, const struct bc_header *login, unsigned enc,
			const char *nonce)
{
	struct bc_msg m;
	struct sbuf x;
	int r;

	sbuf_init(&x, 4096);
	r = sim_nonce_xml(&x, nonce);
	if (r >= 0) {
		bc_msg_nonce_reply(&m, login, enc, x.data, x.len);
		r = bc_msg_encode(&m, NULL, out);
	}
	sbuf_free(&x);
	return r;
}

int sim_msg_status(struct sbuf *out, const struct bc_header *req, uint16_t rc)
{
	struct bc_msg m;

	bc_msg_reply(&m, req, rc);
	return bc_msg_encode(&m, NULL, out);
}

int sim_msg_xml(struct sbuf *out, const struct bc_crypto *c, const struct bc_header *hdr,
		const struct sbuf *ext, const struct sbuf *xml)
{
	struct bc_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr = *hdr;
	if (ext && ext->len) {
		m.ext = ext->data;
		m.ext_len = ext->len;
	}
	if (xml && xml->len) {
		m.payload = xml->data;
		m.payload_len = xml->len;
	}
	return bc_msg_encode(&m, c, out);
}

void sim_event_header(struct bc_header *h, uint32_t msg_id, uint16_t msg_num, uint8_t channel)
{
	memset(h, 0, sizeof(*h));
	h->magic = BC_MAGIC;
	h->msg_id = msg_id;
	h->msg_num = msg_num;
	h->channel_id = channel;
	h->response_code = BC_RC_OK;
	h->msg_class = BC_CLASS_REPLY;
}

/* ---- XML bodies ----------------------------------------------------------------------- */

static void table(struct bc_encode_table *t, const char *type, const struct sim_stream_cfg *s,
		  uint32_t bitrate, const char *fr, const char *br)
{
	snprintf(t->type, sizeof(t->type), "%s", type);
	t->width = (uint32_t)s->width;
	t->height = (uint32_t)s->height;
	t->default_framerate = (uint32_t)s->fps;
	t->default_bitrate = bitrate;
	snprintf(t->framerate_table, sizeof(t->framerate_table), "%s", fr);
	snprintf(t->bitrate_table, sizeof(t->bitrate_table), "%s", br);
}

void sim_stream_list(const struct sim_cfg *cfg, struct bc_stream_info_list *sl)
{
	memset(sl, 0, sizeof(*sl));
	sl->n_streams = 1;
	sl->stream[0].channel_bits = 1;
	sl->stream[0].n_tables = 2;
	table(&sl->stream[0].table[0], "mainStream", &cfg->stream[SIM_MAIN], 1024,
	      "15,12,10,8,6,4,2", "512,768,1024,1280,1536");
	table(&sl->stream[0].table[1], "subStream", &cfg->stream[SIM_SUB], 160,
	      "15,10,7,4", "64,128,160,192,256");
}

int sim_xml_login_ok(struct sbuf *b, const struct sim_cfg *cfg)
{
	struct bc_device_info di;
	struct bc_stream_info_list sl;

	memset(&di, 0, sizeof(di));
	snprintf(di.firm_version, sizeof(di.firm_version), "00000000000000");
	snprintf(di.type, sizeof(di.type), "ipc");
	di.channel_num = 1;
	di.audio_num = 1;
	di.analog_chn_num = 1;
	snprintf(di.resolution_name, sizeof(di.resolution_name), "%d*%d",
		 cfg->stream[SIM_MAIN].width, cfg->stream[SIM_MAIN].height);
	di.width = (uint32_t)cfg->stream[SIM_MAIN].width;
	di.height = (uint32_t)cfg->stream[SIM_MAIN].height;
	snprintf(di.language, sizeof(di.language), "English");
	di.sd_card = 1;
	snprintf(di.ptz_mode, sizeof(di.ptz_mode), "none");
	snprintf(di.type_info, sizeof(di.type_info), "IPC");
	di.soft_ver = 33554880;
	snprintf(di.norm, sizeof(di.norm), "NTSC");
	snprintf(di.osd_format, sizeof(di.osd_format), "YMD");
	di.user_ver = 1;
	sim_stream_list(cfg, &sl);
	return bc_device_info_build(b, &di, &sl);
}

int sim_xml_stream_list(struct sbuf *b, const struct sim_cfg *cfg)
{
	struct bc_stream_info_list sl;

	sim_stream_list(cfg, &sl);
	return bc_stream_info_list_build(b, &sl);
}

static void ability_token(struct sbuf *b, const char *name, int channel, const char *values)
{
	bcx_open(b, name);
	bcx_open(b, "subModule");
	if (channel >= 0)
		bcx_leaf_ll(b, "channelId", channel);
	bcx_leaf(b, "abilityValue", values);
	bcx_close(b, "subModule");
	bcx_close(b, name);
}

int sim_xml_ability(struct sbuf *b, const char *user)
{
	bcx_begin(b);
	bcx_open_v(b, "AbilityInfo");
	bcx_leaf(b, "userName", user);
	ability_token(b, "system", -1,
		      "general_rw, norm_rw, version_ro, uid_ro, autoReboot_rw, restore_rw, "
		      "reboot_rw, shutdown_rw, dst_rw, log_ro, performance_ro, upgrade_rw, "
		      "exportCfg_rw, importCfg_rw, battery_ro");
	ability_token(b, "network", -1, "port_rw, wifi_rw, pushInfo_rw, p2p_rw, upnp_rw");
	ability_token(b, "alarm", 0, "motion_rw, rfAlarm_rw, AI_rw");
	ability_token(b, "image", 0, "ispBasic_rw, ispAdvance_rw, ledState_rw");
	ability_token(b, "video", 0, "osd_rw, mask_rw, image_rw, videoClip_rw");
	ability_token(b, "security", -1, "user_rw, online_rw");
	ability_token(b, "replay", 0, "replay_ro, download_ro");
	ability_token(b, "streaming", 0, "preview_rw, realtime_rw, streamTable_ro");
	bcx_close(b, "AbilityInfo");
	return bcx_end(b);
}

int sim_xml_version(struct sbuf *b, const struct sim_cfg *cfg)
{
	struct bc_version_info v;

	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "Argus 2 (cam-sim)");
	snprintf(v.type, sizeof(v.type), "BATTERY_CAMERA");
	snprintf(v.serial_number, sizeof(v.serial_number), "%.32s", cfg->uid);
	snprintf(v.build_day, sizeof(v.build_day), "build 21041601");
	snprintf(v.hardware_version, sizeof(v.hardware_version), "IPC_3816M");
	snprintf(v.cfg_version, sizeof(v.cfg_version), "v2.0.0.0");
	snprintf(v.firmware_version, sizeof(v.firmware_version), "v3.0.0.136_21041601");
	snprintf(v.detail, sizeof(v.detail), "IPC_3816M110000000000000");
	return bc_version_info_build(b, &v);
}

int sim_xml_general(struct sbuf *b, time_t now)
{
	struct tm tm;

	gmtime_r(&now, &tm);
	bcx_begin(b);
	bcx_open_v(b, "SystemGeneral");
	bcx_leaf_ll(b, "timeZone", 0);      /* negative UTC offset in seconds: the sim runs UTC */
	bcx_leaf_ll(b, "year", tm.tm_year + 1900);
	bcx_leaf_ll(b, "month", tm.tm_mon + 1);
	bcx_leaf_ll(b, "day", tm.tm_mday);
	bcx_leaf_ll(b, "hour", tm.tm_hour);
	bcx_leaf_ll(b, "minute", tm.tm_min);
	bcx_leaf_ll(b, "second", tm.tm_sec);
	bcx_leaf(b, "osdFormat", "YMD");
	bcx_leaf_ll(b, "timeFormat", 0);
	bcx_leaf(b, "language", "English");
	bcx_leaf(b, "deviceName", "Argus 2");
	bcx_close(b, "SystemGeneral");
	bcx_open_v(b, "Norm");
	bcx_leaf(b, "norm", "NTSC");
	bcx_close(b, "Norm");
	return bcx_end(b);
}

int sim_xml_uid(struct sbuf *b, const char *uid)
{
	bcx_begin(b);
	bcx_open_v(b, "Uid");
	bcx_leaf(b, "uid", uid);
	bcx_close(b, "Uid");
	return bcx_end(b);
}

int sim_xml_video_input(struct sbuf *b)
{
	struct bc_video_input v = { 0, 128, 128, 128, 128, 128 };

	return bc_video_input_build(b, &v);
}

void sim_battery_fill(struct bc_battery *bat, int percent, int charging)
{
	memset(bat, 0, sizeof(*bat));
	snprintf(bat->charge_status, sizeof(bat->charge_status), "%s",
		 charging ? (percent >= 100 ? "chargeComplete" : "charging") : "none");
	snprintf(bat->adapter_status, sizeof(bat->adapter_status), "%s",
		 charging ? "solarPanel" : "none");
	bat->voltage = 3400 + percent * 8;      /* a plausible Li-ion curve, 3.4–4.2 V */
	bat->current = charging ? 480 : -396;
	bat->temperature = 21;
	bat->battery_percent = (uint32_t)percent;
	bat->low_power = percent < 10;
	bat->battery_version = 2;
}

int sim_xml_battery(struct sbuf *b, int percent, int charging, int list)
{
	struct bc_battery bat;

	sim_battery_fill(&bat, percent, charging);
	return bc_battery_build(b, &bat, list);
}

int sim_xml_alarm(struct sbuf *b, const char *ai)
{
	struct bc_alarm_list l;

	/* BAICHUAN.md's layout: channelId, status, AItype, recording 0, timeStamp 0 */
	memset(&l, 0, sizeof(l));
	l.n = 1;
	snprintf(l.ev[0].status, sizeof(l.ev[0].status), "%s", ai ? "MD" : "none");
	snprintf(l.ev[0].ai_type, sizeof(l.ev[0].ai_type), "%s", ai ? ai : "none");
	return bc_alarm_build(b, &l);
}

/* ---- media ---------------------------------------------------------------------------- */

static void local_time(time_t now, struct bcmedia_time *t)
{
	struct tm tm;

	localtime_r(&now, &tm);
	t->year = (uint8_t)(tm.tm_year & 0xff);
	t->month = (uint8_t)(tm.tm_mon + 1);
	t->day = (uint8_t)tm.tm_mday;
	t->hour = (uint8_t)tm.tm_hour;
	t->minute = (uint8_t)tm.tm_min;
	t->second = (uint8_t)tm.tm_sec;
}

int sim_media_info(struct sbuf *b, int width, int height, int fps, time_t now)
{
	struct bcmedia_pkt p;

	memset(&p, 0, sizeof(p));
	p.kind = BCMEDIA_INFO_V2;
	p.info.width = (uint32_t)width;
	p.info.height = (uint32_t)height;
	p.info.fps = (uint8_t)(fps > 255 ? 255 : fps);
	local_time(now, &p.info.start);
	p.info.end = p.info.start;
	return bcmedia_write(b, &p);
}

int sim_media_frame(struct sbuf *b, int h265, int keyframe, uint32_t microseconds,
		    uint32_t posix_time, const uint8_t *data, size_t len)
{
	struct bcmedia_pkt p;
	struct bcmedia_frame *f = &p.frame;

	memset(&p, 0, sizeof(p));
	p.kind = keyframe ? BCMEDIA_IFRAME : BCMEDIA_PFRAME;
	f->codec = h265 ? BCMEDIA_H265 : BCMEDIA_H264;
	f->channel = '0';
	f->microseconds = microseconds;
	if (keyframe) {
		/* Argus 2 I-frame: 16-byte additional header, first word = POSIX time */
		f->unknown = 71;
		f->additional_len = 16;
		wr_le32(f->additional, posix_time);
		wr_le32(f->additional + 4, 0x00c30133u);
		wr_le32(f->additional + 8, 0x07000002u);
		wr_le32(f->additional + 12, 0);
	} else {
		f->additional_len = 8;
		wr_le32(f->additional, 0x07000002u);
		wr_le32(f->additional + 4, 0);
	}
	p.data = data;
	p.data_len = len;
	return bcmedia_write(b, &p);
}

int sim_media_aac(struct sbuf *b, const uint8_t *adts, size_t len)
{
	struct bcmedia_pkt p;

	memset(&p, 0, sizeof(p));
	p.kind = BCMEDIA_AAC;
	p.data = adts;
	p.data_len = len;
	return bcmedia_write(b, &p);
}

int sim_media_msgs(struct sbuf *wire, const struct bc_header *tmpl, const uint8_t *media,
		   size_t len, size_t chunk, int remainder_first)
{
	struct bc_header h = *tmpl;
	uint8_t hb[BC_HDR_LEN_MAX];
	int n = 0;

	h.magic = BC_MAGIC;
	h.msg_class = BC_CLASS_REPLY;
	h.response_code = BC_RC_OK;
	h.payload_offset = 0;
	if (!chunk)
		return -EINVAL;
	while (len) {
		size_t k = len < chunk ? len : chunk;

		if (remainder_first && n == 0 && len % chunk)
			k = len % chunk;

		h.body_len = (uint32_t)k;
		bc_header_write(&h, hb);
		sbuf_add(wire, hb, BC_HDR_LEN_LONG);
		sbuf_add(wire, media, k);
		media += k;
		len -= k;
		n++;
	}
	return wire->err ? wire->err : n;
}

/* ---- discovery ------------------------------------------------------------------------ */

int sim_disc_reply(uint8_t *out, size_t cap, uint32_t tid, int32_t cid, int32_t did, int32_t rsp)
{
	struct bcudp_msg m;

	bcudp_msg_init(&m, BCUDP_K_D2C_C_R);
	m.has = BCUDP_HAS(BCUDP_F_TIMER) | BCUDP_HAS(BCUDP_F_RSP) | BCUDP_HAS(BCUDP_F_CID) |
		BCUDP_HAS(BCUDP_F_DID);
	m.timer.def = SIM_TIMER_DEF;
	m.timer.hb = SIM_TIMER_HB;
	m.timer.hbt = SIM_TIMER_HBT;
	m.timer.has_def = m.timer.has_hb = m.timer.has_hbt = 1;
	m.rsp = rsp;
	m.cid = cid;
	m.did = did;
	return bcudp_msg_encode(&m, BCUDP_XML_CAMERA, tid, out, cap);
}
