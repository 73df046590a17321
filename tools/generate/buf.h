/*
 * buf.h - a growable byte buffer for building payloads (HTTP/2 frames,
 * protobuf messages, HTTP/1.1 text).  An allocation failure is sticky:
 * later appends do nothing and tw_gen_buf_ok() turns false, so builders
 * check once at the end instead of after every append.
 */
#ifndef TW_GEN_BUF_H
#define TW_GEN_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tw_gen_buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

/* Makes room for n more bytes; returns a pointer to them or NULL. */
uint8_t *tw_gen_buf_grow(struct tw_gen_buf *b, size_t n);

void tw_gen_buf_put(struct tw_gen_buf *b, const void *p, size_t n);
void tw_gen_buf_str(struct tw_gen_buf *b, const char *s);
void tw_gen_buf_printf(struct tw_gen_buf *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void tw_gen_buf_u8(struct tw_gen_buf *b, uint8_t v);
void tw_gen_buf_be16(struct tw_gen_buf *b, uint16_t v);
void tw_gen_buf_be32(struct tw_gen_buf *b, uint32_t v);

/* Empties b, keeping its memory (and clearing the failure). */
void tw_gen_buf_reset(struct tw_gen_buf *b);
void tw_gen_buf_free(struct tw_gen_buf *b);

static inline bool tw_gen_buf_ok(const struct tw_gen_buf *b)
{
	return !b->oom;
}

#endif
