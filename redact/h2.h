/*
 * h2.h - HTTP/2 (RFC 9113) redacted on a reassembled TCP connection.
 *
 * The session (session.h) hands each direction's bytes in order, in a
 * buffer it owns; this module parses frames, decodes header blocks with
 * nghttp2's HPACK inflater (one per direction), rewrites header literals
 * in place with same-length pseudonyms (raw or Huffman, see pseudo.h),
 * and redacts DATA by content type: gRPC messages walked as protobuf
 * (gzip ones inflated, walked and deflated again at their length, see
 * gzip.h), JSON bodies with their string values pseudonymized, anything
 * else zeroed.  Every edit keeps the length, so frames, packets and TCP
 * sequence numbers stay as captured.  It says how far the bytes are
 * final (a message still incomplete holds its earlier pieces back) and
 * writes one JSON line per exchange to the L7 trace (L7TRACE.md).
 */
#ifndef TW_H2_H
#define TW_H2_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "redact/policy.h"

/* One direction's stream bytes [base, base + len), owned by the session
 * (p may move between calls; offsets do not). */
struct tw_sbuf {
	uint8_t *p;
	uint64_t base;
	size_t len;
};

/* Counters the session reports. */
struct tw_h2_stats {
	uint64_t connections, streams, header_blocks, headers_rewritten;
	uint64_t grpc_messages, grpc_compressed_zeroed, json_bodies;
	/* gzip messages (grpc-encoding: gzip): redacted, and zeroed because
	 * the redacted member grew, inflated past the limit (refused), or
	 * was not one whole member (truncated, invalid). */
	uint64_t grpc_gzip, gzip_grown, gzip_refused, gzip_invalid;
	uint64_t bodies_zeroed, invalid_bodies, exchanges;
	/* Streams with no request headers (a HEADERS on a closed stream):
	 * counted, not written to the L7 trace. */
	uint64_t orphans;
	uint64_t errors; /* directions given up: malformed or unsupported */
	/* Past the policy's limits (zeroed; a header block also counts in
	 * errors, its direction given up). */
	uint64_t over_header_block, over_message, over_json_depth;
	uint64_t over_pb_depth;
};

struct tw_h2cfg {
	const struct tw_policy *pol;
	const uint8_t *vkey; /* value sub-key */
	FILE *l7;            /* the L7 trace, or NULL */
	struct tw_h2_stats *st;
};

struct tw_h2conn;

/* The HTTP/2 client connection preface (RFC 9113 section 3.4). */
#define TW_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define TW_H2_PREFACE_LEN 24

/*
 * A connection whose client sends in direction client_dir.  flow is the
 * L7 trace's "flow" object (redacted endpoints), taken over.  sb0 and
 * sb1 are the two directions' buffers, owned by the caller, which keeps
 * them (at the same addresses) until tw_h2_free.  Returns NULL when out
 * of memory.
 */
struct tw_h2conn *tw_h2_new(const struct tw_h2cfg *cfg, int client_dir,
                            json_t *flow, uint64_t conn_id, struct tw_sbuf *sb0,
                            struct tw_sbuf *sb1);

/*
 * What an HTTP/1.1 connection hands over when it switches to HTTP/2
 * with "Upgrade: h2c" (RFC 7540 section 3.2): where each direction's
 * HTTP/2 starts, and the upgrade request, which is stream 1 (half
 * closed: its answer comes as HTTP/2).
 */
struct tw_h2_upgrade {
	uint64_t client_at; /* the client's connection preface */
	uint64_t server_at; /* the server's first frame (SETTINGS) */
	int64_t start_ns;
	json_t *pseudo;      /* ":method", ":scheme", ":authority", ":path" */
	json_t *headers;     /* [[name, value], ...], redacted */
	const uint8_t *body; /* the request body as redacted (L7 trace) */
	size_t body_len;
	uint64_t body_size;
	bool json_body;
	const char *redaction;   /* NULL: no body */
	const uint8_t *settings; /* HTTP2-Settings, decoded */
	size_t settings_len;
};

/*
 * Makes c, new, continue an upgraded connection: each direction's
 * frames start where u says (the client's with its preface), stream 1
 * is the upgrade request, and the client's HTTP2-Settings apply.
 * Takes u->pseudo and u->headers.  Returns 0 or TW_ENOMEM.
 */
int tw_h2_upgrade(struct tw_h2conn *c, const struct tw_h2_upgrade *u);

/*
 * Parses what is new in direction dir (starting at the first byte of the
 * connection's stream), editing sb in place.  *done receives the offset
 * below which the bytes are final.  ts_ns is the time of the segment
 * that brought the bytes.  Returns 0, or TW_EFORMAT when the direction
 * cannot be followed any further (malformed frame, invalid HPACK,
 * unsupported); *done then says how far the bytes are final, and the
 * caller zeroes the rest (tw_h2_fail first).
 */
int tw_h2_feed(struct tw_h2conn *c, int dir, uint64_t *done, int64_t ts_ns);

/*
 * Redacts a request target or :path (n bytes at v) in place: segments
 * the policy keeps stay, other segments and query values are
 * pseudonymized; grpc: a gRPC method path (kept under the default
 * policy).  Shared with the HTTP/1.1 redactor.
 */
void tw_http_redact_path(const struct tw_h2cfg *cfg, uint8_t *v, size_t n,
                         bool grpc);

/* Gives up on direction dir: zeroes its pending pieces. */
void tw_h2_fail(struct tw_h2conn *c, int dir);

/*
 * Ends the connection: pending pieces zeroed, open exchanges written to
 * the L7 trace as incomplete, c freed (NULL is fine).
 */
void tw_h2_free(struct tw_h2conn *c);

#endif
