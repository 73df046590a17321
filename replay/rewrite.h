/*
 * rewrite.h - changes made to each packet on its way out: MAC addresses,
 * IP prefixes, ports, VLAN tags.  Checksums are updated incrementally
 * (RFC 1624), never recomputed, so a packet whose checksum was valid stays
 * valid and one captured with a bad checksum (offload) stays as bad.
 *
 * Addresses and ports are rewritten in the innermost IP layer and its
 * transport header, in both directions with one map, so a flow keeps being
 * one flow.  Outer headers of tunnels are left alone (TODO(#6): an option
 * to rewrite the outer layer instead), except that an outer UDP checksum
 * over IPv4 that the change would make stale is set to zero ("none").
 * MAC and VLAN changes apply to Ethernet frames only; other link types
 * pass unchanged there.
 */
#ifndef TW_REWRITE_H
#define TW_REWRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "trace/decode.h"

#define TW_RW_MAX_MAPS 16

/* Bytes a frame may grow by in tw_rewrite_apply() (one VLAN tag). */
#define TW_RW_HEADROOM 4

struct tw_ip_map {
	uint8_t version; /* 4 or 6 */
	uint8_t plen;    /* prefix length, the same on both sides */
	uint8_t from[16];
	uint8_t to[16];
};

struct tw_port_map {
	uint16_t from, to;
};

enum tw_vlan_op {
	TW_VLAN_KEEP = 0,
	TW_VLAN_ADD,   /* push an 802.1Q tag in front of any there */
	TW_VLAN_STRIP, /* pop the outer tag, when there is one */
	TW_VLAN_SET    /* set the outer tag's VLAN id; push one if none */
};

struct tw_rewrite {
	bool src_mac_set, dst_mac_set;
	uint8_t src_mac[6], dst_mac[6];
	unsigned n_ip;
	struct tw_ip_map ip[TW_RW_MAX_MAPS];
	unsigned n_port;
	struct tw_port_map port[TW_RW_MAX_MAPS];
	enum tw_vlan_op vlan_op;
	uint16_t vlan_id;
};

/* Parses "aa:bb:cc:dd:ee:ff".  Returns 0 or TW_EINVAL. */
int tw_rewrite_parse_mac(const char *s, uint8_t mac[6]);

/*
 * Adds a prefix map "CIDR:CIDR" ("10.0.0.0/8:198.18.0.0/8",
 * "2001:db8::/48:2001:db8:1::/48"); the lengths and families must match.
 * Addresses inside the first prefix get the second one's prefix bits and
 * keep their host bits.  Prefixes with host bits set, and maps that
 * overlap an earlier one (on either side), are refused.  Returns 0,
 * TW_EINVAL (malformed, mismatched, overlapping; *why, when why is not
 * NULL, says which) or TW_ELIMIT (too many maps).
 */
int tw_rewrite_add_ip_map(struct tw_rewrite *rw, const char *spec,
                          const char **why);

/*
 * Adds port maps "FROM:TO[,FROM:TO...]", applied to the source and
 * destination ports of TCP and UDP; a port mapped twice is refused.
 * Returns 0, TW_EINVAL (with *why as for ip maps) or TW_ELIMIT.
 */
int tw_rewrite_add_port_map(struct tw_rewrite *rw, const char *spec,
                            const char **why);

/* True when rw changes anything. */
bool tw_rewrite_active(const struct tw_rewrite *rw);

/*
 * Rewrites the frame buf of *len bytes in place; cap is the buffer's
 * size, at least *len + TW_RW_HEADROOM for a VLAN push.  d must describe
 * buf as tw_decode() left it; it is stale afterwards when the length
 * changed.  Returns 0, with *len updated.
 */
int tw_rewrite_apply(const struct tw_rewrite *rw, uint8_t *buf, uint32_t *len,
                     uint32_t cap, uint32_t linktype,
                     const struct tw_decoded *d);

/*
 * Replaces the source (which 0) or destination (which 1) address of the
 * innermost IP layer of buf with addr (4 or 16 bytes as the version says)
 * and updates the IPv4 header checksum and the transport checksum that
 * covers it.  Returns false when the packet has no (whole) address there.
 */
bool tw_rewrite_set_addr(uint8_t *buf, uint32_t len, const struct tw_decoded *d,
                         int which, const uint8_t *addr);

#endif
