/*
 * replay_l7.c - `tracewarp replay --l7 TRACE.jsonl --target URL`: re-issues
 * the recorded HTTP/2 and gRPC exchanges against a server, open-loop at
 * the recorded times divided by a speedup, and reports outcomes and
 * latency (replay/l7_client.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/replay_l7.h"
#include "replay/l7.h"
#include "replay/l7_client.h"
#include "replay/l7_report.h"
#include "replay/l7_serve.h"
#include "replay/l7_stats.h"
#include "replay/metrics.h"
#include "trace/error.h"

#define VERB "replay"
#define MAX_RULES 16
#define MAX_HDRS 32

/* An output file, made at the start (as a temporary file beside it, so
 * that an unwritable place is known before the run, not after it) and
 * renamed into place at the end. */
struct outfile {
	const char *path;
	char *tmp; /* NULL: path itself is written (not a regular file) */
	FILE *f;
};

struct l7_opts {
	struct tw_l7_cfg cfg;
	const char *trace;
	const char *json_path;
	const char *metrics_file;
	const char *metrics_listen;
	struct tw_l7_server *server;
	const char *report;
	struct outfile report_out, json_out;
	int64_t max_gap_ns;
	bool quiet, tty;
	struct tw_l7_amp_rule amp[MAX_RULES];
	struct tw_l7_header set[MAX_HDRS];
	char *drop[MAX_HDRS];
	char errs[TW_ERRMSG_MAX];
};

/* The signal that stopped the run, 0 while none came. */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	stop_flag = sig;
}

bool tw_replay_is_l7(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "--l7") || !strncmp(argv[i], "--l7=", 5))
			return true;
	}
	return false;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: tracewarp replay --l7 TRACE.jsonl --target URL "
	        "[options]\n\n"
	        "Re-issues the HTTP/2 and gRPC exchanges of an L7 trace "
	        "(written\n"
	        "by 'tracewarp redact --l7-out') as real requests, at their\n"
	        "recorded times divided by a speedup, whatever the server's "
	        "pace,\n"
	        "and measures latency from each request's intended send "
	        "time.\n\n"
	        "Target:\n"
	        "      --target URL      http://HOST[:PORT] (h2c, prior "
	        "knowledge)\n"
	        "                        or https://HOST[:PORT] (TLS, ALPN "
	        "h2)\n"
	        "      --insecure        do not verify the server's "
	        "certificate\n"
	        "      --ca FILE         trust the certificates in FILE\n"
	        "      --keep-authority  send the recorded :authority, not "
	        "the\n"
	        "                        target's\n\n"
	        "Timing:\n"
	        "  -x, --speedup X       recorded gaps divided by X "
	        "(default 1)\n"
	        "  -t, --topspeed        everything due at once\n"
	        "      --max-gap D       cap each idle gap between requests "
	        "at D\n"
	        "  -l, --loop N          passes (default 1, 0 = until "
	        "stopped)\n"
	        "      --duration D      stop scheduling after D (\"30s\")\n"
	        "      --rate-limit N    at most N requests per second\n"
	        "      --max-inflight N  at most N requests outstanding\n"
	        "      --timeout D       per request, from its due time "
	        "(10s)\n"
	        "      --late D          sent more than D after due counts "
	        "late\n"
	        "                        (default 1ms)\n\n"
	        "Connections and requests:\n"
	        "      --connections N   N shared connections (default: one "
	        "per\n"
	        "                        recorded connection)\n"
	        "      --amplify 'SPEC*N'  send matching exchanges N times; "
	        "SPEC\n"
	        "                        is a path glob, method=GLOB,\n"
	        "                        authority=GLOB or header:NAME=GLOB\n"
	        "      --set-header NAME:VALUE  add or replace a header "
	        "(repeat);\n"
	        "                        ':authority:HOST' replaces the "
	        "authority,\n"
	        "                        other pseudo-headers are refused\n"
	        "      --drop-header NAME       remove a header (repeat)\n"
	        "      --compare         count statuses that differ from the\n"
	        "                        recorded ones\n\n"
	        "Reporting:\n"
	        "  -q, --quiet           no live line, no summary\n"
	        "      --json FILE       the summary as JSON ('-': stdout)\n"
	        "      --metrics-file FILE  Prometheus text, rewritten each "
	        "second,\n"
	        "                        renamed into place: a regular file\n"
	        "      --metrics-listen 127.0.0.1:PORT  serve /metrics "
	        "(loopback)\n"
	        "      --report FILE.html   a self-contained HTML report\n"
	        "  -h, --help            this text\n\n"
	        "The target's path, if any, goes before every recorded path."
	        "\n\n"
	        "Exit status: 0 when the run completed (outcomes are in the\n"
	        "summary), 1 on a bad option or trace, 2 on an internal "
	        "failure,\n"
	        "130 when stopped by SIGINT and 143 by SIGTERM (in-flight\n"
	        "requests cancelled, the summary and outputs written).\n");
}

enum {
	OPT_L7 = 256,
	OPT_TARGET,
	OPT_INSECURE,
	OPT_CA,
	OPT_KEEP_AUTH,
	OPT_DURATION,
	OPT_RATE,
	OPT_MAX_INFLIGHT,
	OPT_TIMEOUT,
	OPT_LATE,
	OPT_CONNECTIONS,
	OPT_AMPLIFY,
	OPT_SET_HEADER,
	OPT_DROP_HEADER,
	OPT_COMPARE,
	OPT_JSON,
	OPT_METRICS_FILE,
	OPT_METRICS_LISTEN,
	OPT_REPORT,
	OPT_MAX_GAP
};

static const struct option longopts[] = {
	{ "l7", required_argument, NULL, OPT_L7 },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "keep-authority", no_argument, NULL, OPT_KEEP_AUTH },
	{ "speedup", required_argument, NULL, 'x' },
	{ "topspeed", no_argument, NULL, 't' },
	{ "loop", required_argument, NULL, 'l' },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "rate-limit", required_argument, NULL, OPT_RATE },
	{ "max-inflight", required_argument, NULL, OPT_MAX_INFLIGHT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "late", required_argument, NULL, OPT_LATE },
	{ "connections", required_argument, NULL, OPT_CONNECTIONS },
	{ "amplify", required_argument, NULL, OPT_AMPLIFY },
	{ "set-header", required_argument, NULL, OPT_SET_HEADER },
	{ "drop-header", required_argument, NULL, OPT_DROP_HEADER },
	{ "compare", no_argument, NULL, OPT_COMPARE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "max-gap", required_argument, NULL, OPT_MAX_GAP },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int bad(const char *opt, const char *arg, const char *want)
{
	return tw_cli_usage_error(VERB, "%s: '%s' is not %s", opt, arg, want);
}

static int opt_duration(const char *opt, const char *arg, int64_t *ns)
{
	if (tw_duration_parse(arg, ns) < 0 || *ns <= 0)
		return bad(opt, arg, "a positive duration");
	return 0;
}

static int opt_header(struct l7_opts *o, int c, const char *arg)
{
	struct tw_l7_cfg *cfg = &o->cfg;
	const char *colon = strchr(arg + (arg[0] == ':'), ':');
	struct tw_l7_header *h;

	if (c == OPT_DROP_HEADER) {
		if (cfg->ndrop == MAX_HDRS || !arg[0])
			return bad("--drop-header", arg, "a header name");
		if (arg[0] == ':')
			return tw_cli_usage_error(
			        VERB,
			        "--drop-header '%s': a pseudo-header "
			        "cannot be dropped",
			        arg);
		o->drop[cfg->ndrop++] = (char *)arg;
		return 0;
	}
	if (cfg->nset == MAX_HDRS || !colon || colon == arg)
		return bad("--set-header", arg, "NAME:VALUE");
	/* :method, :scheme and :path are the trace's and --target's; a
	 * second one would make the request malformed. */
	if (arg[0] == ':' && strncasecmp(arg, ":authority:", 11))
		return tw_cli_usage_error(
		        VERB,
		        "--set-header '%s': of the pseudo-headers only "
		        ":authority can be set",
		        arg);
	h = &o->set[cfg->nset];
	h->name = strndup(arg, (size_t)(colon - arg));
	h->value = (char *)colon + 1;
	h->value_len = strlen(h->value);
	if (!h->name)
		return tw_cli_usage_error(VERB, "out of memory");
	for (char *p = h->name; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	cfg->nset++;
	return 0;
}

static int opt_count(const char *opt, const char *arg, uint64_t *v,
                     bool zero_ok)
{
	if (!tw_cli_parse_u64(arg, v) || (!zero_ok && !*v))
		return bad(opt, arg, "a count");
	return 0;
}

static int opt_one(struct l7_opts *o, int c, const char *arg)
{
	struct tw_l7_cfg *cfg = &o->cfg;
	struct tw_errbuf eb;
	uint64_t v;
	int rc;

	switch (c) {
	case OPT_L7:
		o->trace = arg;
		return 0;
	case OPT_TARGET:
		cfg->target = arg;
		return 0;
	case OPT_INSECURE:
		cfg->insecure = true;
		return 0;
	case OPT_CA:
		cfg->ca_file = arg;
		return 0;
	case OPT_KEEP_AUTH:
		cfg->keep_authority = true;
		return 0;
	case 'x':
		if (tw_ratio_parse(arg, &cfg->speedup) < 0)
			return bad("--speedup", arg, "a positive number");
		return 0;
	case 't':
		cfg->topspeed = true;
		return 0;
	case 'l':
		return opt_count("--loop", arg, &cfg->loops, true);
	case OPT_DURATION:
		return opt_duration("--duration", arg, &cfg->duration_ns);
	case OPT_TIMEOUT:
		return opt_duration("--timeout", arg, &cfg->timeout_ns);
	case OPT_LATE:
		return opt_duration("--late", arg, &cfg->late_ns);
	case OPT_RATE:
		rc = opt_count("--rate-limit", arg, &v, false);
		cfg->rate_limit = (double)v;
		return rc;
	case OPT_MAX_INFLIGHT:
		return opt_count("--max-inflight", arg, &cfg->max_inflight,
		                 false);
	case OPT_CONNECTIONS:
		rc = opt_count("--connections", arg, &v, false);
		if (!rc && v > 100000)
			return bad("--connections", arg, "1-100000");
		cfg->connections = (uint32_t)v;
		return rc;
	case OPT_AMPLIFY:
		if (cfg->namp == MAX_RULES)
			return tw_cli_usage_error(VERB, "--amplify: %d at most",
			                          MAX_RULES);
		if (tw_l7_amp_parse(arg, &o->amp[cfg->namp], &eb) < 0)
			return tw_cli_usage_error(VERB, "--amplify: %s",
			                          eb.msg);
		cfg->namp++;
		return 0;
	case OPT_SET_HEADER:
	case OPT_DROP_HEADER:
		return opt_header(o, c, arg);
	case OPT_COMPARE:
		cfg->compare = true;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	case OPT_JSON:
		o->json_path = arg;
		return 0;
	case OPT_METRICS_FILE:
		o->metrics_file = arg;
		return 0;
	case OPT_METRICS_LISTEN:
		o->metrics_listen = arg;
		return 0;
	case OPT_REPORT:
		o->report = arg;
		return 0;
	case OPT_MAX_GAP:
		return opt_duration("--max-gap", arg, &o->max_gap_ns);
	}
	return tw_cli_usage_error(VERB, "bad option");
}

/* What a path names: the file (device and inode) when it exists, else
 * its directory and its last component; a symbolic link is followed. */
struct ident {
	dev_t dev;
	ino_t ino;
	char name[256];
};

static bool ident_of(const char *path, struct ident *id)
{
	struct stat sb;
	char *d, *b;
	bool ok;

	memset(id, 0, sizeof(*id));
	if (!stat(path, &sb)) {
		id->dev = sb.st_dev;
		id->ino = sb.st_ino;
		return true;
	}
	d = strdup(path);
	b = strdup(path);
	ok = d && b && !stat(dirname(d), &sb);
	if (ok) {
		id->dev = sb.st_dev;
		id->ino = sb.st_ino;
		snprintf(id->name, sizeof(id->name), "%s", basename(b));
	}
	free(d);
	free(b);
	return ok;
}

static bool same_ident(const struct ident *a, const struct ident *b)
{
	return a->dev == b->dev && a->ino == b->ino &&
	       !strcmp(a->name, b->name);
}

/*
 * Writing an output over the trace would destroy it, two outputs on one
 * file would leave one of them: refused before anything is sent.  "-"
 * (standard input or output) is no file.
 */
static int check_outputs(const struct l7_opts *o)
{
	const char *const opt[] = { "--l7", "--report", "--json",
		                    "--metrics-file" };
	const char *path[] = { o->trace, o->report, o->json_path,
		               o->metrics_file };
	struct ident id[4];
	bool have[4];

	for (int i = 0; i < 4; i++)
		have[i] = path[i] && strcmp(path[i], "-") &&
		          ident_of(path[i], &id[i]);
	for (int i = 1; i < 4; i++)
		for (int j = 0; j < i; j++)
			if (have[i] && have[j] && same_ident(&id[i], &id[j]))
				return tw_cli_usage_error(
				        VERB, "%s %s: the same file as %s %s",
				        opt[i], path[i], opt[j], path[j]);
	return 0;
}

/* Makes the temporary file of of->path now (mode as the umask says). */
static int out_open(struct outfile *of, const char *opt, const char *path)
{
	struct stat sb;
	mode_t mask;
	int fd;

	of->path = path;
	if (!stat(path, &sb) && !S_ISREG(sb.st_mode)) {
		of->f = fopen(path, "w"); /* /dev/stdout: no rename */
		if (!of->f)
			goto fail;
		return 0;
	}
	if (asprintf(&of->tmp, "%s.tmp.XXXXXX", path) < 0) {
		of->tmp = NULL;
		return tw_cli_usage_error(VERB, "out of memory");
	}
	fd = mkstemp(of->tmp);
	if (fd < 0) {
		free(of->tmp);
		of->tmp = NULL;
		goto fail;
	}
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	of->f = fdopen(fd, "w");
	if (of->f)
		return 0;
	close(fd);
	unlink(of->tmp);
fail:
	tw_cli_error(VERB, "%s %s: %s", opt, path, strerror(errno));
	return TW_EXIT_USER;
}

/* Drops the temporary file (the run failed). */
static void out_abort(struct outfile *of)
{
	if (of->f)
		fclose(of->f);
	if (of->tmp)
		unlink(of->tmp);
	free(of->tmp);
	memset(of, 0, sizeof(*of));
}

/* Closes what was written and renames it into place. */
static int out_commit(struct outfile *of)
{
	int bad = ferror(of->f) | fclose(of->f);

	of->f = NULL;
	if (!bad && (!of->tmp || !rename(of->tmp, of->path))) {
		free(of->tmp);
		of->tmp = NULL;
		return 0;
	}
	tw_cli_error(VERB, "%s: cannot write: %s", of->path, strerror(errno));
	out_abort(of);
	return TW_EXIT_USER;
}

static int parse_opts(int argc, char **argv, struct l7_opts *o)
{
	struct tw_errbuf eb;
	int c, rc;

	tw_l7_cfg_default(&o->cfg);
	o->cfg.amp = o->amp;
	o->cfg.set_hdrs = o->set;
	o->cfg.drop_hdrs = o->drop;
	optind = 1;
	while ((c = getopt_long(argc, argv, "x:tl:qh", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(TW_EXIT_OK);
		}
		if (c == '?' || c == ':')
			return tw_cli_usage_error(VERB, "bad option");
		rc = opt_one(o, c, optarg);
		if (rc)
			return rc;
	}
	if (optind != argc)
		return tw_cli_usage_error(VERB, "--l7: unexpected '%s'",
		                          argv[optind]);
	if (!o->trace || !o->cfg.target)
		return tw_cli_usage_error(VERB, "--l7 needs TRACE.jsonl and "
		                                "--target URL");
	/* Before anything is sent: a file the rename would replace. */
	if (o->metrics_file && tw_metrics_check_file(o->metrics_file, &eb)) {
		tw_cli_error(VERB, "--metrics-file %s", eb.msg);
		return TW_EXIT_USER;
	}
	return check_outputs(o);
}

static void fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 10000)
		snprintf(buf, len, "%" PRIu64 " ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
	else if (ns < 10000000000ULL)
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.1f s", (double)ns / 1e9);
}

static void fmt_pcts(const struct tw_hist *h, char *buf, size_t len)
{
	char a[24], b[24], c[24], d[24], e[24];

	if (!h->count) {
		snprintf(buf, len, "none (no answer)");
		return;
	}
	fmt_ns(tw_hist_percentile(h, 50), a, sizeof(a));
	fmt_ns(tw_hist_percentile(h, 90), b, sizeof(b));
	fmt_ns(tw_hist_percentile(h, 99), c, sizeof(c));
	fmt_ns(tw_hist_percentile(h, 99.9), d, sizeof(d));
	fmt_ns(h->max, e, sizeof(e));
	snprintf(buf, len, "p50 %s, p90 %s, p99 %s, p99.9 %s, max %s", a, b, c,
	         d, e);
}

static char *render(const struct l7_opts *o, const struct tw_l7_stats *st)
{
	size_t need = tw_l7_stats_prom(st, o->cfg.target, NULL, 0);
	char *buf = malloc(need + 1);

	if (buf)
		tw_l7_stats_prom(st, o->cfg.target, buf, need + 1);
	return buf;
}

/* The Prometheus text to the file (through a rename) and the server. */
static void publish(struct l7_opts *o, const struct tw_l7_stats *st)
{
	struct tw_errbuf eb;
	char *buf;

	if (!o->server && !o->metrics_file)
		return;
	buf = render(o, st);
	if (!buf)
		return;
	if (o->server)
		tw_l7_serve_publish(o->server, buf);
	if (o->metrics_file &&
	    tw_metrics_write_text(o->metrics_file, buf, &eb) < 0)
		tw_cli_error(VERB, "%s", eb.msg);
	free(buf);
}

static void on_tick(const struct tw_l7_stats *st, void *arg)
{
	struct l7_opts *o = arg;
	char p99[24];
	double s = (double)st->elapsed_ns / 1e9;

	publish(o, st);
	if (!o->tty)
		return;
	fmt_ns(tw_hist_percentile(&st->latency, 99), p99, sizeof(p99));
	fprintf(stderr,
	        "\r%.0fs  sent %" PRIu64 "  done %" PRIu64 "  ok %" PRIu64
	        "  errors %" PRIu64 "  late %" PRIu64 "  %.0f req/s  p99 %s   ",
	        s, st->sent, st->completed, st->outcome[TW_L7_OK],
	        st->completed - st->outcome[TW_L7_OK], st->late,
	        s > 0 ? (double)st->completed / s : 0, p99);
}

static void print_summary(const struct l7_opts *o, const struct tw_l7_trace *t,
                          const struct tw_l7_stats *st)
{
	double s = (double)st->elapsed_ns / 1e9;
	char buf[256], late[24];

	printf("L7 replay of %s against %s\n", o->trace, o->cfg.target);
	printf("\tExchanges read:            %zu (%" PRIu64 " bad lines "
	       "skipped)\n",
	       t->n, t->bad);
	printf("\tRequests scheduled:        %" PRIu64 " (%" PRIu64
	       " amplified copies)\n",
	       st->scheduled, st->copies);
	fmt_ns((uint64_t)st->late_ns, late, sizeof(late));
	printf("\tRequests sent:             %" PRIu64 " (%" PRIu64
	       " late by more than %s)\n",
	       st->sent, st->late, late);
	if (st->completed && !st->latency.count) /* no answer at all */
		printf("\tFailed:                    all %" PRIu64 " without "
		       "an answer, in %.3f s\n",
		       st->completed, s);
	else
		printf("\tCompleted:                 %" PRIu64 " in %.3f s, "
		       "%.1f req/s\n",
		       st->completed, s, s > 0 ? (double)st->completed / s : 0);
	if (st->interrupted)
		printf("\tInterrupted:               by %s, %" PRIu64
		       " in-flight requests cancelled\n",
		       stop_flag == SIGTERM ? "SIGTERM" : "SIGINT",
		       st->outcome[TW_L7_CANCELLED]);
	printf("\tConnections:               %" PRIu64 "\n", st->connections);
	for (int i = 0; i < TW_L7_OUTCOMES; i++) {
		char esc[TW_L7_REASON_LEN * 4];

		if (!st->outcome[i] && i != TW_L7_OK)
			continue;
		printf("\t  %-24s %" PRIu64, tw_l7_outcome_name(i),
		       st->outcome[i]);
		if (st->outcome[i] && st->reason[i][0])
			printf(" (first: %s)",
			       tw_cli_escape(st->reason[i], esc, sizeof(esc)));
		putchar('\n');
	}
	if (st->compared)
		printf("\tStatus differs from trace: %" PRIu64 " of %" PRIu64
		       "\n",
		       st->status_mismatch, st->compared);
	fmt_pcts(&st->latency, buf, sizeof(buf));
	printf("\tLatency:                   %s\n", buf);
	fmt_pcts(&st->lateness, buf, sizeof(buf));
	printf("\tSend lateness:             %s\n", buf);
	if (st->nroutes)
		printf("\tRoutes:                    requests, ok, latency p50 "
		       "and p99\n");
	for (size_t i = 0; i < st->nroutes; i++) {
		const struct tw_l7_route_stats *r = &st->routes[i];
		char esc[TW_L7_ROUTE_LEN * 4], p50[24], p99[24];
		uint64_t n = 0;

		for (int k = 0; k < TW_L7_OUTCOMES; k++)
			n += r->outcome[k];
		fmt_ns(tw_hist_percentile(&r->latency, 50), p50, sizeof(p50));
		fmt_ns(tw_hist_percentile(&r->latency, 99), p99, sizeof(p99));
		if (!r->latency.count) /* no answer: no latency, not 0 */
			snprintf(p50, sizeof(p50), "-"),
			        snprintf(p99, sizeof(p99), "-");
		printf("\t  %-36s %6" PRIu64 " %6" PRIu64 "  %9s %9s\n",
		       tw_cli_escape(r->name, esc, sizeof(esc)), n,
		       r->outcome[TW_L7_OK], p50, p99);
	}
}

static int write_json(struct l7_opts *o, const struct tw_l7_trace *t,
                      const struct tw_l7_stats *st)
{
	json_t *j = tw_l7_stats_json(st, o->cfg.target);
	FILE *f = o->json_out.f ? o->json_out.f : stdout;
	int rc;

	if (!j) {
		tw_cli_error(VERB, "out of memory");
		return TW_EXIT_INTERNAL;
	}
	json_object_set_new(j, "exchanges", json_integer((json_int_t)t->n));
	json_object_set_new(j, "bad_lines", json_integer((json_int_t)t->bad));
	rc = json_dumpf(j, f, JSON_INDENT(2));
	fputc('\n', f);
	json_decref(j);
	if (o->json_out.f)
		return out_commit(&o->json_out);
	if (rc < 0 || fflush(stdout)) {
		tw_cli_error(VERB, "standard output: cannot write");
		return TW_EXIT_USER;
	}
	return TW_EXIT_OK;
}

static int finish(struct l7_opts *o, const struct tw_l7_trace *t,
                  const struct tw_l7_stats *st)
{
	int status = TW_EXIT_OK, rc;

	if (o->tty)
		fprintf(stderr, "\r%*s\r", 100, "");
	if (!o->quiet && !(o->json_path && !strcmp(o->json_path, "-")))
		print_summary(o, t, st);
	if (o->json_path)
		status = write_json(o, t, st);
	publish(o, st);
	if (o->report_out.f) {
		tw_l7_report_put(o->report_out.f, st, o->trace, o->cfg.target);
		rc = out_commit(&o->report_out);
		if (rc)
			status = rc;
	}
	if (!status && st->interrupted) /* 128 + the signal, as a shell */
		status = 128 + (stop_flag ? stop_flag : SIGINT);
	return status;
}

/* The outputs made now: a place that cannot be written is an error
 * before the run, not after it. */
static int open_outputs(struct l7_opts *o)
{
	int rc = 0;

	if (o->report)
		rc = out_open(&o->report_out, "--report", o->report);
	if (!rc && o->json_path && strcmp(o->json_path, "-"))
		rc = out_open(&o->json_out, "--json", o->json_path);
	return rc;
}

/* --max-gap, and a warning for a schedule that would idle for days. */
static void shape_schedule(struct l7_opts *o, struct tw_l7_trace *t)
{
	const double day = 86400e9;
	double span;

	if (o->max_gap_ns)
		tw_l7_trace_cap_gaps(t, o->max_gap_ns);
	span = (double)tw_l7_trace_span(t) * (double)o->cfg.speedup.den /
	       (double)o->cfg.speedup.num;
	if (!o->cfg.topspeed && span > day)
		tw_cli_error(VERB,
		             "warning: %s: the requests spread over %.1f "
		             "days at this speedup (a far-off start_ns?); "
		             "--max-gap D caps the idle gaps",
		             o->trace, span / day);
}

static void free_opts(struct l7_opts *o)
{
	for (size_t i = 0; i < o->cfg.nset; i++)
		free(o->set[i].name);
}

int tw_cmd_replay_l7(int argc, char **argv)
{
	struct l7_opts *o = calloc(1, sizeof(*o));
	struct tw_l7_trace t = { 0 };
	struct tw_l7_stats st;
	struct tw_errbuf eb = { "" };
	struct sigaction sa;
	int rc;

	if (!o)
		return TW_EXIT_INTERNAL;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			free(o);
			return TW_EXIT_OK;
		}
	rc = parse_opts(argc, argv, o);
	if (!rc)
		rc = open_outputs(o);
	if (rc) {
		out_abort(&o->report_out);
		out_abort(&o->json_out);
		free_opts(o);
		free(o);
		return rc;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	o->tty = !o->quiet && isatty(STDERR_FILENO);
	o->cfg.stop = &stop_flag;
	o->cfg.tick = on_tick;
	o->cfg.tick_arg = o;
	rc = tw_l7_trace_load(&t, o->trace, &eb);
	if (rc >= 0)
		shape_schedule(o, &t);
	if (rc >= 0 && o->metrics_listen)
		rc = tw_l7_serve(&o->server, o->metrics_listen, &eb);
	if (rc >= 0) {
		rc = tw_l7_run(&t, &o->cfg, &st, &eb);
		if (rc >= 0)
			rc = finish(o, &t, &st);
		else
			tw_cli_error(VERB, "%s", eb.msg);
		tw_l7_stats_free(&st);
	} else {
		tw_cli_error(VERB, "%s", eb.msg);
	}
	if (rc < 0)
		rc = tw_cli_exit_code(rc);
	out_abort(&o->report_out); /* what is left of a failed run */
	out_abort(&o->json_out);
	tw_l7_serve_close(o->server);
	tw_l7_trace_free(&t);
	free_opts(o);
	free(o);
	return rc;
}
