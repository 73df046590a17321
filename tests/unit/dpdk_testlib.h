/*
 * dpdk_testlib.h - what the DPDK suites share: the EAL started once per
 * suite without hugepages or PCI, a synthetic trace of several UDP flows
 * whose frames are kept for comparison, and readers of what a net_pcap
 * port wrote.  The suites run under ASan and UBSan too (DPDK's own
 * libraries are not instrumented; the inline mbuf code is).
 */
#ifndef TW_TEST_DPDK_TESTLIB_H
#define TW_TEST_DPDK_TESTLIB_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dpdk/dpdk.h"
#include "pktbuild.h"
#include "trace/reader.h"

#define DT_MAX_PKTS 4096
#define DT_MAX_FRAME 4096

/* A trace written to disk, with its frames kept. */
struct dt_trace {
	char path[64];
	unsigned n;
	uint32_t len[DT_MAX_PKTS];
	uint16_t flow[DT_MAX_PKTS]; /* flow number (source port - 40000) */
	uint16_t seq[DT_MAX_PKTS];  /* packet number inside its flow */
	int64_t ts[DT_MAX_PKTS];
	uint8_t *frame[DT_MAX_PKTS];
};

/* Why the suite cannot run here, or NULL. */
static inline const char *dt_skip_reason(void)
{
	if (!tw_dpdk_available())
		return "built without DPDK";
	if (access("/usr/lib/x86_64-linux-gnu/dpdk", F_OK) != 0 &&
	    access("/usr/local/lib/dpdk", F_OK) != 0)
		return "no DPDK drivers installed";
	return NULL;
}

/* True when the machine is quiet enough (1-minute load under 1) for
 * timing to be judged; other jobs preempt the lcores otherwise. */
static inline bool dt_machine_quiet(void)
{
	double load = 99;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &load) != 1)
			load = 99;
		fclose(f);
	}
	return load < 1.0;
}

/*
 * Starts the EAL with n lcores and no devices.  The lcores are mapped
 * onto the CPUs this process may run on ("--lcores 0@2,1@3"), sharing
 * one when there are fewer, so the suites run in any cpuset.
 */
static inline int dt_eal_start(unsigned n)
{
	char args[256], map[96] = "";
	struct tw_errbuf eb;
	cpu_set_t cpus;
	int cpu[8], ncpu = 0, rc;

	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
		for (int c = 0; c < CPU_SETSIZE && ncpu < 8; c++)
			if (CPU_ISSET(c, &cpus))
				cpu[ncpu++] = c;
	if (!ncpu)
		cpu[ncpu++] = 0;
	for (unsigned l = 0; l < n && l < 8; l++) {
		size_t k = strlen(map);

		snprintf(map + k, sizeof(map) - k, "%s%u@%d", l ? "," : "", l,
		         cpu[l % (unsigned)ncpu]);
	}
	snprintf(args, sizeof(args),
	         "--lcores %s --no-huge --no-pci -m 512 --no-shconf "
	         "--log-level=error --file-prefix=twtest%ld",
	         map, (long)getpid());
	rc = tw_dpdk_init(args, &eb);
	if (rc < 0)
		fprintf(stderr, "EAL: %s\n", eb.msg);
	return rc;
}

/*
 * Writes a classic pcap (ns) of n UDP packets over flows flows, round
 * robin, gap_ns apart, sizes varying; packet i of flow f carries
 * (f, seq) in its payload's first bytes.
 */
static inline void dt_trace_make(struct dt_trace *t, unsigned n, unsigned flows,
                                 int64_t gap_ns)
{
	uint32_t hdr[6] = { 0xa1b23c4d, 0x00040002, 0, 0, 65535, 1 };
	uint16_t seq[1024] = { 0 };
	FILE *f;
	int fd;

	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "/tmp/tw_dpdk_XXXXXX");
	fd = mkstemp(t->path);
	f = fdopen(fd, "wb");
	fwrite(hdr, sizeof(hdr), 1, f);
	for (unsigned i = 0; i < n && i < DT_MAX_PKTS; i++) {
		unsigned fl = i % flows;
		struct pkt_spec s = { .version = 4,
			              .proto = 17,
			              .src = { 198, 18, 0, (uint8_t)(1 + fl) },
			              .dst = { 198, 19, 0, 2 },
			              .sport = (uint16_t)(40000 + fl),
			              .dport = 9,
			              .payload =
			                      (uint16_t)(18 + (i * 37) % 900),
			              .fill = (uint8_t)i };
		uint8_t *buf = malloc(DT_MAX_FRAME);
		int64_t ts = 1000000000LL + (int64_t)i * gap_ns;
		uint32_t len, rec[4];

		pkt_build(&s, buf);
		/* Flow and sequence in the payload, checksum redone. */
		buf[42] = (uint8_t)(fl >> 8);
		buf[43] = (uint8_t)fl;
		buf[44] = (uint8_t)(seq[fl] >> 8);
		buf[45] = (uint8_t)seq[fl];
		buf[40] = buf[41] = 0;
		len = 42 + s.payload;
		{
			uint16_t c = ref_fold(
			        ref_sum(ref_pseudo(buf + 14, 4, 17, len - 34),
			                buf + 34, len - 34));

			put16(buf + 40, c ? c : 0xffff);
		}
		rec[0] = (uint32_t)(ts / 1000000000LL);
		rec[1] = (uint32_t)(ts % 1000000000LL);
		rec[2] = rec[3] = len;
		fwrite(rec, sizeof(rec), 1, f);
		fwrite(buf, len, 1, f);
		t->len[i] = len;
		t->flow[i] = (uint16_t)fl;
		t->seq[i] = seq[fl]++;
		t->ts[i] = ts;
		t->frame[i] = buf;
		t->n++;
	}
	fclose(f);
}

static inline void dt_trace_free(struct dt_trace *t)
{
	unlink(t->path);
	for (unsigned i = 0; i < t->n; i++)
		free(t->frame[i]);
	t->n = 0;
}

/* What a file holds: frames and timestamps, in file order. */
struct dt_capture {
	unsigned n;
	uint32_t len[DT_MAX_PKTS * 4];
	int64_t ts[DT_MAX_PKTS * 4];
	uint8_t *frame[DT_MAX_PKTS * 4];
};

static inline int dt_capture_read(struct dt_capture *c, const char *path)
{
	struct tw_reader *r;
	struct tw_packet p;
	char err[256];
	int rc;

	memset(c, 0, sizeof(*c));
	if (tw_reader_open(&r, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	while ((rc = tw_reader_next(r, &p)) > 0 && c->n < DT_MAX_PKTS * 4) {
		c->len[c->n] = p.caplen;
		c->ts[c->n] = p.ts_ns;
		c->frame[c->n] = malloc(p.caplen ? p.caplen : 1);
		memcpy(c->frame[c->n], p.data, p.caplen);
		c->n++;
	}
	tw_reader_close(r);
	return rc;
}

static inline void dt_capture_free(struct dt_capture *c)
{
	for (unsigned i = 0; i < c->n; i++)
		free(c->frame[i]);
	c->n = 0;
}

/* Flow and sequence numbers a frame of dt_trace_make() carries. */
static inline unsigned dt_flow_of(const uint8_t *f)
{
	return (unsigned)(f[42] << 8 | f[43]);
}

static inline unsigned dt_seq_of(const uint8_t *f)
{
	return (unsigned)(f[44] << 8 | f[45]);
}

/*
 * Asks tshark (the independent judge) for "frame.len udp.srcport" of
 * each frame of path; returns how many lines matched the expected
 * lengths and ports in order, -1 when tshark is missing.
 */
static inline int dt_tshark_match(const char *path, const uint32_t *len,
                                  const uint16_t *sport, unsigned n)
{
	char cmd[512], line[256];
	FILE *p;
	unsigned i = 0;
	int ok = 0;

	if (system("command -v tshark >/dev/null 2>&1") != 0)
		return -1;
	snprintf(cmd, sizeof(cmd),
	         "tshark -n -r '%s' -T fields -e frame.len -e udp.srcport "
	         "2>/dev/null",
	         path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		unsigned l = 0, sp = 0;

		if (sscanf(line, "%u %u", &l, &sp) == 2 && i < n &&
		    l == len[i] && sp == sport[i])
			ok++;
		i++;
	}
	pclose(p);
	return i == n ? ok : -2;
}

#endif
