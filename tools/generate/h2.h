/*
 * h2.h - HTTP/2 frame builders (RFC 9113 section 4 and 6) for generated
 * h2c conversations.  Header blocks are encoded with nghttp2's HPACK
 * deflater (RFC 7541); one deflater per direction of a connection, as
 * the dynamic table is per direction.
 */
#ifndef TW_GEN_H2_H
#define TW_GEN_H2_H

#include <stddef.h>
#include <stdint.h>

#include "tools/generate/buf.h"

#define TW_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define TW_H2_FRAME_HDR 9
#define TW_H2_MAX_FRAME 16384 /* SETTINGS_MAX_FRAME_SIZE default */

enum tw_h2_type {
	TW_H2_DATA = 0x0,
	TW_H2_HEADERS = 0x1,
	TW_H2_RST_STREAM = 0x3,
	TW_H2_SETTINGS = 0x4,
	TW_H2_GOAWAY = 0x7,
	TW_H2_WINDOW_UPDATE = 0x8,
	TW_H2_CONTINUATION = 0x9
};

#define TW_H2_END_STREAM 0x1
#define TW_H2_ACK 0x1
#define TW_H2_END_HEADERS 0x4

/* A header field; sensitive ones are never indexed (RFC 7541 7.1.3). */
struct tw_gen_hdr {
	const char *name;
	const char *value;
	int sensitive;
};

struct tw_gen_hpack; /* an nghttp2 deflater */

/* Returns 0 and *out, or TW_ENOMEM. */
int tw_gen_hpack_new(struct tw_gen_hpack **out);
void tw_gen_hpack_free(struct tw_gen_hpack *h);

void tw_gen_h2_frame_hdr(struct tw_gen_buf *b, uint32_t len, uint8_t type,
                         uint8_t flags, uint32_t stream);

/* SETTINGS with n (id, value) pairs; n == 0 with ack set is an ACK. */
void tw_gen_h2_settings(struct tw_gen_buf *b, const uint16_t *ids,
                        const uint32_t *vals, size_t n, int ack);

/*
 * HEADERS (then CONTINUATION frames when the block exceeds the maximum
 * frame size) on stream, END_STREAM when end_stream.  Returns 0,
 * TW_ENOMEM or TW_EINTERNAL (the deflater refused the list).
 */
int tw_gen_h2_headers(struct tw_gen_buf *b, struct tw_gen_hpack *h,
                      uint32_t stream, const struct tw_gen_hdr *hdrs, size_t n,
                      int end_stream);

/* DATA frames of at most TW_H2_MAX_FRAME bytes carrying n bytes of p;
 * END_STREAM on the last when end_stream.  n == 0 gives one empty
 * frame.  Returns the number of frames. */
size_t tw_gen_h2_data(struct tw_gen_buf *b, uint32_t stream, const void *p,
                      size_t n, int end_stream);

void tw_gen_h2_window_update(struct tw_gen_buf *b, uint32_t stream,
                             uint32_t increment);
void tw_gen_h2_rst_stream(struct tw_gen_buf *b, uint32_t stream, uint32_t code);
void tw_gen_h2_goaway(struct tw_gen_buf *b, uint32_t last_stream,
                      uint32_t code);

#endif
