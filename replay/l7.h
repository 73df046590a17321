/*
 * l7.h - the L7 replay's request model: the HTTP/2 and gRPC exchanges of a
 * JSON Lines trace (written by `tracewarp redact --l7-out`), the open-loop
 * schedule they are re-issued on, how an exchange is selected for
 * amplification, and how what came back is classified.
 *
 * Everything here is pure: no sockets, no clock.  The client that sends
 * the requests is l7_client.h; the counters it keeps are l7_stats.h.
 */
#ifndef TW_L7_H
#define TW_L7_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay/schedule.h"
#include "trace/error.h"

/* A gRPC request message: where it ends in the body, and when it was
 * sent, in ns after the exchange's start. */
struct tw_l7_msg {
	size_t end;
	int64_t t_ns;
};

struct tw_l7_header {
	char *name; /* lower case, as HTTP/2 sends it */
	char *value;
	size_t value_len;
};

/* One recorded exchange: the request to re-issue and what came back. */
struct tw_l7_exchange {
	uint64_t line;    /* line of the trace it came from (1-based) */
	uint32_t conn;    /* dense index of its recorded connection */
	int64_t start_ns; /* trace time the request started */
	char *method;     /* ":method" */
	char *scheme;     /* ":scheme", may be NULL */
	char *authority;  /* ":authority", may be NULL */
	char *path;       /* ":path" */
	struct tw_l7_header *hdrs; /* regular request headers */
	size_t nhdrs;
	/* The request body, decoded: body_len bytes in all, of which the
	 * first body_have are in body and the rest are zeros (an omitted
	 * or cut body), made as they are sent, never held whole. */
	uint8_t *body;
	size_t body_len, body_have;
	/* The body's gRPC messages with their recorded times (the trace's
	 * request.body.messages), non-decreasing; NULL when the trace has
	 * none or every one was sent at the start: the body goes at once. */
	struct tw_l7_msg *msgs;
	size_t nmsgs;
	int status;      /* recorded ":status", 0 when unknown */
	int grpc_status; /* recorded grpc-status, -1 when none */
	bool grpc;       /* content-type application/grpc* */
};

/* A trace: exchanges sorted by start time (stable: file order kept). */
struct tw_l7_trace {
	struct tw_l7_exchange *ex;
	size_t n, cap;
	uint32_t nconns;  /* distinct recorded connections */
	uint64_t lines;   /* lines read */
	uint64_t bad;     /* lines skipped as malformed */
	char **conn_keys; /* conn index -> the trace's key (owned) */
	size_t conn_cap;
	uint32_t *conn_hash; /* open addressing: index + 1, 0 = free */
	size_t hash_cap;     /* a power of two, over twice nconns */
};

/*
 * Reads the JSON Lines trace at path ('-': standard input).  A malformed
 * line (not JSON, a required field missing or of the wrong type) is
 * skipped, counted in t->bad and reported with tw_log(WARN, "l7",
 * "FILE:LINE: what"); the rest is read.  Returns 0, or TW_EIO (cannot
 * open or read), TW_ENOMEM, or TW_EFORMAT when no line at all is usable,
 * with the message in eb.  t is the caller's, freed with tw_l7_trace_free.
 */
int tw_l7_trace_load(struct tw_l7_trace *t, const char *path,
                     struct tw_errbuf *eb);

/*
 * Parses one line (len bytes, no newline needed) into t, as line number
 * lineno of file name.  Returns 0 (appended), 1 (blank line, ignored),
 * TW_EFORMAT with the reason in eb, or TW_ENOMEM.
 */
int tw_l7_trace_add_line(struct tw_l7_trace *t, const char *name,
                         uint64_t lineno, const char *line, size_t len,
                         struct tw_errbuf *eb);

/* Sorts the exchanges by start time, keeping file order among equals. */
void tw_l7_trace_sort(struct tw_l7_trace *t);

/*
 * --max-gap: moves the exchanges of a sorted trace earlier so that no
 * idle gap between two successive start times exceeds max_gap_ns (> 0),
 * as packet replay does; the order is kept.  Returns how many gaps were
 * cut.
 */
uint64_t tw_l7_trace_cap_gaps(struct tw_l7_trace *t, int64_t max_gap_ns);

/* The trace's span: last start time minus the first (0 when empty). */
int64_t tw_l7_trace_span(const struct tw_l7_trace *t);

void tw_l7_trace_free(struct tw_l7_trace *t);

/*
 * Open loop: exchange k is due at (t_k - t_0) / speedup after the start,
 * where t_0 is the first exchange's start.  Returns the offset in ns, or
 * -1 when it does not fit in an int64_t.  A start before t_0 is due at 0.
 */
int64_t tw_l7_due_ns(int64_t t_k, int64_t t_0, struct tw_ratio speedup);

/*
 * --amplify selection, one rule a flag:
 *   'GLOB*N'                 path glob (fnmatch, query included)
 *   'method=GLOB*N'          ":method"
 *   'authority=GLOB*N'       recorded ":authority"
 *   'header:NAME=GLOB*N'     a request header's value
 * Matching exchanges are sent N times in all (N 1-1000); with several
 * rules the first that matches decides.
 */
enum tw_l7_sel_field {
	TW_L7_SEL_PATH = 0,
	TW_L7_SEL_METHOD,
	TW_L7_SEL_AUTHORITY,
	TW_L7_SEL_HEADER
};

struct tw_l7_amp_rule {
	enum tw_l7_sel_field field;
	char header[64]; /* TW_L7_SEL_HEADER: the name, lower case */
	char glob[256];
	unsigned copies;
};

/* Parses spec into r.  Returns 0 or TW_EINVAL with the reason in eb. */
int tw_l7_amp_parse(const char *spec, struct tw_l7_amp_rule *r,
                    struct tw_errbuf *eb);

/* Whether the rule selects the exchange. */
bool tw_l7_amp_match(const struct tw_l7_amp_rule *r,
                     const struct tw_l7_exchange *ex);

/* How many times ex is sent: the first matching rule's N, else 1. */
unsigned tw_l7_copies(const struct tw_l7_amp_rule *rules, size_t n,
                      const struct tw_l7_exchange *ex);

/* What came back. */
enum tw_l7_outcome {
	TW_L7_OK = 0,     /* 2xx/3xx, and grpc-status 0 for gRPC */
	TW_L7_HTTP_4XX,   /* a 4xx status */
	TW_L7_HTTP_5XX,   /* a 5xx status */
	TW_L7_GRPC_ERROR, /* grpc-status other than 0 */
	TW_L7_CONNECT,    /* the connection could not be made */
	TW_L7_TLS,        /* the TLS handshake or ALPN h2 failed */
	TW_L7_RESET,      /* RST_STREAM, GOAWAY, or the connection lost */
	TW_L7_TIMEOUT,    /* no complete answer within --timeout */
	TW_L7_PROTOCOL,   /* an answer that makes no sense (no status,
	                       gRPC without grpc-status), or a server that
	                       does not speak HTTP/2 (GOAWAY with an error,
	                       bad frames) */
	TW_L7_CANCELLED,  /* in flight when the run was interrupted */
	TW_L7_OUTCOMES
};

/* "ok", "http_4xx", ... for counters and labels. */
const char *tw_l7_outcome_name(enum tw_l7_outcome o);

/* Whether an outcome is a transport error or a cancel (no answer). */
bool tw_l7_outcome_transport(enum tw_l7_outcome o);

/*
 * Classifies a complete answer: status is ":status" (0 if none came),
 * grpc_status the grpc-status header or trailer (-1 if none), grpc
 * whether the request was a gRPC call.
 */
enum tw_l7_outcome tw_l7_classify(int status, int grpc_status, bool grpc);

/*
 * A route for per-route statistics: gRPC calls are their path
 * ("/pkg.Service/Method"); anything else is "METHOD /path/template"
 * with the query dropped and segments that look like identifiers
 * (digits, UUIDs, long hex, long mixed tokens) replaced by "{id}".
 * Always terminated; cut when len is short.
 */
void tw_l7_route(const struct tw_l7_exchange *ex, char *buf, size_t len);

#endif
