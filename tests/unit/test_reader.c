/*
 * test_reader.c - the pcap/pcapng reader.
 *
 * Files are built in memory, in either byte order, and read three ways:
 * straight from memory, from a temporary file (buffer refills), and from
 * a pipe fed in odd-sized chunks (short reads).  A few corpus files are
 * read by path, with counts and timestamps checked against tshark.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace/bytes.h"
#include "trace/error.h"
#include "trace/log.h"
#include "trace/packet.h"
#include "trace/reader.h"

#define CORPUS "../shared/corpus/"

/* ---- log capture ---- */

static unsigned log_lines;

static void count_sink(enum tw_log_level lvl, const char *component,
                       const char *msg, void *arg)
{
	(void)lvl;
	(void)component;
	(void)msg;
	(void)arg;
	log_lines++;
}

/* ---- building files ---- */

struct bb {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool big;
};

/* Offset of the interesting record, set by the builders of bad files. */
static uint64_t mark;

static void reserve(struct bb *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	b->cap = (b->len + n) * 2;
	b->p = realloc(b->p, b->cap);
	assert_non_null(b->p);
}

static void put8(struct bb *b, uint8_t v)
{
	reserve(b, 1);
	b->p[b->len++] = v;
}

static void put16(struct bb *b, uint16_t v)
{
	reserve(b, 2);
	if (b->big)
		tw_put_be16(b->p + b->len, v);
	else
		tw_put_le16(b->p + b->len, v);
	b->len += 2;
}

static void set32(struct bb *b, size_t off, uint32_t v)
{
	if (b->big)
		tw_put_be32(b->p + off, v);
	else
		tw_put_le32(b->p + off, v);
}

static void put32(struct bb *b, uint32_t v)
{
	reserve(b, 4);
	set32(b, b->len, v);
	b->len += 4;
}

static void put64(struct bb *b, uint64_t v)
{
	put32(b, (uint32_t)(b->big ? v >> 32 : v));
	put32(b, (uint32_t)(b->big ? v : v >> 32));
}

static void put_bytes(struct bb *b, const void *v, size_t n)
{
	if (!n)
		return;
	reserve(b, n);
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

static uint8_t pattern_byte(uint32_t seed, size_t i)
{
	return (uint8_t)(seed * 131u + i * 7u + (i >> 8));
}

static void put_pattern(struct bb *b, size_t n, uint32_t seed)
{
	reserve(b, n);
	for (size_t i = 0; i < n; i++)
		b->p[b->len + i] = pattern_byte(seed, i);
	b->len += n;
}

static bool pattern_ok(const uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != pattern_byte(seed, i))
			return false;
	return true;
}

static void pad4(struct bb *b)
{
	while (b->len % 4)
		put8(b, 0);
}

static void pcap_hdr(struct bb *b, uint32_t magic, uint16_t major,
                     uint32_t snaplen, uint32_t linktype)
{
	put32(b, magic);
	put16(b, major);
	put16(b, major == 2 ? 4 : 0);
	put32(b, 0);
	put32(b, 0);
	put32(b, snaplen);
	put32(b, linktype);
}

static void pcap_rec(struct bb *b, uint32_t sec, uint32_t frac, uint32_t caplen,
                     uint32_t len, uint32_t seed)
{
	put32(b, sec);
	put32(b, frac);
	put32(b, caplen);
	put32(b, len);
	put_pattern(b, caplen, seed);
}

static size_t ng_begin(struct bb *b, uint32_t type)
{
	size_t start = b->len;

	put32(b, type);
	put32(b, 0);
	return start;
}

static void ng_end(struct bb *b, size_t start)
{
	uint32_t total;

	pad4(b);
	total = (uint32_t)(b->len - start + 4);
	put32(b, total);
	set32(b, start + 4, total);
}

static void ng_opt(struct bb *b, uint16_t code, const void *v, uint16_t n)
{
	put16(b, code);
	put16(b, n);
	put_bytes(b, v, n);
	pad4(b);
}

static void ng_shb(struct bb *b, bool big, uint16_t major)
{
	size_t s;

	b->big = big;
	s = ng_begin(b, 0x0a0d0d0a);
	put32(b, 0x1a2b3c4d);
	put16(b, major);
	put16(b, 0);
	put64(b, UINT64_MAX);
	ng_opt(b, 4, "unit test", 9);
	ng_opt(b, 0, NULL, 0);
	ng_end(b, s);
}

/* tsresol < 0: no if_tsresol option; tsoffset 0: no if_tsoffset. */
static void ng_idb(struct bb *b, uint16_t linktype, uint32_t snaplen,
                   int tsresol, int64_t tsoffset, const char *name)
{
	size_t s = ng_begin(b, 1);
	uint8_t off[8];

	put16(b, linktype);
	put16(b, 0);
	put32(b, snaplen);
	if (name)
		ng_opt(b, 2, name, (uint16_t)strlen(name));
	if (tsresol >= 0) {
		uint8_t v = (uint8_t)tsresol;

		ng_opt(b, 9, &v, 1);
	}
	if (tsoffset) {
		for (int i = 0; i < 8; i++)
			off[i] = (uint8_t)((uint64_t)tsoffset >>
			                   (b->big ? 56 - 8 * i : 8 * i));
		ng_opt(b, 14, off, 8);
	}
	ng_end(b, s);
}

static void ng_epb(struct bb *b, uint32_t iface, uint64_t units,
                   uint32_t caplen, uint32_t len, uint32_t seed)
{
	size_t s = ng_begin(b, 6);

	put32(b, iface);
	put32(b, (uint32_t)(units >> 32));
	put32(b, (uint32_t)units);
	put32(b, caplen);
	put32(b, len);
	put_pattern(b, caplen, seed);
	pad4(b);
	ng_opt(b, 1, "a packet comment", 16);
	ng_end(b, s);
}

/* Appendix A: 16-bit interface id and drop count. */
static void ng_pb(struct bb *b, uint16_t iface, uint64_t units, uint32_t caplen,
                  uint32_t len, uint32_t seed)
{
	size_t s = ng_begin(b, 2);

	put16(b, iface);
	put16(b, 0);
	put32(b, (uint32_t)(units >> 32));
	put32(b, (uint32_t)units);
	put32(b, caplen);
	put32(b, len);
	put_pattern(b, caplen, seed);
	ng_end(b, s);
}

static void ng_spb(struct bb *b, uint32_t origlen, uint32_t datalen,
                   uint32_t seed)
{
	size_t s = ng_begin(b, 3);

	put32(b, origlen);
	put_pattern(b, datalen, seed);
	ng_end(b, s);
}

static void ng_filler(struct bb *b, uint32_t type, size_t body)
{
	size_t s = ng_begin(b, type);

	put_pattern(b, body, 99);
	ng_end(b, s);
}

/* ---- reading them back ---- */

enum mode { MODE_MEM, MODE_FILE, MODE_PIPE };

static const enum mode all_modes[] = { MODE_MEM, MODE_FILE, MODE_PIPE };

struct pkt_rec {
	int64_t ts;
	uint32_t caplen;
	uint32_t wirelen;
	uint32_t iface;
	uint32_t flags;
	uint64_t offset;
	const uint8_t *data_copy;
};

struct result {
	int open_rc;
	int end_rc;
	int again_rc;
	char name[128];
	char msg[TW_ERRMSG_MAX];
	struct pkt_rec *pkts;
	size_t n;
	uint64_t warnings;
	uint64_t skipped;
	uint64_t end_offset;
	uint32_t nifaces;
	uint32_t sections;
	enum tw_format fmt;
	struct tw_iface ifaces[8];
};

static void free_result(struct result *res)
{
	for (size_t i = 0; i < res->n; i++)
		free((void *)res->pkts[i].data_copy);
	free(res->pkts);
	memset(res, 0, sizeof(*res));
}

static void drain(struct tw_reader *r, struct result *res)
{
	struct tw_packet pkt;
	size_t cap = 0;
	int rc;

	while ((rc = tw_reader_next(r, &pkt)) == 1) {
		struct pkt_rec *pr;
		uint8_t *copy;

		if (res->n == cap) {
			cap = cap ? cap * 2 : 64;
			res->pkts = realloc(res->pkts, cap * sizeof(*pr));
			assert_non_null(res->pkts);
		}
		copy = malloc(pkt.caplen + 1);
		assert_non_null(copy);
		memcpy(copy, pkt.data, pkt.caplen);
		pr = &res->pkts[res->n++];
		pr->ts = pkt.ts_ns;
		pr->caplen = pkt.caplen;
		pr->wirelen = pkt.wirelen;
		pr->iface = pkt.iface;
		pr->flags = pkt.flags;
		pr->offset = pkt.offset;
		pr->data_copy = copy;
	}

	res->end_rc = rc;
	res->again_rc = tw_reader_next(r, &pkt);
	snprintf(res->msg, sizeof(res->msg), "%s", tw_reader_errmsg(r));
	res->warnings = tw_reader_warnings(r);
	res->skipped = tw_reader_skipped_blocks(r);
	res->end_offset = tw_reader_offset(r);
	res->nifaces = tw_reader_iface_count(r);
	res->sections = tw_reader_section_count(r);
	res->fmt = tw_reader_format(r);
	for (uint32_t i = 0; i < res->nifaces && i < 8; i++)
		res->ifaces[i] = *tw_reader_iface(r, i);
	assert_null(tw_reader_iface(r, res->nifaces));
}

static void read_reader(struct tw_reader *r, int rc, const char *errbuf,
                        struct result *res)
{
	res->open_rc = rc;
	if (rc) {
		assert_null(r);
		snprintf(res->msg, sizeof(res->msg), "%s", errbuf);
		return;
	}
	assert_string_equal(tw_reader_name(r), res->name);
	drain(r, res);
	tw_reader_close(r);
}

static void read_file(const char *path, struct result *res)
{
	char errbuf[TW_ERRMSG_MAX] = "";
	struct tw_reader *r = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	snprintf(res->name, sizeof(res->name), "%s", path);
	rc = tw_reader_open(&r, path, errbuf, sizeof(errbuf));
	read_reader(r, rc, errbuf, res);
}

/* Feeds the pipe in chunks of an odd size, so reads come back short. */
static void feed_pipe(int fd, const struct bb *b)
{
	size_t off = 0;

	while (off < b->len) {
		size_t n = b->len - off < 4093 ? b->len - off : 4093;
		ssize_t k = write(fd, b->p + off, n);

		if (k <= 0)
			_exit(1);
		off += (size_t)k;
	}
	_exit(0);
}

static void read_pipe(const struct bb *b, struct result *res)
{
	char errbuf[TW_ERRMSG_MAX] = "";
	struct tw_reader *r = NULL;
	int fds[2], rc, status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		feed_pipe(fds[1], b);
	}
	close(fds[1]);

	snprintf(res->name, sizeof(res->name), "pipe");
	rc = tw_reader_open_fd(&r, fds[0], "pipe", errbuf, sizeof(errbuf));
	read_reader(r, rc, errbuf, res);

	/* The reader does not close a descriptor it was given. */
	assert_int_equal(close(fds[0]), 0);
	waitpid(pid, &status, 0);
}

static void read_bytes(const struct bb *b, enum mode mode, struct result *res)
{
	char errbuf[TW_ERRMSG_MAX] = "";
	char path[] = "/tmp/tw_test_reader_XXXXXX";
	struct tw_reader *r = NULL;
	int fd, rc;

	memset(res, 0, sizeof(*res));
	if (mode == MODE_PIPE) {
		read_pipe(b, res);
		return;
	}
	if (mode == MODE_MEM) {
		snprintf(res->name, sizeof(res->name), "mem.pcap");
		rc = tw_reader_open_mem(&r, b->p, b->len, "mem.pcap", errbuf,
		                        sizeof(errbuf));
		read_reader(r, rc, errbuf, res);
		return;
	}

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->p, b->len), (ssize_t)b->len);
	close(fd);
	read_file(path, res);
	unlink(path);
}

/* The message names the file and the offset, then says what. */
static void assert_msg(const struct result *res, uint64_t off, const char *what)
{
	char want[64];

	snprintf(want, sizeof(want), ": offset %" PRIu64 ": ", off);
	if (strncmp(res->msg, res->name, strlen(res->name)) != 0 ||
	    !strstr(res->msg, want) || !strstr(res->msg, what))
		fail_msg("message \"%s\" lacks \"%s\", \"%s\" or \"%s\"",
		         res->msg, res->name, want, what);
}

/* ---- classic pcap ---- */

struct pcap_case {
	const char *label;
	uint32_t magic;
	bool big;
	enum tw_format fmt;
	uint32_t frac[3];
	int64_t ts[3];
};

static const struct pcap_case pcap_cases[] = {
	{ "us little-endian",
	  0xa1b2c3d4,
	  false,
	  TW_FMT_PCAP_US,
	  { 0, 999999, 123456 },
	  { 1418145369000000000, 1418145369999999000, 1418145369123456000 } },
	{ "us big-endian",
	  0xa1b2c3d4,
	  true,
	  TW_FMT_PCAP_US,
	  { 1, 500000, 999999 },
	  { 1418145369000001000, 1418145369500000000, 1418145369999999000 } },
	{ "ns little-endian",
	  0xa1b23c4d,
	  false,
	  TW_FMT_PCAP_NS,
	  { 999999999, 1, 123456789 },
	  { 1418145369999999999, 1418145369000000001, 1418145369123456789 } },
	{ "ns big-endian",
	  0xa1b23c4d,
	  true,
	  TW_FMT_PCAP_NS,
	  { 7, 999999999, 0 },
	  { 1418145369000000007, 1418145369999999999, 1418145369000000000 } },
};

static void test_pcap_variants(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(pcap_cases) / sizeof(pcap_cases[0]);
	     c++) {
		const struct pcap_case *pc = &pcap_cases[c];
		struct bb b = { .big = pc->big };

		/* FCS bits above the link type must be ignored. */
		pcap_hdr(&b, pc->magic, 2, 65535, 0x40000000 | 113);
		for (uint32_t i = 0; i < 3; i++)
			pcap_rec(&b, 1418145369, pc->frac[i], 60 + i, 100 + i,
			         i);

		for (size_t m = 0; m < 3; m++) {
			struct result res;

			read_bytes(&b, all_modes[m], &res);
			assert_int_equal(res.open_rc, 0);
			assert_int_equal(res.end_rc, 0);
			assert_int_equal(res.again_rc, 0);
			assert_int_equal(res.fmt, pc->fmt);
			assert_int_equal(res.n, 3);
			assert_int_equal(res.nifaces, 1);
			assert_int_equal(res.sections, 1);
			assert_int_equal(res.ifaces[0].linktype, 113);
			assert_int_equal(res.ifaces[0].snaplen, 65535);
			assert_int_equal(res.warnings, 0);
			for (uint32_t i = 0; i < 3; i++) {
				const struct pkt_rec *p = &res.pkts[i];

				assert_int_equal(p->ts, pc->ts[i]);
				assert_int_equal(p->caplen, 60 + i);
				assert_int_equal(p->wirelen, 100 + i);
				assert_int_equal(p->iface, 0);
				assert_int_equal(p->flags, 0);
				assert_true(
				        pattern_ok(p->data_copy, 60 + i, i));
			}
			assert_int_equal(res.pkts[1].offset, 24 + 16 + 60);
			assert_int_equal(res.end_offset, b.len);
			free_result(&res);
		}
		free(b.p);
	}
}

/* caplen > wirelen: a counted warning; wirelen is raised to caplen. */
static void test_pcap_caplen_over_wirelen(void **state)
{
	struct bb b = { 0 };
	struct result res;

	(void)state;
	pcap_hdr(&b, 0xa1b2c3d4, 2, 65535, 1);
	pcap_rec(&b, 10, 0, 80, 60, 1);
	pcap_rec(&b, 11, 0, 60, 60, 2);

	read_bytes(&b, MODE_MEM, &res);
	assert_int_equal(res.end_rc, 0);
	assert_int_equal(res.n, 2);
	assert_int_equal(res.pkts[0].caplen, 80);
	assert_int_equal(res.pkts[0].wirelen, 80);
	assert_int_equal(res.warnings, 1);
	free_result(&res);
	free(b.p);
}

/* A fraction of one second or more is carried into the seconds. */
static void test_pcap_invalid_fraction(void **state)
{
	struct bb us = { 0 }, ns = { .big = true };
	struct result res;

	(void)state;
	pcap_hdr(&us, 0xa1b2c3d4, 2, 65535, 1);
	pcap_rec(&us, 100, 1000000, 60, 60, 1);
	pcap_rec(&us, 100, 2500000, 60, 60, 2);
	pcap_rec(&us, 103, 1, 60, 60, 3);

	read_bytes(&us, MODE_MEM, &res);
	assert_int_equal(res.end_rc, 0);
	assert_int_equal(res.n, 3);
	assert_int_equal(res.pkts[0].ts, 101000000000);
	assert_int_equal(res.pkts[0].flags, TW_PKT_BAD_TS);
	assert_int_equal(res.pkts[1].ts, 102500000000);
	assert_int_equal(res.pkts[2].ts, 103000001000);
	assert_int_equal(res.pkts[2].flags, 0);
	assert_int_equal(res.warnings, 2);
	free_result(&res);

	pcap_hdr(&ns, 0xa1b23c4d, 2, 65535, 1);
	pcap_rec(&ns, 1418145370, 1000000000, 60, 60, 1);
	pcap_rec(&ns, 1418145370, 0x80000000, 60, 60, 2);

	read_bytes(&ns, MODE_FILE, &res);
	assert_int_equal(res.end_rc, 0);
	assert_int_equal(res.n, 2);
	assert_int_equal(res.pkts[0].ts, 1418145371000000000);
	assert_int_equal(res.pkts[1].ts, 1418145372147483648);
	assert_int_equal(res.pkts[1].flags, TW_PKT_BAD_TS);
	free_result(&res);
	free(us.p);
	free(ns.p);
}

/* Every warning is counted; only the first few of a kind are logged. */
static void test_warnings_logged_sparingly(void **state)
{
	struct bb b = { 0 };
	struct result res;

	(void)state;
	pcap_hdr(&b, 0xa1b2c3d4, 2, 65535, 1);
	for (uint32_t i = 0; i < 50; i++)
		pcap_rec(&b, i, 1000000 + i, 60, 60, i);

	log_lines = 0;
	read_bytes(&b, MODE_MEM, &res);
	assert_int_equal(res.n, 50);
	assert_int_equal(res.warnings, 50);
	assert_in_range(log_lines, 2, 10);
	free_result(&res);
	free(b.p);
}

/* ---- pcapng ---- */

/*
 * Two sections of opposite byte order; interfaces numbered globally, a
 * new section starting a new local numbering.
 */
static void test_pcapng_two_sections(void **state)
{
	struct bb b = { 0 };

	(void)state;
	ng_shb(&b, false, 1);
	ng_idb(&b, 1, 0, -1, 0, "eth0");
	ng_idb(&b, 101, 128, 9, 0, NULL);
	ng_epb(&b, 0, 1700000000123456ull, 60, 60, 1);
	ng_epb(&b, 1, 1700000000123456789ull, 128, 1500, 2);
	ng_shb(&b, true, 1);
	ng_idb(&b, 113, 262144, 0x8a, 0,
	       "a-very-long-interface-name-that-"
	       "does-not-fit-in-sixty-four-"
	       "bytes-of-storage");
	ng_epb(&b, 0, 1700000000ull * 1024 + 512, 42, 42, 3);

	for (size_t m = 0; m < 3; m++) {
		struct result res;

		read_bytes(&b, all_modes[m], &res);
		assert_int_equal(res.open_rc, 0);
		assert_int_equal(res.end_rc, 0);
		assert_int_equal(res.fmt, TW_FMT_PCAPNG);
		assert_int_equal(res.sections, 2);
		assert_int_equal(res.nifaces, 3);
		assert_int_equal(res.n, 3);

		assert_int_equal(res.ifaces[0].linktype, 1);
		assert_string_equal(res.ifaces[0].name, "eth0");
		assert_int_equal(res.ifaces[0].tsresol, 6);
		assert_int_equal(res.ifaces[1].linktype, 101);
		assert_int_equal(res.ifaces[1].snaplen, 128);
		assert_int_equal(res.ifaces[1].tsresol, 9);
		assert_int_equal(res.ifaces[1].section, 0);
		assert_int_equal(res.ifaces[2].linktype, 113);
		assert_int_equal(res.ifaces[2].section, 1);
		assert_int_equal(res.ifaces[2].tsresol, 0x8a);
		assert_int_equal(strlen(res.ifaces[2].name), 63);

		assert_int_equal(res.pkts[0].ts, 1700000000123456000);
		assert_int_equal(res.pkts[0].iface, 0);
		assert_int_equal(res.pkts[1].ts, 1700000000123456789);
		assert_int_equal(res.pkts[1].iface, 1);
		assert_int_equal(res.pkts[1].caplen, 128);
		assert_int_equal(res.pkts[1].wirelen, 1500);
		assert_true(pattern_ok(res.pkts[1].data_copy, 128, 2));
		assert_int_equal(res.pkts[2].ts, 1700000000500000000);
		assert_int_equal(res.pkts[2].iface, 2);
		assert_true(pattern_ok(res.pkts[2].data_copy, 42, 3));
		free_result(&res);
	}
	free(b.p);
}

struct tsresol_case {
	int tsresol; /* -1: option absent */
	int64_t tsoffset;
	uint64_t units;
	int64_t ns;
};

static const struct tsresol_case tsresol_cases[] = {
	{ -1, 0, 1700000000123456ull, 1700000000123456000 },
	{ 6, 0, 1700000000123456ull, 1700000000123456000 },
	{ 9, 0, 1700000000123456789ull, 1700000000123456789 },
	{ 0, 0, 1700000000ull, 1700000000000000000 },
	{ 3, 1000, 1700000000123ull, 1700001000123000000 },
	{ 3, -100, 1700000000123ull, 1699999900123000000 },
	{ 12, 0, 1234567890123456789ull, 1234567890123456 },
	{ 19, 0, UINT64_MAX, 1844674407 },
	{ 0x80, 0, 5, 5000000000 },
	{ 0x8a, 0, 1700000000ull * 1024 + 1, 1700000000000976562 },
	{ 0xa0, 0, 1700000000ull << 32 | 0x80000000u, 1700000000500000000 },
	{ 0xa0, 3, 1700000000ull << 32 | 0x80000000u, 1700000003500000000 },
};

static void test_pcapng_tsresol(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(tsresol_cases) / sizeof(tsresol_cases[0]);
	     c++) {
		const struct tsresol_case *tc = &tsresol_cases[c];
		struct bb b = { 0 };
		struct result res;

		ng_shb(&b, c % 2, 1);
		ng_idb(&b, 1, 0, tc->tsresol, tc->tsoffset, NULL);
		ng_epb(&b, 0, tc->units, 60, 60, 1);

		read_bytes(&b, MODE_MEM, &res);
		assert_int_equal(res.end_rc, 0);
		assert_int_equal(res.n, 1);
		if (res.pkts[0].ts != tc->ns)
			fail_msg("case %zu: %" PRId64 " != %" PRId64, c,
			         res.pkts[0].ts, tc->ns);
		assert_int_equal(res.ifaces[0].tsoffset, tc->tsoffset);
		free_result(&res);
		free(b.p);
	}
}

/*
 * SPB: the section's interface 0, caplen limited by its snaplen and the
 * block, the previous packet's timestamp (or 0) with TW_PKT_NO_TS.
 */
static void test_pcapng_spb(void **state)
{
	struct bb b = { 0 };

	(void)state;
	ng_shb(&b, true, 1);
	ng_idb(&b, 1, 64, 9, 0, NULL);
	ng_spb(&b, 100, 100, 1);
	ng_epb(&b, 0, 1700000000000000007ull, 60, 60, 2);
	ng_spb(&b, 40, 40, 3);
	ng_shb(&b, false, 1);
	ng_idb(&b, 1, 0, 9, 0, NULL);
	ng_spb(&b, 314, 100, 4);

	for (size_t m = 0; m < 3; m++) {
		struct result res;

		read_bytes(&b, all_modes[m], &res);
		assert_int_equal(res.end_rc, 0);
		assert_int_equal(res.n, 4);
		assert_int_equal(res.pkts[0].caplen, 64);
		assert_int_equal(res.pkts[0].wirelen, 100);
		assert_int_equal(res.pkts[0].ts, 0);
		assert_int_equal(res.pkts[0].flags, TW_PKT_NO_TS);
		assert_true(pattern_ok(res.pkts[0].data_copy, 64, 1));
		assert_int_equal(res.pkts[1].flags, 0);
		assert_int_equal(res.pkts[2].caplen, 40);
		assert_int_equal(res.pkts[2].ts, 1700000000000000007);
		assert_int_equal(res.pkts[2].flags, TW_PKT_NO_TS);
		/* No snaplen: what the block holds, padding excluded. */
		assert_int_equal(res.pkts[3].caplen, 100);
		assert_int_equal(res.pkts[3].wirelen, 314);
		assert_int_equal(res.pkts[3].iface, 1);
		assert_true(pattern_ok(res.pkts[3].data_copy, 100, 4));
		free_result(&res);
	}
	free(b.p);
}

static void test_pcapng_obsolete_pb(void **state)
{
	struct bb b = { 0 };
	struct result res;

	(void)state;
	ng_shb(&b, true, 1);
	ng_idb(&b, 1, 0, -1, 0, NULL);
	ng_idb(&b, 0, 0, 9, 0, NULL);
	ng_pb(&b, 1, 1700000000000000001ull, 61, 70, 5);
	ng_pb(&b, 0, 1700000000000001ull, 62, 62, 6);

	read_bytes(&b, MODE_MEM, &res);
	assert_int_equal(res.end_rc, 0);
	assert_int_equal(res.n, 2);
	assert_int_equal(res.pkts[0].iface, 1);
	assert_int_equal(res.pkts[0].ts, 1700000000000000001);
	assert_int_equal(res.pkts[0].caplen, 61);
	assert_int_equal(res.pkts[0].wirelen, 70);
	assert_true(pattern_ok(res.pkts[0].data_copy, 61, 5));
	assert_int_equal(res.pkts[1].iface, 0);
	assert_int_equal(res.pkts[1].ts, 1700000000000001000);
	free_result(&res);
	free(b.p);
}

/* Blocks that carry no packet are skipped and counted. */
static void test_pcapng_skipped_blocks(void **state)
{
	static const uint32_t types[] = {
		4, 5, 0x0a, 0xbad, 0x40000bad, 9, 0x12345678, 0x80000001
	};
	const size_t ntypes = sizeof(types) / sizeof(types[0]);
	struct bb b = { 0 };

	(void)state;
	ng_shb(&b, false, 1);
	ng_idb(&b, 1, 0, -1, 0, NULL);
	for (size_t i = 0; i < ntypes; i++) {
		ng_epb(&b, 0, 1000 + i, 60, 60, (uint32_t)i);
		ng_filler(&b, types[i], 4 * i + 3);
	}

	for (size_t m = 0; m < 3; m++) {
		struct result res;

		read_bytes(&b, all_modes[m], &res);
		assert_int_equal(res.end_rc, 0);
		assert_int_equal(res.n, ntypes);
		assert_int_equal(res.skipped, ntypes);
		assert_int_equal(res.pkts[ntypes - 1].ts,
		                 (1000 + (int64_t)ntypes - 1) * 1000);
		free_result(&res);
	}
	free(b.p);
}

/* ---- malformed files ---- */

static void bad_empty(struct bb *b)
{
	(void)b;
	mark = 0;
}

static void bad_short_magic(struct bb *b)
{
	put16(b, 0xc3d4);
	mark = 0;
}

static void bad_short_pcap_hdr(struct bb *b)
{
	put32(b, 0xa1b2c3d4);
	put32(b, 0x00040002);
	put16(b, 0);
	mark = 0;
}

static void bad_magic(struct bb *b)
{
	put_bytes(b, "GIF89a, certainly not a pcap", 28);
	mark = 0;
}

static void bad_pcap_version(struct bb *b)
{
	pcap_hdr(b, 0xa1b2c3d4, 1, 65535, 1);
	mark = 4;
}

static void bad_pcapng_version(struct bb *b)
{
	ng_shb(b, true, 2);
	mark = 12;
}

static void bad_pcapng_bom(struct bb *b)
{
	ng_shb(b, false, 1);
	set32(b, 8, 0x11223344);
	mark = 8;
}

static void bad_short_shb(struct bb *b)
{
	ng_shb(b, false, 1);
	b->len = 20;
	mark = 0;
}

static void bad_shb_option(struct bb *b)
{
	size_t s = ng_begin(b, 0x0a0d0d0a);

	put32(b, 0x1a2b3c4d);
	put32(b, 1);
	put64(b, UINT64_MAX);
	mark = b->len;
	put16(b, 1);
	put16(b, 200);
	put32(b, 0);
	ng_end(b, s);
}

static void pcap_two(struct bb *b)
{
	pcap_hdr(b, 0xa1b23c4d, 2, 65535, 1);
	pcap_rec(b, 1, 2, 60, 60, 1);
	pcap_rec(b, 1, 3, 61, 61, 2);
	mark = b->len;
}

static void bad_pcap_rec_hdr(struct bb *b)
{
	pcap_two(b);
	put_bytes(b, "1234567", 7);
}

static void bad_pcap_last_packet(struct bb *b)
{
	pcap_two(b);
	pcap_rec(b, 1, 4, 100, 100, 3);
	b->len -= 50;
}

static void bad_pcap_caplen(struct bb *b)
{
	pcap_two(b);
	pcap_rec(b, 1, 4, 300000, 300000, 3);
}

static void bad_pcap_caplen_max(struct bb *b)
{
	pcap_hdr(b, 0xa1b2c3d4, 2, UINT32_MAX, 1);
	mark = b->len;
	put32(b, 0);
	put32(b, 0);
	put32(b, TW_READER_MAX_RECORD + 1);
	put32(b, TW_READER_MAX_RECORD + 1);
}

static void ng_one(struct bb *b)
{
	ng_shb(b, true, 1);
	ng_idb(b, 1, 0, -1, 0, NULL);
	ng_epb(b, 0, 1, 60, 60, 1);
	mark = b->len;
}

static void bad_block_overruns_file(struct bb *b)
{
	ng_one(b);
	put32(b, 6);
	put32(b, 1000);
	put_pattern(b, 100, 0);
}

static void bad_block_header(struct bb *b)
{
	ng_one(b);
	put32(b, 6);
	put16(b, 0);
}

static void bad_block_len(struct bb *b, uint32_t len)
{
	ng_one(b);
	put32(b, 6);
	put32(b, len);
	put_pattern(b, 64, 0);
}

static void bad_block_len_small(struct bb *b)
{
	bad_block_len(b, 8);
}

static void bad_block_len_odd(struct bb *b)
{
	bad_block_len(b, 34);
}

static void bad_block_len_huge(struct bb *b)
{
	bad_block_len(b, 0x7ffffff0);
}

static void bad_trailer(struct bb *b)
{
	ng_one(b);
	ng_epb(b, 0, 2, 60, 60, 2);
	set32(b, b->len - 4, 12);
}

static void bad_epb_caplen(struct bb *b)
{
	ng_one(b);
	ng_epb(b, 0, 2, 60, 60, 2);
	set32(b, mark + 20, 200);
}

static void bad_epb_short(struct bb *b)
{
	ng_one(b);
	ng_filler(b, 6, 12);
}

static void bad_epb_iface(struct bb *b)
{
	ng_one(b);
	ng_epb(b, 5, 2, 60, 60, 2);
}

static void bad_idb_option(struct bb *b)
{
	size_t s;

	ng_one(b);
	s = ng_begin(b, 1);
	put16(b, 1);
	put16(b, 0);
	put32(b, 0);
	ng_opt(b, 2, "eth0", 4);
	mark = b->len;
	put16(b, 2);
	put16(b, 13);
	put32(b, 0);
	ng_end(b, s);
}

static void bad_idb_tsresol(struct bb *b)
{
	ng_one(b);
	ng_idb(b, 1, 0, 20, 0, NULL);
	mark += 16;
}

static void bad_idb_tsresol_len(struct bb *b)
{
	size_t s;

	ng_one(b);
	s = ng_begin(b, 1);
	put32(b, 1);
	put32(b, 0);
	ng_opt(b, 9, "\x06\x06", 2);
	ng_end(b, s);
	mark += 16;
}

static void bad_idb_tsoffset_len(struct bb *b)
{
	size_t s;

	ng_one(b);
	s = ng_begin(b, 1);
	put32(b, 1);
	put32(b, 0);
	ng_opt(b, 14, "\x01\x02\x03\x04", 4);
	ng_end(b, s);
	mark += 16;
}

static void bad_spb_before_idb(struct bb *b)
{
	ng_shb(b, false, 1);
	mark = b->len;
	ng_spb(b, 60, 60, 1);
}

static void bad_second_section_version(struct bb *b)
{
	ng_one(b);
	ng_shb(b, false, 3);
	mark += 12;
}

struct bad_case {
	const char *label;
	void (*build)(struct bb *b);
	int open_rc;  /* expected from open, or 0 */
	size_t npkts; /* packets returned before the error */
	int rc;       /* expected from tw_reader_next */
	const char *what;
};

static const struct bad_case bad_cases[] = {
	{ "empty", bad_empty, TW_EFORMAT, 0, 0, "empty file" },
	{ "short magic", bad_short_magic, TW_ETRUNC, 0, 0, "file header" },
	{ "short pcap header", bad_short_pcap_hdr, TW_ETRUNC, 0, 0,
	  "truncated pcap file header" },
	{ "bad magic", bad_magic, TW_EFORMAT, 0, 0, "not a pcap" },
	{ "pcap version", bad_pcap_version, TW_EUNSUP, 0, 0,
	  "unsupported pcap version 1.0" },
	{ "pcapng version", bad_pcapng_version, TW_EUNSUP, 0, 0,
	  "unsupported pcapng version 2.0" },
	{ "pcapng byte-order magic", bad_pcapng_bom, TW_EFORMAT, 0, 0,
	  "byte-order magic" },
	{ "short section header", bad_short_shb, TW_ETRUNC, 0, 0,
	  "file ends inside a block" },
	{ "section header option", bad_shb_option, TW_EFORMAT, 0, 0,
	  "overruns its block" },
	{ "pcap record header", bad_pcap_rec_hdr, 0, 2, TW_ETRUNC,
	  "packet record header" },
	{ "pcap last packet", bad_pcap_last_packet, 0, 2, TW_ETRUNC,
	  "file ends inside a packet" },
	{ "pcap absurd caplen", bad_pcap_caplen, 0, 2, TW_EFORMAT,
	  "absurd caplen 300000" },
	{ "pcap caplen over the limit", bad_pcap_caplen_max, 0, 0, TW_EFORMAT,
	  "absurd caplen" },
	{ "block overruns the file", bad_block_overruns_file, 0, 1, TW_ETRUNC,
	  "file ends inside a block" },
	{ "block header", bad_block_header, 0, 1, TW_ETRUNC, "block header" },
	{ "block length < 12", bad_block_len_small, 0, 1, TW_EFORMAT,
	  "invalid block length 8" },
	{ "block length % 4", bad_block_len_odd, 0, 1, TW_EFORMAT,
	  "invalid block length 34" },
	{ "block length huge", bad_block_len_huge, 0, 1, TW_EFORMAT,
	  "over the limit" },
	{ "trailing length", bad_trailer, 0, 1, TW_EFORMAT,
	  "trailing block length 12" },
	{ "epb caplen", bad_epb_caplen, 0, 1, TW_EFORMAT,
	  "caplen 200 overruns its block" },
	{ "epb too short", bad_epb_short, 0, 1, TW_EFORMAT, "too short" },
	{ "epb interface", bad_epb_iface, 0, 1, TW_EFORMAT,
	  "interface id 5 out of range" },
	{ "idb option", bad_idb_option, 0, 1, TW_EFORMAT,
	  "overruns its block" },
	{ "if_tsresol 20", bad_idb_tsresol, 0, 1, TW_EFORMAT, "if_tsresol" },
	{ "if_tsresol length", bad_idb_tsresol_len, 0, 1, TW_EFORMAT,
	  "if_tsresol option of 2 bytes" },
	{ "if_tsoffset length", bad_idb_tsoffset_len, 0, 1, TW_EFORMAT,
	  "if_tsoffset option of 4 bytes" },
	{ "spb before idb", bad_spb_before_idb, 0, 0, TW_EFORMAT,
	  "interface id 0 out of range" },
	{ "second section version", bad_second_section_version, 0, 1, TW_EUNSUP,
	  "unsupported pcapng version 3.0" },
};

static void check_bad(const struct bad_case *bc, const struct bb *b,
                      enum mode mode)
{
	struct result res;

	read_bytes(b, mode, &res);
	if (res.open_rc != bc->open_rc || res.end_rc != bc->rc ||
	    res.n != bc->npkts)
		fail_msg("%s (mode %d): open %d end %d after %zu packets: %s",
		         bc->label, mode, res.open_rc, res.end_rc, res.n,
		         res.msg);
	assert_msg(&res, mark, bc->what);

	/* Errors are sticky; truncation is also a logged warning. */
	if (!bc->open_rc)
		assert_int_equal(res.again_rc, bc->rc);
	if (bc->rc == TW_ETRUNC)
		assert_int_equal(res.warnings, 1);
	for (size_t i = 0; i < res.n; i++)
		assert_true(res.pkts[i].caplen >= 60);
	free_result(&res);
}

static void test_malformed(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(bad_cases) / sizeof(bad_cases[0]); c++) {
		struct bb b = { 0 };

		bad_cases[c].build(&b);
		for (size_t m = 0; m < 3; m++)
			check_bad(&bad_cases[c], &b, all_modes[m]);
		free(b.p);
	}
}

static void test_open_missing_file(void **state)
{
	char errbuf[TW_ERRMSG_MAX];
	struct tw_reader *r = (void *)1;

	(void)state;
	assert_int_equal(tw_reader_open(&r, "/nonexistent/x.pcap", errbuf,
	                                sizeof(errbuf)),
	                 TW_EIO);
	assert_null(r);
	assert_non_null(strstr(errbuf, "/nonexistent/x.pcap"));
	assert_non_null(strstr(errbuf, "No such file"));
}

/* ---- buffering ---- */

/*
 * Thousands of packets of odd sizes: several refills of the 1 MiB buffer,
 * most of them in the middle of a record.
 */
static void test_many_packets(void **state)
{
	const uint32_t n = 12000;
	struct bb pc = { 0 }, ng = { .big = true };

	(void)state;
	pcap_hdr(&pc, 0xa1b23c4d, 2, 65535, 1);
	ng_shb(&ng, true, 1);
	ng_idb(&ng, 1, 0, 9, 0, NULL);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = 60 + (i * 7919u) % 1441;

		pcap_rec(&pc, 1000 + i, i, len, len + i % 3, i);
		ng_epb(&ng, 0, 1000000000000ull + i, len, len, i);
	}

	for (size_t m = 0; m < 6; m++) {
		const struct bb *b = m < 3 ? &pc : &ng;
		struct result res;

		read_bytes(b, all_modes[m % 3], &res);
		assert_int_equal(res.end_rc, 0);
		assert_int_equal(res.n, n);
		assert_int_equal(res.end_offset, b->len);
		for (uint32_t i = 0; i < n; i++) {
			const struct pkt_rec *p = &res.pkts[i];
			uint32_t len = 60 + (i * 7919u) % 1441;

			assert_int_equal(p->caplen, len);
			assert_int_equal(
			        p->ts,
			        m < 3 ? (1000 + (int64_t)i) * 1000000000 + i
			              : 1000000000000 + (int64_t)i);
			if (!pattern_ok(p->data_copy, len, i))
				fail_msg("mode %zu: packet %u data differs", m,
				         i);
		}
		free_result(&res);
	}
	free(pc.p);
	free(ng.p);
}

/* Records larger than the initial buffer make it grow. */
static void test_record_larger_than_buffer(void **state)
{
	const uint32_t big = 3u << 20;
	struct bb pc = { 0 }, ng = { 0 };

	(void)state;
	pcap_hdr(&pc, 0xa1b2c3d4, 2, 4u << 20, 1);
	pcap_rec(&pc, 1, 0, 100, 100, 1);
	pcap_rec(&pc, 2, 0, big, big, 2);
	pcap_rec(&pc, 3, 0, 100, 100, 3);
	ng_shb(&ng, false, 1);
	ng_idb(&ng, 1, 0, -1, 0, NULL);
	ng_epb(&ng, 0, 1, 100, 100, 1);
	ng_epb(&ng, 0, 2, big, big, 2);
	ng_epb(&ng, 0, 3, 100, 100, 3);

	for (size_t m = 0; m < 6; m++) {
		struct result res;

		read_bytes(m < 3 ? &pc : &ng, all_modes[m % 3], &res);
		assert_int_equal(res.end_rc, 0);
		assert_int_equal(res.n, 3);
		assert_int_equal(res.pkts[1].caplen, big);
		assert_true(pattern_ok(res.pkts[1].data_copy, big, 2));
		assert_true(pattern_ok(res.pkts[2].data_copy, 100, 3));
		free_result(&res);
	}
	free(pc.p);
	free(ng.p);
}

/* ---- corpus files, checked against tshark ---- */

struct corpus_case {
	const char *file;
	int open_rc;
	size_t n;
	int64_t first_ts;
	int64_t last_ts;
	uint32_t nifaces;
	uint64_t warnings;
	uint64_t skipped;
	const char *what; /* for files that fail */
};

static const struct corpus_case corpus_cases[] = {
	{ "public/tcpdump-tcp-handshake-nano.pcap", 0, 3, 1418145369924505488,
	  1418145370052115157, 1, 0, 0, NULL },
	{ "public/tcpdump-timestamp_invalid_nano.pcap", 0, 3,
	  1418145369999999999, 1418145372147483648, 1, 2, 0, NULL },
	{ "public/tcpdump-esp_truncated.pcap", 0, 1, 1605787646999999000,
	  1605787646999999000, 1, 0, 0, NULL },
	{ "public/pcapng-output_le-advanced-test102.pcapng", 0, 5,
	  1340954905298858000, 1340954905301858000, 3, 0, 12, NULL },
	{ "public/pcapng-output_be-basic-test010.pcapng", 0, 4, 0, 0, 1, 0, 0,
	  NULL },
	{ "public/tcpdump-empty.pcapng", 0, 0, 0, 0, 1, 0, 0, NULL },
	{ "generated/h2c-rest.pcap", 0, 6751, 1796322543429729527,
	  1796322543506796989, 1, 0, 0, NULL },
	{ "public/libpcap-pcap-invalid-version-1.pcap", TW_EUNSUP, 0, 0, 0, 0,
	  0, 0, "offset 4: unsupported pcap version 1.4" },
	{ "public/libpcap-shb-option-too-long.pcapng", TW_EFORMAT, 0, 0, 0, 0,
	  0, 0, "offset 24: option" },
};

static void test_corpus(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(corpus_cases) / sizeof(corpus_cases[0]);
	     c++) {
		const struct corpus_case *cc = &corpus_cases[c];
		char path[256];
		struct result res;

		snprintf(path, sizeof(path), CORPUS "%s", cc->file);
		read_file(path, &res);
		if (res.open_rc != cc->open_rc || res.n != cc->n)
			fail_msg("%s: open %d, %zu packets: %s", cc->file,
			         res.open_rc, res.n, res.msg);
		if (cc->what) {
			assert_non_null(strstr(res.msg, path));
			assert_non_null(strstr(res.msg, cc->what));
			continue;
		}
		assert_int_equal(res.end_rc, 0);
		assert_int_equal(res.nifaces, cc->nifaces);
		assert_int_equal(res.warnings, cc->warnings);
		assert_int_equal(res.skipped, cc->skipped);
		if (cc->n) {
			assert_int_equal(res.pkts[0].ts, cc->first_ts);
			assert_int_equal(res.pkts[cc->n - 1].ts, cc->last_ts);
		}
		free_result(&res);
	}
}

/* test102: two link types, an SPB cut to iface 0's snaplen of 96. */
static void test_corpus_mixed_linktypes(void **state)
{
	struct result res;

	(void)state;
	read_file(CORPUS "public/pcapng-output_le-advanced-test102.pcapng",
	          &res);
	assert_int_equal(res.n, 5);
	assert_int_equal(res.ifaces[0].linktype, 1);
	assert_int_equal(res.ifaces[1].linktype, 0);
	assert_string_equal(res.ifaces[0].name, "eth0");
	assert_int_equal(res.pkts[2].flags, TW_PKT_NO_TS);
	assert_int_equal(res.pkts[2].caplen, 96);
	assert_int_equal(res.pkts[2].wirelen, 314);
	assert_int_equal(res.pkts[2].ts, res.pkts[1].ts);
	assert_int_equal(res.pkts[4].iface, 1);
	free_result(&res);
}

static void test_linktype_names(void **state)
{
	(void)state;
	assert_string_equal(tw_linktype_name(TW_LINK_ETHERNET), "EN10MB");
	assert_string_equal(tw_linktype_name(TW_LINK_RAW), "RAW");
	assert_string_equal(tw_linktype_name(TW_LINK_LINUX_SLL), "LINUX_SLL");
	assert_string_equal(tw_linktype_name(TW_LINK_LINUX_SLL2), "LINUX_SLL2");
	assert_string_equal(tw_linktype_name(TW_LINK_NULL), "NULL");
	assert_string_equal(tw_linktype_name(TW_LINK_LOOP), "LOOP");
	assert_string_equal(tw_linktype_name(TW_LINK_IPV4), "IPV4");
	assert_string_equal(tw_linktype_name(TW_LINK_IPV6), "IPV6");
	assert_string_equal(tw_linktype_name(105), "IEEE802_11");
	assert_null(tw_linktype_name(65000));
}

static int setup(void **state)
{
	(void)state;
	tw_log_set_sink(count_sink, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tw_log_set_sink(NULL, NULL);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_variants),
		cmocka_unit_test(test_pcap_caplen_over_wirelen),
		cmocka_unit_test(test_pcap_invalid_fraction),
		cmocka_unit_test(test_warnings_logged_sparingly),
		cmocka_unit_test(test_pcapng_two_sections),
		cmocka_unit_test(test_pcapng_tsresol),
		cmocka_unit_test(test_pcapng_spb),
		cmocka_unit_test(test_pcapng_obsolete_pb),
		cmocka_unit_test(test_pcapng_skipped_blocks),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_open_missing_file),
		cmocka_unit_test(test_many_packets),
		cmocka_unit_test(test_record_larger_than_buffer),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_corpus_mixed_linktypes),
		cmocka_unit_test(test_linktype_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
