/*
 * test_pseudo_gz.c - motif pseudonyms for compressed messages
 * (redact/pseudo_gz.h): length, classes and punctuation kept, the same
 * word gives the same pseudonym, the value and its pieces (4 replaced
 * bytes in a row) never show, and the result deflates better than the
 * text and than pseudo.h's pseudonyms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "redact/key.h"
#include "redact/pseudo.h"
#include "redact/pseudo_gz.h"

static struct tw_key *key;

/* Values that tempt a short cycled motif to give the original back:
 * periodic, one letter, all digits, short, mixed. */
static const char *const TRICKY[] = {
	"abcdabcdabcdabcd",
	"aaaaaaaaaaaaaaaaaaaaaaaa",
	"abababababab",
	"0000",
	"1234123412341234",
	"12",
	"x",
	"Ab",
	"AAAA BBBB CCCC",
	"call me at +1-751-555-2250 about Dmitri Lindqvist",
	"marisol.castellano51@ghgdjp.example",
	"0c8b001f-b22f-4004-c813-ff1fedf3ccd3",
	"FC8ZrXbeg_fT3pG-h8msMlc-T1ah9sdbEl7oX8nr",
	"Jos\xc3\xa9 Mar\xc3\xad"
	"a N\xc3\xba\xc3\xb1"
	"ez",
};

/* Whether ps shows s itself (when s has a byte to replace) or any 4
 * replaced bytes in a row of s, anywhere: brute force. */
static bool shows(const uint8_t *s, const uint8_t *ps, size_t n)
{
	bool replaced = false;

	for (size_t i = 0; i < n; i++)
		replaced = replaced || tw_pseudo_class(s[i]);
	if (replaced && !memcmp(s, ps, n))
		return true;
	for (size_t i = 0; i + 4 <= n; i++) {
		bool piece = true;

		for (size_t k = 0; k < 4; k++)
			piece = piece && tw_pseudo_class(s[i + k]);
		if (piece && memmem(ps, n, s + i, 4))
			return true;
	}
	return false;
}

static void test_shape_kept_nothing_shown(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(TRICKY) / sizeof(TRICKY[0]); t++) {
		size_t n = strlen(TRICKY[t]);
		uint8_t ps[128], again[128];

		memcpy(ps, TRICKY[t], n);
		tw_pseudo_gz_text(key->value, ps, n);
		memcpy(again, TRICKY[t], n);
		tw_pseudo_gz_text(key->value, again, n);
		assert_memory_equal(ps, again, n); /* deterministic */
		for (size_t i = 0; i < n; i++) {
			uint8_t c = (uint8_t)TRICKY[t][i];

			assert_int_equal(tw_pseudo_class(ps[i]),
			                 tw_pseudo_class(c));
			if (!tw_pseudo_class(c))
				assert_int_equal(ps[i], c);
		}
		assert_false(shows((const uint8_t *)TRICKY[t], ps, n));
	}
}

/* A linear congruential generator: test values, the same every run. */
static uint32_t lcg(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 16;
}

/* Words of 1 to 12 digits, letters or (the hard case) two letters
 * only, between spaces and dots, 48 bytes in all. */
static size_t random_words(uint8_t *s, uint32_t *x)
{
	size_t n = 0;

	while (n < 48) {
		size_t len = 1 + lcg(x) % 12;
		uint32_t kind = lcg(x) % 4;

		for (size_t k = 0; k < len && n < 48; k++) {
			uint32_t r = lcg(x);

			s[n++] = kind == 0   ? (uint8_t)('0' + r % 10)
			         : kind == 1 ? (uint8_t)('a' + r % 2)
			                     : (uint8_t)('a' + r % 26);
		}
		if (n < 48)
			s[n++] = lcg(x) % 3 ? ' ' : '.';
	}
	return n;
}

/* Many such values: none ever shows itself or a piece, as text or as
 * a bytes field. */
static void test_many_values_nothing_shown(void **state)
{
	uint32_t x = 12345;

	(void)state;
	for (int v = 0; v < 3000; v++) {
		uint8_t s[64], ps[64];
		size_t n = random_words(s, &x);

		memcpy(ps, s, n);
		tw_pseudo_gz_text(key->value, ps, n);
		assert_false(shows(s, ps, n));
		memcpy(ps, s, n);
		tw_pseudo_gz_bytes(key->value, ps, n);
		assert_memory_not_equal(ps, s, n);
		for (size_t i = 0; i + 4 <= n; i++)
			assert_null(memmem(ps, n, s + i, 4));
	}
}

/* A word has one pseudonym in every value (under the key), another
 * than pseudo.h's. */
static void test_word_consistent(void **state)
{
	char a[] = "Dmitri Lindqvist", b[] = "about Lindqvist, again";
	char w[] = "Lindqvist";

	(void)state;
	tw_pseudo_gz_text(key->value, (uint8_t *)a, strlen(a));
	tw_pseudo_gz_text(key->value, (uint8_t *)b, strlen(b));
	assert_memory_equal(a + 7, b + 6, 9);
	assert_memory_not_equal(a + 7, "Lindqvist", 9);
	tw_pseudo_text(key->value, (uint8_t *)w, strlen(w));
	assert_memory_not_equal(a + 7, w, 9);
}

static size_t deflated(const uint8_t *s, size_t n)
{
	uint8_t out[8192];
	uLongf len = sizeof(out);

	assert_int_equal(compress2(out, &len, s, (uLong)n, 9), Z_OK);
	return len;
}

/* Sentences with names and emails: the motif pseudonym deflates
 * shorter than the text, which deflates shorter than pseudo.h's. */
static void test_deflates_better(void **state)
{
	static const char *const part[] = {
		"Dear Marisol Castellano, your order 48213 shipped today. ",
		"Contact dmitri.lindqvist20@gwrotw.example for returns. ",
		"Chiara Quintero will call you back before Friday noon. ",
		"The invoice for Kalinda Tanaka was sent to her lawyer. ",
	};
	uint8_t s[4096], z[4096], r[4096];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 24; i++) {
		size_t l = strlen(part[(i * 7) % 4]);

		memcpy(s + n, part[(i * 7) % 4], l);
		n += l;
		n += (size_t)snprintf((char *)s + n, sizeof(s) - n, "Ref %d. ",
		                      1000 + 17 * i);
	}
	memcpy(z, s, n);
	tw_pseudo_gz_text(key->value, z, n);
	memcpy(r, s, n);
	tw_pseudo_text(key->value, r, n);
	assert_true(deflated(z, n) < deflated(s, n));
	assert_true(deflated(s, n) < deflated(r, n));
}

static int setup(void **state)
{
	struct tw_errbuf eb;
	uint8_t raw[32];

	(void)state;
	for (int i = 0; i < 32; i++)
		raw[i] = (uint8_t)(i * 5 + 3);
	assert_int_equal(tw_key_from_bytes(&key, raw, 32, &eb), 0);
	assert_int_equal(tw_huff_init(), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tw_key_free(key);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape_kept_nothing_shown),
		cmocka_unit_test(test_many_values_nothing_shown),
		cmocka_unit_test(test_word_consistent),
		cmocka_unit_test(test_deflates_better),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
