/*
 * l7_stats.c - the L7 replay's counters, as JSON and Prometheus text.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/l7_stats.h"

static const double quantiles[] = { 50, 90, 99, 99.9 };
static const char *const qnames[] = { "p50_ns", "p90_ns", "p99_ns",
	                              "p99_9_ns" };

void tw_l7_stats_init(struct tw_l7_stats *st, int64_t late_ns)
{
	memset(st, 0, sizeof(*st));
	st->late_ns = late_ns;
	tw_hist_init(&st->latency);
	tw_hist_init(&st->lateness);
}

void tw_l7_stats_free(struct tw_l7_stats *st)
{
	free(st->routes);
	st->routes = NULL;
	st->nroutes = 0;
}

static struct tw_l7_route_stats *route_get(struct tw_l7_stats *st,
                                           const char *name)
{
	struct tw_l7_route_stats *r;

	for (size_t i = 0; i < st->nroutes; i++)
		if (!strcmp(st->routes[i].name, name))
			return &st->routes[i];
	if (st->nroutes == TW_L7_MAX_ROUTES)
		return route_get(st, "(other)");
	if (!st->routes) {
		/* All at once: pointers into the table stay valid. */
		st->routes = malloc(TW_L7_MAX_ROUTES * sizeof(*st->routes));
		if (!st->routes)
			return NULL;
	}
	r = &st->routes[st->nroutes++];
	memset(r, 0, sizeof(*r) - sizeof(r->latency));
	tw_hist_init(&r->latency);
	snprintf(r->name, sizeof(r->name), "%s",
	         st->nroutes == TW_L7_MAX_ROUTES ? "(other)" : name);
	return r;
}

int tw_l7_stats_finish(struct tw_l7_stats *st, const char *route,
                       enum tw_l7_outcome o, int status, int grpc_status,
                       uint64_t latency_ns)
{
	struct tw_l7_route_stats *r = route_get(st, route ? route : "-");
	bool answered;

	st->completed++;
	st->outcome[o]++;
	st->status_class[status >= 100 && status <= 599 ? status / 100 : 0]++;
	if (grpc_status >= 0)
		st->grpc_code[grpc_status < TW_L7_GRPC_CODES - 1
		                      ? grpc_status
		                      : TW_L7_GRPC_CODES - 1]++;
	/* No answer (a transport error, or a protocol error before any
	 * status came): no latency to record, neither here nor per route. */
	answered = !tw_l7_outcome_transport(o) &&
	           !(o == TW_L7_PROTOCOL && status == 0);
	if (answered)
		tw_hist_record(&st->latency, latency_ns);
	if (!r)
		return TW_ENOMEM;
	r->outcome[o]++;
	if (answered)
		tw_hist_record(&r->latency, latency_ns);
	return 0;
}

void tw_l7_stats_reason(struct tw_l7_stats *st, enum tw_l7_outcome o,
                        const char *why)
{
	if ((unsigned)o < TW_L7_OUTCOMES && !st->reason[o][0] && why)
		snprintf(st->reason[o], sizeof(st->reason[o]), "%s", why);
}

void tw_l7_stats_sent(struct tw_l7_stats *st, int64_t lateness_ns)
{
	st->sent++;
	if (lateness_ns < 0)
		lateness_ns = 0;
	tw_hist_record(&st->lateness, (uint64_t)lateness_ns);
	if (lateness_ns > st->late_ns)
		st->late++;
}

static json_t *hist_json(const struct tw_hist *h)
{
	json_t *o = json_object();

	json_object_set_new(o, "count", json_integer((json_int_t)h->count));
	json_object_set_new(o, "min_ns",
	                    json_integer(h->count ? (json_int_t)h->min : 0));
	json_object_set_new(o, "mean_ns",
	                    json_integer((json_int_t)tw_hist_mean(h)));
	for (size_t i = 0; i < 4; i++)
		json_object_set_new(o, qnames[i],
		                    json_integer((json_int_t)tw_hist_percentile(
		                            h, quantiles[i])));
	json_object_set_new(o, "max_ns", json_integer((json_int_t)h->max));
	return o;
}

static json_t *outcomes_json(const uint64_t *outcome)
{
	json_t *o = json_object();

	for (int i = 0; i < TW_L7_OUTCOMES; i++)
		json_object_set_new(o, tw_l7_outcome_name(i),
		                    json_integer((json_int_t)outcome[i]));
	return o;
}

static json_t *routes_json(const struct tw_l7_stats *st)
{
	json_t *a = json_array();

	for (size_t i = 0; i < st->nroutes; i++) {
		const struct tw_l7_route_stats *r = &st->routes[i];

		json_array_append_new(
		        a, json_pack("{s:s, s:o, s:o}", "route", r->name,
		                     "outcomes", outcomes_json(r->outcome),
		                     "latency", hist_json(&r->latency)));
	}
	return a;
}

/* The first reason of each failed outcome that has one. */
static json_t *reasons_json(const struct tw_l7_stats *st)
{
	json_t *o = json_object();

	for (int i = 0; i < TW_L7_OUTCOMES; i++)
		if (st->reason[i][0])
			json_object_set_new(o, tw_l7_outcome_name(i),
			                    json_string(st->reason[i]));
	return o;
}

static json_t *codes_json(const struct tw_l7_stats *st)
{
	json_t *o = json_object();
	char k[16];

	for (int i = 0; i < TW_L7_GRPC_CODES; i++) {
		if (!st->grpc_code[i])
			continue;
		snprintf(k, sizeof(k),
		         i < TW_L7_GRPC_CODES - 1 ? "%d" : "other", i);
		json_object_set_new(o, k,
		                    json_integer((json_int_t)st->grpc_code[i]));
	}
	return o;
}

json_t *tw_l7_stats_json(const struct tw_l7_stats *st, const char *target)
{
	double s = (double)st->elapsed_ns / 1e9;
	json_t *o = json_object(), *cls = json_object();
	char k[8];

	if (!o || !cls) {
		json_decref(o);
		json_decref(cls);
		return NULL;
	}
	for (int i = 0; i < 6; i++) {
		snprintf(k, sizeof(k), i ? "%dxx" : "none", i);
		json_object_set_new(
		        cls, k, json_integer((json_int_t)st->status_class[i]));
	}
	json_object_set_new(o, "target", json_string(target));
	json_object_set_new(o, "scheduled",
	                    json_integer((json_int_t)st->scheduled));
	json_object_set_new(o, "sent", json_integer((json_int_t)st->sent));
	json_object_set_new(o, "completed",
	                    json_integer((json_int_t)st->completed));
	json_object_set_new(o, "late", json_integer((json_int_t)st->late));
	json_object_set_new(o, "late_threshold_ns", json_integer(st->late_ns));
	json_object_set_new(o, "amplified_copies",
	                    json_integer((json_int_t)st->copies));
	json_object_set_new(o, "connections",
	                    json_integer((json_int_t)st->connections));
	json_object_set_new(o, "compared",
	                    json_integer((json_int_t)st->compared));
	json_object_set_new(o, "status_mismatch",
	                    json_integer((json_int_t)st->status_mismatch));
	json_object_set_new(o, "bytes_out",
	                    json_integer((json_int_t)st->bytes_out));
	json_object_set_new(o, "bytes_in",
	                    json_integer((json_int_t)st->bytes_in));
	json_object_set_new(o, "loops_completed",
	                    json_integer((json_int_t)st->loops_done));
	json_object_set_new(o, "elapsed_s", json_real(s));
	json_object_set_new(o, "requests_per_s",
	                    json_real(s > 0 ? (double)st->completed / s : 0));
	json_object_set_new(o, "schedule_span_ns", json_integer(st->span_ns));
	json_object_set_new(o, "outcomes", outcomes_json(st->outcome));
	json_object_set_new(o, "status_classes", cls);
	json_object_set_new(o, "grpc_status", codes_json(st));
	json_object_set_new(o, "latency", hist_json(&st->latency));
	json_object_set_new(o, "lateness", hist_json(&st->lateness));
	json_object_set_new(o, "routes", routes_json(st));
	json_object_set_new(o, "interrupted", json_boolean(st->interrupted));
	json_object_set_new(o, "reasons", reasons_json(st));
	return o;
}

struct out {
	char *buf;
	size_t len, need;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o,
                                                      const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->need < o->len ? o->buf + o->need : NULL,
	              o->need < o->len ? o->len - o->need : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->need += (size_t)n;
}

/* Label values escaped as the text format wants: \\, \" and \n. */
static void esc(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 3 < len; in++) {
		if (*in == '\\' || *in == '"' || *in == '\n') {
			out[o++] = '\\';
			out[o++] = *in == '\n' ? 'n' : *in;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

static void summary(struct out *o, const char *name, const char *labels,
                    const struct tw_hist *h)
{
	for (size_t i = 0; i < 4; i++)
		put(o, "%s{%s,quantile=\"%g\"} %.9f\n", name, labels,
		    quantiles[i] / 100,
		    (double)tw_hist_percentile(h, quantiles[i]) / 1e9);
	put(o, "%s_sum{%s} %.9f\n", name, labels, (double)h->sum / 1e9);
	put(o, "%s_count{%s} %llu\n", name, labels,
	    (unsigned long long)h->count);
}

static void counters(struct out *o, const struct tw_l7_stats *st, const char *t)
{
	static const char *const names[] = { "scheduled",        "sent",
		                             "completed",        "late",
		                             "amplified_copies", "connections",
		                             "status_mismatch",  "bytes_out",
		                             "bytes_in" };
	const uint64_t v[] = { st->scheduled,       st->sent,
		               st->completed,       st->late,
		               st->copies,          st->connections,
		               st->status_mismatch, st->bytes_out,
		               st->bytes_in };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		put(o, "# TYPE tracewarp_l7_%s_total counter\n", names[i]);
		put(o, "tracewarp_l7_%s_total{target=\"%s\"} %llu\n", names[i],
		    t, (unsigned long long)v[i]);
	}
}

size_t tw_l7_stats_prom(const struct tw_l7_stats *st, const char *target,
                        char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	char t[256], r[TW_L7_ROUTE_LEN * 2], lab[600];

	if (len)
		buf[0] = '\0';
	esc(target, t, sizeof(t));
	counters(&o, st, t);
	put(&o, "# TYPE tracewarp_l7_requests_total counter\n");
	for (int i = 0; i < TW_L7_OUTCOMES; i++)
		put(&o,
		    "tracewarp_l7_requests_total{target=\"%s\","
		    "outcome=\"%s\"} %llu\n",
		    t, tw_l7_outcome_name(i),
		    (unsigned long long)st->outcome[i]);
	put(&o,
	    "# TYPE tracewarp_l7_elapsed_seconds gauge\n"
	    "tracewarp_l7_elapsed_seconds{target=\"%s\"} %.6f\n",
	    t, (double)st->elapsed_ns / 1e9);
	put(&o, "# TYPE tracewarp_l7_latency_seconds summary\n");
	snprintf(lab, sizeof(lab), "target=\"%s\"", t);
	summary(&o, "tracewarp_l7_latency_seconds", lab, &st->latency);
	put(&o, "# TYPE tracewarp_l7_lateness_seconds summary\n");
	summary(&o, "tracewarp_l7_lateness_seconds", lab, &st->lateness);
	put(&o, "# TYPE tracewarp_l7_route_latency_seconds summary\n");
	for (size_t i = 0; i < st->nroutes; i++) {
		esc(st->routes[i].name, r, sizeof(r));
		snprintf(lab, sizeof(lab), "target=\"%s\",route=\"%s\"", t, r);
		summary(&o, "tracewarp_l7_route_latency_seconds", lab,
		        &st->routes[i].latency);
	}
	if (o.need >= len && len)
		buf[len - 1] = '\0';
	return o.need;
}
