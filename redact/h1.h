/*
 * h1.h - HTTP/1.1 (RFC 9112) redacted on a reassembled TCP connection:
 * request targets and header values pseudonymized, JSON bodies walked
 * (Content-Length or chunked), other bodies zeroed, every length kept,
 * exchanges written to the L7 trace, h2c via Upgrade handed over to the
 * HTTP/2 redactor (see h1.c).
 */
#ifndef TW_H1_H
#define TW_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redact/h2.h"

struct tw_h1conn;

/* A connection whose client sends in direction client_dir; flow,
 * conn_id, sb0 and sb1 as for tw_h2_new (flow is taken over).  NULL
 * when out of memory. */
struct tw_h1conn *tw_h1_new(const struct tw_h2cfg *cfg, int client_dir,
                            json_t *flow, uint64_t conn_id, struct tw_sbuf *sb0,
                            struct tw_sbuf *sb1);

/*
 * As tw_h2_feed: *done is how far the bytes are final.  Returns 0, 1
 * when both directions have switched to HTTP/2 (h2c via Upgrade: call
 * tw_h1_take_upgrade), or TW_EFORMAT when the direction cannot be
 * followed further (malformed, a 101 to anything but h2c).
 */
int tw_h1_feed(struct tw_h1conn *c, int dir, uint64_t *done, int64_t ts_ns);

/*
 * After tw_h1_feed returned 1: where HTTP/2 starts in each direction
 * and the upgrade request (stream 1), for tw_h2_upgrade.  u's pointers
 * stay valid until tw_h1_free; u->pseudo and u->headers are the
 * caller's.  Returns 0 or TW_ESTATE.
 */
int tw_h1_take_upgrade(struct tw_h1conn *c, struct tw_h2_upgrade *u);

/* Ends the connection: open exchanges go to the L7 trace as incomplete
 * (an answer read until the close as complete).  NULL is fine. */
void tw_h1_free(struct tw_h1conn *c);

/* Whether n bytes at p start like an HTTP/1.x request ("GET "...); with
 * n small, true means "could be". */
bool tw_h1_looks_like(const uint8_t *p, size_t n);

#endif
