/*
 * gzip.h - a gzip member (RFC 1952) redacted in place, same length.
 *
 * gRPC messages sent with grpc-encoding: gzip carry one gzip member each
 * (grpc's PROTOCOL-HTTP2.md, compressed flag 1).  The member is inflated
 * with zlib up to a configured size (a gzip bomb is refused), the
 * protobuf inside is walked as for uncompressed messages (body.h), but
 * with pseudonyms that deflate well (pseudo_gz.h: random ones deflate
 * longer than the text they replace, and nearly every message would be
 * zeroed), and the result is deflated again: zlib at its best level and,
 * when that misses by a little, a few other settings, then zopfli for
 * members up to 64 KiB that inflate to at most 64 KiB, only when zlib
 * missed by less than zopfli can win (1/16): no zopfli time is spent on
 * a message that cannot fit.  The new member must
 * have the original's length exactly, so that the gRPC prefix, the
 * HTTP/2 frames, the packets and the TCP sequence numbers all stay as
 * captured:
 *
 *   - shorter: the gap is filled inside the gzip header, with an FEXTRA
 *     field (one subfield "TW") and, for 1 to 5 bytes, an FCOMMENT, which
 *     every gzip reader skips (zlib, Python's gzip, Go's compress/gzip,
 *     Java's GZIPInputStream); FEXTRA holds at most 65535 bytes, so a
 *     larger gap adds empty stored blocks (RFC 1951 section 3.2.4, five
 *     bytes each after a sync flush) inside the deflate stream;
 *   - longer even with every strategy tried: the message cannot be kept
 *     and the caller zeroes it (TW_GZ_GROWN).
 *
 * The header keeps only the OS byte of the original: its MTIME, file
 * name and comment are not carried over.
 */
#ifndef TW_GZIP_H
#define TW_GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "redact/key.h"

/* What became of a member. */
enum tw_gz_result {
	TW_GZ_OK = 0,  /* redacted, same length */
	TW_GZ_INVALID, /* not exactly one whole gzip member: truncated, bad
	                  header, CRC or length, trailing bytes */
	TW_GZ_TOO_BIG, /* inflates past the limit: refused */
	TW_GZ_NOT_PB,  /* inflated, but not protobuf */
	TW_GZ_GROWN,   /* the redacted member does not fit the length */
	TW_GZ_NOMEM,
	TW_GZ_TOO_DEEP /* protobuf nested past pb_depth: refused */
};

/* Scratch buffers reused from one member to the next. */
struct tw_gz {
	uint8_t *plain, *out;
	size_t plain_cap, out_cap;
	unsigned pb_depth; /* limits.protobuf_depth (0: its default) */
};

/*
 * Redacts the gzip member of n bytes at p in place, inflating at most
 * max_plain bytes.  On TW_GZ_OK p holds the new member (n bytes); on
 * any other result p is unchanged, and the caller zeroes it.
 */
enum tw_gz_result tw_gzip_redact(struct tw_gz *gz,
                                 const uint8_t vkey[TW_KEY_SUB_BYTES],
                                 uint8_t *p, size_t n, size_t max_plain);

/* Frees the scratch buffers (gz itself is the caller's). */
void tw_gz_free(struct tw_gz *gz);

/* "ok", "invalid", "too big", ... for messages. */
const char *tw_gz_result_name(enum tw_gz_result r);

#endif
