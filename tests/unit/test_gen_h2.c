/*
 * test_gen_h2.c - HTTP/2 frame builders (RFC 9113 section 4.1 and 6):
 * frame headers byte for byte, SETTINGS, DATA split at the maximum frame
 * size, HEADERS split into CONTINUATION, and header blocks that
 * nghttp2's inflater decodes back to the fields given.
 */
#include <nghttp2/nghttp2.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tools/generate/h2.h"

static uint32_t be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void test_frame_header(void **state)
{
	static const uint8_t want[] = { 0x00, 0x40, 0x00, 0x01, 0x05,
		                        0x00, 0x00, 0x00, 0x03 };
	struct tw_gen_buf b = { 0 };

	(void)state;
	tw_gen_h2_frame_hdr(&b, 16384, TW_H2_HEADERS,
	                    TW_H2_END_STREAM | TW_H2_END_HEADERS, 3);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.p, want, 9);
	tw_gen_buf_reset(&b);
	tw_gen_h2_frame_hdr(&b, 0, TW_H2_DATA, 0, 0xffffffffu);
	assert_int_equal(b.p[5], 0x7f); /* the reserved bit stays clear */
	tw_gen_buf_free(&b);
}

static void test_control_frames(void **state)
{
	const uint16_t ids[] = { 3, 4 };
	const uint32_t vals[] = { 100, 1u << 30 };
	struct tw_gen_buf b = { 0 };

	(void)state;
	tw_gen_h2_settings(&b, ids, vals, 2, 0);
	assert_int_equal(b.len, 9 + 12);
	assert_int_equal(be24(b.p), 12);
	assert_int_equal(b.p[3], TW_H2_SETTINGS);
	assert_int_equal(b.p[9 + 1], 3);
	assert_int_equal(be32(b.p + 9 + 8), 1u << 30);
	tw_gen_buf_reset(&b);
	tw_gen_h2_settings(&b, NULL, NULL, 0, 1);
	assert_int_equal(b.len, 9);
	assert_int_equal(b.p[4], TW_H2_ACK);
	tw_gen_buf_reset(&b);
	tw_gen_h2_window_update(&b, 5, 0x80000010u);
	assert_int_equal(be32(b.p + 9), 0x10); /* reserved bit cleared */
	tw_gen_buf_reset(&b);
	tw_gen_h2_rst_stream(&b, 7, 8);
	assert_int_equal(b.p[3], TW_H2_RST_STREAM);
	assert_int_equal(be32(b.p + 9), 8);
	tw_gen_buf_reset(&b);
	tw_gen_h2_goaway(&b, 9, 0);
	assert_int_equal(be24(b.p), 8);
	assert_int_equal(be32(b.p + 5), 0);
	assert_int_equal(be32(b.p + 9), 9);
	tw_gen_buf_free(&b);
}

static void test_data_split(void **state)
{
	static uint8_t body[40000];
	struct tw_gen_buf b = { 0 };
	size_t off = 0, total = 0, frames;

	(void)state;
	memset(body, 'x', sizeof(body));
	frames = tw_gen_h2_data(&b, 1, body, sizeof(body), 1);
	assert_int_equal(frames, 3);
	for (size_t i = 0; i < frames; i++) {
		uint32_t len = be24(b.p + off);

		assert_int_equal(b.p[off + 3], TW_H2_DATA);
		assert_int_equal(b.p[off + 4],
		                 i + 1 == frames ? TW_H2_END_STREAM : 0);
		assert_true(len <= TW_H2_MAX_FRAME);
		total += len;
		off += 9 + len;
	}
	assert_int_equal(total, sizeof(body));
	assert_int_equal(off, b.len);
	tw_gen_buf_reset(&b);
	assert_int_equal(tw_gen_h2_data(&b, 1, NULL, 0, 1), 1);
	assert_int_equal(b.len, 9);
	tw_gen_buf_free(&b);
}

/* Inflates the block of a HEADERS frame (and CONTINUATIONs) at p. */
static size_t inflate(nghttp2_hd_inflater *inf, const uint8_t *p, size_t n,
                      char names[][32], char values[][32768])
{
	uint8_t *block = malloc(n);
	size_t blen = 0, off = 0, fields = 0;
	uint8_t *in;

	assert_non_null(block);
	while (off < n) {
		uint32_t len = be24(p + off);

		memcpy(block + blen, p + off + 9, len);
		blen += len;
		off += 9 + len;
	}
	in = block;
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t r =
		        nghttp2_hd_inflate_hd2(inf, &nv, &flags, in, blen, 1);

		assert_true(r >= 0);
		in += r;
		blen -= (size_t)r;
		if (flags & NGHTTP2_HD_INFLATE_EMIT) {
			memcpy(names[fields], nv.name, nv.namelen);
			names[fields][nv.namelen] = '\0';
			memcpy(values[fields], nv.value, nv.valuelen);
			values[fields][nv.valuelen] = '\0';
			fields++;
		}
		if (flags & NGHTTP2_HD_INFLATE_FINAL)
			break;
	}
	nghttp2_hd_inflate_end_headers(inf);
	free(block);
	return fields;
}

static void test_headers_roundtrip(void **state)
{
	static char names[8][32], values[8][32768];
	static char big[20001];
	const struct tw_gen_hdr h[] = {
		{ ":method", "POST", 0 },
		{ "user-agent", "tracewarp-test/1", 0 },
		{ "authorization", "Bearer s3cret", 1 },
	};
	const struct tw_gen_hdr h2[] = { { "x-big", big, 0 } };
	struct tw_gen_hpack *hp;
	nghttp2_hd_inflater *inf;
	struct tw_gen_buf b = { 0 };

	(void)state;
	assert_int_equal(tw_gen_hpack_new(&hp), 0);
	assert_int_equal(nghttp2_hd_inflate_new(&inf), 0);
	assert_int_equal(tw_gen_h2_headers(&b, hp, 1, h, 3, 1), 0);
	assert_int_equal(b.p[3], TW_H2_HEADERS);
	assert_int_equal(b.p[4], TW_H2_END_STREAM | TW_H2_END_HEADERS);
	assert_int_equal(inflate(inf, b.p, b.len, names, values), 3);
	assert_string_equal(names[2], "authorization");
	assert_string_equal(values[2], "Bearer s3cret");
	/* The same fields again: the dynamic table makes them shorter. */
	{
		size_t first = b.len;

		tw_gen_buf_reset(&b);
		assert_int_equal(tw_gen_h2_headers(&b, hp, 3, h, 3, 0), 0);
		assert_true(b.len < first);
		assert_int_equal(inflate(inf, b.p, b.len, names, values), 3);
		assert_string_equal(values[1], "tracewarp-test/1");
	}
	/* A block over 16384 bytes goes on in CONTINUATION frames. */
	memset(big, 'q', sizeof(big) - 1);
	tw_gen_buf_reset(&b);
	assert_int_equal(tw_gen_h2_headers(&b, hp, 5, h2, 1, 0), 0);
	assert_int_equal(b.p[4], 0); /* no END_HEADERS on the first */
	assert_int_equal(be24(b.p), TW_H2_MAX_FRAME);
	assert_int_equal(b.p[9 + TW_H2_MAX_FRAME + 3], TW_H2_CONTINUATION);
	assert_int_equal(b.p[9 + TW_H2_MAX_FRAME + 4], TW_H2_END_HEADERS);
	assert_int_equal(inflate(inf, b.p, b.len, names, values), 1);
	assert_string_equal(values[0], big);
	nghttp2_hd_inflate_del(inf);
	tw_gen_hpack_free(hp);
	tw_gen_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_header),
		cmocka_unit_test(test_control_frames),
		cmocka_unit_test(test_data_split),
		cmocka_unit_test(test_headers_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
