/*
 * test_fuzz_h2.c - every input that once broke the fuzz_h2 harness
 * (tests/fuzz/regress/h2/, one file each, named for what it found), run
 * through that harness's own code: under `make unit-asan` a regression
 * is a sanitizer report, in every build a broken invariant traps.
 *
 *   empty-header-value: a header block whose first values are empty
 *     reached memcpy with a null destination (redact/h2.c).
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

/* The harness itself, its entry point renamed. */
#define LLVMFuzzerTestOneInput fuzz_h2_one
#include "tests/fuzz/fuzz_h2.c"
#undef LLVMFuzzerTestOneInput

#define REGRESS "tests/fuzz/regress/h2"

static void test_regressions(void **state)
{
	DIR *d = opendir(REGRESS);
	struct dirent *e;
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[512];
		uint8_t buf[1 << 16];
		size_t len;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", REGRESS, e->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		print_message("%s: %zu bytes\n", path, len);
		assert_int_equal(fuzz_h2_one(buf, len), 0);
		n++;
	}
	closedir(d);
	assert_true(n > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regressions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
