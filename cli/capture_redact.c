/*
 * capture_redact.c - `tracewarp capture --redact POLICY`: policy, key,
 * the redaction session between the interfaces and the output, its
 * L7 trace and its summary.
 */
#include "cli/capture_redact.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define VERB "capture"

void tw_capture_redact_usage(FILE *out)
{
	fprintf(out,
	        "Redaction (nothing raw is written):\n"
	        "      --redact POLICY    redact every packet before it is\n"
	        "                         written, under POLICY (YAML, see\n"
	        "                         config/POLICY.md; 'default': the\n"
	        "                         built-in strict policy)\n"
	        "      --key-file FILE    the redaction key: 64+ hex digits\n"
	        "                         or 32+ raw bytes, mode 600;\n"
	        "                         otherwise the %s variable\n"
	        "      --l7-out FILE      also write the HTTP/2 and gRPC\n"
	        "                         exchanges, redacted, as JSON Lines\n"
	        "                         (schema: redact/L7TRACE.md)\n"
	        "      --redact-memory MB packets held for reassembly, at\n"
	        "                         most (default 256); past it a\n"
	        "                         connection is zeroed\n",
	        TW_KEY_ENV);
}

int tw_capture_redact_opt(struct tw_capture_redact *r, int opt, const char *arg)
{
	char *end;
	long v;

	switch (opt) {
	case TW_CAPOPT_REDACT:
		r->policy = arg;
		return 0;
	case TW_CAPOPT_KEY_FILE:
		r->key_file = arg;
		return 0;
	case TW_CAPOPT_L7_OUT:
		r->l7_out = arg;
		return 0;
	case TW_CAPOPT_REDACT_MEMORY:
		v = strtol(arg, &end, 10);
		if (end == arg || *end || v < 1 || v > 1048576)
			return tw_cli_usage_error(
			        VERB,
			        "--redact-memory: '%s' is not "
			        "a number of MB from 1 to "
			        "1048576",
			        arg);
		r->max_mb = (size_t)v;
		return 0;
	}
	return tw_cli_usage_error(VERB, "unknown option");
}

static bool is_stdout(const char *path)
{
	return path && !strcmp(path, "-");
}

int tw_capture_redact_check(const struct tw_capture_redact *r, const char *out,
                            const char *json)
{
	if (!r->policy && (r->key_file || r->l7_out || r->max_mb))
		return tw_cli_usage_error(VERB, "--key-file, --l7-out and "
		                                "--redact-memory need "
		                                "--redact POLICY");
	if (is_stdout(r->l7_out) && (is_stdout(out) || is_stdout(json)))
		return tw_cli_usage_error(VERB, "--l7-out - and -w - or "
		                                "--json - both want standard "
		                                "output");
	return 0;
}

/* The key from the environment; the variable's text is then wiped where
 * it lies (also out of /proc/PID/environ) and unset. */
static int key_from_env(struct tw_key **key, struct tw_errbuf *eb)
{
	int rc = tw_key_from_env(key, TW_KEY_ENV, eb);
	char *s = getenv(TW_KEY_ENV);

	if (s)
		OPENSSL_cleanse(s, strlen(s));
	unsetenv(TW_KEY_ENV);
	return rc;
}

static int load_key(struct tw_capture_redact *r, struct tw_errbuf *eb)
{
	if (r->key_file)
		return tw_key_from_file(&r->key, r->key_file, eb);
	if (getenv(TW_KEY_ENV))
		return key_from_env(&r->key, eb);
	return tw_errf(eb, TW_EINVAL,
	               "--redact: no key: give --key-file FILE or set %s "
	               "(64 or more hex digits)",
	               TW_KEY_ENV);
}

static int load_policy(struct tw_capture_redact *r, struct tw_errbuf *eb)
{
	r->pol = malloc(sizeof(*r->pol));
	if (!r->pol)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	if (!strcmp(r->policy, "default"))
		return tw_policy_default(r->pol, eb);
	return tw_policy_load(r->pol, r->policy, eb);
}

static int open_l7(struct tw_capture_redact *r, struct tw_errbuf *eb)
{
	if (!r->l7_out)
		return 0;
	r->l7 = is_stdout(r->l7_out) ? stdout : fopen(r->l7_out, "w");
	if (!r->l7)
		return tw_errf(eb, TW_EIO, "%s: cannot open: %s", r->l7_out,
		               strerror(errno));
	return 0;
}

/* What every file's section header says of its redaction. */
static void set_comments(struct tw_capture_redact *r)
{
	tw_key_fingerprint_hex(r->key, r->fpr, sizeof(r->fpr));
	snprintf(r->comment[0], sizeof(r->comment[0]),
	         "tracewarp capture --redact: policy sha256:%s (%s)",
	         r->pol->hash_hex, r->pol->name);
	snprintf(r->comment[1], sizeof(r->comment[1]),
	         "tracewarp capture --redact: key fingerprint %s", r->fpr);
	r->comments[0] = r->comment[0];
	r->comments[1] = r->comment[1];
	r->comments[2] = NULL;
}

int tw_capture_redact_open(struct tw_capture_redact *r, struct tw_errbuf *eb)
{
	struct tw_session_cfg cfg = { .max_held_bytes = r->max_mb << 20 };
	int rc = load_policy(r, eb);

	if (rc == 0)
		rc = load_key(r, eb);
	if (rc == 0)
		rc = tw_redactor_new(&r->red, r->pol, r->key, eb);
	if (rc == 0)
		rc = open_l7(r, eb);
	if (rc < 0)
		return rc;
	cfg.l7 = r->l7;
	set_comments(r);
	return tw_session_new(&r->ses, r->red, r->pol, r->key, &cfg, eb);
}

static uint64_t zeroed_packets(const struct tw_redact_stats *st)
{
	uint64_t n = 0;

	for (int i = 0; i < TW_ZR_COUNT; i++)
		n += st->zero_packets[i];
	return n;
}

void tw_capture_redact_print(const struct tw_capture_redact *r, FILE *f)
{
	const struct tw_redact_stats *st = tw_redactor_stats(r->red);
	const struct tw_session_stats *ss = tw_session_stats(r->ses);

	fprintf(f,
	        "Redacted:        %" PRIu64 " packets (%" PRIu64
	        " with payload zeroed), %" PRIu64 " IPv4 and %" PRIu64
	        " IPv6 addresses\n",
	        st->packets, zeroed_packets(st), st->ipv4_addrs,
	        st->ipv6_addrs);
	fprintf(f,
	        "  TCP:           %" PRIu64 " connections followed, %" PRIu64
	        " HTTP/2, %" PRIu64 " HTTP/1.1, %" PRIu64
	        " zeroed (not HTTP, mid-connection, gap, malformed, bad "
	        "checksum)\n",
	        ss->tcp_flows, ss->h2_flows, ss->h1_flows,
	        ss->other_flows + ss->midstream_flows + ss->gap_flows +
	                ss->failed_flows + ss->untrusted_flows);
	fprintf(f,
	        "  HTTP/2:        %" PRIu64 " streams, %" PRIu64
	        " values rewritten, %" PRIu64 " gRPC messages, %" PRIu64
	        " exchanges%s%s\n",
	        ss->h2.streams, ss->h2.headers_rewritten, ss->h2.grpc_messages,
	        ss->h2.exchanges, r->l7_out ? " to " : "",
	        r->l7_out ? r->l7_out : "");
	tw_session_print_limits(ss, f, "  ");
	fprintf(f, "  policy:        %s (sha256 %.16s...), key %s\n",
	        r->pol->name, r->pol->hash_hex, r->fpr);
}

json_t *tw_capture_redact_json(const struct tw_capture_redact *r)
{
	const struct tw_redact_stats *st = tw_redactor_stats(r->red);
	const struct tw_session_stats *ss = tw_session_stats(r->ses);

	return json_pack(
	        "{s:s, s:s, s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	        "s:I, s:I, s:I, s:o}",
	        "policy", r->pol->name, "policy_sha256", r->pol->hash_hex,
	        "key_fingerprint", r->fpr, "l7_out", r->l7_out, "packets",
	        (json_int_t)st->packets, "zeroed_packets",
	        (json_int_t)zeroed_packets(st), "tcp_flows",
	        (json_int_t)ss->tcp_flows, "h2_flows", (json_int_t)ss->h2_flows,
	        "h1_flows", (json_int_t)ss->h1_flows, "zeroed_flows",
	        (json_int_t)(ss->other_flows + ss->midstream_flows +
	                     ss->gap_flows + ss->failed_flows +
	                     ss->untrusted_flows),
	        "h2_streams", (json_int_t)ss->h2.streams, "headers_rewritten",
	        (json_int_t)ss->h2.headers_rewritten, "grpc_messages",
	        (json_int_t)ss->h2.grpc_messages, "exchanges",
	        (json_int_t)ss->h2.exchanges, "limits_exceeded",
	        tw_session_limits_json(ss));
}

int tw_capture_redact_close(struct tw_capture_redact *r, struct tw_errbuf *eb)
{
	int rc = 0;

	/* The session writes its last exchanges to the L7 trace when
	 * freed or finished; flush after it. */
	tw_session_free(r->ses);
	if (r->l7 && (fflush(r->l7) || ferror(r->l7)))
		rc = tw_errf(eb, TW_EIO, "%s: write failed", r->l7_out);
	if (r->l7 && r->l7 != stdout && fclose(r->l7) && rc == 0)
		rc = tw_errf(eb, TW_EIO, "%s: write failed", r->l7_out);
	tw_redactor_free(r->red);
	tw_key_free(r->key);
	free(r->pol);
	memset(r, 0, sizeof(*r));
	return rc;
}
