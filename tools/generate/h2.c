/*
 * h2.c - HTTP/2 frames, RFC 9113.  HPACK through nghttp2.
 */
#include "tools/generate/h2.h"

#include <nghttp2/nghttp2.h>
#include <stdlib.h>
#include <string.h>

#include "trace/error.h"

#define HPACK_TABLE 4096 /* SETTINGS_HEADER_TABLE_SIZE default */
#define MAX_FIELDS 64

struct tw_gen_hpack {
	nghttp2_hd_deflater *d;
};

int tw_gen_hpack_new(struct tw_gen_hpack **out)
{
	struct tw_gen_hpack *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return TW_ENOMEM;
	if (nghttp2_hd_deflate_new(&h->d, HPACK_TABLE) != 0) {
		free(h);
		return TW_ENOMEM;
	}
	*out = h;
	return 0;
}

void tw_gen_hpack_free(struct tw_gen_hpack *h)
{
	if (!h)
		return;
	nghttp2_hd_deflate_del(h->d);
	free(h);
}

/* RFC 9113 section 4.1: 24-bit length, type, flags, 31-bit stream. */
void tw_gen_h2_frame_hdr(struct tw_gen_buf *b, uint32_t len, uint8_t type,
                         uint8_t flags, uint32_t stream)
{
	uint8_t x[TW_H2_FRAME_HDR] = {
		(uint8_t)(len >> 16),
		(uint8_t)(len >> 8),
		(uint8_t)len,
		type,
		flags,
		(uint8_t)((stream >> 24) & 0x7f),
		(uint8_t)(stream >> 16),
		(uint8_t)(stream >> 8),
		(uint8_t)stream,
	};

	tw_gen_buf_put(b, x, sizeof(x));
}

/* Section 6.5: six bytes per setting. */
void tw_gen_h2_settings(struct tw_gen_buf *b, const uint16_t *ids,
                        const uint32_t *vals, size_t n, int ack)
{
	tw_gen_h2_frame_hdr(b, (uint32_t)(6 * n), TW_H2_SETTINGS,
	                    ack ? TW_H2_ACK : 0, 0);
	for (size_t i = 0; i < n; i++) {
		tw_gen_buf_be16(b, ids[i]);
		tw_gen_buf_be32(b, vals[i]);
	}
}

static int deflate(struct tw_gen_hpack *h, const struct tw_gen_hdr *hdrs,
                   size_t n, struct tw_gen_buf *block)
{
	nghttp2_nv nv[MAX_FIELDS];
	size_t bound;
	uint8_t *p;
	ssize_t len;

	if (n > MAX_FIELDS)
		return TW_EINTERNAL;
	for (size_t i = 0; i < n; i++) {
		nv[i].name = (uint8_t *)(uintptr_t)hdrs[i].name;
		nv[i].value = (uint8_t *)(uintptr_t)hdrs[i].value;
		nv[i].namelen = strlen(hdrs[i].name);
		nv[i].valuelen = strlen(hdrs[i].value);
		nv[i].flags = hdrs[i].sensitive ? NGHTTP2_NV_FLAG_NO_INDEX
		                                : NGHTTP2_NV_FLAG_NONE;
	}
	bound = nghttp2_hd_deflate_bound(h->d, nv, n);
	p = tw_gen_buf_grow(block, bound);
	if (!p)
		return TW_ENOMEM;
	len = nghttp2_hd_deflate_hd(h->d, p, bound, nv, n);
	if (len < 0)
		return len == NGHTTP2_ERR_NOMEM ? TW_ENOMEM : TW_EINTERNAL;
	block->len += (size_t)len;
	return 0;
}

/* Section 6.2 and 6.10: the block in frames of at most the maximum size,
 * END_HEADERS on the last. */
int tw_gen_h2_headers(struct tw_gen_buf *b, struct tw_gen_hpack *h,
                      uint32_t stream, const struct tw_gen_hdr *hdrs, size_t n,
                      int end_stream)
{
	struct tw_gen_buf block = { 0 };
	size_t off = 0;
	int rc = deflate(h, hdrs, n, &block);

	if (rc)
		goto out;
	do {
		size_t chunk = block.len - off;
		uint8_t type = off ? TW_H2_CONTINUATION : TW_H2_HEADERS;
		uint8_t flags = 0;

		if (chunk > TW_H2_MAX_FRAME)
			chunk = TW_H2_MAX_FRAME;
		if (off + chunk == block.len)
			flags |= TW_H2_END_HEADERS;
		if (!off && end_stream)
			flags |= TW_H2_END_STREAM;
		tw_gen_h2_frame_hdr(b, (uint32_t)chunk, type, flags, stream);
		tw_gen_buf_put(b, block.p + off, chunk);
		off += chunk;
	} while (off < block.len);
	rc = tw_gen_buf_ok(b) ? 0 : TW_ENOMEM;
out:
	tw_gen_buf_free(&block);
	return rc;
}

size_t tw_gen_h2_data(struct tw_gen_buf *b, uint32_t stream, const void *p,
                      size_t n, int end_stream)
{
	const uint8_t *d = p;
	size_t off = 0, frames = 0;

	do {
		size_t chunk = n - off;
		int last;

		if (chunk > TW_H2_MAX_FRAME)
			chunk = TW_H2_MAX_FRAME;
		last = off + chunk == n;
		tw_gen_h2_frame_hdr(b, (uint32_t)chunk, TW_H2_DATA,
		                    last && end_stream ? TW_H2_END_STREAM : 0,
		                    stream);
		if (chunk)
			tw_gen_buf_put(b, d + off, chunk);
		off += chunk;
		frames++;
	} while (off < n);
	return frames;
}

void tw_gen_h2_window_update(struct tw_gen_buf *b, uint32_t stream,
                             uint32_t increment)
{
	tw_gen_h2_frame_hdr(b, 4, TW_H2_WINDOW_UPDATE, 0, stream);
	tw_gen_buf_be32(b, increment & 0x7fffffff);
}

void tw_gen_h2_rst_stream(struct tw_gen_buf *b, uint32_t stream, uint32_t code)
{
	tw_gen_h2_frame_hdr(b, 4, TW_H2_RST_STREAM, 0, stream);
	tw_gen_buf_be32(b, code);
}

void tw_gen_h2_goaway(struct tw_gen_buf *b, uint32_t last_stream, uint32_t code)
{
	tw_gen_h2_frame_hdr(b, 8, TW_H2_GOAWAY, 0, 0);
	tw_gen_buf_be32(b, last_stream & 0x7fffffff);
	tw_gen_buf_be32(b, code);
}
