/*
 * tcp.h - a TCP connection as seen from a capture point next to the
 * client: three-way handshake, data in bursts with the peer's ACKs
 * (every second segment, at once on a hole), FIN in both directions.
 * Sequence and acknowledgement numbers stay consistent, so tshark's TCP
 * analysis finds nothing to say; loss and reordering, when the network
 * asks for them, produce the retransmissions and duplicate ACKs a real
 * capture would show.
 */
#ifndef TW_GEN_TCP_H
#define TW_GEN_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "tools/generate/pkt.h"
#include "tools/generate/rng.h"

/* What the path between client and server does. */
struct tw_gen_net {
	int64_t rtt_ns;       /* round trip, capture point to server */
	int64_t ack_delay_ns; /* client's ACK after data arrives */
	double loss;          /* per data segment */
	double reorder;       /* per data segment: swapped with the next */
	uint16_t mss;
	uint64_t bps; /* link speed: segment spacing in a burst */
};

enum { TW_C2S = 0, TW_S2C = 1 };

struct tw_gen_conn {
	struct tw_gen_ep ep[2]; /* [TW_C2S] the client, [TW_S2C] the server */
	uint32_t next_seq[2];   /* next sequence number each side sends */
	uint16_t ipid[2];
	int64_t t; /* capture time of the last packet */
	const struct tw_gen_net *net;
	struct tw_gen_rng *rng;
	struct tw_gen_builder *b;
	struct tw_gen_q *q;
	struct tw_gen_tmpl tmpl[2]; /* headers of each direction */
	uint64_t retrans;           /* segments sent again */
};

/* Sets up conn (endpoints copied) with random initial sequence numbers;
 * the handshake starts at t_ns.  Returns 0 or a TW_E* code. */
int tw_gen_tcp_open(struct tw_gen_conn *c, const struct tw_gen_ep *cli,
                    const struct tw_gen_ep *srv, int64_t t_ns);

/*
 * Sends len bytes of data from side dir (TW_C2S or TW_S2C), the first
 * byte leaving gap_ns after the connection's last packet.  Afterwards
 * c->t is the time of the last packet (data or ACK).  Returns 0 or a
 * TW_E* code.
 */
int tw_gen_tcp_send(struct tw_gen_conn *c, int dir, const uint8_t *data,
                    size_t len, int64_t gap_ns);

/* Closes: the side dir sends FIN gap_ns later, the other answers with
 * its FIN, then the last ACK.  Returns 0 or a TW_E* code. */
int tw_gen_tcp_close(struct tw_gen_conn *c, int dir, int64_t gap_ns);

#endif
