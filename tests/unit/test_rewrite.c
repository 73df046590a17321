/*
 * test_rewrite.c - rewrites on the way out, judged by recomputing every
 * checksum from scratch after the incremental updates.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pktbuild.h"
#include "replay/rewrite.h"
#include "trace/error.h"
#include "trace/packet.h"

#define CAP 2048

static void addr(const char *s, uint8_t *out)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) != 1)
		assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

static struct pkt_spec spec(int version, uint8_t proto, const char *src,
                            const char *dst, uint16_t sport, uint16_t dport)
{
	struct pkt_spec s = { .version = version,
		              .proto = proto,
		              .sport = sport,
		              .dport = dport,
		              .payload = 37,
		              .fill = 0xa5 };

	addr(src, s.src);
	addr(dst, s.dst);
	return s;
}

/* Decodes, rewrites and checks checksums; returns the new length. */
static uint32_t rewrite(const struct tw_rewrite *rw, uint8_t *buf, uint32_t len)
{
	struct tw_decoded d;

	assert_true(tw_decode(buf, len, TW_LINK_ETHERNET, &d));
	assert_int_equal(
	        tw_rewrite_apply(rw, buf, &len, CAP, TW_LINK_ETHERNET, &d), 0);
	assert_true(pkt_cksums_ok(buf, len));
	return len;
}

static void expect_addrs(const uint8_t *buf, uint32_t l3, int version,
                         const char *src, const char *dst)
{
	uint8_t a[16], b[16];
	uint32_t alen = version == 4 ? 4 : 16;
	uint32_t off = l3 + (version == 4 ? 12 : 8);

	addr(src, a);
	addr(dst, b);
	assert_memory_equal(buf + off, a, alen);
	assert_memory_equal(buf + off + alen, b, alen);
}

/* One prefix map, both directions of TCP, UDP and ICMP, v4 and v6. */
static void test_ip_map(void **state)
{
	static const struct {
		int version;
		uint8_t proto;
		const char *map, *src, *dst, *want_src, *want_dst;
	} t[] = {
		{ 4, 6, "10.1.0.0/16:198.18.0.0/16", "10.1.2.3", "10.9.0.1",
		  "198.18.2.3", "10.9.0.1" },
		{ 4, 6, "10.1.0.0/16:198.18.0.0/16", "10.9.0.1", "10.1.2.3",
		  "10.9.0.1", "198.18.2.3" },
		{ 4, 17, "10.1.0.0/16:198.19.0.0/16", "10.1.0.5", "10.1.0.9",
		  "198.19.0.5", "198.19.0.9" },
		{ 4, 1, "10.0.0.0/9:198.0.0.0/9", "10.1.2.3", "10.200.0.1",
		  "198.1.2.3", "10.200.0.1" },
		{ 4, 6, "10.1.2.3/32:198.18.0.7/32", "10.1.2.3", "10.1.2.4",
		  "198.18.0.7", "10.1.2.4" },
		{ 4, 17, "0.0.0.0/0:0.0.0.0/0", "10.1.2.3", "10.1.2.4",
		  "10.1.2.3", "10.1.2.4" },
		{ 6, 6, "2001:db8:1::/48:2001:db8:2::/48", "2001:db8:1::5",
		  "2001:db8:9::1", "2001:db8:2::5", "2001:db8:9::1" },
		{ 6, 17, "2001:db8:1::/48:2001:db8:2::/48", "2001:db8:9::1",
		  "2001:db8:1:ffff::1", "2001:db8:9::1", "2001:db8:2:ffff::1" },
		{ 6, 58, "2001:db8::/33:2001:db8:8000::/33", "2001:db8::1",
		  "2001:db8::2", "2001:db8:8000::1", "2001:db8:8000::2" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tw_rewrite rw = { 0 };
		struct pkt_spec s = spec(t[i].version, t[i].proto, t[i].src,
		                         t[i].dst, 40000, 443);
		uint8_t buf[CAP];
		uint32_t len = pkt_build(&s, buf);

		assert_int_equal(tw_rewrite_add_ip_map(&rw, t[i].map, NULL), 0);
		assert_int_equal(rewrite(&rw, buf, len), len);
		expect_addrs(buf, 14, t[i].version, t[i].want_src,
		             t[i].want_dst);
	}
}

static void test_udp_zero_and_ports(void **state)
{
	struct tw_rewrite rw = { 0 };
	struct pkt_spec s = spec(4, 17, "10.1.0.1", "10.2.0.1", 5353, 53);
	uint8_t buf[CAP];
	uint32_t len;

	(void)state;
	assert_int_equal(
	        tw_rewrite_add_ip_map(&rw, "10.1.0.0/16:10.3.0.0/16", NULL), 0);
	assert_int_equal(
	        tw_rewrite_add_port_map(&rw, "53:5300,5353:6000", NULL), 0);
	s.udp_zero = true;
	len = pkt_build(&s, buf);
	rewrite(&rw, buf, len);
	assert_int_equal(get16(buf + 34 + 6), 0); /* still "no checksum" */
	assert_int_equal(get16(buf + 34), 6000);
	assert_int_equal(get16(buf + 36), 5300);

	s = spec(6, 6, "2001:db8::1", "2001:db8::2", 80, 1234);
	len = pkt_build(&s, buf);
	rewrite(&rw, buf, len);
	assert_int_equal(get16(buf + 54), 80);
}

static void test_mac_and_vlan(void **state)
{
	struct tw_rewrite rw = { 0 };
	struct pkt_spec s = spec(4, 17, "10.1.0.1", "10.2.0.1", 1000, 2000);
	uint8_t buf[CAP];
	uint32_t len, len0;

	(void)state;
	assert_int_equal(tw_rewrite_parse_mac("02:aa:bb:cc:dd:ee", rw.src_mac),
	                 0);
	assert_int_equal(tw_rewrite_parse_mac("02:00:00:00:00:99", rw.dst_mac),
	                 0);
	rw.src_mac_set = rw.dst_mac_set = true;
	rw.vlan_op = TW_VLAN_ADD;
	rw.vlan_id = 100;
	len0 = pkt_build(&s, buf);
	len = rewrite(&rw, buf, len0);
	assert_int_equal(len, len0 + 4);
	assert_memory_equal(buf, "\x02\x00\x00\x00\x00\x99", 6);
	assert_memory_equal(buf + 6, "\x02\xaa\xbb\xcc\xdd\xee", 6);
	assert_int_equal(get16(buf + 12), 0x8100);
	assert_int_equal(get16(buf + 14), 100);
	assert_int_equal(get16(buf + 16), 0x0800);

	/* Set keeps the priority bits; strip pops the tag again. */
	put16(buf + 14, 0xe064);
	rw.vlan_op = TW_VLAN_SET;
	rw.vlan_id = 7;
	assert_int_equal(rewrite(&rw, buf, len), len);
	assert_int_equal(get16(buf + 14), 0xe007);
	rw.vlan_op = TW_VLAN_STRIP;
	assert_int_equal(rewrite(&rw, buf, len), len0);
	assert_int_equal(get16(buf + 12), 0x0800);
	assert_int_equal(rewrite(&rw, buf, len0), len0); /* nothing to pop */
}

/* A map from a prefix of the packet's source to a random prefix. */
static void random_map(const struct pkt_spec *s, uint64_t x, char *map,
                       size_t len)
{
	int af = s->version == 4 ? AF_INET : AF_INET6;
	unsigned plen = (unsigned)((x >> 44) % (s->version == 4 ? 33 : 129));
	uint8_t from[16], to[16];
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	memcpy(from, s->src, 16);
	for (int i = 0; i < 16; i++)
		to[i] = (uint8_t)(x >> (i * 4 + 1));
	/* Prefixes are written without host bits (the parser refuses
	 * them). */
	for (unsigned bit = plen; bit < 128; bit++) {
		from[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
		to[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	}
	inet_ntop(af, from, a, sizeof(a));
	inet_ntop(af, to, b, sizeof(b));
	snprintf(map, len, "%s/%u:%s/%u", a, plen, b, plen);
}

/* Thousands of random packets and maps, each checked from scratch. */
static void test_random(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		static const uint8_t protos[] = { 6, 17, 1, 58 };
		struct tw_rewrite rw = { 0 };
		struct pkt_spec s = { 0 };
		uint8_t buf[CAP];
		char map[128];
		uint32_t len;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		s.version = x & 1 ? 6 : 4;
		s.proto = protos[(x >> 1) & 3];
		if (s.version == 4 && s.proto == 58)
			s.proto = 17;
		if (s.version == 6 && s.proto == 1)
			s.proto = 6;
		for (int b = 0; b < 16; b++) {
			s.src[b] = (uint8_t)(x >> (b * 3));
			s.dst[b] = (uint8_t)(x >> (b * 2 + 7));
		}
		s.src[0] = s.version == 4 ? 10 : 0x20;
		s.sport = (uint16_t)(x >> 20);
		s.dport = (uint16_t)(x >> 36);
		s.payload = (uint16_t)((x >> 50) % 300);
		s.fill = (uint8_t)(x >> 8);
		s.vlan = (x >> 60) & 1 ? (uint16_t)(x >> 40) & 0xfff : 0;
		random_map(&s, x, map, sizeof(map));
		assert_int_equal(tw_rewrite_add_ip_map(&rw, map, NULL), 0);
		snprintf(map, sizeof(map), "%u:%u", s.sport,
		         (unsigned)(x >> 4) & 0xffff);
		assert_int_equal(tw_rewrite_add_port_map(&rw, map, NULL), 0);
		len = pkt_build(&s, buf);
		rewrite(&rw, buf, len);
	}
}

static void test_truncated(void **state)
{
	struct tw_rewrite rw = { 0 };
	struct pkt_spec s = spec(4, 6, "10.1.0.1", "10.2.0.1", 1000, 2000);
	uint8_t buf[CAP];
	uint32_t len = pkt_build(&s, buf);
	struct tw_decoded d;

	(void)state;
	assert_int_equal(
	        tw_rewrite_add_ip_map(&rw, "10.0.0.0/8:11.0.0.0/8", NULL), 0);
	assert_int_equal(tw_rewrite_add_port_map(&rw, "1000:1", NULL), 0);
	for (uint32_t cut = 0; cut < len; cut++) {
		uint32_t l = cut;

		tw_decode(buf, cut, TW_LINK_ETHERNET, &d);
		assert_int_equal(tw_rewrite_apply(&rw, buf, &l, cut,
		                                  TW_LINK_ETHERNET, &d),
		                 0);
		assert_int_equal(l, cut);
		s = spec(4, 6, "10.1.0.1", "10.2.0.1", 1000, 2000);
		pkt_build(&s, buf);
	}
}

/* A VXLAN datagram: the inner packet is rewritten, the outer UDP
 * checksum (valid before) becomes zero, the outer header stays valid. */
static void test_vxlan(void **state)
{
	struct tw_rewrite rw = { 0 };
	struct pkt_spec s = spec(4, 6, "10.1.0.1", "10.2.0.1", 1000, 443);
	uint8_t buf[CAP], inner[CAP];
	uint32_t ilen = pkt_build(&s, inner), len = 50 + ilen;
	struct tw_decoded d;

	(void)state;
	memset(buf, 0, 50);
	memcpy(buf, "\x02\0\0\0\0\2\x02\0\0\0\0\1\x08\0", 14);
	buf[14] = 0x45;
	put16(buf + 16, (uint16_t)(len - 14));
	buf[22] = 64;
	buf[23] = 17;
	memcpy(buf + 26, "\xc6\x12\0\1\xc6\x12\0\2", 8);
	put16(buf + 24, ref_fold(ref_sum(0, buf + 14, 20)));
	put16(buf + 34, 50000);
	put16(buf + 36, 4789);
	put16(buf + 38, (uint16_t)(len - 34));
	buf[42] = 0x08; /* VNI present */
	buf[48] = 0x01;
	memcpy(buf + 50, inner, ilen);
	put16(buf + 40, ref_fold(ref_sum(ref_pseudo(buf + 14, 4, 17, len - 34),
	                                 buf + 34, len - 34)));
	assert_true(pkt_cksums_ok(buf, len));

	assert_int_equal(
	        tw_rewrite_add_ip_map(&rw, "10.1.0.0/16:198.18.0.0/16", NULL),
	        0);
	tw_decode(buf, len, TW_LINK_ETHERNET, &d);
	assert_int_equal(d.tunnel_count, 1);
	assert_int_equal(
	        tw_rewrite_apply(&rw, buf, &len, CAP, TW_LINK_ETHERNET, &d), 0);
	assert_memory_equal(buf + 50 + 26, "\xc6\x12\0\1", 4);
	assert_true(pkt_cksums_ok(buf + 50, ilen));
	assert_int_equal(get16(buf + 40), 0);
	assert_true(pkt_cksums_ok(buf, len));
}

static void test_parse(void **state)
{
	static const struct {
		const char *spec;
		int rc;
	} ip[] = {
		{ "10.0.0.0/8:198.0.0.0/8", 0 },
		{ "10.0.0.0/8:198.18.0.0/8", TW_EINVAL },
		{ "2001:db8::/32:2001:db9::/32", 0 },
		{ "10.0.0.0/8:198.18.0.0/16", TW_EINVAL },
		{ "10.0.0.0/8:2001:db8::/8", TW_EINVAL },
		{ "10.0.0.0/33:10.0.0.0/33", TW_EINVAL },
		{ "10.0.0.0:10.0.0.1", TW_EINVAL },
		{ "10.0.0.0/8", TW_EINVAL },
		{ "junk/8:junk/8", TW_EINVAL },
		{ "10.0.0.0/8x:10.0.0.0/8", TW_EINVAL },
		{ "10.1.2.3/16:198.18.0.0/16", TW_EINVAL },
		{ "10.1.0.0/16:198.18.0.1/16", TW_EINVAL },
	}, port[] = {
		{ "80:8080", 0 },        { "1:2,3:4", 0 },
		{ "70000:1", TW_EINVAL }, { "80", TW_EINVAL },
		{ "80:", TW_EINVAL },    { "80:1,", TW_EINVAL },
		{ "-1:5", TW_EINVAL },   { "a:b", TW_EINVAL },
		{ "80:81,80:82", TW_EINVAL },
	};
	uint8_t mac[6];

	(void)state;
	for (size_t i = 0; i < sizeof(ip) / sizeof(ip[0]); i++) {
		struct tw_rewrite rw = { 0 };

		if (tw_rewrite_add_ip_map(&rw, ip[i].spec, NULL) != ip[i].rc)
			fail_msg("ip map '%s'", ip[i].spec);
	}
	for (size_t i = 0; i < sizeof(port) / sizeof(port[0]); i++) {
		struct tw_rewrite rw = { 0 };

		if (tw_rewrite_add_port_map(&rw, port[i].spec, NULL) !=
		    port[i].rc)
			fail_msg("port map '%s'", port[i].spec);
	}
	/* Overlapping maps (either side) would depend on option order. */
	{
		struct tw_rewrite rw = { 0 };
		const char *why = NULL;

		assert_int_equal(tw_rewrite_add_ip_map(
		                         &rw, "10.0.0.0/8:11.0.0.0/8", NULL),
		                 0);
		assert_int_equal(tw_rewrite_add_ip_map(
		                         &rw, "10.1.0.0/16:12.1.0.0/16", &why),
		                 TW_EINVAL);
		assert_non_null(strstr(why, "overlaps"));
		assert_int_equal(tw_rewrite_add_ip_map(
		                         &rw, "13.0.0.0/8:11.0.0.0/8", NULL),
		                 TW_EINVAL);
		assert_int_equal(
		        tw_rewrite_add_ip_map(
		                &rw, "2001:db8::/32:2001:db9::/32", NULL),
		        0);
	}
	assert_int_equal(tw_rewrite_parse_mac("02:00:00:00:00:0g", mac),
	                 TW_EINVAL);
	assert_int_equal(tw_rewrite_parse_mac("02:00:00:00:00", mac),
	                 TW_EINVAL);
	assert_int_equal(tw_rewrite_parse_mac("02:00:00:00:00:01:", mac),
	                 TW_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_map),
		cmocka_unit_test(test_udp_zero_and_ports),
		cmocka_unit_test(test_mac_and_vlan),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests_name("rewrite", tests, NULL, NULL);
}
