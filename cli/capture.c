/*
 * capture.c - `tracewarp capture`: live capture from one or more
 * interfaces into a pcapng (or pcap) file, a rotating series of files or
 * a pipe, with limits, a live line, honest drop counts and clean stops.
 * Flags follow tcpdump where it has them (-i -w -f -s -B -C -G -W -c -Z).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <jansson.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/rotate.h"
#include "capture/session.h"
#include "cli/capture_dpdk.h"
#include "cli/capture_redact.h"
#include "cli/cli.h"
#include "cli/verbs.h"
#include "trace/error.h"
#include "trace/packet.h"

#define VERB "capture"
#define MAX_IFACES 64
#define SEC 1000000000LL
#define JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(9))

struct capture_opts {
	struct tw_capture_opts cap;
	const char *ifaces[MAX_IFACES];
	const char *user;
	const char *json_path;
	char *filter; /* owned when built from trailing arguments */
	bool quiet;
	struct tw_capture_redact red; /* --redact */
	struct tw_capture_dpdk dpdk;  /* --dpdk */
};

/* What the front end keeps while the capture runs. */
struct ui {
	bool tty;
	bool drawn;
	struct tw_capture_counts last; /* at the previous live line */
	/* The last FILES_LISTED finished files (a ring: a capture that
	 * rotates for days must not keep every name), and how many. */
	char **files;
	size_t nfiles;
};

#define FILES_LISTED 1024

static volatile sig_atomic_t sig_stop, sig_rotate, sig_report;

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: tracewarp capture -i IFACE [-i IFACE...] -w FILE "
	        "[options] [FILTER]\n\n"
	        "Records packets from live interfaces (libpcap) into pcapng\n"
	        "(one interface block per -i) or pcap, a rotating series of\n"
	        "files, or a pipe.  Each file is written as FILE.part and\n"
	        "renamed when complete.  Kernel and interface drops are\n"
	        "always reported.  SIGINT/SIGTERM stop cleanly, SIGHUP starts\n"
	        "a new file, SIGUSR1 prints the counts.\n\n"
	        "Capture:\n"
	        "  -i, --interface IFACE  capture on IFACE (repeatable)\n"
	        "  -f, --filter EXPR      BPF filter (or give it after the\n"
	        "                         options, as tcpdump does)\n"
	        "  -s, --snaplen N        bytes kept of each packet (default\n"
	        "                         and 0: 262144, whole packets)\n"
	        "  -B, --buffer-size SIZE kernel ring per interface, in KiB\n"
	        "                         or with a unit (default 256MiB)\n"
	        "      --immediate        hand over each packet at once:\n"
	        "                         lower latency, lower throughput\n"
	        "      --tstamp-type T    host, adapter, adapter_unsynced...\n"
	        "                         (hardware timestamps)\n"
	        "      --no-promisc       do not put interfaces in\n"
	        "                         promiscuous mode\n"
	        "Output:\n"
	        "  -w, --write FILE       output file ('-': standard output);\n"
	        "                         strftime patterns, in UTC\n"
	        "      --format F         pcapng (default, ns) or pcap (ns)\n"
	        "  -C, --file-size SIZE   new file before one would pass SIZE\n"
	        "                         (MB as tcpdump's -C, or a unit)\n"
	        "  -G, --rotate-seconds N one file per N seconds, aligned to\n"
	        "                         the wall clock (3600: on the hour)\n"
	        "  -W, --file-count N     keep the newest N files, delete\n"
	        "                         older ones (needs -C or -G)\n"
	        "      --post-rotate CMD  run 'CMD FILE' on each finished "
	        "file\n"
	        "Limits:\n"
	        "  -c, --count N          stop after N packets\n"
	        "      --duration SECS    stop after SECS seconds\n"
	        "      --max-bytes SIZE   stop before the output passes "
	        "SIZE\n");
	tw_capture_redact_usage(out);
	tw_capture_dpdk_usage(out);
	fprintf(out,
	        "Other:\n"
	        "  -Z, --user USER        drop root for USER once the\n"
	        "                         interfaces are open\n"
	        "      --json FILE        the summary as JSON ('-': stdout)\n"
	        "  -q, --quiet            no live line, no summary\n"
	        "  -h, --help             this text\n\n"
	        "Rotated files are numbered: cap.pcapng becomes\n"
	        "cap.000000.pcapng, cap.000001.pcapng...\n"
	        "Exit status: 0 when stopped by a signal or a limit, 1 on a\n"
	        "user or system error (bad option, interface, filter, path,\n"
	        "permission, full disk), 2 on internal failure.\n");
}

enum {
	OPT_IMMEDIATE = 256,
	OPT_TSTAMP,
	OPT_NO_PROMISC,
	OPT_FORMAT,
	OPT_POST_ROTATE,
	OPT_DURATION,
	OPT_MAX_BYTES,
	OPT_JSON,
};

static const struct option longopts[] = {
	{ "interface", required_argument, NULL, 'i' },
	{ "filter", required_argument, NULL, 'f' },
	{ "snaplen", required_argument, NULL, 's' },
	{ "buffer-size", required_argument, NULL, 'B' },
	{ "immediate", no_argument, NULL, OPT_IMMEDIATE },
	{ "tstamp-type", required_argument, NULL, OPT_TSTAMP },
	{ "no-promisc", no_argument, NULL, OPT_NO_PROMISC },
	{ "write", required_argument, NULL, 'w' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "file-size", required_argument, NULL, 'C' },
	{ "rotate-seconds", required_argument, NULL, 'G' },
	{ "file-count", required_argument, NULL, 'W' },
	{ "post-rotate", required_argument, NULL, OPT_POST_ROTATE },
	{ "count", required_argument, NULL, 'c' },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "user", required_argument, NULL, 'Z' },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "redact", required_argument, NULL, TW_CAPOPT_REDACT },
	{ "key-file", required_argument, NULL, TW_CAPOPT_KEY_FILE },
	{ "l7-out", required_argument, NULL, TW_CAPOPT_L7_OUT },
	{ "redact-memory", required_argument, NULL, TW_CAPOPT_REDACT_MEMORY },
	{ "dpdk", no_argument, NULL, TW_CAPOPT_DPDK },
	{ "eal", required_argument, NULL, TW_CAPOPT_EAL },
	{ "port", required_argument, NULL, TW_CAPOPT_PORT },
	{ "queues", required_argument, NULL, TW_CAPOPT_QUEUES },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* ---- option values ---- */

static int bad_value(const char *opt, const char *arg, const char *want)
{
	return tw_cli_usage_error(VERB, "%s: '%s' is not %s", opt, arg, want);
}

static int parse_count(const char *opt, const char *arg, uint64_t max,
                       uint64_t *out)
{
	if (!tw_cli_parse_u64(arg, out) || !*out || *out > max)
		return bad_value(opt, arg, "a positive count");
	return 0;
}

static int parse_size(const char *opt, const char *arg, uint64_t unit,
                      uint64_t *out)
{
	if (!tw_rotate_parse_size(arg, unit, out) || !*out)
		return bad_value(opt, arg, "a positive size (e.g. 100MB)");
	return 0;
}

static int parse_seconds(const char *arg, uint64_t *ns)
{
	char *end;
	double s = strtod(arg, &end);

	if (end == arg || *end || !(s > 0) || s > 1e9)
		return bad_value("--duration", arg,
		                 "a positive number of "
		                 "seconds");
	*ns = (uint64_t)(s * 1e9);
	return 0;
}

static int parse_format(const char *arg, enum tw_out_format *fmt)
{
	if (!strcmp(arg, "pcapng"))
		*fmt = TW_OUT_PCAPNG;
	else if (!strcmp(arg, "pcap"))
		*fmt = TW_OUT_PCAP_NS;
	else
		return bad_value("--format", arg, "pcapng or pcap");
	return 0;
}

static int parse_snaplen(const char *arg, uint32_t *snap)
{
	uint64_t v;

	if (!tw_cli_parse_u64(arg, &v) || v > 262144)
		return bad_value("-s", arg, "a snaplen from 0 to 262144");
	*snap = (uint32_t)v;
	return 0;
}

static int add_iface(struct capture_opts *o, const char *name)
{
	if (o->cap.nifaces == MAX_IFACES)
		return tw_cli_usage_error(VERB, "at most %d interfaces",
		                          MAX_IFACES);
	o->ifaces[o->cap.nifaces++] = name;
	return 0;
}

/* The options that take a number or a size. */
static int numeric_opt(int c, const char *arg, struct capture_opts *o)
{
	struct tw_capture_opts *k = &o->cap;
	uint64_t v;
	int rc;

	switch (c) {
	case 's':
		return parse_snaplen(arg, &k->live.snaplen);
	case 'B':
		return parse_size("-B", arg, 1024, &k->live.buffer_bytes);
	case 'C':
		return parse_size("-C", arg, 1000000, &k->out.file_bytes);
	case 'G':
		return parse_count("-G", arg, 100000000, &k->out.period_s);
	case 'W':
		rc = parse_count("-W", arg, 1000000, &v);
		k->out.ring = (uint32_t)v;
		return rc;
	case 'c':
		return parse_count("-c", arg, UINT64_MAX, &k->max_packets);
	case OPT_DURATION:
		return parse_seconds(arg, &k->duration_ns);
	case OPT_MAX_BYTES:
		return parse_size("--max-bytes", arg, 1, &k->max_bytes);
	}
	return tw_cli_usage_error(VERB, "unknown option");
}

static int one_opt(int c, const char *arg, struct capture_opts *o)
{
	switch (c) {
	case 'i':
		return add_iface(o, arg);
	case 'f':
		o->cap.live.filter = arg;
		return 0;
	case 'w':
		o->cap.out.path = arg;
		return 0;
	case OPT_IMMEDIATE:
		o->cap.live.immediate = true;
		return 0;
	case OPT_TSTAMP:
		o->cap.live.tstamp_type = arg;
		return 0;
	case OPT_NO_PROMISC:
		o->cap.live.no_promisc = true;
		return 0;
	case OPT_FORMAT:
		return parse_format(arg, &o->cap.out.fmt);
	case OPT_POST_ROTATE:
		o->cap.out.post_rotate = arg;
		return 0;
	case 'Z':
		o->user = arg;
		return 0;
	case OPT_JSON:
		o->json_path = arg;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	case 'h':
		usage(stdout);
		exit(TW_EXIT_OK);
	case TW_CAPOPT_REDACT:
	case TW_CAPOPT_KEY_FILE:
	case TW_CAPOPT_L7_OUT:
	case TW_CAPOPT_REDACT_MEMORY:
		return tw_capture_redact_opt(&o->red, c, arg);
	case TW_CAPOPT_DPDK:
	case TW_CAPOPT_EAL:
	case TW_CAPOPT_PORT:
	case TW_CAPOPT_QUEUES:
		return tw_capture_dpdk_opt(&o->dpdk, c, arg);
	}
	return numeric_opt(c, arg, o);
}

/* The trailing arguments, joined with spaces, are the filter. */
static int trailing_filter(int argc, char **argv, struct capture_opts *o)
{
	size_t len = 1;

	if (optind >= argc)
		return 0;
	if (o->cap.live.filter)
		return tw_cli_usage_error(VERB, "a filter with -f and another "
		                                "after the options");
	for (int i = optind; i < argc; i++)
		len += strlen(argv[i]) + 1;
	o->filter = calloc(1, len);
	if (!o->filter)
		return TW_EXIT_INTERNAL;
	for (int i = optind; i < argc; i++) {
		if (i > optind)
			strncat(o->filter, " ", len - strlen(o->filter) - 1);
		strncat(o->filter, argv[i], len - strlen(o->filter) - 1);
	}
	o->cap.live.filter = o->filter;
	return 0;
}

static int check_opts(const struct capture_opts *o)
{
	bool to_stdout = o->cap.out.path && !strcmp(o->cap.out.path, "-");

	if (!o->cap.nifaces && !o->dpdk.on)
		return tw_cli_usage_error(VERB, "no interface given (-i)");
	if (tw_capture_dpdk_check(&o->dpdk, &o->cap, o->user))
		return TW_EXIT_USER;
	if (!o->cap.out.path)
		return tw_cli_usage_error(VERB, "no output given (-w FILE, "
		                                "or -w - for a pipe)");
	if (to_stdout && (o->cap.out.file_bytes || o->cap.out.period_s ||
	                  o->cap.out.ring || o->cap.out.post_rotate))
		return tw_cli_usage_error(VERB, "-C, -G, -W and --post-rotate "
		                                "need files, not -w -");
	if (o->cap.out.ring && !o->cap.out.file_bytes && !o->cap.out.period_s)
		return tw_cli_usage_error(VERB, "-W needs -C or -G");
	if (to_stdout && o->json_path && !strcmp(o->json_path, "-"))
		return tw_cli_usage_error(VERB, "-w - and --json - both want "
		                                "standard output");
	return tw_capture_redact_check(&o->red, o->cap.out.path, o->json_path);
}

static int parse_opts(int argc, char **argv, struct capture_opts *o)
{
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->cap.ifaces = o->ifaces;
	o->cap.out.fmt = TW_OUT_PCAPNG;
	o->cap.out.grace_ns = SEC / 4;
	while ((c = getopt_long(argc, argv, "i:f:s:B:w:C:G:W:c:Z:qh", longopts,
	                        NULL)) != -1) {
		if (c == '?')
			return tw_cli_usage_error(VERB, "unknown option");
		rc = one_opt(c, optarg, o);
		if (rc)
			return rc;
	}
	rc = trailing_filter(argc, argv, o);
	return rc ? rc : check_opts(o);
}

/* ---- privileges and signals ---- */

static int drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		tw_cli_error(VERB, "-Z: no such user '%s'", user);
		return TW_EXIT_USER;
	}
	if (initgroups(user, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		tw_cli_error(VERB, "-Z %s: cannot switch user: %s", user,
		             strerror(errno));
		return TW_EXIT_USER;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		tw_cli_error(VERB, "-Z %s: root could be regained", user);
		return TW_EXIT_INTERNAL;
	}
	return 0;
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_rotate = 1;
	else if (sig == SIGUSR1)
		sig_report = 1;
	else
		sig_stop = 1;
}

/* Blocks the signals the loop handles; *waitmask gets them unblocked,
 * for ppoll(2) to wait with. */
static void setup_signals(sigset_t *waitmask)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, &block, waitmask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigdelset(waitmask, sigs[i]);
}

/* ---- reporting ---- */

static void on_file(void *arg, const char *path, uint64_t packets,
                    uint64_t bytes)
{
	struct ui *ui = arg;
	char *name;

	(void)packets;
	(void)bytes;
	if (!ui->files && !(ui->files = calloc(FILES_LISTED, sizeof(char *))))
		return;
	if (!(name = strdup(path)))
		return;
	free(ui->files[ui->nfiles % FILES_LISTED]);
	ui->files[ui->nfiles++ % FILES_LISTED] = name;
}

static void live_line(void *arg, struct tw_capture *c)
{
	struct ui *ui = arg;
	struct tw_capture_counts n;
	char pps[32], bps[32], vol[32];
	double dt;

	if (!ui->tty)
		return;
	tw_capture_counts(c, &n);
	dt = (double)(n.elapsed_ns - ui->last.elapsed_ns) / 1e9;
	if (dt <= 0)
		dt = 1;
	fprintf(stderr,
	        "\r%" PRIu64 " packets  %s  %s  %s  kernel drops %" PRIu64
	        "  interface drops %" PRIu64 "   ",
	        n.packets,
	        tw_cli_fmt_si((double)n.bytes_captured, "B", vol, sizeof(vol)),
	        tw_cli_fmt_si((double)(n.packets - ui->last.packets) / dt,
	                      "pps", pps, sizeof(pps)),
	        tw_cli_fmt_si((double)(n.bytes_wire - ui->last.bytes_wire) * 8 /
	                              dt,
	                      "bit/s", bps, sizeof(bps)),
	        n.kernel.dropped, n.kernel.ifdropped);
	ui->last = n;
	ui->drawn = true;
}

static void clear_line(struct ui *ui)
{
	if (ui->drawn)
		fprintf(stderr, "\r%*s\r", 100, "");
	ui->drawn = false;
}

static void report(void *arg, struct tw_capture *c)
{
	struct tw_capture_counts n;

	clear_line(arg);
	tw_capture_counts(c, &n);
	fprintf(stderr,
	        "tracewarp capture: %" PRIu64 " packets written (%" PRIu64
	        " bytes), %" PRIu64 " received, %" PRIu64
	        " dropped by the kernel, %" PRIu64
	        " dropped by the interface, %" PRIu64 " files finished\n",
	        n.packets, n.file_bytes, n.kernel.received, n.kernel.dropped,
	        n.kernel.ifdropped, n.files);
}

static const char *end_name(enum tw_capture_end e)
{
	static const char *const names[] = { "running",  "signal",    "count",
		                             "duration", "max-bytes", "error" };

	return names[e];
}

static void print_ifaces(struct tw_capture *c)
{
	for (uint32_t i = 0; i < tw_capture_iface_count(c); i++) {
		struct tw_live_stats st;

		tw_capture_iface_stats(c, i, &st);
		fprintf(stderr,
		        "  %-14s received %" PRIu64 ", dropped by the kernel "
		        "%" PRIu64 ", by the interface %" PRIu64 "\n",
		        tw_capture_iface_name(c, i), st.received, st.dropped,
		        st.ifdropped);
	}
}

static void print_summary(struct tw_capture *c,
                          const struct tw_capture_counts *n)
{
	double s = (double)n->elapsed_ns / 1e9;
	char pps[32], bps[32];

	fprintf(stderr,
	        "Packets:         %" PRIu64 " written, %" PRIu64
	        " received by the filter\n",
	        n->packets, n->kernel.received);
	fprintf(stderr,
	        "Dropped:         %" PRIu64 " by the kernel (ring "
	        "full), %" PRIu64 " by the interface\n",
	        n->kernel.dropped, n->kernel.ifdropped);
	print_ifaces(c);
	fprintf(stderr,
	        "Bytes:           %" PRIu64 " captured, %" PRIu64
	        " on the wire, %" PRIu64 " written\n",
	        n->bytes_captured, n->bytes_wire, n->file_bytes);
	if (n->refused)
		fprintf(stderr, "Refused:         %" PRIu64 " packets\n",
		        n->refused);
	fprintf(stderr, "Duration:        %.3f s, %s, %s\n", s,
	        tw_cli_fmt_si(s > 0 ? (double)n->packets / s : 0, "pps", pps,
	                      sizeof(pps)),
	        tw_cli_fmt_si(s > 0 ? (double)n->bytes_wire * 8 / s : 0,
	                      "bit/s", bps, sizeof(bps)));
	fprintf(stderr, "Stopped by:      %s\n", end_name(tw_capture_ended(c)));
}

static json_t *json_ifaces(struct tw_capture *c)
{
	json_t *arr = json_array();

	for (uint32_t i = 0; i < tw_capture_iface_count(c); i++) {
		struct tw_live_stats st;

		tw_capture_iface_stats(c, i, &st);
		json_array_append_new(
		        arr,
		        json_pack("{s:s, s:I, s:I, s:I}", "name",
		                  tw_capture_iface_name(c, i), "received",
		                  (json_int_t)st.received, "kernel_drops",
		                  (json_int_t)st.dropped, "interface_drops",
		                  (json_int_t)st.ifdropped));
	}
	return arr;
}

static json_t *json_summary(struct tw_capture *c,
                            const struct tw_capture_counts *n)
{
	return json_pack(
	        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:s, "
	        "s:o}",
	        "packets", (json_int_t)n->packets, "bytes_captured",
	        (json_int_t)n->bytes_captured, "bytes_wire",
	        (json_int_t)n->bytes_wire, "output_bytes",
	        (json_int_t)n->file_bytes, "received",
	        (json_int_t)n->kernel.received, "kernel_drops",
	        (json_int_t)n->kernel.dropped, "interface_drops",
	        (json_int_t)n->kernel.ifdropped, "refused",
	        (json_int_t)n->refused, "files_finished", (json_int_t)n->files,
	        "duration_s", (double)n->elapsed_ns / 1e9, "ended",
	        end_name(tw_capture_ended(c)), "interfaces", json_ifaces(c));
}

static void json_finish(json_t *j, const struct ui *ui, const char *err)
{
	json_t *files = json_array();
	size_t first =
	        ui->nfiles > FILES_LISTED ? ui->nfiles - FILES_LISTED : 0;

	for (size_t i = first; i < ui->nfiles; i++)
		json_array_append_new(files,
		                      json_string(ui->files[i % FILES_LISTED]));
	json_object_set_new(j, "files", files);
	json_object_set_new(j, "files_finished",
	                    json_integer((json_int_t)ui->nfiles));
	json_object_set_new(j, "error", err ? json_string(err) : json_null());
}

static int write_json(const char *path, json_t *j)
{
	int rc;

	if (!strcmp(path, "-")) {
		rc = json_dumpf(j, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		rc = json_dump_file(j, path, JSON_INDENT(2));
	}
	if (rc < 0)
		tw_cli_error(VERB, "%s: cannot write the JSON summary", path);
	return rc < 0 ? TW_EXIT_USER : 0;
}

/* ---- the verb ---- */

static int fail_with(int rc, const struct tw_errbuf *eb)
{
	tw_cli_error(VERB, "%s", eb->msg);
	return tw_cli_exit_code(rc);
}

/* Runs the open capture to its end; the summary goes in *j. */
static int run(struct tw_capture *c, const struct capture_opts *o,
               struct ui *ui, json_t **j, struct tw_errbuf *eb)
{
	struct tw_capture_counts n;
	sigset_t waitmask;
	struct tw_capture_ctl ctl = {
		.stop = &sig_stop,
		.rotate = &sig_rotate,
		.report = &sig_report,
		.waitmask = &waitmask,
		.tick = o->quiet ? NULL : live_line,
		.report_fn = report,
		.arg = ui,
	};
	int rc;

	setup_signals(&waitmask);
	rc = tw_capture_run(c, &ctl, eb);
	clear_line(ui);
	tw_capture_counts(c, &n);
	if (!o->quiet)
		print_summary(c, &n);
	*j = json_summary(c, &n);
	if (o->red.ses) {
		if (!o->quiet)
			tw_capture_redact_print(&o->red, stderr);
		json_object_set_new(*j, "redaction",
		                    tw_capture_redact_json(&o->red));
	}
	return rc;
}

/* As tcpdump does: what is being captured, and that it has begun. */
static void print_listening(struct tw_capture *c)
{
	for (uint32_t i = 0; i < tw_capture_iface_count(c); i++) {
		const struct tw_live *l = tw_capture_iface(c, i);
		const char *lt = tw_linktype_name(tw_live_linktype(l));

		fprintf(stderr,
		        "tracewarp capture: listening on %s, link-type %s, "
		        "snaplen %u, ring %" PRIu64 " MiB\n",
		        tw_live_name(l), lt ? lt : "?", tw_live_snaplen(l),
		        tw_live_buffer(l) >> 20);
	}
}

static int64_t wall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static int start(struct tw_capture *c, const struct capture_opts *o,
                 struct ui *ui, struct tw_errbuf *eb)
{
	int rc;

	if (o->user) {
		rc = drop_privileges(o->user);
		if (rc)
			return rc;
	}
	tw_capture_on_file(c, on_file, ui);
	rc = tw_capture_start(c, wall_now_ns(), eb);
	if (rc < 0)
		return fail_with(rc, eb);
	if (!o->quiet)
		print_listening(c);
	return 0;
}

static int finish(struct tw_capture *c, const struct capture_opts *o,
                  struct ui *ui, struct tw_errbuf *eb)
{
	struct tw_errbuf ceb;
	json_t *j = NULL;
	int status = 0;
	int rc = run(c, o, ui, &j, eb);

	if (rc < 0)
		status = fail_with(rc, eb);
	if (tw_capture_close(c, &ceb) < 0 && rc == 0)
		status = fail_with(TW_EIO, &ceb);
	if (j && o->json_path) {
		json_finish(j, ui, rc < 0 ? eb->msg : NULL);
		if (write_json(o->json_path, j) && !status)
			status = TW_EXIT_USER;
	}
	json_decref(j);
	return status;
}

/* --redact: policy, key and session, before any interface opens. */
static int open_redaction(struct capture_opts *o)
{
	struct tw_errbuf eb;
	int rc;

	if (!o->red.policy)
		return 0;
	rc = tw_capture_redact_open(&o->red, &eb);
	if (rc < 0)
		return fail_with(rc, &eb);
	o->cap.out.comments = o->red.comments;
	return 0;
}

/* Frees the redaction; a failed write of the L7 trace fails the run. */
static int close_redaction(struct capture_opts *o, int status)
{
	struct tw_errbuf eb;

	if (tw_capture_redact_close(&o->red, &eb) < 0 && !status)
		return fail_with(TW_EIO, &eb);
	return status;
}

static void free_ui(struct ui *ui)
{
	for (size_t i = 0; ui->files && i < FILES_LISTED; i++)
		free(ui->files[i]);
	free(ui->files);
}

/* The libpcap path: the interfaces, the capture, the summary. */
static int run_pcap(struct capture_opts *o, struct ui *ui)
{
	struct tw_capture *c = NULL;
	struct tw_errbuf eb;
	int rc = tw_capture_open(&c, &o->cap, &eb);

	if (rc < 0)
		return fail_with(rc, &eb);
	if (o->red.ses)
		tw_capture_redact_with(c, o->red.ses);
	rc = start(c, o, ui, &eb);
	if (rc == 0)
		return finish(c, o, ui, &eb);
	tw_capture_close(c, &eb);
	return rc;
}

int tw_cmd_capture(int argc, char **argv)
{
	struct capture_opts o;
	struct ui ui = { .tty = isatty(STDERR_FILENO) };
	int rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc;
	rc = open_redaction(&o);
	if (rc == 0 && o.dpdk.on)
		rc = tw_capture_dpdk_run(&o.dpdk, &o.cap, &o.red, o.json_path,
		                         o.quiet);
	else if (rc == 0)
		rc = run_pcap(&o, &ui);
	rc = close_redaction(&o, rc);
	free_ui(&ui);
	free(o.filter);
	return rc;
}
