/* bcconn: the reliable BcUdp byte stream, both roles, driven by a fake clock: acks, resends,
 * timeouts, DISC, reassembly, windows and queues (test_bcconn_lossy.c: over a lossy network). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "tu_bcconn.h"


static int build_ctrl(uint8_t *out, enum bcudp_kind k, int32_t cid, int32_t did)
{
	struct bcudp_msg m;

	bcudp_msg_init(&m, k);
	m.has = BCUDP_HAS(BCUDP_F_CID) | BCUDP_HAS(BCUDP_F_DID);
	m.cid = cid;
	m.did = did;
	return bcudp_msg_encode(&m, 0, 7, out, 512);
}

/* ---- deterministic behaviour ----------------------------------------------------------- */

/* Acks every 10 ms (empty form before data), heartbeats every 1 s, nothing else when idle. */
static void test_ack_and_heartbeat_cadence(void **state)
{
	struct bcconn *c = tu_bcconn_new(BCCONN_CLIENT, NULL);
	uint8_t dg[BCCONN_DGRAM_MAX];
	struct bcudp_pkt p;
	struct bcudp_msg m;
	uint64_t last_ack = 0, hb_times[8];
	int acks = 0, hbs = 0, n;

	(void)state;
	for (uint64_t t = 0; t <= 3000 * MS; t += 1 * MS) {
		while ((n = bcconn_poll(c, t, dg, sizeof(dg))) > 0) {
			int k = tu_bcudp_classify(dg, (size_t)n, &p, &m);
			if (k == BCUDP_ACK) {
				assert_int_equal(p.conn_id, DID);
				assert_int_equal(p.group_id, BCUDP_ID_NONE);
				assert_int_equal(p.packet_id, BCUDP_ID_NONE);
				assert_int_equal(p.payload_len, 0);
				if (acks)
					assert_int_equal(t - last_ack, 10 * MS);
				last_ack = t;
				acks++;
			} else {
				assert_int_equal(k, 100 + BCUDP_K_C2D_HB);
				assert_int_equal(m.cid, CID);
				assert_int_equal(m.did, DID);
				assert_int_equal(p.tid, 42);
				assert_true(hbs < 8);
				hb_times[hbs++] = t;
			}
		}
		assert_true(bcconn_next_deadline(c, t) > t);
	}
	assert_int_equal(acks, 301);
	assert_int_equal(hbs, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(hb_times[i], (uint64_t)i * 1000 * MS);
	/* the camera sends no heartbeat by default */
	bcconn_free(c);
	c = tu_bcconn_new(BCCONN_CAMERA, NULL);
	hbs = 0;
	for (uint64_t t = 0; t <= 2000 * MS; t += 5 * MS)
		while ((n = bcconn_poll(c, t, dg, sizeof(dg))) > 0)
			if (tu_bcudp_classify(dg, (size_t)n, NULL, NULL) != BCUDP_ACK)
				hbs++;
	assert_int_equal(hbs, 0);
	bcconn_free(c);
}

static void drain(struct bcconn *c, uint64_t t, int *data, int *retrans_ids, int *nret)
{
	uint8_t dg[BCCONN_DGRAM_MAX];
	struct bcudp_pkt p;
	int n;

	while ((n = bcconn_poll(c, t, dg, sizeof(dg))) > 0) {
		if (tu_bcudp_classify(dg, (size_t)n, &p, NULL) == BCUDP_DATA) {
			if (data)
				(*data)++;
			if (retrans_ids)
				retrans_ids[(*nret)++] = (int)p.packet_id;
		}
	}
}

/* Unacknowledged data is resent 500 ms after its last transmission, until acked. */
static void test_resend_after_500ms(void **state)
{
	struct bcconn *c = tu_bcconn_new(BCCONN_CLIENT, NULL);
	struct bcconn_stats st;
	uint8_t ack[64];
	int data = 0, ids[16], nids = 0, n;

	(void)state;
	assert_int_equal(bcconn_write(c, "login", 5), 5);
	assert_false(bcconn_tx_idle(c));
	drain(c, 0, &data, NULL, NULL);
	assert_int_equal(data, 1);
	for (uint64_t t = 1 * MS; t < 500 * MS; t += 1 * MS)
		drain(c, t, &data, NULL, NULL);
	assert_int_equal(data, 1);
	drain(c, 500 * MS, NULL, ids, &nids);
	assert_int_equal(nids, 1);
	assert_int_equal(ids[0], 0);
	for (uint64_t t = 501 * MS; t < 1000 * MS; t += 7 * MS)
		drain(c, t, NULL, ids, &nids);
	assert_int_equal(nids, 1);
	drain(c, 1000 * MS, NULL, ids, &nids);
	assert_int_equal(nids, 2);
	bcconn_get_stats(c, &st);
	assert_int_equal(st.tx_retrans, 2);
	assert_int_equal(st.tx_bytes, 5);
	/* the camera acknowledges packet 0: no more resends */
	n = bcudp_build_ack(ack, sizeof(ack), CID, 0, 0, 0, NULL, 0);
	assert_int_equal(bcconn_on_datagram(c, ack, (size_t)n, 1100 * MS), 0);
	assert_true(bcconn_tx_idle(c));
	for (uint64_t t = 1100 * MS; t < 3000 * MS; t += 10 * MS)
		drain(c, t, NULL, ids, &nids);
	assert_int_equal(nids, 2);
	/* an ack for packets never sent is ignored */
	n = bcudp_build_ack(ack, sizeof(ack), CID, 0, 50, 0, NULL, 0);
	assert_int_equal(bcconn_on_datagram(c, ack, (size_t)n, 3000 * MS), 0);
	bcconn_get_stats(c, &st);
	assert_int_equal(st.rx_bad, 1);
	bcconn_free(c);
}

/* 10 s of silence → TIMED_OUT (and DISC sent); any valid packet from the peer resets it. */
static void test_silence_timeout(void **state)
{
	struct bcconn *c = tu_bcconn_new(BCCONN_CLIENT, NULL);
	uint8_t dg[BCCONN_DGRAM_MAX], hb[512];
	struct bcudp_msg m;
	int n, discs = 0;

	(void)state;
	assert_int_equal(bcconn_state(c, 9999 * MS), BCCONN_OPEN);
	assert_true(bcconn_next_deadline(c, 9999 * MS) <= 10000 * MS);
	n = build_ctrl(hb, BCUDP_K_D2C_HB, CID, DID);
	assert_int_equal(bcconn_on_datagram(c, hb, (size_t)n, 5000 * MS), 0);
	/* a foreign heartbeat (other ids) is handed back to the caller and does reset too */
	assert_int_equal(bcconn_state(c, 14999 * MS), BCCONN_OPEN);
	/* data for another connection id does not count as life */
	n = bcudp_build_data(dg, sizeof(dg), CID + 1, 0, "x", 1);
	assert_int_equal(bcconn_on_datagram(c, dg, (size_t)n, 14000 * MS), 0);
	assert_int_equal(bcconn_state(c, 15000 * MS), BCCONN_TIMED_OUT);
	while ((n = bcconn_poll(c, 15000 * MS, dg, sizeof(dg))) > 0) {
		assert_int_equal(tu_bcudp_classify(dg, (size_t)n, NULL, &m), 100 + BCUDP_K_C2D_DISC);
		assert_int_equal(m.cid, CID);
		assert_int_equal(m.did, DID);
		discs++;
	}
	assert_int_equal(discs, BCCONN_DISC_REPEAT);
	assert_int_equal(bcconn_poll(c, 16000 * MS, dg, sizeof(dg)), 0);
	assert_int_equal(bcconn_next_deadline(c, 16000 * MS), UINT64_MAX);
	assert_int_equal(bcconn_write(c, "x", 1), -EPIPE);
	bcconn_free(c);
}

static void test_disc_handling(void **state)
{
	struct bcconn *c = tu_bcconn_new(BCCONN_CAMERA, NULL);
	uint8_t dg[BCCONN_DGRAM_MAX], b[512];
	struct bcudp_msg m;
	int n, k, discs = 0;

	(void)state;
	/* wrong ids: not ours, handed back */
	n = build_ctrl(b, BCUDP_K_C2D_DISC, CID, DID + 1);
	assert_int_equal(bcconn_on_datagram(c, b, (size_t)n, 1 * MS), 1);
	assert_int_equal(bcconn_state(c, 1 * MS), BCCONN_OPEN);
	/* a C2D_C repeat (or anything else) is handed back */
	n = build_ctrl(b, BCUDP_K_C2D_HB, CID, DID);
	assert_int_equal(bcconn_on_datagram(c, b, (size_t)n, 2 * MS), 0);
	n = build_ctrl(b, BCUDP_K_D2C_HB, CID, DID);       /* wrong direction */
	assert_int_equal(bcconn_on_datagram(c, b, (size_t)n, 2 * MS), 1);
	/* the client leaves: answered with one D2C_DISC in camera style */
	n = build_ctrl(b, BCUDP_K_C2D_DISC, CID, DID);
	assert_int_equal(bcconn_on_datagram(c, b, (size_t)n, 3 * MS), 0);
	assert_int_equal(bcconn_state(c, 3 * MS), BCCONN_CLOSED_BY_PEER);
	while ((n = bcconn_poll(c, 3 * MS, dg, sizeof(dg))) > 0) {
		struct bcudp_pkt p;
		k = tu_bcudp_classify(dg, (size_t)n, &p, &m);
		assert_int_equal(k, 100 + BCUDP_K_D2C_DISC);
		assert_int_equal(m.cid, CID);
		assert_int_equal(m.did, DID);
		assert_int_equal(dg[BCUDP_DISC_HDR], '<' ^ (uint8_t)(0x1f2d3c4b + 42));
		discs++;
	}
	assert_int_equal(discs, 1);
	assert_int_equal(bcconn_write_msg(c, "x", 1), -EPIPE);
	bcconn_free(c);

	/* client side: D2C_DISC and R2C_DISC close; local close sends C2D_DISC ×3 */
	c = tu_bcconn_new(BCCONN_CLIENT, NULL);
	n = build_ctrl(b, BCUDP_K_D2C_DISC, CID, DID);
	assert_int_equal(bcconn_on_datagram(c, b, (size_t)n, 1 * MS), 0);
	assert_int_equal(bcconn_state(c, 1 * MS), BCCONN_CLOSED_BY_PEER);
	bcconn_free(c);
	c = tu_bcconn_new(BCCONN_CLIENT, NULL);
	bcudp_msg_init(&m, BCUDP_K_R2C_DISC);
	m.has = BCUDP_HAS(BCUDP_F_SID);
	m.sid = 5;
	n = bcudp_msg_encode(&m, 0, 1, b, sizeof(b));
	assert_int_equal(bcconn_on_datagram(c, b, (size_t)n, 1 * MS), 0);
	assert_int_equal(bcconn_state(c, 1 * MS), BCCONN_CLOSED_BY_PEER);
	bcconn_free(c);
	c = tu_bcconn_new(BCCONN_CLIENT, NULL);
	bcconn_close(c);
	assert_int_equal(bcconn_state(c, 0), BCCONN_CLOSED);
	discs = 0;
	while ((n = bcconn_poll(c, 0, dg, sizeof(dg))) > 0) {
		assert_int_equal(tu_bcudp_classify(dg, (size_t)n, NULL, NULL), 100 + BCUDP_K_C2D_DISC);
		discs++;
	}
	assert_int_equal(discs, BCCONN_DISC_REPEAT);
	bcconn_free(c);
}

/* Data addressed to c (client: cid, camera: did). */
static int feed_to(struct bcconn *c, int32_t conn, uint32_t id, uint8_t fill, size_t len,
		   uint64_t now)
{
	uint8_t dg[BCCONN_DGRAM_MAX], pay[3000];
	int n;

	memset(pay, fill, len);
	n = bcudp_build_data(dg, sizeof(dg), conn, id, pay, len);
	return bcconn_on_datagram(c, dg, (size_t)n, now);
}

#define feed_data(c, id, fill, len, now) feed_to(c, CID, id, fill, len, now)
#define feed_cam(c, id, fill, len, now) feed_to(c, DID, id, fill, len, now)

/* Polls everything due; the last ack lands in dg/p. */
static int last_ack(struct bcconn *c, uint64_t now, struct bcudp_pkt *p, uint8_t *dg)
{
	uint8_t tmp[BCCONN_DGRAM_MAX];
	int n, got = 0;

	while ((n = bcconn_poll(c, now, tmp, sizeof(tmp))) > 0) {
		if (tu_bcudp_classify(tmp, (size_t)n, NULL, NULL) == BCUDP_ACK) {
			memcpy(dg, tmp, (size_t)n);
			assert_int_equal(bcudp_parse(dg, (size_t)n, p, NULL), n);
			got = 1;
		}
	}
	return got;
}

/* Reordering, duplicates, gaps: in-order delivery, ack = last in-order id + byte bitmap. */
static void test_reassembly_and_bitmap(void **state)
{
	struct bcconn *c = tu_bcconn_new(BCCONN_CLIENT, NULL);
	uint8_t dg[BCCONN_DGRAM_MAX], out[8192];
	struct bcudp_pkt p;
	struct bcconn_stats st;
	static const uint8_t bm[4] = { 0, 1, 0, 1 };
	size_t got;

	(void)state;
	/* 3 and 5 first: nothing in order yet → empty ack */
	feed_data(c, 3, 3, 100, 0);
	feed_data(c, 5, 5, 100, 0);
	assert_true(last_ack(c, 0, &p, dg));
	assert_int_equal(p.packet_id, BCUDP_ID_NONE);
	assert_int_equal(bcconn_read(c, out, sizeof(out)), 0);
	feed_data(c, 0, 0, 100, 1 * MS);
	feed_data(c, 1, 1, 100, 1 * MS);
	feed_data(c, 1, 1, 100, 1 * MS);      /* duplicate */
	feed_data(c, 3, 3, 100, 1 * MS);      /* duplicate, out of order */
	assert_true(last_ack(c, 10 * MS, &p, dg));
	assert_int_equal(p.group_id, 0);
	assert_int_equal(p.packet_id, 1);
	assert_int_equal(p.payload_len, 4);
	assert_memory_equal(p.payload, bm, 4);
	assert_int_equal(bcconn_readable(c), 200);
	got = bcconn_read(c, out, 150);       /* partial reads keep position */
	assert_int_equal(got, 150);
	feed_data(c, 4, 4, 100, 11 * MS);
	feed_data(c, 2, 2, 100, 11 * MS);
	assert_int_equal(bcconn_readable(c), 50 + 400);
	got += bcconn_read(c, out + got, sizeof(out) - got);
	assert_int_equal(got, 600);
	for (size_t i = 0; i < 600; i++)
		assert_int_equal(out[i], i / 100);
	assert_true(last_ack(c, 20 * MS, &p, dg));
	assert_int_equal(p.packet_id, 5);
	assert_int_equal(p.payload_len, 0);
	bcconn_get_stats(c, &st);
	assert_int_equal(st.rx_dup, 2);
	assert_int_equal(st.rx_gaps, 3 + 1);  /* 0,1,2 skipped by 3; 4 skipped by 5 */
	assert_int_equal(st.rx_data, 8);
	/* very old ids (and wrapped ones) are duplicates */
	feed_data(c, 0xfffffff0u, 9, 10, 21 * MS);
	bcconn_get_stats(c, &st);
	assert_int_equal(st.rx_dup, 3);
	bcconn_free(c);
}

static void cumulative_only(struct bcconn_cfg *cfg) { cfg->ack_bitmap = 0; }

static void test_cumulative_ack_config(void **state)
{
	struct bcconn *c = tu_bcconn_new(BCCONN_CAMERA, cumulative_only);
	uint8_t dg[BCCONN_DGRAM_MAX];
	struct bcudp_pkt p;

	(void)state;
	feed_cam(c, 0, 0, 10, 0);
	feed_cam(c, 2, 2, 10, 0);
	assert_true(last_ack(c, 0, &p, dg));
	assert_int_equal(p.conn_id, CID);
	assert_int_equal(p.packet_id, 0);
	assert_int_equal(p.payload_len, 0);
	bcconn_free(c);
}

static void small_window(struct bcconn_cfg *cfg) { cfg->rx_window = 64; }

/* A flood of random/out-of-window packet ids never grows memory nor blocks real data. */
static void test_flood_out_of_window(void **state)
{
	struct bcconn *c = tu_bcconn_new(BCCONN_CAMERA, small_window);
	uint8_t dg[BCCONN_DGRAM_MAX], out[4096];
	struct bcudp_pkt p;
	struct bcconn_stats st;
	uint32_t rng = 99;

	(void)state;
	for (int i = 0; i < 200000; i++)
		feed_cam(c, tu_rnd(&rng) | 64, 0xee, 1 + i % 50, (uint64_t)i);
	bcconn_get_stats(c, &st);
	assert_true(st.rx_buffered <= 64);
	assert_true(st.rx_out_of_window + st.rx_dup > 199000);
	/* ids inside the window but never completed: the ack bitmap stays bounded */
	for (uint32_t id = 1; id < 64; id += 2)
		feed_cam(c, id, 0xaa, 10, 300 * MS);
	assert_true(last_ack(c, 300 * MS, &p, dg));
	assert_int_equal(p.packet_id, BCUDP_ID_NONE);
	/* oversize payloads are refused, data for another connection ignored: both counted */
	assert_int_equal(feed_cam(c, 0, 0xaa, 2000, 300 * MS), 0);
	assert_int_equal(feed_data(c, 0, 0xaa, 100, 300 * MS), 0);
	bcconn_get_stats(c, &st);
	assert_int_equal(st.rx_oversize, 1);
	assert_int_equal(st.rx_foreign, 1);
	/* real data still flows: fill the holes */
	for (uint32_t id = 0; id < 64; id += 2)
		feed_cam(c, id, 0xaa, 10, 301 * MS);
	assert_int_equal(bcconn_read(c, out, sizeof(out)), 640);
	assert_true(last_ack(c, 400 * MS, &p, dg));
	assert_int_equal(p.packet_id, 63);
	/* garbage datagrams are counted and refused */
	assert_int_equal(bcconn_on_datagram(c, (const uint8_t *)"garbage!", 8, 401 * MS), -EBADMSG);
	bcconn_get_stats(c, &st);
	assert_true(st.rx_bad >= 1);
	bcconn_free(c);
}

static void tiny_queue(struct bcconn_cfg *cfg) { cfg->tx_queue = 4; cfg->tx_inflight = 2; }

static void test_send_queue_bounds(void **state)
{
	struct bcconn *c = tu_bcconn_new(BCCONN_CLIENT, tiny_queue);
	uint8_t big[6000], dg[BCCONN_DGRAM_MAX];
	int n, data = 0;

	(void)state;
	memset(big, 1, sizeof(big));
	assert_int_equal(bcconn_tx_space(c), 4 * 1330);
	assert_int_equal(bcconn_write(c, big, 4 * 1330 + 1), -EMSGSIZE);
	assert_int_equal(bcconn_write(c, big, 3000), 3000);
	assert_int_equal(bcconn_tx_space(c), 4 * 1330 - 3000);
	assert_int_equal(bcconn_write(c, big, 2321), -ENOBUFS);   /* all or nothing */
	assert_int_equal(bcconn_write(c, big, 2320), 2320);
	assert_int_equal(bcconn_tx_space(c), 0);
	assert_int_equal(bcconn_write(c, big, 1), -ENOBUFS);
	/* only tx_inflight packets go on the wire before an ack */
	while ((n = bcconn_poll(c, 0, dg, sizeof(dg))) > 0)
		if (tu_bcudp_classify(dg, (size_t)n, NULL, NULL) == BCUDP_DATA)
			data++;
	assert_int_equal(data, 2);
	assert_int_equal(bcconn_poll(c, 0, dg, 100), -ENOSPC);
	n = bcudp_build_ack(dg, sizeof(dg), CID, 0, 1, 0, NULL, 0);
	bcconn_on_datagram(c, dg, (size_t)n, 1 * MS);
	assert_int_equal(bcconn_tx_space(c), 2 * 1330);
	bcconn_free(c);
}

/* Message-aligned writes: a BC header (first 24 bytes) never straddles two packets, packets are
 * ≤ mtu - 20; per policy a fitting message lies in one packet or starts its own packet. */
static void check_alignment(enum bcconn_align al)
{
	struct bcconn_cfg cfg;
	struct bcconn *c;
	uint8_t dg[BCCONN_DGRAM_MAX];
	static uint8_t stream[4 << 20];
	size_t starts[4000], nstarts = 0, slen = 0, pkt_start[4000], npk = 0, off = 0;
	uint32_t rng = 7;
	int n;

	bcconn_cfg_defaults(&cfg, BCCONN_CAMERA, DID, CID);
	cfg.msg_align = al;
	cfg.tx_queue = 2048;
	cfg.tx_inflight = 2048;
	assert_int_equal(bcconn_new(&cfg, 0, &c), 0);
	while (nstarts < 1500) {
		size_t len = 20 + tu_rnd(&rng) % 3000;
		uint8_t msg[3100];
		if (tu_rnd(&rng) % 3 == 0)
			len = 20 + tu_rnd(&rng) % 40;   /* small ones to pack several per packet */
		memset(msg, (int)(nstarts & 0xff), len);
		if (bcconn_write_msg(c, msg, len) == -ENOBUFS)
			break;
		starts[nstarts++] = off;
		off += len;
		if (tu_rnd(&rng) % 4 == 0)          /* sometimes flush, sometimes coalesce */
			while ((n = bcconn_poll(c, 0, dg, sizeof(dg))) > 0) {
				struct bcudp_pkt p;
				if (tu_bcudp_classify(dg, (size_t)n, &p, NULL) != BCUDP_DATA)
					continue;
				assert_true(p.payload_len <= 1330);
				assert_int_equal(p.packet_id, npk);
				pkt_start[npk++] = slen;
				memcpy(stream + slen, p.payload, p.payload_len);
				slen += p.payload_len;
			}
	}
	while ((n = bcconn_poll(c, 0, dg, sizeof(dg))) > 0) {
		struct bcudp_pkt p;
		if (tu_bcudp_classify(dg, (size_t)n, &p, NULL) != BCUDP_DATA)
			continue;
		assert_true(p.payload_len <= 1330);
		pkt_start[npk++] = slen;
		memcpy(stream + slen, p.payload, p.payload_len);
		slen += p.payload_len;
	}
	assert_int_equal(slen, off);
	assert_true(nstarts > 100);
	pkt_start[npk] = slen;
	for (size_t i = 0, k = 0; i < nstarts; i++) {
		size_t hdr_end = starts[i] + 24;
		if (i + 1 < nstarts && starts[i + 1] < hdr_end)
			hdr_end = starts[i + 1];
		while (pkt_start[k + 1] <= starts[i])
			k++;
		/* the header lies in packet k entirely */
		assert_true(hdr_end <= pkt_start[k + 1]);
		if (al == BCCONN_ALIGN_PACKET)
			assert_int_equal(pkt_start[k], starts[i]);
		/* whole: a message that fits a packet lies in one packet */
		if (al == BCCONN_ALIGN_WHOLE && i + 1 < nstarts && starts[i + 1] - starts[i] <= 1330)
			assert_true(starts[i + 1] <= pkt_start[k + 1]);
		assert_int_equal(stream[starts[i]], i & 0xff);
	}
	bcconn_free(c);
}

static void test_msg_alignment(void **state)
{
	(void)state;
	check_alignment(BCCONN_ALIGN_WHOLE);
	check_alignment(BCCONN_ALIGN_HEADER);
	check_alignment(BCCONN_ALIGN_PACKET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_and_heartbeat_cadence),
		cmocka_unit_test(test_resend_after_500ms),
		cmocka_unit_test(test_silence_timeout),
		cmocka_unit_test(test_disc_handling),
		cmocka_unit_test(test_reassembly_and_bitmap),
		cmocka_unit_test(test_cumulative_ack_config),
		cmocka_unit_test(test_flood_out_of_window),
		cmocka_unit_test(test_send_queue_bounds),
		cmocka_unit_test(test_msg_alignment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
