/*
 * rate.c - rate curves and arrival times.
 */
#include "tools/generate/rate.h"

#include <math.h>

#define MIN_RATE 0.1 /* sessions per second */

double tw_gen_rate_at(const struct tw_gen_rate *r, int64_t t_ns)
{
	double v, x;

	switch (r->curve) {
	case TW_GEN_RAMP:
		if (r->over_ns <= 0 || t_ns >= r->over_ns)
			return r->to;
		x = (double)t_ns / (double)r->over_ns;
		v = r->from + (r->to - r->from) * x;
		break;
	case TW_GEN_DIURNAL:
		if (r->period_ns <= 0)
			return r->rate;
		x = (double)(t_ns % r->period_ns) / (double)r->period_ns;
		/* -cos starts the day at the trough (night). */
		v = r->rate * (1.0 - r->amplitude * cos(2.0 * M_PI * x));
		break;
	default:
		v = r->rate;
		break;
	}
	return v > 0.0 ? v : 0.0;
}

int64_t tw_gen_rate_next(const struct tw_gen_rate *r, int64_t t_ns,
                         struct tw_gen_rng *rng)
{
	double rate = tw_gen_rate_at(r, t_ns);
	double gap_s;
	int64_t gap;

	if (rate < MIN_RATE)
		rate = MIN_RATE;
	gap_s = r->poisson ? tw_gen_rng_exp(rng, 1.0 / rate) : 1.0 / rate;
	gap = (int64_t)(gap_s * 1e9);
	return t_ns + (gap > 0 ? gap : 1);
}
