/*
 * fuzz_l7trace.c - libFuzzer harness for the L7 trace reader
 * (replay/l7_trace.c): the JSON Lines `redact --l7-out` writes and
 * `replay --l7` reads.
 *
 * The input is a whole trace, cut into lines as tw_l7_trace_load cuts
 * them.  Every exchange kept must have what the replayer dereferences
 * (method, path, its connection's key), and every line must be either
 * kept, ignored as blank, or refused with a message naming the file.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "replay/l7.h"
#include "trace/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct tw_l7_trace *t)
{
	volatile size_t sink = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct tw_l7_exchange *e = &t->ex[i];

		if (!e->method || !e->path || e->conn >= t->nconns ||
		    !t->conn_keys[e->conn])
			__builtin_trap();
		if (i && e->start_ns < t->ex[i - 1].start_ns)
			__builtin_trap();
		for (size_t h = 0; h < e->nhdrs; h++)
			sink += strlen(e->hdrs[h].name) + e->hdrs[h].value_len;
		/* body_have bytes are held, the rest are zeros. */
		if (e->body_have > e->body_len || (e->body_have && !e->body))
			__builtin_trap();
		for (size_t b = 0; b < e->body_have; b++)
			sink += e->body[b];
	}
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tw_l7_trace t;
	size_t off = 0;

	tw_log_threshold = TW_LOG_ERROR;
	memset(&t, 0, sizeof(t));
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - data - off) + 1 : size - off;
		struct tw_errbuf eb = { 0 };
		int rc;

		t.lines++;
		rc = tw_l7_trace_add_line(&t, "fuzz", t.lines,
		                          (const char *)data + off, len, &eb);
		if (rc == TW_ENOMEM)
			break;
		if (rc < 0 && strncmp(eb.msg, "fuzz", 4))
			__builtin_trap();
		off += len;
	}
	tw_l7_trace_sort(&t);
	check(&t);
	tw_l7_trace_free(&t);
	return 0;
}
