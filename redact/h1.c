/*
 * h1.c - HTTP/1.1 (RFC 9112) redacted on a reassembled TCP connection,
 * in place and length for length, like h2.c.
 *
 * Request line: the version is kept, the method when it is a known one
 * (else pseudonymized), the target redacted as a :path is
 * (tw_http_redact_path; an absolute form keeps its scheme).  Status
 * line: the code kept, the reason phrase when it is a standard one.
 * Header fields: names kept, values kept when the policy keeps the
 * (lowercased) name, as far as its grammar goes (policy_values.c), or
 * when they frame the message (content-length, transfer-encoding,
 * connection, upgrade, HTTP2-Settings), otherwise pseudonymized.
 * Bodies (section 6.3): a JSON body, whether framed by Content-Length
 * or chunked, is collected as a list of pieces of the buffer (the chunk
 * data, not the chunk lines), held until complete, redacted as one JSON
 * text and scattered back, so chunk framing and every length stay;
 * every other body (read until close, not JSON, compressed) is zeroed
 * as it comes, the chunk framing kept, chunk extensions pseudonymized.
 * Keep-alive and pipelining follow from parsing one message after
 * another; responses to HEAD and 1xx, 204, 304 have no body.
 *
 * h2c via Upgrade (RFC 7540 section 3.2): a request with "Upgrade: h2c"
 * holds its direction at the end of the request until the answer comes.
 * A final status resumes HTTP/1.1; a 101 ends both directions here: the
 * server's HTTP/2 starts right after the 101's header block (its
 * SETTINGS), the client's right after the request (its preface), and
 * the request becomes stream 1 of the HTTP/2 connection
 * (tw_h1_take_upgrade).  Any other 101, or anything malformed, ends the
 * direction (the session zeroes the rest).
 *
 * Each exchange (a request and its final response) is written to the L7
 * trace as a line with proto "http/1.1" (L7TRACE.md).
 */
#include "redact/h1.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "redact/body.h"
#include "redact/pseudo.h"
#include "trace/error.h"

#define MAX_LINE 65536
#define MAX_PIPELINE 64
#define L7_BODY_MAX (64u << 10) /* body bytes kept in the L7 trace */
#define MAX_PIECES 65536        /* chunks of one held JSON body */
#define SETTINGS_MAX 256        /* HTTP2-Settings text kept */

enum st {
	S_LINE = 0,
	S_HEADERS,
	S_BODY,
	S_CHUNK,
	S_CHUNK_DATA,
	S_CHUNK_END,
	S_TRAILERS,
	S_CLOSE,
	S_UPGRADE_WAIT, /* client: an h2c upgrade request awaits its answer */
	S_SWITCHED      /* HTTP/2 from pos on (h2c via Upgrade) */
};

struct piece {
	uint64_t off, len;
};

/* One side of an exchange, as the L7 trace shows it. */
struct h1msg {
	json_t *headers, *trailers;
	uint8_t *body;
	size_t body_len;
	uint64_t body_size;
	const char *redaction; /* NULL: no body */
	bool trunc, json, done;
};

/* A request and its final response (request 0, response 1). */
struct h1ex {
	bool used, head, upgrade;
	uint64_t seq; /* its ordinal on the connection, from 1 */
	json_t *method, *authority, *path;
	struct h1msg m[2];
	int status;
	int64_t start_ns, end_ns;
};

struct h1dir {
	enum st st;
	uint64_t pos;
	uint64_t left; /* body or chunk bytes still to come */
	bool json, chunked, has_len, no_body, encoded, upgrade, switching;
	uint64_t len;
	int status;
	struct h1ex *ex; /* the exchange of the message; NULL for 1xx */
	bool collect;    /* a JSON body being collected */
	bool zeroing;    /* this message's body is being zeroed */
	struct piece *pc;
	size_t npc, cappc;
	uint64_t ptotal;
};

struct tw_h1conn {
	const struct tw_h2cfg *cfg;
	int client;
	json_t *flow;
	uint64_t id;
	struct tw_sbuf *sb[2];
	struct h1dir d[2];
	struct h1ex ex[MAX_PIPELINE];
	unsigned nreq, rreq;
	uint64_t seq;
	int64_t ts;
	uint64_t up_at[2]; /* h2c via Upgrade: where HTTP/2 starts */
	char settings[SETTINGS_MAX + 1];
	uint8_t settings_raw[SETTINGS_MAX];
	uint8_t *tmp;
	size_t tmp_cap;
};

static uint8_t *at(struct tw_sbuf *sb, uint64_t off)
{
	return sb->p + (off - sb->base);
}

static bool ieq(const uint8_t *a, size_t n, const char *b)
{
	if (strlen(b) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = a[i] >= 'A' && a[i] <= 'Z' ? a[i] + 32 : a[i];

		if (c != (uint8_t)b[i])
			return false;
	}
	return true;
}

static void zero(struct tw_sbuf *sb, uint64_t off, uint64_t n)
{
	memset(at(sb, off), 0, (size_t)n);
}

/* ---- the L7 trace ----------------------------------------------------- */

/* A JSON string of n bytes, or base64 when they are not UTF-8. */
static json_t *text_json(const uint8_t *p, size_t n)
{
	json_t *s = json_stringn((const char *)p, n);
	unsigned char *b;

	if (s)
		return s;
	b = malloc(4 * ((n + 2) / 3) + 1);
	if (!b)
		return json_null();
	EVP_EncodeBlock(b, p, (int)n);
	s = json_string((const char *)b);
	free(b);
	return s ? s : json_null();
}

static void msg_clear(struct h1msg *m)
{
	json_decref(m->headers);
	json_decref(m->trailers);
	free(m->body);
	memset(m, 0, sizeof(*m));
}

static void ex_clear(struct h1ex *e)
{
	json_decref(e->method);
	json_decref(e->authority);
	json_decref(e->path);
	msg_clear(&e->m[0]);
	msg_clear(&e->m[1]);
	memset(e, 0, sizeof(*e));
}

/* Keeps redacted body bytes for the L7 trace, up to L7_BODY_MAX. */
static void body_keep(struct h1msg *m, const uint8_t *p, size_t n)
{
	uint8_t *b;

	if (n > L7_BODY_MAX - m->body_len) {
		n = L7_BODY_MAX - m->body_len;
		m->trunc = true;
	}
	if (!n)
		return;
	b = realloc(m->body, m->body_len + n);
	if (!b) {
		m->trunc = true;
		return;
	}
	memcpy(b + m->body_len, p, n);
	m->body = b;
	m->body_len += n;
}

static json_t *msg_json(const struct h1msg *m)
{
	json_t *b = json_object(), *o = json_object(), *text = NULL;

	json_object_set_new(b, "size", json_integer((json_int_t)m->body_size));
	json_object_set_new(b, "redaction",
	                    json_string(m->redaction ? m->redaction : "none"));
	if (m->json && m->body_len)
		text = json_stringn((const char *)m->body, m->body_len);
	if (text) {
		json_object_set_new(b, "encoding", json_string("utf8"));
		json_object_set_new(b, "data", text);
	} else {
		json_object_set_new(
		        b, "encoding",
		        json_string(m->body_size ? "omitted" : "none"));
	}
	json_object_set_new(b, "truncated", json_boolean(m->trunc));
	json_object_set_new(o, "headers",
	                    m->headers ? json_incref(m->headers)
	                               : json_array());
	json_object_set_new(o, "trailers",
	                    m->trailers ? json_incref(m->trailers)
	                                : json_array());
	json_object_set_new(o, "body", b);
	return o;
}

static json_t *or_null(json_t *v)
{
	return v ? json_incref(v) : json_null();
}

/* Writes the exchange to the L7 trace and frees its slot. */
static void emit(struct tw_h1conn *c, struct h1ex *e, bool complete)
{
	json_t *rec, *rsp;

	c->cfg->st->exchanges++;
	if (c->cfg->l7) {
		rsp = msg_json(&e->m[1]);
		json_object_set_new(rsp, "status",
		                    e->status ? json_integer(e->status)
		                              : json_null());
		rec = json_pack(
		        "{s:i, s:O, s:I, s:I, s:s, s:I, s:I, s:o, s:s, s:o, "
		        "s:o, s:o, s:o, s:n, s:n, s:n, s:b}",
		        "v", 1, "flow", c->flow, "conn", (json_int_t)c->id,
		        "stream", (json_int_t)e->seq, "proto", "http/1.1",
		        "start_ns", (json_int_t)e->start_ns, "duration_ns",
		        (json_int_t)(e->end_ns - e->start_ns), "method",
		        or_null(e->method), "scheme", "http", "authority",
		        or_null(e->authority), "path", or_null(e->path),
		        "request", msg_json(&e->m[0]), "response", rsp,
		        "grpc_status", "grpc_message", "reset", "complete",
		        complete);
		if (rec) {
			json_dumpf(rec, c->cfg->l7, JSON_COMPACT);
			fputc('\n', c->cfg->l7);
		}
		json_decref(rec);
	}
	ex_clear(e);
}

/* A message ended: its exchange goes out once both sides have. */
static void msg_done(struct tw_h1conn *c, int dir)
{
	struct h1dir *d = &c->d[dir];
	struct h1ex *e = d->ex;
	int side = dir == c->client ? 0 : 1;

	d->ex = NULL;
	if (!e)
		return;
	e->m[side].done = true;
	if (side == 1)
		e->end_ns = c->ts;
	if (e->m[0].done && e->m[1].done)
		emit(c, e, true);
}

/* ---- start lines and header fields ------------------------------------ */

static bool scheme_char(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.';
}

/*
 * An absolute-form target (RFC 9112 section 3.2.2, sent to a proxy):
 * "http://user:pass@host:port/path?query".  The scheme (http, https,
 * ws, wss) stays, the userinfo is pseudonymized ('@' and ':' kept),
 * the host as :authority is by the policy, and the rest is left to the
 * caller, as a :path.  Returns where the path starts and the
 * authority in [*a, *a + *an), or SIZE_MAX when t is not in that form.
 */
static size_t absolute_target(struct tw_h1conn *c, uint8_t *t, size_t n,
                              size_t *a, size_t *an)
{
	size_t s = 0, e, at;

	while (s < n && scheme_char(t[s]))
		s++;
	if (n - s < 3 || memcmp(t + s, "://", 3) ||
	    !(ieq(t, s, "http") || ieq(t, s, "https") || ieq(t, s, "ws") ||
	      ieq(t, s, "wss")))
		return SIZE_MAX;
	at = s + 3;
	for (e = at; e < n && t[e] != '/' && t[e] != '?' && t[e] != '#'; e++)
		;
	for (size_t k = s + 3; k < e; k++)
		if (t[k] == '@')
			at = k + 1;
	if (at > s + 3)
		tw_pseudo_text(c->cfg->vkey, t + s + 3, at - 1 - (s + 3));
	if (!tw_policy_keeps_header(c->cfg->pol, ":authority", 10))
		tw_pseudo_text(c->cfg->vkey, t + at, e - at);
	*a = at;
	*an = e - at;
	return e;
}

static int request_line(struct tw_h1conn *c, struct h1dir *d, uint8_t *p,
                        size_t n)
{
	uint8_t *sp1 = memchr(p, ' ', n), *sp2;
	struct h1ex *e;
	size_t tn, ps, a = 0, an = 0;

	if (!sp1 || sp1 == p)
		return TW_EFORMAT;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - p));
	if (!sp2 || n - (size_t)(sp2 + 1 - p) < 8 ||
	    memcmp(sp2 + 1, "HTTP/1.", 7))
		return TW_EFORMAT;
	/* A method is a token anyone may coin: kept when it is a known
	 * one (the :method grammar), else pseudonymized. */
	tw_policy_kept_value(c->cfg->vkey, ":method", 7, p, (size_t)(sp1 - p));
	tn = (size_t)(sp2 - sp1 - 1);
	ps = absolute_target(c, sp1 + 1, tn, &a, &an);
	if (ps == SIZE_MAX)
		ps = 0;
	tw_http_redact_path(c->cfg, sp1 + 1 + ps, tn - ps, false);
	if (c->nreq - c->rreq >= MAX_PIPELINE)
		return TW_EFORMAT;
	e = &c->ex[c->nreq++ % MAX_PIPELINE];
	ex_clear(e);
	e->used = true;
	e->seq = ++c->seq;
	e->head = sp1 - p == 4 && !memcmp(p, "HEAD", 4);
	e->method = text_json(p, (size_t)(sp1 - p));
	/* The L7 trace's path is the origin form; an absolute form's
	 * authority is the request's (RFC 9112 section 3.2.2). */
	e->path =
	        ps == tn ? json_string("/") : text_json(sp1 + 1 + ps, tn - ps);
	if (an)
		e->authority = text_json(sp1 + 1 + a, an);
	e->start_ns = e->end_ns = c->ts;
	d->ex = e;
	d->no_body = false;
	return 0;
}

static int status_line(struct tw_h1conn *c, struct h1dir *d, uint8_t *p,
                       size_t n)
{
	struct h1ex *e;

	if (n < 12 || memcmp(p, "HTTP/1.", 7) || p[8] != ' ')
		return TW_EFORMAT;
	/* A reason phrase is free text: only standard ones stay. */
	if (n > 13)
		tw_policy_kept_reason(c->cfg->vkey, p + 13, n - 13);
	d->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (d->status < 100 || d->status > 999)
		return TW_EFORMAT;
	d->ex = NULL;
	d->no_body = true;
	if (d->status == 101) {
		/* Only a switch to h2c that the client asked for is
		 * followed; anything else is a protocol we do not know. */
		e = c->rreq != c->nreq ? &c->ex[c->rreq % MAX_PIPELINE] : NULL;
		if (!e || !e->upgrade)
			return TW_EFORMAT;
		d->switching = true;
		return 0;
	}
	if (d->status < 200)
		return 0;
	if (c->rreq == c->nreq)
		return TW_EFORMAT; /* a response to no request */
	e = &c->ex[c->rreq++ % MAX_PIPELINE];
	if (e->upgrade) {
		/* The upgrade is declined: the client goes on in HTTP/1.1. */
		e->upgrade = false;
		if (c->d[c->client].st == S_UPGRADE_WAIT)
			c->d[c->client].st = S_LINE;
	}
	e->status = d->status;
	d->ex = e;
	d->no_body = e->head || d->status == 204 || d->status == 304;
	return 0;
}

/* Whether a value is a comma-separated list of these tokens only
 * (with has, whether one of them is has). */
static bool tokens_in(const uint8_t *p, size_t n, const char *const *ok,
                      const char *has, bool *found)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i, k = 0;

		while (j < n && p[j] != ',')
			j++;
		while (i < j && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (j > i && (p[j - 1] == ' ' || p[j - 1] == '\t'))
			j--;
		if (has && ieq(p + i, j - i, has))
			*found = true;
		while (ok[k] && !ieq(p + i, j - i, ok[k]))
			k++;
		if (!ok[k])
			return false;
		while (j < n && p[j] != ',')
			j++;
		i = j + 1;
	}
	return true;
}

static bool digits(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((p[i] < '0' || p[i] > '9') && p[i] != ' ')
			return false;
	return n > 0;
}

/* Adds [name, value] (both as redacted) to the message's list. */
static void note_header(struct tw_h1conn *c, struct h1dir *d, const char *name,
                        size_t nl, const uint8_t *v, size_t vn)
{
	int side = d == &c->d[c->client] ? 0 : 1;
	struct h1msg *m;
	json_t **list, *pair;

	if (!d->ex)
		return;
	m = &d->ex->m[side];
	list = d->st == S_TRAILERS ? &m->trailers : &m->headers;
	while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
		vn--;
	if (side == 0 && d->st == S_HEADERS && nl == 4 &&
	    !memcmp(name, "host", 4) && !d->ex->authority) {
		json_decref(d->ex->authority);
		d->ex->authority = text_json(v, vn);
	}
	if (!c->cfg->l7)
		return;
	if (!*list)
		*list = json_array();
	pair = json_pack("[s%, o]", name, nl, text_json(v, vn));
	json_array_append_new(*list, pair ? pair : json_array());
}

/*
 * Header fields that frame the message or the connection: their values
 * are kept when they hold only the tokens below.  Returns true when the
 * value is kept.
 */
static bool framing(struct tw_h1conn *c, struct h1dir *d, const uint8_t *p,
                    size_t nl, size_t v, size_t n)
{
	static const char *const te[] = { "chunked",  "gzip",     "deflate",
		                          "compress", "identity", NULL };
	static const char *const conn[] = { "keep-alive",     "close",
		                            "upgrade",        "te",
		                            "http2-settings", NULL };
	static const char *const up[] = { "h2c", "h2", "websocket", NULL };
	bool h2c = false;

	if (ieq(p, nl, "transfer-encoding")) {
		d->chunked = n - v >= 7 && ieq(p + n - 7, 7, "chunked");
		return tokens_in(p + v, n - v, te, NULL, NULL);
	}
	if (ieq(p, nl, "connection"))
		return tokens_in(p + v, n - v, conn, NULL, NULL);
	if (ieq(p, nl, "upgrade") && tokens_in(p + v, n - v, up, "h2c", &h2c)) {
		d->upgrade = h2c && d == &c->d[c->client];
		return true;
	}
	if (ieq(p, nl, "http2-settings") && d == &c->d[c->client]) {
		/* A SETTINGS payload in base64url: numbers, no names. */
		size_t k = n - v < SETTINGS_MAX ? n - v : SETTINGS_MAX;

		memcpy(c->settings, p + v, k);
		c->settings[k] = '\0';
		return true;
	}
	return false;
}

static void header_line(struct tw_h1conn *c, struct h1dir *d, uint8_t *p,
                        size_t n)
{
	uint8_t *colon = memchr(p, ':', n);
	size_t nl, v;
	char name[TW_POLICY_NAME_MAX];

	if (!colon || colon == p || p[0] == ' ' || p[0] == '\t') {
		/* obs-fold or junk: the whole line is a value */
		tw_pseudo_text(c->cfg->vkey, p, n);
		return;
	}
	nl = (size_t)(colon - p);
	for (v = nl + 1; v < n && (p[v] == ' ' || p[v] == '\t'); v++)
		;
	if (nl >= sizeof(name)) {
		tw_pseudo_text(c->cfg->vkey, p + v, n - v);
		return;
	}
	for (size_t i = 0; i < nl; i++)
		name[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
	if (ieq(p, nl, "content-length") && digits(p + v, n - v)) {
		char num[24];
		size_t k = n - v < sizeof(num) - 1 ? n - v : sizeof(num) - 1;
		char *end;

		memcpy(num, p + v, k);
		num[k] = '\0';
		d->len = strtoull(num, &end, 10);
		d->has_len = end != num;
	} else if (framing(c, d, p, nl, v, n)) {
		/* kept */
	} else {
		if (ieq(p, nl, "content-type")) {
			size_t e = v;

			while (e < n && p[e] != ';' && p[e] != ' ')
				e++;
			d->json = ieq(p + v, e - v, "application/json") ||
			          (e - v > 5 && ieq(p + e - 5, 5, "+json"));
		}
		if (ieq(p, nl, "content-encoding") &&
		    !ieq(p + v, n - v, "identity"))
			d->encoded = true; /* compressed JSON: not walked */
		if (!tw_policy_keeps_header(c->cfg->pol, name, nl))
			tw_pseudo_text(c->cfg->vkey, p + v, n - v);
		else /* kept only as far as the header's grammar goes */
			tw_policy_kept_value(c->cfg->vkey, name, nl, p + v,
			                     n - v);
	}
	note_header(c, d, name, nl, p + v, n - v);
}

/* ---- bodies ----------------------------------------------------------- */

static struct h1msg *cur_msg(struct tw_h1conn *c, struct h1dir *d)
{
	return d->ex ? &d->ex->m[d == &c->d[c->client] ? 0 : 1] : NULL;
}

/* Drops the pieces collected so far: zeroed, never passed. */
static void pieces_zero(struct tw_sbuf *sb, struct h1dir *d)
{
	for (size_t i = 0; i < d->npc; i++)
		if (d->pc[i].off >= sb->base)
			zero(sb, d->pc[i].off, d->pc[i].len);
	d->npc = 0;
	d->ptotal = 0;
}

static int piece_add(struct h1dir *d, uint64_t off, uint64_t n)
{
	if (d->npc && d->pc[d->npc - 1].off + d->pc[d->npc - 1].len == off) {
		d->pc[d->npc - 1].len += n;
	} else {
		if (d->npc == MAX_PIECES)
			return TW_ELIMIT;
		if (d->npc == d->cappc) {
			size_t cap = d->cappc ? d->cappc * 2 : 16;
			struct piece *p = realloc(d->pc, cap * sizeof(*p));

			if (!p)
				return TW_ENOMEM;
			d->pc = p;
			d->cappc = cap;
		}
		d->pc[d->npc++] = (struct piece){ off, n };
	}
	d->ptotal += n;
	return 0;
}

/* The message's body is zeroed from here on (and what was held). */
static void body_zeroing(struct tw_h1conn *c, struct h1dir *d,
                         struct tw_sbuf *sb)
{
	struct h1msg *m = cur_msg(c, d);

	pieces_zero(sb, d);
	d->collect = false;
	if (!d->zeroing)
		c->cfg->st->bodies_zeroed++;
	d->zeroing = true;
	if (m)
		m->redaction = "zeroed";
}

/* k body bytes at off arrived. */
static void body_bytes(struct tw_h1conn *c, struct h1dir *d, struct tw_sbuf *sb,
                       uint64_t off, uint64_t k)
{
	struct h1msg *m = cur_msg(c, d);

	if (!k)
		return;
	if (m)
		m->body_size += k;
	if (d->collect && d->ptotal + k > c->cfg->pol->lim.message) {
		c->cfg->st->over_message++; /* limits.message */
		body_zeroing(c, d, sb);
	} else if (d->collect && piece_add(d, off, k) < 0) {
		body_zeroing(c, d, sb);
	}
	if (!d->collect) {
		if (!d->zeroing)
			body_zeroing(c, d, sb);
		zero(sb, off, k);
	}
}

static int tmp_grow(struct tw_h1conn *c, size_t n)
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

/* The whole body is here: a collected JSON body is redacted as one text
 * and its pieces written back where they came from. */
static void body_end(struct tw_h1conn *c, struct h1dir *d, struct tw_sbuf *sb)
{
	struct h1msg *m = cur_msg(c, d);
	size_t o = 0;
	int rc;

	if (!d->collect || !d->ptotal) {
		d->collect = false;
		d->npc = d->ptotal = 0;
		return;
	}
	d->collect = false;
	if (tmp_grow(c, (size_t)d->ptotal) < 0) {
		body_zeroing(c, d, sb);
		return;
	}
	for (size_t i = 0; i < d->npc; i++) {
		memcpy(c->tmp + o, at(sb, d->pc[i].off), d->pc[i].len);
		o += d->pc[i].len;
	}
	c->cfg->st->json_bodies++;
	rc = tw_json_redact_max(c->cfg->vkey, c->tmp, (size_t)d->ptotal,
	                        (unsigned)c->cfg->pol->lim.json_depth);
	if (rc < 0) {
		if (rc == TW_ELIMIT)
			c->cfg->st->over_json_depth++;
		else
			c->cfg->st->invalid_bodies++;
		body_zeroing(c, d, sb);
		return;
	}
	o = 0;
	for (size_t i = 0; i < d->npc; i++) {
		memcpy(at(sb, d->pc[i].off), c->tmp + o, d->pc[i].len);
		o += d->pc[i].len;
	}
	if (m) {
		m->redaction = "json";
		m->json = true;
		if (c->cfg->l7)
			body_keep(m, c->tmp, (size_t)d->ptotal);
	}
	d->npc = d->ptotal = 0;
}

/* ---- the parser ------------------------------------------------------- */

/* The end of the line starting at off (its LF), or 0 to wait. */
static int line_end(struct tw_sbuf *sb, uint64_t off, uint64_t *lf)
{
	uint64_t end = sb->base + sb->len;
	const uint8_t *p = at(sb, off);
	const uint8_t *q = memchr(p, '\n', (size_t)(end - off));

	if (!q)
		return end - off > MAX_LINE ? TW_EFORMAT : 0;
	*lf = off + (uint64_t)(q - p);
	return 1;
}

/* A message's end (it had no body, or its body is over). */
static void message_end(struct tw_h1conn *c, int dir, uint64_t next)
{
	struct h1dir *d = &c->d[dir];
	struct h1ex *e = d->ex;

	d->st = S_LINE;
	msg_done(c, dir);
	if (dir == c->client && e && e->upgrade) {
		d->st = S_UPGRADE_WAIT;
		c->up_at[dir] = next;
	}
}

/* The blank line after the header fields (next: the byte after it). */
static void headers_end(struct tw_h1conn *c, int dir, uint64_t next)
{
	struct h1dir *d = &c->d[dir];
	bool client = dir == c->client;

	if (client && d->ex) {
		d->ex->start_ns = d->ex->end_ns = c->ts;
		d->ex->upgrade = d->upgrade;
	}
	if (!client && d->switching) {
		d->st = S_SWITCHED;
		c->up_at[dir] = next;
		return;
	}
	d->collect = d->json && !d->encoded &&
	             c->cfg->pol->json_body == TW_POL_BODY_REDACT;
	d->zeroing = false;
	d->npc = d->ptotal = 0;
	if (d->no_body && !client)
		message_end(c, dir, next);
	else if (d->chunked)
		d->st = S_CHUNK;
	else if (d->has_len && d->len)
		d->st = S_BODY, d->left = d->len;
	else if (client || d->has_len)
		message_end(c, dir, next);
	else
		d->st = S_CLOSE;
}

/* One line (n bytes at p before its CRLF; next: the offset after its
 * LF) in a line state. */
static int line(struct tw_h1conn *c, int dir, uint8_t *p, size_t n,
                uint64_t next)
{
	struct tw_sbuf *sb = c->sb[dir];
	struct h1dir *d = &c->d[dir];
	int rc;

	switch (d->st) {
	case S_LINE:
		if (n == 0)
			return 0; /* a stray CRLF */
		d->json = d->chunked = d->has_len = false;
		d->encoded = d->upgrade = d->switching = false;
		rc = dir == c->client ? request_line(c, d, p, n)
		                      : status_line(c, d, p, n);
		if (rc < 0)
			return rc;
		d->st = S_HEADERS;
		return 0;
	case S_HEADERS:
		if (n)
			header_line(c, d, p, n);
		else
			headers_end(c, dir, next);
		return 0;
	case S_CHUNK: {
		char *e;
		char num[20];
		size_t k = n < 19 ? n : 19;

		memcpy(num, p, k);
		num[k] = '\0';
		d->left = strtoull(num, &e, 16);
		if (e == num)
			return TW_EFORMAT;
		/* Chunk extensions (";name=value") could say anything:
		 * names and values pseudonymized, ';', '=', quotes and
		 * white space kept, so the line stays valid HTTP/1.1. */
		tw_pseudo_text(c->cfg->vkey, p + (e - num),
		               n - (size_t)(e - num));
		d->st = d->left ? S_CHUNK_DATA : S_TRAILERS;
		if (!d->left)
			body_end(c, d, sb);
		return 0;
	}
	case S_CHUNK_END:
		if (n)
			return TW_EFORMAT;
		d->st = S_CHUNK;
		return 0;
	default: /* S_TRAILERS */
		if (n)
			header_line(c, d, p, n);
		else
			message_end(c, dir, next);
		return 0;
	}
}

/* Parses what it can of direction dir; returns 0 or TW_EFORMAT. */
static int parse(struct tw_h1conn *c, int dir)
{
	struct tw_sbuf *sb = c->sb[dir];
	struct h1dir *d = &c->d[dir];
	uint64_t end = sb->base + sb->len, lf, k;
	int rc;

	while (d->pos < end) {
		uint8_t *p = at(sb, d->pos);
		size_t n;

		switch (d->st) {
		case S_UPGRADE_WAIT:
		case S_SWITCHED:
			return 0;
		case S_BODY:
		case S_CHUNK_DATA:
			k = end - d->pos < d->left ? end - d->pos : d->left;
			body_bytes(c, d, sb, d->pos, k);
			d->pos += k;
			d->left -= k;
			if (d->left)
				continue;
			if (d->st == S_CHUNK_DATA) {
				d->st = S_CHUNK_END;
				continue;
			}
			body_end(c, d, sb);
			message_end(c, dir, d->pos);
			continue;
		case S_CLOSE:
			body_bytes(c, d, sb, d->pos, end - d->pos);
			d->pos = end;
			continue;
		default:
			rc = line_end(sb, d->pos, &lf);
			if (rc <= 0)
				return rc;
			n = (size_t)(lf - d->pos);
			if (n && p[n - 1] == '\r')
				n--;
			rc = line(c, dir, p, n, lf + 1);
			if (rc < 0)
				return rc;
			d->pos = lf + 1;
		}
	}
	return 0;
}

/* Whether both directions have reached their HTTP/2. */
static bool switched(const struct tw_h1conn *c)
{
	return c->d[c->client].st == S_UPGRADE_WAIT &&
	       c->d[!c->client].st == S_SWITCHED;
}

int tw_h1_feed(struct tw_h1conn *c, int dir, uint64_t *done, int64_t ts_ns)
{
	struct h1dir *d = &c->d[dir];
	int rc;

	c->ts = ts_ns;
	rc = parse(c, dir);
	*done = d->collect && d->npc ? d->pc[0].off : d->pos;
	if (rc < 0) {
		c->cfg->st->errors++;
		return rc;
	}
	return switched(c) ? 1 : 0;
}

/* Decodes the request's HTTP2-Settings (base64url, RFC 4648 section 5,
 * unpadded) into c->settings_raw; returns its length (0 when invalid). */
static size_t settings_decode(struct tw_h1conn *c)
{
	char b[SETTINGS_MAX + 4];
	size_t n = strlen(c->settings), i;
	int w;

	for (i = 0; i < n; i++)
		b[i] = c->settings[i] == '-'   ? '+'
		       : c->settings[i] == '_' ? '/'
		                               : c->settings[i];
	while (i % 4)
		b[i++] = '=';
	if (i * 3 / 4 > sizeof(c->settings_raw))
		return 0;
	w = EVP_DecodeBlock(c->settings_raw, (const unsigned char *)b, (int)i);
	if (w < 0)
		return 0;
	w -= (int)(i - n); /* the padding added */
	return w > 0 && w % 6 == 0 ? (size_t)w : 0;
}

int tw_h1_take_upgrade(struct tw_h1conn *c, struct tw_h2_upgrade *u)
{
	struct h1ex *e =
	        c->rreq != c->nreq ? &c->ex[c->rreq % MAX_PIPELINE] : NULL;
	json_t *ps = json_object();

	if (!switched(c) || !e || !e->upgrade || !ps) {
		json_decref(ps);
		return TW_ESTATE;
	}
	memset(u, 0, sizeof(*u));
	u->client_at = c->up_at[c->client];
	u->server_at = c->up_at[!c->client];
	u->start_ns = e->start_ns;
	json_object_set(ps, ":method", e->method);
	json_object_set_new(ps, ":scheme", json_string("http"));
	json_object_set(ps, ":authority", e->authority);
	json_object_set(ps, ":path", e->path);
	u->pseudo = ps;
	u->headers =
	        e->m[0].headers ? json_incref(e->m[0].headers) : json_array();
	u->body = e->m[0].body;
	u->body_len = e->m[0].body_len;
	u->body_size = e->m[0].body_size;
	u->json_body = e->m[0].json;
	u->redaction = e->m[0].redaction;
	u->settings = c->settings_raw;
	u->settings_len = settings_decode(c);
	/* Stream 1 of the HTTP/2 connection now: not written here. */
	e->used = false;
	c->rreq++;
	return 0;
}

struct tw_h1conn *tw_h1_new(const struct tw_h2cfg *cfg, int client_dir,
                            json_t *flow, uint64_t conn_id, struct tw_sbuf *sb0,
                            struct tw_sbuf *sb1)
{
	struct tw_h1conn *c = calloc(1, sizeof(*c));

	if (!c || tw_huff_init() < 0) {
		free(c);
		json_decref(flow);
		return NULL;
	}
	c->cfg = cfg;
	c->client = client_dir;
	c->flow = flow;
	c->id = conn_id;
	c->sb[0] = sb0;
	c->sb[1] = sb1;
	return c;
}

void tw_h1_free(struct tw_h1conn *c)
{
	if (!c)
		return;
	/* Open exchanges, oldest first; an answer read until the close
	 * ends with it. */
	for (;;) {
		struct h1ex *e = NULL;

		for (int i = 0; i < MAX_PIPELINE; i++)
			if (c->ex[i].used && (!e || c->ex[i].seq < e->seq))
				e = &c->ex[i];
		if (!e)
			break;
		if (c->d[!c->client].st == S_CLOSE &&
		    c->d[!c->client].ex == e) {
			e->end_ns = c->ts;
			emit(c, e, e->m[0].done);
		} else {
			emit(c, e, false);
		}
	}
	for (int i = 0; i < MAX_PIPELINE; i++)
		ex_clear(&c->ex[i]);
	for (int i = 0; i < 2; i++) {
		pieces_zero(c->sb[i], &c->d[i]);
		free(c->d[i].pc);
	}
	json_decref(c->flow);
	free(c->tmp);
	free(c);
}

bool tw_h1_looks_like(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && i < 16 && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	return i > 0 && i < n && p[i] == ' ';
}
