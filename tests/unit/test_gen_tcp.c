/*
 * test_gen_tcp.c - generated TCP conversations read back with the
 * project's decoder: handshake, data and FIN in order, sequence numbers
 * contiguous, every ACK within what the peer sent, checksums valid (as
 * libnet computed them), time never going back; with loss, each lost
 * segment is sent again.  Also the libnet UDP and IPv6 stacks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tools/generate/pkt.h"
#include "tools/generate/tcp.h"
#include "trace/cksum.h"
#include "trace/decode.h"
#include "trace/packet.h"

static const struct tw_gen_ep cli4 = {
	0, { 198, 18, 0, 1 }, { 2, 0, 0, 0, 0, 1 }, 40000
};
static const struct tw_gen_ep srv4 = {
	0, { 198, 19, 0, 1 }, { 2, 0, 0, 0, 0, 2 }, 8080
};

struct side {
	uint32_t isn, next; /* first sequence number, next expected */
	uint64_t data, segs, retrans;
	int syn, fin;
};

static void check_cksum(const uint8_t *p, const struct tw_decoded *d)
{
	const uint8_t *ip = p + d->ip.l3_off;
	const uint8_t *l4 = p + d->ip.l4_off;
	size_t l4len = d->l4_hlen + d->payload_len;
	int alen = d->ip.version == 6 ? 16 : 4, aoff = alen == 16 ? 8 : 12;
	int f = tw_cksum_l4_field(d->ip.proto);

	if (d->ip.version == 4)
		assert_int_equal((ip[10] << 8 | ip[11]),
		                 tw_cksum_ipv4(ip, d->ip.l3_hlen));
	assert_int_equal((l4[f] << 8 | l4[f + 1]),
	                 tw_cksum_l4(d->ip.version, ip + aoff, ip + aoff + alen,
	                             d->ip.proto, l4, l4len));
}

/* Walks the queue; side[0] is the client. */
static void walk(struct tw_gen_q *q, struct side *s)
{
	int64_t last = 0;

	memset(s, 0, 2 * sizeof(*s));
	for (size_t i = q->head; i < q->n; i++) {
		const struct tw_gen_pkt *p = &q->v[i];
		const uint8_t *data = tw_gen_q_data(q, i);
		struct tw_decoded d;
		struct side *me, *peer;

		assert_true(tw_decode(data, p->len, TW_LINK_ETHERNET, &d));
		assert_int_equal(d.ip.proto, TW_IPPROTO_TCP);
		check_cksum(data, &d);
		assert_true(p->ts_ns >= last);
		last = p->ts_ns;
		me = &s[d.sport == 8080];
		peer = &s[d.sport != 8080];
		if (d.tcp_flags & TW_TCP_SYN) {
			me->isn = d.tcp_seq;
			me->next = d.tcp_seq + 1;
			me->syn = 1;
			continue;
		}
		assert_true(me->syn && peer->syn);
		/* An ACK never acknowledges what the peer did not send. */
		assert_true((int32_t)(d.tcp_ack - peer->next) <= 0 ||
		            (peer->fin && d.tcp_ack == peer->next));
		if (d.payload_len) {
			uint32_t end = d.tcp_seq + d.payload_len;

			/* Ahead of what came before: a gap, when the
			 * segment before was lost on its way here. */
			if ((int32_t)(end - me->next) > 0) {
				me->data += end - me->next;
				me->next = end;
				me->segs++;
			} else {
				me->retrans++; /* sent again or reordered */
			}
		}
		if (d.tcp_flags & TW_TCP_FIN) {
			assert_int_equal(d.tcp_seq, me->next);
			me->next++;
			me->fin = 1;
		}
	}
}

static void converse(double loss, struct side *s, uint64_t *retrans)
{
	struct tw_gen_net net = { .rtt_ns = 1000000,
		                  .ack_delay_ns = 40000,
		                  .loss = loss,
		                  .mss = 1460,
		                  .bps = 1000000000ULL };
	static uint8_t data[300000];
	struct tw_gen_builder *b;
	struct tw_gen_rng rng;
	struct tw_gen_q q = { 0 };
	struct tw_gen_conn c = { 0 };
	char err[256];

	assert_int_equal(tw_gen_builder_new(&b, err, sizeof(err)), 0);
	tw_gen_rng_seed(&rng, 5);
	c.net = &net;
	c.rng = &rng;
	c.b = b;
	c.q = &q;
	assert_int_equal(tw_gen_tcp_open(&c, &cli4, &srv4, 1000), 0);
	assert_int_equal(tw_gen_tcp_send(&c, TW_C2S, data, 50000, 0), 0);
	assert_int_equal(tw_gen_tcp_send(&c, TW_S2C, data, sizeof(data), 5), 0);
	assert_int_equal(tw_gen_tcp_send(&c, TW_C2S, data, 1, 5), 0);
	assert_int_equal(tw_gen_tcp_close(&c, TW_C2S, 5), 0);
	walk(&q, s);
	*retrans = c.retrans;
	tw_gen_q_free(&q);
	tw_gen_builder_free(b);
}

static void test_clean_conversation(void **state)
{
	struct side s[2];
	uint64_t retrans;

	(void)state;
	converse(0.0, s, &retrans);
	assert_int_equal(s[0].data, 50001);
	assert_int_equal(s[1].data, 300000);
	assert_int_equal(s[1].segs, (300000 + 1459) / 1460);
	assert_true(s[0].fin && s[1].fin);
	assert_int_equal(s[0].retrans + s[1].retrans + retrans, 0);
}

static void test_loss(void **state)
{
	struct side s[2];
	uint64_t retrans;

	(void)state;
	converse(0.05, s, &retrans);
	assert_int_equal(s[0].data, 50001);
	assert_int_equal(s[1].data, 300000);
	assert_true(retrans > 0);
	/* Each loss shows one segment behind the highest sequence seen
	 * (reordering is off). */
	assert_int_equal(s[0].retrans + s[1].retrans, retrans);
}

static void test_udp_ipv6(void **state)
{
	struct tw_gen_ep a = cli4, z = srv4;
	struct tw_gen_builder *b;
	struct tw_gen_q q = { 0 };
	struct tw_decoded d;
	char err[256];

	(void)state;
	a.v6 = z.v6 = 1;
	memcpy(a.addr, "\x20\x01\x0d\xb8\0\1\0\0\0\0\0\0\0\0\0\1", 16);
	memcpy(z.addr, "\x20\x01\x0d\xb8\0\2\0\0\0\0\0\0\0\0\0\1", 16);
	assert_int_equal(tw_gen_builder_new(&b, err, sizeof(err)), 0);
	assert_int_equal(tw_gen_build_udp(b, &q, 1, &a, &z, 0,
	                                  (const uint8_t *)"hello", 5),
	                 0);
	assert_int_equal(tw_gen_build_udp(b, &q, 2, &cli4, &srv4, 7,
	                                  (const uint8_t *)"hi", 2),
	                 0);
	assert_int_equal(q.v[0].len, tw_gen_udp_overhead(1) + 5);
	assert_true(tw_decode(tw_gen_q_data(&q, 0), q.v[0].len,
	                      TW_LINK_ETHERNET, &d));
	assert_int_equal(d.ip.version, 6);
	assert_int_equal(d.payload_len, 5);
	check_cksum(tw_gen_q_data(&q, 0), &d);
	assert_true(tw_decode(tw_gen_q_data(&q, 1), q.v[1].len,
	                      TW_LINK_ETHERNET, &d));
	assert_int_equal(d.ip.version, 4);
	assert_int_equal(d.dport, 8080);
	check_cksum(tw_gen_q_data(&q, 1), &d);
	tw_gen_q_free(&q);
	tw_gen_builder_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_conversation),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_udp_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
