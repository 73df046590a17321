/*
 * test_engine.c - the replay engine against a backend that records what
 * it is given and refuses on command: schedules, loops, bursts, retries,
 * failures, oversize frames, limits, filters, amplification and shards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "pktbuild.h"
#include "replay/engine.h"
#include "trace/packet.h"

#define MAXREC 4096

/* A backend that records, accepts at most `take` packets per call and
 * refuses the first `refuse` calls. */
struct mock {
	struct tw_backend b;
	unsigned take;
	int refuse;
	int hard_error_at; /* call number that fails hard, 0 = never */
	int calls;
	unsigned n;
	int64_t sched[MAXREC];
	uint32_t len[MAXREC];
	uint8_t src3[MAXREC]; /* third octet of the IPv4 source */
	const uint8_t *first; /* data of the first packet accepted */
};

static int mock_tx(struct tw_backend *b, const struct tw_txpkt *p, unsigned n)
{
	struct mock *m = (struct mock *)b;
	unsigned k;

	m->calls++;
	if (m->hard_error_at && m->calls == m->hard_error_at)
		return tw_errf(&b->err, TW_EIO, "mock failure");
	if (m->refuse > 0) {
		m->refuse--;
		return 0;
	}
	for (k = 0; k < n && (!m->take || k < m->take); k++) {
		if (!m->n)
			m->first = p[k].data;
		if (m->n < MAXREC) {
			m->sched[m->n] = p[k].sched_ns;
			m->len[m->n] = p[k].len;
			m->src3[m->n] = p[k].len > 28 ? p[k].data[28] : 0;
		}
		m->n++;
	}
	return (int)k;
}

static int mock_flush(struct tw_backend *b)
{
	(void)b;
	return 0;
}

static void mock_stats(struct tw_backend *b, struct tw_backend_stats *st)
{
	(void)b;
	st->port_dropped = 0;
}

static int mock_close(struct tw_backend *b, struct tw_errbuf *eb)
{
	(void)b;
	(void)eb;
	return 0;
}

static const struct tw_backend_ops mock_ops = { "mock", mock_tx, mock_flush,
	                                        mock_stats, mock_close };

static struct mock *mock_new(bool paced)
{
	struct mock *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->b.ops = &mock_ops;
	m->b.paced = paced;
	m->b.burst = 8;
	return m;
}

static char trace_path[64];

/* Ten UDP packets at 0, 1, 2... ms (+ 1 s), growing by 100 bytes each,
 * every third one to port 53. */
static int write_trace(void **state)
{
	FILE *f;
	int fd;
	uint32_t hdr[6] = { 0xa1b23c4d, 0x00040002, 0, 0, 65535, 1 };

	(void)state;
	snprintf(trace_path, sizeof(trace_path), "/tmp/tw_engine_XXXXXX");
	fd = mkstemp(trace_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	fwrite(hdr, sizeof(hdr), 1, f);
	for (uint32_t i = 0; i < 10; i++) {
		struct pkt_spec s = { .version = 4,
			              .proto = 17,
			              .src = { 198, 18, 0, 1 },
			              .dst = { 198, 18, 0, 2 },
			              .sport = 40000,
			              .dport = i % 3 ? 80 : 53,
			              .payload = (uint16_t)(i * 100) };
		uint8_t buf[2048];
		uint32_t len = pkt_build(&s, buf);
		uint32_t rec[4] = { 1000, i * 1000000, len, len };

		fwrite(rec, sizeof(rec), 1, f);
		fwrite(buf, len, 1, f);
	}
	fclose(f);
	return 0;
}

static int remove_trace(void **state)
{
	(void)state;
	unlink(trace_path);
	return 0;
}

/* Runs the engine on the trace into m; returns the run's status. */
static int run(const struct tw_engine_cfg *cfg, struct mock *m,
               struct tw_replay_stats *st)
{
	struct tw_engine *e;
	struct tw_errbuf eb;
	const void *arena;
	size_t arena_len;
	int rc;

	assert_int_equal(tw_engine_new(&e, cfg, &eb), 0);
	assert_int_equal(tw_engine_load(e, trace_path, &eb), 0);
	assert_true(tw_engine_arena(e, &arena, &arena_len));
	rc = tw_engine_run(e, &m->b, &eb);
	/* Unchanged frames come straight from the preloaded arena. */
	if (!cfg->amplify_filter && m->n)
		assert_true(m->first >= (const uint8_t *)arena &&
		            m->first < (const uint8_t *)arena + arena_len);
	*st = *tw_engine_stats(e);
	tw_engine_free(e);
	return rc;
}

static struct tw_engine_cfg speedup(const char *x)
{
	struct tw_engine_cfg cfg = { .loops = 1 };

	assert_int_equal(tw_ratio_parse(x, &cfg.sched.speed), 0);
	return cfg;
}

static void test_schedule_and_loops(void **state)
{
	struct tw_engine_cfg cfg = speedup("2");
	struct mock *m = mock_new(false);
	struct tw_replay_stats *st = malloc(sizeof(*st));

	(void)state;
	cfg.loops = 2;
	assert_int_equal(run(&cfg, m, st), 0);
	assert_int_equal(m->n, 20);
	for (unsigned i = 0; i < 20; i++) {
		/* loop 2 starts one mean gap (1 ms) after the last packet */
		int64_t trace =
		        (int64_t)(i % 10) * 1000000 + (i >= 10 ? 10000000 : 0);

		assert_int_equal(m->sched[i], 1000LL * 1000000000 + trace / 2);
	}
	assert_int_equal(st->sent, 20);
	assert_int_equal(st->loops_done, 2);
	assert_int_equal(st->loop[0].sent, 10);
	assert_int_equal(st->loop[1].sent, 10);
	assert_int_equal(st->loop[1].bytes, st->bytes / 2);
	assert_int_equal(st->lateness.count, 0); /* unpaced */
	free(m);
	free(st);
}

static void test_partial_accepts(void **state)
{
	struct tw_engine_cfg cfg = speedup("1");
	struct mock *m = mock_new(false);
	struct tw_replay_stats *st = malloc(sizeof(*st));

	(void)state;
	cfg.sched.mode = TW_SCHED_TOPSPEED;
	m->take = 3;
	m->refuse = 2;
	assert_int_equal(run(&cfg, m, st), 0);
	assert_int_equal(st->sent, 10);
	assert_int_equal(st->failed, 0);
	assert_true(st->retried > 0);
	assert_int_equal(m->n, 10);
	free(m);
	free(st);
}

static void test_refused_and_errors(void **state)
{
	struct tw_engine_cfg cfg = speedup("1");
	struct mock *m = mock_new(false);
	struct tw_replay_stats *st = malloc(sizeof(*st));

	(void)state;
	cfg.sched.mode = TW_SCHED_TOPSPEED;
	m->refuse = 1000000;
	assert_int_equal(run(&cfg, m, st), 0);
	assert_int_equal(st->sent, 0);
	assert_int_equal(st->failed, 10);
	free(m);

	m = mock_new(false);
	m->hard_error_at = 1;
	assert_int_equal(run(&cfg, m, st), TW_EIO);
	free(m);
	free(st);
}

static void test_oversize_limit_filter(void **state)
{
	struct tw_engine_cfg cfg = speedup("1000");
	struct mock *m = mock_new(false);
	struct tw_replay_stats *st = malloc(sizeof(*st));

	(void)state;
	/* IPv4 + UDP headers are 28 bytes: payloads over 472 are too big. */
	m->b.mtu = 500;
	m->b.linktype = TW_LINK_ETHERNET;
	assert_int_equal(run(&cfg, m, st), 0);
	assert_int_equal(st->sent, 5);
	assert_int_equal(st->skipped_oversize, 5);
	free(m);

	m = mock_new(false);
	cfg.limit = 4;
	cfg.loops = 0;
	assert_int_equal(run(&cfg, m, st), 0);
	assert_int_equal(st->sent, 4);
	free(m);

	m = mock_new(false);
	cfg.limit = 0;
	cfg.loops = 1;
	cfg.filter = "udp dst port 53";
	assert_int_equal(run(&cfg, m, st), 0);
	assert_int_equal(st->sent, 4);
	assert_int_equal(st->skipped_filtered, 6);
	free(m);
	free(st);
}

static void test_amplify(void **state)
{
	struct tw_engine_cfg cfg = speedup("1");
	struct mock *m = mock_new(false);
	struct tw_replay_stats *st = malloc(sizeof(*st));

	(void)state;
	cfg.amplify_filter = "udp";
	cfg.amplify_copies = 3;
	assert_int_equal(run(&cfg, m, st), 0);
	assert_int_equal(st->sent, 30);
	assert_int_equal(st->copies, 20);
	for (unsigned i = 0; i < 30; i++) {
		/* aligned: the copies share their original's time */
		assert_int_equal(m->sched[i], m->sched[i - i % 3]);
		assert_int_equal(m->src3[i], i % 3);
	}
	free(m);

	/* Spread: copy j of a packet is j/3 of the way to the next. */
	m = mock_new(false);
	cfg.amplify_spread = true;
	assert_int_equal(run(&cfg, m, st), 0);
	assert_int_equal(st->sent, 30);
	for (unsigned i = 0; i < 27; i++)
		assert_int_equal(m->sched[i] - m->sched[i - i % 3],
		                 (int64_t)(i % 3) * 1000000 / 3);
	free(m);
	free(st);
}

static void test_paced(void **state)
{
	struct tw_engine_cfg cfg = speedup("100");
	struct mock *m = mock_new(true);
	struct tw_replay_stats *st = malloc(sizeof(*st));

	(void)state;
	assert_int_equal(run(&cfg, m, st), 0);
	assert_int_equal(st->sent, 10);
	assert_int_equal(st->lateness.count, 10);
	/* 9 ms of trace at speedup 100: the last is due 90 us in. */
	assert_int_equal(m->sched[9] - m->sched[0], 90000);
	assert_true(st->elapsed_ns >= 90000);
	free(m);
	free(st);
}

/* Shards of 1, 2, 3 and 5: together every packet once, each at its time
 * in the whole run; each flow in one shard. */
static void test_shards(void **state)
{
	static const uint32_t counts[] = { 1, 2, 3, 5 };
	struct tw_engine_cfg cfg = speedup("2");
	struct tw_replay_stats *st = malloc(sizeof(*st));
	struct mock *whole = mock_new(false);
	struct tw_engine *e;
	struct tw_errbuf eb;

	(void)state;
	assert_int_equal(run(&cfg, whole, st), 0);
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		int seen[10] = { 0 };
		int shard_of_port[2] = { -1, -1 };

		for (uint32_t i = 0; i < counts[c]; i++) {
			struct mock *m = mock_new(false);

			cfg.shard_index = i;
			cfg.shard_count = counts[c];
			assert_int_equal(run(&cfg, m, st), 0);
			assert_int_equal(st->sent + st->skipped_filtered, 10);
			for (unsigned k = 0; k < m->n; k++) {
				/* payloads of i * 100 bytes: i is the packet */
				unsigned p = (m->len[k] - whole->len[0]) / 100;
				int *owner = &shard_of_port[p % 3 == 0];

				assert_true(p < 10);
				seen[p]++;
				assert_int_equal(m->sched[k], whole->sched[p]);
				assert_true(*owner < 0 || *owner == (int)i);
				*owner = (int)i;
			}
			free(m);
		}
		for (unsigned p = 0; p < 10; p++)
			assert_int_equal(seen[p], 1);
	}
	cfg.shard_index = 3;
	cfg.shard_count = 3;
	assert_int_equal(tw_engine_new(&e, &cfg, &eb), TW_EINVAL);
	free(whole);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schedule_and_loops),
		cmocka_unit_test(test_partial_accepts),
		cmocka_unit_test(test_refused_and_errors),
		cmocka_unit_test(test_oversize_limit_filter),
		cmocka_unit_test(test_amplify),
		cmocka_unit_test(test_paced),
		cmocka_unit_test(test_shards),
	};

	return cmocka_run_group_tests_name("engine", tests, write_trace,
	                                   remove_trace);
}
