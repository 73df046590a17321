/*
 * fuzz_h2.c - libFuzzer harness for the stream redactor: TCP reassembly,
 * HTTP/2 frames, HPACK blocks and bodies, on a synthetic connection.
 *
 * Input: byte 0 picks the segment size (its top bit: no HTTP/2
 * connection preface, so HTTP/1.1 or nothing known), byte 1 where the
 * input splits between the client's bytes and the server's; the rest
 * is the two byte streams.  They are sent as raw IPv4
 * TCP segments after a handshake, alternating sides, through a session
 * with an L7 trace.  Every packet must come out, in order, with its
 * length kept.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redact/session.h"
#include "trace/bytes.h"
#include "trace/log.h"
#include "trace/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tw_key *key;
static struct tw_policy pol;
static FILE *devnull;

static uint32_t seg(uint8_t *b, int d, uint32_t seq, uint32_t ack,
                    uint8_t flags, const uint8_t *p, uint32_t n)
{
	memset(b, 0, 40);
	b[0] = 0x45;
	tw_put_be16(b + 2, (uint16_t)(40 + n));
	b[8] = 64;
	b[9] = 6;
	b[12] = 198;
	b[13] = 18;
	b[15] = d ? 2 : 1;
	b[16] = 198;
	b[17] = 18;
	b[19] = d ? 1 : 2;
	tw_put_be16(b + 20, d ? 8080 : 40000);
	tw_put_be16(b + 22, d ? 40000 : 8080);
	tw_put_be32(b + 24, seq);
	tw_put_be32(b + 28, ack);
	b[32] = 0x50;
	b[33] = flags;
	if (n)
		memcpy(b + 40, p, n);
	return 40 + n;
}

static void drain(struct tw_session *s, uint64_t *out, const uint32_t *lens)
{
	struct tw_out o;

	while (tw_session_pop(s, &o) == 1) {
		if (o.caplen != lens[*out])
			__builtin_trap();
		(*out)++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t lens[70000];
	struct tw_redactor *r;
	struct tw_session *s;
	struct tw_errbuf eb;
	struct tw_session_cfg cfg = { .max_dir_bytes = 1 << 20 };
	uint8_t pkt[2048], *cli;
	uint32_t seq[2] = { 100, 900000 }, mss;
	size_t split, off[2] = { 0, 0 }, len[2];
	const uint8_t *src[2];
	uint64_t in = 0, out = 0;
	size_t pre;

	if (!key) {
		uint8_t raw[32] = { 1, 2, 3 };

		tw_log_threshold = TW_LOG_ERROR;
		if (tw_key_from_bytes(&key, raw, 32, &eb) < 0 ||
		    tw_policy_default(&pol, &eb) < 0)
			__builtin_trap();
		devnull = fopen("/dev/null", "w");
	}
	if (size < 2)
		return 0;
	mss = 1 + (data[0] & 0x7f) % 64 * 23;
	split = 2 + (size - 2) * data[1] / 255;
	cli = malloc(24 + split - 2);
	if (!cli)
		return 0;
	pre = data[0] & 0x80 ? 0 : 24;
	memcpy(cli, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", pre);
	memcpy(cli + pre, data + 2, split - 2);
	src[0] = cli;
	len[0] = pre + split - 2;
	src[1] = data + split;
	len[1] = size - split;
	cfg.l7 = devnull;
	if (tw_redactor_new(&r, &pol, key, &eb) < 0 ||
	    tw_session_new(&s, r, &pol, key, &cfg, &eb) < 0)
		__builtin_trap();
	for (int i = 0; i < 3; i++) {
		int d = i == 1;
		struct tw_packet p = { .data = pkt };

		p.caplen = p.wirelen = seg(pkt, d, seq[d], seq[!d] + 1,
		                           i == 0   ? 2
		                           : i == 1 ? 0x12
		                                    : 0x10,
		                           NULL, 0);
		lens[in++] = p.caplen;
		tw_session_push(s, &p, TW_LINK_RAW);
		drain(s, &out, lens);
	}
	seq[0]++;
	seq[1]++;
	while ((off[0] < len[0] || off[1] < len[1]) && in < 69000) {
		for (int d = 0; d < 2; d++) {
			size_t n = len[d] - off[d];
			struct tw_packet p = { .data = pkt };

			if (!n)
				continue;
			if (n > mss)
				n = mss;
			p.caplen = p.wirelen =
			        seg(pkt, d, seq[d], seq[!d], 0x18,
			            src[d] + off[d], (uint32_t)n);
			seq[d] += (uint32_t)n;
			off[d] += n;
			lens[in++] = p.caplen;
			tw_session_push(s, &p, TW_LINK_RAW);
			drain(s, &out, lens);
		}
	}
	tw_session_finish(s);
	drain(s, &out, lens);
	if (out != in)
		__builtin_trap();
	tw_session_free(s);
	tw_redactor_free(r);
	free(cli);
	return 0;
}
