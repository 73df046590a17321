/*
 * sess.h - inside the generator: the scheduler's shared state and the
 * session state machines it drives (session.c).  Not a public API.
 */
#ifndef TW_GEN_SESS_H
#define TW_GEN_SESS_H

#include <stdbool.h>
#include <stdint.h>

#include "tools/generate/buf.h"
#include "tools/generate/gen.h"
#include "tools/generate/h2.h"
#include "tools/generate/pkt.h"
#include "tools/generate/tcp.h"

/* Filler bytes (random letters) bodies are cut from: FILLER_SPAN bytes
 * can always be read from any offset below FILLER_SPAN. */
#define TW_GEN_FILLER_SPAN (1u << 20)

struct tw_gen {
	const struct tw_gen_profile *p;
	const struct tw_gen_opts *o;
	struct tw_gen_builder *b;
	struct tw_gen_stats *st;
	uint32_t next_port;
	char **secrets;
	size_t nsecrets, next_secret;
	uint8_t *filler; /* 2 * TW_GEN_FILLER_SPAN letters */
};

struct tw_gen_sess {
	uint64_t id;
	const struct tw_gen_mix *mix;
	struct tw_gen *g;
	struct tw_gen_rng rng;
	struct tw_gen_q q;
	struct tw_gen_conn conn;
	struct tw_gen_ep cli, srv;
	int phase;
	bool done;
	uint64_t n, i; /* requests this session makes, and made */
	int64_t t;     /* UDP kinds: time of the next packet */
	uint16_t ipid;
	struct tw_gen_tmpl udp[2]; /* UDP kinds: each direction's headers */
	/* HTTP/2: a deflater per direction, last stream id, connection
	 * window credit each side owes the other. */
	struct tw_gen_hpack *hp[2];
	uint32_t stream;
	uint64_t credit[2];
	/* Uploads: total size, bytes done, end of this connection's part. */
	uint64_t total, off, part_end;
	char upload_id[40];
	struct tw_gen_buf out, body;
};

/* A client port, unique among recent connections. */
uint16_t tw_gen_port(struct tw_gen *g);

/* A secret to plant (round robin over the file), or NULL, with the
 * profile's probability. */
const char *tw_gen_plant(struct tw_gen *g, struct tw_gen_rng *r);

/* Endpoint of client (server == 0) or server number idx. */
void tw_gen_host(const struct tw_gen *g, int server, int v6, uint32_t idx,
                 struct tw_gen_ep *ep);

/* Capped draw from a distribution (opts.max_size). */
uint64_t tw_gen_draw_size(const struct tw_gen *g, const struct tw_gen_dist *d,
                          struct tw_gen_rng *r);

/* Sets up a session of mix entry m starting at t_ns.  s is zeroed memory,
 * or a session ended with tw_gen_sess_end(), whose memory is reused. */
void tw_gen_sess_init(struct tw_gen_sess *s, struct tw_gen *g,
                      const struct tw_gen_mix *m, uint64_t seed, int64_t t_ns);

/* Queues the session's next packets (at least one unless it is done).
 * Returns 0 or a TW_E* code. */
int tw_gen_sess_step(struct tw_gen_sess *s);

/* Drops what belongs to the connection, keeps the memory for reuse. */
void tw_gen_sess_end(struct tw_gen_sess *s);

/* Frees everything s holds (not s itself). */
void tw_gen_sess_free(struct tw_gen_sess *s);

#endif
