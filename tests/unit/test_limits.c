/*
 * test_limits.c - the policy's resource bounds (section "limits"): each
 * parsed and checked, and each one exceeded on a synthetic connection:
 * what it concerned is zeroed (fail closed) and counted for the summary.
 * And what long runs need: a connection's ports used again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nghttp2/nghttp2.h>
#include <zlib.h>

#include "redact/body.h"
#include "redact/gzip.h"
#include "redact/policy.h"
#include "redact/pseudo.h"
#include "redact/redact.h"
#include "redact/session.h"
#include "trace/bytes.h"
#include "trace/packet.h"

static const char SECRET[] = "Chiara Quintero";

static struct tw_key *key;
static struct tw_policy pol;

/* ---- the policy section ------------------------------------------------ */

static int parse(const char *text, struct tw_errbuf *eb)
{
	return tw_policy_parse(&pol, "p.yaml", text, strlen(text), eb);
}

static void test_policy_limits(void **state)
{
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(tw_policy_default(&pol, &eb), 0);
	assert_int_equal(pol.lim.flows, TW_LIMIT_FLOWS_DEFAULT);
	assert_int_equal(pol.lim.header_block, TW_LIMIT_HEADER_BLOCK_DEFAULT);
	assert_int_equal(pol.lim.pb_depth, TW_LIMIT_PB_DEPTH_DEFAULT);
	assert_int_equal(parse("version: 1\nlimits:\n  flows: 7\n"
	                       "  flow_buffer: 4096\n  held_buffer: 8192\n"
	                       "  header_block: 100\n  message: 200\n"
	                       "  json_depth: 3\n  protobuf_depth: 4\n",
	                       &eb),
	                 0);
	assert_int_equal(pol.lim.flows, 7);
	assert_int_equal(pol.lim.flow_buffer, 4096);
	assert_int_equal(pol.lim.held_buffer, 8192);
	assert_int_equal(pol.lim.header_block, 100);
	assert_int_equal(pol.lim.message, 200);
	assert_int_equal(pol.lim.json_depth, 3);
	assert_int_equal(pol.lim.pb_depth, 4);
	/* Unset ones keep their defaults. */
	assert_int_equal(parse("version: 1\nlimits: {flows: 9}\n", &eb), 0);
	assert_int_equal(pol.lim.message, TW_LIMIT_MESSAGE_DEFAULT);
	assert_int_equal(parse("version: 1\nlimits:\n  json_depth: 0\n", &eb),
	                 TW_EFORMAT);
	assert_non_null(strstr(eb.msg, "p.yaml:3:"));
	assert_non_null(strstr(eb.msg, "json_depth"));
	assert_int_equal(
	        parse("version: 1\nlimits:\n  json_depth: 4096\n", &eb),
	        TW_EFORMAT);
	assert_int_equal(parse("version: 1\nlimits:\n  sessions: 4\n", &eb),
	                 TW_EFORMAT);
	assert_non_null(strstr(eb.msg, "sessions"));
}

/* ---- the body walkers -------------------------------------------------- */

static void test_json_depth(void **state)
{
	const char doc[] = "{\"a\": [{\"b\": \"Chiara Quintero\"}]}";
	uint8_t b[sizeof(doc)];

	(void)state;
	memcpy(b, doc, sizeof(doc));
	assert_int_equal(tw_json_redact_max(key->value, b, sizeof(doc) - 1, 2),
	                 TW_ELIMIT);
	assert_memory_equal(b, doc, sizeof(doc)); /* left for the caller */
	assert_int_equal(tw_json_redact_max(key->value, b, sizeof(doc) - 1, 3),
	                 0);
	assert_null(memmem(b, sizeof(doc), SECRET, strlen(SECRET)));
	/* Scalars nest nothing. */
	memcpy(b, "\"x\"", 3);
	assert_int_equal(tw_json_redact_max(key->value, b, 3, 1), 0);
}

/* Field 1: a message holding a message holding a string, 3 deep. */
static size_t pb_nested3(uint8_t *m)
{
	size_t k = strlen(SECRET);

	m[0] = 0x0a;
	m[1] = (uint8_t)(k + 6);
	m[2] = 0x0a;
	m[3] = (uint8_t)(k + 4);
	m[4] = 0x08; /* field 1 varint: a control byte, so not text */
	m[5] = 0x01;
	m[6] = 0x12;
	m[7] = (uint8_t)k;
	memcpy(m + 8, SECRET, k);
	return k + 8;
}

static void test_pb_depth(void **state)
{
	uint8_t m[64], orig[64];
	size_t n = pb_nested3(m);

	(void)state;
	memcpy(orig, m, n);
	assert_int_equal(tw_pb_redact_max(key->value, m, n, 1), TW_ELIMIT);
	assert_memory_equal(m, orig, n);
	assert_int_equal(tw_pb_redact_max(key->value, m, n, 2), 0);
	assert_null(memmem(m, n, SECRET, strlen(SECRET)));
}

/* The same bound inside a gzip-compressed gRPC message. */
static void test_gzip_pb_depth(void **state)
{
	uint8_t m[64], member[256], orig[256];
	size_t n = pb_nested3(m);
	struct tw_gz gz = { .pb_depth = 1 };
	z_stream z = { 0 };

	(void)state;
	assert_int_equal(
	        deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
	        Z_OK);
	z.next_in = m;
	z.avail_in = (uInt)n;
	z.next_out = member;
	z.avail_out = sizeof(member);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	n = sizeof(member) - z.avail_out;
	deflateEnd(&z);
	memcpy(orig, member, n);
	assert_int_equal(tw_gzip_redact(&gz, key->value, member, n, 1 << 20),
	                 TW_GZ_TOO_DEEP);
	assert_memory_equal(member, orig, n);
	gz.pb_depth = 2;
	assert_int_equal(tw_gzip_redact(&gz, key->value, member, n, 1 << 20),
	                 TW_GZ_OK);
	tw_gz_free(&gz);
}

/* ---- connections ------------------------------------------------------- */

#define MAXPKT 512

struct conv {
	uint8_t *pk[MAXPKT];
	uint32_t len[MAXPKT];
	int n;
	uint32_t seq[2];
	uint16_t cport; /* the client's port */
};

/* A raw IPv4 TCP segment from side d (0: the client). */
static void seg(struct conv *c, int d, uint8_t flags, const uint8_t *p,
                uint32_t n)
{
	uint8_t *b = calloc(1, 40 + n);

	assert_non_null(b);
	assert_true(c->n < MAXPKT);
	b[0] = 0x45;
	tw_put_be16(b + 2, (uint16_t)(40 + n));
	b[8] = 64;
	b[9] = 6;
	b[12] = 198;
	b[13] = 18;
	b[15] = d ? 2 : 1;
	b[16] = 198;
	b[17] = 18;
	b[19] = d ? 1 : 2;
	tw_put_be16(b + 20, d ? 8080 : c->cport);
	tw_put_be16(b + 22, d ? c->cport : 8080);
	tw_put_be32(b + 24, c->seq[d]);
	tw_put_be32(b + 28, c->seq[!d]);
	b[32] = 0x50;
	b[33] = flags;
	if (n)
		memcpy(b + 40, p, n);
	c->seq[d] += n + ((flags & 0x03) ? 1 : 0);
	c->pk[c->n] = b;
	c->len[c->n++] = 40 + n;
}

static void send_bytes(struct conv *c, int d, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		size_t k = n < 500 ? n : 500;

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

/*
 * An HTTP/2 connection from client port cport: preface, SETTINGS, and
 * one request of content type ctype whose DATA carries body (n bytes),
 * with the secret in a header value.
 */
static void h2_request(struct conv *c, uint16_t cport, const char *ctype,
                       const uint8_t *body, size_t n)
{
	static uint8_t f[65536];
	uint8_t blk[1024];
	nghttp2_hd_deflater *d;
	nghttp2_nv nv[6];
	const char *kv[] = { ":method", "POST", ":scheme",      "http",
		             ":path",   "/x",   "content-type", ctype,
		             "x-user",  SECRET };
	size_t fl;
	ssize_t bl;

	for (int i = 0; i < 5; i++)
		nv[i] = (nghttp2_nv){ (uint8_t *)kv[2 * i],
			              (uint8_t *)kv[2 * i + 1],
			              strlen(kv[2 * i]), strlen(kv[2 * i + 1]),
			              NGHTTP2_NV_FLAG_NONE };
	c->cport = cport;
	c->seq[0] = 1000;
	c->seq[1] = 900000;
	seg(c, 0, 0x02, NULL, 0);
	seg(c, 1, 0x12, NULL, 0);
	seg(c, 0, 0x10, NULL, 0);
	assert_int_equal(nghttp2_hd_deflate_new(&d, 4096), 0);
	bl = nghttp2_hd_deflate_hd(d, blk, sizeof(blk), nv, 5);
	nghttp2_hd_deflate_del(d);
	assert_true(bl > 0);
	memcpy(f, TW_H2_PREFACE, 24);
	fl = 24 + frame(f + 24, 4, 0, 0, NULL, 0);
	fl += frame(f + fl, 1, 4, 1, blk, (size_t)bl);
	fl += frame(f + fl, 0, 1, 1, body, n);
	send_bytes(c, 0, f, fl);
	fl = frame(f, 4, 0, 0, NULL, 0);
	send_bytes(c, 1, f, fl);
}

/* A gRPC message (uncompressed) around a protobuf message. */
static size_t grpc(uint8_t *out, const uint8_t *m, size_t n)
{
	out[0] = 0;
	tw_put_be32(out + 1, (uint32_t)n);
	memcpy(out + 5, m, n);
	return n + 5;
}

struct result {
	struct tw_session_stats st;
	bool secret; /* the secret came out */
};

static void run(struct conv *c, const struct tw_session_cfg *cfg,
                struct result *res)
{
	struct tw_redactor *r;
	struct tw_session *s;
	struct tw_errbuf eb;
	struct tw_out o;
	int out = 0;

	memset(res, 0, sizeof(*res));
	assert_int_equal(tw_redactor_new(&r, &pol, key, &eb), 0);
	assert_int_equal(tw_session_new(&s, r, &pol, key, cfg, &eb), 0);
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
			assert_int_equal(o.caplen, c->len[out]);
			if (memmem(o.data, o.caplen, SECRET, strlen(SECRET)))
				res->secret = true;
			out++;
		}
	}
	assert_int_equal(out, c->n);
	res->st = *tw_session_stats(s);
	tw_session_free(s);
	tw_redactor_free(r);
	for (int i = 0; i < c->n; i++)
		free(c->pk[i]);
	c->n = 0;
}

/* The same request with the default policy: followed, nothing over. */
static void baseline(struct conv *c, const char *ctype, const uint8_t *b,
                     size_t n)
{
	struct tw_session_cfg cfg = { 0 };
	struct result res;
	struct tw_errbuf eb;

	assert_int_equal(tw_policy_default(&pol, &eb), 0);
	h2_request(c, 40000, ctype, b, n);
	run(c, &cfg, &res);
	assert_int_equal(res.st.h2_flows, 1);
	assert_int_equal(res.st.h2.errors, 0);
	assert_int_equal(res.st.h2.invalid_bodies, 0);
	assert_int_equal(res.st.forced, 0);
	assert_false(res.secret);
}

static void test_header_block(void **state)
{
	struct tw_session_cfg cfg = { 0 };
	struct conv c = { 0 };
	struct result res;
	uint8_t b[64];
	size_t n = grpc(b, (const uint8_t *)"\x08\x01", 2);

	(void)state;
	baseline(&c, "application/grpc", b, n);
	pol.lim.header_block = 16; /* the request's block is longer */
	h2_request(&c, 40000, "application/grpc", b, n);
	run(&c, &cfg, &res);
	assert_int_equal(res.st.h2.over_header_block, 1);
	assert_int_equal(res.st.h2.header_blocks, 0);
	assert_false(res.secret);
}

static void test_message(void **state)
{
	struct tw_session_cfg cfg = { 0 };
	struct conv c = { 0 };
	struct result res;
	uint8_t m[64], b[128];
	size_t n = grpc(b, m, pb_nested3(m));

	(void)state;
	baseline(&c, "application/grpc", b, n);
	pol.lim.message = 8;
	h2_request(&c, 40000, "application/grpc", b, n);
	run(&c, &cfg, &res);
	assert_int_equal(res.st.h2.over_message, 1);
	assert_int_equal(res.st.h2.invalid_bodies, 0);
	assert_false(res.secret);
	/* A JSON body past the limit too. */
	pol.lim.message = 8;
	h2_request(&c, 40000, "application/json",
	           (const uint8_t *)"{\"n\": \"Chiara Quintero\"}", 24);
	run(&c, &cfg, &res);
	assert_int_equal(res.st.h2.over_message, 1);
	assert_false(res.secret);
}

static void test_body_depths(void **state)
{
	struct tw_session_cfg cfg = { 0 };
	struct conv c = { 0 };
	struct result res;
	static const char json[] = "{\"a\": [{\"b\": \"Chiara Quintero\"}]}";
	uint8_t m[64], b[128];
	size_t n = grpc(b, m, pb_nested3(m));

	(void)state;
	baseline(&c, "application/grpc", b, n);
	pol.lim.pb_depth = 1;
	h2_request(&c, 40000, "application/grpc", b, n);
	run(&c, &cfg, &res);
	assert_int_equal(res.st.h2.over_pb_depth, 1);
	assert_int_equal(res.st.h2.invalid_bodies, 0);
	assert_false(res.secret);

	baseline(&c, "application/json", (const uint8_t *)json,
	         sizeof(json) - 1);
	pol.lim.json_depth = 2;
	h2_request(&c, 40000, "application/json", (const uint8_t *)json,
	           sizeof(json) - 1);
	run(&c, &cfg, &res);
	assert_int_equal(res.st.h2.over_json_depth, 1);
	assert_int_equal(res.st.h2.invalid_bodies, 0);
	assert_false(res.secret);
}

static void test_flows(void **state)
{
	struct tw_session_cfg cfg = { .max_flows = 1 };
	struct conv c = { 0 };
	struct result res;
	uint8_t b[64];
	size_t n = grpc(b, (const uint8_t *)"\x08\x01", 2);
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(tw_policy_default(&pol, &eb), 0);
	h2_request(&c, 40000, "application/grpc", b, n);
	h2_request(&c, 40001, "application/grpc", b, n);
	run(&c, &cfg, &res);
	assert_int_equal(res.st.tcp_flows, 1);
	assert_true(res.st.over_flows > 0);
	assert_false(res.secret);
	/* From the policy, as the CLI leaves max_flows at 0. */
	pol.lim.flows = 1;
	cfg.max_flows = 0;
	h2_request(&c, 40000, "application/grpc", b, n);
	h2_request(&c, 40001, "application/grpc", b, n);
	run(&c, &cfg, &res);
	assert_true(res.st.over_flows > 0);
}

/* A message of 3000 bytes, held whole until its last byte: past a
 * 1000-byte bound the direction is zeroed. */
static void big_request(struct conv *c)
{
	static uint8_t m[3000], b[3100];
	size_t k = strlen(SECRET);

	memset(m, 0, sizeof(m));
	m[0] = 0x0a;
	m[1] = 0x80 | ((sizeof(m) - 3) & 0x7f);
	m[2] = (uint8_t)((sizeof(m) - 3) >> 7);
	memcpy(m + 3, SECRET, k);
	h2_request(c, 40000, "application/grpc", b, grpc(b, m, sizeof(m)));
}

static void test_buffers(void **state)
{
	struct tw_session_cfg cfg = { .max_dir_bytes = 1000 };
	struct conv c = { 0 };
	struct result res;
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(tw_policy_default(&pol, &eb), 0);
	big_request(&c);
	run(&c, &cfg, &res);
	assert_int_equal(res.st.over_flow_buffer, 1);
	assert_false(res.secret);

	cfg = (struct tw_session_cfg){ 0 };
	pol.lim.held_buffer = 1000;
	big_request(&c);
	run(&c, &cfg, &res);
	assert_true(res.st.over_held_buffer > 0);
	assert_false(res.secret);
}

/*
 * Found by the long run (a trace replayed in a loop and redacted): a
 * connection whose addresses and ports come again after the first one
 * ended is followed as a new one, not zeroed as the old one's tail.
 */
static void test_ports_reused(void **state)
{
	struct tw_session_cfg cfg = { 0 };
	struct conv c = { 0 };
	struct result res;
	uint8_t b[64];
	size_t n = grpc(b, (const uint8_t *)"\x08\x01", 2);
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(tw_policy_default(&pol, &eb), 0);
	for (int i = 0; i < 2; i++) {
		h2_request(&c, 40000, "application/grpc", b, n);
		seg(&c, 0, 0x11, NULL, 0); /* FIN both ways: ended */
		seg(&c, 1, 0x11, NULL, 0);
	}
	run(&c, &cfg, &res);
	assert_int_equal(res.st.tcp_flows, 2);
	assert_int_equal(res.st.h2_flows, 2);
	assert_int_equal(res.st.closed_flows, 2);
	assert_int_equal(res.st.h2.grpc_messages, 2);
	assert_false(res.secret);
}

static int setup(void **state)
{
	uint8_t raw[32] = { 4, 4, 4 };
	struct tw_errbuf eb;

	(void)state;
	if (tw_huff_init() < 0) /* the pseudonyms' tables */
		return -1;
	return tw_key_from_bytes(&key, raw, sizeof(raw), &eb);
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
		cmocka_unit_test(test_policy_limits),
		cmocka_unit_test(test_json_depth),
		cmocka_unit_test(test_pb_depth),
		cmocka_unit_test(test_gzip_pb_depth),
		cmocka_unit_test(test_header_block),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_body_depths),
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_buffers),
		cmocka_unit_test(test_ports_reused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
