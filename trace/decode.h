/*
 * decode.h - packet decoding into a small struct of offsets.
 *
 * Layers: Ethernet II with 802.1Q / 802.1ad (QinQ) tags, Linux cooked
 * (SLL, SLL2), BSD loopback, raw IP; IPv4 (options, fragments), IPv6
 * (extension header chain, fragments); TCP (options), UDP, ICMP, ICMPv6.
 * Tunnels (GRE, ERSPAN I/II/III, VXLAN, IPv4/IPv6-in-IP) are reported as
 * outer headers and the inner packet is decoded, up to TW_DEC_MAX_DEPTH.
 *
 * Every read is bounds-checked against caplen: a packet cut short by the
 * snaplen decodes as far as it goes and says so in flags.  Offsets are
 * from the start of the captured data.  The decoder never allocates.
 *
 * What the fields hold in the less obvious cases:
 * - ip.version is set only when the fixed IP header (20 or 40 bytes) was
 *   captured, so the addresses can be read whenever it is non-zero.
 * - Non-IP frames (ARP, LLC, an unknown ethertype or link type) set
 *   TW_DEC_UNKNOWN_L2 and leave ip.version 0; payload_* then cover the
 *   captured bytes after the L2 header.  ethertype is 0 for an 802.3
 *   frame (length, not type); for links without one (NULL, RAW...) it is
 *   the ethertype of the IP version found.
 * - An upper-layer protocol that is not decoded (ESP, SCTP, GRE version
 *   1...) has l4_off at its header, l4_hlen 0, and payload_* from there.
 * - A fragment with offset > 0 has l4_off 0 and no ports; payload_* cover
 *   the fragment data after the IP header(s).
 * - A payload cut by the snaplen is not TW_DEC_TRUNCATED (no header was
 *   cut): payload_caplen < payload_len says so.
 * - A tunnel is entered when its inner format is known (IP or
 *   Ethernet): the outer IP layer moves to tunnel[], the transport
 *   fields describe the inner packet only.  An inner Ethernet frame's
 *   VLAN tags are appended after the outer ones (at most
 *   TW_DEC_MAX_VLAN in all); ethertype and l2_off are the innermost
 *   ones (IP in IP has no L2 of its own, so they stay the outer's).  A
 *   GRE payload of an unknown protocol type is not entered: GRE stays
 *   the transport and TW_DEC_UNKNOWN_L2 is set.
 * - IPv4 Total Length 0, or IPv6 Payload Length 0 without a Jumbo
 *   option, is what segmentation offload leaves in captured
 *   super-packets: the layer then ends with the capture.
 */
#ifndef TW_DECODE_H
#define TW_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#define TW_DEC_MAX_VLAN 2
#define TW_DEC_MAX_DEPTH 3

/* Decode flags. */
#define TW_DEC_TRUNCATED 0x0001  /* a header was cut by the capture */
#define TW_DEC_MALFORMED 0x0002  /* a header contradicts itself */
#define TW_DEC_FRAGMENT 0x0004   /* IP fragment (any) */
#define TW_DEC_LATER_FRAG 0x0008 /* fragment with offset > 0: no L4 */
#define TW_DEC_IP_OPTIONS 0x0010 /* IPv4 options or IPv6 ext headers */
#define TW_DEC_TUNNEL 0x0020     /* a tunnel was entered (tunnel_count) */
#define TW_DEC_UNKNOWN_L2 0x0040 /* link type or ethertype not decoded */
#define TW_DEC_TOO_DEEP 0x0080   /* tunnels nested past TW_DEC_MAX_DEPTH */

enum tw_tunnel {
	TW_TUN_NONE = 0,
	TW_TUN_GRE,
	TW_TUN_ERSPAN,
	TW_TUN_VXLAN,
	TW_TUN_IPIP /* IPv4 or IPv6 directly in IP (protocol 4 or 41) */
};

/* One IP layer: where it is and what it carries. */
struct tw_dec_ip {
	uint8_t version;  /* 4 or 6; 0 when there is none */
	uint8_t proto;    /* upper-layer protocol after extension headers */
	uint16_t l3_off;  /* IP header */
	uint16_t l3_hlen; /* IPv4 IHL*4, or IPv6 40 + extension headers */
	uint32_t l3_len;  /* IP total length as the header says */
	uint16_t l4_off;  /* transport header, 0 when absent */
};

/* An outer encapsulation layer, outermost first. */
struct tw_dec_tunnel {
	uint8_t kind; /* enum tw_tunnel */
	uint16_t off; /* tunnel header (GRE, VXLAN...) */
	uint32_t id;  /* VXLAN VNI, ERSPAN session, GRE key */
	struct tw_dec_ip outer;
};

struct tw_decoded {
	uint32_t linktype;
	uint32_t flags;     /* TW_DEC_* */
	uint16_t ethertype; /* after tags, of the innermost L2 */
	uint8_t vlan_count;
	uint16_t vlan[TW_DEC_MAX_VLAN]; /* VLAN ids, outer first */
	uint16_t l2_off; /* innermost L2 header (e.g. Ethernet in VXLAN) */

	struct tw_dec_ip ip; /* innermost IP layer */

	uint8_t tunnel_count;
	struct tw_dec_tunnel tunnel[TW_DEC_MAX_DEPTH];

	/* Transport (innermost). */
	uint16_t sport, dport; /* TCP/UDP ports; ICMP type/code */
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	uint16_t l4_hlen;        /* TCP data offset*4, UDP 8, ICMP 8 */
	uint32_t payload_off;    /* first byte after the L4 header */
	uint32_t payload_len;    /* L4 payload per the IP length, <= what
				       was captured only when not truncated */
	uint32_t payload_caplen; /* payload bytes actually captured */
};

/*
 * Decodes caplen bytes captured on a link of type linktype.
 * Always fills *d as far as it got; returns true when the packet was
 * decoded down to its transport (or as far as its protocols go), false
 * when a layer was truncated, malformed or unknown (see d->flags).
 */
bool tw_decode(const uint8_t *data, uint32_t caplen, uint32_t linktype,
               struct tw_decoded *d);

/*
 * The innermost IP layer that was decoded: d->ip, or, when a tunnel's
 * inner packet has none (cut short, or not IP), that tunnel's outer layer.
 * NULL when the packet has no IP layer at all.  For reports and flow
 * accounting; a redactor must look at d->ip and d->tunnel[] itself.
 */
const struct tw_dec_ip *tw_decoded_ip(const struct tw_decoded *d);

/* IP protocol numbers used across the code. */
enum {
	TW_IPPROTO_ICMP = 1,
	TW_IPPROTO_IPIP = 4,
	TW_IPPROTO_TCP = 6,
	TW_IPPROTO_UDP = 17,
	TW_IPPROTO_IPV6 = 41,
	TW_IPPROTO_GRE = 47,
	TW_IPPROTO_ICMPV6 = 58
};

#endif
