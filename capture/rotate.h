/*
 * rotate.h - the pure parts of file rotation: sizes with units, periods
 * aligned to the wall clock, file names from strftime patterns and
 * sequence numbers, temporary names, the ring of kept files, and the
 * command run on each finished file.  Nothing here touches the network,
 * so all of it is unit-tested.
 */
#ifndef TW_CAPTURE_ROTATE_H
#define TW_CAPTURE_ROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "trace/error.h"

/*
 * Parses a size: decimal digits, then nothing (the number counts in
 * units of unit, so tcpdump's "-C 100" is 100 MB with unit 1000000 and
 * "-B 4096" is 4 MiB with unit 1024) or a suffix: k/K/kB/KB, M/MB,
 * G/GB, T/TB (powers of 1000), KiB, MiB, GiB, TiB (powers of 1024).
 * Returns true and *out, or false on junk, an unknown suffix or
 * overflow (*out untouched).
 */
bool tw_rotate_parse_size(const char *s, uint64_t unit, uint64_t *out);

/*
 * The start of the period of period_s seconds that holds t_ns, aligned
 * to the Unix epoch (UTC): 3600 starts on the hour, 86400 at midnight
 * UTC, 300 on every fifth minute.  period_s must be > 0.  Times before
 * the epoch round down too.
 */
int64_t tw_rotate_period_start(int64_t t_ns, uint64_t period_s);

/* The first period boundary strictly after t_ns. */
int64_t tw_rotate_next_boundary(int64_t t_ns, uint64_t period_s);

/*
 * Builds a file name into buf: pattern expanded by strftime(3) in UTC at
 * time t_ns (write %% for a literal %), then, when numbered, the
 * sequence number as ".NNNNNN" (six digits, more when needed) inserted
 * before the last extension of the last path component ("cap.pcapng"
 * -> "cap.000003.pcapng"; "cap" -> "cap.000003").  Returns 0, or
 * TW_EINVAL when the pattern expands to nothing or to more than len - 1
 * bytes (message in eb).
 */
int tw_rotate_name(char *buf, size_t len, const char *pattern, int64_t t_ns,
                   uint64_t seq, bool numbered, struct tw_errbuf *eb);

/* The name a file has while it is being written: final + ".part".
 * Returns 0 or TW_EINVAL (too long). */
int tw_rotate_temp_name(char *buf, size_t len, const char *final,
                        struct tw_errbuf *eb);

/*
 * The ring of files kept on disk (-W COUNT): the names of the most
 * recent files, the one being written included.  Owns copies of the
 * names.
 */
struct tw_ring {
	char **names; /* cap slots, oldest at head */
	uint32_t cap;
	uint32_t count;
	uint32_t head;
};

/* Prepares a ring of cap > 0 names.  Returns 0 or TW_ENOMEM. */
int tw_ring_init(struct tw_ring *r, uint32_t cap);

/*
 * Records name as the newest file.  When the ring was full, the oldest
 * name leaves it and is returned in *evicted (the caller frees it);
 * otherwise *evicted is NULL.  Returns 0 or TW_ENOMEM (ring unchanged).
 */
int tw_ring_push(struct tw_ring *r, const char *name, char **evicted);

void tw_ring_free(struct tw_ring *r);

/*
 * Deletes a file that left the ring.  A file already gone (moved or
 * renamed by a --post-rotate command) is not an error.  Returns 0 or
 * TW_EIO with the message in eb.
 */
int tw_rotate_delete(const char *path, struct tw_errbuf *eb);

/*
 * Renames a finished file from its temporary name to its final one.
 * Returns 0 or TW_EIO (message in eb).
 */
int tw_rotate_finish(const char *temp, const char *final, struct tw_errbuf *eb);

/*
 * Starts `/bin/sh -c 'CMD "$1"' sh FILE`: cmd runs on the finished file
 * in its own process group (a Ctrl-C meant for the capture does not
 * stop it), with every signal unblocked and no descriptor above 2.
 * Returns the child's pid (> 0) or TW_EIO (fork failed, message in eb).
 */
pid_t tw_rotate_spawn(const char *cmd, const char *file, struct tw_errbuf *eb);

#endif
