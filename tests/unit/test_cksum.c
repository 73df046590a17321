/*
 * test_cksum.c - the Internet checksum and its incremental update.
 *
 * Vectors: the worked examples of RFC 1071 and RFC 1624 (and of RFC
 * 1624's errata), and packets of the public captures in the corpus
 * whose checksums tshark reports as correct (the packet number in the
 * file is given; bytes taken with tshark -x).  Beyond those, the fast
 * sum is checked against a byte-pair reference on random data, lengths
 * and alignments, and the incremental update against full recomputation
 * over many random changes, the 0x0000 and 0xffff corners included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace/cksum.h"
#include "trace/decode.h"

#include "corpus_packets.h"

/* tcpdump-tcp-handshake-nano #1, all 76 bytes, Linux SLL:
 * TCP SYN, 20 bytes of options */
static const uint8_t tcp_hs[] = {
	0x00, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x29, 0xa9,
	0x40, 0x00, 0x40, 0x06, 0xdb, 0x5f, 0x83, 0x9b, 0xd7, 0x45, 0x89,
	0x74, 0x51, 0x5e, 0xb6, 0x40, 0x00, 0x50, 0x2f, 0x84, 0x2a, 0xcb,
	0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0x6a, 0x40, 0x50, 0xc4, 0x00,
	0x00, 0x02, 0x04, 0x05, 0x50, 0x04, 0x02, 0x08, 0x0a, 0x43, 0x6a,
	0x03, 0x62, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* RFC 1071 written out: big-endian byte pairs, one at a time. */
static uint16_t ref_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void fill(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rng();
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 section 3: the sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2. */
static void test_rfc1071_example(void **state)
{
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03,
		                     0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(tw_cksum_add(0, b, sizeof(b)), 0xddf2);
	assert_int_equal(tw_cksum_fold(tw_cksum_add(0, b, sizeof(b))), 0x220d);

	/* Added in two pieces, or the two halves swapped: the same sum. */
	assert_int_equal(tw_cksum_add(tw_cksum_add(0, b, 4), b + 4, 4), 0xddf2);
	assert_int_equal(tw_cksum_add(tw_cksum_add(0, b + 4, 4), b, 4), 0xddf2);
}

static void test_fold(void **state)
{
	(void)state;
	assert_int_equal(tw_cksum_fold(0), 0xffff);
	assert_int_equal(tw_cksum_fold(0xffff), 0x0000);
	assert_int_equal(tw_cksum_fold(0x1fffe), 0x0000);
	assert_int_equal(tw_cksum_fold(0x12345), 0xdcb9);
	assert_int_equal(tw_cksum_fold(0xffffffff), 0x0000);
}

/* Every length up to 300 at every alignment, from any starting sum. */
static void test_add_matches_reference(void **state)
{
	static uint8_t buf[320];
	size_t len, off;

	(void)state;
	for (len = 0; len <= 300; len++) {
		for (off = 0; off < 8; off++) {
			uint32_t start = (uint32_t)rng() & 0x1ffff;

			fill(buf, sizeof(buf));
			assert_int_equal(tw_cksum_add(0, buf + off, len),
			                 ref_sum(0, buf + off, len));
			assert_int_equal(tw_cksum_add(start, buf + off, len),
			                 ref_sum(start, buf + off, len));
		}
	}
}

/* All ones, odd length, 64 KiB: every carry taken. */
static void test_add_carries(void **state)
{
	size_t len = 65537;
	uint8_t *p = malloc(len);

	(void)state;
	assert_non_null(p);
	memset(p, 0xff, len);
	assert_int_equal(tw_cksum_add(0, p, len), ref_sum(0, p, len));
	assert_int_equal(tw_cksum_add(0xffff, p + 1, len - 1),
	                 ref_sum(0xffff, p + 1, len - 1));
	memset(p, 0, len);
	assert_int_equal(tw_cksum_add(0, p, len), 0);
	free(p);
}

/* Chained over pieces of even length, the last of any length. */
static void test_add_chained(void **state)
{
	static uint8_t buf[1500];
	int round;

	(void)state;
	for (round = 0; round < 2000; round++) {
		size_t len = (size_t)(rng() % sizeof(buf));
		size_t pos = 0;
		uint32_t sum = 0;

		fill(buf, len);
		while (len - pos > 0) {
			size_t n = (size_t)(rng() % 64) * 2;

			if (n >= len - pos)
				n = len - pos;
			sum = tw_cksum_add(sum, buf + pos, n);
			pos += n;
		}
		assert_int_equal(sum, ref_sum(0, buf, len));
	}
}

/* The IPv4 headers of corpus packets, their checksum field in place. */
static void test_ipv4_vectors(void **state)
{
	static const struct {
		const uint8_t *hdr;
		uint16_t want;
	} v[] = {
		{ http_get + 14, 0xf4a1 },     { dns_query + 14, 0xd6ce },
		{ icmp_unreach + 14, 0x1936 }, { erspan_icmp + 14, 0x7633 },
		{ erspan_icmp + 64, 0x8500 },  { v6in4_echo + 14, 0xa751 },
		{ tcp_hs + 16, 0xdb5f },
	};
	uint8_t h[20];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(get16(v[i].hdr + 10), v[i].want);
		assert_int_equal(tw_cksum_ipv4(v[i].hdr, 20), v[i].want);

		/* Whatever the field holds, it counts as zero. */
		memcpy(h, v[i].hdr, 20);
		h[10] = (uint8_t)rng();
		h[11] = (uint8_t)rng();
		assert_int_equal(tw_cksum_ipv4(h, 20), v[i].want);

		/* A receiver's check: the sum with the field is all ones. */
		assert_int_equal(tw_cksum_fold(tw_cksum_add(0, v[i].hdr, 20)),
		                 0);
	}
}

struct l4_vector {
	const char *name;
	int version;
	const uint8_t *src, *dst;
	uint8_t proto;
	const uint8_t *seg;
	size_t len;
	uint16_t want;
};

/*
 * Transport checksums of corpus packets.  The IPv6 packets carry a
 * Routing header: their pseudo-header takes the final destination, the
 * routing header's last address (RFC 8200 section 8.1).
 */
static const struct l4_vector l4_vectors[] = {
	{ "tcp over ipv4", 4, http_get + 26, http_get + 30, TW_IPPROTO_TCP,
	  http_get + 34, 272, 0xac45 },
	{ "tcp syn with options", 4, tcp_hs + 28, tcp_hs + 32, TW_IPPROTO_TCP,
	  tcp_hs + 36, 40, 0x50c4 },
	{ "udp over ipv4, odd length", 4, dns_query + 26, dns_query + 30,
	  TW_IPPROTO_UDP, dns_query + 34, 39, 0x0e22 },
	{ "icmp port unreachable", 4, icmp_unreach + 26, icmp_unreach + 30,
	  TW_IPPROTO_ICMP, icmp_unreach + 34, 36, 0x14b0 },
	{ "icmp echo inside ERSPAN", 4, erspan_icmp + 76, erspan_icmp + 80,
	  TW_IPPROTO_ICMP, erspan_icmp + 84, 80, 0x57b5 },
	{ "icmpv6 echo inside ipv4", 6, v6in4_echo + 42, v6in4_echo + 58,
	  TW_IPPROTO_ICMPV6, v6in4_echo + 74, 60, 0x7e8f },
	{ "udp over ipv6, routing header", 6, rh_udp + 22, rh_udp + 78,
	  TW_IPPROTO_UDP, rh_udp + 94, 8, 0x2786 },
	{ "icmpv6, routing header", 6, rh_icmp6 + 22, rh_icmp6 + 78,
	  TW_IPPROTO_ICMPV6, rh_icmp6 + 94, 8, 0xd37b },
};

static void test_l4_vectors(void **state)
{
	static uint8_t seg[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(l4_vectors) / sizeof(l4_vectors[0]); i++) {
		const struct l4_vector *v = &l4_vectors[i];
		int f = tw_cksum_l4_field(v->proto);

		assert_true(f >= 0);
		if (get16(v->seg + f) != v->want)
			fail_msg("%s: stored checksum is not the vector",
			         v->name);
		if (tw_cksum_l4(v->version, v->src, v->dst, v->proto, v->seg,
		                v->len) != v->want)
			fail_msg("%s: 0x%04x, want 0x%04x", v->name,
			         tw_cksum_l4(v->version, v->src, v->dst,
			                     v->proto, v->seg, v->len),
			         v->want);

		/* The field itself is not summed. */
		memcpy(seg, v->seg, v->len);
		seg[f] ^= 0x5a;
		seg[f + 1] ^= 0xa5;
		assert_int_equal(tw_cksum_l4(v->version, v->src, v->dst,
		                             v->proto, seg, v->len),
		                 v->want);
	}
}

static void test_l4_field(void **state)
{
	(void)state;
	assert_int_equal(tw_cksum_l4_field(TW_IPPROTO_TCP), 16);
	assert_int_equal(tw_cksum_l4_field(TW_IPPROTO_UDP), 6);
	assert_int_equal(tw_cksum_l4_field(TW_IPPROTO_ICMP), 2);
	assert_int_equal(tw_cksum_l4_field(TW_IPPROTO_ICMPV6), 2);
	assert_int_equal(tw_cksum_l4_field(TW_IPPROTO_GRE), -1);
	assert_int_equal(tw_cksum_l4_field(50), -1);
}

/*
 * A UDP datagram whose checksum computes to 0 is sent with 0xffff (RFC
 * 768), as 0 means "no checksum".  Make one: with a zero word in the
 * payload the checksum is c; putting c in that word makes the sum all
 * ones, so the checksum 0.
 */
static void test_udp_zero_is_ffff(void **state)
{
	uint8_t seg[39];
	const uint8_t *src = dns_query + 26, *dst = dns_query + 30;
	uint16_t c;

	(void)state;
	memcpy(seg, dns_query + 34, sizeof(seg));
	seg[8] = seg[9] = 0;
	c = tw_cksum_l4(4, src, dst, TW_IPPROTO_UDP, seg, sizeof(seg));
	assert_int_not_equal(c, 0xffff);
	seg[8] = (uint8_t)(c >> 8);
	seg[9] = (uint8_t)c;
	assert_int_equal(
	        tw_cksum_l4(4, src, dst, TW_IPPROTO_UDP, seg, sizeof(seg)),
	        0xffff);
}

/* RFC 1624 section 4, and its errata 5864. */
static void test_update16_examples(void **state)
{
	(void)state;
	assert_int_equal(tw_cksum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
	assert_int_equal(tw_cksum_update16(0x0000, 0x5555, 0x5555), 0x0000);
	assert_int_equal(tw_cksum_update16(0x0000, 0x5555, 0x5556), 0xfffe);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* A 16-bit value to put in the data: 0x0000, 0xffff or random. */
static uint16_t corner_or_random(void)
{
	switch (rng() % 4) {
	case 0:
		return 0x0000;
	case 1:
		return 0xffff;
	default:
		return (uint16_t)rng();
	}
}

/* Compares an incrementally updated checksum with recomputation; the
 * only difference allowed is all-zero data (0x0000 against 0xffff). */
static void expect_same(uint16_t inc, const uint8_t *p, size_t len)
{
	uint16_t full = tw_cksum_fold(ref_sum(0, p, len));

	if (all_zero(p, len)) {
		assert_int_equal(full, 0xffff);
		assert_true(inc == 0x0000 || inc == 0xffff);
		return;
	}
	assert_int_equal(inc, full);
}

/* One 16-bit word at a time, 0x0000 and 0xffff often on either side. */
static void test_update16_equals_full(void **state)
{
	uint8_t buf[64];
	int round;

	(void)state;
	for (round = 0; round < 200000; round++) {
		size_t len = 2 + (size_t)(rng() % 32) * 2;
		size_t w = (size_t)(rng() % (len / 2)) * 2;
		uint16_t old, new_, ck;

		fill(buf, len);
		if (rng() % 8 == 0)
			memset(buf, rng() % 2 ? 0xff : 0x00, len);
		old = corner_or_random();
		buf[w] = (uint8_t)(old >> 8);
		buf[w + 1] = (uint8_t)old;
		ck = tw_cksum_fold(ref_sum(0, buf, len));

		new_ = corner_or_random();
		buf[w] = (uint8_t)(new_ >> 8);
		buf[w + 1] = (uint8_t)new_;
		expect_same(tw_cksum_update16(ck, old, new_), buf, len);
	}
}

/* Several bytes at once (an address, a port pair), from an even offset,
 * of any length. */
static void test_update_equals_full(void **state)
{
	uint8_t buf[64], old[64];
	int round;

	(void)state;
	for (round = 0; round < 100000; round++) {
		size_t len = 2 + (size_t)(rng() % 32) * 2;
		size_t at = (size_t)(rng() % (len / 2)) * 2;
		size_t n = 1 + (size_t)(rng() % (len - at));
		uint16_t ck;

		fill(buf, len);
		if (rng() % 8 == 0)
			memset(buf + at, rng() % 2 ? 0xff : 0x00, n);
		ck = tw_cksum_fold(ref_sum(0, buf, len));
		memcpy(old, buf + at, n);
		if (rng() % 4 == 0)
			memset(buf + at, rng() % 2 ? 0xff : 0x00, n);
		else
			fill(buf + at, n);
		expect_same(tw_cksum_update(ck, old, buf + at, n), buf, len);
	}
}

/* What replay does to a real header: TTL down by one, new source. */
static void test_update_ipv4_header(void **state)
{
	static const uint8_t new_src[4] = { 198, 18, 0, 77 };
	uint8_t h[20];
	uint16_t ck, old;

	(void)state;
	memcpy(h, http_get + 14, 20);
	ck = get16(h + 10);

	old = get16(h + 8);
	h[8]--;
	ck = tw_cksum_update16(ck, old, get16(h + 8));
	assert_int_equal(ck, tw_cksum_ipv4(h, 20));

	ck = tw_cksum_update(ck, h + 12, new_src, 4);
	memcpy(h + 12, new_src, 4);
	assert_int_equal(ck, tw_cksum_ipv4(h, 20));
}

/* The one case where the two differ: data that becomes all zeros. */
static void test_update_to_all_zero(void **state)
{
	static const uint8_t one[2] = { 0x00, 0x01 }, zero[2] = { 0, 0 };
	uint16_t ck = tw_cksum_fold(tw_cksum_add(0, one, 2));

	(void)state;
	assert_int_equal(ck, 0xfffe);
	assert_int_equal(tw_cksum_update16(ck, 0x0001, 0x0000), 0x0000);
	assert_int_equal(tw_cksum_update(ck, one, zero, 2), 0x0000);
	assert_int_equal(tw_cksum_fold(tw_cksum_add(0, zero, 2)), 0xffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_add_matches_reference),
		cmocka_unit_test(test_add_carries),
		cmocka_unit_test(test_add_chained),
		cmocka_unit_test(test_ipv4_vectors),
		cmocka_unit_test(test_l4_vectors),
		cmocka_unit_test(test_l4_field),
		cmocka_unit_test(test_udp_zero_is_ffff),
		cmocka_unit_test(test_update16_examples),
		cmocka_unit_test(test_update16_equals_full),
		cmocka_unit_test(test_update_equals_full),
		cmocka_unit_test(test_update_ipv4_header),
		cmocka_unit_test(test_update_to_all_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
