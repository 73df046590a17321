/*
 * bytes.h - bounds-checked reads of packet and file bytes.
 *
 * Every parser reads through these: a view (pointer and length) and loads
 * at an offset that fail instead of reading past the end.  The loads are
 * static inline and compile to one compare and one load.
 */
#ifndef TW_BYTES_H
#define TW_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tw_view {
	const uint8_t *p;
	size_t len;
};

/* True when [off, off + n) lies inside v. */
static inline bool tw_has(const struct tw_view *v, size_t off, size_t n)
{
	return off <= v->len && n <= v->len - off;
}

static inline uint16_t tw_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t tw_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t tw_le16(const uint8_t *p)
{
	return (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t tw_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static inline void tw_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void tw_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void tw_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void tw_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Checked loads: false (and *out untouched) when out of bounds. */
static inline bool tw_get8(const struct tw_view *v, size_t off, uint8_t *out)
{
	if (!tw_has(v, off, 1))
		return false;
	*out = v->p[off];
	return true;
}

static inline bool tw_get16(const struct tw_view *v, size_t off, uint16_t *out)
{
	if (!tw_has(v, off, 2))
		return false;
	*out = tw_be16(v->p + off);
	return true;
}

static inline bool tw_get32(const struct tw_view *v, size_t off, uint32_t *out)
{
	if (!tw_has(v, off, 4))
		return false;
	*out = tw_be32(v->p + off);
	return true;
}

#endif
