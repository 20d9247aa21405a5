/* cam-sim: the impairment model (deterministic with a seed) and option parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "bc/bc_crypto.h"
#include "sim/sim_cfg.h"
#include "sim/sim_impair.h"

/* Runs 2000 numbered datagrams through the model; returns the output order. */
static int run(const struct sim_impair_cfg *cfg, uint32_t *order, int max, struct sim_impair_stats *st)
{
	struct sim_impair *im;
	uint8_t d[8], out[SIM_IMPAIR_DGRAM];
	uint64_t t = 0;
	int n = 0, r;

	assert_int_equal(sim_impair_new(cfg, &im), 0);
	for (uint32_t i = 0; i < 2000; i++, t += 100) {
		memcpy(d, &i, 4);
		assert_true(sim_impair_push(im, d, sizeof(d), t) >= 0);
		while ((r = sim_impair_pop(im, t, out, sizeof(out))) > 0 && n < max)
			memcpy(&order[n++], out, 4);
	}
	/* drain: a part-filled reorder window is released late, then delayed */
	for (int k = 0; k < 10 && sim_impair_deadline(im) != UINT64_MAX; k++) {
		t += 1000000;
		while ((r = sim_impair_pop(im, t, out, sizeof(out))) > 0 && n < max)
			memcpy(&order[n++], out, 4);
	}
	assert_int_equal(sim_impair_deadline(im), UINT64_MAX);
	sim_impair_get_stats(im, st);
	sim_impair_free(im);
	return n;
}

static void test_impair_seeded(void **state)
{
	struct sim_impair_cfg cfg = { .loss = 10, .dup = 5, .reorder = 4, .delay_us = 2000,
				      .jitter_us = 3000, .seed = 42 };
	uint32_t a[4000], b[4000];
	struct sim_impair_stats sa, sb;
	int na, nb, inversions = 0;

	(void)state;
	assert_true(sim_impair_enabled(&cfg));
	na = run(&cfg, a, 4000, &sa);
	nb = run(&cfg, b, 4000, &sb);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na * 4);
	/* about 10 % lost, 5 % duplicated */
	assert_true(sa.lost > 120 && sa.lost < 280);
	assert_true(sa.duplicated > 50 && sa.duplicated < 160);
	assert_int_equal((uint64_t)na, sa.in - sa.lost + sa.duplicated);
	for (int i = 1; i < na; i++)
		inversions += a[i] < a[i - 1];
	assert_true(inversions > 100);
	cfg.seed = 43;
	nb = run(&cfg, b, 4000, &sb);
	assert_true(na != nb || memcmp(a, b, (size_t)na * 4) != 0);
}

static void test_impair_delay_only(void **state)
{
	struct sim_impair_cfg cfg = { .delay_us = 5000, .seed = 1 };
	struct sim_impair *im;
	uint8_t out[SIM_IMPAIR_DGRAM];

	(void)state;
	assert_int_equal(sim_impair_new(&cfg, &im), 0);
	assert_int_equal(sim_impair_push(im, (const uint8_t *)"abc", 3, 100), 1);
	assert_int_equal(sim_impair_pop(im, 5099, out, sizeof(out)), 0);
	assert_int_equal(sim_impair_deadline(im), 5100);
	assert_int_equal(sim_impair_pop(im, 5100, out, sizeof(out)), 3);
	assert_memory_equal(out, "abc", 3);
	sim_impair_free(im);
	cfg.delay_us = 0;
	assert_false(sim_impair_enabled(&cfg));
}

static int parse(struct sim_cfg *c, const char *const *args)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = (char *)"cam-sim";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	sim_cfg_defaults(c);
	return sim_cfg_parse(c, argc, argv);
}

static void test_options(void **state)
{
	struct sim_cfg c;
	const char *ok[] = { "--listen", "127.0.0.1", "--disc-port", "0", "--disc-port", "2018",
			     "--tcp-port", "-1", "--uid", "U1", "--user", "bob", "--password", "pw",
			     "--encryption", "aes", "--source", "live", "--codec", "h265",
			     "--size", "640x480", "--fps", "25", "--sub-size", "320x240",
			     "--sub-fps", "5", "--battery", "50", "--sleep-after", "30",
			     "--loss", "1.5", "--dup", "2", "--reorder", "3", "--delay", "10",
			     "--jitter", "4", "--seed", "9", "--frame-log", "/tmp/x",
			     "--first-marker", "1000000", NULL };
	const char *bad[][3] = { { "--size", "641x480", NULL }, { "--encryption", "rot13", NULL },
				 { "--loss", "101", NULL }, { "--fps", "0", NULL },
				 { "--disc-port", "70000", NULL }, { "--bogus", NULL, NULL },
				 { "--first-marker", "-1", NULL }, { "--first-marker", "3000000000", NULL } };

	(void)state;
	assert_int_equal(parse(&c, (const char *const[]){ NULL }), 0);
	assert_int_equal(c.n_disc_ports, 2);
	assert_int_equal(c.disc_ports[0], 2015);
	assert_int_equal(c.disc_ports[1], 2018);
	assert_int_equal(c.tcp_port, 9000);
	assert_int_equal(c.first_marker, 0);
	assert_int_equal(parse(&c, ok), 0);
	assert_int_equal(c.n_disc_ports, 2);
	assert_int_equal(c.disc_ports[0], 0);
	assert_int_equal(c.tcp_port, -1);
	assert_int_equal(c.max_enc, BC_ENC_AES);
	assert_int_equal(c.stream[SIM_MAIN].width, 640);
	assert_int_equal(c.stream[SIM_SUB].fps, 5);
	assert_int_equal(c.reorder, 3);
	assert_true(c.loss > 1.4 && c.loss < 1.6);
	assert_int_equal(c.seed, 9);
	assert_int_equal(c.first_marker, 1000000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_true(parse(&c, bad[i]) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_impair_seeded),
		cmocka_unit_test(test_impair_delay_only),
		cmocka_unit_test(test_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
