/*
 * test_gen_pb.c - protobuf encoding (vectors from the protobuf encoding
 * guide) and the gRPC length prefix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tools/generate/pb.h"

static void test_varints(void **state)
{
	static const struct {
		uint64_t v;
		size_t len;
		uint8_t enc[10];
	} tab[] = {
		{ 0, 1, { 0x00 } },
		{ 1, 1, { 0x01 } },
		{ 127, 1, { 0x7f } },
		{ 128, 2, { 0x80, 0x01 } },
		{ 150, 2, { 0x96, 0x01 } },
		{ 300, 2, { 0xac, 0x02 } },
		{ 16384, 3, { 0x80, 0x80, 0x01 } },
		{ UINT64_MAX,
		  10,
		  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0x01 } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		struct tw_gen_buf b = { 0 };

		tw_gen_pb_varint(&b, tab[i].v);
		assert_int_equal(b.len, tab[i].len);
		assert_int_equal(tw_gen_pb_varint_len(tab[i].v), tab[i].len);
		assert_memory_equal(b.p, tab[i].enc, tab[i].len);
		tw_gen_buf_free(&b);
	}
}

static void test_fields(void **state)
{
	/* The guide's examples: field 1 = 150; field 2 = "testing". */
	static const uint8_t want[] = { 0x08, 0x96, 0x01, 0x12, 0x07, 't',
		                        'e',  's',  't',  'i',  'n',  'g' };
	struct tw_gen_buf b = { 0 };

	(void)state;
	tw_gen_pb_uint(&b, 1, 150);
	tw_gen_pb_bytes(&b, 2, "testing", 7);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.p, want, sizeof(want));
	tw_gen_buf_reset(&b);
	tw_gen_pb_key(&b, 20, TW_PB_LEN); /* two-byte key */
	assert_int_equal(b.len, 2);
	assert_int_equal(b.p[0], 0xa2);
	assert_int_equal(b.p[1], 0x01);
	tw_gen_buf_free(&b);
}

static void test_grpc_prefix(void **state)
{
	static const uint8_t want[] = { 0, 0x00, 0x01, 0x02, 0x03 };
	struct tw_gen_buf b = { 0 };

	(void)state;
	tw_gen_grpc_prefix(&b, 0, 0x010203);
	assert_memory_equal(b.p, want, 5);
	tw_gen_grpc_prefix(&b, 1, 7);
	assert_int_equal(b.p[5], 1);
	assert_int_equal(b.p[9], 7);
	tw_gen_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varints),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_grpc_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
