/*
 * body.c - protobuf and JSON bodies redacted in place (see body.h).
 */
#include "redact/body.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "redact/pseudo.h"

#define PB_MAX_DEPTH 32

/* A base-128 varint at p[*i] (at most 10 bytes); false when cut. */
static bool varint(const uint8_t *p, size_t n, size_t *i, uint64_t *v)
{
	uint64_t x = 0;

	for (int k = 0; k < 10; k++) {
		if (*i >= n)
			return false;
		x |= (uint64_t)(p[*i] & 0x7f) << (7 * k);
		if (!(p[(*i)++] & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false;
}

static bool has_control(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return true;
	return false;
}

static bool utf8_ok(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		size_t k = c < 0x80             ? 0
		           : (c & 0xe0) == 0xc0 ? 1
		           : (c & 0xf0) == 0xe0 ? 2
		           : (c & 0xf8) == 0xf0 ? 3
		                                : 9;

		if (k == 9 || (k && i + k >= n))
			return false;
		for (size_t j = 1; j <= k; j++)
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
		i += k + 1;
	}
	return true;
}

static int pb_msg(const uint8_t *vkey, uint8_t *p, size_t n, int depth,
                  bool edit);

static void pb_len_field(const uint8_t *vkey, uint8_t *s, size_t len, int depth)
{
	if (!len)
		return;
	if (!has_control(s, len) && utf8_ok(s, len)) {
		tw_pseudo_text(vkey, s, len);
		return;
	}
	if (depth < PB_MAX_DEPTH &&
	    pb_msg(vkey, s, len, depth + 1, false) == 0) {
		pb_msg(vkey, s, len, depth + 1, true);
		return;
	}
	if (utf8_ok(s, len))
		tw_pseudo_text(vkey, s, len);
	else
		tw_pseudo_bytes(vkey, s, len);
}

/* One message; with edit false, only checks that it parses. */
static int pb_msg(const uint8_t *vkey, uint8_t *p, size_t n, int depth,
                  bool edit)
{
	size_t i = 0;

	while (i < n) {
		uint64_t tag, v;

		if (!varint(p, n, &i, &tag) || (tag >> 3) == 0 ||
		    (tag >> 3) > 536870911u)
			return -1;
		switch (tag & 7) {
		case 0:
			if (!varint(p, n, &i, &v))
				return -1;
			break;
		case 1:
			if (n - i < 8)
				return -1;
			i += 8;
			break;
		case 5:
			if (n - i < 4)
				return -1;
			i += 4;
			break;
		case 2:
			if (!varint(p, n, &i, &v) || v > n - i)
				return -1;
			if (edit)
				pb_len_field(vkey, p + i, (size_t)v, depth);
			i += (size_t)v;
			break;
		default: /* groups (3, 4) are refused, 6 and 7 invalid */
			return -1;
		}
	}
	return 0;
}

int tw_pb_redact(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *p, size_t n)
{
	if (pb_msg(vkey, p, n, 0, false) < 0)
		return -1;
	pb_msg(vkey, p, n, 0, true);
	return 0;
}

static const char hexd[] = "0123456789abcdef";

/* The contents of one JSON string (between its quotes). */
static int json_str(const uint8_t *vkey, uint8_t *s, size_t n)
{
	uint8_t small[256], *ps = n <= sizeof(small) ? small : malloc(n);
	size_t i = 0;

	if (!ps)
		return -1;
	memcpy(ps, s, n);
	tw_pseudo_text(vkey, ps, n);
	while (i < n) {
		if (s[i] == '\\' && i + 1 < n) {
			if (s[i + 1] == 'u' && i + 5 < n) {
				/* \uXXXX becomes \u00XX, a lowercase letter. */
				uint8_t l = (uint8_t)('a' + ps[i + 5] % 26);

				s[i + 2] = '0';
				s[i + 3] = '0';
				s[i + 4] = (uint8_t)hexd[l >> 4];
				s[i + 5] = (uint8_t)hexd[l & 15];
				i += 6;
			} else {
				i += 2;
			}
			continue;
		}
		if (s[i] >= 0x80)
			s[i] = (uint8_t)('a' + ps[i] % 26);
		else
			s[i] = ps[i];
		i++;
	}
	if (ps != small)
		free(ps);
	return 0;
}

int tw_json_redact(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s, size_t n)
{
	json_error_t err;
	json_t *doc = json_loadb((const char *)s, n, JSON_DECODE_ANY, &err);
	size_t i = 0;

	if (!doc)
		return -1;
	json_decref(doc);
	/* jansson said it is JSON, so strings are well formed: each one
	 * ends at the first quote not escaped. */
	while (i < n) {
		size_t j, k;

		if (s[i] != '"') {
			i++;
			continue;
		}
		for (j = i + 1; j < n && s[j] != '"'; j++)
			if (s[j] == '\\')
				j++;
		if (j >= n)
			return 0;
		for (k = j + 1; k < n && (s[k] == ' ' || s[k] == '\t' ||
		                          s[k] == '\n' || s[k] == '\r');
		     k++)
			;
		if ((k >= n || s[k] != ':') &&
		    json_str(vkey, s + i + 1, j - i - 1) < 0)
			return -1;
		i = j + 1;
	}
	return 0;
}
