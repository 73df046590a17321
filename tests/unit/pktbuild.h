/*
 * pktbuild.h - builds small Ethernet/IP/transport frames with valid
 * checksums, and checks checksums by full recomputation, for the replay
 * tests.  The checksum here is written out from RFC 1071 on purpose: it
 * is the independent judge of trace/cksum.c's incremental updates.
 */
#ifndef TW_TEST_PKTBUILD_H
#define TW_TEST_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pkt_spec {
	int version;   /* 4 or 6 */
	uint8_t proto; /* 6, 17, 1 or 58 */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint16_t vlan;    /* 0: untagged */
	bool udp_zero;    /* UDP over IPv4 without a checksum */
	uint16_t payload; /* bytes of payload */
	uint8_t fill;     /* payload byte */
};

static inline uint32_t ref_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Sum of the pseudo-header, or 0 for ICMPv4 which has none. */
static inline uint32_t ref_pseudo(const uint8_t *ip, int version, uint8_t proto,
                                  uint32_t l4len)
{
	uint32_t sum = 0;

	if (proto == 1)
		return 0;
	if (version == 4)
		sum = ref_sum(0, ip + 12, 8);
	else
		sum = ref_sum(0, ip + 8, 32);
	return sum + proto + (l4len & 0xffff) + (l4len >> 16);
}

static inline int l4_cksum_off(uint8_t proto)
{
	return proto == 6 ? 16 : proto == 17 ? 6 : 2;
}

/* Builds the frame into buf; returns its length. */
static inline uint32_t pkt_build(const struct pkt_spec *s, uint8_t *buf)
{
	uint32_t off = 12, l3, l4, hl = s->version == 4 ? 20 : 40;
	uint32_t l4len = (s->proto == 6 ? 20 : 8) + s->payload;
	uint32_t alen = s->version == 4 ? 4 : 16;
	int co = l4_cksum_off(s->proto);

	memset(buf, 0, 14 + 4 + hl + l4len);
	memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (s->vlan) {
		put16(buf + off, 0x8100);
		put16(buf + off + 2, s->vlan);
		off += 4;
	}
	put16(buf + off, s->version == 4 ? 0x0800 : 0x86dd);
	l3 = off + 2;
	l4 = l3 + hl;
	if (s->version == 4) {
		buf[l3] = 0x45;
		put16(buf + l3 + 2, (uint16_t)(hl + l4len));
		put16(buf + l3 + 4, 0x1234);
		buf[l3 + 8] = 64;
		buf[l3 + 9] = s->proto;
	} else {
		buf[l3] = 0x60;
		put16(buf + l3 + 4, (uint16_t)l4len);
		buf[l3 + 6] = s->proto;
		buf[l3 + 7] = 64;
	}
	memcpy(buf + l3 + (s->version == 4 ? 12 : 8), s->src, alen);
	memcpy(buf + l3 + (s->version == 4 ? 12 : 8) + alen, s->dst, alen);
	if (s->version == 4)
		put16(buf + l3 + 10, ref_fold(ref_sum(0, buf + l3, 20)));
	if (s->proto == 6 || s->proto == 17) {
		put16(buf + l4, s->sport);
		put16(buf + l4 + 2, s->dport);
	} else {
		buf[l4] = s->proto == 1 ? 8 : 128; /* echo request */
	}
	if (s->proto == 6)
		buf[l4 + 12] = 0x50;
	if (s->proto == 17)
		put16(buf + l4 + 4, (uint16_t)l4len);
	memset(buf + l4 + l4len - s->payload, s->fill, s->payload);
	if (!(s->proto == 17 && s->udp_zero)) {
		uint16_t c = ref_fold(ref_sum(
		        ref_pseudo(buf + l3, s->version, s->proto, l4len),
		        buf + l4, l4len));

		if (s->proto == 17 && c == 0)
			c = 0xffff;
		put16(buf + l4 + co, c);
	}
	return l4 + l4len;
}

/*
 * Checks the IPv4 header and transport checksums of an untruncated frame
 * by recomputing them; a zero UDP-over-IPv4 checksum passes.
 */
static inline bool pkt_cksums_ok(const uint8_t *buf, uint32_t len)
{
	uint32_t off = 12, l3, l4, l4len;
	int version;
	uint8_t proto;

	while (get16(buf + off) == 0x8100 || get16(buf + off) == 0x88a8)
		off += 4;
	l3 = off + 2;
	version = buf[l3] >> 4;
	if (version == 4) {
		uint32_t hl = (uint32_t)(buf[l3] & 15) * 4;

		if (ref_fold(ref_sum(0, buf + l3, hl)) != 0)
			return false;
		proto = buf[l3 + 9];
		l4 = l3 + hl;
		l4len = get16(buf + l3 + 2) - hl;
	} else {
		proto = buf[l3 + 6];
		l4 = l3 + 40;
		l4len = get16(buf + l3 + 4);
	}
	if (l4 + l4len > len)
		return false;
	if (proto == 17 && version == 4 &&
	    get16(buf + l4 + l4_cksum_off(proto)) == 0)
		return true;
	return ref_fold(ref_sum(ref_pseudo(buf + l3, version, proto, l4len),
	                        buf + l4, l4len)) == 0;
}

#endif
