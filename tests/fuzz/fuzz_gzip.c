/*
 * fuzz_gzip.c - libFuzzer harness for the gzip path (redact/gzip.c): a
 * gRPC message sent with grpc-encoding gzip, inflated, walked as
 * protobuf and deflated again to its own length.
 *
 * Byte 0 picks the inflate limit (2^(b % 24) bytes, bits 0-4) and, with
 * bit 7, that the rest is the message to gzip here (mutations of a
 * member seldom keep its CRC right, so this reaches the protobuf walk
 * and the recompression); otherwise the rest is the member.  A member
 * redacted must still be one gzip member of the same length that zlib
 * inflates, to no more than the limit; anything else must be left
 * untouched, for the caller to zero.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "redact/gzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when p (n bytes) is exactly one gzip member inflating to at
 * most max bytes. */
static int inflates(const uint8_t *p, size_t n, size_t max)
{
	static uint8_t out[1 << 16];
	z_stream z = { 0 };
	size_t total = 0;
	int rc;

	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return 0;
	z.next_in = (uint8_t *)p;
	z.avail_in = (uInt)n;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		rc = inflate(&z, Z_NO_FLUSH);
		total += sizeof(out) - z.avail_out;
	} while (rc == Z_OK && total <= max);
	inflateEnd(&z);
	return rc == Z_STREAM_END && z.avail_in == 0 && total <= max;
}

/* The n bytes at p as one gzip member at level 1 to 9, in a new buffer
 * (*out, *len); false when zlib fails. */
static bool gzip_of(const uint8_t *p, size_t n, int level, uint8_t **out,
                    size_t *len)
{
	z_stream z = { 0 };
	size_t cap = n + n / 8 + 64;
	bool ok;

	*out = malloc(cap);
	if (!*out || deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8,
	                          Z_DEFAULT_STRATEGY) != Z_OK) {
		free(*out);
		return false;
	}
	z.next_in = (uint8_t *)p;
	z.avail_in = (uInt)n;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	ok = deflate(&z, Z_FINISH) == Z_STREAM_END;
	*len = cap - z.avail_out;
	deflateEnd(&z);
	if (!ok)
		free(*out);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t vkey[TW_KEY_SUB_BYTES] = { 5, 4, 3 };
	static struct tw_gz gz; /* scratch kept across inputs, as in use */
	enum tw_gz_result res;
	size_t max, n;
	uint8_t *b, *orig;

	if (size < 1 || size > (1u << 20))
		return 0;
	max = (size_t)1 << (data[0] & 0x1f) % 24;
	if (data[0] & 0x80) {
		if (!gzip_of(data + 1, size - 1, 1 + data[0] % 9, &b, &n))
			return 0;
	} else {
		n = size - 1;
		b = malloc(n ? n : 1);
		if (!b)
			return 0;
		memcpy(b, data + 1, n);
	}
	orig = malloc(n ? n : 1);
	if (!orig) {
		free(b);
		return 0;
	}
	memcpy(orig, b, n);
	res = tw_gzip_redact(&gz, vkey, b, n, max);
	if (res == TW_GZ_OK) {
		if (!inflates(b, n, max))
			__builtin_trap();
	} else if (memcmp(b, orig, n)) {
		__builtin_trap();
	}
	free(orig);
	if (!tw_gz_result_name(res))
		__builtin_trap();
	free(b);
	return 0;
}
