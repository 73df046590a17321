/*
 * yamldoc.c - libyaml events into a tree with positions (see yamldoc.h).
 *
 * The builder keeps a stack of open containers.  Each event either opens
 * a container, closes the top one, or adds a scalar to the top one; a
 * mapping alternates key and value by the parity of its child count.
 */
#include "yamldoc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

struct builder {
	struct tw_ydoc *doc;
	struct tw_errbuf *eb;
	struct tw_ynode *stack[TW_YDOC_MAX_DEPTH];
	size_t cap[TW_YDOC_MAX_DEPTH];
	int depth;
	int docs;
};

static int pos_errf(const struct tw_ydoc *doc, struct tw_errbuf *eb,
                    uint32_t line, uint32_t col, int code, const char *fmt, ...)
        __attribute__((format(printf, 6, 7)));

static int pos_errf(const struct tw_ydoc *doc, struct tw_errbuf *eb,
                    uint32_t line, uint32_t col, int code, const char *fmt, ...)
{
	char msg[TW_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return tw_errf(eb, code, "%s:%" PRIu32 ":%" PRIu32 ": %s", doc->name,
	               line, col, msg);
}

int tw_ydoc_errf(const struct tw_ydoc *doc, const struct tw_ynode *n,
                 struct tw_errbuf *eb, int code, const char *fmt, ...)
{
	char msg[TW_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!n)
		return tw_errf(eb, code, "%s: %s", doc->name, msg);
	return pos_errf(doc, eb, n->line, n->col, code, "%s", msg);
}

static void node_free(struct tw_ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

void tw_ydoc_free(struct tw_ydoc *doc)
{
	if (!doc)
		return;
	node_free(doc->root);
	free(doc->name);
	free(doc);
}

static struct tw_ynode *node_new(struct builder *b, enum tw_ynode_kind kind,
                                 const yaml_mark_t *mark)
{
	struct tw_ynode *n;

	if (b->doc->nodes >= TW_YDOC_MAX_NODES) {
		pos_errf(b->doc, b->eb, (uint32_t)mark->line + 1,
		         (uint32_t)mark->column + 1, TW_ELIMIT,
		         "more than %d nodes", TW_YDOC_MAX_NODES);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		tw_errf(b->eb, TW_ENOMEM, "%s: out of memory", b->doc->name);
		return NULL;
	}
	n->kind = kind;
	n->line = (uint32_t)mark->line + 1;
	n->col = (uint32_t)mark->column + 1;
	b->doc->nodes++;
	return n;
}

static bool key_equal(const struct tw_ynode *a, const struct tw_ynode *b)
{
	return a->len == b->len && !memcmp(a->str, b->str, a->len);
}

/* Adds n to the top container (or makes it the root); takes n. */
static int attach(struct builder *b, struct tw_ynode *n)
{
	struct tw_ynode *top;
	size_t *cap;

	if (b->depth == 0) {
		b->doc->root = n;
		return 0;
	}
	top = b->stack[b->depth - 1];
	cap = &b->cap[b->depth - 1];
	if (top->kind == TW_YNODE_MAP && top->n % 2 == 0) {
		if (n->kind != TW_YNODE_SCALAR) {
			int rc = pos_errf(b->doc, b->eb, n->line, n->col,
			                  TW_EFORMAT,
			                  "a mapping key must be a scalar");
			node_free(n);
			return rc;
		}
		for (size_t i = 0; i < top->n; i += 2) {
			if (key_equal(top->kids[i], n)) {
				int rc = pos_errf(b->doc, b->eb, n->line,
				                  n->col, TW_EFORMAT,
				                  "duplicate key '%s'", n->str);
				node_free(n);
				return rc;
			}
		}
	}
	if (top->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct tw_ynode **k = realloc(top->kids, ncap * sizeof(*k));

		if (!k) {
			node_free(n);
			return tw_errf(b->eb, TW_ENOMEM, "%s: out of memory",
			               b->doc->name);
		}
		top->kids = k;
		*cap = ncap;
	}
	top->kids[top->n++] = n;
	return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	size_t len = ev->data.scalar.length;
	struct tw_ynode *n;

	if (len > TW_YDOC_MAX_SCALAR)
		return pos_errf(b->doc, b->eb, (uint32_t)m->line + 1,
		                (uint32_t)m->column + 1, TW_ELIMIT,
		                "scalar longer than %d bytes",
		                TW_YDOC_MAX_SCALAR);
	n = node_new(b, TW_YNODE_SCALAR, m);
	if (!n)
		return b->doc->nodes >= TW_YDOC_MAX_NODES ? TW_ELIMIT
		                                          : TW_ENOMEM;
	n->str = malloc(len + 1);
	if (!n->str) {
		node_free(n);
		return tw_errf(b->eb, TW_ENOMEM, "%s: out of memory",
		               b->doc->name);
	}
	memcpy(n->str, ev->data.scalar.value, len);
	n->str[len] = '\0';
	n->len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	return attach(b, n);
}

static int on_open(struct builder *b, const yaml_event_t *ev,
                   enum tw_ynode_kind kind)
{
	const yaml_mark_t *m = &ev->start_mark;
	struct tw_ynode *n;
	int rc;

	if (b->depth >= TW_YDOC_MAX_DEPTH)
		return pos_errf(b->doc, b->eb, (uint32_t)m->line + 1,
		                (uint32_t)m->column + 1, TW_ELIMIT,
		                "nested deeper than %d levels",
		                TW_YDOC_MAX_DEPTH);
	n = node_new(b, kind, m);
	if (!n)
		return b->doc->nodes >= TW_YDOC_MAX_NODES ? TW_ELIMIT
		                                          : TW_ENOMEM;
	rc = attach(b, n);
	if (rc < 0)
		return rc;
	b->stack[b->depth] = n;
	b->cap[b->depth] = 0;
	b->depth++;
	return 0;
}

/* Handles one event; returns 1 at the end of the stream, 0 to go on. */
static int on_event(struct builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1)
			return pos_errf(b->doc, b->eb, (uint32_t)m->line + 1,
			                (uint32_t)m->column + 1, TW_EFORMAT,
			                "only one document is allowed");
		return 0;
	case YAML_ALIAS_EVENT:
		return pos_errf(b->doc, b->eb, (uint32_t)m->line + 1,
		                (uint32_t)m->column + 1, TW_EFORMAT,
		                "aliases are not allowed");
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_open(b, ev, TW_YNODE_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_open(b, ev, TW_YNODE_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return 0;
	default:
		return 0;
	}
}

/*
 * libyaml's reader (invalid UTF-8, a control character such as NUL)
 * says where by byte offset only, leaving problem_mark at the start:
 * the line and column (in characters) are counted here.
 */
static void reader_mark(const void *buf, size_t len, yaml_parser_t *parser)
{
	const unsigned char *p = buf;
	size_t end =
	        parser->problem_offset < len ? parser->problem_offset : len;
	size_t line = 0, col = 0;

	for (size_t i = 0; i < end; i++) {
		if (p[i] == '\n') {
			line++;
			col = 0;
		} else if ((p[i] & 0xc0) != 0x80) {
			col++;
		}
	}
	parser->problem_mark.line = line;
	parser->problem_mark.column = col;
}

int tw_ydoc_parse(struct tw_ydoc **out, const char *name, const void *buf,
                  size_t len, struct tw_errbuf *eb)
{
	struct builder b = { .eb = eb };
	yaml_parser_t parser;
	int rc = 0;

	*out = NULL;
	b.doc = calloc(1, sizeof(*b.doc));
	if (!b.doc || !(b.doc->name = strdup(name))) {
		free(b.doc);
		return tw_errf(eb, TW_ENOMEM, "%s: out of memory", name);
	}
	if (len > TW_YDOC_MAX_INPUT) {
		rc = tw_errf(eb, TW_ELIMIT, "%s: larger than %u bytes", name,
		             TW_YDOC_MAX_INPUT);
		tw_ydoc_free(b.doc);
		return rc;
	}
	if (!yaml_parser_initialize(&parser)) {
		tw_ydoc_free(b.doc);
		return tw_errf(eb, TW_ENOMEM, "%s: out of memory", name);
	}
	yaml_parser_set_input_string(&parser, buf, len);
	while (rc == 0) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_READER_ERROR)
				reader_mark(buf, len, &parser);
			rc = pos_errf(b.doc, eb,
			              (uint32_t)parser.problem_mark.line + 1,
			              (uint32_t)parser.problem_mark.column + 1,
			              parser.error == YAML_MEMORY_ERROR
			                      ? TW_ENOMEM
			                      : TW_EFORMAT,
			              "%s%s%s",
			              parser.problem ? parser.problem
			                             : "syntax error",
			              parser.context ? " " : "",
			              parser.context ? parser.context : "");
			break;
		}
		rc = on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (rc < 0) {
		tw_ydoc_free(b.doc);
		return rc;
	}
	*out = b.doc;
	return 0;
}

int tw_ydoc_read_file(const char *path, char **buf, size_t *len,
                      struct tw_errbuf *eb)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t n = 0, cap = 0;

	*buf = NULL;
	*len = 0;
	if (!f)
		return tw_errf(eb, TW_EIO, "%s: %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (n == cap) {
			char *q;

			if (cap > TW_YDOC_MAX_INPUT) {
				fclose(f);
				free(p);
				return tw_errf(eb, TW_ELIMIT,
				               "%s: larger than %u bytes", path,
				               TW_YDOC_MAX_INPUT);
			}
			cap = cap ? cap * 2 : 4096;
			q = realloc(p, cap + 1);
			if (!q) {
				fclose(f);
				free(p);
				return tw_errf(eb, TW_ENOMEM,
				               "%s: out of memory", path);
			}
			p = q;
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;

		fclose(f);
		free(p);
		return tw_errf(eb, TW_EIO, "%s: %s", path, strerror(e));
	}
	fclose(f);
	p[n] = '\0';
	*buf = p;
	*len = n;
	return 0;
}

const struct tw_ynode *tw_ydoc_get(const struct tw_ynode *map, const char *key)
{
	size_t klen = strlen(key);

	if (!map || map->kind != TW_YNODE_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->len == klen &&
		    !memcmp(map->kids[i]->str, key, klen))
			return map->kids[i + 1];
	return NULL;
}

static const char *kind_name(enum tw_ynode_kind k)
{
	switch (k) {
	case TW_YNODE_MAP:
		return "a mapping";
	case TW_YNODE_SEQ:
		return "a sequence";
	default:
		return "a scalar";
	}
}

int tw_ydoc_expect(const struct tw_ydoc *doc, const struct tw_ynode *n,
                   enum tw_ynode_kind kind, const char *what,
                   struct tw_errbuf *eb)
{
	if (!n)
		return tw_ydoc_errf(doc, NULL, eb, TW_EFORMAT,
		                    "'%s' is missing", what);
	if (n->kind != kind)
		return tw_ydoc_errf(doc, n, eb, TW_EFORMAT,
		                    "'%s' must be %s, not %s", what,
		                    kind_name(kind), kind_name(n->kind));
	return 0;
}

int tw_ydoc_check_keys(const struct tw_ydoc *doc, const struct tw_ynode *n,
                       const char *what, const char *const *allowed,
                       struct tw_errbuf *eb)
{
	int rc = tw_ydoc_expect(doc, n, TW_YNODE_MAP, what, eb);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n->n; i += 2) {
		const struct tw_ynode *k = n->kids[i];
		bool ok = false;

		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strlen(*a) == k->len &&
			     !memcmp(*a, k->str, k->len);
		if (!ok)
			return tw_ydoc_errf(doc, k, eb, TW_EFORMAT,
			                    "unknown key '%s' in '%s'", k->str,
			                    what);
	}
	return 0;
}

int tw_ydoc_str(const struct tw_ydoc *doc, const struct tw_ynode *n,
                const char *what, const char **out, struct tw_errbuf *eb)
{
	int rc = tw_ydoc_expect(doc, n, TW_YNODE_SCALAR, what, eb);

	if (rc < 0)
		return rc;
	if (strlen(n->str) != n->len)
		return tw_ydoc_errf(doc, n, eb, TW_EFORMAT,
		                    "'%s' contains a NUL character", what);
	*out = n->str;
	return 0;
}

int tw_ydoc_bool(const struct tw_ydoc *doc, const struct tw_ynode *n,
                 const char *what, bool *out, struct tw_errbuf *eb)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	int rc = tw_ydoc_expect(doc, n, TW_YNODE_SCALAR, what, eb);

	if (rc < 0)
		return rc;
	for (size_t i = 0; n->plain && i < 3; i++) {
		if (!strcasecmp(n->str, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(n->str, no[i])) {
			*out = false;
			return 0;
		}
	}
	return tw_ydoc_errf(doc, n, eb, TW_EFORMAT,
	                    "'%s' must be true or false, not '%s'", what,
	                    n->str);
}

int tw_ydoc_u64(const struct tw_ydoc *doc, const struct tw_ynode *n,
                const char *what, uint64_t min, uint64_t max, uint64_t *out,
                struct tw_errbuf *eb)
{
	int rc = tw_ydoc_expect(doc, n, TW_YNODE_SCALAR, what, eb);
	unsigned long long v;
	char *end;

	if (rc < 0)
		return rc;
	errno = 0;
	v = strtoull(n->str, &end, 0);
	if (!n->plain || n->len == 0 || n->str[0] == '-' || n->str[0] == '+' ||
	    *end || errno || v < min || v > max)
		return tw_ydoc_errf(doc, n, eb, TW_EFORMAT,
		                    "'%s' must be an integer from %" PRIu64
		                    " to %" PRIu64 ", not '%s'",
		                    what, min, max, n->str);
	*out = v;
	return 0;
}

int tw_ydoc_i64(const struct tw_ydoc *doc, const struct tw_ynode *n,
                const char *what, int64_t min, int64_t max, int64_t *out,
                struct tw_errbuf *eb)
{
	int rc = tw_ydoc_expect(doc, n, TW_YNODE_SCALAR, what, eb);
	long long v;
	char *end;

	if (rc < 0)
		return rc;
	errno = 0;
	v = strtoll(n->str, &end, 10);
	if (!n->plain || n->len == 0 || *end || errno || v < min || v > max)
		return tw_ydoc_errf(doc, n, eb, TW_EFORMAT,
		                    "'%s' must be an integer from %" PRId64
		                    " to %" PRId64 ", not '%s'",
		                    what, min, max, n->str);
	*out = v;
	return 0;
}

int tw_ydoc_enum(const struct tw_ydoc *doc, const struct tw_ynode *n,
                 const char *what, const char *const *names, int *out,
                 struct tw_errbuf *eb)
{
	char list[256] = "";
	size_t used = 0;
	int rc = tw_ydoc_expect(doc, n, TW_YNODE_SCALAR, what, eb);

	if (rc < 0)
		return rc;
	for (int i = 0; names[i]; i++) {
		if (!strcmp(n->str, names[i])) {
			*out = i;
			return 0;
		}
		if (used < sizeof(list)) {
			int w = snprintf(list + used, sizeof(list) - used,
			                 "%s%s", i ? ", " : "", names[i]);

			if (w > 0)
				used += (size_t)w;
		}
	}
	return tw_ydoc_errf(doc, n, eb, TW_EFORMAT,
	                    "'%s' must be one of %s, not '%s'", what, list,
	                    n->str);
}
