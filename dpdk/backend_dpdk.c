/*
 * backend_dpdk.c - the replay backend on a DPDK port: replay/backend.h's
 * table over one TX queue.
 *
 * The engine paces (its deadlines are CLOCK_MONOTONIC) and hands bursts
 * over; each frame becomes an mbuf (attached without a copy when it lies
 * in the declared arena, copied otherwise) and the burst goes to the
 * port in one rte_eth_tx_burst, retried briefly while the queue is full.
 * What the port does not take is freed and reported as not accepted, so
 * the engine offers it again and counts the retry.  The port's own
 * counters (oerrors) are the drops reported in stats().
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_errno.h>

#include "dpdk/internal.h"
#include "trace/log.h"
#include "trace/packet.h"

#define FULL_SPINS 64

struct dpdk_backend {
	struct tw_backend b; /* first: the engine's handle */
	struct tw_dpdk_txq q;
	void *ext_base; /* registered range, page-aligned */
	size_t ext_len;
	uint64_t oerrors_base;
	struct rte_mbuf *ms[TW_DPDK_MAX_BURST];
};

static int dpdk_tx(struct tw_backend *b, const struct tw_txpkt *pkts,
                   unsigned n)
{
	struct dpdk_backend *db = (struct dpdk_backend *)b;
	unsigned built = 0, sent;

	if (n > TW_DPDK_MAX_BURST)
		n = TW_DPDK_MAX_BURST;
	for (; built < n; built++) {
		struct rte_mbuf *m = tw_dpdk_mbuf_for(&db->q, pkts[built].data,
		                                      pkts[built].len);

		if (!m) {
			db->q.n.nombuf++;
			break;
		}
		db->ms[built] = m;
	}
	sent = tw_dpdk_tx_all(&db->q, db->ms, built, FULL_SPINS);
	for (unsigned i = sent; i < built; i++)
		rte_pktmbuf_free(db->ms[i]);
	return (int)sent;
}

static int dpdk_flush(struct tw_backend *b)
{
	struct dpdk_backend *db = (struct dpdk_backend *)b;

	/* Ask the driver to free what it has sent (no-op where it has
	 * nothing to clean); the frames are already on their way. */
	rte_eth_tx_done_cleanup(db->q.port, db->q.queue, 0);
	return 0;
}

static void dpdk_stats(struct tw_backend *b, struct tw_backend_stats *st)
{
	struct dpdk_backend *db = (struct dpdk_backend *)b;
	struct rte_eth_stats es;

	st->port_dropped = 0;
	if (rte_eth_stats_get(db->q.port, &es) == 0 &&
	    es.oerrors >= db->oerrors_base)
		st->port_dropped = es.oerrors - db->oerrors_base;
}

static int dpdk_close(struct tw_backend *b, struct tw_errbuf *eb)
{
	struct dpdk_backend *db = (struct dpdk_backend *)b;

	(void)eb;
	/* Frames in flight may still point into the arena: stop the port
	 * (which frees them) before the range is released. */
	tw_dpdk_tx_linger();
	rte_eth_dev_stop(db->q.port);
	if (db->ext_base)
		tw_dpdk_extmem_del(db->q.port, db->ext_base, db->ext_len);
	tw_dpdk_txq_fini(&db->q);
	free(db);
	return 0;
}

static const struct tw_backend_ops dpdk_ops = {
	.name = "dpdk",
	.tx_burst = dpdk_tx,
	.flush = dpdk_flush,
	.stats = dpdk_stats,
	.close = dpdk_close,
};

int tw_dpdk_backend_open(struct tw_backend **out,
                         const struct tw_dpdk_tx_opts *o, struct tw_errbuf *eb)
{
	struct tw_dpdk_port_setup s = { .n_txq = 1,
		                        .want_cksum = o->fix_cksum,
		                        .no_offload = o->no_offload };
	struct tw_dpdk_port_caps caps;
	struct dpdk_backend *db;
	struct rte_eth_stats es;
	int rc;

	*out = NULL;
	rc = tw_dpdk_port_start(o->port, &s, &caps, eb);
	if (rc < 0)
		return rc;
	db = calloc(1, sizeof(*db));
	if (!db)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	rc = tw_dpdk_txq_init(&db->q, o->port, 0, o->pool_mbufs, &caps, eb);
	if (rc < 0) {
		free(db);
		return rc;
	}
	db->q.fix_cksum = o->fix_cksum;
	if (rte_eth_stats_get(o->port, &es) == 0)
		db->oerrors_base = es.oerrors;
	db->b.ops = &dpdk_ops;
	db->b.paced = true;
	db->b.linktype = TW_LINK_ETHERNET;
	db->b.mtu = caps.multiseg ? caps.mtu
	                          : RTE_MIN(caps.mtu, caps.seg_room - 18u);
	db->b.burst = o->burst ? RTE_MIN(o->burst, (unsigned)TW_DPDK_MAX_BURST)
	                       : TW_DPDK_DEFAULT_BURST;
	*out = &db->b;
	return 0;
}

int tw_dpdk_backend_set_arena(struct tw_backend *b, const void *base,
                              size_t len, struct tw_errbuf *eb)
{
	struct dpdk_backend *db = (struct dpdk_backend *)b;
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)base & ~(pg - 1);
	uintptr_t hi = ((uintptr_t)base + len + pg - 1) & ~(pg - 1);
	int rc;

	if (b->ops != &dpdk_ops || !base || !len)
		return tw_errf(eb, TW_EINVAL, "not a DPDK backend or arena");
	rc = tw_dpdk_extmem_add(db->q.port, (void *)lo, hi - lo, pg, eb);
	if (rc < 0)
		return rc;
	db->ext_base = (void *)lo;
	db->ext_len = hi - lo;
	tw_dpdk_txq_set_arena(&db->q, base, len);
	return 0;
}

void tw_dpdk_backend_counts(const struct tw_backend *b,
                            struct tw_dpdk_tx_counts *c)
{
	const struct dpdk_backend *db = (const struct dpdk_backend *)b;

	*c = db->q.n;
}
