/*
 * rewrite.c - MAC, prefix, port and VLAN rewriting with incremental
 * checksum updates (RFC 1624).
 */
#include "replay/rewrite.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/bytes.h"
#include "trace/cksum.h"
#include "trace/error.h"
#include "trace/packet.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define ETHERTYPE_8021Q 0x8100
#define ETHERTYPE_8021AD 0x88a8

int tw_rewrite_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
	           &v[4], &v[5], &tail) != 6)
		return TW_EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

/* Parses "ADDR/LEN" of len bytes of s. */
static int parse_cidr(const char *s, size_t len, uint8_t addr[16],
                      uint8_t *version, uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long bits;

	if (len >= sizeof(buf))
		return TW_EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (!slash)
		return TW_EINVAL;
	*slash = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1)
		*version = 4;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*version = 6;
	else
		return TW_EINVAL;
	bits = strtol(slash + 1, &end, 10);
	if (end == slash + 1 || *end || bits < 0 ||
	    bits > (*version == 4 ? 32 : 128))
		return TW_EINVAL;
	*plen = (uint8_t)bits;
	return 0;
}

/* True when the first plen bits of a and b agree. */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned plen)
{
	unsigned whole = plen / 8, rest = plen % 8;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	if (memcmp(a, b, whole))
		return false;
	return !rest || ((a[whole] ^ b[whole]) & mask) == 0;
}

/* Copies the first plen bits of prefix over addr. */
static void prefix_put(uint8_t *addr, const uint8_t *prefix, unsigned plen)
{
	unsigned whole = plen / 8, rest = plen % 8;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	memcpy(addr, prefix, whole);
	if (rest)
		addr[whole] = (uint8_t)((prefix[whole] & mask) |
		                        (addr[whole] & (uint8_t)~mask));
}

/* True when addr has a bit set past its first plen bits. */
static bool host_bits(const uint8_t *addr, unsigned plen, unsigned bits)
{
	uint8_t zero[16] = { 0 }, masked[16];

	memcpy(masked, addr, 16);
	prefix_put(masked, zero, plen);
	return memcmp(masked, zero, bits / 8) != 0;
}

/* True when two prefixes of one family share an address. */
static bool overlap(const uint8_t *a, unsigned alen, const uint8_t *b,
                    unsigned blen)
{
	return prefix_eq(a, b, alen < blen ? alen : blen);
}

/* Why map m cannot join rw's maps, or NULL when it can. */
static const char *ip_map_conflict(const struct tw_rewrite *rw,
                                   const struct tw_ip_map *m)
{
	unsigned bits = m->version == 4 ? 32 : 128;

	if (host_bits(m->from, m->plen, bits) ||
	    host_bits(m->to, m->plen, bits))
		return "a prefix has host bits set (write 10.1.0.0/16, "
		       "not 10.1.2.3/16)";
	for (size_t i = 0; i < rw->n_ip; i++) {
		const struct tw_ip_map *o = &rw->ip[i];

		if (o->version != m->version)
			continue;
		/* Overlaps would make the map, or its reverse for the
		 * replies, depend on the order of the options. */
		if (overlap(o->from, o->plen, m->from, m->plen) ||
		    overlap(o->to, o->plen, m->to, m->plen))
			return "it overlaps an earlier --ip-map";
	}
	return NULL;
}

int tw_rewrite_add_ip_map(struct tw_rewrite *rw, const char *spec,
                          const char **why)
{
	struct tw_ip_map m;
	const char *slash = strchr(spec, '/'), *sep, *conflict;
	uint8_t v2, l2;

	if (why)
		*why = "CIDR:CIDR of one family and length";
	if (rw->n_ip >= TW_RW_MAX_MAPS)
		return TW_ELIMIT;
	/* The separator is the first ':' after the first prefix length,
	 * so IPv6 addresses need no quoting. */
	sep = slash ? strchr(slash, ':') : NULL;
	if (!sep)
		return TW_EINVAL;
	if (parse_cidr(spec, (size_t)(sep - spec), m.from, &m.version,
	               &m.plen) < 0 ||
	    parse_cidr(sep + 1, strlen(sep + 1), m.to, &v2, &l2) < 0)
		return TW_EINVAL;
	if (v2 != m.version || l2 != m.plen)
		return TW_EINVAL;
	conflict = ip_map_conflict(rw, &m);
	if (conflict) {
		if (why)
			*why = conflict;
		return TW_EINVAL;
	}
	rw->ip[rw->n_ip++] = m;
	return 0;
}

static bool parse_port(const char *s, const char **end, uint16_t *port)
{
	char *e;
	long v = strtol(s, &e, 10);

	if (e == s || v < 0 || v > 65535 || *s == '-' || *s == '+')
		return false;
	*port = (uint16_t)v;
	*end = e;
	return true;
}

/* True when rw already maps port from. */
static bool port_mapped(const struct tw_rewrite *rw, uint16_t from)
{
	for (size_t i = 0; i < rw->n_port; i++)
		if (rw->port[i].from == from)
			return true;
	return false;
}

int tw_rewrite_add_port_map(struct tw_rewrite *rw, const char *spec,
                            const char **why)
{
	const char *s = spec;

	if (why)
		*why = "FROM:TO[,FROM:TO...] (16 at most)";
	for (;;) {
		struct tw_port_map m;

		if (!parse_port(s, &s, &m.from) || *s++ != ':' ||
		    !parse_port(s, &s, &m.to))
			return TW_EINVAL;
		if (port_mapped(rw, m.from)) {
			if (why)
				*why = "a map whose port is mapped once only";
			return TW_EINVAL;
		}
		if (rw->n_port >= TW_RW_MAX_MAPS)
			return TW_ELIMIT;
		rw->port[rw->n_port++] = m;
		if (!*s)
			return 0;
		if (*s++ != ',')
			return TW_EINVAL;
	}
}

bool tw_rewrite_active(const struct tw_rewrite *rw)
{
	return rw->src_mac_set || rw->dst_mac_set || rw->n_ip || rw->n_port ||
	       rw->vlan_op != TW_VLAN_KEEP;
}

/*
 * Folds a change of n bytes (old to new) into the transport checksum.
 * pseudo says the bytes are in the pseudo-header (RFC 793 section 3.1,
 * RFC 768, RFC 8200 section 8.1), which ICMPv4 does not have.  A zero UDP
 * checksum over IPv4 means "none" and stays so; a computed zero is sent
 * as 0xffff (RFC 768).
 */
static void fix_l4(uint8_t *buf, uint32_t len, const struct tw_decoded *d,
                   const uint8_t *old, const uint8_t *new_, size_t n,
                   bool pseudo)
{
	uint8_t proto = d->ip.proto;
	int field = tw_cksum_l4_field(proto);
	uint32_t off;
	uint16_t c;

	if (!d->ip.l4_off || (d->flags & TW_DEC_LATER_FRAG) || field < 0)
		return;
	if (pseudo && proto == TW_IPPROTO_ICMP)
		return;
	off = (uint32_t)d->ip.l4_off + (uint32_t)field;
	if (off + 2 > len)
		return;
	c = tw_be16(buf + off);
	if (proto == TW_IPPROTO_UDP && d->ip.version == 4 && c == 0)
		return;
	c = tw_cksum_update(c, old, new_, n);
	if (proto == TW_IPPROTO_UDP && c == 0)
		c = 0xffff;
	tw_put_be16(buf + off, c);
}

/*
 * A change inside a tunnel leaves stale a checksum that covers the outer
 * datagram.  Over IPv4 a UDP checksum may be zero, meaning none (RFC 768;
 * VXLAN senders use zero anyway, RFC 7348 section 5), so it is cleared.
 * TODO(#6): update outer IPv6 UDP and GRE checksums (RFC 2784) instead.
 */
static void clear_outer_cksums(uint8_t *buf, uint32_t len,
                               const struct tw_decoded *d)
{
	for (unsigned i = 0; i < d->tunnel_count; i++) {
		const struct tw_dec_ip *o = &d->tunnel[i].outer;

		if (o->version == 4 && o->proto == TW_IPPROTO_UDP &&
		    o->l4_off && o->l4_off + 8u <= len)
			tw_put_be16(buf + o->l4_off + 6, 0);
	}
}

bool tw_rewrite_set_addr(uint8_t *buf, uint32_t len, const struct tw_decoded *d,
                         int which, const uint8_t *addr)
{
	uint32_t alen = d->ip.version == 6 ? 16 : 4;
	uint32_t off = d->ip.l3_off + (d->ip.version == 6 ? 8 : 12) +
	               (uint32_t)which * alen;
	uint8_t old[16];

	if ((d->ip.version != 4 && d->ip.version != 6) || off + alen > len)
		return false;
	if (!memcmp(buf + off, addr, alen))
		return true;
	memcpy(old, buf + off, alen);
	memcpy(buf + off, addr, alen);
	if (d->ip.version == 4 && d->ip.l3_off + 12u <= len) {
		uint8_t *ck = buf + d->ip.l3_off + 10;

		tw_put_be16(ck, tw_cksum_update(tw_be16(ck), old, addr, 4));
	}
	fix_l4(buf, len, d, old, addr, alen, true);
	clear_outer_cksums(buf, len, d);
	return true;
}

static void map_addrs(const struct tw_rewrite *rw, uint8_t *buf, uint32_t len,
                      const struct tw_decoded *d)
{
	uint32_t alen = d->ip.version == 6 ? 16 : 4;
	uint32_t base = d->ip.l3_off + (d->ip.version == 6 ? 8 : 12);

	if (base + 2 * alen > len)
		return;
	for (int which = 0; which < 2; which++) {
		uint8_t addr[16];

		memcpy(addr, buf + base + (uint32_t)which * alen, alen);
		for (unsigned i = 0; i < rw->n_ip; i++) {
			const struct tw_ip_map *m = &rw->ip[i];

			if (m->version != d->ip.version ||
			    !prefix_eq(addr, m->from, m->plen))
				continue;
			prefix_put(addr, m->to, m->plen);
			tw_rewrite_set_addr(buf, len, d, which, addr);
			break;
		}
	}
}

static void map_ports(const struct tw_rewrite *rw, uint8_t *buf, uint32_t len,
                      const struct tw_decoded *d)
{
	uint32_t off = d->ip.l4_off;

	if (d->ip.proto != TW_IPPROTO_TCP && d->ip.proto != TW_IPPROTO_UDP)
		return;
	if (!off || (d->flags & TW_DEC_LATER_FRAG) || off + 4 > len)
		return;
	for (int which = 0; which < 2; which++) {
		uint8_t *p = buf + off + 2 * which;
		uint16_t port = tw_be16(p);

		for (unsigned i = 0; i < rw->n_port; i++) {
			uint8_t old[2];

			if (rw->port[i].from != port)
				continue;
			memcpy(old, p, 2);
			tw_put_be16(p, rw->port[i].to);
			fix_l4(buf, len, d, old, p, 2, false);
			clear_outer_cksums(buf, len, d);
			break;
		}
	}
}

static bool is_tag(uint16_t ethertype)
{
	return ethertype == ETHERTYPE_8021Q || ethertype == ETHERTYPE_8021AD;
}

/* VLAN changes on an Ethernet frame (IEEE 802.1Q section 9). */
static void vlan_apply(const struct tw_rewrite *rw, uint8_t *buf, uint32_t *len,
                       uint32_t cap)
{
	bool tagged = *len >= ETH_HLEN + VLAN_HLEN && is_tag(tw_be16(buf + 12));
	enum tw_vlan_op op = rw->vlan_op;

	if (*len < ETH_HLEN)
		return;
	if (op == TW_VLAN_SET && tagged) {
		uint16_t tci = tw_be16(buf + 14);

		tw_put_be16(buf + 14,
		            (uint16_t)((tci & 0xf000) | (rw->vlan_id & 0xfff)));
		return;
	}
	if (op == TW_VLAN_STRIP) {
		if (!tagged)
			return;
		memmove(buf + 12, buf + 12 + VLAN_HLEN, *len - 12 - VLAN_HLEN);
		*len -= VLAN_HLEN;
		return;
	}
	if ((op == TW_VLAN_ADD || op == TW_VLAN_SET) &&
	    *len + VLAN_HLEN <= cap) {
		memmove(buf + 12 + VLAN_HLEN, buf + 12, *len - 12);
		tw_put_be16(buf + 12, ETHERTYPE_8021Q);
		tw_put_be16(buf + 14, rw->vlan_id & 0xfff);
		*len += VLAN_HLEN;
	}
}

int tw_rewrite_apply(const struct tw_rewrite *rw, uint8_t *buf, uint32_t *len,
                     uint32_t cap, uint32_t linktype,
                     const struct tw_decoded *d)
{
	if (d->ip.version == 4 || d->ip.version == 6) {
		if (rw->n_ip)
			map_addrs(rw, buf, *len, d);
		if (rw->n_port)
			map_ports(rw, buf, *len, d);
	}
	if (linktype != TW_LINK_ETHERNET || *len < ETH_HLEN)
		return 0;
	if (rw->dst_mac_set)
		memcpy(buf, rw->dst_mac, 6);
	if (rw->src_mac_set)
		memcpy(buf + 6, rw->src_mac, 6);
	if (rw->vlan_op != TW_VLAN_KEEP)
		vlan_apply(rw, buf, len, cap);
	return 0;
}
