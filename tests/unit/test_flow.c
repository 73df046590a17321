/*
 * test_flow.c - flow keys, their hash, and the flow table.
 *
 * Keys are built from packets of the public captures in the corpus (the
 * packet number in the file is given; bytes taken with tshark -x), both
 * directions of a conversation each.  The hash is checked against
 * SipHash-1-3 as CPython computes it (hash() of bytes under
 * PYTHONHASHSEED=0 is SipHash-1-3 with a zero key), and for mixing.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace/decode.h"
#include "trace/error.h"
#include "trace/flow.h"
#include "trace/packet.h"

#include "corpus_packets.h"

/* trex-dns #2, all 93 bytes: UDP reply */
static const uint8_t dns_reply[] = {
	0x00, 0x15, 0x17, 0xa7, 0x75, 0xa3, 0xe0, 0x5f, 0xb9, 0x69, 0xe9, 0x22,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x4b, 0x38, 0xd6, 0x00, 0x00, 0x7e, 0x11,
	0xd8, 0xbe, 0x16, 0x00, 0x00, 0x0c, 0x15, 0x00, 0x00, 0x02, 0x00, 0x35,
	0x04, 0x06, 0x00, 0x37, 0xad, 0xf7, 0x00, 0x30, 0x84, 0x80, 0x00, 0x01,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x77, 0x77, 0x77, 0x05, 0x63,
	0x69, 0x73, 0x63, 0x6f, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00,
	0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x04, 0x64, 0x64, 0x64, 0x64, 0x6d, 0x80, 0x1c, 0xbd,
};

/* arkime-twovlan #2, all 82 bytes: TCP SYN-ACK */
static const uint8_t tcp_synack[] = {
	0x00, 0x0c, 0x29, 0xc1, 0x2d, 0x24, 0x00, 0x09, 0x0f, 0xdb, 0xf4, 0x3e,
	0x81, 0x00, 0x00, 0xc9, 0x81, 0x00, 0x90, 0xc8, 0x08, 0x00, 0x45, 0x00,
	0x00, 0x3c, 0x00, 0x00, 0x40, 0x00, 0x36, 0x06, 0x0d, 0x31, 0x0a, 0x00,
	0x00, 0x02, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x50, 0xd4, 0x96, 0x4e, 0xd7,
	0x79, 0x08, 0xc1, 0x27, 0xfd, 0xe8, 0xa0, 0x12, 0x71, 0x20, 0x15, 0x1d,
	0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x87, 0x2d,
	0x7a, 0x1a, 0x3f, 0x02, 0xee, 0x03, 0x01, 0x03, 0x03, 0x09,
};

/* arkime-ipv6-in-ipv4 #2, all 134 bytes: ICMPv6 echo reply in IPv4 */
static const uint8_t v6in4_rep[] = {
	0xc2, 0x00, 0x42, 0x02, 0x00, 0x00, 0xc2, 0x01, 0x42, 0x02, 0x00, 0x00,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x78, 0x00, 0x09, 0x00, 0x00, 0xff, 0x29,
	0xa7, 0x51, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01, 0x60, 0x00,
	0x00, 0x00, 0x00, 0x3c, 0x3a, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x81, 0x00, 0x7d, 0x8f, 0x18, 0xdc, 0x00, 0x00, 0x00, 0x01,
	0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
	0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
	0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31,
	0x32, 0x33,
};

/* Decodes an Ethernet packet and builds its key; the key must exist. */
static void key_of(const uint8_t *p, size_t len, struct tw_flow_key *key,
                   int *dir)
{
	struct tw_decoded d;

	tw_decode(p, (uint32_t)len, TW_LINK_ETHERNET, &d);
	assert_true(tw_flow_key_of(p, &d, key, dir));
}

static void test_key_udp_both_ways(void **state)
{
	static const uint8_t a0[4] = { 21, 0, 0, 2 }, a1[4] = { 22, 0, 0, 12 };
	struct tw_flow_key q, r;
	int dq = -1, dr = -1;

	(void)state;
	key_of(dns_query, sizeof(dns_query), &q, &dq);
	key_of(dns_reply, sizeof(dns_reply), &r, &dr);

	/* 21.0.0.2 sorts first: the query comes from endpoint 0. */
	assert_true(tw_flow_key_eq(&q, &r));
	assert_int_equal(dq, 0);
	assert_int_equal(dr, 1);
	assert_memory_equal(q.addr[0], a0, 4);
	assert_memory_equal(q.addr[1], a1, 4);
	assert_int_equal(q.port[0], 1030);
	assert_int_equal(q.port[1], 53);
	assert_int_equal(q.proto, TW_IPPROTO_UDP);
	assert_int_equal(q.version, 4);
	assert_int_equal(q.pad[0] | q.pad[1], 0);
	for (int i = 4; i < 16; i++)
		assert_int_equal(q.addr[0][i] | q.addr[1][i], 0);
	assert_int_equal(tw_flow_hash(&q, 7), tw_flow_hash(&r, 7));
}

static void test_key_tcp_both_ways(void **state)
{
	struct tw_flow_key s, sa;
	int ds = -1, dsa = -1;

	(void)state;
	key_of(twovlan_syn, sizeof(twovlan_syn), &s, &ds);
	key_of(tcp_synack, sizeof(tcp_synack), &sa, &dsa);

	assert_true(tw_flow_key_eq(&s, &sa));
	assert_int_equal(ds, 0);
	assert_int_equal(dsa, 1);
	assert_int_equal(s.port[0], 54422);
	assert_int_equal(s.port[1], 80);
	assert_int_equal(s.proto, TW_IPPROTO_TCP);
}

/* The key is the inner packet's; ICMPv6 has no ports. */
static void test_key_tunnel_icmpv6(void **state)
{
	struct tw_flow_key q, r;
	int dq = -1, dr = -1;

	(void)state;
	key_of(v6in4_echo, sizeof(v6in4_echo), &q, &dq);
	key_of(v6in4_rep, sizeof(v6in4_rep), &r, &dr);

	assert_true(tw_flow_key_eq(&q, &r));
	assert_int_equal(dq, 0);
	assert_int_equal(dr, 1);
	assert_int_equal(q.version, 6);
	assert_int_equal(q.proto, TW_IPPROTO_ICMPV6);
	assert_int_equal(q.port[0], 0);
	assert_int_equal(q.port[1], 0);
	assert_int_equal(q.addr[0][15], 1);
	assert_int_equal(q.addr[1][15], 2);
}

/* Same address on both ends (loopback): the ports decide. */
static void test_key_same_address(void **state)
{
	uint8_t p[sizeof(dns_query)];
	struct tw_flow_key a, b;
	int da = -1, db = -1;

	(void)state;
	memcpy(p, dns_query, sizeof(p));
	memcpy(p + 30, p + 26, 4);
	key_of(p, sizeof(p), &a, &da);

	/* Swap the ports: the other direction. */
	memcpy(p + 34, dns_query + 36, 2);
	memcpy(p + 36, dns_query + 34, 2);
	key_of(p, sizeof(p), &b, &db);

	assert_true(tw_flow_key_eq(&a, &b));
	assert_int_equal(a.port[0], 53);
	assert_int_equal(a.port[1], 1030);
	assert_int_equal(da, 1);
	assert_int_equal(db, 0);
}

/* A later fragment has no ports; a non-IP frame has no key. */
static void test_key_without_ports(void **state)
{
	uint8_t p[sizeof(dns_query)];
	struct tw_decoded d;
	struct tw_flow_key k;
	int dir = -1;

	(void)state;
	memcpy(p, dns_query, sizeof(p));
	p[20] = 0x00;
	p[21] = 0xb9;
	key_of(p, sizeof(p), &k, &dir);
	assert_int_equal(k.port[0] | k.port[1], 0);
	assert_int_equal(k.proto, TW_IPPROTO_UDP);
	assert_int_equal(dir, 0);

	p[12] = 0x08;
	p[13] = 0x06;
	tw_decode(p, sizeof(p), TW_LINK_ETHERNET, &d);
	assert_false(tw_flow_key_of(p, &d, &k, &dir));
	assert_false(tw_flow_key_of(p, &d, &k, NULL));
}

static void test_key_ipv6_udp(void **state)
{
	struct tw_flow_key k;
	int dir = -1;
	char s[TW_FLOW_KEY_STRLEN];

	(void)state;
	key_of(rh_udp, sizeof(rh_udp), &k, &dir);

	/* Sent by 2200::244:..., which sorts after 2200::211:.... */
	assert_int_equal(dir, 1);
	assert_string_equal(tw_flow_key_str(&k, s, sizeof(s)),
	                    "UDP [2200::211:2:0:0:2]:5642 <-> "
	                    "[2200::244:212:3fff:feae:22f7]:5645");
}

/* key from an address pair, ports and protocol, endpoint 0 first. */
static struct tw_flow_key make_key(int version, const char *a, uint16_t pa,
                                   const char *b, uint16_t pb, uint8_t proto)
{
	struct tw_flow_key k;
	int af = version == 6 ? AF_INET6 : AF_INET;

	memset(&k, 0, sizeof(k));
	assert_int_equal(inet_pton(af, a, k.addr[0]), 1);
	assert_int_equal(inet_pton(af, b, k.addr[1]), 1);
	k.port[0] = pa;
	k.port[1] = pb;
	k.proto = proto;
	k.version = (uint8_t)version;
	return k;
}

/*
 * Expected values: hash() of the 40-byte encoding in CPython 3.11 under
 * PYTHONHASHSEED=0 for seed 0; for the other seed, a Python SipHash-1-3
 * checked against that and against the SipHash-2-4 vector of the paper.
 */
static void test_hash_vectors(void **state)
{
	struct tw_flow_key u =
	        make_key(4, "21.0.0.2", 1030, "22.0.0.12", 53, TW_IPPROTO_UDP);
	struct tw_flow_key t = make_key(6, "2001:db8::1", 443, "2001:db8::2",
	                                51000, TW_IPPROTO_TCP);

	(void)state;
	assert_int_equal(tw_flow_hash(&u, 0), 0xdb9e3638b6bebcdfull);
	assert_int_equal(tw_flow_hash(&t, 0), 0x72903ecee0b30f9cull);
	assert_int_equal(tw_flow_hash(&u, 0x0123456789abcdefull),
	                 0x8535ed338545aa96ull);
	assert_int_equal(tw_flow_hash(&t, 0x0123456789abcdefull),
	                 0x7974aeab521f0569ull);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static void random_key(struct tw_flow_key *k)
{
	uint64_t w[4] = { rng(), rng(), rng(), rng() };

	memset(k, 0, sizeof(*k));
	memcpy(k->addr, w, sizeof(w));
	k->port[0] = (uint16_t)rng();
	k->port[1] = (uint16_t)rng();
	k->proto = (uint8_t)rng();
	k->version = 6;
}

/* Flips bit i of the key's 37 meaningful bytes (addresses, ports,
 * protocol). */
static void flip_bit(struct tw_flow_key *k, int i)
{
	uint8_t *p;

	if (i < 256)
		p = &k->addr[i / 128][(i % 128) / 8];
	else if (i < 288)
		p = (uint8_t *)&k->port[(i - 256) / 16] + ((i - 256) % 16) / 8;
	else
		p = &k->proto;
	*p ^= (uint8_t)(1 << (i % 8));
}

/*
 * Avalanche: flipping any one input bit flips each output bit with
 * probability close to 1/2.  Over 300 keys x 296 bits each output bit
 * is tried 88800 times; 0.5 +- 0.02 is beyond 10 standard deviations.
 */
static void test_hash_avalanche(void **state)
{
	static unsigned flips[64];
	const int nkeys = 300, nbits = 296;
	struct tw_flow_key k, k2;
	int n, i, b;

	(void)state;
	for (n = 0; n < nkeys; n++) {
		random_key(&k);
		uint64_t h = tw_flow_hash(&k, 0);

		for (i = 0; i < nbits; i++) {
			k2 = k;
			flip_bit(&k2, i);
			uint64_t x = h ^ tw_flow_hash(&k2, 0);

			for (b = 0; b < 64; b++)
				flips[b] += (unsigned)(x >> b & 1);
		}
	}
	for (b = 0; b < 64; b++) {
		double p = flips[b] / (double)(nkeys * nbits);

		if (p < 0.48 || p > 0.52)
			fail_msg("output bit %d flips with p = %.4f", b, p);
	}
}

/*
 * Sequential keys (one host talking to 65536 ports of another, the
 * worst case for a weak hash) spread evenly over 256 shards, whichever
 * byte of the hash picks the shard: chi-square with 255 degrees of
 * freedom stays under 400 (p < 1e-7 by chance).
 */
static void test_hash_spread(void **state)
{
	static unsigned shard[8][256];
	struct tw_flow_key k =
	        make_key(4, "198.18.0.1", 0, "198.18.0.2", 443, TW_IPPROTO_TCP);
	const double expect = 65536 / 256.0;
	int i, s;

	(void)state;
	for (i = 0; i < 65536; i++) {
		k.port[0] = (uint16_t)i;
		uint64_t h = tw_flow_hash(&k, 42);

		for (s = 0; s < 8; s++)
			shard[s][h >> (8 * s) & 0xff]++;
	}
	for (s = 0; s < 8; s++) {
		double chi = 0;

		for (i = 0; i < 256; i++) {
			double d = shard[s][i] - expect;

			chi += d * d / expect;
		}
		if (chi > 400)
			fail_msg("byte %d of the hash: chi-square %.1f", s,
			         chi);
	}
}

static void test_hash_seed(void **state)
{
	struct tw_flow_key k =
	        make_key(4, "198.18.0.1", 1, "198.18.0.2", 2, TW_IPPROTO_UDP);

	(void)state;
	assert_int_not_equal(tw_flow_hash(&k, 1), tw_flow_hash(&k, 2));
	assert_int_equal(tw_flow_hash(&k, 1), tw_flow_hash(&k, 1));
}

static void test_key_str(void **state)
{
	struct tw_flow_key k;
	char s[TW_FLOW_KEY_STRLEN], small[12];

	(void)state;
	k = make_key(4, "198.18.0.1", 443, "198.18.0.2", 51000, TW_IPPROTO_TCP);
	assert_string_equal(tw_flow_key_str(&k, s, sizeof(s)),
	                    "TCP 198.18.0.1:443 <-> 198.18.0.2:51000");

	k = make_key(4, "198.18.0.1", 0, "198.18.0.2", 0, TW_IPPROTO_ICMP);
	assert_string_equal(tw_flow_key_str(&k, s, sizeof(s)),
	                    "ICMP 198.18.0.1 <-> 198.18.0.2");

	k = make_key(6, "2001:db8::1", 0, "2001:db8::2", 0, TW_IPPROTO_ICMPV6);
	assert_string_equal(tw_flow_key_str(&k, s, sizeof(s)),
	                    "ICMPv6 2001:db8::1 <-> 2001:db8::2");

	k = make_key(6, "2001:db8::1", 0, "2001:db8::2", 0, 132);
	assert_string_equal(tw_flow_key_str(&k, s, sizeof(s)),
	                    "ip-proto-132 2001:db8::1 <-> 2001:db8::2");

	/* Cut to fit, always terminated. */
	k = make_key(4, "198.18.0.1", 443, "198.18.0.2", 51000, TW_IPPROTO_TCP);
	assert_ptr_equal(tw_flow_key_str(&k, small, sizeof(small)), small);
	assert_string_equal(small, "TCP 198.18.");
	assert_ptr_equal(tw_flow_key_str(&k, small, 0), small);
}

/* The longest key string fits in TW_FLOW_KEY_STRLEN. */
static void test_key_str_longest(void **state)
{
	const char *a = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe";
	const char *b = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
	struct tw_flow_key k;
	char s[TW_FLOW_KEY_STRLEN];
	uint8_t proto[] = { TW_IPPROTO_UDP, 253 };

	(void)state;
	for (int i = 0; i < 2; i++) {
		k = make_key(6, a, 65535, b, 65535, proto[i]);
		tw_flow_key_str(&k, s, sizeof(s));
		assert_true(strlen(s) < sizeof(s) - 1);
		assert_non_null(strstr(s, b));
	}
}

struct counter {
	uint64_t packets;
	uint32_t n;
	uint8_t odd[5];
};

static struct tw_flow_key nth_key(uint32_t n)
{
	struct tw_flow_key k =
	        make_key(4, "198.18.0.1", 0, "198.19.0.0", 0, TW_IPPROTO_TCP);

	k.addr[1][2] = (uint8_t)(n >> 16);
	k.addr[1][3] = (uint8_t)(n >> 8);
	k.port[1] = (uint16_t)n;
	return k;
}

struct walk {
	uint32_t next;
	uint32_t stop_at;
};

/* Entries come back in insertion order, each with its own value. */
static int walk_fn(const struct tw_flow_key *key, void *value, void *arg)
{
	struct walk *w = arg;
	struct counter *c = value;
	struct tw_flow_key want = nth_key(w->next);

	assert_true(tw_flow_key_eq(key, &want));
	assert_int_equal(c->n, w->next);
	assert_int_equal(c->packets, w->next + 1);
	w->next++;
	return w->next == w->stop_at ? 99 : 0;
}

/* Several thousand flows: doubling from 64 slots many times over. */
static void test_table_growth(void **state)
{
	const uint32_t n = 20000;
	struct tw_flow_table *t = tw_flow_table_new(sizeof(struct counter), 0);
	struct walk w = { 0, 0 };
	struct counter *c;
	bool created;
	int err = 0;
	uint32_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < n; i++) {
		struct tw_flow_key k = nth_key(i);

		c = tw_flow_table_get(t, &k, &created, &err);
		assert_non_null(c);
		assert_true(created);
		assert_true((uintptr_t)c % _Alignof(max_align_t) == 0);
		assert_int_equal(c->packets | c->n, 0);
		c->n = i;
		c->packets = i;
	}
	assert_int_equal(tw_flow_table_count(t), n);

	/* Found again, values kept across the table's growth. */
	for (i = 0; i < n; i++) {
		struct tw_flow_key k = nth_key(i);

		c = tw_flow_table_get(t, &k, &created, &err);
		assert_non_null(c);
		assert_false(created);
		assert_int_equal(c->n, i);
		c->packets++;
		assert_ptr_equal(tw_flow_table_find(t, &k), c);
	}
	assert_int_equal(tw_flow_table_count(t), n);

	struct tw_flow_key absent = nth_key(n);

	assert_null(tw_flow_table_find(t, &absent));
	assert_int_equal(tw_flow_table_each(t, walk_fn, &w), 0);
	assert_int_equal(w.next, n);

	w.next = 0;
	w.stop_at = 1234;
	assert_int_equal(tw_flow_table_each(t, walk_fn, &w), 99);
	assert_int_equal(w.next, 1234);
	tw_flow_table_free(t);
}

static void test_table_limit(void **state)
{
	struct tw_flow_table *t = tw_flow_table_new(3, 1000);
	struct tw_flow_key k;
	bool created = true;
	int err = 0;
	uint32_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 1000; i++) {
		k = nth_key(i);
		assert_non_null(tw_flow_table_get(t, &k, NULL, &err));
	}

	k = nth_key(1000);
	assert_null(tw_flow_table_get(t, &k, &created, &err));
	assert_int_equal(err, TW_ELIMIT);
	assert_false(created);
	assert_null(tw_flow_table_get(t, &k, NULL, NULL));
	assert_int_equal(tw_flow_table_count(t), 1000);

	/* A full table still finds what it holds. */
	k = nth_key(999);
	assert_non_null(tw_flow_table_get(t, &k, &created, &err));
	assert_false(created);
	tw_flow_table_free(t);
}

/* No value at all, as `tracewarp info` counts flows: still non-NULL. */
static void test_table_no_value(void **state)
{
	struct tw_flow_table *t = tw_flow_table_new(0, 0);
	struct tw_flow_key a, b;
	bool created;
	int dir;

	(void)state;
	assert_non_null(t);
	key_of(dns_query, sizeof(dns_query), &a, &dir);
	key_of(dns_reply, sizeof(dns_reply), &b, &dir);
	assert_non_null(tw_flow_table_get(t, &a, &created, NULL));
	assert_true(created);
	assert_non_null(tw_flow_table_get(t, &b, &created, NULL));
	assert_false(created);
	assert_int_equal(tw_flow_table_count(t), 1);
	tw_flow_table_free(t);
	tw_flow_table_free(NULL);
}

static void test_table_too_big(void **state)
{
	(void)state;
	assert_null(tw_flow_table_new(SIZE_MAX - 8, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_udp_both_ways),
		cmocka_unit_test(test_key_tcp_both_ways),
		cmocka_unit_test(test_key_tunnel_icmpv6),
		cmocka_unit_test(test_key_same_address),
		cmocka_unit_test(test_key_without_ports),
		cmocka_unit_test(test_key_ipv6_udp),
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_hash_avalanche),
		cmocka_unit_test(test_hash_spread),
		cmocka_unit_test(test_hash_seed),
		cmocka_unit_test(test_key_str),
		cmocka_unit_test(test_key_str_longest),
		cmocka_unit_test(test_table_growth),
		cmocka_unit_test(test_table_limit),
		cmocka_unit_test(test_table_no_value),
		cmocka_unit_test(test_table_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
