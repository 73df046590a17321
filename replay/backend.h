/*
 * backend.h - where a replay's packets go: one small table of function
 * pointers, so the engine never knows which port it drives.
 *
 * A backend is created by its own constructor (the arguments differ: a
 * file name, an interface, a DPDK port) and from then on used only
 * through its ops.  It says in its struct whether it is paced in real
 * time, which link type it accepts and the largest frame it can carry;
 * the engine does the skipping, counting and pacing.
 *
 * Backends here: file (backend_file.c, the dry run) and AF_PACKET
 * (backend_afpacket.c).  DPDK (dpdk/) fills the same table.
 */
#ifndef TW_BACKEND_H
#define TW_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "trace/error.h"

/* One packet offered to a backend. */
struct tw_txpkt {
	const uint8_t *data;
	uint32_t len;      /* bytes of the frame */
	uint32_t linktype; /* LINKTYPE_ value of data */
	int64_t sched_ns;  /* when it is due: CLOCK_MONOTONIC ns for a paced
	                      backend, trace time for an unpaced one */
};

/* What the port itself counts, where it can tell. */
struct tw_backend_stats {
	uint64_t port_dropped; /* frames the port dropped after accepting */
};

struct tw_backend;

struct tw_backend_ops {
	const char *name;

	/*
	 * Sends pkts[0..n) in order.  Returns how many were accepted, a
	 * prefix (0..n): the rest may be offered again later.  A negative
	 * TW_E* code is a hard failure (message in b->err) that ends the
	 * replay.  The data need not outlive the call.
	 */
	int (*tx_burst)(struct tw_backend *b, const struct tw_txpkt *pkts,
	                unsigned n);

	/* Pushes out what was accepted.  Returns 0 or a TW_E* code. */
	int (*flush)(struct tw_backend *b);

	/* Fills st; may be called at any time (on the replay's thread). */
	void (*stats)(struct tw_backend *b, struct tw_backend_stats *st);

	/* Flushes and frees b.  Returns 0 or the first error met (the
	 * message is then in eb). */
	int (*close)(struct tw_backend *b, struct tw_errbuf *eb);
};

struct tw_backend {
	const struct tw_backend_ops *ops;
	bool paced;        /* true: sched_ns is real time and the engine
	                      waits for it; false: a virtual clock that
	                      starts at the trace's first timestamp */
	uint32_t linktype; /* the only link type accepted, 0 = any */
	uint32_t mtu;      /* largest layer-3 packet of an Ethernet frame
	                      (without its 14-byte header and any VLAN
	                      tags), 0 = no limit */
	unsigned burst;    /* packets per tx_burst call that suit it */
	struct tw_errbuf err;
};

/*
 * The file backend: writes each packet with its scheduled time as its
 * timestamp, one interface per link type met.  Returns 0 and *out, or
 * TW_EIO / TW_ENOMEM with the message in eb.
 */
int tw_backend_file_open(struct tw_backend **out, const char *path,
                         int out_format, struct tw_errbuf *eb);

/* Options of the AF_PACKET backend. */
struct tw_afpacket_opts {
	bool no_qdisc_bypass; /* go through the interface's qdisc */
	bool sendmmsg;        /* sendmmsg() instead of PACKET_TX_RING */
	unsigned ring_frames; /* TX ring size, 0 = default */
};

/*
 * The AF_PACKET backend on interface ifname (Ethernet).  Returns 0 and
 * *out, or TW_EIO (no such interface, no permission) / TW_ENOMEM with the
 * message in eb.
 */
int tw_backend_afpacket_open(struct tw_backend **out, const char *ifname,
                             const struct tw_afpacket_opts *opts,
                             struct tw_errbuf *eb);

#endif
