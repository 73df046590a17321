/*
 * summary.h - what a trace holds, gathered packet by packet: counts,
 * bytes, time span, flows and protocol mix.  Used by `tracewarp info` and
 * by every verb that reports on what it read or wrote.
 */
#ifndef TW_SUMMARY_H
#define TW_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "packet.h"

struct tw_flow_table;

struct tw_summary {
	uint64_t packets;
	uint64_t bytes_captured;
	uint64_t bytes_wire;
	uint64_t truncated;    /* caplen < wire length */
	uint64_t no_ts;        /* packets without a timestamp (pcapng SPB) */
	uint64_t bad_ts;       /* invalid timestamps that were normalized */
	uint64_t out_of_order; /* timestamp earlier than its predecessor */
	int64_t first_ns, last_ns; /* lowest and highest timestamp */
	bool have_ts;

	/* Protocol mix, innermost layer (one packet counts once per row). */
	uint64_t ipv4, ipv6, non_ip;
	uint64_t tcp, udp, icmp, icmpv6, other_l4;
	uint64_t fragments, vlan_tagged, undecoded;
	uint64_t tunnel[5]; /* by enum tw_tunnel; [0] unused */

	/* Flows, counted up to max_flows; flows_capped once it is hit. */
	uint64_t flows;
	bool flows_capped;
	struct tw_flow_table *flow_table;

	int64_t prev_ns;
};

/* Prepares s; max_flows bounds the flow table (0 = 10 million).
 * Returns 0 or TW_ENOMEM. */
int tw_summary_init(struct tw_summary *s, uint64_t max_flows);

/* Accounts one packet captured on a link of type linktype. */
void tw_summary_add(struct tw_summary *s, const struct tw_packet *pkt,
                    uint32_t linktype);

/* As tw_summary_add() when the caller has already decoded the packet. */
void tw_summary_add_decoded(struct tw_summary *s, const struct tw_packet *pkt,
                            const struct tw_decoded *d, bool decoded);

void tw_summary_free(struct tw_summary *s);

#endif
