/*
 * test_gzip.c - gzip members redacted in place (redact/gzip.h): the new
 * member has the original's length for every padding size (header
 * fields and empty stored blocks), zlib inflates it to the redacted
 * protobuf, and members that cannot be kept are refused: grown, bombs,
 * truncated or invalid, not protobuf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "redact/body.h"
#include "redact/gzip.h"
#include "redact/key.h"
#include "redact/policy.h"
#include "redact/pseudo.h"
#include "redact/pseudo_gz.h"

static struct tw_key *key;

static const char SECRET[] = "kalinda.tanaka64@xaqhyo.example";

#define PB_DEPTH TW_LIMIT_PB_DEPTH_DEFAULT

/*
 * A gzip member of the n bytes at in: zlib's deflate at level (memory
 * level 9, as the redactor's), and, when fname >= 0, an FNAME field of
 * fname letters (which makes the original longer, hence the redacted
 * one's padding).
 * Returns its length in out.
 */
static size_t gz_make(const uint8_t *in, size_t n, int level, int fname,
                      uint8_t *out, size_t cap)
{
	z_stream z = { 0 };
	size_t h = 10;
	uLong crc = crc32(0, in, (uInt)n);

	memset(out, 0, 10);
	out[0] = 0x1f;
	out[1] = 0x8b;
	out[2] = 8;
	out[9] = 3;
	if (fname >= 0) {
		out[3] = 0x08;
		memset(out + h, 'f', (size_t)fname);
		h += (size_t)fname;
		out[h++] = 0;
	}
	assert_int_equal(
	        deflateInit2(&z, level, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY),
	        Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out + h;
	z.avail_out = (uInt)(cap - h - 8);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	h += z.total_out;
	deflateEnd(&z);
	for (int i = 0; i < 4; i++) {
		out[h + (size_t)i] = (uint8_t)(crc >> (8 * i));
		out[h + 4 + (size_t)i] = (uint8_t)((uint64_t)n >> (8 * i));
	}
	return h + 8;
}

/* Inflates a gzip member with zlib (gzip only); returns the plain size,
 * or -1 when zlib refuses it or bytes follow it. */
static long gz_inflate(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };
	int rc;
	long len;

	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	rc = inflate(&z, Z_FINISH);
	len = rc == Z_STREAM_END && z.avail_in == 0 ? (long)z.total_out : -1;
	inflateEnd(&z);
	return len;
}

/* A protobuf message: 1: string SECRET, 2: varint 1234, repeated k
 * times. */
static size_t pb_secret(uint8_t *m, int k)
{
	size_t n = 0, e = strlen(SECRET);

	for (int i = 0; i < k; i++) {
		m[n++] = 0x0a;
		m[n++] = (uint8_t)e;
		memcpy(m + n, SECRET, e);
		n += e;
		m[n++] = 0x10;
		m[n++] = 0xd2;
		m[n++] = 0x09;
	}
	return n;
}

/* Numbers only (field 1, varints): redaction leaves it as it is. */
static size_t pb_numbers(uint8_t *m, size_t pairs)
{
	for (size_t i = 0; i < pairs; i++) {
		m[2 * i] = 0x08;
		m[2 * i + 1] = (uint8_t)(i % 100);
	}
	return 2 * pairs;
}

static void test_redacted_member_inflates(void **state)
{
	uint8_t plain[4096], want[4096], g[8192], out[8192];
	size_t n = pb_secret(plain, 20), gl;
	struct tw_gz gz = { 0 };
	long ol;

	(void)state;
	gl = gz_make(plain, n, 6, 40, g, sizeof(g));
	assert_non_null(memmem(plain, n, SECRET, strlen(SECRET)));
	assert_int_equal(tw_gzip_redact(&gz, key->value, g, gl, 1 << 20),
	                 TW_GZ_OK);
	ol = gz_inflate(g, gl, out, sizeof(out));
	assert_int_equal(ol, (long)n);
	memcpy(want, plain, n);
	assert_int_equal(tw_pb_redact_gz(key->value, want, n, PB_DEPTH), 0);
	assert_memory_equal(out, want, n);
	assert_null(memmem(out, n, SECRET, strlen(SECRET)));
	assert_null(memmem(g, gl, "fff", 3)); /* the file name is gone */
	assert_int_equal(g[9], 3);            /* OS kept */
	tw_gz_free(&gz);
}

static const char *const FIRST[] = { "Dmitri",  "Marisol",   "Chiara",
	                             "Kalinda", "Oluwaseun", "Ingrid",
	                             "Takeshi", "Beatriz" };
static const char *const LAST[] = { "Lindqvist", "Castellano", "Quintero",
	                            "Tanaka",    "Adeyemi",    "Halvorsen",
	                            "Nakamura",  "Figueroa" };
static const char *const NOTE[] = {
	"Prefers to be called after six in the evening about the renewal.",
	"Asked whether the invoice for March could be sent to her lawyer.",
	"Moved to a new apartment near the harbor; billing address changed.",
	"Complained that the courier left the parcel with a neighbour.",
	"Wants the newsletter in Spanish and no more phone calls, please.",
};

/* Appends field f (wire type 2) holding the text t. */
static size_t pb_text(uint8_t *m, size_t n, int f, const char *t)
{
	size_t l = strlen(t);

	m[n++] = (uint8_t)(f << 3 | 2);
	m[n++] = (uint8_t)l;
	memcpy(m + n, t, l);
	return n + l;
}

/* A customer list as a CRM service answers it: k records of name,
 * email, street address and a note in plain sentences, each record a
 * nested message (field 1) with a varint id. */
static size_t pb_customers(uint8_t *m, int k)
{
	size_t n = 0;

	for (int i = 0; i < k; i++) {
		const char *f = FIRST[i % 8], *l = LAST[(i * 3 + 1) % 8];
		char name[64], mail[96], addr[64];
		uint8_t r[512];
		size_t rn = 0;

		snprintf(name, sizeof(name), "%s %s", f, l);
		snprintf(mail, sizeof(mail), "%c%s.%s%d@mail%d.example",
		         f[0] + 32, f + 1, l, 10 + i, i % 5);
		for (char *c = mail; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		snprintf(addr, sizeof(addr), "%d Juniper Lane, Apt %d",
		         1000 + 37 * i, i % 12 + 1);
		r[rn++] = 0x08;
		r[rn++] = (uint8_t)(i + 1);
		rn = pb_text(r, rn, 2, name);
		rn = pb_text(r, rn, 3, mail);
		rn = pb_text(r, rn, 4, addr);
		rn = pb_text(r, rn, 5, NOTE[i % 5]);
		m[n++] = 0x0a;
		m[n++] = (uint8_t)(rn | 0x80);
		m[n++] = (uint8_t)(rn >> 7);
		memcpy(m + n, r, rn);
		n += rn;
	}
	return n;
}

/* The length of a raw deflate of n bytes at in, zlib at its best. */
static size_t deflated_len(const uint8_t *in, size_t n)
{
	uLong cap = compressBound((uLong)n);
	uint8_t *o = malloc(cap);
	z_stream z = { 0 };
	size_t len;

	assert_non_null(o);
	assert_int_equal(
	        deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY),
	        Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = o;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	len = z.total_out;
	deflateEnd(&z);
	free(o);
	return len;
}

/*
 * A text-heavy message (names, emails, addresses, sentences), deflated
 * as grpc does (zlib's default level), is redacted and kept, not zeroed:
 * its pseudonyms deflate better than the text.  pseudo.h's random
 * pseudonyms would not fit: that is why pseudo_gz.h exists.
 */
static void test_text_heavy_kept(void **state)
{
	uint8_t plain[16384], want[16384], rnd[16384], g[16384], out[16384];
	size_t n = pb_customers(plain, 40), gl;
	struct tw_gz gz = { 0 };

	(void)state;
	assert_true(n > 4000 && n < sizeof(plain));
	gl = gz_make(plain, n, 6, -1, g, sizeof(g));
	memcpy(rnd, plain, n);
	assert_int_equal(tw_pb_redact(key->value, rnd, n), 0);
	assert_true(deflated_len(rnd, n) > gl - 18);
	assert_int_equal(tw_gzip_redact(&gz, key->value, g, gl, 1 << 20),
	                 TW_GZ_OK);
	assert_int_equal(gz_inflate(g, gl, out, sizeof(out)), (long)n);
	memcpy(want, plain, n);
	assert_int_equal(tw_pb_redact_gz(key->value, want, n, PB_DEPTH), 0);
	assert_memory_equal(out, want, n);
	for (int i = 0; i < 8; i++) {
		assert_null(memmem(out, n, FIRST[i], strlen(FIRST[i])));
		assert_null(memmem(out, n, LAST[i], strlen(LAST[i]) - 1));
	}
	assert_null(memmem(out, n, "lindqvist", 9));
	assert_null(memmem(out, n, "Juniper", 7));
	assert_null(memmem(out, n, "evening", 7));
	assert_true(g[3] & 0x04); /* it came out shorter: padded */
	tw_gz_free(&gz);
}

/* Every padding size from 0 to 70: FCOMMENT, FEXTRA, both. */
static void test_every_padding_size(void **state)
{
	uint8_t plain[512], g[2048], out[2048];
	size_t n = pb_numbers(plain, 200);
	struct tw_gz gz = { 0 };

	(void)state;
	for (int pad = 0; pad <= 70; pad++) {
		size_t gl =
		        gz_make(plain, n, 9, pad ? pad - 1 : -1, g, sizeof(g));
		uint8_t flg;

		assert_int_equal(
		        tw_gzip_redact(&gz, key->value, g, gl, 1 << 20),
		        TW_GZ_OK);
		assert_int_equal(gz_inflate(g, gl, out, sizeof(out)), (long)n);
		assert_memory_equal(out, plain, n);
		flg = g[3];
		assert_int_equal(flg & ~0x14, 0); /* FEXTRA, FCOMMENT only */
		assert_int_equal(!!(flg & 0x04), pad >= 2);
		assert_int_equal(!!(flg & 0x10),
		                 pad == 1 || (pad >= 3 && pad <= 5));
		if (pad >= 6) {
			size_t xlen = g[10] | (size_t)g[11] << 8;

			assert_int_equal(xlen, (size_t)pad - 2);
			assert_memory_equal(g + 12, "TW", 2);
			assert_int_equal(g[14] | (size_t)g[15] << 8, xlen - 4);
		}
	}
	tw_gz_free(&gz);
}

/* A stored original far larger than the redacted deflate: the gap
 * exceeds what FEXTRA holds and goes into empty stored blocks. */
static void test_large_gap_stored_blocks(void **state)
{
	size_t cap = 400000;
	uint8_t *plain = malloc(cap), *g = malloc(cap), *out = malloc(cap);
	size_t n = pb_secret(plain, 5000), gl;
	struct tw_gz gz = { 0 };

	(void)state;
	assert_true(n > 150000 && n < cap / 2);
	gl = gz_make(plain, n, 0, -1, g, cap);
	assert_int_equal(tw_gzip_redact(&gz, key->value, g, gl, 1 << 20),
	                 TW_GZ_OK);
	assert_int_equal(gz_inflate(g, gl, out, cap), (long)n);
	assert_null(memmem(out, n, SECRET, strlen(SECRET)));
	assert_int_equal(tw_pb_redact_gz(key->value, plain, n, PB_DEPTH), 0);
	assert_memory_equal(out, plain, n);
	/* FEXTRA as full as it gets, the rest in stored blocks. */
	assert_int_equal(g[3], 0x04);
	assert_true((g[10] | (size_t)g[11] << 8) >= 65531);
	tw_gz_free(&gz);
	free(plain);
	free(g);
	free(out);
}

/* Records that differ in one digit ("aaaaaaaa001", "aaaaaaaa002"...)
 * deflate to a match and a literal each; their pseudonyms, one motif
 * per value, do not: the member cannot keep its length. */
static void test_grown_refused(void **state)
{
	uint8_t plain[2048], g[2048], keep[2048];
	size_t n = 0, gl;
	struct tw_gz gz = { 0 };

	(void)state;
	for (int i = 0; i < 120; i++) {
		plain[n++] = 0x0a;
		plain[n++] = 11;
		n += (size_t)snprintf((char *)plain + n, 12, "aaaaaaaa%03d", i);
	}
	gl = gz_make(plain, n, 9, -1, g, sizeof(g));
	memcpy(keep, g, gl);
	assert_int_equal(tw_gzip_redact(&gz, key->value, g, gl, 1 << 20),
	                 TW_GZ_GROWN);
	assert_memory_equal(g, keep, gl); /* untouched: the caller zeroes */
	tw_gz_free(&gz);
}

/* The inflated size limit: at the limit fine, one byte past refused,
 * and a bomb (megabytes from a few kilobytes) refused. */
static void test_size_limit_and_bomb(void **state)
{
	size_t big = 4u << 20;
	uint8_t *plain = malloc(big), *g = malloc(big), *keep = malloc(big);
	size_t n = pb_numbers(plain, 5000), gl;
	struct tw_gz gz = { 0 };

	(void)state;
	gl = gz_make(plain, n, 9, 10, g, big);
	assert_int_equal(tw_gzip_redact(&gz, key->value, g, gl, n), TW_GZ_OK);
	assert_int_equal(tw_gzip_redact(&gz, key->value, g, gl, n - 1),
	                 TW_GZ_TOO_BIG);
	memset(plain, 0, big);
	gl = gz_make(plain, big, 9, -1, g, big);
	assert_true(gl < 8192);
	memcpy(keep, g, gl);
	assert_int_equal(tw_gzip_redact(&gz, key->value, g, gl, 1 << 20),
	                 TW_GZ_TOO_BIG);
	assert_memory_equal(g, keep, gl);
	tw_gz_free(&gz);
	free(plain);
	free(g);
	free(keep);
}

static void test_invalid_members(void **state)
{
	uint8_t plain[1024], g[4096], b[4096];
	size_t n = pb_secret(plain, 4), gl;
	struct tw_gz gz = { 0 };

	(void)state;
	gl = gz_make(plain, n, 6, -1, g, sizeof(g));
	/* Cut anywhere: truncated. */
	for (size_t cut = 1; cut < gl; cut += 7) {
		memcpy(b, g, gl);
		assert_int_equal(
		        tw_gzip_redact(&gz, key->value, b, cut, 1 << 20),
		        TW_GZ_INVALID);
		assert_memory_equal(b, g, cut);
	}
	/* Bad CRC-32, bad ISIZE, bad magic, trailing bytes. */
	memcpy(b, g, gl);
	b[gl - 8] ^= 1;
	assert_int_equal(tw_gzip_redact(&gz, key->value, b, gl, 1 << 20),
	                 TW_GZ_INVALID);
	memcpy(b, g, gl);
	b[gl - 1] ^= 1;
	assert_int_equal(tw_gzip_redact(&gz, key->value, b, gl, 1 << 20),
	                 TW_GZ_INVALID);
	memcpy(b, g, gl);
	b[0] = 0x78; /* a zlib stream is not gzip */
	assert_int_equal(tw_gzip_redact(&gz, key->value, b, gl, 1 << 20),
	                 TW_GZ_INVALID);
	memcpy(b, g, gl);
	b[gl] = 0;
	assert_int_equal(tw_gzip_redact(&gz, key->value, b, gl + 1, 1 << 20),
	                 TW_GZ_INVALID);
	/* Whole, but not protobuf (a group, wire type 3). */
	plain[0] = 0x0b;
	gl = gz_make(plain, n, 6, -1, g, sizeof(g));
	assert_int_equal(tw_gzip_redact(&gz, key->value, g, gl, 1 << 20),
	                 TW_GZ_NOT_PB);
	assert_string_equal(tw_gz_result_name(TW_GZ_GROWN), "grown");
	tw_gz_free(&gz);
}

static int setup(void **state)
{
	struct tw_errbuf eb;
	uint8_t raw[32];

	(void)state;
	for (int i = 0; i < 32; i++)
		raw[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(tw_key_from_bytes(&key, raw, 32, &eb), 0);
	assert_int_equal(tw_huff_init(), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tw_key_free(key);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redacted_member_inflates),
		cmocka_unit_test(test_text_heavy_kept),
		cmocka_unit_test(test_every_padding_size),
		cmocka_unit_test(test_large_gap_stored_blocks),
		cmocka_unit_test(test_grown_refused),
		cmocka_unit_test(test_size_limit_and_bomb),
		cmocka_unit_test(test_invalid_members),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
