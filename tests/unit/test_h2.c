/*
 * test_h2.c - the stream redactor end to end on synthetic connections:
 * TCP segments in, redacted segments out, and the output's HTTP/2
 * decoded again with a fresh HPACK inflater (so a rewrite that the
 * receiver would decode differently fails here).  Covers headers split
 * over CONTINUATION frames, padding, a table-size update, dynamic-table
 * reuse over many requests, a gRPC message over many DATA frames and
 * tiny segments, gzip messages (inflated, redacted, deflated again at
 * their length; truncated, grown and bomb members zeroed), a stream
 * reset mid-message, JSON bodies, a capture that starts mid-connection,
 * a lost segment, and malformed input.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <nghttp2/nghttp2.h>
#include <zlib.h>

#include "redact/body.h"
#include "redact/policy.h"
#include "redact/pseudo.h"
#include "redact/redact.h"
#include "redact/session.h"
#include "trace/bytes.h"
#include "trace/cksum.h"
#include "trace/packet.h"

static struct tw_key *key;
static struct tw_policy pol;

static const char SECRET_MAIL[] = "kalinda.tanaka64@xaqhyo.example";
static const char SECRET_TOKEN[] = "Bearer ak_live_qH8kQrPTsDSuFEhbtyvAYmqg";
static const char SECRET_NAME[] = "Chiara Quintero";

#include "h2conn.h"

/* The DATA payloads of a client stream, concatenated. */
static size_t data_of(const uint8_t *p, size_t n, uint8_t *out)
{
	size_t o = 0;

	for (size_t pos = 24; pos + 9 <= n;) {
		uint32_t len =
		        (uint32_t)p[pos] << 16 | p[pos + 1] << 8 | p[pos + 2];

		if (pos + 9 + len > n)
			break;
		if (p[pos + 3] == 0) {
			memcpy(out + o, p + pos + 9, len);
			o += len;
		}
		pos += 9 + len;
	}
	return o;
}

/* ---- fixtures ---------------------------------------------------------- */

static const char *req_nv[] = {
	":method",
	"POST",
	":scheme",
	"http",
	":authority",
	"api-ixqgtnah.corp.example:8080",
	":path",
	"/corpus.v1.Users/GetUser",
	"content-type",
	"application/grpc",
	"te",
	"trailers",
	"authorization",
	SECRET_TOKEN,
	"x-user-email",
	SECRET_MAIL,
};

static const char *rsp_nv[] = { ":status", "200", "content-type",
	                        "application/grpc" };
static const char *trl_nv[] = { "grpc-status", "0", "grpc-message",
	                        "user Chiara Quintero not found" };

/* A protobuf message: 1: string name, 2: varint 1234, 3: { 1: email }. */
static size_t pb_user(uint8_t *m)
{
	size_t n = 0, e = strlen(SECRET_MAIL), k = strlen(SECRET_NAME);

	m[n++] = 0x0a;
	m[n++] = (uint8_t)k;
	memcpy(m + n, SECRET_NAME, k);
	n += k;
	m[n++] = 0x10;
	m[n++] = 0xd2;
	m[n++] = 0x09;
	m[n++] = 0x1a;
	m[n++] = (uint8_t)(e + 2);
	m[n++] = 0x0a;
	m[n++] = (uint8_t)e;
	memcpy(m + n, SECRET_MAIL, e);
	return n + e;
}

static size_t grpc_msg(uint8_t *out)
{
	uint8_t m[256];
	size_t n = pb_user(m);

	out[0] = 0;
	tw_put_be32(out + 1, (uint32_t)n);
	memcpy(out + 5, m, n);
	return n + 5;
}

/* A whole unary call on stream sid; mss: segment size. */
static void unary(struct conv *c, nghttp2_hd_deflater *dc,
                  nghttp2_hd_deflater *ds, uint32_t sid, size_t mss)
{
	uint8_t b[16384], f[16384], msg[512];
	size_t n, fl, ml = grpc_msg(msg);

	n = block(dc, b, req_nv, 8);
	fl = frame(f, 1, 4, sid, b, n);
	fl += frame(f + fl, 0, 1, sid, msg, ml);
	send_bytes(c, 0, f, fl, mss);
	n = block(ds, b, rsp_nv, 2);
	fl = frame(f, 1, 4, sid, b, n);
	fl += frame(f + fl, 0, 0, sid, msg, ml);
	n = block(ds, b, trl_nv, 2);
	fl += frame(f + fl, 1, 5, sid, b, n);
	send_bytes(c, 1, f, fl, mss);
}

static void start_h2(struct conv *c, nghttp2_hd_deflater **dc,
                     nghttp2_hd_deflater **ds)
{
	uint8_t f[64];
	size_t n;

	handshake(c);
	send_bytes(c, 0, TW_H2_PREFACE, 24, 1460);
	n = frame(f, 4, 0, 0, NULL, 0);
	send_bytes(c, 0, f, n, 1460);
	send_bytes(c, 1, f, n, 1460);
	assert_int_equal(nghttp2_hd_deflate_new(dc, 4096), 0);
	assert_int_equal(nghttp2_hd_deflate_new(ds, 4096), 0);
}

/* ---- tests ------------------------------------------------------------- */

static void test_huffman_roundtrip(void **state)
{
	const char *v = SECRET_TOKEN;
	uint8_t enc[128], dec[128], ps[128];
	size_t n = strlen(v), el = tw_huff_enc_len((const uint8_t *)v, n);

	(void)state;
	assert_int_equal(tw_huff_init(), 0);
	assert_int_equal(tw_huff_encode((const uint8_t *)v, n, enc, el), 0);
	assert_int_equal(tw_huff_decode(enc, el, dec, sizeof(dec)), (long)n);
	assert_memory_equal(dec, v, n);
	memcpy(ps, v, n);
	tw_pseudo_text(key->value, ps, n);
	assert_memory_not_equal(ps, v, n);
	assert_int_equal(tw_huff_enc_len(ps, n), el);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(tw_huff_len(ps[i]),
		                 tw_huff_len((uint8_t)v[i]));
		if (v[i] == ' ' || v[i] == '_')
			assert_int_equal(ps[i], v[i]);
	}
	/* Deterministic. */
	memcpy(dec, v, n);
	tw_pseudo_text(key->value, dec, n);
	assert_memory_equal(dec, ps, n);
}

static void test_dynamic_table_reuse(void **state)
{
	struct conv c = { 0 };
	nghttp2_hd_deflater *dc, *ds;
	struct result res;
	char *hd = malloc(1 << 20);
	int data = 0;

	(void)state;
	start_h2(&c, &dc, &ds);
	for (uint32_t sid = 1; sid < 80; sid += 2)
		unary(&c, dc, ds, sid, 1460);
	run(&c, &res);
	assert_false(contains(&res, SECRET_MAIL));
	assert_false(contains(&res, "ak_live_qH8kQrPTsDSuFEhbtyvAYmqg"));
	assert_false(contains(&res, SECRET_NAME));
	assert_true(res.cksum_ok);
	assert_int_equal(decode_stream(res.stream[0], res.slen[0], true, hd,
	                               1 << 20, &data),
	                 40);
	assert_int_equal(data, 40);
	assert_non_null(strstr(hd, ":path: /corpus.v1.Users/GetUser\n"));
	assert_non_null(strstr(hd, "content-type: application/grpc\n"));
	assert_null(strstr(hd, SECRET_MAIL));
	/* Every request decodes, literal or indexed, to exactly the
	 * pseudonyms of its email and token. */
	{
		char want[256], ps[128];
		size_t n = 0;

		memcpy(ps, SECRET_MAIL, strlen(SECRET_MAIL));
		tw_pseudo_text(key->value, (uint8_t *)ps, strlen(SECRET_MAIL));
		snprintf(want, sizeof(want), "x-user-email: %.*s\n",
		         (int)strlen(SECRET_MAIL), ps);
		for (char *p = hd; (p = strstr(p, want)); p++)
			n++;
		assert_int_equal(n, 40);
		memcpy(ps, SECRET_TOKEN, strlen(SECRET_TOKEN));
		tw_pseudo_text(key->value, (uint8_t *)ps, strlen(SECRET_TOKEN));
		snprintf(want, sizeof(want), "authorization: %.*s\n",
		         (int)strlen(SECRET_TOKEN), ps);
		n = 0;
		for (char *p = hd; (p = strstr(p, want)); p++)
			n++;
		assert_int_equal(n, 40);
	}
	/* The same pseudonym for every request (dynamic table entries). */
	{
		char *a = strstr(hd, "x-user-email: "), *b;

		assert_non_null(a);
		b = strstr(a + 1, "x-user-email: ");
		assert_non_null(b);
		assert_memory_equal(a, b, 14 + strlen(SECRET_MAIL) + 1);
		assert_non_null(memchr(a, '@', 14 + strlen(SECRET_MAIL)));
	}
	assert_int_equal(decode_stream(res.stream[1], res.slen[1], false, hd,
	                               1 << 20, NULL),
	                 80);
	assert_non_null(strstr(hd, "grpc-status: 0\n"));
	assert_int_equal(res.st.h2.grpc_messages, 80);
	assert_int_equal(res.st.h2.exchanges, 40);
	/* One L7 line per exchange. */
	{
		size_t lines = 0;

		for (size_t i = 0; i < res.l7len; i++)
			lines += res.l7[i] == '\n';
		assert_int_equal(lines, 40);
		assert_null(strstr(res.l7, SECRET_MAIL));
		assert_non_null(strstr(res.l7, "\"grpc_status\":\"0\""));
	}
	result_free(&res);
	free(hd);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
}

static void test_split_message_tiny_segments(void **state)
{
	struct conv c = { 0 };
	nghttp2_hd_deflater *dc, *ds;
	uint8_t b[4096], f[8192], msg[512], out[512];
	size_t n, fl = 0, ml = grpc_msg(msg), o = 0;
	struct result res;
	char hd[8192];

	(void)state;
	start_h2(&c, &dc, &ds);
	n = block(dc, b, req_nv, 8);
	fl = frame(f, 1, 4, 1, b, n);
	/* The message over seven DATA frames, sent 7 bytes a segment. */
	for (size_t k = 0; k < ml; k += 11) {
		size_t m = ml - k < 11 ? ml - k : 11;

		fl += frame(f + fl, 0, k + m == ml ? 1 : 0, 1, msg + k, m);
	}
	send_bytes(&c, 0, f, fl, 7);
	run(&c, &res);
	assert_false(contains(&res, SECRET_NAME));
	assert_true(res.cksum_ok);
	assert_int_equal(decode_stream(res.stream[0], res.slen[0], true, hd,
	                               sizeof(hd), NULL),
	                 1);
	/* The DATA payloads: same framing, numbers kept. */
	o = data_of(res.stream[0], res.slen[0], out);
	assert_int_equal(o, ml);
	assert_memory_equal(out, msg, 5);
	assert_int_equal(out[5], 0x0a);
	assert_int_equal(out[6], strlen(SECRET_NAME));
	assert_memory_not_equal(out + 7, SECRET_NAME, strlen(SECRET_NAME));
	assert_memory_equal(out + 7 + strlen(SECRET_NAME),
	                    msg + 7 + strlen(SECRET_NAME), 6); /* 1234 */
	assert_int_equal(res.st.h2.grpc_messages, 1);
	result_free(&res);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
}

static void test_continuation_padding_size_update(void **state)
{
	struct conv c = { 0 };
	nghttp2_hd_deflater *dc, *ds;
	uint8_t b[4096], f[8192], pb[4096];
	size_t n, fl;
	struct result res;
	char hd[8192];

	(void)state;
	start_h2(&c, &dc, &ds);
	/* The server allows a bigger table; the client's encoder says so. */
	{
		uint8_t st[6] = { 0, 1, 0, 0, 0x20, 0 };

		fl = frame(f, 4, 0, 0, st, 6);
		send_bytes(&c, 1, f, fl, 1460);
	}
	nghttp2_hd_deflate_change_table_size(dc, 8192);
	n = block(dc, b, req_nv, 8);
	/* HEADERS, padded with 9 non-zero bytes, then two CONTINUATION. */
	pb[0] = 9;
	memcpy(pb + 1, b, 10);
	memset(pb + 11, 0xee, 9);
	fl = frame(f, 1, 0x8, 1, pb, 20);
	fl += frame(f + fl, 9, 0, 1, b + 10, 10);
	fl += frame(f + fl, 9, 4 | 0, 1, b + 20, n - 20);
	fl += frame(f + fl, 0, 1, 1, NULL, 0);
	send_bytes(&c, 0, f, fl, 13);
	run(&c, &res);
	assert_false(contains(&res, SECRET_MAIL));
	assert_int_equal(decode_stream(res.stream[0], res.slen[0], true, hd,
	                               sizeof(hd), NULL),
	                 1);
	assert_non_null(strstr(hd, ":method: POST\n"));
	assert_non_null(strstr(hd, "te: trailers\n"));
	/* Padding zeroed. */
	assert_null(memchr(res.stream[0], 0xee, res.slen[0]));
	assert_int_equal(res.st.h2.errors, 0);
	result_free(&res);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
}

static void test_rst_mid_message(void **state)
{
	struct conv c = { 0 };
	nghttp2_hd_deflater *dc, *ds;
	uint8_t b[4096], f[8192], msg[512], rst[4] = { 0, 0, 0, 8 };
	size_t n, fl, ml = grpc_msg(msg);
	struct result res;

	(void)state;
	start_h2(&c, &dc, &ds);
	n = block(dc, b, req_nv, 8);
	fl = frame(f, 1, 4, 1, b, n);
	fl += frame(f + fl, 0, 0, 1, msg, ml - 20); /* cut */
	fl += frame(f + fl, 3, 0, 1, rst, 4);
	send_bytes(&c, 0, f, fl, 100);
	run(&c, &res);
	assert_false(contains(&res, SECRET_NAME));
	assert_false(contains(&res, "kalinda"));
	assert_non_null(strstr(res.l7, "\"reset\":8"));
	result_free(&res);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
}

static void test_midstream_and_lost_segment(void **state)
{
	struct conv c = { .no_syn = true };
	nghttp2_hd_deflater *dc, *ds;
	struct result res;

	(void)state;
	start_h2(&c, &dc, &ds);
	unary(&c, dc, ds, 1, 1460);
	run(&c, &res);
	assert_false(contains(&res, SECRET_MAIL));
	assert_false(contains(&res, "PRI * HTTP"));
	assert_int_equal(res.st.midstream_flows, 2);
	result_free(&res);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);

	memset(&c, 0, sizeof(c));
	start_h2(&c, &dc, &ds);
	unary(&c, dc, ds, 1, 1460);
	c.drop_next = true;
	unary(&c, dc, ds, 3, 30);
	unary(&c, dc, ds, 5, 1460);
	run(&c, &res);
	assert_false(contains(&res, SECRET_MAIL));
	assert_false(contains(&res, SECRET_NAME));
	assert_int_equal(res.st.gap_flows, 1);
	result_free(&res);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
}

/* Flag 1 without grpc-encoding: gzip (another or no encoding): the
 * redactor cannot walk it, so it is zeroed after its prefix. */
static void test_compressed_message_zeroed(void **state)
{
	struct conv c = { 0 };
	nghttp2_hd_deflater *dc, *ds;
	uint8_t b[4096], f[8192], msg[512], out[512];
	size_t n, fl, ml = grpc_msg(msg);
	struct result res;

	(void)state;
	start_h2(&c, &dc, &ds);
	n = block(dc, b, req_nv, 8);
	fl = frame(f, 1, 4, 1, b, n);
	msg[0] = 1; /* compressed (grpc-encoding: gzip) */
	fl += frame(f + fl, 0, 1, 1, msg, ml);
	send_bytes(&c, 0, f, fl, 64);
	run(&c, &res);
	assert_false(contains(&res, SECRET_NAME));
	assert_int_equal(data_of(res.stream[0], res.slen[0], out), ml);
	assert_memory_equal(out, msg, 5); /* the prefix stays */
	for (size_t i = 5; i < ml; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(res.st.h2.grpc_compressed_zeroed, 1);
	result_free(&res);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
}

/* ---- gzip messages (grpc-encoding: gzip) ------------------------------ */

static const char *gz_req_nv[] = {
	":method",       "POST",
	":scheme",       "http",
	":path",         "/corpus.v1.Users/ListUsers",
	"content-type",  "application/grpc",
	"grpc-encoding", "gzip",
	"x-user-email",  SECRET_MAIL,
};

/* A gzip member of n bytes at in, as grpc writes one (zlib, level 6). */
static size_t gz_member(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };
	size_t len;

	assert_int_equal(
	        deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
	        Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	len = z.total_out;
	deflateEnd(&z);
	return len;
}

/* A gRPC message: prefix with flag 1, then member (n bytes). */
static size_t gz_grpc(const uint8_t *member, size_t n, uint8_t *out)
{
	out[0] = 1;
	tw_put_be32(out + 1, (uint32_t)n);
	memcpy(out + 5, member, n);
	return n + 5;
}

/* Ten user records, as a list call would carry them. */
static size_t pb_users(uint8_t *m)
{
	size_t n = 0;

	for (int i = 0; i < 10; i++) {
		m[n++] = 0x0a;
		m[n] = (uint8_t)pb_user(m + n + 1);
		n += 1 + m[n];
	}
	return n;
}

static long inflate_gz(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream z = { 0 };
	long len;

	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	len = inflate(&z, Z_FINISH) == Z_STREAM_END && !z.avail_in
	              ? (long)z.total_out
	              : -1;
	inflateEnd(&z);
	return len;
}

/* A request stream whose DATA carries body (n bytes) in frames of at
 * most fmax bytes, END_STREAM on the last, sent mss bytes a segment. */
static void gz_stream(struct conv *c, nghttp2_hd_deflater *dc, uint32_t sid,
                      const uint8_t *body, size_t n, size_t fmax, size_t mss)
{
	static uint8_t f[65536];
	uint8_t b[4096];
	size_t fl = frame(f, 1, 4, sid, b, block(dc, b, gz_req_nv, 6));

	for (size_t k = 0; k < n; k += fmax) {
		size_t m = n - k < fmax ? n - k : fmax;

		fl += frame(f + fl, 0, k + m == n ? 1 : 0, sid, body + k, m);
	}
	send_bytes(c, 0, f, fl, mss);
}

/*
 * A gzip message split over DATA frames and tiny segments comes out at
 * its length, flag and prefix kept, and inflates (zlib) to exactly the
 * protobuf the walker makes of the original: the secrets are gone from
 * the packets and from the L7 trace, which says "protobuf+gzip".
 */
static void test_gzip_message_redacted(void **state)
{
	struct conv c = { 0 };
	nghttp2_hd_deflater *dc, *ds;
	uint8_t plain[2048], want[2048], mem[2048], msg[2048], out[2048];
	size_t pl = pb_users(plain), ml, o;
	struct result res;
	char hd[8192], expect[128];

	(void)state;
	ml = gz_member(plain, pl, mem, sizeof(mem));
	ml = gz_grpc(mem, ml, msg);
	start_h2(&c, &dc, &ds);
	gz_stream(&c, dc, 1, msg, ml, 13, 7);
	run(&c, &res);
	assert_false(contains(&res, SECRET_MAIL));
	assert_false(contains(&res, SECRET_NAME));
	assert_true(res.cksum_ok);
	o = data_of(res.stream[0], res.slen[0], out);
	assert_int_equal(o, ml);
	assert_memory_equal(out, msg, 5);
	assert_int_equal(inflate_gz(out + 5, ml - 5, plain + 1024, 1024),
	                 (long)pl);
	memcpy(want, plain, pl);
	assert_int_equal(tw_pb_redact_gz(key->value, want, pl,
	                                 TW_LIMIT_PB_DEPTH_DEFAULT),
	                 0);
	assert_memory_equal(plain + 1024, want, pl);
	assert_null(memmem(plain + 1024, pl, "Chiara", 6));
	assert_int_equal(res.st.h2.grpc_gzip, 1);
	assert_int_equal(res.st.h2.gzip_grown + res.st.h2.gzip_invalid +
	                         res.st.h2.gzip_refused,
	                 0);
	/* The headers: grpc-encoding kept, the email exactly its pseudonym. */
	assert_int_equal(decode_stream(res.stream[0], res.slen[0], true, hd,
	                               sizeof(hd), NULL),
	                 1);
	assert_non_null(strstr(hd, "grpc-encoding: gzip\n"));
	memcpy(want, SECRET_MAIL, strlen(SECRET_MAIL));
	tw_pseudo_text(key->value, want, strlen(SECRET_MAIL));
	snprintf(expect, sizeof(expect), "x-user-email: %.*s\n",
	         (int)strlen(SECRET_MAIL), (const char *)want);
	assert_non_null(strstr(hd, expect));
	assert_non_null(strstr(res.l7, "\"redaction\":\"protobuf+gzip\""));
	assert_null(strstr(res.l7, SECRET_MAIL));
	result_free(&res);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
}

/* The body of a message after its prefix is all zeros. */
static bool zeroed_after_prefix(const uint8_t *m, size_t n)
{
	for (size_t i = 5; i < n; i++)
		if (m[i])
			return false;
	return true;
}

/*
 * Members that cannot be kept are zeroed after their prefix and
 * counted: a truncated one (and, its framing no longer trusted, the
 * message after it on that side of the stream), one that grows when
 * deflated again, and one that inflates past grpc_gzip_max (a bomb).
 */
static void test_gzip_refused_members(void **state)
{
	struct conv c = { 0 };
	nghttp2_hd_deflater *dc, *ds;
	uint8_t plain[8192], mem[4096], body[8192], out[16384];
	size_t pl = pb_users(plain), ml, m1, bl, at[3], o, k;
	struct result res;

	(void)state;
	start_h2(&c, &dc, &ds);
	/* Stream 1: a member cut by 6 bytes, then a whole one. */
	m1 = gz_member(plain, pl, mem, sizeof(mem));
	bl = gz_grpc(mem, m1 - 6, body);
	bl += gz_grpc(mem, m1, body + bl);
	gz_stream(&c, dc, 1, body, bl, 100, 1460);
	at[0] = bl;
	/* Stream 3: a run of one letter, incompressible once pseudonymized. */
	pl = 0;
	plain[pl++] = 0x0a;
	plain[pl++] = 0xc8;
	plain[pl++] = 0x01;
	memset(plain + pl, 'q', 200);
	pl += 200;
	ml = gz_member(plain, pl, mem, sizeof(mem));
	ml = gz_grpc(mem, ml, body);
	gz_stream(&c, dc, 3, body, ml, 16384, 1460);
	at[1] = at[0] + ml;
	/* Stream 5: 8000 bytes of varints from a few dozen: over 4096. */
	for (pl = 0; pl < 8000; pl += 2) {
		plain[pl] = 0x08;
		plain[pl + 1] = 0x01;
	}
	ml = gz_member(plain, pl, mem, sizeof(mem));
	ml = gz_grpc(mem, ml, body);
	gz_stream(&c, dc, 5, body, ml, 16384, 1460);
	at[2] = at[1] + ml;
	pol.grpc_gzip_max = 4096;
	run(&c, &res);
	pol.grpc_gzip_max = TW_POLICY_GZIP_MAX_DEFAULT;
	assert_false(contains(&res, SECRET_MAIL));
	assert_int_equal(res.st.h2.gzip_invalid, 1);
	assert_int_equal(res.st.h2.gzip_grown, 1);
	assert_int_equal(res.st.h2.gzip_refused, 1);
	assert_int_equal(res.st.h2.grpc_gzip, 0);
	assert_null(memmem(res.raw, res.rawlen, "qqqq", 4));
	/* Streams 3 and 5: the prefix as sent, zeros.  Stream 1: the
	 * first prefix, then zeros to the end of that side (the whole
	 * second message too). */
	o = data_of(res.stream[0], res.slen[0], out);
	assert_int_equal(o, at[2]);
	assert_int_equal(out[0], 1);
	assert_int_equal(tw_be32(out + 1), m1 - 6);
	assert_true(zeroed_after_prefix(out, at[0]));
	for (k = 1; k < 3; k++) {
		assert_int_equal(out[at[k - 1]], 1);
		assert_int_equal(5 + tw_be32(out + at[k - 1] + 1),
		                 at[k] - at[k - 1]);
		assert_true(zeroed_after_prefix(out + at[k - 1],
		                                at[k] - at[k - 1]));
	}
	result_free(&res);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
}

static void test_http1_pipelined(void **state)
{
	const char *req = "GET /api/v1/users?email=kalinda.tanaka64@xaqhyo"
	                  ".example HTTP/1.1\r\nHost: api-ixqgtnah.corp.example"
	                  "\r\nAuthorization: Bearer ak_live_qH8kQrPTsDSuFEh"
	                  "btyvAYmqg\r\n\r\n"
	                  "POST /api/v1/users HTTP/1.1\r\nContent-Type: "
	                  "application/json\r\nContent-Length: 35\r\n\r\n"
	                  "{\"name\": \"Chiara Quintero\", \"n\": 7}";
	const char *rsp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	                  "Content-Type: text/plain\r\n\r\n"
	                  "f\r\nChiara Quintero\r\n0\r\n\r\n"
	                  "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
	struct conv c = { 0 };
	struct result res;
	const uint8_t *p;

	(void)state;
	handshake(&c);
	send_bytes(&c, 0, req, strlen(req), 7);
	send_bytes(&c, 1, rsp, strlen(rsp), 5);
	run(&c, &res);
	assert_false(contains(&res, SECRET_NAME));
	assert_false(contains(&res, "kalinda"));
	assert_false(contains(&res, "ak_live"));
	assert_false(contains(&res, "api-ixqgtnah"));
	assert_int_equal(res.st.h1_flows, 1);
	assert_int_equal(res.st.h2.json_bodies, 1);
	assert_int_equal(res.st.failed_flows, 0);
	/* Framing kept: lines, lengths, chunk sizes. */
	assert_memory_equal(res.stream[0], "GET /api/v1/", 12);
	p = memmem(res.stream[0], res.slen[0], "\r\n\r\n{\"name\": \"", 14);
	assert_non_null(p);
	assert_memory_equal(p + 14 + 15, "\", \"n\": 7}", 10);
	assert_memory_equal(res.stream[1], "HTTP/1.1 200 OK\r\n", 17);
	assert_non_null(memmem(res.stream[1], res.slen[1],
	                       "\r\n0\r\n\r\n"
	                       "HTTP/1.1 201 Created\r\n",
	                       29));
	result_free(&res);
}

static void test_fin_rst_close(void **state)
{
	struct conv c = { 0 };
	nghttp2_hd_deflater *dc, *ds;
	struct result res;
	uint8_t again[64];

	(void)state;
	start_h2(&c, &dc, &ds);
	unary(&c, dc, ds, 1, 1460);
	seg(&c, 0, 0x11, NULL, 0);
	seg(&c, 1, 0x11, NULL, 0);
	/* A late retransmission of the request, after the end. */
	c.seq[0] -= 40;
	memcpy(again, SECRET_MAIL, 31);
	seg(&c, 0, 0x18, again, 31);
	run(&c, &res);
	assert_int_equal(res.st.closed_flows, 1);
	assert_int_equal(res.st.h2.exchanges, 1);
	assert_false(contains(&res, SECRET_MAIL));
	result_free(&res);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);

	memset(&c, 0, sizeof(c));
	start_h2(&c, &dc, &ds);
	unary(&c, dc, ds, 1, 1460);
	seg(&c, 1, 0x04, NULL, 0);
	run(&c, &res);
	assert_int_equal(res.st.closed_flows, 1);
	result_free(&res);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
}

static void test_malformed(void **state)
{
	static const uint8_t bad_blocks[][4] = {
		{ 0xff, 0xff, 0xff, 0x7f }, /* index far past the tables */
		{ 0x40, 0x85, 0xff, 0xff }, /* Huffman literal cut short */
	};

	(void)state;
	for (size_t t = 0; t < 4; t++) {
		struct conv c = { 0 };
		nghttp2_hd_deflater *dc, *ds;
		uint8_t f[4096], b[4096], msg[512];
		size_t fl, n, ml = grpc_msg(msg);
		struct result res;

		start_h2(&c, &dc, &ds);
		if (t < 2) {
			fl = frame(f, 1, 4, 1, bad_blocks[t], 4);
		} else if (t == 2) {
			/* CONTINUATION without HEADERS. */
			fl = frame(f, 9, 4, 1, "abcd", 4);
		} else {
			/* Invalid protobuf: a group (wire type 3). */
			n = block(dc, b, req_nv, 8);
			fl = frame(f, 1, 4, 1, b, n);
			msg[5] = 0x0b;
			fl += frame(f + fl, 0, 1, 1, msg, ml);
		}
		n = block(dc, b, req_nv, 8);
		fl += frame(f + fl, 1, 5, 3, b, n);
		fl += frame(f + fl, 0, 1, 3, msg, ml);
		send_bytes(&c, 0, f, fl, 1460);
		run(&c, &res);
		assert_false(contains(&res, SECRET_MAIL));
		assert_false(contains(&res, SECRET_NAME));
		if (t < 3)
			assert_int_equal(res.st.failed_flows, 1);
		else
			assert_int_equal(res.st.h2.invalid_bodies, 2);
		result_free(&res);
		nghttp2_hd_deflate_del(dc);
		nghttp2_hd_deflate_del(ds);
	}
}

static void test_json_body(void **state)
{
	static const char *nv[] = {
		":method",      "POST",
		":path",        "/api/v1/users?email=a@b.example",
		":scheme",      "http",
		"content-type", "application/json"
	};
	const char *body = "{\"name\": \"Chiara Quintero\", \"age\": 41, "
	                   "\"tags\": [\"k\\u00e9y\", \"caf\xc3\xa9\"], "
	                   "\"ok\": true}";
	struct conv c = { 0 };
	nghttp2_hd_deflater *dc, *ds;
	uint8_t b[4096], f[8192];
	size_t n, fl, bl = strlen(body);
	struct result res;
	char hd[8192];
	json_t *j;
	json_error_t err;
	const uint8_t *p;
	uint8_t body_out[512];

	(void)state;
	start_h2(&c, &dc, &ds);
	n = block(dc, b, nv, 4);
	fl = frame(f, 1, 4, 1, b, n);
	fl += frame(f + fl, 0, 0, 1, body, 20);
	fl += frame(f + fl, 0, 1, 1, body + 20, bl - 20);
	send_bytes(&c, 0, f, fl, 50);
	run(&c, &res);
	assert_false(contains(&res, SECRET_NAME));
	assert_false(contains(&res, "a@b.example"));
	decode_stream(res.stream[0], res.slen[0], true, hd, sizeof(hd), NULL);
	assert_non_null(strstr(hd, ":path: /api/v1/"));
	assert_non_null(strstr(hd, "?email="));
	assert_null(strstr(hd, "/users"));
	assert_int_equal(data_of(res.stream[0], res.slen[0], body_out), bl);
	p = body_out;
	j = json_loadb((const char *)p, bl, 0, &err);
	if (!j)
		print_message("%.*s: %s\n", (int)bl, (const char *)p, err.text);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "age")), 41);
	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_int_equal(strlen(json_string_value(json_object_get(j, "name"))),
	                 strlen(SECRET_NAME));
	json_decref(j);
	assert_int_equal(res.st.h2.json_bodies, 1);
	result_free(&res);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
}

static void test_protobuf_walker(void **state)
{
	uint8_t m[256], o[256];
	size_t n = pb_user(m);

	(void)state;
	memcpy(o, m, n);
	assert_int_equal(tw_pb_redact(key->value, o, n), 0);
	assert_memory_equal(o, m, 2);
	assert_memory_not_equal(o + 2, m + 2, strlen(SECRET_NAME));
	/* Nested message kept as a message: its tag and length. */
	assert_memory_equal(o + 2 + strlen(SECRET_NAME),
	                    m + 2 + strlen(SECRET_NAME), 7);
	assert_null(memmem(o, n, "@xaqhyo", 7) ? NULL : NULL);
	assert_non_null(
	        memchr(o + n - strlen(SECRET_MAIL), '@', strlen(SECRET_MAIL)));
	assert_memory_not_equal(o + n - strlen(SECRET_MAIL), SECRET_MAIL,
	                        strlen(SECRET_MAIL));
	/* Cut: invalid, untouched. */
	memcpy(o, m, n);
	assert_int_equal(tw_pb_redact(key->value, o, n - 1), -1);
	assert_memory_equal(o, m, n);
}

/* The pseudonym of s, as the redactor makes it (for exact checks). */
static const char *ps_of(const char *s, char *out)
{
	size_t n = strlen(s);

	memcpy(out, s, n + 1);
	tw_pseudo_text(key->value, (uint8_t *)out, n);
	return out;
}

/*
 * Kept headers keep only what their grammar allows (issue 5, tester
 * finding 1): a list element, media type parameter or value that is
 * not a known token is pseudonymized, the rest stays as sent, and the
 * block still decodes (Huffman literals rewritten at their length).
 * grpc-message stays valid percent-encoding (finding 14).
 */
static void test_kept_header_grammar(void **state)
{
	static const char *rq[] = {
		":method",
		"POST",
		":scheme",
		"http",
		":path",
		"/corpus.v1.Users/GetUser",
		":authority",
		"x",
		"content-type",
		"application/grpc+proto; charset=utf-8; tenant=marisol",
		"te",
		"trailers, marisol.castellano51",
		"accept-encoding",
		"gzip;q=1.0, FC8ZrXbeg_fT3pG-h8msMlc-T1ah9sdbEl7oX8nr, br",
		"grpc-encoding",
		"gzip",
		"grpc-accept-encoding",
		"identity,gzip,kalindaTanaka",
		"grpc-timeout",
		"1500m",
		"content-length",
		"12 Chiara"
	};
	static const char *rs[] = { ":status", "200", "content-type",
		                    "application/vnd.kalinda+json" };
	static const char *tr[] = { "grpc-status", "13", "grpc-message",
		                    "caf%C3%A9 Chiara%20Q%E2%82%ACx" };
	struct conv c = { 0 };
	nghttp2_hd_deflater *dc, *ds;
	struct result res;
	uint8_t b[4096], f[4096];
	size_t n, fl;
	char *hd = malloc(1 << 16), want[256], p1[64], p2[64];
	const char *gm;

	(void)state;
	start_h2(&c, &dc, &ds);
	n = block(dc, b, rq, 11);
	fl = frame(f, 1, 5, 1, b, n);
	send_bytes(&c, 0, f, fl, 1460);
	n = block(ds, b, rs, 2);
	fl = frame(f, 1, 4, 1, b, n);
	n = block(ds, b, tr, 2);
	fl += frame(f + fl, 1, 5, 1, b, n);
	send_bytes(&c, 1, f, fl, 1460);
	run(&c, &res);
	assert_int_equal(decode_stream(res.stream[0], res.slen[0], true, hd,
	                               1 << 16, NULL),
	                 1);
	assert_non_null(strstr(hd, "grpc-encoding: gzip\n"));
	assert_non_null(strstr(hd, "grpc-timeout: 1500m\n"));
	assert_non_null(strstr(hd, ":method: POST\n"));
	snprintf(want, sizeof(want), "te: trailers, %s\n",
	         ps_of("marisol.castellano51", p1));
	assert_non_null(strstr(hd, want));
	snprintf(want, sizeof(want), "accept-encoding: gzip;q=1.0, %s, br\n",
	         ps_of("FC8ZrXbeg_fT3pG-h8msMlc-T1ah9sdbEl7oX8nr", p1));
	assert_non_null(strstr(hd, want));
	snprintf(want, sizeof(want),
	         "content-type: application/grpc+proto; charset=utf-8; %s\n",
	         ps_of("tenant=marisol", p1));
	assert_non_null(strstr(hd, want));
	snprintf(want, sizeof(want), "grpc-accept-encoding: identity,gzip,%s\n",
	         ps_of("kalindaTanaka", p1));
	assert_non_null(strstr(hd, want));
	snprintf(want, sizeof(want), "content-length: %s\n",
	         ps_of("12 Chiara", p2));
	assert_non_null(strstr(hd, want));
	assert_null(strstr(hd, "marisol"));
	assert_null(strstr(hd, "FC8ZrXbeg"));
	assert_null(strstr(hd, "kalinda"));
	assert_null(strstr(hd, "Chiara"));
	assert_int_equal(decode_stream(res.stream[1], res.slen[1], false, hd,
	                               1 << 16, NULL),
	                 2);
	snprintf(want, sizeof(want), "content-type: application/%s+json\n",
	         ps_of("vnd.kalinda", p1));
	assert_non_null(strstr(hd, want));
	assert_non_null(strstr(hd, "grpc-status: 13\n"));
	/* grpc-message: escapes stay escapes, their high digit kept. */
	gm = strstr(hd, "grpc-message: ");
	assert_non_null(gm);
	gm += 14;
	assert_null(strstr(gm, "Chiara"));
	assert_memory_not_equal(gm, "caf%C3%A9", 9);
	assert_true(gm[3] == '%' && gm[4] == 'C' && gm[6] == '%' &&
	            gm[7] == 'A' && gm[9] == ' ' && gm[16] == '%' &&
	            gm[17] == '2' && gm[20] == '%' && gm[21] == 'E' &&
	            gm[23] == '%' && gm[24] == '8' && gm[26] == '%' &&
	            gm[27] == 'A');
	for (const char *e = gm; *e != '\n'; e++)
		if (*e == '%')
			assert_true(isxdigit((unsigned char)e[1]) &&
			            isxdigit((unsigned char)e[2]));
	assert_true(gm[5] >= '3' && gm[5] <= '9');   /* no C0, C1 lead */
	assert_true(gm[22] == '1' || gm[22] == '2'); /* no E0 */
	/* The L7 trace says the same. */
	assert_null(strstr(res.l7, "marisol"));
	assert_null(strstr(res.l7, "FC8ZrXbeg"));
	assert_null(strstr(res.l7, "Chiara"));
	assert_non_null(strstr(res.l7, "[\"grpc-timeout\",\"1500m\"]"));
	result_free(&res);
	free(hd);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
}

/*
 * Tester finding 12 (issue 5): a server's second HEADERS on a stream
 * already closed (grpcio does this after an error) is no exchange: no
 * L7 line without request headers, counted instead.
 */
static void test_headers_on_closed_stream(void **state)
{
	static const char *rq[] = { ":method",    "POST",
		                    ":scheme",    "http",
		                    ":path",      "/corpus.v1.Users/GetUser",
		                    ":authority", "x" };
	static const char *tr[] = { ":status", "200", "grpc-status", "13" };
	struct conv c = { 0 };
	nghttp2_hd_deflater *dc, *ds;
	struct result res;
	uint8_t b[4096], f[4096];
	size_t n, fl, lines = 0;

	(void)state;
	start_h2(&c, &dc, &ds);
	n = block(dc, b, rq, 4);
	fl = frame(f, 1, 5, 1, b, n);
	send_bytes(&c, 0, f, fl, 1460);
	n = block(ds, b, tr, 2);
	fl = frame(f, 1, 5, 1, b, n);
	n = block(ds, b, tr, 2);
	fl += frame(f + fl, 1, 5, 1, b, n);
	send_bytes(&c, 1, f, fl, 1460);
	run(&c, &res);
	for (size_t i = 0; i < res.l7len; i++)
		lines += res.l7[i] == '\n';
	assert_int_equal(lines, 1);
	assert_null(strstr(res.l7, "\"method\":null"));
	assert_int_equal(res.st.h2.exchanges, 1);
	assert_int_equal(res.st.h2.orphans, 1);
	result_free(&res);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
}

static int setup(void **state)
{
	struct tw_errbuf eb;
	uint8_t raw[32];

	(void)state;
	for (int i = 0; i < 32; i++)
		raw[i] = (uint8_t)(i * 5 + 3);
	assert_int_equal(tw_key_from_bytes(&key, raw, 32, &eb), 0);
	assert_int_equal(tw_policy_default(&pol, &eb), 0);
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
		cmocka_unit_test(test_huffman_roundtrip),
		cmocka_unit_test(test_protobuf_walker),
		cmocka_unit_test(test_dynamic_table_reuse),
		cmocka_unit_test(test_split_message_tiny_segments),
		cmocka_unit_test(test_continuation_padding_size_update),
		cmocka_unit_test(test_rst_mid_message),
		cmocka_unit_test(test_midstream_and_lost_segment),
		cmocka_unit_test(test_compressed_message_zeroed),
		cmocka_unit_test(test_gzip_message_redacted),
		cmocka_unit_test(test_gzip_refused_members),
		cmocka_unit_test(test_http1_pipelined),
		cmocka_unit_test(test_fin_rst_close),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_json_body),
		cmocka_unit_test(test_kept_header_grammar),
		cmocka_unit_test(test_headers_on_closed_stream),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
