/*
 * test_gen_rate.c - rate curves (constant, ramp, diurnal) and the arrival
 * times drawn from them.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tools/generate/rate.h"

#define S 1000000000LL

static void test_constant(void **state)
{
	struct tw_gen_rate r = { .curve = TW_GEN_CONSTANT, .rate = 100.0 };
	struct tw_gen_rng g;
	int64_t t = 0;

	(void)state;
	tw_gen_rng_seed(&g, 1);
	assert_true(tw_gen_rate_at(&r, 0) == 100.0);
	assert_true(tw_gen_rate_at(&r, 1000 * S) == 100.0);
	for (int i = 0; i < 100; i++)
		t = tw_gen_rate_next(&r, t, &g);
	assert_true(t == S); /* even gaps of 10 ms */
}

static void test_ramp(void **state)
{
	struct tw_gen_rate r = { .curve = TW_GEN_RAMP,
		                 .from = 10.0,
		                 .to = 110.0,
		                 .over_ns = 10 * S };

	(void)state;
	assert_true(fabs(tw_gen_rate_at(&r, 0) - 10.0) < 1e-9);
	assert_true(fabs(tw_gen_rate_at(&r, 5 * S) - 60.0) < 1e-9);
	assert_true(fabs(tw_gen_rate_at(&r, 10 * S) - 110.0) < 1e-9);
	assert_true(fabs(tw_gen_rate_at(&r, 99 * S) - 110.0) < 1e-9);
	r.from = 110.0;
	r.to = 0.0; /* a ramp down to nothing never stalls */
	{
		struct tw_gen_rng g;

		tw_gen_rng_seed(&g, 1);
		assert_true(tw_gen_rate_next(&r, 20 * S, &g) == 30 * S);
	}
}

static void test_diurnal(void **state)
{
	struct tw_gen_rate r = { .curve = TW_GEN_DIURNAL,
		                 .rate = 100.0,
		                 .amplitude = 0.5,
		                 .period_ns = 60 * S };

	(void)state;
	assert_true(fabs(tw_gen_rate_at(&r, 0) - 50.0) < 1e-6);
	assert_true(fabs(tw_gen_rate_at(&r, 30 * S) - 150.0) < 1e-6);
	assert_true(fabs(tw_gen_rate_at(&r, 15 * S) - 100.0) < 1e-6);
	assert_true(fabs(tw_gen_rate_at(&r, 90 * S) - 150.0) < 1e-6);
}

/* Poisson arrivals: the right count on average, and uneven gaps. */
static void test_poisson(void **state)
{
	struct tw_gen_rate r = { .curve = TW_GEN_CONSTANT,
		                 .rate = 1000.0,
		                 .poisson = 1 };
	struct tw_gen_rng g;
	int64_t t = 0, prev = 0, gap0 = 0;
	int n = 0, uneven = 0;

	(void)state;
	tw_gen_rng_seed(&g, 9);
	while (t < 10 * S) {
		t = tw_gen_rate_next(&r, t, &g);
		if (n == 1)
			gap0 = t - prev;
		else if (n > 1)
			uneven |= (t - prev) != gap0;
		prev = t;
		n++;
	}
	assert_true(n > 9700 && n < 10300);
	assert_true(uneven);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constant),
		cmocka_unit_test(test_ramp),
		cmocka_unit_test(test_diurnal),
		cmocka_unit_test(test_poisson),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
