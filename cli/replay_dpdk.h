/*
 * replay_dpdk.h - `tracewarp replay --dpdk`: the replay verb's DPDK
 * path.  One lcore (or options only the engine has) drives the engine
 * into the DPDK backend, sending from the engine's preload arena without
 * copies; several lcores run dpdk/'s multi-lcore replayer, whose
 * counters are mapped into the engine's struct so the summary, JSON and
 * Prometheus outputs are the kernel backends'.
 */
#ifndef TW_CLI_REPLAY_DPDK_H
#define TW_CLI_REPLAY_DPDK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dpdk/dpdk.h"
#include "replay/engine.h"

struct tw_replay_dpdk {
	/* options */
	bool on;               /* --dpdk */
	const char *eal;       /* --eal, the EAL's words in one string */
	const char *port_spec; /* --port N|NAME, NULL = "0" */
	unsigned lcores;       /* --lcores, 0 = 1 */
	bool fix_cksum;        /* --fix-checksums */
	int64_t start_at_ns;   /* --start-at (wall clock), 0 = none */
	bool live_metrics;     /* --metrics-listen: the engine's ticks */
	/* filled by the run */
	uint16_t port;
	char label[80]; /* "dpdk:NAME", the summary's output */
	bool multi;     /* the multi-lcore replayer ran */
	bool have_port; /* port counters read */
	struct tw_dpdk_counters ctr;
	struct tw_dpdk_tx_counts tx;      /* the engine path's */
	struct tw_dpdk_replay_stats *mst; /* the multi path's, or NULL */
};

/* Checks the DPDK options once parsing is done.  Returns 0 or the usage
 * error's exit status. */
int tw_replay_dpdk_check(const struct tw_replay_dpdk *d);

/* Starts the EAL and finds the port.  Returns 0 or a TW_E* code (the
 * message in eb; TW_EUNSUP when built without DPDK). */
int tw_replay_dpdk_start(struct tw_replay_dpdk *d, struct tw_errbuf *eb);

/*
 * The engine's backend on the port, attached to e's preload arena when
 * it has one (frames then leave without a copy).  Returns 0 and *b, or
 * the backend's error with the message in eb.
 */
int tw_replay_dpdk_open(struct tw_replay_dpdk *d, const struct tw_engine *e,
                        struct tw_backend **b, struct tw_errbuf *eb);

/* Reads the port's counters and the backend's before it is closed. */
void tw_replay_dpdk_collect(struct tw_replay_dpdk *d,
                            const struct tw_backend *b);

/*
 * Runs the multi-lcore replayer when it can do what eng asks (more than
 * one lcore, no option it lacks, a trace under the preload bound) and
 * fills *st with its counters.  Returns 1 when it ran, 0 when the engine
 * should run instead (why is logged), or a TW_E* code with the message
 * in eb.
 */
int tw_replay_dpdk_multi(struct tw_replay_dpdk *d, const char *trace,
                         const struct tw_engine_cfg *eng,
                         struct tw_replay_stats *st, struct tw_errbuf *eb);

/* The port's counters and the per-lcore figures under the summary. */
void tw_replay_dpdk_summary(const struct tw_replay_dpdk *d, FILE *out);

/* Adds "dpdk" (port counters, lcores, copies) to the JSON summary j.
 * Returns 0 or TW_ENOMEM. */
int tw_replay_dpdk_json(const struct tw_replay_dpdk *d, json_t *j);

/*
 * The port's counters (rte_eth_stats, each as
 * tracewarp_dpdk_port_NAME_total) and xstats (tracewarp_dpdk_port_xstat,
 * by name) in Prometheus text, read now: the metrics' extra samples
 * (replay/metrics.h), set up by tw_replay_dpdk_start().  arg is the
 * struct tw_replay_dpdk.
 */
size_t tw_replay_dpdk_prom(void *arg, const char *label, char *buf, size_t len);

/* Frees what the run kept and stops the EAL (when it was started). */
void tw_replay_dpdk_end(struct tw_replay_dpdk *d);

#endif
