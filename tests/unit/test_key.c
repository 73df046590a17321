/*
 * test_key.c - key sources, refusals, derivation and fingerprint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "redact/key.h"

static const char HEX32[] = "000102030405060708090a0b0c0d0e0f"
                            "101112131415161718191a1b1c1d1e1f";

/* Writes len bytes to a new temporary file with mode; returns its path. */
static char *tmp_file(const void *data, size_t len, mode_t mode)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/tw_key_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_fingerprint_vector(void **state)
{
	uint8_t raw[32];
	struct tw_key *k;
	struct tw_errbuf eb;
	char fpr[32];
	static const uint8_t addr0[4] = { 0xd6, 0x61, 0x6c, 0x52 };

	(void)state;
	for (int i = 0; i < 32; i++)
		raw[i] = (uint8_t)i;
	assert_int_equal(tw_key_from_bytes(&k, raw, 32, &eb), 0);
	/* HMAC-SHA256(key, "tracewarp key fingerprint"), first 8 bytes,
	 * computed independently with Python's hmac module. */
	assert_string_equal(tw_key_fingerprint_hex(k, fpr, sizeof(fpr)),
	                    "ffda0cd195acc9dc");
	assert_memory_equal(k->addr, addr0, 4);
	assert_memory_not_equal(k->addr, k->mac, 32);
	assert_memory_not_equal(k->value, k->time, 32);
	tw_key_free(k);
}

static void test_too_short(void **state)
{
	uint8_t raw[31] = { 0 };
	struct tw_key *k = (void *)1;
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(tw_key_from_bytes(&k, raw, 31, &eb), TW_EINVAL);
	assert_null(k);
	assert_non_null(strstr(eb.msg, "248 bits"));
}

static void test_env(void **state)
{
	struct tw_key *k;
	struct tw_errbuf eb;
	char fpr[32];

	(void)state;
	unsetenv("TW_TEST_KEY");
	assert_int_equal(tw_key_from_env(&k, "TW_TEST_KEY", &eb), TW_EINVAL);
	assert_non_null(strstr(eb.msg, "not set"));
	setenv("TW_TEST_KEY", "abcd", 1);
	assert_int_equal(tw_key_from_env(&k, "TW_TEST_KEY", &eb), TW_EINVAL);
	assert_non_null(strstr(eb.msg, "at least 256"));
	setenv("TW_TEST_KEY", "zz", 1);
	assert_int_equal(tw_key_from_env(&k, "TW_TEST_KEY", &eb), TW_EINVAL);
	assert_non_null(strstr(eb.msg, "TW_TEST_KEY:1:1: 'z' is not a hex"));
	setenv("TW_TEST_KEY", "00 11 2", 1);
	assert_int_equal(tw_key_from_env(&k, "TW_TEST_KEY", &eb), TW_EINVAL);
	assert_non_null(strstr(eb.msg, "5 hex digits, an odd number"));
	setenv("TW_TEST_KEY", HEX32, 1);
	assert_int_equal(tw_key_from_env(&k, "TW_TEST_KEY", &eb), 0);
	assert_string_equal(tw_key_fingerprint_hex(k, fpr, sizeof(fpr)),
	                    "ffda0cd195acc9dc");
	tw_key_free(k);
	unsetenv("TW_TEST_KEY");
}

static void test_file_hex_and_raw_agree(void **state)
{
	uint8_t raw[32];
	char text[80];
	struct tw_key *k;
	struct tw_errbuf eb;
	char fpr[32];
	char *path;

	(void)state;
	for (int i = 0; i < 32; i++)
		raw[i] = (uint8_t)i;
	snprintf(text, sizeof(text), "%s\n", HEX32);
	path = tmp_file(text, strlen(text), 0600);
	assert_int_equal(tw_key_from_file(&k, path, &eb), 0);
	assert_string_equal(tw_key_fingerprint_hex(k, fpr, sizeof(fpr)),
	                    "ffda0cd195acc9dc");
	tw_key_free(k);
	unlink(path);
	path = tmp_file(raw, sizeof(raw), 0400);
	assert_int_equal(tw_key_from_file(&k, path, &eb), 0);
	assert_string_equal(tw_key_fingerprint_hex(k, fpr, sizeof(fpr)),
	                    "ffda0cd195acc9dc");
	tw_key_free(k);
	unlink(path);
}

static void test_file_refusals(void **state)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0620, 0602 };
	struct tw_key *k = (void *)1;
	struct tw_errbuf eb;
	char *path;

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		path = tmp_file(HEX32, strlen(HEX32), modes[i]);
		assert_int_equal(tw_key_from_file(&k, path, &eb), TW_EINVAL);
		assert_null(k);
		assert_non_null(strstr(eb.msg, "chmod 600"));
		unlink(path);
	}
	path = tmp_file("0011", 4, 0600);
	assert_int_equal(tw_key_from_file(&k, path, &eb), TW_EINVAL);
	assert_non_null(strstr(eb.msg, path));
	unlink(path);
	assert_int_equal(tw_key_from_file(&k, path, &eb), TW_EIO);
	assert_int_equal(tw_key_from_file(&k, "/tmp", &eb), TW_EINVAL);
}

/* Text that is not clean hex is refused with its place, not taken as
 * raw bytes; raw bytes that are not text are still a key. */
#define HEX_TEXT \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void test_text_not_hex(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "0x" HEX_TEXT "\n", ":1:2: 'x' is not a hex digit" },
		{ HEX_TEXT "\n" HEX_TEXT "g\n",
		  ":2:65: 'g' is not a hex digit" },
		{ "00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:"
		  "14:15:16:17:18:19:1a:1b:1c:1d:1e:1f\n",
		  ":1:3: ':' is not a hex digit" },
		{ HEX_TEXT HEX_TEXT "1\n", ": 129 hex digits, an odd number" },
	};
	uint8_t raw[32];
	struct tw_key *k;
	struct tw_errbuf eb;
	char *path;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = tmp_file(cases[i].text, strlen(cases[i].text), 0600);
		assert_int_equal(tw_key_from_file(&k, path, &eb), TW_EINVAL);
		if (!strstr(eb.msg, cases[i].msg) || !strstr(eb.msg, path))
			fail_msg("%s", eb.msg);
		unlink(path);
	}
	for (int i = 0; i < 32; i++)
		raw[i] = (uint8_t)(0x80 + i * 3);
	path = tmp_file(raw, sizeof(raw), 0600);
	assert_int_equal(tw_key_from_file(&k, path, &eb), 0);
	tw_key_free(k);
	unlink(path);
}

/* A key whose bytes are all equal is a placeholder: refused from a
 * file (hex or raw) and from the environment; one byte apart is not. */
static void test_degenerate_refused(void **state)
{
	uint8_t raw[40];
	char hex[2 * sizeof(raw) + 1];
	struct tw_key *k = (void *)1;
	struct tw_errbuf eb;
	char *path;

	(void)state;
	memset(raw, 0, sizeof(raw));
	path = tmp_file(raw, sizeof(raw), 0600);
	assert_int_equal(tw_key_from_file(&k, path, &eb), TW_EINVAL);
	assert_null(k);
	assert_non_null(strstr(eb.msg, "every byte of the key is 0x00"));
	unlink(path);
	memset(hex, 'a', sizeof(hex) - 1);
	hex[sizeof(hex) - 1] = 0;
	path = tmp_file(hex, strlen(hex), 0600);
	assert_int_equal(tw_key_from_file(&k, path, &eb), TW_EINVAL);
	assert_non_null(strstr(eb.msg, "every byte of the key is 0xaa"));
	unlink(path);
	setenv("TW_TEST_KEY", hex, 1);
	assert_int_equal(tw_key_from_env(&k, "TW_TEST_KEY", &eb), TW_EINVAL);
	assert_null(k);
	assert_non_null(strstr(eb.msg, "TW_TEST_KEY: every byte"));
	hex[5] = 'b';
	setenv("TW_TEST_KEY", hex, 1);
	assert_int_equal(tw_key_from_env(&k, "TW_TEST_KEY", &eb), 0);
	tw_key_free(k);
	unsetenv("TW_TEST_KEY");
}

static void test_different_keys_differ(void **state)
{
	uint8_t a[32] = { 1 }, b[32] = { 2 };
	struct tw_key *ka, *kb;
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(tw_key_from_bytes(&ka, a, 32, &eb), 0);
	assert_int_equal(tw_key_from_bytes(&kb, b, 32, &eb), 0);
	assert_memory_not_equal(ka->fpr, kb->fpr, TW_KEY_FPR_BYTES);
	assert_memory_not_equal(ka->addr, kb->addr, 32);
	tw_key_free(ka);
	tw_key_free(kb);
	tw_key_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint_vector),
		cmocka_unit_test(test_too_short),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_file_hex_and_raw_agree),
		cmocka_unit_test(test_file_refusals),
		cmocka_unit_test(test_text_not_hex),
		cmocka_unit_test(test_degenerate_refused),
		cmocka_unit_test(test_different_keys_differ),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
