/*
 * yamldoc.h - a small YAML document tree with positions, for configuration
 * files (redaction policies, generator profiles).
 *
 * libyaml parses; this module turns its events into a tree of mappings,
 * sequences and scalars in which every node keeps the line and column it
 * started at, so that every complaint about a configuration file can say
 * "FILE:LINE:COL: what is wrong".  Aliases are refused (they make small
 * files expand into large trees), duplicate keys are refused, mapping keys
 * must be scalars, and depth, node count and scalar size are bounded.
 * Scalars are kept as text; the typed getters below convert them and
 * report the node's position on failure.
 */
#ifndef TW_YAMLDOC_H
#define TW_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define TW_YDOC_MAX_DEPTH 32
#define TW_YDOC_MAX_NODES 100000
#define TW_YDOC_MAX_SCALAR 65536
#define TW_YDOC_MAX_INPUT (4u << 20)

enum tw_ynode_kind { TW_YNODE_SCALAR = 1, TW_YNODE_MAP, TW_YNODE_SEQ };

struct tw_ynode {
	enum tw_ynode_kind kind;
	uint32_t line, col; /* 1-based, where the node starts */
	/* Scalar: NUL-terminated text, len bytes; plain is true when the
	 * scalar was not quoted (only plain scalars can be null or bool). */
	char *str;
	size_t len;
	bool plain;
	/* Mapping: n pairs, kids[2i] the key (a scalar), kids[2i+1] the
	 * value.  Sequence: n items in kids[i]. */
	struct tw_ynode **kids;
	size_t n;
};

struct tw_ydoc {
	char *name;            /* file name used in messages */
	struct tw_ynode *root; /* NULL for an empty document */
	size_t nodes;
};

/*
 * Parses len bytes of YAML (one document).  name is used in messages.
 * Returns 0 and *out (free with tw_ydoc_free), or TW_EFORMAT (syntax,
 * alias, duplicate key, non-scalar key, several documents), TW_ELIMIT
 * (depth, nodes, scalar or input size) or TW_ENOMEM, with
 * "NAME:LINE:COL: problem" in eb.
 */
int tw_ydoc_parse(struct tw_ydoc **out, const char *name, const void *buf,
                  size_t len, struct tw_errbuf *eb);

/*
 * Reads a whole file (at most TW_YDOC_MAX_INPUT bytes) into *buf (caller
 * frees) and *len.  Returns 0, TW_EIO or TW_ELIMIT with the message in eb.
 */
int tw_ydoc_read_file(const char *path, char **buf, size_t *len,
                      struct tw_errbuf *eb);

void tw_ydoc_free(struct tw_ydoc *doc);

/* The value of key in map, or NULL when absent or map is not a map. */
const struct tw_ynode *tw_ydoc_get(const struct tw_ynode *map, const char *key);

/*
 * Formats "NAME:LINE:COL: " + fmt into eb for node n (or "NAME: " when n
 * is NULL) and returns code.
 */
int tw_ydoc_errf(const struct tw_ydoc *doc, const struct tw_ynode *n,
                 struct tw_errbuf *eb, int code, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/*
 * Checks that n is a mapping whose keys are all in allowed (a NULL-ended
 * list).  what names the mapping in messages, e.g. "addresses":
 * "NAME:L:C: unknown key 'x' in 'addresses'".  Returns 0 or TW_EFORMAT.
 */
int tw_ydoc_check_keys(const struct tw_ydoc *doc, const struct tw_ynode *n,
                       const char *what, const char *const *allowed,
                       struct tw_errbuf *eb);

/* Checks the kind of n; what names it in the message.  0 or TW_EFORMAT. */
int tw_ydoc_expect(const struct tw_ydoc *doc, const struct tw_ynode *n,
                   enum tw_ynode_kind kind, const char *what,
                   struct tw_errbuf *eb);

/* Typed getters: 0, or TW_EFORMAT naming the node and what was wanted.
 * Booleans are plain true/false/yes/no/on/off (any case). */
int tw_ydoc_bool(const struct tw_ydoc *doc, const struct tw_ynode *n,
                 const char *what, bool *out, struct tw_errbuf *eb);

/* An unsigned decimal (or 0x hex) in [min, max]. */
int tw_ydoc_u64(const struct tw_ydoc *doc, const struct tw_ynode *n,
                const char *what, uint64_t min, uint64_t max, uint64_t *out,
                struct tw_errbuf *eb);

/* A signed decimal in [min, max]. */
int tw_ydoc_i64(const struct tw_ydoc *doc, const struct tw_ynode *n,
                const char *what, int64_t min, int64_t max, int64_t *out,
                struct tw_errbuf *eb);

/* A scalar's text (owned by the document). */
int tw_ydoc_str(const struct tw_ydoc *doc, const struct tw_ynode *n,
                const char *what, const char **out, struct tw_errbuf *eb);

/* One of names (NULL-ended); *out receives its index. */
int tw_ydoc_enum(const struct tw_ydoc *doc, const struct tw_ynode *n,
                 const char *what, const char *const *names, int *out,
                 struct tw_errbuf *eb);

#endif
