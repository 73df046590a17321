/*
 * test_writer.c - the pcapng and classic pcap writer.
 *
 * What is written is read back with tw_reader (timestamps, data and
 * interfaces must survive exactly), and the section header is also
 * checked byte by byte.  Refusals and write errors are checked for their
 * code and message.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace/bytes.h"
#include "trace/error.h"
#include "trace/packet.h"
#include "trace/reader.h"
#include "trace/writer.h"

struct pkt_spec {
	uint32_t iface;
	int64_t ts;
	uint32_t caplen;
	uint32_t wirelen;
};

struct readback {
	int open_rc;
	int end_rc;
	char msg[TW_ERRMSG_MAX];
	enum tw_format fmt;
	uint32_t nifaces;
	uint32_t sections;
	struct tw_iface ifaces[4];
	size_t n;
	struct tw_packet *pkts; /* data points into datas */
	uint8_t **datas;
};

static uint8_t pattern_byte(uint32_t seed, size_t i)
{
	return (uint8_t)(seed * 131u + i * 7u + (i >> 8));
}

static uint8_t *make_data(size_t n, uint32_t seed)
{
	uint8_t *p = malloc(n + 1);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = pattern_byte(seed, i);
	return p;
}

static bool pattern_ok(const uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != pattern_byte(seed, i))
			return false;
	return true;
}

static void temp_path(char *path, size_t len)
{
	int fd;

	snprintf(path, len, "/tmp/tw_test_writer_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
}

static void drain(struct tw_reader *r, struct readback *rb)
{
	struct tw_packet pkt;
	size_t cap = 0;
	int rc;

	while ((rc = tw_reader_next(r, &pkt)) == 1) {
		if (rb->n == cap) {
			cap = cap ? cap * 2 : 64;
			rb->pkts = realloc(rb->pkts, cap * sizeof(*rb->pkts));
			rb->datas =
			        realloc(rb->datas, cap * sizeof(*rb->datas));
			assert_non_null(rb->pkts);
			assert_non_null(rb->datas);
		}
		rb->datas[rb->n] = malloc(pkt.caplen + 1);
		assert_non_null(rb->datas[rb->n]);
		memcpy(rb->datas[rb->n], pkt.data, pkt.caplen);
		pkt.data = rb->datas[rb->n];
		rb->pkts[rb->n++] = pkt;
	}

	rb->end_rc = rc;
	snprintf(rb->msg, sizeof(rb->msg), "%s", tw_reader_errmsg(r));
	rb->fmt = tw_reader_format(r);
	rb->nifaces = tw_reader_iface_count(r);
	rb->sections = tw_reader_section_count(r);
	for (uint32_t i = 0; i < rb->nifaces && i < 4; i++)
		rb->ifaces[i] = *tw_reader_iface(r, i);
}

static void read_back(const char *path, struct readback *rb)
{
	struct tw_reader *r;

	memset(rb, 0, sizeof(*rb));
	rb->open_rc = tw_reader_open(&r, path, rb->msg, sizeof(rb->msg));
	if (rb->open_rc)
		return;
	drain(r, rb);
	tw_reader_close(r);
}

static void free_readback(struct readback *rb)
{
	for (size_t i = 0; i < rb->n; i++)
		free(rb->datas[i]);
	free(rb->datas);
	free(rb->pkts);
}

static void write_specs(struct tw_writer *w, const struct pkt_spec *specs,
                        size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t *d = make_data(specs[i].caplen, (uint32_t)i);

		if (tw_writer_write(w, specs[i].iface, specs[i].ts, d,
		                    specs[i].caplen, specs[i].wirelen) != 0)
			fail_msg("packet %zu: %s", i, tw_writer_errmsg(w));
		free(d);
	}
}

static void check_specs(const struct readback *rb, const struct pkt_spec *specs,
                        size_t n, int64_t granularity)
{
	assert_int_equal(rb->end_rc, 0);
	assert_int_equal(rb->n, n);
	for (size_t i = 0; i < n; i++) {
		const struct tw_packet *p = &rb->pkts[i];
		int64_t ts = specs[i].ts - specs[i].ts % granularity;

		if (p->ts_ns != ts)
			fail_msg("packet %zu: ts %" PRId64 " != %" PRId64, i,
			         p->ts_ns, ts);
		assert_int_equal(p->iface, specs[i].iface);
		assert_int_equal(p->caplen, specs[i].caplen);
		assert_int_equal(p->wirelen, specs[i].wirelen);
		assert_int_equal(p->flags, 0);
		assert_true(pattern_ok(p->data, p->caplen, (uint32_t)i));
	}
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* ---- round trips ---- */

static const struct pkt_spec ng_specs[] = {
	{ 0, 0, 60, 60 },
	{ 1, 1, 61, 1500 },
	{ 2, 1700000000123456789, 62, 62 },
	{ 0, 1700000000123456790, 63, 64 },
	{ 1, 1700000000999999999, 0, 0 },
	{ 2, INT64_MAX, 1, 9000 },
	{ 0, 4294967296000000000, 1514, 1514 },
};

static void test_roundtrip_pcapng(void **state)
{
	const size_t n = sizeof(ng_specs) / sizeof(ng_specs[0]);
	char errbuf[TW_ERRMSG_MAX], path[64];
	struct tw_writer *w;
	struct readback rb;
	uint32_t id;

	(void)state;
	temp_path(path, sizeof(path));
	assert_int_equal(
	        tw_writer_open(&w, path, TW_OUT_PCAPNG, errbuf, sizeof(errbuf)),
	        0);
	assert_int_equal(tw_writer_add_iface(w, 1, 0, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(tw_writer_add_iface(w, 101, 1500, &id), 0);
	assert_int_equal(id, 1);
	assert_int_equal(tw_writer_add_iface(w, 113, 65535, &id), 0);
	assert_int_equal(id, 2);
	write_specs(w, ng_specs, n);
	assert_int_equal(tw_writer_packets(w), n);

	assert_int_equal(tw_writer_flush(w), 0);
	assert_int_equal(tw_writer_bytes(w), (uint64_t)file_size(path));
	assert_int_equal(tw_writer_close(w, errbuf, sizeof(errbuf)), 0);

	read_back(path, &rb);
	assert_int_equal(rb.open_rc, 0);
	assert_int_equal(rb.fmt, TW_FMT_PCAPNG);
	assert_int_equal(rb.sections, 1);
	assert_int_equal(rb.nifaces, 3);
	assert_int_equal(rb.ifaces[0].linktype, 1);
	assert_int_equal(rb.ifaces[0].snaplen, 0);
	assert_int_equal(rb.ifaces[1].linktype, 101);
	assert_int_equal(rb.ifaces[1].snaplen, 1500);
	assert_int_equal(rb.ifaces[2].linktype, 113);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rb.ifaces[i].tsresol, 9);
		assert_string_equal(rb.ifaces[i].name, "");
	}
	check_specs(&rb, ng_specs, n, 1);
	free_readback(&rb);
	unlink(path);
}

static const struct pkt_spec pcap_specs[] = {
	{ 0, 0, 60, 60 },
	{ 0, 1418145369999999999, 61, 1500 },
	{ 0, 1418145370000000001, 0, 40 },
	{ 0, 4294967295999999999, 262144, 262144 },
	{ 0, 1700000000123456789, 3, 3 },
};

struct pcap_flavour {
	enum tw_out_format out;
	enum tw_format in;
	uint32_t magic;
	int64_t granularity;
};

static const struct pcap_flavour flavours[] = {
	{ TW_OUT_PCAP_NS, TW_FMT_PCAP_NS, 0xa1b23c4d, 1 },
	{ TW_OUT_PCAP_US, TW_FMT_PCAP_US, 0xa1b2c3d4, 1000 },
};

static void test_roundtrip_pcap(void **state)
{
	const size_t n = sizeof(pcap_specs) / sizeof(pcap_specs[0]);

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		char errbuf[TW_ERRMSG_MAX], path[64];
		uint8_t hdr[24];
		struct tw_writer *w;
		struct readback rb;
		uint32_t id;
		FILE *fp;

		temp_path(path, sizeof(path));
		assert_int_equal(tw_writer_open(&w, path, flavours[f].out,
		                                errbuf, sizeof(errbuf)),
		                 0);
		/* Comments have no place in classic pcap: ignored. */
		assert_int_equal(tw_writer_add_comment(w, "ignored"), 0);
		assert_int_equal(tw_writer_add_iface(w, 113, 0, &id), 0);
		write_specs(w, pcap_specs, n);
		assert_int_equal(tw_writer_close(w, errbuf, sizeof(errbuf)), 0);

		fp = fopen(path, "rb");
		assert_non_null(fp);
		assert_int_equal(fread(hdr, 1, sizeof(hdr), fp), sizeof(hdr));
		fclose(fp);
		assert_int_equal(tw_le32(hdr), flavours[f].magic);
		assert_int_equal(tw_le16(hdr + 4), 2);
		assert_int_equal(tw_le16(hdr + 6), 4);
		assert_int_equal(tw_le32(hdr + 16), 262144);
		assert_int_equal(tw_le32(hdr + 20), 113);

		read_back(path, &rb);
		assert_int_equal(rb.open_rc, 0);
		assert_int_equal(rb.fmt, flavours[f].in);
		assert_int_equal(rb.nifaces, 1);
		assert_int_equal(rb.ifaces[0].linktype, 113);
		check_specs(&rb, pcap_specs, n, flavours[f].granularity);
		free_readback(&rb);
		unlink(path);
	}
}

/*
 * Enough packets for several automatic flushes, and one record larger
 * than the whole buffer, which goes straight to the file.
 */
static void test_roundtrip_many_and_large(void **state)
{
	const size_t n = 6001;
	struct pkt_spec *specs = calloc(n, sizeof(*specs));
	char errbuf[TW_ERRMSG_MAX], path[64];
	struct tw_writer *w;
	struct readback rb;
	uint32_t id;

	(void)state;
	assert_non_null(specs);
	for (size_t i = 0; i < n; i++) {
		specs[i].ts = 1700000000000000000 + (int64_t)i * 1001;
		specs[i].caplen = 60 + (uint32_t)(i * 7919 % 1441);
		specs[i].wirelen = specs[i].caplen + (uint32_t)(i % 2);
	}
	specs[3000].caplen = 3u << 20;
	specs[3000].wirelen = 3u << 20;

	for (int fmt = TW_OUT_PCAPNG; fmt <= TW_OUT_PCAP_NS; fmt++) {
		temp_path(path, sizeof(path));
		assert_int_equal(
		        tw_writer_open(&w, path, fmt, errbuf, sizeof(errbuf)),
		        0);
		assert_int_equal(tw_writer_add_iface(w, 1, 4u << 20, &id), 0);
		write_specs(w, specs, n);
		assert_int_equal(tw_writer_close(w, errbuf, sizeof(errbuf)), 0);

		read_back(path, &rb);
		check_specs(&rb, specs, n, 1);
		free_readback(&rb);
		unlink(path);
	}
	free(specs);
}

/*
 * What reaches the file through automatic flushes always ends on a
 * record boundary: a reader sees a clean end, never a cut packet.
 */
static void test_flush_keeps_records_whole(void **state)
{
	char errbuf[TW_ERRMSG_MAX], path[64];
	uint8_t *d = make_data(999, 0);
	struct tw_writer *w;
	struct readback rb;
	uint32_t id, i;

	(void)state;
	temp_path(path, sizeof(path));
	assert_int_equal(tw_writer_open(&w, path, TW_OUT_PCAP_NS, errbuf,
	                                sizeof(errbuf)),
	                 0);
	assert_int_equal(tw_writer_add_iface(w, 1, 0, &id), 0);
	for (i = 0; tw_writer_bytes(w) == 0; i++)
		assert_int_equal(tw_writer_write(w, id, i, d, 999, 999), 0);

	read_back(path, &rb);
	assert_int_equal(rb.end_rc, 0);
	assert_int_equal(rb.n, i - 1);
	assert_int_equal(tw_writer_bytes(w), (uint64_t)file_size(path));
	free_readback(&rb);

	assert_int_equal(tw_writer_close(w, errbuf, sizeof(errbuf)), 0);
	read_back(path, &rb);
	assert_int_equal(rb.n, i);
	free_readback(&rb);
	free(d);
	unlink(path);
}

/* The writer on one end of a pipe, the reader on the other. */
static void test_pipe_roundtrip(void **state)
{
	char errbuf[TW_ERRMSG_MAX];
	struct tw_reader *r;
	struct readback rb;
	int fds[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct tw_writer *w;
		uint32_t id;
		int rc;

		close(fds[0]);
		if (tw_writer_open_fd(&w, fds[1], "pipe", TW_OUT_PCAPNG, errbuf,
		                      sizeof(errbuf)))
			_exit(1);
		rc = tw_writer_add_iface(w, 1, 0, &id);
		rc = rc ? rc : tw_writer_add_iface(w, 101, 0, &id);
		rc = rc ? rc : tw_writer_add_iface(w, 113, 0, &id);

		/* No cmocka asserts here: a failure must not unwind into
		 * the parent's test runner. */
		for (uint32_t i = 0; rc == 0 && i < 3; i++) {
			uint8_t d[64];

			for (size_t j = 0; j < sizeof(d); j++)
				d[j] = pattern_byte(i, j);
			rc = tw_writer_write(
			        w, ng_specs[i].iface, ng_specs[i].ts, d,
			        ng_specs[i].caplen, ng_specs[i].wirelen);
		}
		rc |= tw_writer_close(w, errbuf, sizeof(errbuf));
		_exit(rc ? 1 : 0);
	}
	close(fds[1]);

	memset(&rb, 0, sizeof(rb));
	assert_int_equal(
	        tw_reader_open_fd(&r, fds[0], "pipe", errbuf, sizeof(errbuf)),
	        0);
	drain(r, &rb);
	tw_reader_close(r);
	close(fds[0]);
	waitpid(pid, &status, 0);

	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(rb.nifaces, 3);
	check_specs(&rb, ng_specs, 3, 1);
	free_readback(&rb);
}

/* ---- section header ---- */

/* Finds option code number k (0-based) in an SHB's options. */
static const uint8_t *find_option(const uint8_t *shb, uint16_t code, int k,
                                  uint16_t *len)
{
	uint32_t total = tw_le32(shb + 4);

	for (uint32_t o = 24; o + 4 <= total - 4;) {
		uint16_t c = tw_le16(shb + o), l = tw_le16(shb + o + 2);

		if (c == code && k-- == 0) {
			*len = l;
			return shb + o + 4;
		}
		if (c == 0)
			break;
		o += 4 + ((l + 3u) & ~3u);
	}
	return NULL;
}

static void test_comments_in_shb(void **state)
{
	char errbuf[TW_ERRMSG_MAX], path[64];
	char *huge = malloc(70001);
	struct tw_writer *w;
	struct readback rb;
	uint8_t file[512];
	const uint8_t *v, *idb;
	uint16_t len;
	uint32_t id;
	size_t got;
	FILE *fp;

	(void)state;
	assert_non_null(huge);
	memset(huge, 'x', 70000);
	huge[70000] = '\0';

	temp_path(path, sizeof(path));
	assert_int_equal(
	        tw_writer_open(&w, path, TW_OUT_PCAPNG, errbuf, sizeof(errbuf)),
	        0);
	assert_int_equal(tw_writer_add_comment(w, "policy sha256:0123abcd"), 0);
	assert_int_equal(tw_writer_add_comment(w, "key fingerprint 42"), 0);
	assert_int_equal(tw_writer_add_comment(w, huge), TW_EINVAL);
	assert_int_equal(tw_writer_add_iface(w, 1, 0, &id), 0);
	assert_int_equal(tw_writer_add_comment(w, "too late"), TW_ESTATE);
	assert_int_equal(tw_writer_close(w, errbuf, sizeof(errbuf)), 0);
	free(huge);

	fp = fopen(path, "rb");
	assert_non_null(fp);
	got = fread(file, 1, sizeof(file), fp);
	fclose(fp);

	/* SHB: little-endian, version 1.0, section length -1. */
	assert_true(got > 28);
	assert_int_equal(tw_le32(file), 0x0a0d0d0a);
	assert_int_equal(tw_le32(file + 8), 0x1a2b3c4d);
	assert_int_equal(tw_le16(file + 12), 1);
	assert_int_equal(tw_le16(file + 14), 0);
	assert_int_equal(tw_le32(file + 16), UINT32_MAX);
	assert_int_equal(tw_le32(file + 20), UINT32_MAX);

	v = find_option(file, 4, 0, &len);
	assert_non_null(v);
	assert_int_equal(len, 9);
	assert_memory_equal(v, "tracewarp", 9);
	v = find_option(file, 1, 0, &len);
	assert_non_null(v);
	assert_int_equal(len, 22);
	assert_memory_equal(v, "policy sha256:0123abcd", 22);
	v = find_option(file, 1, 1, &len);
	assert_non_null(v);
	assert_memory_equal(v, "key fingerprint 42", len);
	assert_null(find_option(file, 1, 2, &len));

	/* IDB: link type, snaplen, if_tsresol = 9 and nothing else. */
	idb = file + tw_le32(file + 4);
	assert_int_equal(tw_le32(idb), 1);
	assert_int_equal(tw_le32(idb + 4), 32);
	assert_int_equal(tw_le16(idb + 16), 9);
	assert_int_equal(tw_le16(idb + 18), 1);
	assert_int_equal(idb[20], 9);
	assert_int_equal(tw_le16(idb + 24), 0);

	read_back(path, &rb);
	assert_int_equal(rb.end_rc, 0);
	assert_int_equal(rb.nifaces, 1);
	free_readback(&rb);
	unlink(path);
}

/* No interface: pcapng still gets a section header, pcap stays empty. */
static void test_empty_outputs(void **state)
{
	char errbuf[TW_ERRMSG_MAX], path[64];
	struct tw_writer *w;
	struct readback rb;

	(void)state;
	temp_path(path, sizeof(path));
	assert_int_equal(
	        tw_writer_open(&w, path, TW_OUT_PCAPNG, errbuf, sizeof(errbuf)),
	        0);
	assert_int_equal(tw_writer_close(w, errbuf, sizeof(errbuf)), 0);
	read_back(path, &rb);
	assert_int_equal(rb.open_rc, 0);
	assert_int_equal(rb.end_rc, 0);
	assert_int_equal(rb.n, 0);
	assert_int_equal(rb.sections, 1);
	assert_int_equal(rb.nifaces, 0);
	free_readback(&rb);

	assert_int_equal(tw_writer_open(&w, path, TW_OUT_PCAP_NS, errbuf,
	                                sizeof(errbuf)),
	                 0);
	assert_int_equal(tw_writer_close(w, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(file_size(path), 0);
	unlink(path);
}

/* ---- refusals and errors ---- */

static void test_pcap_one_linktype(void **state)
{
	char errbuf[TW_ERRMSG_MAX], path[64];
	uint8_t d[60] = { 0 };
	struct tw_writer *w;
	struct readback rb;
	uint32_t a, b, c = 77;

	(void)state;
	temp_path(path, sizeof(path));
	assert_int_equal(tw_writer_open(&w, path, TW_OUT_PCAP_US, errbuf,
	                                sizeof(errbuf)),
	                 0);
	assert_int_equal(tw_writer_add_iface(w, 1, 1500, &a), 0);
	assert_int_equal(tw_writer_add_iface(w, 1, 1500, &b), 0);
	assert_int_not_equal(a, b);
	assert_int_equal(tw_writer_add_iface(w, 113, 1500, &c), TW_EUNSUP);
	assert_int_equal(c, 77);
	assert_non_null(strstr(tw_writer_errmsg(w), path));
	assert_non_null(strstr(tw_writer_errmsg(w), "link type 113"));

	/* The refusal leaves the writer usable. */
	assert_int_equal(tw_writer_write(w, a, 1000, d, 60, 60), 0);
	assert_int_equal(tw_writer_write(w, b, 2000, d, 60, 60), 0);
	assert_int_equal(tw_writer_close(w, errbuf, sizeof(errbuf)), 0);

	read_back(path, &rb);
	assert_int_equal(rb.n, 2);
	assert_int_equal(rb.nifaces, 1);
	free_readback(&rb);
	unlink(path);
}

struct refusal {
	enum tw_out_format fmt;
	uint32_t iface;
	int64_t ts;
	uint32_t caplen;
	uint32_t wirelen;
	const char *what;
};

static const struct refusal refusals[] = {
	{ TW_OUT_PCAPNG, 0, 1, 100, 99, "caplen 100 > wire length 99" },
	{ TW_OUT_PCAP_NS, 0, 1, 61, 60, "caplen 61 > wire length 60" },
	{ TW_OUT_PCAPNG, 0, -1, 60, 60, "negative timestamp" },
	{ TW_OUT_PCAP_US, 0, INT64_MIN, 60, 60, "negative timestamp" },
	{ TW_OUT_PCAPNG, 5, 1, 60, 60, "interface 5" },
	{ TW_OUT_PCAPNG, 0, 1, TW_WRITER_MAX_CAPLEN + 1,
	  TW_WRITER_MAX_CAPLEN + 1, "over the limit" },
	{ TW_OUT_PCAP_NS, 0, 4294967296000000000, 60, 60, "2106" },
	{ TW_OUT_PCAP_NS, 0, 1, 262145, 262145, "over the snaplen" },
};

static void test_refused_packets(void **state)
{
	uint8_t *d = calloc(1, TW_WRITER_MAX_CAPLEN + 1);

	(void)state;
	assert_non_null(d);
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *rf = &refusals[i];
		char errbuf[TW_ERRMSG_MAX], path[64];
		struct tw_writer *w;
		struct readback rb;
		uint32_t id;

		temp_path(path, sizeof(path));
		assert_int_equal(tw_writer_open(&w, path, rf->fmt, errbuf,
		                                sizeof(errbuf)),
		                 0);
		assert_int_equal(tw_writer_add_iface(w, 1, 0, &id), 0);
		assert_int_equal(tw_writer_write(w, rf->iface, rf->ts, d,
		                                 rf->caplen, rf->wirelen),
		                 TW_EINVAL);
		if (!strstr(tw_writer_errmsg(w), rf->what) ||
		    !strstr(tw_writer_errmsg(w), path))
			fail_msg("case %zu: \"%s\"", i, tw_writer_errmsg(w));
		assert_int_equal(tw_writer_packets(w), 0);

		/* Only that packet is refused. */
		assert_int_equal(tw_writer_write(w, id, 5, d, 60, 60), 0);
		assert_int_equal(tw_writer_close(w, errbuf, sizeof(errbuf)), 0);
		read_back(path, &rb);
		assert_int_equal(rb.end_rc, 0);
		assert_int_equal(rb.n, 1);
		free_readback(&rb);
		unlink(path);
	}
	free(d);
}

static void test_dev_full(void **state)
{
	static const char want[] =
	        "/dev/full: write failed: No space left on device";
	uint8_t *big = calloc(1, 2u << 20);
	char errbuf[TW_ERRMSG_MAX];
	uint8_t d[100] = { 0 };
	struct tw_writer *w;
	uint32_t id;

	(void)state;
	assert_non_null(big);

	/* Buffered: the error shows at the flush, then sticks. */
	assert_int_equal(tw_writer_open(&w, "/dev/full", TW_OUT_PCAPNG, errbuf,
	                                sizeof(errbuf)),
	                 0);
	assert_int_equal(tw_writer_add_iface(w, 1, 0, &id), 0);
	assert_int_equal(tw_writer_write(w, id, 1, d, 100, 100), 0);
	assert_int_equal(tw_writer_flush(w), TW_EIO);
	assert_string_equal(tw_writer_errmsg(w), want);
	assert_int_equal(tw_writer_write(w, id, 2, d, 100, 100), TW_EIO);
	assert_int_equal(tw_writer_add_iface(w, 1, 0, &id), TW_EIO);
	assert_int_equal(tw_writer_close(w, errbuf, sizeof(errbuf)), TW_EIO);
	assert_string_equal(errbuf, want);

	/* Unflushed: close reports it. */
	assert_int_equal(tw_writer_open(&w, "/dev/full", TW_OUT_PCAP_NS, errbuf,
	                                sizeof(errbuf)),
	                 0);
	assert_int_equal(tw_writer_add_iface(w, 1, 0, &id), 0);
	assert_int_equal(tw_writer_write(w, id, 1, d, 100, 100), 0);
	errbuf[0] = '\0';
	assert_int_equal(tw_writer_close(w, errbuf, sizeof(errbuf)), TW_EIO);
	assert_string_equal(errbuf, want);

	/* A record larger than the buffer is written at once. */
	assert_int_equal(tw_writer_open(&w, "/dev/full", TW_OUT_PCAP_NS, errbuf,
	                                sizeof(errbuf)),
	                 0);
	assert_int_equal(tw_writer_add_iface(w, 1, 4u << 20, &id), 0);
	assert_int_equal(tw_writer_write(w, id, 1, big, 2u << 20, 2u << 20),
	                 TW_EIO);
	assert_int_equal(tw_writer_close(w, errbuf, sizeof(errbuf)), TW_EIO);
	free(big);
}

static void test_open_errors(void **state)
{
	char errbuf[TW_ERRMSG_MAX];
	struct tw_writer *w = (void *)1;

	(void)state;
	assert_int_equal(tw_writer_open(&w, "/nonexistent/dir/out.pcapng",
	                                TW_OUT_PCAPNG, errbuf, sizeof(errbuf)),
	                 TW_EIO);
	assert_null(w);
	assert_non_null(strstr(errbuf, "/nonexistent/dir/out.pcapng"));
	assert_non_null(strstr(errbuf, "No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_pcapng),
		cmocka_unit_test(test_roundtrip_pcap),
		cmocka_unit_test(test_roundtrip_many_and_large),
		cmocka_unit_test(test_flush_keeps_records_whole),
		cmocka_unit_test(test_pipe_roundtrip),
		cmocka_unit_test(test_comments_in_shb),
		cmocka_unit_test(test_empty_outputs),
		cmocka_unit_test(test_pcap_one_linktype),
		cmocka_unit_test(test_refused_packets),
		cmocka_unit_test(test_dev_full),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
