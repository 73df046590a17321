/*
 * fuzz_policy.c - libFuzzer harness for the YAML documents tracewarp
 * reads: the redaction policy (redact/policy.c) and the generator
 * profile (tools/generate/profile.c), both on trace/yamldoc.c.
 *
 * Byte 0 picks the parser (bit 0), the rest is the document.  A
 * refusal must come with a message that names the document, as users
 * see it on the command line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact/policy.h"
#include "tools/generate/gen.h"
#include "trace/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_msg(int rc, const struct tw_errbuf *eb)
{
	if (rc < 0 && strncmp(eb->msg, "fuzz", 4))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tw_errbuf eb = { 0 };
	int rc;

	if (size < 1)
		return 0;
	tw_log_threshold = TW_LOG_ERROR;
	if (data[0] & 1) {
		struct tw_gen_profile *p = NULL;

		rc = tw_gen_profile_parse(&p, "fuzz", (const char *)data + 1,
		                          size - 1, &eb);
		if ((rc == 0) != (p != NULL))
			__builtin_trap();
		tw_gen_profile_free(p);
	} else {
		/* struct tw_policy is large (fixed tables): not on the
		 * stack of a fuzzer thread. */
		struct tw_policy *pol = malloc(sizeof(*pol));

		if (!pol)
			return 0;
		rc = tw_policy_parse(pol, "fuzz", data + 1, size - 1, &eb);
		free(pol);
	}
	check_msg(rc, &eb);
	return 0;
}
