/* bcconn over a simulated network (seeded loss, duplication, reordering, delay) connecting a
 * client and a camera: megabytes arrive intact and in order. */
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

/* ---- simulated network ---------------------------------------------------------------- */

struct npkt {
	uint64_t at, seq;
	int to;                      /* 0 = client, 1 = camera */
	size_t len;
	uint8_t data[];
};

struct net {
	struct npkt **heap;
	size_t n, cap;
	uint64_t seq;
	uint32_t rng;
	unsigned loss_pct, dup_pct;
	uint64_t delay_us, jitter_us;
	uint64_t sent, dropped, duped;
};

static int before(const struct npkt *a, const struct npkt *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_push(struct net *nt, struct npkt *p)
{
	size_t i;

	if (nt->n == nt->cap) {
		nt->cap = nt->cap ? nt->cap * 2 : 1024;
		nt->heap = realloc(nt->heap, nt->cap * sizeof(*nt->heap));
		assert_non_null(nt->heap);
	}
	i = nt->n++;
	nt->heap[i] = p;
	while (i && before(nt->heap[i], nt->heap[(i - 1) / 2])) {
		struct npkt *t = nt->heap[i];
		nt->heap[i] = nt->heap[(i - 1) / 2];
		nt->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct npkt *heap_pop(struct net *nt)
{
	struct npkt *top = nt->heap[0];
	size_t i = 0;

	nt->heap[0] = nt->heap[--nt->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < nt->n && before(nt->heap[l], nt->heap[m]))
			m = l;
		if (r < nt->n && before(nt->heap[r], nt->heap[m]))
			m = r;
		if (m == i)
			break;
		struct npkt *t = nt->heap[i];
		nt->heap[i] = nt->heap[m];
		nt->heap[m] = t;
		i = m;
	}
	return top;
}

static void net_send(struct net *nt, int to, const uint8_t *b, size_t len, uint64_t now)
{
	int copies = 1;

	nt->sent++;
	if (tu_rnd(&nt->rng) % 100 < nt->loss_pct) {
		nt->dropped++;
		return;
	}
	if (tu_rnd(&nt->rng) % 100 < nt->dup_pct) {
		copies = 2;
		nt->duped++;
	}
	while (copies--) {
		struct npkt *p = malloc(sizeof(*p) + len);
		assert_non_null(p);
		p->at = now + nt->delay_us + (nt->jitter_us ? tu_rnd(&nt->rng) % nt->jitter_us : 0);
		p->seq = nt->seq++;
		p->to = to;
		p->len = len;
		memcpy(p->data, b, len);
		heap_push(nt, p);
	}
}

static void net_free(struct net *nt)
{
	while (nt->n)
		free(heap_pop(nt));
	free(nt->heap);
}

/* ---- lossy network ------------------------------------------------------------------- */

struct side {
	struct bcconn *c;
	size_t wrote, read;
	size_t total;
	uint8_t salt;
	int use_msg;
};

static uint8_t pat(size_t i, uint8_t salt)
{
	return (uint8_t)(i * 7 + (i >> 9) + salt);
}

static void produce(struct side *s, uint32_t *rng)
{
	uint8_t buf[6000];

	while (s->wrote < s->total) {
		size_t len = 1 + tu_rnd(rng) % 5000, i;
		int r;
		if (len > s->total - s->wrote)
			len = s->total - s->wrote;
		for (i = 0; i < len; i++)
			buf[i] = pat(s->wrote + i, s->salt);
		r = s->use_msg ? bcconn_write_msg(s->c, buf, len) : bcconn_write(s->c, buf, len);
		if (r == -ENOBUFS)
			break;
		assert_int_equal(r, (int)len);
		s->wrote += len;
	}
}

static void consume(struct side *s)
{
	uint8_t buf[4096];
	size_t n;

	while ((n = bcconn_read(s->c, buf, sizeof(buf))) > 0) {
		for (size_t i = 0; i < n; i++)
			if (buf[i] != pat(s->read + i, s->salt))
				fail_msg("byte %zu differs", s->read + i);
		s->read += n;
	}
}

/* Runs both ends until the transfers complete; returns the simulated time used. */
static uint64_t run_pair(struct net *nt, struct side *cl, struct side *cam, uint64_t limit)
{
	uint8_t dg[BCCONN_DGRAM_MAX];
	uint32_t rng = 4242;
	uint64_t now = 0;
	int n, spins = 0;

	/* cl writes what cam reads and vice versa: the read counters live on the reader */
	while (now < limit) {
		struct side *ends[2] = { cl, cam };

		produce(cl, &rng);
		produce(cam, &rng);
		for (int i = 0; i < 2; i++)
			while ((n = bcconn_poll(ends[i]->c, now, dg, sizeof(dg))) > 0)
				net_send(nt, 1 - i, dg, (size_t)n, now);
		while (nt->n && nt->heap[0]->at <= now) {
			struct npkt *p = heap_pop(nt);
			int r = bcconn_on_datagram(ends[p->to]->c, p->data, p->len, now);
			assert_true(r >= 0);
			free(p);
		}
		consume(cl);
		consume(cam);
		if (cl->read == cam->total && cam->read == cl->total &&
		    bcconn_tx_idle(cl->c) && bcconn_tx_idle(cam->c))
			return now;
		assert_int_equal(bcconn_state(cl->c, now), BCCONN_OPEN);
		assert_int_equal(bcconn_state(cam->c, now), BCCONN_OPEN);
		{
			uint64_t a = bcconn_next_deadline(cl->c, now), b = bcconn_next_deadline(cam->c, now);
			uint64_t next = a < b ? a : b;
			if (nt->n && nt->heap[0]->at < next)
				next = nt->heap[0]->at;
			/* acks just processed may open the window right now */
			if (next <= now)
				assert_true(++spins < 100);
			else
				spins = 0, now = next;
		}
	}
	fail_msg("transfer incomplete after %llu us: client read %zu/%zu, camera read %zu/%zu",
		 (unsigned long long)now, cl->read, cam->total, cam->read, cl->total);
	return now;
}

static void test_lossy_transfer_2mb(void **state)
{
	struct net nt = { .rng = 2024, .loss_pct = 12, .dup_pct = 5, .delay_us = 5 * MS,
			  .jitter_us = 20 * MS };
	/* the client reads what the camera writes: .read of one side counts the other's total */
	struct side cl = { .c = tu_bcconn_new(BCCONN_CLIENT, NULL), .total = 2u << 20, .salt = 1 };
	struct side cam = { .c = tu_bcconn_new(BCCONN_CAMERA, NULL), .total = 2u << 20, .salt = 1,
			    .use_msg = 1 };
	struct bcconn_stats a, b;
	uint64_t t;

	(void)state;
	t = run_pair(&nt, &cl, &cam, 600ull * 1000 * MS);
	bcconn_get_stats(cl.c, &a);
	bcconn_get_stats(cam.c, &b);
	print_message("2 MB each way in %.1f s simulated; net sent %llu dropped %llu duplicated %llu;"
		      " client retrans %llu dup %llu lost %llu; camera retrans %llu dup %llu\n",
		      (double)t / 1e6, (unsigned long long)nt.sent, (unsigned long long)nt.dropped,
		      (unsigned long long)nt.duped, (unsigned long long)a.tx_retrans,
		      (unsigned long long)a.rx_dup, (unsigned long long)a.rx_gaps,
		      (unsigned long long)b.tx_retrans, (unsigned long long)b.rx_dup);
	assert_true(nt.dropped > 100);
	assert_true(a.tx_retrans > 0 && b.tx_retrans > 0);
	assert_true(a.rx_dup > 0 && b.rx_dup > 0);
	assert_true(a.rx_gaps > 0);
	assert_int_equal(a.rx_bytes - 0, a.rx_bytes);
	assert_int_equal(cl.read, 2u << 20);
	assert_int_equal(cam.read, 2u << 20);
	net_free(&nt);
	bcconn_free(cl.c);
	bcconn_free(cam.c);
}

/* A camera_proxy-like client: accepts Data only with packet_id == expected, drops the rest,
 * acks cumulatively (28 bytes, no bitmap) every 10 ms.  The camera must go back N: every
 * resend round starts right after the last id it saw acknowledged and runs consecutively. */
static void test_go_back_n_cumulative_peer(void **state)
{
	struct net nt = { .rng = 77, .loss_pct = 10, .dup_pct = 3, .delay_us = 3 * MS,
			  .jitter_us = 6 * MS };
	struct bcconn *cam = tu_bcconn_new(BCCONN_CAMERA, NULL);
	uint8_t dg[BCCONN_DGRAM_MAX], msg[1034];
	uint32_t expect = 0, acked_next = 0, sent_hi = 0;
	size_t wrote = 0, got = 0, total = 600 * 1034;
	uint64_t now = 0, next_ack = 0;
	struct bcconn_stats st;
	int n, rounds = 0, spins = 0;

	(void)state;
	while (got < total && now < 300ull * 1000 * MS) {
		int in_round = 0;
		uint32_t round_next = 0;

		/* producer: 1034-byte BC messages (24-byte header + 1010 bytes), as an Argus 2 */
		while (wrote < total) {
			for (size_t i = 0; i < sizeof(msg); i++)
				msg[i] = pat(wrote + i, 9);
			if (bcconn_write_msg(cam, msg, sizeof(msg)) < 0)
				break;
			wrote += sizeof(msg);
		}
		while ((n = bcconn_poll(cam, now, dg, sizeof(dg))) > 0) {
			struct bcudp_pkt p;
			if (tu_bcudp_classify(dg, (size_t)n, &p, NULL) == BCUDP_DATA) {
				/* each message is one datagram: 1034 ≤ 1330 */
				assert_int_equal(p.payload_len, 1034);
				if (p.packet_id < sent_hi) {
					if (!in_round) {
						assert_int_equal(p.packet_id, acked_next);
						in_round = 1;
						rounds++;
					} else {
						assert_int_equal(p.packet_id, round_next);
					}
					round_next = p.packet_id + 1;
				} else {
					assert_int_equal(p.packet_id, sent_hi);
					sent_hi++;
				}
			}
			net_send(&nt, 0, dg, (size_t)n, now);
		}
		while (nt.n && nt.heap[0]->at <= now) {
			struct npkt *p = heap_pop(&nt);
			struct bcudp_pkt d;
			assert_true(bcudp_parse(p->data, p->len, &d, NULL) > 0);
			if (p->to == 0) {
				if (d.type == BCUDP_DATA && d.conn_id == CID && d.packet_id == expect) {
					for (size_t i = 0; i < d.payload_len; i++)
						assert_int_equal(d.payload[i], pat(got + i, 9));
					got += d.payload_len;
					expect++;
				}
			} else {
				if (d.type == BCUDP_ACK && d.packet_id != BCUDP_ID_NONE &&
				    d.packet_id + 1 > acked_next)
					acked_next = d.packet_id + 1;
				assert_true(bcconn_on_datagram(cam, p->data, p->len, now) >= 0);
			}
			free(p);
		}
		if (now >= next_ack) {
			n = bcudp_build_ack(dg, sizeof(dg), DID, expect ? 0 : BCUDP_ID_NONE,
					    expect - 1, 0, NULL, 0);
			net_send(&nt, 1, dg, (size_t)n, now);
			next_ack = now + 10 * MS;
		}
		{
			uint64_t next = bcconn_next_deadline(cam, now);
			if (next_ack < next)
				next = next_ack;
			if (nt.n && nt.heap[0]->at < next)
				next = nt.heap[0]->at;
			if (next <= now)
				assert_true(++spins < 100);
			else
				spins = 0, now = next;
		}
	}
	assert_int_equal(got, total);
	assert_true(rounds > 5);
	bcconn_get_stats(cam, &st);
	assert_true(st.tx_retrans > 0);
	assert_int_equal(bcconn_state(cam, now), BCCONN_OPEN);
	print_message("go-back-N: %zu bytes in %.1f s simulated, %d rounds, %llu data sent, "
		      "%llu retransmitted\n", total, (double)now / 1e6, rounds,
		      (unsigned long long)st.tx_data, (unsigned long long)st.tx_retrans);
	net_free(&nt);
	bcconn_free(cam);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lossy_transfer_2mb),
		cmocka_unit_test(test_go_back_n_cumulative_peer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
