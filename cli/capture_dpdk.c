/*
 * capture_dpdk.c - `tracewarp capture --dpdk`: the capture verb on a
 * DPDK port.  dpdk/rx.c polls the port (a worker lcore per RX queue
 * where the EAL runs them) and hands packets over; this loop filters
 * them (BPF, in user space: a DPDK port has no kernel filter), writes
 * them through capture/output.h (rotation, ring, post-rotate, the .part
 * rename), and does what the libpcap session does between packets:
 * signals, timed rotation, flushes, the live line, limits.  With
 * --redact, each packet goes through the redaction session of
 * cli/capture_redact.h (the one the libpcap path uses) and only what it
 * releases reaches the writer.
 */
#include "cli/capture_dpdk.h"

#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dpdk/dpdk.h"
#include "redact/session.h"
#include "replay/bpf.h"
#include "trace/log.h"
#include "trace/packet.h"

#define VERB "capture"
#define SEC 1000000000LL
#define BATCH 256
#define HOUSEKEEPING_NS (SEC / 10)
#define FINAL_DRAIN_NS (SEC / 5)
#define IDLE_POLLS 256 /* empty polls before a short sleep */

static volatile sig_atomic_t sig_stop, sig_rotate, sig_report;

void tw_capture_dpdk_usage(FILE *out)
{
	fprintf(out,
	        "DPDK (instead of -i):\n"
	        "      --dpdk             capture from a DPDK port\n"
	        "      --eal ARGS         the EAL's arguments, one quoted\n"
	        "                         string ('-l 0-2 -a 0000:03:00.0')\n"
	        "      --port N|NAME      port number or device name\n"
	        "                         (default 0)\n"
	        "      --queues Q         RX queues, RSS over them (default\n"
	        "                         1); a worker lcore each where the\n"
	        "                         EAL runs them; software "
	        "timestamps\n"
	        "      (--redact and its options work with --dpdk too)\n");
}

int tw_capture_dpdk_opt(struct tw_capture_dpdk *d, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case TW_CAPOPT_DPDK:
		d->on = true;
		return 0;
	case TW_CAPOPT_EAL:
		d->eal = arg;
		return 0;
	case TW_CAPOPT_PORT:
		d->port_spec = arg;
		return 0;
	case TW_CAPOPT_QUEUES:
		if (!tw_cli_parse_u64(arg, &v) || !v || v > TW_DPDK_MAX_LCORES)
			return tw_cli_usage_error(VERB,
			                          "--queues: '%s' is not a "
			                          "count (1-%d)",
			                          arg, TW_DPDK_MAX_LCORES);
		d->queues = (unsigned)v;
		return 0;
	}
	return tw_cli_usage_error(VERB, "unknown option");
}

/* A libpcap option given with --dpdk, or NULL. */
static const char *pcap_only(const struct tw_capture_opts *cap, bool user)
{
	if (cap->nifaces)
		return "-i";
	if (cap->live.buffer_bytes)
		return "-B";
	if (cap->live.immediate)
		return "--immediate";
	if (cap->live.tstamp_type)
		return "--tstamp-type";
	if (cap->live.no_promisc)
		return "--no-promisc";
	if (user)
		return "-Z";
	return NULL;
}

int tw_capture_dpdk_check(const struct tw_capture_dpdk *d,
                          const struct tw_capture_opts *cap, bool user)
{
	const char *opt;

	if (!d->on) {
		if (d->eal || d->port_spec || d->queues)
			return tw_cli_usage_error(VERB, "--eal, --port and "
			                                "--queues go with "
			                                "--dpdk");
		return 0;
	}
	opt = pcap_only(cap, user);
	if (opt)
		return tw_cli_usage_error(VERB,
		                          "%s is for kernel interfaces, not "
		                          "--dpdk",
		                          opt);
	return 0;
}

/* ---- the capture ---------------------------------------------------- */

struct dcap {
	const struct tw_capture_opts *o;
	struct tw_dpdk_rx *rx;
	struct tw_capout *out;
	struct tw_bpf *filter;
	const struct tw_capture_redact *red; /* --redact, or NULL */
	struct tw_session *ses;              /* red's session, or NULL */
	uint64_t pushed;                     /* packets handed to ses */

	char name[80]; /* "dpdk:NAME" */
	char driver[32];
	uint16_t port;
	uint32_t snaplen;

	enum tw_capture_end end;
	int err;
	struct tw_errbuf eb;
	uint64_t bytes_captured, bytes_wire, refused, filtered;
	int64_t start_ns;            /* monotonic */
	int64_t elapsed_ns;          /* at the end */
	uint64_t packets, out_bytes; /* written, at the end */

	bool tty, drawn;
	uint64_t last_packets, last_wire;
	int64_t last_ns;
	char **files; /* finished, in order */
	size_t nfiles;
};

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static void fail(struct dcap *c, int rc, const char *msg)
{
	if (!c->err)
		c->err = tw_errf(&c->eb, rc, "%s", msg);
	c->end = TW_END_ERROR;
}

/* Writes one packet, within --max-bytes. */
static int emit(struct dcap *c, int64_t ts_ns, const uint8_t *data,
                uint32_t caplen, uint32_t wirelen)
{
	int rc;

	/* After these ends nothing more may reach the output. */
	if (c->end == TW_END_BYTES || c->end == TW_END_ERROR)
		return 0;
	if (c->o->max_bytes &&
	    tw_capout_bytes(c->out) + tw_capout_record_size(c->out, caplen) >
	            c->o->max_bytes) {
		c->end = TW_END_BYTES;
		return 0;
	}
	rc = tw_capout_write(c->out, 0, ts_ns, data, caplen, wirelen);
	if (rc == TW_EINVAL) {
		c->refused++;
		tw_log(TW_LOG_WARN, VERB, "%s", tw_capout_errmsg(c->out));
		return 0;
	}
	if (rc < 0) {
		fail(c, rc, tw_capout_errmsg(c->out));
		return rc;
	}
	c->bytes_captured += caplen;
	c->bytes_wire += wirelen;
	return 0;
}

/* Writes the packets the redaction session has made final. */
static int emit_redacted(struct dcap *c)
{
	struct tw_out out;
	int rc;

	while ((rc = tw_session_pop(c->ses, &out)) != 0) {
		if (rc < 0)
			fail(c, rc, "redaction: out of memory");
		else
			emit(c, out.ts_ns, out.data, out.caplen, out.wirelen);
	}
	return c->err;
}

/* Into the redaction session: the raw bytes stay in memory only, and
 * -c counts the packets captured, as on the libpcap path. */
static int redact_packet(struct dcap *c, int64_t ts_ns, const uint8_t *data,
                         uint32_t caplen, uint32_t wirelen)
{
	struct tw_packet pkt = {
		.ts_ns = ts_ns,
		.caplen = caplen,
		.wirelen = wirelen,
		.offset = c->pushed, /* the packet's number in messages */
		.data = data,
	};

	if (tw_session_push(c->ses, &pkt, TW_LINK_ETHERNET) < 0) {
		fail(c, TW_ENOMEM, "redaction: out of memory");
		return TW_ENOMEM;
	}
	c->pushed++;
	if (c->o->max_packets && c->pushed >= c->o->max_packets)
		c->end = TW_END_COUNT;
	return emit_redacted(c);
}

/* At the end: what the redaction session still holds is made final
 * (incomplete messages zeroed) and written. */
static void flush_redacted(struct dcap *c)
{
	if (!c->ses)
		return;
	tw_session_finish(c->ses);
	emit_redacted(c);
}

static int on_packet(void *arg, int64_t ts_ns, const uint8_t *data,
                     uint32_t caplen, uint32_t wirelen)
{
	struct dcap *c = arg;
	struct tw_errbuf eb;
	int rc;

	if (c->end)
		return 0;
	if (c->filter) {
		rc = tw_bpf_match(c->filter, TW_LINK_ETHERNET, data, caplen,
		                  wirelen, &eb);
		if (rc < 0) {
			fail(c, rc, eb.msg);
			return rc;
		}
		if (rc == 0) {
			c->filtered++;
			return 0;
		}
	}
	if (c->ses)
		return redact_packet(c, ts_ns, data, caplen, wirelen);
	rc = emit(c, ts_ns, data, caplen, wirelen);
	if (rc == 0 && c->o->max_packets &&
	    tw_capout_packets(c->out) >= c->o->max_packets && !c->end)
		c->end = TW_END_COUNT;
	return rc;
}

static void on_file(void *arg, const char *path, uint64_t packets,
                    uint64_t bytes)
{
	struct dcap *c = arg;
	char **f = realloc(c->files, (c->nfiles + 1) * sizeof(*f));

	(void)packets;
	(void)bytes;
	if (!f)
		return;
	c->files = f;
	f[c->nfiles] = strdup(path);
	if (f[c->nfiles])
		c->nfiles++;
}

/* The port's drops: no room for the packet (its RX ring full, or no
 * mbuf), and errors on the interface. */
static uint64_t port_dropped(const struct tw_dpdk_counters *p)
{
	return p->imissed + p->rx_nombuf;
}

static void live_line(struct dcap *c, int64_t now)
{
	struct tw_dpdk_rx_stats st;
	uint64_t n = tw_capout_packets(c->out);
	double dt = (double)(now - c->last_ns) / 1e9;
	char pps[32], bps[32];

	if (!c->tty || dt <= 0)
		return;
	tw_dpdk_rx_stats(c->rx, &st);
	fprintf(stderr,
	        "\r%" PRIu64 " packets  %s  %s  port drops %" PRIu64
	        "  errors %" PRIu64 "   ",
	        n,
	        tw_cli_fmt_si((double)(n - c->last_packets) / dt, "pps", pps,
	                      sizeof(pps)),
	        tw_cli_fmt_si((double)(c->bytes_wire - c->last_wire) * 8 / dt,
	                      "bit/s", bps, sizeof(bps)),
	        port_dropped(&st.port), st.port.ierrors);
	c->last_packets = n;
	c->last_wire = c->bytes_wire;
	c->last_ns = now;
	c->drawn = true;
}

static void clear_line(struct dcap *c)
{
	if (c->drawn)
		fprintf(stderr, "\r%*s\r", 100, "");
	c->drawn = false;
}

static void report(struct dcap *c)
{
	struct tw_dpdk_rx_stats st;

	clear_line(c);
	tw_dpdk_rx_stats(c->rx, &st);
	fprintf(stderr,
	        "tracewarp capture: %" PRIu64 " packets written (%" PRIu64
	        " bytes), %" PRIu64 " received by the port, %" PRIu64
	        " dropped by the port, %" PRIu64 " interface errors, %" PRIu64
	        " files finished\n",
	        tw_capout_packets(c->out), tw_capout_bytes(c->out),
	        st.port.ipackets, port_dropped(&st.port), st.port.ierrors,
	        tw_capout_files(c->out));
}

static void check_output(struct dcap *c, int rc)
{
	if (rc < 0)
		fail(c, rc, tw_capout_errmsg(c->out));
}

/* Signals, timed rotation, flushes, the live line, --duration. */
static void housekeeping(struct dcap *c, int64_t now, int64_t *next_line)
{
	if (sig_rotate) {
		sig_rotate = 0;
		check_output(
		        c, tw_capout_rotate(c->out, clock_ns(CLOCK_REALTIME)));
	}
	if (sig_report) {
		sig_report = 0;
		report(c);
	}
	check_output(c, tw_capout_tick(c->out, clock_ns(CLOCK_REALTIME)));
	if (now >= *next_line) {
		struct tw_dpdk_rx_stats st;

		/* Read once a second even without a live line: a driver
		 * that loses its counters (see dpdk/rx.c) loses less. */
		tw_dpdk_rx_stats(c->rx, &st);
		live_line(c, now);
		*next_line = now + SEC;
	}
	if (c->o->duration_ns &&
	    now - c->start_ns >= (int64_t)c->o->duration_ns && !c->end)
		c->end = TW_END_DURATION;
	if (sig_stop && !c->end)
		c->end = TW_END_SIGNAL;
}

/* An idle poll: workers fill rings that the port cannot overrun while
 * this thread sleeps a little; polling the queues itself, it spins. */
static void idle(const struct dcap *c, unsigned *empty)
{
	struct timespec ts = { 0, 20000 };

	if (++*empty < IDLE_POLLS)
		return;
	*empty = 0;
	if (tw_dpdk_rx_workers(c->rx))
		nanosleep(&ts, NULL);
}

/* After a stop by signal or --duration: what the workers already took
 * from the port is still written, for a bounded time. */
static void final_drain(struct dcap *c)
{
	int64_t until = clock_ns(CLOCK_MONOTONIC) + FINAL_DRAIN_NS;
	enum tw_capture_end why = c->end;
	int n;

	tw_dpdk_rx_stop(c->rx);
	if (why != TW_END_SIGNAL && why != TW_END_DURATION)
		return;
	c->end = TW_END_RUNNING;
	do {
		n = tw_dpdk_rx_dispatch(c->rx, BATCH, on_packet, c);
	} while (n > 0 && !c->end && clock_ns(CLOCK_MONOTONIC) < until);
	if (n < 0)
		fail(c, n, c->eb.msg[0] ? c->eb.msg : tw_strerror(n));
	if (!c->end)
		c->end = why;
}

static void loop(struct dcap *c)
{
	int64_t now = clock_ns(CLOCK_MONOTONIC);
	int64_t next_hk = now + HOUSEKEEPING_NS, next_line = now + SEC;
	unsigned empty = 0;

	c->start_ns = c->last_ns = now;
	while (!c->end) {
		int n = tw_dpdk_rx_dispatch(c->rx, BATCH, on_packet, c);

		if (n < 0) {
			fail(c, n, c->eb.msg[0] ? c->eb.msg : tw_strerror(n));
			break;
		}
		if (n == 0)
			idle(c, &empty);
		now = clock_ns(CLOCK_MONOTONIC);
		if (now >= next_hk) {
			housekeeping(c, now, &next_line);
			next_hk = now + HOUSEKEEPING_NS;
		}
	}
	final_drain(c);
	flush_redacted(c);
}

/* ---- reporting ---- */

static const char *end_name(enum tw_capture_end e)
{
	static const char *const names[] = { "running",  "signal",    "count",
		                             "duration", "max-bytes", "error" };

	return names[e];
}

static void print_queues(const struct tw_dpdk_rx_stats *st)
{
	for (unsigned q = 0; q < st->queues; q++)
		fprintf(stderr,
		        "  queue %-8u received %" PRIu64 " (lcore %u)\n", q,
		        st->queue_packets[q], st->queue_lcore[q]);
}

static void print_summary(const struct dcap *c,
                          const struct tw_dpdk_rx_stats *st)
{
	const struct tw_dpdk_counters *p = &st->port;
	double s = (double)c->elapsed_ns / 1e9;
	uint64_t n = c->packets;
	char pps[32], bps[32];

	fprintf(stderr,
	        "Packets:         %" PRIu64 " written, %" PRIu64
	        " received by the port, %" PRIu64 " not matching the "
	        "filter\n",
	        n, p->ipackets, c->filtered);
	fprintf(stderr,
	        "Dropped:         %" PRIu64 " by the port (imissed %" PRIu64
	        ", rx_nombuf %" PRIu64 "), %" PRIu64
	        " interface errors (ierrors)\n",
	        port_dropped(p), p->imissed, p->rx_nombuf, p->ierrors);
	print_queues(st);
	fprintf(stderr,
	        "Bytes:           %" PRIu64 " captured, %" PRIu64
	        " on the wire, %" PRIu64 " written\n",
	        c->bytes_captured, c->bytes_wire, c->out_bytes);
	if (c->refused)
		fprintf(stderr, "Refused:         %" PRIu64 " packets\n",
		        c->refused);
	fprintf(stderr,
	        "Timestamps:      software (host clock when the burst left "
	        "its RX queue)\n");
	fprintf(stderr, "Duration:        %.3f s, %s, %s\n", s,
	        tw_cli_fmt_si(s > 0 ? (double)n / s : 0, "pps", pps,
	                      sizeof(pps)),
	        tw_cli_fmt_si(s > 0 ? (double)c->bytes_wire * 8 / s : 0,
	                      "bit/s", bps, sizeof(bps)));
	fprintf(stderr, "Stopped by:      %s\n", end_name(c->end));
}

static json_t *queues_json(const struct tw_dpdk_rx_stats *st)
{
	json_t *a = json_array();

	for (unsigned q = 0; q < st->queues; q++)
		json_array_append_new(
		        a,
		        json_pack("{s:i, s:i, s:I}", "queue", (int)q, "lcore",
		                  (int)st->queue_lcore[q], "packets",
		                  (json_int_t)st->queue_packets[q]));
	return a;
}

static json_t *dpdk_json(const struct dcap *c,
                         const struct tw_dpdk_rx_stats *st)
{
	const struct tw_dpdk_counters *p = &st->port;

	return json_pack(
	        "{s:i, s:s, s:s, s:i, s:s, s:{s:I, s:I, s:I, s:I, "
	        "s:I}, s:o}",
	        "port", (int)c->port, "name", c->name + 5, "driver", c->driver,
	        "workers", (int)st->workers, "timestamps", "software",
	        "counters", "ipackets", (json_int_t)p->ipackets, "ibytes",
	        (json_int_t)p->ibytes, "imissed", (json_int_t)p->imissed,
	        "rx_nombuf", (json_int_t)p->rx_nombuf, "ierrors",
	        (json_int_t)p->ierrors, "queues", queues_json(st));
}

/* The libpcap path's keys, with the port's counters in its slots. */
static json_t *json_summary(const struct dcap *c,
                            const struct tw_dpdk_rx_stats *st)
{
	const struct tw_dpdk_counters *p = &st->port;
	double s = (double)c->elapsed_ns / 1e9;
	json_t *files = json_array();

	for (size_t i = 0; i < c->nfiles; i++)
		json_array_append_new(files, json_string(c->files[i]));
	return json_pack(
	        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, "
	        "s:s, s:[{s:s, s:I, s:I, s:I}], s:o, s:o, s:o}",
	        "packets", (json_int_t)c->packets, "bytes_captured",
	        (json_int_t)c->bytes_captured, "bytes_wire",
	        (json_int_t)c->bytes_wire, "output_bytes",
	        (json_int_t)c->out_bytes, "received", (json_int_t)p->ipackets,
	        "kernel_drops", (json_int_t)port_dropped(p), "interface_drops",
	        (json_int_t)p->ierrors, "refused", (json_int_t)c->refused,
	        "filtered", (json_int_t)c->filtered, "files_finished",
	        (json_int_t)c->nfiles, "duration_s", s, "ended",
	        end_name(c->end), "interfaces", "name", c->name, "received",
	        (json_int_t)p->ipackets, "kernel_drops",
	        (json_int_t)port_dropped(p), "interface_drops",
	        (json_int_t)p->ierrors, "files", files, "error",
	        c->err ? json_string(c->eb.msg) : json_null(), "dpdk",
	        dpdk_json(c, st));
}

static int write_json(const char *path, json_t *j)
{
	int rc;

	if (!j) {
		tw_cli_error(VERB, "out of memory");
		return TW_EXIT_INTERNAL;
	}
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

/* ---- start and end ---- */

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_rotate = 1;
	else if (sig == SIGUSR1)
		sig_report = 1;
	else
		sig_stop = 1;
}

static void setup_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The EAL, the port, the filter. */
static int open_port(struct dcap *c, const struct tw_capture_dpdk *d,
                     struct tw_errbuf *eb)
{
	struct tw_dpdk_port_info pi;
	int rc;

	rc = tw_dpdk_init(d->eal ? d->eal : "", eb);
	if (rc < 0)
		return rc;
	rc = tw_dpdk_port_lookup(d->port_spec ? d->port_spec : "0", &c->port,
	                         eb);
	if (rc < 0)
		return rc;
	rc = tw_dpdk_port_info(c->port, &pi, eb);
	if (rc < 0)
		return rc;
	if (d->queues > pi.max_rx_queues)
		return tw_errf(eb, TW_EINVAL,
		               "--queues %u: port %u (%s) has %u RX queues",
		               d->queues, c->port, pi.driver, pi.max_rx_queues);
	snprintf(c->name, sizeof(c->name), "dpdk:%s", pi.name);
	snprintf(c->driver, sizeof(c->driver), "%s", pi.driver);
	if (c->o->live.filter)
		return tw_bpf_new(&c->filter, c->o->live.filter, eb);
	return 0;
}

static int open_all(struct dcap *c, const struct tw_capture_dpdk *d,
                    struct tw_errbuf *eb)
{
	struct tw_dpdk_rx_opts ro = { 0 };
	struct tw_capout_iface ifc = { TW_LINK_ETHERNET, 0 };
	int rc = open_port(c, d, eb);

	if (rc < 0)
		return rc;
	c->snaplen =
	        c->o->live.snaplen ? c->o->live.snaplen : TW_LIVE_MAX_SNAPLEN;
	ro.port = c->port;
	ro.queues = (uint16_t)(d->queues ? d->queues : 1);
	ro.snaplen = c->snaplen;
	rc = tw_dpdk_rx_open(&c->rx, &ro, eb);
	if (rc < 0)
		return rc;
	ifc.snaplen = c->snaplen;
	rc = tw_capout_open(&c->out, &c->o->out, &ifc, 1,
	                    clock_ns(CLOCK_REALTIME), eb);
	if (rc == 0)
		tw_capout_on_done(c->out, on_file, c);
	return rc;
}

static void print_listening(const struct dcap *c, unsigned queues)
{
	unsigned w = tw_dpdk_rx_workers(c->rx);
	char who[64];

	if (w)
		snprintf(who, sizeof(who), "%u worker lcore%s", w,
		         w > 1 ? "s" : "");
	else
		snprintf(who, sizeof(who), "the main lcore");
	fprintf(stderr,
	        "tracewarp capture: listening on %s (port %u, %s), "
	        "link-type EN10MB, snaplen %u, %u RX queue%s polled by %s, "
	        "software timestamps\n",
	        c->name, c->port, c->driver, c->snaplen, queues,
	        queues > 1 ? "s" : "", who);
}

/* Summary, JSON, the output closed; returns the exit status. */
static int finish(struct dcap *c, const char *json_path, bool quiet)
{
	struct tw_dpdk_rx_stats st;
	struct tw_errbuf ceb;
	int status = 0;
	json_t *j;

	clear_line(c);
	c->elapsed_ns = clock_ns(CLOCK_MONOTONIC) - c->start_ns;
	tw_dpdk_rx_stats(c->rx, &st);
	tw_dpdk_rx_close(c->rx);
	c->rx = NULL;
	c->packets = tw_capout_packets(c->out);
	c->out_bytes = tw_capout_bytes(c->out);
	if (tw_capout_close(c->out, &ceb) < 0 && !c->err)
		fail(c, TW_EIO, ceb.msg);
	c->out = NULL;
	if (c->err) {
		tw_cli_error(VERB, "%s", c->eb.msg);
		status = tw_cli_exit_code(c->err);
	}
	if (!quiet)
		print_summary(c, &st);
	if (c->ses && !quiet)
		tw_capture_redact_print(c->red, stderr);
	if (json_path) {
		j = json_summary(c, &st);
		if (j && c->ses)
			json_object_set_new(j, "redaction",
			                    tw_capture_redact_json(c->red));
		if (write_json(json_path, j) && !status)
			status = TW_EXIT_USER;
		json_decref(j);
	}
	return status;
}

static void dcap_free(struct dcap *c)
{
	tw_dpdk_rx_close(c->rx);
	if (c->out) {
		struct tw_errbuf eb;

		tw_capout_close(c->out, &eb);
	}
	tw_bpf_free(c->filter);
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
}

int tw_capture_dpdk_run(const struct tw_capture_dpdk *d,
                        const struct tw_capture_opts *cap,
                        const struct tw_capture_redact *red,
                        const char *json_path, bool quiet)
{
	struct dcap c = {
		.o = cap,
		.red = red && red->ses ? red : NULL,
		.ses = red ? red->ses : NULL,
		.tty = !quiet && isatty(STDERR_FILENO),
	};
	struct tw_errbuf eb = { "" };
	int rc, status;

	setup_signals();
	rc = open_all(&c, d, &eb);
	if (rc < 0) {
		tw_cli_error(VERB, "%s", eb.msg);
		status = tw_cli_exit_code(rc);
	} else {
		if (!quiet)
			print_listening(&c, d->queues ? d->queues : 1);
		loop(&c);
		status = finish(&c, json_path, quiet);
	}
	dcap_free(&c);
	if (tw_dpdk_initialized())
		tw_dpdk_fini();
	return status;
}
