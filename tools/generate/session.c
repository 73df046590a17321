/*
 * session.c - the session kinds, each a small state machine whose step
 * queues the next few packets: a connection set-up, one HTTP/2 stream or
 * gRPC call, one HTTP/1.1 exchange, a megabyte of an upload, one DNS
 * query, or a batch of flood frames.
 */
#include "tools/generate/sess.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tools/generate/pb.h"
#include "trace/error.h"

#define AUTHORITY "api.tracewarp.test"
#define FLOOD_BATCH 256
#define UPLOAD_PIECE (1u << 20)
#define RECONNECT_NS 50000000 /* an interrupted upload resumes 50 ms on */
#define H2_WINDOW (1u << 30)

enum { PH_OPEN = 0, PH_WORK, PH_CLOSE };

static const char *const names[] = { "alice", "bob",   "carol", "dave",
	                             "erin",  "frank", "grace", "heidi" };

/* Letters from the filler at a random offset: TW_GEN_FILLER_SPAN bytes
 * can be read there. */
static const uint8_t *filler(struct tw_gen_sess *s)
{
	return s->g->filler + tw_gen_rng_below(&s->rng, TW_GEN_FILLER_SPAN);
}

static void put_filler(struct tw_gen_sess *s, struct tw_gen_buf *b, uint64_t n)
{
	while (n) {
		size_t chunk =
		        n > TW_GEN_FILLER_SPAN ? TW_GEN_FILLER_SPAN : (size_t)n;

		tw_gen_buf_put(b, filler(s), chunk);
		n -= chunk;
	}
}

/* A JSON object of about n bytes; a planted secret goes in "user". */
static void json_body(struct tw_gen_sess *s, struct tw_gen_buf *b, uint64_t n)
{
	const char *secret = tw_gen_plant(s->g, &s->rng);
	const char *user = secret ? secret : names[s->i % 8];
	/* One draw a statement: the order of a call's arguments is not
	 * defined, and the bytes must not depend on the compiler. */
	uint64_t id = tw_gen_rng_next(&s->rng);
	uint64_t amount = tw_gen_rng_below(&s->rng, 100000);
	size_t start = b->len, used;

	tw_gen_buf_printf(b,
	                  "{\"id\":\"%016" PRIx64 "\",\"user\":\"%s\","
	                  "\"amount\":%" PRIu64 ",\"note\":\"",
	                  id, user, amount);
	used = b->len - start + 2;
	if (n > used)
		put_filler(s, b, n - used);
	tw_gen_buf_str(b, "\"}");
}

/* A protobuf message of about n bytes: id, amount, customer, padding. */
static void pb_message(struct tw_gen_sess *s, struct tw_gen_buf *b, uint64_t n)
{
	const char *secret = tw_gen_plant(s->g, &s->rng);
	const char *who = secret ? secret : names[s->i % 8];
	char id[24];
	size_t start = b->len, used, pad;

	snprintf(id, sizeof(id), "ord-%016" PRIx64, tw_gen_rng_next(&s->rng));
	tw_gen_pb_bytes(b, 1, id, strlen(id));
	tw_gen_pb_uint(b, 2, tw_gen_rng_below(&s->rng, 1000000));
	tw_gen_pb_bytes(b, 3, who, strlen(who));
	used = b->len - start;
	if (n > used + 4) {
		pad = (size_t)(n - used - 2);
		pad -= tw_gen_pb_varint_len(pad) - 1;
		tw_gen_pb_key(b, 4, TW_PB_LEN);
		tw_gen_pb_varint(b, pad);
		put_filler(s, b, pad);
	}
}

static int send_out(struct tw_gen_sess *s, int dir, int64_t gap)
{
	int rc;

	if (!tw_gen_buf_ok(&s->out))
		return TW_ENOMEM;
	rc = tw_gen_tcp_send(&s->conn, dir, s->out.p, s->out.len, gap);
	tw_gen_buf_reset(&s->out);
	return rc;
}

static int open_conn(struct tw_gen_sess *s, int64_t t)
{
	s->cli.port = tw_gen_port(s->g);
	s->conn.net = &s->g->p->net;
	s->conn.rng = &s->rng;
	s->conn.b = s->g->b;
	s->conn.q = &s->q;
	s->g->st->connections++;
	return tw_gen_tcp_open(&s->conn, &s->cli, &s->srv, t);
}

static int close_conn(struct tw_gen_sess *s)
{
	int rc = tw_gen_tcp_close(&s->conn, TW_C2S, s->mix->think_ns);

	s->g->st->retransmissions += s->conn.retrans;
	s->conn.retrans = 0;
	return rc;
}

/* HTTP/2 and gRPC (RFC 9113; gRPC over HTTP/2). */

static int h2_open(struct tw_gen_sess *s, int64_t t)
{
	static const uint16_t ids[] = { 3, 4 }; /* MAX_CONCURRENT_STREAMS,
	                                           INITIAL_WINDOW_SIZE */
	const uint32_t cli[] = { 100, H2_WINDOW }, srv[] = { 128, H2_WINDOW };
	int rc = open_conn(s, t);

	for (int d = 0; d < 2 && !rc; d++)
		if (!s->hp[d])
			rc = tw_gen_hpack_new(&s->hp[d]);
	if (rc)
		return rc;
	tw_gen_buf_str(&s->out, TW_H2_PREFACE);
	tw_gen_h2_settings(&s->out, ids, cli, 2, 0);
	tw_gen_h2_window_update(&s->out, 0, H2_WINDOW - 65535);
	rc = send_out(s, TW_C2S, 0);
	if (rc)
		return rc;
	tw_gen_h2_settings(&s->out, ids, srv, 2, 0);
	tw_gen_h2_window_update(&s->out, 0, H2_WINDOW - 65535);
	tw_gen_h2_settings(&s->out, NULL, NULL, 0, 1);
	rc = send_out(s, TW_S2C, s->mix->think_ns);
	if (rc)
		return rc;
	tw_gen_h2_settings(&s->out, NULL, NULL, 0, 1);
	return send_out(s, TW_C2S, s->g->p->net.ack_delay_ns);
}

/* Gives back connection window: what dir received since it last did. */
static void h2_credit(struct tw_gen_sess *s, int dir)
{
	if (s->credit[dir]) {
		tw_gen_h2_window_update(&s->out, 0, (uint32_t)s->credit[dir]);
		s->credit[dir] = 0;
	}
}

static int h2_headers(struct tw_gen_sess *s, int dir,
                      const struct tw_gen_hdr *h, size_t n, int end)
{
	return tw_gen_h2_headers(&s->out, s->hp[dir], s->stream, h, n, end);
}

/* One stream: a JSON request, a JSON response (or RST_STREAM). */
static int h2_stream(struct tw_gen_sess *s)
{
	uint64_t req = tw_gen_draw_size(s->g, &s->mix->request_size, &s->rng);
	uint64_t resp = tw_gen_draw_size(s->g, &s->mix->response_size, &s->rng);
	const char *secret = tw_gen_plant(s->g, &s->rng);
	char path[128], len[24], reqid[40];
	struct tw_gen_hdr rq[] = {
		{ ":method", req ? "POST" : "GET", 0 },
		{ ":scheme", "http", 0 },
		{ ":authority", AUTHORITY, 0 },
		{ ":path", path, 0 },
		{ "user-agent", "tracewarp-generate/1", 0 },
		{ "x-request-id", reqid, 0 },
		{ "authorization", "", 1 },
		{ "content-type", "application/json", 0 },
	};
	struct tw_gen_hdr rs[] = {
		{ ":status", "200", 0 },
		{ "content-type", "application/json", 0 },
		{ "content-length", len, 0 },
	};
	size_t nrq = req ? 8 : 6;
	int rc;

	s->stream = s->stream ? s->stream + 2 : 1;
	snprintf(path, sizeof(path), "/v1/orders/%" PRIu64, s->id * 100 + s->i);
	snprintf(reqid, sizeof(reqid), "%016" PRIx64, tw_gen_rng_next(&s->rng));
	if (secret) {
		rq[6].value = secret;
		nrq = 8;
	} else if (req) {
		rq[6] = rq[7];
		nrq = 7;
	}
	h2_credit(s, TW_C2S);
	rc = h2_headers(s, TW_C2S, rq, nrq, !req);
	if (req && !rc) {
		tw_gen_buf_reset(&s->body);
		json_body(s, &s->body, req);
		tw_gen_h2_data(&s->out, s->stream, s->body.p, s->body.len, 1);
		s->credit[TW_S2C] += s->body.len;
	}
	if (!rc)
		rc = send_out(s, TW_C2S, s->i ? s->mix->think_ns : 0);
	if (rc)
		return rc;
	s->g->st->h2_streams++;
	h2_credit(s, TW_S2C);
	if (tw_gen_rng_chance(&s->rng, s->mix->rst)) {
		tw_gen_h2_rst_stream(&s->out, s->stream, 7); /* REFUSED */
		s->g->st->h2_refused++;
		return send_out(s, TW_S2C, s->mix->think_ns);
	}
	tw_gen_buf_reset(&s->body);
	json_body(s, &s->body, resp);
	snprintf(len, sizeof(len), "%zu", s->body.len);
	rc = h2_headers(s, TW_S2C, rs, 3, 0);
	tw_gen_h2_data(&s->out, s->stream, s->body.p, s->body.len, 1);
	s->credit[TW_C2S] += s->body.len;
	return rc ? rc : send_out(s, TW_S2C, s->mix->think_ns);
}

/* A gRPC message: the 5-byte prefix, then protobuf, in DATA frames. */
static void grpc_message(struct tw_gen_sess *s, uint64_t size, int end)
{
	tw_gen_buf_reset(&s->body);
	if (!tw_gen_buf_grow(&s->body, 5)) {
		s->out.oom = true; /* send_out() reports it */
		return;
	}
	s->body.len = 5;
	pb_message(s, &s->body, size);
	if (tw_gen_buf_ok(&s->body)) {
		uint8_t *p = s->body.p;
		uint32_t n = (uint32_t)(s->body.len - 5);

		p[0] = 0;
		p[1] = (uint8_t)(n >> 24);
		p[2] = (uint8_t)(n >> 16);
		p[3] = (uint8_t)(n >> 8);
		p[4] = (uint8_t)n;
	}
	tw_gen_h2_data(&s->out, s->stream, s->body.p, s->body.len, end);
	s->g->st->grpc_messages++;
}

/* gRPC call shapes: the method each calls, and which side streams. */
enum { UNARY = 0, SERVER_STREAMING, CLIENT_STREAMING };

static const char *const grpc_paths[] = {
	"/tracewarp.demo.v1.Orders/GetOrder",
	"/tracewarp.demo.v1.Orders/WatchOrders",
	"/tracewarp.demo.v1.Orders/UploadOrders",
};

/* The requests of a call: HEADERS, then each message (END_STREAM on the
 * last), the client thinking between streamed ones. */
static int grpc_requests(struct tw_gen_sess *s, const struct tw_gen_hdr *h,
                         size_t nh, uint64_t n)
{
	int rc;

	h2_credit(s, TW_C2S);
	rc = h2_headers(s, TW_C2S, h, nh, 0);
	for (uint64_t m = 0; m < n && !rc; m++) {
		uint64_t size =
		        tw_gen_draw_size(s->g, &s->mix->request_size, &s->rng);

		grpc_message(s, size, m + 1 == n);
		s->credit[TW_S2C] += s->body.len;
		rc = send_out(s, TW_C2S, s->i || m ? s->mix->think_ns : 0);
	}
	return rc;
}

/* One call: unary, server streaming (several responses) or client
 * streaming (several requests), half and half among streaming calls. */
static int grpc_call(struct tw_gen_sess *s)
{
	int shape = UNARY;
	uint64_t n = 1;
	const char *secret;
	int rc;

	if (tw_gen_rng_chance(&s->rng, s->mix->streaming)) {
		shape = tw_gen_rng_chance(&s->rng, 0.5) ? CLIENT_STREAMING
		                                        : SERVER_STREAMING;
		n = tw_gen_dist_draw(&s->mix->messages, &s->rng);
		n = n ? n : 1;
	}
	secret = tw_gen_plant(s->g, &s->rng);

	const struct tw_gen_hdr rq[] = {
		{ ":method", "POST", 0 },
		{ ":scheme", "http", 0 },
		{ ":authority", AUTHORITY, 0 },
		{ ":path", grpc_paths[shape], 0 },
		{ "content-type", "application/grpc", 0 },
		{ "te", "trailers", 0 },
		{ "user-agent", "grpc-c/1.50 tracewarp-generate", 0 },
		{ "x-user-token", secret ? secret : "", 1 },
	};
	const struct tw_gen_hdr rs[] = {
		{ ":status", "200", 0 },
		{ "content-type", "application/grpc", 0 },
	};
	const struct tw_gen_hdr tr[] = { { "grpc-status", "0", 0 } };
	uint64_t nresp = shape == SERVER_STREAMING ? n : 1;

	s->stream = s->stream ? s->stream + 2 : 1;
	rc = grpc_requests(s, rq, secret ? 8 : 7,
	                   shape == CLIENT_STREAMING ? n : 1);
	s->g->st->grpc_calls++;
	s->g->st->h2_streams++;
	h2_credit(s, TW_S2C);
	if (!rc)
		rc = h2_headers(s, TW_S2C, rs, 2, 0);
	for (uint64_t m = 0; m < nresp && !rc; m++) {
		uint64_t size =
		        tw_gen_draw_size(s->g, &s->mix->response_size, &s->rng);

		grpc_message(s, size, 0);
		s->credit[TW_C2S] += s->body.len;
		if (m + 1 == nresp)
			rc = h2_headers(s, TW_S2C, tr, 1, 1);
		if (!rc)
			rc = send_out(s, TW_S2C, s->mix->think_ns);
	}
	return rc;
}

static int h2_close(struct tw_gen_sess *s)
{
	int rc;

	h2_credit(s, TW_C2S);
	tw_gen_h2_goaway(&s->out, 0, 0);
	rc = send_out(s, TW_C2S, s->mix->think_ns);
	return rc ? rc : close_conn(s);
}

static int step_h2(struct tw_gen_sess *s)
{
	int rc;

	switch (s->phase) {
	case PH_OPEN:
		s->phase = PH_WORK;
		return h2_open(s, s->t);
	case PH_WORK:
		rc = s->mix->kind == TW_GEN_GRPC ? grpc_call(s) : h2_stream(s);
		if (++s->i >= s->n)
			s->phase = PH_CLOSE;
		return rc;
	default:
		s->done = true;
		return h2_close(s);
	}
}

/* REST over HTTP/1.1 (RFC 9112). */

static int rest_exchange(struct tw_gen_sess *s)
{
	uint64_t req = tw_gen_draw_size(s->g, &s->mix->request_size, &s->rng);
	uint64_t resp = tw_gen_draw_size(s->g, &s->mix->response_size, &s->rng);
	const char *secret = tw_gen_plant(s->g, &s->rng);
	int rc;

	tw_gen_buf_reset(&s->body);
	if (req)
		json_body(s, &s->body, req);
	if (secret && !strchr(secret, ' '))
		tw_gen_buf_printf(&s->out,
		                  "%s /v1/users/lookup?q=%s HTTP/1.1\r\n",
		                  req ? "POST" : "GET", secret);
	else
		tw_gen_buf_printf(&s->out,
		                  "%s /v1/users/%" PRIu64 " HTTP/1.1\r\n",
		                  req ? "POST" : "GET", s->id * 100 + s->i);
	tw_gen_buf_printf(&s->out,
	                  "Host: %s\r\nUser-Agent: tracewarp-generate/1\r\n"
	                  "Accept: application/json\r\n",
	                  AUTHORITY);
	if (secret)
		tw_gen_buf_printf(&s->out, "Authorization: Bearer %s\r\n",
		                  secret);
	if (req)
		tw_gen_buf_printf(&s->out,
		                  "Content-Type: application/json\r\n"
		                  "Content-Length: %zu\r\n",
		                  s->body.len);
	tw_gen_buf_str(&s->out, "\r\n");
	tw_gen_buf_put(&s->out, s->body.p, s->body.len);
	rc = send_out(s, TW_C2S, s->i ? s->mix->think_ns : 0);
	if (rc)
		return rc;
	tw_gen_buf_reset(&s->body);
	json_body(s, &s->body, resp);
	tw_gen_buf_printf(&s->out,
	                  "HTTP/1.1 200 OK\r\nContent-Type: application/json"
	                  "\r\nContent-Length: %zu\r\n\r\n",
	                  s->body.len);
	tw_gen_buf_put(&s->out, s->body.p, s->body.len);
	s->g->st->rest_exchanges++;
	return send_out(s, TW_S2C, s->mix->think_ns);
}

static int step_rest(struct tw_gen_sess *s)
{
	int rc;

	switch (s->phase) {
	case PH_OPEN:
		s->phase = PH_WORK;
		return open_conn(s, s->t);
	case PH_WORK:
		rc = rest_exchange(s);
		if (++s->i >= s->n)
			s->phase = PH_CLOSE;
		return rc;
	default:
		s->done = true;
		return close_conn(s);
	}
}

/* Resumable uploads (the tus protocol, 1.0.0). */

/* A connection: create the upload or ask where it stands, then PATCH
 * the next part. */
static int upload_connect(struct tw_gen_sess *s)
{
	uint64_t part = tw_gen_dist_draw(&s->mix->chunk, &s->rng);
	const char *secret = tw_gen_plant(s->g, &s->rng);
	int rc = open_conn(s, s->t);

	if (rc)
		return rc;
	if (!part)
		part = 1;
	if (s->off == 0 && !s->i) {
		tw_gen_buf_printf(&s->out,
		                  "POST /files HTTP/1.1\r\nHost: %s\r\n"
		                  "Tus-Resumable: 1.0.0\r\n"
		                  "Upload-Length: %" PRIu64 "\r\n"
		                  "Upload-Metadata: filename %s\r\n"
		                  "Content-Length: 0\r\n\r\n",
		                  AUTHORITY, s->total,
		                  secret ? secret : "bWVkaWEuYmlu");
		rc = send_out(s, TW_C2S, 0);
		tw_gen_buf_printf(&s->out,
		                  "HTTP/1.1 201 Created\r\nTus-Resumable: "
		                  "1.0.0\r\nLocation: /files/%s\r\n"
		                  "Content-Length: 0\r\n\r\n",
		                  s->upload_id);
	} else {
		tw_gen_buf_printf(&s->out,
		                  "HEAD /files/%s HTTP/1.1\r\nHost: %s\r\n"
		                  "Tus-Resumable: 1.0.0\r\n\r\n",
		                  s->upload_id, AUTHORITY);
		rc = send_out(s, TW_C2S, 0);
		tw_gen_buf_printf(&s->out,
		                  "HTTP/1.1 200 OK\r\nTus-Resumable: 1.0.0\r\n"
		                  "Upload-Offset: %" PRIu64 "\r\n"
		                  "Upload-Length: %" PRIu64 "\r\n"
		                  "Cache-Control: no-store\r\n\r\n",
		                  s->off, s->total);
	}
	if (!rc)
		rc = send_out(s, TW_S2C, s->mix->think_ns);
	if (rc)
		return rc;
	s->i++;
	s->part_end = s->total - s->off < part ? s->total : s->off + part;
	tw_gen_buf_printf(&s->out,
	                  "PATCH /files/%s HTTP/1.1\r\nHost: %s\r\n"
	                  "Tus-Resumable: 1.0.0\r\n"
	                  "Upload-Offset: %" PRIu64 "\r\n"
	                  "Content-Type: application/offset+octet-stream\r\n"
	                  "Content-Length: %" PRIu64 "\r\n\r\n",
	                  s->upload_id, AUTHORITY, s->off,
	                  s->part_end - s->off);
	return send_out(s, TW_C2S, s->mix->think_ns);
}

/* Up to a megabyte of the part; at its end the answer and the close. */
static int upload_piece(struct tw_gen_sess *s)
{
	uint64_t n = s->part_end - s->off;
	int rc;

	if (n > UPLOAD_PIECE)
		n = UPLOAD_PIECE;
	rc = tw_gen_tcp_send(&s->conn, TW_C2S, filler(s), (size_t)n, 0);
	s->off += n;
	s->g->st->upload_bytes += n;
	if (rc || s->off < s->part_end)
		return rc;
	tw_gen_buf_printf(&s->out,
	                  "HTTP/1.1 204 No Content\r\nTus-Resumable: 1.0.0\r\n"
	                  "Upload-Offset: %" PRIu64 "\r\n\r\n",
	                  s->off);
	rc = send_out(s, TW_S2C, s->mix->think_ns);
	if (!rc)
		rc = close_conn(s);
	s->t = s->conn.t + RECONNECT_NS;
	s->phase = PH_OPEN;
	if (s->off >= s->total)
		s->phase = PH_CLOSE;
	return rc;
}

static int step_upload(struct tw_gen_sess *s)
{
	switch (s->phase) {
	case PH_OPEN:
		s->phase = PH_WORK;
		return upload_connect(s);
	case PH_WORK:
		return upload_piece(s);
	default:
		s->done = true;
		return 0;
	}
}

/* DNS (RFC 1035 section 4). */

static int dns_exchange(struct tw_gen_sess *s)
{
	uint8_t msg[512];
	struct tw_gen_buf b = { 0 };
	uint16_t id = (uint16_t)tw_gen_rng_next(&s->rng);
	uint16_t qtype = s->cli.v6 ? 28 : 1;
	char label[32];
	size_t qend, len;
	int rc;

	snprintf(label, sizeof(label), "svc%" PRIu64,
	         tw_gen_rng_below(&s->rng, 1000));
	tw_gen_buf_be16(&b, id);
	tw_gen_buf_be16(&b, 0x0100); /* standard query, recursion desired */
	tw_gen_buf_be16(&b, 1);
	tw_gen_buf_be16(&b, 0);
	tw_gen_buf_be32(&b, 0);
	tw_gen_buf_u8(&b, (uint8_t)strlen(label));
	tw_gen_buf_str(&b, label);
	tw_gen_buf_u8(&b, 9);
	tw_gen_buf_str(&b, "tracewarp");
	tw_gen_buf_u8(&b, 4);
	tw_gen_buf_str(&b, "test");
	tw_gen_buf_u8(&b, 0);
	tw_gen_buf_be16(&b, qtype);
	tw_gen_buf_be16(&b, 1);
	if (!tw_gen_buf_ok(&b) || b.len > sizeof(msg) / 2) {
		tw_gen_buf_free(&b);
		return TW_ENOMEM;
	}
	qend = b.len;
	memcpy(msg, b.p, qend);
	tw_gen_buf_free(&b);
	rc = tw_gen_build_udp(s->g->b, &s->q, s->t, &s->cli, &s->srv, s->ipid++,
	                      msg, qend);
	if (rc)
		return rc;
	/* The answer: the question again, then one record pointing at it. */
	msg[2] = 0x81;
	msg[3] = 0x80;
	msg[7] = 1;
	len = qend;
	memcpy(msg + len, "\xc0\x0c", 2);
	len += 2;
	msg[len++] = 0;
	msg[len++] = (uint8_t)qtype;
	memcpy(msg + len, "\x00\x01\x00\x00\x01\x2c\x00", 7);
	len += 7;
	msg[len++] = s->cli.v6 ? 16 : 4;
	memcpy(msg + len, s->srv.addr, s->cli.v6 ? 16 : 4);
	len += s->cli.v6 ? 16 : 4;
	s->t += s->g->p->net.rtt_ns;
	rc = tw_gen_build_udp(s->g->b, &s->q, s->t, &s->srv, &s->cli, s->ipid++,
	                      msg, len);
	s->t += s->mix->think_ns + 1;
	s->g->st->dns_queries++;
	return rc;
}

/* Floods of small frames. */

static int flood_batch(struct tw_gen_sess *s)
{
	static const uint8_t zeros[9000];
	size_t over = tw_gen_udp_overhead(s->cli.v6);
	int64_t gap = (int64_t)(1000000000ULL / s->mix->pps);
	int rc = 0;

	for (int k = 0; k < FLOOD_BATCH && s->i < s->n && !rc; k++, s->i++) {
		/* Frame sizes count the 4-byte FCS, which is not captured. */
		uint64_t frame = tw_gen_dist_draw(&s->mix->size, &s->rng);
		size_t cap = frame > 4 ? (size_t)frame - 4 : 0;

		if (cap < 60)
			cap = 60;
		if (cap < over)
			cap = over;
		if (cap - over > sizeof(zeros))
			cap = over + sizeof(zeros);
		rc = tw_gen_tmpl_udp(&s->udp[0], &s->q, s->t, s->ipid++, zeros,
		                     cap - over);
		s->t += gap > 0 ? gap : 1;
		s->g->st->flood_packets++;
	}
	if (s->i >= s->n)
		s->done = true;
	return rc;
}

static int step_udp(struct tw_gen_sess *s)
{
	int rc;

	if (!s->i && !s->udp[0].hlen) {
		rc = tw_gen_tmpl_init(s->g->b, &s->udp[0], 17, &s->cli,
		                      &s->srv);
		if (!rc)
			rc = tw_gen_tmpl_init(s->g->b, &s->udp[1], 17, &s->srv,
			                      &s->cli);
		if (rc)
			return rc;
	}
	if (s->mix->kind == TW_GEN_FLOOD)
		return flood_batch(s);
	rc = dns_exchange(s);
	if (++s->i >= s->n)
		s->done = true;
	return rc;
}

void tw_gen_sess_init(struct tw_gen_sess *s, struct tw_gen *g,
                      const struct tw_gen_mix *m, uint64_t seed, int64_t t_ns)
{
	const struct tw_gen_profile *p = g->p;
	int v6;

	struct tw_gen_q q = s->q;
	struct tw_gen_buf out = s->out, body = s->body;

	/* What a finished session leaves (see tw_gen_sess_end) is reused:
	 * its queue and buffers keep their memory. */
	memset(s, 0, sizeof(*s));
	s->q = q;
	s->out = out;
	s->body = body;
	tw_gen_buf_reset(&s->out);
	tw_gen_buf_reset(&s->body);
	s->g = g;
	s->mix = m;
	s->t = t_ns;
	tw_gen_rng_seed(&s->rng, seed);
	v6 = tw_gen_rng_chance(&s->rng, p->ipv6);
	tw_gen_host(g, 0, v6,
	            (uint32_t)tw_gen_rng_below(&s->rng, p->clients.count),
	            &s->cli);
	tw_gen_host(g, 1, v6,
	            (uint32_t)tw_gen_rng_below(&s->rng, p->servers.count),
	            &s->srv);
	s->srv.port = m->port;
	s->n = tw_gen_dist_draw(&m->requests, &s->rng);
	if (!s->n)
		s->n = 1;
	s->ipid = (uint16_t)tw_gen_rng_next(&s->rng);
	if (m->kind == TW_GEN_DNS || m->kind == TW_GEN_FLOOD)
		s->cli.port = tw_gen_port(g);
	if (m->kind == TW_GEN_UPLOAD) {
		s->total = tw_gen_draw_size(g, &m->size, &s->rng);
		if (!s->total)
			s->total = 1;
		snprintf(s->upload_id, sizeof(s->upload_id), "%016" PRIx64,
		         tw_gen_rng_next(&s->rng));
		g->st->uploads++;
	}
}

int tw_gen_sess_step(struct tw_gen_sess *s)
{
	switch (s->mix->kind) {
	case TW_GEN_H2:
	case TW_GEN_GRPC:
		return step_h2(s);
	case TW_GEN_REST:
		return step_rest(s);
	case TW_GEN_UPLOAD:
		return step_upload(s);
	default:
		return step_udp(s);
	}
}

void tw_gen_sess_end(struct tw_gen_sess *s)
{
	tw_gen_hpack_free(s->hp[0]);
	tw_gen_hpack_free(s->hp[1]);
	s->hp[0] = s->hp[1] = NULL;
	s->q.head = s->q.n = s->q.used = 0;
}

void tw_gen_sess_free(struct tw_gen_sess *s)
{
	tw_gen_q_free(&s->q);
	tw_gen_hpack_free(s->hp[0]);
	tw_gen_hpack_free(s->hp[1]);
	tw_gen_buf_free(&s->out);
	tw_gen_buf_free(&s->body);
}
