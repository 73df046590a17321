/*
 * buf.c - growable byte buffer.
 */
#include "tools/generate/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *tw_gen_buf_grow(struct tw_gen_buf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (b->oom)
		return NULL;
	if (b->len + n <= b->cap)
		return b->p + b->len;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return NULL;
	}
	b->p = p;
	b->cap = cap;
	return b->p + b->len;
}

void tw_gen_buf_put(struct tw_gen_buf *b, const void *p, size_t n)
{
	uint8_t *d = tw_gen_buf_grow(b, n);

	if (!d || !n)
		return;
	memcpy(d, p, n);
	b->len += n;
}

void tw_gen_buf_str(struct tw_gen_buf *b, const char *s)
{
	tw_gen_buf_put(b, s, strlen(s));
}

void tw_gen_buf_printf(struct tw_gen_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	uint8_t *d;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	d = tw_gen_buf_grow(b, (size_t)n + 1);
	if (!d)
		return;
	va_start(ap, fmt);
	vsnprintf((char *)d, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void tw_gen_buf_u8(struct tw_gen_buf *b, uint8_t v)
{
	tw_gen_buf_put(b, &v, 1);
}

void tw_gen_buf_be16(struct tw_gen_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	tw_gen_buf_put(b, x, 2);
}

void tw_gen_buf_be32(struct tw_gen_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
		         (uint8_t)(v >> 8), (uint8_t)v };

	tw_gen_buf_put(b, x, 4);
}

void tw_gen_buf_reset(struct tw_gen_buf *b)
{
	b->len = 0;
	b->oom = false;
}

void tw_gen_buf_free(struct tw_gen_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}
