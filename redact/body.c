/*
 * body.c - protobuf and JSON bodies redacted in place (see body.h).
 */
#include "redact/body.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "redact/policy.h"
#include "redact/pseudo.h"
#include "redact/pseudo_gz.h"
#include "trace/error.h"

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

typedef void pseudo_fn(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s,
                       size_t n);

/* A walk: the key, how deep messages may nest, and the pseudonyms for
 * text and bytes fields (pseudo.h's, or pseudo_gz.h's in gzip). */
struct pb_walk {
	const uint8_t *vkey;
	unsigned max_depth;
	pseudo_fn *text, *bytes;
};

enum pb_pass { PB_CHECK, PB_DEPTH, PB_EDIT };

static int pb_msg(const struct pb_walk *w, uint8_t *p, size_t n, unsigned depth,
                  enum pb_pass pass);

/* A length-delimited field is a nested message when it is not text and
 * parses as one. */
static bool pb_nested(const struct pb_walk *w, uint8_t *s, size_t len,
                      unsigned depth)
{
	return len && (has_control(s, len) || !utf8_ok(s, len)) &&
	       pb_msg(w, s, len, depth + 1, PB_CHECK) == 0;
}

static void pb_len_field(const struct pb_walk *w, uint8_t *s, size_t len,
                         unsigned depth)
{
	if (!len)
		return;
	if (!has_control(s, len) && utf8_ok(s, len)) {
		w->text(w->vkey, s, len);
		return;
	}
	if (pb_nested(w, s, len, depth)) {
		pb_msg(w, s, len, depth + 1, PB_EDIT);
		return;
	}
	if (utf8_ok(s, len))
		w->text(w->vkey, s, len);
	else
		w->bytes(w->vkey, s, len);
}

/* One message: PB_CHECK checks that it parses, PB_DEPTH that what
 * nests in it stays within max_depth (TW_ELIMIT), PB_EDIT redacts. */
static int pb_msg(const struct pb_walk *w, uint8_t *p, size_t n, unsigned depth,
                  enum pb_pass pass)
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
			if (pass == PB_EDIT)
				pb_len_field(w, p + i, (size_t)v, depth);
			if (pass == PB_DEPTH &&
			    pb_nested(w, p + i, (size_t)v, depth) &&
			    (depth + 1 > w->max_depth ||
			     pb_msg(w, p + i, (size_t)v, depth + 1, PB_DEPTH)))
				return TW_ELIMIT;
			i += (size_t)v;
			break;
		default: /* groups (3, 4) are refused, 6 and 7 invalid */
			return -1;
		}
	}
	return 0;
}

static int pb_redact(const struct pb_walk *w, uint8_t *p, size_t n)
{
	if (pb_msg(w, p, n, 0, PB_CHECK) < 0)
		return -1;
	if (pb_msg(w, p, n, 0, PB_DEPTH) < 0)
		return TW_ELIMIT;
	pb_msg(w, p, n, 0, PB_EDIT);
	return 0;
}

int tw_pb_redact_max(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *p, size_t n,
                     unsigned max_depth)
{
	struct pb_walk w = { vkey, max_depth, tw_pseudo_text, tw_pseudo_bytes };

	return pb_redact(&w, p, n);
}

int tw_pb_redact_gz(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *p, size_t n,
                    unsigned max_depth)
{
	struct pb_walk w = { vkey, max_depth, tw_pseudo_gz_text,
		             tw_pseudo_gz_bytes };

	return pb_redact(&w, p, n);
}

int tw_pb_redact(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *p, size_t n)
{
	return tw_pb_redact_max(vkey, p, n, TW_LIMIT_PB_DEPTH_DEFAULT);
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

/* Whether v nests arrays and objects deeper than max (v itself at 1). */
static bool json_too_deep(json_t *v, unsigned max)
{
	size_t i;
	const char *k;
	json_t *e;

	if (!json_is_array(v) && !json_is_object(v))
		return false;
	if (max == 0)
		return true;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			if (json_too_deep(e, max - 1))
				return true;
		}
	} else {
		json_object_foreach(v, k, e)
		{
			if (json_too_deep(e, max - 1))
				return true;
		}
	}
	return false;
}

int tw_json_redact(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s, size_t n)
{
	return tw_json_redact_max(vkey, s, n, TW_LIMIT_JSON_DEPTH_DEFAULT);
}

int tw_json_redact_max(const uint8_t vkey[TW_KEY_SUB_BYTES], uint8_t *s,
                       size_t n, unsigned max_depth)
{
	json_error_t err;
	json_t *doc = json_loadb((const char *)s, n, JSON_DECODE_ANY, &err);
	size_t i = 0;
	bool deep;

	if (!doc)
		return -1;
	deep = json_too_deep(doc, max_depth);
	json_decref(doc);
	if (deep)
		return TW_ELIMIT;
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
