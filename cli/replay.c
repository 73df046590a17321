/*
 * replay.c - `tracewarp replay`: sends a trace on an interface, or writes
 * what would be sent to a file, at a speedup or a rate, with rewriting,
 * amplification and metrics.  Flags follow tcpreplay where it has them.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/replay_dpdk.h"
#include "cli/replay_l7.h"
#include "cli/replay_sync.h"
#include "cli/verbs.h"
#include "replay/amplify.h"
#include "replay/backend.h"
#include "replay/engine.h"
#include "replay/metrics.h"
#include "trace/error.h"
#include "trace/writer.h"

#define VERB "replay"

struct replay_opts {
	struct tw_engine_cfg eng;
	const char *iface;
	const char *out;
	const char *trace;
	bool pcap_out;
	bool quiet;
	int modes; /* timing options given */
	const char *json_path;
	const char *metrics_file;
	const char *metrics_listen;
	struct tw_afpacket_opts af;
	struct tw_replay_dpdk dpdk;
	int64_t start_at_ns; /* --start-at, wall clock; 0 = at once */
	char *amplify_spec;
};

/*
 * The reporter: a thread of its own that draws the live line and writes
 * the metrics, so that none of it delays a packet.  The replay thread's
 * tick only copies the counters in and signals.
 */
struct live {
	bool tty;
	const struct replay_opts *o;
	struct tw_metrics_server *server;
	const char *output;
	struct tw_errbuf eb;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool fresh, quit;
	struct tw_replay_stats snap;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: tracewarp replay [options] (-i IFACE | -w FILE |\n"
	        "                        --dpdk [--eal ARGS] [--port P]) "
	        "TRACE\n\n"
	        "Sends the packets of TRACE (pcap or pcapng; '-' is standard\n"
	        "input) at their recorded times divided by a speedup, or at a\n"
	        "fixed rate, rewriting and amplifying on the way out.\n\n"
	        "Output (one):\n"
	        "  -i, --iface IFACE     send on a network interface "
	        "(AF_PACKET)\n"
	        "  -w, --write FILE      dry run: write what would be sent, "
	        "each\n"
	        "                        packet stamped with its scheduled "
	        "time\n"
	        "      --pcap            with -w: classic pcap (ns), not "
	        "pcapng\n"
	        "      --dpdk            send on a DPDK port\n\n"
	        "DPDK (with --dpdk):\n"
	        "      --eal ARGS        the EAL's arguments, one quoted "
	        "string\n"
	        "                        ('-l 0-3 -a 0000:03:00.0')\n"
	        "      --port N|NAME     port number or device name "
	        "(default 0)\n"
	        "      --lcores N        TX lcores, each with its own queue "
	        "and\n"
	        "                        flows (default 1: the engine; the "
	        "EAL\n"
	        "                        must run N lcores)\n"
	        "      --fix-checksums   recompute IPv4, TCP and UDP "
	        "checksums\n"
	        "                        (by the port where it offers to)"
	        "\n\n"
	        "Timing (one of):\n"
	        "  -x, --speedup X       recorded gaps divided by X (default "
	        "1;\n"
	        "                        0.5 is half speed)\n"
	        "  -p, --pps N           N packets per second\n"
	        "  -M, --mbps N          N megabits per second (frame bytes)\n"
	        "  -t, --topspeed        as fast as the port takes them\n"
	        "  -l, --loop N          passes over the trace (default 1, 0 "
	        "=\n"
	        "                        until interrupted); the gap between\n"
	        "                        loops is the trace's mean gap\n"
	        "      --duration D      stop after D (\"30s\", \"5m\", "
	        "\"1h30m\")\n"
	        "  -L, --limit N         stop after N packets\n"
	        "      --max-gap D       no wait longer than D\n\n"
	        "Selection and rewriting:\n"
	        "      --filter BPF      send only what matches (tcpdump "
	        "syntax)\n"
	        "      --src-mac MAC, --dst-mac MAC\n"
	        "      --ip-map CIDR:CIDR  prefix map, both directions "
	        "(repeat)\n"
	        "      --port-map FROM:TO[,FROM:TO...]  TCP and UDP ports\n"
	        "      --vlan-add ID | --vlan-set ID | --vlan-strip\n\n"
	        "Amplification:\n"
	        "      --amplify 'BPF*N' flows matching BPF go out N times, "
	        "each\n"
	        "                        copy a distinct flow (client "
	        "address\n"
	        "                        shifted, checksums kept valid)\n"
	        "      --amplify-spread  copies spread over the gap to the "
	        "next\n"
	        "                        packet (default: all at once)\n"
	        "      --unique-ip       every loop a distinct set of flows\n\n"
	        "Several hosts, one trace:\n"
	        "      --shard I/N       send only shard I (1..N) of the "
	        "flows;\n"
	        "                        the N shards are disjoint and make "
	        "up\n"
	        "                        the whole trace (flow hash, fixed "
	        "key);\n"
	        "                        the others' packets still set the "
	        "clock\n"
	        "      --start-at TIME   start at this wall-clock time: RFC "
	        "3339\n"
	        "                        (2026-12-03T20:30:00Z) or epoch "
	        "seconds\n\n"
	        "Engine:\n"
	        "      --preload-max N   preload traces up to N bytes "
	        "(default\n"
	        "                        1GiB); larger ones are streamed\n"
	        "      --burst N         packets per send call\n"
	        "      --spin D          busy-wait the last D before a "
	        "deadline\n"
	        "                        (default 50us)\n"
	        "      --sendmmsg        sendmmsg() instead of "
	        "PACKET_TX_RING\n"
	        "      --no-qdisc-bypass go through the interface's qdisc\n\n"
	        "Reporting:\n"
	        "  -q, --quiet           no live line, no summary\n"
	        "      --json FILE       the summary as JSON ('-': stdout)\n"
	        "      --metrics-file FILE  Prometheus text, rewritten each\n"
	        "                        second (node_exporter textfile),\n"
	        "                        renamed into place: a regular\n"
	        "                        file (a device or FIFO is refused)\n"
	        "      --metrics-listen 127.0.0.1:PORT  serve /metrics "
	        "(loopback)\n"
	        "  -h, --help            this text\n\n"
	        "Exit status: 0 when everything selected was sent (or "
	        "written),\n"
	        "1 on a bad option or input, or packets that failed or were\n"
	        "larger than the interface's MTU, 2 on an internal failure.\n");
}

enum {
	OPT_PCAP = 256,
	OPT_DURATION,
	OPT_MAX_GAP,
	OPT_FILTER,
	OPT_SRC_MAC,
	OPT_DST_MAC,
	OPT_IP_MAP,
	OPT_PORT_MAP,
	OPT_VLAN_ADD,
	OPT_VLAN_SET,
	OPT_VLAN_STRIP,
	OPT_AMPLIFY,
	OPT_SPREAD,
	OPT_UNIQUE_IP,
	OPT_PRELOAD,
	OPT_BURST,
	OPT_SPIN,
	OPT_SENDMMSG,
	OPT_NO_BYPASS,
	OPT_JSON,
	OPT_METRICS_FILE,
	OPT_METRICS_LISTEN,
	OPT_DPDK,
	OPT_EAL,
	OPT_PORT,
	OPT_LCORES,
	OPT_FIX_CKSUM,
	OPT_SHARD,
	OPT_START_AT
};

static const struct option longopts[] = {
	{ "iface", required_argument, NULL, 'i' },
	{ "write", required_argument, NULL, 'w' },
	{ "pcap", no_argument, NULL, OPT_PCAP },
	{ "speedup", required_argument, NULL, 'x' },
	{ "pps", required_argument, NULL, 'p' },
	{ "mbps", required_argument, NULL, 'M' },
	{ "topspeed", no_argument, NULL, 't' },
	{ "loop", required_argument, NULL, 'l' },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "limit", required_argument, NULL, 'L' },
	{ "max-gap", required_argument, NULL, OPT_MAX_GAP },
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "src-mac", required_argument, NULL, OPT_SRC_MAC },
	{ "dst-mac", required_argument, NULL, OPT_DST_MAC },
	{ "ip-map", required_argument, NULL, OPT_IP_MAP },
	{ "port-map", required_argument, NULL, OPT_PORT_MAP },
	{ "vlan-add", required_argument, NULL, OPT_VLAN_ADD },
	{ "vlan-set", required_argument, NULL, OPT_VLAN_SET },
	{ "vlan-strip", no_argument, NULL, OPT_VLAN_STRIP },
	{ "amplify", required_argument, NULL, OPT_AMPLIFY },
	{ "amplify-spread", no_argument, NULL, OPT_SPREAD },
	{ "unique-ip", no_argument, NULL, OPT_UNIQUE_IP },
	{ "preload-max", required_argument, NULL, OPT_PRELOAD },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "spin", required_argument, NULL, OPT_SPIN },
	{ "sendmmsg", no_argument, NULL, OPT_SENDMMSG },
	{ "no-qdisc-bypass", no_argument, NULL, OPT_NO_BYPASS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
	{ "dpdk", no_argument, NULL, OPT_DPDK },
	{ "eal", required_argument, NULL, OPT_EAL },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "lcores", required_argument, NULL, OPT_LCORES },
	{ "fix-checksums", no_argument, NULL, OPT_FIX_CKSUM },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "start-at", required_argument, NULL, OPT_START_AT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int bad(const char *opt, const char *arg, const char *want)
{
	return tw_cli_usage_error(VERB, "%s: '%s' is not %s", opt, arg, want);
}

static int parse_vlan(const char *opt, const char *arg, enum tw_vlan_op op,
                      struct tw_rewrite *rw)
{
	uint64_t id;

	if (!tw_cli_parse_u64(arg, &id) || id > 4095)
		return bad(opt, arg, "a VLAN id (0-4095)");
	if (rw->vlan_op != TW_VLAN_KEEP)
		return tw_cli_usage_error(VERB, "one VLAN option only");
	rw->vlan_op = op;
	rw->vlan_id = (uint16_t)id;
	return 0;
}

/* Timing, loop and limit options. */
static int opt_timing(int c, const char *arg, struct replay_opts *o)
{
	struct tw_sched_cfg *s = &o->eng.sched;
	struct tw_ratio mbps;
	uint64_t v;

	switch (c) {
	case 'x':
		o->modes++;
		s->mode = TW_SCHED_SPEEDUP;
		if (tw_ratio_parse(arg, &s->speed) < 0)
			return bad("--speedup", arg, "a positive number");
		return 0;
	case 'p':
		o->modes++;
		s->mode = TW_SCHED_PPS;
		if (tw_ratio_parse(arg, &s->pps) < 0)
			return bad("--pps", arg, "a positive rate");
		return 0;
	case 'M':
		o->modes++;
		s->mode = TW_SCHED_RATE;
		/* Megabits with up to 6 decimals are whole bits/s. */
		if (tw_ratio_parse(arg, &mbps) < 0 || 1000000 % mbps.den != 0 ||
		    mbps.num > UINT64_MAX / (1000000 / mbps.den))
			return bad("--mbps", arg,
			           "a positive rate (6 decimals at most)");
		s->bps = mbps.num * (1000000 / mbps.den);
		return 0;
	case 't':
		o->modes++;
		s->mode = TW_SCHED_TOPSPEED;
		return 0;
	case 'l':
		if (!tw_cli_parse_u64(arg, &o->eng.loops))
			return bad("--loop", arg, "a count");
		return 0;
	case 'L':
		if (!tw_cli_parse_u64(arg, &v) || !v)
			return bad("--limit", arg, "a positive count");
		o->eng.limit = v;
		return 0;
	case OPT_DURATION:
		if (tw_duration_parse(arg, &o->eng.duration_ns) < 0 ||
		    !o->eng.duration_ns)
			return bad("--duration", arg, "a positive duration");
		return 0;
	case OPT_MAX_GAP:
		if (tw_duration_parse(arg, &s->max_gap_ns) < 0 ||
		    !s->max_gap_ns)
			return bad("--max-gap", arg, "a positive duration");
		return 0;
	}
	return -1;
}

/* Rewriting and amplification options. */
static int opt_rewrite(int c, const char *arg, struct replay_opts *o)
{
	struct tw_rewrite *rw = &o->eng.rewrite;
	const char *why;
	int rc;

	switch (c) {
	case OPT_FILTER:
		o->eng.filter = arg;
		return 0;
	case OPT_SRC_MAC:
		rw->src_mac_set = true;
		if (tw_rewrite_parse_mac(arg, rw->src_mac) < 0)
			return bad("--src-mac", arg, "a MAC address");
		return 0;
	case OPT_DST_MAC:
		rw->dst_mac_set = true;
		if (tw_rewrite_parse_mac(arg, rw->dst_mac) < 0)
			return bad("--dst-mac", arg, "a MAC address");
		return 0;
	case OPT_IP_MAP:
		rc = tw_rewrite_add_ip_map(rw, arg, &why);
		if (rc == TW_ELIMIT)
			return tw_cli_usage_error(VERB, "--ip-map: at most %d",
			                          TW_RW_MAX_MAPS);
		if (rc < 0)
			return tw_cli_usage_error(VERB, "--ip-map '%s': %s",
			                          arg, why);
		return 0;
	case OPT_PORT_MAP:
		if (tw_rewrite_add_port_map(rw, arg, &why) < 0)
			return tw_cli_usage_error(VERB, "--port-map '%s': %s",
			                          arg, why);
		return 0;
	case OPT_VLAN_ADD:
		return parse_vlan("--vlan-add", arg, TW_VLAN_ADD, rw);
	case OPT_VLAN_SET:
		return parse_vlan("--vlan-set", arg, TW_VLAN_SET, rw);
	case OPT_VLAN_STRIP:
		return parse_vlan("--vlan-strip", "0", TW_VLAN_STRIP, rw);
	case OPT_AMPLIFY:
		if (o->amplify_spec)
			return tw_cli_usage_error(VERB,
			                          "--amplify given twice; "
			                          "one rule per run");
		o->amplify_spec = strdup(arg);
		if (!o->amplify_spec ||
		    tw_amp_parse(o->amplify_spec, &o->eng.amplify_filter,
		                 &o->eng.amplify_copies) < 0)
			return bad("--amplify", arg, "'BPF*N' (N 1-65536)");
		return 0;
	case OPT_SPREAD:
		o->eng.amplify_spread = true;
		return 0;
	case OPT_UNIQUE_IP:
		o->eng.unique_ip = true;
		return 0;
	}
	return -1;
}

/* Output, engine and reporting options. */
static int opt_other(int c, const char *arg, struct replay_opts *o)
{
	uint64_t v;

	switch (c) {
	case 'i':
		o->iface = arg;
		return 0;
	case 'w':
		o->out = arg;
		return 0;
	case OPT_PCAP:
		o->pcap_out = true;
		return 0;
	case OPT_PRELOAD:
		if (!tw_cli_parse_u64(arg, &o->eng.preload_max))
			return bad("--preload-max", arg, "a size");
		return 0;
	case OPT_BURST:
		if (!tw_cli_parse_u64(arg, &v) || !v || v > 4096)
			return bad("--burst", arg, "a count (1-4096)");
		o->eng.burst = (unsigned)v;
		return 0;
	case OPT_SPIN:
		if (tw_duration_parse(arg, &o->eng.spin_ns) < 0)
			return bad("--spin", arg, "a duration");
		return 0;
	case OPT_SENDMMSG:
		o->af.sendmmsg = true;
		return 0;
	case OPT_NO_BYPASS:
		o->af.no_qdisc_bypass = true;
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
	}
	return -1;
}

/* The DPDK options. */
static int opt_dpdk(int c, const char *arg, struct replay_opts *o)
{
	uint64_t v;

	switch (c) {
	case OPT_DPDK:
		o->dpdk.on = true;
		return 0;
	case OPT_EAL:
		o->dpdk.eal = arg;
		return 0;
	case OPT_PORT:
		o->dpdk.port_spec = arg;
		return 0;
	case OPT_LCORES:
		if (!tw_cli_parse_u64(arg, &v) || !v || v > TW_DPDK_MAX_LCORES)
			return bad("--lcores", arg, "a count (1-64)");
		o->dpdk.lcores = (unsigned)v;
		return 0;
	case OPT_FIX_CKSUM:
		o->dpdk.fix_cksum = true;
		return 0;
	}
	return -1;
}

/* Several hosts replaying one trace together. */
static int opt_hosts(int c, const char *arg, struct replay_opts *o)
{
	switch (c) {
	case OPT_SHARD:
		if (!tw_replay_parse_shard(arg, &o->eng.shard_index,
		                           &o->eng.shard_count))
			return bad("--shard", arg,
			           "I/N (1 <= I <= N <= 65536)");
		return 0;
	case OPT_START_AT:
		if (!tw_replay_parse_start_at(arg, &o->start_at_ns))
			return bad("--start-at", arg,
			           "an RFC 3339 time or epoch seconds");
		o->dpdk.start_at_ns = o->start_at_ns;
		return 0;
	}
	return -1;
}

/* Before anything is sent: a --metrics-file the rename would replace
 * (a device, a FIFO) is refused. */
static int check_metrics_file(const char *path)
{
	struct tw_errbuf eb;

	if (!path || tw_metrics_check_file(path, &eb) == 0)
		return 0;
	tw_cli_error(VERB, "--metrics-file %s", eb.msg);
	return TW_EXIT_USER;
}

/* Refuses outputs that would destroy the trace being read, or mix
 * with each other (a trace and a summary on one standard output). */
static int check_outputs(const struct replay_opts *o)
{
	const char *outs[] = { o->out, o->json_path, o->metrics_file };
	const char *names[] = { "-w", "--json", "--metrics-file" };

	for (size_t i = 0; i < 3; i++) {
		if (!outs[i])
			continue;
		if (tw_cli_same_file(outs[i], 1, o->trace, 0))
			return tw_cli_usage_error(VERB,
			                          "%s %s is the trace being "
			                          "read",
			                          names[i], outs[i]);
		for (size_t j = i + 1; j < 3; j++)
			if (outs[j] && tw_cli_same_file(outs[i], 1, outs[j], 1))
				return tw_cli_usage_error(
				        VERB, "%s and %s name one file",
				        names[i], names[j]);
	}
	return 0;
}

static int check_opts(struct replay_opts *o, int argc, char **argv)
{
	if (optind != argc - 1)
		return tw_cli_usage_error(
		        VERB, optind >= argc ? "no trace file given"
		                             : "one trace file only");
	o->trace = argv[optind];
	if (!!o->iface + !!o->out + o->dpdk.on != 1)
		return tw_cli_usage_error(VERB, "give one of -i IFACE, "
		                                "-w FILE and --dpdk");
	if (tw_replay_dpdk_check(&o->dpdk))
		return TW_EXIT_USER;
	if (o->modes > 1)
		return tw_cli_usage_error(VERB,
		                          "--speedup, --pps, --mbps and "
		                          "--topspeed exclude each other");
	if (o->pcap_out && !o->out)
		return tw_cli_usage_error(VERB, "--pcap goes with -w");
	if (check_outputs(o))
		return TW_EXIT_USER;
	/* A dry run has no clock to wait on: endless loops would fill the
	 * disk at memory speed. */
	if (o->out && !o->eng.loops && !o->eng.duration_ns && !o->eng.limit)
		return tw_cli_usage_error(VERB, "--loop 0 with -w never ends; "
		                                "add --duration or --limit");
	if ((o->eng.amplify_spread) && !o->eng.amplify_filter)
		return tw_cli_usage_error(VERB, "--amplify-spread needs "
		                                "--amplify");
	return check_metrics_file(o->metrics_file);
}

static int parse_opts(int argc, char **argv, struct replay_opts *o)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->eng.loops = 1;
	o->eng.sched.mode = TW_SCHED_SPEEDUP;
	o->eng.sched.speed.num = o->eng.sched.speed.den = 1;
	while ((c = getopt_long(argc, argv, "i:w:x:p:M:tl:L:qh", longopts,
	                        NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(TW_EXIT_OK);
		}
		if (c == '?' || c == ':')
			return tw_cli_usage_error(VERB, "bad option");
		rc = opt_timing(c, optarg, o);
		if (rc < 0)
			rc = opt_rewrite(c, optarg, o);
		if (rc < 0)
			rc = opt_other(c, optarg, o);
		if (rc < 0)
			rc = opt_dpdk(c, optarg, o);
		if (rc < 0)
			rc = opt_hosts(c, optarg, o);
		if (rc != 0)
			return rc < 0 ? tw_cli_usage_error(VERB, "bad option")
			              : rc;
	}
	return check_opts(o, argc, argv);
}

static void fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 10000)
		snprintf(buf, len, "%" PRIu64 " ns", ns);
	else if (ns < 10000000)
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
	else
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
}

static void live_line(const struct tw_replay_stats *st)
{
	double s = (double)st->elapsed_ns / 1e9;
	char pps[32], bps[32], p99[32];

	tw_cli_fmt_si(s > 0 ? (double)st->sent / s : 0, "pps", pps,
	              sizeof(pps));
	tw_cli_fmt_si(s > 0 ? (double)st->bytes * 8 / s : 0, "bit/s", bps,
	              sizeof(bps));
	fmt_ns(tw_hist_percentile(&st->lateness, 99), p99, sizeof(p99));
	fprintf(stderr,
	        "\r%.0fs  sent %" PRIu64 "  failed %" PRIu64 "  %s  %s"
	        "  loop %" PRIu64 "  p99 late %s   ",
	        s, st->sent, st->failed, pps, bps, st->loops_done + 1,
	        st->paced ? p99 : "-");
}

static void report(struct live *lv, const struct tw_replay_stats *st)
{
	if (lv->tty)
		live_line(st);
	if (lv->server)
		tw_metrics_publish(lv->server, st);
	if (lv->o->metrics_file &&
	    tw_metrics_write_file(lv->o->metrics_file, st, lv->output,
	                          &lv->eb) < 0)
		tw_cli_error(VERB, "%s", lv->eb.msg);
}

static void *reporter(void *arg)
{
	struct live *lv = arg;
	struct tw_replay_stats *st = malloc(sizeof(*st));

	pthread_mutex_lock(&lv->lock);
	while (st && !lv->quit) {
		if (!lv->fresh) {
			pthread_cond_wait(&lv->cond, &lv->lock);
			continue;
		}
		*st = lv->snap;
		lv->fresh = false;
		pthread_mutex_unlock(&lv->lock);
		report(lv, st);
		pthread_mutex_lock(&lv->lock);
	}
	pthread_mutex_unlock(&lv->lock);
	free(st);
	return NULL;
}

/* Once a second, on the replay's thread: hand the counters over. */
static void on_tick(const struct tw_replay_stats *st, void *arg)
{
	struct live *lv = arg;

	if (!lv->running || pthread_mutex_trylock(&lv->lock))
		return; /* the reporter is busy: skip this second */
	lv->snap = *st;
	lv->fresh = true;
	pthread_cond_signal(&lv->cond);
	pthread_mutex_unlock(&lv->lock);
}

static void reporter_start(struct live *lv)
{
	pthread_mutex_init(&lv->lock, NULL);
	pthread_cond_init(&lv->cond, NULL);
	if (lv->tty || lv->server || lv->o->metrics_file)
		lv->running = !pthread_create(&lv->thread, NULL, reporter, lv);
}

static void reporter_stop(struct live *lv)
{
	if (lv->running) {
		pthread_mutex_lock(&lv->lock);
		lv->quit = true;
		pthread_cond_signal(&lv->cond);
		pthread_mutex_unlock(&lv->lock);
		pthread_join(lv->thread, NULL);
		lv->running = false;
	}
	pthread_cond_destroy(&lv->cond);
	pthread_mutex_destroy(&lv->lock);
}

/* The tcpreplay-like summary on stdout. */
static void print_summary(const struct tw_replay_stats *st, const char *out)
{
	const struct tw_hist *h = &st->lateness;
	double s = (double)st->elapsed_ns / 1e9;
	char a[32], b[32], c[32], d[32], e[32];

	printf("Actual: %" PRIu64 " packets (%" PRIu64 " bytes) sent in "
	       "%.6f seconds\n",
	       st->sent, st->bytes, s);
	if (s > 0)
		printf("Rated: %.1f Bps, %.3f Mbps, %.2f pps\n",
		       (double)st->bytes / s, (double)st->bytes * 8 / s / 1e6,
		       (double)st->sent / s);
	printf("Statistics for %s:\n", out);
	printf("\tSuccessful packets:        %" PRIu64 "\n", st->sent);
	printf("\tFailed packets:            %" PRIu64 "\n", st->failed);
	printf("\tRetried packets:           %" PRIu64 "\n", st->retried);
	printf("\tDropped by the port:       %" PRIu64 "\n", st->port_dropped);
	printf("\tSkipped (oversize):        %" PRIu64 "\n",
	       st->skipped_oversize);
	printf("\tSkipped (filtered):        %" PRIu64 "\n",
	       st->skipped_filtered);
	if (st->skipped_link)
		printf("\tSkipped (link type):       %" PRIu64 "\n",
		       st->skipped_link);
	if (st->copies)
		printf("\tAmplified copies:          %" PRIu64 " (%" PRIu64
		       " flows seen)\n",
		       st->copies, st->flows_amplified);
	if (st->out_of_order)
		printf("\tOut-of-order timestamps:   %" PRIu64 "\n",
		       st->out_of_order);
	printf("\tLoops completed:           %" PRIu64 "\n", st->loops_done);
	if (!st->paced || !h->count)
		return;
	fmt_ns(tw_hist_percentile(h, 50), a, sizeof(a));
	fmt_ns(tw_hist_percentile(h, 90), b, sizeof(b));
	fmt_ns(tw_hist_percentile(h, 99), c, sizeof(c));
	fmt_ns(tw_hist_percentile(h, 99.9), d, sizeof(d));
	fmt_ns(h->max, e, sizeof(e));
	printf("\tLateness:                  p50 %s, p90 %s, p99 %s, "
	       "p99.9 %s, max %s\n",
	       a, b, c, d, e);
}

static int write_json(const struct replay_opts *o,
                      const struct tw_replay_stats *st, const char *out)
{
	const char *path = o->json_path;
	json_t *j = tw_metrics_json(st, out);
	int rc;

	if (j && o->dpdk.on && tw_replay_dpdk_json(&o->dpdk, j) < 0) {
		json_decref(j);
		j = NULL;
	}
	if (!j) {
		tw_cli_error(VERB, "out of memory");
		return TW_EXIT_INTERNAL;
	}
	if (!strcmp(path, "-"))
		rc = json_dumpf(j, stdout, JSON_INDENT(2));
	else
		rc = json_dump_file(j, path, JSON_INDENT(2));
	if (!strcmp(path, "-"))
		putchar('\n');
	json_decref(j);
	if (rc < 0) {
		tw_cli_error(VERB, "%s: cannot write", path);
		return TW_EXIT_USER;
	}
	return TW_EXIT_OK;
}

static int open_backend(struct replay_opts *o, const struct tw_engine *e,
                        struct tw_backend **b, struct tw_errbuf *eb)
{
	if (o->dpdk.on)
		return tw_replay_dpdk_open(&o->dpdk, e, b, eb);
	if (o->out)
		return tw_backend_file_open(
		        b, o->out, o->pcap_out ? TW_OUT_PCAP_NS : TW_OUT_PCAPNG,
		        eb);
	return tw_backend_afpacket_open(b, o->iface, &o->af, eb);
}

/* Reports and metrics at the end; returns the exit status. */
static int finish(const struct replay_opts *o, struct live *lv,
                  const struct tw_replay_stats *st, int rc)
{
	int status = TW_EXIT_OK;

	if (lv->tty)
		fprintf(stderr, "\r%*s\r", 78, "");
	if (!o->quiet && !(o->json_path && !strcmp(o->json_path, "-"))) {
		print_summary(st, lv->output);
		if (o->dpdk.on)
			tw_replay_dpdk_summary(&o->dpdk, stdout);
	}
	if (o->json_path)
		status = write_json(o, st, lv->output);
	if (o->metrics_file && tw_metrics_write_file(o->metrics_file, st,
	                                             lv->output, &lv->eb) < 0) {
		tw_cli_error(VERB, "%s", lv->eb.msg);
		status = TW_EXIT_USER;
	}
	if (rc < 0)
		return tw_cli_exit_code(rc);
	if (st->failed)
		return TW_EXIT_USER;
	if (st->skipped_oversize) {
		/* Selected but not sent: not a success (tcpreplay counts
		 * them as failed too). */
		tw_cli_error(VERB,
		             "%" PRIu64 " frames larger than the MTU were not "
		             "sent (raise the MTU, or --filter them out)",
		             st->skipped_oversize);
		return TW_EXIT_USER;
	}
	return status;
}

static int run(struct replay_opts *o, struct live *lv)
{
	struct tw_engine *e = NULL;
	struct tw_backend *b = NULL;
	struct tw_errbuf eb = { "" }, ceb = { "" };
	int rc, rc2;

	rc = tw_engine_new(&e, &o->eng, &eb);
	if (rc >= 0)
		rc = tw_engine_load(e, o->trace, &eb);
	if (rc >= 0)
		rc = open_backend(o, e, &b, &eb);
	if (rc >= 0 && o->metrics_listen)
		rc = tw_metrics_listen(&lv->server, o->metrics_listen,
		                       lv->output, &eb);
	if (rc < 0) {
		tw_cli_error(VERB, "%s", eb.msg);
		if (b)
			b->ops->close(b, &ceb);
		tw_engine_free(e);
		return tw_cli_exit_code(rc);
	}
	if (lv->server)
		tw_metrics_publish(lv->server, tw_engine_stats(e));
	reporter_start(lv);
	if (o->start_at_ns)
		tw_replay_start(o->start_at_ns, &stop_flag);
	rc = tw_engine_run(e, b, &eb);
	reporter_stop(lv);
	if (rc < 0)
		tw_cli_error(VERB, "%s", eb.msg);
	if (o->dpdk.on)
		tw_replay_dpdk_collect(&o->dpdk, b);
	/* A write error surfaces in the run and again at close: report the
	 * first only. */
	rc2 = b->ops->close(b, &ceb);
	if (rc2 < 0 && rc >= 0) {
		tw_cli_error(VERB, "%s", ceb.msg);
		rc = rc2;
	}
	if (lv->server)
		tw_metrics_publish(lv->server, tw_engine_stats(e));
	rc = finish(o, lv, tw_engine_stats(e), rc);
	tw_metrics_close(lv->server);
	tw_engine_free(e);
	return rc;
}

/*
 * --dpdk: starts the EAL, then runs the multi-lcore replayer when it can
 * do the job (several lcores).  Returns -1 when the engine should run,
 * else the exit status.
 */
static int run_dpdk(struct replay_opts *o, struct live *lv)
{
	struct tw_replay_stats *st;
	struct tw_errbuf eb = { "" };
	int rc;

	/* The multi-lcore replayer has no live counters to serve. */
	o->dpdk.live_metrics = o->metrics_listen != NULL;
	rc = tw_replay_dpdk_start(&o->dpdk, &eb);
	if (rc < 0) {
		tw_cli_error(VERB, "%s", eb.msg);
		return tw_cli_exit_code(rc);
	}
	lv->output = o->dpdk.label;
	st = calloc(1, sizeof(*st));
	if (!st) {
		tw_cli_error(VERB, "out of memory");
		return TW_EXIT_INTERNAL;
	}
	rc = tw_replay_dpdk_multi(&o->dpdk, o->trace, &o->eng, st, &eb);
	if (rc < 0)
		tw_cli_error(VERB, "%s", eb.msg);
	if (rc > 0)
		rc = finish(o, lv, st, 0);
	else if (rc < 0)
		rc = tw_cli_exit_code(rc);
	else
		rc = -1;
	free(st);
	return rc;
}

int tw_cmd_replay(int argc, char **argv)
{
	struct replay_opts o;
	struct live lv = { 0 };
	struct sigaction sa;
	int rc;

	if (tw_replay_is_l7(argc, argv))
		return tw_cmd_replay_l7(argc, argv);
	rc = parse_opts(argc, argv, &o);
	if (rc) {
		free(o.amplify_spec);
		return rc;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	lv.tty = !o.quiet && isatty(STDERR_FILENO);
	lv.o = &o;
	lv.output = o.out ? o.out : o.iface;
	o.eng.stop = &stop_flag;
	o.eng.tick = on_tick;
	o.eng.tick_arg = &lv;
	rc = o.dpdk.on ? run_dpdk(&o, &lv) : -1;
	if (rc < 0)
		rc = run(&o, &lv);
	tw_replay_dpdk_end(&o.dpdk);
	free(o.amplify_spec);
	return rc;
}
