/*
 * test_h1.c - the HTTP/1.1 side of the stream redactor on synthetic
 * connections: chunked and Content-Length JSON bodies redacted with the
 * chunk framing kept, exchanges in the L7 trace (proto "http/1.1"), and
 * h2c via Upgrade (RFC 7540 section 3.2): the 101, the server's
 * SETTINGS without a preface, the client's preface after the request,
 * stream 1 answered in HTTP/2, decoded again with a fresh HPACK
 * inflater; an upgrade declined, and a 101 to another protocol.
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
static const char SECRET_HOST[] = "api-ixqgtnah.corp.example";

#include "h2conn.h"

static size_t l7_lines(const struct result *res, json_t **out, size_t cap)
{
	size_t n = 0;
	const char *p = res->l7, *end = res->l7 + res->l7len;

	while (p && p < end && n < cap) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		json_error_t err;

		assert_non_null(nl);
		out[n] = json_loadb(p, (size_t)(nl - p), 0, &err);
		assert_non_null(out[n]);
		n++;
		p = nl + 1;
	}
	return n;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The JSON text a chunked body carries, chunk data joined; the chunk
 * size lines are checked to be exactly the input's. */
static size_t unchunk(const uint8_t *p, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned long k = strtoul((const char *)p + i, NULL, 16);
		const uint8_t *lf = memchr(p + i, '\n', n - i);

		assert_non_null(lf);
		i = (size_t)(lf - p) + 1;
		if (!k)
			break;
		memcpy(out + o, p + i, k);
		o += k;
		i += k + 2;
	}
	out[o] = '\0';
	return o;
}

/* ---- tests ------------------------------------------------------------- */

static const char CHUNKED_JSON[] =
        "{\"name\": \"Chiara Quintero\", \"email\": \"kalinda.tanaka64@"
        "xaqhyo.example\", \"age\": 41, \"note\": \"caf\\u00e9 \\\"x\\\"\"}";

/* A chunked body made of pieces of these sizes (cut inside strings and
 * escapes), each chunk with an extension that names someone. */
static size_t chunked(char *out, const char *body, const size_t *cuts,
                      size_t ncuts)
{
	size_t o = 0, at = 0, n = strlen(body);

	for (size_t i = 0; i <= ncuts && at < n; i++) {
		size_t k = i < ncuts && cuts[i] < n - at ? cuts[i] : n - at;

		o += (size_t)snprintf(out + o, 64, "%zx;who=Chiara\r\n", k);
		memcpy(out + o, body + at, k);
		o += k;
		memcpy(out + o, "\r\n", 2);
		o += 2;
		at += k;
	}
	memcpy(out + o, "0\r\nX-Trailer-Mail: kalinda@x.example\r\n\r\n", 41);
	return o + 41;
}

static void test_chunked_json(void **state)
{
	static const size_t cuts[] = { 5, 11, 1, 30, 2, 17, 60 };
	const char *head = "POST /api/v1/users HTTP/1.1\r\nHost: "
	                   "api-ixqgtnah.corp.example\r\nContent-Type: "
	                   "application/json\r\nTransfer-Encoding: chunked"
	                   "\r\n\r\n";
	const char *rsp = "HTTP/1.1 201 Created\r\nContent-Type: application/"
	                  "json; charset=utf-8\r\nContent-Length: 29\r\n\r\n"
	                  "{\"id\": 7, \"who\": \"Chiara Q.\"}";
	char req[4096], body[1024];
	size_t hl = strlen(head), n;
	struct conv c = { 0 };
	struct result res;
	json_t *j, *lines[4], *rq;
	json_error_t err;

	(void)state;
	memcpy(req, head, hl);
	n = hl + chunked(req + hl, CHUNKED_JSON, cuts, 7);
	handshake(&c);
	send_bytes(&c, 0, req, n, 9);
	send_bytes(&c, 1, rsp, strlen(rsp), 13);
	run(&c, &res);
	assert_false(contains(&res, SECRET_NAME));
	assert_false(contains(&res, SECRET_MAIL));
	assert_false(contains(&res, "Chiara"));
	assert_false(contains(&res, "kalinda"));
	assert_int_equal(res.st.h2.json_bodies, 2);
	assert_int_equal(res.st.h2.invalid_bodies, 0);
	assert_int_equal(res.slen[0], n);
	/* Chunk sizes and CRLFs where they were; extensions
	 * pseudonymized, ';' and '=' kept. */
	{
		char ext[] = ";who=Chiara";

		tw_pseudo_text(key->value, (uint8_t *)ext, strlen(ext));
		assert_memory_equal(res.stream[0] + hl, "5", 1);
		assert_memory_equal(res.stream[0] + hl + 1, ext, 11);
		assert_memory_equal(res.stream[0] + hl + 12, "\r\n", 2);
		assert_memory_equal(ext + 4, "=", 1);
	}
	unchunk(res.stream[0] + hl, n - hl, body);
	j = json_loads(body, 0, &err);
	if (!j)
		print_message("%s: %s\n", body, err.text);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "age")), 41);
	assert_int_equal(strlen(jstr(j, "name")), strlen(SECRET_NAME));
	assert_string_not_equal(jstr(j, "name"), SECRET_NAME);
	assert_non_null(strchr(jstr(j, "email"), '@'));
	json_decref(j);
	/* The L7 trace: one exchange, the redacted body as text. */
	assert_int_equal(l7_lines(&res, lines, 4), 1);
	assert_string_equal(jstr(lines[0], "proto"), "http/1.1");
	assert_string_equal(jstr(lines[0], "method"), "POST");
	assert_string_equal(jstr(lines[0], "scheme"), "http");
	assert_int_equal(strlen(jstr(lines[0], "authority")),
	                 strlen(SECRET_HOST));
	assert_string_not_equal(jstr(lines[0], "authority"), SECRET_HOST);
	rq = json_object_get(json_object_get(lines[0], "request"), "body");
	assert_string_equal(jstr(rq, "encoding"), "utf8");
	assert_string_equal(jstr(rq, "redaction"), "json");
	assert_string_equal(jstr(rq, "data"), body);
	assert_int_equal(json_integer_value(json_object_get(rq, "size")),
	                 strlen(CHUNKED_JSON));
	assert_int_equal(
	        json_integer_value(json_object_get(
	                json_object_get(lines[0], "response"), "status")),
	        201);
	assert_true(json_is_true(json_object_get(lines[0], "complete")));
	json_decref(lines[0]);
	result_free(&res);
}

/* A chunked JSON body that is not JSON, and one with a compressed
 * encoding: zeroed, framing kept. */
static void test_chunked_not_json(void **state)
{
	const char *req = "POST /a HTTP/1.1\r\nContent-Type: application/json"
	                  "\r\nTransfer-Encoding: chunked\r\n\r\n"
	                  "10\r\n{\"n\": \"Chiara Qu\r\n"
	                  "6\r\nintero\r\n0\r\n\r\n"
	                  "POST /b HTTP/1.1\r\nContent-Type: application/json"
	                  "\r\nContent-Encoding: br\r\nContent-Length: 17\r\n"
	                  "\r\n{\"Chiara\": \"Q.\"}";
	struct conv c = { 0 };
	struct result res;
	const uint8_t *p;

	(void)state;
	handshake(&c);
	send_bytes(&c, 0, req, strlen(req), 20);
	run(&c, &res);
	assert_false(contains(&res, "Chiara"));
	assert_false(contains(&res, "intero"));
	assert_int_equal(res.st.h2.invalid_bodies, 1);
	p = memmem(res.stream[0], res.slen[0], "\r\n\r\n10\r\n", 8);
	assert_non_null(p);
	assert_memory_equal(p + 24, "\r\n6\r\n", 5);
	assert_int_equal(res.st.failed_flows, 0);
	result_free(&res);
}

static void test_l7_pipelined(void **state)
{
	const char *req = "GET /api/v1/users?email=kalinda.tanaka64@xaqhyo"
	                  ".example HTTP/1.1\r\nHost: api-ixqgtnah.corp.example"
	                  "\r\nAuthorization: Bearer ak_live_qH8kQrPTsDSuFEh"
	                  "btyvAYmqg\r\nConnection: keep-alive\r\n\r\n"
	                  "HEAD /x HTTP/1.1\r\nHost: api-ixqgtnah.corp.example"
	                  "\r\n\r\n";
	const char *rsp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	                  "Content-Length: 15\r\n\r\nChiara Quintero"
	                  "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n";
	struct conv c = { 0 };
	struct result res;
	json_t *l[4], *h, *b;

	(void)state;
	handshake(&c);
	send_bytes(&c, 0, req, strlen(req), 1460);
	send_bytes(&c, 1, rsp, strlen(rsp), 1460);
	run(&c, &res);
	assert_int_equal(l7_lines(&res, l, 4), 2);
	assert_int_equal(json_integer_value(json_object_get(l[0], "stream")),
	                 1);
	assert_string_equal(jstr(l[0], "method"), "GET");
	assert_memory_equal(jstr(l[0], "path"), "/api/v1/", 8);
	assert_non_null(strstr(jstr(l[0], "path"), "?email="));
	assert_null(strstr(jstr(l[0], "path"), "kalinda"));
	h = json_object_get(json_object_get(l[0], "request"), "headers");
	assert_int_equal(json_array_size(h), 3);
	assert_string_equal(
	        json_string_value(json_array_get(json_array_get(h, 1), 0)),
	        "authorization");
	assert_null(strstr(
	        json_string_value(json_array_get(json_array_get(h, 1), 1)),
	        "ak_live"));
	assert_string_equal(
	        json_string_value(json_array_get(json_array_get(h, 2), 1)),
	        "keep-alive");
	b = json_object_get(json_object_get(l[0], "response"), "body");
	assert_string_equal(jstr(b, "encoding"), "omitted");
	assert_string_equal(jstr(b, "redaction"), "zeroed");
	assert_int_equal(json_integer_value(json_object_get(b, "size")), 15);
	assert_string_equal(jstr(l[1], "method"), "HEAD");
	b = json_object_get(json_object_get(l[1], "response"), "body");
	assert_string_equal(jstr(b, "encoding"), "none");
	assert_true(json_is_true(json_object_get(l[1], "complete")));
	assert_false(contains(&res, SECRET_NAME));
	json_decref(l[0]);
	json_decref(l[1]);
	result_free(&res);
}

/* ---- h2c via Upgrade --------------------------------------------------- */

static const char UPGRADE_REQ[] =
        "GET /api/v1/users/kalinda HTTP/1.1\r\n"
        "Host: api-ixqgtnah.corp.example\r\n"
        "Connection: Upgrade, HTTP2-Settings\r\n"
        "Upgrade: h2c\r\n"
        "HTTP2-Settings: AAEAAQAAAAMAAABkAAQAAP__\r\n"
        "Authorization: Bearer ak_live_qH8kQrPTsDSuFEhbtyvAYmqg\r\n\r\n";
static const char SWITCH[] = "HTTP/1.1 101 Switching Protocols\r\n"
                             "Connection: Upgrade\r\nUpgrade: h2c\r\n\r\n";

static const char *rsp_nv[] = { ":status",      "200",
	                        "content-type", "application/json",
	                        "x-user-email", SECRET_MAIL };
static const char *req3_nv[] = { ":method",       "GET",
	                         ":scheme",       "http",
	                         ":authority",    SECRET_HOST,
	                         ":path",         "/api/v1/users?email=kalinda",
	                         "authorization", SECRET_TOKEN };

/* The server's answer after the 101: SETTINGS, then stream 1's
 * response (a JSON body), then stream 3's. */
static size_t server_h2(nghttp2_hd_deflater *ds, uint8_t *f)
{
	const char *body = "{\"name\": \"Chiara Quintero\"}";
	uint8_t b[4096];
	size_t n, fl;

	fl = frame(f, 4, 0, 0, "\0\3\0\0\0\x64", 6);
	fl += frame(f + fl, 4, 1, 0, NULL, 0);
	n = block(ds, b, rsp_nv, 3);
	fl += frame(f + fl, 1, 4, 1, b, n);
	fl += frame(f + fl, 0, 1, 1, body, strlen(body));
	n = block(ds, b, rsp_nv, 3);
	fl += frame(f + fl, 1, 5, 3, b, n);
	return fl;
}

static void test_h2c_upgrade(void **state)
{
	struct conv c = { 0 };
	nghttp2_hd_deflater *dc, *ds;
	uint8_t f[8192], b[4096];
	size_t fl, n, rl = strlen(UPGRADE_REQ), sl = strlen(SWITCH);
	struct result res;
	char hd[8192];
	json_t *l[4];
	int streams[2] = { 0, 0 };

	(void)state;
	assert_int_equal(nghttp2_hd_deflate_new(&dc, 4096), 0);
	assert_int_equal(nghttp2_hd_deflate_new(&ds, 4096), 0);
	handshake(&c);
	send_bytes(&c, 0, UPGRADE_REQ, rl, 40);
	send_bytes(&c, 1, SWITCH, sl, 1460);
	fl = server_h2(ds, f);
	send_bytes(&c, 1, f, fl, 33);
	/* The client: preface, SETTINGS, ACK, and a request on stream 3. */
	memcpy(f, TW_H2_PREFACE, 24);
	fl = 24 + frame(f + 24, 4, 0, 0, NULL, 0);
	fl += frame(f + fl, 4, 1, 0, NULL, 0);
	n = block(dc, b, req3_nv, 5);
	fl += frame(f + fl, 1, 5, 3, b, n);
	send_bytes(&c, 0, f, fl, 25);
	run(&c, &res);
	assert_false(contains(&res, SECRET_MAIL));
	assert_false(contains(&res, SECRET_NAME));
	assert_false(contains(&res, "ak_live"));
	assert_false(contains(&res, "kalinda"));
	assert_false(contains(&res, "ixqgtnah"));
	assert_int_equal(res.st.h1_flows, 1);
	assert_int_equal(res.st.h2c_upgrades, 1);
	assert_int_equal(res.st.failed_flows, 0);
	assert_int_equal(res.st.h2.errors, 0);
	assert_int_equal(res.st.h2.json_bodies, 1);
	/* Framing kept: the upgrade headers, the 101, the preface. */
	assert_non_null(memmem(res.stream[0], rl,
	                       "Upgrade: h2c\r\nHTTP2-Settings: AAEAAQAAAAMAAAB"
	                       "kAAQAAP__\r\n",
	                       52));
	assert_memory_equal(res.stream[1], SWITCH, sl);
	assert_memory_equal(res.stream[0] + rl, TW_H2_PREFACE, 24);
	/* After the 101, HTTP/2 that a fresh inflater decodes. */
	assert_int_equal(decode_stream(res.stream[1] + sl, res.slen[1] - sl,
	                               false, hd, sizeof(hd), &streams[1]),
	                 2);
	assert_non_null(strstr(hd, ":status: 200\ncontent-type: application/"
	                           "json\nx-user-email: "));
	assert_int_equal(decode_stream(res.stream[0] + rl, res.slen[0] - rl,
	                               true, hd, sizeof(hd), &streams[0]),
	                 1);
	assert_non_null(strstr(hd, ":path: /api/v1/"));
	assert_non_null(strstr(hd, "?email="));
	assert_int_equal(streams[1], 1);
	/* Stream 1 is the upgrade request, answered in HTTP/2. */
	assert_int_equal(l7_lines(&res, l, 4), 2);
	for (int i = 0; i < 2; i++) {
		json_t *r = l[i];

		assert_string_equal(jstr(r, "proto"), "h2c");
		if (json_integer_value(json_object_get(r, "stream")) != 1)
			continue;
		assert_string_equal(jstr(r, "method"), "GET");
		assert_memory_equal(jstr(r, "path"), "/api/v1/", 8);
		assert_int_equal(strlen(jstr(r, "authority")),
		                 strlen(SECRET_HOST));
		assert_int_equal(
		        json_integer_value(json_object_get(
		                json_object_get(r, "response"), "status")),
		        200);
		assert_true(json_is_true(json_object_get(r, "complete")));
		streams[0] = -1;
	}
	assert_int_equal(streams[0], -1);
	json_decref(l[0]);
	json_decref(l[1]);
	result_free(&res);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
}

/* An upgrade the server declines goes on in HTTP/1.1; a 101 to a
 * protocol that is not h2c is zeroed from there on. */
static void test_upgrade_declined_and_other(void **state)
{
	const char *rsp = "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n"
	                  "Chiara Quintero"
	                  "HTTP/1.1 204 No Content\r\n\r\n";
	const char *req2 = "DELETE /api/v1/users/7 HTTP/1.1\r\nHost: "
	                   "api-ixqgtnah.corp.example\r\n\r\n";
	const char *ws = "GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n"
	                 "Connection: Upgrade\r\n\r\n";
	const char *ws101 = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: "
	                    "websocket\r\n\r\nChiara Quintero";
	struct conv c = { 0 };
	struct result res;
	json_t *l[4];

	(void)state;
	handshake(&c);
	send_bytes(&c, 0, UPGRADE_REQ, strlen(UPGRADE_REQ), 1460);
	send_bytes(&c, 1, rsp, 55, 1460);
	send_bytes(&c, 0, req2, strlen(req2), 1460);
	send_bytes(&c, 1, rsp + 55, strlen(rsp) - 55, 1460);
	run(&c, &res);
	assert_int_equal(res.st.h2c_upgrades, 0);
	assert_int_equal(res.st.failed_flows, 0);
	assert_false(contains(&res, SECRET_NAME));
	assert_non_null(memmem(res.raw, res.rawlen, "DELETE /api/v1/", 15));
	assert_int_equal(l7_lines(&res, l, 4), 2);
	assert_string_equal(jstr(l[1], "method"), "DELETE");
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(l[1], "response"), "status")),
	                 204);
	json_decref(l[0]);
	json_decref(l[1]);
	result_free(&res);

	memset(&c, 0, sizeof(c));
	handshake(&c);
	send_bytes(&c, 0, ws, strlen(ws), 1460);
	send_bytes(&c, 1, ws101, strlen(ws101), 1460);
	run(&c, &res);
	assert_false(contains(&res, SECRET_NAME));
	assert_int_equal(res.st.failed_flows, 1);
	result_free(&res);
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
 * Tester findings 1, 11 and 13 (issue 5): kept headers keep only what
 * their grammar allows; chunk extensions keep ';', '=' and quotes with
 * names and values pseudonymized; an absolute-form target keeps its
 * scheme, pseudonymizes its userinfo and host, and its path is
 * redacted as a :path (and is the L7 trace's path).
 */
static void test_values_ext_absolute(void **state)
{
	const char *req =
	        "GET http://marisol:Chiara@api-ixqgtnah.corp.example:8080"
	        "/api/v1/users?email=kalinda%C3%A9 HTTP/1.1\r\n"
	        "Host: api-ixqgtnah.corp.example\r\n"
	        "Accept-Encoding: gzip, "
	        "FC8ZrXbeg_fT3pG-h8msMlc-T1ah9sdbEl7oX8nr"
	        "\r\nTE: trailers, marisol.castellano51\r\n"
	        "Content-Type: text/plain; charset=UTF-8; who=Chiara\r\n\r\n"
	        "Chiara-X /b HTTP/1.1\r\nHost: x\r\n\r\n";
	const char *rsp =
	        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	        "Content-Type: text/plain\r\n\r\n"
	        "5;name=\"Chiara\"\r\nhello\r\n0\r\n\r\n"
	        "HTTP/1.1 404 Not Chiara\r\nContent-Length: 0\r\n\r\n";
	struct conv c = { 0 };
	struct result res;
	json_t *lines[4];
	char want[256], p1[128];
	const char *s0, *s1;

	(void)state;
	handshake(&c);
	send_bytes(&c, 0, req, strlen(req), 30);
	send_bytes(&c, 1, rsp, strlen(rsp), 30);
	run(&c, &res);
	assert_false(contains(&res, "marisol"));
	assert_false(contains(&res, "Chiara"));
	assert_false(contains(&res, "FC8ZrXbeg"));
	assert_false(contains(&res, "kalinda"));
	assert_false(contains(&res, "ixqgtnah"));
	s0 = (const char *)res.stream[0];
	assert_int_equal(res.slen[0], strlen(req));
	snprintf(want, sizeof(want), "GET http://%s@",
	         ps_of("marisol:Chiara", p1));
	assert_memory_equal(s0, want, strlen(want));
	assert_non_null(memmem(s0, res.slen[0], "/api/v1/", 8));
	{ /* a query value's percent-escape stays one (RFC 3986) */
		const char *q = memmem(s0, res.slen[0], "?email=", 7);

		assert_non_null(q);
		assert_memory_equal(q + 14, "%C", 2);
		assert_memory_equal(q + 17, "%A", 2);
		assert_true(isxdigit((unsigned char)q[16]) &&
		            isxdigit((unsigned char)q[19]));
		assert_memory_not_equal(q + 7, "kalinda", 7);
	}
	snprintf(want, sizeof(want), "Accept-Encoding: gzip, %s\r\n",
	         ps_of("FC8ZrXbeg_fT3pG-h8msMlc-T1ah9sdbEl7oX8nr", p1));
	assert_non_null(memmem(s0, res.slen[0], want, strlen(want)));
	snprintf(want, sizeof(want), "TE: trailers, %s\r\n",
	         ps_of("marisol.castellano51", p1));
	assert_non_null(memmem(s0, res.slen[0], want, strlen(want)));
	snprintf(want, sizeof(want),
	         "Content-Type: text/plain; charset=UTF-8; %s\r\n",
	         ps_of("who=Chiara", p1));
	assert_non_null(memmem(s0, res.slen[0], want, strlen(want)));
	/* The chunk line stays valid: size, ';', '=', quotes. */
	s1 = (const char *)res.stream[1];
	snprintf(want, sizeof(want), "\r\n\r\n5%s\r\n",
	         ps_of(";name=\"Chiara\"", p1));
	assert_non_null(memmem(s1, res.slen[1], want, strlen(want)));
	assert_memory_equal(p1, ";", 1);
	assert_memory_equal(p1 + 5, "=\"", 2);
	assert_int_equal(res.st.h2.errors, 0);
	/* Standard methods and reason phrases stay, others do not. */
	assert_memory_equal(s1, "HTTP/1.1 200 OK\r\n", 17);
	snprintf(want, sizeof(want), "\r\n\r\n%s /", ps_of("Chiara-X", p1));
	assert_non_null(memmem(s0, res.slen[0], want, strlen(want)));
	snprintf(want, sizeof(want), "HTTP/1.1 404 %s\r\n",
	         ps_of("Not Chiara", p1));
	assert_non_null(memmem(s1, res.slen[1], want, strlen(want)));
	/* The L7 trace: origin-form path, the target's authority. */
	assert_int_equal(l7_lines(&res, lines, 4), 2);
	json_decref(lines[1]);
	assert_memory_equal(jstr(lines[0], "path"), "/api/v1/", 8);
	assert_string_equal(jstr(lines[0], "authority"),
	                    ps_of("api-ixqgtnah.corp.example:8080", p1));
	assert_true(json_is_true(json_object_get(lines[0], "complete")));
	json_decref(lines[0]);
	result_free(&res);
}

/*
 * Tester finding 10 (issue 5): a packet whose IPv4 header fails its
 * checksum has its TCP zeroed by the packet redactor, so its
 * connection is given up both ways: the L7 trace never says what the
 * capture does not (here the response).
 */
static void test_untrusted_packet(void **state)
{
	const char *req = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
	const char *rsp = "HTTP/1.1 200 OK\r\nContent-Type: application/"
	                  "json\r\nContent-Length: 17\r\n\r\n"
	                  "{\"n\": \"Chiara Q\"}";
	struct conv c = { 0 };
	struct result res;
	int at;

	(void)state;
	handshake(&c);
	send_bytes(&c, 0, req, strlen(req), 1460);
	at = c.n;
	send_bytes(&c, 1, rsp, strlen(rsp), 1460);
	c.pk[at][10] ^= 0x40; /* the IPv4 header checksum, now wrong */
	run(&c, &res);
	assert_int_equal(res.st.untrusted_flows, 1);
	assert_null(strstr(res.l7, "\"status\":200"));
	assert_null(strstr(res.l7, "application/json"));
	assert_null(strstr(res.l7, "\"redaction\":\"json\""));
	assert_false(contains(&res, "Chiara"));
	result_free(&res);
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
		cmocka_unit_test(test_chunked_json),
		cmocka_unit_test(test_chunked_not_json),
		cmocka_unit_test(test_l7_pipelined),
		cmocka_unit_test(test_h2c_upgrade),
		cmocka_unit_test(test_upgrade_declined_and_other),
		cmocka_unit_test(test_values_ext_absolute),
		cmocka_unit_test(test_untrusted_packet),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
