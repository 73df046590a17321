/*
 * test_dpdk_rx.c - capture from a DPDK port into trace/writer.h: a
 * net_pcap port reading rx_pcap=FILE gives back every frame of the file
 * in order; two rx_pcap files are two RX queues, both drained; a snaplen
 * cuts frames and keeps their wire length; the packet limit holds; an
 * output error ends the capture with its code, and so does the tick's.
 * A net_ring port (each TX queue loops back to its RX queue) captures
 * what the preloaded replay sent; when nothing drains it, the replay
 * gives up after TW_DPDK_STALL_NS and counts the rest as failed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dpdk/dpdk.h"
#include "dpdk_testlib.h"
#include "trace/packet.h"
#include "trace/writer.h"

static struct dt_trace trace;
static unsigned seq;

static int suite_setup(void **state)
{
	(void)state;
	if (dt_eal_start(1) < 0)
		return -1;
	dt_trace_make(&trace, 500, 5, 1000);
	return 0;
}

static int suite_teardown(void **state)
{
	(void)state;
	dt_trace_free(&trace);
	tw_dpdk_fini();
	return 0;
}

struct sink {
	struct tw_writer *w;
	uint32_t iface;
	unsigned calls;
	int fail_at; /* call that fails, 0 = never */
	unsigned ticks;
	unsigned tick_fail_at; /* tick that fails, 0 = never */
};

static int on_tick(void *arg, int64_t wall_ns)
{
	struct sink *s = arg;

	assert_true(wall_ns > 1600000000LL * 1000000000LL);
	if (++s->ticks == s->tick_fail_at)
		return TW_EIO;
	return tw_writer_flush(s->w);
}

static int to_writer(void *arg, int64_t ts_ns, const uint8_t *data,
                     uint32_t caplen, uint32_t wirelen)
{
	struct sink *s = arg;

	if (s->fail_at && ++s->calls == (unsigned)s->fail_at)
		return TW_EIO;
	return tw_writer_write(s->w, s->iface, ts_ns, data, caplen, wirelen);
}

/* Captures from a port reading files into out; returns the status. */
static int capture_port(uint16_t port, unsigned queues, uint32_t snaplen,
                        uint64_t max, struct sink *s, const char *out,
                        struct tw_dpdk_rx_stats *st)
{
	struct tw_dpdk_rx_opts o = { 0 };
	struct tw_errbuf eb;
	char err[256];
	int rc;

	o.port = port;
	assert_int_equal(
	        tw_writer_open(&s->w, out, TW_OUT_PCAPNG, err, sizeof(err)), 0);
	assert_int_equal(tw_writer_add_iface(s->w, TW_LINK_ETHERNET,
	                                     snaplen ? snaplen : 65535,
	                                     &s->iface),
	                 0);
	o.queues = (uint16_t)queues;
	o.snaplen = snaplen;
	o.max_packets = max;
	o.idle_ns = 300000000;
	o.duration_ns = 10000000000LL;
	o.tick = on_tick;
	o.tick_ns = 50000000;
	rc = tw_dpdk_capture(&o, to_writer, s, st, &eb);
	assert_int_equal(tw_writer_close(s->w, err, sizeof(err)), 0);
	return rc;
}

static int capture(const char *files, unsigned queues, uint32_t snaplen,
                   uint64_t max, int fail_at, const char *out,
                   struct tw_dpdk_rx_stats *st)
{
	struct tw_dpdk_rx_opts o = { 0 };
	struct sink s = { .fail_at = fail_at };
	struct tw_errbuf eb;
	char devargs[512], err[256];
	int rc;

	snprintf(devargs, sizeof(devargs), "net_pcap_c%u,%s", seq++, files);
	if (tw_dpdk_port_attach(devargs, &o.port, &eb) < 0)
		fail_msg("%s", eb.msg);
	assert_int_equal(
	        tw_writer_open(&s.w, out, TW_OUT_PCAPNG, err, sizeof(err)), 0);
	assert_int_equal(tw_writer_add_iface(s.w, TW_LINK_ETHERNET,
	                                     snaplen ? snaplen : 65535,
	                                     &s.iface),
	                 0);
	o.queues = (uint16_t)queues;
	o.snaplen = snaplen;
	o.max_packets = max;
	o.idle_ns = 200000000;
	o.duration_ns = 10000000000LL;
	rc = tw_dpdk_capture(&o, to_writer, &s, st, &eb);
	assert_int_equal(tw_writer_close(s.w, err, sizeof(err)), 0);
	assert_int_equal(tw_dpdk_port_detach(o.port, &eb), 0);
	return rc;
}

static void out_path(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/tw_dpdk_rx_%ld_%u.pcapng", (long)getpid(),
	         seq);
}

static void test_one_queue_exact(void **state)
{
	struct tw_dpdk_rx_stats st;
	struct dt_capture *c = calloc(1, sizeof(*c));
	char files[128], out[128];

	(void)state;
	snprintf(files, sizeof(files), "rx_pcap=%s", trace.path);
	out_path(out, sizeof(out));
	assert_int_equal(capture(files, 1, 0, 0, 0, out, &st), 0);
	assert_int_equal(st.packets, trace.n);
	assert_int_equal(st.port.ipackets, trace.n);
	assert_int_equal(dt_capture_read(c, out), 0);
	assert_int_equal(c->n, trace.n);
	for (unsigned i = 0; i < trace.n; i++) {
		assert_int_equal(c->len[i], trace.len[i]);
		assert_memory_equal(c->frame[i], trace.frame[i], trace.len[i]);
	}
	dt_capture_free(c);
	free(c);
	unlink(out);
}

static void test_two_queues(void **state)
{
	struct tw_dpdk_rx_stats st;
	struct dt_capture *c = calloc(1, sizeof(*c));
	char files[256], out[128];
	unsigned next[2][8] = { { 0 } };

	(void)state;
	snprintf(files, sizeof(files), "rx_pcap=%s,rx_pcap=%s", trace.path,
	         trace.path);
	out_path(out, sizeof(out));
	assert_int_equal(capture(files, 2, 0, 0, 0, out, &st), 0);
	assert_int_equal(st.packets, 2 * trace.n);
	assert_int_equal(st.queue_packets[0], trace.n);
	assert_int_equal(st.queue_packets[1], trace.n);
	assert_int_equal(dt_capture_read(c, out), 0);
	assert_int_equal(c->n, 2 * trace.n);
	/* Each flow's packets arrive twice, each copy in order. */
	for (unsigned i = 0; i < c->n; i++) {
		unsigned f = dt_flow_of(c->frame[i]),
		         s = dt_seq_of(c->frame[i]);
		unsigned k = next[0][f] == s ? 0 : 1;

		assert_true(f < 8);
		assert_int_equal(next[k][f], s);
		next[k][f]++;
	}
	dt_capture_free(c);
	free(c);
	unlink(out);
}

static void test_snaplen_and_limit(void **state)
{
	struct tw_dpdk_rx_stats st;
	struct dt_capture *c = calloc(1, sizeof(*c));
	char files[128], out[128];
	uint64_t cut = 0;

	(void)state;
	snprintf(files, sizeof(files), "rx_pcap=%s", trace.path);
	out_path(out, sizeof(out));
	assert_int_equal(capture(files, 1, 64, 100, 0, out, &st), 0);
	assert_int_equal(st.packets, 100);
	for (unsigned i = 0; i < 100; i++)
		cut += trace.len[i] > 64;
	assert_int_equal(st.cut, cut);
	assert_int_equal(dt_capture_read(c, out), 0);
	assert_int_equal(c->n, 100);
	for (unsigned i = 0; i < 100; i++) {
		uint32_t want = trace.len[i] > 64 ? 64 : trace.len[i];

		assert_int_equal(c->len[i], want);
		assert_memory_equal(c->frame[i], trace.frame[i], want);
	}
	dt_capture_free(c);
	free(c);
	unlink(out);
}

static void test_output_error(void **state)
{
	struct tw_dpdk_rx_stats st;
	char files[128], out[128];

	(void)state;
	snprintf(files, sizeof(files), "rx_pcap=%s", trace.path);
	out_path(out, sizeof(out));
	assert_int_equal(capture(files, 1, 0, 0, 10, out, &st), TW_EIO);
	assert_int_equal(st.packets, 10);
	unlink(out);
}

static int count_frame(void *arg, int64_t ts_ns, const uint8_t *data,
                       uint32_t caplen, uint32_t wirelen)
{
	unsigned *n = arg;

	(void)ts_ns;
	assert_int_equal(caplen, wirelen);
	assert_memory_equal(data, trace.frame[*n], caplen);
	(*n)++;
	return 0;
}

/* The pieces a front end's own loop uses: dispatch never hands more
 * than asked for, never waits, and the stats add up. */
static void test_dispatch(void **state)
{
	struct tw_dpdk_rx_opts o = { 0 };
	struct tw_dpdk_rx_stats st;
	struct tw_dpdk_rx *rx;
	struct tw_errbuf eb;
	char devargs[256];
	unsigned n = 0, idle = 0;

	(void)state;
	snprintf(devargs, sizeof(devargs), "net_pcap_c%u,rx_pcap=%s", seq++,
	         trace.path);
	assert_int_equal(tw_dpdk_port_attach(devargs, &o.port, &eb), 0);
	assert_int_equal(tw_dpdk_rx_open(&rx, &o, &eb), 0);
	while (n < trace.n && idle < 100000) {
		int k = tw_dpdk_rx_dispatch(rx, 7, count_frame, &n);

		assert_true(k >= 0 && k <= 7);
		idle = k ? 0 : idle + 1;
	}
	assert_int_equal(n, trace.n);
	assert_int_equal(tw_dpdk_rx_dispatch(rx, 7, count_frame, &n), 0);
	tw_dpdk_rx_stats(rx, &st);
	assert_int_equal(st.packets, trace.n);
	assert_int_equal(st.port.ipackets, trace.n);
	tw_dpdk_rx_close(rx);
	assert_int_equal(tw_dpdk_port_detach(o.port, &eb), 0);
}

/* Ticks come while the port is idle; a failing tick ends the capture
 * with its code. */
static void test_tick(void **state)
{
	struct tw_dpdk_rx_stats st;
	struct sink s = { .tick_fail_at = 3 };
	struct tw_errbuf eb;
	char out[128];
	uint16_t port;

	(void)state;
	out_path(out, sizeof(out));
	assert_int_equal(tw_dpdk_port_attach("net_null_c0", &port, &eb), 0);
	assert_int_equal(capture_port(port, 1, 0, 0, &s, out, &st), TW_EIO);
	assert_int_equal(s.ticks, 3);
	assert_int_equal(tw_dpdk_port_detach(port, &eb), 0);
	unlink(out);
}

static struct tw_dpdk_replay *replay_into(uint16_t port, const char *path,
                                          struct tw_dpdk_replay_stats *st)
{
	struct tw_dpdk_replay_cfg cfg = { 0 };
	struct tw_dpdk_replay *r;
	struct tw_errbuf eb;

	cfg.port = port;
	cfg.lcores = 1;
	cfg.sched.mode = TW_SCHED_TOPSPEED;
	if (tw_dpdk_replay_load(&r, path, &cfg, &eb) < 0 ||
	    tw_dpdk_replay_run(r, &eb) < 0)
		fail_msg("%s", eb.msg);
	*st = *tw_dpdk_replay_stats(r);
	return r;
}

/* Replay into a net_ring port, capture from it: the same frames. */
static void test_ring_loop(void **state)
{
	struct tw_dpdk_replay_stats *rs = calloc(1, sizeof(*rs));
	struct dt_capture *c = calloc(1, sizeof(*c));
	struct tw_dpdk_rx_stats st;
	struct tw_dpdk_replay *r;
	struct sink s = { 0 };
	struct tw_errbuf eb;
	char out[128];
	uint16_t port;

	(void)state;
	out_path(out, sizeof(out));
	assert_int_equal(tw_dpdk_port_attach("net_ring_c0", &port, &eb), 0);
	/* The replay's mbufs wait in the ring: free it after capture. */
	r = replay_into(port, trace.path, rs);
	assert_int_equal(rs->sent, trace.n);
	assert_int_equal(rs->failed, 0);
	assert_int_equal(capture_port(port, 1, 0, 0, &s, out, &st), 0);
	tw_dpdk_replay_free(r);
	assert_int_equal(st.packets, trace.n);
	assert_int_equal(dt_capture_read(c, out), 0);
	assert_int_equal(c->n, trace.n);
	for (unsigned i = 0; i < trace.n; i++)
		assert_memory_equal(c->frame[i], trace.frame[i], trace.len[i]);
	assert_int_equal(tw_dpdk_port_detach(port, &eb), 0);
	dt_capture_free(c);
	free(c);
	free(rs);
	unlink(out);
}

/* 2000 frames into a ring of 1023 that nothing drains: the replay
 * stops trying after the stall limit; sent + failed is the whole. */
static void test_ring_stall(void **state)
{
	struct tw_dpdk_replay_stats *rs = calloc(1, sizeof(*rs));
	struct dt_trace *big = calloc(1, sizeof(*big));
	struct tw_dpdk_rx_stats st;
	struct tw_dpdk_replay *r;
	struct sink s = { 0 };
	struct tw_errbuf eb;
	char out[128];
	uint16_t port;

	(void)state;
	dt_trace_make(big, 2000, 3, 1000);
	out_path(out, sizeof(out));
	assert_int_equal(tw_dpdk_port_attach("net_ring_c1", &port, &eb), 0);
	r = replay_into(port, big->path, rs);
	assert_true(rs->sent > 0 && rs->sent < 2000);
	assert_int_equal(rs->sent + rs->failed, 2000);
	assert_int_equal(capture_port(port, 1, 0, 0, &s, out, &st), 0);
	tw_dpdk_replay_free(r);
	assert_int_equal(st.packets, rs->sent);
	assert_int_equal(tw_dpdk_port_detach(port, &eb), 0);
	dt_trace_free(big);
	free(big);
	free(rs);
	unlink(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_queue_exact),
		cmocka_unit_test(test_two_queues),
		cmocka_unit_test(test_snaplen_and_limit),
		cmocka_unit_test(test_output_error),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_tick),
		cmocka_unit_test(test_ring_loop),
		cmocka_unit_test(test_ring_stall),
	};
	const char *skip = dt_skip_reason();

	if (skip) {
		printf("[ SKIPPED  ] test_dpdk_rx: %s\n", skip);
		return 0;
	}
	return cmocka_run_group_tests_name("dpdk_rx", tests, suite_setup,
	                                   suite_teardown);
}
