/*
 * cryptopan.c - Crypto-PAn over AES-128 (EVP, ECB) with a cache.
 */
#include "redact/cryptopan.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct cache4 {
	uint64_t tag; /* 1 << 32 | address, 0 when empty */
	uint8_t out[4];
};

struct cache6 {
	uint8_t in[16];
	uint8_t out[16];
	bool used;
};

struct tw_cpan {
	EVP_CIPHER_CTX *ctx;
	uint8_t pad[16];
	unsigned bits;
	struct cache4 *c4;
	struct cache6 *c6;
	struct tw_cpan_stats st;
	/* One AES input block per bit position, and the outputs. */
	uint8_t in[128][16];
	uint8_t out[128][16];
};

int tw_cpan_new(struct tw_cpan **out, const uint8_t key[TW_CPAN_KEY_BYTES],
                unsigned cache_bits, struct tw_errbuf *eb)
{
	struct tw_cpan *c;
	int olen = 0;

	*out = NULL;
	if (cache_bits == 0)
		cache_bits = 16;
	if (cache_bits > 24)
		return tw_errf(eb, TW_EINVAL,
		               "Crypto-PAn: cache of 2^%u "
		               "entries is too large",
		               cache_bits);
	c = calloc(1, sizeof(*c));
	if (!c)
		return tw_errf(eb, TW_ENOMEM, "Crypto-PAn: out of memory");
	c->bits = cache_bits;
	c->c4 = calloc((size_t)1 << cache_bits, sizeof(*c->c4));
	c->c6 = calloc((size_t)1 << (cache_bits > 2 ? cache_bits - 2 : 0),
	               sizeof(*c->c6));
	c->ctx = EVP_CIPHER_CTX_new();
	if (!c->c4 || !c->c6 || !c->ctx) {
		tw_cpan_free(c);
		return tw_errf(eb, TW_ENOMEM, "Crypto-PAn: out of memory");
	}
	if (!EVP_EncryptInit_ex(c->ctx, EVP_aes_128_ecb(), NULL, key, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(c->ctx, 0) ||
	    !EVP_EncryptUpdate(c->ctx, c->pad, &olen, key + 16, 16) ||
	    olen != 16) {
		tw_cpan_free(c);
		return tw_errf(eb, TW_EINTERNAL,
		               "Crypto-PAn: AES-128 set-up failed in OpenSSL");
	}
	*out = c;
	return 0;
}

/*
 * The uncached transform over nbits (32 or 128) of addr: block i holds
 * the first i bits of addr and the pad's remaining bits.
 */
static void transform(struct tw_cpan *c, const uint8_t *addr, size_t nbits,
                      uint8_t *res)
{
	size_t nbytes = nbits / 8;
	int olen = 0;

	for (size_t i = 0; i < nbits; i++) {
		uint8_t *b = c->in[i];
		size_t full = i / 8, rem = i % 8;

		memcpy(b, addr, full);
		memcpy(b + full, c->pad + full, 16 - full);
		if (rem) {
			uint8_t mask = (uint8_t)(0xff00 >> rem);

			b[full] = (uint8_t)((addr[full] & mask) |
			                    (c->pad[full] & ~mask));
		}
	}
	/* ECB: every block is independent, so one call does them all.
	 * Cannot fail with a valid context and block-sized input. */
	if (!EVP_EncryptUpdate(c->ctx, c->out[0], &olen, c->in[0],
	                       (int)(nbits * 16)))
		abort();
	memset(res, 0, nbytes);
	for (size_t i = 0; i < nbits; i++)
		res[i / 8] |= (uint8_t)((c->out[i][0] >> 7) << (7 - i % 8));
	for (size_t i = 0; i < nbytes; i++)
		res[i] ^= addr[i];
}

void tw_cpan_ip4(struct tw_cpan *c, const uint8_t in[4], uint8_t out[4])
{
	uint32_t a = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 |
	             (uint32_t)in[2] << 8 | in[3];
	uint64_t tag = (uint64_t)1 << 32 | a;
	struct cache4 *e = &c->c4[(a * 0x9e3779b1u) >> (32 - c->bits)];
	uint8_t res[4];

	if (e->tag == tag) {
		c->st.hits++;
		memcpy(out, e->out, 4);
		return;
	}
	c->st.misses++;
	transform(c, in, 32, res);
	e->tag = tag;
	memcpy(e->out, res, 4);
	memcpy(out, res, 4);
}

static uint32_t hash6(const uint8_t *a)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (int i = 0; i < 16; i++)
		h = (h ^ a[i]) * 0x100000001b3ull;
	return (uint32_t)(h ^ h >> 32);
}

void tw_cpan_ip6(struct tw_cpan *c, const uint8_t in[16], uint8_t out[16])
{
	unsigned b6 = c->bits > 2 ? c->bits - 2 : 0;
	struct cache6 *e = &c->c6[hash6(in) & (((uint32_t)1 << b6) - 1)];
	uint8_t res[16];

	if (e->used && !memcmp(e->in, in, 16)) {
		c->st.hits++;
		memcpy(out, e->out, 16);
		return;
	}
	c->st.misses++;
	transform(c, in, 128, res);
	memcpy(e->in, in, 16);
	memcpy(e->out, res, 16);
	e->used = true;
	memcpy(out, res, 16);
}

void tw_cpan_stats(const struct tw_cpan *c, struct tw_cpan_stats *st)
{
	*st = c->st;
}

void tw_cpan_free(struct tw_cpan *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->ctx);
	if (c->c4)
		OPENSSL_cleanse(c->c4, ((size_t)1 << c->bits) * sizeof(*c->c4));
	if (c->c6)
		OPENSSL_cleanse(c->c6,
		                ((size_t)1 << (c->bits > 2 ? c->bits - 2 : 0)) *
		                        sizeof(*c->c6));
	free(c->c4);
	free(c->c6);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}
