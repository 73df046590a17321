/*
 * fuzz_reader.c - libFuzzer harness for the pcap/pcapng reader.
 *
 * The input is a whole file.  Every packet the reader hands out is touched
 * from its first to its last byte, so ASan sees any pointer or length
 * that strays outside the buffer; the interface table is read for every
 * packet, as callers do.
 */
#include <stddef.h>
#include <stdint.h>

#include "trace/log.h"
#include "trace/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t touch(const struct tw_packet *pkt)
{
	uint8_t sum = 0;

	for (uint32_t i = 0; i < pkt->caplen; i++)
		sum ^= pkt->data[i];
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tw_reader *r;
	struct tw_packet pkt;
	volatile uint8_t sink = 0;
	int rc;

	tw_log_threshold = TW_LOG_ERROR;
	if (tw_reader_open_mem(&r, data, size, "fuzz", NULL, 0) < 0)
		return 0;
	while ((rc = tw_reader_next(r, &pkt)) > 0) {
		const struct tw_iface *ifc = tw_reader_iface(r, pkt.iface);

		sink ^= touch(&pkt) ^ (uint8_t)ifc->linktype;
	}
	/* After an error the reader must keep saying so. */
	if (rc < 0 && tw_reader_next(r, &pkt) != rc)
		__builtin_trap();
	tw_reader_close(r);
	(void)sink;
	return 0;
}
