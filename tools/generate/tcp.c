/*
 * tcp.c - consistent TCP conversations (RFC 9293), one burst at a time.
 *
 * A burst is at most BURST_BYTES (well under the 65535-byte window, as
 * window scaling is not negotiated), so the sender never fills the
 * receiver's window.  The capture point sits next to the client: data
 * the client sends is seen when it leaves and the server's ACK one RTT
 * later; data the server sends is seen when it arrives and the client's
 * ACK shortly after.  The packets of a burst are first laid out as
 * events, sorted by time (stably), then built.
 */
#include "tools/generate/tcp.h"

#include <string.h>

#include "trace/error.h"

#define WINDOW 65535
#define BURST_SEGS 24
#define BURST_BYTES 32768
#define RETRANS_DELAY 20000 /* ns after the dup ACKs that trigger it */

struct event {
	int64_t t;
	int dir;      /* who sends this packet */
	int seg;      /* data segment index, -1 for a pure ACK */
	uint32_t ack; /* for pure ACKs */
};

struct burst {
	size_t nseg;
	uint32_t seq[BURST_SEGS];
	size_t off[BURST_SEGS], len[BURST_SEGS];
	struct event ev[3 * BURST_SEGS + 4];
	size_t nev;
};

static int emit(struct tw_gen_conn *c, int64_t t, int dir, uint8_t flags,
                uint32_t seq, const uint8_t *data, size_t len)
{
	/* MSS, then SACK permitted (RFC 2018) padded with two NOPs. */
	uint8_t syn_opts[8] = { 2, 4, 0, 0, 1, 1, 4, 2 };
	struct tw_gen_tcphdr th = {
		.seq = seq,
		.ack = flags & TW_TCP_ACK ? c->next_seq[!dir] : 0,
		.flags = flags,
		.win = WINDOW,
	};

	c->t = t;
	if (!(flags & TW_TCP_SYN))
		return tw_gen_tmpl_tcp(&c->tmpl[dir], c->q, t, c->ipid[dir]++,
		                       &th, data, len);
	syn_opts[2] = (uint8_t)(c->net->mss >> 8);
	syn_opts[3] = (uint8_t)c->net->mss;
	th.opts = syn_opts;
	th.optlen = sizeof(syn_opts);
	return tw_gen_build_tcp(c->b, c->q, t, &c->ep[dir], &c->ep[!dir],
	                        c->ipid[dir]++, &th, data, len);
}

int tw_gen_tcp_open(struct tw_gen_conn *c, const struct tw_gen_ep *cli,
                    const struct tw_gen_ep *srv, int64_t t_ns)
{
	int64_t half = c->net->rtt_ns;
	int rc;

	c->ep[TW_C2S] = *cli;
	c->ep[TW_S2C] = *srv;
	c->next_seq[0] = (uint32_t)tw_gen_rng_next(c->rng);
	c->next_seq[1] = (uint32_t)tw_gen_rng_next(c->rng);
	c->ipid[0] = (uint16_t)tw_gen_rng_next(c->rng);
	c->ipid[1] = (uint16_t)tw_gen_rng_next(c->rng);
	c->retrans = 0;
	rc = tw_gen_tmpl_init(c->b, &c->tmpl[0], 6, cli, srv);
	if (!rc)
		rc = tw_gen_tmpl_init(c->b, &c->tmpl[1], 6, srv, cli);
	if (!rc)
		rc = emit(c, t_ns, TW_C2S, TW_TCP_SYN, c->next_seq[0]++, NULL,
		          0);
	if (!rc)
		rc = emit(c, t_ns + half, TW_S2C, TW_TCP_SYN | TW_TCP_ACK,
		          c->next_seq[1]++, NULL, 0);
	if (!rc)
		rc = emit(c, c->t + c->net->ack_delay_ns, TW_C2S, TW_TCP_ACK,
		          c->next_seq[0], NULL, 0);
	return rc;
}

static void add_event(struct burst *b, int64_t t, int dir, int seg,
                      uint32_t ack)
{
	size_t i = b->nev++;

	/* Insertion keeps equal times in the order they were added. */
	while (i > 0 && b->ev[i - 1].t > t) {
		b->ev[i] = b->ev[i - 1];
		i--;
	}
	b->ev[i] = (struct event){ .t = t, .dir = dir, .seg = seg, .ack = ack };
}

/* End of the data received in order, given which segments arrived. */
static uint32_t acked(const struct burst *b, const int *got)
{
	size_t i = 0;

	while (i < b->nseg && got[i])
		i++;
	if (i == b->nseg)
		return b->seq[b->nseg - 1] + (uint32_t)b->len[b->nseg - 1];
	return b->seq[i];
}

/* Lays out one burst starting at t0: data in arrival order (a swap for
 * reordering), the receiver's ACKs, a retransmission for a loss. */
static void plan(struct tw_gen_conn *c, struct burst *b, int dir, int64_t t0)
{
	const struct tw_gen_net *n = c->net;
	int64_t ack_lag = dir == TW_C2S ? n->rtt_ns : n->ack_delay_ns;
	int order[BURST_SEGS], got[BURST_SEGS] = { 0 };
	int lost = -1, count = 0;
	int64_t t = t0, last_ack = t0;
	uint32_t prev_ack = b->seq[0];

	for (size_t i = 0; i < b->nseg; i++)
		order[i] = (int)i;
	for (size_t i = 0; i + 1 < b->nseg; i++) {
		if (tw_gen_rng_chance(c->rng, n->reorder)) {
			order[i] = (int)i + 1;
			order[i + 1] = (int)i;
			i++;
		}
	}
	if (b->nseg > 1 && tw_gen_rng_chance(c->rng, n->loss * b->nseg))
		lost = (int)tw_gen_rng_below(c->rng, b->nseg - 1);
	b->nev = 0;
	for (size_t p = 0; p < b->nseg; p++) {
		int i = order[p];
		uint32_t a;

		t += (int64_t)(b->len[i] * 8 * 1000000000ULL / n->bps) + 1;
		if (i != lost || dir == TW_C2S)
			add_event(b, t, dir, i, 0);
		if (i == lost)
			continue;
		got[i] = 1;
		count++;
		a = acked(b, got);
		/* Every second segment, the last one, and at once when
		 * something is missing (RFC 9293 3.10.7.4, RFC 5681 4.2). */
		if (count % 2 == 0 || p + 1 == b->nseg || a == prev_ack ||
		    a != b->seq[i] + b->len[i]) {
			last_ack = t + ack_lag;
			add_event(b, last_ack, !dir, -1, a);
			prev_ack = a;
		}
	}
	if (lost >= 0) {
		int64_t tr = last_ack + RETRANS_DELAY;

		if (dir == TW_S2C)
			tr += n->rtt_ns; /* the dup ACKs travel to the server */
		add_event(b, tr, dir, lost, 0);
		c->retrans++;
		got[lost] = 1;
		add_event(b, tr + ack_lag, !dir, -1, acked(b, got));
	}
}

static int run_burst(struct tw_gen_conn *c, struct burst *b, int dir,
                     const uint8_t *data, uint32_t seq_end)
{
	int rc = 0;

	for (size_t e = 0; e < b->nev && !rc; e++) {
		const struct event *ev = &b->ev[e];
		uint8_t flags = TW_TCP_ACK;

		if (ev->seg < 0) {
			uint32_t keep = c->next_seq[dir];

			/* A pure ACK from the receiver, with what it has. */
			c->next_seq[dir] = ev->ack;
			rc = emit(c, ev->t, ev->dir, TW_TCP_ACK,
			          c->next_seq[ev->dir], NULL, 0);
			c->next_seq[dir] = keep;
			continue;
		}
		if ((uint32_t)(b->seq[ev->seg] + b->len[ev->seg]) == seq_end)
			flags |= TW_TCP_PSH;
		rc = emit(c, ev->t, dir, flags, b->seq[ev->seg],
		          data + b->off[ev->seg], b->len[ev->seg]);
	}
	return rc;
}

int tw_gen_tcp_send(struct tw_gen_conn *c, int dir, const uint8_t *data,
                    size_t len, int64_t gap_ns)
{
	struct burst b;
	size_t off = 0;
	int64_t t0 = c->t + gap_ns;
	uint32_t seq_end = c->next_seq[dir] + (uint32_t)len;
	int rc = 0;

	while (off < len && !rc) {
		size_t bytes = 0;

		b.nseg = 0;
		while (off < len && b.nseg < BURST_SEGS &&
		       bytes + c->net->mss <= BURST_BYTES) {
			size_t seg = len - off;

			if (seg > c->net->mss)
				seg = c->net->mss;
			b.seq[b.nseg] = c->next_seq[dir] + (uint32_t)bytes;
			b.off[b.nseg] = off;
			b.len[b.nseg] = seg;
			b.nseg++;
			bytes += seg;
			off += seg;
		}
		plan(c, &b, dir, t0);
		/* ACKs in the burst acknowledge up to what they carry; the
		 * sender's own number moves past the burst only after. */
		rc = run_burst(c, &b, dir, data, seq_end);
		c->next_seq[dir] += (uint32_t)bytes;
		t0 = c->t + (dir == TW_S2C ? c->net->rtt_ns : 0);
	}
	return rc;
}

int tw_gen_tcp_close(struct tw_gen_conn *c, int dir, int64_t gap_ns)
{
	int64_t t = c->t + gap_ns;
	int64_t lag = dir == TW_C2S ? c->net->rtt_ns : c->net->ack_delay_ns;
	int rc;

	rc = emit(c, t, dir, TW_TCP_FIN | TW_TCP_ACK, c->next_seq[dir], NULL,
	          0);
	c->next_seq[dir]++;
	if (!rc)
		rc = emit(c, t + lag, !dir, TW_TCP_FIN | TW_TCP_ACK,
		          c->next_seq[!dir], NULL, 0);
	c->next_seq[!dir]++;
	if (!rc)
		rc = emit(c,
		          c->t + (dir == TW_C2S ? c->net->ack_delay_ns
		                                : c->net->rtt_ns),
		          dir, TW_TCP_ACK, c->next_seq[dir], NULL, 0);
	return rc;
}
