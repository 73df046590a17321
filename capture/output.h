/*
 * output.h - where captured packets go: one file, a rotating series of
 * files, or standard output.
 *
 * Each file is written under a temporary name (NAME.part) and renamed to
 * NAME once it is complete, so a consumer watching the directory never
 * sees a half-written file.  Rotation happens before a packet that would
 * take the file past -C bytes, before the first packet whose timestamp
 * falls in a new -G period, on a timer when no packet comes, and on
 * request (SIGHUP).  Periods are aligned to the wall clock (UTC), so
 * every packet goes to exactly one file and the union of the files is
 * the capture.  With a ring (-W N) at most N files exist: the oldest is
 * deleted before a new one is created.
 *
 * A write error (a full disk) is sticky: the current file is cut back to
 * its last complete record, closed and renamed, so every file left on
 * disk is valid, and every later call returns TW_EIO.
 */
#ifndef TW_CAPTURE_OUTPUT_H
#define TW_CAPTURE_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "trace/error.h"
#include "trace/writer.h"

struct tw_capout_opts {
	const char *path; /* -w pattern (strftime, UTC); "-" = stdout */
	enum tw_out_format fmt;
	uint64_t file_bytes;     /* -C: a file stays below this; 0 = off */
	uint64_t period_s;       /* -G: seconds per file; 0 = off */
	uint32_t ring;           /* -W: files kept; 0 = all */
	const char *post_rotate; /* run on each finished file, or NULL */
	/* Section header comments of every file (pcapng), e.g. the
	 * redaction policy's hash; NULL-terminated, or NULL.  Not copied:
	 * they must outlive the output. */
	const char *const *comments;
	int64_t grace_ns; /* a timed rotation waits this long past the
	                     boundary for packets still in the kernel */
};

struct tw_capout_iface {
	uint16_t linktype;
	uint32_t snaplen;
};

/* Called after each file is finished and renamed (for reporting). */
typedef void (*tw_capout_done_fn)(void *arg, const char *path, uint64_t packets,
                                  uint64_t bytes);

struct tw_capout;

/*
 * Opens the first file (or standard output) at wall-clock time now_ns,
 * with one interface block per entry of ifaces.  Copies what it needs
 * from o and ifaces.  Returns 0 and *out, or TW_EINVAL (bad pattern,
 * options that need a file with "-"), TW_EIO (cannot create or write:
 * message in eb), TW_ENOMEM.
 */
int tw_capout_open(struct tw_capout **out, const struct tw_capout_opts *o,
                   const struct tw_capout_iface *ifaces, uint32_t nifaces,
                   int64_t now_ns, struct tw_errbuf *eb);

void tw_capout_on_done(struct tw_capout *c, tw_capout_done_fn fn, void *arg);

/* Bytes the record of a caplen-byte packet takes in the output. */
uint64_t tw_capout_record_size(const struct tw_capout *c, uint32_t caplen);

/*
 * Writes one packet, rotating first when it is due.  Returns 0,
 * TW_EINVAL (this packet refused, e.g. a timestamp the format cannot
 * hold; the output stays usable) or TW_EIO (sticky, see above).
 */
int tw_capout_write(struct tw_capout *c, uint32_t iface, int64_t ts_ns,
                    const uint8_t *data, uint32_t caplen, uint32_t wirelen);

/*
 * The once-in-a-while call: rotates when a -G period ended more than
 * grace_ns before now_ns (wall clock), pushes buffered packets to the
 * file, and collects finished --post-rotate commands.  Returns 0 or
 * TW_EIO.
 */
int tw_capout_tick(struct tw_capout *c, int64_t now_ns);

/* Finishes the current file and starts the next one now (SIGHUP).  On
 * standard output it only flushes.  Returns 0 or TW_EIO. */
int tw_capout_rotate(struct tw_capout *c, int64_t now_ns);

/* Pushes buffered packets to the file.  Returns 0 or TW_EIO. */
int tw_capout_flush(struct tw_capout *c);

/* The wall-clock time of the next -G boundary, or INT64_MAX. */
int64_t tw_capout_next_boundary(const struct tw_capout *c);

/* Totals over every file: packets, bytes (headers included), files
 * finished. */
uint64_t tw_capout_packets(const struct tw_capout *c);
uint64_t tw_capout_bytes(const struct tw_capout *c);
uint64_t tw_capout_files(const struct tw_capout *c);

const char *tw_capout_errmsg(const struct tw_capout *c);

/*
 * Finishes the current file (renamed, --post-rotate started) and waits
 * for every --post-rotate command.  Returns 0 or the first error met
 * (message in eb).  Always frees c.
 */
int tw_capout_close(struct tw_capout *c, struct tw_errbuf *eb);

#endif
