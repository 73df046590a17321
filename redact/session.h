/*
 * session.h - redacting a whole trace: TCP reassembly in front of the
 * application-layer redactors, packets released in input order.
 *
 * A packet goes in with tw_session_push and comes out, redacted, with
 * tw_session_pop, in the same order.  TCP segments of a connection the
 * session follows from its SYN are reassembled per direction (in-order
 * delivery; retransmissions and overlaps take the bytes first seen;
 * out-of-order segments wait for the gap to fill), and the byte stream
 * goes through the HTTP/2 redactor (h2.h) or, for a client that starts
 * with a request line, the HTTP/1.1 one (h1.h), which edit it in place
 * with same-length rewrites; an HTTP/1.1 connection upgraded to h2c
 * (101 Switching Protocols) goes on through the HTTP/2 one.  A packet
 * is held until every byte of its payload is final (a gRPC message
 * split over many segments holds them all until its last byte
 * arrives), so the output needs memory for the longest message in
 * flight, bounded by the configuration.
 *
 * Memory is bounded per direction (max_dir_bytes) and in all
 * (max_held_bytes): past either, the direction that holds the oldest
 * waiting packet is zeroed from its first undecided byte, and its
 * packets go out.  A connection ends with FIN both ways, a RST, or
 * idle_ns of capture time without a packet: its open exchanges go to
 * the L7 trace, its buffers are freed, and later segments of it are
 * zeroed.
 *
 * Fail closed: a direction that starts without its SYN (capture began
 * mid-connection), that has a gap which does not fill within the limits
 * (a lost segment), that is neither HTTP/2 nor HTTP/1.1, or whose
 * messages, frames or header blocks are malformed, is zeroed from there
 * on, payload lengths kept; the statistics say how many bytes and
 * flows.  Packets the session does not
 * follow (UDP, tunnels, fragments, TLS ports, cut by the snaplen) are
 * redacted one by one by the redactor as before.
 */
#ifndef TW_SESSION_H
#define TW_SESSION_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "redact/h2.h"
#include "redact/key.h"
#include "redact/policy.h"
#include "redact/redact.h"
#include "trace/error.h"
#include "trace/packet.h"

struct tw_session_cfg {
	/* 0: the policy's limits (flows, flow_buffer, held_buffer) */
	size_t max_flows;      /* followed TCP connections */
	size_t max_dir_bytes;  /* buffered per direction */
	size_t max_held_bytes; /* packets held in all */
	int64_t idle_ns; /* idle this long (capture time): ended (0: 5 min) */
	FILE *l7;        /* the L7 trace (JSON Lines), or NULL */
};

struct tw_session_stats {
	uint64_t tcp_flows;        /* connections followed */
	uint64_t h2_flows;         /* ... found to be HTTP/2 */
	uint64_t h1_flows;         /* ... found to be HTTP/1.1 */
	uint64_t h2c_upgrades;     /* ... of which switched to HTTP/2 */
	uint64_t midstream_flows;  /* a direction began without its SYN */
	uint64_t other_flows;      /* not HTTP/2: payload zeroed */
	uint64_t gap_flows;        /* a direction had a gap that stayed */
	uint64_t failed_flows;     /* HTTP/2 that could not be followed */
	uint64_t untrusted_flows;  /* an IPv4 header failed its checksum */
	uint64_t forced;           /* directions zeroed to free memory: */
	uint64_t over_flow_buffer; /* ... past limits.flow_buffer */
	uint64_t over_held_buffer; /* ... past limits.held_buffer */
	uint64_t over_flows;       /* packets past limits.flows: zeroed */
	uint64_t closed_flows;     /* ended: FIN both ways, RST or idle */
	uint64_t expired_flows;    /* ... of which idle */
	uint64_t retransmitted;    /* payload bytes seen before */
	uint64_t zeroed_bytes;     /* stream bytes zeroed for the above */
	struct tw_h2_stats h2;
};

/* A packet on its way out; valid until the next pop or free. */
struct tw_out {
	uint32_t iface, linktype;
	int64_t ts_ns;
	uint32_t caplen, wirelen, origlen;
	uint64_t offset;     /* of its record in the input */
	const uint8_t *data; /* redacted */
	const uint8_t *orig; /* as it came in (origlen bytes) */
};

struct tw_session;

/*
 * A session redacting with r (and pol, key, which must outlive it).
 * Returns 0 and *out, or TW_ENOMEM / TW_EINTERNAL with eb.
 */
int tw_session_new(struct tw_session **out, struct tw_redactor *r,
                   const struct tw_policy *pol, const struct tw_key *key,
                   const struct tw_session_cfg *cfg, struct tw_errbuf *eb);

/* Takes a copy of pkt (captured on linktype).  Returns 0 or TW_ENOMEM. */
int tw_session_push(struct tw_session *s, const struct tw_packet *pkt,
                    uint32_t linktype);

/* The next packet in input order whose bytes are final: 1 and *out, or
 * 0 when the oldest one still waits.  TW_ENOMEM when redacting it failed
 * (it is then all zeros). */
int tw_session_pop(struct tw_session *s, struct tw_out *out);

/* End of input: whatever still waits is made final (incomplete messages
 * and undecided bytes zeroed), so that pop then drains every packet. */
void tw_session_finish(struct tw_session *s);

const struct tw_session_stats *tw_session_stats(const struct tw_session *s);

/* The policy's limits met, for summaries: "limits exceeded (zeroed):
 * N packets past flows, ..." on one line after indent, and the same
 * counts as a JSON object {"flows": N, ...}. */
void tw_session_print_limits(const struct tw_session_stats *ss, FILE *f,
                             const char *indent);
json_t *tw_session_limits_json(const struct tw_session_stats *ss);

void tw_session_free(struct tw_session *s);

#endif
