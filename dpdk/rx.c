/*
 * rx.c - capture from a DPDK port: RSS spreads the port's traffic over
 * several RX queues, polled here in turn, a burst each, and every packet
 * goes to the caller's function (the capture path's writer and
 * rotation).  A chained mbuf (a frame larger than one mbuf, with
 * scatter on) is made contiguous in a scratch buffer first.
 *
 * One lcore polls every queue (TODO(#7): an lcore per queue, handing
 * bursts to the writer's lcore through rte_rings, for ports faster than
 * one core can drain).
 *
 * Timestamps are the wall clock when the burst was taken from the
 * queue: what the port offers as a hardware timestamp differs from one
 * NIC to the next (TODO(#7): use RTE_ETH_RX_OFFLOAD_TIMESTAMP where
 * offered).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "dpdk/internal.h"
#include "trace/log.h"

#define RX_BURST 64
#define SCRATCH (64 * 1024)
#define ONE_S_NS 1000000000LL

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * ONE_S_NS + ts.tv_nsec;
}

struct tw_dpdk_rx {
	struct tw_dpdk_rx_opts o;
	struct rte_mempool *pool;
	uint8_t *scratch;
	uint16_t queues;
	struct tw_dpdk_rx_stats st;
};

/* Hands one mbuf to fn; returns fn's code. */
static int deliver(struct tw_dpdk_rx *rx, struct rte_mbuf *m, int64_t ts,
                   tw_dpdk_rx_fn fn, void *arg)
{
	uint32_t wire = m->pkt_len, cap = wire;
	const uint8_t *data = rte_pktmbuf_mtod(m, const uint8_t *);

	if (rx->o.snaplen && cap > rx->o.snaplen)
		cap = rx->o.snaplen;
	if (cap > SCRATCH)
		cap = SCRATCH;
	if (cap > m->data_len) {
		data = rte_pktmbuf_read(m, 0, cap, rx->scratch);
		if (!data)
			return 0;
	}
	rx->st.packets++;
	rx->st.bytes += wire;
	rx->st.cut += cap < wire;
	return fn(arg, ts, data, cap, wire);
}

/* One burst from queue q; returns the count or fn's error. */
static int poll_queue(struct tw_dpdk_rx *rx, uint16_t q, unsigned budget,
                      tw_dpdk_rx_fn fn, void *arg)
{
	struct rte_mbuf *ms[RX_BURST];
	uint16_t n = rte_eth_rx_burst(rx->o.port, q, ms,
	                              budget < RX_BURST ? (uint16_t)budget
	                                                : RX_BURST);
	int64_t ts = n ? clock_ns(CLOCK_REALTIME) : 0;
	int rc = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = deliver(rx, ms[i], ts, fn, arg);
		rte_pktmbuf_free(ms[i]);
	}
	if (q < TW_DPDK_MAX_LCORES)
		rx->st.queue_packets[q] += n;
	return rc < 0 ? rc : n;
}

int tw_dpdk_rx_open(struct tw_dpdk_rx **out, const struct tw_dpdk_rx_opts *o,
                    struct tw_errbuf *eb)
{
	struct tw_dpdk_port_setup s = { 0 };
	struct tw_dpdk_port_caps caps;
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned mbufs = o->pool_mbufs ? o->pool_mbufs : 16383;
	struct tw_dpdk_rx *rx;
	int socket, rc;

	*out = NULL;
	rc = tw_dpdk_need_eal(eb);
	if (rc < 0)
		return rc;
	rx = calloc(1, sizeof(*rx));
	if (!rx)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	rx->o = *o;
	rx->queues = o->queues ? o->queues : 1;
	socket = rte_eth_dev_socket_id(o->port);
	tw_dpdk_pool_name(name, sizeof(name), "rx");
	rx->pool = rte_pktmbuf_pool_create(
	        name, mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	        socket < 0 ? (int)rte_socket_id() : socket);
	rx->scratch = malloc(SCRATCH);
	if (!rx->pool || !rx->scratch) {
		rc = tw_errf(eb, TW_ENOMEM,
		             "port %u: no memory for %u RX mbufs (give the "
		             "EAL more with -m)",
		             o->port, mbufs);
		goto fail;
	}
	s.n_rxq = rx->queues;
	s.rx_pool = rx->pool;
	rc = tw_dpdk_port_start(o->port, &s, &caps, eb);
	if (rc < 0)
		goto fail;
	*out = rx;
	return 0;
fail:
	rte_mempool_free(rx->pool);
	free(rx->scratch);
	free(rx);
	return rc;
}

int tw_dpdk_rx_dispatch(struct tw_dpdk_rx *rx, unsigned max, tw_dpdk_rx_fn fn,
                        void *arg)
{
	unsigned done = 0;

	for (uint16_t q = 0; q < rx->queues && done < max; q++) {
		int rc = poll_queue(rx, q, max - done, fn, arg);

		if (rc < 0)
			return rc;
		done += (unsigned)rc;
	}
	return (int)done;
}

void tw_dpdk_rx_stats(struct tw_dpdk_rx *rx, struct tw_dpdk_rx_stats *st)
{
	struct tw_errbuf eb;

	if (tw_dpdk_port_counters(rx->o.port, &rx->st.port, &eb) < 0)
		memset(&rx->st.port, 0, sizeof(rx->st.port));
	*st = rx->st;
}

void tw_dpdk_rx_close(struct tw_dpdk_rx *rx)
{
	if (!rx)
		return;
	/* The pool goes: no mbuf may stay in the port's rings. */
	rte_eth_dev_stop(rx->o.port);
	rte_mempool_free(rx->pool);
	free(rx->scratch);
	free(rx);
}

/* ---- the blocking loop ------------------------------------------------ */

static bool done(const struct tw_dpdk_rx *rx, int64_t now, int64_t start,
                 int64_t last_rx)
{
	const struct tw_dpdk_rx_opts *o = &rx->o;

	return (o->stop && *o->stop) ||
	       (o->max_packets && rx->st.packets >= o->max_packets) ||
	       (o->duration_ns && now - start >= o->duration_ns) ||
	       (o->idle_ns && now - last_rx >= o->idle_ns);
}

/* The caller's tick, when one is due. */
static int maybe_tick(struct tw_dpdk_rx *rx, void *arg, int64_t now,
                      int64_t *next)
{
	int64_t every = rx->o.tick_ns ? rx->o.tick_ns : 100000000;

	if (!rx->o.tick || now < *next)
		return 0;
	*next = now + every;
	return rx->o.tick(arg, clock_ns(CLOCK_REALTIME));
}

static int rx_loop(struct tw_dpdk_rx *rx, tw_dpdk_rx_fn fn, void *arg)
{
	int64_t start = clock_ns(CLOCK_MONOTONIC), last_rx = start, now;
	int64_t next_tick = start;
	uint64_t polls = 0;
	int rc;

	do {
		uint64_t budget = rx->o.max_packets
		                          ? rx->o.max_packets - rx->st.packets
		                          : UINT32_MAX;

		rc = tw_dpdk_rx_dispatch(
		        rx, budget < UINT32_MAX ? (unsigned)budget : UINT32_MAX,
		        fn, arg);
		if (rc < 0)
			return rc;
		now = clock_ns(CLOCK_MONOTONIC);
		if (rc > 0)
			last_rx = now;
		else if (++polls % 1024 == 0)
			rte_pause();
		rc = maybe_tick(rx, arg, now, &next_tick);
		if (rc < 0)
			return rc;
	} while (!done(rx, now, start, last_rx));
	return 0;
}

int tw_dpdk_capture(const struct tw_dpdk_rx_opts *opts, tw_dpdk_rx_fn fn,
                    void *arg, struct tw_dpdk_rx_stats *st,
                    struct tw_errbuf *eb)
{
	struct tw_dpdk_rx *rx;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = tw_dpdk_rx_open(&rx, opts, eb);
	if (rc < 0)
		return rc;
	rc = rx_loop(rx, fn, arg);
	if (rc < 0)
		tw_errf(eb, rc, "port %u: the capture's output failed: %s",
		        opts->port, tw_strerror(rc));
	tw_dpdk_rx_stats(rx, st);
	tw_dpdk_rx_close(rx);
	return rc;
}
