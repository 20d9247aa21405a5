#include "sim/sim_proto.h"
#include "bc/bc_snap.h"
#include "sim/sim_snap.h"

#include <errno.h>
#include <string.h>

#include "bc/bc_ext.h"
#include "bc/bc_info.h"
#include "bc/bc_login.h"
#include "bc/bc_msg.h"
#include "bc/bc_preview.h"
#include "bc/bcmedia.h"

#define SCRATCH_MAX (8u << 20)

int sim_proto_init(struct sim_proto *p, const struct sim_cfg *cfg, const struct sim_cam_state *cam,
		   int udp, const struct sim_proto_ops *ops, void *op)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->cam = cam;
	p->ops = *ops;
	p->op = op;
	p->udp = udp;
	p->chunk = udp ? SIM_CHUNK_UDP : SIM_CHUNK_TCP;
	bc_reader_init(&p->rd, SIM_MAX_MSG);
	bc_crypto_init(&p->tx);
	sbuf_init(&p->out, SCRATCH_MAX);
	sbuf_init(&p->xml, 1u << 20);
	sbuf_init(&p->ext, 4096);
	sbuf_init(&p->media, SCRATCH_MAX);
	p->ka_num = 0x100;
	p->snap_num = 0x5000;
	p->last_counter = cfg->first_marker;
	return 0;
}

void sim_proto_free(struct sim_proto *p)
{
	bc_reader_free(&p->rd);
	sbuf_free(&p->out);
	sbuf_free(&p->xml);
	sbuf_free(&p->ext);
	sbuf_free(&p->media);
}

void sim_proto_set_codec(struct sim_proto *p, int idx, int h265)
{
	p->h265[idx] = h265;
}

int sim_proto_logged_in(const struct sim_proto *p)
{
	return p->login == SIM_LOGIN_OK;
}

/* Sends what is in p->out as one message. */
static void flush_one(struct sim_proto *p)
{
	int r;

	if (p->out.err) {
		p->out.err = 0;
		sbuf_reset(&p->out);
		return;
	}
	r = p->ops.send(p->op, p->out.data, p->out.len);
	if (r < 0 && r != -ENOBUFS)
		p->dead = r;
	else if (r == 0)
		p->stats.tx_msgs++;
	sbuf_reset(&p->out);
}

static void reply_status(struct sim_proto *p, const struct bc_header *req, uint16_t rc)
{
	sim_msg_status(&p->out, req, rc);
	flush_one(p);
}

/* Reply with the XML in p->xml (built by the caller). */
static void reply_xml(struct sim_proto *p, const struct bc_header *req)
{
	struct bc_msg m;

	bc_msg_reply(&m, req, BC_RC_OK);
	if (p->xml.err) {
		p->xml.err = 0;
		sbuf_reset(&p->xml);
		reply_status(p, req, BC_RC_BAD);
		return;
	}
	sim_msg_xml(&p->out, &p->tx, &m.hdr, NULL, &p->xml);
	sbuf_reset(&p->xml);
	flush_one(p);
}

static void event_xml(struct sim_proto *p, uint32_t msg_id)
{
	struct bc_header h;

	sim_event_header(&h, msg_id, 0, p->channel);
	sim_msg_xml(&p->out, &p->tx, &h, NULL, &p->xml);
	sbuf_reset(&p->xml);
	flush_one(p);
}

void sim_proto_push_battery(struct sim_proto *p)
{
	if (p->login != SIM_LOGIN_OK)
		return;
	sim_xml_battery(&p->xml, p->cam->battery, p->cam->charging, 1);
	event_xml(p, BC_MSG_BATTERY_LIST);
}

void sim_proto_push_alarm(struct sim_proto *p, const char *ai)
{
	if (p->login != SIM_LOGIN_OK || !p->alarms_on)
		return;
	sim_xml_alarm(&p->xml, ai);
	event_xml(p, BC_MSG_MOTION);
	p->stats.alarms_sent++;
}

/* ---- login ---------------------------------------------------------------------------- */

static void on_legacy_login(struct sim_proto *p, const struct bc_msg *m)
{
	unsigned offer = bc_enc_offer(m->hdr.response_code);
	int r;

	p->enc = bc_enc_negotiate(offer, p->cfg->max_enc);
	if (sim_nonce_random(p->nonce) < 0) {
		p->dead = -EIO;
		return;
	}
	p->channel = m->hdr.channel_id;
	/* the reply is XOR-ed (unless 0) whatever was negotiated: encode before switching */
	sim_msg_nonce_reply(&p->out, &m->hdr, p->enc, p->nonce);
	flush_one(p);
	r = bc_crypto_set(&p->tx, p->enc, p->nonce, p->cfg->password);
	if (r == 0)
		r = bc_reader_set_crypto(&p->rd, p->enc, p->nonce, p->cfg->password);
	if (r < 0) {
		p->dead = r;
		return;
	}
	p->login = SIM_LOGIN_NONCE;
}

static void on_modern_login(struct sim_proto *p, const struct bc_msg *m, time_t now)
{
	struct bc_login_req req;

	if (p->login == SIM_LOGIN_NONE || m->payload_is_binary ||
	    bc_login_xml_parse(m->payload, m->payload_len, &req) < 0 ||
	    !bc_login_check(&req, p->cfg->user, p->cfg->password, p->nonce)) {
		/* the real camera's answer: 24-byte header, rc 400, nothing else */
		p->stats.logins_failed++;
		reply_status(p, &m->hdr, BC_RC_BAD);
		return;
	}
	p->stats.logins_ok++;
	p->login = SIM_LOGIN_OK;
	sim_xml_login_ok(&p->xml, p->cfg);
	reply_xml(p, &m->hdr);
	/* what a battery camera pushes right after login (camera_proxy waits for 78) */
	sim_proto_push_battery(p);
	sim_xml_video_input(&p->xml);
	event_xml(p, BC_MSG_VIDEO_INPUT);
	(void)now;
}

/* ---- video ---------------------------------------------------------------------------- */

static int stream_of(const struct bc_msg *m, struct bc_preview *pv)
{
	enum bc_stream s;

	if (m->payload_is_binary || bc_preview_parse(m->payload, m->payload_len, pv) < 0)
		return -1;
	if (pv->has_stream && bc_stream_from_name(pv->stream_name, &s) == 0)
		return s == BC_STREAM_SUB ? SIM_SUB : s == BC_STREAM_MAIN ? SIM_MAIN : -1;
	if (pv->has_stream)
		return -1;
	return m->hdr.stream_type == 1 || pv->handle == 256 || pv->handle == 1 ? SIM_SUB : SIM_MAIN;
}

static void on_start(struct sim_proto *p, const struct bc_msg *m, time_t now)
{
	const struct sim_stream_cfg *sc;
	struct bc_preview pv;
	struct bc_msg r;
	int idx = stream_of(m, &pv);

	if (idx < 0) {
		reply_status(p, &m->hdr, BC_RC_BAD);
		return;
	}
	sc = &p->cfg->stream[idx];
	bc_ext_build_binary(&p->ext, 1);
	sim_media_info(&p->media, sc->width, sc->height, sc->fps, now);
	bc_msg_reply(&r, &m->hdr, BC_RC_OK);
	r.ext = p->ext.data;
	r.ext_len = p->ext.len;
	r.payload = p->media.data;
	r.payload_len = p->media.len;
	r.payload_is_binary = true;
	bc_msg_encode(&r, &p->tx, &p->out);
	sbuf_reset(&p->ext);
	sbuf_reset(&p->media);
	flush_one(p);
	if (p->st[idx].active)
		p->ops.stream(p->op, idx, 0);
	p->st[idx].active = 1;
	p->st[idx].need_key = 1;
	p->st[idx].tmpl = m->hdr;
	p->ops.stream(p->op, idx, 1);
}

static void stop_stream(struct sim_proto *p, int idx)
{
	if (!p->st[idx].active)
		return;
	p->st[idx].active = 0;
	p->ops.stream(p->op, idx, 0);
}

static void on_stop(struct sim_proto *p, const struct bc_msg *m)
{
	struct bc_preview pv;
	int idx = -1;

	/* the stop reuses the start's msg_num; else go by handle / stream_type */
	for (int i = 0; i < SIM_NSTREAMS; i++)
		if (p->st[i].active && p->st[i].tmpl.msg_num == m->hdr.msg_num)
			idx = i;
	if (idx < 0)
		idx = stream_of(m, &pv);
	reply_status(p, &m->hdr, BC_RC_OK);
	if (idx >= 0)
		stop_stream(p, idx);
}

void sim_proto_stop_all(struct sim_proto *p)
{
	for (int i = 0; i < SIM_NSTREAMS; i++)
		stop_stream(p, i);
}

/* Sends the 24-byte-header messages queued in p->out, one by one; 0, or the send error
 * (p->out is emptied either way). */
static int send_queued(struct sim_proto *p)
{
	int r = 0;

	for (size_t off = 0; off < p->out.len;) {
		size_t len = BC_HDR_LEN_LONG + rd_le32(p->out.data + off + 8);

		if ((r = p->ops.send(p->op, p->out.data + off, len)) < 0) {
			if (r != -ENOBUFS)
				p->dead = r;
			break;
		}
		p->stats.tx_msgs++;
		off += len;
	}
	sbuf_reset(&p->out);
	return r;
}

/* msg 109: the reply (pictureSize) on the request's msg_num, then the JPEG in chunks on our own
 * msg_num.  Refused (rc 400) when the picture cannot be made or the link has no room for it. */
static void on_snap(struct sim_proto *p, const struct bc_msg *m)
{
	struct bc_snap_info info = { .picture_size = 0 };
	struct bc_msg r;
	uint32_t ch;
	int n = -EINVAL;

	sbuf_reset(&p->media);
	sbuf_reset(&p->out);
	if (!m->payload_is_binary && bc_snap_req_parse(m->payload, m->payload_len, &ch) == 0 &&
	    sim_snap_jpeg(p->cfg, p->last_counter, &p->media) == 0 && !p->media.err) {
		snprintf(info.file_name, sizeof(info.file_name), "01_%08u.jpg", p->last_counter);
		info.picture_size = (uint32_t)p->media.len;
		bc_snap_info_build(&p->xml, &info);
		bc_msg_reply(&r, &m->hdr, BC_RC_OK);
		sim_msg_xml(&p->out, &p->tx, &r.hdr, NULL, &p->xml);
		sbuf_reset(&p->xml);
		n = sim_snap_msgs(&p->out, &p->tx, p->snap_num++, p->channel, p->media.data,
				  p->media.len, p->chunk);
	}
	sbuf_reset(&p->media);
	if (n <= 0 || p->out.err || !p->ops.fits(p->op, (size_t)n + 1, p->out.len)) {
		sbuf_reset(&p->out);
		p->out.err = 0;
		reply_status(p, &m->hdr, BC_RC_BAD);
		return;
	}
	(void)send_queued(p);
}

void sim_proto_media(struct sim_proto *p, int idx, const struct sim_au *au, time_t now)
{
	struct sim_pstream *s = &p->st[idx];
	size_t n;
	int r;

	if (idx == SIM_MAIN && au->kind == SIM_AU_VIDEO)
		p->last_counter = au->counter;
	if (!s->active || p->dead)
		return;
	if (au->kind == SIM_AU_VIDEO && s->need_key && !au->keyframe) {
		s->dropped++;
		return;
	}
	if (au->kind == SIM_AU_AAC && s->need_key)
		return;
	sbuf_reset(&p->media);
	sbuf_reset(&p->out);
	if (au->kind == SIM_AU_VIDEO)
		r = sim_media_frame(&p->media, p->h265[idx], au->keyframe, (uint32_t)au->t_us,
				    (uint32_t)now, au->data, au->len);
	else
		r = sim_media_aac(&p->media, au->data, au->len);
	if (r < 0)
		return;
	r = sim_media_msgs(&p->out, &s->tmpl, p->media.data, p->media.len, p->chunk,
			   !p->udp);
	if (r <= 0) {
		sbuf_reset(&p->out);
		return;
	}
	n = (size_t)r;
	if (!p->ops.fits(p->op, n, p->out.len)) {
		/* the client is not keeping up: drop to the next I-frame, as the encoder would */
		sbuf_reset(&p->out);
		if (au->kind == SIM_AU_VIDEO) {
			s->dropped++;
			s->need_key = 1;
			p->ops.want_key(p->op, idx);
		}
		return;
	}
	if (send_queued(p) < 0) {
		/* a frame cut short is garbage to the decoder: resync at an I-frame */
		if (au->kind == SIM_AU_VIDEO) {
			s->dropped++;
			s->need_key = 1;
			p->ops.want_key(p->op, idx);
		}
		return;
	}
	if (au->kind == SIM_AU_VIDEO) {
		if (au->keyframe)
			s->need_key = 0;
		s->frames++;
		s->bytes += p->out.len;
		if (p->ops.frame_sent)
			p->ops.frame_sent(p->op, idx, au, p->media.len);
	}
	sbuf_reset(&p->out);
}

/* ---- dispatch ------------------------------------------------------------------------- */

static void on_msg(struct sim_proto *p, const struct bc_msg *m, time_t now)
{
	const struct bc_header *h = &m->hdr;

	p->stats.rx_msgs++;
	if (h->msg_id == BC_MSG_LOGIN) {
		if (h->msg_class == BC_CLASS_LEGACY)
			on_legacy_login(p, m);
		else
			on_modern_login(p, m, now);
		return;
	}
	if (p->login != SIM_LOGIN_OK) {
		reply_status(p, h, BC_RC_BAD);
		return;
	}
	switch (h->msg_id) {
	case BC_MSG_LOGOUT:
		sim_proto_stop_all(p);
		p->ops.logout(p->op);
		break;
	case BC_MSG_VIDEO:
		on_start(p, m, now);
		break;
	case BC_MSG_VIDEO_STOP:
		on_stop(p, m);
		break;
	case BC_MSG_UDP_KEEPALIVE:
		/* the client's answer to our keep-alive */
		if (p->ka_outstanding)
			p->stats.ka_answered++;
		p->ka_outstanding = 0;
		break;
	case BC_MSG_VERSION:
		sim_xml_version(&p->xml, p->cfg);
		reply_xml(p, h);
		break;
	case BC_MSG_PING:
		bc_link_type_build(&p->xml, "LAN");
		reply_xml(p, h);
		break;
	case BC_MSG_GET_GENERAL:
		sim_xml_general(&p->xml, now);
		reply_xml(p, h);
		break;
	case BC_MSG_UID:
		sim_xml_uid(&p->xml, p->cfg->uid);
		reply_xml(p, h);
		break;
	case BC_MSG_STREAM_INFO_LIST:
		sim_xml_stream_list(&p->xml, p->cfg);
		reply_xml(p, h);
		break;
	case BC_MSG_ABILITY_INFO:
		sim_xml_ability(&p->xml, p->cfg->user);
		reply_xml(p, h);
		break;
	case BC_MSG_BATTERY_INFO:
		sim_xml_battery(&p->xml, p->cam->battery, p->cam->charging, 0);
		reply_xml(p, h);
		break;
	case BC_MSG_VIDEO_INPUT:
		sim_xml_video_input(&p->xml);
		reply_xml(p, h);
		break;
	case BC_MSG_SNAP:
		on_snap(p, m);
		break;
	case BC_MSG_MOTION_REQUEST:
		p->alarms_on = 1;
		reply_status(p, h, BC_RC_OK);
		break;
	case BC_MSG_SET_GENERAL:
	case BC_MSG_REBOOT:
		reply_status(p, h, BC_RC_OK);
		break;
	default:
		p->stats.unknown++;
		reply_status(p, h, BC_RC_BAD);
		break;
	}
}

int sim_proto_input(struct sim_proto *p, const void *data, size_t len, uint64_t now_us)
{
	struct bc_msg m;
	time_t now = time(NULL);
	int r;

	(void)now_us;
	r = bc_reader_feed(&p->rd, data, len);
	if (r < 0)
		return r;
	while ((r = bc_reader_next(&p->rd, &m)) != 0 && !p->dead) {
		if (r < 0) {
			p->stats.rx_bad++;   /* skipped; the reader resyncs */
			continue;
		}
		on_msg(p, &m, now);
	}
	return p->dead;
}

uint64_t sim_proto_tick(struct sim_proto *p, uint64_t now_us)
{
	struct bc_header h;

	if (!p->udp || p->login != SIM_LOGIN_OK)
		return UINT64_MAX;
	if (!p->ka_next)
		p->ka_next = now_us + SIM_KEEPALIVE_US;
	if (now_us >= p->ka_next) {
		/* count misses only: camera_proxy never answers 234 and real cameras stream to it */
		if (p->ka_outstanding)
			p->stats.ka_missed++;
		sim_event_header(&h, BC_MSG_UDP_KEEPALIVE, ++p->ka_num, p->channel);
		sim_msg_xml(&p->out, &p->tx, &h, NULL, NULL);
		flush_one(p);
		p->stats.ka_sent++;
		p->ka_outstanding = 1;
		p->ka_next = now_us + SIM_KEEPALIVE_US;
	}
	return p->ka_next;
}
