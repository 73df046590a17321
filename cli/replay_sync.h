/*
 * replay_sync.h - several hosts replaying one trace together: `--shard
 * I/N` gives each host a disjoint share of the flows, `--start-at TIME`
 * starts them on one wall-clock instant.
 */
#ifndef TW_CLI_REPLAY_SYNC_H
#define TW_CLI_REPLAY_SYNC_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Parses "I/N" (1 <= I <= N <= 65536, shards numbered from 1) into the
 * engine's 0-based *index and *count.  Returns false when malformed.
 */
bool tw_replay_parse_shard(const char *s, uint32_t *index, uint32_t *count);

/*
 * Parses a wall-clock time into ns since the epoch: RFC 3339
 * ("2026-12-03T20:30:00Z", "2026-12-03T21:30:00.5+01:00"; a space may
 * replace the T) or epoch seconds ("1796329800", "1796329800.25").
 * Returns false when malformed.
 */
bool tw_replay_parse_start_at(const char *s, int64_t *ns);

/*
 * Sleeps until the wall clock (CLOCK_REALTIME) reads wall_ns, or *stop
 * is set.  Returns how late the call returns past wall_ns (negative when
 * stopped early), in ns; a time already past returns at once.
 */
int64_t tw_replay_wait_until(int64_t wall_ns, volatile sig_atomic_t *stop);

/* tw_replay_wait_until(), warning when the start is later than 50 ms. */
void tw_replay_start(int64_t wall_ns, volatile sig_atomic_t *stop);

#endif
