/*
 * policy.c - reading a redaction policy (schema: config/POLICY.md).
 */
#include "redact/policy.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/yamldoc.h"

struct ctx {
	struct tw_policy *pol;
	const struct tw_ydoc *doc;
	struct tw_errbuf *eb;
};

static void set_bit(uint8_t *map, uint16_t port)
{
	map[port >> 3] |= (uint8_t)(1u << (port & 7));
}

/* Parses "a.b.c.d/n" or "x::y/n" (a bare address is a /32 or /128). */
static bool parse_cidr(const char *s, struct tw_pol_range *r)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	long bits;
	char *end;
	int max;

	if (alen == 0 || alen >= sizeof(buf))
		return false;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(r, 0, sizeof(*r));
	if (inet_pton(AF_INET, buf, r->prefix) == 1) {
		r->version = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, r->prefix) == 1) {
		r->version = 6;
		max = 128;
	} else {
		return false;
	}
	bits = max;
	if (slash) {
		if (!slash[1] || slash[1] == '-' || slash[1] == '+')
			return false;
		bits = strtol(slash + 1, &end, 10);
		if (*end || bits < 0 || bits > max)
			return false;
	}
	r->bits = (uint8_t)bits;
	/* Host bits set in the prefix would be a likely typo. */
	for (int i = (int)bits; i < max; i++)
		if (r->prefix[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

static int parse_keep(struct ctx *c, const struct tw_ynode *n)
{
	int rc = tw_ydoc_expect(c->doc, n, TW_YNODE_SEQ, "keep", c->eb);

	if (rc < 0)
		return rc;
	if (n->n > TW_POLICY_MAX_RANGES)
		return tw_ydoc_errf(c->doc, n, c->eb, TW_ELIMIT,
		                    "more than %d ranges in 'keep'",
		                    TW_POLICY_MAX_RANGES);
	for (size_t i = 0; i < n->n; i++) {
		const char *s;

		rc = tw_ydoc_str(c->doc, n->kids[i], "keep", &s, c->eb);
		if (rc < 0)
			return rc;
		if (!parse_cidr(s, &c->pol->keep[c->pol->nkeep]))
			return tw_ydoc_errf(c->doc, n->kids[i], c->eb,
			                    TW_EFORMAT,
			                    "'%s' is not an address range "
			                    "such as 192.0.2.0/24 or "
			                    "2001:db8::/32 (host bits must be "
			                    "zero)",
			                    s);
		c->pol->nkeep++;
	}
	return 0;
}

static int parse_ports(struct ctx *c, const struct tw_ynode *n,
                       const char *what, uint8_t *map, size_t *count)
{
	int rc = tw_ydoc_expect(c->doc, n, TW_YNODE_SEQ, what, c->eb);

	if (rc < 0)
		return rc;
	memset(map, 0, 65536 / 8);
	for (size_t i = 0; i < n->n; i++) {
		uint64_t port;

		rc = tw_ydoc_u64(c->doc, n->kids[i], what, 1, 65535, &port,
		                 c->eb);
		if (rc < 0)
			return rc;
		set_bit(map, (uint16_t)port);
	}
	if (count)
		*count = n->n;
	return 0;
}

/* Reads an optional enum field of map into *out (left alone if absent). */
static int opt_enum(struct ctx *c, const struct tw_ynode *map, const char *key,
                    const char *const *names, int *out)
{
	const struct tw_ynode *n = tw_ydoc_get(map, key);

	if (!n)
		return 0;
	return tw_ydoc_enum(c->doc, n, key, names, out, c->eb);
}

static int parse_addresses(struct ctx *c, const struct tw_ynode *m)
{
	static const char *const keys[] = { "special", "keep", NULL };
	static const char *const special[] = { "keep-class", "pseudonymize",
		                               NULL };
	int v = c->pol->special, rc;

	rc = tw_ydoc_check_keys(c->doc, m, "addresses", keys, c->eb);
	if (rc == 0)
		rc = opt_enum(c, m, "special", special, &v);
	c->pol->special = (enum tw_pol_special)v;
	if (rc == 0 && tw_ydoc_get(m, "keep"))
		rc = parse_keep(c, tw_ydoc_get(m, "keep"));
	return rc;
}

static int parse_mac(struct ctx *c, const struct tw_ynode *m)
{
	static const char *const keys[] = { "action", NULL };
	static const char *const actions[] = { "pseudonymize", "keep", NULL };
	int v = c->pol->mac, rc;

	rc = tw_ydoc_check_keys(c->doc, m, "mac", keys, c->eb);
	if (rc == 0)
		rc = opt_enum(c, m, "action", actions, &v);
	c->pol->mac = (enum tw_pol_mac)v;
	return rc;
}

static int parse_tcp(struct ctx *c, const struct tw_ynode *m)
{
	static const char *const keys[] = { "timestamps", NULL };
	static const char *const ts[] = { "shift", "zero", "keep", NULL };
	int v = c->pol->tcp_ts, rc;

	rc = tw_ydoc_check_keys(c->doc, m, "tcp", keys, c->eb);
	if (rc == 0)
		rc = opt_enum(c, m, "timestamps", ts, &v);
	c->pol->tcp_ts = (enum tw_pol_tcp_ts)v;
	return rc;
}

static int parse_payload(struct ctx *c, const struct tw_ynode *m)
{
	static const char *const keys[] = { "action", "keep_ports", NULL };
	static const char *const actions[] = { "zero", "truncate", NULL };
	int v = c->pol->payload, rc;

	rc = tw_ydoc_check_keys(c->doc, m, "payload", keys, c->eb);
	if (rc == 0)
		rc = opt_enum(c, m, "action", actions, &v);
	c->pol->payload = (enum tw_pol_payload)v;
	if (rc == 0 && tw_ydoc_get(m, "keep_ports"))
		rc = parse_ports(c, tw_ydoc_get(m, "keep_ports"), "keep_ports",
		                 c->pol->keep_port, &c->pol->nkeep_ports);
	return rc;
}

static int parse_tls(struct ctx *c, const struct tw_ynode *m)
{
	static const char *const keys[] = { "records", "server_name", "ports",
		                            NULL };
	static const char *const records[] = { "keep-headers", "zero", NULL };
	static const char *const sni[] = { "zero", "pseudonymize", NULL };
	int r = c->pol->tls_records, s = c->pol->sni, rc;

	rc = tw_ydoc_check_keys(c->doc, m, "tls", keys, c->eb);
	if (rc == 0)
		rc = opt_enum(c, m, "records", records, &r);
	if (rc == 0)
		rc = opt_enum(c, m, "server_name", sni, &s);
	c->pol->tls_records = (enum tw_pol_tls_records)r;
	c->pol->sni = (enum tw_pol_sni)s;
	if (rc == 0 && tw_ydoc_get(m, "ports"))
		rc = parse_ports(c, tw_ydoc_get(m, "ports"), "ports",
		                 c->pol->tls_port, NULL);
	return rc;
}

static int parse_names(struct ctx *c, const struct tw_ynode *n,
                       const char *what, char (*names)[TW_POLICY_NAME_MAX],
                       size_t *count, bool lower)
{
	int rc = tw_ydoc_expect(c->doc, n, TW_YNODE_SEQ, what, c->eb);

	if (rc < 0)
		return rc;
	if (n->n > TW_POLICY_MAX_NAMES)
		return tw_ydoc_errf(c->doc, n, c->eb, TW_ELIMIT,
		                    "more than %d names in '%s'",
		                    TW_POLICY_MAX_NAMES, what);
	for (size_t i = 0; i < n->n; i++) {
		const char *s;
		size_t len;

		rc = tw_ydoc_str(c->doc, n->kids[i], what, &s, c->eb);
		if (rc < 0)
			return rc;
		len = strlen(s);
		if (len == 0 || len >= TW_POLICY_NAME_MAX)
			return tw_ydoc_errf(c->doc, n->kids[i], c->eb,
			                    TW_EFORMAT,
			                    "'%s': names are 1 to %d bytes",
			                    what, TW_POLICY_NAME_MAX - 1);
		for (size_t k = 0; k <= len; k++)
			names[i][k] = lower && s[k] >= 'A' && s[k] <= 'Z'
			                      ? (char)(s[k] - 'A' + 'a')
			                      : s[k];
	}
	*count = n->n;
	return 0;
}

static int parse_http(struct ctx *c, const struct tw_ynode *m)
{
	static const char *const keys[] = {
		"keep_headers", "keep_segments", "grpc_method", "grpc_body",
		"json_body",    "grpc_gzip_max", NULL
	};
	static const char *const meth[] = { "keep", "pseudonymize", NULL };
	static const char *const body[] = { "redact", "zero", NULL };
	struct tw_policy *p = c->pol;
	int g = p->grpc_method, gb = p->grpc_body, jb = p->json_body, rc;

	rc = tw_ydoc_check_keys(c->doc, m, "http", keys, c->eb);
	if (rc == 0)
		rc = opt_enum(c, m, "grpc_method", meth, &g);
	if (rc == 0)
		rc = opt_enum(c, m, "grpc_body", body, &gb);
	if (rc == 0)
		rc = opt_enum(c, m, "json_body", body, &jb);
	if (rc == 0 && tw_ydoc_get(m, "grpc_gzip_max"))
		rc = tw_ydoc_u64(c->doc, tw_ydoc_get(m, "grpc_gzip_max"),
		                 "grpc_gzip_max", 1, TW_POLICY_GZIP_MAX_LIMIT,
		                 &p->grpc_gzip_max, c->eb);
	p->grpc_method = (enum tw_pol_grpc_method)g;
	p->grpc_body = (enum tw_pol_body)gb;
	p->json_body = (enum tw_pol_body)jb;
	if (rc == 0 && tw_ydoc_get(m, "keep_headers"))
		rc = parse_names(c, tw_ydoc_get(m, "keep_headers"),
		                 "keep_headers", p->keep_headers,
		                 &p->nkeep_headers, true);
	if (rc == 0 && tw_ydoc_get(m, "keep_segments"))
		rc = parse_names(c, tw_ydoc_get(m, "keep_segments"),
		                 "keep_segments", p->keep_segments,
		                 &p->nkeep_segments, false);
	return rc;
}

/* Header values kept when the policy says nothing: what HTTP/2 and gRPC
 * need to work, which names no one. */
static const char *const default_keep_headers[] = {
	":method",          ":scheme",
	":status",          ":protocol",
	"content-type",     "content-length",
	"content-encoding", "te",
	"grpc-encoding",    "grpc-accept-encoding",
	"grpc-status",      "grpc-timeout",
	"accept-encoding",
};

/* The bounds of section "limits", each in [1, its maximum]. */
static const struct {
	const char *key;
	size_t off;
	uint64_t def, max;
} limit_keys[] = {
	{ "flows", offsetof(struct tw_pol_limits, flows),
	  TW_LIMIT_FLOWS_DEFAULT, 1u << 30 },
	{ "flow_buffer", offsetof(struct tw_pol_limits, flow_buffer),
	  TW_LIMIT_FLOW_BUFFER_DEFAULT, 1ull << 40 },
	{ "held_buffer", offsetof(struct tw_pol_limits, held_buffer),
	  TW_LIMIT_HELD_BUFFER_DEFAULT, 1ull << 40 },
	{ "header_block", offsetof(struct tw_pol_limits, header_block),
	  TW_LIMIT_HEADER_BLOCK_DEFAULT, 1u << 30 },
	{ "message", offsetof(struct tw_pol_limits, message),
	  TW_LIMIT_MESSAGE_DEFAULT, 1u << 30 },
	/* jansson itself stops at 2048 levels. */
	{ "json_depth", offsetof(struct tw_pol_limits, json_depth),
	  TW_LIMIT_JSON_DEPTH_DEFAULT, 2048 },
	{ "protobuf_depth", offsetof(struct tw_pol_limits, pb_depth),
	  TW_LIMIT_PB_DEPTH_DEFAULT, 100 },
};

#define NLIMITS (sizeof(limit_keys) / sizeof(limit_keys[0]))

static uint64_t *limit_field(struct tw_pol_limits *l, size_t i)
{
	return (uint64_t *)(void *)((char *)l + limit_keys[i].off);
}

static int parse_limits(struct ctx *c, const struct tw_ynode *m)
{
	const char *keys[NLIMITS + 1];
	int rc;

	for (size_t i = 0; i < NLIMITS; i++)
		keys[i] = limit_keys[i].key;
	keys[NLIMITS] = NULL;
	rc = tw_ydoc_check_keys(c->doc, m, "limits", keys, c->eb);
	for (size_t i = 0; rc == 0 && i < NLIMITS; i++) {
		const struct tw_ynode *v = tw_ydoc_get(m, limit_keys[i].key);

		if (v)
			rc = tw_ydoc_u64(c->doc, v, limit_keys[i].key, 1,
			                 limit_keys[i].max,
			                 limit_field(&c->pol->lim, i), c->eb);
	}
	return rc;
}

static void set_defaults(struct tw_policy *pol)
{
	static const uint16_t tls_ports[] = { 443, 465, 563, 636, 853, 989,
		                              990, 992, 993, 994, 995, 8443 };

	memset(pol, 0, sizeof(*pol));
	for (size_t i = 0; i < sizeof(tls_ports) / sizeof(tls_ports[0]); i++)
		set_bit(pol->tls_port, tls_ports[i]);
	for (size_t i = 0;
	     i < sizeof(default_keep_headers) / sizeof(default_keep_headers[0]);
	     i++)
		snprintf(pol->keep_headers[i], TW_POLICY_NAME_MAX, "%s",
		         default_keep_headers[i]);
	pol->nkeep_headers =
	        sizeof(default_keep_headers) / sizeof(default_keep_headers[0]);
	pol->grpc_gzip_max = TW_POLICY_GZIP_MAX_DEFAULT;
	for (size_t i = 0; i < NLIMITS; i++)
		*limit_field(&pol->lim, i) = limit_keys[i].def;
}

static int parse_root(struct ctx *c, const struct tw_ynode *root)
{
	static const char *const keys[] = { "version", "addresses", "mac",
		                            "tcp",     "payload",   "tls",
		                            "http",    "limits",    NULL };
	static const struct {
		const char *key;
		int (*fn)(struct ctx *c, const struct tw_ynode *m);
	} sections[] = {
		{ "addresses", parse_addresses },
		{ "mac", parse_mac },
		{ "tcp", parse_tcp },
		{ "payload", parse_payload },
		{ "tls", parse_tls },
		{ "http", parse_http },
		{ "limits", parse_limits },
	};
	const struct tw_ynode *v;
	uint64_t version;
	int rc;

	if (!root)
		return tw_ydoc_errf(c->doc, NULL, c->eb, TW_EFORMAT,
		                    "empty policy (at least 'version: 1')");
	rc = tw_ydoc_check_keys(c->doc, root, "policy", keys, c->eb);
	if (rc < 0)
		return rc;
	v = tw_ydoc_get(root, "version");
	if (v && v->kind == TW_YNODE_SCALAR && !v->plain)
		return tw_ydoc_errf(
		        c->doc, v, c->eb, TW_EFORMAT,
		        "'version' is the number 1, not the string "
		        "\"%.16s\": write version: 1, without quotes",
		        v->str);
	rc = tw_ydoc_u64(c->doc, tw_ydoc_get(root, "version"), "version", 1, 1,
	                 &version, c->eb);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		const struct tw_ynode *m = tw_ydoc_get(root, sections[i].key);

		if (m && (rc = sections[i].fn(c, m)) < 0)
			return rc;
	}
	return 0;
}

static int hash_bytes(struct tw_policy *pol, const void *buf, size_t len)
{
	unsigned int olen = 0;

	if (!EVP_Digest(buf, len, pol->hash, &olen, EVP_sha256(), NULL) ||
	    olen != 32)
		return TW_EINTERNAL;
	for (int i = 0; i < 32; i++)
		snprintf(pol->hash_hex + 2 * i, 3, "%02x", pol->hash[i]);
	return 0;
}

int tw_policy_parse(struct tw_policy *pol, const char *name, const void *buf,
                    size_t len, struct tw_errbuf *eb)
{
	struct tw_ydoc *doc;
	struct ctx c = { .pol = pol, .eb = eb };
	int rc;

	set_defaults(pol);
	rc = tw_ydoc_parse(&doc, name, buf, len, eb);
	if (rc < 0)
		return rc;
	c.doc = doc;
	rc = parse_root(&c, doc->root);
	tw_ydoc_free(doc);
	if (rc < 0)
		return rc;
	snprintf(pol->name, sizeof(pol->name), "%s", name);
	if (hash_bytes(pol, buf, len) < 0)
		return tw_errf(eb, TW_EINTERNAL, "%s: SHA-256 failed", name);
	return 0;
}

int tw_policy_load(struct tw_policy *pol, const char *path,
                   struct tw_errbuf *eb)
{
	char *buf;
	size_t len;
	int rc = tw_ydoc_read_file(path, &buf, &len, eb);

	if (rc < 0)
		return rc;
	rc = tw_policy_parse(pol, path, buf, len, eb);
	free(buf);
	return rc;
}

int tw_policy_default(struct tw_policy *pol, struct tw_errbuf *eb)
{
	int rc =
	        tw_policy_parse(pol, "built-in default", tw_policy_default_yaml,
	                        strlen(tw_policy_default_yaml), eb);

	return rc;
}

bool tw_policy_keeps_addr(const struct tw_policy *pol, int version,
                          const uint8_t *addr)
{
	for (size_t i = 0; i < pol->nkeep; i++) {
		const struct tw_pol_range *r = &pol->keep[i];
		int full = r->bits / 8, rem = r->bits % 8;

		if (r->version != version)
			continue;
		if (memcmp(addr, r->prefix, (size_t)full))
			continue;
		if (rem &&
		    ((addr[full] ^ r->prefix[full]) & (uint8_t)(0xff00 >> rem)))
			continue;
		return true;
	}
	return false;
}

static bool in_names(const char (*names)[TW_POLICY_NAME_MAX], size_t count,
                     const char *s, size_t n)
{
	/* Lengths compared first: a name of the wire may hold a NUL byte
	 * ("te\0...") or be longer than any listed (found by fuzz_h2). */
	if (n >= TW_POLICY_NAME_MAX)
		return false;
	for (size_t i = 0; i < count; i++)
		if (strlen(names[i]) == n && !memcmp(names[i], s, n))
			return true;
	return false;
}

bool tw_policy_keeps_header(const struct tw_policy *pol, const char *name,
                            size_t n)
{
	return in_names((const char(*)[TW_POLICY_NAME_MAX])pol->keep_headers,
	                pol->nkeep_headers, name, n);
}

bool tw_policy_keeps_segment(const struct tw_policy *pol, const char *seg,
                             size_t n)
{
	return in_names((const char(*)[TW_POLICY_NAME_MAX])pol->keep_segments,
	                pol->nkeep_segments, seg, n);
}

/* Appends a warning to w (n so far, at most max). */
static size_t warn(char (*w)[TW_POLICY_WARN_MAX], size_t n, size_t max,
                   const char *text)
{
	if (n < max)
		snprintf(w[n], TW_POLICY_WARN_MAX, "%s", text);
	return n + 1;
}

size_t tw_policy_warnings(const struct tw_policy *pol,
                          char (*w)[TW_POLICY_WARN_MAX], size_t max)
{
	bool all4 = false, all6 = false;
	size_t n = 0, ports = 0;
	char text[TW_POLICY_WARN_MAX];

	for (size_t i = 0; i < pol->nkeep; i++) {
		all4 |= pol->keep[i].version == 4 && pol->keep[i].bits == 0;
		all6 |= pol->keep[i].version == 6 && pol->keep[i].bits == 0;
	}
	if (all4)
		n = warn(w, n, max,
		         "addresses: 'keep' holds 0.0.0.0/0: no IPv4 address "
		         "is pseudonymized");
	if (all6)
		n = warn(w, n, max,
		         "addresses: 'keep' holds ::/0: no IPv6 address is "
		         "pseudonymized");
	for (uint32_t p = 0; p < 65536; p++)
		ports += tw_policy_bit(pol->keep_port, (uint16_t)p);
	if (ports >= 65535) {
		n = warn(w, n, max,
		         "payload: 'keep_ports' covers every port: no payload "
		         "is redacted");
	} else if (ports) {
		snprintf(text, sizeof(text),
		         "payload: 'keep_ports' passes the payload of %zu "
		         "port%s through unredacted",
		         ports, ports == 1 ? "" : "s");
		n = warn(w, n, max, text);
	}
	/* A kept header without a grammar passes whatever it holds. */
	for (size_t i = 0; i < pol->nkeep_headers; i++) {
		const char *h = pol->keep_headers[i];

		if (tw_policy_value_grammar(h, strlen(h)))
			continue;
		snprintf(text, sizeof(text),
		         "http: 'keep_headers' keeps '%.40s' as sent: "
		         "no grammar checks its values",
		         h);
		n = warn(w, n, max, text);
	}
	return n;
}
