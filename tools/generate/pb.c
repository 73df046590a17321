/*
 * pb.c - protobuf wire format encoding.
 */
#include "tools/generate/pb.h"

void tw_gen_pb_varint(struct tw_gen_buf *b, uint64_t v)
{
	uint8_t x[10];
	size_t n = 0;

	while (v >= 0x80) {
		x[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	x[n++] = (uint8_t)v;
	tw_gen_buf_put(b, x, n);
}

size_t tw_gen_pb_varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

void tw_gen_pb_key(struct tw_gen_buf *b, uint32_t field, int wire)
{
	tw_gen_pb_varint(b, ((uint64_t)field << 3) | (uint64_t)wire);
}

void tw_gen_pb_uint(struct tw_gen_buf *b, uint32_t field, uint64_t v)
{
	tw_gen_pb_key(b, field, TW_PB_VARINT);
	tw_gen_pb_varint(b, v);
}

void tw_gen_pb_bytes(struct tw_gen_buf *b, uint32_t field, const void *p,
                     size_t n)
{
	tw_gen_pb_key(b, field, TW_PB_LEN);
	tw_gen_pb_varint(b, n);
	tw_gen_buf_put(b, p, n);
}

void tw_gen_grpc_prefix(struct tw_gen_buf *b, int compressed, uint32_t len)
{
	tw_gen_buf_u8(b, compressed ? 1 : 0);
	tw_gen_buf_be32(b, len);
}
