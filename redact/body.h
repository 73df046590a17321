/*
 * body.h - message bodies redacted in place, same length: protobuf
 * without a schema (gRPC messages) and JSON (REST bodies).
 */
#ifndef TW_BODY_H
#define TW_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "redact/key.h"

/*
 * Walks n bytes at p as a protobuf message (the wire format of
 * protobuf.dev/programming-guides/encoding) without a schema:
 * varints and fixed-width numbers are kept, length-delimited fields are
 * nested messages when their bytes contain control bytes and parse
 * completely as a message, text (valid UTF-8) pseudonymized as text,
 * anything else as bytes.  Returns 0, or -1 when p is not a valid
 * message (groups, field 0, overruns): p is then unchanged, and the
 * caller zeroes it.
 */
int tw_pb_redact(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *p, size_t n);

/* As tw_pb_redact with messages nested at most max_depth deep (the
 * policy's limits.protobuf_depth; tw_pb_redact takes its default):
 * deeper, TW_ELIMIT and p unchanged. */
int tw_pb_redact_max(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *p, size_t n,
                     unsigned max_depth);

/* As tw_pb_redact_max with pseudo_gz.h's pseudonyms, which deflate
 * well: for messages that are compressed again (gzip.h). */
int tw_pb_redact_gz(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *p, size_t n,
                    unsigned max_depth);

/*
 * Redacts a JSON text (RFC 8259) of n bytes at s: string values are
 * pseudonymized byte for byte (escapes kept as escapes, UTF-8 sequences
 * become ASCII letters), keys, numbers, literals and white space are
 * kept.  The text is first parsed with jansson; returns -1 when it is not
 * JSON (s unchanged) or memory ran out (s partly redacted): the caller
 * zeroes it.
 */
int tw_json_redact(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s, size_t n);

/* As tw_json_redact with arrays and objects nested at most max_depth
 * deep (limits.json_depth; tw_json_redact takes its default): deeper,
 * TW_ELIMIT and s unchanged. */
int tw_json_redact_max(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s,
                       size_t n, unsigned max_depth);

#endif
