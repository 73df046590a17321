/*
 * replay.c - a trace preloaded once and sent by several lcores, without
 * per-packet copies.
 *
 * Load: the frames are read into one page-aligned arena (anonymous
 * memory, hugepages when the host has them, registered with
 * rte_extmem_register and DMA-mapped for the port), each decoded once
 * for its flow key; tw_flow_hash() of the key
 * picks the lcore that owns the flow, so a flow's packets all leave from
 * one TX queue, in file order.  Each packet's scheduled offset in the
 * first pass comes from replay/schedule.h; a later loop adds one pass
 * span per loop (every mode is linear in the loop number).
 *
 * Send: each lcore walks its packets; a burst leaves when its first
 * packet's TSC deadline comes (one shared start, cycles from offsets by
 * a 32.32 fixed-point multiply) and takes every packet already due
 * behind it.  A frame is an mbuf attached to its bytes in the arena,
 * one reference on the lcore's shared info each (loops and copies send
 * the same bytes again); an amplified copy (source address shifted,
 * checksums updated incrementally) is a small header mbuf with the
 * rewritten headers, chained in front of an mbuf attached to the rest.
 * A port that cannot send chains gets a full copy instead.
 *
 * Not yet as the engine (TODO(#7)): --unique-ip, copies spread over
 * the gap to the next packet, and copies in their own --pps slots (here
 * a copy leaves with its original).
 *
 * Lateness is measured as in the engine: the TSC at the start of the
 * rte_eth_tx_burst call that the port accepted the packet in, minus its
 * deadline.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "dpdk/internal.h"
#include "replay/amplify.h"
#include "replay/bpf.h"
#include "replay/rewrite.h"
#include "trace/decode.h"
#include "trace/flow.h"
#include "trace/log.h"
#include "trace/reader.h"

#define ONE_S_NS 1000000000ULL
#define STOP_CHECK 4096
#define STASH 64 /* mbufs taken from the pool at once */

struct rec {
	uint64_t off;  /* frame in the arena */
	int64_t sched; /* offset in the first pass, ns */
	uint32_t len;
	uint16_t hlen;   /* bytes through the transport header */
	int8_t client;   /* 0 source, 1 destination, -1 no IP */
	uint32_t copies; /* packets out per packet in (amplification) */
	uint8_t lcore;   /* index of the owning lcore */
};

struct flow_val {
	uint8_t lcore;
};

struct lctx {
	struct tw_dpdk_replay *r;
	unsigned index;
	struct tw_dpdk_txq q;
	uint32_t *idx; /* records it owns, file order */
	size_t n;
	uint64_t chained, zerocopy;
	uint64_t first_tsc, last_tsc;
	struct tw_dpdk_lcore_stats st;
	struct tw_hist hist;
	struct rte_mbuf *ms[TW_DPDK_MAX_BURST];
	uint64_t due[TW_DPDK_MAX_BURST];
	struct rte_mbuf *stash[STASH];
	unsigned n_stash;
	bool stalled; /* the port took nothing for TW_DPDK_STALL_NS */
} __rte_cache_aligned;

struct tw_dpdk_replay {
	struct tw_dpdk_replay_cfg cfg;
	uint8_t *arena;
	size_t arena_cap, arena_len;
	size_t page; /* the arena's page size */
	bool registered;
	struct rec *recs;
	size_t n_recs, cap_recs;
	int64_t span; /* ns from a pass's start to the next's */
	unsigned n_lcores;
	struct lctx *lc;
	uint64_t start_tsc;
	uint64_t ns2tsc, tsc2ns; /* 32.32 fixed point */
	uint64_t stall_tsc;      /* TW_DPDK_STALL_NS in cycles */
	struct tw_dpdk_replay_stats st;
};

static uint64_t mul32(uint64_t v, uint64_t m)
{
	return (uint64_t)(((unsigned __int128)v * m) >> 32);
}

/* ---- load ------------------------------------------------------------ */

/*
 * The arena: 2 MB hugepages when the host has them free (fewer TLB
 * misses while the lcores stream through it), ordinary pages otherwise
 * (--no-huge, tests).  Either way anonymous memory, registered with
 * DPDK afterwards.
 */
static void *map_arena(size_t len, size_t *cap, size_t *pg)
{
	size_t huge = 2u << 20, small = (size_t)sysconf(_SC_PAGESIZE);
	void *p;

	*cap = (len + huge) & ~(huge - 1);
	/* Reserved at mmap (no MAP_NORESERVE): with too few free
	 * hugepages this fails here rather than with SIGBUS later. */
	p = mmap(NULL, *cap, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p != MAP_FAILED) {
		*pg = huge;
		return p;
	}
	*cap = (len + small) & ~(small - 1);
	*pg = small;
	p = mmap(NULL, *cap, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int arena_map(struct tw_dpdk_replay *r, const char *path,
                     struct tw_errbuf *eb)
{
	struct stat sb;

	if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return tw_errf(eb, TW_EINVAL,
		               "%s: a multi-lcore replay needs a regular "
		               "file",
		               path);
	/* TODO(#7): stream a trace above the bound with read-ahead, as
	 * the engine does, instead of refusing it. */
	if ((uint64_t)sb.st_size > r->cfg.preload_max)
		return tw_errf(eb, TW_ELIMIT,
		               "%s: %lld bytes, more than the preload bound "
		               "(%llu)",
		               path, (long long)sb.st_size,
		               (unsigned long long)r->cfg.preload_max);
	r->arena = map_arena((size_t)sb.st_size, &r->arena_cap, &r->page);
	if (!r->arena)
		return tw_errf(eb, TW_ENOMEM, "%s: mapping %lld bytes: %s",
		               path, (long long)sb.st_size, strerror(errno));
	if (r->page > (size_t)sysconf(_SC_PAGESIZE))
		tw_log(TW_LOG_INFO, TW_DPDK_COMP,
		       "%s: preloaded into hugepages", path);
	return 0;
}

static struct rec *rec_add(struct tw_dpdk_replay *r)
{
	if (r->n_recs == r->cap_recs) {
		size_t n = r->cap_recs ? r->cap_recs * 2 : 4096;
		struct rec *p = realloc(r->recs, n * sizeof(*p));

		if (!p)
			return NULL;
		r->recs = p;
		r->cap_recs = n;
	}
	return &r->recs[r->n_recs++];
}

/* Decodes a frame: its header length and the lcore owning its flow. */
static int classify(struct tw_dpdk_replay *r, struct tw_flow_table *ft,
                    struct rec *rc, const uint8_t *data)
{
	struct tw_flow_key key;
	struct tw_decoded d;
	struct flow_val *fv;
	bool created;
	int dir, err = 0;

	rc->lcore = 0;
	rc->hlen = 0;
	tw_decode(data, rc->len, TW_LINK_ETHERNET, &d);
	if (!tw_flow_key_of(data, &d, &key, &dir))
		return 0;
	fv = tw_flow_table_get(ft, &key, &created, &err);
	if (!fv)
		return err;
	if (created) {
		fv->lcore = (uint8_t)(tw_flow_hash(&key, r->cfg.flow_seed) %
		                      r->n_lcores);
		r->lc[fv->lcore].st.flows++;
	}
	rc->lcore = fv->lcore;
	if (d.ip.l4_off && d.payload_off <= TW_DPDK_HDR_ROOM &&
	    d.payload_off <= rc->len)
		rc->hlen = (uint16_t)d.payload_off;
	return 0;
}

/* What loading needs beside the replay: filters, the flow table. */
struct loader {
	struct tw_flow_table *ft;
	struct tw_bpf *filter;
	struct tw_amp *amp;
	bool rewriting;
};

/*
 * One packet of the trace into the arena: selected by the filter,
 * classified for amplification on its bytes as captured (as the engine
 * does), rewritten in place, then given to an lcore.  Returns 1 when
 * loaded, 0 when filtered out, or an error.
 */
static int load_one(struct tw_dpdk_replay *r, struct loader *ld,
                    const struct tw_packet *p, struct tw_errbuf *eb)
{
	uint8_t *buf = r->arena + r->arena_len;
	struct tw_amp_verdict v = { 1, -1 };
	struct tw_decoded d;
	struct rec *rec;
	uint32_t len = p->caplen;
	int rc;

	if (ld->filter) {
		rc = tw_bpf_match(ld->filter, TW_LINK_ETHERNET, p->data,
		                  p->caplen, p->wirelen, eb);
		if (rc <= 0)
			return rc;
	}
	if (r->arena_len + len + TW_RW_HEADROOM > r->arena_cap ||
	    !(rec = rec_add(r)))
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	memcpy(buf, p->data, len);
	if (ld->amp || ld->rewriting)
		tw_decode(buf, len, TW_LINK_ETHERNET, &d);
	if (ld->amp) {
		rc = tw_amp_classify(ld->amp, buf, len, p->wirelen,
		                     TW_LINK_ETHERNET, &d, &v, eb);
		if (rc < 0)
			return rc;
	}
	if (ld->rewriting)
		tw_rewrite_apply(r->cfg.rewrite, buf, &len,
		                 len + TW_RW_HEADROOM, TW_LINK_ETHERNET, &d);
	rec->off = r->arena_len;
	rec->len = len;
	rec->sched = p->flags & TW_PKT_NO_TS ? INT64_MIN : p->ts_ns;
	rec->copies = v.copies;
	rec->client = (int8_t)v.client;
	r->arena_len += len;
	rc = classify(r, ld->ft, rec, buf);
	if (rc < 0)
		return tw_errf(eb, rc, "flow table: %s", tw_strerror(rc));
	return 1;
}

static int loader_init(struct tw_dpdk_replay *r, struct loader *ld,
                       struct tw_errbuf *eb)
{
	struct tw_amp_cfg ac = { r->cfg.amplify_filter, r->cfg.copies, false };
	int rc;

	memset(ld, 0, sizeof(*ld));
	ld->ft = tw_flow_table_new(sizeof(struct flow_val), 0);
	if (!ld->ft)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	ld->rewriting = r->cfg.rewrite && tw_rewrite_active(r->cfg.rewrite);
	if (r->cfg.filter &&
	    (rc = tw_bpf_new(&ld->filter, r->cfg.filter, eb)) < 0)
		return rc;
	/* Without a filter of its own, copies amplify every IP flow. */
	if (r->cfg.copies > 1) {
		if (!ac.filter)
			ac.filter = "ip or ip6";
		if ((rc = tw_amp_new(&ld->amp, &ac, eb)) < 0)
			return rc;
	}
	return 0;
}

static void loader_fini(struct loader *ld)
{
	tw_flow_table_free(ld->ft);
	tw_bpf_free(ld->filter);
	tw_amp_free(ld->amp);
}

static int load_frames(struct tw_dpdk_replay *r, const char *path,
                       struct tw_errbuf *eb)
{
	struct tw_reader *rd;
	struct loader ld;
	struct tw_packet p;
	int rc = loader_init(r, &ld, eb);

	if (rc < 0 ||
	    (rc = tw_reader_open(&rd, path, eb->msg, sizeof(eb->msg))) < 0) {
		loader_fini(&ld);
		return rc;
	}
	while ((rc = tw_reader_next(rd, &p)) > 0) {
		const struct tw_iface *ifc = tw_reader_iface(rd, p.iface);

		if (!ifc || ifc->linktype != TW_LINK_ETHERNET) {
			r->st.skipped_link++;
			continue;
		}
		rc = load_one(r, &ld, &p, eb);
		if (rc < 0)
			break;
		r->st.skipped_filtered += rc == 0;
	}
	if (rc == TW_ETRUNC) {
		tw_log(TW_LOG_WARN, TW_DPDK_COMP,
		       "%s; sending what came before", tw_reader_errmsg(rd));
		rc = 0;
	} else if (rc < 0 && !eb->msg[0]) {
		rc = tw_errf(eb, rc, "%s", tw_reader_errmsg(rd));
	}
	if (ld.amp)
		r->st.flows_amplified = tw_amp_flows(ld.amp);
	tw_reader_close(rd);
	loader_fini(&ld);
	return rc;
}

/* Offsets of the first pass, and the span of one pass. */
static int schedule_all(struct tw_dpdk_replay *r, struct tw_errbuf *eb)
{
	struct tw_sched s;
	int64_t ts = 0, first_ts = 0, next;

	if (tw_sched_init(&s, &r->cfg.sched) < 0)
		return tw_errf(eb, TW_EINVAL, "invalid schedule");
	for (size_t i = 0; i < r->n_recs; i++) {
		struct rec *rc = &r->recs[i];

		if (rc->sched != INT64_MIN)
			ts = rc->sched;
		if (i == 0)
			first_ts = ts;
		if (tw_sched_next(&s, ts, rc->len, &rc->sched) < 0)
			return tw_errf(eb, TW_ELIMIT,
			               "schedule beyond 2^63 ns");
	}
	r->span = 0;
	if (r->n_recs) {
		int64_t first = r->recs[0].sched;

		r->st.sched_span_ns = r->recs[r->n_recs - 1].sched;
		tw_sched_new_loop(&s);
		/* The first packet again opens the second pass. */
		if (tw_sched_next(&s, first_ts, r->recs[0].len, &next) == 0)
			r->span = next - first;
	}
	return 0;
}

static int split_flows(struct tw_dpdk_replay *r, struct tw_errbuf *eb)
{
	for (unsigned l = 0; l < r->n_lcores; l++) {
		r->lc[l].idx = malloc((r->n_recs + 1) * sizeof(uint32_t));
		if (!r->lc[l].idx)
			return tw_errf(eb, TW_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < r->n_recs; i++) {
		struct lctx *c = &r->lc[r->recs[i].lcore];

		c->idx[c->n++] = (uint32_t)i;
	}
	return 0;
}

static int setup_lcores(struct tw_dpdk_replay *r, struct tw_errbuf *eb)
{
	struct tw_dpdk_port_setup s = { 0 };
	struct tw_dpdk_port_caps caps;
	unsigned avail = rte_lcore_count(), id, l = 0;
	int rc;

	r->n_lcores = r->cfg.lcores ? r->cfg.lcores : avail;
	if (r->n_lcores > avail || r->n_lcores > TW_DPDK_MAX_LCORES)
		return tw_errf(eb, TW_EINVAL,
		               "%u TX lcores asked for, the EAL runs %u",
		               r->n_lcores, avail);
	r->lc = rte_zmalloc("tw_lcores", r->n_lcores * sizeof(*r->lc),
	                    RTE_CACHE_LINE_SIZE);
	if (!r->lc)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	s.n_txq = (uint16_t)r->n_lcores;
	rc = tw_dpdk_port_start(r->cfg.port, &s, &caps, eb);
	if (rc < 0)
		return rc;
	/* Context 0 runs on the main lcore, the others on the workers,
	 * in the order tw_dpdk_replay_run() launches them. */
	r->lc[0].st.lcore = rte_get_main_lcore();
	RTE_LCORE_FOREACH_WORKER(id)
	{
		if (l + 1 >= r->n_lcores)
			break;
		r->lc[++l].st.lcore = id;
	}
	for (l = 0; l < r->n_lcores; l++) {
		struct lctx *c = &r->lc[l];

		c->r = r;
		c->index = l;
		c->st.queue = (uint16_t)l;
		tw_hist_init(&c->hist);
		rc = tw_dpdk_txq_init(&c->q, r->cfg.port, (uint16_t)l, 4095,
		                      &caps, eb);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int tw_dpdk_replay_load(struct tw_dpdk_replay **out, const char *path,
                        const struct tw_dpdk_replay_cfg *cfg,
                        struct tw_errbuf *eb)
{
	struct tw_dpdk_replay *r;
	uint64_t hz;
	int rc;

	*out = NULL;
	rc = tw_dpdk_need_eal(eb);
	if (rc < 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	r->cfg = *cfg;
	if (!r->cfg.loops)
		r->cfg.loops = 1;
	if (!r->cfg.copies)
		r->cfg.copies = 1;
	if (!r->cfg.burst || r->cfg.burst > TW_DPDK_MAX_BURST)
		r->cfg.burst = TW_DPDK_DEFAULT_BURST;
	if (!r->cfg.preload_max)
		r->cfg.preload_max = 1ULL << 30;
	if (!r->cfg.lead_ns)
		r->cfg.lead_ns = 1000000;
	hz = rte_get_tsc_hz();
	r->ns2tsc = (uint64_t)(((unsigned __int128)hz << 32) / ONE_S_NS);
	r->tsc2ns = (uint64_t)(((unsigned __int128)ONE_S_NS << 32) / hz);
	r->stall_tsc = mul32(TW_DPDK_STALL_NS, r->ns2tsc);
	eb->msg[0] = '\0';
	if ((rc = setup_lcores(r, eb)) < 0 ||
	    (rc = arena_map(r, path, eb)) < 0 ||
	    (rc = load_frames(r, path, eb)) < 0 ||
	    (rc = schedule_all(r, eb)) < 0 || (rc = split_flows(r, eb)) < 0) {
		tw_dpdk_replay_free(r);
		return rc;
	}
	rc = tw_dpdk_extmem_add(r->cfg.port, r->arena, r->arena_cap, r->page,
	                        eb);
	if (rc == 0)
		r->registered = true;
	else
		tw_log(TW_LOG_WARN, TW_DPDK_COMP, "%s", eb->msg);
	for (unsigned l = 0; l < r->n_lcores; l++)
		if (r->registered)
			tw_dpdk_txq_set_arena(&r->lc[l].q, r->arena,
			                      r->arena_len);
	r->st.packets = r->n_recs;
	r->st.preload_bytes = r->arena_len;
	r->st.n_lcores = r->n_lcores;
	*out = r;
	return 0;
}

/* ---- send ------------------------------------------------------------ */

static bool stopped(const struct tw_dpdk_replay *r)
{
	return r->cfg.stop && *r->cfg.stop;
}

/* Copy j of a frame: source address shifted, checksums updated. */
static struct rte_mbuf *build_copy(struct lctx *c, const struct rec *rc,
                                   uint32_t j)
{
	const uint8_t *data = c->r->arena + rc->off;
	uint8_t hdr[TW_DPDK_HDR_ROOM];
	struct tw_decoded d;
	struct rte_mbuf *m;

	if (c->q.caps.multiseg && rc->hlen && rc->len <= UINT16_MAX &&
	    c->q.arena) {
		memcpy(hdr, data, rc->hlen);
		tw_decode(hdr, rc->hlen, TW_LINK_ETHERNET, &d);
		tw_amp_apply(hdr, rc->hlen, &d, rc->client, j);
		m = tw_dpdk_mbuf_hdr(&c->q, hdr, rc->hlen, data, rc->len);
		c->chained += m != NULL;
		return m;
	}
	m = tw_dpdk_mbuf_copy(&c->q, data, rc->len);
	if (m && m->nb_segs == 1) {
		uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

		tw_decode(p, rc->len, TW_LINK_ETHERNET, &d);
		tw_amp_apply(p, rc->len, &d, rc->client, j);
	}
	return m;
}

static struct rte_mbuf *build(struct lctx *c, const struct rec *rc, uint32_t j)
{
	const uint8_t *data = c->r->arena + rc->off;
	struct rte_mbuf *m;

	if (j && rc->client >= 0)
		return build_copy(c, rc, j);
	if (c->q.arena && rc->len <= UINT16_MAX) {
		if (!c->n_stash &&
		    rte_pktmbuf_alloc_bulk(c->q.hdr_pool, c->stash, STASH) == 0)
			c->n_stash = STASH;
		if (!c->n_stash)
			return NULL;
		m = c->stash[--c->n_stash];
		tw_dpdk_mbuf_attach_to(&c->q, m, data, rc->len);
		c->zerocopy++;
		return m;
	}
	return tw_dpdk_mbuf_copy(&c->q, data, rc->len);
}

/* Counts v n times (tw_hist_record() n times, in one step). */
static void hist_record_n(struct tw_hist *h, uint64_t v, uint64_t n)
{
	h->bucket[tw_hist_index(v)] += n;
	h->count += n;
	h->sum += (unsigned __int128)v * n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/* Lateness of ms[from..to) sent at t: packets due together (a burst at
 * top speed, a backlog) are counted together. */
static void record_lateness(struct lctx *c, unsigned from, unsigned to,
                            uint64_t t)
{
	while (from < to) {
		uint64_t due = c->due[from];
		unsigned k = from + 1;

		while (k < to && c->due[k] == due)
			k++;
		hist_record_n(&c->hist,
		              t > due ? mul32(t - due, c->r->tsc2ns) : 0,
		              k - from);
		from = k;
	}
}

static void send_burst(struct lctx *c, unsigned *n)
{
	uint64_t t = rte_rdtsc(), stuck = 0;
	unsigned done = 0;

	while (done < *n) {
		unsigned k = tw_dpdk_tx_all(&c->q, c->ms + done, *n - done, 0);

		if (k == 0) {
			uint64_t now = rte_rdtsc();

			c->st.retried += *n - done;
			if (!stuck)
				stuck = now;
			/* Once stalled, a burst gets one try until the port
			 * takes something again. */
			if (stopped(c->r) || c->stalled ||
			    now - stuck > c->r->stall_tsc) {
				c->st.failed += *n - done;
				c->stalled = true;
				break;
			}
			rte_pause();
			continue;
		}
		stuck = 0;
		c->stalled = false;
		for (unsigned i = done; i < done + k; i++)
			c->st.bytes += c->ms[i]->pkt_len;
		record_lateness(c, done, done + k, t);
		c->st.sent += k;
		done += k;
		t = rte_rdtsc();
	}
	for (unsigned i = done; i < *n; i++)
		rte_pktmbuf_free(c->ms[i]);
	if (!c->first_tsc)
		c->first_tsc = c->due[0];
	c->last_tsc = t;
	*n = 0;
}

/* Spins until the TSC reaches deadline; false when stopped. */
static bool wait_tsc(struct lctx *c, uint64_t deadline)
{
	unsigned spins = 0;

	while (rte_rdtsc() < deadline) {
		if (++spins % STOP_CHECK == 0 && stopped(c->r))
			return false;
		rte_pause();
	}
	return true;
}

/* One packet (all its copies) into the burst. */
static bool add_packet(struct lctx *c, const struct rec *rc, uint64_t due,
                       uint64_t *now, unsigned *n)
{
	struct tw_dpdk_replay *r = c->r;

	if (due > *now) {
		*now = rte_rdtsc();
		if (due > *now) {
			if (*n)
				send_burst(c, n);
			if (!wait_tsc(c, due))
				return false;
			*now = due;
		}
	}
	for (uint32_t j = 0; j < rc->copies; j++) {
		struct rte_mbuf *m;
		uint64_t since = 0;

		/* No mbuf: the port still holds them all.  Push what is
		 * built, wait, and give up when the port is stuck. */
		while (!(m = build(c, rc, j))) {
			uint64_t t = rte_rdtsc();

			c->st.nombuf++;
			if (*n)
				send_burst(c, n);
			if (!since)
				since = t;
			if (stopped(r))
				return false;
			if (c->stalled || t - since > r->stall_tsc) {
				c->st.failed += rc->copies - j;
				c->stalled = true;
				return true;
			}
			rte_pause();
		}
		c->ms[*n] = m;
		c->due[(*n)++] = due;
		if (*n == r->cfg.burst)
			send_burst(c, n);
	}
	return true;
}

static int lcore_main(void *arg)
{
	struct lctx *c = arg;
	struct tw_dpdk_replay *r = c->r;
	uint64_t now = 0;
	unsigned n = 0;

	for (uint64_t loop = 0; loop < r->cfg.loops; loop++) {
		int64_t base = (int64_t)loop * r->span;

		for (size_t k = 0; k < c->n; k++) {
			const struct rec *rc = &r->recs[c->idx[k]];
			uint64_t off = (uint64_t)(base + rc->sched);
			/* At top speed every offset is 0: no multiply. */
			uint64_t due = r->start_tsc +
			               (off ? mul32(off, r->ns2tsc) : 0);

			if (k + 8 < c->n)
				rte_prefetch0(&r->recs[c->idx[k + 8]]);

			if ((k % STOP_CHECK == 0 && stopped(r)) ||
			    !add_packet(c, rc, due, &now, &n))
				goto out;
		}
	}
out:
	if (n)
		send_burst(c, &n);
	while (c->n_stash)
		rte_pktmbuf_free(c->stash[--c->n_stash]);
	return 0;
}

static void gather(struct tw_dpdk_replay *r)
{
	uint64_t first = UINT64_MAX, last = 0;
	struct tw_errbuf eb;

	tw_hist_init(&r->st.lateness);
	r->st.sent = r->st.bytes = r->st.chained = r->st.zerocopy = 0;
	r->st.failed = 0;
	for (unsigned l = 0; l < r->n_lcores; l++) {
		struct lctx *c = &r->lc[l];

		r->st.lcore[l] = c->st;
		r->st.sent += c->st.sent;
		r->st.bytes += c->st.bytes;
		r->st.failed += c->st.failed;
		r->st.chained += c->chained;
		r->st.zerocopy += c->zerocopy;
		tw_hist_merge(&r->st.lateness, &c->hist);
		if (c->first_tsc && c->first_tsc < first)
			first = c->first_tsc;
		if (c->last_tsc > last)
			last = c->last_tsc;
	}
	r->st.elapsed_ns =
	        last > first ? (int64_t)mul32(last - first, r->tsc2ns) : 0;
	/* An unreadable port leaves zeros: the lcores' counts stand. */
	if (tw_dpdk_port_counters(r->cfg.port, &r->st.port, &eb) < 0)
		memset(&r->st.port, 0, sizeof(r->st.port));
}

int tw_dpdk_replay_run(struct tw_dpdk_replay *r, struct tw_errbuf *eb)
{
	unsigned l = 1, id;

	(void)eb;
	for (unsigned k = 0; k < r->n_lcores; k++) {
		struct lctx *c = &r->lc[k];

		c->st.sent = c->st.bytes = c->st.retried = c->st.nombuf = 0;
		c->st.failed = 0;
		c->stalled = false;
		c->chained = c->zerocopy = c->first_tsc = c->last_tsc = 0;
		tw_hist_init(&c->hist);
	}
	r->start_tsc = rte_rdtsc() + mul32((uint64_t)r->cfg.lead_ns, r->ns2tsc);
	RTE_LCORE_FOREACH_WORKER(id)
	{
		if (l == r->n_lcores)
			break;
		rte_eal_remote_launch(lcore_main, &r->lc[l++], id);
	}
	lcore_main(&r->lc[0]);
	rte_eal_mp_wait_lcore();
	gather(r);
	return 0;
}

const struct tw_dpdk_replay_stats *tw_dpdk_replay_stats(
        const struct tw_dpdk_replay *r)
{
	return &r->st;
}

void tw_dpdk_replay_free(struct tw_dpdk_replay *r)
{
	if (!r)
		return;
	if (r->lc) {
		/* Frames still queued point into the arena. */
		rte_eth_dev_stop(r->cfg.port);
		for (unsigned l = 0; l < r->n_lcores; l++) {
			tw_dpdk_txq_fini(&r->lc[l].q);
			free(r->lc[l].idx);
		}
		rte_free(r->lc);
	}
	if (r->registered)
		tw_dpdk_extmem_del(r->cfg.port, r->arena, r->arena_cap);
	if (r->arena)
		munmap(r->arena, r->arena_cap);
	free(r->recs);
	free(r);
}
