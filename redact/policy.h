/*
 * policy.h - the redaction policy: what is kept, pseudonymized, zeroed.
 *
 * A policy is a YAML file whose schema is config/POLICY.md; the shipped
 * default (config/policy-default.yaml, also built into the binary) is
 * strict.  Every field is optional and defaults to its strict value, but
 * a key the schema does not know is an error, so a typo never weakens a
 * policy silently.  Every error names the file, line and column.
 *
 * The policy's hash is the SHA-256 of the file's bytes, so the same file
 * always gives the same hash and the output can say which one was used.
 */
#ifndef TW_POLICY_H
#define TW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/error.h"

#define TW_POLICY_MAX_RANGES 1024

enum tw_pol_special {
	TW_POL_SPECIAL_KEEP_CLASS = 0, /* keep class prefix, hide the rest */
	TW_POL_SPECIAL_PSEUDONYMIZE    /* treat like any other address */
};

enum tw_pol_mac { TW_POL_MAC_PSEUDONYMIZE = 0, TW_POL_MAC_KEEP };

enum tw_pol_tcp_ts {
	TW_POL_TS_SHIFT = 0, /* per-host keyed offset */
	TW_POL_TS_ZERO,
	TW_POL_TS_KEEP
};

enum tw_pol_payload {
	TW_POL_PAYLOAD_ZERO = 0, /* same length, zero bytes */
	TW_POL_PAYLOAD_TRUNCATE  /* cut after the headers; wire length kept */
};

enum tw_pol_tls_records {
	TW_POL_TLS_KEEP_HEADERS = 0, /* record/handshake framing kept */
	TW_POL_TLS_ZERO              /* TLS is payload like any other */
};

enum tw_pol_sni { TW_POL_SNI_ZERO = 0, TW_POL_SNI_PSEUDONYMIZE };

enum tw_pol_grpc_method {
	TW_POL_GRPC_METHOD_KEEP = 0, /* /package.Service/Method kept */
	TW_POL_GRPC_METHOD_PSEUDONYMIZE
};

enum tw_pol_body {
	TW_POL_BODY_REDACT = 0, /* walked: strings pseudonymized */
	TW_POL_BODY_ZERO        /* zeroed like unknown payload */
};

#define TW_POLICY_MAX_NAMES 256
#define TW_POLICY_NAME_MAX 64

/* A CIDR range; IPv4 in the first 4 bytes of prefix. */
struct tw_pol_range {
	uint8_t version; /* 4 or 6 */
	uint8_t bits;    /* prefix length */
	uint8_t prefix[16];
};

/*
 * Resource bounds (section "limits"): what one connection, message or
 * document may take.  Past each, the data concerned is zeroed (fail
 * closed) and the summary counts it.
 */
struct tw_pol_limits {
	uint64_t flows;        /* TCP connections followed at once */
	uint64_t flow_buffer;  /* bytes buffered per direction */
	uint64_t held_buffer;  /* packet bytes held for reassembly, in all */
	uint64_t header_block; /* an HTTP/2 header block, all fragments */
	uint64_t message;      /* a gRPC message or an HTTP/2 JSON body */
	uint64_t json_depth;   /* nesting of arrays and objects */
	uint64_t pb_depth;     /* nesting of protobuf messages */
};

#define TW_LIMIT_FLOWS_DEFAULT 1000000u
#define TW_LIMIT_FLOW_BUFFER_DEFAULT (32u << 20)
#define TW_LIMIT_HELD_BUFFER_DEFAULT (256u << 20)
#define TW_LIMIT_HEADER_BLOCK_DEFAULT (1u << 20)
#define TW_LIMIT_MESSAGE_DEFAULT (16u << 20)
#define TW_LIMIT_JSON_DEPTH_DEFAULT 64u
#define TW_LIMIT_PB_DEPTH_DEFAULT 32u

struct tw_policy {
	char name[256];   /* file name, or "built-in default" */
	uint8_t hash[32]; /* SHA-256 of the file's bytes */
	char hash_hex[65];

	enum tw_pol_special special;
	struct tw_pol_range keep[TW_POLICY_MAX_RANGES];
	size_t nkeep;

	enum tw_pol_mac mac;
	enum tw_pol_tcp_ts tcp_ts;

	enum tw_pol_payload payload;
	uint8_t keep_port[65536 / 8]; /* bitmap: payload passed through */
	size_t nkeep_ports;

	enum tw_pol_tls_records tls_records;
	enum tw_pol_sni sni;
	uint8_t tls_port[65536 / 8]; /* bitmap: TLS is looked for here */

	/* http: HTTP/2 and gRPC (header names are lowercase). */
	char keep_headers[TW_POLICY_MAX_NAMES][TW_POLICY_NAME_MAX];
	size_t nkeep_headers;
	char keep_segments[TW_POLICY_MAX_NAMES][TW_POLICY_NAME_MAX];
	size_t nkeep_segments;
	enum tw_pol_grpc_method grpc_method;
	enum tw_pol_body grpc_body, json_body;
	uint64_t grpc_gzip_max; /* bytes a gzip gRPC message may inflate to */
	struct tw_pol_limits lim;
};

/* The default of grpc_gzip_max: 16 MiB, gRPC's usual message limit. */
#define TW_POLICY_GZIP_MAX_DEFAULT (16u << 20)
#define TW_POLICY_GZIP_MAX_LIMIT (1u << 30)

/*
 * Parses len bytes of policy YAML; name is used in messages.  Returns 0
 * and fills *pol, or TW_EFORMAT / TW_ELIMIT / TW_ENOMEM with
 * "NAME:LINE:COL: problem" in eb.
 */
int tw_policy_parse(struct tw_policy *pol, const char *name, const void *buf,
                    size_t len, struct tw_errbuf *eb);

/* Reads and parses a policy file.  Adds TW_EIO to tw_policy_parse's
 * errors. */
int tw_policy_load(struct tw_policy *pol, const char *path,
                   struct tw_errbuf *eb);

/* The built-in default: the bytes of config/policy-default.yaml. */
int tw_policy_default(struct tw_policy *pol, struct tw_errbuf *eb);
extern const char tw_policy_default_yaml[];

/* True when addr (4 or 16 bytes, per version) is in a keep range. */
bool tw_policy_keeps_addr(const struct tw_policy *pol, int version,
                          const uint8_t *addr);

/* True when the value of header name (n bytes, lowercase) is kept. */
bool tw_policy_keeps_header(const struct tw_policy *pol, const char *name,
                            size_t n);

/*
 * The value of a header the policy keeps (n bytes at v; name lowercase),
 * checked against that header's grammar (policy_values.c, POLICY.md
 * "Kept values"): what does not match -- a list element, a media type
 * part or parameter, else the whole value -- is pseudonymized in place
 * under vkey (the value sub-key), same length.  A name without a
 * grammar (one a policy adds) is left as sent.
 */
void tw_policy_kept_value(const uint8_t *vkey, const char *name, size_t nlen,
                          uint8_t *v, size_t n);

/* An HTTP/1.1 reason phrase (n bytes at v): kept when it is a standard
 * one (any case), else pseudonymized in place. */
void tw_policy_kept_reason(const uint8_t *vkey, uint8_t *v, size_t n);

/* Whether the values of name (lowercase) have a grammar there. */
bool tw_policy_value_grammar(const char *name, size_t nlen);

/* The longest warning tw_policy_warnings writes, NUL included. */
#define TW_POLICY_WARN_MAX 160

/*
 * What the policy lets through in the clear as a whole: a keep range of
 * 0.0.0.0/0 or ::/0, payload ports kept.  Writes up to max warnings
 * into w and returns how many there are (possibly more than max).
 */
size_t tw_policy_warnings(const struct tw_policy *pol,
                          char (*w)[TW_POLICY_WARN_MAX], size_t max);

/* True when a path segment (n bytes) is kept. */
bool tw_policy_keeps_segment(const struct tw_policy *pol, const char *seg,
                             size_t n);

static inline bool tw_policy_bit(const uint8_t *map, uint16_t port)
{
	return map[port >> 3] & (1u << (port & 7));
}

#endif
