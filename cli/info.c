/*
 * info.c - `tracewarp info FILE...`: what a trace holds, like capinfos,
 * for humans (default), scripts (--json) and diffing (--packets).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/verbs.h"
#include "trace/decode.h"
#include "trace/error.h"
#include "trace/reader.h"
#include "trace/summary.h"

#define VERB "info"

struct info_opts {
	bool json;
	bool packets;
	uint64_t max_flows;
};

/* What one file yielded: its summary, and how reading it ended. */
struct info_result {
	struct tw_summary sum;
	struct tw_reader *reader;
	int err; /* 0, or the code reading stopped with */
	char errmsg[TW_ERRMSG_MAX];
};

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: tracewarp info [options] FILE...\n\n"
	        "Shows what each trace holds: format, sections, interfaces,\n"
	        "packets, bytes captured and on the wire, time span, rates,\n"
	        "flows and protocol mix.  Reads classic pcap (us and ns) and\n"
	        "pcapng; FILE '-' is standard input.\n\n"
	        "Options:\n"
	        "  --json            one JSON array, an object per file\n"
	        "  --packets         one line per packet instead: number,\n"
	        "                    epoch time (ns), interface, captured and\n"
	        "                    wire length, protocol and endpoints\n"
	        "  --max-flows N     flows to track before the count becomes\n"
	        "                    a lower bound (default 10M; each\n"
	        "                    costs about 64 bytes of memory)\n"
	        "  -h, --help        this text\n\n"
	        "Exit status: 0 when every file was read to its end, 1 when\n"
	        "a file is unreadable, malformed or truncated (what was read\n"
	        "before the problem is still shown), 2 on internal failure.\n");
}

static int parse_opts(int argc, char **argv, struct info_opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "packets", no_argument, NULL, 'p' },
		{ "max-flows", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0; /* our own message names the option */
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'p':
			o->packets = true;
			break;
		case 'm':
			if (!tw_cli_parse_u64(optarg, &o->max_flows) ||
			    !o->max_flows)
				return tw_cli_usage_error(
				        VERB,
				        "--max-flows: '%s' is not a "
				        "positive count",
				        optarg);
			break;
		case 'h':
			usage(stdout);
			exit(TW_EXIT_OK);
		case ':':
			return tw_cli_usage_error(VERB,
			                          "option '%s' needs a value",
			                          argv[optind - 1]);
		default:
			return tw_cli_usage_error(VERB, "unknown option '%s'",
			                          argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return tw_cli_usage_error(VERB, "no trace file given");
	if (o->json && o->packets)
		return tw_cli_usage_error(VERB, "--json and --packets "
		                                "exclude each other");
	return 0;
}

static void addr_str(const uint8_t *p, int version, char *buf, size_t len)
{
	if (version == 6) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, p, a, sizeof(a));
		snprintf(buf, len, "[%s]", a);
	} else {
		inet_ntop(AF_INET, p, buf, (socklen_t)len);
	}
}

static const char *l4_name(uint8_t proto)
{
	switch (proto) {
	case TW_IPPROTO_TCP:
		return "TCP";
	case TW_IPPROTO_UDP:
		return "UDP";
	case TW_IPPROTO_ICMP:
		return "ICMP";
	case TW_IPPROTO_ICMPV6:
		return "ICMPv6";
	default:
		return NULL;
	}
}

/* "TCP 198.18.0.1:443 > 198.18.0.2:5000", or what the packet has. */
static void packet_desc(const struct tw_packet *pkt, const struct tw_decoded *d,
                        char *buf, size_t len)
{
	const struct tw_dec_ip *layer = tw_decoded_ip(d);
	const uint8_t *ip;
	int alen, aoff;
	char src[64], dst[64], other[16];
	const char *l4;

	if (!layer) {
		snprintf(buf, len, "ethertype 0x%04x", d->ethertype);
		return;
	}
	ip = pkt->data + layer->l3_off;
	alen = layer->version == 6 ? 16 : 4;
	aoff = layer->version == 6 ? 8 : 12;
	addr_str(ip + aoff, layer->version, src, sizeof(src));
	addr_str(ip + aoff + alen, layer->version, dst, sizeof(dst));
	l4 = l4_name(layer->proto);
	if (!l4) {
		snprintf(other, sizeof(other), "IP proto %u", layer->proto);
		l4 = other;
	}
	/* Ports belong to the innermost layer only. */
	if (layer == &d->ip && d->l4_hlen &&
	    (layer->proto == TW_IPPROTO_TCP || layer->proto == TW_IPPROTO_UDP))
		snprintf(buf, len, "%s %s:%u > %s:%u", l4, src, d->sport, dst,
		         d->dport);
	else
		snprintf(buf, len, "%s %s > %s", l4, src, dst);
}

static void print_packet(uint64_t n, const struct tw_packet *pkt,
                         const struct tw_decoded *d)
{
	char ts[40], desc[200];

	if (pkt->flags & TW_PKT_NO_TS)
		snprintf(ts, sizeof(ts), "-");
	else
		tw_cli_fmt_epoch(pkt->ts_ns, ts, sizeof(ts));
	packet_desc(pkt, d, desc, sizeof(desc));
	printf("%" PRIu64 "\t%s\t%u\t%u\t%u\t%s\n", n, ts, pkt->iface,
	       pkt->caplen, pkt->wirelen, desc);
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	if (!strcmp(path, "-") || stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	return (uint64_t)st.st_size;
}

/* Reads one file to its end (or first error) into res. */
static int read_trace(const char *path, const struct info_opts *o,
                      struct info_result *res)
{
	struct tw_progress prog;
	struct tw_packet pkt;
	int rc;

	rc = tw_reader_open(&res->reader, path, res->errmsg,
	                    sizeof(res->errmsg));
	if (rc < 0)
		return res->err = rc;
	rc = tw_summary_init(&res->sum, o->max_flows);
	if (rc < 0)
		return res->err = rc;

	tw_progress_start(&prog, path, file_size(path));
	while ((rc = tw_reader_next(res->reader, &pkt)) > 0) {
		const struct tw_iface *ifc =
		        tw_reader_iface(res->reader, pkt.iface);
		struct tw_decoded d;
		bool ok = tw_decode(pkt.data, pkt.caplen, ifc->linktype, &d);

		tw_summary_add_decoded(&res->sum, &pkt, &d, ok);
		if (o->packets)
			print_packet(res->sum.packets, &pkt, &d);
		if ((res->sum.packets & 0xfff) == 0)
			tw_progress_update(&prog, tw_reader_offset(res->reader),
			                   res->sum.packets);
	}
	tw_progress_end(&prog);
	if (rc < 0) {
		snprintf(res->errmsg, sizeof(res->errmsg), "%s",
		         tw_reader_errmsg(res->reader));
		res->err = rc;
	}
	return res->err;
}

static const char *format_name(enum tw_format f)
{
	switch (f) {
	case TW_FMT_PCAP_US:
		return "pcap";
	case TW_FMT_PCAP_NS:
		return "pcap-ns";
	case TW_FMT_PCAPNG:
		return "pcapng";
	}
	return "?";
}

static const char *resol_name(const struct tw_iface *ifc, char *buf, size_t len)
{
	uint8_t v = ifc->tsresol;

	if (v & 0x80)
		snprintf(buf, len, "2^-%u s", v & 0x7f);
	else if (v == 9)
		snprintf(buf, len, "ns");
	else if (v == 6)
		snprintf(buf, len, "us");
	else if (v == 3)
		snprintf(buf, len, "ms");
	else
		snprintf(buf, len, "10^-%u s", v);
	return buf;
}

static double duration_s(const struct tw_summary *s)
{
	return s->have_ts ? (double)(s->last_ns - s->first_ns) / 1e9 : 0.0;
}

static void print_ifaces(const struct tw_reader *r)
{
	uint32_t n = tw_reader_iface_count(r);
	char res[32], name[300];

	printf("Interfaces:          %u\n", n);
	for (uint32_t i = 0; i < n; i++) {
		const struct tw_iface *ifc = tw_reader_iface(r, i);
		const char *lt = tw_linktype_name(ifc->linktype);

		printf("  #%-3u %-10s (%u)  snaplen %-7u resolution %s"
		       "%s%s\n",
		       i, lt ? lt : "?", ifc->linktype, ifc->snaplen,
		       resol_name(ifc, res, sizeof(res)),
		       ifc->name[0] ? "  name " : "",
		       tw_cli_escape(ifc->name, name, sizeof(name)));
	}
}

static void print_times(const struct tw_summary *s)
{
	char a[64], b[64], pps[32], bps[32];
	double dur = duration_s(s);

	if (!s->have_ts)
		return;
	printf("First packet:        %s\n",
	       tw_cli_fmt_time(s->first_ns, a, sizeof(a)));
	printf("Last packet:         %s\n",
	       tw_cli_fmt_time(s->last_ns, b, sizeof(b)));
	printf("Duration:            %.9f s\n", dur);
	if (dur > 0)
		printf("Average rate:        %s, %s\n",
		       tw_cli_fmt_si((double)s->packets / dur, "pps", pps,
		                     sizeof(pps)),
		       tw_cli_fmt_si((double)s->bytes_wire * 8 / dur, "bit/s",
		                     bps, sizeof(bps)));
	if (s->out_of_order)
		printf("Out of order:        %" PRIu64 " packets\n",
		       s->out_of_order);
}

static void print_mix(const struct tw_summary *s)
{
	static const char *const tun[] = { "", "GRE", "ERSPAN", "VXLAN",
		                           "IP-in-IP" };

	printf("Flows:               %s%" PRIu64 "\n",
	       s->flows_capped ? "at least " : "", s->flows);
	printf("Protocols:           IPv4 %" PRIu64 ", IPv6 %" PRIu64
	       ", non-IP %" PRIu64 "\n",
	       s->ipv4, s->ipv6, s->non_ip);
	printf("                     TCP %" PRIu64 ", UDP %" PRIu64
	       ", ICMP %" PRIu64 ", ICMPv6 %" PRIu64 ", other %" PRIu64 "\n",
	       s->tcp, s->udp, s->icmp, s->icmpv6, s->other_l4);
	if (s->fragments || s->vlan_tagged)
		printf("                     fragments %" PRIu64
		       ", VLAN-tagged %" PRIu64 "\n",
		       s->fragments, s->vlan_tagged);
	for (int i = 1; i < 5; i++)
		if (s->tunnel[i])
			printf("Tunnels:             %s %" PRIu64 "\n", tun[i],
			       s->tunnel[i]);
}

static void print_oddities(const struct info_result *res)
{
	const struct tw_summary *s = &res->sum;
	uint64_t warnings = tw_reader_warnings(res->reader);

	if (s->no_ts)
		printf("No timestamp:        %" PRIu64
		       " packets (pcapng simple "
		       "packet blocks)\n",
		       s->no_ts);
	if (s->bad_ts)
		printf("Invalid timestamp:   %" PRIu64
		       " packets (normalized)\n",
		       s->bad_ts);
	if (s->undecoded)
		printf("Undecoded:           %" PRIu64 " packets\n",
		       s->undecoded);
	if (warnings)
		printf("Warnings:            %" PRIu64 "\n", warnings);
	if (res->err)
		printf("Status:              %s\n", res->errmsg);
}

static void print_human(const struct info_result *res)
{
	const struct tw_summary *s = &res->sum;
	const struct tw_reader *r = res->reader;
	char name[600];

	printf("File:                %s\n",
	       tw_cli_escape(tw_reader_name(r), name, sizeof(name)));
	printf("Format:              %s\n", format_name(tw_reader_format(r)));
	printf("Sections:            %u\n", tw_reader_section_count(r));
	print_ifaces(r);
	printf("Packets:             %" PRIu64 "\n", s->packets);
	printf("Bytes captured:      %" PRIu64 "\n", s->bytes_captured);
	printf("Bytes on wire:       %" PRIu64 "\n", s->bytes_wire);
	printf("Cut by snaplen:      %" PRIu64 " packets\n", s->truncated);
	print_times(s);
	print_mix(s);
	print_oddities(res);
}

static json_t *json_ifaces(const struct tw_reader *r)
{
	json_t *arr = json_array();
	char res[32];

	for (uint32_t i = 0; i < tw_reader_iface_count(r); i++) {
		const struct tw_iface *ifc = tw_reader_iface(r, i);
		const char *lt = tw_linktype_name(ifc->linktype);

		json_array_append_new(
		        arr, json_pack("{s:I, s:I, s:s?, s:I, s:s, s:I, s:o}",
		                       "id", (json_int_t)i, "linktype",
		                       (json_int_t)ifc->linktype,
		                       "linktype_name", lt, "snaplen",
		                       (json_int_t)ifc->snaplen, "resolution",
		                       resol_name(ifc, res, sizeof(res)),
		                       "section", (json_int_t)ifc->section,
		                       "name", tw_cli_json_str(ifc->name)));
	}
	return arr;
}

static json_t *json_protocols(const struct tw_summary *s)
{
	return json_pack(
	        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	        "s:I, s:I, s:{s:I, s:I, s:I, s:I}}",
	        "ipv4", (json_int_t)s->ipv4, "ipv6", (json_int_t)s->ipv6,
	        "non_ip", (json_int_t)s->non_ip, "tcp", (json_int_t)s->tcp,
	        "udp", (json_int_t)s->udp, "icmp", (json_int_t)s->icmp,
	        "icmpv6", (json_int_t)s->icmpv6, "other",
	        (json_int_t)s->other_l4, "fragments", (json_int_t)s->fragments,
	        "vlan_tagged", (json_int_t)s->vlan_tagged, "undecoded",
	        (json_int_t)s->undecoded, "tunnels", "gre",
	        (json_int_t)s->tunnel[TW_TUN_GRE], "erspan",
	        (json_int_t)s->tunnel[TW_TUN_ERSPAN], "vxlan",
	        (json_int_t)s->tunnel[TW_TUN_VXLAN], "ipip",
	        (json_int_t)s->tunnel[TW_TUN_IPIP]);
}

static void json_times(json_t *o, const struct tw_summary *s)
{
	char a[64];
	double dur = duration_s(s);

	if (!s->have_ts)
		return;
	json_object_set_new(o, "first_ns", json_integer(s->first_ns));
	json_object_set_new(o, "last_ns", json_integer(s->last_ns));
	json_object_set_new(
	        o, "first_time",
	        json_string(tw_cli_fmt_time(s->first_ns, a, sizeof(a))));
	json_object_set_new(
	        o, "last_time",
	        json_string(tw_cli_fmt_time(s->last_ns, a, sizeof(a))));
	json_object_set_new(o, "duration_s", json_real(dur));
	json_object_set_new(o, "avg_pps",
	                    json_real(dur > 0 ? (double)s->packets / dur : 0));
	json_object_set_new(
	        o, "avg_bps",
	        json_real(dur > 0 ? (double)s->bytes_wire * 8 / dur : 0));
}

/* One file's object; NULL only when memory ran out.  Strings that come
 * from the file or the command line may not be UTF-8: they are escaped,
 * never dropped. */
static json_t *json_result(const char *path, const struct info_result *res)
{
	const struct tw_summary *s = &res->sum;
	const struct tw_reader *r = res->reader;
	json_t *o;

	if (!r)
		return json_pack("{s:o, s:o}", "file", tw_cli_json_str(path),
		                 "error", tw_cli_json_str(res->errmsg));
	o = json_pack("{s:o, s:s, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:b, "
	              "s:o, s:I, s:I, s:I, s:I}",
	              "file", tw_cli_json_str(path), "format",
	              format_name(tw_reader_format(r)), "sections",
	              (json_int_t)tw_reader_section_count(r), "interfaces",
	              json_ifaces(r), "packets", (json_int_t)s->packets,
	              "bytes_captured", (json_int_t)s->bytes_captured,
	              "bytes_wire", (json_int_t)s->bytes_wire, "cut_by_snaplen",
	              (json_int_t)s->truncated, "flows", (json_int_t)s->flows,
	              "flows_capped", s->flows_capped, "protocols",
	              json_protocols(s), "out_of_order",
	              (json_int_t)s->out_of_order, "warnings",
	              (json_int_t)tw_reader_warnings(r), "no_timestamp",
	              (json_int_t)s->no_ts, "invalid_timestamp",
	              (json_int_t)s->bad_ts);
	if (!o)
		return NULL;
	json_times(o, s);
	json_object_set_new(o, "error",
	                    res->err ? tw_cli_json_str(res->errmsg)
	                             : json_null());
	return o;
}

static void release(struct info_result *res)
{
	tw_summary_free(&res->sum);
	tw_reader_close(res->reader);
}

/* Reports one file the way the options ask; returns its exit status. */
static int report(const char *path, const struct info_opts *o, json_t *all,
                  bool many, bool *printed)
{
	struct info_result res = { 0 };
	int status = TW_EXIT_OK;
	int rc;

	if (o->packets && many)
		printf("# %s\n", path);
	rc = read_trace(path, o, &res);
	if (rc < 0) {
		tw_cli_error(VERB, "%s", res.errmsg);
		status = tw_cli_exit_code(rc);
	}
	if (all) {
		if (json_array_append_new(all, json_result(path, &res)))
			status = TW_EXIT_INTERNAL;
	} else if (res.reader && !o->packets) {
		/* A blank line between the summaries of files. */
		if (*printed)
			printf("\n");
		print_human(&res);
		*printed = true;
	}
	release(&res);
	return status;
}

int tw_cmd_info(int argc, char **argv)
{
	struct info_opts o;
	json_t *all = NULL;
	int status = TW_EXIT_OK;
	int rc = parse_opts(argc, argv, &o);
	bool many = argc - optind > 1;
	bool printed = false;

	if (rc)
		return rc;
	if (o.json && !(all = json_array()))
		return TW_EXIT_INTERNAL;
	for (int i = optind; i < argc; i++) {
		rc = report(argv[i], &o, all, many, &printed);
		if (rc > status)
			status = rc;
	}
	if (all) {
		if (json_dumpf(all, stdout,
		               JSON_INDENT(2) | JSON_REAL_PRECISION(12)))
			status = TW_EXIT_INTERNAL;
		printf("\n");
		json_decref(all);
	}
	return status;
}
