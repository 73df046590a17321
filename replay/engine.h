/*
 * engine.h - the replay engine: reads a trace (into memory when it fits),
 * selects, rewrites and amplifies its packets, paces them to their
 * schedule and hands them to a backend in bursts, counting what happened.
 *
 * One thread.  For a paced backend each packet's deadline is an absolute
 * CLOCK_MONOTONIC time, start + offset from the scheduler; the engine
 * sleeps (clock_nanosleep, TIMER_ABSTIME) until spin_ns before it, then
 * spins; packets whose deadlines have passed go out together in one
 * burst (a packet that had to be waited for goes at once).  Lateness,
 * the time a packet was handed over (the start of the send call that the
 * port accepted it in, so refusals and retries count) minus its deadline,
 * goes into a histogram.  An unpaced backend (the file) gets the same
 * schedule on a virtual clock that starts at the trace's first timestamp,
 * without waiting.
 *
 * Sharding: with shard_count N, only the flows of shard I are sent, and
 * the other packets still advance the schedule (SPEEDUP), so N hosts
 * that each send one shard keep the trace's timing between them; at a
 * rate, each shard is paced on its own.  Skipped packets count as
 * skipped_filtered.
 *
 * Memory: the trace is preloaded into one arena when it is at most
 * preload_max bytes; larger traces are streamed from the file, and read
 * again for each loop (standard input cannot be, and must fit).
 */
#ifndef TW_ENGINE_H
#define TW_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay/backend.h"
#include "replay/hist.h"
#include "replay/rewrite.h"
#include "replay/schedule.h"
#include "trace/error.h"

/* Loops whose own counters are kept (later loops count in the totals). */
#define TW_RP_LOOP_STATS 64

#define TW_RP_DEFAULT_PRELOAD (1ULL << 30)
#define TW_RP_DEFAULT_SPIN_NS 50000

/* The flow hash key of --shard: fixed, so every host splits a trace the
 * same way ("shard" in ASCII). */
#define TW_RP_SHARD_SEED 0x7368617264ULL

struct tw_loop_stats {
	uint64_t sent, bytes;
};

struct tw_replay_stats {
	uint64_t read;             /* packets read from the trace */
	uint64_t sent, bytes;      /* accepted by the backend */
	uint64_t failed;           /* refused by the backend, given up */
	uint64_t retried;          /* packets offered again after a refusal */
	uint64_t skipped_oversize; /* larger than the port's MTU */
	uint64_t skipped_filtered; /* not selected by --filter */
	uint64_t skipped_link;     /* link type the port cannot send */
	uint64_t copies;           /* extra packets made by amplification */
	uint64_t out_of_order;     /* timestamps that went backwards */
	uint64_t gaps_capped;      /* gaps shortened by --max-gap */
	uint64_t port_dropped;     /* dropped by the port after accepting */
	uint64_t loops_done;       /* complete passes over the trace */
	uint64_t flows_amplified;  /* flows the amplifier tracked */
	int64_t elapsed_ns;        /* wall time since the first packet */
	int64_t sched_span_ns;     /* scheduled offset of the last packet */
	bool paced;
	bool preloaded;
	uint64_t preload_bytes;
	struct tw_loop_stats loop[TW_RP_LOOP_STATS];
	struct tw_hist lateness; /* ns, paced backends only */
};

struct tw_engine_cfg {
	struct tw_sched_cfg sched;
	uint64_t loops;      /* passes over the trace, 0 = until stopped */
	int64_t duration_ns; /* stop before the first packet due later */
	uint64_t limit;      /* packets handed to the backend, 0 = all */
	const char *filter;  /* BPF selecting what is sent, NULL = all */
	struct tw_rewrite rewrite;
	const char *amplify_filter; /* BPF of flows to amplify, or NULL */
	uint32_t amplify_copies;    /* N: packets out per packet in */
	bool amplify_spread;        /* copies spread over the gap to the
	                               next packet, not all at once */
	bool unique_ip;             /* every loop a new set of flows */
	uint32_t shard_index;       /* --shard I/N: only the flows whose */
	uint32_t shard_count;       /* tw_flow_hash(key, TW_RP_SHARD_SEED)
	                               % N is I (packets without IP: shard
	                               0); 0 = no sharding */
	uint64_t preload_max;       /* bytes, 0 = TW_RP_DEFAULT_PRELOAD */
	unsigned burst;             /* 0 = the backend's */
	int64_t spin_ns;            /* 0 = TW_RP_DEFAULT_SPIN_NS */
	/* Called about once a second with the counters so far. */
	void (*tick)(const struct tw_replay_stats *st, void *arg);
	void *tick_arg;
	/* Set from a signal handler to stop after the current burst. */
	volatile sig_atomic_t *stop;
};

struct tw_engine;

/*
 * Creates an engine for cfg (copied; the strings must outlive it).
 * Returns 0 and *out, TW_EINVAL for a bad filter or schedule (message in
 * eb) or TW_ENOMEM.
 */
int tw_engine_new(struct tw_engine **out, const struct tw_engine_cfg *cfg,
                  struct tw_errbuf *eb);

/*
 * Opens the trace at path ("-" is standard input) and preloads it when it
 * fits.  A trace cut short is replayed as far as it goes (with a
 * warning).  Returns 0, or the reader's error (TW_EIO, TW_EFORMAT...),
 * TW_ELIMIT (standard input larger than preload_max) or TW_ENOMEM, with
 * the message in eb.
 */
int tw_engine_load(struct tw_engine *e, const char *path, struct tw_errbuf *eb);

/*
 * Replays into b until the loops, the duration or the limit are done or
 * *cfg.stop is set.  Returns 0, or the first hard error (backend, filter,
 * reader, TW_ELIMIT for a schedule beyond 2^63 ns) with the message in
 * eb; the counters say how far it got either way.  b stays the caller's.
 */
int tw_engine_run(struct tw_engine *e, struct tw_backend *b,
                  struct tw_errbuf *eb);

const struct tw_replay_stats *tw_engine_stats(const struct tw_engine *e);

/*
 * The preloaded trace: after tw_engine_load(), frames the engine hands
 * to a backend unchanged point inside [*base, *base + *len), which stays
 * valid and unmoved until tw_engine_free(), so a backend may send them
 * without a copy (DPDK attaches them to mbufs).  Rewritten and amplified
 * frames are elsewhere and valid only during tx_burst.  Returns false,
 * with nothing set, when the trace is streamed instead.
 */
bool tw_engine_arena(const struct tw_engine *e, const void **base, size_t *len);

void tw_engine_free(struct tw_engine *e);

#endif
