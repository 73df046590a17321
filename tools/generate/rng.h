/*
 * rng.h - the generator's own pseudo-random numbers: xoshiro256** seeded
 * through splitmix64, so that one profile and one seed give the same
 * trace, byte for byte, on every machine and every libc.
 */
#ifndef TW_GEN_RNG_H
#define TW_GEN_RNG_H

#include <stdint.h>

struct tw_gen_rng {
	uint64_t s[4];
};

/* Seeds r from seed (any value, 0 included). */
void tw_gen_rng_seed(struct tw_gen_rng *r, uint64_t seed);

/* Next 64 random bits. */
uint64_t tw_gen_rng_next(struct tw_gen_rng *r);

/* Uniform in [0, n), without modulo bias; 0 when n is 0. */
uint64_t tw_gen_rng_below(struct tw_gen_rng *r, uint64_t n);

/* Uniform in [lo, hi] (hi >= lo). */
uint64_t tw_gen_rng_range(struct tw_gen_rng *r, uint64_t lo, uint64_t hi);

/* Uniform double in [0, 1), 53 bits. */
double tw_gen_rng_unit(struct tw_gen_rng *r);

/* True with probability p. */
int tw_gen_rng_chance(struct tw_gen_rng *r, double p);

/* Exponentially distributed with the given mean. */
double tw_gen_rng_exp(struct tw_gen_rng *r, double mean);

/* Fills len bytes. */
void tw_gen_rng_fill(struct tw_gen_rng *r, uint8_t *p, uint64_t len);

#endif
