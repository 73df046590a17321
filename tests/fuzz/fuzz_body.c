/*
 * fuzz_body.c - libFuzzer harness for the body redactors: the protobuf
 * walker and the JSON redactor.  Byte 0 picks one (bit 0) and the
 * nesting limit (the other bits); the rest is the body.  What a
 * redactor accepts must still be accepted after redaction (a redacted
 * message is a valid message of the same length), and what it refuses
 * (invalid, or nested too deep) must be left untouched.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact/body.h"
#include "redact/pseudo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t vkey[TW_KEY_SUB_BYTES] = { 7, 7, 7 };
	uint8_t *b;
	unsigned depth;
	int rc;

	if (size < 1 || tw_huff_init() < 0)
		return 0;
	b = malloc(size);
	if (!b)
		return 0;
	memcpy(b, data + 1, size - 1);
	depth = 1 + (data[0] >> 1) % 40;
	if (data[0] & 1) {
		rc = tw_pb_redact_max(vkey, b, size - 1, depth);
		if (rc < 0 && memcmp(b, data + 1, size - 1))
			__builtin_trap();
		/* Still protobuf; bytes pseudonymized may now look nested,
		 * so a second walk may meet the depth limit. */
		if (rc == 0 && tw_pb_redact_max(vkey, b, size - 1, depth) == -1)
			__builtin_trap();
	} else {
		rc = tw_json_redact_max(vkey, b, size - 1, depth);
		if (rc < 0 && memcmp(b, data + 1, size - 1))
			__builtin_trap();
		if (rc == 0) {
			json_error_t err;
			json_t *j = json_loadb((const char *)b, size - 1,
			                       JSON_DECODE_ANY, &err);

			if (!j)
				__builtin_trap();
			json_decref(j);
		}
	}
	free(b);
	return 0;
}
