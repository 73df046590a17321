/*
 * test_gen_rng.c - the generator's PRNG: reference outputs (xoshiro256**
 * seeded through splitmix64, computed with an independent Python
 * transcription of the authors' C), determinism, ranges and bias.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tools/generate/rng.h"

static void test_reference(void **state)
{
	static const struct {
		uint64_t seed, out[3];
	} tab[] = {
		{ 0,
		  { 0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL,
		    0x1a5f849d4933e6e0ULL } },
		{ 42,
		  { 0x15780b2e0c2ec716ULL, 0x6104d9866d113a7eULL,
		    0xae17533239e499a1ULL } },
	};
	struct tw_gen_rng r;

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		tw_gen_rng_seed(&r, tab[i].seed);
		for (int k = 0; k < 3; k++)
			assert_true(tw_gen_rng_next(&r) == tab[i].out[k]);
	}
}

static void test_same_seed_same_stream(void **state)
{
	struct tw_gen_rng a, b, c;
	uint8_t fa[37], fb[37];
	int same = 1;

	(void)state;
	tw_gen_rng_seed(&a, 7);
	tw_gen_rng_seed(&b, 7);
	tw_gen_rng_seed(&c, 8);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = tw_gen_rng_next(&a);

		assert_true(x == tw_gen_rng_next(&b));
		same &= x == tw_gen_rng_next(&c);
	}
	assert_false(same);
	tw_gen_rng_fill(&a, fa, sizeof(fa));
	tw_gen_rng_fill(&b, fb, sizeof(fb));
	assert_memory_equal(fa, fb, sizeof(fa));
}

static void test_ranges(void **state)
{
	struct tw_gen_rng r;
	unsigned hist[6] = { 0 };

	(void)state;
	tw_gen_rng_seed(&r, 1);
	assert_int_equal(tw_gen_rng_below(&r, 0), 0);
	assert_int_equal(tw_gen_rng_range(&r, 5, 5), 5);
	assert_int_equal(tw_gen_rng_range(&r, 9, 3), 9);
	for (int i = 0; i < 60000; i++) {
		uint64_t v = tw_gen_rng_range(&r, 10, 15);
		double u = tw_gen_rng_unit(&r);

		assert_true(v >= 10 && v <= 15);
		assert_true(u >= 0.0 && u < 1.0);
		hist[v - 10]++;
	}
	/* Each of 6 values near 10000: well inside 5 sigma (~455). */
	for (int i = 0; i < 6; i++)
		assert_true(hist[i] > 9500 && hist[i] < 10500);
	assert_false(tw_gen_rng_chance(&r, 0.0));
	assert_true(tw_gen_rng_chance(&r, 1.0));
	(void)tw_gen_rng_range(&r, 0, UINT64_MAX);
}

static void test_exp_mean(void **state)
{
	struct tw_gen_rng r;
	double sum = 0.0;

	(void)state;
	tw_gen_rng_seed(&r, 3);
	for (int i = 0; i < 100000; i++)
		sum += tw_gen_rng_exp(&r, 2.0);
	assert_true(sum / 100000 > 1.95 && sum / 100000 < 2.05);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference),
		cmocka_unit_test(test_same_seed_same_stream),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_exp_mean),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
