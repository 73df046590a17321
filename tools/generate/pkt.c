/*
 * pkt.c - packets through libnet.
 *
 * libnet runs with LIBNET_NONE: it builds packets but opens no socket, so
 * no privilege is needed.  Each header stack (IPv4/IPv6 x TCP/TCP with
 * options/UDP) has its own context whose protocol blocks are built once
 * and then updated in place through their tags, the way libnet intends
 * for packets sent in a loop; libnet_pblock_coalesce() then lays out the
 * frame and computes the IP and transport checksums.  (libnet 1.1.6
 * refuses libnet_adv_cull_packet() outside LIBNET_LINK_ADV, so the
 * coalescing call is used directly.)
 *
 * That costs two copies of the payload and, in libnet_build_ipv4(), an
 * error message formatted on every call (the options block it looks for
 * is not there), which made small frames 7 times slower than needed.  So
 * the packets of a flow (all but SYNs, which carry options) come from a
 * template libnet built once for the flow: the fields that change are
 * patched and the checksums finished from sums taken once (RFC 1071,
 * section 2).  The bytes are the same; the unit tests and
 * --libnet-every-packet check it.
 */
#define _DEFAULT_SOURCE 1
#define HAVE_NET_ETHERNET_H 1
#include <libnet.h>

#include "tools/generate/pkt.h"

#include <stdlib.h>
#include <string.h>

#include "trace/bytes.h"
#include "trace/cksum.h"
#include "trace/error.h"
#include "trace/log.h"

enum { STACK_TCP, STACK_TCP_OPTS, STACK_UDP, STACKS };

struct stack {
	libnet_t *l;
	libnet_ptag_t opts, l4, l3, l2;
};

struct tw_gen_builder {
	struct stack s[2][STACKS]; /* [v6][kind] */
	bool every_packet;
};

uint8_t *tw_gen_q_alloc(struct tw_gen_q *q, int64_t ts_ns, uint32_t len)
{
	if (q->head == q->n)
		q->head = q->n = q->used = 0;
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct tw_gen_pkt *v = realloc(q->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		q->v = v;
		q->cap = cap;
	}
	if (q->used + len > q->memcap) {
		size_t cap = q->memcap ? q->memcap : 65536;
		uint8_t *m;

		while (cap < q->used + len)
			cap *= 2;
		m = realloc(q->mem, cap);
		if (!m)
			return NULL;
		q->mem = m;
		q->memcap = cap;
	}
	q->v[q->n] = (struct tw_gen_pkt){ ts_ns, q->used, len };
	q->n++;
	q->used += len;
	return q->mem + q->used - len;
}

int tw_gen_q_push(struct tw_gen_q *q, int64_t ts_ns, const uint8_t *data,
                  uint32_t len)
{
	uint8_t *p = tw_gen_q_alloc(q, ts_ns, len);

	if (!p)
		return TW_ENOMEM;
	memcpy(p, data, len);
	return 0;
}

void tw_gen_q_free(struct tw_gen_q *q)
{
	free(q->v);
	free(q->mem);
	memset(q, 0, sizeof(*q));
}

int tw_gen_builder_new(struct tw_gen_builder **out, char *errbuf, size_t errlen)
{
	struct tw_gen_builder *b = calloc(1, sizeof(*b));
	char eb[LIBNET_ERRBUF_SIZE] = "";

	*out = NULL;
	if (!b)
		return TW_ENOMEM;
	for (int v = 0; v < 2; v++) {
		for (int k = 0; k < STACKS; k++) {
			b->s[v][k].l = libnet_init(LIBNET_NONE, NULL, eb);
			if (!b->s[v][k].l) {
				snprintf(errbuf, errlen, "libnet_init: %s", eb);
				tw_gen_builder_free(b);
				return TW_EINTERNAL;
			}
		}
	}
	*out = b;
	return 0;
}

void tw_gen_builder_free(struct tw_gen_builder *b)
{
	if (!b)
		return;
	for (int v = 0; v < 2; v++)
		for (int k = 0; k < STACKS; k++)
			if (b->s[v][k].l)
				libnet_destroy(b->s[v][k].l);
	free(b);
}

void tw_gen_builder_every_packet(struct tw_gen_builder *b, bool every)
{
	b->every_packet = every;
}

size_t tw_gen_udp_overhead(int v6)
{
	return LIBNET_ETH_H + (v6 ? LIBNET_IPV6_H : LIBNET_IPV4_H) +
	       LIBNET_UDP_H;
}

/* The IP and Ethernet blocks under an already built transport block. */
static int build_l3(struct stack *s, const struct tw_gen_ep *src,
                    const struct tw_gen_ep *dst, uint16_t ipid, uint8_t proto,
                    size_t l4len)
{
	libnet_t *l = s->l;

	if (src->v6) {
		struct libnet_in6_addr a, z;

		memcpy(&a, src->addr, 16);
		memcpy(&z, dst->addr, 16);
		s->l3 = libnet_build_ipv6(0, 0, (uint16_t)l4len, proto, 64, a,
		                          z, NULL, 0, l, s->l3);
	} else {
		uint32_t a, z;

		memcpy(&a, src->addr, 4);
		memcpy(&z, dst->addr, 4);
		s->l3 = libnet_build_ipv4((uint16_t)(LIBNET_IPV4_H + l4len), 0,
		                          ipid, 0x4000, 64, proto, 0, a, z,
		                          NULL, 0, l, s->l3);
	}
	if (s->l3 == -1)
		return -1;
	s->l2 = libnet_build_ethernet(dst->mac, src->mac,
	                              src->v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP,
	                              NULL, 0, l, s->l2);
	return s->l2 == -1 ? -1 : 0;
}

/* Lays out the frame (checksums included); *frame is malloc'd. */
static int coalesce(struct stack *s, uint8_t **frame, uint32_t *len)
{
	*frame = NULL;
	*len = 0;
	if (libnet_pblock_coalesce(s->l, frame, len) == -1) {
		tw_log(TW_LOG_ERROR, "generate", "libnet: %s",
		       libnet_geterror(s->l));
		return TW_EINTERNAL;
	}
	return 0;
}

static int finish(struct stack *s, struct tw_gen_q *q, int64_t ts_ns)
{
	uint8_t *frame;
	uint32_t len;
	int rc = coalesce(s, &frame, &len);

	if (!rc)
		rc = tw_gen_q_push(q, ts_ns, frame, len);
	free(frame);
	return rc;
}

static int refused(struct stack *s)
{
	tw_log(TW_LOG_ERROR, "generate", "libnet: %s", libnet_geterror(s->l));
	return TW_EINTERNAL;
}

int tw_gen_build_tcp(struct tw_gen_builder *b, struct tw_gen_q *q,
                     int64_t ts_ns, const struct tw_gen_ep *src,
                     const struct tw_gen_ep *dst, uint16_t ipid,
                     const struct tw_gen_tcphdr *th, const uint8_t *payload,
                     size_t len)
{
	int kind = th->optlen ? STACK_TCP_OPTS : STACK_TCP;
	struct stack *s = &b->s[src->v6 ? 1 : 0][kind];
	size_t l4len = LIBNET_TCP_H + th->optlen + len;

	if (th->optlen) {
		s->opts = libnet_build_tcp_options(
		        th->opts, (uint32_t)th->optlen, s->l, s->opts);
		if (s->opts == -1)
			return refused(s);
	}
	s->l4 = libnet_build_tcp(src->port, dst->port, th->seq, th->ack,
	                         th->flags, th->win, 0, 0, (uint16_t)l4len,
	                         payload, (uint32_t)len, s->l, s->l4);
	if (s->l4 == -1 || build_l3(s, src, dst, ipid, IPPROTO_TCP, l4len))
		return refused(s);
	return finish(s, q, ts_ns);
}

int tw_gen_build_udp(struct tw_gen_builder *b, struct tw_gen_q *q,
                     int64_t ts_ns, const struct tw_gen_ep *src,
                     const struct tw_gen_ep *dst, uint16_t ipid,
                     const uint8_t *payload, size_t len)
{
	struct stack *s = &b->s[src->v6 ? 1 : 0][STACK_UDP];
	size_t l4len = LIBNET_UDP_H + len;

	s->l4 = libnet_build_udp(src->port, dst->port, (uint16_t)l4len, 0,
	                         payload, (uint32_t)len, s->l, s->l4);
	if (s->l4 == -1 || build_l3(s, src, dst, ipid, IPPROTO_UDP, l4len))
		return refused(s);
	return finish(s, q, ts_ns);
}

/* Queues the template and the payload, with the IP header's length (and,
 * for IPv4, identification and checksum) set; returns the frame. */
static uint8_t *from_tmpl(const struct tw_gen_tmpl *t, struct tw_gen_q *q,
                          int64_t ts_ns, uint16_t ipid, const uint8_t *payload,
                          size_t len)
{
	uint8_t *f = tw_gen_q_alloc(q, ts_ns, (uint32_t)(t->hlen + len));
	uint8_t *ip;
	size_t l4len = t->hlen - t->l4 + len;

	if (!f)
		return NULL;
	memcpy(f, t->hdr, t->hlen);
	if (len)
		memcpy(f + t->hlen, payload, len);
	ip = f + t->l3;
	if (t->v6) {
		tw_put_be16(ip + 4, (uint16_t)l4len);
	} else {
		uint16_t total = (uint16_t)(LIBNET_IPV4_H + l4len);

		tw_put_be16(ip + 2, total);
		tw_put_be16(ip + 4, ipid);
		tw_put_be16(ip + 10, tw_cksum_fold(t->ip_base + total + ipid));
	}
	return f;
}

/* Adds a payload to a checksum sum: short ones (small frames) word by
 * word here, as the general routine's set-up costs more than they do. */
static uint32_t sum_payload(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	if (len > 64)
		return tw_cksum_add(sum, p, len);
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

/* Sum of the 16-bit words of p[from, to). */
static uint32_t words(const uint8_t *p, size_t from, size_t to)
{
	return tw_cksum_add(0, p + from, to - from);
}

/* The parts of the checksums that stay the same for the whole flow
 * (RFC 1071: the sum may be taken in any grouping). */
static void tmpl_sums(struct tw_gen_tmpl *t)
{
	const uint8_t *ip = t->hdr + t->l3, *l4 = t->hdr + t->l4;
	size_t alen = t->v6 ? 16 : 4, aoff = t->v6 ? 8 : 12;

	if (!t->v6)
		t->ip_base = words(ip, 0, 2) + words(ip, 6, 10) +
		             words(ip, 12, LIBNET_IPV4_H);
	t->l4_base = words(ip, aoff, aoff + 2 * alen) + t->proto;
	if (t->proto == IPPROTO_TCP)
		t->l4_base += words(l4, 0, 4) + words(l4, 18, LIBNET_TCP_H);
	else
		t->l4_base += words(l4, 0, 4);
}

int tw_gen_tmpl_init(struct tw_gen_builder *b, struct tw_gen_tmpl *t,
                     uint8_t proto, const struct tw_gen_ep *src,
                     const struct tw_gen_ep *dst)
{
	const struct tw_gen_tcphdr th = { .flags = TW_TCP_ACK };
	struct tw_gen_q q = { 0 };
	int rc;

	memset(t, 0, sizeof(*t));
	if (proto == IPPROTO_TCP)
		rc = tw_gen_build_tcp(b, &q, 0, src, dst, 0, &th, NULL, 0);
	else
		rc = tw_gen_build_udp(b, &q, 0, src, dst, 0, NULL, 0);
	if (rc)
		return rc;
	t->v6 = (uint8_t)src->v6;
	t->proto = proto;
	t->l3 = LIBNET_ETH_H;
	t->l4 = (uint16_t)(t->l3 + (src->v6 ? LIBNET_IPV6_H : LIBNET_IPV4_H));
	t->hlen = (uint16_t)q.v[0].len;
	if (t->hlen > TW_GEN_TMPL_MAX ||
	    t->hlen != t->l4 + (proto == IPPROTO_TCP ? LIBNET_TCP_H
	                                             : LIBNET_UDP_H))
		rc = TW_EINTERNAL;
	else
		memcpy(t->hdr, tw_gen_q_data(&q, 0), t->hlen);
	tw_gen_q_free(&q);
	if (!rc)
		tmpl_sums(t);
	t->b = b;
	t->src = *src;
	t->dst = *dst;
	return rc;
}

int tw_gen_tmpl_tcp(const struct tw_gen_tmpl *t, struct tw_gen_q *q,
                    int64_t ts_ns, uint16_t ipid,
                    const struct tw_gen_tcphdr *th, const uint8_t *payload,
                    size_t len)
{
	uint8_t *f, *tcp;
	uint32_t l4len = (uint32_t)(LIBNET_TCP_H + len), sum;

	if (t->b->every_packet)
		return tw_gen_build_tcp(t->b, q, ts_ns, &t->src, &t->dst, ipid,
		                        th, payload, len);
	f = from_tmpl(t, q, ts_ns, ipid, payload, len);
	if (!f)
		return TW_ENOMEM;
	tcp = f + t->l4;
	tw_put_be32(tcp + 4, th->seq);
	tw_put_be32(tcp + 8, th->ack);
	tcp[13] = th->flags;
	tw_put_be16(tcp + 14, th->win);
	sum = t->l4_base + (l4len >> 16) + (l4len & 0xffff) + (th->seq >> 16) +
	      (th->seq & 0xffff) + (th->ack >> 16) + (th->ack & 0xffff) +
	      (uint32_t)(tcp[12] << 8 | th->flags) + th->win;
	sum = sum_payload(sum, f + t->hlen, len);
	tw_put_be16(tcp + 16, tw_cksum_fold(sum));
	return 0;
}

int tw_gen_tmpl_udp(const struct tw_gen_tmpl *t, struct tw_gen_q *q,
                    int64_t ts_ns, uint16_t ipid, const uint8_t *payload,
                    size_t len)
{
	uint16_t l4len = (uint16_t)(LIBNET_UDP_H + len), ck;
	uint32_t sum;
	uint8_t *f;

	if (t->b->every_packet)
		return tw_gen_build_udp(t->b, q, ts_ns, &t->src, &t->dst, ipid,
		                        payload, len);
	f = from_tmpl(t, q, ts_ns, ipid, payload, len);
	if (!f)
		return TW_ENOMEM;
	tw_put_be16(f + t->l4 + 4, l4len);
	/* The length counts twice: pseudo-header and UDP header. */
	sum = t->l4_base + 2u * l4len;
	sum = sum_payload(sum, f + t->hlen, len);
	ck = tw_cksum_fold(sum);
	tw_put_be16(f + t->l4 + 6, ck ? ck : 0xffff); /* RFC 768 */
	return 0;
}
