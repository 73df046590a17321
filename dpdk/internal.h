/*
 * internal.h - what the files of dpdk/ share; the only header besides
 * the .c files here that includes DPDK's.
 */
#ifndef TW_DPDK_INTERNAL_H
#define TW_DPDK_INTERNAL_H

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dpdk/dpdk.h"

#define TW_DPDK_COMP "dpdk"
#define TW_DPDK_DEFAULT_BURST 32
#define TW_DPDK_MAX_BURST 512
#define TW_DPDK_TX_DESC 1024
#define TW_DPDK_RX_DESC 1024
#define TW_DPDK_HDR_ROOM 128 /* data room of header/attach mbufs */

/* Fails with TW_ESTATE unless the EAL runs. */
int tw_dpdk_need_eal(struct tw_errbuf *eb);

/* A pool name unique in the process ("tw_tx3"). */
void tw_dpdk_pool_name(char *buf, size_t len, const char *what);

/* How a port is to be set up. */
struct tw_dpdk_port_setup {
	uint16_t n_txq, n_rxq;
	struct rte_mempool *rx_pool; /* when n_rxq > 0 */
	bool want_cksum;             /* ask for checksum offloads */
	bool no_offload;
};

/* What the port ended up with. */
struct tw_dpdk_port_caps {
	bool multiseg;
	bool ipv4_cksum, l4_cksum; /* offloads enabled */
	uint32_t mtu;
	uint16_t seg_room; /* data room of a default mbuf */
};

/*
 * Stops the port if it runs, configures it with the queues asked for
 * (RSS over the RX queues when there are several and the port offers
 * it; the offloads it offers among multi-segment and checksums), starts
 * it and resets its counters.  Returns 0 or TW_EINVAL / TW_EIO.
 */
int tw_dpdk_port_start(uint16_t port, const struct tw_dpdk_port_setup *s,
                       struct tw_dpdk_port_caps *caps, struct tw_errbuf *eb);

/*
 * Before a port that sent is stopped: frames it took may still be in
 * its TX ring (a NIC's descriptors, the shared ring of net_memif that
 * the peer has not read yet), and stopping it would lose them.  Waits
 * TW_DPDK_TX_LINGER_MS.
 */
#define TW_DPDK_TX_LINGER_MS 100
void tw_dpdk_tx_linger(void);

/* How long a port that sends may take to bring its link up (a net_memif
 * client connecting to its server, a NIC negotiating). */
#define TW_DPDK_LINK_WAIT_MS 3000

/* Registers [base, base+len) (aligned to its page size pg) as external
 * memory and maps it for DMA on the port's device.  Returns 0, TW_EUNSUP
 * (IOVA as PA) or TW_EIO. */
int tw_dpdk_extmem_add(uint16_t port, void *base, size_t len, size_t pg,
                       struct tw_errbuf *eb);
void tw_dpdk_extmem_del(uint16_t port, void *base, size_t len);

/* ---- frames into mbufs (tx.c) --------------------------------------- */

/* Where a TX lcore or backend builds its mbufs. */
struct tw_dpdk_txq {
	uint16_t port, queue;
	struct rte_mempool *pool;     /* full mbufs, for copies */
	struct rte_mempool *hdr_pool; /* small: headers, attached mbufs */
	struct tw_dpdk_port_caps caps;
	bool fix_cksum;
	struct rte_mbuf_ext_shared_info shinfo; /* the arena's references */
	const uint8_t *arena;
	size_t arena_len;
	struct tw_dpdk_tx_counts n;
};

/*
 * Sets q up for one queue of a started port: pools of pool_mbufs mbufs
 * on the port's socket.  Returns 0 or TW_ENOMEM.
 */
int tw_dpdk_txq_init(struct tw_dpdk_txq *q, uint16_t port, uint16_t queue,
                     unsigned pool_mbufs, const struct tw_dpdk_port_caps *c,
                     struct tw_errbuf *eb);
void tw_dpdk_txq_fini(struct tw_dpdk_txq *q);

/* Declares the arena q may attach from. */
void tw_dpdk_txq_set_arena(struct tw_dpdk_txq *q, const uint8_t *base,
                           size_t len);

/* A copy of len bytes (chained segments when the port takes them), or
 * NULL when the pool is empty or the frame cannot fit. */
struct rte_mbuf *tw_dpdk_mbuf_copy(struct tw_dpdk_txq *q, const uint8_t *data,
                                   uint32_t len);

/* An mbuf attached to data inside the arena (no copy); NULL when the
 * pool is empty. */
struct rte_mbuf *tw_dpdk_mbuf_attach(struct tw_dpdk_txq *q, const uint8_t *data,
                                     uint32_t len);

/* The same onto m, a fresh mbuf of q's header pool (from a bulk
 * allocation). */
void tw_dpdk_mbuf_attach_to(struct tw_dpdk_txq *q, struct rte_mbuf *m,
                            const uint8_t *data, uint32_t len);

/*
 * A header mbuf holding hdr[0..hlen) chained in front of an mbuf
 * attached to data[hlen..len) in the arena: the frame with its first
 * hlen bytes replaced.  NULL when the pool is empty.
 */
struct rte_mbuf *tw_dpdk_mbuf_hdr(struct tw_dpdk_txq *q, const uint8_t *hdr,
                                  uint32_t hlen, const uint8_t *data,
                                  uint32_t len);

/* The frame for data: attached when it lies in the arena and needs no
 * change, copied otherwise; checksums fixed when q asks for it. */
struct rte_mbuf *tw_dpdk_mbuf_for(struct tw_dpdk_txq *q, const uint8_t *data,
                                  uint32_t len);

/* Sends ms[0..n) on q, retrying a full queue up to spins times.
 * Returns how many the port took; the caller owns the rest. */
unsigned tw_dpdk_tx_all(struct tw_dpdk_txq *q, struct rte_mbuf **ms, unsigned n,
                        unsigned spins);

#endif
