/*
 * rate.h - rate curves: how many sessions a second start at time t of a
 * generated trace.  constant: rate; ramp: from `from` to `to`, linearly
 * over `over` ns, then `to`; diurnal: mean * (1 + amplitude * sin) over a
 * period (a day squeezed into `period`), starting at the trough.
 */
#ifndef TW_GEN_RATE_H
#define TW_GEN_RATE_H

#include <stdint.h>

#include "tools/generate/rng.h"

enum tw_gen_curve { TW_GEN_CONSTANT = 0, TW_GEN_RAMP, TW_GEN_DIURNAL };

struct tw_gen_rate {
	enum tw_gen_curve curve;
	double rate;      /* constant: per second; diurnal: the mean */
	double from, to;  /* ramp */
	int64_t over_ns;  /* ramp length */
	double amplitude; /* diurnal, 0..1 */
	int64_t period_ns;
	int poisson; /* exponential gaps instead of even ones */
};

/* Sessions per second at t ns after the start (never below 0). */
double tw_gen_rate_at(const struct tw_gen_rate *r, int64_t t_ns);

/*
 * Time of the next arrival after t_ns: a gap of 1/rate(t) (exponential
 * with that mean when poisson is set).  A rate that falls to 0 is taken
 * as one session every 10 s, so a curve never stalls the generator.
 */
int64_t tw_gen_rate_next(const struct tw_gen_rate *r, int64_t t_ns,
                         struct tw_gen_rng *rng);

#endif
