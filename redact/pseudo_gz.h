/*
 * pseudo_gz.h - pseudonyms for values inside compressed messages: keyed,
 * deterministic, same length and byte classes as pseudo.h's, but built
 * to deflate well.
 *
 * A gzip-compressed gRPC message must be deflated again into exactly its
 * original length (gzip.h).  pseudo.h's pseudonyms are uniformly random
 * within each class, and deflate codes random letters worse than the
 * text, names and repeated records they replace: on real grpcio traffic
 * every redacted message came out longer and was zeroed.  Here each
 * word (a run of bytes of one class: lowercase, uppercase, digits, bytes
 * of 0x80 and above, control bytes; a whole bytes field is one word of
 * any bytes) is replaced by a motif of MOTIF (4) bytes of its class,
 * cycled: the key and the word choose the motif, letters among the
 * first 12 of the alphabet only ("Dmitri Lindqvist" may become "Fcjkgc
 * Ebhdlbhdl").  Punctuation is kept as in pseudo.h.  A word repeated
 * keeps a repeated pseudonym, long words repeat within themselves, and
 * the letters are fewer: the redacted message deflates about as well as
 * the original or better (a page of sentences: 282 bytes for 285).
 *
 * The price: a value inside a compressed message gets another pseudonym
 * than the same value in a header or an uncompressed message (the same
 * one in every compressed message under the key: a word's pseudonym
 * depends on the word only), and different words of one length are
 * likelier to share a pseudonym (12^4 motifs of lowercase letters).
 *
 * What the pseudonym never shows: a word itself, nor any PIECE (4)
 * replaced bytes in a row of it; for values up to WHOLE_MAX (512)
 * bytes, checked across words too, neither the value nor any of its
 * pieces anywhere in the value's pseudonym.  A motif that would is
 * drawn again (deterministically; for every word of the value when the
 * clash is across words, so that value's words then get other
 * pseudonyms than elsewhere); after ATTEMPTS draws the word, or
 * the value, gets pseudo.h's random pseudonym instead (words holding
 * most four-digit numbers, random tokens), whose bytes are drawn one by
 * one, so that it shows a piece only by chance (one in 26^4 for four
 * lowercase letters), and which deflates no better than the original.
 */
#ifndef TW_PSEUDO_GZ_H
#define TW_PSEUDO_GZ_H

#include <stddef.h>
#include <stdint.h>

#include "redact/key.h"

/* Text (protobuf strings): classes and punctuation kept, see above. */
void tw_pseudo_gz_text(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s,
                       size_t n);

/* Bytes fields: any byte value, one motif cycled over the field. */
void tw_pseudo_gz_bytes(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s,
                        size_t n);

#endif
