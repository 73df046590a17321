/*
 * test_rotate.c - capture file rotation without a network: sizes with
 * units, wall-clock alignment, file names, temporary names, the ring and
 * its deletions, renames, the post-rotate command, and the output series
 * (capture/output.c) fed with made-up packets and read back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/output.h"
#include "capture/rotate.h"
#include "trace/reader.h"

#define SEC 1000000000LL
/* 2026-12-03 19:25:17.5 UTC */
#define T0 (1796325917LL * SEC + SEC / 2)

static void test_parse_size(void **state)
{
	static const struct {
		const char *s;
		uint64_t unit;
		bool ok;
		uint64_t v;
	} tab[] = {
		{ "100", 1000000, true, 100000000ULL },
		{ "4096", 1024, true, 4ULL << 20 },
		{ "0", 1, true, 0 },
		{ "10k", 1000000, true, 10000 },
		{ "10kB", 1, true, 10000 },
		{ "3M", 1, true, 3000000 },
		{ "2G", 1, true, 2000000000ULL },
		{ "1T", 1, true, 1000000000000ULL },
		{ "64MiB", 1024, true, 64ULL << 20 },
		{ "1GiB", 1, true, 1ULL << 30 },
		{ "5KiB", 1, true, 5120 },
		{ "", 1, false, 0 },
		{ "k", 1, false, 0 },
		{ "-1", 1, false, 0 },
		{ " 1", 1, false, 0 },
		{ "1 M", 1, false, 0 },
		{ "1m", 1, false, 0 },
		{ "1Mi", 1, false, 0 },
		{ "18446744073709551615", 1, true, UINT64_MAX },
		{ "18446744073709551616", 1, false, 0 },
		{ "20000000000000000", 1000, false, 0 },
		{ "20000000TiB", 1, false, 0 },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		uint64_t v = 12345;
		bool ok = tw_rotate_parse_size(tab[i].s, tab[i].unit, &v);

		if (ok != tab[i].ok)
			fail_msg("'%s': ok %d, expected %d", tab[i].s, ok,
			         tab[i].ok);
		assert_int_equal(v, ok ? tab[i].v : 12345);
	}
	assert_false(tw_rotate_parse_size(NULL, 1, NULL));
}

static void test_alignment(void **state)
{
	static const struct {
		int64_t t;
		uint64_t period;
		int64_t start;
	} tab[] = {
		/* 19:25:17.5 -> the hour 19:00:00, the 5 min 19:25:00 */
		{ T0, 3600, 1796324400LL * SEC },
		{ T0, 300, 1796325900LL * SEC },
		{ T0, 1, 1796325917LL * SEC },
		{ T0, 86400, 1796256000LL * SEC },
		/* a boundary belongs to the period it starts */
		{ 1796324400LL * SEC, 3600, 1796324400LL * SEC },
		{ 1796324400LL * SEC - 1, 3600, 1796320800LL * SEC },
		{ 0, 60, 0 },
		{ -1, 60, -60 * SEC },
		{ 7 * SEC, 7, 7 * SEC },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		assert_int_equal(
		        tw_rotate_period_start(tab[i].t, tab[i].period),
		        tab[i].start);
		assert_int_equal(
		        tw_rotate_next_boundary(tab[i].t, tab[i].period),
		        tab[i].start + (int64_t)tab[i].period * SEC);
	}
}

static void test_names(void **state)
{
	static const struct {
		const char *pattern;
		uint64_t seq;
		bool numbered;
		const char *want;
	} tab[] = {
		{ "cap.pcapng", 0, false, "cap.pcapng" },
		{ "cap.pcapng", 3, true, "cap.000003.pcapng" },
		{ "cap", 12, true, "cap.000012" },
		{ "dir.d/cap", 1, true, "dir.d/cap.000001" },
		{ "dir/.hidden", 1, true, "dir/.hidden.000001" },
		{ "a.b.pcap", 1234567, true, "a.b.1234567.pcap" },
		{ "cap-%Y%m%d-%H%M%S.pcapng", 0, false,
		  "cap-20261203-192517.pcapng" },
		{ "%Y/%m/%d/%H.pcap", 7, true, "2026/12/03/19.000007.pcap" },
		{ "100%%.pcap", 0, false, "100%.pcap" },
	};
	struct tw_errbuf eb;
	char buf[256];
	(void)state;

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		assert_int_equal(tw_rotate_name(buf, sizeof(buf),
		                                tab[i].pattern, T0, tab[i].seq,
		                                tab[i].numbered, &eb),
		                 0);
		assert_string_equal(buf, tab[i].want);
	}
	assert_int_equal(tw_rotate_name(buf, 8, "cap.pcapng", T0, 1, true, &eb),
	                 TW_EINVAL);
	assert_non_null(strstr(eb.msg, "too long"));
	assert_int_equal(
	        tw_rotate_name(buf, sizeof(buf), "", T0, 0, false, &eb),
	        TW_EINVAL);
	assert_int_equal(tw_rotate_temp_name(buf, sizeof(buf), "a.pcap", &eb),
	                 0);
	assert_string_equal(buf, "a.pcap.part");
	assert_int_equal(tw_rotate_temp_name(buf, 6, "a.pcap", &eb), TW_EINVAL);
}

static void test_ring(void **state)
{
	struct tw_ring r;
	char name[16], *ev;
	(void)state;

	assert_int_equal(tw_ring_init(&r, 3), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		assert_int_equal(tw_ring_push(&r, name, &ev), 0);
		if (i < 3) {
			assert_null(ev);
			continue;
		}
		snprintf(name, sizeof(name), "f%d", i - 3);
		assert_non_null(ev);
		assert_string_equal(ev, name);
		free(ev);
	}
	assert_int_equal(r.count, 3);
	tw_ring_free(&r);

	/* A ring of one keeps only the newest. */
	assert_int_equal(tw_ring_init(&r, 1), 0);
	assert_int_equal(tw_ring_push(&r, "a", &ev), 0);
	assert_null(ev);
	assert_int_equal(tw_ring_push(&r, "b", &ev), 0);
	assert_string_equal(ev, "a");
	free(ev);
	tw_ring_free(&r);
}

static char *make_dir(void)
{
	char tmpl[] = "/tmp/tw-rotate-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void remove_dir(char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static bool exists(const char *dir, const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0;
}

static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_delete_finish(void **state)
{
	char *dir = make_dir();
	char a[512], b[512];
	struct tw_errbuf eb;
	FILE *f;
	(void)state;

	snprintf(a, sizeof(a), "%s/x.part", dir);
	snprintf(b, sizeof(b), "%s/x", dir);
	f = fopen(a, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(tw_rotate_finish(a, b, &eb), 0);
	assert_true(exists(dir, "x"));
	assert_false(exists(dir, "x.part"));
	assert_int_equal(tw_rotate_finish(a, b, &eb), TW_EIO);
	assert_non_null(strstr(eb.msg, "cannot rename"));
	assert_int_equal(tw_rotate_delete(b, &eb), 0);
	assert_false(exists(dir, "x"));
	/* Already gone (a post-rotate command moved it): fine. */
	assert_int_equal(tw_rotate_delete(b, &eb), 0);
	/* A directory cannot be unlinked: an error with the name. */
	assert_int_equal(tw_rotate_delete(dir, &eb), TW_EIO);
	assert_non_null(strstr(eb.msg, dir));
	remove_dir(dir);
}

static void test_spawn(void **state)
{
	char *dir = make_dir();
	char file[512], cmd[600];
	struct tw_errbuf eb;
	int status;
	pid_t pid;
	(void)state;

	snprintf(file, sizeof(file), "%s/it has spaces", dir);
	snprintf(cmd, sizeof(cmd), "touch");
	pid = tw_rotate_spawn(cmd, file, &eb);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(exists(dir, "it has spaces"));
	remove_dir(dir);
}

/* ---- the output series ---- */

static const struct tw_capout_iface ifaces[] = { { 1, 65535 }, { 1, 128 } };

static struct tw_capout *open_out(const char *dir, const char *pattern,
                                  struct tw_capout_opts *o, int64_t now)
{
	static char path[512];
	struct tw_capout *c;
	struct tw_errbuf eb;

	snprintf(path, sizeof(path), "%s/%s", dir, pattern);
	o->path = path;
	if (tw_capout_open(&c, o, ifaces, 2, now, &eb) < 0)
		fail_msg("open: %s", eb.msg);
	return c;
}

static void write_pkts(struct tw_capout *c, int n, int64_t t, int64_t step)
{
	uint8_t data[100];

	for (int i = 0; i < n; i++) {
		memset(data, i & 0xff, sizeof(data));
		data[0] = (uint8_t)(i >> 8);
		data[1] = (uint8_t)i;
		assert_int_equal(tw_capout_write(c, (uint32_t)(i & 1),
		                                 t + i * step, data,
		                                 sizeof(data), 1000),
		                 0);
	}
}

/* Reads a file back: packet count, and the first packet's index. */
static uint64_t read_back(const char *dir, const char *name, int *first)
{
	struct tw_reader *r;
	struct tw_packet p;
	char path[512], msg[TW_ERRMSG_MAX];
	uint64_t n = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (tw_reader_open(&r, path, msg, sizeof(msg)) < 0)
		fail_msg("%s", msg);
	while ((rc = tw_reader_next(r, &p)) > 0) {
		if (n++ == 0 && first)
			*first = p.data[0] << 8 | p.data[1];
	}
	assert_int_equal(rc, 0);
	assert_true(tw_reader_iface_count(r) > 0);
	tw_reader_close(r);
	return n;
}

static void test_output_single(void **state)
{
	struct tw_capout_opts o = { .fmt = TW_OUT_PCAPNG };
	char *dir = make_dir();
	struct tw_capout *c = open_out(dir, "one.pcapng", &o, T0);
	struct tw_errbuf eb;
	(void)state;

	assert_true(exists(dir, "one.pcapng.part"));
	assert_false(exists(dir, "one.pcapng"));
	write_pkts(c, 50, T0, 1000);
	/* SIGHUP without rotation options: the next file is numbered. */
	assert_int_equal(tw_capout_rotate(c, T0 + SEC), 0);
	assert_true(exists(dir, "one.pcapng"));
	write_pkts(c, 5, T0 + SEC, 1000);
	assert_int_equal(tw_capout_close(c, &eb), 0);
	assert_int_equal(read_back(dir, "one.pcapng", NULL), 50);
	assert_int_equal(read_back(dir, "one.000001.pcapng", NULL), 5);
	assert_int_equal(count_files(dir), 2);
	remove_dir(dir);
}

/* -C: no file goes past the size; the union is every packet, in order. */
static void test_output_size(void **state)
{
	struct tw_capout_opts o = { .fmt = TW_OUT_PCAPNG, .file_bytes = 4000 };
	char *dir = make_dir(), name[64];
	struct tw_capout *c = open_out(dir, "s.pcapng", &o, T0);
	struct tw_errbuf eb;
	uint64_t total = 0;
	int first, next = 0;
	(void)state;

	write_pkts(c, 300, T0, 1000);
	assert_int_equal(tw_capout_close(c, &eb), 0);
	for (int i = 0; i < count_files(dir); i++) {
		struct stat st;
		char p[600];

		snprintf(name, sizeof(name), "s.%06d.pcapng", i);
		snprintf(p, sizeof(p), "%s/%s", dir, name);
		assert_int_equal(stat(p, &st), 0);
		assert_true(st.st_size <= 4000);
		total += read_back(dir, name, &first);
		assert_int_equal(first, next);
		next = (int)total;
	}
	assert_int_equal(total, 300);
	assert_true(count_files(dir) > 5);
	remove_dir(dir);
}

/* -G 10: files start on the 10 s boundaries of the packets' times; a
 * quiet period still gets its file on the timer; the ring keeps 3. */
static void test_output_time_ring(void **state)
{
	struct tw_capout_opts o = { .fmt = TW_OUT_PCAP_NS,
		                    .period_s = 10,
		                    .ring = 3,
		                    .grace_ns = SEC / 10 };
	char *dir = make_dir();
	struct tw_capout *c = open_out(dir, "t-%H%M%S.pcap", &o, T0);
	struct tw_errbuf eb;
	int first;
	(void)state;

	/* 19:25:17.5 .. 19:25:37.4, a packet every 100 ms */
	write_pkts(c, 200, T0, SEC / 10);
	assert_int_equal(tw_capout_next_boundary(c), T0 + 22 * SEC + SEC / 2);
	/* Nothing before the boundary + grace. */
	assert_int_equal(tw_capout_tick(c, T0 + 22 * SEC + SEC / 2), 0);
	assert_true(exists(dir, "t-192530.000002.pcap.part"));
	assert_int_equal(tw_capout_tick(c, T0 + 22 * SEC + SEC), 0);
	assert_true(exists(dir, "t-192530.000002.pcap"));
	assert_true(exists(dir, "t-192540.000003.pcap.part"));
	/* The ring of 3: file 0 was deleted when file 3 began. */
	assert_false(exists(dir, "t-192510.000000.pcap"));
	assert_int_equal(tw_capout_close(c, &eb), 0);

	assert_int_equal(read_back(dir, "t-192520.000001.pcap", &first), 100);
	assert_int_equal(first, 25);
	assert_int_equal(read_back(dir, "t-192530.000002.pcap", &first), 75);
	assert_int_equal(first, 125);
	assert_int_equal(read_back(dir, "t-192540.000003.pcap", NULL), 0);
	assert_int_equal(count_files(dir), 3);
	remove_dir(dir);
}

/* A write that fails half-way (the file size limit stands in for a full
 * disk): the error is sticky and names the file; the file is cut back to
 * its last complete packet and renamed, a valid trace. */
static void test_output_write_error(void **state)
{
	struct tw_capout_opts o = { .fmt = TW_OUT_PCAPNG };
	struct rlimit old, lim;
	char *dir = make_dir();
	struct tw_capout *c = open_out(dir, "e.pcapng", &o, T0);
	struct tw_errbuf eb;
	(void)state;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 300000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

	write_pkts(c, 1000, T0, 1000);
	assert_int_equal(tw_capout_tick(c, T0 + SEC), 0);
	write_pkts(c, 3000, T0 + SEC, 1000);
	assert_int_equal(tw_capout_flush(c), TW_EIO);
	assert_non_null(strstr(tw_capout_errmsg(c), "e.pcapng"));
	assert_non_null(strstr(tw_capout_errmsg(c), "File too large"));
	assert_int_equal(tw_capout_write(c, 0, T0, (const uint8_t *)"x", 1, 1),
	                 TW_EIO);
	assert_int_equal(tw_capout_close(c, &eb), TW_EIO);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);

	assert_int_equal(read_back(dir, "e.pcapng", NULL), 1000);
	assert_int_equal(count_files(dir), 1);
	remove_dir(dir);
}

static void test_output_bad_opts(void **state)
{
	struct tw_capout_opts o = { .fmt = TW_OUT_PCAPNG, .path = "-" };
	struct tw_capout *c;
	struct tw_errbuf eb;
	(void)state;

	o.file_bytes = 1000;
	assert_int_equal(tw_capout_open(&c, &o, ifaces, 1, T0, &eb), TW_EINVAL);
	o.path = "x.pcapng";
	o.file_bytes = 0;
	o.ring = 3;
	assert_int_equal(tw_capout_open(&c, &o, ifaces, 1, T0, &eb), TW_EINVAL);
	assert_non_null(strstr(eb.msg, "-W needs"));
	o.ring = 0;
	o.path = "/nonexistent-dir/x.pcapng";
	assert_int_equal(tw_capout_open(&c, &o, ifaces, 1, T0, &eb), TW_EIO);
	assert_non_null(strstr(eb.msg, "/nonexistent-dir/x.pcapng.part"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_delete_finish),
		cmocka_unit_test(test_spawn),
		cmocka_unit_test(test_output_single),
		cmocka_unit_test(test_output_size),
		cmocka_unit_test(test_output_time_ring),
		cmocka_unit_test(test_output_write_error),
		cmocka_unit_test(test_output_bad_opts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
