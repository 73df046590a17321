/*
 * key.h - the redaction key: where it comes from, what is derived from it.
 *
 * The key is at least 256 bits, read from a file that only its owner can
 * read, or from an environment variable holding hex.  It never comes from
 * the policy and is never logged or written.  From it, HMAC-SHA256 derives
 * one sub-key per use (addresses, MACs, values, timestamps), so that no
 * two uses share material, and a fingerprint that names the key in the
 * output's section header without revealing it.  The master key is wiped
 * as soon as the sub-keys exist; the sub-keys are wiped on free.
 */
#ifndef TW_KEY_H
#define TW_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "trace/error.h"

#define TW_KEY_MIN_BYTES 32
#define TW_KEY_MAX_BYTES 256
#define TW_KEY_SUB_BYTES 32
#define TW_KEY_FPR_BYTES 8
#define TW_KEY_ENV "TRACEWARP_KEY"

struct tw_key {
	uint8_t addr[TW_KEY_SUB_BYTES];  /* Crypto-PAn: AES key, then pad */
	uint8_t mac[TW_KEY_SUB_BYTES];   /* MAC pseudonyms (AES-128 key) */
	uint8_t value[TW_KEY_SUB_BYTES]; /* names, strings (HMAC key) */
	uint8_t time[TW_KEY_SUB_BYTES];  /* TCP timestamp shifts (AES) */
	uint8_t fpr[TW_KEY_FPR_BYTES];   /* HMAC(key, fingerprint label) */
};

/*
 * Builds a key from len raw bytes (at least TW_KEY_MIN_BYTES).
 * Returns 0 and *out (free with tw_key_free), TW_EINVAL when too short or
 * too long, TW_ENOMEM or TW_EINTERNAL (OpenSSL) with the message in eb.
 */
int tw_key_from_bytes(struct tw_key **out, const uint8_t *raw, size_t len,
                      struct tw_errbuf *eb);

/*
 * Reads a key file: either hex digits (whitespace ignored) or raw bytes.
 * Refuses (TW_EINVAL) a file that group or others may read or write, a
 * file that is not regular, a key shorter than 256 bits, text that is
 * not clean hex (the message gives line and column) and a key whose
 * bytes are all equal (a placeholder such as all zeros).  TW_EIO when
 * it cannot be opened or read.
 */
int tw_key_from_file(struct tw_key **out, const char *path,
                     struct tw_errbuf *eb);

/*
 * Reads a hex key from the environment variable var (TW_KEY_ENV by
 * convention).  TW_EINVAL when unset, not hex (the message gives the
 * position of the first bad character), too short, or all bytes equal.
 */
int tw_key_from_env(struct tw_key **out, const char *var, struct tw_errbuf *eb);

/* The fingerprint as lowercase hex into buf (2 * TW_KEY_FPR_BYTES + 1
 * bytes at least); returns buf. */
char *tw_key_fingerprint_hex(const struct tw_key *k, char *buf, size_t len);

/*
 * HMAC-SHA256 of msg under a 32-byte sub-key into out (32 bytes).
 * Returns 0 or TW_EINTERNAL.
 */
int tw_key_hmac(const uint8_t sub[TW_KEY_SUB_BYTES], const void *msg,
                size_t len, uint8_t out[32]);

/* Wipes and frees k (NULL is fine). */
void tw_key_free(struct tw_key *k);

#endif
