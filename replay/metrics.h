/*
 * metrics.h - the replay's counters for machines: a JSON summary, the
 * Prometheus text exposition format (version 0.0.4) written to a file for
 * node_exporter's textfile collector, or served on a loopback address.
 */
#ifndef TW_METRICS_H
#define TW_METRICS_H

#include <jansson.h>
#include <stddef.h>

#include "replay/engine.h"
#include "trace/error.h"

/* The summary as a new JSON object (caller's reference), NULL when out
 * of memory.  output names the port or file. */
json_t *tw_metrics_json(const struct tw_replay_stats *st, const char *output);

/*
 * Formats st in the Prometheus text format into buf (always terminated
 * when len > 0).  Returns the length the whole text needs, as snprintf
 * does.  output becomes the "output" label of every sample.
 */
size_t tw_metrics_prom(const struct tw_replay_stats *st, const char *output,
                       char *buf, size_t len);

/*
 * Samples a backend adds after the replay's own (DPDK: the port's
 * counters and xstats), read afresh each time the text is made: fn
 * appends them to buf (always terminated when len > 0) with label as
 * the "output" label (escaped already) and returns the length the whole
 * of it needs, as snprintf does; buf is NULL when len is 0.  One for the
 * process; NULL: none.
 */
typedef size_t (*tw_metrics_extra_fn)(void *arg, const char *label, char *buf,
                                      size_t len);
void tw_metrics_set_extra(tw_metrics_extra_fn fn, void *arg);

/*
 * Writes the Prometheus text to path through a temporary file and a
 * rename, so a collector never reads half of it.  Returns 0, or TW_EIO /
 * TW_ENOMEM with the message in eb; TW_EINVAL, writing nothing, when
 * path exists and is not a regular file (tw_metrics_check_file()).
 */
int tw_metrics_write_file(const char *path, const struct tw_replay_stats *st,
                          const char *output, struct tw_errbuf *eb);

/* The same for text already made (the L7 replay's own samples). */
int tw_metrics_write_text(const char *path, const char *text,
                          struct tw_errbuf *eb);

/*
 * The rename would replace a device or a FIFO (--metrics-file
 * /dev/null) with a regular file: returns TW_EINVAL with the message in
 * eb when path exists and is not a regular file (a symbolic link is
 * followed), 0 otherwise.  For the front ends to refuse before sending.
 */
int tw_metrics_check_file(const char *path, struct tw_errbuf *eb);

struct tw_metrics_server;

/*
 * Serves GET /metrics on "ADDR:PORT" ("127.0.0.1:9464", "[::1]:9464"),
 * from a thread of its own.  Only loopback addresses are accepted.
 * Returns 0 and *out, or TW_EINVAL (not loopback, malformed), TW_EIO
 * (bind failed) or TW_ENOMEM with the message in eb.
 */
int tw_metrics_listen(struct tw_metrics_server **out, const char *addr,
                      const char *output, struct tw_errbuf *eb);

/* Replaces what the server shows with st (copied; thread-safe). */
void tw_metrics_publish(struct tw_metrics_server *s,
                        const struct tw_replay_stats *st);

/* The port bound (useful with port 0). */
unsigned tw_metrics_port(const struct tw_metrics_server *s);

/* Stops the thread and frees s. */
void tw_metrics_close(struct tw_metrics_server *s);

#endif
