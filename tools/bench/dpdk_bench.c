/*
 * dpdk_bench.c - the driver of tools/bench/dpdk.sh: DPDK replay runs on
 * net_null without the command line, each printing one line of numbers.
 *
 *   dpdk_bench gen FILE MB LEN FLOWS   a trace of LEN-byte UDP frames
 *   dpdk_bench top FILE PACKETS ROUNDS per round, pps: bare loop, 1 and
 *                                      2 lcores, engine, backend alone
 *                                      copying and attaching
 *   dpdk_bench late FILE PPS SECONDS   lateness p50/p99/max in ns at PPS
 *   dpdk_bench rss FILE                peak RSS after preload and a pass
 *   dpdk_bench send EAL FILE LCORES PPS  replay FILE on port 0 of EAL
 *                                      (PPS 0: top speed); prints sent,
 *                                      and sent by lcores 0 and 1
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dpdk/dpdk.h"
#include "replay/engine.h"
#include "trace/bytes.h"
#include "trace/cksum.h"
#include "trace/packet.h"
#include "trace/reader.h"
#include "trace/writer.h"

#define EAL                                              \
	"-l 0-1 --no-huge --no-pci -m 1024 --no-shconf " \
	"--log-level=error --vdev net_null0"

static void die(const char *what, const struct tw_errbuf *eb)
{
	fprintf(stderr, "dpdk_bench: %s: %s\n", what, eb ? eb->msg : "");
	tw_dpdk_fini(); /* no runtime directory left behind */
	exit(1);
}

/* One UDP/IPv4 frame of len bytes (>= 60) of flow f, carrying its
 * number n in the payload's first four bytes. */
static void frame(uint8_t *b, uint32_t len, uint32_t f, uint32_t n)
{
	memset(b, 0, len);
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	tw_put_be16(b + 12, 0x0800);
	b[14] = 0x45;
	tw_put_be16(b + 16, (uint16_t)(len - 14));
	b[22] = 64;
	b[23] = 17;
	memcpy(b + 26, "\xc6\x12\x00\x01\xc6\x13\x00\x02", 8);
	b[28] = (uint8_t)(f >> 8);
	tw_put_be16(b + 24, tw_cksum_ipv4(b + 14, 20));
	tw_put_be16(b + 34, (uint16_t)(10000 + f));
	tw_put_be16(b + 36, 9);
	tw_put_be16(b + 38, (uint16_t)(len - 34));
	tw_put_be32(b + 42, n);
	tw_put_be16(b + 40,
	            tw_cksum_l4(4, b + 26, b + 30, 17, b + 34, len - 34));
}

static int gen(const char *path, uint64_t mb, uint32_t len, uint32_t flows)
{
	struct tw_writer *w;
	uint8_t b[1600];
	char err[256];
	uint32_t id;
	uint64_t bytes = 0, i = 0;

	if (len < 60 || len > sizeof(b) || !flows)
		return 1;
	if (tw_writer_open(&w, path, TW_OUT_PCAP_NS, err, sizeof(err)) < 0 ||
	    tw_writer_add_iface(w, TW_LINK_ETHERNET, 65535, &id) < 0) {
		fprintf(stderr, "dpdk_bench: %s\n", err);
		return 1;
	}
	for (; bytes < mb << 20; i++) {
		/* Mixed sizes when len is 0 mod 1000 ("1000": 64..1500). */
		uint32_t l =
		        len == 1000 ? 64 + (uint32_t)(i * 397 % 1437) : len;

		frame(b, l, (uint32_t)(i % flows), (uint32_t)i);
		if (tw_writer_write(w, id, 1000000000LL + (int64_t)i * 1000, b,
		                    l, l) < 0) {
			fprintf(stderr, "dpdk_bench: %s\n",
			        tw_writer_errmsg(w));
			tw_writer_close(w, err, sizeof(err));
			return 1;
		}
		bytes += l + 16;
	}
	if (tw_writer_close(w, err, sizeof(err)) < 0) {
		fprintf(stderr, "dpdk_bench: %s\n", err);
		return 1;
	}
	return 0;
}

static const struct tw_dpdk_replay_stats *adapter(struct tw_dpdk_replay **r,
                                                  const char *path,
                                                  unsigned lcores,
                                                  uint64_t loops,
                                                  const struct tw_sched_cfg *sc)
{
	struct tw_dpdk_replay_cfg cfg = { 0 };
	struct tw_errbuf eb;

	cfg.port = 0;
	cfg.lcores = lcores;
	cfg.loops = loops;
	cfg.sched = *sc;
	cfg.preload_max = 4ULL << 30;
	if (tw_dpdk_replay_load(r, path, &cfg, &eb) < 0)
		die("load", &eb);
	if (tw_dpdk_replay_run(*r, &eb) < 0)
		die("run", &eb);
	return tw_dpdk_replay_stats(*r);
}

static struct tw_replay_stats engine(const char *path, uint64_t limit,
                                     const struct tw_sched_cfg *sc)
{
	struct tw_dpdk_tx_opts o = { 0 };
	struct tw_engine_cfg cfg = { 0 };
	struct tw_replay_stats st;
	struct tw_backend *b;
	struct tw_engine *e;
	struct tw_errbuf eb;

	cfg.sched = *sc;
	cfg.limit = limit;
	if (tw_dpdk_backend_open(&b, &o, &eb) < 0 ||
	    tw_engine_new(&e, &cfg, &eb) < 0 ||
	    tw_engine_load(e, path, &eb) < 0 || tw_engine_run(e, b, &eb) < 0)
		die("engine", &eb);
	st = *tw_engine_stats(e);
	tw_engine_free(e);
	b->ops->close(b, &eb);
	return st;
}

static int64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double rate(uint64_t n, int64_t ns);

/* The backend alone, no engine: tx_burst over the trace's frames, held
 * in one buffer declared as its arena (attach) or not (copy). */
static double backend_only(const char *path, uint64_t packets, bool attach)
{
	struct tw_dpdk_tx_opts o = { 0 };
	struct tw_txpkt pk[32];
	struct tw_backend *b;
	struct tw_reader *r;
	struct tw_packet p;
	struct tw_errbuf eb;
	uint8_t *buf = malloc(64u << 20);
	size_t off = 0, n = 0, cap = 1 << 20, k = 0;
	struct tw_txpkt *all = malloc(cap * sizeof(*all));
	uint64_t done = 0;
	int64_t t0;

	if (tw_reader_open(&r, path, eb.msg, sizeof(eb.msg)) < 0)
		die("open", &eb);
	while (tw_reader_next(r, &p) > 0 && n < cap &&
	       off + p.caplen <= (64u << 20)) {
		memcpy(buf + off, p.data, p.caplen);
		all[n++] = (struct tw_txpkt){ buf + off, p.caplen, 1, 0 };
		off += p.caplen;
	}
	tw_reader_close(r);
	if (tw_dpdk_backend_open(&b, &o, &eb) < 0 ||
	    (attach && tw_dpdk_backend_set_arena(b, buf, off, &eb) < 0))
		die("backend", &eb);
	t0 = mono();
	while (done < packets) {
		for (unsigned i = 0; i < 32; i++, k = k + 1 == n ? 0 : k + 1)
			pk[i] = all[k];
		done += (uint64_t)b->ops->tx_burst(b, pk, 32);
	}
	t0 = mono() - t0;
	b->ops->close(b, &eb);
	free(all);
	free(buf);
	return rate(done, t0);
}

static double rate(uint64_t n, int64_t ns)
{
	return ns > 0 ? (double)n * 1e9 / (double)ns : 0;
}

/* One round: bare loop, 1 lcore, 2 lcores, engine, backend alone
 * (copy, attach); rounds interleave so that load from other jobs
 * touches every variant alike. */
static void top_round(const char *path, uint64_t packets, uint64_t loops)
{
	struct tw_sched_cfg sc = { .mode = TW_SCHED_TOPSPEED };
	const struct tw_dpdk_replay_stats *st;
	struct tw_dpdk_replay *r;
	struct tw_replay_stats es;
	struct tw_errbuf eb;
	double bare, one, two;

	if (tw_dpdk_bare_tx(0, path, packets, 32, &bare, &eb) < 0)
		die("bare", &eb);
	st = adapter(&r, path, 1, loops, &sc);
	one = rate(st->sent, st->elapsed_ns);
	tw_dpdk_replay_free(r);
	st = adapter(&r, path, 2, loops, &sc);
	two = rate(st->sent, st->elapsed_ns);
	tw_dpdk_replay_free(r);
	es = engine(path, packets, &sc);
	printf("%.0f %.0f %.0f %.0f %.0f %.0f\n", bare, one, two,
	       rate(es.sent, es.elapsed_ns), backend_only(path, packets, false),
	       backend_only(path, packets, true));
	fflush(stdout);
}

static int top(const char *path, uint64_t packets, unsigned rounds)
{
	struct tw_sched_cfg sc = { .mode = TW_SCHED_TOPSPEED };
	const struct tw_dpdk_replay_stats *st;
	struct tw_dpdk_replay *r;
	uint64_t n;

	st = adapter(&r, path, 1, 1, &sc);
	n = st->packets;
	tw_dpdk_replay_free(r);
	for (unsigned i = 0; i < rounds; i++)
		top_round(path, packets, packets / n ? packets / n : 1);
	return 0;
}

static int late(const char *path, uint64_t pps, uint64_t seconds)
{
	struct tw_sched_cfg sc = { .mode = TW_SCHED_PPS };
	const struct tw_dpdk_replay_stats *st;
	struct tw_dpdk_replay *r;
	struct tw_replay_stats es;
	uint64_t n, loops;

	sc.pps = (struct tw_ratio){ pps, 1 };
	st = adapter(&r, path, 1, 1,
	             &(struct tw_sched_cfg){ .mode = TW_SCHED_TOPSPEED });
	n = st->packets;
	tw_dpdk_replay_free(r);
	loops = (pps * seconds + n - 1) / n;
	st = adapter(&r, path, 1, loops, &sc);
	printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %.0f ",
	       tw_hist_percentile(&st->lateness, 50),
	       tw_hist_percentile(&st->lateness, 99), st->lateness.max,
	       rate(st->sent, st->elapsed_ns));
	tw_dpdk_replay_free(r);
	es = engine(path, pps * seconds, &sc);
	printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %.0f\n",
	       tw_hist_percentile(&es.lateness, 50),
	       tw_hist_percentile(&es.lateness, 99), es.lateness.max,
	       rate(es.sent, es.elapsed_ns));
	return 0;
}

/* The e2e tests' sender: the preloaded replay on port 0 of the EAL
 * given, at top speed or a packet rate. */
static int send_trace(const char *path, unsigned lcores, uint64_t pps)
{
	struct tw_sched_cfg sc = { .mode = pps ? TW_SCHED_PPS
		                               : TW_SCHED_TOPSPEED };
	const struct tw_dpdk_replay_stats *st;
	struct tw_dpdk_replay *r;

	sc.pps = (struct tw_ratio){ pps, 1 };
	st = adapter(&r, path, lcores, 1, &sc);
	printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", st->sent,
	       st->lcore[0].sent, st->n_lcores > 1 ? st->lcore[1].sent : 0);
	tw_dpdk_replay_free(r);
	return 0;
}

static uint64_t hwm_kb(void)
{
	char line[256];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %llu", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int rss(const char *path)
{
	struct tw_sched_cfg sc = { .mode = TW_SCHED_TOPSPEED };
	const struct tw_dpdk_replay_stats *st;
	struct tw_dpdk_replay *r;
	uint64_t before = hwm_kb();

	st = adapter(&r, path, 1, 1, &sc);
	printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
	       st->preload_bytes, st->packets, hwm_kb(), before);
	tw_dpdk_replay_free(r);
	return 0;
}

int main(int argc, char **argv)
{
	struct tw_errbuf eb;
	int rc;

	if (argc >= 6 && !strcmp(argv[1], "gen"))
		return gen(argv[2], strtoull(argv[3], NULL, 10),
		           (uint32_t)strtoul(argv[4], NULL, 10),
		           (uint32_t)strtoul(argv[5], NULL, 10));
	if (argc < 3) {
		fprintf(stderr, "usage: see dpdk_bench.c\n");
		return 1;
	}
	if (!strcmp(argv[1], "send") && argc >= 6) {
		if (tw_dpdk_init(argv[2], &eb) < 0)
			die("EAL", &eb);
		rc = send_trace(argv[3], (unsigned)strtoul(argv[4], NULL, 10),
		                strtoull(argv[5], NULL, 10));
		tw_dpdk_fini();
		return rc;
	}
	if (tw_dpdk_init(EAL, &eb) < 0)
		die("EAL", &eb);
	if (!strcmp(argv[1], "top") && argc >= 5)
		rc = top(argv[2], strtoull(argv[3], NULL, 10),
		         (unsigned)strtoul(argv[4], NULL, 10));
	else if (!strcmp(argv[1], "late") && argc >= 5)
		rc = late(argv[2], strtoull(argv[3], NULL, 10),
		          strtoull(argv[4], NULL, 10));
	else if (!strcmp(argv[1], "rss"))
		rc = rss(argv[2]);
	else
		rc = 1;
	tw_dpdk_fini();
	return rc;
}
