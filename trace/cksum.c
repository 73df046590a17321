/*
 * cksum.c - the Internet checksum (RFC 1071) and its incremental update
 * (RFC 1624).
 *
 * Sums are kept as the numeric values of big-endian 16-bit words, so a
 * folded result is the checksum to store with tw_put_be16().  The bulk
 * of the data is added eight bytes at a time in host order with an
 * end-around carry; RFC 1071 section 2(B) says a one's complement sum
 * taken in the other byte order is the same sum with its bytes swapped,
 * so one swap at the end puts it right.
 */
#include "cksum.h"

#include <string.h>

#include "decode.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_IS_BE 1
#else
#define HOST_IS_BE 0
#endif

/* Folds a 64-bit one's complement sum to 16 bits (not complemented). */
static uint16_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

static uint64_t add_carry(uint64_t acc, uint64_t w)
{
	acc += w;
	return acc + (acc < w);
}

/* The one's complement sum of p[0, len), in host byte order: 8-byte
 * words, then the tail, an odd last byte padded with zero after it. */
static uint64_t sum_host(const uint8_t *p, size_t len)
{
	uint64_t acc = 0, w;
	uint32_t w32;
	uint16_t w16 = 0;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		acc = add_carry(acc, w);
	}
	if (len >= 4) {
		memcpy(&w32, p, 4);
		acc = add_carry(acc, w32);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		acc = add_carry(acc, w16);
		p += 2;
		len -= 2;
	}
	if (len) {
		w16 = 0;
		memcpy(&w16, p, 1);
		acc = add_carry(acc, w16);
	}
	return acc;
}

uint32_t tw_cksum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint16_t s = fold64(sum_host(p, len));

	if (!HOST_IS_BE)
		s = (uint16_t)(s << 8 | s >> 8);
	return fold64((uint64_t)sum + s);
}

uint16_t tw_cksum_fold(uint32_t sum)
{
	return (uint16_t)~fold64(sum);
}

uint16_t tw_cksum_ipv4(const uint8_t *hdr, size_t hlen)
{
	uint32_t sum;

	if (hlen < 12)
		return tw_cksum_fold(tw_cksum_add(0, hdr, hlen));

	/* RFC 791 section 3.1: the checksum field is zero while summing. */
	sum = tw_cksum_add(0, hdr, 10);
	sum = tw_cksum_add(sum, hdr + 12, hlen - 12);
	return tw_cksum_fold(sum);
}

/*
 * The pseudo-header: for IPv4 (RFC 9293 section 3.1, RFC 768) source,
 * destination, zero, protocol, 16-bit length; for IPv6 (RFC 8200 section
 * 8.1) source, destination, 32-bit length, three zeros, next header.
 * The zeros add nothing, so only the other fields are summed.
 */
static uint32_t pseudo_sum(int version, const uint8_t *src, const uint8_t *dst,
                           uint8_t proto, size_t len)
{
	size_t alen = version == 6 ? 16 : 4;
	uint8_t tail[4];
	uint32_t sum;

	sum = tw_cksum_add(0, src, alen);
	sum = tw_cksum_add(sum, dst, alen);
	tail[0] = (uint8_t)(len >> 24);
	tail[1] = (uint8_t)(len >> 16);
	tail[2] = (uint8_t)(len >> 8);
	tail[3] = (uint8_t)len;
	sum = tw_cksum_add(sum, tail, 4);
	return fold64((uint64_t)sum + proto);
}

uint16_t tw_cksum_l4(int version, const uint8_t *src, const uint8_t *dst,
                     uint8_t proto, const uint8_t *seg, size_t len)
{
	int field = tw_cksum_l4_field(proto);
	uint32_t sum = 0;
	uint16_t ck;

	/* RFC 792: ICMP for IPv4 covers the message alone. */
	if (proto != TW_IPPROTO_ICMP)
		sum = pseudo_sum(version, src, dst, proto, len);

	if (field >= 0 && len >= (size_t)field + 2) {
		sum = tw_cksum_add(sum, seg, (size_t)field);
		sum = tw_cksum_add(sum, seg + field + 2,
		                   len - (size_t)field - 2);
	} else {
		sum = tw_cksum_add(sum, seg, len);
	}

	/* RFC 768: a computed 0 is sent as all ones; 0 means "none". */
	ck = tw_cksum_fold(sum);
	if (proto == TW_IPPROTO_UDP && ck == 0)
		ck = 0xffff;
	return ck;
}

int tw_cksum_l4_field(uint8_t proto)
{
	switch (proto) {
	case TW_IPPROTO_TCP:
		return 16;
	case TW_IPPROTO_UDP:
		return 6;
	case TW_IPPROTO_ICMP:
	case TW_IPPROTO_ICMPV6:
		return 2;
	default:
		return -1;
	}
}

/* RFC 1624 section 3, eqn. 3: HC' = ~(~HC + ~m + m'). */
uint16_t tw_cksum_update16(uint16_t cksum, uint16_t old, uint16_t new_)
{
	uint32_t sum = (uint16_t)~cksum;

	sum += (uint16_t)~old;
	sum += new_;
	return tw_cksum_fold(sum);
}

/* The same with m and m' the sums of the old and new bytes: in one's
 * complement, the sum of the negations is the negation of the sum. */
uint16_t tw_cksum_update(uint16_t cksum, const uint8_t *old,
                         const uint8_t *new_, size_t n)
{
	uint16_t m = fold64(tw_cksum_add(0, old, n));
	uint16_t m2 = fold64(tw_cksum_add(0, new_, n));

	return tw_cksum_update16(cksum, m, m2);
}
