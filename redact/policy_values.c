/*
 * policy_values.c - what the value of a kept header may say.
 *
 * keep_headers keeps a header's value because the protocol needs it
 * (te: trailers, grpc-encoding: gzip...), not because whatever a client
 * writes there is public: "accept-encoding: gzip, <token>" would carry
 * the token through.  So each header the default keeps has a grammar
 * here, in one table, and only what matches it stays; the rest is
 * pseudonymized in place (pseudo.h: same length, same Huffman length,
 * so HPACK literals are rewritten where they are).  In a list, only
 * the element at fault is; in a media type, only the part at fault.
 * config/POLICY.md ("Kept values") documents the table.
 */
#include <string.h>

#include "redact/policy.h"
#include "redact/pseudo.h"

enum gram {
	G_LIST,    /* #( token *( ";" q=qvalue ) ), tokens from the list */
	G_ONE,     /* one token from the list */
	G_DIGITS,  /* 1*DIGIT */
	G_STATUS,  /* 3DIGIT */
	G_TIMEOUT, /* gRPC: 1*8DIGIT unit (H M S m u n) */
	G_MEDIA    /* type "/" subtype *( ";" parameter ) */
};

struct vrule {
	const char *name;
	enum gram g;
	const char *const *tok; /* known tokens (G_LIST, G_ONE) */
	bool icase;             /* tokens compared ignoring case */
	bool weight;            /* list elements may carry ";q=" */
};

static const char *const methods[] = { "GET",    "HEAD",    "POST",    "PUT",
	                               "DELETE", "CONNECT", "OPTIONS", "TRACE",
	                               "PATCH",  NULL };
static const char *const schemes[] = { "http", "https", NULL };
static const char *const protocols[] = { "websocket", "connect-udp",
	                                 "connect-ip", "webtransport", NULL };
/* HTTP content codings (IANA registry) and "*" in Accept-Encoding. */
static const char *const codings[] = { "gzip",   "deflate",    "br",
	                               "zstd",   "compress",   "identity",
	                               "x-gzip", "x-compress", "dcb",
	                               "dcz",    "*",          NULL };
static const char *const te_codings[] = { "trailers", "chunked",  "gzip",
	                                  "deflate",  "compress", "identity",
	                                  "x-gzip",   NULL };
/* gRPC message encodings (grpc/doc/compression.md). */
static const char *const grpc_codings[] = { "identity", "gzip", "deflate",
	                                    "snappy",   "zstd", NULL };

/* Reason phrases of RFC 9110 section 15 (and 425, 429, 431, 451). */
static const char *const reasons[] = { "continue",
	                               "switching protocols",
	                               "ok",
	                               "created",
	                               "accepted",
	                               "non-authoritative information",
	                               "no content",
	                               "reset content",
	                               "partial content",
	                               "multiple choices",
	                               "moved permanently",
	                               "found",
	                               "see other",
	                               "not modified",
	                               "use proxy",
	                               "temporary redirect",
	                               "permanent redirect",
	                               "bad request",
	                               "unauthorized",
	                               "payment required",
	                               "forbidden",
	                               "not found",
	                               "method not allowed",
	                               "not acceptable",
	                               "proxy authentication required",
	                               "request timeout",
	                               "conflict",
	                               "gone",
	                               "length required",
	                               "precondition failed",
	                               "content too large",
	                               "payload too large",
	                               "uri too long",
	                               "request-uri too long",
	                               "unsupported media type",
	                               "range not satisfiable",
	                               "requested range not satisfiable",
	                               "expectation failed",
	                               "i'm a teapot",
	                               "misdirected request",
	                               "unprocessable content",
	                               "unprocessable entity",
	                               "too early",
	                               "upgrade required",
	                               "precondition required",
	                               "too many requests",
	                               "request header fields too large",
	                               "unavailable for legal reasons",
	                               "internal server error",
	                               "not implemented",
	                               "bad gateway",
	                               "service unavailable",
	                               "gateway timeout",
	                               "http version not supported",
	                               NULL };

static const struct vrule rules[] = {
	{ ":method", G_ONE, methods, false, false },
	{ ":scheme", G_ONE, schemes, false, false },
	{ ":status", G_STATUS, NULL, false, false },
	{ ":protocol", G_ONE, protocols, false, false },
	{ "content-type", G_MEDIA, NULL, true, false },
	{ "content-length", G_DIGITS, NULL, false, false },
	{ "content-encoding", G_LIST, codings, true, false },
	{ "te", G_LIST, te_codings, true, true },
	{ "accept-encoding", G_LIST, codings, true, true },
	{ "grpc-encoding", G_ONE, grpc_codings, false, false },
	{ "grpc-accept-encoding", G_LIST, grpc_codings, false, false },
	{ "grpc-status", G_DIGITS, NULL, false, false },
	{ "grpc-timeout", G_TIMEOUT, NULL, false, false },
};

/* Media types: top-level types, and subtypes known whole. */
static const char *const media_types[] = {
	"application", "text",  "image",     "audio",   "video",
	"font",        "model", "multipart", "message", NULL
};
static const char *const subtypes[] = { "json",
	                                "grpc",
	                                "grpc+proto",
	                                "grpc+json",
	                                "grpc-web",
	                                "grpc-web+proto",
	                                "grpc-web+json",
	                                "grpc-web-text",
	                                "grpc-web-text+proto",
	                                "protobuf",
	                                "x-protobuf",
	                                "octet-stream",
	                                "x-www-form-urlencoded",
	                                "form-data",
	                                "xml",
	                                "html",
	                                "plain",
	                                "css",
	                                "javascript",
	                                "csv",
	                                "markdown",
	                                "problem+json",
	                                "problem+xml",
	                                "merge-patch+json",
	                                "json-patch+json",
	                                "json-seq",
	                                "ld+json",
	                                "hal+json",
	                                "vnd.api+json",
	                                "graphql",
	                                "graphql-response+json",
	                                "cbor",
	                                "yaml",
	                                "x-yaml",
	                                "x-ndjson",
	                                "ndjson",
	                                "jsonl",
	                                "msgpack",
	                                "x-msgpack",
	                                "jose",
	                                "jwt",
	                                "soap+xml",
	                                "atom+xml",
	                                "rss+xml",
	                                "xhtml+xml",
	                                "pdf",
	                                "zip",
	                                "gzip",
	                                "x-tar",
	                                "png",
	                                "jpeg",
	                                "gif",
	                                "webp",
	                                "svg+xml",
	                                "mixed",
	                                "byteranges",
	                                "event-stream",
	                                "mpeg",
	                                "mp4",
	                                "ogg",
	                                "webm",
	                                "wasm",
	                                NULL };
/* Structured syntax suffixes (RFC 6838 section 4.2.8): "+json" stays,
 * the vendor name before it does not. */
static const char *const suffixes[] = { "json", "xml",  "proto", "cbor",
	                                "zip",  "yaml", NULL };
static const char *const charsets[] = {
	"utf-8",    "utf8",     "us-ascii",     "iso-8859-1", "utf-16",
	"utf-16le", "utf-16be", "windows-1252", NULL
};

static bool eq(const uint8_t *p, size_t n, const char *s, bool icase)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (icase && c >= 'A' && c <= 'Z')
			c += 32;
		if (c != (uint8_t)s[i])
			return false;
	}
	return true;
}

static bool known(const uint8_t *p, size_t n, const char *const *tok,
                  bool icase)
{
	for (size_t k = 0; tok[k]; k++)
		if (eq(p, n, tok[k], icase))
			return true;
	return false;
}

static bool ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* [*i, *j) without the white space around it. */
static void trim(const uint8_t *v, size_t *i, size_t *j)
{
	while (*i < *j && ows(v[*i]))
		(*i)++;
	while (*j > *i && ows(v[*j - 1]))
		(*j)--;
}

static bool digits(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return n > 0;
}

/* qvalue (RFC 9110 section 12.4.2): 0[.ddd] or 1[.000]. */
static bool qvalue(const uint8_t *p, size_t n)
{
	if (n == 0 || n > 5 || (p[0] != '0' && p[0] != '1'))
		return false;
	if (n == 1)
		return true;
	if (p[1] != '.')
		return false;
	for (size_t i = 2; i < n; i++)
		if (p[i] < '0' || p[i] > '9' || (p[0] == '1' && p[i] != '0'))
			return false;
	return true;
}

/* One list element [i, j): a known token, and weights where allowed. */
static bool element_ok(const struct vrule *r, const uint8_t *v, size_t i,
                       size_t j)
{
	size_t t = i;

	while (t < j && v[t] != ';')
		t++;
	{
		size_t a = i, b = t;

		trim(v, &a, &b);
		if (!known(v + a, b - a, r->tok, r->icase))
			return false;
	}
	while (t < j) { /* at a ';' */
		size_t a = t + 1, b = a;

		while (b < j && v[b] != ';')
			b++;
		t = b;
		trim(v, &a, &b);
		if (!r->weight || b - a < 2 || (v[a] != 'q' && v[a] != 'Q') ||
		    v[a + 1] != '=' || !qvalue(v + a + 2, b - a - 2))
			return false;
	}
	return true;
}

static void list_value(const uint8_t *vkey, const struct vrule *r, uint8_t *v,
                       size_t n)
{
	for (size_t i = 0; i <= n;) {
		size_t j = i;

		while (j < n && v[j] != ',')
			j++;
		{
			size_t a = i, b = j;

			trim(v, &a, &b);
			if (b > a && !element_ok(r, v, a, b))
				tw_pseudo_text(vkey, v + a, b - a);
		}
		i = j + 1;
	}
}

/* A media type's parameter [a, b) ("name=value", quotes allowed). */
static void media_param(const uint8_t *vkey, uint8_t *v, size_t a, size_t b)
{
	size_t e = a, va, vb = b;

	while (e < b && v[e] != '=')
		e++;
	if (e == b || !(eq(v + a, e - a, "charset", true) ||
	                eq(v + a, e - a, "boundary", true))) {
		tw_pseudo_text(vkey, v + a, b - a); /* name and value */
		return;
	}
	va = e + 1;
	if (vb - va >= 2 && v[va] == '"' && v[vb - 1] == '"')
		va++, vb--;
	/* A boundary is any string the sender chose: never kept. */
	if (!eq(v + a, e - a, "charset", true) ||
	    !known(v + va, vb - va, charsets, true))
		tw_pseudo_text(vkey, v + va, vb - va);
}

/* The subtype [a, b): known, or a vendor name before a known suffix. */
static void media_subtype(const uint8_t *vkey, uint8_t *v, size_t a, size_t b)
{
	size_t plus = b;

	if (known(v + a, b - a, subtypes, true))
		return;
	while (plus > a && v[plus - 1] != '+')
		plus--;
	if (plus > a + 1 && known(v + plus, b - plus, suffixes, true))
		b = plus - 1;
	tw_pseudo_text(vkey, v + a, b - a);
}

static void media_value(const uint8_t *vkey, uint8_t *v, size_t n)
{
	size_t semi = 0, slash, a = 0, b;

	while (semi < n && v[semi] != ';')
		semi++;
	b = semi;
	trim(v, &a, &b);
	for (slash = a; slash < b && v[slash] != '/'; slash++)
		;
	if (slash == b) {
		tw_pseudo_text(vkey, v + a, b - a);
	} else {
		if (!known(v + a, slash - a, media_types, true))
			tw_pseudo_text(vkey, v + a, slash - a);
		media_subtype(vkey, v, slash + 1, b);
	}
	while (semi < n) {
		size_t i = semi + 1, j;

		for (j = i; j < n && v[j] != ';'; j++)
			;
		semi = j;
		trim(v, &i, &j);
		if (j > i)
			media_param(vkey, v, i, j);
	}
}

static bool timeout_ok(const uint8_t *v, size_t n)
{
	return n >= 2 && n <= 9 && digits(v, n - 1) &&
	       strchr("HMSmun", v[n - 1]) != NULL;
}

static void whole_value(const uint8_t *vkey, const struct vrule *r, uint8_t *v,
                        size_t n)
{
	size_t a = 0, b = n;
	bool ok;

	trim(v, &a, &b);
	switch (r->g) {
	case G_ONE:
		ok = known(v + a, b - a, r->tok, r->icase);
		break;
	case G_DIGITS:
		ok = digits(v + a, b - a);
		break;
	case G_STATUS:
		ok = b - a == 3 && digits(v + a, 3);
		break;
	default: /* G_TIMEOUT */
		ok = timeout_ok(v + a, b - a);
		break;
	}
	if (!ok)
		tw_pseudo_text(vkey, v, n);
}

static const struct vrule *rule_of(const char *name, size_t nlen)
{
	for (size_t k = 0; k < sizeof(rules) / sizeof(rules[0]); k++)
		if (eq((const uint8_t *)name, nlen, rules[k].name, false))
			return &rules[k];
	return NULL;
}

bool tw_policy_value_grammar(const char *name, size_t nlen)
{
	return rule_of(name, nlen) != NULL;
}

void tw_policy_kept_value(const uint8_t *vkey, const char *name, size_t nlen,
                          uint8_t *v, size_t n)
{
	const struct vrule *r = rule_of(name, nlen);

	if (!r)
		return; /* a name the policy adds: kept as sent (POLICY.md) */
	if (r->g == G_LIST)
		list_value(vkey, r, v, n);
	else if (r->g == G_MEDIA)
		media_value(vkey, v, n);
	else
		whole_value(vkey, r, v, n);
}

void tw_policy_kept_reason(const uint8_t *vkey, uint8_t *v, size_t n)
{
	static const struct vrule r = { "", G_ONE, reasons, true, false };

	whole_value(vkey, &r, v, n);
}
