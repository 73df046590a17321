/*
 * gen.h - `tracewarp generate`: synthetic traces from a profile.
 *
 * A profile (YAML, config/PROFILES.md) names address ranges, the network
 * (RTT, loss, reordering), a rate curve of session arrivals, limits, and a
 * weighted mix of session kinds.  The generator starts sessions at the
 * curve's arrival times; each session is a small state machine that
 * queues a few packets at a time, built through libnet, and a heap merges
 * the sessions' queues into one time-ordered trace.  Every session has
 * its own PRNG seeded from the profile's, so one profile and one seed
 * give the same file, byte for byte.
 */
#ifndef TW_GEN_H
#define TW_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/generate/rate.h"
#include "tools/generate/rng.h"
#include "tools/generate/tcp.h"
#include "trace/error.h"
#include "trace/writer.h"

#define TW_GEN_MAX_TIERS 8
#define TW_GEN_MAX_MIX 16

/* A size or count distribution: tiers chosen by weight, uniform inside. */
struct tw_gen_dist {
	size_t n;
	struct {
		double weight;
		uint64_t min, max;
	} tier[TW_GEN_MAX_TIERS];
};

uint64_t tw_gen_dist_draw(const struct tw_gen_dist *d, struct tw_gen_rng *r);

enum tw_gen_kind {
	TW_GEN_H2 = 0, /* HTTP/2 h2c: streams of JSON requests */
	TW_GEN_GRPC,   /* gRPC over h2c: unary and streaming calls */
	TW_GEN_REST,   /* HTTP/1.1 with JSON bodies */
	TW_GEN_UPLOAD, /* resumable uploads over several connections */
	TW_GEN_DNS,    /* UDP queries and answers */
	TW_GEN_FLOOD,  /* one UDP flow of small frames at a packet rate */
	TW_GEN_KINDS
};

/* One entry of the session mix. */
struct tw_gen_mix {
	enum tw_gen_kind kind;
	double weight;
	uint16_t port;
	struct tw_gen_dist requests; /* per session: streams, calls,
	                                exchanges, queries, packets */
	struct tw_gen_dist request_size, response_size;
	struct tw_gen_dist messages; /* gRPC: messages of a streamed side */
	double streaming;            /* gRPC: share of streaming calls */
	double rst;                  /* h2: share of refused streams */
	struct tw_gen_dist size;     /* upload: total; flood: frame size */
	struct tw_gen_dist chunk;    /* upload: bytes per connection */
	uint64_t pps;                /* flood: packets a second */
	int64_t think_ns;            /* server (and client) think time */
};

struct tw_gen_prefix {
	uint8_t addr[16];
	unsigned len;
};

struct tw_gen_hosts {
	struct tw_gen_prefix v4, v6;
	uint32_t count;
};

struct tw_gen_profile {
	char *path;
	uint64_t seed;
	int64_t start_ns;
	uint64_t max_sessions, max_packets, max_bytes;
	int64_t max_duration_ns;
	struct tw_gen_hosts clients, servers;
	bool any_range; /* prefixes outside 198.18.0.0/15, 2001:db8::/32 */
	double ipv6;
	struct tw_gen_net net;
	struct tw_gen_rate rate;
	char *secrets_file; /* resolved path, or NULL */
	double plant_rate;
	size_t nmix;
	struct tw_gen_mix mix[TW_GEN_MAX_MIX];
};

/*
 * Parses a profile.  Returns 0 and *out (free with tw_gen_profile_free),
 * or TW_EIO, TW_EFORMAT, TW_ELIMIT, TW_ENOMEM with "FILE:LINE:COL: what"
 * in eb.
 */
int tw_gen_profile_load(struct tw_gen_profile **out, const char *path,
                        struct tw_errbuf *eb);

/* As tw_gen_profile_load() from text in memory; name is used in messages
 * and relative paths are taken from the current directory. */
int tw_gen_profile_parse(struct tw_gen_profile **out, const char *name,
                         const char *text, size_t len, struct tw_errbuf *eb);

void tw_gen_profile_free(struct tw_gen_profile *p);

/* Parses "250ms", "2s", "1.5us", "3m", "1h" (a bare number is seconds)
 * into ns.  Returns false on junk. */
bool tw_gen_parse_duration(const char *s, int64_t *ns);

/* Parses "1500", "64k", "10M", "2G", "4KiB", "1GiB".  False on junk. */
bool tw_gen_parse_size(const char *s, uint64_t *out);

/* What was generated. */
struct tw_gen_stats {
	uint64_t packets, bytes, sessions, connections;
	uint64_t h2_streams, h2_refused, grpc_calls, grpc_messages;
	uint64_t rest_exchanges, uploads, upload_bytes, dns_queries;
	uint64_t flood_packets, plants, retransmissions;
	int64_t first_ns, last_ns;
};

typedef void (*tw_gen_progress_fn)(void *arg, const struct tw_gen_stats *st);

struct tw_gen_opts {
	uint64_t seed;
	uint64_t max_size;        /* caps every drawn size; 0 = none */
	bool libnet_every_packet; /* no per-flow templates (same bytes) */
	tw_gen_progress_fn progress;
	void *progress_arg;
};

/*
 * Writes the trace described by p to w (which must have no interface
 * yet: one Ethernet interface is added).  Returns 0 with *st filled, or
 * a TW_E* code with the message in eb (what was generated so far stays
 * in w).
 */
int tw_gen_run(const struct tw_gen_profile *p, const struct tw_gen_opts *o,
               struct tw_writer *w, struct tw_gen_stats *st,
               struct tw_errbuf *eb);

#endif
