/*
 * generate.c - `tracewarp generate`: a synthetic trace from a profile
 * (tools/generate/), written through the trace writer.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/verbs.h"
#include "tools/generate/gen.h"
#include "trace/error.h"
#include "trace/writer.h"

#define VERB "generate"

struct gen_opts {
	const char *profile;
	const char *out;
	const char *secrets;
	enum tw_out_format fmt;
	bool json, seed_set, limits_set, every_packet;
	uint64_t seed, sessions, packets, bytes, max_size;
	int64_t duration_ns;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: tracewarp generate --profile FILE|NAME -w OUT "
	        "[options]\n\n"
	        "Writes a synthetic trace described by a profile: HTTP/2\n"
	        "(h2c), gRPC, REST, resumable uploads, DNS and small-frame\n"
	        "floods over consistent TCP and UDP, built with libnet.  The\n"
	        "same profile and seed give the same file, byte for byte.\n"
	        "NAME is a shipped profile (small-frames, mixed-api, uploads,\n"
	        "imix) from config/profiles/; config/PROFILES.md describes\n"
	        "the format.\n\n"
	        "Options:\n"
	        "  -p, --profile P   profile file, or the name of a shipped "
	        "one\n"
	        "  -w, --write OUT   output trace ('-' is standard output)\n"
	        "  --seed N          seed (default: the profile's)\n"
	        "  --format F        pcapng (default), pcap (ns), pcap-us\n"
	        "  --sessions N      stop starting sessions after N\n"
	        "  --packets N       ... once N packets are written\n"
	        "  --bytes N         ... once N bytes of frames are written\n"
	        "  --duration D      ... once D of trace time has passed\n"
	        "                    (250ms, 10s, 5m); any of these four\n"
	        "                    replaces all of the profile's limits.\n"
	        "                    Sessions in progress always finish.\n"
	        "  --max-size N      cap every body, message and upload size\n"
	        "                    drawn (1500, 64k, 10M, 1GiB)\n"
	        "  --secrets FILE    plant these values (one a line) in\n"
	        "                    headers, paths, JSON and protobuf\n"
	        "  --json            print a JSON summary on stdout\n"
	        "  --libnet-every-packet  build every packet through libnet\n"
	        "                    instead of patching a per-flow template\n"
	        "                    (the same bytes, slower; for checks)\n"
	        "  -h, --help        this text\n\n"
	        "Exit status: 0 success, 1 bad option or profile, 2 "
	        "internal failure.\n");
}

static int parse_limit(const char *opt, const char *arg, uint64_t *out)
{
	if (!tw_cli_parse_u64(arg, out) || !*out)
		return tw_cli_usage_error(VERB,
		                          "%s: '%s' is not a positive "
		                          "count",
		                          opt, arg);
	return 0;
}

static int parse_format(const char *arg, struct gen_opts *o)
{
	if (!strcmp(arg, "pcapng"))
		o->fmt = TW_OUT_PCAPNG;
	else if (!strcmp(arg, "pcap"))
		o->fmt = TW_OUT_PCAP_NS;
	else if (!strcmp(arg, "pcap-us"))
		o->fmt = TW_OUT_PCAP_US;
	else
		return tw_cli_usage_error(VERB,
		                          "--format: '%s' is not "
		                          "pcapng, pcap or pcap-us",
		                          arg);
	return 0;
}

static int parse_opt(int c, struct gen_opts *o)
{
	switch (c) {
	case 'p':
		o->profile = optarg;
		return 0;
	case 'w':
		o->out = optarg;
		return 0;
	case 's':
		o->seed_set = true;
		if (!tw_cli_parse_u64(optarg, &o->seed))
			return tw_cli_usage_error(
			        VERB, "--seed: '%s' is not a number", optarg);
		return 0;
	case 'f':
		return parse_format(optarg, o);
	case 'S':
		o->limits_set = true;
		return parse_limit("--sessions", optarg, &o->sessions);
	case 'P':
		o->limits_set = true;
		return parse_limit("--packets", optarg, &o->packets);
	case 'B':
		o->limits_set = true;
		return parse_limit("--bytes", optarg, &o->bytes);
	case 'D':
		o->limits_set = true;
		if (!tw_gen_parse_duration(optarg, &o->duration_ns) ||
		    !o->duration_ns)
			return tw_cli_usage_error(
			        VERB, "--duration: '%s' is not a duration",
			        optarg);
		return 0;
	case 'm':
		return parse_limit("--max-size", optarg, &o->max_size);
	case 'k':
		o->secrets = optarg;
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case 'L':
		o->every_packet = true;
		return 0;
	case 'h':
		usage(stdout);
		exit(TW_EXIT_OK);
	default:
		return tw_cli_usage_error(VERB, "unknown option");
	}
}

static int parse_opts(int argc, char **argv, struct gen_opts *o)
{
	static const struct option longopts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "write", required_argument, NULL, 'w' },
		{ "seed", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "sessions", required_argument, NULL, 'S' },
		{ "packets", required_argument, NULL, 'P' },
		{ "bytes", required_argument, NULL, 'B' },
		{ "duration", required_argument, NULL, 'D' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "secrets", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "libnet-every-packet", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "p:w:h", longopts, NULL)) != -1)
		if ((rc = parse_opt(c, o)) != 0)
			return rc;
	if (optind < argc)
		return tw_cli_usage_error(VERB, "unexpected argument '%s'",
		                          argv[optind]);
	if (!o->profile)
		return tw_cli_usage_error(VERB, "no profile (--profile)");
	if (!o->out)
		return tw_cli_usage_error(VERB, "no output file (-w)");
	if (o->json && !strcmp(o->out, "-"))
		return tw_cli_usage_error(VERB, "--json and -w - both want "
		                                "standard output");
	return 0;
}

/* A shipped profile's path: beside the binary (build/ or build/x/), then
 * under the current directory.  Returns false when none exists. */
static bool find_named(const char *name, char *path, size_t len)
{
	static const char *const rel[] = { "/../config/profiles",
		                           "/../../config/profiles" };
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		for (size_t i = 0; i < 2; i++) {
			snprintf(path, len, "%s%s/%s.yaml", exe, rel[i], name);
			if (access(path, R_OK) == 0)
				return true;
		}
	}
	snprintf(path, len, "config/profiles/%s.yaml", name);
	return access(path, R_OK) == 0;
}

static int load_profile(const struct gen_opts *o, struct tw_gen_profile **p)
{
	char path[PATH_MAX + 64];
	struct tw_errbuf eb;
	const char *file = o->profile;
	int rc;

	if (!strchr(file, '/') && access(file, R_OK) != 0) {
		if (!find_named(file, path, sizeof(path))) {
			tw_cli_error(VERB,
			             "no profile file or shipped profile "
			             "named '%s'",
			             file);
			return TW_EXIT_USER;
		}
		file = path;
	}
	rc = tw_gen_profile_load(p, file, &eb);
	if (rc) {
		tw_cli_error(VERB, "%s", eb.msg);
		return tw_cli_exit_code(rc);
	}
	return 0;
}

static int apply_opts(const struct gen_opts *o, struct tw_gen_profile *p)
{
	if (o->limits_set) {
		p->max_sessions = o->sessions;
		p->max_packets = o->packets;
		p->max_bytes = o->bytes;
		p->max_duration_ns = o->duration_ns;
	}
	if (!p->max_sessions && !p->max_packets && !p->max_bytes &&
	    !p->max_duration_ns)
		p->max_duration_ns = 10000000000LL; /* 10 s of trace */
	if (o->secrets) {
		free(p->secrets_file);
		p->secrets_file = strdup(o->secrets);
		if (!p->secrets_file)
			return TW_ENOMEM;
		if (p->plant_rate <= 0.0)
			p->plant_rate = 0.5;
	}
	return 0;
}

static void on_progress(void *arg, const struct tw_gen_stats *st)
{
	tw_progress_update(arg, st->bytes, st->packets);
}

static void print_json(const struct gen_opts *o, const struct tw_gen_stats *s,
                       uint64_t seed, double secs, uint64_t file_bytes)
{
	json_t *j = json_pack(
	        "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	        "s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}",
	        "file", o->out, "seed", (json_int_t)seed, "packets",
	        (json_int_t)s->packets, "bytes", (json_int_t)s->bytes,
	        "file_bytes", (json_int_t)file_bytes, "sessions",
	        (json_int_t)s->sessions, "tcp_connections",
	        (json_int_t)s->connections, "h2_streams",
	        (json_int_t)s->h2_streams, "h2_refused",
	        (json_int_t)s->h2_refused, "grpc_calls",
	        (json_int_t)s->grpc_calls, "grpc_messages",
	        (json_int_t)s->grpc_messages, "rest_exchanges",
	        (json_int_t)s->rest_exchanges, "uploads",
	        (json_int_t)s->uploads, "upload_bytes",
	        (json_int_t)s->upload_bytes, "dns_queries",
	        (json_int_t)s->dns_queries, "flood_packets",
	        (json_int_t)s->flood_packets, "plants", (json_int_t)s->plants,
	        "retransmissions", (json_int_t)s->retransmissions, "first_ns",
	        (json_int_t)s->first_ns, "last_ns", (json_int_t)s->last_ns,
	        "seconds", secs);

	if (!j)
		return;
	json_dumpf(j, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(j);
}

static void print_text(const struct gen_opts *o, const struct tw_gen_stats *s,
                       uint64_t seed, double secs, uint64_t file_bytes)
{
	char a[32], b[32];

	printf("Wrote %s: %" PRIu64 " packets, %s in %" PRIu64
	       " sessions (seed %" PRIu64 ")\n",
	       o->out, s->packets,
	       tw_cli_fmt_si((double)file_bytes, "B", a, sizeof(a)),
	       s->sessions, seed);
	printf("  HTTP/2 streams %" PRIu64 " (%" PRIu64 " refused), of them "
	       "gRPC calls %" PRIu64 " with %" PRIu64 " messages\n",
	       s->h2_streams, s->h2_refused, s->grpc_calls, s->grpc_messages);
	printf("  REST exchanges %" PRIu64 ", uploads %" PRIu64 " (%s), DNS "
	       "queries %" PRIu64 ", flood frames %" PRIu64 "\n",
	       s->rest_exchanges, s->uploads,
	       tw_cli_fmt_si((double)s->upload_bytes, "B", b, sizeof(b)),
	       s->dns_queries, s->flood_packets);
	printf("  TCP connections %" PRIu64 ", retransmissions %" PRIu64
	       ", planted secrets %" PRIu64 "\n",
	       s->connections, s->retransmissions, s->plants);
	printf("  trace time %.3f s; generated in %.2f s (%.0f MB/s)\n",
	       (double)(s->last_ns - s->first_ns) / 1e9, secs,
	       secs > 0 ? (double)file_bytes / 1e6 / secs : 0.0);
}

static int run(const struct gen_opts *o, struct tw_gen_profile *p)
{
	struct tw_gen_opts go = { .seed = o->seed_set ? o->seed : p->seed,
		                  .max_size = o->max_size,
		                  .libnet_every_packet = o->every_packet };
	struct tw_progress prog;
	struct tw_gen_stats st;
	struct tw_writer *w;
	struct tw_errbuf eb;
	char msg[TW_ERRMSG_MAX];
	int64_t t0 = tw_cli_now_ns();
	double secs;
	uint64_t file_bytes;
	int rc, rc2;

	rc = tw_writer_open(&w, o->out, o->fmt, msg, sizeof(msg));
	if (rc) {
		tw_cli_error(VERB, "%s", msg);
		return tw_cli_exit_code(rc);
	}
	/* Which profile and seed made the file, so it can be made again. */
	snprintf(msg, sizeof(msg),
	         "tracewarp generate: profile %s, seed %" PRIu64,
	         strrchr(p->path, '/') ? strrchr(p->path, '/') + 1 : p->path,
	         go.seed);
	if (tw_writer_add_comment(w, msg) != 0) {
		tw_writer_close(w, msg, sizeof(msg));
		tw_cli_error(VERB, "%s: cannot add the section comment",
		             o->out);
		return TW_EXIT_INTERNAL;
	}
	tw_progress_start(&prog, "generate", p->max_bytes);
	go.progress = on_progress;
	go.progress_arg = &prog;
	rc = tw_gen_run(p, &go, w, &st, &eb);
	tw_progress_end(&prog);
	tw_writer_flush(w);
	file_bytes = tw_writer_bytes(w);
	rc2 = tw_writer_close(w, msg, sizeof(msg));
	if (rc) {
		tw_cli_error(VERB, "%s", eb.msg);
		return tw_cli_exit_code(rc);
	}
	if (rc2) {
		tw_cli_error(VERB, "%s", msg);
		return tw_cli_exit_code(rc2);
	}
	secs = (double)(tw_cli_now_ns() - t0) / 1e9;
	if (o->json)
		print_json(o, &st, go.seed, secs, file_bytes);
	else if (strcmp(o->out, "-"))
		print_text(o, &st, go.seed, secs, file_bytes);
	return TW_EXIT_OK;
}

int tw_cmd_generate(int argc, char **argv)
{
	struct gen_opts o;
	struct tw_gen_profile *p = NULL;
	int rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc;
	rc = load_profile(&o, &p);
	if (rc)
		return rc;
	if (apply_opts(&o, p)) {
		tw_cli_error(VERB, "out of memory");
		rc = TW_EXIT_INTERNAL;
	} else {
		rc = run(&o, p);
	}
	tw_gen_profile_free(p);
	return rc;
}
