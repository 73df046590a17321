/*
 * session.h - a live capture from start to end: one libpcap handle per
 * interface, all waited on with one ppoll(2), packets written in arrival
 * order (batch by batch, interface by interface) to one output with one
 * interface block each, limits, rotation requests, statistics.
 *
 * The session neither installs signal handlers nor prints: the front end
 * passes flags that its handlers set, the signal mask to wait with, and
 * callbacks that report.
 */
#ifndef TW_CAPTURE_SESSION_H
#define TW_CAPTURE_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "capture/live.h"
#include "capture/output.h"
#include "trace/error.h"

struct tw_session;

struct tw_capture_opts {
	const char *const *ifaces; /* -i, one or more */
	uint32_t nifaces;
	struct tw_live_opts live;
	struct tw_capout_opts out;
	uint64_t max_packets; /* -c: stop after this many; 0 = no limit */
	uint64_t max_bytes;   /* --max-bytes: output never goes past */
	uint64_t duration_ns; /* --duration */
};

/* Why a capture ended. */
enum tw_capture_end {
	TW_END_RUNNING = 0,
	TW_END_SIGNAL,   /* SIGINT or SIGTERM */
	TW_END_COUNT,    /* -c reached */
	TW_END_DURATION, /* --duration reached */
	TW_END_BYTES,    /* --max-bytes reached */
	TW_END_ERROR     /* a write or capture error */
};

struct tw_capture;

/* What the front end hands to tw_capture_run(). */
struct tw_capture_ctl {
	volatile sig_atomic_t *stop;   /* set: stop cleanly */
	volatile sig_atomic_t *rotate; /* set: rotate now (cleared here) */
	volatile sig_atomic_t *report; /* set: call report (cleared here) */
	const sigset_t *waitmask;      /* signal mask while waiting */
	void (*tick)(void *arg, struct tw_capture *c);      /* every second */
	void (*report_fn)(void *arg, struct tw_capture *c); /* on *report */
	void *arg;
};

struct tw_capture_counts {
	uint64_t packets;        /* written */
	uint64_t bytes_captured; /* captured bytes of the packets written */
	uint64_t bytes_wire;
	uint64_t file_bytes;         /* output bytes, headers included */
	uint64_t files;              /* files finished */
	uint64_t refused;            /* packets the output format cannot hold */
	struct tw_live_stats kernel; /* summed over the interfaces */
	int64_t elapsed_ns;
};

/*
 * Opens every interface (this needs the privileges; drop them after).
 * Returns 0 and *out, or the first interface's error (see
 * tw_live_open()) with the message in eb; nothing stays open then.
 */
int tw_capture_open(struct tw_capture **out, const struct tw_capture_opts *o,
                    struct tw_errbuf *eb);

/* Reports each finished file (see tw_capout_on_done()); before start. */
void tw_capture_on_file(struct tw_capture *c, tw_capout_done_fn fn, void *arg);

/*
 * Sends every packet through the redaction session s (redact/session.h)
 * before the output, so raw payload never reaches a file: the output
 * gets what tw_session_pop() releases, in capture order, and at the end
 * whatever the session still holds, made final.  -c then counts packets
 * captured; all of them are written.  A packet held past the end of a
 * -G period goes into the next file (its timestamp kept).  s must
 * outlive the capture (the caller frees it).  Before start.
 */
void tw_capture_redact_with(struct tw_capture *c, struct tw_session *s);

/* Opens the output at wall-clock time wall_ns.  Returns 0 or the error of
 * tw_capout_open(). */
int tw_capture_start(struct tw_capture *c, int64_t wall_ns,
                     struct tw_errbuf *eb);

/*
 * Captures until a limit, *ctl->stop or an error.  On a stop by signal
 * or duration, the packets the kernel already holds are still written
 * (for at most a fifth of a second).  Returns 0 or the error that ended
 * it (TW_EIO: the output or the capture failed; message in eb).
 */
int tw_capture_run(struct tw_capture *c, const struct tw_capture_ctl *ctl,
                   struct tw_errbuf *eb);

enum tw_capture_end tw_capture_ended(const struct tw_capture *c);

/* Current totals; kernel counters are read fresh. */
void tw_capture_counts(struct tw_capture *c, struct tw_capture_counts *n);

uint32_t tw_capture_iface_count(const struct tw_capture *c);
const char *tw_capture_iface_name(const struct tw_capture *c, uint32_t i);

/* The libpcap handle of interface i (link type, snaplen). */
const struct tw_live *tw_capture_iface(const struct tw_capture *c, uint32_t i);

/* Kernel counters of interface i, read fresh (zeros if unreadable). */
void tw_capture_iface_stats(struct tw_capture *c, uint32_t i,
                            struct tw_live_stats *st);

/*
 * Finishes the output (the last file renamed, post-rotate commands
 * waited for) and closes the interfaces.  Returns 0 or the output's
 * error (message in eb).  Always frees c.
 */
int tw_capture_close(struct tw_capture *c, struct tw_errbuf *eb);

#endif
