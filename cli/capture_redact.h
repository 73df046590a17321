/*
 * capture_redact.h - `tracewarp capture --redact POLICY`: the capture
 * redacted in-process, so raw payload never touches the disk.
 *
 * The front end of capture keeps one struct tw_capture_redact, hands it
 * the options below, opens it before the capture starts (policy, key,
 * the redaction session, the L7 trace) and attaches its session to the
 * capture (tw_capture_redact_with()).  One session spans every rotated
 * file, so a connection cut by a rotation is still followed.
 */
#ifndef TW_CLI_CAPTURE_REDACT_H
#define TW_CLI_CAPTURE_REDACT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "redact/key.h"
#include "redact/policy.h"
#include "redact/redact.h"
#include "redact/session.h"
#include "trace/error.h"

/* The getopt values of the options; above any short option. */
enum {
	TW_CAPOPT_REDACT = 512,
	TW_CAPOPT_KEY_FILE,
	TW_CAPOPT_L7_OUT,
	TW_CAPOPT_REDACT_MEMORY,
};

/* The --help lines of these options. */
void tw_capture_redact_usage(FILE *out);

struct tw_capture_redact {
	const char *policy; /* --redact; NULL: no redaction */
	const char *key_file;
	const char *l7_out;
	size_t max_mb;

	struct tw_policy *pol;
	struct tw_key *key;
	struct tw_redactor *red;
	struct tw_session *ses;
	FILE *l7;
	char fpr[2 * TW_KEY_FPR_BYTES + 1];
	char comment[2][512];
	const char *comments[3]; /* for tw_capout_opts.comments */
};

/* Takes option opt (one of TW_CAPOPT_*).  Returns 0 or the usage
 * error's exit status. */
int tw_capture_redact_opt(struct tw_capture_redact *r, int opt,
                          const char *arg);

/* Options that need --redact, and standard outputs claimed twice.
 * Returns 0 or the usage error's exit status. */
int tw_capture_redact_check(const struct tw_capture_redact *r, const char *out,
                            const char *json);

/* Loads the policy and key, opens the L7 trace, creates the session.
 * Returns 0 or an error with the message in eb. */
int tw_capture_redact_open(struct tw_capture_redact *r, struct tw_errbuf *eb);

/* The redaction summary, to f. */
void tw_capture_redact_print(const struct tw_capture_redact *r, FILE *f);

/* The redaction summary as a JSON object (new reference). */
json_t *tw_capture_redact_json(const struct tw_capture_redact *r);

/* Flushes the L7 trace and frees everything.  Returns 0 or TW_EIO (a
 * write of the L7 trace failed: message in eb). */
int tw_capture_redact_close(struct tw_capture_redact *r, struct tw_errbuf *eb);

#endif
