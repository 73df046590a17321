/*
 * l7_trace.c - reads the JSON Lines L7 trace of `tracewarp redact
 * --l7-out` (redact/L7TRACE.md) into exchanges, with jansson.
 *
 * Fields used, by name (anything else is ignored, so a newer writer's
 * additions do not break the reader):
 *   start_ns (integer, required), method and path (strings, required),
 *   conn (integer or string: the recorded connection), scheme, authority,
 *   request.headers ([[name, value], ...], pseudo-headers skipped),
 *   request.body {encoding: utf8|base64|omitted|none, data, size,
 *   messages: [{t_ns, size}, ...] (gRPC: per-message times)},
 *   response.status (integer), grpc_status (string or integer).
 * A line without "conn" gets a connection of its own.
 *
 * Every exchange is re-issued as HTTP/2, whatever its "proto" ("h2c" or
 * "http/1.1"): the header fields that are specific to an HTTP/1.1
 * connection, which HTTP/2 forbids (RFC 9113 section 8.2.2), are left
 * out here, and "host" gives the authority when the line has none.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "replay/l7.h"
#include "trace/bytes.h"
#include "trace/log.h"

/* A gRPC body cut by the writer is made whole again with copies of its
 * messages, held in memory, up to this; zeros (an omitted body, a cut
 * body that is not gRPC) are made as they are sent, up to ZEROS_MAX. */
#define OMITTED_MAX (16u << 20)
#define ZEROS_MAX ((json_int_t)1 << 40)
/* The trace versions this reader knows ("v"). */
#define TRACE_VERSION 1

static char *dup_str(json_t *v)
{
	return json_is_string(v)
	               ? strndup(json_string_value(v), json_string_length(v))
	               : NULL;
}

static uint64_t hash_key(const char *k)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211ULL;
	return h ^ (h >> 29);
}

/* Doubles the hash table and puts every key back. */
static int rehash(struct tw_l7_trace *t)
{
	size_t cap = t->hash_cap ? t->hash_cap * 2 : 256;
	uint32_t *h = calloc(cap, sizeof(*h));

	if (!h)
		return TW_ENOMEM;
	for (uint32_t i = 0; i < t->nconns; i++) {
		size_t at = hash_key(t->conn_keys[i]) & (cap - 1);

		while (h[at])
			at = (at + 1) & (cap - 1);
		h[at] = i + 1;
	}
	free(t->conn_hash);
	t->conn_hash = h;
	t->hash_cap = cap;
	return 0;
}

/* The dense index of the connection key, added when new. */
static int conn_index(struct tw_l7_trace *t, const char *key, uint32_t *out)
{
	size_t at;
	char **k;

	if ((t->nconns + 1) * 2 > t->hash_cap && rehash(t) < 0)
		return TW_ENOMEM;
	at = hash_key(key) & (t->hash_cap - 1);
	for (; t->conn_hash[at]; at = (at + 1) & (t->hash_cap - 1))
		if (!strcmp(t->conn_keys[t->conn_hash[at] - 1], key)) {
			*out = t->conn_hash[at] - 1;
			return 0;
		}
	if (t->nconns == UINT32_MAX - 1)
		return TW_ENOMEM;
	if (t->nconns == t->conn_cap) {
		size_t cap = t->conn_cap ? t->conn_cap * 2 : 64;

		k = realloc(t->conn_keys, cap * sizeof(*k));
		if (!k)
			return TW_ENOMEM;
		t->conn_keys = k;
		t->conn_cap = cap;
	}
	t->conn_keys[t->nconns] = strdup(key);
	if (!t->conn_keys[t->nconns])
		return TW_ENOMEM;
	t->conn_hash[at] = t->nconns + 1;
	*out = t->nconns++;
	return 0;
}

static int set_conn(struct tw_l7_trace *t, json_t *rec, uint64_t lineno,
                    struct tw_l7_exchange *ex)
{
	json_t *c = json_object_get(rec, "conn");
	char key[64];

	if (json_is_integer(c))
		snprintf(key, sizeof(key), "i%lld",
		         (long long)json_integer_value(c));
	else if (json_is_string(c))
		snprintf(key, sizeof(key), "s%.60s", json_string_value(c));
	else
		snprintf(key, sizeof(key), "line%llu",
		         (unsigned long long)lineno);
	return conn_index(t, key, &ex->conn);
}

static int decode_b64(const char *s, size_t n, uint8_t **out, size_t *len)
{
	size_t pad = 0;
	int w;

	*out = malloc(n / 4 * 3 + 3);
	if (!*out)
		return TW_ENOMEM;
	if (n % 4)
		return TW_EFORMAT;
	w = EVP_DecodeBlock(*out, (const unsigned char *)s, (int)n);
	if (w < 0)
		return TW_EFORMAT;
	while (pad < 2 && n > pad && s[n - 1 - pad] == '=')
		pad++;
	*len = (size_t)w - pad;
	return 0;
}

/*
 * A body the trace holds only the start of (65536 bytes) is sent at its
 * recorded size.  gRPC: the complete messages kept, then copies of them,
 * in turn, until the recorded count of messages (a copy of a real message
 * still parses, zeros would not), or zeros to end a first message that
 * was itself cut.  Anything else: zeros up to the size.
 */
static int untruncate(struct tw_l7_exchange *ex, json_int_t size,
                      json_int_t messages)
{
	size_t want = size > OMITTED_MAX ? OMITTED_MAX : (size_t)size;
	size_t done = 0, k = 0, n, src = 0;
	uint8_t *b;

	if (size <= 0 || (size_t)size <= ex->body_len)
		return 0;
	if (!ex->grpc || size > ZEROS_MAX) {
		if (size > ZEROS_MAX)
			return TW_ELIMIT;
		ex->body_len = (size_t)size; /* zeros after body_have */
		return 0;
	}
	if (size > OMITTED_MAX)
		tw_log(TW_LOG_WARN, "l7",
		       "line %llu: cut gRPC body of %lld bytes made whole up "
		       "to %u bytes only",
		       (unsigned long long)ex->line, (long long)size,
		       OMITTED_MAX);
	while (ex->grpc && done + 5 <= ex->body_len) {
		n = 5 + ((size_t)ex->body[done + 1] << 24 |
		         (size_t)ex->body[done + 2] << 16 |
		         (size_t)ex->body[done + 3] << 8 | ex->body[done + 4]);
		if (done + n > ex->body_len)
			break;
		done += n;
		k++;
	}
	b = realloc(ex->body, want);
	if (!b)
		return TW_ENOMEM;
	ex->body = b;
	if (!k) {
		memset(b + ex->body_len, 0, want - ex->body_len);
		ex->body_len = ex->body_have = want;
		return 0;
	}
	ex->body_len = done;
	for (json_int_t m = (json_int_t)k; m < messages; m++) {
		n = 5 + ((size_t)b[src + 1] << 24 | (size_t)b[src + 2] << 16 |
		         (size_t)b[src + 3] << 8 | b[src + 4]);
		if (ex->body_len + n > want)
			break;
		memmove(b + ex->body_len, b + src, n);
		ex->body_len += n;
		src = src + n >= done ? 0 : src + n;
	}
	ex->body_have = ex->body_len;
	return 0;
}

static int set_body(json_t *body, struct tw_l7_exchange *ex,
                    struct tw_errbuf *eb)
{
	const char *enc = json_string_value(json_object_get(body, "encoding"));
	json_t *data = json_object_get(body, "data");
	json_int_t size = json_integer_value(json_object_get(body, "size"));
	int rc;

	if (!json_is_object(body) || !enc || !strcmp(enc, "none"))
		return 0;
	if (!strcmp(enc, "omitted")) {
		/* Zeros of the recorded size, made as they are sent. */
		if (size > ZEROS_MAX)
			return tw_errf(eb, TW_EFORMAT,
			               "request body: omitted size %lld over "
			               "%lld bytes",
			               (long long)size, (long long)ZEROS_MAX);
		ex->body_len = size > 0 ? (size_t)size : 0;
		return 0;
	}
	if (!json_is_string(data))
		return tw_errf(eb, TW_EFORMAT, "request body: no 'data'");
	if (!strcmp(enc, "utf8")) {
		ex->body_len = json_string_length(data);
		ex->body = malloc(ex->body_len + 1);
		if (!ex->body)
			return TW_ENOMEM;
		memcpy(ex->body, json_string_value(data), ex->body_len);
		rc = 0;
	} else if (strcmp(enc, "base64")) {
		return tw_errf(eb, TW_EFORMAT,
		               "request body: unknown encoding '%.32s'", enc);
	} else {
		rc = decode_b64(json_string_value(data),
		                json_string_length(data), &ex->body,
		                &ex->body_len);
	}
	if (rc == TW_EFORMAT)
		return tw_errf(eb, rc, "request body: bad base64");
	ex->body_have = ex->body_len;
	if (rc == 0 && json_is_true(json_object_get(body, "truncated")))
		rc = untruncate(ex, size,
		                json_integer_value(json_object_get(
		                        body, "grpc_messages")));
	if (rc == TW_ELIMIT)
		return tw_errf(eb, TW_EFORMAT,
		               "request body: size %lld over %lld bytes",
		               (long long)size, (long long)ZEROS_MAX);
	return rc;
}

/* HTTP/1.1 connection-specific fields (RFC 9113 section 8.2.2, RFC
 * 7540 section 3.2.1 for HTTP2-Settings); "te" only as "trailers". */
static bool h1_only(const char *name, json_t *v)
{
	static const char *const skip[] = {
		"connection",        "keep-alive", "proxy-connection",
		"transfer-encoding", "upgrade",    "http2-settings"
	};

	if (!strcasecmp(name, "te"))
		return strcmp(json_string_value(v), "trailers") != 0;
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (!strcasecmp(name, skip[i]))
			return true;
	return false;
}

/* Where the gRPC message at off ends in the body (at most its end). */
static size_t msg_end(const struct tw_l7_exchange *ex, size_t off)
{
	size_t left = ex->body_have - off;

	if (off >= ex->body_have || left < 5 ||
	    tw_be32(ex->body + off + 1) > left - 5)
		return ex->body_len;
	return off + 5 + tw_be32(ex->body + off + 1);
}

/*
 * A gRPC body's messages with their times (request.body.messages), so
 * that the replay sends each at its time.  The body is walked by its
 * 5-byte prefixes; message k takes the list's k-th time, made
 * non-decreasing; messages past the list's end (copies that untruncate
 * added) go with its last.  No list, or times all 0: ex->msgs stays
 * NULL.
 */
static int set_msgs(json_t *body, struct tw_l7_exchange *ex,
                    struct tw_errbuf *eb)
{
	json_t *list = json_object_get(body, "messages"), *v;
	size_t off = 0, k, n = json_array_size(list);
	int64_t last = 0;

	if (!list || !ex->grpc || !ex->body_len)
		return 0;
	if (!json_is_array(list) || !n)
		return tw_errf(eb, TW_EFORMAT,
		               "request body: 'messages' is not a "
		               "non-empty array");
	ex->msgs = calloc(n, sizeof(*ex->msgs));
	if (!ex->msgs)
		return TW_ENOMEM;
	for (k = 0; k < n && off < ex->body_len; k++) {
		v = json_object_get(json_array_get(list, k), "t_ns");
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return tw_errf(eb, TW_EFORMAT,
			               "request body: messages[%zu]: no "
			               "integer 't_ns' of 0 or more",
			               k);
		if (json_integer_value(v) > last)
			last = (int64_t)json_integer_value(v);
		off = msg_end(ex, off);
		ex->msgs[k] = (struct tw_l7_msg){ off, last };
	}
	ex->nmsgs = k;
	ex->msgs[k - 1].end = ex->body_len;
	if (!last) { /* all at the start: nothing to pace */
		free(ex->msgs);
		ex->msgs = NULL;
		ex->nmsgs = 0;
	}
	return 0;
}

static int add_header(struct tw_l7_exchange *ex, json_t *pair)
{
	json_t *n = json_array_get(pair, 0), *v = json_array_get(pair, 1);
	struct tw_l7_header *h;

	if (!json_is_string(n) || !json_is_string(v))
		return TW_EFORMAT;
	if (json_string_value(n)[0] == ':')
		return 0; /* pseudo-headers are fields of their own */
	if (h1_only(json_string_value(n), v))
		return 0;
	if (!strcasecmp(json_string_value(n), "host")) {
		/* HTTP/1.1's authority (RFC 9113 section 8.3.1) */
		if (!ex->authority)
			ex->authority = dup_str(v);
		return ex->authority ? 0 : TW_ENOMEM;
	}
	h = &ex->hdrs[ex->nhdrs];
	h->name = dup_str(n);
	h->value = dup_str(v);
	h->value_len = json_string_length(v);
	if (!h->name || !h->value) {
		free(h->name);
		free(h->value);
		return TW_ENOMEM;
	}
	for (char *p = h->name; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	if (!strcmp(h->name, "content-type") &&
	    !strncmp(h->value, "application/grpc", 16))
		ex->grpc = true;
	ex->nhdrs++;
	return 0;
}

static int set_headers(json_t *hdrs, struct tw_l7_exchange *ex,
                       struct tw_errbuf *eb)
{
	size_t n = json_array_size(hdrs);
	int rc;

	if (!n)
		return 0;
	ex->hdrs = calloc(n, sizeof(*ex->hdrs));
	if (!ex->hdrs)
		return TW_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		rc = add_header(ex, json_array_get(hdrs, i));
		if (rc == TW_EFORMAT)
			return tw_errf(eb, rc,
			               "request header %zu: want [name, value]",
			               i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void set_outcome(json_t *rec, struct tw_l7_exchange *ex)
{
	json_t *rsp = json_object_get(rec, "response");
	json_t *st = json_object_get(rsp, "status");
	json_t *gs = json_object_get(rec, "grpc_status");
	char *end;
	long v;

	ex->status = json_is_integer(st) ? (int)json_integer_value(st) : 0;
	ex->grpc_status = -1;
	if (json_is_integer(gs))
		ex->grpc_status = (int)json_integer_value(gs);
	if (json_is_string(gs)) {
		v = strtol(json_string_value(gs), &end, 10);
		if (!*end && end != json_string_value(gs) && v >= 0 && v < 1000)
			ex->grpc_status = (int)v;
	}
}

static void exchange_free(struct tw_l7_exchange *ex)
{
	free(ex->method);
	free(ex->scheme);
	free(ex->authority);
	free(ex->path);
	for (size_t i = 0; i < ex->nhdrs; i++) {
		free(ex->hdrs[i].name);
		free(ex->hdrs[i].value);
	}
	free(ex->hdrs);
	free(ex->body);
	free(ex->msgs);
}

/* A line of another version of the format would be misread: refused.
 * Lines without "v" are taken as version 1 (older writers). */
static int check_version(json_t *v, struct tw_errbuf *eb)
{
	if (!v ||
	    (json_is_integer(v) && json_integer_value(v) == TRACE_VERSION))
		return 0;
	if (json_is_integer(v))
		return tw_errf(eb, TW_EFORMAT,
		               "trace version \"v\":%lld is not supported "
		               "(this reader knows %d)",
		               (long long)json_integer_value(v), TRACE_VERSION);
	return tw_errf(eb, TW_EFORMAT, "\"v\" is not an integer");
}

/* The fields of one record into ex. */
static int fill(struct tw_l7_trace *t, json_t *rec, uint64_t lineno,
                struct tw_l7_exchange *ex, struct tw_errbuf *eb)
{
	json_t *req = json_object_get(rec, "request");
	json_t *start = json_object_get(rec, "start_ns");
	int rc;

	if (!json_is_object(rec))
		return tw_errf(eb, TW_EFORMAT, "not a JSON object");
	rc = check_version(json_object_get(rec, "v"), eb);
	if (rc < 0)
		return rc;
	if (!json_is_integer(start))
		return tw_errf(eb, TW_EFORMAT, "no integer 'start_ns'");
	if (!json_is_string(json_object_get(rec, "method")))
		return tw_errf(eb, TW_EFORMAT, "no string 'method'");
	if (!json_is_string(json_object_get(rec, "path")))
		return tw_errf(eb, TW_EFORMAT, "no string 'path'");
	ex->line = lineno;
	ex->start_ns = (int64_t)json_integer_value(start);
	ex->method = dup_str(json_object_get(rec, "method"));
	ex->path = dup_str(json_object_get(rec, "path"));
	ex->scheme = dup_str(json_object_get(rec, "scheme"));
	ex->authority = dup_str(json_object_get(rec, "authority"));
	/* scheme and authority are optional: NULL is only an error when
	 * the record has them. */
	if (!ex->method || !ex->path ||
	    (!ex->scheme && json_is_string(json_object_get(rec, "scheme"))) ||
	    (!ex->authority &&
	     json_is_string(json_object_get(rec, "authority"))))
		return TW_ENOMEM;
	set_outcome(rec, ex);
	rc = set_headers(json_object_get(req, "headers"), ex, eb);
	if (rc >= 0)
		rc = set_body(json_object_get(req, "body"), ex, eb);
	if (rc >= 0)
		rc = set_msgs(json_object_get(req, "body"), ex, eb);
	if (rc >= 0)
		rc = set_conn(t, rec, lineno, ex);
	return rc;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

int tw_l7_trace_add_line(struct tw_l7_trace *t, const char *name,
                         uint64_t lineno, const char *line, size_t len,
                         struct tw_errbuf *eb)
{
	struct tw_l7_exchange ex = { 0 };
	json_error_t jerr;
	json_t *rec;
	int rc;

	if (blank(line, len))
		return 1;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct tw_l7_exchange *p = realloc(t->ex, cap * sizeof(*p));

		if (!p)
			return tw_errf(eb, TW_ENOMEM, "out of memory");
		t->ex = p;
		t->cap = cap;
	}
	/* Out of memory is not a malformed line: it must not be skipped.
	 * jansson leaves jerr as it was when it cannot even start (its
	 * lexer's buffer), so it starts as "out of memory". */
	snprintf(jerr.text, sizeof(jerr.text), "out of memory");
	jerr.text[JSON_ERROR_TEXT_LENGTH - 1] = json_error_out_of_memory;
	rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!rec && json_error_code(&jerr) == json_error_out_of_memory)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	if (!rec)
		return tw_errf(eb, TW_EFORMAT, "%s:%llu: not JSON: %s", name,
		               (unsigned long long)lineno, jerr.text);
	rc = fill(t, rec, lineno, &ex, eb);
	json_decref(rec);
	if (rc < 0) {
		exchange_free(&ex);
		if (rc == TW_ENOMEM)
			return tw_errf(eb, rc, "out of memory");
		/* Prefix the reason with the place. */
		char why[TW_ERRMSG_MAX];

		snprintf(why, sizeof(why), "%s", eb->msg);
		return tw_errf(eb, rc, "%s:%llu: %s", name,
		               (unsigned long long)lineno, why);
	}
	t->ex[t->n++] = ex;
	return 0;
}

static int cmp_start(const void *a, const void *b)
{
	const struct tw_l7_exchange *x = a, *y = b;

	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

void tw_l7_trace_sort(struct tw_l7_trace *t)
{
	if (t->n > 1)
		qsort(t->ex, t->n, sizeof(*t->ex), cmp_start);
}

uint64_t tw_l7_trace_cap_gaps(struct tw_l7_trace *t, int64_t max_gap_ns)
{
	int64_t shift = 0, prev;
	uint64_t cut = 0;

	if (!t->n || max_gap_ns <= 0)
		return 0;
	prev = t->ex[0].start_ns;
	for (size_t i = 1; i < t->n; i++) {
		int64_t gap = t->ex[i].start_ns - prev;

		prev = t->ex[i].start_ns;
		if (gap > max_gap_ns) {
			shift += gap - max_gap_ns;
			cut++;
		}
		t->ex[i].start_ns -= shift;
	}
	return cut;
}

int64_t tw_l7_trace_span(const struct tw_l7_trace *t)
{
	return t->n ? t->ex[t->n - 1].start_ns - t->ex[0].start_ns : 0;
}

/* What a file that is not JSON Lines looks like, from its first bytes
 * (a capture given where its L7 trace was meant), NULL when unknown. */
static const char *looks_like(const uint8_t *p, size_t n)
{
	static const struct {
		uint8_t magic[4];
		const char *what;
	} kinds[] = {
		{ { 0x0a, 0x0d, 0x0d, 0x0a }, "pcapng" },
		{ { 0xd4, 0xc3, 0xb2, 0xa1 }, "pcap" },
		{ { 0xa1, 0xb2, 0xc3, 0xd4 }, "pcap" },
		{ { 0x4d, 0x3c, 0xb2, 0xa1 }, "pcap (ns)" },
		{ { 0xa1, 0xb2, 0x3c, 0x4d }, "pcap (ns)" },
	};

	for (size_t i = 0; n >= 4 && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!memcmp(p, kinds[i].magic, 4))
			return kinds[i].what;
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return "gzip";
	if (memchr(p, 0, n))
		return "binary data";
	return NULL;
}

/*
 * A file that is not JSON Lines at all would give a warning per line:
 * refused at once instead when its first bytes are a known binary
 * format, or its first non-blank line is not JSON.
 */
static int check_first(const char *path, uint64_t lineno, const char *line,
                       size_t len, struct tw_errbuf *eb)
{
	const char *what = looks_like((const uint8_t *)line, len);
	json_error_t jerr;
	json_t *rec;

	if (what)
		return tw_errf(eb, TW_EFORMAT,
		               "%s:%llu: not a JSON Lines trace: looks like %s",
		               path, (unsigned long long)lineno, what);
	rec = json_loadb(line, len, 0, &jerr);
	if (rec) {
		json_decref(rec);
		return 0;
	}
	if (json_error_code(&jerr) == json_error_out_of_memory)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	return tw_errf(eb, TW_EFORMAT, "%s:%llu: not a JSON Lines trace: %s",
	               path, (unsigned long long)lineno, jerr.text);
}

int tw_l7_trace_load(struct tw_l7_trace *t, const char *path,
                     struct tw_errbuf *eb)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	bool first = true;
	uint8_t head[4];
	size_t hn = 0;

	if (!f)
		return tw_errf(eb, TW_EIO, "%s: %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) >= 0) {
		struct tw_errbuf le;
		const char *what;

		t->lines++;
		/* The file's first bytes, across lines: pcapng's magic is
		 * "\n\r\r\n", two blank lines to getline. */
		for (ssize_t i = 0; hn < 4 && i < n; i++)
			head[hn++] = (uint8_t)line[i];
		what = hn == 4 && t->lines < 4 ? looks_like(head, 4) : NULL;
		if (what) {
			rc = tw_errf(eb, TW_EFORMAT,
			             "%s: not a JSON Lines trace: looks like "
			             "%s",
			             path, what);
			break;
		}
		if (first && !blank(line, (size_t)n)) {
			first = false;
			rc = check_first(path, t->lines, line, (size_t)n, eb);
			if (rc < 0)
				break;
		}
		rc = tw_l7_trace_add_line(t, path, t->lines, line, (size_t)n,
		                          &le);
		if (rc == TW_ENOMEM) {
			tw_errf(eb, rc, "%s", le.msg);
			break;
		}
		if (rc < 0) {
			t->bad++;
			tw_log(TW_LOG_WARN, "l7", "%s (line skipped)", le.msg);
		}
		rc = 0;
	}
	if (rc == TW_EFORMAT) /* from check_first: nothing read */
		tw_l7_trace_free(t);
	if (!rc && ferror(f))
		rc = tw_errf(eb, TW_EIO, "%s: read error", path);
	free(line);
	if (f != stdin)
		fclose(f);
	if (!rc && !t->n)
		rc = tw_errf(eb, TW_EFORMAT,
		             "%s: no usable exchange in %llu "
		             "lines",
		             path, (unsigned long long)t->lines);
	if (!rc)
		tw_l7_trace_sort(t);
	return rc;
}

void tw_l7_trace_free(struct tw_l7_trace *t)
{
	for (size_t i = 0; i < t->n; i++)
		exchange_free(&t->ex[i]);
	for (size_t i = 0; i < t->nconns; i++)
		free(t->conn_keys[i]);
	free(t->conn_keys);
	free(t->conn_hash);
	free(t->ex);
	memset(t, 0, sizeof(*t));
}
