/*
 * packet.h - what every stage passes around: a captured packet and the
 * interface it was captured on.
 */
#ifndef TW_PACKET_H
#define TW_PACKET_H

#include <stdint.h>

/* Link types (the tcpdump.org LINKTYPE_ registry) that tracewarp decodes. */
enum tw_linktype {
	TW_LINK_NULL = 0, /* BSD loopback, host-order family */
	TW_LINK_ETHERNET = 1,
	TW_LINK_RAW = 101,  /* raw IPv4 or IPv6 */
	TW_LINK_LOOP = 108, /* OpenBSD loopback, network-order family */
	TW_LINK_LINUX_SLL = 113,
	TW_LINK_IPV4 = 228,
	TW_LINK_IPV6 = 229,
	TW_LINK_LINUX_SLL2 = 276
};

/* Packet flags. */
#define TW_PKT_NO_TS 0x1  /* pcapng simple packet block: no timestamp */
#define TW_PKT_BAD_TS 0x2 /* timestamp field was invalid, normalized */

/*
 * A packet as read from a trace.  data points into the reader's buffer and
 * stays valid until the next call on that reader; copy what must outlive it.
 */
struct tw_packet {
	int64_t ts_ns;    /* nanoseconds since the Unix epoch */
	uint32_t caplen;  /* bytes present at data */
	uint32_t wirelen; /* bytes the packet had on the wire */
	uint32_t iface;   /* index into the reader's interface list */
	uint32_t flags;   /* TW_PKT_* */
	uint64_t offset;  /* byte offset of its record in the file */
	const uint8_t *data;
};

/* An interface: one per classic pcap file, one per pcapng IDB. */
struct tw_iface {
	uint16_t linktype; /* LINKTYPE_ value */
	uint32_t snaplen;  /* 0 = no limit (pcapng) */
	uint32_t section;  /* pcapng section it belongs to, from 0 */
	uint8_t tsresol;   /* pcapng if_tsresol byte (6 = us, 9 = ns) */
	int64_t tsoffset;  /* pcapng if_tsoffset, seconds */
	char name[64];     /* if_name, empty when absent */
};

/* Returns a short name for a link type ("EN10MB", "RAW"...), or NULL. */
const char *tw_linktype_name(uint32_t linktype);

#endif
