/*
 * pkt.h - packets of the generator: built through libnet's builders
 * (Ethernet, IPv4 or IPv6, TCP or UDP; libnet computes the checksums)
 * and queued with their timestamps until the scheduler writes them.
 */
#ifndef TW_GEN_PKT_H
#define TW_GEN_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An endpoint: address family, address, MAC and port. */
struct tw_gen_ep {
	int v6;
	uint8_t addr[16]; /* IPv4 in the first four bytes */
	uint8_t mac[6];
	uint16_t port;
};

/* A queued packet: len bytes at off in its queue's memory. */
struct tw_gen_pkt {
	int64_t ts_ns;
	size_t off;
	uint32_t len;
};

/*
 * Packets of one session, in time order, consumed from head.  Their bytes
 * sit one after another in one block of memory, reused once the queue
 * has been emptied, so that a packet costs no allocation of its own.
 */
struct tw_gen_q {
	struct tw_gen_pkt *v;
	size_t head, n, cap;
	uint8_t *mem;
	size_t used, memcap;
};

/* Appends a packet of len bytes and returns where to write them (valid
 * until the next append), or NULL when memory runs out. */
uint8_t *tw_gen_q_alloc(struct tw_gen_q *q, int64_t ts_ns, uint32_t len);

/* Appends a copy of data.  Returns 0 or TW_ENOMEM. */
int tw_gen_q_push(struct tw_gen_q *q, int64_t ts_ns, const uint8_t *data,
                  uint32_t len);

static inline size_t tw_gen_q_len(const struct tw_gen_q *q)
{
	return q->n - q->head;
}

/* The bytes of packet i (head <= i < n). */
static inline const uint8_t *tw_gen_q_data(const struct tw_gen_q *q, size_t i)
{
	return q->mem + q->v[i].off;
}

/* Frees the queue's memory. */
void tw_gen_q_free(struct tw_gen_q *q);

struct tw_gen_builder;

/* One libnet context per header stack.  Returns 0 and *out, or
 * TW_ENOMEM / TW_EINTERNAL with the message in errbuf. */
int tw_gen_builder_new(struct tw_gen_builder **out, char *errbuf,
                       size_t errlen);
void tw_gen_builder_free(struct tw_gen_builder *b);

/* With every set, template packets are built through libnet one by one
 * as well (the same bytes, slower): for tests and benchmarks of the
 * fast path. */
void tw_gen_builder_every_packet(struct tw_gen_builder *b, bool every);

/* TCP flags, as on the wire. */
#define TW_TCP_FIN 0x01
#define TW_TCP_SYN 0x02
#define TW_TCP_RST 0x04
#define TW_TCP_PSH 0x08
#define TW_TCP_ACK 0x10

struct tw_gen_tcphdr {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const uint8_t *opts; /* a multiple of 4 bytes, or NULL */
	size_t optlen;
};

/*
 * Builds Ethernet + IP + TCP carrying len bytes of payload from src to
 * dst (same family) and queues it at ts_ns.  ipid is the IPv4
 * identification (unused for IPv6).  Returns 0, TW_ENOMEM or
 * TW_EINTERNAL (libnet refused; the reason is logged).
 */
int tw_gen_build_tcp(struct tw_gen_builder *b, struct tw_gen_q *q,
                     int64_t ts_ns, const struct tw_gen_ep *src,
                     const struct tw_gen_ep *dst, uint16_t ipid,
                     const struct tw_gen_tcphdr *th, const uint8_t *payload,
                     size_t len);

/* The same for UDP. */
int tw_gen_build_udp(struct tw_gen_builder *b, struct tw_gen_q *q,
                     int64_t ts_ns, const struct tw_gen_ep *src,
                     const struct tw_gen_ep *dst, uint16_t ipid,
                     const uint8_t *payload, size_t len);

/*
 * A flow's headers as libnet built them once (Ethernet, IP, TCP without
 * options or UDP), for the per-packet fast path: a packet is the
 * template and its payload, with the fields that change per packet
 * patched (IP length and identification, TCP sequence, acknowledgement,
 * flags and window, UDP length) and the checksums computed again.  The
 * bytes are the same as libnet builds for every packet.
 */
#define TW_GEN_TMPL_MAX 80

struct tw_gen_tmpl {
	struct tw_gen_builder *b;
	struct tw_gen_ep src, dst;
	uint8_t hdr[TW_GEN_TMPL_MAX];
	uint16_t hlen, l3, l4;
	uint8_t v6, proto;
	/* One's complement sums of what never changes in the flow: the
	 * IPv4 header but its length, identification and checksum; the
	 * pseudo-header but its length, and the transport header but the
	 * fields patched per packet and the checksum. */
	uint32_t ip_base, l4_base;
};

/* Builds the template of a TCP (proto 6) or UDP (17) flow from src to
 * dst.  Returns 0, TW_ENOMEM or TW_EINTERNAL. */
int tw_gen_tmpl_init(struct tw_gen_builder *b, struct tw_gen_tmpl *t,
                     uint8_t proto, const struct tw_gen_ep *src,
                     const struct tw_gen_ep *dst);

/* A TCP packet (no options) from the template.  0 or TW_ENOMEM. */
int tw_gen_tmpl_tcp(const struct tw_gen_tmpl *t, struct tw_gen_q *q,
                    int64_t ts_ns, uint16_t ipid,
                    const struct tw_gen_tcphdr *th, const uint8_t *payload,
                    size_t len);

/* A UDP packet from the template.  0 or TW_ENOMEM. */
int tw_gen_tmpl_udp(const struct tw_gen_tmpl *t, struct tw_gen_q *q,
                    int64_t ts_ns, uint16_t ipid, const uint8_t *payload,
                    size_t len);

/* Header bytes in front of a UDP payload (Ethernet, IP, UDP). */
size_t tw_gen_udp_overhead(int v6);

#endif
