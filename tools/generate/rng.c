/*
 * rng.c - xoshiro256** (Blackman and Vigna, 2018) with splitmix64
 * seeding, as the authors recommend.
 */
#include "tools/generate/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void tw_gen_rng_seed(struct tw_gen_rng *r, uint64_t seed)
{
	uint64_t x = seed;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t tw_gen_rng_next(struct tw_gen_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint64_t tw_gen_rng_below(struct tw_gen_rng *r, uint64_t n)
{
	uint64_t x, limit;

	if (n == 0)
		return 0;
	/* Reject the top partial range so that every value is as likely. */
	limit = UINT64_MAX - UINT64_MAX % n;
	do
		x = tw_gen_rng_next(r);
	while (x >= limit);
	return x % n;
}

uint64_t tw_gen_rng_range(struct tw_gen_rng *r, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	if (hi - lo == UINT64_MAX)
		return tw_gen_rng_next(r);
	return lo + tw_gen_rng_below(r, hi - lo + 1);
}

double tw_gen_rng_unit(struct tw_gen_rng *r)
{
	return (double)(tw_gen_rng_next(r) >> 11) * 0x1.0p-53;
}

int tw_gen_rng_chance(struct tw_gen_rng *r, double p)
{
	if (p <= 0.0)
		return 0;
	return tw_gen_rng_unit(r) < p;
}

double tw_gen_rng_exp(struct tw_gen_rng *r, double mean)
{
	return -mean * log(1.0 - tw_gen_rng_unit(r));
}

void tw_gen_rng_fill(struct tw_gen_rng *r, uint8_t *p, uint64_t len)
{
	/* Byte by byte from each word, so the output is the same on
	 * machines of either byte order. */
	while (len) {
		uint64_t x = tw_gen_rng_next(r);

		for (int i = 0; i < 8 && len; i++, len--, x >>= 8)
			*p++ = (uint8_t)x;
	}
}
