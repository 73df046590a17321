/*
 * amplify.h - sends chosen flows several times, each copy a flow of its
 * own.
 *
 * `--amplify 'BPF*N'`: a flow is amplified from the first packet that
 * matches BPF on (in either direction; flows are tracked in a bounded
 * table keyed by the 5-tuple).  Each of its packets then goes out N times
 * in all: copy 0 unchanged, copy j with the client's address shifted by
 * j * 256 (the low 32 bits of the address, so the third octet of an IPv4
 * address moves), checksums updated incrementally.  The client is the
 * sender of a TCP SYN, else the endpoint that sent the flow's first
 * packet.  With `--unique-ip` the
 * shift also grows with the loop (loop * N + j), so every loop is a new
 * set of flows; that applies to every IP flow, amplified or not.
 *
 * A shifted address can land on one that the trace already uses; the
 * copies are distinct from one another and from their original, not from
 * unrelated flows (TODO(#6): pick shifts outside the trace's addresses).
 * Headers quoted inside ICMP errors are not shifted, nor rewritten by
 * rewrite.c (TODO(#6)).
 */
#ifndef TW_AMPLIFY_H
#define TW_AMPLIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "trace/decode.h"
#include "trace/error.h"

/* Flows tracked for amplification; beyond, matching is per packet and
 * the client is guessed as the endpoint with the higher port. */
#define TW_AMP_MAX_FLOWS (4u << 20)

#define TW_AMP_MAX_COPIES 65536

struct tw_amp;

struct tw_amp_cfg {
	const char *filter; /* BPF of the flows to amplify; NULL: none */
	uint32_t copies;    /* N >= 1: packets out per packet in */
	bool unique_ip;     /* every loop a distinct set of flows */
};

/*
 * Parses "BPF*N" (the last '*' splits) into filter (a pointer into spec,
 * which is modified) and copies.  Returns 0 or TW_EINVAL.
 */
int tw_amp_parse(char *spec, const char **filter, uint32_t *copies);

/* Returns 0 and *out, or TW_EINVAL (bad filter, message in eb) or
 * TW_ENOMEM. */
int tw_amp_new(struct tw_amp **out, const struct tw_amp_cfg *cfg,
               struct tw_errbuf *eb);

/* What the amplifier decided about one packet. */
struct tw_amp_verdict {
	uint32_t copies; /* copies to send, 1 when not amplified */
	int client;      /* 0: client is the source, 1: the destination,
	                    -1: no IP layer (never shifted) */
};

/*
 * Classifies a decoded packet.  Returns 0, or the filter's error
 * (TW_EINVAL, TW_ELIMIT) with the message in eb.
 */
int tw_amp_classify(struct tw_amp *a, const uint8_t *data, uint32_t caplen,
                    uint32_t wirelen, uint32_t linktype,
                    const struct tw_decoded *d, struct tw_amp_verdict *v,
                    struct tw_errbuf *eb);

/*
 * The address shift of copy j in loop: j, or loop * N + j with
 * --unique-ip.  0 means the packet goes out as it came.
 */
uint64_t tw_amp_shift(const struct tw_amp *a, uint64_t loop, uint32_t j);

/*
 * Shifts the client address of the packet in buf (len bytes, decoded as
 * d) by shift * 256, with checksums updated.  Returns false when the
 * packet has no IP address to shift.
 */
bool tw_amp_apply(uint8_t *buf, uint32_t len, const struct tw_decoded *d,
                  int client, uint64_t shift);

/* Flows seen, and flows past the table's bound (matched per packet). */
uint64_t tw_amp_flows(const struct tw_amp *a);
uint64_t tw_amp_untracked(const struct tw_amp *a);

void tw_amp_free(struct tw_amp *a);

#endif
