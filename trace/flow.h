/*
 * flow.h - flow keys and a flow table.
 *
 * A flow is the 5-tuple of the innermost IP layer (addresses, ports,
 * protocol).  Both directions map to one key: the endpoint that sorts
 * lower comes first, and the direction of a packet says which side sent
 * it.  The table is open addressing with linear probing; it grows by
 * doubling and is bounded by a caller-given maximum.
 */
#ifndef TW_FLOW_H
#define TW_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct tw_flow_key {
	uint8_t addr[2][16]; /* IPv4 in the first 4 bytes, rest zero */
	uint16_t port[2];    /* host order; 0 for protocols without ports */
	uint8_t proto;
	uint8_t version; /* 4 or 6 */
	uint8_t pad[2];  /* zero, so keys compare with memcmp */
};

/*
 * Builds the key of a decoded packet from its innermost IP layer (data is
 * what was decoded).  *dir (when dir is not NULL) receives 0 when the
 * sender is endpoint 0 of the key, 1 otherwise.  Returns false when the
 * packet has no IP layer.
 *
 * Only TCP and UDP have ports in the key.  ICMP and ICMPv6 have none: all
 * ICMP between two hosts is one flow, whatever the type, code or echo
 * identifier (an error message belongs with the flow it quotes, which
 * a caller can find in the quoted header).  A fragment with offset > 0
 * has no transport header, so it gets ports 0: a flow's later fragments
 * form a flow of their own (no reassembly here).  The addresses are the
 * IP header's as captured: behind an IPv6 Routing header the destination
 * is the next segment, not the final one.
 */
bool tw_flow_key_of(const uint8_t *data, const struct tw_decoded *d,
                    struct tw_flow_key *key, int *dir);

/*
 * A well-mixed 64-bit hash of a key; seed makes it keyed (0 is fine).
 * It is SipHash-1-3 with key (k0 = seed, k1 = 0) over the 40-byte
 * encoding: addr[0], addr[1], port[0] and port[1] big-endian, proto,
 * version, two zero bytes.  The same on every host, so it can place
 * flows across machines; both directions of a flow hash alike, as they
 * share one key.
 */
uint64_t tw_flow_hash(const struct tw_flow_key *key, uint64_t seed);

bool tw_flow_key_eq(const struct tw_flow_key *a, const struct tw_flow_key *b);

/*
 * Formats "TCP 198.18.0.1:443 <-> 198.18.0.2:51000" into buf, endpoint 0
 * first; IPv6 addresses in brackets when a port follows ("UDP
 * [2001:db8::1]:53 <-> ..."), no ports for other protocols ("ICMP a <->
 * b"); a protocol without a name is "ip-proto-N".  Cut to fit len;
 * TW_FLOW_KEY_STRLEN always fits.  Returns buf.
 */
#define TW_FLOW_KEY_STRLEN 128

char *tw_flow_key_str(const struct tw_flow_key *key, char *buf, size_t len);

struct tw_flow_table;

/*
 * Creates a table whose entries carry value_size bytes of caller data
 * (zeroed on insert), holding at most max_flows (0 = no limit).
 * Returns NULL when out of memory.
 */
struct tw_flow_table *tw_flow_table_new(size_t value_size, size_t max_flows);

/*
 * Finds key, inserting it if absent (*created then true).  Returns the
 * entry's value, or NULL when the table is full (TW_ELIMIT) or memory ran
 * out (TW_ENOMEM); *err receives the code when non-NULL.  created may be
 * NULL.  Pointers stay valid until the next insert.  Values are aligned
 * for any type (max_align_t).
 */
void *tw_flow_table_get(struct tw_flow_table *t, const struct tw_flow_key *key,
                        bool *created, int *err);

/* Finds key without inserting; NULL when absent. */
void *tw_flow_table_find(const struct tw_flow_table *t,
                         const struct tw_flow_key *key);

size_t tw_flow_table_count(const struct tw_flow_table *t);

/*
 * Calls fn for each entry, in the order they were inserted (whatever the
 * hash seed or the table's growth); stops early when fn returns non-zero
 * and returns that value, else 0.  fn must not insert.
 */
int tw_flow_table_each(struct tw_flow_table *t,
                       int (*fn)(const struct tw_flow_key *key, void *value,
                                 void *arg),
                       void *arg);

void tw_flow_table_free(struct tw_flow_table *t);

#endif
