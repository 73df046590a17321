/*
 * pseudo.h - keyed, deterministic pseudonyms of application values that
 * keep their length, their character classes and their HPACK Huffman
 * length.
 *
 * A value is replaced byte for byte: a lowercase letter by a lowercase
 * letter, an uppercase letter by an uppercase letter, a digit by a digit,
 * a byte of 0x80 or more by another such byte, a control byte by another
 * control byte; printable punctuation (@ . - _ / : = & ...) and DEL are
 * kept, so an email still looks like an email.  The replacement is also chosen
 * among the bytes whose HPACK Huffman code (RFC 7541 Appendix B) has the
 * same length as the original's, so that a Huffman-coded header literal
 * can be rewritten in place with exactly as many bytes.  The same value
 * under the same key always gives the same pseudonym (SipHash-2-4 of the
 * whole value, keyed by the value sub-key, seeds the choices).
 *
 * The Huffman code lengths are learnt once from nghttp2's deflater (the
 * code is canonical, so lengths give the codes).
 */
#ifndef TW_PSEUDO_H
#define TW_PSEUDO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "redact/key.h"

/* Learns the Huffman table; returns 0 or TW_EINTERNAL.  Idempotent and
 * thread-safe. */
int tw_huff_init(void);

/* Code length in bits of byte c (5..30), after tw_huff_init. */
int tw_huff_len(uint8_t c);

/* Encoded length in bytes of n bytes at s. */
size_t tw_huff_enc_len(const uint8_t *s, size_t n);

/*
 * Encodes n bytes at s into exactly cap bytes at out (EOS-padded).
 * Returns 0, or -1 when the encoding does not fill exactly cap bytes.
 */
int tw_huff_encode(const uint8_t *s, size_t n, uint8_t *out, size_t cap);

/*
 * Decodes cap Huffman bytes at in into out (at most outcap bytes);
 * returns the decoded length or -1 (invalid code, bad padding).
 */
long tw_huff_decode(const uint8_t *in, size_t cap, uint8_t *out, size_t outcap);

/* Pseudonymizes n bytes at s in place (see above). */
void tw_pseudo_text(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s, size_t n);

/* Replaces n bytes at s with keyed bytes of any value (protobuf bytes
 * fields); the same input gives the same output. */
void tw_pseudo_bytes(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s,
                     size_t n);

/*
 * As tw_pseudo_text for a percent-encoded value (grpc-message): each
 * "%XY" stays an escape, X kept (it tells a UTF-8 byte's role) and Y
 * replaced by a hex digit of the same case and Huffman length, so that
 * the value still decodes, to valid UTF-8 when it was.  A value
 * without an escape gets tw_pseudo_text's pseudonym.
 */
void tw_pseudo_pct(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s, size_t n);

/* Hex digits stay hex digits (JSON \uXXXX escapes). */
void tw_pseudo_hex(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s, size_t n);

/* The class a pseudonym keeps for byte c: 1 lowercase letter, 2
 * uppercase, 3 digit, 4 0x80 and above, 5 control; 0 printable
 * punctuation and DEL, which are kept as they are. */
int tw_pseudo_class(uint8_t c);

/*
 * 64 keyed bits for the n bytes at s: the first output of the stream the
 * pseudonyms above draw from, under tag (1 text, 2 bytes, 3 hex, 4
 * percent-encoded; other tags for other pseudonyms, pseudo_gz.h).
 */
uint64_t tw_pseudo_hash(const uint8_t vkey[TW_KEY_SUB_BYTES], const uint8_t *s,
                        size_t n, uint8_t tag);

#endif
