/*
 * redact.c - `tracewarp redact -r IN -w OUT`: a trace made safe to share.
 *
 * Reads pcap or pcapng, redacts every packet in place under a policy and
 * a key (redact/redact.h), and writes pcapng (or classic pcap) whose
 * section header names the policy's hash and the key's fingerprint.
 * Nothing of the input's metadata is copied: interfaces are declared
 * afresh with link type and snaplen only.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/verbs.h"
#include "redact/key.h"
#include "redact/policy.h"
#include "redact/redact.h"
#include "redact/session.h"
#include "trace/error.h"
#include "trace/reader.h"
#include "trace/summary.h"
#include "trace/writer.h"

#define VERB "redact"

struct redact_opts {
	const char *in, *out;
	const char *policy;
	const char *key_file;
	const char *check_policy;
	const char *format; /* NULL, "pcapng", "pcap", "pcap-ns", "pcap-us" */
	const char *l7_out;
	size_t max_mb; /* reassembly memory, MiB (0: default) */
	bool json;
	bool quiet;
};

/*
 * An output (-w or --l7-out).  A regular file is written under a
 * temporary name beside it (beside the file a symbolic link points to)
 * and renamed at the end, so that a run that fails or is interrupted
 * never leaves a cut file where a good one was.  Standard output,
 * devices and pipes are written directly (tmp is NULL).
 */
struct out_file {
	const char *name; /* as given */
	char *final;      /* name, its symbolic links resolved */
	char *tmp;        /* the temporary file, renamed to final */
	int fd;           /* its descriptor while ours, or -1 */
};

/* Everything one run holds; freed by run_free(). */
struct run {
	const struct redact_opts *o;
	struct tw_policy *pol;
	struct tw_key *key;
	struct tw_redactor *red;
	struct tw_session *ses;
	FILE *l7;
	struct tw_reader *rd;
	struct tw_writer *wr;
	struct out_file out, l7o;  /* -w, --l7-out */
	char trunc[TW_ERRMSG_MAX]; /* the input ended inside a record */
	struct tw_summary sum;
	bool sum_on;
	uint32_t *iface_map; /* input interface -> output + 1; 0 = none */
	uint32_t iface_cap;
	uint64_t bytes_in, bytes_out, bytes_changed;
	int64_t start_ns, end_ns;
	char fpr[2 * TW_KEY_FPR_BYTES + 1];
	struct tw_errbuf eb;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: tracewarp redact -r IN -w OUT [options]\n"
	        "       tracewarp redact --check-policy FILE\n\n"
	        "Writes a copy of a trace that is safe to share: addresses\n"
	        "pseudonymized (prefix-preserving), MACs and TCP timestamps\n"
	        "keyed, payloads zeroed unless understood, checksums valid\n"
	        "where they were.  Sizes, timing and flows are kept.  IN and\n"
	        "OUT may be '-' (standard input and output).\n\n"
	        "Options:\n"
	        "  -r, --read FILE        input trace (pcap or pcapng)\n"
	        "  -w, --write FILE       output trace\n"
	        "  -p, --policy FILE      redaction policy (YAML, see\n"
	        "                         config/POLICY.md); default: the\n"
	        "                         built-in strict policy\n"
	        "  -k, --key-file FILE    key: 64+ hex digits or 32+ raw\n"
	        "                         bytes, mode 600; otherwise the\n"
	        "                         %s variable (hex)\n"
	        "  -F, --format FMT       pcapng (default), pcap (same\n"
	        "                         resolution as the input), pcap-ns,\n"
	        "                         pcap-us\n"
	        "      --l7-out FILE      also write the HTTP/2, gRPC and\n"
	        "                         HTTP/1.1 exchanges, redacted, as\n"
	        "                         JSON Lines (schema:\n"
	        "                         redact/L7TRACE.md)\n"
	        "      --max-memory MB    packets held for reassembly, at\n"
	        "                         most (default 256); past it a\n"
	        "                         connection is zeroed\n"
	        "      --check-policy FILE  validate a policy and exit\n"
	        "      --json             summary as JSON on standard output\n"
	        "                         (standard error when OUT or\n"
	        "                         --l7-out is '-')\n"
	        "  -q, --quiet            no summary\n"
	        "  -h, --help             this text\n\n"
	        "Output files (-w, --l7-out) are written under a temporary\n"
	        "name beside them and renamed at the end; an output that is\n"
	        "the input, the key file, the policy or the other output is\n"
	        "refused.\n\n"
	        "Exit status: 0 success; 1 user error (options, policy, key,\n"
	        "unreadable or malformed input: the message names the file\n"
	        "and offset; no output written), or output written, input\n"
	        "truncated (it ends inside a packet: every complete packet\n"
	        "is written, a warning names the file and offset); 2\n"
	        "internal failure; 130, 143 or 129 interrupted by SIGINT,\n"
	        "SIGTERM or SIGHUP (temporary outputs removed).\n",
	        TW_KEY_ENV);
}

static int parse_opts(int argc, char **argv, struct redact_opts *o)
{
	static const struct option longopts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "write", required_argument, NULL, 'w' },
		{ "policy", required_argument, NULL, 'p' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "format", required_argument, NULL, 'F' },
		{ "check-policy", required_argument, NULL, 'C' },
		{ "l7-out", required_argument, NULL, 'L' },
		{ "max-memory", required_argument, NULL, 'M' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "r:w:p:k:F:qh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'r':
			o->in = optarg;
			break;
		case 'w':
			o->out = optarg;
			break;
		case 'p':
			o->policy = optarg;
			break;
		case 'k':
			o->key_file = optarg;
			break;
		case 'F':
			o->format = optarg;
			break;
		case 'C':
			o->check_policy = optarg;
			break;
		case 'L':
			o->l7_out = optarg;
			break;
		case 'M': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 1048576)
				return tw_cli_usage_error(
				        VERB,
				        "--max-memory: '%s' is not a number "
				        "of MB from 1 to 1048576",
				        optarg);
			o->max_mb = (size_t)v;
			break;
		}
		case 'j':
			o->json = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(TW_EXIT_OK);
		default:
			return tw_cli_usage_error(VERB, "unknown option");
		}
	}
	if (optind < argc)
		return tw_cli_usage_error(VERB, "unexpected argument '%s'",
		                          argv[optind]);
	if (o->check_policy)
		return 0;
	if (!o->in || !o->out)
		return tw_cli_usage_error(VERB, "-r IN and -w OUT are needed");
	if (o->format && strcmp(o->format, "pcapng") &&
	    strcmp(o->format, "pcap") && strcmp(o->format, "pcap-ns") &&
	    strcmp(o->format, "pcap-us"))
		return tw_cli_usage_error(VERB,
		                          "--format: '%s' is not pcapng, "
		                          "pcap, pcap-ns or pcap-us",
		                          o->format);
	if (o->l7_out && !strcmp(o->l7_out, "-") && !strcmp(o->out, "-"))
		return tw_cli_usage_error(VERB, "--l7-out and -w cannot both "
		                                "be standard output");
	if (strcmp(o->in, "-") && strcmp(o->out, "-") && !strcmp(o->in, o->out))
		return tw_cli_usage_error(VERB, "IN and OUT are the same file");
	return 0;
}

/* Says what the policy lets through as a whole (keep 0.0.0.0/0...). */
static void policy_warnings(const struct tw_policy *pol)
{
	char w[8][TW_POLICY_WARN_MAX];
	size_t n = tw_policy_warnings(pol, w, 8);

	for (size_t i = 0; i < n && i < 8; i++)
		fprintf(stderr, "tracewarp %s: warning: %s: %s\n", VERB,
		        pol->name, w[i]);
}

static int check_policy(const char *path)
{
	struct tw_policy *pol = malloc(sizeof(*pol));
	struct tw_errbuf eb;
	int rc;

	if (!pol) {
		tw_cli_error(VERB, "out of memory");
		return TW_EXIT_INTERNAL;
	}
	rc = tw_policy_load(pol, path, &eb);
	if (rc < 0) {
		tw_cli_error(VERB, "%s", eb.msg);
		free(pol);
		return tw_cli_exit_code(rc);
	}
	policy_warnings(pol);
	printf("%s: valid policy, sha256 %s\n", path, pol->hash_hex);
	free(pol);
	return TW_EXIT_OK;
}

/*
 * The key from the environment; the variable's text is then wiped where
 * it lies (which also hides it from /proc/PID/environ) and unset.
 */
static int key_from_env(struct tw_key **key, struct tw_errbuf *eb)
{
	int rc = tw_key_from_env(key, TW_KEY_ENV, eb);
	char *s = getenv(TW_KEY_ENV);

	if (s)
		OPENSSL_cleanse(s, strlen(s));
	unsetenv(TW_KEY_ENV);
	return rc;
}

static int load_policy_and_key(struct run *rn)
{
	struct tw_errbuf eb;
	int rc;

	rn->pol = malloc(sizeof(*rn->pol));
	if (!rn->pol)
		return tw_errf(&rn->eb, TW_ENOMEM, "out of memory");
	if (rn->o->policy)
		rc = tw_policy_load(rn->pol, rn->o->policy, &eb);
	else
		rc = tw_policy_default(rn->pol, &eb);
	if (rc == 0)
		policy_warnings(rn->pol);
	if (rc == 0) {
		if (rn->o->key_file)
			rc = tw_key_from_file(&rn->key, rn->o->key_file, &eb);
		else if (getenv(TW_KEY_ENV))
			rc = key_from_env(&rn->key, &eb);
		else
			rc = tw_errf(&eb, TW_EINVAL,
			             "no key: give --key-file FILE or set %s "
			             "(64 or more hex digits)",
			             TW_KEY_ENV);
	}
	if (rc == 0)
		rc = tw_redactor_new(&rn->red, rn->pol, rn->key, &eb);
	if (rc < 0) {
		snprintf(rn->eb.msg, sizeof(rn->eb.msg), "%s", eb.msg);
		return rc;
	}
	tw_key_fingerprint_hex(rn->key, rn->fpr, sizeof(rn->fpr));
	return 0;
}

static enum tw_out_format out_format(const struct run *rn)
{
	const char *f = rn->o->format;

	if (!f || !strcmp(f, "pcapng"))
		return TW_OUT_PCAPNG;
	if (!strcmp(f, "pcap-ns"))
		return TW_OUT_PCAP_NS;
	if (!strcmp(f, "pcap-us"))
		return TW_OUT_PCAP_US;
	return tw_reader_format(rn->rd) == TW_FMT_PCAP_US ? TW_OUT_PCAP_US
	                                                  : TW_OUT_PCAP_NS;
}

/* The file behind a path ("-": behind descriptor fd); false if none. */
static bool file_id(const char *path, int fd, struct stat *st)
{
	return strcmp(path, "-") ? stat(path, st) == 0 : fstat(fd, st) == 0;
}

/* How messages name an output: "(stdout)" for "-". */
static const char *out_name(const char *path)
{
	return strcmp(path, "-") ? path : "(stdout)";
}

/*
 * Refuses an output that is the input under another name (a symbolic
 * or hard link, or standard input redirected from it): opening it for
 * writing would destroy the input before it is read.
 */
static int not_the_input(struct run *rn, const char *out)
{
	struct stat so;

	if (!tw_cli_same_file(rn->o->in, STDIN_FILENO, out, STDOUT_FILENO) ||
	    !file_id(out, STDOUT_FILENO, &so) ||
	    !(S_ISREG(so.st_mode) || S_ISBLK(so.st_mode)))
		return 0;
	return tw_errf(&rn->eb, TW_EINVAL,
	               "%s: is the input %s under another name (a link, "
	               "or standard input): refused, writing it would "
	               "destroy the input",
	               out_name(out),
	               strcmp(rn->o->in, "-") ? rn->o->in : "(stdin)");
}

/*
 * Refuses an output that is the key file or the policy (also through a
 * link): the run would destroy them.  Their "-" is a file of that name,
 * not standard input.
 */
static int not_key_or_policy(struct run *rn, const char *out)
{
	const char *what[2] = { "key file", "policy" };
	const char *path[2] = { rn->o->key_file, rn->o->policy };

	for (int i = 0; i < 2; i++) {
		const char *p =
		        path[i] && !strcmp(path[i], "-") ? "./-" : path[i];

		if (p && tw_cli_same_file(out, STDOUT_FILENO, p, -1))
			return tw_errf(&rn->eb, TW_EINVAL,
			               "%s: is the %s %s (under this or "
			               "another name): refused, writing it "
			               "would destroy the %s",
			               out_name(out), what[i], path[i],
			               what[i]);
	}
	return 0;
}

/*
 * Refuses -w and --l7-out on one file (also /dev/stdout beside "-", or
 * a link): one would overwrite or corrupt the other.  A character
 * device such as /dev/null takes both.
 */
static int outputs_apart(struct run *rn)
{
	const char *w = rn->o->out, *l7 = rn->o->l7_out;
	struct stat st;

	if (!l7 || !tw_cli_same_file(w, STDOUT_FILENO, l7, STDOUT_FILENO) ||
	    (file_id(w, STDOUT_FILENO, &st) && S_ISCHR(st.st_mode)))
		return 0;
	return tw_errf(&rn->eb, TW_EINVAL,
	               "-w %s and --l7-out %s are the same file: refused, "
	               "the two outputs would overwrite each other",
	               out_name(w), out_name(l7));
}

/* Every check of the outputs' names, before any is opened. */
static int check_outputs(struct run *rn)
{
	const char *outs[2] = { rn->o->out, rn->o->l7_out };
	int rc = 0;

	for (int i = 0; i < 2 && rc == 0; i++)
		if (outs[i])
			rc = not_the_input(rn, outs[i]);
	for (int i = 0; i < 2 && rc == 0; i++)
		if (outs[i])
			rc = not_key_or_policy(rn, outs[i]);
	return rc ? rc : outputs_apart(rn);
}

/* The signal that asked the run to stop (SIGINT, SIGTERM, SIGHUP). */
static volatile sig_atomic_t stop_signal;

/* The temporary outputs, for a second signal to remove; written only
 * with the signals blocked. */
static char tmp_names[2][PATH_MAX];

/*
 * The first signal asks the main loop to stop between two packets; it
 * then removes the temporary outputs itself.  A second one means the
 * loop is stuck (a read from a pipe that stalls): the handler removes
 * them (unlink and _exit are async-signal-safe) and ends the process.
 */
static void on_stop_signal(int sig)
{
	static const char msg[] = "tracewarp " VERB ": interrupted again: "
	                          "temporary outputs removed\n";

	if (!stop_signal) {
		stop_signal = sig;
		return;
	}
	for (int i = 0; i < 2; i++)
		if (tmp_names[i][0])
			unlink(tmp_names[i]);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* Nothing more can be said. */
	}
	_exit(128 + sig);
}

static void catch_stop_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Sets (name) or clears (NULL) temporary name i for the handler. */
static void set_tmp_name(int i, const char *name)
{
	sigset_t all, old;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	snprintf(tmp_names[i], sizeof(tmp_names[i]), "%s",
	         name && strlen(name) < sizeof(tmp_names[i]) ? name : "");
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/*
 * Why no temporary file could be made beside OUT, in words: a
 * directory that is missing, read-only or refuses new files (/proc).
 */
static int create_failed(struct run *rn, const struct out_file *of, int e)
{
	char *copy = strdup(of->tmp);
	const char *dir = copy ? dirname(copy) : ".";
	const char *why = strerror(e);
	struct stat st;
	int rc;

	if (e == ENOENT || e == ENOTDIR)
		why = stat(dir, &st) ? "no such directory"
		      : S_ISDIR(st.st_mode)
		              ? "that directory takes no new files"
		              : "not a directory";
	rc = tw_errf(&rn->eb, TW_EIO,
	             "%s: cannot create a file in %s (the output is written "
	             "there under a temporary name, then renamed): %s",
	             of->name, dir, why);
	free(copy);
	return rc;
}

/*
 * Opens of->name's temporary file (of->fd), with the mode OUT has or
 * would get.  Leaves of->tmp NULL for standard output, devices and
 * pipes, which the caller opens directly.
 */
static int open_tmp(struct run *rn, struct out_file *of)
{
	struct stat st;
	bool exists = stat(of->name, &st) == 0;
	mode_t um;
	size_t n;

	if (!strcmp(of->name, "-") || (exists && !S_ISREG(st.st_mode)))
		return 0;
	of->final = exists ? realpath(of->name, NULL) : NULL;
	if (!of->final)
		of->final = strdup(of->name);
	n = of->final ? strlen(of->final) + 16 : 0;
	of->tmp = n ? malloc(n) : NULL;
	if (!of->tmp)
		return tw_errf(&rn->eb, TW_ENOMEM, "out of memory");
	snprintf(of->tmp, n, "%s.tmp.XXXXXX", of->final);
	of->fd = mkstemp(of->tmp);
	if (of->fd >= 0)
		set_tmp_name(of == &rn->out ? 0 : 1, of->tmp);
	if (of->fd < 0) {
		int rc = create_failed(rn, of, errno);

		free(of->tmp);
		of->tmp = NULL;
		return rc;
	}
	um = umask(0);
	umask(um);
	if (fchmod(of->fd, exists ? st.st_mode & 07777 : 0666 & ~um) < 0)
		return tw_errf(&rn->eb, TW_EIO, "%s: %s", of->tmp,
		               strerror(errno));
	return 0;
}

static int open_output(struct run *rn, enum tw_out_format fmt)
{
	int rc = open_tmp(rn, &rn->out);

	if (rc < 0)
		return rc;
	if (!rn->out.tmp)
		return tw_writer_open(&rn->wr, rn->o->out, fmt, rn->eb.msg,
		                      sizeof(rn->eb.msg));
	return tw_writer_open_fd(&rn->wr, rn->out.fd, rn->o->out, fmt,
	                         rn->eb.msg, sizeof(rn->eb.msg));
}

/* The L7 trace's stream; its temporary file's descriptor becomes the
 * stream's (of->fd -1). */
static int open_l7(struct run *rn)
{
	int rc;

	if (!strcmp(rn->o->l7_out, "-")) {
		rn->l7 = stdout;
		return 0;
	}
	rc = open_tmp(rn, &rn->l7o);
	if (rc < 0)
		return rc;
	rn->l7 = rn->l7o.tmp ? fdopen(rn->l7o.fd, "w")
	                     : fopen(rn->o->l7_out, "w");
	if (!rn->l7)
		return tw_errf(&rn->eb, TW_EIO, "%s: cannot open: %s",
		               rn->o->l7_out, strerror(errno));
	rn->l7o.fd = -1;
	return 0;
}

/*
 * The end of an output: its temporary file becomes the output when all
 * went well (rc >= 0), and is removed otherwise.  Returns rc or the
 * failure.
 */
static int finish_tmp(struct run *rn, struct out_file *of, int rc)
{
	if (!of->tmp)
		return rc;
	if (of->fd >= 0 && close(of->fd) < 0 && rc >= 0)
		rc = tw_errf(&rn->eb, TW_EIO, "%s: %s", of->name,
		             strerror(errno));
	of->fd = -1;
	if (rc >= 0 && rename(of->tmp, of->final) < 0)
		rc = tw_errf(&rn->eb, TW_EIO, "%s: cannot rename %s to it: %s",
		             of->name, of->tmp, strerror(errno));
	if (rc < 0)
		unlink(of->tmp);
	set_tmp_name(of == &rn->out ? 0 : 1, NULL);
	free(of->tmp);
	of->tmp = NULL;
	return rc;
}

/* A failed write: the writer's message and the output offset. */
static int write_failed(struct run *rn, int rc)
{
	snprintf(rn->eb.msg, sizeof(rn->eb.msg),
	         "%s (at output byte offset %" PRIu64 ")",
	         tw_writer_errmsg(rn->wr), tw_writer_bytes(rn->wr));
	return rc;
}

/* Removes the temporary files of a run that failed. */
static void drop_outputs(struct run *rn, int rc)
{
	if (rn->wr)
		tw_writer_close(rn->wr, NULL, 0);
	rn->wr = NULL;
	finish_tmp(rn, &rn->out, rc);
	/* The stream stays open: freeing the session may still write. */
	finish_tmp(rn, &rn->l7o, rc);
}

/* Flushes and closes the L7 trace of a run that went well. */
static int close_l7(struct run *rn)
{
	FILE *f = rn->l7;
	const char *why = NULL;
	long long at;

	if (!f)
		return 0;
	at = (long long)ftello(f);
	if (fflush(f) || ferror(f))
		why = strerror(errno);
	if (f != stdout) {
		rn->l7 = NULL;
		if (fclose(f) && !why)
			why = strerror(errno);
	}
	if (!why)
		return 0;
	return tw_errf(&rn->eb, TW_EIO,
	               "%s: write failed (at byte offset %lld): %s",
	               out_name(rn->o->l7_out), at, why);
}

/*
 * Closes both outputs, then renames both temporary files into place, or
 * removes both: a run leaves its outputs complete, or as they were.
 */
static int close_outputs(struct run *rn, int rc)
{
	int wrc;

	if (rc < 0) {
		drop_outputs(rn, rc);
		return rc;
	}
	if ((wrc = tw_writer_flush(rn->wr)) < 0)
		rc = write_failed(rn, wrc);
	wrc = tw_writer_close(rn->wr, rc < 0 ? NULL : rn->eb.msg,
	                      rc < 0 ? 0 : sizeof(rn->eb.msg));
	rn->wr = NULL;
	if (rc >= 0 && wrc < 0)
		rc = wrc;
	if (rc >= 0)
		rc = close_l7(rn);
	if (rc < 0) {
		drop_outputs(rn, rc);
		return rc;
	}
	rc = finish_tmp(rn, &rn->l7o, rc);
	return finish_tmp(rn, &rn->out, rc);
}

static int open_files(struct run *rn)
{
	char comment[512];
	int rc;

	rn->out.name = rn->o->out;
	rn->l7o.name = rn->o->l7_out;
	rc = check_outputs(rn);
	if (rc < 0)
		return rc;
	rc = tw_reader_open(&rn->rd, rn->o->in, rn->eb.msg, sizeof(rn->eb.msg));
	if (rc < 0)
		return rc;
	if (rn->o->l7_out) {
		rc = open_l7(rn);
		if (rc < 0)
			return rc;
	}
	{
		struct tw_session_cfg cfg = {
			.max_held_bytes = rn->o->max_mb << 20,
			.l7 = rn->l7,
		};

		rc = tw_session_new(&rn->ses, rn->red, rn->pol, rn->key, &cfg,
		                    &rn->eb);
		if (rc < 0)
			return rc;
	}
	rc = open_output(rn, out_format(rn));
	if (rc < 0)
		return rc;
	snprintf(comment, sizeof(comment),
	         "tracewarp redact: policy sha256:%s (%s)", rn->pol->hash_hex,
	         rn->pol->name);
	rc = tw_writer_add_comment(rn->wr, comment);
	if (rc == 0) {
		snprintf(comment, sizeof(comment),
		         "tracewarp redact: key fingerprint %s", rn->fpr);
		rc = tw_writer_add_comment(rn->wr, comment);
	}
	if (rc < 0)
		snprintf(rn->eb.msg, sizeof(rn->eb.msg), "%s",
		         tw_writer_errmsg(rn->wr));
	return rc;
}

/* The output interface for input interface i, declared on first use. */
static int out_iface(struct run *rn, uint32_t i, uint32_t *id)
{
	const struct tw_iface *ifc;
	int rc;

	if (i >= rn->iface_cap) {
		uint32_t cap = i + 16;
		uint32_t *m = realloc(rn->iface_map, cap * sizeof(*m));

		if (!m)
			return tw_errf(&rn->eb, TW_ENOMEM, "out of memory");
		memset(m + rn->iface_cap, 0,
		       (cap - rn->iface_cap) * sizeof(*m));
		rn->iface_map = m;
		rn->iface_cap = cap;
	}
	if (rn->iface_map[i]) {
		*id = rn->iface_map[i] - 1;
		return 0;
	}
	ifc = tw_reader_iface(rn->rd, i);
	rc = tw_writer_add_iface(rn->wr, ifc->linktype, ifc->snaplen, id);
	if (rc < 0) {
		snprintf(rn->eb.msg, sizeof(rn->eb.msg), "%s",
		         tw_writer_errmsg(rn->wr));
		return rc;
	}
	rn->iface_map[i] = *id + 1;
	return 0;
}

/* Bytes that differ between a and b (n bytes), plus those cut off. */
static uint64_t count_changed(const uint8_t *a, const uint8_t *b, uint32_t n,
                              uint32_t orig)
{
	const uint64_t lo7 = 0x7f7f7f7f7f7f7f7full;
	uint64_t c = orig - n;
	uint32_t i = 0;

	/* Eight at a time: the high bit of each byte of z is set where
	 * x has a non-zero byte (a classic SWAR test); the multiply adds
	 * those bits up in the top byte. */
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y, z;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		x ^= y;
		z = ((x & lo7) + lo7) | x;
		c += (((z & ~lo7) >> 7) * 0x0101010101010101ull) >> 56;
	}
	for (; i < n; i++)
		c += a[i] != b[i];
	return c;
}

/* Writes the packets the session has made final. */
static int drain(struct run *rn)
{
	struct tw_out out;
	uint32_t id;
	int rc;

	while ((rc = tw_session_pop(rn->ses, &out)) != 0) {
		if (rc < 0)
			return tw_errf(&rn->eb, rc,
			               "%s: offset %" PRIu64 ": out of memory",
			               rn->o->in, out.offset);
		rc = out_iface(rn, out.iface, &id);
		if (rc < 0)
			return rc;
		rn->bytes_changed += count_changed(out.orig, out.data,
		                                   out.caplen, out.origlen);
		rn->bytes_in += out.origlen;
		rn->bytes_out += out.caplen;
		rc = tw_writer_write(rn->wr, id, out.ts_ns, out.data,
		                     out.caplen, out.wirelen);
		if (rc < 0)
			return write_failed(rn, rc);
	}
	return 0;
}

static int redact_one(struct run *rn, const struct tw_packet *pkt)
{
	const struct tw_iface *ifc = tw_reader_iface(rn->rd, pkt->iface);
	uint32_t id;
	int rc;

	if (rn->sum_on)
		tw_summary_add(&rn->sum, pkt, ifc->linktype);
	/* Interfaces are declared in input order, as they are met. */
	rc = out_iface(rn, pkt->iface, &id);
	if (rc < 0)
		return rc;
	rc = tw_session_push(rn->ses, pkt, ifc->linktype);
	if (rc < 0)
		return tw_errf(&rn->eb, rc,
		               "%s: offset %" PRIu64 ": out of memory",
		               rn->o->in, pkt->offset);
	return drain(rn);
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	if (!strcmp(path, "-") || stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	return (uint64_t)st.st_size;
}

/*
 * Redacts packets until the end of the input, a signal or an error.  An
 * input that ends inside a record (a capture cut short) is not an error
 * here: the packets before the cut are complete and are written; the
 * cut is kept in rn->trunc for the warning and the exit status.
 */
static int read_loop(struct run *rn)
{
	struct tw_progress prog;
	struct tw_packet pkt;
	uint64_t n = 0;
	int rc;

	tw_progress_start(&prog, rn->o->in, file_size(rn->o->in));
	while ((rc = stop_signal ? 0 : tw_reader_next(rn->rd, &pkt)) > 0) {
		rc = redact_one(rn, &pkt);
		if (rc < 0)
			break;
		if ((++n & 0xfff) == 0)
			tw_progress_update(&prog, tw_reader_offset(rn->rd), n);
	}
	tw_progress_end(&prog);
	if (rc == TW_ETRUNC && !rn->eb.msg[0]) {
		snprintf(rn->trunc, sizeof(rn->trunc), "%s",
		         tw_reader_errmsg(rn->rd));
		return 0;
	}
	if (rc < 0 && !rn->eb.msg[0])
		snprintf(rn->eb.msg, sizeof(rn->eb.msg), "%s",
		         tw_reader_errmsg(rn->rd));
	return rc;
}

/* The run's end after a signal: nothing is written. */
static int interrupted(struct run *rn)
{
	int sig = stop_signal;

	return tw_errf(&rn->eb, TW_EIO,
	               "interrupted by %s: stopped, temporary outputs "
	               "removed (earlier -w and --l7-out files are as they "
	               "were)",
	               sig == SIGINT    ? "SIGINT"
	               : sig == SIGTERM ? "SIGTERM"
	                                : "SIGHUP");
}

static int redact_all(struct run *rn)
{
	int rc = read_loop(rn);

	if (rc >= 0 && !stop_signal) {
		tw_session_finish(rn->ses);
		rc = drain(rn);
	}
	if (rc >= 0 && stop_signal)
		rc = interrupted(rn);
	return rc;
}

static json_t *json_zeroed(const struct tw_redact_stats *st)
{
	json_t *o = json_object();

	for (int i = 0; i < TW_ZR_COUNT; i++)
		json_object_set_new(
		        o, tw_zero_reason_name((enum tw_zero_reason)i),
		        json_pack("{s:I, s:I}", "packets",
		                  (json_int_t)st->zero_packets[i], "bytes",
		                  (json_int_t)st->zero_bytes[i]));
	return o;
}

/* gzip gRPC messages: redacted, or zeroed and why. */
static json_t *json_gzip(const struct tw_h2_stats *h)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "redacted",
	                 (json_int_t)h->grpc_gzip, "grown",
	                 (json_int_t)h->gzip_grown, "refused",
	                 (json_int_t)h->gzip_refused, "invalid",
	                 (json_int_t)h->gzip_invalid);
}

static json_t *json_streams(const struct tw_session_stats *ss)
{
	const struct tw_h2_stats *h = &ss->h2;
	json_t *o = json_pack(
	        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	        "s:{s:I, s:I, "
	        "s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
	        "tcp_flows", (json_int_t)ss->tcp_flows, "h2_flows",
	        (json_int_t)ss->h2_flows, "h1_flows", (json_int_t)ss->h1_flows,
	        "midstream_flows", (json_int_t)ss->midstream_flows,
	        "other_flows", (json_int_t)ss->other_flows, "gap_flows",
	        (json_int_t)ss->gap_flows, "closed_flows",
	        (json_int_t)ss->closed_flows, "expired_flows",
	        (json_int_t)ss->expired_flows, "failed_flows",
	        (json_int_t)ss->failed_flows, "forced", (json_int_t)ss->forced,
	        "retransmitted_bytes", (json_int_t)ss->retransmitted,
	        "zeroed_stream_bytes", (json_int_t)ss->zeroed_bytes, "http2",
	        "streams", (json_int_t)h->streams, "header_blocks",
	        (json_int_t)h->header_blocks, "headers_rewritten",
	        (json_int_t)h->headers_rewritten, "grpc_messages",
	        (json_int_t)h->grpc_messages, "grpc_compressed_zeroed",
	        (json_int_t)h->grpc_compressed_zeroed, "json_bodies",
	        (json_int_t)h->json_bodies, "bodies_zeroed",
	        (json_int_t)h->bodies_zeroed, "invalid_bodies",
	        (json_int_t)h->invalid_bodies, "exchanges",
	        (json_int_t)h->exchanges, "errors", (json_int_t)h->errors);

	json_object_set_new(json_object_get(o, "http2"), "grpc_gzip",
	                    json_gzip(h));
	json_object_set_new(o, "h2c_upgrades",
	                    json_integer((json_int_t)ss->h2c_upgrades));
	json_object_set_new(o, "untrusted_flows",
	                    json_integer((json_int_t)ss->untrusted_flows));
	json_object_set_new(json_object_get(o, "http2"), "orphan_streams",
	                    json_integer((json_int_t)h->orphans));
	json_object_set_new(o, "limits_exceeded", tw_session_limits_json(ss));
	return o;
}

static json_t *json_summary(const struct run *rn, int rc)
{
	const struct tw_redact_stats *st = tw_redactor_stats(rn->red);
	double secs = (double)(rn->end_ns - rn->start_ns) / 1e9;

	return json_pack(
	        "{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:I, s:I, s:I, s:I, "
	        "s:I, s:b, s:{s:I, s:I, s:I}, s:I, s:I, "
	        "s:{s:I, s:I, s:I}, s:I, s:o, s:o, s:f, s:f}",
	        "input", rn->o->in, "output", rn->o->out, "policy",
	        rn->pol->name, "policy_sha256", rn->pol->hash_hex,
	        "key_fingerprint", rn->fpr, "error", rc < 0 ? rn->eb.msg : NULL,
	        "input_truncated", rn->trunc[0] ? rn->trunc : NULL, "packets",
	        (json_int_t)st->packets, "bytes_in", (json_int_t)rn->bytes_in,
	        "bytes_out", (json_int_t)rn->bytes_out, "bytes_changed",
	        (json_int_t)rn->bytes_changed, "flows",
	        (json_int_t)rn->sum.flows, "flows_capped", rn->sum.flows_capped,
	        "addresses", "ipv4", (json_int_t)st->ipv4_addrs, "ipv6",
	        (json_int_t)st->ipv6_addrs, "mac", (json_int_t)st->macs,
	        "tcp_timestamps", (json_int_t)st->tcp_timestamps,
	        "server_names", (json_int_t)st->sni, "checksums", "rewritten",
	        (json_int_t)st->cksum_fixed, "kept_wrong",
	        (json_int_t)st->cksum_bad_kept, "updated_incrementally",
	        (json_int_t)st->cksum_incremental, "truncated_packets",
	        (json_int_t)st->truncated_packets, "zeroed", json_zeroed(st),
	        "streams", json_streams(tw_session_stats(rn->ses)), "seconds",
	        secs, "mb_per_s",
	        secs > 0 ? (double)rn->bytes_in / secs / 1e6 : 0.0);
}

static void print_streams(const struct tw_session_stats *ss, FILE *f)
{
	const struct tw_h2_stats *h = &ss->h2;

	fprintf(f,
	        "  TCP: %" PRIu64 " connections followed, %" PRIu64
	        " HTTP/2, %" PRIu64 " HTTP/1.1 (%" PRIu64
	        " upgraded to h2c); zeroed: %" PRIu64 " not HTTP, %" PRIu64
	        " started mid-connection, %" PRIu64 " with a gap, %" PRIu64
	        " malformed, %" PRIu64 " with a bad IPv4 checksum, %" PRIu64
	        " over memory (%" PRIu64 " stream bytes); %" PRIu64
	        " ended (%" PRIu64 " idle)\n",
	        ss->tcp_flows, ss->h2_flows, ss->h1_flows, ss->h2c_upgrades,
	        ss->other_flows, ss->midstream_flows, ss->gap_flows,
	        ss->failed_flows, ss->untrusted_flows, ss->forced,
	        ss->zeroed_bytes, ss->closed_flows, ss->expired_flows);
	fprintf(f,
	        "  HTTP/2: %" PRIu64 " streams, %" PRIu64
	        " header blocks (%" PRIu64 " values rewritten), %" PRIu64
	        " gRPC messages (%" PRIu64
	        " other compression, zeroed), %" PRIu64 " JSON bodies, %" PRIu64
	        " bodies zeroed, %" PRIu64 " invalid, %" PRIu64
	        " without request headers (not in the L7 trace)\n",
	        h->streams, h->header_blocks, h->headers_rewritten,
	        h->grpc_messages, h->grpc_compressed_zeroed, h->json_bodies,
	        h->bodies_zeroed, h->invalid_bodies, h->orphans);
	fprintf(f,
	        "  gRPC gzip: %" PRIu64 " messages redacted; zeroed: %" PRIu64
	        " grew when recompressed, %" PRIu64
	        " over the size limit, %" PRIu64 " truncated or invalid\n",
	        h->grpc_gzip, h->gzip_grown, h->gzip_refused, h->gzip_invalid);
	tw_session_print_limits(ss, f, "  ");
}

static void print_summary(const struct run *rn, FILE *f)
{
	const struct tw_redact_stats *st = tw_redactor_stats(rn->red);
	double secs = (double)(rn->end_ns - rn->start_ns) / 1e9;

	fprintf(f,
	        "redacted %" PRIu64 " packets, %s%" PRIu64 " flows, %" PRIu64
	        " of %" PRIu64 " bytes changed (%.2f s, %.0f MB/s)\n",
	        st->packets, rn->sum.flows_capped ? "at least " : "",
	        rn->sum.flows, rn->bytes_changed, rn->bytes_in, secs,
	        secs > 0 ? (double)rn->bytes_in / secs / 1e6 : 0.0);
	fprintf(f,
	        "  addresses: %" PRIu64 " IPv4, %" PRIu64 " IPv6, %" PRIu64
	        " MAC; %" PRIu64 " TCP timestamps, %" PRIu64
	        " TLS server names\n",
	        st->ipv4_addrs, st->ipv6_addrs, st->macs, st->tcp_timestamps,
	        st->sni);
	fprintf(f,
	        "  checksums: %" PRIu64 " rewritten, %" PRIu64
	        " kept wrong as in the input, %" PRIu64 " updated (cut)\n",
	        st->cksum_fixed, st->cksum_bad_kept, st->cksum_incremental);
	for (int i = 0; i < TW_ZR_COUNT; i++)
		if (st->zero_packets[i])
			fprintf(f,
			        "  zeroed (%s): %" PRIu64 " packets, %" PRIu64
			        " bytes\n",
			        tw_zero_reason_name((enum tw_zero_reason)i),
			        st->zero_packets[i], st->zero_bytes[i]);
	if (st->truncated_packets)
		fprintf(f, "  truncated: %" PRIu64 " packets\n",
		        st->truncated_packets);
	print_streams(tw_session_stats(rn->ses), f);
	fprintf(f, "  policy %s (sha256 %.16s...), key %s\n", rn->pol->name,
	        rn->pol->hash_hex, rn->fpr);
}

/*
 * The summary.  JSON goes straight to its descriptor, so that a write
 * that fails (a full disk) is seen here, named, and fails the run with
 * status 1 like any other output.  Returns rc or that failure.
 */
static int report(struct run *rn, int rc)
{
	bool busy = !strcmp(rn->o->out, "-") ||
	            (rn->o->l7_out && !strcmp(rn->o->l7_out, "-"));
	int fd = busy ? STDERR_FILENO : STDOUT_FILENO;
	json_t *j;
	int bad;

	if (!rn->o->json) {
		if (!rn->o->quiet && rc >= 0)
			print_summary(rn, stderr);
		return rc;
	}
	fflush(stdout);
	j = json_summary(rn, rc);
	bad = !j || json_dumpfd(j, fd, JSON_INDENT(2)) < 0 ||
	      write(fd, "\n", 1) != 1;
	json_decref(j);
	if (!bad)
		return rc;
	tw_cli_error(VERB, "%s: writing the JSON summary failed: %s",
	             fd == STDOUT_FILENO ? "(stdout)" : "(stderr)",
	             j ? strerror(errno) : "out of memory");
	return rc < 0 ? rc : TW_EIO;
}

static void run_free(struct run *rn)
{
	tw_reader_close(rn->rd);
	tw_session_free(rn->ses);
	if (rn->l7 && rn->l7 != stdout)
		fclose(rn->l7);
	tw_redactor_free(rn->red);
	tw_key_free(rn->key);
	free(rn->pol);
	if (rn->sum_on)
		tw_summary_free(&rn->sum);
	free(rn->iface_map);
	free(rn->out.final);
	free(rn->l7o.final);
}

/* After a run whose input was cut short: the warning, and status 1. */
static int truncated_input(const struct run *rn)
{
	fprintf(stderr,
	        "tracewarp %s: warning: %s; %s holds the %" PRIu64
	        " complete packets before it\n",
	        VERB, rn->trunc, out_name(rn->o->out),
	        tw_redactor_stats(rn->red)->packets);
	return TW_EXIT_USER;
}

/* The exit status: 128 + the signal that stopped the run, or rc's. */
static int exit_status(const struct run *rn, int rc)
{
	if (stop_signal)
		return 128 + stop_signal;
	if (rc < 0)
		return tw_cli_exit_code(rc);
	return rn->trunc[0] ? truncated_input(rn) : TW_EXIT_OK;
}

static int setup(struct run *rn)
{
	int rc = load_policy_and_key(rn);

	if (rc == 0) {
		catch_stop_signals();
		rc = open_files(rn);
	}
	if (rc == 0) {
		rc = tw_summary_init(&rn->sum, 0);
		rn->sum_on = rc == 0;
		if (rc < 0)
			tw_errf(&rn->eb, rc, "out of memory");
	}
	return rc;
}

int tw_cmd_redact(int argc, char **argv)
{
	struct redact_opts o;
	struct run rn = { .o = &o, .out = { .fd = -1 }, .l7o = { .fd = -1 } };
	int rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc;
	if (o.check_policy)
		return check_policy(o.check_policy);
	rc = setup(&rn);
	if (rc < 0) {
		tw_cli_error(VERB, "%s", rn.eb.msg);
		drop_outputs(&rn, rc);
		run_free(&rn);
		return stop_signal ? 128 + stop_signal : tw_cli_exit_code(rc);
	}
	rn.start_ns = tw_cli_now_ns();
	rc = redact_all(&rn);
	rc = close_outputs(&rn, rc);
	rn.end_ns = tw_cli_now_ns();
	if (rc < 0)
		tw_cli_error(VERB, "%s", rn.eb.msg);
	rc = report(&rn, rc);
	rc = exit_status(&rn, rc);
	run_free(&rn);
	return rc;
}
