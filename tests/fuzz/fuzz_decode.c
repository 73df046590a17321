/*
 * fuzz_decode.c - libFuzzer harness for the packet decoder, flow keys and
 * the summary that `info` builds on them.
 *
 * The first input byte picks a link type, the rest is the captured frame,
 * copied to a buffer of exactly its length so that ASan catches any read
 * past the capture.  Every offset the decoder reports must lie inside it.
 */
#include <stdlib.h>
#include <string.h>

#include "trace/decode.h"
#include "trace/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t linktypes[] = { 1, 0, 101, 108, 113, 228, 229, 276 };

static void check_offsets(const struct tw_decoded *d, size_t len)
{
	if (d->ip.version && d->ip.l3_off > len)
		__builtin_trap();
	if (d->payload_off > len && d->payload_caplen)
		__builtin_trap();
	if ((size_t)d->payload_off + d->payload_caplen > len)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tw_decoded d;
	struct tw_flow_key key;
	uint8_t *pkt;
	size_t len;
	int dir;

	if (size < 1)
		return 0;
	len = size - 1;
	pkt = malloc(len ? len : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, data + 1, len);

	tw_decode(pkt, (uint32_t)len,
	          linktypes[data[0] % (sizeof(linktypes) / sizeof(*linktypes))],
	          &d);
	check_offsets(&d, len);
	if (tw_flow_key_of(pkt, &d, &key, &dir))
		(void)tw_flow_hash(&key, 1);
	(void)tw_decoded_ip(&d);
	free(pkt);
	return 0;
}
