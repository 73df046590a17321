/*
 * test_bpf.c - BPF filters on Ethernet, BSD loopback (with another
 * system's address families) and raw IP packets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pktbuild.h"
#include "replay/bpf.h"
#include "trace/packet.h"

static uint32_t build(int version, uint8_t proto, uint8_t *buf)
{
	struct pkt_spec s = { .version = version,
		              .proto = proto,
		              .src = { 198, 18, 0, 1 },
		              .dst = { 198, 18, 0, 2 },
		              .sport = 1234,
		              .dport = 53,
		              .payload = 4 };

	return pkt_build(&s, buf);
}

static void test_linktypes(void **state)
{
	static const struct {
		const char *expr;
		int version;
		uint8_t proto;
		uint32_t linktype;
		int want;
	} t[] = {
		{ "udp port 53", 4, 17, TW_LINK_ETHERNET, 1 },
		{ "tcp", 4, 17, TW_LINK_ETHERNET, 0 },
		{ "ip6 and tcp", 6, 6, TW_LINK_ETHERNET, 1 },
		/* macOS loopback: AF_INET6 is 30, written little-endian */
		{ "ip6 and tcp", 6, 6, TW_LINK_NULL, 1 },
		{ "tcp", 6, 6, TW_LINK_NULL, 1 },
		{ "udp", 6, 6, TW_LINK_NULL, 0 },
		{ "udp and dst port 53", 4, 17, TW_LINK_RAW, 1 },
		{ "ether host 02:00:00:00:00:01", 4, 17, TW_LINK_RAW,
		  TW_EINVAL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tw_bpf *b;
		struct tw_errbuf eb;
		uint8_t buf[256], *p = buf + 14;
		uint32_t len = build(t[i].version, t[i].proto, buf) - 14;
		int got;

		if (t[i].linktype == TW_LINK_ETHERNET) {
			p = buf;
			len += 14;
		} else if (t[i].linktype == TW_LINK_NULL) {
			p = buf + 10;
			len += 4;
			memcpy(p, t[i].version == 6 ? "\x1e\0\0\0" : "\2\0\0\0",
			       4);
		}
		assert_int_equal(tw_bpf_new(&b, t[i].expr, &eb), 0);
		got = tw_bpf_match(b, t[i].linktype, p, len, len, &eb);
		if (got != t[i].want)
			fail_msg("'%s' on link type %u: %d", t[i].expr,
			         t[i].linktype, got);
		tw_bpf_free(b);
	}
}

static void test_errors(void **state)
{
	struct tw_bpf *b = NULL;
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(tw_bpf_new(&b, "tcp port", &eb), TW_EINVAL);
	assert_null(b);
	assert_non_null(strstr(eb.msg, "tcp port"));
	assert_int_equal(tw_bpf_new(&b, "udp", &eb), 0);
	assert_string_equal(tw_bpf_expr(b), "udp");
	tw_bpf_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linktypes),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("bpf", tests, NULL, NULL);
}
