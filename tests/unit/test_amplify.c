/*
 * test_amplify.c - flow selection, client detection and address shifts
 * of amplified copies, with checksums recomputed from scratch.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pktbuild.h"
#include "replay/amplify.h"
#include "trace/packet.h"

static struct pkt_spec tcp4(const char *src, const char *dst, uint16_t sport,
                            uint16_t dport)
{
	struct pkt_spec s = { .version = 4,
		              .proto = 6,
		              .sport = sport,
		              .dport = dport,
		              .payload = 10 };

	inet_pton(AF_INET, src, s.src);
	inet_pton(AF_INET, dst, s.dst);
	return s;
}

static void test_parse(void **state)
{
	static const struct {
		const char *spec, *filter;
		int rc;
		uint32_t n;
	} t[] = {
		{ "tcp port 443*5", "tcp port 443", 0, 5 },
		{ "udp*1", "udp", 0, 1 },
		{ "ip[2:2] * 2 > 100*3", "ip[2:2] * 2 > 100", 0, 3 },
		{ "tcp", NULL, TW_EINVAL, 0 },
		{ "*4", NULL, TW_EINVAL, 0 },
		{ "tcp*0", NULL, TW_EINVAL, 0 },
		{ "tcp*-2", NULL, TW_EINVAL, 0 },
		{ "tcp*2x", NULL, TW_EINVAL, 0 },
		{ "tcp*99999999", NULL, TW_EINVAL, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char buf[64];
		const char *filter = NULL;
		uint32_t n = 0;

		snprintf(buf, sizeof(buf), "%s", t[i].spec);
		if (tw_amp_parse(buf, &filter, &n) != t[i].rc)
			fail_msg("'%s': wrong status", t[i].spec);
		if (t[i].rc)
			continue;
		assert_string_equal(filter, t[i].filter);
		assert_int_equal(n, t[i].n);
	}
}

/* Sends pkt through the amplifier; returns the copies' client address
 * (last octets) in out[]. */
static uint32_t amplify(struct tw_amp *a, struct pkt_spec *s, uint64_t loop,
                        uint32_t *out, int *client)
{
	struct tw_amp_verdict v;
	struct tw_errbuf eb;
	struct tw_decoded d;
	uint8_t buf[256];
	uint32_t len = pkt_build(s, buf);

	assert_true(tw_decode(buf, len, TW_LINK_ETHERNET, &d));
	assert_int_equal(tw_amp_classify(a, buf, len, len, TW_LINK_ETHERNET, &d,
	                                 &v, &eb),
	                 0);
	*client = v.client;
	for (uint32_t j = 0; j < v.copies; j++) {
		uint8_t copy[256];

		memcpy(copy, buf, len);
		assert_true(tw_amp_apply(copy, len, &d, v.client,
		                         tw_amp_shift(a, loop, j)));
		assert_true(pkt_cksums_ok(copy, len));
		out[j] = (uint32_t)get16(copy + 26 + 4 * v.client + 2);
	}
	return v.copies;
}

static void test_flows(void **state)
{
	struct tw_amp_cfg cfg = { "tcp dst port 443", 3, false };
	struct tw_amp *a;
	struct tw_errbuf eb;
	struct pkt_spec s;
	uint32_t got[8];
	int client;

	(void)state;
	assert_int_equal(tw_amp_new(&a, &cfg, &eb), 0);

	/* The reply comes first and does not match; the flow is not yet
	 * amplified.  Then the client's packet matches, and from then on
	 * both directions are copied, the client shifted each time. */
	s = tcp4("198.18.9.9", "198.18.0.1", 443, 40000);
	assert_int_equal(amplify(a, &s, 0, got, &client), 1);
	s = tcp4("198.18.0.1", "198.18.9.9", 40000, 443);
	assert_int_equal(amplify(a, &s, 0, got, &client), 3);
	/* The first packet's sender (the server here) is the client. */
	assert_int_equal(client, 1);
	assert_int_equal(got[0], 0x0909);
	assert_int_equal(got[1], 0x0a09);
	assert_int_equal(got[2], 0x0b09);
	s = tcp4("198.18.9.9", "198.18.0.1", 443, 40000);
	assert_int_equal(amplify(a, &s, 0, got, &client), 3);
	assert_int_equal(client, 0);
	assert_int_equal(got[2], 0x0b09);

	/* Another flow, not matching. */
	s = tcp4("198.18.0.2", "198.18.9.9", 40001, 80);
	assert_int_equal(amplify(a, &s, 0, got, &client), 1);
	assert_int_equal(client, 0);
	assert_int_equal(tw_amp_flows(a), 2);
	tw_amp_free(a);
}

static void test_unique_ip(void **state)
{
	struct tw_amp_cfg cfg = { "udp", 2, true };
	struct tw_amp *a;
	struct tw_errbuf eb;
	struct pkt_spec s = tcp4("198.18.0.1", "198.18.9.9", 40000, 443);
	uint32_t got[8];
	int client;

	(void)state;
	assert_int_equal(tw_amp_new(&a, &cfg, &eb), 0);
	assert_int_equal(amplify(a, &s, 0, got, &client), 1);
	assert_int_equal(got[0], 0x0001);
	assert_int_equal(amplify(a, &s, 3, got, &client), 1);
	assert_int_equal(got[0], 0x0601); /* loop 3 * N 2 */
	s.proto = 17;
	assert_int_equal(amplify(a, &s, 1, got, &client), 2);
	assert_int_equal(got[0], 0x0201);
	assert_int_equal(got[1], 0x0301);
	tw_amp_free(a);

	cfg.filter = "no such thing";
	assert_int_equal(tw_amp_new(&a, &cfg, &eb), TW_EINVAL);
	assert_null(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_unique_ip),
	};

	return cmocka_run_group_tests_name("amplify", tests, NULL, NULL);
}
