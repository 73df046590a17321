/*
 * h2.c - HTTP/2 frames, HPACK header blocks and bodies (see h2.h).
 *
 * Header blocks: nghttp2's inflater decodes each block (so that the
 * dynamic table is followed exactly as the receiver follows it), and a
 * walk of the block's representations (RFC 7541 section 6) finds the
 * literal values, which are rewritten in place: a raw literal with the
 * pseudonym's bytes, a Huffman literal with the pseudonym's code, which
 * has exactly the same number of bits (pseudo.h).  Lengths never change,
 * so the receiver's dynamic table evolves with the same sizes and the
 * same evictions, and an indexed reference to a rewritten entry decodes
 * to the same pseudonym.  The pseudonym is a function of name and value
 * only, which keeps the L7 trace and the packets in agreement.
 *
 * Bodies: DATA payloads are pieces of the direction's buffer.  A gRPC
 * message (5-byte prefix, RFC-less but documented in grpc's
 * PROTOCOL-HTTP2.md) or a JSON body is collected as a list of pieces,
 * redacted when complete, and scattered back; until then its pieces are
 * held (the session does not release their packets).
 */
#include "redact/h2.h"

#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "redact/body.h"
#include "redact/gzip.h"
#include "redact/pseudo.h"
#include "trace/bytes.h"
#include "trace/error.h"
#include "trace/log.h"

#define MAX_STREAMS 1024
/* The policy's bounds: a header block (all fragments), a gRPC message
 * or a JSON body, and how deep protobuf and JSON nest. */
#define MAX_BLOCK(c) ((c)->cfg->pol->lim.header_block)
#define MAX_MESSAGE(c) ((c)->cfg->pol->lim.message)
#define PB_DEPTH(c) ((unsigned)(c)->cfg->pol->lim.pb_depth)
#define JSON_DEPTH(c) ((unsigned)(c)->cfg->pol->lim.json_depth)
#define L7_BODY_MAX (64u << 10) /* body bytes kept in the L7 trace */
#define MAX_HEADERS 512
#define L7_MESSAGES_MAX 4096 /* per-message times kept in the L7 trace */

enum kind { K_ZERO = 0, K_GRPC, K_JSON };

struct piece {
	uint64_t off;
	uint32_t len;
};

struct pieces {
	struct piece *v;
	size_t n, cap;
	uint64_t total;
};

/* When a gRPC message began, after its exchange's start, and its size. */
struct msg_time {
	int64_t t_ns;
	uint64_t size;
};

/* One direction of one stream: request (0) or response (1). */
struct half {
	bool have_headers, ended;
	enum kind kind;
	bool gzip;      /* grpc-encoding: gzip */
	bool zero_rest; /* framing lost: the rest of the body is zeroed */
	struct pieces msg;
	uint8_t pfx[5];
	uint32_t pfx_have;
	json_t *headers, *trailers;
	uint8_t *body;
	size_t body_len, body_cap;
	uint64_t body_size, messages;
	bool body_trunc;
	const char *redaction;
	int64_t msg_ts;      /* the DATA frame with the message's first byte */
	struct msg_time *mt; /* per message, for the L7 trace */
	size_t nmt, mt_cap;
	bool gzipped; /* a gzip message was redacted */
};

struct h2s {
	uint32_t id;
	struct h2s *next;
	struct half h[2];
	int64_t start_ns, end_ns;
	json_t *req_pseudo; /* :method, :scheme, :authority, :path */
	int status;
	json_t *grpc_status, *grpc_message;
	int64_t reset;
};

struct hblock {
	bool open;
	uint32_t sid;
	bool end_stream, push;
	struct pieces pc;
};

struct tw_h2conn {
	const struct tw_h2cfg *cfg;
	int client;
	uint64_t id;
	json_t *flow;
	struct tw_sbuf *sb[2]; /* the session's, stable */
	nghttp2_hd_inflater *infl[2];
	uint64_t pos[2];
	bool preface[2]; /* client preface passed (client direction) */
	struct hblock hb[2];
	struct h2s *streams;
	size_t nstreams;
	uint8_t *tmp;
	size_t tmp_cap;
	struct tw_gz gz; /* scratch for gzip messages */
};

/* ---- pieces ----------------------------------------------------------- */

static int pc_add(struct pieces *p, uint64_t off, uint32_t len)
{
	if (!len)
		return 0;
	if (p->n && p->v[p->n - 1].off + p->v[p->n - 1].len == off) {
		p->v[p->n - 1].len += len;
		p->total += len;
		return 0;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct piece *v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return TW_ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (struct piece){ off, len };
	p->total += len;
	return 0;
}

static void pc_reset(struct pieces *p)
{
	p->n = 0;
	p->total = 0;
}

static void pc_free(struct pieces *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

static uint8_t *at(struct tw_sbuf *sb, uint64_t off)
{
	return sb->p + (off - sb->base);
}

static void pc_zero(struct pieces *p, struct tw_sbuf *sb)
{
	for (size_t i = 0; sb && i < p->n; i++)
		if (p->v[i].off >= sb->base)
			memset(at(sb, p->v[i].off), 0, p->v[i].len);
	pc_reset(p);
}

static int tmp_grow(struct tw_h2conn *c, size_t n)
{
	uint8_t *t;

	if (n <= c->tmp_cap)
		return 0;
	t = realloc(c->tmp, n);
	if (!t)
		return TW_ENOMEM;
	c->tmp = t;
	c->tmp_cap = n;
	return 0;
}

/* Copies the pieces into c->tmp. */
static int pc_gather(struct tw_h2conn *c, struct pieces *p, struct tw_sbuf *sb)
{
	size_t o = 0;

	if (tmp_grow(c, p->total ? p->total : 1) < 0)
		return TW_ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		memcpy(c->tmp + o, at(sb, p->v[i].off), p->v[i].len);
		o += p->v[i].len;
	}
	return 0;
}

static void pc_scatter(struct tw_h2conn *c, struct pieces *p,
                       struct tw_sbuf *sb)
{
	size_t o = 0;

	for (size_t i = 0; i < p->n; i++) {
		memcpy(at(sb, p->v[i].off), c->tmp + o, p->v[i].len);
		o += p->v[i].len;
	}
}

/* ---- streams ---------------------------------------------------------- */

static void half_free(struct half *h)
{
	pc_free(&h->msg);
	json_decref(h->headers);
	json_decref(h->trailers);
	free(h->mt);
	free(h->body);
}

static struct h2s *stream_find(struct tw_h2conn *c, uint32_t id, bool create,
                               int64_t ts)
{
	struct h2s *s;

	for (s = c->streams; s; s = s->next)
		if (s->id == id)
			return s;
	if (!create || c->nstreams >= MAX_STREAMS)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->id = id;
	s->start_ns = ts;
	s->end_ns = ts;
	s->reset = -1;
	s->next = c->streams;
	c->streams = s;
	c->nstreams++;
	c->cfg->st->streams++;
	return s;
}

/* Keeps redacted body bytes for the L7 trace, up to L7_BODY_MAX, only
 * when there is a trace to write. */
static void body_keep(struct tw_h2conn *c, struct half *h, const uint8_t *p,
                      size_t n)
{
	size_t room = L7_BODY_MAX - h->body_len;

	if (!c->cfg->l7 || !n)
		return;
	if (n > room) {
		n = room;
		h->body_trunc = true;
	}
	if (h->body_len + n > h->body_cap) {
		size_t cap = h->body_cap ? h->body_cap : 256;
		uint8_t *b;

		while (cap < h->body_len + n)
			cap *= 2;
		if (cap > L7_BODY_MAX)
			cap = L7_BODY_MAX;
		b = realloc(h->body, cap);
		if (!b) {
			h->body_trunc = true;
			return;
		}
		h->body = b;
		h->body_cap = cap;
	}
	memcpy(h->body + h->body_len, p, n);
	h->body_len += n;
}

static char *base64(const uint8_t *p, size_t n)
{
	static const char a[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	        "wxyz0123456789+/";
	char *o = malloc(4 * ((n + 2) / 3) + 1), *q = o;
	size_t i;

	if (!o)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
		             p[i + 2];

		*q++ = a[v >> 18];
		*q++ = a[(v >> 12) & 63];
		*q++ = a[(v >> 6) & 63];
		*q++ = a[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 |
		             (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);

		*q++ = a[v >> 18];
		*q++ = a[(v >> 12) & 63];
		*q++ = i + 1 < n ? a[(v >> 6) & 63] : '=';
		*q++ = '=';
	}
	*q = '\0';
	return o;
}

/* [{"t_ns": T, "size": N}, ...] (L7TRACE.md). */
static json_t *msg_times_json(const struct half *h)
{
	json_t *a = json_array();

	for (size_t i = 0; i < h->nmt; i++)
		json_array_append_new(a, json_pack("{s:I, s:I}", "t_ns",
		                                   (json_int_t)h->mt[i].t_ns,
		                                   "size",
		                                   (json_int_t)h->mt[i].size));
	return a;
}

static json_t *half_json(struct half *h)
{
	json_t *b = json_object(), *o = json_object(), *text = NULL;

	json_object_set_new(b, "size", json_integer((json_int_t)h->body_size));
	json_object_set_new(b, "redaction",
	                    json_string(h->redaction ? h->redaction : "none"));
	if (h->kind == K_GRPC) {
		json_object_set_new(b, "grpc_messages",
		                    json_integer((json_int_t)h->messages));
		json_object_set_new(b, "messages", msg_times_json(h));
	}
	if (h->body_len && h->kind == K_JSON)
		text = json_stringn((const char *)h->body, h->body_len);
	if (text) {
		json_object_set_new(b, "encoding", json_string("utf8"));
		json_object_set_new(b, "data", text);
	} else if (h->body_len) {
		char *s = base64(h->body, h->body_len);

		json_object_set_new(b, "encoding", json_string("base64"));
		json_object_set_new(b, "data", json_string_nocheck(s ? s : ""));
		free(s);
	} else {
		json_object_set_new(
		        b, "encoding",
		        json_string(h->body_size ? "omitted" : "none"));
	}
	json_object_set_new(b, "truncated", json_boolean(h->body_trunc));
	json_object_set_new(o, "headers",
	                    h->headers ? json_incref(h->headers)
	                               : json_array());
	json_object_set_new(o, "trailers",
	                    h->trailers ? json_incref(h->trailers)
	                                : json_array());
	json_object_set_new(o, "body", b);
	return o;
}

static void pseudo_get(json_t *rec, json_t *ps, const char *name,
                       const char *key)
{
	json_t *v = ps ? json_object_get(ps, name) : NULL;

	json_object_set_new(rec, key, v ? json_incref(v) : json_null());
}

/* Writes the exchange to the L7 trace (L7TRACE.md). */
static void emit(struct tw_h2conn *c, struct h2s *s, bool complete)
{
	json_t *rec, *rsp;

	if (!s->h[0].have_headers) {
		/* No request (a HEADERS on a stream already closed, a
		 * capture begun mid-stream): not an exchange, and nothing
		 * a replayer could send. */
		c->cfg->st->orphans++;
		return;
	}
	c->cfg->st->exchanges++;
	if (!c->cfg->l7)
		return;
	rec = json_object();
	json_object_set_new(rec, "v", json_integer(1));
	json_object_set_new(rec, "flow", json_incref(c->flow));
	json_object_set_new(rec, "conn", json_integer((json_int_t)c->id));
	json_object_set_new(rec, "stream", json_integer(s->id));
	json_object_set_new(rec, "proto", json_string("h2c"));
	json_object_set_new(rec, "start_ns", json_integer(s->start_ns));
	json_object_set_new(rec, "duration_ns",
	                    json_integer(s->end_ns - s->start_ns));
	pseudo_get(rec, s->req_pseudo, ":method", "method");
	pseudo_get(rec, s->req_pseudo, ":scheme", "scheme");
	pseudo_get(rec, s->req_pseudo, ":authority", "authority");
	pseudo_get(rec, s->req_pseudo, ":path", "path");
	json_object_set_new(rec, "request", half_json(&s->h[0]));
	rsp = half_json(&s->h[1]);
	json_object_set_new(rsp, "status",
	                    s->status ? json_integer(s->status) : json_null());
	json_object_set_new(rec, "response", rsp);
	json_object_set_new(rec, "grpc_status",
	                    s->grpc_status ? json_incref(s->grpc_status)
	                                   : json_null());
	json_object_set_new(rec, "grpc_message",
	                    s->grpc_message ? json_incref(s->grpc_message)
	                                    : json_null());
	json_object_set_new(rec, "reset",
	                    s->reset >= 0 ? json_integer(s->reset)
	                                  : json_null());
	json_object_set_new(rec, "complete", json_boolean(complete));
	json_dumpf(rec, c->cfg->l7, JSON_COMPACT);
	fputc('\n', c->cfg->l7);
	json_decref(rec);
}

static void stream_close(struct tw_h2conn *c, struct h2s *s, bool complete)
{
	struct h2s **pp;

	/* A message still incomplete is zeroed: never passed. */
	for (int h = 0; h < 2; h++) {
		int dir = h == 0 ? c->client : !c->client;

		pc_zero(&s->h[h].msg, c->sb[dir]);
	}
	emit(c, s, complete);
	for (pp = &c->streams; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	half_free(&s->h[0]);
	half_free(&s->h[1]);
	json_decref(s->req_pseudo);
	json_decref(s->grpc_status);
	json_decref(s->grpc_message);
	free(s);
	c->nstreams--;
}

/* ---- header values ---------------------------------------------------- */

static bool name_is(const uint8_t *n, size_t len, const char *s)
{
	return strlen(s) == len && !memcmp(n, s, len);
}

/* :path: kept segments stay, others and query values pseudonymized. */
void tw_http_redact_path(const struct tw_h2cfg *cfg, uint8_t *v, size_t n,
                         bool grpc)
{
	const struct tw_policy *pol = cfg->pol;
	size_t q = 0, i;

	while (q < n && v[q] != '?' && v[q] != '#')
		q++;
	if (!(grpc && pol->grpc_method == TW_POL_GRPC_METHOD_KEEP)) {
		for (i = 0; i < q;) {
			size_t j = i;

			while (j < q && v[j] != '/')
				j++;
			if (j > i && !tw_policy_keeps_segment(
			                     pol, (const char *)v + i, j - i))
				tw_pseudo_pct(cfg->vkey, v + i, j - i);
			i = j + 1;
		}
	}
	for (i = q + 1; i < n;) {
		size_t j = i, e;

		while (j < n && v[j] != '&')
			j++;
		for (e = i; e < j && v[e] != '='; e++)
			;
		/* Percent-escapes stay escapes (RFC 3986 section 2.1). */
		if (e < j)
			tw_pseudo_pct(cfg->vkey, v + e + 1, j - e - 1);
		else
			tw_pseudo_pct(cfg->vkey, v + i, j - i);
		i = j + 1;
	}
}

/* The redacted form of a value: out holds n bytes. */
static void redact_value(struct tw_h2conn *c, const uint8_t *name, size_t nlen,
                         const uint8_t *v, size_t n, bool grpc, uint8_t *out)
{
	memcpy(out, v, n);
	if (tw_policy_keeps_header(c->cfg->pol, (const char *)name, nlen))
		/* Kept only as far as the header's grammar goes. */
		tw_policy_kept_value(c->cfg->vkey, (const char *)name, nlen,
		                     out, n);
	else if (name_is(name, nlen, ":path"))
		tw_http_redact_path(c->cfg, out, n, grpc);
	else if (name_is(name, nlen, "grpc-message"))
		tw_pseudo_pct(c->cfg->vkey, out, n); /* percent-encoded */
	else
		tw_pseudo_text(c->cfg->vkey, out, n);
}

/* ---- HPACK (RFC 7541) ------------------------------------------------- */

/* An integer with an n-bit prefix (section 5.1). */
static bool hint(const uint8_t *p, size_t len, size_t *i, int bits, uint64_t *v)
{
	uint64_t max = (1u << bits) - 1, x;
	int m = 0;

	if (*i >= len)
		return false;
	x = p[(*i)++] & max;
	if (x < max) {
		*v = x;
		return true;
	}
	do {
		if (*i >= len || m > 56)
			return false;
		x += (uint64_t)(p[*i] & 0x7f) << m;
		m += 7;
	} while (p[(*i)++] & 0x80);
	*v = x;
	return true;
}

/* A string literal (section 5.2): where its bytes are. */
static bool hstr(const uint8_t *p, size_t len, size_t *i, size_t *off,
                 size_t *n, bool *huff)
{
	uint64_t l;

	if (*i >= len)
		return false;
	*huff = p[*i] & 0x80;
	if (!hint(p, len, i, 7, &l) || l > len - *i)
		return false;
	*off = *i;
	*n = (size_t)l;
	*i += (size_t)l;
	return true;
}

struct hdr {
	const uint8_t *name, *value; /* nghttp2's copies, valid in-block */
	size_t nlen, vlen;
	uint8_t *nbuf; /* our copy */
};

struct rep {
	bool literal;
	uint64_t index; /* indexed field: its index */
	size_t voff, vlen;
	bool huff;
};

static bool ct_grpc(const uint8_t *v, size_t n)
{
	return n >= 16 && !memcmp(v, "application/grpc", 16);
}

static bool ct_json(const uint8_t *v, size_t n)
{
	size_t e = 0;

	while (e < n && v[e] != ';')
		e++;
	while (e && v[e - 1] == ' ')
		e--;
	return (e == 16 && !memcmp(v, "application/json", 16)) ||
	       (e > 5 && !memcmp(v + e - 5, "+json", 5));
}

/* What one decoded header tells about its half of the stream. */
static void note_header(struct tw_h2conn *c, struct h2s *s, struct half *h,
                        bool trailer, const uint8_t *name, size_t nlen,
                        const uint8_t *orig, size_t olen, const uint8_t *red,
                        size_t rlen)
{
	json_t *pair = json_array();
	json_t **list = trailer ? &h->trailers : &h->headers;

	json_array_append_new(pair, json_stringn((const char *)name, nlen));
	json_array_append_new(pair, json_stringn((const char *)red, rlen));
	if (!json_array_get(pair, 1)) {
		char *b = base64(red, rlen);

		json_array_append_new(pair, json_string(b ? b : ""));
		free(b);
	}
	if (!*list)
		*list = json_array();
	json_array_append_new(*list, pair);
	if (name_is(name, nlen, ":method") || name_is(name, nlen, ":scheme") ||
	    name_is(name, nlen, ":authority") || name_is(name, nlen, ":path")) {
		if (!s->req_pseudo)
			s->req_pseudo = json_object();
		json_object_setn(s->req_pseudo, (const char *)name, nlen,
		                 json_array_get(pair, 1));
	}
	if (name_is(name, nlen, ":status") && olen == 3)
		s->status = (orig[0] - '0') * 100 + (orig[1] - '0') * 10 +
		            (orig[2] - '0');
	if (name_is(name, nlen, "content-type") && !trailer) {
		if (ct_grpc(orig, olen))
			h->kind = c->cfg->pol->grpc_body == TW_POL_BODY_REDACT
			                  ? K_GRPC
			                  : K_ZERO;
		else if (ct_json(orig, olen))
			h->kind = c->cfg->pol->json_body == TW_POL_BODY_REDACT
			                  ? K_JSON
			                  : K_ZERO;
	}
	if (name_is(name, nlen, "grpc-encoding"))
		h->gzip = olen == 4 && !memcmp(orig, "gzip", 4);
	if (name_is(name, nlen, "content-encoding") &&
	    !(olen == 8 && !memcmp(orig, "identity", 8)))
		h->zero_rest = true; /* compressed JSON: not walked */
	if (name_is(name, nlen, "grpc-status")) {
		json_decref(s->grpc_status);
		s->grpc_status = json_stringn((const char *)red, rlen);
	}
	if (name_is(name, nlen, "grpc-message")) {
		json_decref(s->grpc_message);
		s->grpc_message = json_incref(json_array_get(pair, 1));
	}
}

/*
 * Decodes the block in c->tmp (n bytes) with dir's inflater and rewrites
 * its literal values in place.  Returns 0 or TW_EFORMAT / TW_ENOMEM.
 */
static int block_redact(struct tw_h2conn *c, int dir, struct h2s *s, size_t n,
                        int64_t ts)
{
	nghttp2_hd_inflater *in = c->infl[dir];
	struct hdr *hd = calloc(MAX_HEADERS, sizeof(*hd));
	struct rep *rp = calloc(MAX_HEADERS, sizeof(*rp));
	uint8_t *blk = c->tmp, *orig = malloc(n ? n : 1), *red = NULL;
	size_t nh = 0, nr = 0, i = 0, off = 0, redcap = 0;
	struct half *h = s ? &s->h[dir == c->client ? 0 : 1] : NULL;
	bool trailer = h && h->have_headers, grpc = false;
	int rc = TW_EFORMAT;

	if (!hd || !rp || !orig) {
		rc = TW_ENOMEM;
		goto out;
	}
	memcpy(orig, blk, n);
	/* 1. nghttp2 decodes the block, keeping its table as the peer. */
	for (;;) {
		nghttp2_nv nv;
		int fl = 0;
		ssize_t r = nghttp2_hd_inflate_hd2(in, &nv, &fl, orig + off,
		                                   n - off, 1);

		if (r < 0)
			goto out;
		off += (size_t)r;
		if (fl & NGHTTP2_HD_INFLATE_EMIT) {
			if (nh == MAX_HEADERS)
				goto out;
			hd[nh].nbuf = malloc(nv.namelen + nv.valuelen + 1);
			if (!hd[nh].nbuf) {
				rc = TW_ENOMEM;
				goto out;
			}
			memcpy(hd[nh].nbuf, nv.name, nv.namelen);
			memcpy(hd[nh].nbuf + nv.namelen, nv.value, nv.valuelen);
			hd[nh].name = hd[nh].nbuf;
			hd[nh].nlen = nv.namelen;
			hd[nh].value = hd[nh].nbuf + nv.namelen;
			hd[nh].vlen = nv.valuelen;
			nh++;
		}
		if (fl & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(in);
			break;
		}
		if (!(fl & NGHTTP2_HD_INFLATE_EMIT) && off >= n)
			goto out; /* nghttp2 wants more: cannot be */
	}
	/* 2. The representations, to find the literal values. */
	while (i < n) {
		uint8_t b = blk[i];
		uint64_t idx;
		size_t no, nn;
		bool nh_;

		if (b & 0x80) {
			if (!hint(blk, n, &i, 7, &idx) || nr == MAX_HEADERS)
				goto out;
			rp[nr++] = (struct rep){ .index = idx };
			continue;
		}
		if ((b & 0xe0) == 0x20) {
			if (!hint(blk, n, &i, 5, &idx))
				goto out;
			continue;
		}
		if (!hint(blk, n, &i, (b & 0xc0) == 0x40 ? 6 : 4, &idx) ||
		    nr == MAX_HEADERS)
			goto out;
		if (idx == 0 && !hstr(blk, n, &i, &no, &nn, &nh_))
			goto out;
		rp[nr].literal = true;
		if (!hstr(blk, n, &i, &rp[nr].voff, &rp[nr].vlen, &rp[nr].huff))
			goto out;
		nr++;
	}
	if (nr != nh)
		goto out;
	for (size_t k = 0; k < nh; k++)
		if (name_is(hd[k].name, hd[k].nlen, "content-type") &&
		    ct_grpc(hd[k].value, hd[k].vlen))
			grpc = true;
	/* 3. Each value redacted; literals rewritten in place. */
	for (size_t k = 0; k < nh; k++) {
		const uint8_t *outv;

		/* Never NULL, even for empty values: memcpy and memcmp
		 * want a pointer (found by fuzz_h2). */
		if (hd[k].vlen > redcap || !red) {
			uint8_t *t = realloc(red, hd[k].vlen + 1);

			if (!t) {
				rc = TW_ENOMEM;
				goto out;
			}
			red = t;
			redcap = hd[k].vlen + 1;
		}
		redact_value(c, hd[k].name, hd[k].nlen, hd[k].value, hd[k].vlen,
		             grpc, red);
		outv = red;
		if (rp[k].literal && memcmp(red, hd[k].value, hd[k].vlen)) {
			if (rp[k].huff) {
				if (tw_huff_encode(red, hd[k].vlen,
				                   blk + rp[k].voff,
				                   rp[k].vlen) < 0)
					goto out;
			} else {
				if (rp[k].vlen != hd[k].vlen)
					goto out;
				memcpy(blk + rp[k].voff, red, hd[k].vlen);
			}
			c->cfg->st->headers_rewritten++;
		} else if (!rp[k].literal && rp[k].index <= 61) {
			outv = hd[k].value; /* static table: public */
		}
		if (h)
			note_header(c, s, h, trailer, hd[k].name, hd[k].nlen,
			            hd[k].value, hd[k].vlen, outv, hd[k].vlen);
	}
	if (h) {
		h->have_headers = true;
		s->end_ns = ts;
	}
	c->cfg->st->header_blocks++;
	rc = 0;
out:
	for (size_t k = 0; hd && k < nh; k++)
		free(hd[k].nbuf);
	free(hd);
	free(rp);
	free(orig);
	free(red);
	return rc;
}

/* ---- bodies ----------------------------------------------------------- */

static void zero_data(struct tw_sbuf *sb, uint64_t off, size_t n)
{
	memset(at(sb, off), 0, n);
}

/* Notes the message's time (from the exchange's start, t0) and size
 * (n + its prefix) for the L7 trace, when there is one. */
static void message_time(struct tw_h2conn *c, struct half *h, int64_t t0,
                         size_t n)
{
	if (!c->cfg->l7 || h->nmt == L7_MESSAGES_MAX)
		return;
	if (h->nmt == h->mt_cap) {
		size_t cap = h->mt_cap ? h->mt_cap * 2 : 8;
		struct msg_time *m = realloc(h->mt, cap * sizeof(*m));

		if (!m)
			return; /* the trace lists fewer: replayed sooner */
		h->mt = m;
		h->mt_cap = cap;
	}
	h->mt[h->nmt].t_ns = h->msg_ts > t0 ? h->msg_ts - t0 : 0;
	h->mt[h->nmt++].size = (uint64_t)n + 5;
}

/*
 * A compressed message in c->tmp (n bytes): redacted when gzip, else
 * (another grpc-encoding) zeroed.  Returns whether it was redacted; a
 * member that is not whole (truncated, invalid) also zeroes the rest of
 * the body, whose framing can no longer be trusted.
 */
static bool gzip_message(struct tw_h2conn *c, struct half *h, size_t n)
{
	struct tw_h2_stats *st = c->cfg->st;
	enum tw_gz_result r;

	if (!h->gzip) {
		st->grpc_compressed_zeroed++;
		return false;
	}
	c->gz.pb_depth = PB_DEPTH(c);
	r = tw_gzip_redact(&c->gz, c->cfg->vkey, c->tmp, n,
	                   (size_t)c->cfg->pol->grpc_gzip_max);
	switch (r) {
	case TW_GZ_OK:
		st->grpc_gzip++;
		h->gzipped = true;
		return true;
	case TW_GZ_GROWN:
		st->gzip_grown++;
		break;
	case TW_GZ_TOO_BIG:
		st->gzip_refused++;
		break;
	case TW_GZ_NOT_PB:
		st->invalid_bodies++;
		break;
	case TW_GZ_INVALID:
		st->gzip_invalid++;
		h->zero_rest = true;
		break;
	case TW_GZ_NOMEM:
		st->gzip_refused++;
		break;
	case TW_GZ_TOO_DEEP:
		st->over_pb_depth++;
		break;
	}
	tw_log(TW_LOG_INFO, "redact",
	       "connection %llu: gzip gRPC message of %zu bytes: %s: zeroed",
	       (unsigned long long)c->id, n, tw_gz_result_name(r));
	return false;
}

static void grpc_message_done(struct tw_h2conn *c, struct half *h,
                              struct tw_sbuf *sb, int64_t t0)
{
	int rc;
	size_t n = (size_t)h->msg.total;
	bool ok = false;

	h->messages++;
	c->cfg->st->grpc_messages++;
	message_time(c, h, t0, n);
	if (pc_gather(c, &h->msg, sb) < 0) {
		pc_zero(&h->msg, sb);
		h->pfx_have = 0;
		return;
	}
	if (h->pfx[0] & 1) {
		ok = gzip_message(c, h, n);
	} else if ((rc = tw_pb_redact_max(c->cfg->vkey, c->tmp, n,
	                                  PB_DEPTH(c))) == 0) {
		ok = true;
	} else if (rc == TW_ELIMIT) {
		c->cfg->st->over_pb_depth++;
	} else {
		c->cfg->st->invalid_bodies++;
		tw_log(TW_LOG_DEBUG, "redact",
		       "connection %llu: gRPC message of %zu bytes "
		       "is not protobuf: zeroed",
		       (unsigned long long)c->id, n);
	}
	if (!ok)
		memset(c->tmp, 0, n);
	pc_scatter(c, &h->msg, sb);
	body_keep(c, h, h->pfx, 5);
	body_keep(c, h, c->tmp, n);
	h->redaction = h->gzipped ? "protobuf+gzip" : "protobuf";
	pc_reset(&h->msg);
	h->pfx_have = 0;
}

/* DATA payload bytes [off, off + n) of a gRPC half. */
static void grpc_data(struct tw_h2conn *c, struct half *h, struct tw_sbuf *sb,
                      uint64_t off, size_t n, int64_t ts, int64_t t0)
{
	while (n && !h->zero_rest) {
		if (h->pfx_have < 5) {
			size_t k = 5 - h->pfx_have;

			if (h->pfx_have == 0)
				h->msg_ts = ts;
			if (k > n)
				k = n;
			memcpy(h->pfx + h->pfx_have, at(sb, off), k);
			h->pfx_have += (uint32_t)k;
			off += k;
			n -= k;
			if (h->pfx_have == 5 &&
			    (h->pfx[0] > 1 ||
			     tw_be32(h->pfx + 1) > MAX_MESSAGE(c))) {
				/* Not a gRPC prefix, or over the limit:
				 * the rest is zeroed. */
				h->zero_rest = true;
				if (h->pfx[0] > 1)
					c->cfg->st->invalid_bodies++;
				else
					c->cfg->st->over_message++;
				zero_data(sb, off, n);
				return;
			}
			if (h->pfx_have == 5 && tw_be32(h->pfx + 1) == 0)
				grpc_message_done(c, h, sb, t0);
			continue;
		}
		{
			uint64_t need = tw_be32(h->pfx + 1) - h->msg.total;
			size_t k = n < need ? n : (size_t)need;

			if (pc_add(&h->msg, off, (uint32_t)k) < 0) {
				pc_zero(&h->msg, sb);
				zero_data(sb, off, n);
				h->zero_rest = true;
				return;
			}
			off += k;
			n -= k;
			if (h->msg.total == tw_be32(h->pfx + 1))
				grpc_message_done(c, h, sb, t0);
		}
	}
	if (n) /* what follows a member that was not whole */
		zero_data(sb, off, n);
}

static void json_done(struct tw_h2conn *c, struct half *h, struct tw_sbuf *sb)
{
	int rc;
	size_t n = (size_t)h->msg.total;

	if (!n)
		return;
	c->cfg->st->json_bodies++;
	if (pc_gather(c, &h->msg, sb) < 0) {
		pc_zero(&h->msg, sb);
		return;
	}
	rc = tw_json_redact_max(c->cfg->vkey, c->tmp, n, JSON_DEPTH(c));
	if (rc < 0) {
		if (rc == TW_ELIMIT)
			c->cfg->st->over_json_depth++;
		else
			c->cfg->st->invalid_bodies++;
		memset(c->tmp, 0, n);
		h->redaction = "zeroed";
	} else {
		h->redaction = "json";
		body_keep(c, h, c->tmp, n);
	}
	pc_scatter(c, &h->msg, sb);
	pc_reset(&h->msg);
}

static void half_data(struct tw_h2conn *c, struct half *h, struct tw_sbuf *sb,
                      uint64_t off, size_t n, int64_t ts, int64_t t0)
{
	h->body_size += n;
	if (h->zero_rest || h->kind == K_ZERO) {
		if (n) {
			zero_data(sb, off, n);
			h->redaction = "zeroed";
			c->cfg->st->bodies_zeroed++;
		}
		return;
	}
	if (h->kind == K_GRPC) {
		grpc_data(c, h, sb, off, n, ts, t0);
		return;
	}
	if (h->msg.total + n > MAX_MESSAGE(c) || pc_add(&h->msg, off, n) < 0) {
		if (h->msg.total + n > MAX_MESSAGE(c) && !h->zero_rest)
			c->cfg->st->over_message++;
		pc_zero(&h->msg, sb);
		zero_data(sb, off, n);
		h->zero_rest = true;
		h->redaction = "zeroed";
	}
}

static void half_end(struct tw_h2conn *c, struct h2s *s, int hi,
                     struct tw_sbuf *sb, int64_t ts)
{
	struct half *h = &s->h[hi];

	h->ended = true;
	s->end_ns = ts;
	if (h->kind == K_JSON && !h->zero_rest)
		json_done(c, h, sb);
	pc_zero(&h->msg, sb); /* a gRPC message cut by END_STREAM */
}

/* ---- frames (RFC 9113 section 6) -------------------------------------- */

static void maybe_close(struct tw_h2conn *c, struct h2s *s)
{
	if (s->h[0].ended && s->h[1].ended)
		stream_close(c, s, true);
}

static int headers_done(struct tw_h2conn *c, int dir, struct tw_sbuf *sb,
                        int64_t ts)
{
	struct hblock *hb = &c->hb[dir];
	struct h2s *s = NULL;
	int rc;

	if (!hb->push)
		s = stream_find(c, hb->sid, true, ts);
	rc = pc_gather(c, &hb->pc, sb);
	if (rc == 0)
		rc = block_redact(c, dir, s, (size_t)hb->pc.total, ts);
	if (rc < 0) {
		pc_zero(&hb->pc, sb);
		hb->open = false;
		return rc;
	}
	pc_scatter(c, &hb->pc, sb);
	pc_reset(&hb->pc);
	hb->open = false;
	if (s && hb->end_stream) {
		half_end(c, s, dir == c->client ? 0 : 1, sb, ts);
		maybe_close(c, s);
	}
	return 0;
}

/* A header block over limits.header_block: HPACK's table is lost with
 * it, so the direction is given up (zeroed) as for a malformed one. */
static int over_block(struct tw_h2conn *c)
{
	c->cfg->st->over_header_block++;
	return TW_EFORMAT;
}

/* One whole frame at off: header fields and payload length n. */
static int frame(struct tw_h2conn *c, int dir, struct tw_sbuf *sb, uint64_t off,
                 uint32_t n, int64_t ts)
{
	uint8_t *f = at(sb, off), type = f[3], flags = f[4];
	uint32_t sid = tw_be32(f + 5) & 0x7fffffffu;
	uint64_t p = off + 9;
	uint32_t pad = 0, skip = 0;
	struct hblock *hb = &c->hb[dir];
	struct h2s *s;

	if (hb->open && (type != 9 || sid != hb->sid))
		return TW_EFORMAT; /* section 6.10: CONTINUATION only */
	if ((type == 0 || type == 1 || type == 5) && (flags & 0x8)) {
		if (n < 1 || f[9] >= n)
			return TW_EFORMAT;
		pad = f[9];
		skip = 1;
		zero_data(sb, p + n - pad, pad); /* padding: zeros */
	}
	switch (type) {
	case 0: /* DATA */
		s = stream_find(c, sid, false, ts);
		if (!s) {
			zero_data(sb, p + skip, n - skip - pad);
			break;
		}
		{
			int hi = dir == c->client ? 0 : 1;

			half_data(c, &s->h[hi], sb, p + skip, n - skip - pad,
			          ts, s->start_ns);
			s->end_ns = ts;
			if (flags & 0x1) {
				half_end(c, s, hi, sb, ts);
				maybe_close(c, s);
			}
		}
		break;
	case 1: /* HEADERS */
	case 5: /* PUSH_PROMISE */
		if (type == 1 && (flags & 0x20))
			skip += 5; /* priority fields */
		if (type == 5)
			skip += 4; /* promised stream id */
		if (skip + pad > n)
			return TW_EFORMAT;
		hb->open = true;
		hb->sid = sid;
		hb->push = type == 5;
		hb->end_stream = type == 1 && (flags & 0x1);
		pc_reset(&hb->pc);
		if (n - skip - pad > MAX_BLOCK(c))
			return over_block(c);
		if (pc_add(&hb->pc, p + skip, n - skip - pad) < 0)
			return TW_EFORMAT;
		if (flags & 0x4)
			return headers_done(c, dir, sb, ts);
		break;
	case 9: /* CONTINUATION */
		if (!hb->open)
			return TW_EFORMAT;
		if (hb->pc.total + n > MAX_BLOCK(c))
			return over_block(c);
		if (pc_add(&hb->pc, p, n) < 0)
			return TW_EFORMAT;
		if (flags & 0x4)
			return headers_done(c, dir, sb, ts);
		break;
	case 3: /* RST_STREAM */
		s = stream_find(c, sid, false, ts);
		if (s && n == 4) {
			s->reset = tw_be32(f + 9);
			s->end_ns = ts;
			stream_close(c, s, false);
		}
		break;
	case 4: /* SETTINGS: the peer's encoder may use a larger table */
		if (!(flags & 1) && n % 6 == 0) {
			for (uint32_t k = 0; k < n; k += 6) {
				uint32_t v = tw_be32(f + 9 + k + 2);

				if (tw_be16(f + 9 + k) == 1 && v > 4096)
					nghttp2_hd_inflate_change_table_size(
					        c->infl[!dir], v);
			}
		}
		break;
	case 6: /* PING: opaque data */
		zero_data(sb, p, n);
		break;
	case 7: /* GOAWAY: last stream and error code kept */
		if (n > 8)
			zero_data(sb, p + 8, n - 8);
		break;
	case 2: /* PRIORITY */
	case 8: /* WINDOW_UPDATE */
		break;
	default: /* unknown frame types (and their data) are zeroed */
		zero_data(sb, p, n);
	}
	return 0;
}

/* The lowest offset still held by an incomplete piece list. */
static uint64_t held_from(struct tw_h2conn *c, int dir, uint64_t lim)
{
	int hi = dir == c->client ? 0 : 1;

	if (c->hb[dir].open && c->hb[dir].pc.n && c->hb[dir].pc.v[0].off < lim)
		lim = c->hb[dir].pc.v[0].off;
	for (struct h2s *s = c->streams; s; s = s->next)
		if (s->h[hi].msg.n && s->h[hi].msg.v[0].off < lim)
			lim = s->h[hi].msg.v[0].off;
	return lim;
}

int tw_h2_feed(struct tw_h2conn *c, int dir, uint64_t *done, int64_t ts_ns)
{
	struct tw_sbuf *sb = c->sb[dir];
	uint64_t end = sb->base + sb->len;
	int rc = 0;

	/* The preface opens the client's side: at 0, or where an h2c
	 * upgrade put it (tw_h2_upgrade). */
	if (dir == c->client && !c->preface[dir]) {
		*done = c->pos[dir];
		if (end < c->pos[dir] + TW_H2_PREFACE_LEN)
			return 0;
		if (memcmp(at(sb, c->pos[dir]), TW_H2_PREFACE,
		           TW_H2_PREFACE_LEN))
			return TW_EFORMAT;
		c->preface[dir] = true;
		c->pos[dir] += TW_H2_PREFACE_LEN;
	}
	while (c->pos[dir] + 9 <= end) {
		uint8_t *f = at(sb, c->pos[dir]);
		uint32_t n = (uint32_t)f[0] << 16 | (uint32_t)f[1] << 8 | f[2];

		if (c->pos[dir] + 9 + n > end)
			break;
		rc = frame(c, dir, sb, c->pos[dir], n, ts_ns);
		if (rc < 0)
			break;
		c->pos[dir] += 9 + n;
	}
	*done = held_from(c, dir, c->pos[dir]);
	if (rc < 0) {
		c->cfg->st->errors++;
		tw_log(TW_LOG_INFO, "redact",
		       "connection %llu: HTTP/2 %s direction cannot be "
		       "followed at byte %llu: zeroed from there",
		       (unsigned long long)c->id,
		       dir == c->client ? "client" : "server",
		       (unsigned long long)c->pos[dir]);
	}
	return rc;
}

void tw_h2_fail(struct tw_h2conn *c, int dir)
{
	struct tw_sbuf *sb = c->sb[dir];
	int hi = dir == c->client ? 0 : 1;

	pc_zero(&c->hb[dir].pc, sb);
	c->hb[dir].open = false;
	for (struct h2s *s = c->streams; s; s = s->next) {
		pc_zero(&s->h[hi].msg, sb);
		s->h[hi].zero_rest = true;
	}
}

struct tw_h2conn *tw_h2_new(const struct tw_h2cfg *cfg, int client_dir,
                            json_t *flow, uint64_t conn_id, struct tw_sbuf *sb0,
                            struct tw_sbuf *sb1)
{
	struct tw_h2conn *c = calloc(1, sizeof(*c));

	if (!c || tw_huff_init() < 0) {
		free(c);
		json_decref(flow);
		return NULL;
	}
	c->cfg = cfg;
	c->client = client_dir;
	c->id = conn_id;
	c->flow = flow;
	c->sb[0] = sb0;
	c->sb[1] = sb1;
	if (nghttp2_hd_inflate_new(&c->infl[0]) ||
	    nghttp2_hd_inflate_new(&c->infl[1])) {
		tw_h2_free(c);
		return NULL;
	}
	cfg->st->connections++;
	return c;
}

int tw_h2_upgrade(struct tw_h2conn *c, const struct tw_h2_upgrade *u)
{
	struct h2s *s = stream_find(c, 1, true, u->start_ns);
	struct half *h;

	if (!s) {
		json_decref(u->pseudo);
		json_decref(u->headers);
		return TW_ENOMEM;
	}
	c->pos[c->client] = u->client_at;
	c->pos[!c->client] = u->server_at;
	s->req_pseudo = u->pseudo;
	h = &s->h[0];
	h->headers = u->headers;
	h->have_headers = h->ended = true;
	h->kind = u->json_body ? K_JSON : K_ZERO;
	h->body_size = u->body_size;
	h->redaction = u->redaction;
	body_keep(c, h, u->body, u->body_len);
	/* The client's settings, as a SETTINGS frame of its would be. */
	for (size_t k = 0; k + 6 <= u->settings_len; k += 6) {
		uint32_t v = tw_be32(u->settings + k + 2);

		if (tw_be16(u->settings + k) == 1 && v > 4096)
			nghttp2_hd_inflate_change_table_size(
			        c->infl[!c->client], v);
	}
	return 0;
}

void tw_h2_free(struct tw_h2conn *c)
{
	if (!c)
		return;
	pc_zero(&c->hb[0].pc, c->sb[0]);
	pc_zero(&c->hb[1].pc, c->sb[1]);
	while (c->streams)
		stream_close(c, c->streams, false);
	pc_free(&c->hb[0].pc);
	pc_free(&c->hb[1].pc);
	if (c->infl[0])
		nghttp2_hd_inflate_del(c->infl[0]);
	if (c->infl[1])
		nghttp2_hd_inflate_del(c->infl[1]);
	json_decref(c->flow);
	free(c->tmp);
	tw_gz_free(&c->gz);
	free(c);
}
