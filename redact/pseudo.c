/*
 * pseudo.c - length-, class- and Huffman-length-keeping pseudonyms (see
 * pseudo.h).
 */
#include "redact/pseudo.h"

#include <nghttp2/nghttp2.h>
#include <endian.h>
#include <pthread.h>
#include <string.h>

#include "trace/error.h"

#define NSYM 257 /* 256 bytes and EOS */

static uint8_t huff_len[NSYM];
static uint32_t huff_code[NSYM];
/* Canonical decoding: per length, the first code, the index of its
 * first symbol in sorted[], and how many symbols have that length. */
static uint32_t first_code[31], first_idx[31], count_len[31];
static uint16_t sorted[NSYM];
/* Pseudonym groups: bytes of one class and one code length. */
static uint8_t grp_of[256]; /* 0 = kept as is */
static uint8_t grp_n[64];
static uint8_t grp_sym[64][256];
static int init_rc = TW_EINTERNAL;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/*
 * The code length of byte c, from nghttp2's deflater: c followed by k
 * '0's (a 5-bit code) is always Huffman-coded for k in 64..71, and the
 * eight encoded lengths ceil((len + 5k) / 8) pin len down exactly.
 */
static int probe_len(nghttp2_hd_deflater *d, uint8_t c)
{
	uint8_t val[80], out[128];
	size_t got[8];

	for (int k = 64; k < 72; k++) {
		nghttp2_nv nv = { (uint8_t *)"x", val, 1, (size_t)k + 1,
			          NGHTTP2_NV_FLAG_NO_INDEX };
		ssize_t n;
		size_t p = 0;

		val[0] = c;
		memset(val + 1, '0', (size_t)k);
		n = nghttp2_hd_deflate_hd(d, out, sizeof(out), &nv, 1);
		if (n < 4)
			return -1;
		while (p < (size_t)n && (out[p] & 0xe0) == 0x20) {
			p++; /* a table size update: 5-bit prefix integer */
			while (p < (size_t)n && (out[p - 1] & 0x1f) == 0x1f &&
			       (out[p] & 0x80))
				p++;
			if ((out[p - 1] & 0x1f) == 0x1f)
				p++;
		}
		if (p + 4 > (size_t)n || out[p] != 0x10 || out[p + 1] != 1 ||
		    !(out[p + 3] & 0x80))
			return -1;
		got[k - 64] = out[p + 3] & 0x7f;
	}
	for (int len = 5; len <= 30; len++) {
		int ok = 1;

		for (int k = 64; k < 72 && ok; k++)
			ok = got[k - 64] == (size_t)(len + 5 * k + 7) / 8;
		if (ok)
			return len;
	}
	return -1;
}

static int cls(int c)
{
	if (c >= 'a' && c <= 'z')
		return 1;
	if (c >= 'A' && c <= 'Z')
		return 2;
	if (c >= '0' && c <= '9')
		return 3;
	if (c >= 0x80)
		return 4;
	if (c < 0x20)
		return 5;
	return 0; /* printable punctuation and DEL: kept */
}

static void build_canonical(void)
{
	uint32_t code = 0, n = 0;
	int prev = 0;

	for (int len = 1; len <= 30; len++) {
		first_idx[len] = n;
		for (int s = 0; s < NSYM; s++)
			if (huff_len[s] == len)
				sorted[n++] = (uint16_t)s;
		count_len[len] = n - first_idx[len];
	}
	for (uint32_t i = 0; i < n; i++) {
		int len = huff_len[sorted[i]];

		if (i)
			code = (code + 1) << (len - prev);
		huff_code[sorted[i]] = code;
		if (i == 0 || len != prev)
			first_code[len] = code;
		prev = len;
	}
}

static void build_groups(void)
{
	int ng = 0;
	int id[6][31];

	memset(id, 0, sizeof(id));
	for (int c = 0; c < 256; c++) {
		int k = cls(c), g;

		if (!k)
			continue;
		g = id[k][huff_len[c]];
		if (!g) {
			g = ++ng;
			id[k][huff_len[c]] = g;
		}
		grp_of[c] = (uint8_t)g;
		grp_sym[g][grp_n[g]++] = (uint8_t)c;
	}
}

static void init_once(void)
{
	nghttp2_hd_deflater *d = NULL;

	if (nghttp2_hd_deflate_new(&d, 0) != 0)
		return;
	for (int c = 0; c < 256; c++) {
		int len = probe_len(d, (uint8_t)c);

		if (len < 0) {
			nghttp2_hd_deflate_del(d);
			return;
		}
		huff_len[c] = (uint8_t)len;
	}
	nghttp2_hd_deflate_del(d);
	huff_len[256] = 30;
	build_canonical();
	/* RFC 7541 Appendix B: '0' is 00000, 'a' is 00011. */
	if (huff_code['0'] != 0 || huff_code['a'] != 3 || huff_len['a'] != 5)
		return;
	build_groups();
	init_rc = 0;
}

int tw_huff_init(void)
{
	pthread_once(&once, init_once);
	return init_rc;
}

int tw_huff_len(uint8_t c)
{
	return huff_len[c];
}

size_t tw_huff_enc_len(const uint8_t *s, size_t n)
{
	uint64_t bits = 0;

	for (size_t i = 0; i < n; i++)
		bits += huff_len[s[i]];
	return (size_t)((bits + 7) / 8);
}

int tw_huff_encode(const uint8_t *s, size_t n, uint8_t *out, size_t cap)
{
	uint64_t acc = 0;
	int nb = 0;
	size_t o = 0;

	if (tw_huff_enc_len(s, n) != cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << huff_len[s[i]]) | huff_code[s[i]];
		nb += huff_len[s[i]];
		while (nb >= 8) {
			nb -= 8;
			out[o++] = (uint8_t)(acc >> nb);
		}
		acc &= (1ull << nb) - 1;
	}
	if (nb) /* padding: the most significant bits of EOS, all ones */
		out[o++] = (uint8_t)((acc << (8 - nb)) | (0xffu >> nb));
	return o == cap ? 0 : -1;
}

long tw_huff_decode(const uint8_t *in, size_t cap, uint8_t *out, size_t outcap)
{
	uint32_t code = 0;
	int len = 0;
	size_t o = 0;

	for (size_t i = 0; i < cap * 8; i++) {
		code = (code << 1) | ((in[i / 8] >> (7 - i % 8)) & 1);
		len++;
		if (len > 30)
			return -1;
		if (count_len[len] && code >= first_code[len] &&
		    code - first_code[len] < count_len[len]) {
			uint16_t s = sorted[first_idx[len] +
			                    (code - first_code[len])];

			if (s == 256 || o >= outcap)
				return -1;
			out[o++] = (uint8_t)s;
			code = 0;
			len = 0;
		}
	}
	/* RFC 7541 5.2: at most 7 bits of padding, all ones. */
	if (len > 7 || code != (1u << len) - 1)
		return -1;
	return (long)o;
}

/* A keyed stream: SipHash-2-4 of the value, under the first 128 bits
 * of the value sub-key, seeds splitmix64.  (HMAC-SHA256 through
 * OpenSSL 3 cost more than the rest of the redaction.) */
struct prng {
	uint64_t s;
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline __attribute__((always_inline)) void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13) ^ v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17) ^ v[2];
	v[2] = ROTL(v[2], 32);
}

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
	return le64toh(x);
}

/* SipHash-2-4 (Aumasson and Bernstein, 2012) of s under key k. */
static uint64_t siphash(const uint8_t k[16], const uint8_t *s, size_t n)
{
	uint64_t k0 = le64(k), k1 = le64(k + 8), m, b = (uint64_t)n << 56;
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ull,
		          k1 ^ 0x646f72616e646f6dull,
		          k0 ^ 0x6c7967656e657261ull,
		          k1 ^ 0x7465646279746573ull };
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		m = le64(s + i);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	for (size_t j = 0; i + j < n; j++)
		b |= (uint64_t)s[i + j] << (8 * j);
	v[3] ^= b;
	sipround(v);
	sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (int r = 0; r < 4; r++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static void prng_seed(struct prng *g, const uint8_t vkey[TW_KEY_SUB_BYTES],
                      const uint8_t *s, size_t n, uint8_t tag)
{
	/* The tag separates text, bytes and hex pseudonyms of one value.
	 * The stream's state is 64 bits: one SipHash output seeds it. */
	g->s = siphash(vkey, s, n) ^ ((uint64_t)tag << 56);
}

static uint64_t prng_next(struct prng *g)
{
	uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void tw_pseudo_text(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s, size_t n)
{
	struct prng g;

	if (!n)
		return;
	prng_seed(&g, vkey, s, n, 1);
	/* Eight bytes of the stream per call; a byte r picks member
	 * (r * count) >> 8 of the group (groups have at most 256). */
	for (size_t i = 0; i < n; i += 8) {
		uint64_t r = prng_next(&g);

		for (size_t j = i; j < n && j < i + 8; j++, r >>= 8) {
			uint8_t k = grp_of[s[j]];

			if (k)
				s[j] = grp_sym[k][((r & 0xff) * grp_n[k]) >> 8];
		}
	}
}

void tw_pseudo_bytes(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s, size_t n)
{
	struct prng g;

	if (!n)
		return;
	prng_seed(&g, vkey, s, n, 2);
	for (size_t i = 0; i < n; i++)
		s[i] = (uint8_t)(prng_next(&g) >> 56);
}

void tw_pseudo_hex(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	struct prng g;

	if (!n)
		return;
	prng_seed(&g, vkey, s, n, 3);
	for (size_t i = 0; i < n; i++)
		s[i] = (uint8_t)hex[prng_next(&g) % 16];
}

/* Hex digits whose HPACK code has the same length, by case: a digit of
 * a percent-escape is only ever replaced within its set. */
static const char *const hex_sets[] = { "012", "3456789", "ace",
	                                "bdf", "A",       "BCDEF" };

/*
 * The low digit of an escape whose high digit is hi, replaced by a
 * digit of its set.  The high digit tells a UTF-8 byte's role (ASCII,
 * continuation, lead of 2, 3 or 4 bytes) and stays; the low one is
 * chosen so a valid sequence stays valid: no C0/C1 lead, E0 and ED
 * (whose next byte is constrained) and the F leads kept as they were.
 */
static uint8_t pct_low(uint8_t hi, uint8_t lo, uint64_t r)
{
	const char *avoid = "";
	char cand[8];
	size_t k = 0;

	hi = hi >= 'a' ? (uint8_t)(hi - 32) : hi;
	if (hi == 'F' || (hi == 'E' && strchr("0Dd", lo)))
		return lo;
	if (hi == 'C')
		avoid = "01";
	else if (hi == 'E')
		avoid = "0Dd";
	for (size_t s = 0; s < sizeof(hex_sets) / sizeof(hex_sets[0]); s++) {
		if (!strchr(hex_sets[s], lo))
			continue;
		for (const char *x = hex_sets[s]; *x; x++)
			if (!strchr(avoid, *x))
				cand[k++] = *x;
	}
	return k ? (uint8_t)cand[((r & 0xff) * k) >> 8] : lo;
}

static bool hexd(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

void tw_pseudo_pct(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s, size_t n)
{
	struct prng g;

	size_t e = 0;

	while (e + 2 < n && !(s[e] == '%' && hexd(s[e + 1]) && hexd(s[e + 2])))
		e++;
	if (e + 2 >= n) {
		/* No escape: the very pseudonym of tw_pseudo_text, so the
		 * value matches its other occurrences. */
		tw_pseudo_text(vkey, s, n);
		return;
	}
	prng_seed(&g, vkey, s, n, 4);
	for (size_t i = 0; i < n; i++) {
		uint8_t k = grp_of[s[i]];
		uint64_t r = prng_next(&g);

		if (s[i] == '%' && i + 2 < n && hexd(s[i + 1]) &&
		    hexd(s[i + 2])) {
			s[i + 2] = pct_low(s[i + 1], s[i + 2], r);
			i += 2;
		} else if (k) {
			s[i] = grp_sym[k][((r & 0xff) * grp_n[k]) >> 8];
		}
	}
}

int tw_pseudo_class(uint8_t c)
{
	return cls(c);
}

uint64_t tw_pseudo_hash(const uint8_t vkey[TW_KEY_SUB_BYTES], const uint8_t *s,
                        size_t n, uint8_t tag)
{
	struct prng g;

	prng_seed(&g, vkey, s, n, tag);
	return prng_next(&g);
}
