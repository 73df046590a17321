/*
 * test_gen_generate.c - the generator end to end, in process: the same
 * profile and seed give the same bytes, another seed other bytes; the
 * counts asked for are the counts made; limits stop new sessions; every
 * packet decodes, in time order; a missing secrets file is an error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/generate/gen.h"
#include "trace/decode.h"
#include "trace/reader.h"

static struct tw_gen_profile *profile(const char *text)
{
	struct tw_gen_profile *p;
	struct tw_errbuf eb;

	if (tw_gen_profile_parse(&p, "t.yaml", text, strlen(text), &eb))
		fail_msg("parse: %s", eb.msg);
	return p;
}

/* Generates p with o into a temporary file; returns its bytes. */
static uint8_t *run_opts(const struct tw_gen_profile *p,
                         const struct tw_gen_opts *o, struct tw_gen_stats *st,
                         size_t *len)
{
	char path[] = "/tmp/tw-gen-XXXXXX";
	int fd = mkstemp(path);
	struct tw_writer *w;
	struct tw_errbuf eb;
	char msg[256];
	uint8_t *buf;
	FILE *f;
	long n;

	assert_true(fd >= 0);
	assert_int_equal(tw_writer_open_fd(&w, fd, path, TW_OUT_PCAPNG, msg,
	                                   sizeof(msg)),
	                 0);
	if (tw_gen_run(p, o, w, st, &eb))
		fail_msg("run: %s", eb.msg);
	assert_int_equal(tw_writer_close(w, msg, sizeof(msg)), 0);
	f = fdopen(fd, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(path);
	*len = (size_t)n;
	return buf;
}

static uint8_t *run(const struct tw_gen_profile *p, uint64_t seed,
                    struct tw_gen_stats *st, size_t *len)
{
	struct tw_gen_opts o = { .seed = seed };

	return run_opts(p, &o, st, len);
}

static void test_same_seed_same_bytes(void **state)
{
	struct tw_gen_profile *p = profile(
	        "version: 1\nlimit: {sessions: 12}\naddresses: {ipv6: 0.5}\n"
	        "sessions: [{kind: h2}, {kind: grpc, streaming: 0.5}, "
	        "{kind: rest}, {kind: dns}, {kind: flood, requests: 50}, "
	        "{kind: upload, size: 100k, chunk: 30k}]\n");
	struct tw_gen_stats a, b, c;
	size_t la, lb, lc;
	uint8_t *fa = run(p, 1, &a, &la), *fb = run(p, 1, &b, &lb);
	uint8_t *fc = run(p, 2, &c, &lc);

	(void)state;
	assert_int_equal(la, lb);
	assert_memory_equal(fa, fb, la);
	assert_true(la != lc || memcmp(fa, fc, la) != 0);
	assert_int_equal(a.sessions, 12);
	assert_int_equal(a.packets, b.packets);
	free(fa);
	free(fb);
	free(fc);
	tw_gen_profile_free(p);
}

/* Templates patched per packet give the bytes libnet gives for each. */
static void test_templates_match_libnet(void **state)
{
	struct tw_gen_profile *p = profile(
	        "version: 1\nlimit: {sessions: 30}\naddresses: {ipv6: 0.5}\n"
	        "network: {loss: 0.01, reorder: 0.01}\n"
	        "sessions: [{kind: h2}, {kind: grpc, streaming: 0.5}, "
	        "{kind: rest}, {kind: dns}, {kind: flood, requests: 50}, "
	        "{kind: upload, size: 100k, chunk: 30k}]\n");
	struct tw_gen_opts fast = { .seed = 3 }, slow = { .seed = 3 };
	struct tw_gen_stats a, b;
	size_t la, lb;
	uint8_t *fa, *fb;

	(void)state;
	slow.libnet_every_packet = true;
	fa = run_opts(p, &fast, &a, &la);
	fb = run_opts(p, &slow, &b, &lb);
	assert_true(a.packets > 1000);
	assert_int_equal(la, lb);
	assert_memory_equal(fa, fb, la);
	free(fa);
	free(fb);
	tw_gen_profile_free(p);
}

static void test_counts(void **state)
{
	struct tw_gen_profile *p = profile(
	        "version: 1\nlimit: {sessions: 5}\n"
	        "sessions:\n"
	        "  - {kind: grpc, requests: 3, streaming: 1, messages: 4}\n");
	struct tw_gen_stats st;
	size_t len;
	uint8_t *f = run(p, 9, &st, &len);

	(void)state;
	assert_int_equal(st.sessions, 5);
	assert_int_equal(st.connections, 5);
	assert_int_equal(st.grpc_calls, 15);
	assert_int_equal(st.h2_streams, 15);
	assert_int_equal(st.grpc_messages, 15 * 5);
	assert_int_equal(st.retransmissions, 0);
	free(f);
	tw_gen_profile_free(p);
}

/* Limits stop new sessions; the sessions in progress finish. */
static void test_packet_limit(void **state)
{
	struct tw_gen_profile *p =
	        profile("version: 1\nlimit: {packets: 1000}\n"
	                "rate: {per_sec: 10}\n"
	                "sessions: [{kind: flood, requests: 300, pps: 10k}]\n");
	struct tw_gen_stats st;
	size_t len;
	uint8_t *f = run(p, 1, &st, &len);

	(void)state;
	/* Flows of 30 ms, 100 ms apart: three make 900 packets, the
	 * fourth starts and runs to its end. */
	assert_int_equal(st.packets, 1200);
	assert_int_equal(st.sessions, 4);
	assert_int_equal(st.flood_packets, st.packets);
	free(f);
	tw_gen_profile_free(p);
}

static void test_trace_reads_back(void **state)
{
	struct tw_gen_profile *p = profile(
	        "version: 1\nlimit: {duration: 200ms}\nrate: {per_sec: 100}\n"
	        "addresses: {ipv6: 0.3}\n"
	        "sessions: [{kind: h2}, {kind: rest}, {kind: dns}]\n");
	char path[] = "/tmp/tw-gen-XXXXXX";
	int fd = mkstemp(path);
	struct tw_gen_opts o = { .seed = 4 };
	struct tw_gen_stats st;
	struct tw_writer *w;
	struct tw_reader *r;
	struct tw_packet pkt;
	struct tw_errbuf eb;
	char msg[256];
	int64_t last = 0;
	uint64_t n = 0;
	int rc;

	(void)state;
	assert_int_equal(tw_writer_open_fd(&w, fd, path, TW_OUT_PCAP_NS, msg,
	                                   sizeof(msg)),
	                 0);
	assert_int_equal(tw_gen_run(p, &o, w, &st, &eb), 0);
	assert_int_equal(tw_writer_close(w, msg, sizeof(msg)), 0);
	close(fd);
	assert_int_equal(tw_reader_open(&r, path, msg, sizeof(msg)), 0);
	while ((rc = tw_reader_next(r, &pkt)) == 1) {
		struct tw_decoded d;

		assert_true(tw_decode(pkt.data, pkt.caplen, 1, &d));
		assert_true(d.ip.version == 4 || d.ip.version == 6);
		assert_true(pkt.ts_ns >= last);
		last = pkt.ts_ns;
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, st.packets);
	assert_true(st.sessions >= 19 && st.sessions <= 21);
	tw_reader_close(r);
	unlink(path);
	tw_gen_profile_free(p);
}

static void test_missing_secrets(void **state)
{
	struct tw_gen_profile *p =
	        profile("version: 1\nlimit: {sessions: 1}\n"
	                "plants: {file: /nonexistent/secrets.txt}\n"
	                "sessions: [{kind: rest}]\n");
	struct tw_gen_opts o = { .seed = 1 };
	struct tw_gen_stats st;
	struct tw_writer *w;
	struct tw_errbuf eb;
	char msg[256];

	(void)state;
	assert_int_equal(tw_writer_open(&w, "/dev/null", TW_OUT_PCAPNG, msg,
	                                sizeof(msg)),
	                 0);
	assert_int_equal(tw_gen_run(p, &o, w, &st, &eb), TW_EIO);
	assert_non_null(strstr(eb.msg, "/nonexistent/secrets.txt"));
	tw_writer_close(w, msg, sizeof(msg));
	tw_gen_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_bytes),
		cmocka_unit_test(test_templates_match_libnet),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_packet_limit),
		cmocka_unit_test(test_trace_reads_back),
		cmocka_unit_test(test_missing_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
