/*
 * engine.c - the replay loop: source, selection, rewriting, amplification,
 * scheduling, pacing, bursts and counters.
 */
#include "replay/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "replay/amplify.h"
#include "replay/bpf.h"
#include "trace/bytes.h"
#include "trace/decode.h"
#include "trace/flow.h"
#include "trace/log.h"
#include "trace/packet.h"
#include "trace/reader.h"

#define COMP "replay"
#define NS_PER_S 1000000000LL
#define TICK_NS NS_PER_S
#define TICK_ROOM_NS 1000000 /* tick while waiting only this far ahead */
#define MAX_SLEEP_NS (100 * 1000000LL) /* wake to check stop and tick */
#define BATCH_BYTES (4u << 20)
#define MAX_RETRIES 20
#define DEFAULT_BURST 64

/* A packet of the preloaded trace. */
struct rec {
	uint64_t off; /* in the arena */
	int64_t ts_ns;
	uint32_t caplen;
	uint32_t wirelen;
	uint32_t linktype;
	uint32_t flags;
};

/* A packet as the source yields it. */
struct in_pkt {
	const uint8_t *data;
	uint32_t caplen, wirelen, linktype;
	int64_t ts_ns;
	uint32_t flags; /* TW_PKT_* */
	bool stable;    /* data stays valid for the whole run */
};

/* A packet ready to go out, with its copies still to make. */
struct prepared {
	uint8_t *buf; /* owned scratch, when the frame was copied */
	size_t cap;
	const uint8_t *data;
	uint32_t len, linktype;
	bool stable;
	struct tw_decoded d;
	struct tw_amp_verdict v;
	int64_t ts_ns;
	int64_t off; /* SPEEDUP and TOPSPEED: offset of copy 0 */
	uint64_t loop;
	bool valid;
};

struct tw_engine {
	struct tw_engine_cfg cfg;
	struct tw_bpf *filter;
	struct tw_amp *amp;
	bool rewriting;

	/* Source. */
	char *path;
	bool preloaded;
	struct rec *recs;
	size_t n_recs, cap_recs;
	uint8_t *arena;
	size_t arena_len, arena_cap;
	size_t next;
	struct tw_reader *r;

	/* Run. */
	struct tw_backend *b;
	struct tw_errbuf *eb;
	struct tw_sched sched;
	bool started;
	int64_t start;
	uint64_t loop;
	uint64_t handed; /* packets given to the backend or failed */
	bool done;
	bool warned_oversize;
	int64_t last_ts; /* timestamp of the packet before */
	int64_t last_tick, run_start;

	/* Burst being gathered. */
	struct tw_txpkt *batch;
	uint64_t *batch_loop;
	unsigned n_batch, burst;
	uint8_t *bbuf;
	size_t bbuf_len, bbuf_cap;

	/* Two scratch frames: the one held for spreading, and the next. */
	struct prepared prep[2];
	unsigned cur;
	uint8_t *copybuf;
	size_t copy_cap;

	struct tw_replay_stats st;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static bool stopping(const struct tw_engine *e)
{
	return e->done || (e->cfg.stop && *e->cfg.stop);
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;
	uint8_t *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n);
	if (!p)
		return TW_ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

/* Puts the option's name before eb's message: the filter of --filter
 * and those of --amplify fail with the same words. */
static void name_option(struct tw_errbuf *eb, const char *prefix)
{
	char msg[TW_ERRMSG_MAX];

	snprintf(msg, sizeof(msg), "%s", eb->msg);
	tw_errf(eb, TW_EINVAL, "%s%s", prefix, msg);
}

int tw_engine_new(struct tw_engine **out, const struct tw_engine_cfg *cfg,
                  struct tw_errbuf *eb)
{
	struct tw_engine *e = calloc(1, sizeof(*e));
	struct tw_sched probe;
	int rc;

	*out = NULL;
	if (!e)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	e->cfg = *cfg;
	if (!e->cfg.preload_max)
		e->cfg.preload_max = TW_RP_DEFAULT_PRELOAD;
	if (!e->cfg.spin_ns)
		e->cfg.spin_ns = TW_RP_DEFAULT_SPIN_NS;
	if (!e->cfg.amplify_copies)
		e->cfg.amplify_copies = 1;
	e->rewriting = tw_rewrite_active(&cfg->rewrite);
	tw_hist_init(&e->st.lateness);
	if (tw_sched_init(&probe, &cfg->sched) < 0) {
		rc = tw_errf(eb, TW_EINVAL, "invalid schedule");
		goto fail;
	}
	if (cfg->shard_count && cfg->shard_index >= cfg->shard_count) {
		rc = tw_errf(eb, TW_EINVAL, "shard %u of %u does not exist",
		             cfg->shard_index, cfg->shard_count);
		goto fail;
	}
	if (cfg->filter) {
		rc = tw_bpf_new(&e->filter, cfg->filter, eb);
		if (rc < 0) {
			name_option(eb, "--");
			goto fail;
		}
	}
	if (cfg->amplify_filter || cfg->unique_ip) {
		struct tw_amp_cfg ac = { cfg->amplify_filter,
			                 e->cfg.amplify_copies,
			                 cfg->unique_ip };

		rc = tw_amp_new(&e->amp, &ac, eb);
		if (rc < 0) {
			name_option(eb, "--amplify: ");
			goto fail;
		}
	}
	*out = e;
	return 0;
fail:
	tw_engine_free(e);
	return rc;
}

/* ---- source ---------------------------------------------------------- */

static int reader_error(struct tw_engine *e, int rc, struct tw_errbuf *eb)
{
	if (rc == TW_ETRUNC) {
		tw_log(TW_LOG_WARN, COMP, "%s; replaying the packets before it",
		       tw_reader_errmsg(e->r));
		return 0;
	}
	return tw_errf(eb, rc, "%s", tw_reader_errmsg(e->r));
}

static int source_open(struct tw_engine *e, struct tw_errbuf *eb)
{
	int rc = tw_reader_open(&e->r, e->path, eb->msg, sizeof(eb->msg));

	return rc < 0 ? rc : 0;
}

static int preload_add(struct tw_engine *e, const struct tw_packet *pkt,
                       uint32_t linktype)
{
	struct rec *rc;

	if (e->n_recs == e->cap_recs) {
		size_t n = e->cap_recs ? e->cap_recs * 2 : 1024;
		struct rec *p = realloc(e->recs, n * sizeof(*p));

		if (!p)
			return TW_ENOMEM;
		e->recs = p;
		e->cap_recs = n;
	}
	if (grow(&e->arena, &e->arena_cap, e->arena_len + pkt->caplen) < 0)
		return TW_ENOMEM;
	rc = &e->recs[e->n_recs++];
	rc->off = e->arena_len;
	rc->ts_ns = pkt->ts_ns;
	rc->caplen = pkt->caplen;
	rc->wirelen = pkt->wirelen;
	rc->linktype = linktype;
	rc->flags = pkt->flags;
	memcpy(e->arena + e->arena_len, pkt->data, pkt->caplen);
	e->arena_len += pkt->caplen;
	return 0;
}

static void preload_drop(struct tw_engine *e)
{
	free(e->recs);
	free(e->arena);
	e->recs = NULL;
	e->arena = NULL;
	e->n_recs = e->cap_recs = e->arena_len = e->arena_cap = 0;
}

int tw_engine_load(struct tw_engine *e, const char *path, struct tw_errbuf *eb)
{
	struct tw_packet pkt;
	int rc;

	e->path = strdup(path);
	if (!e->path)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	rc = source_open(e, eb);
	if (rc < 0)
		return rc;
	while ((rc = tw_reader_next(e->r, &pkt)) > 0) {
		const struct tw_iface *ifc = tw_reader_iface(e->r, pkt.iface);
		uint32_t lt = ifc ? ifc->linktype : 0;

		if (e->arena_len + pkt.caplen > e->cfg.preload_max)
			break;
		if (preload_add(e, &pkt, lt) < 0)
			return tw_errf(eb, TW_ENOMEM,
			               "%s: out of memory preloading", path);
	}
	if (rc > 0) {
		/* Too big: stream it, from the start again, each loop. */
		if (!strcmp(path, "-"))
			return tw_errf(
			        eb, TW_ELIMIT,
			        "standard input holds more than "
			        "--preload-max (%llu bytes); give a file",
			        (unsigned long long)e->cfg.preload_max);
		tw_log(TW_LOG_INFO, COMP,
		       "%s: larger than the preload bound (%llu bytes), "
		       "streaming it",
		       path, (unsigned long long)e->cfg.preload_max);
		preload_drop(e);
		tw_reader_close(e->r);
		e->r = NULL;
		return source_open(e, eb);
	}
	if (rc < 0 && (rc = reader_error(e, rc, eb)) < 0)
		return rc;
	tw_reader_close(e->r);
	e->r = NULL;
	e->preloaded = true;
	e->st.preloaded = true;
	e->st.preload_bytes = e->arena_len;
	return 0;
}

/* The next packet of this pass: 1, 0 at its end, or an error. */
static int source_next(struct tw_engine *e, struct in_pkt *p)
{
	struct tw_packet pkt;
	int rc;

	if (e->preloaded) {
		const struct rec *r;

		if (e->next == e->n_recs)
			return 0;
		r = &e->recs[e->next++];
		p->data = e->arena + r->off;
		p->caplen = r->caplen;
		p->wirelen = r->wirelen;
		p->linktype = r->linktype;
		p->ts_ns = r->ts_ns;
		p->flags = r->flags;
		p->stable = true;
		return 1;
	}
	if (!e->r)
		return 0;
	rc = tw_reader_next(e->r, &pkt);
	if (rc <= 0) {
		rc = rc < 0 ? reader_error(e, rc, e->eb) : 0;
		tw_reader_close(e->r);
		e->r = NULL;
		return rc;
	}
	p->data = pkt.data;
	p->caplen = pkt.caplen;
	p->wirelen = pkt.wirelen;
	p->linktype = tw_reader_iface(e->r, pkt.iface)->linktype;
	p->ts_ns = pkt.ts_ns;
	p->flags = pkt.flags;
	p->stable = false;
	return 1;
}

static int source_rewind(struct tw_engine *e)
{
	e->next = 0;
	if (e->preloaded)
		return 0;
	if (e->r)
		tw_reader_close(e->r);
	e->r = NULL;
	return source_open(e, e->eb);
}

/* ---- pacing and bursts ----------------------------------------------- */

static void refresh_stats(struct tw_engine *e)
{
	struct tw_backend_stats bs = { 0 };

	e->b->ops->stats(e->b, &bs);
	e->st.port_dropped = bs.port_dropped;
	e->st.out_of_order = e->sched.out_of_order;
	e->st.gaps_capped = e->sched.gaps_capped;
	e->st.elapsed_ns = e->run_start ? mono_ns() - e->run_start : 0;
	if (e->amp)
		e->st.flows_amplified = tw_amp_flows(e->amp);
}

static void maybe_tick(struct tw_engine *e, int64_t now)
{
	if (!e->cfg.tick || now - e->last_tick < TICK_NS)
		return;
	e->last_tick = now;
	refresh_stats(e);
	e->cfg.tick(&e->st, e->cfg.tick_arg);
}

/* Sleeps until spin_ns before deadline, then spins to it. */
static void wait_until(struct tw_engine *e, int64_t deadline)
{
	for (;;) {
		int64_t now = mono_ns(), wake;
		struct timespec ts;

		if (now >= deadline || stopping(e))
			return;
		if (deadline - now > TICK_ROOM_NS)
			maybe_tick(e, now);
		if (deadline - now <= e->cfg.spin_ns)
			break;
		wake = deadline - e->cfg.spin_ns;
		if (wake - now > MAX_SLEEP_NS)
			wake = now + MAX_SLEEP_NS;
		ts.tv_sec = wake / NS_PER_S;
		ts.tv_nsec = wake % NS_PER_S;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	while (mono_ns() < deadline)
		__builtin_ia32_pause();
}

static void account(struct tw_engine *e, unsigned from, unsigned n, int64_t t)
{
	for (unsigned k = from; k < from + n; k++) {
		const struct tw_txpkt *p = &e->batch[k];
		uint64_t l = e->batch_loop[k];

		e->st.sent++;
		e->st.bytes += p->len;
		if (l < TW_RP_LOOP_STATS) {
			e->st.loop[l].sent++;
			e->st.loop[l].bytes += p->len;
		}
		if (e->b->paced)
			tw_hist_record(&e->st.lateness,
			               t > p->sched_ns
			                       ? (uint64_t)(t - p->sched_ns)
			                       : 0);
	}
}

/* Hands the burst to the backend, offering refused packets again a few
 * times with a growing pause before counting them as failed.  A packet's
 * send time is when the call that the port accepted it in began. */
static int flush_batch(struct tw_engine *e)
{
	unsigned i = 0, n = e->n_batch;
	int retries = 0;

	while (i < n) {
		int64_t t = e->b->paced ? mono_ns() : 0;
		int rc = e->b->ops->tx_burst(e->b, e->batch + i, n - i);

		if (rc < 0)
			return tw_errf(e->eb, rc, "%s: %s", e->b->ops->name,
			               e->b->err.msg);
		account(e, i, (unsigned)rc, t);
		i += (unsigned)rc;
		if (i == n)
			break;
		if (rc == 0 && ++retries > MAX_RETRIES) {
			e->st.failed += n - i;
			break;
		}
		if (rc > 0)
			retries = 0;
		e->st.retried += n - i;
		if (retries) {
			struct timespec ts = { 0, 1000L << (retries / 2) };

			nanosleep(&ts, NULL);
		}
	}
	e->n_batch = 0;
	e->bbuf_len = 0;
	maybe_tick(e, mono_ns());
	return 0;
}

/* Layer-3 size of an Ethernet frame: without the header and tags. */
static uint32_t l3_size(const uint8_t *p, uint32_t len)
{
	uint32_t off = 12;

	while (off + 2 <= len &&
	       (tw_be16(p + off) == 0x8100 || tw_be16(p + off) == 0x88a8))
		off += 4;
	return len > off + 2 ? len - off - 2 : 0;
}

static bool oversize(struct tw_engine *e, const uint8_t *p, uint32_t len,
                     uint32_t linktype)
{
	if (!e->b->mtu || linktype != TW_LINK_ETHERNET ||
	    l3_size(p, len) <= e->b->mtu)
		return false;
	e->st.skipped_oversize++;
	if (!e->warned_oversize)
		tw_log(TW_LOG_WARN, COMP,
		       "skipping frames larger than the MTU (%u), the first "
		       "of %u bytes",
		       e->b->mtu, len);
	e->warned_oversize = true;
	return true;
}

/* --duration bounds the schedule; at top speed, where every offset is
 * zero, it bounds the wall time instead. */
static bool past_duration(const struct tw_engine *e, int64_t off)
{
	if (!e->cfg.duration_ns)
		return false;
	if (e->cfg.sched.mode == TW_SCHED_TOPSPEED)
		return mono_ns() - e->run_start > e->cfg.duration_ns;
	return off > e->cfg.duration_ns;
}

/* One frame due at offset off: wait for it, then add it to the burst. */
static int emit(struct tw_engine *e, const uint8_t *data, uint32_t len,
                uint32_t linktype, int64_t off, bool stable)
{
	struct tw_txpkt *p;
	int64_t deadline;
	bool waited = false;
	int rc;

	if (stopping(e))
		return 0;
	if (past_duration(e, off) ||
	    (e->cfg.limit && e->handed >= e->cfg.limit)) {
		e->done = true;
		return 0;
	}
	if (oversize(e, data, len, linktype))
		return 0;
	deadline = e->start + off;
	if (e->b->paced && deadline > mono_ns()) {
		if (e->n_batch && (rc = flush_batch(e)) < 0)
			return rc;
		wait_until(e, deadline);
		if (stopping(e))
			return 0;
		waited = true;
	}
	if (!stable) {
		if (e->bbuf_len + len > e->bbuf_cap && e->n_batch &&
		    (rc = flush_batch(e)) < 0)
			return rc;
		if (len > e->bbuf_cap && grow(&e->bbuf, &e->bbuf_cap, len) < 0)
			return tw_errf(e->eb, TW_ENOMEM, "out of memory");
		memcpy(e->bbuf + e->bbuf_len, data, len);
		data = e->bbuf + e->bbuf_len;
		e->bbuf_len += len;
	}
	p = &e->batch[e->n_batch];
	p->data = data;
	p->len = len;
	p->linktype = linktype;
	p->sched_ns = deadline;
	e->batch_loop[e->n_batch++] = e->loop;
	e->handed++;
	e->st.sched_span_ns = off;
	/* A packet that had to be waited for goes at once; packets found
	 * already due behind it gather into the next burst. */
	if (waited || e->n_batch == e->burst)
		return flush_batch(e);
	return 0;
}

/* ---- per packet ------------------------------------------------------ */

static int schedule(struct tw_engine *e, int64_t ts, uint32_t len, int64_t *off)
{
	int rc = tw_sched_next(&e->sched, ts, len, off);

	if (rc < 0)
		return tw_errf(e->eb, rc,
		               "schedule beyond 2^63 ns (292 years) "
		               "at packet %llu",
		               (unsigned long long)e->sched.count + 1);
	return 0;
}

/* Sends the copies of a prepared packet; in SPEEDUP mode copy j is due
 * j/N of the way to next_off (next_off == p->off: all at once). */
static int send_copies(struct tw_engine *e, struct prepared *p,
                       int64_t next_off)
{
	uint64_t loop = e->loop;
	uint32_t n = p->v.copies;
	int rc = 0;

	e->loop = p->loop;
	for (uint32_t j = 0; j < n && !stopping(e) && rc == 0; j++) {
		uint64_t shift = e->amp ? tw_amp_shift(e->amp, p->loop, j) : 0;
		const uint8_t *data = p->data;
		bool stable = p->stable;
		int64_t off = p->off;

		if (j && p->v.client < 0)
			break; /* no address to make a copy distinct */
		if (j)
			e->st.copies++;
		if (shift && p->v.client >= 0) {
			if (grow(&e->copybuf, &e->copy_cap, p->len) < 0)
				return tw_errf(e->eb, TW_ENOMEM,
				               "out of memory");
			memcpy(e->copybuf, p->data, p->len);
			tw_amp_apply(e->copybuf, p->len, &p->d, p->v.client,
			             shift);
			data = e->copybuf;
			stable = false;
		}
		if (e->cfg.sched.mode == TW_SCHED_PPS ||
		    e->cfg.sched.mode == TW_SCHED_RATE) {
			rc = schedule(e, p->ts_ns, p->len, &off);
			if (rc < 0)
				break;
		} else if (j) {
			off += (int64_t)((__int128)(next_off - p->off) * j / n);
		}
		rc = emit(e, data, p->len, p->linktype, off, stable);
	}
	e->loop = loop;
	return rc;
}

/* Copies the frame into p's scratch when it must change or move. */
static int prepare_frame(struct tw_engine *e, const struct in_pkt *in,
                         struct prepared *p, bool must_copy)
{
	p->data = in->data;
	p->len = in->caplen;
	p->stable = in->stable;
	if (!e->rewriting && !must_copy)
		return 0;
	if (grow(&p->buf, &p->cap, (size_t)in->caplen + TW_RW_HEADROOM) < 0)
		return tw_errf(e->eb, TW_ENOMEM, "out of memory");
	memcpy(p->buf, in->data, in->caplen);
	p->data = p->buf;
	p->stable = false;
	if (e->rewriting) {
		uint32_t len = in->caplen;

		tw_rewrite_apply(&e->cfg.rewrite, p->buf, &len,
		                 (uint32_t)p->cap, in->linktype, &p->d);
		/* A VLAN push or pop moved the headers: find them again. */
		if (len != in->caplen)
			tw_decode(p->buf, len, in->linktype, &p->d);
		p->len = len;
	}
	return 0;
}

static bool spreading(const struct tw_engine *e)
{
	return e->cfg.amplify_spread && e->amp &&
	       e->cfg.sched.mode == TW_SCHED_SPEEDUP;
}

/* Whether in belongs to another shard (decodes it into p->d). */
static bool other_shard(struct tw_engine *e, const struct in_pkt *in,
                        struct prepared *p)
{
	struct tw_flow_key key;
	uint64_t shard = 0;

	tw_decode(in->data, in->caplen, in->linktype, &p->d);
	if (tw_flow_key_of(in->data, &p->d, &key, NULL))
		shard = tw_flow_hash(&key, TW_RP_SHARD_SEED) %
		        e->cfg.shard_count;
	return shard != e->cfg.shard_index;
}

static int process(struct tw_engine *e, const struct in_pkt *in)
{
	struct prepared *p = &e->prep[e->cur], *held = &e->prep[e->cur ^ 1];
	bool spread = spreading(e);
	int rc;

	e->st.read++;
	if (e->b->linktype && in->linktype != e->b->linktype) {
		e->st.skipped_link++;
		return 0;
	}
	if (e->filter) {
		rc = tw_bpf_match(e->filter, in->linktype, in->data, in->caplen,
		                  in->wirelen, e->eb);
		if (rc <= 0) {
			e->st.skipped_filtered += rc == 0;
			return rc;
		}
	}
	if (!e->started) {
		e->started = true;
		e->run_start = mono_ns();
		e->last_tick = e->run_start;
		e->start = e->b->paced ? e->run_start : in->ts_ns;
	}
	if (e->cfg.shard_count > 1 && other_shard(e, in, p)) {
		int64_t off;

		/* Not sent here, but on the shared clock all the same. */
		e->st.skipped_filtered++;
		if (e->cfg.sched.mode == TW_SCHED_SPEEDUP)
			return schedule(e, in->ts_ns, in->caplen, &off);
		return 0;
	}
	p->v.copies = 1;
	p->v.client = -1;
	if (e->rewriting || e->amp)
		tw_decode(in->data, in->caplen, in->linktype, &p->d);
	if (e->amp) {
		rc = tw_amp_classify(e->amp, in->data, in->caplen, in->wirelen,
		                     in->linktype, &p->d, &p->v, e->eb);
		if (rc < 0)
			return rc;
	}
	rc = prepare_frame(e, in, p, spread);
	if (rc < 0)
		return rc;
	p->linktype = in->linktype;
	p->loop = e->loop;
	p->ts_ns = in->ts_ns;
	p->off = 0;
	if (e->cfg.sched.mode == TW_SCHED_SPEEDUP) {
		rc = schedule(e, in->ts_ns, p->len, &p->off);
		if (rc < 0)
			return rc;
	}
	if (!spread)
		return send_copies(e, p, p->off);
	/* Spreading: the held packet's copies fill the gap up to this one;
	 * this one is held until the next arrives. */
	p->valid = true;
	e->cur ^= 1;
	if (!held->valid)
		return 0;
	held->valid = false;
	return send_copies(e, held, p->off);
}

static int flush_held(struct tw_engine *e)
{
	struct prepared *held = &e->prep[e->cur ^ 1];

	if (!held->valid)
		return 0;
	held->valid = false;
	return send_copies(e, held, held->off);
}

/* One pass over the trace.  *any: a packet was read. */
static int run_pass(struct tw_engine *e, bool *any)
{
	struct in_pkt in = { 0 };
	int rc = 0;

	*any = false;
	while (!stopping(e) && (rc = source_next(e, &in)) > 0) {
		*any = true;
		/* A packet without a timestamp (pcapng simple packet
		 * block) goes right after the one before it. */
		if (in.flags & TW_PKT_NO_TS)
			in.ts_ns = e->last_ts;
		e->last_ts = in.ts_ns;
		rc = process(e, &in);
		if (rc < 0)
			return rc;
	}
	return stopping(e) ? 0 : rc;
}

static int run_loops(struct tw_engine *e)
{
	int rc = 0;

	for (e->loop = 0; !e->cfg.loops || e->loop < e->cfg.loops; e->loop++) {
		uint64_t sent_before = e->handed;
		bool any;

		if (e->loop && (rc = source_rewind(e)) < 0)
			return rc;
		rc = run_pass(e, &any);
		if (rc < 0 || stopping(e))
			return rc;
		e->st.loops_done++;
		tw_sched_new_loop(&e->sched);
		if (!any || (!e->cfg.loops && e->handed == sent_before &&
		             !spreading(e))) {
			if (!e->cfg.loops)
				tw_log(TW_LOG_WARN, COMP,
				       "a pass sent nothing; not looping "
				       "forever");
			break;
		}
	}
	return rc;
}

int tw_engine_run(struct tw_engine *e, struct tw_backend *b,
                  struct tw_errbuf *eb)
{
	int rc, rc2;

	e->b = b;
	e->eb = eb;
	e->st.paced = b->paced;
	e->burst = e->cfg.burst ? e->cfg.burst
	                        : (b->burst ? b->burst : DEFAULT_BURST);
	e->batch = calloc(e->burst, sizeof(*e->batch));
	e->batch_loop = calloc(e->burst, sizeof(*e->batch_loop));
	if (!e->batch || !e->batch_loop ||
	    grow(&e->bbuf, &e->bbuf_cap, BATCH_BYTES) < 0)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	rc = tw_sched_init(&e->sched, &e->cfg.sched);
	if (rc < 0)
		return tw_errf(eb, rc, "invalid schedule");
	/* The default timer slack (50 us) would let every sleep overshoot
	 * the spin window; ask for wake-ups as exact as the kernel can. */
	if (b->paced)
		prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

	rc = run_loops(e);
	if (rc >= 0)
		rc = flush_held(e);
	if (rc >= 0 && e->n_batch)
		rc = flush_batch(e);
	rc2 = b->ops->flush(b);
	if (rc >= 0 && rc2 < 0)
		rc = tw_errf(eb, rc2, "%s: %s", b->ops->name, b->err.msg);
	refresh_stats(e);
	return rc < 0 ? rc : 0;
}

const struct tw_replay_stats *tw_engine_stats(const struct tw_engine *e)
{
	return &e->st;
}

bool tw_engine_arena(const struct tw_engine *e, const void **base, size_t *len)
{
	if (!e->preloaded)
		return false;
	*base = e->arena;
	*len = e->arena_len;
	return true;
}

void tw_engine_free(struct tw_engine *e)
{
	if (!e)
		return;
	tw_bpf_free(e->filter);
	tw_amp_free(e->amp);
	if (e->r)
		tw_reader_close(e->r);
	preload_drop(e);
	free(e->path);
	free(e->batch);
	free(e->batch_loop);
	free(e->bbuf);
	free(e->prep[0].buf);
	free(e->prep[1].buf);
	free(e->copybuf);
	free(e);
}
