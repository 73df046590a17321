/*
 * test_fuzz_regress.c - every input that once broke a fuzz harness
 * (tests/fuzz/regress/NAME/, one file each, named for what it found),
 * run through that harness's own code: under `make unit-asan` a
 * regression is a sanitizer report, in every build a broken invariant
 * traps.
 *
 *   h2/empty-header-value: a header block whose first values are empty
 *     reached memcpy with a null destination (redact/h2.c).
 *   h2/nul-in-header-name: a header name with a NUL byte, longer than
 *     any policy name, was compared with strncmp and read past the
 *     policy's name (redact/policy.c); "te\0..." was even kept as "te".
 *   l7trace/omitted-body: an "omitted" request body, whose bytes are
 *     zeros made as they are sent (body_have 0), read by the harness as
 *     held bytes (the harness's own mistake).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The harnesses themselves, their entry points renamed. */
#define LLVMFuzzerTestOneInput fuzz_h2_one
#include "tests/fuzz/fuzz_h2.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_l7trace_one
#include "tests/fuzz/fuzz_l7trace.c"
#undef LLVMFuzzerTestOneInput

/* Runs every file of tests/fuzz/regress/name through one. */
static void replay_dir(const char *name,
                       int (*one)(const uint8_t *data, size_t size))
{
	static uint8_t buf[1 << 16];
	char dir[256];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(dir, sizeof(dir), "tests/fuzz/regress/%s", name);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[512];
		size_t len;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		print_message("%s: %zu bytes\n", path, len);
		assert_int_equal(one(buf, len), 0);
		n++;
	}
	closedir(d);
	assert_true(n > 0);
}

static void test_h2(void **state)
{
	(void)state;
	replay_dir("h2", fuzz_h2_one);
}

/* The fail-open half of nul-in-header-name, directly. */
static void test_header_name_nul(void **state)
{
	static struct tw_policy p;
	struct tw_errbuf eb;
	char longname[300];

	(void)state;
	assert_int_equal(tw_policy_default(&p, &eb), 0);
	assert_true(tw_policy_keeps_header(&p, "te", 2));
	assert_false(tw_policy_keeps_header(&p, "te\0secret", 9));
	memset(longname, 'a', sizeof(longname));
	memcpy(longname, "te", 3);
	assert_false(tw_policy_keeps_header(&p, longname, sizeof(longname)));
}

static void test_l7trace(void **state)
{
	(void)state;
	replay_dir("l7trace", fuzz_l7trace_one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h2),
		cmocka_unit_test(test_header_name_nul),
		cmocka_unit_test(test_l7trace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
