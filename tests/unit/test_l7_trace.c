/*
 * test_l7_trace.c - the JSON Lines L7 trace reader (replay/l7_trace.c):
 * every field the replayer uses, bodies in each encoding, and malformed
 * lines skipped with a message that names file and line while the rest
 * is read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "replay/l7.h"
#include "trace/error.h"
#include "trace/log.h"

/* A record as `tracewarp redact --l7-out` writes it. */
#define REC1                                                                   \
	"{\"v\":1,\"flow\":{\"client\":{\"ip\":\"198.18.7.1\"}},\"conn\":7,"   \
	"\"stream\":1,\"proto\":\"h2c\",\"start_ns\":2000,\"duration_ns\":9,"  \
	"\"method\":\"POST\",\"scheme\":\"http\",\"authority\":\"api.x\","     \
	"\"path\":\"/corpus.Users/GetUser\",\"request\":{\"headers\":"         \
	"[[\":method\",\"POST\"],[\":path\",\"/corpus.Users/GetUser\"],"       \
	"[\"Content-Type\",\"application/grpc\"],[\"te\",\"trailers\"]],"      \
	"\"trailers\":[],\"body\":{\"size\":7,\"redaction\":\"grpc\","         \
	"\"grpc_messages\":1,\"encoding\":\"base64\",\"data\":\"AAAAAAIIAQ=="  \
	"\","                                                                  \
	"\"truncated\":false}},\"response\":{\"headers\":[[\":status\","       \
	"\"200\"]],\"trailers\":[[\"grpc-status\",\"5\"]],\"body\":{\"size\":" \
	"0,\"encoding\":\"none\"},\"status\":200},\"grpc_status\":\"5\","      \
	"\"grpc_message\":null,\"reset\":null,\"complete\":true,"              \
	"\"future_field\":[1,2,3]}"

static char logged[4][512];
static int nlogged;

static void sink(enum tw_log_level lvl, const char *comp, const char *msg,
                 void *arg)
{
	(void)lvl;
	(void)arg;
	if (nlogged < 4)
		snprintf(logged[nlogged++], sizeof(logged[0]), "%s: %s", comp,
		         msg);
}

static void test_record(void **state)
{
	struct tw_l7_trace t = { 0 };
	struct tw_errbuf eb;
	const struct tw_l7_exchange *ex;

	(void)state;
	assert_int_equal(
	        tw_l7_trace_add_line(&t, "f", 1, REC1, strlen(REC1), &eb), 0);
	assert_int_equal(t.n, 1);
	ex = &t.ex[0];
	assert_int_equal(ex->line, 1);
	assert_int_equal(ex->start_ns, 2000);
	assert_string_equal(ex->method, "POST");
	assert_string_equal(ex->path, "/corpus.Users/GetUser");
	assert_string_equal(ex->authority, "api.x");
	assert_string_equal(ex->scheme, "http");
	assert_int_equal(ex->nhdrs, 2); /* pseudo-headers left out */
	assert_string_equal(ex->hdrs[0].name, "content-type");
	assert_string_equal(ex->hdrs[1].value, "trailers");
	assert_true(ex->grpc);
	assert_int_equal(ex->body_len, 7);
	assert_memory_equal(ex->body, "\0\0\0\0\2\x08\x01", 7);
	assert_int_equal(ex->status, 200);
	assert_int_equal(ex->grpc_status, 5);
	tw_l7_trace_free(&t);
}

/* An HTTP/1.1 line, as `tracewarp redact` writes one: re-issued as
 * HTTP/2, so its connection-specific fields are left out and "host"
 * gives the authority. */
#define REC_H1                                                               \
	"{\"v\":1,\"conn\":2,\"stream\":1,\"proto\":\"http/1.1\","           \
	"\"start_ns\":5,\"method\":\"POST\",\"scheme\":\"http\","            \
	"\"authority\":null,\"path\":\"/api/v1/x\",\"request\":{"            \
	"\"headers\":[[\"host\",\"abc.example:80\"],[\"connection\","        \
	"\"keep-alive\"],[\"keep-alive\",\"timeout=5\"],[\"upgrade\","       \
	"\"h2c\"],[\"http2-settings\",\"AAMAAABk\"],[\"transfer-encoding\"," \
	"\"chunked\"],[\"te\",\"gzip\"],[\"proxy-connection\",\"x\"],"       \
	"[\"content-type\",\"application/json\"],[\"x-id\",\"7\"]],"         \
	"\"trailers\":[],\"body\":{\"size\":2,\"redaction\":\"json\","       \
	"\"encoding\":\"utf8\",\"data\":\"{}\",\"truncated\":false}},"       \
	"\"response\":{\"status\":201},\"grpc_status\":null,"                \
	"\"complete\":true}"

static void test_http1_line(void **state)
{
	struct tw_l7_trace t = { 0 };
	struct tw_errbuf eb;
	const struct tw_l7_exchange *ex;

	(void)state;
	assert_int_equal(
	        tw_l7_trace_add_line(&t, "f", 1, REC_H1, strlen(REC_H1), &eb),
	        0);
	ex = &t.ex[0];
	assert_string_equal(ex->method, "POST");
	assert_string_equal(ex->authority, "abc.example:80");
	assert_int_equal(ex->nhdrs, 2);
	assert_string_equal(ex->hdrs[0].name, "content-type");
	assert_string_equal(ex->hdrs[1].name, "x-id");
	assert_int_equal(ex->body_len, 2);
	assert_int_equal(ex->status, 201);
	tw_l7_trace_free(&t);
}

/* Whether ex's body is the len bytes at want: those held, then zeros
 * (made as they are sent). */
static bool body_is(const struct tw_l7_exchange *ex, const void *want,
                    size_t len)
{
	const uint8_t *w = want;

	if (ex->body_len != len || ex->body_have > len)
		return false;
	if (ex->body_have && memcmp(ex->body, w, ex->body_have))
		return false;
	for (size_t i = ex->body_have; i < len; i++)
		if (w[i])
			return false;
	return true;
}

static void test_bodies(void **state)
{
	static const struct {
		const char *line;
		size_t len;
		const char *data;
	} t[] = {
		{ "{\"start_ns\":1,\"method\":\"PUT\",\"path\":\"/"
		  "\",\"request\":"
		  "{\"body\":{\"encoding\":\"utf8\",\"data\":\"{\\\"a\\\":1}\"}"
		  "}}",
		  7, "{\"a\":1}" },
		{ "{\"start_ns\":1,\"method\":\"PUT\",\"path\":\"/"
		  "\",\"request\":"
		  "{\"body\":{\"encoding\":\"omitted\",\"size\":5}}}",
		  5, "\0\0\0\0\0" },
		{ "{\"start_ns\":1,\"method\":\"PUT\",\"path\":\"/"
		  "\",\"request\":"
		  "{\"body\":{\"encoding\":\"base64\",\"data\":\"YWI=\"}}}",
		  2, "ab" },
		{ "{\"start_ns\":1,\"method\":\"GET\",\"path\":\"/"
		  "\",\"request\":"
		  "{\"body\":{\"encoding\":\"none\",\"size\":0}}}",
		  0, "" },
		{ "{\"start_ns\":1,\"method\":\"GET\",\"path\":\"/\"}", 0, "" },
	};
	struct tw_errbuf eb;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tw_l7_trace tr = { 0 };

		assert_int_equal(tw_l7_trace_add_line(&tr, "f", 1, t[i].line,
		                                      strlen(t[i].line), &eb),
		                 0);
		assert_true(body_is(&tr.ex[0], t[i].data, t[i].len));
		assert_int_equal(tr.ex[0].grpc_status, -1);
		tw_l7_trace_free(&tr);
	}
}

static void test_bad_lines(void **state)
{
	static const struct {
		const char *line;
		const char *why;
	} t[] = {
		{ "not json", "f.jsonl:3: not JSON" },
		{ "[1,2]", "f.jsonl:3: not a JSON object" },
		{ "{\"method\":\"GET\",\"path\":\"/\"}",
		  "f.jsonl:3: no integer 'start_ns'" },
		{ "{\"start_ns\":\"1\",\"method\":\"GET\",\"path\":\"/\"}",
		  "f.jsonl:3: no integer 'start_ns'" },
		{ "{\"start_ns\":1,\"path\":\"/\"}", "no string 'method'" },
		{ "{\"start_ns\":1,\"method\":\"GET\"}", "no string 'path'" },
		{ "{\"start_ns\":1,\"method\":\"GET\",\"path\":\"/\","
		  "\"request\":{\"headers\":[[\"a\"]]}}",
		  "request header 0" },
		{ "{\"start_ns\":1,\"method\":\"GET\",\"path\":\"/\","
		  "\"request\":{\"body\":{\"encoding\":\"base64\","
		  "\"data\":\"@@@\"}}}",
		  "bad base64" },
		{ "{\"start_ns\":1,\"method\":\"GET\",\"path\":\"/\","
		  "\"request\":{\"body\":{\"encoding\":\"rot13\","
		  "\"data\":\"x\"}}}",
		  "unknown encoding 'rot13'" },
		{ "{\"start_ns\":1,\"start_ns\":2,\"method\":\"GET\","
		  "\"path\":\"/\"}",
		  "not JSON" },
	};
	struct tw_errbuf eb;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tw_l7_trace tr = { 0 };

		assert_int_equal(tw_l7_trace_add_line(&tr, "f.jsonl", 3,
		                                      t[i].line,
		                                      strlen(t[i].line), &eb),
		                 TW_EFORMAT);
		if (!strstr(eb.msg, t[i].why))
			fail_msg("'%s': '%s'", t[i].line, eb.msg);
		assert_int_equal(tr.n, 0);
		tw_l7_trace_free(&tr);
	}
	{
		struct tw_l7_trace tr = { 0 };

		assert_int_equal(
		        tw_l7_trace_add_line(&tr, "f", 1, " \r\n", 3, &eb), 1);
		tw_l7_trace_free(&tr);
	}
}

/* A gRPC request with per-message times (messages "ab" and "c", then 3
 * bytes of a cut one): MSGS is the "messages" member. */
#define STREAM_LINE(MSGS)                                                     \
	"{\"start_ns\":1,\"method\":\"POST\",\"path\":\"/s/M\","              \
	"\"request\":{\"headers\":[[\"content-type\",\"application/grpc\"]]," \
	"\"body\":{\"encoding\":\"base64\",\"size\":16,\"grpc_messages\":2,"  \
	"\"data\":\"AAAAAAJhYgAAAAABYwAAAA==\"" MSGS "}}}"

/* request.body.messages: message ends and times, non-decreasing, the
 * body's tail with the last; none, or all at 0, is no pacing; a bad
 * list is a bad line. */
static void test_message_times(void **state)
{
	static const char *const bad[] = {
		STREAM_LINE(",\"messages\":\"x\""),
		STREAM_LINE(",\"messages\":[]"),
		STREAM_LINE(",\"messages\":[{\"t_ns\":-1}]"),
		STREAM_LINE(",\"messages\":[{\"size\":7}]"),
		STREAM_LINE(",\"messages\":[{\"t_ns\":0},{\"t_ns\":\"5\"}]"),
	};
	const char *ok = STREAM_LINE(
	        ",\"messages\":[{\"t_ns\":5,\"size\":7},{\"t_ns\":3}]");
	const char *zero = STREAM_LINE(
	        ",\"messages\":[{\"t_ns\":0},{\"t_ns\":0},{\"t_ns\":0}]");
	const char *old = STREAM_LINE("");
	struct tw_l7_trace t = { 0 };
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(tw_l7_trace_add_line(&t, "f", 1, ok, strlen(ok), &eb),
	                 0);
	assert_int_equal(t.ex[0].body_len, 16);
	assert_int_equal(t.ex[0].nmsgs, 2);
	assert_int_equal(t.ex[0].msgs[0].end, 7);
	assert_int_equal(t.ex[0].msgs[0].t_ns, 5);
	assert_int_equal(t.ex[0].msgs[1].end, 16);
	assert_int_equal(t.ex[0].msgs[1].t_ns, 5);
	assert_int_equal(
	        tw_l7_trace_add_line(&t, "f", 2, zero, strlen(zero), &eb), 0);
	assert_null(t.ex[1].msgs);
	assert_int_equal(
	        tw_l7_trace_add_line(&t, "f", 3, old, strlen(old), &eb), 0);
	assert_null(t.ex[2].msgs);
	assert_int_equal(t.ex[2].body_len, 16);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tw_l7_trace_add_line(&t, "f.jsonl", 9, bad[i],
		                                      strlen(bad[i]), &eb),
		                 TW_EFORMAT);
		if (!strstr(eb.msg, "f.jsonl:9: request body: ") ||
		    !strstr(eb.msg, "messages"))
			fail_msg("'%s': '%s'", bad[i], eb.msg);
	}
	assert_int_equal(t.n, 3);
	tw_l7_trace_free(&t);
}

/* A body the trace cut at 64 KiB is sent at its recorded size: gRPC with
 * copies of its complete messages up to the recorded count, anything
 * else with zeros. */
static void test_truncated(void **state)
{
	/* Messages "ab" and "c", then 3 bytes of a cut one: 18 bytes. */
	const char *grpc =
	        "{\"start_ns\":1,\"method\":\"POST\",\"path\":\"/s/M\","
	        "\"request\":{\"headers\":[[\"content-type\",\"application/"
	        "grpc\"]],\"body\":{\"encoding\":\"base64\",\"size\":40,"
	        "\"grpc_messages\":5,\"truncated\":true,"
	        "\"data\":\"AAAAAAJhYgAAAAABYwAAAA==\"}}}";
	const char *other =
	        "{\"start_ns\":1,\"method\":\"PUT\",\"path\":\"/\","
	        "\"request\":{\"body\":{\"encoding\":\"utf8\",\"size\":9,"
	        "\"truncated\":true,\"data\":\"{\\\"a\\\"\"}}}";
	static const uint8_t want[] = { 0,   0,   0, 0,   2,   'a', 'b', 0,   0,
		                        0,   0,   1, 'c', 0,   0,   0,   0,   2,
		                        'a', 'b', 0, 0,   0,   0,   1,   'c', 0,
		                        0,   0,   0, 2,   'a', 'b' };
	struct tw_l7_trace t = { 0 };
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(
	        tw_l7_trace_add_line(&t, "f", 1, grpc, strlen(grpc), &eb), 0);
	assert_int_equal(t.ex[0].body_len, sizeof(want));
	assert_memory_equal(t.ex[0].body, want, sizeof(want));
	assert_int_equal(
	        tw_l7_trace_add_line(&t, "f", 2, other, strlen(other), &eb), 0);
	assert_true(body_is(&t.ex[1], "{\"a\"\0\0\0\0\0", 9));
	tw_l7_trace_free(&t);
}

/* An omitted body over what a buffer would hold (20 MB): its size is
 * kept, no byte of it is held (zeros are made as they are sent); one
 * past the bound is refused, not sent empty. */
static void test_big_omitted(void **state)
{
	const char *big = "{\"start_ns\":1,\"method\":\"PUT\",\"path\":\"/\","
	                  "\"request\":{\"body\":{\"encoding\":\"omitted\","
	                  "\"size\":20000000}}}";
	const char *huge = "{\"start_ns\":1,\"method\":\"PUT\",\"path\":\"/\","
	                   "\"request\":{\"body\":{\"encoding\":\"omitted\","
	                   "\"size\":1099511627777}}}";
	struct tw_l7_trace t = { 0 };
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(
	        tw_l7_trace_add_line(&t, "f", 1, big, strlen(big), &eb), 0);
	assert_int_equal(t.ex[0].body_len, 20000000);
	assert_int_equal(t.ex[0].body_have, 0);
	assert_int_equal(
	        tw_l7_trace_add_line(&t, "f", 2, huge, strlen(huge), &eb),
	        TW_EFORMAT);
	assert_non_null(strstr(eb.msg, "f:2: request body: omitted size"));
	tw_l7_trace_free(&t);
}

/* A line of an unknown format version is refused, naming file:line;
 * "v":1 and no "v" are read. */
static void test_version(void **state)
{
	const char *v1 = "{\"v\":1,\"start_ns\":1,\"method\":\"GET\","
	                 "\"path\":\"/\"}";
	const char *v2 = "{\"v\":2,\"start_ns\":1,\"method\":\"GET\","
	                 "\"path\":\"/\"}";
	const char *vs = "{\"v\":\"1\",\"start_ns\":1,\"method\":\"GET\","
	                 "\"path\":\"/\"}";
	struct tw_l7_trace t = { 0 };
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(tw_l7_trace_add_line(&t, "f", 1, v1, strlen(v1), &eb),
	                 0);
	assert_int_equal(tw_l7_trace_add_line(&t, "f", 2, v2, strlen(v2), &eb),
	                 TW_EFORMAT);
	assert_non_null(strstr(eb.msg, "f:2: trace version \"v\":2 is not "
	                               "supported"));
	assert_int_equal(tw_l7_trace_add_line(&t, "f", 3, vs, strlen(vs), &eb),
	                 TW_EFORMAT);
	assert_int_equal(t.n, 1);
	tw_l7_trace_free(&t);
}

/* --max-gap: a start a year off comes within the cap of the one before;
 * gaps under it are kept. */
static void test_cap_gaps(void **state)
{
	static const long long start[] = { 0, 1000000000, 31536000000000000,
		                           31536001000000000 };
	struct tw_l7_trace t = { 0 };
	struct tw_errbuf eb;
	char line[160];

	(void)state;
	for (int i = 0; i < 4; i++) {
		snprintf(line, sizeof(line),
		         "{\"start_ns\":%lld,\"method\":\"GET\",\"path\":"
		         "\"/\"}",
		         start[i]);
		assert_int_equal(tw_l7_trace_add_line(&t, "f", (uint64_t)i + 1,
		                                      line, strlen(line), &eb),
		                 0);
	}
	tw_l7_trace_sort(&t);
	assert_int_equal(tw_l7_trace_cap_gaps(&t, 2000000000), 1);
	assert_int_equal(t.ex[1].start_ns, 1000000000);
	assert_int_equal(t.ex[2].start_ns, 3000000000);
	assert_int_equal(t.ex[3].start_ns, 4000000000);
	assert_int_equal(tw_l7_trace_span(&t), 4000000000);
	tw_l7_trace_free(&t);
}

static char *write_tmp(const char *text)
{
	static char path[] = "/tmp/test_l7_traceXXXXXX";
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_l7_traceXXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* A file: bad lines are reported by file:line and skipped, the rest is
 * read and sorted by start time; connections get dense indices. */
static void test_load(void **state)
{
	const char *text =
	        "{\"conn\":9,\"start_ns\":300,\"method\":\"GET\",\"path\":\"/"
	        "c\"}\n"
	        "{\"conn\":4,\"start_ns\":100,\"method\":\"GET\",\"path\":\"/"
	        "a\"}\n"
	        "{oops\n"
	        "\n"
	        "{\"conn\":9,\"start_ns\":200,\"method\":\"GET\",\"path\":\"/"
	        "b\"}\n"
	        "{\"start_ns\":200,\"path\":\"/nomethod\"}\n"
	        "{\"start_ns\":200,\"method\":\"GET\",\"path\":\"/own\"}";
	char *path = write_tmp(text);
	struct tw_l7_trace t = { 0 };
	struct tw_errbuf eb;
	char want[600];

	(void)state;
	nlogged = 0;
	tw_log_set_sink(sink, NULL);
	assert_int_equal(tw_l7_trace_load(&t, path, &eb), 0);
	tw_log_set_sink(NULL, NULL);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.lines, 7);
	assert_int_equal(t.bad, 2);
	assert_int_equal(nlogged, 2);
	snprintf(want, sizeof(want), "l7: %s:3: not JSON", path);
	assert_memory_equal(logged[0], want, strlen(want));
	snprintf(want, sizeof(want), "l7: %s:6: no string 'method'", path);
	assert_memory_equal(logged[1], want, strlen(want));
	assert_string_equal(t.ex[0].path, "/a");
	assert_string_equal(t.ex[1].path, "/b");
	assert_string_equal(t.ex[2].path, "/own"); /* same time: file order */
	assert_string_equal(t.ex[3].path, "/c");
	assert_int_equal(t.nconns, 3);
	assert_int_equal(t.ex[1].conn, t.ex[3].conn);
	assert_int_not_equal(t.ex[0].conn, t.ex[1].conn);
	assert_int_not_equal(t.ex[2].conn, t.ex[1].conn);
	tw_l7_trace_free(&t);
	unlink(path);
}

static void test_load_errors(void **state)
{
	struct tw_l7_trace t = { 0 };
	struct tw_errbuf eb;
	char *path;

	(void)state;
	assert_int_equal(tw_l7_trace_load(&t, "/nonexistent/x.jsonl", &eb),
	                 TW_EIO);
	assert_non_null(strstr(eb.msg, "/nonexistent/x.jsonl"));
	tw_l7_trace_free(&t);
	path = write_tmp("\n{}\n{}\n");
	tw_log_set_sink(sink, NULL);
	assert_int_equal(tw_l7_trace_load(&t, path, &eb), TW_EFORMAT);
	tw_log_set_sink(NULL, NULL);
	assert_non_null(strstr(eb.msg, "no usable exchange"));
	tw_l7_trace_free(&t);
	unlink(path);
}

/* A file that is not JSON Lines (a capture given by mistake, text) is
 * one error at once, not a warning a line. */
static void test_not_jsonl(void **state)
{
	/* pcapng's section header: "\n\r\r\n" then binary. */
	static const char pcapng[] = "\n\r\r\n\x1c\x01\x01\x01M<+\x1a\n"
	                             "x\n";
	struct tw_l7_trace t = { 0 };
	struct tw_errbuf eb;
	char *path;

	(void)state;
	path = write_tmp(pcapng);
	nlogged = 0;
	tw_log_set_sink(sink, NULL);
	assert_int_equal(tw_l7_trace_load(&t, path, &eb), TW_EFORMAT);
	assert_non_null(strstr(eb.msg, "not a JSON Lines trace: looks like "
	                               "pcapng"));
	tw_l7_trace_free(&t);
	unlink(path);
	path = write_tmp("\nGET / HTTP/1.1\n{}\n");
	assert_int_equal(tw_l7_trace_load(&t, path, &eb), TW_EFORMAT);
	tw_log_set_sink(NULL, NULL);
	assert_non_null(strstr(eb.msg, ":2: not a JSON Lines trace"));
	assert_int_equal(nlogged, 0);
	tw_l7_trace_free(&t);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_http1_line),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_message_times),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_big_omitted),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_cap_gaps),
		cmocka_unit_test(test_not_jsonl),
	};

	return cmocka_run_group_tests_name("l7_trace", tests, NULL, NULL);
}
