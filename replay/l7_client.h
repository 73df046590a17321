/*
 * l7_client.h - re-issues a trace's exchanges as real HTTP/2 requests
 * (nghttp2's client session; h2c with prior knowledge, or TLS with ALPN
 * h2 through OpenSSL) from one epoll loop, open-loop on the recorded
 * schedule, and counts what comes back.
 *
 * Timing: exchange k of loop l is due at start + (t_k - t_0 + l * P) /
 * speedup, P being the trace's span plus its mean gap.  Latency runs from
 * that due time to the end of the response, so a slow server cannot hide
 * its slowness by slowing the sender down (no coordinated omission); a
 * request handed to its connection more than late_ns after it was due is
 * counted late.  A streaming gRPC call whose trace has per-message
 * times (L7TRACE.md, request.body.messages) sends message i at its due
 * time + t_i / speedup, holding its DATA back until then (at once under
 * topspeed); without them the whole body goes at once.  A request is
 * assigned to its connection lead_ns before it is due, so the connection
 * (TCP, TLS) is made ahead, as the recorded client had made it before
 * its first request.
 */
#ifndef TW_L7_CLIENT_H
#define TW_L7_CLIENT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "replay/l7.h"
#include "replay/l7_stats.h"
#include "trace/error.h"

struct tw_l7_cfg {
	const char *target; /* http://host[:port] or https://... */
	struct tw_ratio speedup;
	bool topspeed;        /* everything due at once */
	uint32_t connections; /* 0: one per recorded connection (and
	                          copy); N: N shared, round robin */
	const struct tw_l7_amp_rule *amp;
	size_t namp;
	const struct tw_l7_header *set_hdrs; /* --set-header (replace) */
	size_t nset;
	char *const *drop_hdrs; /* --drop-header names, lower case */
	size_t ndrop;
	bool keep_authority;   /* send the recorded :authority */
	bool compare;          /* compare status with the recorded one */
	double rate_limit;     /* requests/s at most, 0 = none */
	uint64_t max_inflight; /* requests assigned and not finished, at
	                          most (0 = no bound); the rest wait, late */
	uint64_t loops;        /* passes, 0 = until duration or stop */
	int64_t duration_ns;   /* 0 = no bound */
	int64_t timeout_ns;    /* per request, from its due time */
	int64_t late_ns;       /* lateness that counts as late */
	int64_t lead_ns;       /* assignment ahead of the due time */
	bool insecure;         /* TLS: no certificate verification */
	const char *ca_file;   /* TLS: trust these instead of the system's */
	volatile sig_atomic_t *stop; /* set by a signal: stop scheduling */
	/* Called about once a second from the loop, with the counters. */
	void (*tick)(const struct tw_l7_stats *st, void *arg);
	void *tick_arg;
};

/* Fills cfg with the defaults: speedup 1, one loop, timeout 10 s, late
 * after 1 ms, lead 100 ms. */
void tw_l7_cfg_default(struct tw_l7_cfg *cfg);

/*
 * Runs the replay of t against cfg->target, counting into st (initialised
 * here; freed by the caller with tw_l7_stats_free).  Transport errors are
 * outcomes, not failures of the run.  Returns 0, or TW_EINVAL (a bad
 * target URL, an unresolvable host, a bad CA file), TW_ENOMEM or TW_EIO
 * (epoll) with the message in eb.
 */
int tw_l7_run(const struct tw_l7_trace *t, const struct tw_l7_cfg *cfg,
              struct tw_l7_stats *st, struct tw_errbuf *eb);

#endif
