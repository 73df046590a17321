/*
 * rx.c - capture from a DPDK port: RSS spreads the port's traffic over
 * several RX queues, and every packet goes to the caller's function (the
 * capture path's writer and rotation).  A chained mbuf (a frame larger
 * than one mbuf, with scatter on) is made contiguous in a scratch buffer
 * first.
 *
 * Where the EAL runs worker lcores, each polls its own share of the
 * queues (queue q on worker q % W) and hands its bursts to the caller's
 * thread through an rte_ring of its own: RSS keeps a flow on one queue,
 * a queue on one worker, a ring in order, so each flow's packets reach
 * the writer in arrival order, and the writer's stalls (a rotation, the
 * disk) fill the rings and then the port's descriptors, which the port
 * counts as imissed, never a silent loss here.  Without worker lcores
 * the caller's thread polls every queue in turn, a burst each.
 *
 * Timestamps are software ones: the host's wall clock (CLOCK_REALTIME)
 * read when the burst left the RX queue, so packets of one burst share
 * a stamp.  What a port offers as a hardware timestamp differs from one
 * NIC to the next (TODO(#7): use RTE_ETH_RX_OFFLOAD_TIMESTAMP with the
 * port's clock where offered).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "dpdk/internal.h"
#include "trace/log.h"

#define RX_BURST 64
#define SCRATCH (64 * 1024)
#define ONE_S_NS 1000000000LL
#define RING_SLOTS 4096 /* mbufs a worker can hold for the writer */

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * ONE_S_NS + ts.tv_nsec;
}

struct rx_worker {
	struct tw_dpdk_rx *rx;
	unsigned lcore;
	uint16_t first; /* polls queues first, first + W, ... */
	struct rte_ring *ring;
	bool launched;
} __rte_cache_aligned;

struct tw_dpdk_rx {
	struct tw_dpdk_rx_opts o;
	struct rte_mempool *pool;
	uint8_t *scratch;
	uint16_t queues;
	struct tw_dpdk_rx_stats st;
	/* Worker lcores, when the EAL runs some. */
	unsigned n_workers, next;
	struct rx_worker *w;
	int ts_off; /* the mbuf field a worker stamps its bursts in */
	int quit;   /* set (atomically): workers return */
	uint64_t queue_rx[TW_DPDK_MAX_LCORES]; /* atomic: workers count */
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

/* Hands ms[0..n) to fn with their stamps, and frees them. */
static int deliver_all(struct tw_dpdk_rx *rx, struct rte_mbuf **ms, unsigned n,
                       int64_t ts, tw_dpdk_rx_fn fn, void *arg)
{
	int rc = 0;

	for (unsigned i = 0; i < n; i++) {
		if (rx->n_workers)
			ts = *RTE_MBUF_DYNFIELD(ms[i], rx->ts_off, int64_t *);
		if (rc == 0)
			rc = deliver(rx, ms[i], ts, fn, arg);
		rte_pktmbuf_free(ms[i]);
	}
	return rc;
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
	int rc = deliver_all(rx, ms, n, ts, fn, arg);

	if (q < TW_DPDK_MAX_LCORES)
		rx->st.queue_packets[q] += n;
	return rc < 0 ? rc : n;
}

/* ---- worker lcores --------------------------------------------------- */

static bool quitting(const struct tw_dpdk_rx *rx)
{
	return __atomic_load_n(&rx->quit, __ATOMIC_ACQUIRE);
}

/* Into the writer's ring; waits while it is full (the port's own
 * descriptors then fill, and it counts what it misses). */
static void push(struct rx_worker *w, struct rte_mbuf **ms, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		done += rte_ring_sp_enqueue_burst(w->ring, (void **)ms + done,
		                                  n - done, NULL);
		if (done < n && quitting(w->rx)) {
			rte_pktmbuf_free_bulk(ms + done, n - done);
			return;
		}
		if (done < n)
			rte_pause();
	}
}

static int worker_main(void *arg)
{
	struct rx_worker *w = arg;
	struct tw_dpdk_rx *rx = w->rx;
	struct rte_mbuf *ms[RX_BURST];

	while (!quitting(rx)) {
		for (uint16_t q = w->first; q < rx->queues;
		     q = (uint16_t)(q + rx->n_workers)) {
			uint16_t n =
			        rte_eth_rx_burst(rx->o.port, q, ms, RX_BURST);
			int64_t ts;

			if (!n)
				continue;
			ts = clock_ns(CLOCK_REALTIME);
			for (uint16_t i = 0; i < n; i++)
				*RTE_MBUF_DYNFIELD(ms[i], rx->ts_off,
				                   int64_t *) = ts;
			__atomic_fetch_add(&rx->queue_rx[q], n,
			                   __ATOMIC_RELAXED);
			push(w, ms, n);
		}
	}
	return 0;
}

static int stamp_field(struct tw_errbuf *eb)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "tracewarp_rx_wall_ns",
		.size = sizeof(int64_t),
		.align = __alignof__(int64_t),
	};
	int off = rte_mbuf_dynfield_register(&desc);

	if (off < 0)
		return tw_errf(eb, TW_EIO, "mbuf field for timestamps: %s",
		               rte_strerror(rte_errno));
	return off;
}

/* The worker lcores free now, up to one per queue. */
static unsigned free_workers(unsigned *ids, unsigned max)
{
	unsigned id, n = 0;

	RTE_LCORE_FOREACH_WORKER(id)
	{
		if (n == max)
			break;
		if (rte_eal_get_lcore_state(id) == WAIT)
			ids[n++] = id;
	}
	return n;
}

static int workers_init(struct tw_dpdk_rx *rx, struct tw_errbuf *eb)
{
	unsigned ids[TW_DPDK_MAX_LCORES];
	unsigned n = free_workers(ids, rx->queues);

	if (!n) {
		for (uint16_t q = 0; q < rx->queues; q++)
			rx->st.queue_lcore[q] = rte_lcore_id();
		return 0;
	}
	rx->ts_off = stamp_field(eb);
	if (rx->ts_off < 0)
		return rx->ts_off;
	rx->w = rte_zmalloc("tw_rx_workers", n * sizeof(*rx->w),
	                    RTE_CACHE_LINE_SIZE);
	if (!rx->w)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	for (unsigned k = 0; k < n; k++) {
		char name[RTE_RING_NAMESIZE];

		tw_dpdk_pool_name(name, sizeof(name), "rxr");
		rx->w[k].rx = rx;
		rx->w[k].lcore = ids[k];
		rx->w[k].first = (uint16_t)k;
		rx->w[k].ring = rte_ring_create(
		        name, RING_SLOTS, (int)rte_lcore_to_socket_id(ids[k]),
		        RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!rx->w[k].ring)
			return tw_errf(eb, TW_ENOMEM, "RX ring: %s",
			               rte_strerror(rte_errno));
		rx->n_workers = k + 1;
	}
	for (uint16_t q = 0; q < rx->queues && q < TW_DPDK_MAX_LCORES; q++)
		rx->st.queue_lcore[q] = ids[q % n];
	rx->st.workers = n;
	return 0;
}

static void workers_launch(struct tw_dpdk_rx *rx)
{
	for (unsigned k = 0; k < rx->n_workers; k++)
		rx->w[k].launched =
		        rte_eal_remote_launch(worker_main, &rx->w[k],
		                              rx->w[k].lcore) == 0;
}

void tw_dpdk_rx_stop(struct tw_dpdk_rx *rx)
{
	__atomic_store_n(&rx->quit, 1, __ATOMIC_RELEASE);
	for (unsigned k = 0; k < rx->n_workers; k++) {
		if (rx->w[k].launched)
			rte_eal_wait_lcore(rx->w[k].lcore);
		rx->w[k].launched = false;
	}
}

static void workers_free(struct tw_dpdk_rx *rx)
{
	struct rte_mbuf *ms[RX_BURST];
	unsigned n;

	if (!rx->w)
		return;
	tw_dpdk_rx_stop(rx);
	for (unsigned k = 0; k < rx->n_workers; k++) {
		while ((n = rte_ring_sc_dequeue_burst(
		                rx->w[k].ring, (void **)ms, RX_BURST, NULL)))
			rte_pktmbuf_free_bulk(ms, n);
		rte_ring_free(rx->w[k].ring);
	}
	rte_free(rx->w);
	rx->w = NULL;
}

/* ---- open, dispatch, close ------------------------------------------- */

/* Mbufs enough for every descriptor and ring, and the default's room. */
static unsigned pool_size(const struct tw_dpdk_rx_opts *o, unsigned queues)
{
	unsigned need = queues * (TW_DPDK_RX_DESC + RING_SLOTS) + 4096;

	if (o->pool_mbufs)
		return o->pool_mbufs;
	return need > 16383 ? need : 16383;
}

int tw_dpdk_rx_open(struct tw_dpdk_rx **out, const struct tw_dpdk_rx_opts *o,
                    struct tw_errbuf *eb)
{
	struct tw_dpdk_port_setup s = { 0 };
	struct tw_dpdk_port_caps caps;
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned mbufs;
	struct tw_dpdk_rx *rx;
	int socket, rc;

	*out = NULL;
	rc = tw_dpdk_need_eal(eb);
	if (rc < 0)
		return rc;
	if (o->queues > TW_DPDK_MAX_LCORES)
		return tw_errf(eb, TW_EINVAL, "%u RX queues: at most %d",
		               o->queues, TW_DPDK_MAX_LCORES);
	rx = calloc(1, sizeof(*rx));
	if (!rx)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	rx->o = *o;
	rx->queues = o->queues ? o->queues : 1;
	mbufs = pool_size(o, rx->queues);
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
	if ((rc = workers_init(rx, eb)) < 0)
		goto fail;
	s.n_rxq = rx->queues;
	s.rx_pool = rx->pool;
	rc = tw_dpdk_port_start(o->port, &s, &caps, eb);
	if (rc < 0)
		goto fail;
	workers_launch(rx);
	*out = rx;
	return 0;
fail:
	workers_free(rx);
	rte_mempool_free(rx->pool);
	free(rx->scratch);
	free(rx);
	return rc;
}

/* What the workers' rings hold, each ring in turn, at most max. */
static int dispatch_rings(struct tw_dpdk_rx *rx, unsigned max, tw_dpdk_rx_fn fn,
                          void *arg)
{
	struct rte_mbuf *ms[RX_BURST];
	unsigned done = 0;

	for (unsigned k = 0; k < rx->n_workers && done < max; k++) {
		struct rx_worker *w = &rx->w[(rx->next + k) % rx->n_workers];
		unsigned want = max - done < RX_BURST ? max - done : RX_BURST;
		unsigned n = rte_ring_sc_dequeue_burst(w->ring, (void **)ms,
		                                       want, NULL);
		int rc = deliver_all(rx, ms, n, 0, fn, arg);

		if (rc < 0)
			return rc;
		done += n;
	}
	rx->next++;
	return (int)done;
}

int tw_dpdk_rx_dispatch(struct tw_dpdk_rx *rx, unsigned max, tw_dpdk_rx_fn fn,
                        void *arg)
{
	unsigned done = 0;

	if (rx->n_workers)
		return dispatch_rings(rx, max, fn, arg);
	for (uint16_t q = 0; q < rx->queues && done < max; q++) {
		int rc = poll_queue(rx, q, max - done, fn, arg);

		if (rc < 0)
			return rc;
		done += (unsigned)rc;
	}
	return (int)done;
}

unsigned tw_dpdk_rx_workers(const struct tw_dpdk_rx *rx)
{
	return rx->n_workers;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* The port's counters only grow while it runs, but some drivers lose
 * them (net_memif when its peer disconnects): keep the highest read. */
static void keep_counters(struct tw_dpdk_counters *k,
                          const struct tw_dpdk_counters *c)
{
	k->ipackets = max64(k->ipackets, c->ipackets);
	k->ibytes = max64(k->ibytes, c->ibytes);
	k->imissed = max64(k->imissed, c->imissed);
	k->ierrors = max64(k->ierrors, c->ierrors);
	k->rx_nombuf = max64(k->rx_nombuf, c->rx_nombuf);
	k->opackets = max64(k->opackets, c->opackets);
	k->obytes = max64(k->obytes, c->obytes);
	k->oerrors = max64(k->oerrors, c->oerrors);
}

void tw_dpdk_rx_stats(struct tw_dpdk_rx *rx, struct tw_dpdk_rx_stats *st)
{
	struct tw_dpdk_counters now;
	struct tw_errbuf eb;

	if (tw_dpdk_port_counters(rx->o.port, &now, &eb) == 0)
		keep_counters(&rx->st.port, &now);
	for (unsigned q = 0; rx->n_workers && q < rx->queues; q++)
		rx->st.queue_packets[q] =
		        __atomic_load_n(&rx->queue_rx[q], __ATOMIC_RELAXED);
	rx->st.queues = rx->queues;
	*st = rx->st;
}

void tw_dpdk_rx_close(struct tw_dpdk_rx *rx)
{
	if (!rx)
		return;
	workers_free(rx);
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
