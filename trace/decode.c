/*
 * decode.c - packet decoding: link layer, IP, transport, tunnels.
 *
 * One function per layer, each handing the offset of what follows to the
 * next.  All reads go through one view of the captured bytes whose
 * length is cut, layer by layer, to where the enclosing IP layer says it
 * ends: trailing Ethernet padding is never taken for payload, and an
 * inner packet cannot read past its tunnel.  A layer that does not fit
 * sets a flag and stops; what was decoded before it stays in *d.
 */
#include "decode.h"

#include <string.h>

#include "bytes.h"
#include "packet.h"

/* Ethertypes (IEEE 802.3 clause 3.2.6; IEEE Registration Authority). */
enum {
	ETH_MIN_TYPE = 0x0600, /* below: an 802.3 length, not a type */
	ETH_IPV4 = 0x0800,
	ETH_IPV6 = 0x86dd,
	ETH_CTAG = 0x8100,     /* IEEE 802.1Q customer tag */
	ETH_STAG = 0x88a8,     /* IEEE 802.1ad service tag */
	ETH_STAG_OLD = 0x9100, /* pre-802.1ad service tag */
	ETH_TEB = 0x6558,      /* transparent Ethernet bridging */
	ETH_ERSPAN_2 = 0x88be, /* ERSPAN type I and II */
	ETH_ERSPAN_3 = 0x22eb
};

/* IPv6 extension headers (RFC 8200 section 4; RFC 4302; RFC 6275). */
enum {
	IP6_HOPOPTS = 0,
	IP6_ROUTING = 43,
	IP6_FRAGMENT = 44,
	IP6_AH = 51,
	IP6_DSTOPTS = 60,
	IP6_MOBILITY = 135
};

/* GRE flags and version (RFC 2784 section 2.1, RFC 2890 section 2). */
enum {
	GRE_C = 0x8000,       /* checksum present */
	GRE_R = 0x4000,       /* RFC 1701 routing present */
	GRE_K = 0x2000,       /* key present */
	GRE_S = 0x1000,       /* sequence number present */
	GRE_VERSION = 0x0007, /* 0; 1 is PPTP's enhanced GRE */
};

#define VXLAN_PORT 4789
#define NO_OFF16 0xffffu /* offsets are kept in 16 bits */

struct dec {
	struct tw_view v; /* captured bytes, cut to the current IP layer */
	uint64_t ip_end;  /* where that layer ends by its own length field */
	bool cut;         /* v ends where the capture did, not a length */
	struct tw_decoded *d;
};

static void decode_ethertype(struct dec *s, uint16_t type, uint32_t off);
static void decode_eth(struct dec *s, uint32_t off);
static void decode_ipv4(struct dec *s, uint32_t off);
static void decode_ipv6(struct dec *s, uint32_t off);

/* A header that does not fit in the view: cut by the capture when the
 * view ends with it, otherwise longer than the layer that carries it. */
static void short_of(struct dec *s)
{
	s->d->flags |= s->cut ? TW_DEC_TRUNCATED : TW_DEC_MALFORMED;
}

static void malformed(struct dec *s)
{
	s->d->flags |= TW_DEC_MALFORMED;
}

/* The current IP layer ends at end, or with the view when end is 0 (no
 * length in the header).  A length that runs past the view is kept for
 * payload_len; reads stay bounded by the view. */
static void set_ip_end(struct dec *s, uint64_t end)
{
	if (!end) {
		s->ip_end = s->v.len;
		return;
	}

	s->ip_end = end;
	if (end <= s->v.len) {
		s->v.len = (size_t)end;
		s->cut = false;
	}
}

/* Payload from off to the end of the IP layer, and how much of it was
 * captured. */
static void set_payload(struct dec *s, uint32_t off)
{
	struct tw_decoded *d = s->d;
	uint64_t end = s->ip_end;
	uint64_t cap = s->v.len < end ? s->v.len : end;

	d->payload_off = off;
	d->payload_len = end > off ? (uint32_t)(end - off) : 0;
	d->payload_caplen = cap > off ? (uint32_t)(cap - off) : 0;
}

/* A frame whose network layer is not decoded: fail closed, all of what
 * follows its L2 header is payload. */
static void not_ip(struct dec *s, uint32_t off)
{
	s->d->flags |= TW_DEC_UNKNOWN_L2;
	set_payload(s, off);
}

/* An upper-layer protocol that is not decoded: its header is payload. */
static void other_upper(struct dec *s, uint32_t off)
{
	s->d->ip.l4_off = (uint16_t)off;
	s->d->l4_hlen = 0;
	set_payload(s, off);
}

static void record_vlan(struct tw_decoded *d, uint16_t tci)
{
	if (d->vlan_count < TW_DEC_MAX_VLAN)
		d->vlan[d->vlan_count++] = tci & 0x0fff;
}

static bool is_vlan_tpid(uint16_t type)
{
	return type == ETH_CTAG || type == ETH_STAG || type == ETH_STAG_OLD;
}

/*
 * IEEE 802.1Q / 802.1ad tags: type is a TPID, and off points at its TCI
 * (priority, DEI, 12-bit VLAN id) followed by the next type field.  Tags
 * past TW_DEC_MAX_VLAN are skipped, not recorded.
 */
static void decode_tags(struct dec *s, uint16_t type, uint32_t off)
{
	uint16_t tci;

	while (is_vlan_tpid(type)) {
		if (!tw_get16(&s->v, off, &tci) ||
		    !tw_get16(&s->v, off + 2, &type)) {
			short_of(s);
			return;
		}
		record_vlan(s->d, tci);
		off += 4;
	}

	decode_ethertype(s, type, off);
}

static void decode_ethertype(struct dec *s, uint16_t type, uint32_t off)
{
	struct tw_decoded *d = s->d;

	if (type < ETH_MIN_TYPE) {
		d->ethertype = 0;
		not_ip(s, off);
		return;
	}

	d->ethertype = type;
	if (type == ETH_IPV4)
		decode_ipv4(s, off);
	else if (type == ETH_IPV6)
		decode_ipv6(s, off);
	else
		not_ip(s, off);
}

/* Ethernet II (IEEE 802.3 clause 3.2): destination, source, type. */
static void decode_eth(struct dec *s, uint32_t off)
{
	uint16_t type;

	if (off > NO_OFF16) {
		malformed(s);
		return;
	}
	s->d->l2_off = (uint16_t)off;
	if (!tw_has(&s->v, off, 14)) {
		short_of(s);
		return;
	}

	type = tw_be16(s->v.p + off + 12);
	decode_tags(s, type, off + 14);
}

/*
 * Linux cooked capture v1 (LINKTYPE_LINUX_SLL): packet type, ARPHRD
 * type, address length, 8 address bytes, protocol.  The protocol is an
 * ethertype for the link types that carry IP; a VLAN tag put back by
 * libpcap follows it as in Ethernet.
 */
static void decode_sll(struct dec *s)
{
	if (!tw_has(&s->v, 0, 16)) {
		short_of(s);
		return;
	}

	decode_tags(s, tw_be16(s->v.p + 14), 16);
}

/* Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): protocol first, then
 * reserved, interface index, ARPHRD type, packet type, address. */
static void decode_sll2(struct dec *s)
{
	if (!tw_has(&s->v, 0, 20)) {
		short_of(s);
		return;
	}

	decode_tags(s, tw_be16(s->v.p), 20);
}

/*
 * BSD loopback (LINKTYPE_NULL, LINKTYPE_LOOP): a 4-byte address family;
 * AF_INET is 2 everywhere, AF_INET6 is 24, 28 or 30 depending on the
 * BSD that wrote it.
 */
static void decode_family(struct dec *s, uint32_t family)
{
	switch (family) {
	case 2:
		decode_ethertype(s, ETH_IPV4, 4);
		break;
	case 24:
	case 28:
	case 30:
		decode_ethertype(s, ETH_IPV6, 4);
		break;
	default:
		not_ip(s, 4);
	}
}

/* LINKTYPE_NULL's family is in the byte order of the host that wrote the
 * file, which need not be ours: families are small, so a value with its
 * low half zero was written the other way round. */
static void decode_null(struct dec *s)
{
	uint32_t family;

	if (!tw_has(&s->v, 0, 4)) {
		short_of(s);
		return;
	}

	family = tw_le32(s->v.p);
	if (!(family & 0xffff))
		family = tw_be32(s->v.p);
	decode_family(s, family);
}

/* LINKTYPE_LOOP: the same family, always in network byte order. */
static void decode_loop(struct dec *s)
{
	if (!tw_has(&s->v, 0, 4)) {
		short_of(s);
		return;
	}

	decode_family(s, tw_be32(s->v.p));
}

/* Raw IP (LINKTYPE_RAW, and IP inside ERSPAN III): the version nibble
 * says which. */
static void decode_raw(struct dec *s, uint32_t off)
{
	uint8_t b;

	if (!tw_get8(&s->v, off, &b)) {
		short_of(s);
		return;
	}

	if (b >> 4 == 4)
		decode_ethertype(s, ETH_IPV4, off);
	else if (b >> 4 == 6)
		decode_ethertype(s, ETH_IPV6, off);
	else
		not_ip(s, off);
}

static void decode_link(struct dec *s, uint32_t linktype)
{
	switch (linktype) {
	case TW_LINK_ETHERNET:
		decode_eth(s, 0);
		break;
	case TW_LINK_LINUX_SLL:
		decode_sll(s);
		break;
	case TW_LINK_LINUX_SLL2:
		decode_sll2(s);
		break;
	case TW_LINK_NULL:
		decode_null(s);
		break;
	case TW_LINK_LOOP:
		decode_loop(s);
		break;
	case TW_LINK_RAW:
		decode_raw(s, 0);
		break;
	case TW_LINK_IPV4:
		decode_ethertype(s, ETH_IPV4, 0);
		break;
	case TW_LINK_IPV6:
		decode_ethertype(s, ETH_IPV6, 0);
		break;
	default:
		not_ip(s, 0);
	}
}

/*
 * Enters a tunnel whose header is at off: the current IP layer becomes
 * its outer layer and the transport fields are cleared for the inner
 * packet.  False (and TW_DEC_TOO_DEEP) when tunnels nest too deep; the
 * caller then leaves the tunnel header as the transport.
 */
static bool enter_tunnel(struct dec *s, enum tw_tunnel kind, uint32_t off,
                         uint32_t id)
{
	struct tw_decoded *d = s->d;
	struct tw_dec_tunnel *t;

	if (d->tunnel_count >= TW_DEC_MAX_DEPTH) {
		d->flags |= TW_DEC_TOO_DEEP;
		return false;
	}

	t = &d->tunnel[d->tunnel_count++];
	t->kind = (uint8_t)kind;
	t->off = (uint16_t)off;
	t->id = id;
	t->outer = d->ip;
	d->flags |= TW_DEC_TUNNEL;

	memset(&d->ip, 0, sizeof(d->ip));
	d->sport = d->dport = 0;
	d->tcp_flags = 0;
	d->tcp_seq = d->tcp_ack = 0;
	d->l4_hlen = 0;
	d->payload_off = d->payload_len = d->payload_caplen = 0;
	return true;
}

/*
 * ERSPAN type II (draft-foschiano-erspan-03): Ver (1), VLAN, COS, En, T,
 * 10-bit session id; reserved and index.  8 bytes, then the mirrored
 * Ethernet frame.
 */
static void decode_erspan2(struct dec *s, uint32_t gre, uint32_t off)
{
	const uint8_t *h;

	if (!tw_has(&s->v, off, 8)) {
		short_of(s);
		return;
	}
	h = s->v.p + off;
	if (h[0] >> 4 != 1) {
		malformed(s);
		return;
	}

	if (enter_tunnel(s, TW_TUN_ERSPAN, gre, tw_be16(h + 2) & 0x03ff))
		decode_eth(s, off + 8);
}

/*
 * ERSPAN type III (draft-foschiano-erspan-03): Ver (2), VLAN, COS, BSO,
 * T, session id; timestamp; SGT, P, FT, hardware id, D, Gra, O.  12
 * bytes, 8 more when O says a platform-specific subheader follows.  FT
 * 0 is an Ethernet frame, FT 2 an IP packet.
 */
static void decode_erspan3(struct dec *s, uint32_t gre, uint32_t off)
{
	const uint8_t *h;
	uint32_t hlen = 12;
	uint8_t ft;

	if (!tw_has(&s->v, off, 12)) {
		short_of(s);
		return;
	}
	h = s->v.p + off;
	if (h[0] >> 4 != 2) {
		malformed(s);
		return;
	}

	if (h[11] & 0x01)
		hlen += 8;
	ft = (h[10] >> 2) & 0x1f;
	if (!tw_has(&s->v, off, hlen)) {
		short_of(s);
		return;
	}
	if (ft != 0 && ft != 2) {
		s->d->flags |= TW_DEC_UNKNOWN_L2;
		return;
	}

	if (!enter_tunnel(s, TW_TUN_ERSPAN, gre, tw_be16(h + 2) & 0x03ff))
		return;
	if (ft == 0)
		decode_eth(s, off + hlen);
	else
		decode_raw(s, off + hlen);
}

/* What a GRE header of type proto carries, from off. */
static void decode_gre_payload(struct dec *s, uint32_t gre, uint16_t flags,
                               uint16_t proto, uint32_t key, uint32_t off)
{
	switch (proto) {
	case ETH_IPV4:
	case ETH_IPV6:
		if (enter_tunnel(s, TW_TUN_GRE, gre, key))
			decode_ethertype(s, proto, off);
		break;
	case ETH_TEB:
		if (enter_tunnel(s, TW_TUN_GRE, gre, key))
			decode_eth(s, off);
		break;
	case ETH_ERSPAN_2:
		/* Type I has no sequence number and no ERSPAN header. */
		if (flags & GRE_S)
			decode_erspan2(s, gre, off);
		else if (enter_tunnel(s, TW_TUN_ERSPAN, gre, 0))
			decode_eth(s, off);
		break;
	case ETH_ERSPAN_3:
		decode_erspan3(s, gre, off);
		break;
	default:
		s->d->flags |= TW_DEC_UNKNOWN_L2;
	}
}

/*
 * GRE (RFC 2784 section 2, RFC 2890 section 2): flags, version and
 * protocol type, then 4 bytes for each of C (checksum and reserved), K
 * (key) and S (sequence number), in that order.  Version 1 (PPTP, RFC
 * 2637) and RFC 1701 routing are not decoded: the GRE header is then the
 * payload.
 */
static void decode_gre(struct dec *s, uint32_t off)
{
	struct tw_decoded *d = s->d;
	uint16_t flags, proto;
	uint32_t hlen, key = 0;

	d->ip.l4_off = (uint16_t)off;
	if (!tw_get16(&s->v, off, &flags) ||
	    !tw_get16(&s->v, off + 2, &proto)) {
		short_of(s);
		return;
	}
	if (flags & (GRE_R | GRE_VERSION)) {
		other_upper(s, off);
		return;
	}

	hlen = 4 + (flags & GRE_C ? 4 : 0) + (flags & GRE_K ? 4 : 0) +
	       (flags & GRE_S ? 4 : 0);
	if (!tw_has(&s->v, off, hlen)) {
		short_of(s);
		return;
	}
	if (flags & GRE_K)
		key = tw_be32(s->v.p + off + (flags & GRE_C ? 8 : 4));

	/* Until (unless) the tunnel is entered, GRE is the transport. */
	d->l4_hlen = (uint16_t)hlen;
	set_payload(s, off + hlen);
	decode_gre_payload(s, off, flags, proto, key, off + hlen);
}

/*
 * VXLAN (RFC 7348 section 5): flags with I (a valid VNI) set, reserved,
 * 24-bit VNI, reserved; then an Ethernet frame.  Without the I flag the
 * datagram is left as plain UDP.
 */
static void decode_vxlan(struct dec *s, uint32_t off)
{
	uint32_t vni;

	if (!tw_has(&s->v, off, 8)) {
		short_of(s);
		return;
	}
	if (!(s->v.p[off] & 0x08))
		return;

	vni = tw_be32(s->v.p + off + 4) >> 8;
	if (enter_tunnel(s, TW_TUN_VXLAN, off, vni))
		decode_eth(s, off + 8);
}

/*
 * IPv4 in IP (RFC 2003) and IPv6 in IP (RFC 4213 section 3.5).  No L2
 * header comes between, so ethertype stays that of the outer frame; the
 * inner header's version is checked by its decoder.
 */
static void decode_ipip(struct dec *s, uint32_t off, int version)
{
	s->d->ip.l4_off = (uint16_t)off;
	if (!enter_tunnel(s, TW_TUN_IPIP, off, 0)) {
		other_upper(s, off);
		return;
	}

	if (version == 4)
		decode_ipv4(s, off);
	else
		decode_ipv6(s, off);
}

/* TCP options (RFC 9293 section 3.2): End of Option List, No-Operation,
 * and kind-length-data options that must fit in the header. */
static bool tcp_options_ok(const uint8_t *p, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		if (p[i] == 0)
			return true;
		if (p[i] == 1) {
			i++;
			continue;
		}
		if (len - i < 2 || p[i + 1] < 2 || p[i + 1] > len - i)
			return false;
		i += p[i + 1];
	}
	return true;
}

/* Source and destination ports (or ICMP type and code), when at least
 * that much of the header was captured. */
static void read_ports(struct dec *s, uint32_t off)
{
	uint16_t a, b;

	if (tw_get16(&s->v, off, &a) && tw_get16(&s->v, off + 2, &b)) {
		s->d->sport = a;
		s->d->dport = b;
	}
}

/* TCP (RFC 9293 section 3.1): 20 bytes, then options up to Data Offset. */
static void decode_tcp(struct dec *s, uint32_t off)
{
	struct tw_decoded *d = s->d;
	const uint8_t *h;
	uint32_t hlen;

	d->ip.l4_off = (uint16_t)off;
	read_ports(s, off);
	if (!tw_has(&s->v, off, 20)) {
		short_of(s);
		return;
	}

	h = s->v.p + off;
	d->tcp_seq = tw_be32(h + 4);
	d->tcp_ack = tw_be32(h + 8);
	d->tcp_flags = h[13];
	hlen = (uint32_t)(h[12] >> 4) * 4;
	if (hlen < 20) {
		malformed(s);
		return;
	}
	if (!tw_has(&s->v, off, hlen)) {
		short_of(s);
		return;
	}

	if (!tcp_options_ok(h + 20, hlen - 20))
		malformed(s);
	d->l4_hlen = (uint16_t)hlen;
	set_payload(s, off + hlen);
}

/*
 * UDP (RFC 768): ports, length, checksum.  The payload is bounded by the
 * IP layer; a Length that contradicts it is flagged.  0 is allowed: it
 * is what a jumbogram carries (RFC 2675 section 4).
 */
static void decode_udp(struct dec *s, uint32_t off)
{
	struct tw_decoded *d = s->d;
	uint16_t ulen;

	d->ip.l4_off = (uint16_t)off;
	read_ports(s, off);
	if (!tw_has(&s->v, off, 8)) {
		short_of(s);
		return;
	}

	ulen = tw_be16(s->v.p + off + 4);
	if (ulen && (ulen < 8 || off + (uint64_t)ulen > s->ip_end))
		malformed(s);
	d->l4_hlen = 8;
	set_payload(s, off + 8);

	if (d->dport == VXLAN_PORT)
		decode_vxlan(s, off + 8);
}

/* ICMP (RFC 792) and ICMPv6 (RFC 4443 section 2.1): type, code,
 * checksum, then 4 bytes whose meaning depends on the type. */
static void decode_icmp(struct dec *s, uint32_t off)
{
	struct tw_decoded *d = s->d;
	uint8_t type, code;

	d->ip.l4_off = (uint16_t)off;
	if (tw_get8(&s->v, off, &type) && tw_get8(&s->v, off + 1, &code)) {
		d->sport = type;
		d->dport = code;
	}
	if (!tw_has(&s->v, off, 8)) {
		short_of(s);
		return;
	}

	d->l4_hlen = 8;
	set_payload(s, off + 8);
}

static void decode_upper(struct dec *s, uint32_t off)
{
	if (off > NO_OFF16) {
		malformed(s);
		return;
	}

	switch (s->d->ip.proto) {
	case TW_IPPROTO_TCP:
		decode_tcp(s, off);
		break;
	case TW_IPPROTO_UDP:
		decode_udp(s, off);
		break;
	case TW_IPPROTO_ICMP:
	case TW_IPPROTO_ICMPV6:
		decode_icmp(s, off);
		break;
	case TW_IPPROTO_GRE:
		decode_gre(s, off);
		break;
	case TW_IPPROTO_IPIP:
		decode_ipip(s, off, 4);
		break;
	case TW_IPPROTO_IPV6:
		decode_ipip(s, off, 6);
		break;
	default:
		other_upper(s, off);
	}
}

/* RFC 791 section 3.1: More Fragments, or a non-zero Fragment Offset. */
static void ipv4_fragment(struct dec *s, uint16_t frag)
{
	if (frag & 0x3fff)
		s->d->flags |= TW_DEC_FRAGMENT;
	if (frag & 0x1fff)
		s->d->flags |= TW_DEC_LATER_FRAG;
}

/*
 * IPv4 (RFC 791 section 3.1): IHL in 32-bit words (5 or more; more means
 * options), Total Length covering header and data.  Total Length 0 is
 * what segmentation offload leaves in a captured super-packet: the layer
 * then ends with the capture.
 */
static void decode_ipv4(struct dec *s, uint32_t off)
{
	struct tw_decoded *d = s->d;
	const uint8_t *h;
	uint32_t hlen, tlen;

	if (off > NO_OFF16) {
		malformed(s);
		return;
	}
	if (!tw_has(&s->v, off, 20)) {
		short_of(s);
		return;
	}
	h = s->v.p + off;
	if (h[0] >> 4 != 4) {
		malformed(s);
		return;
	}

	d->ip.version = 4;
	d->ip.proto = h[9];
	d->ip.l3_off = (uint16_t)off;
	hlen = (uint32_t)(h[0] & 0x0f) * 4;
	tlen = tw_be16(h + 2);
	d->ip.l3_len = tlen;
	if (hlen < 20 || (tlen && tlen < hlen)) {
		malformed(s);
		return;
	}
	if (!tw_has(&s->v, off, hlen)) {
		short_of(s);
		return;
	}

	d->ip.l3_hlen = (uint16_t)hlen;
	if (hlen > 20)
		d->flags |= TW_DEC_IP_OPTIONS;
	set_ip_end(s, tlen ? (uint64_t)off + tlen : 0);
	ipv4_fragment(s, tw_be16(h + 6));

	if (d->flags & TW_DEC_LATER_FRAG)
		set_payload(s, off + hlen);
	else
		decode_upper(s, off + hlen);
}

/*
 * The Jumbo Payload option (RFC 2675 section 2) in the Hop-by-Hop
 * Options header at off: 0 when there is none.  Options are TLVs
 * (RFC 8200 section 4.2), except Pad1, a single zero byte.
 */
static uint32_t ipv6_jumbo(struct dec *s, uint32_t off)
{
	uint32_t i, end, jumbo;
	uint8_t hlen;

	if (!tw_get8(&s->v, off + 1, &hlen))
		return 0;
	end = off + ((uint32_t)hlen + 1) * 8;
	for (i = off + 2; i + 2 <= end && tw_has(&s->v, i, 2);) {
		if (s->v.p[i] == 0) {
			i++;
			continue;
		}
		if (s->v.p[i] == 0xc2 && s->v.p[i + 1] == 4 &&
		    tw_get32(&s->v, i + 2, &jumbo))
			return jumbo;
		i += 2 + (uint32_t)s->v.p[i + 1];
	}
	return 0;
}

/*
 * Where the IPv6 layer at off ends (RFC 8200 section 3): Payload Length
 * after the 40-byte header, or, when that is 0, the Jumbo Payload option
 * of a Hop-by-Hop header (RFC 2675 section 3: then more than 65535).
 */
static void ipv6_length(struct dec *s, uint32_t off, const uint8_t *h)
{
	struct tw_decoded *d = s->d;
	uint32_t plen = tw_be16(h + 4), jumbo = 0;

	if (!plen && h[6] == IP6_HOPOPTS)
		jumbo = ipv6_jumbo(s, off + 40);
	if (jumbo && jumbo <= 0xffff)
		malformed(s);
	if (jumbo)
		plen = jumbo;

	d->ip.l3_len = plen > UINT32_MAX - 40 ? UINT32_MAX : 40 + plen;
	set_ip_end(s, plen ? (uint64_t)off + 40 + plen : 0);
}

/* The length of extension header nh at off (RFC 8200 section 4.3-4.6,
 * RFC 4302 section 2.2, RFC 6275 section 6.1), or 0 when not captured. */
static uint32_t ipv6_ext_len(struct dec *s, uint8_t nh, uint32_t off)
{
	uint8_t len;

	if (nh == IP6_FRAGMENT)
		return 8;
	if (!tw_get8(&s->v, off + 1, &len))
		return 0;
	if (nh == IP6_AH)
		return ((uint32_t)len + 2) * 4;
	return ((uint32_t)len + 1) * 8;
}

static bool ipv6_is_ext(uint8_t nh)
{
	return nh == IP6_HOPOPTS || nh == IP6_ROUTING || nh == IP6_FRAGMENT ||
	       nh == IP6_DSTOPTS || nh == IP6_AH || nh == IP6_MOBILITY;
}

/*
 * The Fragment header (RFC 8200 section 4.5): offset in 8-byte units and
 * M flag.  One with neither is an atomic fragment (RFC 6946), a whole
 * packet.  Returns false for a later fragment: nothing after it can be
 * decoded.
 */
static bool ipv6_fragment(struct dec *s, uint32_t off)
{
	uint16_t fo = tw_be16(s->v.p + off + 2);

	if (fo & 0xfff9)
		s->d->flags |= TW_DEC_FRAGMENT;
	if (fo & 0xfff8) {
		s->d->flags |= TW_DEC_LATER_FRAG;
		return false;
	}
	return true;
}

/*
 * Walks the extension header chain from off (RFC 8200 section 4.1),
 * keeping d->ip.proto and l3_hlen at the last header walked past.
 * Returns the offset of the upper-layer header, or 0 when the walk
 * stopped short (a header not captured, or a later fragment: d->flags
 * says which).
 */
static uint32_t ipv6_chain(struct dec *s, uint32_t off, uint8_t nh)
{
	struct tw_decoded *d = s->d;
	uint32_t len, hdr;

	while (ipv6_is_ext(nh)) {
		d->flags |= TW_DEC_IP_OPTIONS;
		len = ipv6_ext_len(s, nh, off);
		if (!len || !tw_has(&s->v, off, len)) {
			short_of(s);
			return 0;
		}
		if (off + len - d->ip.l3_off > NO_OFF16) {
			malformed(s);
			return 0;
		}

		hdr = off;
		off += len;
		d->ip.proto = s->v.p[hdr];
		d->ip.l3_hlen = (uint16_t)(off - d->ip.l3_off);
		if (nh == IP6_FRAGMENT && !ipv6_fragment(s, hdr)) {
			set_payload(s, off);
			return 0;
		}
		nh = d->ip.proto;
	}
	return off;
}

/* IPv6 (RFC 8200 section 3): a 40-byte header, then extension headers
 * up to the upper-layer header.  ESP and No Next Header end the chain. */
static void decode_ipv6(struct dec *s, uint32_t off)
{
	struct tw_decoded *d = s->d;
	const uint8_t *h;
	uint32_t l4;

	if (off > NO_OFF16) {
		malformed(s);
		return;
	}
	if (!tw_has(&s->v, off, 40)) {
		short_of(s);
		return;
	}
	h = s->v.p + off;
	if (h[0] >> 4 != 6) {
		malformed(s);
		return;
	}

	d->ip.version = 6;
	d->ip.proto = h[6];
	d->ip.l3_off = (uint16_t)off;
	d->ip.l3_hlen = 40;
	ipv6_length(s, off, h);

	l4 = ipv6_chain(s, off + 40, h[6]);
	if (l4)
		decode_upper(s, l4);
}

bool tw_decode(const uint8_t *data, uint32_t caplen, uint32_t linktype,
               struct tw_decoded *d)
{
	struct dec s = {
		.v = { .p = data, .len = data ? caplen : 0 },
		.ip_end = data ? caplen : 0,
		.cut = true,
		.d = d,
	};

	memset(d, 0, sizeof(*d));
	d->linktype = linktype;

	decode_link(&s, linktype);
	return !(d->flags & (TW_DEC_TRUNCATED | TW_DEC_MALFORMED |
	                     TW_DEC_UNKNOWN_L2 | TW_DEC_TOO_DEEP));
}

const struct tw_dec_ip *tw_decoded_ip(const struct tw_decoded *d)
{
	for (int i = d->tunnel_count; i >= 0; i--) {
		const struct tw_dec_ip *ip =
		        i == d->tunnel_count ? &d->ip : &d->tunnel[i].outer;

		if (ip->version)
			return ip;
	}
	return NULL;
}
