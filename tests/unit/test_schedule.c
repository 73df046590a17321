/*
 * test_schedule.c - exact send offsets for every scheduling mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay/schedule.h"
#include "trace/error.h"

#define S 1000000000LL
#define MAXP 16

/*
 * One case a line: mode ("x" speedup, "pps" rate, "bps" bit rate), max gap
 * in ns, loops, timestamps (or, for bps, lengths), the offsets wanted for
 * every loop, and the out-of-order count of one loop.
 */
struct sched_case {
	const char *name;
	const char *mode;
	int64_t max_gap_ns;
	int loops;
	const char *in;
	const char *want;
	uint64_t want_ooo;
};

/* clang-format off */
static const struct sched_case cases[] = {
	{ "speedup 1", "x1", 0, 1, "0 1000 1000 3000 10000000000",
	  "0 1000 1000 3000 10000000000", 0 },
	{ "speedup 0.5", "x0.5", 0, 1, "0 1000 1000 3000 10000000000",
	  "0 2000 2000 6000 20000000000", 0 },
	{ "speedup 5", "x5", 0, 1, "0 1000 1000 3001 10000000000",
	  "0 200 200 600 2000000000", 0 },
	{ "speedup 1000", "x1000", 0, 1, "0 1000 1999 3000 10000000000",
	  "0 1 1 3 10000000", 0 },
	{ "speedup 2.5, epoch", "x2.5", 0, 1,
	  "1700000000000000000 1700000000000000005 1700000001000000000",
	  "0 2 400000000", 0 },
	{ "single packet", "x1", 0, 1, "42000000000", "0", 0 },
	{ "identical timestamps", "x3", 0, 1, "7 7 7 7", "0 0 0 0", 0 },
	{ "backwards", "x1", 0, 1, "100 200 150 50 300 250",
	  "0 100 100 100 200 200", 3 },
	{ "late first packet", "x1", 0, 1, "500 100 600", "0 0 100", 1 },
	{ "max gap, speedup 1", "x1", 100, 1, "0 10 1000000 1000010",
	  "0 10 110 120", 0 },
	{ "max gap, speedup 2", "x2", 100, 1, "0 10 5000000000 5000000010",
	  "0 5 105 110", 0 },
	{ "pps 1000", "pps1000", 0, 1, "0 9000000000 1 2",
	  "0 1000000 2000000 3000000", 2 },
	{ "pps 0.5", "pps0.5", 0, 1, "0 0 0", "0 2000000000 4000000000", 0 },
	{ "pps 3, rounding down", "pps3", 0, 1, "0 0 0 0",
	  "0 333333333 666666666 1000000000", 0 },
	{ "1000 bytes/s", "bps8000", 0, 1, "100 200 50 1",
	  "0 100000000 300000000 350000000", 0 },
	{ "loops, speedup 1", "x1", 0, 3, "0 10 20",
	  "0 10 20 30 40 50 60 70 80", 0 },
	{ "loops, speedup 2", "x2", 0, 2, "1000 1002 1010",
	  "0 1 5 7 8 12", 0 },
	{ "loops of one packet", "x1", 0, 3, "5", "0 0 0", 0 },
	{ "loops, capped seam", "x1", 4, 2, "0 100", "0 4 8 12", 0 },
	{ "loops, pps", "pps10", 0, 2, "0 100",
	  "0 100000000 200000000 300000000", 0 },
};
/* clang-format on */

/* Reads up to max integers from a space-separated list. */
static int ints(const char *s, int64_t *v, int max)
{
	int n = 0;

	while (*s && n < max) {
		char *end;

		v[n++] = strtoll(s, &end, 10);
		s = end;
	}
	return n;
}

static void config(const char *mode, int64_t max_gap, struct tw_sched_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_gap_ns = max_gap;
	if (mode[0] == 'x') {
		cfg->mode = TW_SCHED_SPEEDUP;
		assert_int_equal(tw_ratio_parse(mode + 1, &cfg->speed), 0);
	} else if (!strncmp(mode, "pps", 3)) {
		cfg->mode = TW_SCHED_PPS;
		assert_int_equal(tw_ratio_parse(mode + 3, &cfg->pps), 0);
	} else {
		cfg->mode = TW_SCHED_RATE;
		cfg->bps = strtoull(mode + 3, NULL, 10);
	}
}

static void run_case(const struct sched_case *c, struct tw_sched *s)
{
	int64_t in[MAXP], want[3 * MAXP];
	int n = ints(c->in, in, MAXP);
	bool bits = !strncmp(c->mode, "bps", 3);
	struct tw_sched_cfg cfg;

	config(c->mode, c->max_gap_ns, &cfg);
	assert_int_equal(ints(c->want, want, 3 * MAXP), n * c->loops);
	assert_int_equal(tw_sched_init(s, &cfg), 0);
	for (int l = 0; l < c->loops; l++) {
		for (int i = 0; i < n; i++) {
			int64_t off = -1;
			int64_t ts = bits ? 0 : in[i];
			uint32_t len = bits ? (uint32_t)in[i] : 60;

			assert_int_equal(tw_sched_next(s, ts, len, &off), 0);
			if (off != want[l * n + i])
				fail_msg("%s: loop %d packet %d: %lld, want "
				         "%lld",
				         c->name, l, i, (long long)off,
				         (long long)want[l * n + i]);
		}
		tw_sched_new_loop(s);
	}
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tw_sched s;

		run_case(&cases[i], &s);
		if (s.out_of_order !=
		    cases[i].want_ooo * (uint64_t)cases[i].loops)
			fail_msg("%s: %llu out of order", cases[i].name,
			         (unsigned long long)s.out_of_order);
	}
}

static void test_topspeed(void **state)
{
	struct tw_sched_cfg cfg = { .mode = TW_SCHED_TOPSPEED };
	struct tw_sched s;
	int64_t off = -1;

	(void)state;
	assert_int_equal(tw_sched_init(&s, &cfg), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(tw_sched_next(&s, i * S, 1500, &off), 0);
		assert_int_equal(off, 0);
	}
}

/* Spans that overflow int64 arithmetic done naively stay exact. */
static void test_huge_spans(void **state)
{
	struct tw_sched_cfg cfg = { .mode = TW_SCHED_SPEEDUP };
	struct tw_sched s;
	int64_t off = -1;

	(void)state;
	/* The full int64 range of timestamps, compressed 1000 times. */
	assert_int_equal(tw_ratio_parse("1000", &cfg.speed), 0);
	assert_int_equal(tw_sched_init(&s, &cfg), 0);
	assert_int_equal(tw_sched_next(&s, INT64_MIN, 0, &off), 0);
	assert_int_equal(tw_sched_next(&s, INT64_MAX, 0, &off), 0);
	assert_int_equal(off, (int64_t)(UINT64_MAX / 1000));

	/* A three-day trace at speedup 0.000000001 is beyond 292 years. */
	assert_int_equal(tw_ratio_parse("0.000000001", &cfg.speed), 0);
	assert_int_equal(tw_sched_init(&s, &cfg), 0);
	assert_int_equal(tw_sched_next(&s, 0, 0, &off), 0);
	assert_int_equal(tw_sched_next(&s, 3 * 86400 * S, 0, &off), TW_ELIMIT);

	/* Three days at 0.999999999: the product needs 128 bits. */
	assert_int_equal(tw_ratio_parse("0.999999999", &cfg.speed), 0);
	assert_int_equal(tw_sched_init(&s, &cfg), 0);
	assert_int_equal(tw_sched_next(&s, 0, 0, &off), 0);
	assert_int_equal(tw_sched_next(&s, 999999999LL * 259200, 0, &off), 0);
	assert_int_equal(off, 259200 * S);

	/* Ten billion packets at 1 Gpps, and endless loops. */
	cfg.mode = TW_SCHED_PPS;
	assert_int_equal(tw_ratio_parse("1000000000", &cfg.pps), 0);
	assert_int_equal(tw_sched_init(&s, &cfg), 0);
	s.count = 10000000000ULL;
	assert_int_equal(tw_sched_next(&s, 0, 0, &off), 0);
	assert_int_equal(off, 10 * S);

	cfg.mode = TW_SCHED_RATE;
	cfg.bps = 1;
	assert_int_equal(tw_sched_init(&s, &cfg), 0);
	s.bits = (__int128)INT64_MAX;
	assert_int_equal(tw_sched_next(&s, 0, 1500, &off), TW_ELIMIT);
}

static void test_ratio_parse(void **state)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t num, den;
	} t[] = {
		{ "1", 0, 1, 1 },
		{ "0.5", 0, 1, 2 },
		{ "2.25", 0, 9, 4 },
		{ "1000", 0, 1000, 1 },
		{ ".5", 0, 1, 2 },
		{ "0.000000001", 0, 1, 1000000000 },
		{ "1e6", 0, 1000000, 1 },
		{ "1E3", 0, 1000, 1 },
		{ "2.5e-3", 0, 1, 400 },
		{ "5e+2", 0, 500, 1 },
		{ "1e18", 0, 1000000000000000000ULL, 1 },
		{ "1e19", TW_EINVAL, 0, 0 },
		{ "1e", TW_EINVAL, 0, 0 },
		{ "1e400", TW_EINVAL, 0, 0 },
		{ "0", TW_EINVAL, 0, 0 },
		{ "0.0", TW_EINVAL, 0, 0 },
		{ "-1", TW_EINVAL, 0, 0 },
		{ "1.", TW_EINVAL, 0, 0 },
		{ "", TW_EINVAL, 0, 0 },
		{ "1x", TW_EINVAL, 0, 0 },
		{ "1.2.3", TW_EINVAL, 0, 0 },
		{ "0.0000000001", TW_EINVAL, 0, 0 },
		{ "99999999999999999999", TW_EINVAL, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tw_ratio r = { 0, 0 };

		if (tw_ratio_parse(t[i].s, &r) != t[i].rc)
			fail_msg("'%s': wrong status", t[i].s);
		if (!t[i].rc && (r.num != t[i].num || r.den != t[i].den))
			fail_msg("'%s': %llu/%llu", t[i].s,
			         (unsigned long long)r.num,
			         (unsigned long long)r.den);
	}
}

static void test_duration_parse(void **state)
{
	static const struct {
		const char *s;
		int rc;
		int64_t ns;
	} t[] = {
		{ "1.5", 0, 1500000000 },  { "2s", 0, 2 * S },
		{ "250ms", 0, 250000000 }, { "10us", 0, 10000 },
		{ "7ns", 0, 7 },           { "2h", 0, 7200 * S },
		{ "1.5m", 0, 90 * S },     { "0", 0, 0 },
		{ "1x", TW_EINVAL, 0 },    { "-1", TW_EINVAL, 0 },
		{ "ms", TW_EINVAL, 0 },    { "9999999999h", TW_EINVAL, 0 },
		{ "1h30m", 0, 5400 * S },  { "2m0.5s", 0, 120500000000 },
		{ "1m30", TW_EINVAL, 0 },  { "1h-5m", TW_EINVAL, 0 },
		{ "", TW_EINVAL, 0 },      { "5000000h5000000h", TW_EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t ns = -1;

		if (tw_duration_parse(t[i].s, &ns) != t[i].rc)
			fail_msg("'%s': wrong status", t[i].s);
		if (!t[i].rc && ns != t[i].ns)
			fail_msg("'%s': %lld", t[i].s, (long long)ns);
	}
}

static void test_bad_config(void **state)
{
	struct tw_sched_cfg cfg = { .mode = TW_SCHED_RATE };
	struct tw_sched s;

	(void)state;
	assert_int_equal(tw_sched_init(&s, &cfg), TW_EINVAL);
	cfg.mode = TW_SCHED_PPS;
	assert_int_equal(tw_sched_init(&s, &cfg), TW_EINVAL);
	cfg.mode = TW_SCHED_SPEEDUP;
	assert_int_equal(tw_sched_init(&s, &cfg), TW_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_topspeed),
		cmocka_unit_test(test_huge_spans),
		cmocka_unit_test(test_ratio_parse),
		cmocka_unit_test(test_duration_parse),
		cmocka_unit_test(test_bad_config),
	};

	return cmocka_run_group_tests_name("schedule", tests, NULL, NULL);
}
