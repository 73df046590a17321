/*
 * test_gen_profile.c - generator profiles: a full profile parsed into its
 * fields, defaults, the duration and size parsers, and every refusal
 * naming FILE:LINE:COL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tools/generate/gen.h"

static struct tw_gen_profile *parse_ok(const char *text)
{
	struct tw_gen_profile *p;
	struct tw_errbuf eb;

	if (tw_gen_profile_parse(&p, "p.yaml", text, strlen(text), &eb))
		fail_msg("parse failed: %s", eb.msg);
	return p;
}

static void test_full_profile(void **state)
{
	struct tw_gen_profile *p = parse_ok(
	        "version: 1\n"
	        "seed: 99\n"
	        "start: 1700000000\n"
	        "limit: {sessions: 10, duration: 2s}\n"
	        "addresses:\n"
	        "  clients: {ipv4: 198.18.4.0/24, count: 20}\n"
	        "  servers: {ipv6: '2001:db8:9::/64', count: 2}\n"
	        "  ipv6: 0.25\n"
	        "network: {rtt: 3ms, loss: 0.01, mss: 1400, link: 1G}\n"
	        "rate: {curve: ramp, from: 1, to: 50, over: 1m}\n"
	        "plants: {file: /tmp/s.txt, rate: 1}\n"
	        "sessions:\n"
	        "  - kind: grpc\n"
	        "    weight: 2\n"
	        "    requests: {min: 2, max: 4}\n"
	        "    streaming: 0.5\n"
	        "  - kind: upload\n"
	        "    size:\n"
	        "      - {weight: 9, min: 1k, max: 64KiB}\n"
	        "      - {weight: 1, min: 1M, max: 2GiB}\n");

	(void)state;
	assert_int_equal(p->seed, 99);
	assert_true(p->start_ns == 1700000000LL * 1000000000LL);
	assert_int_equal(p->max_sessions, 10);
	assert_true(p->max_duration_ns == 2000000000LL);
	assert_int_equal(p->clients.v4.addr[2], 4);
	assert_int_equal(p->clients.v4.len, 24);
	assert_int_equal(p->clients.count, 20);
	assert_int_equal(p->servers.v6.addr[5], 9);
	assert_true(p->ipv6 == 0.25);
	assert_true(p->net.rtt_ns == 3000000);
	assert_int_equal(p->net.mss, 1400);
	assert_true(p->net.bps == 1000000000ULL);
	assert_int_equal(p->rate.curve, TW_GEN_RAMP);
	assert_true(p->rate.over_ns == 60000000000LL);
	assert_string_equal(p->secrets_file, "/tmp/s.txt");
	assert_int_equal(p->nmix, 2);
	assert_int_equal(p->mix[0].kind, TW_GEN_GRPC);
	assert_int_equal(p->mix[0].port, 50051);
	assert_true(p->mix[0].weight == 2.0);
	assert_int_equal(p->mix[0].requests.tier[0].max, 4);
	assert_int_equal(p->mix[1].kind, TW_GEN_UPLOAD);
	assert_int_equal(p->mix[1].size.n, 2);
	assert_int_equal(p->mix[1].size.tier[0].max, 65536);
	assert_true(p->mix[1].size.tier[1].max == 2ULL << 30);
	tw_gen_profile_free(p);
}

static void test_defaults(void **state)
{
	struct tw_gen_profile *p = parse_ok("version: 1\n"
	                                    "sessions: [{kind: dns}]\n");

	(void)state;
	assert_int_equal(p->clients.v4.addr[0], 198);
	assert_int_equal(p->clients.v4.addr[1], 18);
	assert_int_equal(p->servers.v4.addr[1], 19);
	assert_int_equal(p->clients.v6.addr[3], 0xb8);
	assert_int_equal(p->mix[0].port, 53);
	assert_int_equal(p->net.mss, 1460);
	assert_null(p->secrets_file);
	tw_gen_profile_free(p);
}

/* Other ranges only when asked for. */
static void test_any_range(void **state)
{
	struct tw_gen_profile *p = parse_ok(
	        "version: 1\n"
	        "addresses: {any_range: true, clients: {ipv4: 10.1.0.0/16}}\n"
	        "sessions: [{kind: dns}]\n");

	(void)state;
	assert_true(p->any_range);
	assert_int_equal(p->clients.v4.addr[0], 10);
	tw_gen_profile_free(p);
}

static void test_parsers(void **state)
{
	int64_t ns;
	uint64_t v;

	(void)state;
	assert_true(tw_gen_parse_duration("250ms", &ns) && ns == 250000000);
	assert_true(tw_gen_parse_duration("1.5us", &ns) && ns == 1500);
	assert_true(tw_gen_parse_duration("2", &ns) && ns == 2000000000LL);
	assert_true(tw_gen_parse_duration("1h", &ns) && ns == 3600000000000LL);
	assert_false(tw_gen_parse_duration("fast", &ns));
	assert_false(tw_gen_parse_duration("-1s", &ns));
	assert_false(tw_gen_parse_duration("1 s", &ns));
	assert_true(tw_gen_parse_size("64k", &v) && v == 64000);
	assert_true(tw_gen_parse_size("4KiB", &v) && v == 4096);
	assert_true(tw_gen_parse_size("0", &v) && v == 0);
	assert_false(tw_gen_parse_size("64kb", &v));
	assert_false(tw_gen_parse_size("-3", &v));
	assert_false(tw_gen_parse_size("99999999999999999999", &v));
	assert_false(tw_gen_parse_size("20000000000G", &v));
}

static void test_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} tab[] = {
		{ "", "p.yaml: profile: the file is empty" },
		{ "- 1\n", "p.yaml:1:1: " },
		{ "sessions: [{kind: dns}]\n", "p.yaml:1:1: profile: wants "
		                               "'version: 1'" },
		{ "version: 2\nsessions: [{kind: dns}]\n", "p.yaml:1:10: " },
		{ "version: 1\n", "p.yaml:1:1: profile: wants a 'sessions'" },
		{ "version: 1\nsesions: []\n", "p.yaml:2:1: unknown key "
		                               "'sesions'" },
		{ "version: 1\nsessions: []\n", "p.yaml:2:11: sessions: "
		                                "wants 1 to 16" },
		{ "version: 1\nsessions:\n  - port: 80\n",
		  "p.yaml:3:5: sessions: every entry wants a kind" },
		{ "version: 1\nsessions:\n  - {kind: ftp}\n", "p.yaml:3:12: " },
		{ "version: 1\nsessions:\n  - {kind: h2, port: 70000}\n",
		  "p.yaml:3:22: " },
		{ "version: 1\nsessions:\n  - {kind: h2, requests: lots}\n",
		  "p.yaml:3:26: requests: not a size" },
		{ "version: 1\nsessions:\n"
		  "  - {kind: h2, request_size: {min: 9, max: 3}}\n",
		  "p.yaml:3:44: request_size: max is below min" },
		{ "version: 1\nsessions:\n"
		  "  - {kind: h2, size: [{min: 1}]}\n",
		  "p.yaml:3:23: size: wants min and max" },
		{ "version: 1\nsessions:\n  - {kind: h2, streaming: 2}\n",
		  "p.yaml:3:27: streaming: wanted a number in [0, 1]" },
		{ "version: 1\nnetwork: {loss: 0.9}\nsessions: [{kind: dns}]\n",
		  "p.yaml:2:17: loss" },
		{ "version: 1\nnetwork: {rtt: 5 ms}\nsessions: [{kind: dns}]\n",
		  "p.yaml:2:16: rtt: not a duration" },
		{ "version: 1\naddresses: {clients: {ipv4: 10.1.0.0/16}}\n"
		  "sessions: [{kind: dns}]\n",
		  "p.yaml:2:29: ipv4: must lie inside 198.18.0.0/15" },
		{ "version: 1\naddresses: {servers: {ipv6: '2001:db9::/48'}}\n"
		  "sessions: [{kind: dns}]\n",
		  "p.yaml:2:29: ipv6: must lie inside 2001:db8::/32" },
		{ "version: 1\naddresses: {clients: {ipv4: 198.18.0.0}}\n"
		  "sessions: [{kind: dns}]\n",
		  "p.yaml:2:29: ipv4: wants a prefix" },
		{ "version: 1\naddresses:\n"
		  "  clients: {ipv4: 198.18.0.0/28, count: 100}\n"
		  "sessions: [{kind: dns}]\n",
		  "p.yaml:3:12: clients: count does not fit" },
		{ "version: 1\nrate: {curve: diurnal}\nsessions: [{kind: "
		  "dns}]\n",
		  "p.yaml:2:7: rate: a diurnal curve wants a period" },
		{ "version: 1\nrate: {curve: sine}\nsessions: [{kind: dns}]\n",
		  "p.yaml:2:15: " },
		{ "version: 1\nrate: {per_sec: 0}\nsessions: [{kind: dns}]\n",
		  "p.yaml:2:17: per_sec" },
		{ "version: 1\nplants: {rate: 1, files: x}\n"
		  "sessions: [{kind: dns}]\n",
		  "p.yaml:2:19: unknown key 'files' in 'plants'" },
		{ "version: 1\nlimit: {packets: 0}\nsessions: [{kind: dns}]\n",
		  "p.yaml:2:18: packets: 0 is outside" },
		{ "version: 1\nsessions:\n  - {kind: rest, response_size: "
		  "1G}\n",
		  "p.yaml:3:33: response_size: at most 268435456" },
		{ "version: 1\nsessions:\n  - {kind: upload, chunk: 0}\n",
		  "p.yaml:3:5: chunk: an upload chunk must not be 0" },
	};

	int bad = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		struct tw_gen_profile *p = (void *)1;
		struct tw_errbuf eb = { "" };
		int rc = tw_gen_profile_parse(&p, "p.yaml", tab[i].text,
		                              strlen(tab[i].text), &eb);

		if (rc != TW_EFORMAT || p || !strstr(eb.msg, tab[i].msg)) {
			print_error("case %zu: rc %d, '%s' lacks '%s'\n", i, rc,
			            eb.msg, tab[i].msg);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_profile),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_any_range),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
