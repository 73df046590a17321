/*
 * redact.h - redacting one packet in place.
 *
 * The redactor walks a packet layer by layer and decides, for every byte
 * it reaches, to keep it (framing that identifies no one: lengths, types,
 * ports, flags), to pseudonymize it (addresses, MACs, TCP timestamps, TLS
 * server names), or to zero it.  It fails closed: a byte it does not
 * understand becomes zero, a header that is cut short or contradicts
 * itself is redacted as far as it parses and the rest is zeroed.  Sizes,
 * timing and flow structure survive; checksums are rewritten so that they
 * are valid in the output exactly when they were valid in the input.
 *
 * Layers: Ethernet with 802.1Q/802.1ad tags, Linux cooked (SLL, SLL2),
 * BSD loopback, raw IP; ARP; IPv4 (options zeroed), IPv6 (hop-by-hop and
 * destination options, routing headers, fragments); TCP (options), UDP,
 * ICMP and ICMPv6 including the packet quoted by an error, NDP, MLD;
 * tunnels: IPv4/IPv6 in IP, GRE (with TEB), ERSPAN I/II/III, VXLAN; TLS
 * record framing on the policy's TLS ports.
 *
 * A redactor allocates once, at creation; redacting a packet allocates
 * nothing (a scratch copy of the packet grows only when a larger packet
 * than any before arrives).  Not thread-safe: one redactor per thread.
 */
#ifndef TW_REDACT_H
#define TW_REDACT_H

#include <stdbool.h>
#include <stdint.h>

#include "redact/key.h"
#include "redact/policy.h"
#include "trace/error.h"

/* Why bytes were zeroed; a packet counts once per reason. */
enum tw_zero_reason {
	TW_ZR_PAYLOAD = 0, /* application payload the redactor cannot parse */
	TW_ZR_TLS,         /* TLS record contents */
	TW_ZR_NOT_IP,      /* link type or ethertype not decoded */
	TW_ZR_L4,          /* IP protocol not decoded (ESP, SCTP...) */
	TW_ZR_FRAGMENT,    /* a later IP fragment: no transport header */
	TW_ZR_MALFORMED,   /* a header was cut short or contradicts itself */
	TW_ZR_OPTIONS,     /* IP or TCP option data not known to be safe */
	TW_ZR_TRAILER,     /* bytes after the IP datagram (link padding) */
	TW_ZR_COUNT
};

struct tw_redact_stats {
	uint64_t packets;
	uint64_t ipv4_addrs, ipv6_addrs, macs; /* fields rewritten */
	uint64_t tcp_timestamps;               /* options shifted */
	uint64_t sni;                          /* server names redacted */
	uint64_t cksum_fixed;                  /* checksums rewritten valid */
	uint64_t cksum_bad_kept;               /* wrong in input, kept wrong */
	uint64_t cksum_incremental;            /* cut short: RFC 1624 update */
	uint64_t truncated_packets;            /* payload truncated (policy) */
	uint64_t zero_packets[TW_ZR_COUNT];
	uint64_t zero_bytes[TW_ZR_COUNT];
};

struct tw_redactor;

/*
 * Creates a redactor for pol and key (both must outlive it; the key's
 * sub-keys are copied).  Returns 0 and *out, or TW_ENOMEM / TW_EINTERNAL
 * with the message in eb.
 */
int tw_redactor_new(struct tw_redactor **out, const struct tw_policy *pol,
                    const struct tw_key *key, struct tw_errbuf *eb);

/*
 * Redacts *caplen bytes at data, captured on a link of type linktype, in
 * place.  Under the truncate payload policy *caplen may shrink; it never
 * grows.  Returns 0, or TW_ENOMEM when the scratch copy could not grow
 * (the packet is then zeroed entirely, so nothing leaks).
 */
int tw_redact_packet(struct tw_redactor *r, uint32_t linktype, uint8_t *data,
                     uint32_t *caplen);

/*
 * As tw_redact_packet, but the TCP payload at [pay_off, pay_off +
 * pay_len) of data, when the walk finds exactly that payload, becomes
 * the pay_len bytes at pay (already redacted by the stream redactor,
 * session.h) instead of zeros; checksums are computed over the result.
 * pay NULL: as tw_redact_packet.
 */
int tw_redact_packet_with(struct tw_redactor *r, uint32_t linktype,
                          uint8_t *data, uint32_t *caplen, uint32_t pay_off,
                          const uint8_t *pay, uint32_t pay_len);

/* The pseudonym of an address (4 or 16 bytes at a), in place, as
 * packets get it. */
void tw_redact_addr(struct tw_redactor *r, int version, uint8_t *a);

/*
 * Whether an IPv4 header (ihl bytes at h) fails its own checksum, so
 * that the redactor zeroes everything after it (a checksum of 0, left
 * by checksum offload, passes).  The session asks first: a connection
 * whose packets the redactor zeroes must say nothing in the L7 trace.
 */
bool tw_redact_ipv4_untrusted(const uint8_t *h, uint32_t ihl);

/* A name for a zero reason ("payload", "tls"...). */
const char *tw_zero_reason_name(enum tw_zero_reason why);

const struct tw_redact_stats *tw_redactor_stats(const struct tw_redactor *r);

/* Wipes sub-keys and caches, and frees r (NULL is fine). */
void tw_redactor_free(struct tw_redactor *r);

#endif
