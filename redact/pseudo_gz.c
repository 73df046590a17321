/*
 * pseudo_gz.c - motif pseudonyms for values inside compressed messages
 * (see pseudo_gz.h).
 */
#include "redact/pseudo_gz.h"

#include <stdbool.h>
#include <string.h>

#include "redact/pseudo.h"

#define MOTIF 4       /* bytes per motif: few, for deflate */
#define PIECE 4       /* replaced bytes in a row never shown */
#define ATTEMPTS 16   /* motifs drawn before the random pseudonym */
#define WHOLE_MAX 512 /* values checked whole, across their words */
#define ANY 6         /* pseudo.h's classes are 1 to 5; 6: any byte */
#define TAG 0x10      /* tw_pseudo_hash tags 0x11 to 0x16, by class */

/* Each class's bytes: the first and how many (class 0 is kept).
 * Letters come from the first 12 of the alphabet only: deflate codes a
 * letter of 12 in some 3.6 bits, of text in some 4.1, of 26 at random
 * in 4.7 (a page of sentences: 282, 285 and 1057 bytes deflated). */
static const struct {
	uint8_t first;
	uint16_t count;
} range[ANY + 1] = { { 0, 0 },      { 'a', 12 },  { 'A', 12 },  { '0', 10 },
	             { 0x80, 128 }, { 0x00, 32 }, { 0x00, 256 } };

/* splitmix64 (Steele, Lea and Flood, 2014): the draws from one seed. */
static uint64_t mix(uint64_t *st)
{
	uint64_t z = (*st += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Draws a motif of class c; a byte r picks member (r * count) >> 8. */
static void motif_draw(uint8_t m[MOTIF], int c, uint64_t *st)
{
	uint64_t r = mix(st);

	for (int k = 0; k < MOTIF; k++, r >>= 8)
		m[k] = (uint8_t)(range[c].first +
		                 (((r & 0xff) * range[c].count) >> 8));
}

/*
 * Whether motif m, cycled over the word w of n bytes, gives w itself
 * or shows a piece of w: a piece shows at some phase of the motif
 * wherever it shows, so each window of w is tried against each phase.
 */
static bool motif_leaks(const uint8_t m[MOTIF], const uint8_t *w, size_t n)
{
	size_t i;

	for (i = 0; i < n && m[i % MOTIF] == w[i]; i++)
		;
	if (i == n)
		return true;
	for (i = 0; i + PIECE <= n; i++)
		for (size_t r = 0; r < MOTIF; r++) {
			size_t k = 0;

			while (k < PIECE && m[(r + k) % MOTIF] == w[i + k])
				k++;
			if (k == PIECE)
				return true;
		}
	return false;
}

/* Replaces the word of n bytes at w, all of class c, by its motif
 * cycled; salt tells the whole value's attempts apart.  When no motif
 * would do, by pseudo.h's random pseudonym (see pseudo_gz.h). */
static void word_pseudo(const uint8_t *vkey, uint8_t *w, size_t n, int c,
                        uint64_t salt)
{
	uint64_t st = tw_pseudo_hash(vkey, w, n, (uint8_t)(TAG + c));
	uint8_t m[MOTIF];

	st ^= salt * 0xd1b54a32d192ed03ull;
	for (int a = 0; a < ATTEMPTS; a++) {
		motif_draw(m, c, &st);
		if (!motif_leaks(m, w, n)) {
			for (size_t i = 0; i < n; i++)
				w[i] = m[i % MOTIF];
			return;
		}
	}
	if (c == ANY)
		tw_pseudo_bytes(vkey, w, n);
	else
		tw_pseudo_text(vkey, w, n);
}

/* Every word (a run of one class) of s replaced. */
static void words_pseudo(const uint8_t *vkey, uint8_t *s, size_t n,
                         uint64_t salt)
{
	size_t a = 0;

	while (a < n) {
		int c = tw_pseudo_class(s[a]);
		size_t b = a + 1;

		while (b < n && tw_pseudo_class(s[b]) == c)
			b++;
		if (c)
			word_pseudo(vkey, s + a, b - a, c, salt);
		a = b;
	}
}

/* Whether ps shows a piece of s anywhere (a piece across words, or one
 * word's piece in another's pseudonym). */
static bool value_leaks(const uint8_t *s, const uint8_t *ps, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		run = tw_pseudo_class(s[i]) ? run + 1 : 0;
		if (run >= PIECE && memmem(ps, n, s + i + 1 - PIECE, PIECE))
			return true;
	}
	return false;
}

void tw_pseudo_gz_text(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s,
                       size_t n)
{
	uint8_t orig[WHOLE_MAX];

	if (n > WHOLE_MAX) {
		words_pseudo(vkey, s, n, 0);
		return;
	}
	memcpy(orig, s, n);
	for (uint64_t salt = 0; salt < ATTEMPTS; salt++) {
		words_pseudo(vkey, s, n, salt);
		if (!value_leaks(orig, s, n))
			return;
		memcpy(s, orig, n);
	}
	tw_pseudo_text(vkey, s, n);
}

void tw_pseudo_gz_bytes(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s,
                        size_t n)
{
	if (n)
		word_pseudo(vkey, s, n, ANY, 0);
}
