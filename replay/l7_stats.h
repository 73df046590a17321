/*
 * l7_stats.h - what the L7 replay counts: outcomes, latency (from the
 * intended send time) overall and per route, requests sent late, and
 * their JSON and Prometheus forms.
 */
#ifndef TW_L7_STATS_H
#define TW_L7_STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay/hist.h"
#include "replay/l7.h"

/* Routes beyond this many share the route "(other)". */
#define TW_L7_MAX_ROUTES 64
#define TW_L7_ROUTE_LEN 96
#define TW_L7_REASON_LEN 160
/* grpc-status codes counted one by one (0-16); others share the last. */
#define TW_L7_GRPC_CODES 18

struct tw_l7_route_stats {
	char name[TW_L7_ROUTE_LEN];
	uint64_t outcome[TW_L7_OUTCOMES];
	struct tw_hist latency;
};

struct tw_l7_stats {
	uint64_t scheduled;   /* requests whose due time came */
	uint64_t sent;        /* handed to a connection's HTTP/2 session */
	uint64_t completed;   /* finished, whatever the outcome */
	uint64_t late;        /* sent more than late_ns after their due time */
	uint64_t copies;      /* amplified copies among the scheduled */
	uint64_t connections; /* connections opened */
	uint64_t status_mismatch; /* --compare: status or grpc-status
	                               differs from the recorded one */
	uint64_t compared;
	uint64_t bytes_out, bytes_in; /* request and response bodies */
	uint64_t outcome[TW_L7_OUTCOMES];
	uint64_t grpc_code[TW_L7_GRPC_CODES];
	uint64_t status_class[6]; /* 0: none, 1xx..5xx */
	uint64_t loops_done;
	int64_t elapsed_ns;
	int64_t span_ns; /* the schedule's spread: last due minus first */
	int64_t late_ns; /* the threshold used */
	struct tw_hist latency;  /* ns, intended send to end of response */
	struct tw_hist lateness; /* ns, actual minus intended send */
	struct tw_l7_route_stats *routes; /* nroutes (owned) */
	size_t nroutes;
	bool interrupted; /* stopped by a signal, in-flight cancelled */
	/* The first reason given for each outcome of a failed connection
	 * or stream ("connect: Connection refused"), "" when none. */
	char reason[TW_L7_OUTCOMES][TW_L7_REASON_LEN];
};

/* Keeps why as the reason of outcome o, when o has none yet. */
void tw_l7_stats_reason(struct tw_l7_stats *st, enum tw_l7_outcome o,
                        const char *why);

/* Zeroes st and sets the histograms up; late_ns is the lateness that
 * counts a request as late. */
void tw_l7_stats_init(struct tw_l7_stats *st, int64_t late_ns);

void tw_l7_stats_free(struct tw_l7_stats *st);

/*
 * Counts a finished request: its outcome, the status and grpc-status
 * received (0 / -1 when none), its latency, and its route.  The latency
 * of a request without an answer (a transport error, a cancel, a
 * protocol error before any status) is not recorded.  Returns 0 or
 * TW_ENOMEM (the route table could not grow; the rest is counted).
 */
int tw_l7_stats_finish(struct tw_l7_stats *st, const char *route,
                       enum tw_l7_outcome o, int status, int grpc_status,
                       uint64_t latency_ns);

/* Counts a request handed to a connection lateness_ns after it was due. */
void tw_l7_stats_sent(struct tw_l7_stats *st, int64_t lateness_ns);

/* The summary as a new JSON object (caller's reference), NULL when out of
 * memory.  target names the server. */
json_t *tw_l7_stats_json(const struct tw_l7_stats *st, const char *target);

/*
 * The Prometheus text format (0.0.4) into buf, always terminated when
 * len > 0; returns the length the whole text needs, as snprintf does.
 * Every sample carries the label target.
 */
size_t tw_l7_stats_prom(const struct tw_l7_stats *st, const char *target,
                        char *buf, size_t len);

#endif
