/*
 * test_cryptopan.c - Crypto-PAn against the reference vectors, and the
 * properties the redactor relies on: prefix preservation, injectivity,
 * stability, dependence on the key, and a cache that never changes an
 * answer.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "redact/cryptopan.h"

/* The sample key of the Crypto-PAn reference distribution (sample.cpp). */
static const uint8_t REF_KEY[32] = { 21,  34,  23,  141, 51,  164, 207, 128,
	                             19,  10,  91,  22,  73,  144, 125, 16,
	                             216, 152, 143, 131, 121, 121, 101, 39,
	                             98,  87,  76,  45,  42,  132, 34,  2 };

/* From sample_trace_raw.dat / sample_trace_sanitized.dat. */
static const char *const REF4[][2] = {
	{ "128.11.68.132", "135.242.180.132" },
	{ "129.118.74.4", "134.136.186.123" },
	{ "130.132.252.244", "133.68.164.234" },
	{ "141.223.7.43", "141.167.8.160" },
	{ "141.233.145.108", "141.129.237.235" },
	{ "152.163.225.39", "151.140.114.167" },
	{ "156.29.3.236", "147.225.12.42" },
	{ "165.247.96.84", "162.9.99.234" },
	{ "166.107.77.190", "160.132.178.185" },
	{ "192.102.249.13", "252.138.62.131" },
	{ "192.215.32.125", "252.43.47.189" },
	{ "192.233.80.103", "252.25.108.8" },
	{ "192.41.57.43", "252.222.221.184" },
	{ "193.150.244.223", "253.169.52.216" },
	{ "195.205.63.100", "255.186.223.5" },
	{ "198.200.171.101", "249.199.68.213" },
	{ "202.49.198.20", "245.206.7.234" },
	{ "24.0.250.221", "100.15.198.226" },
	{ "4.3.88.225", "124.60.155.63" },
	{ "64.14.118.196", "0.255.183.58" },
	{ "10.185.25.118", "117.161.29.118" },
};

/* The 128-bit variant as other implementations compute it. */
static const char *const REF6[][2] = {
	{ "::1", "78ff:f001:9fc0:20df:8380:b1f1:704:ed" },
	{ "::2", "78ff:f001:9fc0:20df:8380:b1f1:704:ef" },
	{ "::ffff", "78ff:f001:9fc0:20df:8380:b1f1:704:f838" },
	{ "2001:db8::1", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e" },
	{ "2001:db8::2", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1c" },
};

static struct tw_cpan *make(const uint8_t *key, unsigned bits)
{
	struct tw_cpan *c;
	struct tw_errbuf eb;

	assert_int_equal(tw_cpan_new(&c, key, bits, &eb), 0);
	return c;
}

/* Leading bits two byte strings share. */
static int common_prefix(const uint8_t *a, const uint8_t *b, int n)
{
	for (int i = 0; i < n * 8; i++)
		if (((a[i / 8] ^ b[i / 8]) >> (7 - i % 8)) & 1)
			return i;
	return n * 8;
}

static uint64_t rng_state = 0x853c49e6748fea9bull;

static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33);
}

static void test_reference_ipv4(void **state)
{
	struct tw_cpan *c = make(REF_KEY, 0);

	(void)state;
	for (size_t i = 0; i < sizeof(REF4) / sizeof(REF4[0]); i++) {
		uint8_t in[4], want[4], got[4];

		assert_int_equal(inet_pton(AF_INET, REF4[i][0], in), 1);
		assert_int_equal(inet_pton(AF_INET, REF4[i][1], want), 1);
		tw_cpan_ip4(c, in, got);
		if (memcmp(got, want, 4))
			fail_msg("%s: got %u.%u.%u.%u, want %s", REF4[i][0],
			         got[0], got[1], got[2], got[3], REF4[i][1]);
		tw_cpan_ip4(c, in, in); /* in place, from the cache */
		assert_memory_equal(in, want, 4);
	}
	tw_cpan_free(c);
}

static void test_reference_ipv6(void **state)
{
	struct tw_cpan *c = make(REF_KEY, 0);

	(void)state;
	for (size_t i = 0; i < sizeof(REF6) / sizeof(REF6[0]); i++) {
		uint8_t in[16], want[16], got[16];

		assert_int_equal(inet_pton(AF_INET6, REF6[i][0], in), 1);
		assert_int_equal(inet_pton(AF_INET6, REF6[i][1], want), 1);
		tw_cpan_ip6(c, in, got);
		assert_memory_equal(got, want, 16);
	}
	tw_cpan_free(c);
}

static void test_prefix_preserved_ipv4(void **state)
{
	struct tw_cpan *c = make(REF_KEY, 8);

	(void)state;
	for (int t = 0; t < 20000; t++) {
		uint32_t a = rnd(), flip = (uint32_t)(t % 33);
		uint32_t b = flip == 32 ? a : a ^ (0x80000000u >> flip);
		uint8_t pa[4], pb[4], qa[4], qb[4];

		/* Randomize the bits after the first difference too. */
		if (flip < 31)
			b ^= rnd() & (0x7fffffffu >> flip);
		for (int i = 0; i < 4; i++) {
			pa[i] = (uint8_t)(a >> (24 - 8 * i));
			pb[i] = (uint8_t)(b >> (24 - 8 * i));
		}
		tw_cpan_ip4(c, pa, qa);
		tw_cpan_ip4(c, pb, qb);
		assert_int_equal(common_prefix(pa, pb, 4),
		                 common_prefix(qa, qb, 4));
	}
	tw_cpan_free(c);
}

static void test_prefix_preserved_ipv6(void **state)
{
	struct tw_cpan *c = make(REF_KEY, 6);

	(void)state;
	for (int t = 0; t < 3000; t++) {
		uint8_t a[16], b[16], qa[16], qb[16];
		int k = t % 129;

		for (int i = 0; i < 16; i++)
			a[i] = (uint8_t)rnd();
		memcpy(b, a, 16);
		if (k < 128) {
			b[k / 8] ^= (uint8_t)(0x80 >> (k % 8));
			for (int i = k + 1; i < 128; i++)
				if (rnd() & 1)
					b[i / 8] ^= (uint8_t)(0x80 >> (i % 8));
		}
		tw_cpan_ip6(c, a, qa);
		tw_cpan_ip6(c, b, qb);
		assert_int_equal(common_prefix(a, b, 16), k);
		assert_int_equal(common_prefix(qa, qb, 16), k);
	}
	tw_cpan_free(c);
}

static int cmp32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void test_injective_over_slash16(void **state)
{
	struct tw_cpan *c = make(REF_KEY, 12);
	uint32_t *seen = malloc(65536 * sizeof(*seen));
	uint8_t first[4];

	(void)state;
	for (uint32_t i = 0; i < 65536; i++) {
		uint8_t in[4] = { 198, 18, (uint8_t)(i >> 8), (uint8_t)i };
		uint8_t out[4];

		tw_cpan_ip4(c, in, out);
		if (i == 0)
			memcpy(first, out, 4);
		/* The whole /16 maps into one /16. */
		assert_memory_equal(out, first, 2);
		seen[i] = (uint32_t)out[2] << 8 | out[3];
	}
	qsort(seen, 65536, sizeof(*seen), cmp32);
	for (uint32_t i = 0; i < 65536; i++)
		assert_int_equal(seen[i], i); /* a permutation of the /16 */
	free(seen);
	tw_cpan_free(c);
}

static void test_stable_and_cache_transparent(void **state)
{
	struct tw_cpan *big = make(REF_KEY, 20);
	struct tw_cpan *tiny = make(REF_KEY, 3); /* evicts constantly */
	struct tw_cpan_stats st;

	(void)state;
	for (int t = 0; t < 5000; t++) {
		uint8_t in[16], o1[16], o2[16];

		memset(in, 0, sizeof(in));
		for (int i = 0; i < 4; i++)
			in[i] = (uint8_t)(rnd() % 4); /* many repeats */
		tw_cpan_ip4(big, in, o1);
		tw_cpan_ip4(tiny, in, o2);
		assert_memory_equal(o1, o2, 4);
		tw_cpan_ip6(big, in, o1);
		tw_cpan_ip6(tiny, in, o2);
		assert_memory_equal(o1, o2, 16);
	}
	tw_cpan_stats(big, &st);
	assert_true(st.hits > st.misses);
	tw_cpan_free(big);
	tw_cpan_free(tiny);
}

static void test_other_key_differs(void **state)
{
	uint8_t key2[32];
	struct tw_cpan *a, *b;
	int same4 = 0, same6 = 0;

	(void)state;
	memcpy(key2, REF_KEY, 32);
	key2[31] ^= 1; /* only the pad changes */
	a = make(REF_KEY, 0);
	b = make(key2, 0);
	for (int t = 0; t < 1000; t++) {
		uint8_t in[16], oa[16], ob[16];

		for (int i = 0; i < 16; i++)
			in[i] = (uint8_t)rnd();
		tw_cpan_ip4(a, in, oa);
		tw_cpan_ip4(b, in, ob);
		same4 += !memcmp(oa, ob, 4);
		tw_cpan_ip6(a, in, oa);
		tw_cpan_ip6(b, in, ob);
		same6 += !memcmp(oa, ob, 16);
	}
	assert_true(same4 < 5);
	assert_int_equal(same6, 0);
	tw_cpan_free(a);
	tw_cpan_free(b);
}

static void test_bad_cache_size(void **state)
{
	struct tw_cpan *c = (void *)1;
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(tw_cpan_new(&c, REF_KEY, 30, &eb), TW_EINVAL);
	assert_null(c);
	tw_cpan_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_ipv4),
		cmocka_unit_test(test_reference_ipv6),
		cmocka_unit_test(test_prefix_preserved_ipv4),
		cmocka_unit_test(test_prefix_preserved_ipv6),
		cmocka_unit_test(test_injective_over_slash16),
		cmocka_unit_test(test_stable_and_cache_transparent),
		cmocka_unit_test(test_other_key_differs),
		cmocka_unit_test(test_bad_cache_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
