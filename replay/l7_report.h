/*
 * l7_report.h - the L7 replay's self-contained HTML report: outcomes,
 * the latency distribution as an inline SVG plot (latency against
 * percentile, log scale), and per-route percentiles.  No script, no
 * external file: it opens offline.
 */
#ifndef TW_L7_REPORT_H
#define TW_L7_REPORT_H

#include <stdio.h>

#include "replay/l7_stats.h"
#include "trace/error.h"

/*
 * Writes the report to path.  trace and target are shown (escaped).
 * Returns 0, or TW_EIO / TW_ENOMEM with the message in eb.
 */
int tw_l7_report_write(const char *path, const struct tw_l7_stats *st,
                       const char *trace, const char *target,
                       struct tw_errbuf *eb);

/* The same into f, opened by the caller (a temporary file made before
 * the run, so an unwritable place is found then).  Returns 0, or -1
 * when a write failed (errno). */
int tw_l7_report_put(FILE *f, const struct tw_l7_stats *st, const char *trace,
                     const char *target);

#endif
