/*
 * bench.c - the floor the benchmarks compare against: a bare
 * rte_eth_tx_burst loop over the same frames, one mbuf per frame built
 * once (attached to the frame, as the preloaded replay does) and sent
 * again and again by taking a reference on it.  No schedule, no
 * counters beyond the total: what the port and the mbuf library cost.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "dpdk/internal.h"
#include "trace/reader.h"

static int read_frames(const char *path, uint8_t **arena, size_t *len,
                       uint32_t **lens, size_t *n, struct tw_errbuf *eb)
{
	struct tw_reader *r;
	struct tw_packet p;
	size_t cap = 0, ncap = 0;
	int rc = tw_reader_open(&r, path, eb->msg, sizeof(eb->msg));

	*arena = NULL;
	*lens = NULL;
	*len = *n = 0;
	if (rc < 0)
		return rc;
	while ((rc = tw_reader_next(r, &p)) > 0) {
		if (*len + p.caplen > cap) {
			cap = (cap + p.caplen) * 2;
			*arena = realloc(*arena, cap);
		}
		if (*n == ncap) {
			ncap = ncap ? ncap * 2 : 1024;
			*lens = realloc(*lens, ncap * sizeof(**lens));
		}
		if (!*arena || !*lens) {
			rc = tw_errf(eb, TW_ENOMEM, "out of memory");
			break;
		}
		memcpy(*arena + *len, p.data, p.caplen);
		*len += p.caplen;
		(*lens)[(*n)++] = p.caplen;
	}
	tw_reader_close(r);
	return rc < 0 ? rc : 0;
}

static void bare_loop(struct tw_dpdk_txq *q, struct rte_mbuf **ms, size_t n,
                      uint64_t packets, unsigned burst)
{
	struct rte_mbuf *b[TW_DPDK_MAX_BURST];
	uint64_t done = 0;
	size_t next = 0;

	while (done < packets) {
		unsigned k = 0;

		for (; k < burst && done + k < packets; k++) {
			b[k] = ms[next];
			rte_mbuf_refcnt_update(b[k], 1);
			if (++next == n)
				next = 0;
		}
		done += tw_dpdk_tx_all(q, b, k, UINT32_MAX);
	}
}

int tw_dpdk_bare_tx(uint16_t port, const char *path, uint64_t packets,
                    unsigned burst, double *pps, struct tw_errbuf *eb)
{
	struct tw_dpdk_port_setup s = { .n_txq = 1 };
	struct tw_dpdk_port_caps caps;
	struct tw_dpdk_txq q;
	struct rte_mbuf **ms = NULL;
	uint8_t *arena;
	uint32_t *lens;
	size_t len, n, off = 0;
	uint64_t t0;
	int rc;

	if (!burst || burst > TW_DPDK_MAX_BURST)
		burst = TW_DPDK_DEFAULT_BURST;
	rc = read_frames(path, &arena, &len, &lens, &n, eb);
	if (rc < 0 || !n)
		goto out_frames;
	if ((rc = tw_dpdk_port_start(port, &s, &caps, eb)) < 0 ||
	    (rc = tw_dpdk_txq_init(&q, port, 0, (unsigned)(n / 2 + 1024), &caps,
	                           eb)) < 0)
		goto out_frames;
	tw_dpdk_txq_set_arena(&q, arena, len);
	ms = calloc(n, sizeof(*ms));
	for (size_t i = 0; ms && i < n; off += lens[i++])
		if (!(ms[i] = tw_dpdk_mbuf_attach(&q, arena + off, lens[i])))
			break;
	if (!ms || (n && !ms[n - 1])) {
		rc = tw_errf(eb, TW_ENOMEM, "no mbufs for %zu frames", n);
		goto out;
	}
	t0 = rte_rdtsc();
	bare_loop(&q, ms, n, packets, burst);
	*pps = (double)packets * (double)rte_get_tsc_hz() /
	       (double)(rte_rdtsc() - t0);
out:
	for (size_t i = 0; ms && i < n; i++)
		rte_pktmbuf_free(ms[i]);
	free(ms);
	rte_eth_dev_stop(port);
	tw_dpdk_txq_fini(&q);
out_frames:
	free(arena);
	free(lens);
	return rc;
}
