/*
 * h1.c - HTTP/1.1 (RFC 9112) redacted on a reassembled TCP connection,
 * in place and length for length, like h2.c.
 *
 * Request line: the method and version are kept, the target redacted as
 * a :path is (tw_http_redact_path).  Status line: kept (status codes and
 * standard reason phrases name no one).  Header fields: names kept,
 * values kept when the policy keeps the (lowercased) name or when they
 * frame the message (content-length, transfer-encoding, connection),
 * otherwise pseudonymized.  Bodies (section 6.3): a Content-Length JSON
 * body is held until complete, parsed and its strings pseudonymized;
 * every other body (chunked, read until close, not JSON) is zeroed, the
 * chunk framing kept.  Keep-alive and pipelining follow from parsing
 * one message after another; responses to HEAD and 1xx, 204, 304 have
 * no body.  A 101 (protocol switch) or anything malformed ends the
 * direction (the session zeroes the rest).
 */
#include "redact/h1.h"

#include <stdlib.h>
#include <string.h>

#include "redact/body.h"
#include "redact/pseudo.h"
#include "trace/error.h"

#define MAX_LINE 65536
#define MAX_PIPELINE 64

enum st {
	S_LINE = 0,
	S_HEADERS,
	S_BODY,
	S_CHUNK,
	S_CHUNK_DATA,
	S_CHUNK_END,
	S_TRAILERS,
	S_CLOSE
};

struct h1dir {
	enum st st;
	uint64_t pos;
	uint64_t left;    /* body or chunk bytes still to come */
	uint64_t body_at; /* a JSON body being held: its first byte */
	bool json, chunked, has_len, no_body;
	uint64_t len;
	int status;
};

struct tw_h1conn {
	const struct tw_h2cfg *cfg;
	int client;
	struct tw_sbuf *sb[2];
	struct h1dir d[2];
	bool head[MAX_PIPELINE]; /* requests waiting: HEAD or not */
	unsigned nreq, rreq;
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

static int request_line(struct tw_h1conn *c, struct h1dir *d, uint8_t *p,
                        size_t n)
{
	uint8_t *sp1 = memchr(p, ' ', n), *sp2;

	if (!sp1 || sp1 == p)
		return TW_EFORMAT;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - p));
	if (!sp2 || n - (size_t)(sp2 + 1 - p) < 8 ||
	    memcmp(sp2 + 1, "HTTP/1.", 7))
		return TW_EFORMAT;
	tw_http_redact_path(c->cfg, sp1 + 1, (size_t)(sp2 - sp1 - 1), false);
	if (c->nreq - c->rreq >= MAX_PIPELINE)
		return TW_EFORMAT;
	c->head[c->nreq++ % MAX_PIPELINE] =
	        sp1 - p == 4 && !memcmp(p, "HEAD", 4);
	d->no_body = false;
	return 0;
}

static int status_line(struct tw_h1conn *c, struct h1dir *d, const uint8_t *p,
                       size_t n)
{
	bool head = false;

	if (n < 12 || memcmp(p, "HTTP/1.", 7) || p[8] != ' ')
		return TW_EFORMAT;
	d->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (d->status < 100 || d->status > 999 || d->status == 101)
		return TW_EFORMAT; /* TODO(#5): h2c via Upgrade */
	if (d->status >= 200) {
		if (c->rreq == c->nreq)
			return TW_EFORMAT; /* a response to no request */
		head = c->head[c->rreq++ % MAX_PIPELINE];
	}
	d->no_body =
	        head || d->status < 200 || d->status == 204 || d->status == 304;
	return 0;
}

/* Whether a value is a comma-separated list of these tokens only. */
static bool tokens_in(const uint8_t *p, size_t n, const char *const *ok)
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

static void header_line(struct tw_h1conn *c, struct h1dir *d, uint8_t *p,
                        size_t n)
{
	static const char *const te[] = { "chunked",  "gzip",     "deflate",
		                          "compress", "identity", NULL };
	static const char *const conn[] = { "keep-alive",     "close",
		                            "upgrade",        "te",
		                            "http2-settings", NULL };
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
	if (ieq(p, nl, "content-length") && digits(p + v, n - v)) {
		char num[24];
		size_t k = n - v < sizeof(num) - 1 ? n - v : sizeof(num) - 1;
		char *end;

		memcpy(num, p + v, k);
		num[k] = '\0';
		d->len = strtoull(num, &end, 10);
		d->has_len = end != num;
		return;
	}
	if (ieq(p, nl, "transfer-encoding")) {
		d->chunked = n - v >= 7 && ieq(p + n - 7, 7, "chunked");
		if (tokens_in(p + v, n - v, te))
			return;
	}
	if (ieq(p, nl, "content-type")) {
		size_t e = v;

		while (e < n && p[e] != ';' && p[e] != ' ')
			e++;
		d->json = ieq(p + v, e - v, "application/json") ||
		          (e - v > 5 && ieq(p + e - 5, 5, "+json"));
	}
	if (ieq(p, nl, "connection") && tokens_in(p + v, n - v, conn))
		return;
	if (nl >= sizeof(name)) {
		tw_pseudo_text(c->cfg->vkey, p + v, n - v);
		return;
	}
	for (size_t i = 0; i < nl; i++)
		name[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
	if (!tw_policy_keeps_header(c->cfg->pol, name, nl))
		tw_pseudo_text(c->cfg->vkey, p + v, n - v);
}

static void zero(struct tw_sbuf *sb, uint64_t off, uint64_t n)
{
	memset(at(sb, off), 0, (size_t)n);
}

/* Parses what it can of direction dir; returns 0 or TW_EFORMAT. */
static int parse(struct tw_h1conn *c, int dir)
{
	struct tw_sbuf *sb = c->sb[dir];
	struct h1dir *d = &c->d[dir];
	uint64_t end = sb->base + sb->len, lf;
	int rc;

	while (d->pos < end) {
		uint8_t *p = at(sb, d->pos);

		switch (d->st) {
		case S_LINE:
		case S_HEADERS:
		case S_CHUNK:
		case S_CHUNK_END:
		case S_TRAILERS: {
			size_t n;

			rc = line_end(sb, d->pos, &lf);
			if (rc <= 0)
				return rc;
			n = (size_t)(lf - d->pos);
			if (n && p[n - 1] == '\r')
				n--;
			if (d->st == S_LINE) {
				if (n == 0) { /* a stray CRLF */
					d->pos = lf + 1;
					continue;
				}
				d->json = d->chunked = d->has_len = false;
				rc = dir == c->client ? request_line(c, d, p, n)
				                      : status_line(c, d, p, n);
				if (rc < 0)
					return rc;
				d->st = S_HEADERS;
			} else if (d->st == S_HEADERS && n) {
				header_line(c, d, p, n);
			} else if (d->st == S_HEADERS) {
				if (d->no_body && dir != c->client)
					d->st = S_LINE;
				else if (d->chunked)
					d->st = S_CHUNK;
				else if (d->has_len && d->len)
					d->st = S_BODY, d->left = d->len,
					d->body_at = lf + 1;
				else if (dir == c->client || d->has_len)
					d->st = S_LINE;
				else
					d->st = S_CLOSE;
			} else if (d->st == S_CHUNK) {
				char *e;
				char num[20];
				size_t k = n < 19 ? n : 19;

				memcpy(num, p, k);
				num[k] = '\0';
				d->left = strtoull(num, &e, 16);
				if (e == num)
					return TW_EFORMAT;
				/* chunk extensions could say anything */
				zero(sb, d->pos + (uint64_t)(e - num),
				     n - (size_t)(e - num));
				d->st = d->left ? S_CHUNK_DATA : S_TRAILERS;
			} else if (d->st == S_CHUNK_END) {
				if (n)
					return TW_EFORMAT;
				d->st = S_CHUNK;
			} else if (n) {
				header_line(c, d, p, n); /* a trailer */
			} else {
				d->st = S_LINE;
			}
			d->pos = lf + 1;
			continue;
		}
		case S_BODY:
			if (d->json &&
			    c->cfg->pol->json_body == TW_POL_BODY_REDACT &&
			    d->len <= (16u << 20)) {
				if (end - d->body_at < d->len)
					return 0; /* held until complete */
				if (tw_json_redact(c->cfg->vkey,
				                   at(sb, d->body_at),
				                   (size_t)d->len) < 0)
					zero(sb, d->body_at, d->len);
				c->cfg->st->json_bodies++;
				d->pos = d->body_at + d->len;
				d->st = S_LINE;
				continue;
			}
			/* Otherwise zeroed as it comes. */
			/* fall through */
		case S_CHUNK_DATA: {
			uint64_t k =
			        end - d->pos < d->left ? end - d->pos : d->left;

			zero(sb, d->pos, k);
			d->pos += k;
			d->left -= k;
			if (!d->left)
				d->st = d->st == S_BODY ? S_LINE : S_CHUNK_END;
			if (k)
				c->cfg->st->bodies_zeroed++;
			continue;
		}
		case S_CLOSE:
			zero(sb, d->pos, end - d->pos);
			d->pos = end;
			continue;
		}
	}
	return 0;
}

int tw_h1_feed(struct tw_h1conn *c, int dir, uint64_t *done)
{
	struct h1dir *d = &c->d[dir];
	int rc = parse(c, dir);

	*done = d->st == S_BODY && d->pos == d->body_at ? d->body_at : d->pos;
	if (rc < 0)
		c->cfg->st->errors++;
	return rc;
}

struct tw_h1conn *tw_h1_new(const struct tw_h2cfg *cfg, int client_dir,
                            struct tw_sbuf *sb0, struct tw_sbuf *sb1)
{
	struct tw_h1conn *c = calloc(1, sizeof(*c));

	if (!c || tw_huff_init() < 0) {
		free(c);
		return NULL;
	}
	c->cfg = cfg;
	c->client = client_dir;
	c->sb[0] = sb0;
	c->sb[1] = sb1;
	return c;
}

void tw_h1_free(struct tw_h1conn *c)
{
	free(c);
}

bool tw_h1_looks_like(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && i < 16 && p[i] >= 'A' && p[i] <= 'Z')
		i++;
	return i > 0 && i < n && p[i] == ' ';
}
