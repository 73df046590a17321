/*
 * pb.h - protobuf wire format (encoding only) and the gRPC message prefix,
 * for the generator's payloads.  No schema: callers write fields by
 * number.  https://protobuf.dev/programming-guides/encoding/
 */
#ifndef TW_GEN_PB_H
#define TW_GEN_PB_H

#include <stddef.h>
#include <stdint.h>

#include "tools/generate/buf.h"

enum { TW_PB_VARINT = 0, TW_PB_I64 = 1, TW_PB_LEN = 2, TW_PB_I32 = 5 };

/* Base-128 varint, least significant group first. */
void tw_gen_pb_varint(struct tw_gen_buf *b, uint64_t v);

/* A field key: (field << 3) | wire type. */
void tw_gen_pb_key(struct tw_gen_buf *b, uint32_t field, int wire);

void tw_gen_pb_uint(struct tw_gen_buf *b, uint32_t field, uint64_t v);

/* A length-delimited field (string, bytes or embedded message). */
void tw_gen_pb_bytes(struct tw_gen_buf *b, uint32_t field, const void *p,
                     size_t n);

/* Bytes a varint of v takes (1 to 10). */
size_t tw_gen_pb_varint_len(uint64_t v);

/* The gRPC length prefix (gRPC over HTTP/2, "Length-Prefixed-Message"):
 * a compressed flag byte, then the 4-byte big-endian length. */
void tw_gen_grpc_prefix(struct tw_gen_buf *b, int compressed, uint32_t len);

#endif
