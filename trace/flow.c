/*
 * flow.c - flow keys, their hash, and the flow table.
 *
 * The table keeps its entries in one array in insertion order (key, hash,
 * caller's value) and indexes them with an open-addressing array of
 * slots probed linearly.  A slot holds the entry's number and the high
 * half of its hash, so a probe rarely touches an entry that does not
 * match.  Iteration walks the entry array: its order does not depend on
 * the hash or on growth.  There is no removal.
 */
#include "flow.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bytes.h"
#include "error.h"

#define MIN_SLOTS 64
#define LOAD_NUM 7 /* grow past 70% full */
#define LOAD_DEN 10
#define MAX_ENTRIES 0xfffffffeu /* entry numbers are kept in 32 bits */

/* Ports are only meaningful where the transport header was decoded. */
static bool has_ports(const struct tw_decoded *d)
{
	if (d->flags & TW_DEC_LATER_FRAG || !d->ip.l4_off)
		return false;
	return d->ip.proto == TW_IPPROTO_TCP || d->ip.proto == TW_IPPROTO_UDP;
}

/* Endpoint a sorts before b: address bytes first, then port. */
static int endpoint_cmp(const uint8_t *a, uint16_t aport, const uint8_t *b,
                        uint16_t bport, size_t alen)
{
	int c = memcmp(a, b, alen);

	if (c)
		return c;
	return (aport > bport) - (aport < bport);
}

bool tw_flow_key_of(const uint8_t *data, const struct tw_decoded *d,
                    struct tw_flow_key *key, int *dir)
{
	size_t alen = d->ip.version == 6 ? 16 : 4;
	size_t aoff = d->ip.version == 6 ? 8 : 12;
	const uint8_t *src, *dst;
	uint16_t sport = 0, dport = 0;
	int swap;

	memset(key, 0, sizeof(*key));
	if (d->ip.version != 4 && d->ip.version != 6)
		return false;

	/* The decoder sets version only once the fixed header is there. */
	src = data + d->ip.l3_off + aoff;
	dst = src + alen;
	if (has_ports(d)) {
		sport = d->sport;
		dport = d->dport;
	}

	swap = endpoint_cmp(src, sport, dst, dport, alen) > 0;
	memcpy(key->addr[swap], src, alen);
	memcpy(key->addr[!swap], dst, alen);
	key->port[swap] = sport;
	key->port[!swap] = dport;
	key->proto = d->ip.proto;
	key->version = d->ip.version;
	if (dir)
		*dir = swap;
	return true;
}

bool tw_flow_key_eq(const struct tw_flow_key *a, const struct tw_flow_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static uint64_t rotl64(uint64_t x, int b)
{
	return x << b | x >> (64 - b);
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)tw_le32(p) | (uint64_t)tw_le32(p + 4) << 32;
}

struct sip {
	uint64_t v0, v1, v2, v3;
};

/* One SipRound (Aumasson and Bernstein, "SipHash: a fast short-input
 * PRF", 2012, section 2). */
static inline void sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = rotl64(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = rotl64(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl64(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = rotl64(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = rotl64(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = rotl64(s->v2, 32);
}

static inline void sip_compress(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	s->v0 ^= m;
}

/* SipHash-1-3 of a message whose length is a multiple of 8: one round
 * per word, three to finish. */
static uint64_t siphash13(uint64_t k0, uint64_t k1, const uint8_t *m,
                          size_t len)
{
	struct sip s = {
		.v0 = k0 ^ 0x736f6d6570736575ull,
		.v1 = k1 ^ 0x646f72616e646f6dull,
		.v2 = k0 ^ 0x6c7967656e657261ull,
		.v3 = k1 ^ 0x7465646279746573ull,
	};
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		sip_compress(&s, le64(m + i));
	sip_compress(&s, (uint64_t)len << 56);

	s.v2 ^= 0xff;
	sip_round(&s);
	sip_round(&s);
	sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

/* The key as bytes that do not depend on the host's byte order. */
static void key_encode(const struct tw_flow_key *key, uint8_t out[40])
{
	memcpy(out, key->addr, 32);
	tw_put_be16(out + 32, key->port[0]);
	tw_put_be16(out + 34, key->port[1]);
	out[36] = key->proto;
	out[37] = key->version;
	out[38] = 0;
	out[39] = 0;
}

uint64_t tw_flow_hash(const struct tw_flow_key *key, uint64_t seed)
{
	uint8_t m[40];

	key_encode(key, m);
	return siphash13(seed, 0, m, sizeof(m));
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case TW_IPPROTO_TCP:
		return "TCP";
	case TW_IPPROTO_UDP:
		return "UDP";
	case TW_IPPROTO_ICMP:
		return "ICMP";
	case TW_IPPROTO_ICMPV6:
		return "ICMPv6";
	case TW_IPPROTO_GRE:
		return "GRE";
	case TW_IPPROTO_IPIP:
		return "IPIP";
	case TW_IPPROTO_IPV6:
		return "IPv6";
	default:
		return NULL;
	}
}

/* One endpoint: "a", "a:port" or "[a]:port". */
static void endpoint_str(const struct tw_flow_key *key, int i, bool ports,
                         char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	int af = key->version == 6 ? AF_INET6 : AF_INET;

	if (key->version == 4 || key->version == 6)
		inet_ntop(af, key->addr[i], a, sizeof(a));

	if (!ports)
		snprintf(buf, len, "%s", a);
	else if (af == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, key->port[i]);
	else
		snprintf(buf, len, "%s:%u", a, key->port[i]);
}

char *tw_flow_key_str(const struct tw_flow_key *key, char *buf, size_t len)
{
	const char *name = proto_name(key->proto);
	bool ports =
	        key->proto == TW_IPPROTO_TCP || key->proto == TW_IPPROTO_UDP;
	char a[56], b[56], other[16];

	if (!len)
		return buf;
	if (!name) {
		snprintf(other, sizeof(other), "ip-proto-%u", key->proto);
		name = other;
	}

	endpoint_str(key, 0, ports, a, sizeof(a));
	endpoint_str(key, 1, ports, b, sizeof(b));
	snprintf(buf, len, "%s %s <-> %s", name, a, b);
	return buf;
}

/* The flow table. */

struct tw_flow_table {
	uint64_t *slots; /* hash >> 32 << 32 | entry number + 1; 0 = free */
	size_t mask;     /* slot count - 1, a power of two less one */
	uint8_t *entries;
	size_t count;     /* entries in use */
	size_t cap;       /* entries allocated */
	size_t stride;    /* bytes from one entry to the next */
	size_t value_off; /* caller's value within an entry */
	size_t max_flows; /* 0: no limit */
	uint64_t seed;
};

/* An entry: the key, its hash, then the caller's value. */
struct entry_head {
	struct tw_flow_key key;
	uint64_t hash;
};

static struct entry_head *entry_at(const struct tw_flow_table *t, size_t i)
{
	return (struct entry_head *)(void *)(t->entries + i * t->stride);
}

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

/* A per-table seed: probing degrades to a scan if traffic from the
 * wire can aim keys at one run of slots, so make the hash unguessable. */
static uint64_t table_seed(void)
{
	struct timespec ts;
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^
	       (uint64_t)ts.tv_sec;
}

/* Entries a table of nslots may hold before it must grow. */
static size_t load_limit(const struct tw_flow_table *t, size_t nslots)
{
	size_t n = nslots * LOAD_NUM / LOAD_DEN;

	if (t->max_flows && n > t->max_flows)
		n = t->max_flows;
	return n < MAX_ENTRIES ? n : MAX_ENTRIES;
}

struct tw_flow_table *tw_flow_table_new(size_t value_size, size_t max_flows)
{
	struct tw_flow_table *t = calloc(1, sizeof(*t));
	size_t align = _Alignof(max_align_t);

	if (!t)
		return NULL;
	t->value_off = align_up(sizeof(struct entry_head), align);
	if (value_size > SIZE_MAX / 2 - t->value_off) {
		free(t);
		return NULL;
	}
	t->stride = align_up(t->value_off + value_size, align);
	t->max_flows = max_flows;
	t->seed = table_seed();

	t->slots = calloc(MIN_SLOTS, sizeof(*t->slots));
	t->mask = MIN_SLOTS - 1;
	t->cap = load_limit(t, MIN_SLOTS);
	t->entries = calloc(t->cap ? t->cap : 1, t->stride);
	if (!t->slots || !t->entries) {
		tw_flow_table_free(t);
		return NULL;
	}
	return t;
}

/* The slot holding key, or the free slot where it would go. */
static size_t probe(const struct tw_flow_table *t,
                    const struct tw_flow_key *key, uint64_t hash)
{
	uint64_t tag = hash >> 32;
	size_t i = (size_t)hash & t->mask;
	uint64_t s;

	while ((s = t->slots[i])) {
		if (s >> 32 == tag &&
		    tw_flow_key_eq(&entry_at(t, (uint32_t)s - 1)->key, key))
			break;
		i = (i + 1) & t->mask;
	}
	return i;
}

static uint64_t slot_of(uint64_t hash, size_t n)
{
	return (hash >> 32) << 32 | (uint64_t)(n + 1);
}

/* Doubles the slot array and re-indexes the entries (whose hashes are
 * kept); then the entry array grows to the new load limit. */
static int grow(struct tw_flow_table *t)
{
	size_t nslots = (t->mask + 1) * 2, i, cap;
	uint64_t *slots;
	uint8_t *entries;

	if (nslots > SIZE_MAX / sizeof(*slots) / LOAD_DEN)
		return TW_ENOMEM;
	cap = load_limit(t, nslots);
	if (cap > SIZE_MAX / t->stride)
		return TW_ENOMEM;
	slots = calloc(nslots, sizeof(*slots));
	entries = realloc(t->entries, cap * t->stride);
	if (!slots || !entries) {
		free(slots);
		if (entries)
			t->entries = entries;
		return TW_ENOMEM;
	}

	free(t->slots);
	t->slots = slots;
	t->mask = nslots - 1;
	t->entries = entries;
	t->cap = cap;
	for (i = 0; i < t->count; i++) {
		struct entry_head *e = entry_at(t, i);
		size_t j = (size_t)e->hash & t->mask;

		while (t->slots[j])
			j = (j + 1) & t->mask;
		t->slots[j] = slot_of(e->hash, i);
	}
	return TW_OK;
}

/* Appends key as entry *n, growing first when the table is at its load
 * limit.  Returns 0, TW_ELIMIT or TW_ENOMEM. */
static int insert(struct tw_flow_table *t, const struct tw_flow_key *key,
                  uint64_t hash, size_t *n)
{
	struct entry_head *e;
	int rc;

	if ((t->max_flows && t->count >= t->max_flows) ||
	    t->count >= MAX_ENTRIES)
		return TW_ELIMIT;
	if (t->count >= t->cap) {
		rc = grow(t);
		if (rc < 0)
			return rc;
	}

	e = entry_at(t, t->count);
	memset(e, 0, t->stride);
	e->key = *key;
	e->hash = hash;
	t->slots[probe(t, key, hash)] = slot_of(hash, t->count);
	*n = t->count++;
	return TW_OK;
}

static void *value_at(const struct tw_flow_table *t, size_t i)
{
	return t->entries + i * t->stride + t->value_off;
}

void *tw_flow_table_get(struct tw_flow_table *t, const struct tw_flow_key *key,
                        bool *created, int *err)
{
	uint64_t hash = tw_flow_hash(key, t->seed);
	uint64_t s = t->slots[probe(t, key, hash)];
	size_t n;
	int rc;

	if (created)
		*created = false;
	if (s)
		return value_at(t, (uint32_t)s - 1);

	rc = insert(t, key, hash, &n);
	if (rc < 0) {
		if (err)
			*err = rc;
		return NULL;
	}
	if (created)
		*created = true;
	return value_at(t, n);
}

void *tw_flow_table_find(const struct tw_flow_table *t,
                         const struct tw_flow_key *key)
{
	uint64_t s = t->slots[probe(t, key, tw_flow_hash(key, t->seed))];

	return s ? value_at(t, (uint32_t)s - 1) : NULL;
}

size_t tw_flow_table_count(const struct tw_flow_table *t)
{
	return t->count;
}

int tw_flow_table_each(struct tw_flow_table *t,
                       int (*fn)(const struct tw_flow_key *key, void *value,
                                 void *arg),
                       void *arg)
{
	size_t i;
	int rc;

	for (i = 0; i < t->count; i++) {
		rc = fn(&entry_at(t, i)->key, value_at(t, i), arg);
		if (rc)
			return rc;
	}
	return 0;
}

void tw_flow_table_free(struct tw_flow_table *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t->entries);
	free(t);
}
