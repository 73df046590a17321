/*
 * test_policy.c - the policy schema: defaults, every field, every error
 * with its position, keep ranges, and the hash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "redact/policy.h"
#include "trace/yamldoc.h"

static struct tw_policy pol;

static int parse(const char *text, struct tw_errbuf *eb)
{
	return tw_policy_parse(&pol, "p.yaml", text, strlen(text), eb);
}

static void test_builtin_equals_shipped_file(void **state)
{
	struct tw_errbuf eb;
	char *buf;
	size_t len;
	uint8_t hash[32];

	(void)state;
	assert_int_equal(tw_ydoc_read_file("config/policy-default.yaml", &buf,
	                                   &len, &eb),
	                 0);
	assert_int_equal(len, strlen(tw_policy_default_yaml));
	assert_memory_equal(buf, tw_policy_default_yaml, len);
	free(buf);
	assert_int_equal(
	        tw_policy_load(&pol, "config/policy-default.yaml", &eb), 0);
	memcpy(hash, pol.hash, 32);
	assert_int_equal(tw_policy_default(&pol, &eb), 0);
	assert_memory_equal(hash, pol.hash, 32);
	assert_string_equal(pol.name, "built-in default");
}

static void test_default_is_strict(void **state)
{
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(tw_policy_default(&pol, &eb), 0);
	assert_int_equal(pol.grpc_gzip_max, TW_POLICY_GZIP_MAX_DEFAULT);
	assert_int_equal(pol.special, TW_POL_SPECIAL_KEEP_CLASS);
	assert_int_equal(pol.nkeep, 0);
	assert_int_equal(pol.mac, TW_POL_MAC_PSEUDONYMIZE);
	assert_int_equal(pol.tcp_ts, TW_POL_TS_SHIFT);
	assert_int_equal(pol.payload, TW_POL_PAYLOAD_ZERO);
	assert_int_equal(pol.nkeep_ports, 0);
	assert_int_equal(pol.sni, TW_POL_SNI_ZERO);
	assert_true(tw_policy_bit(pol.tls_port, 443));
	assert_false(tw_policy_bit(pol.tls_port, 80));
	for (int p = 0; p < 65536; p++)
		assert_false(tw_policy_bit(pol.keep_port, (uint16_t)p));
}

static void test_minimal_gets_strict_defaults(void **state)
{
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(parse("version: 1\n", &eb), 0);
	assert_int_equal(pol.payload, TW_POL_PAYLOAD_ZERO);
	assert_int_equal(pol.sni, TW_POL_SNI_ZERO);
	assert_true(tw_policy_bit(pol.tls_port, 8443));
	assert_string_equal(pol.name, "p.yaml");
}

static void test_every_field(void **state)
{
	struct tw_errbuf eb;
	static const uint8_t in4[4] = { 192, 0, 2, 77 };
	static const uint8_t out4[4] = { 192, 0, 3, 1 };
	static const uint8_t in6[16] = { 0x20, 0x01, 0x0d, 0xb8, 9 };
	static const uint8_t in6b[16] = { 0x20, 0x01, 0x0d, 0xb9 };
	static const uint8_t host[4] = { 10, 1, 2, 3 };

	(void)state;
	assert_int_equal(parse("version: 1\n"
	                       "addresses:\n"
	                       "  special: pseudonymize\n"
	                       "  keep: [192.0.2.0/24, '2001:db8::/32', "
	                       "10.1.2.3]\n"
	                       "mac: {action: keep}\n"
	                       "tcp: {timestamps: zero}\n"
	                       "payload:\n"
	                       "  action: truncate\n"
	                       "  keep_ports: [53, 123]\n"
	                       "tls:\n"
	                       "  records: zero\n"
	                       "  server_name: pseudonymize\n"
	                       "  ports: [4433]\n"
	                       "http: {grpc_gzip_max: 65536}\n",
	                       &eb),
	                 0);
	assert_int_equal(pol.grpc_gzip_max, 65536);
	assert_int_equal(pol.special, TW_POL_SPECIAL_PSEUDONYMIZE);
	assert_int_equal(pol.nkeep, 3);
	assert_true(tw_policy_keeps_addr(&pol, 4, in4));
	assert_false(tw_policy_keeps_addr(&pol, 4, out4));
	assert_true(tw_policy_keeps_addr(&pol, 4, host));
	assert_true(tw_policy_keeps_addr(&pol, 6, in6));
	assert_false(tw_policy_keeps_addr(&pol, 6, in6b));
	assert_false(tw_policy_keeps_addr(&pol, 6, in4));
	assert_int_equal(pol.mac, TW_POL_MAC_KEEP);
	assert_int_equal(pol.tcp_ts, TW_POL_TS_ZERO);
	assert_int_equal(pol.payload, TW_POL_PAYLOAD_TRUNCATE);
	assert_int_equal(pol.nkeep_ports, 2);
	assert_true(tw_policy_bit(pol.keep_port, 53));
	assert_true(tw_policy_bit(pol.keep_port, 123));
	assert_false(tw_policy_bit(pol.keep_port, 54));
	assert_int_equal(pol.tls_records, TW_POL_TLS_ZERO);
	assert_int_equal(pol.sni, TW_POL_SNI_PSEUDONYMIZE);
	assert_true(tw_policy_bit(pol.tls_port, 4433));
	assert_false(tw_policy_bit(pol.tls_port, 443));
}

static void test_errors_with_positions(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "", "p.yaml: empty policy" },
		{ "- 1\n", "p.yaml:1:1: 'policy' must be a mapping" },
		{ "version: 2\n", "p.yaml:1:10: 'version' must be an integer "
		                  "from 1 to 1" },
		{ "addresses: {}\n", "p.yaml: 'version' is missing" },
		{ "version: \"1\"\n", "p.yaml:1:10: 'version' is the number 1, "
		                      "not the string \"1\"" },
		{ "version: 1\n\n# caf\xc3\xa9 \xff\n",
		  "p.yaml:3:8: invalid leading UTF-8 octet" },
		{ "version: 1\nmac: {action: keep}\nmack: 1\n",
		  "p.yaml:3:1: unknown key 'mack' in 'policy'" },
		{ "version: 1\naddresses:\n  keep: []\n  mood: x\n",
		  "p.yaml:4:3: unknown key 'mood' in 'addresses'" },
		{ "version: 1\naddresses:\n  keep: [10.0.0.0/33]\n",
		  "p.yaml:3:10: '10.0.0.0/33' is not an address range" },
		{ "version: 1\naddresses:\n  keep: [10.0.0.1/8]\n",
		  "p.yaml:3:10: '10.0.0.1/8' is not" },
		{ "version: 1\naddresses:\n  keep: 10.0.0.0/8\n",
		  "p.yaml:3:9: 'keep' must be a sequence" },
		{ "version: 1\naddresses: {special: hide}\n",
		  "p.yaml:2:22: 'special' must be one of keep-class, "
		  "pseudonymize, not 'hide'" },
		{ "version: 1\npayload:\n  keep_ports: [0]\n",
		  "p.yaml:3:16: 'keep_ports' must be an integer from 1 to "
		  "65535, not '0'" },
		{ "version: 1\npayload:\n  keep_ports: [http]\n",
		  "p.yaml:3:16: 'keep_ports' must be" },
		{ "version: 1\ntcp: {timestamps: scramble}\n",
		  "p.yaml:2:19: 'timestamps' must be one of" },
		{ "version: 1\ntls: {sni: zero}\n",
		  "p.yaml:2:7: unknown key 'sni' in 'tls'" },
		{ "version: 1\ntls: [1]\n", "p.yaml:2:6: 'tls' must be a "
		                            "mapping" },
		{ "version: 1\nversion: 1\n", "p.yaml:2:1: duplicate key" },
		{ "version: 1\nkey: 00112233\n",
		  "p.yaml:2:1: unknown key 'key' in 'policy'" },
		{ "version: 1\nhttp: {grpc_gzip_max: 0}\n",
		  "p.yaml:2:23: 'grpc_gzip_max' must be an integer from 1 to "
		  "1073741824, not '0'" },
		{ "version: 1\nhttp: {grpc_gzip_max: 2G}\n",
		  "p.yaml:2:23: 'grpc_gzip_max' must be an integer" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tw_errbuf eb = { "" };

		assert_true(parse(cases[i].text, &eb) < 0);
		if (strncmp(eb.msg, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("case %zu: '%s' does not start with '%s'", i,
			         eb.msg, cases[i].msg);
	}
}

/* What keeps everything is warned about; the default keeps nothing. */
static void test_warnings(void **state)
{
	char w[4][TW_POLICY_WARN_MAX];
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(tw_policy_default(&pol, &eb), 0);
	assert_int_equal(tw_policy_warnings(&pol, w, 4), 0);
	assert_int_equal(parse("version: 1\naddresses:\n  keep: [10.0.0.0/8, "
	                       "\"::/0\"]\npayload: {keep_ports: [80, 53]}\n",
	                       &eb),
	                 0);
	assert_int_equal(tw_policy_warnings(&pol, w, 4), 2);
	assert_non_null(strstr(w[0], "'keep' holds ::/0"));
	assert_non_null(strstr(w[1], "payload of 2 ports"));
	assert_int_equal(
	        parse("version: 1\naddresses: {keep: [0.0.0.0/0]}\n", &eb), 0);
	assert_int_equal(tw_policy_warnings(&pol, w, 1), 1);
	assert_non_null(strstr(w[0], "'keep' holds 0.0.0.0/0"));
	/* A kept header whose values no grammar checks (issue 5). */
	assert_int_equal(parse("version: 1\nhttp:\n  keep_headers: [te, "
	                       "x-request-id]\n",
	                       &eb),
	                 0);
	assert_int_equal(tw_policy_warnings(&pol, w, 4), 1);
	assert_non_null(strstr(w[0], "keeps 'x-request-id' as sent"));
}

static void test_hash_is_of_the_bytes(void **state)
{
	struct tw_errbuf eb;
	uint8_t h1[32];

	(void)state;
	assert_int_equal(parse("version: 1\n", &eb), 0);
	memcpy(h1, pol.hash, 32);
	/* printf 'version: 1\n' | sha256sum */
	assert_string_equal(pol.hash_hex, "09bfcc6a14b83e2192b8673677725c84"
	                                  "883ee9cd0c70e45c9ec09daa8f2b2847");
	assert_int_equal(parse("version: 1\n", &eb), 0);
	assert_memory_equal(h1, pol.hash, 32);
	assert_int_equal(parse("version: 1 # same meaning\n", &eb), 0);
	assert_memory_not_equal(h1, pol.hash, 32);
}

static void test_missing_file(void **state)
{
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(tw_policy_load(&pol, "/nonexistent/p.yaml", &eb),
	                 TW_EIO);
	assert_non_null(strstr(eb.msg, "/nonexistent/p.yaml"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_equals_shipped_file),
		cmocka_unit_test(test_default_is_strict),
		cmocka_unit_test(test_minimal_gets_strict_defaults),
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_errors_with_positions),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_hash_is_of_the_bytes),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
