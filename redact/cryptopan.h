/*
 * cryptopan.h - prefix-preserving address pseudonyms (Crypto-PAn).
 *
 * Xu, Fan, Ammar, Moon, "Prefix-Preserving IP Address Anonymization"
 * (ICNP 2002), as in the authors' reference code: a 32-byte key; AES-128
 * under its first 16 bytes; a pad that is the encryption of its last 16
 * bytes.  Output bit i is input bit i XOR the first bit of
 * AES(first i input bits, then the pad's bits).  Two addresses that share
 * exactly k leading bits map to two that share exactly k leading bits.
 * IPv6 runs the same construction over 128 bits.
 *
 * All the AES blocks of one address go to OpenSSL in a single ECB call,
 * and results are kept in a direct-mapped cache, so a hot address costs
 * one lookup.  The cache is fixed in size: nothing is allocated per
 * address.  Not thread-safe: one instance per thread.
 */
#ifndef TW_CRYPTOPAN_H
#define TW_CRYPTOPAN_H

#include <stddef.h>
#include <stdint.h>

#include "trace/error.h"

#define TW_CPAN_KEY_BYTES 32

struct tw_cpan;

struct tw_cpan_stats {
	uint64_t hits, misses; /* cache lookups, both families */
};

/*
 * Creates an instance for key.  cache_bits sizes each family's cache at
 * 2^cache_bits entries (0 picks 16; at most 24).  Returns 0 and *out,
 * TW_EINVAL, TW_ENOMEM or TW_EINTERNAL (OpenSSL), message in eb.
 */
int tw_cpan_new(struct tw_cpan **out, const uint8_t key[TW_CPAN_KEY_BYTES],
                unsigned cache_bits, struct tw_errbuf *eb);

/* Pseudonym of an IPv4 address given in network byte order (4 bytes at
 * in); written to out (may equal in). */
void tw_cpan_ip4(struct tw_cpan *c, const uint8_t in[4], uint8_t out[4]);

/* Pseudonym of an IPv6 address (16 bytes; out may equal in). */
void tw_cpan_ip6(struct tw_cpan *c, const uint8_t in[16], uint8_t out[16]);

void tw_cpan_stats(const struct tw_cpan *c, struct tw_cpan_stats *st);

/* Wipes the key schedule and cache, and frees c (NULL is fine). */
void tw_cpan_free(struct tw_cpan *c);

#endif
