/*
 * test_hist.c - bucket boundaries and percentiles of the lateness
 * histogram, checked against sorted exact values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "replay/hist.h"

/* Every value maps to a bucket whose range holds it, and buckets are
 * contiguous: the maximum of one plus one is in the next. */
static void test_buckets(void **state)
{
	uint64_t prev_max = 0;

	(void)state;
	for (unsigned i = 0; i < TW_HIST_BUCKETS; i++) {
		uint64_t hi = tw_hist_bucket_max(i);

		if (i)
			assert_int_equal(tw_hist_index(prev_max + 1), i);
		assert_int_equal(tw_hist_index(hi), i);
		assert_true(i == 0 || hi > prev_max);
		prev_max = hi;
	}
	assert_int_equal(prev_max, UINT64_MAX);
	assert_int_equal(tw_hist_index(UINT64_MAX), TW_HIST_BUCKETS - 1);
	for (uint64_t v = 1; v < (1ULL << 40); v = v * 3 + 1) {
		unsigned i = tw_hist_index(v);
		uint64_t lo = i ? tw_hist_bucket_max(i - 1) + 1 : 0;

		/* The width of a bucket is under 1/64 of its values. */
		assert_true(tw_hist_bucket_max(i) - lo <= v / 64);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_percentiles(void **state)
{
	static const double ps[] = { 50, 90, 99, 99.9, 100 };
	enum { N = 100000 };
	uint64_t *v = malloc(N * sizeof(*v));
	struct tw_hist *h = malloc(sizeof(*h));
	uint64_t x = 88172645463325252ULL;

	(void)state;
	assert_non_null(v);
	assert_non_null(h);
	tw_hist_init(h);
	for (int i = 0; i < N; i++) {
		/* xorshift64, spread over six decades of ns */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v[i] = (x % 1000) * ((uint64_t)1 << (x >> 60));
		tw_hist_record(h, v[i]);
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		uint64_t exact = v[(size_t)((ps[k] / 100) * N + 0.999999) - 1];
		uint64_t got = tw_hist_percentile(h, ps[k]);

		assert_true(got >= exact);
		assert_true(got - exact <= exact / 64);
	}
	assert_int_equal(h->max, v[N - 1]);
	assert_int_equal(h->min, v[0]);
	assert_int_equal(tw_hist_percentile(h, 100), v[N - 1]);
	free(v);
	free(h);
}

static void test_small_and_merge(void **state)
{
	struct tw_hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));

	(void)state;
	tw_hist_init(a);
	tw_hist_init(b);
	assert_int_equal(tw_hist_percentile(a, 99), 0);
	assert_true(tw_hist_mean(a) == 0.0);
	for (uint64_t i = 1; i <= 100; i++)
		tw_hist_record(i <= 50 ? a : b, i);
	tw_hist_merge(a, b);
	assert_int_equal(a->count, 100);
	assert_int_equal(tw_hist_percentile(a, 50), 50);
	assert_int_equal(tw_hist_percentile(a, 90), 90);
	assert_int_equal(tw_hist_percentile(a, 99.9), 100);
	assert_int_equal(a->min, 1);
	assert_true(tw_hist_mean(a) == 50.5);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_small_and_merge),
	};

	return cmocka_run_group_tests_name("hist", tests, NULL, NULL);
}
