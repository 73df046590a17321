/*
 * test_redact.c - one packet at a time: every layer the redactor knows,
 * checksums valid exactly when they were, and nothing leaks from packets
 * that are cut short or malformed.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "redact/cryptopan.h"
#include "redact/redact.h"
#include "trace/bytes.h"
#include "trace/cksum.h"
#include "trace/packet.h"

static struct tw_key *key;
static struct tw_policy pol;
static struct tw_cpan *cpan; /* the same mapping, to predict addresses */

static const uint8_t MAC_A[6] = { 0x00, 0x1b, 0x21, 0x3a, 0x4b, 0x5c };
static const uint8_t MAC_B[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 };
static const uint8_t IP_A[4] = { 10, 1, 2, 3 };
static const uint8_t IP_B[4] = { 172, 16, 9, 8 };
static const uint8_t IP6_A[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0,
	                           0,    0,    0,    0,    0, 0, 0, 0x0a };
static const uint8_t IP6_B[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0,
	                           0,    0,    0,    0,    0, 0, 0, 0x0b };
static const char SECRET[] = "SECRETSECRETSECRET";

static int setup(void **state)
{
	struct tw_errbuf eb;
	uint8_t raw[32];

	(void)state;
	for (int i = 0; i < 32; i++)
		raw[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(tw_key_from_bytes(&key, raw, 32, &eb), 0);
	assert_int_equal(tw_cpan_new(&cpan, key->addr, 0, &eb), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tw_key_free(key);
	tw_cpan_free(cpan);
	return 0;
}

static struct tw_redactor *redactor(void)
{
	struct tw_redactor *r;
	struct tw_errbuf eb;

	assert_int_equal(tw_redactor_new(&r, &pol, key, &eb), 0);
	return r;
}

static void use_default_policy(void)
{
	struct tw_errbuf eb;

	assert_int_equal(tw_policy_default(&pol, &eb), 0);
}

/* ---- packet building ---- */

static size_t put_eth(uint8_t *p, const uint8_t *dst, const uint8_t *src,
                      uint16_t type)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	tw_put_be16(p + 12, type);
	return 14;
}

static size_t put_ip4(uint8_t *p, const uint8_t *src, const uint8_t *dst,
                      uint8_t proto, size_t l4len)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	tw_put_be16(p + 2, (uint16_t)(20 + l4len));
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	tw_put_be16(p + 10, tw_cksum_ipv4(p, 20));
	return 20;
}

static size_t put_ip6(uint8_t *p, const uint8_t *src, const uint8_t *dst,
                      uint8_t nh, size_t l4len)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	tw_put_be16(p + 4, (uint16_t)l4len);
	p[6] = nh;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	return 40;
}

/* TCP with a timestamp option (NOP NOP TS) and payload. */
static size_t put_tcp(uint8_t *p, uint16_t sp, uint16_t dp, uint32_t tsval,
                      uint32_t tsecr, const void *data, size_t n)
{
	memset(p, 0, 32);
	tw_put_be16(p, sp);
	tw_put_be16(p + 2, dp);
	tw_put_be32(p + 4, 1000);
	p[12] = 8 << 4;
	p[13] = 0x18;
	tw_put_be16(p + 14, 512);
	p[20] = 1;
	p[21] = 1;
	p[22] = 8;
	p[23] = 10;
	tw_put_be32(p + 24, tsval);
	tw_put_be32(p + 28, tsecr);
	memcpy(p + 32, data, n);
	return 32 + n;
}

static void fix_l4(uint8_t *ip, int version, uint8_t proto, uint8_t *seg,
                   size_t n)
{
	int f = tw_cksum_l4_field(proto);
	const uint8_t *src = ip + (version == 4 ? 12 : 8);
	const uint8_t *dst = ip + (version == 4 ? 16 : 24);

	tw_put_be16(seg + f, tw_cksum_l4(version, src, dst, proto, seg, n));
}

static bool l4_ok(const uint8_t *ip, int version, uint8_t proto,
                  const uint8_t *seg, size_t n)
{
	int f = tw_cksum_l4_field(proto);
	const uint8_t *src = ip + (version == 4 ? 12 : 8);
	const uint8_t *dst = ip + (version == 4 ? 16 : 24);

	return tw_be16(seg + f) ==
	       tw_cksum_l4(version, src, dst, proto, seg, n);
}

static bool ip4_ok(const uint8_t *ip)
{
	return tw_be16(ip + 10) == tw_cksum_ipv4(ip, 20);
}

static void expect_ip4(const uint8_t *got, const uint8_t *orig)
{
	uint8_t want[4];

	tw_cpan_ip4(cpan, orig, want);
	assert_memory_equal(got, want, 4);
}

static void expect_ip6(const uint8_t *got, const uint8_t *orig)
{
	uint8_t want[16];

	tw_cpan_ip6(cpan, orig, want);
	assert_memory_equal(got, want, 16);
}

static bool contains(const uint8_t *p, size_t n, const void *s, size_t m)
{
	return m <= n && memmem(p, n, s, m) != NULL;
}

/* eth / IPv4 / TCP with payload; returns the length. */
static size_t build_tcp4(uint8_t *p, uint16_t sp, uint16_t dp, const void *data,
                         size_t n)
{
	size_t off = put_eth(p, MAC_B, MAC_A, 0x0800);
	uint8_t *ip = p + off;
	size_t tl = put_tcp(ip + 20, sp, dp, 0x11223344, 0x55667788, data, n);

	put_ip4(ip, IP_A, IP_B, 6, tl);
	fix_l4(ip, 4, 6, ip + 20, tl);
	return off + 20 + tl;
}

/* ---- tests ---- */

static void test_tcp4_everything(void **state)
{
	struct tw_redactor *r;
	uint8_t p[256], *ip = p + 14, *tcp = p + 34;
	uint32_t len =
	        (uint32_t)build_tcp4(p, 40000, 80, SECRET, sizeof(SECRET));
	uint32_t n = len;
	const struct tw_redact_stats *st;

	(void)state;
	use_default_policy();
	r = redactor();
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, p, &n), 0);
	assert_int_equal(n, len);
	/* MACs: changed, unicast and local bits as they were. */
	assert_memory_not_equal(p, MAC_B, 6);
	assert_memory_not_equal(p + 6, MAC_A, 6);
	assert_int_equal(p[0] & 3, MAC_B[0] & 3);
	assert_int_equal(p[6] & 3, MAC_A[0] & 3);
	expect_ip4(ip + 12, IP_A);
	expect_ip4(ip + 16, IP_B);
	assert_true(ip4_ok(ip));
	assert_true(l4_ok(ip, 4, 6, tcp, len - 34));
	/* Ports and sequence kept; timestamps shifted; payload zero. */
	assert_int_equal(tw_be16(tcp), 40000);
	assert_int_equal(tw_be16(tcp + 2), 80);
	assert_int_equal(tw_be32(tcp + 4), 1000);
	assert_int_not_equal(tw_be32(tcp + 24), 0x11223344);
	assert_int_not_equal(tw_be32(tcp + 28), 0x55667788);
	for (size_t i = 66; i < len; i++)
		assert_int_equal(p[i], 0);
	st = tw_redactor_stats(r);
	assert_int_equal(st->packets, 1);
	assert_int_equal(st->ipv4_addrs, 2);
	assert_int_equal(st->macs, 2);
	assert_int_equal(st->tcp_timestamps, 1);
	assert_int_equal(st->zero_packets[TW_ZR_PAYLOAD], 1);
	assert_int_equal(st->zero_bytes[TW_ZR_PAYLOAD], sizeof(SECRET));
	tw_redactor_free(r);
}

static void test_timestamps_echo_consistently(void **state)
{
	struct tw_redactor *r;
	uint8_t a[256], b[256];
	uint32_t na, nb;
	size_t off;

	(void)state;
	use_default_policy();
	r = redactor();
	na = (uint32_t)build_tcp4(a, 1, 2, "x", 1);
	/* The reply: B to A, echoing A's TSval. */
	off = put_eth(b, MAC_A, MAC_B, 0x0800);
	nb = (uint32_t)(off + 20 +
	                put_tcp(b + off + 20, 2, 1, 0x99, 0x11223344, "", 0));
	put_ip4(b + off, IP_B, IP_A, 6, nb - off - 20);
	fix_l4(b + off, 4, 6, b + off + 20, nb - off - 20);
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, a, &na), 0);
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, b, &nb), 0);
	assert_int_equal(tw_be32(b + 34 + 28), tw_be32(a + 34 + 24));
	assert_true(l4_ok(b + 14, 4, 6, b + 34, nb - 34));
	tw_redactor_free(r);
}

static void test_bad_checksums_stay_bad(void **state)
{
	struct tw_redactor *r;
	uint8_t p[256];
	uint32_t len = (uint32_t)build_tcp4(p, 5, 6, SECRET, 10), n = len;

	(void)state;
	use_default_policy();
	r = redactor();
	p[34 + 16] ^= 0x01; /* TCP checksum (as with offload) */
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, p, &n), 0);
	assert_true(ip4_ok(p + 14));
	assert_false(l4_ok(p + 14, 4, 6, p + 34, len - 34));
	assert_int_equal(tw_be16(p + 34), 5); /* still decoded */
	assert_int_equal(tw_redactor_stats(r)->cksum_bad_kept, 1);

	/* A wrong IPv4 header checksum stays wrong by the same bits, and
	 * the header is not trusted: what follows it is zeroed. */
	n = len = (uint32_t)build_tcp4(p, 5, 6, SECRET, 10);
	p[14 + 10] ^= 0x40;
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, p, &n), 0);
	assert_int_equal(tw_be16(p + 24) ^ tw_cksum_ipv4(p + 14, 20), 0x4000);
	expect_ip4(p + 26, IP_A);
	for (uint32_t i = 34; i < len; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(tw_redactor_stats(r)->zero_packets[TW_ZR_MALFORMED],
	                 1);
	tw_redactor_free(r);
}

/* ICMP port unreachable quoting the IPv4/UDP datagram it answers. */
static void test_icmp_error_quoted_header(void **state)
{
	struct tw_redactor *r;
	uint8_t p[256], *ip = p + 14, *icmp = p + 34, *q = p + 42;
	size_t qlen = 20 + 8 + 4;
	uint32_t n;

	(void)state;
	use_default_policy();
	r = redactor();
	put_eth(p, MAC_A, MAC_B, 0x0800);
	memset(icmp, 0, 8);
	icmp[0] = 3;
	icmp[1] = 3;
	put_ip4(q, IP_A, IP_B, 17, 8 + 100); /* original: longer */
	tw_put_be16(q + 20, 5353);
	tw_put_be16(q + 22, 53);
	tw_put_be16(q + 24, 108);
	tw_put_be16(q + 26, 0xbeef);
	memcpy(q + 28, "QQQQ", 4);
	put_ip4(ip, IP_B, IP_A, 1, 8 + qlen);
	fix_l4(ip, 4, 1, icmp, 8 + qlen);
	n = (uint32_t)(42 + qlen);
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, p, &n), 0);
	expect_ip4(ip + 12, IP_B);
	expect_ip4(q + 12, IP_A);
	expect_ip4(q + 16, IP_B);
	assert_true(ip4_ok(q)); /* the quoted header's own checksum */
	assert_true(l4_ok(ip, 4, 1, icmp, 8 + qlen));
	assert_int_equal(tw_be16(q + 20), 5353);
	assert_false(contains(p, n, "QQQQ", 4));
	assert_false(contains(p, n, IP_A, 4));
	assert_false(contains(p, n, IP_B, 4));
	tw_redactor_free(r);
}

static void test_arp(void **state)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct tw_redactor *r;
	uint8_t p[64] = { 0 }, *a = p + 14;
	uint32_t n = 60;

	(void)state;
	use_default_policy();
	r = redactor();
	put_eth(p, bcast, MAC_A, 0x0806);
	tw_put_be16(a, 1);
	tw_put_be16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	tw_put_be16(a + 6, 1);
	memcpy(a + 8, MAC_A, 6);
	memcpy(a + 14, IP_A, 4);
	memcpy(a + 24, IP_B, 4);
	memcpy(p + 42, "TRAILER", 7);
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, p, &n), 0);
	assert_memory_equal(p, bcast, 6);
	assert_memory_equal(a + 8, p + 6, 6); /* same MAC, same pseudonym */
	expect_ip4(a + 14, IP_A);
	expect_ip4(a + 24, IP_B);
	assert_false(contains(p, n, MAC_A, 6));
	assert_false(contains(p, n, "TRAILER", 7));
	tw_redactor_free(r);
}

/* Neighbour solicitation with a source link-layer address option. */
static void test_ndp(void **state)
{
	struct tw_redactor *r;
	uint8_t p[128] = { 0 }, *ip = p + 14, *icmp = p + 54;
	uint32_t n = 54 + 32;

	(void)state;
	use_default_policy();
	r = redactor();
	put_eth(p, MAC_B, MAC_A, 0x86dd);
	put_ip6(ip, IP6_A, IP6_B, 58, 32);
	icmp[0] = 135;
	memcpy(icmp + 8, IP6_B, 16);
	icmp[24] = 1;
	icmp[25] = 1;
	memcpy(icmp + 26, MAC_A, 6);
	fix_l4(ip, 6, 58, icmp, 32);
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, p, &n), 0);
	expect_ip6(ip + 8, IP6_A);
	expect_ip6(icmp + 8, IP6_B);
	assert_memory_equal(icmp + 26, p + 6, 6);
	assert_true(l4_ok(ip, 6, 58, icmp, 32));
	assert_false(contains(p, n, MAC_A, 6));
	tw_redactor_free(r);
}

/* VXLAN: outer IPv4/UDP 4789, inner Ethernet/IPv4/TCP. */
/* VXLAN: outer IPv4/UDP 4789, inner Ethernet/IPv4/TCP at offset 50. */
static size_t build_vxlan(uint8_t *p)
{
	uint8_t *oip = p + 14, *udp = p + 34, *in = p + 50;
	size_t inner = build_tcp4(in, 7, 8, SECRET, sizeof(SECRET));

	put_eth(p, MAC_A, MAC_B, 0x0800);
	put_ip4(oip, IP_B, IP_A, 17, 16 + inner);
	tw_put_be16(udp, 51000);
	tw_put_be16(udp + 2, 4789);
	tw_put_be16(udp + 4, (uint16_t)(16 + inner));
	memset(udp + 8, 0, 8);
	udp[8] = 0x08;
	udp[14] = 42; /* VNI */
	fix_l4(oip, 4, 17, udp, 16 + inner);
	return 50 + inner;
}

static void test_vxlan_inner_packet(void **state)
{
	struct tw_redactor *r;
	uint8_t p[512], *oip = p + 14, *udp = p + 34, *in = p + 50;
	uint32_t n = (uint32_t)build_vxlan(p);
	size_t inner = n - 50;

	(void)state;
	use_default_policy();
	r = redactor();
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, p, &n), 0);
	expect_ip4(in + 14 + 12, IP_A);
	expect_ip4(in + 14 + 16, IP_B);
	assert_true(ip4_ok(in + 14));
	assert_true(l4_ok(in + 14, 4, 6, in + 34, inner - 34));
	assert_true(l4_ok(oip, 4, 17, udp, 16 + inner));
	assert_int_equal(udp[14], 42);
	assert_false(contains(p, n, SECRET, 6));
	assert_false(contains(p, n, MAC_A, 6));
	assert_false(contains(p, n, MAC_B, 6));
	tw_redactor_free(r);
}

static void test_special_addresses(void **state)
{
	static const struct {
		const char *in;
		int keep_bits; /* bits that must stay; 128/32 = whole */
	} cases[] = {
		{ "255.255.255.255", 32 },
		{ "0.0.0.0", 32 },
		{ "127.0.0.1", 32 },
		{ "224.0.0.251", 32 },
		{ "169.254.7.9", 16 },
		{ "239.1.2.3", 4 },
		{ "::1", 128 },
		{ "ff02::1", 128 },
		{ "ff02::1:ff12:3456", 104 },
		{ "fe80::1234:5678", 64 },
		{ "ff15::abcd:0:1:3", 16 },
	};
	struct tw_redactor *r;

	(void)state;
	use_default_policy();
	r = redactor();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t a[16], p[128];
		int v6 = strchr(cases[i].in, ':') != NULL, bits;
		int alen = v6 ? 16 : 4, full = v6 ? 128 : 32;
		uint32_t n;

		assert_int_equal(
		        inet_pton(v6 ? AF_INET6 : AF_INET, cases[i].in, a), 1);
		if (v6) {
			put_ip6(p, a, IP6_B, 59, 0);
			n = 40;
		} else {
			put_ip4(p, a, IP_B, 254, 0);
			n = 20;
		}
		assert_int_equal(tw_redact_packet(r, TW_LINK_RAW, p, &n), 0);
		for (bits = 0; bits < full; bits++)
			if ((a[bits / 8] ^ p[(v6 ? 8 : 12) + bits / 8]) &
			    (0x80 >> (bits % 8)))
				break;
		if (cases[i].keep_bits == full)
			assert_int_equal(bits, full);
		else if (bits < cases[i].keep_bits || bits == full)
			fail_msg("%s: %d bits kept, want %d then change",
			         cases[i].in, bits, cases[i].keep_bits);
		(void)alen;
	}
	tw_redactor_free(r);
}

static void test_ipv4_mapped_agrees_with_ipv4(void **state)
{
	struct tw_redactor *r;
	uint8_t p[64], a[16] = { 0 };
	uint32_t n = 40;

	(void)state;
	use_default_policy();
	r = redactor();
	a[10] = a[11] = 0xff;
	memcpy(a + 12, IP_A, 4);
	put_ip6(p, a, IP6_B, 59, 0);
	assert_int_equal(tw_redact_packet(r, TW_LINK_RAW, p, &n), 0);
	assert_memory_equal(p + 8, a, 12);
	expect_ip4(p + 20, IP_A);
	tw_redactor_free(r);
}

static void test_keep_ranges_and_ports(void **state)
{
	static const char text[] = "version: 1\n"
	                           "addresses: {keep: [10.0.0.0/8]}\n"
	                           "payload: {keep_ports: [80]}\n";
	struct tw_errbuf eb;
	struct tw_redactor *r;
	uint8_t p[256];
	uint32_t len, n;

	(void)state;
	assert_int_equal(tw_policy_parse(&pol, "t", text, strlen(text), &eb),
	                 0);
	r = redactor();
	len = n = (uint32_t)build_tcp4(p, 40000, 80, SECRET, sizeof(SECRET));
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, p, &n), 0);
	assert_memory_equal(p + 26, IP_A, 4);   /* 10.1.2.3 kept */
	expect_ip4(p + 30, IP_B);               /* 172.16.9.8 not */
	assert_true(contains(p, n, SECRET, 6)); /* port 80 kept */
	assert_true(l4_ok(p + 14, 4, 6, p + 34, len - 34));
	tw_redactor_free(r);
}

static void test_truncate_policy(void **state)
{
	static const char text[] = "version: 1\npayload: {action: truncate}\n";
	struct tw_errbuf eb;
	struct tw_redactor *r;
	uint8_t p[256];
	uint32_t n;

	(void)state;
	assert_int_equal(tw_policy_parse(&pol, "t", text, strlen(text), &eb),
	                 0);
	r = redactor();
	n = (uint32_t)build_tcp4(p, 1, 2, SECRET, sizeof(SECRET));
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, p, &n), 0);
	assert_int_equal(n, 14 + 20 + 32);
	assert_int_equal(tw_redactor_stats(r)->truncated_packets, 1);
	tw_redactor_free(r);
}

/* A ClientHello with SNI "db.internal.example" on port 443. */
static size_t client_hello(uint8_t *p)
{
	static const char name[] = "db.internal.example";
	size_t nl = strlen(name), ext = 9 + nl,
	       hs = 2 + 32 + 1 + 4 + 2 + 2 + ext;
	size_t i = 0;

	p[i++] = 22;
	p[i++] = 3;
	p[i++] = 1;
	tw_put_be16(p + i, (uint16_t)(4 + hs));
	i += 2;
	p[i++] = 1;
	p[i++] = 0;
	tw_put_be16(p + i, (uint16_t)hs);
	i += 2;
	p[i++] = 3;
	p[i++] = 3;
	memset(p + i, 0xab, 32); /* random */
	i += 32;
	p[i++] = 0; /* session id */
	tw_put_be16(p + i, 2);
	tw_put_be16(p + i + 2, 0x1301);
	i += 4;
	p[i++] = 1;
	p[i++] = 0;
	tw_put_be16(p + i, (uint16_t)ext);
	i += 2;
	tw_put_be16(p + i, 0);
	tw_put_be16(p + i + 2, (uint16_t)(5 + nl));
	tw_put_be16(p + i + 4, (uint16_t)(3 + nl));
	p[i + 6] = 0;
	tw_put_be16(p + i + 7, (uint16_t)nl);
	memcpy(p + i + 9, name, nl);
	return i + 9 + nl;
}

static void test_tls_client_hello(void **state)
{
	static const char text[] = "version: 1\ntls: {server_name: "
	                           "pseudonymize}\n";
	struct tw_errbuf eb;
	struct tw_redactor *r;
	uint8_t hello[256], p[512], *pl = p + 66, copy[512];
	size_t hl = client_hello(hello);
	uint32_t len, n;

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 0)
			use_default_policy();
		else
			assert_int_equal(tw_policy_parse(&pol, "t", text,
			                                 strlen(text), &eb),
			                 0);
		r = redactor();
		len = n = (uint32_t)build_tcp4(p, 50000, 443, hello, hl);
		assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, p, &n),
		                 0);
		/* Record and handshake headers, version, suites kept. */
		assert_memory_equal(pl, hello, 11);
		assert_false(contains(p, n, "internal", 8));
		assert_false(contains(p, n, "\xab\xab\xab\xab", 4));
		assert_int_equal(tw_be16(pl + 11 + 32 + 1 + 2), 0x1301);
		assert_true(l4_ok(p + 14, 4, 6, p + 34, len - 34));
		if (pass == 1) {
			/* Same shape: dots where they were. */
			assert_int_equal(pl[hl - 17], '.');
			assert_int_equal(pl[hl - 8], '.');
			memcpy(copy, p, n);
			n = len =
			        (uint32_t)build_tcp4(p, 50000, 443, hello, hl);
			tw_redact_packet(r, TW_LINK_ETHERNET, p, &n);
			assert_memory_equal(copy + 66, pl, hl); /* stable */
		} else {
			assert_int_equal(pl[hl - 8], 0);
		}
		assert_int_equal(tw_redactor_stats(r)->sni, pass + 1);
		tw_redactor_free(r);
	}
}

static void test_unknown_link_and_ethertype_zeroed(void **state)
{
	struct tw_redactor *r;
	uint8_t p[64];
	uint32_t n = 64;

	(void)state;
	use_default_policy();
	r = redactor();
	memset(p, 0x5a, sizeof(p));
	assert_int_equal(tw_redact_packet(r, 147, p, &n), 0);
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(p[i], 0);
	memset(p, 0x5a, sizeof(p));
	put_eth(p, MAC_A, MAC_B, 0x88cc); /* LLDP: not decoded */
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, p, &n), 0);
	for (size_t i = 14; i < 64; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(tw_redactor_stats(r)->zero_packets[TW_ZR_NOT_IP], 2);
	tw_redactor_free(r);
}

/* GRE with a checksum (RFC 2784) at 34 carrying IPv4/UDP at 42. */
static size_t build_gre(uint8_t *p)
{
	uint8_t *oip = p + 14, *gre = p + 34, *iip = p + 42, *udp = p + 62;
	size_t ulen = 8 + sizeof(SECRET), n = 62 + ulen;

	put_eth(p, MAC_A, MAC_B, 0x0800);
	put_ip4(oip, IP_A, IP_B, 47, 8 + 20 + ulen);
	memset(gre, 0, 8);
	gre[0] = 0x80; /* C */
	tw_put_be16(gre + 2, 0x0800);
	put_ip4(iip, IP_B, IP_A, 17, ulen);
	tw_put_be16(udp, 1111);
	tw_put_be16(udp + 2, 2222);
	tw_put_be16(udp + 4, (uint16_t)ulen);
	tw_put_be16(udp + 6, 0);
	memcpy(udp + 8, SECRET, sizeof(SECRET));
	fix_l4(iip, 4, 17, udp, ulen);
	tw_put_be16(gre + 4, tw_cksum_fold(tw_cksum_add(0, gre, n - 34)));
	return n;
}

static void test_gre_checksum_and_inner(void **state)
{
	struct tw_redactor *r;
	uint8_t p[256], *oip = p + 14, *gre = p + 34, *iip = p + 42;
	uint32_t n = (uint32_t)build_gre(p);

	(void)state;
	use_default_policy();
	r = redactor();
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, p, &n), 0);
	expect_ip4(iip + 12, IP_B);
	expect_ip4(oip + 12, IP_A);
	assert_true(ip4_ok(oip));
	assert_true(ip4_ok(iip));
	assert_true(l4_ok(iip, 4, 17, p + 62, n - 62));
	/* The GRE checksum covers header and payload: sum is all ones. */
	assert_int_equal(tw_cksum_fold(tw_cksum_add(0, gre, n - 34)), 0);
	assert_false(contains(p, n, SECRET, 6));
	tw_redactor_free(r);
}

/* ICMPv6 packet too big at 54 quoting an IPv6/TCP packet at 62, cut. */
static size_t build_icmp6_error(uint8_t *p)
{
	uint8_t *ip = p + 14, *icmp = p + 54, *q = p + 62, seg[128];
	size_t tl = put_tcp(seg, 443, 50000, 1, 2, SECRET, sizeof(SECRET));
	size_t qlen = 40 + 40; /* quoted: header and 40 bytes of TCP */

	put_eth(p, MAC_A, MAC_B, 0x86dd);
	put_ip6(q, IP6_B, IP6_A, 6, tl);
	fix_l4(q, 6, 6, seg, tl);
	memcpy(q + 40, seg, 40);
	memset(icmp, 0, 8);
	icmp[0] = 2;
	tw_put_be32(icmp + 4, 1280);
	put_ip6(ip, IP6_A, IP6_B, 58, 8 + qlen);
	fix_l4(ip, 6, 58, icmp, 8 + qlen);
	return 62 + qlen;
}

static void test_icmp6_error_quoted_header(void **state)
{
	struct tw_redactor *r;
	uint8_t p[512], *ip = p + 14, *icmp = p + 54, *q = p + 62;
	uint32_t n = (uint32_t)build_icmp6_error(p);

	(void)state;
	use_default_policy();
	r = redactor();
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, p, &n), 0);
	expect_ip6(ip + 8, IP6_A);
	expect_ip6(q + 8, IP6_B);
	expect_ip6(q + 24, IP6_A);
	assert_true(l4_ok(ip, 6, 58, icmp, n - 54));
	assert_int_equal(tw_be32(icmp + 4), 1280);
	assert_int_equal(tw_be16(q + 40), 443);
	assert_false(contains(p, n, IP6_A, 16));
	assert_false(contains(p, n, IP6_B, 16));
	assert_false(contains(p, n, "SECR", 4));
	tw_redactor_free(r);
}

/*
 * A TCP segment cut by the snaplen: its checksum cannot be recomputed,
 * so it is updated for what changed (RFC 1624).  It must be the checksum
 * of the redacted bytes followed by the original bytes that were never
 * captured, as the segment was on the wire.
 */
static void test_cut_segment_updated_incrementally(void **state)
{
	struct tw_redactor *r;
	uint8_t p[256], wire[256];
	uint32_t len = (uint32_t)build_tcp4(p, 9, 10, SECRET, sizeof(SECRET));
	uint32_t n = len - 6;

	(void)state;
	use_default_policy();
	r = redactor();
	memcpy(wire, p, len);
	assert_int_equal(tw_redact_packet(r, TW_LINK_ETHERNET, p, &n), 0);
	assert_int_equal(n, len - 6);
	assert_int_equal(tw_redactor_stats(r)->cksum_incremental, 1);
	memcpy(wire, p, n);
	assert_true(l4_ok(wire + 14, 4, 6, wire + 34, len - 34));
	tw_redactor_free(r);
}

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static size_t build_plain_tcp4(uint8_t *p)
{
	return build_tcp4(p, 1234, 80, SECRET, sizeof(SECRET));
}

static size_t build_tls(uint8_t *p)
{
	uint8_t hello[256];
	size_t hl = client_hello(hello);

	memcpy(hello + hl, SECRET, sizeof(SECRET)); /* after the record */
	return build_tcp4(p, 50000, 443, hello, hl + sizeof(SECRET));
}

/*
 * Fail closed: valid packets of every kind, cut at every length and with
 * random bytes of their headers flipped, never show the payload, the
 * addresses or the MACs they carried.
 */
static void test_malformed_never_leaks(void **state)
{
	static size_t (*const builders[])(uint8_t *) = {
		build_plain_tcp4,  build_vxlan, build_gre,
		build_icmp6_error, build_tls,
	};
	struct tw_redactor *r;
	uint8_t base[512], p[512];

	(void)state;
	use_default_policy();
	r = redactor();
	for (size_t b = 0; b < sizeof(builders) / sizeof(builders[0]); b++) {
		uint32_t len = (uint32_t)builders[b](base);
		uint32_t hdrs =
		        (uint32_t)((uint8_t *)memmem(base, len, SECRET, 4) -
		                   base);

		for (int t = 0; t < 20000; t++) {
			uint32_t n = t < (int)len ? (uint32_t)t : len;

			memcpy(p, base, len);
			for (int f = 0; t >= (int)len && f < 1 + t % 3; f++)
				p[12 + rnd() % (hdrs - 12)] ^=
				        (uint8_t)(1 + rnd() % 255);
			assert_int_equal(
			        tw_redact_packet(r, TW_LINK_ETHERNET, p, &n),
			        0);
			if (contains(p, n, "SECR", 4) ||
			    contains(p, n, "CRET", 4))
				fail_msg("packet %zu, try %d: payload", b, t);
			if (contains(p, n, MAC_A, 6) ||
			    contains(p, n, MAC_B, 6))
				fail_msg("packet %zu, try %d: MAC", b, t);
			if (contains(p, n, IP6_A, 16) ||
			    contains(p, n, IP6_B, 16) ||
			    contains(p, n, IP_A, 4) || contains(p, n, IP_B, 4))
				fail_msg("packet %zu, try %d: address", b, t);
		}
	}
	tw_redactor_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4_everything),
		cmocka_unit_test(test_timestamps_echo_consistently),
		cmocka_unit_test(test_bad_checksums_stay_bad),
		cmocka_unit_test(test_icmp_error_quoted_header),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_ndp),
		cmocka_unit_test(test_vxlan_inner_packet),
		cmocka_unit_test(test_special_addresses),
		cmocka_unit_test(test_ipv4_mapped_agrees_with_ipv4),
		cmocka_unit_test(test_keep_ranges_and_ports),
		cmocka_unit_test(test_truncate_policy),
		cmocka_unit_test(test_tls_client_hello),
		cmocka_unit_test(test_unknown_link_and_ethertype_zeroed),
		cmocka_unit_test(test_gre_checksum_and_inner),
		cmocka_unit_test(test_icmp6_error_quoted_header),
		cmocka_unit_test(test_cut_segment_updated_incrementally),
		cmocka_unit_test(test_malformed_never_leaks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
