/*
 * test_decode.c - the packet decoder, table-driven.
 *
 * Each case is a packet, the link type it was captured on, and the whole
 * struct tw_decoded it must decode to; every field is compared.  Packets
 * are either copied from the public captures in the corpus (the packet
 * number in the file is given; bytes taken with tshark -x, and the
 * addresses, ports, lengths and sequence numbers checked against what
 * tshark decodes) or spliced together here from those and from small
 * hand-written headers, one class of odd or broken input each.
 *
 * Every case is decoded from a heap copy of exactly caplen bytes, so
 * AddressSanitizer catches a read past the capture.  Beyond the table:
 * every prefix of every packet (a snaplen at each byte), and random
 * corruptions, must decode without a fault and with consistent fields.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace/decode.h"
#include "trace/packet.h"

#include "corpus_packets.h"

/* trex-http_get #1, all 64 bytes: TCP SYN, MSS option, Ethernet padding */
static const uint8_t http_syn[] = {
	0xe0, 0x5f, 0xb9, 0x69, 0xe9, 0x22, 0x00, 0x15, 0x17, 0xa7, 0x75,
	0xa3, 0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0x1a, 0x2d, 0x00, 0x00,
	0x80, 0x06, 0xf5, 0x9b, 0x15, 0x00, 0x00, 0x02, 0x16, 0x00, 0x00,
	0x02, 0x33, 0xff, 0x00, 0x50, 0x55, 0x0d, 0xd0, 0x1d, 0x00, 0x00,
	0x00, 0x00, 0x60, 0x02, 0x80, 0x00, 0x93, 0xa8, 0x00, 0x00, 0x02,
	0x04, 0x05, 0xb4, 0x00, 0x00, 0x3d, 0xd4, 0xad, 0x72,
};

/* tcpdump-802.1ad_QinQ #1, all 64 bytes: 802.1ad + 802.1Q, ARP */
static const uint8_t qinq_arp[] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x20, 0xd2, 0x5a, 0xfb,
	0x3f, 0x88, 0xa8, 0x00, 0xc8, 0x81, 0x00, 0x07, 0xd1, 0x08, 0x06,
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x00, 0x20, 0xd2,
	0x5a, 0xfb, 0x3f, 0xac, 0x15, 0x4f, 0x61, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xac, 0x15, 0x4f, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* trex-ipv6 #1, all 90 bytes: IPv6 UDP, 4 trailing bytes */
static const uint8_t ripng6[] = {
	0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x86, 0xdd, 0x60, 0x30, 0x00, 0x00, 0x00, 0x20, 0x11, 0x80, 0xfe, 0x80,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0xff, 0xfe, 0x00,
	0x00, 0x00, 0x20, 0x01, 0x00, 0x02, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x09, 0x02, 0x09, 0x00, 0x20,
	0x21, 0xa1, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xca, 0x97, 0xed, 0x84,
};

/* tcpdump-ip6_frag_asan #1, 60 of 262144 bytes: fragment header cut */
static const uint8_t frag_asan[] = {
	0xc0, 0xce, 0xff, 0xa0, 0x00, 0x04, 0x00, 0x00, 0x29, 0x49, 0xff, 0x75,
	0x86, 0xdd, 0x65, 0x1b, 0x21, 0x00, 0x6a, 0x00, 0x2c, 0x10, 0x04, 0x52,
	0x00, 0x22, 0x00, 0x19, 0x00, 0x00, 0x04, 0x1a, 0xe4, 0xff, 0x10, 0xff,
	0x48, 0x4d, 0x22, 0x43, 0x00, 0x80, 0x14, 0x00, 0x01, 0x00, 0x00, 0x19,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xfb, 0x0b, 0xff, 0x00, 0x00, 0x01, 0x00,
};

/* tcpdump-ipv6_jumbogram_1 #1, 96 of 65590 bytes: Jumbo Payload option */
static const uint8_t jumbo_head[] = {
	0x00, 0x13, 0xc4, 0xc7, 0x84, 0xf0, 0x00, 0x12, 0x3f, 0xae, 0x22, 0xf7,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe3, 0x22, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x44, 0x02, 0x12, 0x3f, 0xff, 0xfe, 0xae,
	0x22, 0xf7, 0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x40, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x3a, 0x00, 0xc2, 0x04, 0x00, 0x01,
	0x00, 0x00, 0x80, 0x00, 0xe3, 0xb0, 0x11, 0xe0, 0xc9, 0x1e, 0xf4, 0xb5,
	0xe3, 0x5e, 0xff, 0x52, 0xcb, 0x42, 0x74, 0x7e, 0xb6, 0x5f, 0x9e, 0x5f,
	0xbe, 0x3c, 0x59, 0x1a, 0x53, 0x59, 0x71, 0xda, 0x4a, 0x64, 0x26, 0xc2,
};

/* arkime-gre-erspan #1, 100 of 444 bytes: GRE, ERSPAN II, 802.3 */
static const uint8_t erspan_cdp[] = {
	0x64, 0x00, 0xf1, 0xe2, 0x01, 0x12, 0x64, 0x00, 0xf1, 0xe2, 0x01, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x01, 0xae, 0x00, 0x00, 0x40, 0x00, 0xfe, 0x2f,
	0x75, 0x1b, 0x02, 0x02, 0x02, 0x02, 0x01, 0x01, 0x01, 0x01, 0x10, 0x00,
	0x88, 0xbe, 0x00, 0x00, 0x07, 0x02, 0x10, 0x17, 0x08, 0x64, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x00, 0x0c, 0xcc, 0xcc, 0xcc, 0x64, 0x00, 0xf1, 0xe1,
	0x03, 0x03, 0x01, 0x7c, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00,
	0x02, 0xb4, 0x9a, 0x14, 0x00, 0x01, 0x00, 0x08, 0x43, 0x53, 0x52, 0x33,
	0x00, 0x05, 0x01, 0x02, 0x43, 0x69, 0x73, 0x63, 0x6f, 0x20, 0x49, 0x4f,
	0x53, 0x20, 0x53, 0x6f,
};

/* libpcap-vxlan #1, all 148 bytes: VXLAN, ICMP */
static const uint8_t vxlan_icmp[] = {
	0x00, 0x16, 0x3e, 0x08, 0x71, 0xcf, 0x36, 0xdc, 0x85, 0x1e, 0xb3, 0x40,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x86, 0xd2, 0xc0, 0x40, 0x00, 0x40, 0x11,
	0x51, 0x52, 0xc0, 0xa8, 0xcb, 0x01, 0xc0, 0xa8, 0xca, 0x01, 0xb0, 0x5d,
	0x12, 0xb5, 0x00, 0x72, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x64, 0x00, 0x00, 0x30, 0x88, 0x01, 0x00, 0x02, 0x00, 0x16, 0x3e, 0x37,
	0xf6, 0x04, 0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x00, 0x00, 0x40, 0x00,
	0x40, 0x01, 0x23, 0x4f, 0xc0, 0xa8, 0xcb, 0x03, 0xc0, 0xa8, 0xcb, 0x05,
	0x08, 0x00, 0xf6, 0xf2, 0x05, 0x0c, 0x00, 0x01, 0xfc, 0xe2, 0x97, 0x51,
	0x00, 0x00, 0x00, 0x00, 0xa6, 0xf8, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
	0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33,
	0x34, 0x35, 0x36, 0x37,
};

/* libpcap-vxlan #2, all 92 bytes: VXLAN, ARP */
static const uint8_t vxlan_arp[] = {
	0x36, 0xdc, 0x85, 0x1e, 0xb3, 0x40, 0x00, 0x16, 0x3e, 0x08, 0x71, 0xcf,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x4e, 0xb8, 0x02, 0x40, 0x00, 0x3e, 0x11,
	0x6e, 0x48, 0xc0, 0xa8, 0xca, 0x01, 0xc0, 0xa8, 0xcb, 0x01, 0xa6, 0xd6,
	0x12, 0xb5, 0x00, 0x3a, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x64, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x30, 0x88, 0x01,
	0x00, 0x02, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
	0x00, 0x30, 0x88, 0x01, 0x00, 0x02, 0xc0, 0xa8, 0xcb, 0x05, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0xcb, 0x03,
};

/* Hand-written headers to splice with the captured ones. */
#define MACS \
	0xe0, 0x5f, 0xb9, 0x69, 0xe9, 0x22, 0x00, 0x15, 0x17, 0xa7, 0x75, 0xa3

static const uint8_t eth4[] = { MACS, 0x08, 0x00 };
static const uint8_t eth6[] = { MACS, 0x86, 0xdd };

/* An IPv4 header without options; the checksum is not looked at. */
#define IP4_HDR(len, proto)                                               \
	0x45, 0x00, (len) >> 8, (len)&0xff, 0x00, 0x01, 0x00, 0x00, 0x40, \
	        (proto), 0x00, 0x00, 198, 18, 0, 1, 198, 18, 0, 2

/* An IPv6 header with ripng6's addresses. */
#define IP6_HDR(plen, nh)                                                      \
	0x60, 0x00, 0x00, 0x00, (plen) >> 8, (plen)&0xff, (nh), 0x40, 0xfe,    \
	        0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x01, 0x00, 0xff, 0xfe, 0x00, 0, \
	        0, 0x20, 0x01, 0x00, 0x02, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 0, \
	        0, 0, 0, 0x01

/* A packet is the concatenation of up to 8 parts. */
struct part {
	const uint8_t *p;
	size_t n;
};

#define ALL(a)                 \
	{                      \
		(a), sizeof(a) \
	}
#define SUB(a, from, len)           \
	{                           \
		(a) + (from), (len) \
	}
#define BYTES(...)                                               \
	{                                                        \
		(const uint8_t[]){ __VA_ARGS__ },                \
		        sizeof((const uint8_t[]){ __VA_ARGS__ }) \
	}

#define IP4(proto_, off, hlen, len, l4)                            \
	{                                                          \
		.version = 4, .proto = (proto_), .l3_off = (off),  \
		.l3_hlen = (hlen), .l3_len = (len), .l4_off = (l4) \
	}
#define IP6(proto_, off, hlen, len, l4)                            \
	{                                                          \
		.version = 6, .proto = (proto_), .l3_off = (off),  \
		.l3_hlen = (hlen), .l3_len = (len), .l4_off = (l4) \
	}
#define PAYLOAD(off, len, cap) \
	.payload_off = (off), .payload_len = (len), .payload_caplen = (cap)
#define TUNNEL(kind_, off_, id_, ...)                        \
	{                                                    \
		.kind = (kind_), .off = (off_), .id = (id_), \
		.outer = __VA_ARGS__                         \
	}

struct dec_case {
	const char *name;
	uint32_t link;
	struct part parts[8];
	uint32_t caplen; /* 0: all the parts */
	bool ok;
	bool no_sweep; /* its prefixes decode otherwise: lengths that come
	                  from the capture, or a header read to be skipped */
	struct tw_decoded want;
};

#define ETH TW_LINK_ETHERNET

static const struct dec_case cases[] = {
	/* Ethernet, IPv4, transports. */
	{ .name = "ipv4 tcp syn, padded frame",
	  .link = ETH,
	  .parts = { ALL(http_syn) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .ethertype = 0x0800,
	            .ip = IP4(6, 14, 20, 44, 34),
	            .sport = 13311,
	            .dport = 80,
	            .tcp_flags = 0x02,
	            .tcp_seq = 0x550dd01d,
	            .l4_hlen = 24,
	            PAYLOAD(58, 0, 0) } },
	{ .name = "ipv4 tcp data, trailer",
	  .link = ETH,
	  .parts = { ALL(http_get) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .ethertype = 0x0800,
	            .ip = IP4(6, 14, 20, 292, 34),
	            .sport = 13311,
	            .dport = 80,
	            .tcp_flags = 0x18,
	            .tcp_seq = 0x550dd01e,
	            .tcp_ack = 0x550e7adf,
	            .l4_hlen = 20,
	            PAYLOAD(54, 252, 252) } },
	{ .name = "ipv4 tcp data, snaplen 100",
	  .link = ETH,
	  .parts = { ALL(http_get) },
	  .caplen = 100,
	  .ok = true,
	  .want = { .linktype = ETH,
	            .ethertype = 0x0800,
	            .ip = IP4(6, 14, 20, 292, 34),
	            .sport = 13311,
	            .dport = 80,
	            .tcp_flags = 0x18,
	            .tcp_seq = 0x550dd01e,
	            .tcp_ack = 0x550e7adf,
	            .l4_hlen = 20,
	            PAYLOAD(54, 252, 46) } },
	{ .name = "ipv4 udp, trailer",
	  .link = ETH,
	  .parts = { ALL(dns_query) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 14, 20, 59, 34),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(42, 31, 31) } },
	{ .name = "ipv4 icmp port unreachable",
	  .link = ETH,
	  .parts = { ALL(icmp_unreach) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .ethertype = 0x0800,
	            .ip = IP4(1, 14, 20, 56, 34),
	            .sport = 3,
	            .dport = 3,
	            .l4_hlen = 8,
	            PAYLOAD(42, 28, 28) } },

	/* VLAN tags. */
	{ .name = "two 802.1Q tags",
	  .link = ETH,
	  .parts = { ALL(twovlan_syn) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .ethertype = 0x0800,
	            .vlan_count = 2,
	            .vlan = { 201, 200 },
	            .ip = IP4(6, 22, 20, 60, 42),
	            .sport = 54422,
	            .dport = 80,
	            .tcp_flags = 0x02,
	            .tcp_seq = 0xc127fde7,
	            .l4_hlen = 40,
	            PAYLOAD(82, 0, 0) } },
	{ .name = "one 802.1Q tag",
	  .link = ETH,
	  .parts = { SUB(twovlan_syn, 0, 16), SUB(twovlan_syn, 20, 62) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .ethertype = 0x0800,
	            .vlan_count = 1,
	            .vlan = { 201 },
	            .ip = IP4(6, 18, 20, 60, 38),
	            .sport = 54422,
	            .dport = 80,
	            .tcp_flags = 0x02,
	            .tcp_seq = 0xc127fde7,
	            .l4_hlen = 40,
	            PAYLOAD(78, 0, 0) } },
	{ .name = "three tags 0x9100 0x88a8 0x8100: two kept",
	  .link = ETH,
	  .parts = { SUB(twovlan_syn, 0, 12),
	             BYTES(0x91, 0x00, 0x00, 0x64, 0x88, 0xa8, 0x00, 0xc9, 0x81,
	                   0x00, 0x00, 0xc8),
	             SUB(twovlan_syn, 20, 62) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .ethertype = 0x0800,
	            .vlan_count = 2,
	            .vlan = { 100, 201 },
	            .ip = IP4(6, 26, 20, 60, 46),
	            .sport = 54422,
	            .dport = 80,
	            .tcp_flags = 0x02,
	            .tcp_seq = 0xc127fde7,
	            .l4_hlen = 40,
	            PAYLOAD(86, 0, 0) } },
	{ .name = "802.1ad QinQ, ARP",
	  .link = ETH,
	  .parts = { ALL(qinq_arp) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_UNKNOWN_L2,
	            .ethertype = 0x0806,
	            .vlan_count = 2,
	            .vlan = { 200, 2001 },
	            PAYLOAD(22, 42, 42) } },
	{ .name = "unknown ethertype (LLDP)",
	  .link = ETH,
	  .parts = { BYTES(MACS, 0x88, 0xcc),
	             BYTES(0x02, 0x07, 0x04, 0x00, 0x15, 0x17, 0xa7, 0x75, 0xa3,
	                   0x00) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_UNKNOWN_L2,
	            .ethertype = 0x88cc,
	            PAYLOAD(14, 10, 10) } },

	/* Other link types. */
	{ .name = "linux SLL, ipv4",
	  .link = TW_LINK_LINUX_SLL,
	  .parts = { BYTES(0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x15, 0x17,
	                   0xa7, 0x75, 0xa3, 0x00, 0x00, 0x08, 0x00),
	             SUB(dns_query, 14, 59) },
	  .ok = true,
	  .want = { .linktype = TW_LINK_LINUX_SLL,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 16, 20, 59, 36),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(44, 31, 31) } },
	{ .name = "linux SLL, 802.1Q tag",
	  .link = TW_LINK_LINUX_SLL,
	  .parts = { BYTES(0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x15, 0x17,
	                   0xa7, 0x75, 0xa3, 0x00, 0x00, 0x81, 0x00, 0x00, 0x64,
	                   0x08, 0x00),
	             SUB(dns_query, 14, 59) },
	  .ok = true,
	  .want = { .linktype = TW_LINK_LINUX_SLL,
	            .ethertype = 0x0800,
	            .vlan_count = 1,
	            .vlan = { 100 },
	            .ip = IP4(17, 20, 20, 59, 40),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(48, 31, 31) } },
	{ .name = "linux SLL2, ipv6",
	  .link = TW_LINK_LINUX_SLL2,
	  .parts = { BYTES(0x86, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
	                   0x01, 0x00, 0x06, 0x00, 0x15, 0x17, 0xa7, 0x75, 0xa3,
	                   0x00, 0x00),
	             SUB(ripng6, 14, 72) },
	  .ok = true,
	  .want = { .linktype = TW_LINK_LINUX_SLL2,
	            .ethertype = 0x86dd,
	            .ip = IP6(17, 20, 40, 72, 60),
	            .sport = 521,
	            .dport = 521,
	            .l4_hlen = 8,
	            PAYLOAD(68, 24, 24) } },
	{ .name = "BSD NULL, AF_INET written little-endian",
	  .link = TW_LINK_NULL,
	  .parts = { BYTES(2, 0, 0, 0), SUB(dns_query, 14, 59) },
	  .ok = true,
	  .want = { .linktype = TW_LINK_NULL,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 4, 20, 59, 24),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(32, 31, 31) } },
	{ .name = "BSD NULL, AF_INET written big-endian",
	  .link = TW_LINK_NULL,
	  .parts = { BYTES(0, 0, 0, 2), SUB(dns_query, 14, 59) },
	  .ok = true,
	  .want = { .linktype = TW_LINK_NULL,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 4, 20, 59, 24),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(32, 31, 31) } },
	{ .name = "BSD NULL, AF_INET6 30 (Darwin)",
	  .link = TW_LINK_NULL,
	  .parts = { BYTES(30, 0, 0, 0), SUB(ripng6, 14, 72) },
	  .ok = true,
	  .want = { .linktype = TW_LINK_NULL,
	            .ethertype = 0x86dd,
	            .ip = IP6(17, 4, 40, 72, 44),
	            .sport = 521,
	            .dport = 521,
	            .l4_hlen = 8,
	            PAYLOAD(52, 24, 24) } },
	{ .name = "BSD NULL, AF_INET6 24 big-endian",
	  .link = TW_LINK_NULL,
	  .parts = { BYTES(0, 0, 0, 24), SUB(ripng6, 14, 72) },
	  .ok = true,
	  .want = { .linktype = TW_LINK_NULL,
	            .ethertype = 0x86dd,
	            .ip = IP6(17, 4, 40, 72, 44),
	            .sport = 521,
	            .dport = 521,
	            .l4_hlen = 8,
	            PAYLOAD(52, 24, 24) } },
	{ .name = "BSD NULL, unknown family",
	  .link = TW_LINK_NULL,
	  .parts = { BYTES(7, 0, 0, 0), SUB(dns_query, 14, 59) },
	  .ok = false,
	  .want = { .linktype = TW_LINK_NULL,
	            .flags = TW_DEC_UNKNOWN_L2,
	            PAYLOAD(4, 59, 59) } },
	{ .name = "LOOP, AF_INET6 28 (FreeBSD)",
	  .link = TW_LINK_LOOP,
	  .parts = { BYTES(0, 0, 0, 28), SUB(ripng6, 14, 72) },
	  .ok = true,
	  .want = { .linktype = TW_LINK_LOOP,
	            .ethertype = 0x86dd,
	            .ip = IP6(17, 4, 40, 72, 44),
	            .sport = 521,
	            .dport = 521,
	            .l4_hlen = 8,
	            PAYLOAD(52, 24, 24) } },
	{ .name = "LOOP, AF_INET",
	  .link = TW_LINK_LOOP,
	  .parts = { BYTES(0, 0, 0, 2), SUB(dns_query, 14, 59) },
	  .ok = true,
	  .want = { .linktype = TW_LINK_LOOP,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 4, 20, 59, 24),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(32, 31, 31) } },
	{ .name = "RAW, ipv4",
	  .link = TW_LINK_RAW,
	  .parts = { SUB(dns_query, 14, 59) },
	  .ok = true,
	  .want = { .linktype = TW_LINK_RAW,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 0, 20, 59, 20),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(28, 31, 31) } },
	{ .name = "RAW, ipv6",
	  .link = TW_LINK_RAW,
	  .parts = { SUB(ripng6, 14, 72) },
	  .ok = true,
	  .want = { .linktype = TW_LINK_RAW,
	            .ethertype = 0x86dd,
	            .ip = IP6(17, 0, 40, 72, 40),
	            .sport = 521,
	            .dport = 521,
	            .l4_hlen = 8,
	            PAYLOAD(48, 24, 24) } },
	{ .name = "RAW, version 5",
	  .link = TW_LINK_RAW,
	  .parts = { BYTES(0x50, 0, 0, 8, 0, 0, 0, 0) },
	  .ok = false,
	  .want = { .linktype = TW_LINK_RAW,
	            .flags = TW_DEC_UNKNOWN_L2,
	            PAYLOAD(0, 8, 8) } },
	{ .name = "LINKTYPE_IPV4",
	  .link = TW_LINK_IPV4,
	  .parts = { SUB(dns_query, 14, 59) },
	  .ok = true,
	  .want = { .linktype = TW_LINK_IPV4,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 0, 20, 59, 20),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(28, 31, 31) } },
	{ .name = "LINKTYPE_IPV6 holding ipv4",
	  .link = TW_LINK_IPV6,
	  .parts = { SUB(dns_query, 14, 59) },
	  .ok = false,
	  .want = { .linktype = TW_LINK_IPV6,
	            .flags = TW_DEC_MALFORMED,
	            .ethertype = 0x86dd } },
	{ .name = "unknown link type",
	  .link = 105,
	  .parts = { SUB(dns_query, 0, 20) },
	  .ok = false,
	  .want = { .linktype = 105,
	            .flags = TW_DEC_UNKNOWN_L2,
	            PAYLOAD(0, 20, 20) } },

	/* IPv4 options, fragments, broken headers. */
	{ .name = "ipv4 options",
	  .link = ETH,
	  .parts = { ALL(eth4),
	             BYTES(0x46, 0x00, 0x00, 0x3f, 0x38, 0xd6, 0x00, 0x00, 0x80,
	                   0x11, 0x00, 0x00, 21, 0, 0, 2, 22, 0, 0, 12, 0x01,
	                   0x01, 0x01, 0x00),
	             SUB(dns_query, 34, 39) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_IP_OPTIONS,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 14, 24, 63, 38),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(46, 31, 31) } },
	{ .name = "ipv4 first fragment",
	  .link = ETH,
	  .parts = { SUB(dns_query, 0, 20), BYTES(0x20, 0x00),
	             SUB(dns_query, 22, 55) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_FRAGMENT,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 14, 20, 59, 34),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(42, 31, 31) } },
	{ .name = "ipv4 later fragment",
	  .link = ETH,
	  .parts = { SUB(dns_query, 0, 20), BYTES(0x00, 0xb9),
	             SUB(dns_query, 22, 55) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_FRAGMENT | TW_DEC_LATER_FRAG,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 14, 20, 59, 0),
	            PAYLOAD(34, 39, 39) } },
	{ .name = "ipv4 IHL 4",
	  .link = ETH,
	  .parts = { SUB(dns_query, 0, 14), BYTES(0x44),
	             SUB(dns_query, 15, 62) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_MALFORMED,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 14, 0, 59, 0) } },
	{ .name = "ipv4 total length below IHL",
	  .link = ETH,
	  .parts = { SUB(dns_query, 0, 16), BYTES(0x00, 0x10),
	             SUB(dns_query, 18, 59) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_MALFORMED,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 14, 0, 16, 0) } },
	{ .name = "ipv4 total length 0 (segmentation offload)",
	  .link = ETH,
	  .parts = { SUB(dns_query, 0, 16), BYTES(0x00, 0x00),
	             SUB(dns_query, 18, 59) },
	  .ok = true,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 14, 20, 0, 34),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(42, 35, 35) } },
	{ .name = "tcp data offset 4",
	  .link = ETH,
	  .parts = { SUB(http_syn, 0, 46), BYTES(0x40), SUB(http_syn, 47, 17) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_MALFORMED,
	            .ethertype = 0x0800,
	            .ip = IP4(6, 14, 20, 44, 34),
	            .sport = 13311,
	            .dport = 80,
	            .tcp_flags = 0x02,
	            .tcp_seq = 0x550dd01d } },
	{ .name = "tcp option overruns the header",
	  .link = ETH,
	  .parts = { SUB(http_syn, 0, 55), BYTES(0x09), SUB(http_syn, 56, 8) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_MALFORMED,
	            .ethertype = 0x0800,
	            .ip = IP4(6, 14, 20, 44, 34),
	            .sport = 13311,
	            .dport = 80,
	            .tcp_flags = 0x02,
	            .tcp_seq = 0x550dd01d,
	            .l4_hlen = 24,
	            PAYLOAD(58, 0, 0) } },
	{ .name = "tcp header longer than the ip packet",
	  .link = ETH,
	  .parts = { SUB(http_syn, 0, 46), BYTES(0xf0), SUB(http_syn, 47, 17) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_MALFORMED,
	            .ethertype = 0x0800,
	            .ip = IP4(6, 14, 20, 44, 34),
	            .sport = 13311,
	            .dport = 80,
	            .tcp_flags = 0x02,
	            .tcp_seq = 0x550dd01d } },
	{ .name = "tcp header longer than an ip packet captured whole",
	  .link = TW_LINK_RAW,
	  .parts = { SUB(http_syn, 14, 32), BYTES(0xf0),
	             SUB(http_syn, 47, 11) },
	  .ok = false,
	  .want = { .linktype = TW_LINK_RAW,
	            .flags = TW_DEC_MALFORMED,
	            .ethertype = 0x0800,
	            .ip = IP4(6, 0, 20, 44, 20),
	            .sport = 13311,
	            .dport = 80,
	            .tcp_flags = 0x02,
	            .tcp_seq = 0x550dd01d } },
	{ .name = "udp length 7",
	  .link = ETH,
	  .parts = { SUB(dns_query, 0, 38), BYTES(0x00, 0x07),
	             SUB(dns_query, 40, 37) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_MALFORMED,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 14, 20, 59, 34),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(42, 31, 31) } },

	/* IPv6 and its extension headers. */
	{ .name = "ipv6 udp, trailer",
	  .link = ETH,
	  .parts = { ALL(ripng6) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .ethertype = 0x86dd,
	            .ip = IP6(17, 14, 40, 72, 54),
	            .sport = 521,
	            .dport = 521,
	            .l4_hlen = 8,
	            PAYLOAD(62, 24, 24) } },
	{ .name = "ipv6 routing header, icmpv6",
	  .link = ETH,
	  .parts = { ALL(rh_icmp6) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_IP_OPTIONS,
	            .ethertype = 0x86dd,
	            .ip = IP6(58, 14, 80, 88, 94),
	            .sport = 128,
	            .dport = 0,
	            .l4_hlen = 8,
	            PAYLOAD(102, 0, 0) } },
	{ .name = "ipv6 routing header, udp",
	  .link = ETH,
	  .parts = { ALL(rh_udp) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_IP_OPTIONS,
	            .ethertype = 0x86dd,
	            .ip = IP6(17, 14, 80, 88, 94),
	            .sport = 5645,
	            .dport = 5642,
	            .l4_hlen = 8,
	            PAYLOAD(102, 0, 0) } },
	{ .name = "ipv6 fragment header cut (ip6_frag_asan)",
	  .link = ETH,
	  .parts = { ALL(frag_asan) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TRUNCATED | TW_DEC_IP_OPTIONS,
	            .ethertype = 0x86dd,
	            .ip = IP6(44, 14, 40, 27176, 0) } },
	{ .name = "ipv6 first fragment",
	  .link = ETH,
	  .parts = { ALL(eth6), BYTES(IP6_HDR(40, 44)),
	             BYTES(17, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef),
	             SUB(ripng6, 54, 32) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_FRAGMENT | TW_DEC_IP_OPTIONS,
	            .ethertype = 0x86dd,
	            .ip = IP6(17, 14, 48, 80, 62),
	            .sport = 521,
	            .dport = 521,
	            .l4_hlen = 8,
	            PAYLOAD(70, 24, 24) } },
	{ .name = "ipv6 later fragment",
	  .link = ETH,
	  .parts = { ALL(eth6), BYTES(IP6_HDR(40, 44)),
	             BYTES(17, 0, 0x00, 0x08, 0xde, 0xad, 0xbe, 0xef),
	             SUB(ripng6, 54, 32) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_FRAGMENT | TW_DEC_LATER_FRAG |
	                     TW_DEC_IP_OPTIONS,
	            .ethertype = 0x86dd,
	            .ip = IP6(17, 14, 48, 80, 0),
	            PAYLOAD(62, 32, 32) } },
	{ .name = "ipv6 atomic fragment",
	  .link = ETH,
	  .parts = { ALL(eth6), BYTES(IP6_HDR(40, 44)),
	             BYTES(17, 0, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef),
	             SUB(ripng6, 54, 32) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_IP_OPTIONS,
	            .ethertype = 0x86dd,
	            .ip = IP6(17, 14, 48, 80, 62),
	            .sport = 521,
	            .dport = 521,
	            .l4_hlen = 8,
	            PAYLOAD(70, 24, 24) } },
	{ .name = "ipv6 hop-by-hop, destination options, AH",
	  .link = ETH,
	  .parts = { ALL(eth6), BYTES(IP6_HDR(72, 0)),
	             BYTES(60, 0, 0x01, 0x04, 0, 0, 0, 0),
	             BYTES(51, 0, 0x01, 0x04, 0, 0, 0, 0),
	             BYTES(17, 4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0,
	                   0, 0, 0, 0, 0, 0, 0),
	             SUB(ripng6, 54, 32) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_IP_OPTIONS,
	            .ethertype = 0x86dd,
	            .ip = IP6(17, 14, 80, 112, 94),
	            .sport = 521,
	            .dport = 521,
	            .l4_hlen = 8,
	            PAYLOAD(102, 24, 24) } },
	{ .name = "ipv6 ESP ends the chain",
	  .link = ETH,
	  .parts = { ALL(eth6), BYTES(IP6_HDR(32, 50)), SUB(ripng6, 54, 32) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .ethertype = 0x86dd,
	            .ip = IP6(50, 14, 40, 72, 54),
	            PAYLOAD(54, 32, 32) } },
	{ .name = "ipv6 mobility header, no next header",
	  .link = ETH,
	  .parts = { ALL(eth6), BYTES(IP6_HDR(8, 135)),
	             BYTES(59, 0, 0, 0, 0, 0, 0, 0) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_IP_OPTIONS,
	            .ethertype = 0x86dd,
	            .ip = IP6(59, 14, 48, 48, 62),
	            PAYLOAD(62, 0, 0) } },
	{ .name = "ipv6 header with version 4",
	  .link = ETH,
	  .parts = { SUB(ripng6, 0, 14), BYTES(0x45), SUB(ripng6, 15, 75) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_MALFORMED,
	            .ethertype = 0x86dd } },
	{ .name = "ipv6 payload length 0 (segmentation offload)",
	  .link = ETH,
	  .parts = { SUB(ripng6, 0, 18), BYTES(0x00, 0x00),
	             SUB(ripng6, 20, 70) },
	  .ok = true,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .ethertype = 0x86dd,
	            .ip = IP6(17, 14, 40, 40, 54),
	            .sport = 521,
	            .dport = 521,
	            .l4_hlen = 8,
	            PAYLOAD(62, 28, 28) } },
	{ .name = "ipv6 jumbogram, first 96 bytes",
	  .link = ETH,
	  .parts = { ALL(jumbo_head) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_IP_OPTIONS,
	            .ethertype = 0x86dd,
	            .ip = IP6(58, 14, 48, 65576, 62),
	            .sport = 128,
	            .dport = 0,
	            .l4_hlen = 8,
	            PAYLOAD(70, 65520, 26) } },
	{ .name = "ipv6 jumbo payload option after Pad1 and PadN",
	  .link = ETH,
	  .parts = { ALL(eth6), BYTES(IP6_HDR(0, 0)),
	             BYTES(17, 1, 0x00, 0x01, 0x01, 0x00, 0xc2, 0x04, 0x00,
	                   0x01, 0x00, 0x20, 0x01, 0x02, 0x00, 0x00),
	             SUB(ripng6, 54, 32) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_IP_OPTIONS,
	            .ethertype = 0x86dd,
	            .ip = IP6(17, 14, 56, 65608, 70),
	            .sport = 521,
	            .dport = 521,
	            .l4_hlen = 8,
	            PAYLOAD(78, 65544, 24) } },
	{ .name = "ipv6 jumbo payload option below 65536",
	  .link = ETH,
	  .parts = { ALL(eth6), BYTES(IP6_HDR(0, 0)),
	             BYTES(17, 0, 0xc2, 0x04, 0x00, 0x00, 0x01, 0x00),
	             SUB(ripng6, 54, 32) },
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_MALFORMED | TW_DEC_IP_OPTIONS,
	            .ethertype = 0x86dd,
	            .ip = IP6(17, 14, 48, 296, 62),
	            .sport = 521,
	            .dport = 521,
	            .l4_hlen = 8,
	            PAYLOAD(70, 240, 24) } },

	/* Tunnels. */
	{ .name = "GRE, ERSPAN II, icmp (arkime)",
	  .link = ETH,
	  .parts = { ALL(erspan_icmp) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TUNNEL,
	            .ethertype = 0x0800,
	            .l2_off = 50,
	            .ip = IP4(1, 64, 20, 100, 84),
	            .sport = 8,
	            .dport = 0,
	            .l4_hlen = 8,
	            PAYLOAD(92, 72, 72),
	            .tunnel_count = 1,
	            .tunnel = { TUNNEL(TW_TUN_ERSPAN, 34, 100,
	                               IP4(47, 14, 20, 150, 34)) } } },
	{ .name = "GRE, ERSPAN II, 802.3 frame, 100 bytes captured",
	  .link = ETH,
	  .parts = { ALL(erspan_cdp) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TUNNEL | TW_DEC_UNKNOWN_L2,
	            .l2_off = 50,
	            PAYLOAD(64, 380, 36),
	            .tunnel_count = 1,
	            .tunnel = { TUNNEL(TW_TUN_ERSPAN, 34, 100,
	                               IP4(47, 14, 20, 430, 34)) } } },
	{ .name = "ERSPAN II header of version 2",
	  .link = ETH,
	  .parts = { SUB(erspan_icmp, 0, 42), BYTES(0x20),
	             SUB(erspan_icmp, 43, 121) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_MALFORMED,
	            .ethertype = 0x0800,
	            .ip = IP4(47, 14, 20, 150, 34),
	            .l4_hlen = 8,
	            PAYLOAD(42, 122, 122) } },
	{ .name = "ERSPAN I",
	  .link = ETH,
	  .parts = { ALL(eth4), BYTES(IP4_HDR(97, 47)),
	             BYTES(0x00, 0x00, 0x88, 0xbe), ALL(eth4),
	             SUB(dns_query, 14, 59) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TUNNEL,
	            .ethertype = 0x0800,
	            .l2_off = 38,
	            .ip = IP4(17, 52, 20, 59, 72),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(80, 31, 31),
	            .tunnel_count = 1,
	            .tunnel = { TUNNEL(TW_TUN_ERSPAN, 34, 0,
	                               IP4(47, 14, 20, 97, 34)) } } },
	{ .name = "ERSPAN III, platform subheader, Ethernet",
	  .link = ETH,
	  .parts = { ALL(eth4), BYTES(IP4_HDR(121, 47)),
	             BYTES(0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 9),
	             BYTES(0x20, 0x64, 0x00, 0x64, 0, 0, 0, 1, 0x00, 0x00, 0x00,
	                   0x01),
	             BYTES(0, 0, 0, 0, 0, 0, 0, 0), ALL(eth4),
	             SUB(dns_query, 14, 59) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TUNNEL,
	            .ethertype = 0x0800,
	            .l2_off = 62,
	            .ip = IP4(17, 76, 20, 59, 96),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(104, 31, 31),
	            .tunnel_count = 1,
	            .tunnel = { TUNNEL(TW_TUN_ERSPAN, 34, 100,
	                               IP4(47, 14, 20, 121, 34)) } } },
	{ .name = "ERSPAN III, IP frame",
	  .link = ETH,
	  .parts = { ALL(eth4), BYTES(IP4_HDR(99, 47)),
	             BYTES(0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 9),
	             BYTES(0x20, 0x64, 0x00, 0x64, 0, 0, 0, 1, 0x00, 0x00, 0x08,
	                   0x00),
	             SUB(dns_query, 14, 59) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TUNNEL,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 54, 20, 59, 74),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(82, 31, 31),
	            .tunnel_count = 1,
	            .tunnel = { TUNNEL(TW_TUN_ERSPAN, 34, 100,
	                               IP4(47, 14, 20, 99, 34)) } } },
	{ .name = "GRE with checksum, key, sequence; ipv4",
	  .link = ETH,
	  .parts = { ALL(eth4), BYTES(IP4_HDR(95, 47)),
	             BYTES(0xb0, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x00, 0x30,
	                   0x39, 0, 0, 0, 1),
	             SUB(dns_query, 14, 59) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TUNNEL,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 50, 20, 59, 70),
	            .sport = 1030,
	            .dport = 53,
	            .l4_hlen = 8,
	            PAYLOAD(78, 31, 31),
	            .tunnel_count = 1,
	            .tunnel = { TUNNEL(TW_TUN_GRE, 34, 12345,
	                               IP4(47, 14, 20, 95, 34)) } } },
	{ .name = "GRE transparent Ethernet; ipv6",
	  .link = ETH,
	  .parts = { ALL(eth4), BYTES(IP4_HDR(110, 47)),
	             BYTES(0x00, 0x00, 0x65, 0x58), ALL(eth6),
	             SUB(ripng6, 14, 72) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TUNNEL,
	            .ethertype = 0x86dd,
	            .l2_off = 38,
	            .ip = IP6(17, 52, 40, 72, 92),
	            .sport = 521,
	            .dport = 521,
	            .l4_hlen = 8,
	            PAYLOAD(100, 24, 24),
	            .tunnel_count = 1,
	            .tunnel = { TUNNEL(TW_TUN_GRE, 34, 0,
	                               IP4(47, 14, 20, 110, 34)) } } },
	{ .name = "GRE of an unknown type (MPLS)",
	  .link = ETH,
	  .parts = { ALL(eth4), BYTES(IP4_HDR(32, 47)),
	             BYTES(0x00, 0x00, 0x88, 0x47),
	             BYTES(0x00, 0x00, 0x11, 0x40, 0x45, 0x00, 0x00, 0x00) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_UNKNOWN_L2,
	            .ethertype = 0x0800,
	            .ip = IP4(47, 14, 20, 32, 34),
	            .l4_hlen = 4,
	            PAYLOAD(38, 8, 8) } },
	{ .name = "GRE version 1 (PPTP) is not decoded",
	  .link = ETH,
	  .parts = { ALL(eth4), BYTES(IP4_HDR(36, 47)),
	             BYTES(0x30, 0x01, 0x88, 0x0b, 0, 4, 0, 1, 0, 0, 0, 1, 0, 0,
	                   0, 0) },
	  .ok = true,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .ethertype = 0x0800,
	            .ip = IP4(47, 14, 20, 36, 34),
	            PAYLOAD(34, 16, 16) } },
	{ .name = "VXLAN, icmp (libpcap)",
	  .link = ETH,
	  .parts = { ALL(vxlan_icmp) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TUNNEL,
	            .ethertype = 0x0800,
	            .l2_off = 50,
	            .ip = IP4(1, 64, 20, 84, 84),
	            .sport = 8,
	            .dport = 0,
	            .l4_hlen = 8,
	            PAYLOAD(92, 56, 56),
	            .tunnel_count = 1,
	            .tunnel = { TUNNEL(TW_TUN_VXLAN, 42, 100,
	                               IP4(17, 14, 20, 134, 34)) } } },
	{ .name = "VXLAN, ARP (libpcap)",
	  .link = ETH,
	  .parts = { ALL(vxlan_arp) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TUNNEL | TW_DEC_UNKNOWN_L2,
	            .ethertype = 0x0806,
	            .l2_off = 50,
	            PAYLOAD(64, 28, 28),
	            .tunnel_count = 1,
	            .tunnel = { TUNNEL(TW_TUN_VXLAN, 42, 100,
	                               IP4(17, 14, 20, 78, 34)) } } },
	{ .name = "udp port 4789 without the VXLAN I flag",
	  .link = ETH,
	  .parts = { SUB(vxlan_icmp, 0, 42), BYTES(0x00),
	             SUB(vxlan_icmp, 43, 105) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 14, 20, 134, 34),
	            .sport = 45149,
	            .dport = 4789,
	            .l4_hlen = 8,
	            PAYLOAD(42, 106, 106) } },
	{ .name = "ipv6 in ipv4 (arkime)",
	  .link = ETH,
	  .parts = { ALL(v6in4_echo) },
	  .ok = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TUNNEL,
	            .ethertype = 0x0800,
	            .ip = IP6(58, 34, 40, 100, 74),
	            .sport = 128,
	            .dport = 0,
	            .l4_hlen = 8,
	            PAYLOAD(82, 52, 52),
	            .tunnel_count = 1,
	            .tunnel = { TUNNEL(TW_TUN_IPIP, 34, 0,
	                               IP4(41, 14, 20, 120, 34)) } } },
	{ .name = "protocol 41 holding ipv4",
	  .link = ETH,
	  .parts = { ALL(eth4), BYTES(IP4_HDR(79, 41)),
	             SUB(dns_query, 14, 59) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TUNNEL | TW_DEC_MALFORMED,
	            .ethertype = 0x0800,
	            .tunnel_count = 1,
	            .tunnel = { TUNNEL(TW_TUN_IPIP, 34, 0,
	                               IP4(41, 14, 20, 79, 34)) } } },
	{ .name = "ip in ip, four deep",
	  .link = ETH,
	  .parts = { ALL(eth4), BYTES(IP4_HDR(139, 4)), BYTES(IP4_HDR(119, 4)),
	             BYTES(IP4_HDR(99, 4)), BYTES(IP4_HDR(79, 4)),
	             SUB(dns_query, 14, 59) },
	  .ok = false,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TUNNEL | TW_DEC_TOO_DEEP,
	            .ethertype = 0x0800,
	            .ip = IP4(4, 74, 20, 79, 94),
	            PAYLOAD(94, 59, 59),
	            .tunnel_count = 3,
	            .tunnel = { TUNNEL(TW_TUN_IPIP, 34, 0,
	                               IP4(4, 14, 20, 139, 34)),
	                        TUNNEL(TW_TUN_IPIP, 54, 0,
	                               IP4(4, 34, 20, 119, 54)),
	                        TUNNEL(TW_TUN_IPIP, 74, 0,
	                               IP4(4, 54, 20, 99, 74)) } } },

	/* Cut by the snaplen in each layer. */
	{ .name = "nothing captured",
	  .link = ETH,
	  .parts = { ALL(http_syn) },
	  .caplen = 0xffffffff,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH, .flags = TW_DEC_TRUNCATED } },
	{ .name = "cut in Ethernet",
	  .link = ETH,
	  .parts = { ALL(http_syn) },
	  .caplen = 10,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH, .flags = TW_DEC_TRUNCATED } },
	{ .name = "cut in an 802.1Q tag",
	  .link = ETH,
	  .parts = { ALL(twovlan_syn) },
	  .caplen = 16,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH, .flags = TW_DEC_TRUNCATED } },
	{ .name = "cut in the ipv4 header",
	  .link = ETH,
	  .parts = { ALL(http_syn) },
	  .caplen = 30,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TRUNCATED,
	            .ethertype = 0x0800 } },
	{ .name = "cut in ipv4 options",
	  .link = ETH,
	  .parts = { ALL(eth4),
	             BYTES(0x46, 0x00, 0x00, 0x3f, 0x38, 0xd6, 0x00, 0x00, 0x80,
	                   0x11, 0x00, 0x00, 21, 0, 0, 2, 22, 0, 0, 12, 0x01,
	                   0x01, 0x01, 0x00),
	             SUB(dns_query, 34, 39) },
	  .caplen = 36,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TRUNCATED,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 14, 0, 63, 0) } },
	{ .name = "cut in tcp ports",
	  .link = ETH,
	  .parts = { ALL(http_syn) },
	  .caplen = 36,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TRUNCATED,
	            .ethertype = 0x0800,
	            .ip = IP4(6, 14, 20, 44, 34) } },
	{ .name = "cut in the tcp header",
	  .link = ETH,
	  .parts = { ALL(http_syn) },
	  .caplen = 48,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TRUNCATED,
	            .ethertype = 0x0800,
	            .ip = IP4(6, 14, 20, 44, 34),
	            .sport = 13311,
	            .dport = 80 } },
	{ .name = "cut in tcp options",
	  .link = ETH,
	  .parts = { ALL(http_syn) },
	  .caplen = 56,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TRUNCATED,
	            .ethertype = 0x0800,
	            .ip = IP4(6, 14, 20, 44, 34),
	            .sport = 13311,
	            .dport = 80,
	            .tcp_flags = 0x02,
	            .tcp_seq = 0x550dd01d } },
	{ .name = "cut in an icmp header",
	  .link = ETH,
	  .parts = { ALL(icmp_unreach) },
	  .caplen = 38,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TRUNCATED,
	            .ethertype = 0x0800,
	            .ip = IP4(1, 14, 20, 56, 34),
	            .sport = 3,
	            .dport = 3 } },
	{ .name = "cut in an ipv6 extension header",
	  .link = ETH,
	  .parts = { ALL(rh_udp) },
	  .caplen = 70,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TRUNCATED | TW_DEC_IP_OPTIONS,
	            .ethertype = 0x86dd,
	            .ip = IP6(43, 14, 40, 88, 0) } },
	{ .name = "cut in GRE",
	  .link = ETH,
	  .parts = { ALL(erspan_icmp) },
	  .caplen = 40,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TRUNCATED,
	            .ethertype = 0x0800,
	            .ip = IP4(47, 14, 20, 150, 34) } },
	{ .name = "cut in the ERSPAN header",
	  .link = ETH,
	  .parts = { ALL(erspan_icmp) },
	  .caplen = 46,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TRUNCATED,
	            .ethertype = 0x0800,
	            .ip = IP4(47, 14, 20, 150, 34),
	            .l4_hlen = 8,
	            PAYLOAD(42, 122, 4) } },
	{ .name = "cut in the inner Ethernet header",
	  .link = ETH,
	  .parts = { ALL(erspan_icmp) },
	  .caplen = 60,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TRUNCATED | TW_DEC_TUNNEL,
	            .ethertype = 0x0800,
	            .l2_off = 50,
	            .tunnel_count = 1,
	            .tunnel = { TUNNEL(TW_TUN_ERSPAN, 34, 100,
	                               IP4(47, 14, 20, 150, 34)) } } },
	{ .name = "cut in the inner ipv4 header",
	  .link = ETH,
	  .parts = { ALL(erspan_icmp) },
	  .caplen = 70,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TRUNCATED | TW_DEC_TUNNEL,
	            .ethertype = 0x0800,
	            .l2_off = 50,
	            .tunnel_count = 1,
	            .tunnel = { TUNNEL(TW_TUN_ERSPAN, 34, 100,
	                               IP4(47, 14, 20, 150, 34)) } } },
	{ .name = "cut in the VXLAN header",
	  .link = ETH,
	  .parts = { ALL(vxlan_icmp) },
	  .caplen = 46,
	  .ok = false,
	  .no_sweep = true,
	  .want = { .linktype = ETH,
	            .flags = TW_DEC_TRUNCATED,
	            .ethertype = 0x0800,
	            .ip = IP4(17, 14, 20, 134, 34),
	            .sport = 45149,
	            .dport = 4789,
	            .l4_hlen = 8,
	            PAYLOAD(42, 106, 4) } },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* The case's packet in a heap block of exactly its captured length. */
static uint8_t *build(const struct dec_case *c, uint32_t *caplen)
{
	size_t len = 0, i;
	uint8_t *buf;

	for (i = 0; i < 8 && c->parts[i].p; i++)
		len += c->parts[i].n;
	buf = malloc(len ? len : 1);
	assert_non_null(buf);
	for (len = 0, i = 0; i < 8 && c->parts[i].p; i++) {
		memcpy(buf + len, c->parts[i].p, c->parts[i].n);
		len += c->parts[i].n;
	}

	/* 0xffffffff stands for "nothing captured". */
	if (c->caplen == 0xffffffff)
		*caplen = 0;
	else
		*caplen = c->caplen ? c->caplen : (uint32_t)len;
	assert_true(*caplen <= len);
	return buf;
}

/* A heap copy of the first n bytes, so a read past n is caught. */
static uint8_t *prefix(const uint8_t *p, uint32_t n)
{
	uint8_t *q = malloc(n ? n : 1);

	assert_non_null(q);
	memcpy(q, p, n);
	return q;
}

static bool field_ok(const char *name, const char *field, uint64_t got,
                     uint64_t want)
{
	if (got == want)
		return true;
	print_error("%s: %s is %llu (0x%llx), want %llu (0x%llx)\n", name,
	            field, (unsigned long long)got, (unsigned long long)got,
	            (unsigned long long)want, (unsigned long long)want);
	return false;
}

#define FIELD(f) \
	ok &= field_ok(name, #f, (uint64_t)(got->f), (uint64_t)(want->f))

static bool ip_equal(const char *name, const struct tw_dec_ip *got,
                     const struct tw_dec_ip *want)
{
	bool ok = true;

	FIELD(version);
	FIELD(proto);
	FIELD(l3_off);
	FIELD(l3_hlen);
	FIELD(l3_len);
	FIELD(l4_off);
	return ok;
}

static bool tunnel_equal(const char *name, const struct tw_dec_tunnel *got,
                         const struct tw_dec_tunnel *want)
{
	bool ok = true;

	FIELD(kind);
	FIELD(off);
	FIELD(id);
	ok &= ip_equal(name, &got->outer, &want->outer);
	return ok;
}

/* Every field of struct tw_decoded; all differences are printed. */
static bool decoded_equal(const char *name, const struct tw_decoded *got,
                          const struct tw_decoded *want)
{
	bool ok = true;
	int i;

	FIELD(linktype);
	FIELD(flags);
	FIELD(ethertype);
	FIELD(vlan_count);
	for (i = 0; i < TW_DEC_MAX_VLAN; i++)
		FIELD(vlan[i]);
	FIELD(l2_off);
	ok &= ip_equal(name, &got->ip, &want->ip);
	FIELD(tunnel_count);
	for (i = 0; i < TW_DEC_MAX_DEPTH; i++)
		ok &= tunnel_equal(name, &got->tunnel[i], &want->tunnel[i]);
	FIELD(sport);
	FIELD(dport);
	FIELD(tcp_flags);
	FIELD(tcp_seq);
	FIELD(tcp_ack);
	FIELD(l4_hlen);
	FIELD(payload_off);
	FIELD(payload_len);
	FIELD(payload_caplen);
	return ok;
}

#define BAD_FLAGS                                                  \
	(TW_DEC_TRUNCATED | TW_DEC_MALFORMED | TW_DEC_UNKNOWN_L2 | \
	 TW_DEC_TOO_DEEP)

/* What must hold for any input, however broken. */
static void check_invariants(const struct tw_decoded *d, uint32_t caplen,
                             bool ret)
{
	int i;

	assert_int_equal(ret, !(d->flags & BAD_FLAGS));
	assert_true(d->vlan_count <= TW_DEC_MAX_VLAN);
	assert_true(d->tunnel_count <= TW_DEC_MAX_DEPTH);
	assert_true(d->payload_caplen <= d->payload_len);
	if (d->payload_caplen)
		assert_true(d->payload_off + d->payload_caplen <= caplen);
	if (d->ip.version)
		assert_true(d->ip.l3_off + (d->ip.version == 6 ? 40u : 20u) <=
		            caplen);
	if (d->l4_hlen) {
		assert_true(d->ip.l4_off + d->l4_hlen <= caplen);
		assert_int_equal(d->payload_off, d->ip.l4_off + d->l4_hlen);
	}
	for (i = 0; i < d->tunnel_count; i++) {
		const struct tw_dec_ip *o = &d->tunnel[i].outer;

		assert_true(d->tunnel[i].kind >= TW_TUN_GRE &&
		            d->tunnel[i].kind <= TW_TUN_IPIP);
		assert_true(o->version == 4 || o->version == 6);
		assert_true(o->l3_off + o->l3_hlen <= caplen);
	}
	if (d->tunnel_count)
		assert_true(d->flags & TW_DEC_TUNNEL);
}

static void test_cases(void **state)
{
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		const struct dec_case *c = &cases[i];
		struct tw_decoded d;
		uint32_t caplen;
		uint8_t *buf = build(c, &caplen);
		uint8_t *p = prefix(buf, caplen);
		bool ret = tw_decode(p, caplen, c->link, &d);

		if (!decoded_equal(c->name, &d, &c->want))
			failed++;
		if (ret != c->ok) {
			print_error("%s: returned %d, want %d\n", c->name, ret,
			            c->ok);
			failed++;
		}
		check_invariants(&d, caplen, ret);
		free(p);
		free(buf);
	}
	assert_int_equal(failed, 0);
}

/*
 * Every snaplen of every case not broken already: cut before the
 * payload, some header is cut and must say so; cut after, the headers
 * decode as in full and only payload_caplen shrinks.
 */
static void sweep_case(const struct dec_case *c)
{
	struct tw_decoded full, d;
	uint32_t caplen, cut;
	uint8_t *buf = build(c, &caplen);

	tw_decode(buf, caplen, c->link, &full);
	for (cut = 0; cut < caplen; cut++) {
		uint8_t *p = prefix(buf, cut);
		bool ret = tw_decode(p, cut, c->link, &d);

		check_invariants(&d, cut, ret);
		if (cut == 0 && full.payload_off == 0) {
			/* Too little to tell what it is: nothing to compare. */
		} else if (cut < full.payload_off) {
			if (!(d.flags & TW_DEC_TRUNCATED))
				fail_msg("%s: cut at %u not truncated", c->name,
				         cut);
		} else {
			struct tw_decoded want = full;

			if (cut - full.payload_off < want.payload_caplen)
				want.payload_caplen = cut - full.payload_off;
			want.flags |= d.flags & TW_DEC_TRUNCATED;
			/* No IP layer says how long a non-IP frame is. */
			if (!full.ip.version && !full.tunnel_count)
				want.payload_len = want.payload_caplen;
			if (!decoded_equal(c->name, &d, &want))
				fail_msg("%s: cut at %u differs", c->name, cut);
		}
		free(p);
	}
	free(buf);
}

static void test_every_snaplen(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NCASES; i++)
		if (!cases[i].no_sweep &&
		    !(cases[i].want.flags &
		      (TW_DEC_MALFORMED | TW_DEC_TRUNCATED)))
			sweep_case(&cases[i]);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64*: reproducible corruption. */
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Random bytes of the headers changed, and random snaplens: the decoder
 * must stay inside the capture and keep its fields consistent. */
static void test_corrupted(void **state)
{
	size_t i;
	int round, k;

	(void)state;
	for (i = 0; i < NCASES; i++) {
		uint32_t caplen;
		uint8_t *buf = build(&cases[i], &caplen);

		for (round = 0; round < 3000 && caplen; round++) {
			uint32_t span = caplen < 128 ? caplen : 128;
			uint32_t cut = (uint32_t)(rng() % (caplen + 1));
			uint8_t *p = prefix(buf, caplen);
			struct tw_decoded d;
			bool ret;

			for (k = 1 + (int)(rng() % 4); k > 0; k--)
				p[rng() % span] = (uint8_t)rng();
			ret = tw_decode(p, cut, cases[i].link, &d);
			check_invariants(&d, cut, ret);
			free(p);
		}
		free(buf);
	}
}

/* The whole jumbogram: 65536 bytes of ICMPv6 after the IPv6 header. */
static void test_jumbogram_whole(void **state)
{
	uint32_t len = 14 + 40 + 65536;
	uint8_t *p = calloc(1, len);
	struct tw_decoded d;

	(void)state;
	assert_non_null(p);
	memcpy(p, jumbo_head, sizeof(jumbo_head));
	assert_true(tw_decode(p, len, TW_LINK_ETHERNET, &d));
	assert_int_equal(d.flags, TW_DEC_IP_OPTIONS);
	assert_int_equal(d.ip.l3_len, 40 + 65536);
	assert_int_equal(d.payload_off, 70);
	assert_int_equal(d.payload_len, 65520);
	assert_int_equal(d.payload_caplen, 65520);
	free(p);
}

/* No data at all is a truncated packet, not a crash. */
static void test_null_data(void **state)
{
	struct tw_decoded d;

	(void)state;
	assert_false(tw_decode(NULL, 0, TW_LINK_ETHERNET, &d));
	assert_int_equal(d.flags, TW_DEC_TRUNCATED);
	assert_int_equal(d.linktype, TW_LINK_ETHERNET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_every_snaplen),
		cmocka_unit_test(test_corrupted),
		cmocka_unit_test(test_jumbogram_whole),
		cmocka_unit_test(test_null_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
