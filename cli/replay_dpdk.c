/*
 * replay_dpdk.c - `tracewarp replay --dpdk`: starts the EAL, picks the
 * engine with the DPDK backend or the multi-lcore replayer, and turns
 * what DPDK counted into the verb's outputs.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/replay_dpdk.h"
#include "cli/replay_sync.h"
#include "replay/metrics.h"
#include "trace/log.h"

#define VERB "replay"
#define COMP "replay"

int tw_replay_dpdk_check(const struct tw_replay_dpdk *d)
{
	if (!d->on) {
		if (d->eal || d->port_spec || d->lcores || d->fix_cksum)
			return tw_cli_usage_error(VERB, "--eal, --port, "
			                                "--lcores and "
			                                "--fix-checksums go "
			                                "with --dpdk");
		return 0;
	}
	if (d->lcores > TW_DPDK_MAX_LCORES)
		return tw_cli_usage_error(VERB, "--lcores: at most %d",
		                          TW_DPDK_MAX_LCORES);
	return 0;
}

int tw_replay_dpdk_start(struct tw_replay_dpdk *d, struct tw_errbuf *eb)
{
	struct tw_dpdk_port_info pi;
	int rc;

	rc = tw_dpdk_init(d->eal ? d->eal : "", eb);
	if (rc < 0)
		return rc;
	rc = tw_dpdk_port_lookup(d->port_spec ? d->port_spec : "0", &d->port,
	                         eb);
	if (rc < 0)
		return rc;
	if (tw_dpdk_port_info(d->port, &pi, eb) < 0)
		snprintf(pi.name, sizeof(pi.name), "port%u", d->port);
	snprintf(d->label, sizeof(d->label), "dpdk:%s", pi.name);
	tw_metrics_set_extra(tw_replay_dpdk_prom, d);
	return 0;
}

int tw_replay_dpdk_open(struct tw_replay_dpdk *d, const struct tw_engine *e,
                        struct tw_backend **b, struct tw_errbuf *eb)
{
	struct tw_dpdk_tx_opts o = { .port = d->port,
		                     .fix_cksum = d->fix_cksum };
	struct tw_errbuf aeb = { "" };
	const void *base;
	size_t len;
	int rc;

	rc = tw_dpdk_backend_open(b, &o, eb);
	if (rc < 0)
		return rc;
	if (!tw_engine_arena(e, &base, &len) || !len)
		return 0; /* streamed: every frame is copied */
	rc = tw_dpdk_backend_set_arena(*b, base, len, &aeb);
	if (rc == TW_EUNSUP)
		tw_log(TW_LOG_INFO, COMP, "%s; frames are copied", aeb.msg);
	else if (rc < 0)
		return tw_errf(eb, rc, "%s", aeb.msg);
	return 0;
}

void tw_replay_dpdk_collect(struct tw_replay_dpdk *d,
                            const struct tw_backend *b)
{
	struct tw_errbuf eb;

	if (b)
		tw_dpdk_backend_counts(b, &d->tx);
	d->have_port = tw_dpdk_port_counters(d->port, &d->ctr, &eb) == 0;
}

/* Why the multi-lcore replayer cannot do what eng asks, or NULL. */
static const char *multi_lacks(const struct tw_replay_dpdk *d,
                               const struct tw_engine_cfg *eng)
{
	if (d->fix_cksum)
		return "--fix-checksums";
	if (d->live_metrics)
		return "--metrics-listen";
	if (!eng->loops)
		return "--loop 0";
	if (eng->duration_ns)
		return "--duration";
	if (eng->limit)
		return "--limit";
	if (eng->shard_count > 1)
		return "--shard";
	return NULL;
}

/* The multi-lcore replayer's counters in the engine's struct. */
static void map_stats(const struct tw_dpdk_replay_stats *m,
                      const struct tw_engine_cfg *eng, bool stopped,
                      struct tw_replay_stats *st)
{
	uint64_t loops = eng->loops ? eng->loops : 1;
	uint64_t per_loop = 0;

	memset(st, 0, sizeof(*st));
	st->read = m->packets;
	st->sent = m->sent;
	st->bytes = m->bytes;
	st->failed = m->failed;
	for (unsigned l = 0; l < m->n_lcores; l++)
		st->retried += m->lcore[l].retried;
	st->skipped_filtered = m->skipped_filtered;
	st->skipped_link = m->skipped_link;
	st->flows_amplified = m->flows_amplified;
	st->port_dropped = m->port.oerrors;
	st->elapsed_ns = m->elapsed_ns;
	st->sched_span_ns = m->sched_span_ns;
	st->paced = true;
	st->preloaded = !m->streamed;
	st->preload_bytes = m->preload_bytes;
	st->lateness = m->lateness;
	if (m->packets >= m->skipped_filtered + m->skipped_link)
		per_loop = m->packets - m->skipped_filtered - m->skipped_link;
	/* What went out beyond one copy of each selected packet. */
	if (eng->amplify_copies > 1 && m->sent > per_loop * loops && !stopped)
		st->copies = m->sent - per_loop * loops;
	if (stopped || m->failed)
		return; /* how far each loop got is not known */
	/* Every pass sends the same packets: each loop's share is exact. */
	st->read = m->packets * loops;
	st->loops_done = loops;
	for (uint64_t l = 0; l < loops && l < TW_RP_LOOP_STATS; l++) {
		st->loop[l].sent = m->sent / loops;
		st->loop[l].bytes = m->bytes / loops;
	}
}

static int multi_run(struct tw_replay_dpdk *d, const char *trace,
                     const struct tw_engine_cfg *eng,
                     struct tw_replay_stats *st, struct tw_errbuf *eb)
{
	struct tw_dpdk_replay_cfg cfg = {
		.port = d->port,
		.lcores = d->lcores,
		.sched = eng->sched,
		.loops = eng->loops,
		.copies = eng->amplify_copies,
		.amplify_filter = eng->amplify_filter,
		.unique_ip = eng->unique_ip,
		.spread = eng->amplify_spread,
		.filter = eng->filter,
		.rewrite = &eng->rewrite,
		.burst = eng->burst,
		.preload_max = eng->preload_max,
		.stop = eng->stop,
	};
	struct tw_dpdk_replay *r = NULL;
	int rc;

	rc = tw_dpdk_replay_load(&r, trace, &cfg, eb);
	if (rc == TW_ELIMIT) {
		tw_log(TW_LOG_WARN, COMP,
		       "%s; the engine streams it from one lcore", eb->msg);
		return 0;
	}
	if (rc >= 0 && d->start_at_ns)
		tw_replay_start(d->start_at_ns, eng->stop);
	if (rc >= 0)
		rc = tw_dpdk_replay_run(r, eb);
	if (rc >= 0) {
		d->mst = malloc(sizeof(*d->mst));
		if (!d->mst)
			rc = tw_errf(eb, TW_ENOMEM, "out of memory");
	}
	if (rc >= 0) {
		*d->mst = *tw_dpdk_replay_stats(r);
		d->ctr = d->mst->port;
		d->have_port = true;
		d->multi = true;
		map_stats(d->mst, eng, eng->stop && *eng->stop, st);
	}
	tw_dpdk_replay_free(r);
	return rc < 0 ? rc : 1;
}

int tw_replay_dpdk_multi(struct tw_replay_dpdk *d, const char *trace,
                         const struct tw_engine_cfg *eng,
                         struct tw_replay_stats *st, struct tw_errbuf *eb)
{
	const char *lacks;

	if (d->lcores <= 1)
		return 0;
	lacks = multi_lacks(d, eng);
	if (lacks) {
		tw_log(TW_LOG_WARN, COMP,
		       "--lcores %u: the multi-lcore replayer has no %s; "
		       "the engine sends from one lcore",
		       d->lcores, lacks);
		return 0;
	}
	return multi_run(d, trace, eng, st, eb);
}

void tw_replay_dpdk_summary(const struct tw_replay_dpdk *d, FILE *out)
{
	if (d->have_port)
		fprintf(out,
		        "\tPort counted sent:         %" PRIu64 " (%" PRIu64
		        " bytes), errors %" PRIu64 "\n",
		        d->ctr.opackets, d->ctr.obytes, d->ctr.oerrors);
	if (!d->multi) {
		fprintf(out,
		        "\tSent from the trace:       %" PRIu64
		        " (zero-copy), %" PRIu64 " copied\n",
		        d->tx.zerocopy, d->tx.copied);
		return;
	}
	for (unsigned l = 0; l < d->mst->n_lcores; l++) {
		const struct tw_dpdk_lcore_stats *c = &d->mst->lcore[l];

		fprintf(out,
		        "\tLcore %u (TX queue %u):     %" PRIu64
		        " packets, %" PRIu64 " flows\n",
		        c->lcore, c->queue, c->sent, c->flows);
	}
}

/* Sets o[key] = v; returns non-zero when out of memory. */
static int put(json_t *o, const char *key, uint64_t v)
{
	return json_object_set_new(o, key, json_integer((json_int_t)v));
}

static json_t *counters_json(const struct tw_dpdk_counters *c)
{
	json_t *o = json_object();

	if (o &&
	    !(put(o, "opackets", c->opackets) | put(o, "obytes", c->obytes) |
	      put(o, "oerrors", c->oerrors) | put(o, "ipackets", c->ipackets) |
	      put(o, "ibytes", c->ibytes) | put(o, "imissed", c->imissed) |
	      put(o, "ierrors", c->ierrors) |
	      put(o, "rx_nombuf", c->rx_nombuf)))
		return o;
	json_decref(o);
	return NULL;
}

static json_t *lcore_json(const struct tw_dpdk_lcore_stats *c)
{
	json_t *o = json_object();

	if (o && !(put(o, "lcore", c->lcore) | put(o, "queue", c->queue) |
	           put(o, "flows", c->flows) | put(o, "sent", c->sent) |
	           put(o, "bytes", c->bytes) | put(o, "retried", c->retried) |
	           put(o, "nombuf", c->nombuf) | put(o, "failed", c->failed)))
		return o;
	json_decref(o);
	return NULL;
}

static json_t *lcores_json(const struct tw_dpdk_replay_stats *m)
{
	json_t *a = json_array();

	for (unsigned l = 0; a && l < m->n_lcores; l++) {
		if (json_array_append_new(a, lcore_json(&m->lcore[l])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static int xstat_json(void *arg, const char *name, uint64_t v)
{
	return json_object_set_new(arg, name, json_integer((json_int_t)v));
}

/* The port's extended statistics, read now; NULL when unreadable. */
static json_t *xstats_json(const struct tw_replay_dpdk *d)
{
	json_t *o = json_object();
	struct tw_errbuf eb;

	if (o && tw_dpdk_port_xstats(d->port, xstat_json, o, &eb) == 0)
		return o;
	json_decref(o);
	return NULL;
}

int tw_replay_dpdk_json(const struct tw_replay_dpdk *d, json_t *j)
{
	json_t *o = json_object();
	int bad = !o;

	if (o && d->have_port)
		bad |= json_object_set_new(o, "port", counters_json(&d->ctr));
	if (o && d->have_port)
		json_object_set_new(o, "xstats", xstats_json(d));
	if (o && d->multi) {
		bad |= json_object_set_new(o, "lcores", lcores_json(d->mst));
		bad |= put(o, "zerocopy", d->mst->zerocopy);
		bad |= put(o, "chained", d->mst->chained);
	} else if (o) {
		bad |= put(o, "lcores", 1);
		bad |= put(o, "zerocopy", d->tx.zerocopy);
		bad |= put(o, "copied", d->tx.copied);
	}
	if (bad) {
		json_decref(o);
		return TW_ENOMEM;
	}
	if (json_object_set_new(j, "dpdk", o) < 0)
		return TW_ENOMEM;
	return 0;
}

/* ---- Prometheus ------------------------------------------------------ */

struct prom {
	char *buf;
	size_t len, used;
	const char *label;
};

__attribute__((format(printf, 2, 3))) static void pput(struct prom *o,
                                                       const char *fmt, ...)
{
	size_t room = o->used < o->len ? o->len - o->used : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

/* rte_eth_stats, by their own names. */
static const struct {
	const char *name, *help;
	size_t off;
} port_counters[] = {
	{ "opackets", "Packets the port sent",
	  offsetof(struct tw_dpdk_counters, opackets) },
	{ "obytes", "Bytes the port sent",
	  offsetof(struct tw_dpdk_counters, obytes) },
	{ "oerrors", "Packets the port failed to send",
	  offsetof(struct tw_dpdk_counters, oerrors) },
	{ "ipackets", "Packets the port received",
	  offsetof(struct tw_dpdk_counters, ipackets) },
	{ "ibytes", "Bytes the port received",
	  offsetof(struct tw_dpdk_counters, ibytes) },
	{ "imissed", "Packets dropped by the port: RX queue full",
	  offsetof(struct tw_dpdk_counters, imissed) },
	{ "ierrors", "Erroneous packets the port received",
	  offsetof(struct tw_dpdk_counters, ierrors) },
	{ "rx_nombuf", "Receptions that found no mbuf",
	  offsetof(struct tw_dpdk_counters, rx_nombuf) },
};

/* Label values escape backslash, quote and newline. */
static void escape_label(const char *in, char *out, size_t len)
{
	size_t j = 0;

	for (; *in && j + 3 < len; in++) {
		if (*in == '\\' || *in == '"' || *in == '\n') {
			out[j++] = '\\';
			out[j++] = *in == '\n' ? 'n' : *in;
		} else {
			out[j++] = *in;
		}
	}
	out[j] = '\0';
}

static int xstat_prom(void *arg, const char *name, uint64_t v)
{
	struct prom *o = arg;
	char n[256];

	escape_label(name, n, sizeof(n));
	pput(o, "tracewarp_dpdk_port_xstat{output=\"%s\",name=\"%s\"} %llu\n",
	     o->label, n, (unsigned long long)v);
	return 0;
}

size_t tw_replay_dpdk_prom(void *arg, const char *label, char *buf, size_t len)
{
	const struct tw_replay_dpdk *d = arg;
	struct prom o = { buf, len, 0, label };
	struct tw_dpdk_counters c;
	struct tw_errbuf eb;

	if (len)
		buf[0] = '\0';
	/* Read now; once the port is gone, what the run collected. */
	if (tw_dpdk_port_counters(d->port, &c, &eb) < 0) {
		if (!d->have_port)
			return 0;
		c = d->ctr;
	}
	for (size_t i = 0; i < sizeof(port_counters) / sizeof(port_counters[0]);
	     i++) {
		const char *name = port_counters[i].name;
		uint64_t v;

		memcpy(&v, (const char *)&c + port_counters[i].off, sizeof(v));
		pput(&o,
		     "# HELP tracewarp_dpdk_port_%s_total %s (rte_eth_stats).\n"
		     "# TYPE tracewarp_dpdk_port_%s_total counter\n"
		     "tracewarp_dpdk_port_%s_total{output=\"%s\"} %llu\n",
		     name, port_counters[i].help, name, name, label,
		     (unsigned long long)v);
	}
	pput(&o, "# HELP tracewarp_dpdk_port_xstat The port's extended "
	         "statistics (rte_eth_xstats), by name.\n"
	         "# TYPE tracewarp_dpdk_port_xstat untyped\n");
	tw_dpdk_port_xstats(d->port, xstat_prom, &o, &eb);
	return o.used;
}

void tw_replay_dpdk_end(struct tw_replay_dpdk *d)
{
	tw_metrics_set_extra(NULL, NULL);
	free(d->mst);
	d->mst = NULL;
	if (tw_dpdk_initialized())
		tw_dpdk_fini();
}
