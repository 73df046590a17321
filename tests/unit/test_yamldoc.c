/*
 * test_yamldoc.c - the YAML tree: shape, positions, typed getters, and
 * every way a configuration file can be refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "trace/yamldoc.h"

static struct tw_ydoc *parse_ok(const char *text)
{
	struct tw_errbuf eb;
	struct tw_ydoc *doc;
	int rc = tw_ydoc_parse(&doc, "t.yaml", text, strlen(text), &eb);

	if (rc != 0)
		fail_msg("parse failed: %s", eb.msg);
	return doc;
}

/* Parses text expecting failure with code; returns the message. */
static void parse_fails(const char *text, int code, const char *msg)
{
	struct tw_errbuf eb = { "" };
	struct tw_ydoc *doc = (void *)1;
	int rc = tw_ydoc_parse(&doc, "t.yaml", text, strlen(text), &eb);

	assert_int_equal(rc, code);
	assert_null(doc);
	if (!strstr(eb.msg, msg))
		fail_msg("message '%s' lacks '%s'", eb.msg, msg);
}

static void test_tree_and_positions(void **state)
{
	struct tw_ydoc *doc = parse_ok("a: 1\n"
	                               "b:\n"
	                               "  - x\n"
	                               "  - 'y'\n"
	                               "c: {d: true}\n");
	const struct tw_ynode *b, *c, *d;

	(void)state;
	assert_int_equal(doc->root->kind, TW_YNODE_MAP);
	assert_int_equal(doc->root->n, 6);
	b = tw_ydoc_get(doc->root, "b");
	assert_non_null(b);
	assert_int_equal(b->kind, TW_YNODE_SEQ);
	assert_int_equal(b->n, 2);
	assert_string_equal(b->kids[0]->str, "x");
	assert_true(b->kids[0]->plain);
	assert_false(b->kids[1]->plain);
	assert_int_equal(b->kids[1]->line, 4);
	assert_int_equal(b->kids[1]->col, 5);
	c = tw_ydoc_get(doc->root, "c");
	d = tw_ydoc_get(c, "d");
	assert_int_equal(d->line, 5);
	assert_int_equal(d->col, 8);
	assert_null(tw_ydoc_get(doc->root, "zz"));
	assert_null(tw_ydoc_get(b, "x"));
	tw_ydoc_free(doc);
}

static void test_empty_document(void **state)
{
	struct tw_ydoc *doc = parse_ok("");

	(void)state;
	assert_null(doc->root);
	tw_ydoc_free(doc);
	doc = parse_ok("# only a comment\n");
	assert_null(doc->root);
	tw_ydoc_free(doc);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *text;
		int code;
		const char *msg;
	} cases[] = {
		{ "a: [1, 2\n", TW_EFORMAT, "t.yaml:2:1:" },
		{ "a: 1\na: 2\n", TW_EFORMAT, "t.yaml:2:1: duplicate key 'a'" },
		{ "a: &x 1\nb: *x\n", TW_EFORMAT,
		  "t.yaml:2:4: aliases are not allowed" },
		{ "? [1]\n: 2\n", TW_EFORMAT, "key must be a scalar" },
		{ "a: 1\n---\nb: 2\n", TW_EFORMAT, "only one document" },
		{ "a:\tb: c\n", TW_EFORMAT, "t.yaml:" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		parse_fails(cases[i].text, cases[i].code, cases[i].msg);
}

static void test_depth_limit(void **state)
{
	char text[200];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < TW_YDOC_MAX_DEPTH + 1; i++)
		text[n++] = '[';
	for (int i = 0; i < TW_YDOC_MAX_DEPTH + 1; i++)
		text[n++] = ']';
	text[n] = '\0';
	parse_fails(text, TW_ELIMIT, "nested deeper than");
}

static void test_node_limit(void **state)
{
	size_t items = TW_YDOC_MAX_NODES + 10;
	char *text = malloc(items * 3 + 4);
	size_t n = 0;

	(void)state;
	text[n++] = '[';
	for (size_t i = 0; i < items; i++) {
		text[n++] = '1';
		text[n++] = ',';
	}
	text[n++] = ']';
	text[n] = '\0';
	parse_fails(text, TW_ELIMIT, "more than");
	free(text);
}

static void test_unknown_key(void **state)
{
	static const char *const allowed[] = { "keep", "mode", NULL };
	struct tw_ydoc *doc = parse_ok("addresses:\n"
	                               "  keep: []\n"
	                               "  mood: strict\n");
	struct tw_errbuf eb;
	int rc;

	(void)state;
	rc = tw_ydoc_check_keys(doc, tw_ydoc_get(doc->root, "addresses"),
	                        "addresses", allowed, &eb);
	assert_int_equal(rc, TW_EFORMAT);
	assert_string_equal(eb.msg,
	                    "t.yaml:3:3: unknown key 'mood' in 'addresses'");
	rc = tw_ydoc_check_keys(doc, tw_ydoc_get(doc->root, "nope"), "nope",
	                        allowed, &eb);
	assert_int_equal(rc, TW_EFORMAT);
	assert_string_equal(eb.msg, "t.yaml: 'nope' is missing");
	tw_ydoc_free(doc);
}

static void test_getters(void **state)
{
	static const char *const modes[] = { "zero", "truncate", NULL };
	struct tw_ydoc *doc = parse_ok("b1: yes\nb2: 'true'\nn: 0x10\n"
	                               "big: 70000\nneg: -3\ns: hi\n"
	                               "m: truncate\nbad: zap\nseq: []\n");
	const struct tw_ynode *r = doc->root;
	struct tw_errbuf eb;
	uint64_t u;
	int64_t i;
	bool b;
	int e;
	const char *s;

	(void)state;
	assert_int_equal(tw_ydoc_bool(doc, tw_ydoc_get(r, "b1"), "b1", &b, &eb),
	                 0);
	assert_true(b);
	assert_int_equal(tw_ydoc_bool(doc, tw_ydoc_get(r, "b2"), "b2", &b, &eb),
	                 TW_EFORMAT);
	assert_string_equal(eb.msg, "t.yaml:2:5: 'b2' must be true or false, "
	                            "not 'true'");
	assert_int_equal(
	        tw_ydoc_u64(doc, tw_ydoc_get(r, "n"), "n", 0, 100, &u, &eb), 0);
	assert_int_equal(u, 16);
	assert_int_equal(tw_ydoc_u64(doc, tw_ydoc_get(r, "big"), "big", 0,
	                             65535, &u, &eb),
	                 TW_EFORMAT);
	assert_non_null(strstr(eb.msg, "t.yaml:4:6:"));
	assert_int_equal(
	        tw_ydoc_u64(doc, tw_ydoc_get(r, "neg"), "neg", 0, 9, &u, &eb),
	        TW_EFORMAT);
	assert_int_equal(
	        tw_ydoc_i64(doc, tw_ydoc_get(r, "neg"), "neg", -9, 9, &i, &eb),
	        0);
	assert_int_equal(i, -3);
	assert_int_equal(tw_ydoc_str(doc, tw_ydoc_get(r, "s"), "s", &s, &eb),
	                 0);
	assert_string_equal(s, "hi");
	assert_int_equal(
	        tw_ydoc_enum(doc, tw_ydoc_get(r, "m"), "m", modes, &e, &eb), 0);
	assert_int_equal(e, 1);
	assert_int_equal(
	        tw_ydoc_enum(doc, tw_ydoc_get(r, "bad"), "bad", modes, &e, &eb),
	        TW_EFORMAT);
	assert_string_equal(eb.msg, "t.yaml:8:6: 'bad' must be one of zero, "
	                            "truncate, not 'zap'");
	assert_int_equal(
	        tw_ydoc_str(doc, tw_ydoc_get(r, "seq"), "seq", &s, &eb),
	        TW_EFORMAT);
	assert_string_equal(eb.msg, "t.yaml:9:6: 'seq' must be a scalar, not "
	                            "a sequence");
	tw_ydoc_free(doc);
}

static void test_read_file(void **state)
{
	char path[] = "/tmp/tw_ydoc_XXXXXX";
	int fd = mkstemp(path);
	struct tw_errbuf eb;
	char *buf;
	size_t len;
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	for (int i = 0; i < 2000; i++)
		fprintf(f, "k%d: %d\n", i, i);
	fclose(f);
	assert_int_equal(tw_ydoc_read_file(path, &buf, &len, &eb), 0);
	assert_true(len > 4096);
	assert_int_equal(buf[len], '\0');
	free(buf);
	unlink(path);
	assert_int_equal(tw_ydoc_read_file(path, &buf, &len, &eb), TW_EIO);
	assert_non_null(strstr(eb.msg, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_and_positions),
		cmocka_unit_test(test_empty_document),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
