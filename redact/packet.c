/*
 * packet.c - redacting one packet in place (see redact.h).
 *
 * The walk goes down the layers with a window [off, end) per layer, end
 * never past the captured length.  Every byte of a window is either a
 * field known to be harmless (kept), an identifier (pseudonymized), or
 * zeroed with a reason.  Checksums follow one rule: a checksum whose
 * input was entirely captured is verified before any edit and rewritten
 * after, valid if it was valid and off by the same bits if it was not; a
 * checksum whose input was cut (snaplen, ICMP quotation, IP fragment) is
 * updated incrementally (RFC 1624) from a copy of the original bytes, so
 * it stays exactly as right or wrong as it was.
 */
#include "redact/redact.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "redact/cryptopan.h"
#include "trace/bytes.h"
#include "trace/cksum.h"
#include "trace/decode.h"
#include "trace/packet.h"

#define MAX_DEPTH 8
#define MAC_CACHE 4096
#define TS_CACHE 4096

struct mac_ent {
	uint8_t in[6], out[6];
	bool used;
};

struct ts_ent {
	uint8_t addr[16];
	uint8_t version;
	uint32_t shift;
};

struct tw_redactor {
	const struct tw_policy *pol;
	struct tw_cpan *cpan;
	EVP_CIPHER_CTX *mac_prf;  /* AES-128 under the MAC sub-key */
	EVP_CIPHER_CTX *time_prf; /* AES-128 under the timestamp sub-key */
	uint8_t value_key[TW_KEY_SUB_BYTES];
	struct mac_ent mac[MAC_CACHE];
	struct ts_ent ts[TS_CACHE];
	uint8_t *orig; /* the packet as it came, for incremental checksums */
	size_t orig_cap;
	struct tw_redact_stats st;
};

/* One packet's walk. */
struct walk {
	struct tw_redactor *r;
	const struct tw_policy *pol;
	uint8_t *p;
	const uint8_t *o; /* original bytes, same offsets */
	uint32_t len;
	uint32_t trunc; /* truncate here (policy), or len */
	uint32_t reasons;
	uint64_t zbytes[TW_ZR_COUNT];
	int depth;
	const uint8_t *ov; /* redacted TCP payload, or NULL */
	uint32_t ov_off, ov_len;
};

/* A transport checksum between its verification and its rewrite. */
struct l4ck {
	bool on;       /* there is a checksum to maintain */
	bool complete; /* its whole input is captured */
	bool valid;
	uint8_t version, proto;
	uint32_t src, dst; /* pseudo-header addresses (offsets) */
	uint32_t seg, seglen;
	uint32_t plen; /* length for the pseudo-header */
	uint32_t field;
	uint16_t delta; /* stored ^ correct in the input */
};

static void ip4(struct walk *w, uint32_t off, uint32_t end, bool quoted);
static void ip6(struct walk *w, uint32_t off, uint32_t end, bool quoted);
static void eth(struct walk *w, uint32_t off, uint32_t end);

static const char *const reason_names[TW_ZR_COUNT] = {
	[TW_ZR_PAYLOAD] = "payload",   [TW_ZR_TLS] = "tls",
	[TW_ZR_NOT_IP] = "not-ip",     [TW_ZR_L4] = "ip-protocol",
	[TW_ZR_FRAGMENT] = "fragment", [TW_ZR_MALFORMED] = "malformed",
	[TW_ZR_OPTIONS] = "options",   [TW_ZR_TRAILER] = "trailer",
};

const char *tw_zero_reason_name(enum tw_zero_reason why)
{
	return (unsigned)why < TW_ZR_COUNT ? reason_names[why] : "unknown";
}

/* ---- zeroing ---------------------------------------------------------- */

static void zero(struct walk *w, uint32_t from, uint32_t to,
                 enum tw_zero_reason why)
{
	if (to > w->len)
		to = w->len;
	if (from >= to)
		return;
	memset(w->p + from, 0, to - from);
	w->reasons |= 1u << why;
	w->zbytes[why] += to - from;
	if (why == TW_ZR_PAYLOAD &&
	    w->pol->payload == TW_POL_PAYLOAD_TRUNCATE && from < w->trunc)
		w->trunc = from;
}

static bool deeper(struct walk *w, uint32_t off, uint32_t end)
{
	if (w->depth >= MAX_DEPTH) {
		zero(w, off, end, TW_ZR_MALFORMED);
		return false;
	}
	w->depth++;
	return true;
}

/* ---- identifiers ------------------------------------------------------ */

/* Keeps the first bits of orig and takes the rest from pseudo. */
static void keep_prefix(uint8_t *a, const uint8_t *pseudo, int n, int bits)
{
	for (int i = 0; i < n; i++) {
		int keep = bits - i * 8;
		uint8_t mask;

		if (keep >= 8)
			continue;
		mask = keep <= 0 ? 0 : (uint8_t)(0xff00 >> keep);
		a[i] = (uint8_t)((a[i] & mask) | (pseudo[i] & ~mask));
	}
}

/* The class prefix an IPv4 address keeps, -1 for none, 32 for all. */
static int class4(const uint8_t *a)
{
	uint32_t v = tw_be32(a);

	if (v == 0 || v == 0xffffffffu || a[0] == 127)
		return 32; /* unspecified, broadcast, loopback */
	if ((v & 0xffffff00u) == 0xe0000000u)
		return 32; /* 224.0.0.0/24: local network control */
	if ((v & 0xffff0000u) == 0xa9fe0000u)
		return 16; /* 169.254.0.0/16 link-local */
	if ((v & 0xf0000000u) == 0xe0000000u)
		return 4; /* multicast */
	if (a[0] == 0)
		return 8; /* "this network" */
	return -1;
}

static void addr4(struct walk *w, uint32_t off)
{
	uint8_t *a = w->p + off, ps[4];
	int keep = -1;

	if (off + 4 > w->len) {
		zero(w, off, off + 4, TW_ZR_MALFORMED);
		return;
	}
	if (tw_policy_keeps_addr(w->pol, 4, a))
		return;
	if (w->pol->special == TW_POL_SPECIAL_KEEP_CLASS)
		keep = class4(a);
	if (keep == 32)
		return;
	tw_cpan_ip4(w->r->cpan, a, ps);
	if (keep > 0)
		keep_prefix(a, ps, 4, keep);
	else
		memcpy(a, ps, 4);
	w->r->st.ipv4_addrs++;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * The class prefix an IPv6 address keeps (-1 none, 128 all), or -2 for
 * an address that embeds an IPv4 address in its last 32 bits after a
 * kept /96 (IPv4-mapped, NAT64), which the IPv4 mapping handles so that
 * both families agree.
 */
static int class6(const uint8_t *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0,    0,
		                            0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b };

	if (all_zero(a, 15) && a[15] <= 1)
		return 128; /* :: and ::1 */
	if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12))
		return -2;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return 64; /* fe80::/10 link-local: hide the interface id */
	if (a[0] == 0xff) {
		if (all_zero(a + 2, 11))
			return 128; /* well-known group: ff02::1, ff02::fb */
		if (all_zero(a + 2, 9) && a[11] == 1 && a[12] == 0xff)
			return 104; /* solicited-node: hide the low 24 bits */
		return 16;          /* other groups: keep flags and scope */
	}
	return -1;
}

static void addr6_at(struct walk *w, uint8_t *a)
{
	uint8_t ps[16];
	int keep = -1;

	if (tw_policy_keeps_addr(w->pol, 6, a))
		return;
	if (w->pol->special == TW_POL_SPECIAL_KEEP_CLASS)
		keep = class6(a);
	if (keep == 128)
		return;
	if (keep == -2) {
		if (!tw_policy_keeps_addr(w->pol, 4, a + 12))
			tw_cpan_ip4(w->r->cpan, a + 12, a + 12);
		w->r->st.ipv6_addrs++;
		return;
	}
	tw_cpan_ip6(w->r->cpan, a, ps);
	if (keep > 0)
		keep_prefix(a, ps, 16, keep);
	else
		memcpy(a, ps, 16);
	w->r->st.ipv6_addrs++;
}

static void addr6(struct walk *w, uint32_t off)
{
	if (off + 16 > w->len) {
		zero(w, off, off + 16, TW_ZR_MALFORMED);
		return;
	}
	addr6_at(w, w->p + off);
}

/* A prefix of bits bits at off (nbytes captured): pseudonymized as an
 * address, then cut back to its length. */
static void prefix6(struct walk *w, uint32_t off, uint32_t nbytes, uint8_t bits)
{
	uint8_t a[16] = { 0 };

	if (nbytes > 16)
		nbytes = 16;
	memcpy(a, w->p + off, nbytes);
	addr6_at(w, a);
	if (bits < 128)
		keep_prefix(a, (const uint8_t[16]){ 0 }, 16, bits);
	memcpy(w->p + off, a, nbytes);
}

/*
 * A keyed pseudo-random block: AES-128 of one block under a sub-key, set
 * up once, so a pseudonym costs one block cipher call (HMAC through
 * OpenSSL 3 costs a hundred times more).  Cannot fail with a valid
 * context; if it did, the output would be zeros, hiding the input.
 */
static void prf(EVP_CIPHER_CTX *c, const uint8_t in[16], uint8_t out[16])
{
	int n = 0;

	if (!EVP_EncryptUpdate(c, out, &n, in, 16) || n != 16)
		memset(out, 0, 16);
}

static void mac_pseudo(struct tw_redactor *r, const uint8_t *in, uint8_t *out)
{
	uint8_t b[16] = { 0 }, h[16];

	memcpy(b, in, 6);
	prf(r->mac_prf, b, h);
	memcpy(out, h, 6);
	if (in[0] == 0x33 && in[1] == 0x33) {
		out[0] = out[1] = 0x33; /* IPv6 multicast */
	} else if (in[0] == 0x01 && in[1] == 0x00 && in[2] == 0x5e) {
		memcpy(out, in, 3); /* IPv4 multicast */
		out[3] = (uint8_t)((in[3] & 0x80) | (h[3] & 0x7f));
	} else {
		/* Keep the group (I/G) and local (U/L) bits. */
		out[0] = (uint8_t)((h[0] & 0xfc) | (in[0] & 0x03));
	}
}

static bool mac_is_special(const uint8_t *m)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t ieee[5] = { 0x01, 0x80, 0xc2, 0x00, 0x00 };

	if (!memcmp(m, bcast, 6) || all_zero(m, 6))
		return true;
	if (!memcmp(m, ieee, 5) && (m[5] & 0xf0) == 0)
		return true; /* bridge protocols: STP, LLDP, LACP */
	if (m[0] == 0x33 && m[1] == 0x33 && all_zero(m + 2, 3))
		return true; /* ff02::1, ::2, ::fb... (kept as addresses) */
	if (m[0] == 0x01 && m[1] == 0x00 && m[2] == 0x5e && all_zero(m + 3, 2))
		return true; /* 224.0.0.x (kept as addresses) */
	return false;
}

static void mac(struct walk *w, uint32_t off)
{
	struct tw_redactor *r = w->r;
	uint8_t *m = w->p + off;
	struct mac_ent *e;
	uint32_t h;

	if (off + 6 > w->len) {
		zero(w, off, off + 6, TW_ZR_MALFORMED);
		return;
	}
	if (w->pol->mac == TW_POL_MAC_KEEP || mac_is_special(m))
		return;
	h = (tw_be32(m + 2) ^ (uint32_t)tw_be16(m) * 0x9e3779b1u) * 0x85ebca6bu;
	e = &r->mac[h >> 20];
	if (!e->used || memcmp(e->in, m, 6)) {
		memcpy(e->in, m, 6);
		mac_pseudo(r, m, e->out);
		e->used = true;
	}
	memcpy(m, e->out, 6);
	r->st.macs++;
}

/* The keyed per-host shift of TCP timestamps. */
static uint32_t ts_shift(struct tw_redactor *r, int version, const uint8_t *a)
{
	size_t n = version == 6 ? 16 : 4;
	uint8_t b[16], h[16];
	uint32_t hash = 2166136261u;
	struct ts_ent *e;

	for (size_t i = 0; i < n; i++)
		hash = (hash ^ a[i]) * 16777619u;
	e = &r->ts[hash % TS_CACHE];
	if (e->version == version && !memcmp(e->addr, a, n))
		return e->shift;
	memset(b, 0, sizeof(b));
	memcpy(b, a, n);
	if (version == 4)
		b[15] = 4;
	prf(r->time_prf, b, h);
	memset(e->addr, 0, sizeof(e->addr));
	memcpy(e->addr, a, n);
	e->version = (uint8_t)version;
	e->shift = tw_be32(h);
	return e->shift;
}

/* ---- checksums -------------------------------------------------------- */

static bool ck_equal(uint16_t a, uint16_t b)
{
	/* 0x0000 and 0xffff are the same one's complement number. */
	return a == b || ((a == 0 || a == 0xffff) && (b == 0 || b == 0xffff));
}

bool tw_redact_ipv4_untrusted(const uint8_t *h, uint32_t ihl)
{
	uint16_t stored = tw_be16(h + 10);

	return stored != 0 && !ck_equal(stored, tw_cksum_ipv4(h, ihl));
}

static void l4ck_begin(struct walk *w, struct l4ck *c, int version,
                       uint8_t proto, uint32_t src, uint32_t dst, uint32_t seg,
                       uint32_t end, uint32_t plen, bool complete)
{
	int field = tw_cksum_l4_field(proto);
	uint16_t stored, correct;

	memset(c, 0, sizeof(*c));
	if (field < 0 || seg + (uint32_t)field + 2 > end)
		return;
	c->field = seg + (uint32_t)field;
	stored = tw_be16(w->p + c->field);
	if (proto == TW_IPPROTO_UDP && version == 4 && stored == 0)
		return; /* RFC 768: no checksum */
	c->on = true;
	c->version = (uint8_t)version;
	c->proto = proto;
	c->src = src;
	c->dst = dst;
	c->seg = seg;
	c->seglen = end - seg;
	c->plen = plen;
	c->complete = complete && plen == end - seg;
	if (!c->complete)
		return;
	correct = tw_cksum_l4(version, w->p + src, w->p + dst, proto,
	                      w->p + seg, c->seglen);
	c->valid = ck_equal(stored, correct);
	c->delta = (uint16_t)(stored ^ correct);
}

static void l4ck_end(struct walk *w, const struct l4ck *c)
{
	size_t alen = c->version == 6 ? 16 : 4;
	uint16_t ck;

	if (!c->on)
		return;
	if (c->complete) {
		ck = tw_cksum_l4(c->version, w->p + c->src, w->p + c->dst,
		                 c->proto, w->p + c->seg, c->seglen);
		if (c->valid) {
			w->r->st.cksum_fixed++;
		} else {
			ck ^= c->delta;
			w->r->st.cksum_bad_kept++;
		}
		tw_put_be16(w->p + c->field, ck);
		return;
	}
	/* RFC 1624 over what changed: the captured segment (its checksum
	 * field is unchanged in both copies) and the pseudo-header. */
	ck = tw_be16(w->p + c->field);
	ck = tw_cksum_update(ck, w->o + c->seg, w->p + c->seg, c->seglen);
	if (c->proto != TW_IPPROTO_ICMP) {
		ck = tw_cksum_update(ck, w->o + c->src, w->p + c->src, alen);
		ck = tw_cksum_update(ck, w->o + c->dst, w->p + c->dst, alen);
	}
	if (c->proto == TW_IPPROTO_UDP && ck == 0)
		ck = 0xffff;
	tw_put_be16(w->p + c->field, ck);
	w->r->st.cksum_incremental++;
}

/* A checksum over [off, end) with no pseudo-header, its field at
 * off + field (GRE).  Same rules as the transport checksums. */
struct plainck {
	uint32_t off, end, field;
	bool complete, valid;
	uint16_t delta;
};

static uint16_t plain_sum(const uint8_t *p, uint32_t len, uint32_t field)
{
	uint32_t s = tw_cksum_add(0, p, field);

	s = tw_cksum_add(s, p + field + 2, len - field - 2);
	return tw_cksum_fold(s);
}

static void plainck_begin(struct walk *w, struct plainck *c, uint32_t off,
                          uint32_t end, uint32_t field, bool complete)
{
	uint16_t correct;

	c->off = off;
	c->end = end;
	c->field = field;
	c->complete = complete;
	if (!complete)
		return;
	correct = plain_sum(w->p + off, end - off, field);
	c->valid = ck_equal(tw_be16(w->p + off + field), correct);
	c->delta = (uint16_t)(tw_be16(w->p + off + field) ^ correct);
}

static void plainck_end(struct walk *w, const struct plainck *c)
{
	uint8_t *f = w->p + c->off + c->field;
	uint16_t ck;

	if (c->complete) {
		ck = plain_sum(w->p + c->off, c->end - c->off, c->field);
		if (!c->valid)
			ck ^= c->delta;
	} else {
		ck = tw_cksum_update(tw_be16(f), w->o + c->off, w->p + c->off,
		                     c->end - c->off);
	}
	tw_put_be16(f, ck);
}

/* ---- TLS (RFC 8446 section 5.1 records, 4.1.2 ClientHello) ----------- */

static void sni_name(struct walk *w, uint32_t off, uint32_t n)
{
	uint8_t *s = w->p + off;
	uint8_t h[32];

	w->r->st.sni++;
	if (w->pol->sni == TW_POL_SNI_ZERO) {
		zero(w, off, off + n, TW_ZR_TLS);
		return;
	}
	/* Same name, same pseudonym: letters stay letters, digits digits,
	 * dots and hyphens stay, so the length and shape survive. */
	for (uint32_t i = 0; i < n; i++) {
		if (i % 32 == 0) {
			uint8_t msg[4 + 256];
			uint32_t m = n > 256 ? 256 : n;

			tw_put_be32(msg, i / 32);
			memcpy(msg + 4, w->o + off, m);
			tw_key_hmac(w->r->value_key, msg, 4 + m, h);
		}
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z'))
			s[i] = (uint8_t)('a' + h[i % 32] % 26);
		else if (s[i] >= '0' && s[i] <= '9')
			s[i] = (uint8_t)('0' + h[i % 32] % 10);
		else if (s[i] != '.' && s[i] != '-')
			s[i] = 'x';
	}
	OPENSSL_cleanse(h, sizeof(h));
}

/* server_name (RFC 6066 section 3). */
static void ext_sni(struct walk *w, uint32_t off, uint32_t end)
{
	uint32_t pos = off + 2;

	if (off + 2 > end) {
		zero(w, off, end, TW_ZR_TLS);
		return;
	}
	while (pos + 3 <= end) {
		uint32_t n = tw_be16(w->p + pos + 1);

		if (pos + 3 + n > end)
			break;
		sni_name(w, pos + 3, n);
		pos += 3 + n;
	}
	zero(w, pos, end, TW_ZR_TLS);
}

/* Extensions whose contents are kept: they say what the software can do,
 * not who uses it. */
static bool ext_kept(uint16_t type)
{
	switch (type) {
	case 10: /* supported_groups */
	case 11: /* ec_point_formats */
	case 13: /* signature_algorithms */
	case 16: /* ALPN */
	case 23: /* extended_master_secret */
	case 43: /* supported_versions */
	case 45: /* psk_key_exchange_modes */
		return true;
	default:
		return false;
	}
}

static void tls_extensions(struct walk *w, uint32_t pos, uint32_t end)
{
	while (pos + 4 <= end) {
		uint16_t type = tw_be16(w->p + pos);
		uint32_t n = tw_be16(w->p + pos + 2), d = pos + 4;

		if (d + n > end)
			break;
		if (type == 0)
			ext_sni(w, d, d + n);
		else if (!ext_kept(type))
			zero(w, d, d + n, TW_ZR_TLS);
		pos = d + n;
	}
	zero(w, pos, end, TW_ZR_TLS);
}

/* ClientHello (1) or ServerHello (2) body at [pos, end). */
static void tls_hello(struct walk *w, uint8_t type, uint32_t pos, uint32_t end)
{
	uint32_t n;

	if (pos + 35 > end)
		goto rest;
	zero(w, pos + 2, pos + 34, TW_ZR_TLS); /* random */
	pos += 34;
	n = w->p[pos]; /* session id */
	if (pos + 1 + n > end)
		goto rest;
	zero(w, pos + 1, pos + 1 + n, TW_ZR_TLS);
	pos += 1 + n;
	if (type == 1) {
		if (pos + 2 > end)
			goto rest;
		pos += 2 + tw_be16(w->p + pos); /* cipher suites */
		if (pos + 1 > end)
			goto rest;
		pos += 1 + w->p[pos]; /* compression methods */
	} else {
		pos += 3; /* cipher suite, compression method */
	}
	if (pos + 2 > end)
		goto rest;
	n = tw_be16(w->p + pos);
	if (pos + 2 + n > end)
		goto rest;
	tls_extensions(w, pos + 2, pos + 2 + n);
	pos += 2 + n;
rest:
	zero(w, pos, end, TW_ZR_TLS);
}

/* Handshake message types of RFC 8446 section 4 and RFC 5246 7.4. */
static bool hs_type_known(uint8_t t)
{
	return t <= 2 || t == 4 || t == 5 || t == 8 || (t >= 11 && t <= 16) ||
	       t == 20 || t == 24;
}

/* Handshake messages (RFC 8446 section 4) within one record body.  A
 * message that is unknown or overruns the record is zeroed whole. */
static void tls_handshake(struct walk *w, uint32_t pos, uint32_t end)
{
	while (pos + 4 <= end) {
		uint8_t type = w->p[pos];
		uint32_t n = tw_be32(w->p + pos) & 0xffffff;
		uint32_t body = pos + 4, bend = body + n;

		if (bend > end || !hs_type_known(type))
			break;
		if (type == 1 || type == 2)
			tls_hello(w, type, body, bend);
		else
			zero(w, body, bend, TW_ZR_TLS);
		pos = bend;
	}
	zero(w, pos, end, TW_ZR_TLS);
}

/*
 * TLS records starting at the first byte of a segment: headers kept,
 * contents zeroed except the hello messages' framing.  A segment that
 * does not start with a record header (a continuation) is payload.
 */
static void tls(struct walk *w, uint32_t off, uint32_t end)
{
	uint32_t pos = off;

	while (pos + 5 <= end) {
		uint8_t ct = w->p[pos];
		uint32_t n = tw_be16(w->p + pos + 3), body = pos + 5;
		uint32_t bend = body + n > end ? end : body + n;

		if (ct < 20 || ct > 24 || w->p[pos + 1] != 3 ||
		    w->p[pos + 2] > 4 || n > 18432)
			break;
		if (ct == 22 && body + n <= end)
			tls_handshake(w, body, bend);
		else
			zero(w, body, bend, TW_ZR_TLS);
		pos = body + n;
	}
	if (pos < end)
		zero(w, pos, end, pos == off ? TW_ZR_PAYLOAD : TW_ZR_TLS);
}

/* ---- transport -------------------------------------------------------- */

static void payload(struct walk *w, uint32_t off, uint32_t end, uint16_t sp,
                    uint16_t dp, bool is_tcp)
{
	const struct tw_policy *pol = w->pol;

	if (off >= end)
		return;
	if (is_tcp && w->ov && off == w->ov_off && end - off == w->ov_len) {
		/* Redacted by the stream redactor (session.h). */
		memcpy(w->p + off, w->ov, w->ov_len);
		return;
	}
	if (tw_policy_bit(pol->keep_port, sp) ||
	    tw_policy_bit(pol->keep_port, dp))
		return;
	if (is_tcp && pol->tls_records == TW_POL_TLS_KEEP_HEADERS &&
	    (tw_policy_bit(pol->tls_port, sp) ||
	     tw_policy_bit(pol->tls_port, dp))) {
		tls(w, off, end);
		return;
	}
	zero(w, off, end, TW_ZR_PAYLOAD);
}

/* TCP options (RFC 9293 section 3.1, RFC 7323 for timestamps). */
static void tcp_options(struct walk *w, uint32_t pos, uint32_t end, int version,
                        uint32_t src, uint32_t dst)
{
	while (pos < end) {
		uint8_t kind = w->p[pos], n;

		if (kind == 0) {
			zero(w, pos + 1, end, TW_ZR_OPTIONS);
			return;
		}
		if (kind == 1) {
			pos++;
			continue;
		}
		if (pos + 2 > end || (n = w->p[pos + 1]) < 2 || pos + n > end) {
			zero(w, pos, end, TW_ZR_MALFORMED);
			return;
		}
		if (kind == 8 && n == 10) {
			uint8_t *v = w->p + pos + 2;

			if (w->pol->tcp_ts == TW_POL_TS_ZERO) {
				zero(w, pos + 2, pos + 10, TW_ZR_OPTIONS);
			} else if (w->pol->tcp_ts == TW_POL_TS_SHIFT) {
				uint32_t ecr = tw_be32(v + 4);

				tw_put_be32(v,
				            tw_be32(v) + ts_shift(w->r, version,
				                                  w->p + src));
				if (ecr)
					tw_put_be32(v + 4,
					            ecr + ts_shift(w->r,
					                           version,
					                           w->p + dst));
				w->r->st.tcp_timestamps++;
			}
		} else if (!((kind == 2 && n == 4) || (kind == 3 && n == 3) ||
		             (kind == 4 && n == 2) ||
		             (kind == 5 && n % 8 == 2 && n <= 34))) {
			/* MSS, window scale, SACK kept; others unknown. */
			zero(w, pos + 2, pos + n, TW_ZR_OPTIONS);
		}
		pos += n;
	}
}

static void tcp(struct walk *w, uint32_t off, uint32_t end, int version,
                uint32_t src, uint32_t dst)
{
	uint32_t doff, hend;

	if (off + 20 > end)
		return; /* a cut header: its fields are all framing */
	doff = (uint32_t)(w->p[off + 12] >> 4) * 4;
	if (doff < 20) {
		zero(w, off + 4, end, TW_ZR_MALFORMED); /* ports parse */
		return;
	}
	hend = off + doff > end ? end : off + doff;
	tcp_options(w, off + 20, hend, version, src, dst);
	payload(w, hend, end, tw_be16(w->p + off), tw_be16(w->p + off + 2),
	        true);
}

static void udp(struct walk *w, uint32_t off, uint32_t end)
{
	uint16_t sp, dp, ulen;

	if (off + 8 > end)
		return;
	sp = tw_be16(w->p + off);
	dp = tw_be16(w->p + off + 2);
	ulen = tw_be16(w->p + off + 4);
	if (ulen >= 8 && off + ulen < end) {
		zero(w, off + ulen, end, TW_ZR_TRAILER);
		end = off + ulen;
	}
	/* VXLAN (RFC 7348 section 5): flags, VNI, reserved; Ethernet. */
	if (dp == 4789 && off + 16 <= end && (w->p[off + 8] & 0x08) &&
	    !tw_policy_bit(w->pol->keep_port, sp) &&
	    !tw_policy_bit(w->pol->keep_port, dp)) {
		if (deeper(w, off + 16, end)) {
			eth(w, off + 16, end);
			w->depth--;
		}
		return;
	}
	payload(w, off + 8, end, sp, dp, false);
}

/* ICMP (RFC 792): errors quote the offending IP header and 8 bytes. */
static void icmp4(struct walk *w, uint32_t off, uint32_t end)
{
	uint8_t type;

	if (off + 8 > end) {
		zero(w, off + 4, end, TW_ZR_MALFORMED);
		return;
	}
	type = w->p[off];
	switch (type) {
	case 0:
	case 8: /* echo: identifier and sequence kept */
		zero(w, off + 8, end, TW_ZR_PAYLOAD);
		return;
	case 5: /* redirect: the gateway's address */
		addr4(w, off + 4);
		/* fall through */
	case 3:
	case 4:
	case 11:
	case 12:
		if (deeper(w, off + 8, end)) {
			ip4(w, off + 8, end, true);
			w->depth--;
		}
		return;
	default:
		zero(w, off + 4, end, TW_ZR_PAYLOAD);
	}
}

/* NDP options (RFC 4861 section 4.6, RFC 8106 RDNSS, RFC 4191). */
static void ndp_options(struct walk *w, uint32_t pos, uint32_t end)
{
	while (pos + 2 <= end) {
		uint8_t type = w->p[pos];
		uint32_t n = (uint32_t)w->p[pos + 1] * 8;

		if (n == 0 || pos + n > end) {
			zero(w, pos, end, TW_ZR_MALFORMED);
			return;
		}
		if ((type == 1 || type == 2) && n == 8) {
			mac(w, pos + 2);
		} else if (type == 3 && n == 32) {
			zero(w, pos + 12, pos + 16, TW_ZR_OPTIONS);
			prefix6(w, pos + 16, 16, w->p[pos + 2]);
		} else if (type == 24 && n >= 8) {
			prefix6(w, pos + 8, n - 8, w->p[pos + 2]);
		} else if (type == 25 && n >= 8) {
			for (uint32_t a = pos + 8; a + 16 <= pos + n; a += 16)
				addr6(w, a);
		} else if (type != 5) {
			zero(w, pos + 2, pos + n, TW_ZR_OPTIONS);
		}
		pos += n;
	}
	zero(w, pos, end, TW_ZR_MALFORMED);
}

/* MLDv2 report (RFC 3810 section 5.2): records of group and sources. */
static void mld2_report(struct walk *w, uint32_t pos, uint32_t end)
{
	while (pos + 20 <= end) {
		uint32_t aux = (uint32_t)w->p[pos + 1] * 4;
		uint32_t nsrc = tw_be16(w->p + pos + 2), a = pos + 20;

		addr6(w, pos + 4);
		for (uint32_t i = 0; i < nsrc && a + 16 <= end; i++, a += 16)
			addr6(w, a);
		if (a + aux > end) {
			zero(w, a, end, TW_ZR_MALFORMED);
			return;
		}
		zero(w, a, a + aux, TW_ZR_OPTIONS);
		pos = a + aux;
	}
	zero(w, pos, end, TW_ZR_MALFORMED);
}

/* ICMPv6 (RFC 4443), NDP (RFC 4861), MLD (RFC 2710, 3810). */
static void icmp6(struct walk *w, uint32_t off, uint32_t end)
{
	uint8_t type;

	if (off + 8 > end) {
		zero(w, off + 4, end, TW_ZR_MALFORMED);
		return;
	}
	type = w->p[off];
	switch (type) {
	case 1:
	case 2:
	case 3:
	case 4:
		if (deeper(w, off + 8, end)) {
			ip6(w, off + 8, end, true);
			w->depth--;
		}
		return;
	case 128:
	case 129:
		zero(w, off + 8, end, TW_ZR_PAYLOAD);
		return;
	case 130: /* MLD query (v1 or v2), report, done */
	case 131:
	case 132:
		if (off + 24 > end) {
			zero(w, off + 8, end, TW_ZR_MALFORMED);
			return;
		}
		addr6(w, off + 8);
		if (type == 130 && off + 28 <= end) {
			uint32_t a = off + 28;

			for (; a + 16 <= end; a += 16)
				addr6(w, a);
			zero(w, a, end, TW_ZR_MALFORMED);
		} else {
			zero(w, off + 24, end, TW_ZR_MALFORMED);
		}
		return;
	case 143:
		mld2_report(w, off + 8, end);
		return;
	case 133:
		ndp_options(w, off + 8, end);
		return;
	case 134:
		if (off + 16 > end) {
			zero(w, off + 8, end, TW_ZR_MALFORMED);
			return;
		}
		ndp_options(w, off + 16, end);
		return;
	case 135:
	case 136:
	case 137:
		if (off + (type == 137 ? 40u : 24u) > end) {
			zero(w, off + 8, end, TW_ZR_MALFORMED);
			return;
		}
		addr6(w, off + 8);
		if (type == 137)
			addr6(w, off + 24);
		ndp_options(w, off + (type == 137 ? 40 : 24), end);
		return;
	default:
		zero(w, off + 4, end, TW_ZR_PAYLOAD);
	}
}

/* GRE (RFC 2784, RFC 2890), ERSPAN (draft-foschiano-erspan). */
static void gre(struct walk *w, uint32_t off, uint32_t end, bool complete)
{
	uint16_t flags, proto;
	uint32_t hl = 4, in;
	struct plainck ck = { 0 };

	if (off + 4 > end)
		return;
	flags = tw_be16(w->p + off);
	proto = tw_be16(w->p + off + 2);
	hl += (flags & 0x8000 ? 4 : 0) + (flags & 0x2000 ? 4 : 0) +
	      (flags & 0x1000 ? 4 : 0);
	if ((flags & 0x4007) || off + hl > end) {
		/* Version 1 (PPTP), source routing, or cut short. */
		zero(w, off + 4, end, TW_ZR_L4);
		return;
	}
	if (flags & 0x8000) {
		plainck_begin(w, &ck, off, end, 4, complete);
		if (complete && !ck.valid) {
			/* As for an IPv4 header: not trusted, not walked. */
			zero(w, off + 4, end, TW_ZR_MALFORMED);
			return;
		}
	}
	in = off + hl;
	if (!deeper(w, in, end))
		return;
	switch (proto) {
	case 0x0800:
		ip4(w, in, end, false);
		break;
	case 0x86dd:
		ip6(w, in, end, false);
		break;
	case 0x6558: /* transparent Ethernet bridging */
		eth(w, in, end);
		break;
	case 0x88be: /* ERSPAN type II (type I has no header) */
		if (flags & 0x1000) {
			if (in + 8 > end)
				break;
			in += 8;
		}
		eth(w, in, end);
		break;
	case 0x22eb: /* ERSPAN type III, optional platform sub-header */
		if (in + 12 > end)
			break;
		if (w->p[in + 11] & 1) {
			zero(w, in + 12, in + 20, TW_ZR_OPTIONS);
			in += 8;
		}
		eth(w, in + 12, end);
		break;
	default:
		zero(w, in, end, TW_ZR_NOT_IP);
	}
	w->depth--;
	if (flags & 0x8000)
		plainck_end(w, &ck);
}

/* ---- IP --------------------------------------------------------------- */

/* An IP layer as found before any edit. */
struct ipinfo {
	int version;
	uint32_t off, hend, end; /* header, end of header(s), layer end */
	uint32_t src, dst;       /* pseudo-header addresses */
	uint8_t proto;           /* upper layer */
	uint32_t plen;           /* upper-layer length per the header */
	bool complete;           /* upper layer all captured, unfragmented */
	bool later;              /* fragment with a non-zero offset */
	bool bad;                /* extension headers cut or malformed */
};

static void ext6_walk(struct walk *w, struct ipinfo *ip, bool edit);

/* Pseudonymizes the addresses of an IP layer and zeroes its options. */
static void ip_edit(struct walk *w, struct ipinfo *ip)
{
	if (ip->version == 4) {
		zero(w, ip->off + 20, ip->hend, TW_ZR_OPTIONS);
		addr4(w, ip->off + 12);
		addr4(w, ip->off + 16);
		return;
	}
	addr6(w, ip->off + 8);
	addr6(w, ip->off + 24);
	ext6_walk(w, ip, true);
}

/*
 * The upper layer of ip: the transport checksum is verified first, then
 * the IP layer's addresses change, then the transport is redacted, then
 * the checksum is rewritten.
 */
static void transport(struct walk *w, struct ipinfo *ip)
{
	uint32_t off = ip->hend, end = ip->end;
	uint8_t proto = ip->proto;
	struct l4ck ck;

	/* TODO(#4): reassemble IP fragments, so that later fragments are
	 * redacted like the rest and the first one's transport checksum
	 * stays valid (today it is updated for the first fragment only). */
	if (ip->bad || ip->later) {
		ip_edit(w, ip);
		zero(w, off, end, ip->later ? TW_ZR_FRAGMENT : TW_ZR_MALFORMED);
		return;
	}
	if ((proto == TW_IPPROTO_ICMP && ip->version == 4) ||
	    (proto == TW_IPPROTO_ICMPV6 && ip->version == 6) ||
	    proto == TW_IPPROTO_TCP || proto == TW_IPPROTO_UDP) {
		l4ck_begin(w, &ck, ip->version, proto, ip->src, ip->dst, off,
		           end, ip->plen, ip->complete);
		ip_edit(w, ip);
		if (proto == TW_IPPROTO_TCP)
			tcp(w, off, end, ip->version, ip->src, ip->dst);
		else if (proto == TW_IPPROTO_UDP)
			udp(w, off, end);
		else if (proto == TW_IPPROTO_ICMP)
			icmp4(w, off, end);
		else
			icmp6(w, off, end);
		l4ck_end(w, &ck);
		return;
	}
	ip_edit(w, ip);
	switch (proto) {
	case TW_IPPROTO_IPIP:
	case TW_IPPROTO_IPV6:
		if (deeper(w, off, end)) {
			if (proto == TW_IPPROTO_IPIP)
				ip4(w, off, end, false);
			else
				ip6(w, off, end, false);
			w->depth--;
		}
		return;
	case TW_IPPROTO_GRE:
		gre(w, off, end, ip->complete);
		return;
	case 59: /* IPv6 no next header */
		zero(w, off, end, TW_ZR_TRAILER);
		return;
	default:
		zero(w, off, end, TW_ZR_L4);
	}
}

/* What is left of a header too short to walk: addresses, if whole. */
static void ip_cut(struct walk *w, int version, uint32_t off, uint32_t end)
{
	uint32_t a = version == 4 ? 12 : 8, n = version == 4 ? 4 : 16;

	/* The header did not parse: only its version byte and addresses
	 * are taken as what they claim to be. */
	zero(w, off + 1, off + a, TW_ZR_MALFORMED);
	for (uint32_t i = 0; i < 2; i++, a += n) {
		if (off + a + n <= end) {
			if (version == 4)
				addr4(w, off + a);
			else
				addr6(w, off + a);
		} else {
			zero(w, off + a, end, TW_ZR_MALFORMED);
			return;
		}
	}
	zero(w, off + a, end, TW_ZR_MALFORMED);
}

/* IPv4 (RFC 791).  quoted: inside an ICMP error, so probably cut. */
static void ip4(struct walk *w, uint32_t off, uint32_t end, bool quoted)
{
	uint8_t *h = w->p + off;
	struct ipinfo ip = { .version = 4, .off = off };
	uint32_t ihl, tot, dend;
	uint16_t stored, correct, frag;

	if (off >= end || (h[0] >> 4) != 4) {
		zero(w, off, end, TW_ZR_MALFORMED);
		return;
	}
	ihl = (uint32_t)(h[0] & 15) * 4;
	if (off + 20 > end || ihl < 20 || off + ihl > end ||
	    tw_be16(h + 2) < ihl) {
		ip_cut(w, 4, off, end);
		return;
	}
	tot = tw_be16(h + 2);
	dend = off + tot;
	if (dend < end) {
		/* Link padding, or ICMP extensions after a quotation. */
		zero(w, dend, end, TW_ZR_TRAILER);
		end = dend;
	}
	stored = tw_be16(h + 10);
	correct = tw_cksum_ipv4(h, ihl);
	frag = tw_be16(h + 6);

	ip.hend = off + ihl;
	ip.end = end;
	ip.src = off + 12;
	ip.dst = off + 16;
	ip.proto = h[9];
	ip.plen = tot - ihl;
	ip.later = (frag & 0x1fff) != 0;
	ip.complete = !quoted && dend == end && !(frag & 0x2000) && !ip.later;
	/* A header that fails its own checksum cannot be trusted to say
	 * where the transport is: its addresses are pseudonymized and the
	 * rest of the datagram zeroed.  Exempt: quoted headers (some
	 * routers quote them after changing the TTL) and a checksum of 0,
	 * which is what a sender's capture shows when the NIC computes
	 * it (checksum offload). */
	ip.bad = !quoted && tw_redact_ipv4_untrusted(h, ihl);
	transport(w, &ip);

	/* Valid if it was; off by the same bits if it was not. */
	if (ck_equal(stored, correct)) {
		tw_put_be16(h + 10, tw_cksum_ipv4(h, ihl));
		w->r->st.cksum_fixed++;
	} else {
		tw_put_be16(h + 10, (uint16_t)(tw_cksum_ipv4(h, ihl) ^
		                               (stored ^ correct)));
		w->r->st.cksum_bad_kept++;
	}
}

/* Hop-by-hop and destination options (RFC 8200 section 4.2): padding,
 * jumbo payload and router alert are kept; other option data zeroed. */
static void tlv_options(struct walk *w, uint32_t pos, uint32_t end,
                        uint32_t *jumbo)
{
	while (pos < end) {
		uint8_t type = w->p[pos];
		uint32_t n;

		if (type == 0) {
			pos++;
			continue;
		}
		if (pos + 2 > end || pos + 2 + w->p[pos + 1] > end) {
			zero(w, pos, end, TW_ZR_MALFORMED);
			return;
		}
		n = w->p[pos + 1];
		if (type == 0xc2 && n == 4 && jumbo)
			*jumbo = tw_be32(w->p + pos + 2);
		else if (type != 5 && type != 0xc2)
			zero(w, pos + 2, pos + 2 + n, TW_ZR_OPTIONS);
		pos += 2 + n;
	}
}

/* A routing header (RFC 8200 4.4, RFC 6275 6.4, RFC 8754): the
 * addresses it lists; the final destination for the pseudo-header. */
static void routing6(struct walk *w, struct ipinfo *ip, uint32_t pos,
                     uint32_t hl, bool edit)
{
	uint8_t type = w->p[pos + 2], left = w->p[pos + 3];
	uint32_t n = (hl - 8) / 16, a;

	if (type != 0 && type != 2 && type != 4) {
		if (edit)
			zero(w, pos + 4, pos + hl, TW_ZR_OPTIONS);
		return;
	}
	if (type == 4 && (uint32_t)w->p[pos + 4] + 1 < n)
		n = (uint32_t)w->p[pos + 4] + 1;
	if (!edit) {
		if (left && n)
			ip->dst = type == 4 ? pos + 8 : pos + 8 + (n - 1) * 16;
		return;
	}
	for (a = 0; a < n; a++)
		addr6(w, pos + 8 + a * 16);
	zero(w, pos + 8 + n * 16, pos + hl, TW_ZR_OPTIONS);
}

/*
 * Walks the extension headers of the IPv6 layer ip.  Without edit, it
 * finds the upper layer, its length, fragments and the final destination;
 * with edit, it redacts the headers found.
 */
static void ext6_walk(struct walk *w, struct ipinfo *ip, bool edit)
{
	uint8_t nh = w->p[ip->off + 6];
	uint32_t pos = ip->off + 40, jumbo = 0;

	for (int i = 0; i < 16; i++) {
		uint32_t hl;

		if (nh != 0 && nh != 43 && nh != 44 && nh != 60 && nh != 51)
			break;
		if (pos + 8 > ip->end) {
			if (!edit)
				ip->bad = true;
			break;
		}
		hl = nh == 44   ? 8
		     : nh == 51 ? ((uint32_t)w->p[pos + 1] + 2) * 4
		                : ((uint32_t)w->p[pos + 1] + 1) * 8;
		if (pos + hl > ip->end) {
			if (!edit)
				ip->bad = true;
			else
				zero(w, pos + 2, ip->end, TW_ZR_MALFORMED);
			break;
		}
		if (nh == 0 || nh == 60) {
			if (edit)
				tlv_options(w, pos + 2, pos + hl, NULL);
			else if (nh == 0)
				tlv_options(w, pos + 2, pos + hl, &jumbo);
		} else if (nh == 43) {
			routing6(w, ip, pos, hl, edit);
		} else if (nh == 44 && !edit) {
			uint16_t fo = tw_be16(w->p + pos + 2);

			ip->later = (fo & 0xfff8) != 0;
			ip->complete = ip->complete && !(fo & 1) && !ip->later;
		} else if (nh == 51 && edit) {
			zero(w, pos + 12, pos + hl, TW_ZR_OPTIONS);
		}
		nh = w->p[pos];
		pos += hl;
	}
	if (edit)
		return;
	ip->hend = pos;
	ip->proto = nh;
	if (jumbo && tw_be16(w->p + ip->off + 4) == 0)
		ip->complete = ip->complete && ip->off + 40 + jumbo == ip->end;
	ip->plen = ip->end - pos;
}

/* IPv6 (RFC 8200).  quoted: inside an ICMPv6 error. */
static void ip6(struct walk *w, uint32_t off, uint32_t end, bool quoted)
{
	struct ipinfo ip = { .version = 6, .off = off };
	uint32_t plen, dend;

	if (off >= end || (w->p[off] >> 4) != 6) {
		zero(w, off, end, TW_ZR_MALFORMED);
		return;
	}
	if (off + 40 > end) {
		ip_cut(w, 6, off, end);
		return;
	}
	plen = tw_be16(w->p + off + 4);
	dend = off + 40 + plen;
	ip.complete = !quoted;
	if (plen == 0) {
		dend = end; /* jumbogram (RFC 2675), checked below */
	} else if (dend < end) {
		zero(w, dend, end, TW_ZR_TRAILER);
		end = dend;
	} else if (dend > end) {
		ip.complete = false;
	}
	ip.end = end;
	ip.src = off + 8;
	ip.dst = off + 24;
	ext6_walk(w, &ip, false);
	if (ip.bad) {
		ip.hend = off + 40;
		ip.proto = w->p[off + 6];
	}
	transport(w, &ip);
}

/* ---- link layer ------------------------------------------------------- */

/* ARP (RFC 826) for Ethernet and IPv4; other shapes are zeroed. */
static void arp(struct walk *w, uint32_t off, uint32_t end)
{
	const uint8_t *a = w->p + off;

	if (off + 8 > end) {
		zero(w, off, end, TW_ZR_MALFORMED);
		return;
	}
	if (tw_be16(a) != 1 || tw_be16(a + 2) != 0x0800 || a[4] != 6 ||
	    a[5] != 4 || off + 28 > end) {
		zero(w, off + 8, end,
		     off + 28 > end ? TW_ZR_MALFORMED : TW_ZR_NOT_IP);
		return;
	}
	mac(w, off + 8);
	addr4(w, off + 14);
	mac(w, off + 18);
	addr4(w, off + 24);
	zero(w, off + 28, end, TW_ZR_TRAILER);
}

static void l3(struct walk *w, uint16_t ethertype, uint32_t off, uint32_t end)
{
	switch (ethertype) {
	case 0x0800:
		ip4(w, off, end, false);
		break;
	case 0x86dd:
		ip6(w, off, end, false);
		break;
	case 0x0806:
		arp(w, off, end);
		break;
	default:
		zero(w, off, end, TW_ZR_NOT_IP);
	}
}

/* Ethernet II with 802.1Q / 802.1ad tags (the tags are kept). */
static void eth(struct walk *w, uint32_t off, uint32_t end)
{
	uint16_t et;
	int tags = 0;

	if (off + 14 > end) {
		if (off + 6 <= end)
			mac(w, off);
		if (off + 12 <= end)
			mac(w, off + 6);
		zero(w,
		     off + (off + 12 <= end  ? 12
		            : off + 6 <= end ? 6
		                             : 0),
		     end, TW_ZR_MALFORMED);
		return;
	}
	mac(w, off);
	mac(w, off + 6);
	et = tw_be16(w->p + off + 12);
	off += 14;
	while ((et == 0x8100 || et == 0x88a8 || et == 0x9100) && tags < 8) {
		if (off + 4 > end) {
			zero(w, off, end, TW_ZR_MALFORMED);
			return;
		}
		et = tw_be16(w->p + off + 2);
		off += 4;
		tags++;
	}
	l3(w, et, off, end);
}

/* Linux cooked capture v1 (16 bytes) and v2 (20 bytes). */
static void sll(struct walk *w, bool v2)
{
	uint32_t hl = v2 ? 20 : 16, aoff = v2 ? 12 : 6;
	uint16_t halen, proto;

	if (w->len < hl) {
		zero(w, 0, w->len, TW_ZR_MALFORMED);
		return;
	}
	halen = v2 ? w->p[11] : tw_be16(w->p + 4);
	proto = tw_be16(w->p + (v2 ? 0 : 14));
	if (halen == 6) {
		mac(w, aoff);
		zero(w, aoff + 6, aoff + 8, TW_ZR_OPTIONS);
	} else {
		zero(w, aoff, aoff + 8, TW_ZR_OPTIONS);
	}
	l3(w, proto, hl, w->len);
}

static void link_layer(struct walk *w, uint32_t linktype)
{
	uint32_t fam;

	switch (linktype) {
	case TW_LINK_ETHERNET:
		eth(w, 0, w->len);
		return;
	case TW_LINK_RAW:
	case TW_LINK_IPV4:
	case TW_LINK_IPV6:
		if (w->len && (w->p[0] >> 4) == 4)
			ip4(w, 0, w->len, false);
		else if (w->len && (w->p[0] >> 4) == 6)
			ip6(w, 0, w->len, false);
		else
			zero(w, 0, w->len, TW_ZR_NOT_IP);
		return;
	case TW_LINK_NULL:
	case TW_LINK_LOOP:
		if (w->len < 4) {
			zero(w, 0, w->len, TW_ZR_MALFORMED);
			return;
		}
		/* The family is in the capturing host's byte order. */
		fam = tw_be32(w->p);
		if (fam > 0xffff)
			fam = tw_le32(w->p);
		if (fam == 2)
			ip4(w, 4, w->len, false);
		else if (fam == 24 || fam == 28 || fam == 30)
			ip6(w, 4, w->len, false);
		else
			zero(w, 4, w->len, TW_ZR_NOT_IP);
		return;
	case TW_LINK_LINUX_SLL:
	case TW_LINK_LINUX_SLL2:
		sll(w, linktype == TW_LINK_LINUX_SLL2);
		return;
	default:
		zero(w, 0, w->len, TW_ZR_NOT_IP);
	}
}

/* ---- the redactor ----------------------------------------------------- */

int tw_redactor_new(struct tw_redactor **out, const struct tw_policy *pol,
                    const struct tw_key *key, struct tw_errbuf *eb)
{
	struct tw_redactor *r;
	int rc;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return tw_errf(eb, TW_ENOMEM, "redactor: out of memory");
	r->pol = pol;
	rc = tw_cpan_new(&r->cpan, key->addr, 16, eb);
	if (rc < 0) {
		free(r);
		return rc;
	}
	memcpy(r->value_key, key->value, sizeof(r->value_key));
	r->mac_prf = EVP_CIPHER_CTX_new();
	r->time_prf = EVP_CIPHER_CTX_new();
	if (!r->mac_prf || !r->time_prf ||
	    !EVP_EncryptInit_ex(r->mac_prf, EVP_aes_128_ecb(), NULL, key->mac,
	                        NULL) ||
	    !EVP_EncryptInit_ex(r->time_prf, EVP_aes_128_ecb(), NULL, key->time,
	                        NULL)) {
		tw_redactor_free(r);
		return tw_errf(eb, TW_EINTERNAL,
		               "redactor: AES-128 set-up failed in OpenSSL");
	}
	r->orig_cap = 65536 + 64;
	r->orig = malloc(r->orig_cap);
	if (!r->orig) {
		tw_redactor_free(r);
		return tw_errf(eb, TW_ENOMEM, "redactor: out of memory");
	}
	*out = r;
	return 0;
}

int tw_redact_packet(struct tw_redactor *r, uint32_t linktype, uint8_t *data,
                     uint32_t *caplen)
{
	return tw_redact_packet_with(r, linktype, data, caplen, 0, NULL, 0);
}

void tw_redact_addr(struct tw_redactor *r, int version, uint8_t *a)
{
	struct walk w = { .r = r, .pol = r->pol, .p = a, .len = 16 };

	if (version == 4)
		addr4(&w, 0);
	else
		addr6(&w, 0);
}

int tw_redact_packet_with(struct tw_redactor *r, uint32_t linktype,
                          uint8_t *data, uint32_t *caplen, uint32_t pay_off,
                          const uint8_t *pay, uint32_t pay_len)
{
	struct walk w = { .r = r,
		          .pol = r->pol,
		          .p = data,
		          .len = *caplen,
		          .ov = pay,
		          .ov_off = pay_off,
		          .ov_len = pay_len };

	if (*caplen > r->orig_cap) {
		uint8_t *o = realloc(r->orig, *caplen);

		if (!o) {
			memset(data, 0, *caplen);
			r->st.zero_packets[TW_ZR_MALFORMED]++;
			r->st.zero_bytes[TW_ZR_MALFORMED] += *caplen;
			return TW_ENOMEM;
		}
		r->orig = o;
		r->orig_cap = *caplen;
	}
	memcpy(r->orig, data, *caplen);
	w.o = r->orig;
	w.trunc = *caplen;
	link_layer(&w, linktype);

	r->st.packets++;
	for (int i = 0; i < TW_ZR_COUNT; i++) {
		if (w.reasons & (1u << i)) {
			r->st.zero_packets[i]++;
			r->st.zero_bytes[i] += w.zbytes[i];
		}
	}
	if (w.trunc < *caplen) {
		*caplen = w.trunc;
		r->st.truncated_packets++;
	}
	return 0;
}

const struct tw_redact_stats *tw_redactor_stats(const struct tw_redactor *r)
{
	return &r->st;
}

void tw_redactor_free(struct tw_redactor *r)
{
	if (!r)
		return;
	tw_cpan_free(r->cpan);
	EVP_CIPHER_CTX_free(r->mac_prf);
	EVP_CIPHER_CTX_free(r->time_prf);
	free(r->orig);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}
