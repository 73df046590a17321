/*
 * gzip.c - gzip members redacted in place, same length (see gzip.h).
 *
 * RFC 1952 section 2.3: a member is a 10-byte header (ID1 ID2 CM FLG
 * MTIME XFL OS), the optional fields FLG announces (FEXTRA: XLEN and
 * XLEN bytes of subfields SI1 SI2 LEN data; FNAME and FCOMMENT: strings
 * ending in a zero byte; FHCRC), the deflate stream (RFC 1951), CRC-32
 * and ISIZE.  zlib reads it whole (windowBits 15 + 16: gzip only); the
 * new member is written here with a raw deflate stream between a header
 * and a trailer of our own, so that the padding can go in the header.
 */
#include "redact/gzip.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zopfli/deflate.h>
#include <zopfli/zopfli.h>

#include "redact/body.h"
#include "redact/policy.h"
#include "trace/error.h"

#define GZ_HEAD 10
#define GZ_TRAIL 8
#define FEXTRA 0x04
#define FCOMMENT 0x10
#define XLEN_MAX 65535u
#define HEAD_PAD_MAX (2 + XLEN_MAX) /* what the header can absorb */
#define STORED_EMPTY 5              /* an empty stored block, byte-aligned */
/* Room past the member: zlib may want a call with more output space
 * before it says a stream that fits exactly has ended. */
#define SLACK 64
/* zopfli's deflate is at most about 1/ZOPFLI_GAIN shorter than zlib's
 * best (5% and less on gRPC messages here): a message zlib misses by
 * more is not worth zopfli's time. */
#define ZOPFLI_GAIN 16
#define ZOPFLI_MAX (64u << 10)        /* member bytes */
#define ZOPFLI_PLAIN_MAX (64u << 10)  /* inflated bytes */
#define ZOPFLI_SPLIT_ONLY (16u << 10) /* inflated bytes */

/* Makes gz->plain at least cap bytes. */
static int plain_grow(struct tw_gz *gz, size_t cap)
{
	uint8_t *p;

	if (cap <= gz->plain_cap)
		return 0;
	p = realloc(gz->plain, cap);
	if (!p)
		return -1;
	gz->plain = p;
	gz->plain_cap = cap;
	return 0;
}

/* Runs inflate until the member ends, growing the output up to max + 1
 * bytes (one more than allowed tells a bomb). */
static enum tw_gz_result inflate_loop(struct tw_gz *gz, z_stream *z, size_t max)
{
	size_t cap = gz->plain_cap;

	for (;;) {
		int rc;

		z->next_out = gz->plain + z->total_out;
		z->avail_out = (uInt)(cap - z->total_out);
		rc = inflate(z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			break;
		if (rc == Z_MEM_ERROR)
			return TW_GZ_NOMEM;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return TW_GZ_INVALID; /* bad data, header or CRC */
		if (z->avail_out == 0) {
			if (cap > max)
				return TW_GZ_TOO_BIG;
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			if (plain_grow(gz, cap) < 0)
				return TW_GZ_NOMEM;
		} else if (z->avail_in == 0) {
			return TW_GZ_INVALID; /* the member is cut short */
		}
	}
	if (z->avail_in)
		return TW_GZ_INVALID; /* bytes after the member */
	return z->total_out > max ? TW_GZ_TOO_BIG : TW_GZ_OK;
}

/* Inflates the member; *len receives the plain size. */
static enum tw_gz_result inflate_member(struct tw_gz *gz, const uint8_t *p,
                                        size_t n, size_t max, size_t *len)
{
	z_stream z = { 0 };
	size_t first = n < (1u << 20) ? 4 * n + 4096 : 4 * n;
	enum tw_gz_result r;

	if (n > UINT_MAX || max >= UINT_MAX)
		return TW_GZ_TOO_BIG;
	if (plain_grow(gz, first > max + 1 ? max + 1 : first) < 0)
		return TW_GZ_NOMEM;
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return TW_GZ_NOMEM;
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	r = inflate_loop(gz, &z, max);
	*len = z.total_out;
	inflateEnd(&z);
	return r;
}

/*
 * The settings tried, in order, until one fits: the best level first,
 * then what the sender most likely used (zlib's default level and
 * memory, as grpc and most gzip writers do), then the other strategies.
 * The pseudonyms (pseudo_gz.h) deflate better than the values they
 * replace, so the first try nearly always fits; the others are a chance
 * to win back a few bytes when the message was mostly numbers, random
 * tokens or values of the random pseudonym.
 */
static const struct {
	int level, mem, strategy;
} tries[] = {
	{ 9, 9, Z_DEFAULT_STRATEGY },
	{ 6, 8, Z_DEFAULT_STRATEGY },
	{ 9, 8, Z_DEFAULT_STRATEGY },
	{ 9, 9, Z_FILTERED },
	{ 9, 9, Z_RLE },
	{ 9, 9, Z_FIXED },
	{ 9, 9, Z_HUFFMAN_ONLY },
};

#define NTRIES (sizeof(tries) / sizeof(tries[0]))

/* What out holds past room: enough to learn by how much a deflate
 * misses when zopfli might still make up for it. */
static size_t spare(size_t room)
{
	return SLACK + room / ZOPFLI_GAIN;
}

/*
 * Raw deflate of n bytes at in, with tries[t], into at most room bytes at
 * out (which has spare(room) bytes more).  Returns 1 when it fits, 0 when
 * not, -1 when out of memory; *len: bytes at out, also when more than
 * room, or SIZE_MAX when they overflow the spare bytes.
 * With fin, the stream is flushed to a byte boundary and then finished
 * separately into fin (fin_cap bytes): *fin_len receives that tail's
 * length.
 */
static int deflate_raw(const uint8_t *in, size_t n, uint8_t *out, size_t room,
                       size_t t, uint8_t *fin, size_t fin_cap, size_t *len,
                       size_t *fin_len)
{
	z_stream z = { 0 };
	int rc, fits = 0;

	if (deflateInit2(&z, tries[t].level, Z_DEFLATED, -15, tries[t].mem,
	                 tries[t].strategy) != Z_OK)
		return -1;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)(room + spare(room));
	rc = deflate(&z, fin ? Z_SYNC_FLUSH : Z_FINISH);
	if (!fin) {
		fits = rc == Z_STREAM_END && z.total_out <= room;
	} else if (rc == Z_OK && z.avail_in == 0 && z.avail_out > 0) {
		*len = z.total_out;
		z.next_out = fin;
		z.avail_out = (uInt)fin_cap;
		fits = deflate(&z, Z_FINISH) == Z_STREAM_END;
		*fin_len = z.total_out - *len;
	}
	if (!fin)
		*len = rc == Z_STREAM_END ? z.total_out : SIZE_MAX;
	deflateEnd(&z);
	return fits;
}

/* Writes a header of GZ_HEAD + pad bytes (pad at most HEAD_PAD_MAX):
 * FEXTRA for 2 bytes or more, FCOMMENT for what FEXTRA cannot hold. */
static void put_header(uint8_t *o, size_t pad, uint8_t os)
{
	size_t comment = pad == 1 ? 1 : pad >= 3 && pad <= 5 ? pad - 2 : 0;
	size_t xlen = pad >= 2 ? pad - 2 - comment : 0;
	uint8_t *q = o + GZ_HEAD;

	memset(o, 0, GZ_HEAD + pad);
	o[0] = 0x1f;
	o[1] = 0x8b;
	o[2] = 8; /* deflate */
	o[3] = (uint8_t)((pad >= 2 ? FEXTRA : 0) | (comment ? FCOMMENT : 0));
	o[8] = 2; /* XFL: best compression */
	o[9] = os;
	if (pad >= 2) {
		q[0] = (uint8_t)xlen;
		q[1] = (uint8_t)(xlen >> 8);
		if (xlen >= 4) { /* one subfield, "TW", of zeros */
			q[2] = 'T';
			q[3] = 'W';
			q[4] = (uint8_t)(xlen - 4);
			q[5] = (uint8_t)((xlen - 4) >> 8);
		}
		q += 2 + xlen;
	}
	if (comment) {
		memset(q, ' ', comment - 1);
		q[comment - 1] = '\0';
	}
}

static void put_trailer(uint8_t *o, const uint8_t *plain, size_t len)
{
	uLong crc = crc32(0, plain, (uInt)len);

	for (int i = 0; i < 4; i++) {
		o[i] = (uint8_t)(crc >> (8 * i));
		o[4 + i] = (uint8_t)((uint64_t)len >> (8 * i));
	}
}

/*
 * A gap larger than the header holds: the deflate stream is flushed to
 * a byte boundary, empty stored blocks follow, then its final block.
 */
static enum tw_gz_result build_blocks(struct tw_gz *gz, size_t len, size_t n,
                                      size_t t, uint8_t os)
{
	uint8_t fin[64];
	size_t s = 0, f = 0, r, k, pad, o;
	int fits = deflate_raw(gz->plain, len, gz->out + GZ_HEAD,
	                       n - GZ_HEAD - GZ_TRAIL, t, fin, sizeof(fin), &s,
	                       &f);

	if (fits < 0)
		return TW_GZ_NOMEM;
	if (!fits || s + f > n - GZ_HEAD - GZ_TRAIL)
		return TW_GZ_GROWN;
	r = n - GZ_HEAD - GZ_TRAIL - s - f;
	k = r > HEAD_PAD_MAX
	            ? (r - HEAD_PAD_MAX + STORED_EMPTY - 1) / STORED_EMPTY
	            : 0;
	pad = r - k * STORED_EMPTY;
	memmove(gz->out + GZ_HEAD + pad, gz->out + GZ_HEAD, s);
	put_header(gz->out, pad, os);
	o = GZ_HEAD + pad + s;
	for (size_t i = 0; i < k; i++, o += STORED_EMPTY)
		memcpy(gz->out + o, "\x00\x00\x00\xff\xff", STORED_EMPTY);
	memcpy(gz->out + o, fin, f);
	put_trailer(gz->out + o + f, gz->plain, len);
	return TW_GZ_OK;
}

/*
 * The last tries: zopfli's deflate, a few % shorter than zlib's best and
 * far slower, only when zlib's best (best bytes) missed by less than
 * zopfli can win, for members of up to ZOPFLI_MAX bytes (so its gain
 * stays below what FEXTRA holds) that inflate to at most
 * ZOPFLI_PLAIN_MAX (its time grows with the inflated size: 50 to 200
 * ms for 54 KiB).  One pass without block splitting first (about 2 ms
 * for a 1 KiB message here), then one with it (about 15 ms); past
 * ZOPFLI_SPLIT_ONLY inflated bytes only the second, which is what wins
 * on large messages (a few fields, then a long repetitive one: one
 * block for each).  More passes seldom win more than a byte.  True when
 * it fits in room bytes at gz->out + GZ_HEAD (*d: its length).
 */
static bool zopfli_fits(struct tw_gz *gz, size_t len, size_t room, size_t best,
                        size_t *d)
{
	bool fits = false;

	if (best == SIZE_MAX || best - room > best / ZOPFLI_GAIN ||
	    room + GZ_HEAD + GZ_TRAIL > ZOPFLI_MAX || len > ZOPFLI_PLAIN_MAX)
		return false;
	for (int split = len > ZOPFLI_SPLIT_ONLY; split < 2 && !fits; split++) {
		ZopfliOptions o;
		unsigned char bp = 0, *z = NULL;
		size_t zn = 0;

		ZopfliInitOptions(&o);
		o.numiterations = 1;
		o.blocksplitting = split;
		ZopfliDeflate(&o, 2, 1, gz->plain, len, &bp, &z, &zn);
		fits = z && zn <= room;
		if (fits) {
			memcpy(gz->out + GZ_HEAD, z, zn);
			*d = zn;
		}
		free(z);
	}
	return fits;
}

/* Deflates the redacted plain text into a member of exactly n bytes. */
static enum tw_gz_result build_member(struct tw_gz *gz, size_t len, size_t n,
                                      uint8_t os)
{
	size_t d = 0, room = n - GZ_HEAD - GZ_TRAIL, pad;
	size_t i, best = SIZE_MAX, cap = n + spare(room);

	if (gz->out_cap < cap) {
		uint8_t *o = realloc(gz->out, cap);

		if (!o)
			return TW_GZ_NOMEM;
		gz->out = o;
		gz->out_cap = cap;
	}
	for (i = 0; i < NTRIES; i++) {
		int fits = deflate_raw(gz->plain, len, gz->out + GZ_HEAD, room,
		                       i, NULL, 0, &d, NULL);

		if (fits < 0)
			return TW_GZ_NOMEM;
		if (fits)
			break;
		best = d < best ? d : best;
		if (best == SIZE_MAX) /* the best level missed by far */
			return TW_GZ_GROWN;
	}
	if (i == NTRIES && !zopfli_fits(gz, len, room, best, &d))
		return TW_GZ_GROWN;
	pad = room - d;
	if (pad > HEAD_PAD_MAX && i < NTRIES) /* (zopfli's pad is less) */
		return build_blocks(gz, len, n, i, os);
	memmove(gz->out + GZ_HEAD + pad, gz->out + GZ_HEAD, d);
	put_header(gz->out, pad, os);
	put_trailer(gz->out + GZ_HEAD + pad + d, gz->plain, len);
	return TW_GZ_OK;
}

/* A bomb's worth of scratch is not kept from one member to the next. */
static void scratch_trim(struct tw_gz *gz)
{
	if (gz->plain_cap > (1u << 20)) {
		free(gz->plain);
		gz->plain = NULL;
		gz->plain_cap = 0;
	}
	if (gz->out_cap > (1u << 20)) {
		free(gz->out);
		gz->out = NULL;
		gz->out_cap = 0;
	}
}

enum tw_gz_result tw_gzip_redact(struct tw_gz *gz,
                                 const uint8_t vkey[TW_KEY_SUB_BYTES],
                                 uint8_t *p, size_t n, size_t max_plain)
{
	size_t len = 0;
	enum tw_gz_result r;

	if (n < GZ_HEAD + GZ_TRAIL)
		return TW_GZ_INVALID;
	r = inflate_member(gz, p, n, max_plain, &len);
	if (r == TW_GZ_OK) {
		unsigned depth =
		        gz->pb_depth ? gz->pb_depth : TW_LIMIT_PB_DEPTH_DEFAULT;
		int rc = tw_pb_redact_gz(vkey, gz->plain, len, depth);

		r = rc == TW_ELIMIT ? TW_GZ_TOO_DEEP
		    : rc < 0        ? TW_GZ_NOT_PB
		                    : TW_GZ_OK;
	}
	if (r == TW_GZ_OK)
		r = build_member(gz, len, n, p[9]);
	if (r == TW_GZ_OK)
		memcpy(p, gz->out, n);
	scratch_trim(gz);
	return r;
}

void tw_gz_free(struct tw_gz *gz)
{
	free(gz->plain);
	free(gz->out);
	memset(gz, 0, sizeof(*gz));
}

const char *tw_gz_result_name(enum tw_gz_result r)
{
	static const char *const names[] = {
		"ok",    "invalid",       "too big",        "not protobuf",
		"grown", "out of memory", "nested too deep"
	};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}
