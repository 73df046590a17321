/*
 * test_allocfail.c - allocation failure injection: each operation is run
 * with its Nth allocation failing, for N = 1, 2, ... until a run in
 * which no allocation failed: reading pcap and pcapng, writing, loading a
 * policy and a generator profile, a redaction session over HTTP/2 and
 * HTTP/1.1 captures, and the L7 trace reader.  Each run must report the
 * failure (an error code, or for the redaction session output that is
 * never less redacted than a clean run's) and free what it took: `make
 * unit-asan` runs this suite under LeakSanitizer.
 *
 * The Makefile links this suite with -Wl,--wrap for malloc, calloc,
 * realloc, strdup and strndup, so every allocation made by tracewarp's
 * own code comes through the __wrap_ functions below.  Allocations
 * inside shared libraries (jansson, libyaml, nghttp2, libc) are not
 * seen: jansson reports some of its own failures as syntax errors, so a
 * failing allocator given to it would only test jansson.
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

#include "redact/key.h"
#include "redact/policy.h"
#include "redact/redact.h"
#include "redact/session.h"
#include "replay/l7.h"
#include "tools/generate/gen.h"
#include "trace/decode.h"
#include "trace/log.h"
#include "trace/reader.h"
#include "trace/writer.h"

#define CORPUS "../shared/corpus/"

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static unsigned long fail_at; /* 0: no failure injected */
static unsigned long allocs;  /* allocations since arm() */
static bool failed;           /* the Nth one was refused */

static bool refuse(void)
{
	if (!fail_at || ++allocs != fail_at)
		return false;
	failed = true;
	return true;
}

void *__wrap_malloc(size_t n)
{
	return refuse() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
	return refuse() ? NULL : __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
	return refuse() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return refuse() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return refuse() ? NULL : __real_strndup(s, n);
}

/* Every run logs its failure; a thousand of them are noise here. */
static void quiet(enum tw_log_level lvl, const char *comp, const char *msg,
                  void *arg)
{
	(void)lvl;
	(void)comp;
	(void)msg;
	(void)arg;
}

static void arm(unsigned long n)
{
	fail_at = n;
	allocs = 0;
	failed = false;
}

static void disarm(void)
{
	fail_at = 0;
}

/*
 * Runs op with allocation n failing for n = 1, 2, ... until a run with
 * no failure, which must succeed (rc 0); a run with one must return an
 * error.  Returns how many allocations the clean run made.
 */
static unsigned long sweep(int (*op)(void *), void *arg, const char *what)
{
	for (unsigned long n = 1;; n++) {
		int rc;

		arm(n);
		rc = op(arg);
		disarm();
		if (!failed) {
			if (rc != 0)
				fail_msg("%s: clean run returned %d", what, rc);
			print_message("%s: %lu allocations, each failed "
			              "once\n",
			              what, n - 1);
			return n - 1;
		}
		if (rc == 0)
			fail_msg("%s: allocation %lu failed unreported", what,
			         n);
	}
}

/* --- pcapng reading --------------------------------------------- */

static const char *const read_files[] = {
	CORPUS "public/pcapng-output_le-advanced-test102.pcapng",
	CORPUS "public/pcapng-output_be-basic-test010.pcapng",
	CORPUS "public/arkime-http2-nghttp2.pcap",
};

static int read_all(void *arg)
{
	struct tw_reader *r;
	struct tw_packet pkt;
	int rc = tw_reader_open(&r, arg, NULL, 0);

	if (rc < 0)
		return rc;
	while ((rc = tw_reader_next(r, &pkt)) > 0)
		;
	tw_reader_close(r);
	return rc;
}

static void test_read(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(read_files) / sizeof(*read_files); i++)
		assert_true(sweep(read_all, (void *)read_files[i],
		                  read_files[i]) > 0);
}

/* --- writing ------------------------------------------------------ */

static char tmp_path[64];

static int write_all(void *arg)
{
	static const uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct tw_writer *w;
	uint32_t id;
	int rc = tw_writer_open(&w, tmp_path, *(enum tw_out_format *)arg, NULL,
	                        0);

	if (rc < 0)
		return rc;
	rc = tw_writer_add_comment(w, "allocation failure test");
	if (!rc)
		rc = tw_writer_add_iface(w, 1, 65535, &id);
	for (int i = 0; !rc && i < 100; i++)
		rc = tw_writer_write(w, id, 1000000000LL * i, frame,
		                     sizeof(frame), sizeof(frame));
	if (rc < 0) {
		tw_writer_close(w, NULL, 0);
		return rc;
	}
	return tw_writer_close(w, NULL, 0);
}

static void test_write(void **state)
{
	enum tw_out_format fmts[] = { TW_OUT_PCAPNG, TW_OUT_PCAP_US };

	(void)state;
	for (size_t i = 0; i < 2; i++)
		sweep(write_all, &fmts[i], "write");
	unlink(tmp_path);
}

/* --- policy ------------------------------------------------------- */

static int policy_load(void *arg)
{
	struct tw_policy *pol = arg;
	struct tw_errbuf eb;

	return tw_policy_load(pol, "config/policy-default.yaml", &eb);
}

static void test_policy(void **state)
{
	struct tw_policy *pol = calloc(1, sizeof(*pol));

	(void)state;
	assert_non_null(pol);
	assert_true(sweep(policy_load, pol, "policy load") > 0);
	free(pol);
}

/* --- a generator profile (the same YAML reader) -------------------- */

static int profile_load(void *arg)
{
	struct tw_gen_profile *p;
	struct tw_errbuf eb;
	int rc = tw_gen_profile_load(&p, arg, &eb);

	if (rc == 0)
		tw_gen_profile_free(p);
	return rc;
}

static void test_profile(void **state)
{
	(void)state;
	assert_true(sweep(profile_load, "config/profiles/mixed-api.yaml",
	                  "profile load") > 0);
}

/* --- a redaction session over an HTTP/2 capture -------------------- */

struct capture {
	struct tw_packet *pkts;
	uint8_t **copies;
	size_t n;
	uint32_t linktype;
	uint8_t **clean; /* the output of a run without failures */
	struct tw_policy pol;
	struct tw_key *key;
	FILE *devnull;
};

static void load_capture(struct capture *c, const char *path)
{
	struct tw_reader *r;
	struct tw_packet pkt;

	assert_int_equal(tw_reader_open(&r, path, NULL, 0), 0);
	while (tw_reader_next(r, &pkt) > 0) {
		c->pkts = realloc(c->pkts, (c->n + 1) * sizeof(*c->pkts));
		c->copies = realloc(c->copies, (c->n + 1) * sizeof(uint8_t *));
		assert_non_null(c->pkts);
		assert_non_null(c->copies);
		c->copies[c->n] = malloc(pkt.caplen);
		assert_non_null(c->copies[c->n]);
		memcpy(c->copies[c->n], pkt.data, pkt.caplen);
		c->pkts[c->n] = pkt;
		c->pkts[c->n].data = c->copies[c->n];
		c->n++;
	}
	c->linktype = tw_reader_iface(r, 0)->linktype;
	tw_reader_close(r);
}

/*
 * What came out must be, byte for byte, what a clean run gave, except
 * that payload bytes may be zero instead (a failure may redact more,
 * never less) and the TCP checksum then differs.
 */
static int check_out(struct capture *c, size_t i, const struct tw_out *o)
{
	struct tw_decoded d;
	uint32_t cks = UINT32_MAX, pay = 0;

	if (o->caplen != c->pkts[i].caplen)
		return -1;
	if (!c->clean) /* this is the clean run */
		return 0;
	if (tw_decode(o->data, o->caplen, c->linktype, &d) && d.ip.proto == 6) {
		pay = d.payload_off;
		cks = d.payload_off - d.l4_hlen + 16;
	}
	for (uint32_t b = 0; b < o->caplen; b++) {
		if (o->data[b] == c->clean[i][b] || b == cks || b == cks + 1 ||
		    (b >= pay && o->data[b] == 0))
			continue;
		print_error("packet %zu byte %u: %02x, clean run %02x, "
		            "input %02x\n",
		            i, b, o->data[b], c->clean[i][b],
		            c->pkts[i].data[b]);
		return -1;
	}
	return 0;
}

static int drain(struct tw_session *s, struct capture *c, size_t *out,
                 uint8_t **keep)
{
	struct tw_out o;
	int rc, err = 0;

	while ((rc = tw_session_pop(s, &o)) != 0) {
		if (rc < 0)
			err = rc; /* the packet still comes out, zeroed */
		if (*out >= c->n || check_out(c, *out, &o) < 0)
			fail_msg("allocation %lu: packet %zu out of order or "
			         "less redacted",
			         fail_at, *out);
		if (keep) {
			keep[*out] = __real_malloc(o.caplen);
			memcpy(keep[*out], o.data, o.caplen);
		}
		(*out)++;
	}
	return err;
}

static int redact_run(struct capture *c, uint8_t **keep)
{
	struct tw_session_cfg cfg = { .l7 = c->devnull };
	struct tw_redactor *r;
	struct tw_session *s;
	struct tw_errbuf eb;
	size_t out = 0;
	int rc, err = 0;

	rc = tw_redactor_new(&r, &c->pol, c->key, &eb);
	if (rc < 0)
		return rc;
	rc = tw_session_new(&s, r, &c->pol, c->key, &cfg, &eb);
	if (rc < 0) {
		tw_redactor_free(r);
		return rc;
	}
	for (size_t i = 0; i < c->n && !err; i++) {
		err = tw_session_push(s, &c->pkts[i], c->linktype);
		rc = drain(s, c, &out, keep);
		err = err ? err : rc;
	}
	tw_session_finish(s);
	rc = drain(s, c, &out, keep);
	err = err ? err : rc;
	if (!err && out != c->n)
		fail_msg("%zu packets in, %zu out", c->n, out);
	tw_session_free(s);
	tw_redactor_free(r);
	return err;
}

/* A run is sound when it reported an error or, having absorbed the
 * failure by zeroing (fail closed), still passed check_out. */
static int redact_op(void *arg)
{
	struct capture *c = arg;
	int rc = redact_run(c, NULL);

	return rc < 0 ? rc : failed ? TW_ENOMEM : 0;
}

static void redact_file(const char *path)
{
	struct capture c = { 0 };
	struct tw_errbuf eb;
	uint8_t raw[32] = { 9, 8, 7 };

	load_capture(&c, path);
	assert_int_equal(tw_key_from_bytes(&c.key, raw, sizeof(raw), &eb), 0);
	assert_int_equal(tw_policy_default(&c.pol, &eb), 0);
	c.devnull = fopen("/dev/null", "w");
	assert_non_null(c.devnull);
	{
		uint8_t **clean = calloc(c.n, sizeof(*clean));

		assert_non_null(clean);
		assert_int_equal(redact_run(&c, clean), 0);
		c.clean = clean;
	}
	assert_true(sweep(redact_op, &c, path) > 0);
	for (size_t i = 0; i < c.n; i++) {
		free(c.clean[i]);
		free(c.copies[i]);
	}
	free(c.clean);
	free(c.copies);
	free(c.pkts);
	fclose(c.devnull);
	tw_key_free(c.key);
}

/* HTTP/2 (h2c, prior knowledge) and HTTP/1.1 over IPv6. */
static void test_redact_session(void **state)
{
	(void)state;
	redact_file(CORPUS "public/arkime-http2-nghttp2.pcap");
	redact_file(CORPUS "generated/rest-h1-ipv6.pcap");
}

/* --- the L7 trace reader ------------------------------------------ */

static const char l7_text[] =
        "{\"v\":1,\"conn\":7,\"stream\":1,\"start_ns\":2000,"
        "\"method\":\"POST\",\"scheme\":\"http\",\"authority\":\"api.x\","
        "\"path\":\"/corpus.Users/GetUser\",\"request\":{\"headers\":"
        "[[\":method\",\"POST\"],[\"content-type\",\"application/grpc\"],"
        "[\"x-a\",\"b\"]],\"body\":{\"encoding\":\"base64\","
        "\"data\":\"AAAAAAIIAQ==\"}},\"response\":{\"status\":200},"
        "\"grpc_status\":\"5\"}\n"
        "\n"
        "{\"v\":1,\"conn\":8,\"start_ns\":1000,\"method\":\"PUT\","
        "\"path\":\"/v1/u\",\"request\":{\"body\":{\"encoding\":\"utf8\","
        "\"data\":\"{}\"}}}\n";

static int l7_load(void *arg)
{
	struct tw_l7_trace t = { 0 };
	struct tw_errbuf eb;
	int rc = tw_l7_trace_load(&t, arg, &eb);

	/* A line lost to the failure but skipped as malformed is a failure
	 * unreported: sweep() says so, as rc is then 0. */
	if (!rc && (t.n != 2 || t.bad) && !failed)
		rc = TW_EINTERNAL;
	tw_l7_trace_free(&t);
	return rc;
}

static void test_l7_trace(void **state)
{
	FILE *f = fopen(tmp_path, "w");

	(void)state;
	assert_non_null(f);
	assert_int_equal(fputs(l7_text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_true(sweep(l7_load, tmp_path, "l7 trace") > 0);
	unlink(tmp_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_redact_session),
		cmocka_unit_test(test_l7_trace),
	};

	tw_log_set_sink(quiet, NULL);
	snprintf(tmp_path, sizeof(tmp_path), "/tmp/tw-allocfail-%d",
	         (int)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
