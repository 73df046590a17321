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
 * A trace above the preload bound is streamed instead: a reader thread
 * (not an lcore) reads it pass after pass into a ring of STREAM_CHUNKS
 * chunks (together at most the bound, at most STREAM_MAX_CHUNK each),
 * decoding, selecting, rewriting and scheduling as the load does; each
 * lcore sends its own packets of a chunk, copied into mbufs (the chunk
 * is reused once every lcore is past it, so nothing may point into it),
 * and a chunk is refilled once every lcore has left it.  The schedule
 * runs on across loops as the engine's does.
 *
 * Copies as the engine makes them: with --unique-ip the shift of copy j
 * in loop l is l * N + j, every IP flow shifted in later loops (a header
 * mbuf as above); spread copies (--amplify-spread, at a speedup) leave
 * j/N of the way to the next packet of the trace; at --pps or --mbps
 * each copy takes a slot of its own after its original.  A packet's
 * copies all go from its flow's lcore: copy j due at the original's
 * offset + cspan * j / N (spread) or / (N - 1) (slots), cspan kept per
 * packet.
 *
 * Lateness is measured as in the engine: the TSC at the start of the
 * rte_eth_tx_burst call that the port accepted the packet in, minus its
 * deadline.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
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
#define STREAM_CHUNKS 8
#define STREAM_MAX_CHUNK (4u << 20)
#define STREAM_MIN_CHUNK 2048u

/* A packet: 32 bytes, read for every packet sent at top speed. */
struct rec {
	uint64_t off;  /* frame in the arena (streamed: in its chunk) */
	int64_t sched; /* offset in the first pass, ns (streamed: the
	                  offset in the whole run) */
	int64_t cspan; /* copies: the offset of the last (or of the next
	                    packet, spread) from the first's */
	uint32_t len;
	uint8_t hlen;          /* bytes through the transport header */
	int8_t client;         /* 0 source, 1 destination, -1 no IP */
	uint8_t lcore : 7;     /* index of the owning lcore */
	uint8_t amplified : 1; /* sent cfg.copies times, else once */
};

_Static_assert(TW_DPDK_MAX_LCORES <= 128 && TW_DPDK_HDR_ROOM <= 255,
               "struct rec's lcore and hlen");

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
	bool stalled;      /* the port took nothing for TW_DPDK_STALL_NS */
	uint64_t done_seq; /* streamed: chunks it is done with (atomic) */
} __rte_cache_aligned;

/* What loading needs beside the replay: filters, the flow table. */
struct loader {
	struct tw_flow_table *ft;
	struct tw_bpf *filter;
	struct tw_amp *amp;
	bool rewriting;
};

/* A streamed trace's piece: frames and their records. */
struct chunk {
	uint64_t loop; /* the pass its packets belong to */
	uint8_t *data;
	size_t cap, len;
	struct rec *recs;
	size_t n, cap_recs;
};

struct stream {
	char *path;
	struct tw_reader *rd;
	struct loader ld;
	struct tw_sched sched;
	struct chunk ch[STREAM_CHUNKS];
	size_t chunk_bytes;
	uint64_t loop;         /* pass being read */
	int64_t last_ts;       /* of the packet before (no-timestamp blocks) */
	struct tw_packet pend; /* read, not yet in a chunk */
	bool have_pend;
	unsigned prev_slot; /* the packet before: chunk slot, record */
	size_t prev_idx;
	bool have_prev;
	uint64_t next_seq; /* chunk being filled */
	uint64_t filled;   /* chunks published (atomic) */
	int eof;           /* no more chunks (atomic) */
	int quit;          /* the lcores are done: stop reading (atomic) */
	pthread_t thread;
	bool thread_on;
	bool ran; /* sent: a load streams once */
	int err;
	struct tw_errbuf eb;
};

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
	struct stream *sm;       /* streamed, or NULL: preloaded */
	uint32_t copy_div;       /* copy j is cspan * j / copy_div late */
	struct tw_dpdk_replay_stats st;
};

/* Packets out per packet in. */
static uint32_t copies_of(const struct tw_dpdk_replay *r, const struct rec *rc)
{
	return rc->amplified ? r->cfg.copies : 1;
}

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
	if ((uint64_t)sb.st_size > r->cfg.preload_max)
		return 1; /* streamed */
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
		rc->hlen = (uint8_t)d.payload_off;
	return 0;
}

/* Whether the filter selects p: 1, 0, or its error. */
static int selected(struct loader *ld, const struct tw_packet *p,
                    struct tw_errbuf *eb)
{
	if (!ld->filter)
		return 1;
	return tw_bpf_match(ld->filter, TW_LINK_ETHERNET, p->data, p->caplen,
	                    p->wirelen, eb);
}

/*
 * One selected packet into buf (room for caplen + TW_RW_HEADROOM):
 * classified for amplification on its bytes as captured (as the engine
 * does), rewritten in place, then given to an lcore.  Fills rec but its
 * offset and schedule.  Returns 0 or an error.
 */
static int fill_rec(struct tw_dpdk_replay *r, struct loader *ld,
                    const struct tw_packet *p, uint8_t *buf, struct rec *rec,
                    struct tw_errbuf *eb)
{
	struct tw_amp_verdict v = { 1, -1 };
	struct tw_decoded d;
	uint32_t len = p->caplen;
	int rc;

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
	rec->len = len;
	rec->amplified = v.copies > 1;
	rec->client = (int8_t)v.client;
	rc = classify(r, ld->ft, rec, buf);
	if (rc < 0)
		return tw_errf(eb, rc, "flow table: %s", tw_strerror(rc));
	return 0;
}

/* One packet of the trace into the arena.  Returns 1 when loaded, 0
 * when filtered out, or an error. */
static int load_one(struct tw_dpdk_replay *r, struct loader *ld,
                    const struct tw_packet *p, struct tw_errbuf *eb)
{
	struct rec *rec;
	int rc = selected(ld, p, eb);

	if (rc <= 0)
		return rc;
	if (r->arena_len + p->caplen + TW_RW_HEADROOM > r->arena_cap ||
	    !(rec = rec_add(r)))
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	rc = fill_rec(r, ld, p, r->arena + r->arena_len, rec, eb);
	if (rc < 0)
		return rc;
	rec->off = r->arena_len;
	rec->sched = p->flags & TW_PKT_NO_TS ? INT64_MIN : p->ts_ns;
	r->arena_len += rec->len;
	return 1;
}

static int loader_init(struct tw_dpdk_replay *r, struct loader *ld,
                       struct tw_errbuf *eb)
{
	struct tw_amp_cfg ac = { r->cfg.amplify_filter, r->cfg.copies,
		                 r->cfg.unique_ip };
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
	if (r->cfg.copies > 1 && !ac.filter)
		ac.filter = "ip or ip6";
	/* --unique-ip alone: no copies, but every flow's client known. */
	if ((r->cfg.copies > 1 || r->cfg.unique_ip) &&
	    (rc = tw_amp_new(&ld->amp, &ac, eb)) < 0)
		return rc;
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

/* Copies in --pps or --mbps slots of their own. */
static bool own_slots(const struct tw_dpdk_replay *r)
{
	return r->cfg.copies > 1 && (r->cfg.sched.mode == TW_SCHED_PPS ||
	                             r->cfg.sched.mode == TW_SCHED_RATE);
}

/* Copies spread over the gap to the next packet. */
static bool spreading(const struct tw_dpdk_replay *r)
{
	return r->cfg.spread && r->cfg.copies > 1 &&
	       r->cfg.sched.mode == TW_SCHED_SPEEDUP;
}

/* Copy 0's offset into rc->sched; with slots of their own, the copies'
 * too (rc->cspan: the last one's from the first's).  A packet without
 * IP has no copies (nothing to make them distinct), as in the engine. */
static int sched_rec(struct tw_dpdk_replay *r, struct tw_sched *s, int64_t ts,
                     struct rec *rc)
{
	int64_t last;

	rc->cspan = 0;
	if (tw_sched_next(s, ts, rc->len, &rc->sched) < 0)
		return TW_ELIMIT;
	for (uint32_t j = 1;
	     own_slots(r) && rc->client >= 0 && j < copies_of(r, rc); j++) {
		if (tw_sched_next(s, ts, rc->len, &last) < 0)
			return TW_ELIMIT;
		rc->cspan = last - rc->sched;
	}
	return 0;
}

/* Spread: each packet's copies reach to the next packet; the last's to
 * the next pass's first (none after the last pass: see lcore_main). */
static void spread_all(struct tw_dpdk_replay *r)
{
	size_t n = r->n_recs;

	if (!spreading(r) || !n)
		return;
	for (size_t i = 0; i + 1 < n; i++)
		r->recs[i].cspan = r->recs[i + 1].sched - r->recs[i].sched;
	r->recs[n - 1].cspan =
	        r->span + r->recs[0].sched - r->recs[n - 1].sched;
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
		if (sched_rec(r, &s, ts, rc) < 0)
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
	spread_all(r);
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

/* ---- streaming ------------------------------------------------------- */

static void nap(void)
{
	struct timespec ts = { 0, 20000 };

	nanosleep(&ts, NULL);
}

static int chunk_room(struct chunk *ch, size_t need)
{
	if (ch->n == ch->cap_recs) {
		size_t n = ch->cap_recs ? ch->cap_recs * 2 : 64;
		struct rec *p = realloc(ch->recs, n * sizeof(*p));

		if (!p)
			return TW_ENOMEM;
		ch->recs = p;
		ch->cap_recs = n;
	}
	if (need > ch->cap) {
		uint8_t *p = realloc(ch->data, need);

		if (!p)
			return TW_ENOMEM;
		ch->data = p;
		ch->cap = need;
	}
	return 0;
}

/* The next pass over the file, or the end: 1, 0 (no more), error. */
static int stream_next_pass(struct tw_dpdk_replay *r, struct stream *sm)
{
	tw_reader_close(sm->rd);
	sm->rd = NULL;
	if (++sm->loop >= r->cfg.loops)
		return 0;
	tw_sched_new_loop(&sm->sched);
	if (tw_reader_open(&sm->rd, sm->path, sm->eb.msg, sizeof(sm->eb.msg)) <
	    0)
		return TW_EIO;
	return 1;
}

/* The next Ethernet packet into sm->pend: 1, 0 at the end, or an
 * error (message in sm->eb). */
static int stream_read(struct tw_dpdk_replay *r, struct stream *sm)
{
	int rc;

	while (!sm->have_pend && sm->rd) {
		const struct tw_iface *ifc;

		rc = tw_reader_next(sm->rd, &sm->pend);
		if (rc == TW_ETRUNC && sm->loop == 0)
			tw_log(TW_LOG_WARN, TW_DPDK_COMP,
			       "%s; sending what came before",
			       tw_reader_errmsg(sm->rd));
		if (rc < 0 && rc != TW_ETRUNC)
			return tw_errf(&sm->eb, rc, "%s",
			               tw_reader_errmsg(sm->rd));
		if (rc <= 0) {
			rc = stream_next_pass(r, sm);
			if (rc <= 0)
				return rc;
			continue;
		}
		ifc = tw_reader_iface(sm->rd, sm->pend.iface);
		if (!ifc || ifc->linktype != TW_LINK_ETHERNET) {
			r->st.skipped_link += sm->loop == 0;
			continue;
		}
		sm->have_pend = true;
	}
	return sm->have_pend;
}

/* sm->pend into ch, scheduled: 1, 0 when ch is full, or an error. */
static int stream_put(struct tw_dpdk_replay *r, struct stream *sm,
                      struct chunk *ch)
{
	const struct tw_packet *p = &sm->pend;
	size_t need = ch->len + p->caplen + TW_RW_HEADROOM;
	int64_t ts = p->flags & TW_PKT_NO_TS ? sm->last_ts : p->ts_ns;
	struct rec *rec;
	int rc = selected(&sm->ld, p, &sm->eb);

	if (rc <= 0) {
		r->st.skipped_filtered += rc == 0 && sm->loop == 0;
		sm->have_pend = rc < 0;
		return rc < 0 ? rc : 1;
	}
	/* A chunk holds one pass: its lcores shift by its loop. */
	if (ch->n && (need > sm->chunk_bytes || ch->loop != sm->loop))
		return 0;
	ch->loop = sm->loop;
	if (chunk_room(ch, need) < 0)
		return tw_errf(&sm->eb, TW_ENOMEM, "out of memory");
	rec = &ch->recs[ch->n];
	rc = fill_rec(r, &sm->ld, p, ch->data + ch->len, rec, &sm->eb);
	if (rc < 0)
		return rc;
	sm->last_ts = ts;
	if (sched_rec(r, &sm->sched, ts, rec) < 0)
		return tw_errf(&sm->eb, TW_ELIMIT, "schedule beyond 2^63 ns");
	rec->off = ch->len;
	ch->len += rec->len;
	/* Spread: the packet before reaches to this one.  It is in this
	 * chunk or the one before, which is published only now. */
	if (sm->have_prev && spreading(r)) {
		struct rec *prev = &sm->ch[sm->prev_slot].recs[sm->prev_idx];

		prev->cspan = rec->sched - prev->sched;
	}
	sm->prev_slot = (unsigned)(ch - sm->ch);
	sm->prev_idx = ch->n;
	sm->have_prev = true;
	ch->n++;
	sm->have_pend = false;
	if (sm->loop == 0) {
		r->st.packets++;
		r->st.sched_span_ns = rec->sched;
	}
	return 1;
}

/* The lowest count of chunks every lcore is done with. */
static uint64_t lcores_done(const struct tw_dpdk_replay *r)
{
	uint64_t low = UINT64_MAX;

	for (unsigned l = 0; l < r->n_lcores; l++) {
		uint64_t d =
		        __atomic_load_n(&r->lc[l].done_seq, __ATOMIC_ACQUIRE);

		if (d < low)
			low = d;
	}
	return low;
}

/* Chunks [0, n) are complete: the lcores may send them. */
static void publish(struct stream *sm, uint64_t n)
{
	__atomic_store_n(&sm->filled, n, __ATOMIC_RELEASE);
}

/* Fills and publishes the next chunk once its slot is free: 1, 0 at
 * the end of the trace (or when told to quit), or an error. */
static int stream_fill(struct tw_dpdk_replay *r, struct stream *sm)
{
	uint64_t seq = sm->next_seq;
	struct chunk *ch = &sm->ch[seq % STREAM_CHUNKS];
	int rc;

	while (seq >= STREAM_CHUNKS &&
	       lcores_done(r) < seq - STREAM_CHUNKS + 1) {
		if (__atomic_load_n(&sm->quit, __ATOMIC_ACQUIRE))
			return 0;
		nap();
	}
	ch->len = ch->n = 0;
	while ((rc = stream_read(r, sm)) > 0 &&
	       (rc = stream_put(r, sm, ch)) > 0)
		/* The chunk before is complete once this one has a packet
		 * (spread copies reach into the next packet). */
		if (ch->n == 1 && seq > 0)
			publish(sm, seq);
	if (rc < 0)
		return rc;
	if (ch->n)
		sm->next_seq++;
	if (sm->rd || sm->have_pend)
		return 1;
	publish(sm, sm->next_seq);
	return 0;
}

static void *stream_main(void *arg)
{
	struct tw_dpdk_replay *r = arg;
	struct stream *sm = r->sm;
	int rc;

	do {
		if (__atomic_load_n(&sm->quit, __ATOMIC_ACQUIRE) ||
		    (r->cfg.stop && *r->cfg.stop)) {
			rc = 0;
			break;
		}
	} while ((rc = stream_fill(r, sm)) > 0);
	sm->err = rc < 0 ? rc : 0;
	__atomic_store_n(&sm->eof, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Opens the trace and reads the first STREAM_CHUNKS chunks, so that
 * its errors show before the replay starts. */
static int stream_open(struct tw_dpdk_replay *r, const char *path,
                       struct tw_errbuf *eb)
{
	struct stream *sm = calloc(1, sizeof(*sm));
	uint64_t per = r->cfg.preload_max / STREAM_CHUNKS;
	int rc;

	if (!sm || !(sm->path = strdup(path))) {
		free(sm);
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	}
	r->sm = sm;
	sm->chunk_bytes = per > STREAM_MAX_CHUNK   ? STREAM_MAX_CHUNK
	                  : per < STREAM_MIN_CHUNK ? STREAM_MIN_CHUNK
	                                           : (size_t)per;
	if ((rc = loader_init(r, &sm->ld, eb)) < 0)
		return rc;
	if (tw_sched_init(&sm->sched, &r->cfg.sched) < 0)
		return tw_errf(eb, TW_EINVAL, "invalid schedule");
	rc = tw_reader_open(&sm->rd, path, eb->msg, sizeof(eb->msg));
	if (rc < 0)
		return rc;
	tw_log(TW_LOG_INFO, TW_DPDK_COMP,
	       "%s: larger than the preload bound (%llu bytes), streaming it "
	       "through %d chunks of %zu bytes",
	       path, (unsigned long long)r->cfg.preload_max, STREAM_CHUNKS,
	       sm->chunk_bytes);
	for (unsigned k = 0; k < STREAM_CHUNKS; k++) {
		rc = stream_fill(r, sm);
		if (rc < 0)
			return tw_errf(eb, rc, "%s", sm->eb.msg);
		if (rc == 0) {
			sm->eof = 1;
			break;
		}
	}
	if (sm->ld.amp)
		r->st.flows_amplified = tw_amp_flows(sm->ld.amp);
	return 0;
}

/*
 * Where the reader runs: the CPUs no TX lcore is pinned to, else any.
 * A thread inherits the main lcore's pinning, and there it would only
 * get the CPU when lcore 0 yields.
 */
static void reader_cpus(const struct tw_dpdk_replay *r, cpu_set_t *set)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t free_cpus;

	CPU_ZERO(set);
	for (long i = 0; i < n && i < CPU_SETSIZE; i++)
		CPU_SET((int)i, set);
	CPU_ZERO(&free_cpus);
	for (long i = 0; i < n && i < CPU_SETSIZE; i++) {
		bool used = false;

		for (unsigned l = 0; l < r->n_lcores && !used; l++) {
			rte_cpuset_t cs = rte_lcore_cpuset(r->lc[l].st.lcore);

			used = CPU_ISSET((int)i, &cs);
		}
		if (!used)
			CPU_SET((int)i, &free_cpus);
	}
	if (CPU_COUNT(&free_cpus))
		*set = free_cpus;
}

/* The reader thread for the rest of the trace, when there is a rest. */
static int stream_start(struct tw_dpdk_replay *r, struct tw_errbuf *eb)
{
	struct stream *sm = r->sm;
	cpu_set_t cpus;
	int rc;

	sm->ran = true;
	for (unsigned l = 0; l < r->n_lcores; l++)
		r->lc[l].done_seq = 0;
	if (sm->eof)
		return 0;
	rc = pthread_create(&sm->thread, NULL, stream_main, r);
	if (rc != 0)
		return tw_errf(eb, TW_ENOMEM, "reader thread: %s",
		               strerror(rc));
	sm->thread_on = true;
	reader_cpus(r, &cpus);
	pthread_setaffinity_np(sm->thread, sizeof(cpus), &cpus);
	return 0;
}

static int stream_stop(struct tw_dpdk_replay *r, struct tw_errbuf *eb)
{
	struct stream *sm = r->sm;

	__atomic_store_n(&sm->quit, 1, __ATOMIC_RELEASE);
	if (sm->thread_on)
		pthread_join(sm->thread, NULL);
	sm->thread_on = false;
	if (sm->ld.amp)
		r->st.flows_amplified = tw_amp_flows(sm->ld.amp);
	if (sm->err)
		return tw_errf(eb, sm->err, "%s", sm->eb.msg);
	return 0;
}

static void stream_free(struct stream *sm)
{
	if (!sm)
		return;
	if (sm->thread_on) {
		__atomic_store_n(&sm->quit, 1, __ATOMIC_RELEASE);
		pthread_join(sm->thread, NULL);
	}
	if (sm->rd)
		tw_reader_close(sm->rd);
	loader_fini(&sm->ld);
	for (unsigned k = 0; k < STREAM_CHUNKS; k++) {
		free(sm->ch[k].data);
		free(sm->ch[k].recs);
	}
	free(sm->path);
	free(sm);
}

/* The whole trace into the arena, registered with DPDK when it can be. */
static int preload(struct tw_dpdk_replay *r, const char *path,
                   struct tw_errbuf *eb)
{
	int rc;

	if ((rc = load_frames(r, path, eb)) < 0 ||
	    (rc = schedule_all(r, eb)) < 0 || (rc = split_flows(r, eb)) < 0)
		return rc;
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
	/* Spread: N steps to the next packet; slots: N - 1 to the last. */
	r->copy_div = spreading(r) || r->cfg.copies == 1 ? r->cfg.copies
	                                                 : r->cfg.copies - 1;
	hz = rte_get_tsc_hz();
	r->ns2tsc = (uint64_t)(((unsigned __int128)hz << 32) / ONE_S_NS);
	r->tsc2ns = (uint64_t)(((unsigned __int128)ONE_S_NS << 32) / hz);
	r->stall_tsc = mul32(TW_DPDK_STALL_NS, r->ns2tsc);
	eb->msg[0] = '\0';
	if ((rc = setup_lcores(r, eb)) >= 0 &&
	    (rc = arena_map(r, path, eb)) >= 0)
		rc = rc == 1 ? stream_open(r, path, eb) : preload(r, path, eb);
	if (rc < 0) {
		tw_dpdk_replay_free(r);
		return rc;
	}
	r->st.streamed = r->sm != NULL;
	r->st.n_lcores = r->n_lcores;
	*out = r;
	return 0;
}

/* ---- send ------------------------------------------------------------ */

static bool stopped(const struct tw_dpdk_replay *r)
{
	return r->cfg.stop && *r->cfg.stop;
}

/* A frame with its client's address shifted, checksums updated. */
static struct rte_mbuf *build_copy(struct lctx *c, const struct rec *rc,
                                   const uint8_t *data, uint64_t shift)
{
	uint8_t hdr[TW_DPDK_HDR_ROOM];
	struct tw_decoded d;
	struct rte_mbuf *m;

	if (c->q.caps.multiseg && rc->hlen && rc->len <= UINT16_MAX &&
	    c->q.arena) {
		memcpy(hdr, data, rc->hlen);
		tw_decode(hdr, rc->hlen, TW_LINK_ETHERNET, &d);
		tw_amp_apply(hdr, rc->hlen, &d, rc->client, shift);
		m = tw_dpdk_mbuf_hdr(&c->q, hdr, rc->hlen, data, rc->len);
		c->chained += m != NULL;
		return m;
	}
	m = tw_dpdk_mbuf_copy(&c->q, data, rc->len);
	if (m && m->nb_segs == 1) {
		uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

		tw_decode(p, rc->len, TW_LINK_ETHERNET, &d);
		tw_amp_apply(p, rc->len, &d, rc->client, shift);
	}
	return m;
}

static struct rte_mbuf *build(struct lctx *c, const struct rec *rc,
                              const uint8_t *data, uint64_t shift)
{
	struct rte_mbuf *m;

	if (shift && rc->client >= 0)
		return build_copy(c, rc, data, shift);
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

/* When offset off (ns from the start) is due, in TSC cycles. */
static uint64_t due_of(const struct tw_dpdk_replay *r, int64_t off)
{
	/* At top speed every offset is 0: no multiply. */
	return r->start_tsc + (off ? mul32((uint64_t)off, r->ns2tsc) : 0);
}

/* Copy j's offset from its original's. */
static int64_t copy_off(const struct tw_dpdk_replay *r, int64_t cspan,
                        uint32_t j)
{
	if (!cspan || !j)
		return 0;
	return (int64_t)((__int128)cspan * j / r->copy_div);
}

/* The reach of record i's copies in pass loop: after the last pass no
 * packet follows, and the last one's spread copies leave with it. */
static int64_t rec_cspan(const struct tw_dpdk_replay *r, size_t i,
                         uint64_t loop)
{
	if (spreading(r) && loop + 1 == r->cfg.loops && i + 1 == r->n_recs)
		return 0;
	return r->recs[i].cspan;
}

int64_t tw_dpdk_replay_due_ns(const struct tw_dpdk_replay *r, size_t i,
                              uint64_t loop, uint32_t j)
{
	const struct rec *rc = &r->recs[i];

	if (r->sm || i >= r->n_recs || loop >= r->cfg.loops ||
	    j >= copies_of(r, rc) || (j && rc->client < 0))
		return -1;
	return (int64_t)loop * r->span + rc->sched +
	       copy_off(r, rec_cspan(r, i, loop), j);
}

/* Waits for due, pushing out what is built first; false when
 * stopped. */
static bool wait_due(struct lctx *c, uint64_t due, uint64_t *now, unsigned *n)
{
	if (due <= *now)
		return true;
	*now = rte_rdtsc();
	if (due <= *now)
		return true;
	if (*n)
		send_burst(c, n);
	if (!wait_tsc(c, due))
		return false;
	*now = due;
	return true;
}

/*
 * One packet, and its copies, into the burst: off is its offset from
 * the start, cspan its copies' reach (see rec), loop its pass (the
 * shift of --unique-ip).  False when stopped.
 */
static bool add_packet(struct lctx *c, const struct rec *rc,
                       const uint8_t *data, int64_t off, int64_t cspan,
                       uint64_t loop, uint64_t *now, unsigned *n)
{
	struct tw_dpdk_replay *r = c->r;

	uint32_t copies = copies_of(r, rc);

	for (uint32_t j = 0; j < copies; j++) {
		uint64_t due = due_of(r, off + copy_off(r, cspan, j));
		uint64_t shift =
		        r->cfg.unique_ip ? loop * r->cfg.copies + j : j;
		struct rte_mbuf *m;
		uint64_t since = 0;

		if (j && rc->client < 0)
			break; /* no address to make a copy distinct */
		if (!wait_due(c, due, now, n))
			return false;
		/* No mbuf: the port still holds them all.  Push what is
		 * built, wait, and give up when the port is stuck. */
		while (!(m = build(c, rc, data, shift))) {
			uint64_t t = rte_rdtsc();

			c->st.nombuf++;
			if (*n)
				send_burst(c, n);
			if (!since)
				since = t;
			if (stopped(r))
				return false;
			if (c->stalled || t - since > r->stall_tsc) {
				c->st.failed += copies - j;
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

			if (k + 8 < c->n)
				rte_prefetch0(&r->recs[c->idx[k + 8]]);
			if ((k % STOP_CHECK == 0 && stopped(r)) ||
			    !add_packet(c, rc, r->arena + rc->off,
			                base + rc->sched,
			                rec_cspan(r, c->idx[k], loop), loop,
			                &now, &n))
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

/* The chunk seq once the reader published it; NULL at the end.  What
 * the burst holds leaves first: it may wait long. */
static const struct chunk *wait_chunk(struct lctx *c, uint64_t seq, unsigned *n)
{
	struct stream *sm = c->r->sm;
	unsigned spins = 0;

	if (*n && __atomic_load_n(&sm->filled, __ATOMIC_ACQUIRE) <= seq)
		send_burst(c, n);
	for (;;) {
		int eof = __atomic_load_n(&sm->eof, __ATOMIC_ACQUIRE);

		if (__atomic_load_n(&sm->filled, __ATOMIC_ACQUIRE) > seq)
			return &sm->ch[seq % STREAM_CHUNKS];
		if (eof || (++spins % STOP_CHECK == 0 && stopped(c->r)))
			return NULL;
		/* The reader is behind: give it this CPU if it waits. */
		sched_yield();
	}
}

/* Streamed: this lcore's packets of each chunk in turn. */
static int lcore_stream(void *arg)
{
	struct lctx *c = arg;
	const struct chunk *ch;
	uint64_t now = 0, seq = 0;
	unsigned n = 0;
	bool go = true;

	while (go && (ch = wait_chunk(c, seq, &n))) {
		for (size_t i = 0; go && i < ch->n; i++) {
			const struct rec *rc = &ch->recs[i];

			if (rc->lcore == c->index)
				go = add_packet(c, rc, ch->data + rc->off,
				                rc->sched, rc->cspan, ch->loop,
				                &now, &n);
		}
		/* Every frame of it was copied into an mbuf: let it go. */
		__atomic_store_n(&c->done_seq, ++seq, __ATOMIC_RELEASE);
	}
	if (n)
		send_burst(c, &n);
	__atomic_store_n(&c->done_seq, UINT64_MAX, __ATOMIC_RELEASE);
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
	lcore_function_t *fn = r->sm ? lcore_stream : lcore_main;
	unsigned l = 1, id;
	int rc;

	if (r->sm && r->sm->ran)
		return tw_errf(eb, TW_ESTATE,
		               "a streamed trace is sent once "
		               "per load");
	if (r->sm && (rc = stream_start(r, eb)) < 0)
		return rc;
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
		rte_eal_remote_launch(fn, &r->lc[l++], id);
	}
	fn(&r->lc[0]);
	rte_eal_mp_wait_lcore();
	rc = r->sm ? stream_stop(r, eb) : 0;
	gather(r);
	return rc;
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
		tw_dpdk_tx_linger();
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
	stream_free(r->sm);
	free(r->recs);
	free(r);
}
