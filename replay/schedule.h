/*
 * schedule.h - when each packet of a replay is due.
 *
 * Packet i of a pass over the trace is due at
 *
 *     start + (E_i + base) / speedup
 *
 * where E_i is its "effective" trace time: its timestamp minus the first
 * packet's, with idle gaps capped (--max-gap) and timestamps that go
 * backwards held at the highest one seen so far (they are sent in file
 * order, at once, and counted).  base is where the current loop starts in
 * effective time.  Every offset is computed afresh from these integers,
 * never by adding up per-packet gaps, so no error accumulates; the
 * arithmetic is 128-bit, so multi-day traces, billions of packets and
 * endless loops cannot overflow it.  An offset that would not fit in an
 * int64_t (292 years) is an error, not a wrap.
 *
 * The rate modes ignore timestamps: --pps puts packet n at n / pps; --mbps
 * puts it where the bits of the packets before it are done at that rate;
 * --topspeed makes every packet due at once.
 *
 * The scheduler allocates nothing and knows nothing of the backend.
 */
#ifndef TW_SCHEDULE_H
#define TW_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

/* A positive rational number num/den (a speedup, a packet rate). */
struct tw_ratio {
	uint64_t num;
	uint64_t den;
};

/*
 * Parses a positive decimal ("1", "0.5", "1000", "2.25") with up to 9
 * digits after the point into a reduced ratio.  Returns 0, or TW_EINVAL for
 * junk, zero, a negative number, more than 9 decimals or a value of 10^18
 * or more.
 */
int tw_ratio_parse(const char *s, struct tw_ratio *out);

/*
 * Parses a duration: a decimal number with an optional unit, "ns", "us",
 * "ms", "s" (the default), "m", "h" ("1.5", "250ms", "2h"), or several
 * with units, summed ("1h30m", "2m0.5s").  Returns 0 and
 * *ns, or TW_EINVAL (junk, negative, or beyond int64 nanoseconds).
 */
int tw_duration_parse(const char *s, int64_t *ns);

enum tw_sched_mode {
	TW_SCHED_SPEEDUP = 0, /* timestamps divided by a speedup */
	TW_SCHED_PPS,         /* a fixed packet rate */
	TW_SCHED_RATE,        /* a fixed bit rate */
	TW_SCHED_TOPSPEED     /* everything due at once */
};

struct tw_sched_cfg {
	enum tw_sched_mode mode;
	struct tw_ratio speed; /* SPEEDUP: the speedup (1/1 as captured) */
	struct tw_ratio pps;   /* PPS: packets per second */
	uint64_t bps;          /* RATE: bits per second */
	int64_t max_gap_ns;    /* SPEEDUP: longest wait between two packets
	                          in the replay, 0 = no cap */
};

struct tw_sched {
	struct tw_sched_cfg cfg;
	__int128 gap_cap;      /* max_gap_ns in trace time, 0 = none */
	bool started;          /* a packet of the current loop was seen */
	int64_t hw;            /* highest timestamp of the current loop */
	__int128 pos;          /* effective time of the last packet, in loop */
	__int128 base;         /* effective time where the loop starts */
	uint64_t in_loop;      /* packets scheduled in the current loop */
	uint64_t count;        /* packets scheduled in all loops */
	__int128 bits;         /* bits of all packets scheduled */
	uint64_t out_of_order; /* timestamps below an earlier one's */
	uint64_t gaps_capped;  /* gaps shortened by max_gap_ns */
};

/*
 * Sets s up for cfg.  Returns 0, or TW_EINVAL when the ratio of the mode
 * in use is zero or bps is zero in RATE mode.
 */
int tw_sched_init(struct tw_sched *s, const struct tw_sched_cfg *cfg);

/*
 * Schedules the next packet in file order: ts_ns is its trace timestamp,
 * len the bytes it puts on the wire.  Returns 0 with *offset_ns, the ns
 * after the start of the replay at which it is due (never less than the
 * previous packet's), or TW_ELIMIT when that is beyond INT64_MAX.
 */
int tw_sched_next(struct tw_sched *s, int64_t ts_ns, uint32_t len,
                  int64_t *offset_ns);

/*
 * Ends a pass over the trace: the next packet starts the following loop.
 * In SPEEDUP mode the loop begins one mean inter-packet gap of the pass
 * just done (capped like any gap) after its last packet, so a looped trace
 * keeps its own rhythm across the seam; a one-packet pass adds no gap.
 */
void tw_sched_new_loop(struct tw_sched *s);

#endif
