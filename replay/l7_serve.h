/*
 * l7_serve.h - serves a text (the L7 replay's Prometheus metrics) on GET
 * /metrics at a loopback address, from a thread of its own.
 *
 * TODO(#8): replay/metrics.c has the same server for the packet replay's
 * stats only; once it can publish any text, this file goes.
 */
#ifndef TW_L7_SERVE_H
#define TW_L7_SERVE_H

#include "trace/error.h"

struct tw_l7_server;

/*
 * Listens on "127.0.0.1:PORT", "localhost:PORT" or "[::1]:PORT" (loopback
 * only; port 0 picks one).  Returns 0 and *out, or TW_EINVAL (malformed,
 * not loopback), TW_EIO (bind) or TW_ENOMEM with the message in eb.
 */
int tw_l7_serve(struct tw_l7_server **out, const char *addr,
                struct tw_errbuf *eb);

/* Replaces the text served (copied; thread-safe). */
void tw_l7_serve_publish(struct tw_l7_server *s, const char *text);

/* The port bound. */
unsigned tw_l7_serve_port(const struct tw_l7_server *s);

/* Stops the thread and frees s (NULL is fine). */
void tw_l7_serve_close(struct tw_l7_server *s);

#endif
