/*
 * tx.c - frames into mbufs, and mbufs onto a TX queue.
 *
 * Three ways to build a frame: a copy into mbufs from the full pool
 * (chained when the frame is larger than one mbuf and the port takes
 * chains); an mbuf attached to the frame where it lies in the preloaded
 * arena (rte_pktmbuf_attach_extbuf, one shared-info reference per mbuf,
 * so loops and copies send the same bytes again without a copy); or a
 * small header mbuf holding rewritten headers chained in front of an
 * attached mbuf holding the rest.
 *
 * Checksums, when asked to fix them: the port's offload where it offers
 * it (the pseudo-header sum written, the flags set), else computed here
 * with trace/cksum.h.  Only plain frames (no tunnel, no fragment) get
 * the offload; the others are fixed in software.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>

#include "dpdk/internal.h"
#include "trace/bytes.h"
#include "trace/cksum.h"
#include "trace/decode.h"
#include "trace/log.h"
#include "trace/packet.h"

#define POOL_CACHE 256

static void noop_free(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque;
}

int tw_dpdk_txq_init(struct tw_dpdk_txq *q, uint16_t port, uint16_t queue,
                     unsigned pool_mbufs, const struct tw_dpdk_port_caps *c,
                     struct tw_errbuf *eb)
{
	int socket = rte_eth_dev_socket_id(port);
	char name[RTE_MEMPOOL_NAMESIZE];

	memset(q, 0, sizeof(*q));
	if (socket < 0)
		socket = (int)rte_socket_id();
	q->port = port;
	q->queue = queue;
	q->caps = *c;
	if (!pool_mbufs)
		pool_mbufs = 8191;
	tw_dpdk_pool_name(name, sizeof(name), "tx");
	q->pool = rte_pktmbuf_pool_create(name, pool_mbufs, POOL_CACHE, 0,
	                                  RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	tw_dpdk_pool_name(name, sizeof(name), "hdr");
	q->hdr_pool = rte_pktmbuf_pool_create(
	        name, pool_mbufs * 2, POOL_CACHE, 0,
	        RTE_PKTMBUF_HEADROOM + TW_DPDK_HDR_ROOM, socket);
	if (!q->pool || !q->hdr_pool) {
		tw_dpdk_txq_fini(q);
		return tw_errf(eb, TW_ENOMEM,
		               "port %u: no memory for %u mbufs (give the EAL "
		               "more with -m)",
		               port, pool_mbufs);
	}
	/* One reference held here for the arena's lifetime: the count
	 * never reaches zero while frames are in flight. */
	q->shinfo.free_cb = noop_free;
	q->shinfo.fcb_opaque = NULL;
	rte_mbuf_ext_refcnt_set(&q->shinfo, 1);
	return 0;
}

void tw_dpdk_txq_fini(struct tw_dpdk_txq *q)
{
	rte_mempool_free(q->pool);
	rte_mempool_free(q->hdr_pool);
	q->pool = q->hdr_pool = NULL;
}

void tw_dpdk_txq_set_arena(struct tw_dpdk_txq *q, const uint8_t *base,
                           size_t len)
{
	q->arena = base;
	q->arena_len = len;
}

struct rte_mbuf *tw_dpdk_mbuf_copy(struct tw_dpdk_txq *q, const uint8_t *data,
                                   uint32_t len)
{
	struct rte_mbuf *head = NULL, *last = NULL;
	uint32_t done = 0;

	if (len > q->caps.seg_room && !q->caps.multiseg)
		return NULL;
	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(q->pool);
		uint32_t n = len - done;

		if (!m) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		if (n > rte_pktmbuf_tailroom(m))
			n = rte_pktmbuf_tailroom(m);
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), data + done, n);
		m->data_len = (uint16_t)n;
		done += n;
		if (!head) {
			head = m;
		} else {
			last->next = m;
			head->nb_segs++;
		}
		last = m;
	} while (done < len);
	head->pkt_len = len;
	q->n.copied++;
	return head;
}

static void attach(struct tw_dpdk_txq *q, struct rte_mbuf *m,
                   const uint8_t *data, uint32_t len)
{
	rte_mbuf_ext_refcnt_update(&q->shinfo, 1);
	rte_pktmbuf_attach_extbuf(m, (void *)(uintptr_t)data,
	                          (rte_iova_t)(uintptr_t)data, (uint16_t)len,
	                          &q->shinfo);
	m->data_off = 0;
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
}

void tw_dpdk_mbuf_attach_to(struct tw_dpdk_txq *q, struct rte_mbuf *m,
                            const uint8_t *data, uint32_t len)
{
	attach(q, m, data, len);
	q->n.zerocopy++;
}

struct rte_mbuf *tw_dpdk_mbuf_attach(struct tw_dpdk_txq *q, const uint8_t *data,
                                     uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(q->hdr_pool);

	if (!m)
		return NULL;
	attach(q, m, data, len);
	q->n.zerocopy++;
	return m;
}

struct rte_mbuf *tw_dpdk_mbuf_hdr(struct tw_dpdk_txq *q, const uint8_t *hdr,
                                  uint32_t hlen, const uint8_t *data,
                                  uint32_t len)
{
	struct rte_mbuf *h, *m;

	if (hlen > TW_DPDK_HDR_ROOM || hlen > len)
		return NULL;
	h = rte_pktmbuf_alloc(q->hdr_pool);
	if (!h)
		return NULL;
	memcpy(rte_pktmbuf_mtod(h, uint8_t *), hdr, hlen);
	h->data_len = (uint16_t)hlen;
	h->pkt_len = len;
	if (hlen == len)
		return h;
	m = rte_pktmbuf_alloc(q->hdr_pool);
	if (!m) {
		rte_pktmbuf_free(h);
		return NULL;
	}
	attach(q, m, data + hlen, len - hlen);
	h->next = m;
	h->nb_segs = 2;
	q->n.zerocopy++;
	return h;
}

static bool in_arena(const struct tw_dpdk_txq *q, const uint8_t *p,
                     uint32_t len)
{
	return q->arena && p >= q->arena &&
	       (size_t)(p - q->arena) + len <= q->arena_len &&
	       len <= UINT16_MAX;
}

/* Fixes the checksums of a one-segment frame: offload or software. */
static void fix_cksum(struct tw_dpdk_txq *q, struct rte_mbuf *m)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = m->data_len;
	const struct tw_dec_ip *ip;
	struct tw_decoded d;
	int f;

	if (!tw_decode(p, len, TW_LINK_ETHERNET, &d) || d.ip.version == 0 ||
	    (d.flags & (TW_DEC_TRUNCATED | TW_DEC_MALFORMED)))
		return;
	ip = &d.ip;
	f = tw_cksum_l4_field(ip->proto);
	if (q->caps.ipv4_cksum && q->caps.l4_cksum && d.tunnel_count == 0 &&
	    !(d.flags & TW_DEC_FRAGMENT) && ip->l4_off &&
	    (ip->proto == TW_IPPROTO_TCP || ip->proto == TW_IPPROTO_UDP)) {
		m->l2_len = ip->l3_off;
		m->l3_len = ip->l3_hlen;
		m->ol_flags |= ip->proto == TW_IPPROTO_TCP
		                       ? RTE_MBUF_F_TX_TCP_CKSUM
		                       : RTE_MBUF_F_TX_UDP_CKSUM;
		if (ip->version == 4) {
			struct rte_ipv4_hdr *h =
			        (struct rte_ipv4_hdr *)(p + ip->l3_off);

			m->ol_flags |=
			        RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
			h->hdr_checksum = 0;
			tw_put_be16(p + ip->l4_off + f,
			            rte_be_to_cpu_16(rte_ipv4_phdr_cksum(
			                    h, m->ol_flags)));
		} else {
			m->ol_flags |= RTE_MBUF_F_TX_IPV6;
			tw_put_be16(
			        p + ip->l4_off + f,
			        rte_be_to_cpu_16(rte_ipv6_phdr_cksum(
			                (struct rte_ipv6_hdr *)(p + ip->l3_off),
			                m->ol_flags)));
		}
		q->n.cksum_hw++;
		return;
	}
	if (ip->version == 4 && ip->l3_off + ip->l3_hlen <= len) {
		tw_put_be16(p + ip->l3_off + 10, 0);
		tw_put_be16(p + ip->l3_off + 10,
		            tw_cksum_ipv4(p + ip->l3_off, ip->l3_hlen));
	}
	if (ip->l4_off && f >= 0 && !(d.flags & TW_DEC_FRAGMENT) &&
	    !(d.flags & TW_DEC_IP_OPTIONS) &&
	    ip->l4_off + (uint32_t)f + 2 <= len &&
	    ip->l3_off + ip->l3_len <= len) {
		uint32_t seglen = ip->l3_off + ip->l3_len - ip->l4_off;
		uint32_t a = ip->version == 6 ? 16 : 4;
		const uint8_t *src =
		        p + ip->l3_off + (ip->version == 6 ? 8 : 12);

		/* A UDP checksum of zero over IPv4 means "none": keep it. */
		if (!(ip->proto == TW_IPPROTO_UDP && ip->version == 4 &&
		      tw_be16(p + ip->l4_off + f) == 0))
			tw_put_be16(p + ip->l4_off + f,
			            tw_cksum_l4(ip->version, src, src + a,
			                        ip->proto, p + ip->l4_off,
			                        seglen));
	}
	q->n.cksum_sw++;
}

struct rte_mbuf *tw_dpdk_mbuf_for(struct tw_dpdk_txq *q, const uint8_t *data,
                                  uint32_t len)
{
	struct rte_mbuf *m;

	if (!q->fix_cksum && in_arena(q, data, len))
		return tw_dpdk_mbuf_attach(q, data, len);
	m = tw_dpdk_mbuf_copy(q, data, len);
	if (m && q->fix_cksum && m->nb_segs == 1)
		fix_cksum(q, m);
	return m;
}

unsigned tw_dpdk_tx_all(struct tw_dpdk_txq *q, struct rte_mbuf **ms, unsigned n,
                        unsigned spins)
{
	unsigned done = 0;

	while (done < n) {
		uint16_t k = rte_eth_tx_burst(q->port, q->queue, ms + done,
		                              (uint16_t)(n - done));

		done += k;
		if (done == n)
			break;
		q->n.port_full += n - done;
		if (k == 0 && spins-- == 0)
			break;
		rte_pause();
	}
	return done;
}
