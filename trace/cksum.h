/*
 * cksum.h - the Internet checksum (RFC 1071) and its incremental update
 * (RFC 1624), for IPv4 headers and TCP/UDP/ICMP(v6) with pseudo-headers.
 */
#ifndef TW_CKSUM_H
#define TW_CKSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Adds len bytes to a running 32-bit one's complement sum of big-endian
 * 16-bit words, and returns it (folded to 16 bits, never more than
 * 0xffff).  An odd last byte counts as the high byte of a word whose low
 * byte is zero.  A sum may be chained over pieces of one buffer; every
 * piece but the last must then have an even length, as the words of the
 * next one must start at an even offset.  p need not be aligned.
 */
uint32_t tw_cksum_add(uint32_t sum, const uint8_t *p, size_t len);

/* Folds a running sum to 16 bits and complements it: the checksum, in
 * host order, to store with tw_put_be16(). */
uint16_t tw_cksum_fold(uint32_t sum);

/* Checksum of an IPv4 header (RFC 791 section 3.1; its checksum field
 * taken as zero). */
uint16_t tw_cksum_ipv4(const uint8_t *hdr, size_t hlen);

/*
 * Checksum of a transport segment with its pseudo-header (RFC 9293
 * section 3.1, RFC 768, RFC 8200 section 8.1).  version is 4 or 6; src
 * and dst point at the addresses in the IP header (behind an IPv6
 * Routing header, dst is the final destination: the routing header's
 * last address); the segment's own checksum field is taken as zero
 * whatever it holds.  ICMP (v4) has no pseudo-header: pass proto 1 (src
 * and dst are then not read).  A UDP checksum that computes to 0 is
 * returned as 0xffff (RFC 768: 0 means "no checksum").  len is the
 * segment's length as carried in the pseudo-header, and all of it must
 * be at seg.
 */
uint16_t tw_cksum_l4(int version, const uint8_t *src, const uint8_t *dst,
                     uint8_t proto, const uint8_t *seg, size_t len);

/* Offset of the checksum field inside a transport header, or -1. */
int tw_cksum_l4_field(uint8_t proto);

/*
 * RFC 1624 eqn. 3: the checksum after a 16-bit word of the covered data
 * changes from old to new.  Chain calls for wider changes.  The result
 * equals a full recomputation, but for covered data that becomes all
 * zeros (0x0000 here, 0xffff recomputed: the same in one's complement).
 * It does not know UDP's rules: a UDP checksum of 0 ("none") must stay 0,
 * and a result of 0 must be sent as 0xffff; callers see to both.
 */
uint16_t tw_cksum_update16(uint16_t cksum, uint16_t old, uint16_t new_);

/* The same over n bytes changed from old to new; they must start at an
 * even offset of the covered data (n may be odd). */
uint16_t tw_cksum_update(uint16_t cksum, const uint8_t *old,
                         const uint8_t *new_, size_t n);

#endif
