/*
 * test_h2.c - the stream redactor end to end on synthetic connections:
 * TCP segments in, redacted segments out, and the output's HTTP/2
 * decoded again with a fresh HPACK inflater (so a rewrite that the
 * receiver would decode differently fails here).  Covers headers split
 * over CONTINUATION frames, padding, a table-size update, dynamic-table
 * reuse over many requests, a gRPC message over many DATA frames and
 * tiny segments, a stream reset mid-message, JSON bodies, a capture
 * that starts mid-connection, a lost segment, and malformed input.
 */
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

#include "redact/body.h"
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

/* ---- building a connection -------------------------------------------- */

#define MAXPKT 4096

struct conv {
	uint8_t *pk[MAXPKT];
	uint32_t len[MAXPKT];
	int n;
	uint32_t seq[2];
	bool drop_next; /* lose the next data segment (not sent) */
	bool no_syn;
};

static const uint8_t IPC[4] = { 198, 18, 0, 1 }, IPS[4] = { 198, 18, 0, 2 };

/* A raw IPv4 TCP segment from side d (0 client) with valid checksums. */
static void seg(struct conv *c, int d, uint8_t flags, const uint8_t *p,
                uint32_t n)
{
	uint32_t len = 40 + n;
	uint8_t *b = calloc(1, len);

	assert_non_null(b);
	b[0] = 0x45;
	tw_put_be16(b + 2, (uint16_t)len);
	b[8] = 64;
	b[9] = 6;
	memcpy(b + 12, d ? IPS : IPC, 4);
	memcpy(b + 16, d ? IPC : IPS, 4);
	tw_put_be16(b + 10, tw_cksum_ipv4(b, 20));
	tw_put_be16(b + 20, d ? 8080 : 40000);
	tw_put_be16(b + 22, d ? 40000 : 8080);
	tw_put_be32(b + 24, c->seq[d]);
	tw_put_be32(b + 28, c->seq[!d]);
	b[32] = 0x50;
	b[33] = flags;
	tw_put_be16(b + 34, 65535);
	if (n)
		memcpy(b + 40, p, n);
	tw_put_be16(b + 36, tw_cksum_l4(4, b + 12, b + 16, 6, b + 20, 20 + n));
	c->seq[d] += n + ((flags & 0x03) ? 1 : 0);
	if (c->drop_next && n) {
		c->drop_next = false;
		free(b);
		return;
	}
	assert_true(c->n < MAXPKT);
	c->pk[c->n] = b;
	c->len[c->n++] = len;
}

static void handshake(struct conv *c)
{
	c->seq[0] = 1000;
	c->seq[1] = 5000000;
	if (c->no_syn)
		return;
	seg(c, 0, 0x02, NULL, 0);
	seg(c, 1, 0x12, NULL, 0);
	seg(c, 0, 0x10, NULL, 0);
}

/* Sends n bytes from side d in segments of at most mss bytes. */
static void send_bytes(struct conv *c, int d, const void *p, size_t n,
                       size_t mss)
{
	const uint8_t *b = p;

	while (n) {
		size_t k = n < mss ? n : mss;

		seg(c, d, 0x18, b, (uint32_t)k);
		b += k;
		n -= k;
	}
}

static size_t frame(uint8_t *out, uint8_t type, uint8_t flags, uint32_t sid,
                    const void *p, size_t n)
{
	out[0] = (uint8_t)(n >> 16);
	out[1] = (uint8_t)(n >> 8);
	out[2] = (uint8_t)n;
	out[3] = type;
	out[4] = flags;
	tw_put_be32(out + 5, sid);
	if (n)
		memcpy(out + 9, p, n);
	return 9 + n;
}

static size_t block(nghttp2_hd_deflater *d, uint8_t *out, const char **nv,
                    size_t count)
{
	nghttp2_nv v[32];
	ssize_t n;

	for (size_t i = 0; i < count; i++)
		v[i] = (nghttp2_nv){ (uint8_t *)nv[2 * i],
			             (uint8_t *)nv[2 * i + 1],
			             strlen(nv[2 * i]), strlen(nv[2 * i + 1]),
			             NGHTTP2_NV_FLAG_NONE };
	n = nghttp2_hd_deflate_hd(d, out, 8192, v, count);
	assert_true(n > 0);
	return (size_t)n;
}

/* ---- running the session ---------------------------------------------- */

struct result {
	uint8_t *stream[2]; /* redacted payload by stream offset */
	size_t slen[2];
	uint8_t *raw; /* every output byte, for secret searches */
	size_t rawlen;
	char *l7;
	size_t l7len;
	struct tw_session_stats st;
	bool cksum_ok;
};

static void run(struct conv *c, struct result *res)
{
	struct tw_redactor *r;
	struct tw_session *s;
	struct tw_errbuf eb;
	struct tw_out o;
	FILE *l7;
	struct tw_session_cfg cfg = { 0 };
	uint32_t isn[2] = { 1000 + 1, 5000000 + 1 };

	memset(res, 0, sizeof(*res));
	res->cksum_ok = true;
	l7 = open_memstream(&res->l7, &res->l7len);
	assert_non_null(l7);
	cfg.l7 = l7;
	for (int d = 0; d < 2; d++) {
		res->stream[d] = calloc(1, 1 << 20);
		assert_non_null(res->stream[d]);
	}
	res->raw = malloc(1 << 22);
	assert_int_equal(tw_redactor_new(&r, &pol, key, &eb), 0);
	assert_int_equal(tw_session_new(&s, r, &pol, key, &cfg, &eb), 0);
	for (int i = 0; i <= c->n; i++) {
		if (i < c->n) {
			struct tw_packet p = { .caplen = c->len[i],
				               .wirelen = c->len[i],
				               .data = c->pk[i],
				               .ts_ns = i * 1000 };

			assert_int_equal(tw_session_push(s, &p, TW_LINK_RAW),
			                 0);
		} else {
			tw_session_finish(s);
		}
		while (tw_session_pop(s, &o) == 1) {
			int d = tw_be16(o.data + 20) == 8080;
			uint32_t n = o.caplen - 40;
			uint32_t off = tw_be32(o.data + 24) - isn[d];

			assert_int_equal(o.caplen, o.origlen);
			memcpy(res->raw + res->rawlen, o.data, o.caplen);
			res->rawlen += o.caplen;
			if (tw_cksum_l4(4, o.data + 12, o.data + 16, 6,
			                o.data + 20,
			                20 + n) != tw_be16(o.data + 36))
				res->cksum_ok = false;
			if (n && off < (1u << 20) && off + n <= (1u << 20)) {
				memcpy(res->stream[d] + off, o.data + 40, n);
				if (off + n > res->slen[d])
					res->slen[d] = off + n;
			}
		}
	}
	res->st = *tw_session_stats(s);
	tw_session_free(s);
	tw_redactor_free(r);
	fclose(l7);
	for (int i = 0; i < c->n; i++)
		free(c->pk[i]);
	c->n = 0;
}

static void result_free(struct result *res)
{
	free(res->stream[0]);
	free(res->stream[1]);
	free(res->raw);
	free(res->l7);
}

static bool contains(const struct result *res, const char *s)
{
	return memmem(res->raw, res->rawlen, s, strlen(s)) != NULL;
}

/* Decodes a redacted stream's frames: each header block is inflated
 * with a fresh inflater (as the receiver would), and the headers are
 * appended to out as "name: value\n". */
static int decode_stream(const uint8_t *p, size_t n, bool client, char *out,
                         size_t cap, int *data_frames)
{
	nghttp2_hd_inflater *in;
	uint8_t blk[65536];
	size_t pos = client ? 24 : 0, bl = 0, o = 0;
	int blocks = 0;

	nghttp2_hd_inflate_new(&in);
	out[0] = '\0';
	while (pos + 9 <= n) {
		uint32_t len =
		        (uint32_t)p[pos] << 16 | p[pos + 1] << 8 | p[pos + 2];
		uint8_t type = p[pos + 3], fl = p[pos + 4];
		const uint8_t *f = p + pos + 9;
		size_t skip = 0, pad = 0;

		if (pos + 9 + len > n)
			break;
		if ((type == 1 || type == 0) && (fl & 8)) {
			pad = f[0];
			skip = 1;
		}
		if (type == 1 && (fl & 0x20))
			skip += 5;
		if (type == 0 && data_frames)
			(*data_frames)++;
		if (type == 1 || type == 9) {
			memcpy(blk + bl, f + skip, len - skip - pad);
			bl += len - skip - pad;
			if (fl & 4) {
				size_t q = 0;

				for (;;) {
					nghttp2_nv nv;
					int ifl = 0;
					ssize_t r = nghttp2_hd_inflate_hd2(
					        in, &nv, &ifl, blk + q, bl - q,
					        1);

					if (r < 0) {
						nghttp2_hd_inflate_del(in);
						return -1;
					}
					q += (size_t)r;
					if (ifl & NGHTTP2_HD_INFLATE_EMIT)
						o += (size_t)snprintf(
						        out + o, cap - o,
						        "%.*s: %.*s\n",
						        (int)nv.namelen,
						        (const char *)nv.name,
						        (int)nv.valuelen,
						        (const char *)nv.value);
					if (ifl & NGHTTP2_HD_INFLATE_FINAL)
						break;
				}
				nghttp2_hd_inflate_end_headers(in);
				bl = 0;
				blocks++;
			}
		}
		pos += 9 + len;
	}
	nghttp2_hd_inflate_del(in);
	return blocks;
}

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
		cmocka_unit_test(test_http1_pipelined),
		cmocka_unit_test(test_fin_rst_close),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_json_body),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
