/*
 * schedule.c - send offsets from trace timestamps or rates, in exact
 * 128-bit integer arithmetic.
 */
#include "replay/schedule.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "trace/error.h"

#define NS_PER_S 1000000000

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Reads "digits[.digits]" into num/10^frac; *end after the number. */
static int parse_decimal(const char *s, uint64_t *num, uint64_t *den,
                         const char **end)
{
	uint64_t n = 0, d = 1;
	int digits = 0, frac = -1;

	for (; *s; s++) {
		if (*s == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (!isdigit((unsigned char)*s))
			break;
		if (n >= 100000000000000000ULL || frac >= 9)
			return TW_EINVAL;
		n = n * 10 + (uint64_t)(*s - '0');
		digits++;
		if (frac >= 0) {
			frac++;
			d *= 10;
		}
	}
	if (!digits || frac == 0)
		return TW_EINVAL;
	*num = n;
	*den = d;
	*end = s;
	return 0;
}

/* Scales *v by 10^exp, keeping it at most 10^18. */
static int scale_pow10(uint64_t *v, long exp)
{
	for (; exp > 0; exp--) {
		if (*v > 100000000000000000ULL)
			return TW_EINVAL;
		*v *= 10;
	}
	return 0;
}

/* An optional exponent ("e6", "E-3"), as tcpreplay and strtod take. */
static int parse_exponent(const char *s, uint64_t *num, uint64_t *den,
                          const char **end)
{
	char *e;
	long exp;

	if (*s != 'e' && *s != 'E')
		return 0;
	exp = strtol(s + 1, &e, 10);
	if (e == s + 1 || exp < -18 || exp > 18)
		return TW_EINVAL;
	*end = e;
	return exp >= 0 ? scale_pow10(num, exp) : scale_pow10(den, -exp);
}

int tw_ratio_parse(const char *s, struct tw_ratio *out)
{
	uint64_t num, den, g;
	const char *end;

	if (!s || parse_decimal(s, &num, &den, &end) < 0 ||
	    parse_exponent(end, &num, &den, &end) < 0 || *end || !num)
		return TW_EINVAL;
	g = gcd_u64(num, den);
	out->num = num / g;
	out->den = den / g;
	return 0;
}

/* The unit at *s ("" only at the end), its length in *len. */
static uint64_t duration_unit(const char *s, size_t *len)
{
	/* Longest first: "ms" before "m". */
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {
		{ "ns", 1 },
		{ "us", 1000 },
		{ "ms", 1000000 },
		{ "s", NS_PER_S },
		{ "m", 60ULL * NS_PER_S },
		{ "h", 3600ULL * NS_PER_S },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		*len = strlen(units[i].unit);
		if (!strncmp(s, units[i].unit, *len))
			return units[i].ns;
	}
	*len = 0;
	return 0;
}

int tw_duration_parse(const char *s, int64_t *ns)
{
	unsigned __int128 total = 0;
	const char *p = s;

	if (!s || !*s)
		return TW_EINVAL;
	/* Terms as in "1h30m" or "2m0.5s"; a bare number is seconds. */
	while (*p) {
		uint64_t num, den, unit;
		const char *end;
		size_t len;

		if (parse_decimal(p, &num, &den, &end) < 0)
			return TW_EINVAL;
		unit = duration_unit(end, &len);
		if (!unit) {
			if (*end || p != s)
				return TW_EINVAL;
			unit = NS_PER_S;
		}
		total += (unsigned __int128)num * unit / den;
		if (total > INT64_MAX)
			return TW_EINVAL;
		p = end + len;
	}
	*ns = (int64_t)total;
	return 0;
}

int tw_sched_init(struct tw_sched *s, const struct tw_sched_cfg *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	switch (cfg->mode) {
	case TW_SCHED_SPEEDUP:
		if (!cfg->speed.num || !cfg->speed.den || cfg->max_gap_ns < 0)
			return TW_EINVAL;
		/* The cap is on the replay's waits; gaps are compared in
		 * trace time, so scale it up by the speedup. */
		s->gap_cap = (__int128)cfg->max_gap_ns * cfg->speed.num /
		             cfg->speed.den;
		if (cfg->max_gap_ns && !s->gap_cap)
			s->gap_cap = 1;
		return 0;
	case TW_SCHED_PPS:
		return cfg->pps.num && cfg->pps.den ? 0 : TW_EINVAL;
	case TW_SCHED_RATE:
		return cfg->bps ? 0 : TW_EINVAL;
	case TW_SCHED_TOPSPEED:
		return 0;
	}
	return TW_EINVAL;
}

/* Moves the effective clock of the loop to ts_ns, capping the gap. */
static void advance(struct tw_sched *s, int64_t ts_ns)
{
	__int128 gap;

	if (!s->started) {
		s->started = true;
		s->hw = ts_ns;
		s->pos = 0;
		return;
	}
	if (ts_ns < s->hw) {
		s->out_of_order++;
		return;
	}
	gap = (__int128)ts_ns - s->hw;
	s->hw = ts_ns;
	if (s->gap_cap && gap > s->gap_cap) {
		gap = s->gap_cap;
		s->gaps_capped++;
	}
	s->pos += gap;
}

static __int128 offset_of(const struct tw_sched *s)
{
	const struct tw_sched_cfg *c = &s->cfg;

	switch (c->mode) {
	case TW_SCHED_SPEEDUP:
		return (s->base + s->pos) * (__int128)c->speed.den /
		       (__int128)c->speed.num;
	case TW_SCHED_PPS:
		return (__int128)s->count * NS_PER_S * (__int128)c->pps.den /
		       (__int128)c->pps.num;
	case TW_SCHED_RATE:
		return s->bits * NS_PER_S / (__int128)c->bps;
	case TW_SCHED_TOPSPEED:
		break;
	}
	return 0;
}

int tw_sched_next(struct tw_sched *s, int64_t ts_ns, uint32_t len,
                  int64_t *offset_ns)
{
	__int128 off;

	advance(s, ts_ns);
	off = offset_of(s);
	if (off > INT64_MAX)
		return TW_ELIMIT;
	*offset_ns = (int64_t)off;
	s->count++;
	s->in_loop++;
	s->bits += (__int128)len * 8;
	return 0;
}

void tw_sched_new_loop(struct tw_sched *s)
{
	__int128 gap = 0;

	if (s->in_loop > 1)
		gap = s->pos / (__int128)(s->in_loop - 1);
	if (s->gap_cap && gap > s->gap_cap)
		gap = s->gap_cap;
	s->base += s->pos + gap;
	s->pos = 0;
	s->started = false;
	s->in_loop = 0;
}
