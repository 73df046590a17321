/*
 * h1.h - HTTP/1.1 (RFC 9112) redacted on a reassembled TCP connection:
 * request targets and header values pseudonymized, JSON bodies walked,
 * other bodies zeroed, every length kept (see h1.c).  No L7 trace yet.
 */
#ifndef TW_H1_H
#define TW_H1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redact/h2.h"

struct tw_h1conn;

/* A connection whose client sends in direction client_dir; sb0 and sb1
 * as for tw_h2_new.  NULL when out of memory. */
struct tw_h1conn *tw_h1_new(const struct tw_h2cfg *cfg, int client_dir,
                            struct tw_sbuf *sb0, struct tw_sbuf *sb1);

/* As tw_h2_feed: *done is how far the bytes are final; TW_EFORMAT when
 * the direction cannot be followed further (malformed, 101 switch). */
int tw_h1_feed(struct tw_h1conn *c, int dir, uint64_t *done);

void tw_h1_free(struct tw_h1conn *c);

/* Whether n bytes at p start like an HTTP/1.x request ("GET "...); with
 * n small, true means "could be". */
bool tw_h1_looks_like(const uint8_t *p, size_t n);

#endif
