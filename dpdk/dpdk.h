/*
 * dpdk.h - tracewarp's DPDK side, in plain C: the front end and the
 * replay code call it without seeing a DPDK header.
 *
 * What is here: EAL start-up from one argument string, ports (look-up,
 * hot-plugged virtual devices, counters, xstats), the replay backend
 * that fills replay/backend.h's table, a multi-lcore replay of a
 * preloaded trace (zero-copy, one TX queue and one disjoint flow set per
 * lcore, all paced against one shared TSC start), and a capture loop
 * (RSS over several RX queues) that hands packets to a callback.
 *
 * Without DPDK at build time (TW_HAVE_DPDK undefined) every entry point
 * below is an inline fallback that fails with TW_EUNSUP and the message
 * TW_DPDK_UNAVAILABLE, so callers need no #ifdef of their own.
 *
 * Errors: TW_EINVAL (bad arguments, unknown port), TW_ESTATE (EAL not
 * started, or started twice), TW_EIO (DPDK refused: the message says
 * what was attempted and DPDK's reason), TW_ENOMEM, TW_EUNSUP.
 */
#ifndef TW_DPDK_H
#define TW_DPDK_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replay/backend.h"
#include "replay/hist.h"
#include "replay/rewrite.h"
#include "replay/schedule.h"
#include "trace/error.h"

#define TW_DPDK_UNAVAILABLE \
	"--dpdk is unavailable: tracewarp was built without DPDK (libdpdk)"

/* A TX queue that takes nothing for this long: its burst is dropped
 * and counted as failed, so a stuck port cannot hang a replay. */
#define TW_DPDK_STALL_NS 1000000000LL

/* Lcores a multi-lcore replay or a capture can use. */
#define TW_DPDK_MAX_LCORES 64

/* ---- ports --------------------------------------------------------- */

struct tw_dpdk_port_info {
	char name[64];
	char driver[32];
	uint16_t max_tx_queues, max_rx_queues;
	uint32_t mtu;       /* current MTU (layer 3) */
	bool multiseg;      /* chained mbufs can be sent */
	bool tx_ipv4_cksum; /* offloads the port offers */
	bool tx_l4_cksum;
	bool rss;
};

/* The port's own counters (rte_eth_stats), since the port was set up. */
struct tw_dpdk_counters {
	uint64_t opackets, obytes, oerrors;
	uint64_t ipackets, ibytes, imissed, ierrors, rx_nombuf;
};

/* ---- the replay backend --------------------------------------------- */

struct tw_dpdk_tx_opts {
	uint16_t port;
	unsigned burst;      /* packets per rte_eth_tx_burst, 0 = 32 */
	unsigned pool_mbufs; /* mbufs in the pool, 0 = 8191 */
	bool fix_cksum;      /* recompute IPv4, TCP and UDP checksums:
	                        by the port where offered, else here */
	bool no_offload;     /* use no offload, even where offered */
};

/* How the backend built what it sent. */
struct tw_dpdk_tx_counts {
	uint64_t copied;    /* frames copied into an mbuf */
	uint64_t zerocopy;  /* frames attached without a copy */
	uint64_t cksum_hw;  /* checksums left to the port */
	uint64_t cksum_sw;  /* checksums computed here */
	uint64_t nombuf;    /* bursts cut short by an empty pool */
	uint64_t port_full; /* frames the port refused (queue full) */
};

/* ---- multi-lcore replay of a preloaded trace ------------------------ */

struct tw_dpdk_replay_cfg {
	uint16_t port;
	unsigned lcores;            /* TX lcores, 0 = every EAL lcore */
	struct tw_sched_cfg sched;  /* as the engine's */
	uint64_t loops;             /* passes, 0 = 1 */
	uint32_t copies;            /* amplification: each packet of the
	                              selected flows N times, copy j with
	                              its client's address shifted by
	                              j * 256 (a distinct flow); 0 = 1 */
	const char *amplify_filter; /* BPF of the flows to amplify, NULL =
	                               every IP flow */
	bool unique_ip;             /* every loop a distinct set of flows:
	                               shift loop * copies + j, as
	                               replay/amplify.h */
	bool spread;                /* at a speedup, copy j leaves j/N of
	                               the way to the next packet */
	const char *filter;         /* BPF of the packets sent, NULL = all */
	const struct tw_rewrite *rewrite; /* applied once, in place, while
	                                     loading; NULL = none */
	unsigned burst;                   /* 0 = 32 */
	uint64_t flow_seed;               /* flow hash key */
	uint64_t preload_max;             /* bytes, 0 = 1 GiB */
	int64_t lead_ns;                  /* start this long after launch,
	                              0 = 1 ms */
	volatile sig_atomic_t *stop;
};

struct tw_dpdk_lcore_stats {
	unsigned lcore; /* EAL lcore id */
	uint16_t queue; /* TX queue */
	uint64_t flows; /* flows it owns */
	uint64_t sent, bytes;
	uint64_t retried; /* sends the queue refused at first */
	uint64_t nombuf;  /* waits for an mbuf */
	uint64_t failed;  /* dropped: the port took nothing for
	                     TW_DPDK_STALL_NS */
};

struct tw_dpdk_replay_stats {
	uint64_t packets;          /* loaded */
	uint64_t skipped_filtered; /* not selected by the filter */
	uint64_t skipped_link;     /* not Ethernet */
	uint64_t flows_amplified;
	uint64_t preload_bytes;
	bool streamed;         /* above preload_max: read while sending */
	uint64_t sent, bytes;  /* handed to the port by every lcore */
	uint64_t failed;       /* dropped after a stall */
	uint64_t chained;      /* sent as a header mbuf + attached data */
	uint64_t zerocopy;     /* sent as attached data alone */
	int64_t elapsed_ns;    /* first deadline to last send */
	int64_t sched_span_ns; /* scheduled offset of the last packet */
	unsigned n_lcores;
	struct tw_dpdk_lcore_stats lcore[TW_DPDK_MAX_LCORES];
	struct tw_hist lateness; /* ns, every lcore */
	/* What the port itself counts (rte_eth_stats) since the load set
	 * it up: opackets beside sent, oerrors its drops. */
	struct tw_dpdk_counters port;
};

struct tw_dpdk_replay;

/* ---- capture ------------------------------------------------------- */

/* Called for each packet received; data is valid during the call. */
typedef int (*tw_dpdk_rx_fn)(void *arg, int64_t ts_ns, const uint8_t *data,
                             uint32_t caplen, uint32_t wirelen);

struct tw_dpdk_rx_opts {
	uint16_t port;
	uint16_t queues;     /* RX queues (RSS when above 1), 0 = 1 */
	uint32_t snaplen;    /* 0 = whole frames */
	unsigned pool_mbufs; /* 0 = 16383 */
	uint64_t max_packets;
	int64_t duration_ns;
	int64_t idle_ns; /* stop after this long without a packet,
	                        0 = never */
	volatile sig_atomic_t *stop;
	/* Called about every tick_ns (0 = 100 ms) with the wall clock,
	 * packets or not: time-based rotation, flushes, a live line.  A
	 * negative TW_E* code ends the capture with that code. */
	int (*tick)(void *arg, int64_t wall_ns);
	int64_t tick_ns;
};

struct tw_dpdk_rx;

struct tw_dpdk_rx_stats {
	uint64_t packets, bytes;
	uint64_t cut; /* packets cut by the snaplen */
	uint16_t queues;
	unsigned workers; /* worker lcores polling, 0: the caller polls */
	uint64_t queue_packets[TW_DPDK_MAX_LCORES]; /* taken from queue q */
	unsigned queue_lcore[TW_DPDK_MAX_LCORES];   /* the lcore polling q */
	struct tw_dpdk_counters port;
};

#ifdef TW_HAVE_DPDK

static inline bool tw_dpdk_available(void)
{
	return true;
}

/* ---- EAL ----------------------------------------------------------- */

/*
 * Splits an EAL argument string ("-l 0-3 -a 0000:03:00.0 --vdev
 * 'net_pcap0,tx_pcap=/tmp/x.pcap'") into words as a POSIX shell would,
 * without expansions: blanks separate words, single quotes keep
 * everything, double quotes keep everything but backslash escapes of
 * \ " $ `, a backslash outside quotes keeps the next character.  On
 * success *argv (NULL-terminated, owned by the caller: free with
 * tw_dpdk_args_free()) holds *argc words.  Returns 0, TW_EINVAL (an
 * unterminated quote, message in eb) or TW_ENOMEM.
 */
int tw_dpdk_args_split(const char *s, int *argc, char ***argv,
                       struct tw_errbuf *eb);
void tw_dpdk_args_free(int argc, char **argv);

/*
 * Starts the EAL once per process with the words of eal_args (see
 * tw_dpdk_args_split()).  tracewarp adds --file-prefix=tracewarp-PID
 * unless one is given, so concurrent runs never share a runtime
 * directory.  DPDK's own log lines are sent to tw_log() (component
 * "dpdk"), never printed directly.  Returns the number of lcores, or
 * TW_EINVAL (bad string), TW_ESTATE (already started), TW_EIO (the EAL
 * refused: its reason in eb).
 */
int tw_dpdk_init(const char *eal_args, struct tw_errbuf *eb);

bool tw_dpdk_initialized(void);

/* Lcores the EAL runs (main included); 0 before tw_dpdk_init(). */
unsigned tw_dpdk_lcore_count(void);

/* Stops every port, releases the EAL and removes its runtime
 * directory.  The EAL cannot be started again in this process. */
void tw_dpdk_fini(void);

/* ---- ports --------------------------------------------------------- */

/*
 * Finds a port by number ("0") or device name ("net_null0",
 * "0000:03:00.0").  Returns 0 and *port, or TW_EINVAL.
 */
int tw_dpdk_port_lookup(const char *spec, uint16_t *port, struct tw_errbuf *eb);

/*
 * Hot-plugs a virtual device ("net_pcap1,tx_pcap=out.pcap") and returns
 * its port.  Returns 0, TW_ESTATE or TW_EIO (probe failed).
 */
int tw_dpdk_port_attach(const char *devargs, uint16_t *port,
                        struct tw_errbuf *eb);

/* Stops, closes and removes a port (a net_pcap port then finishes its
 * tx_pcap file).  Returns 0 or TW_EIO. */
int tw_dpdk_port_detach(uint16_t port, struct tw_errbuf *eb);

int tw_dpdk_port_info(uint16_t port, struct tw_dpdk_port_info *pi,
                      struct tw_errbuf *eb);

int tw_dpdk_port_counters(uint16_t port, struct tw_dpdk_counters *c,
                          struct tw_errbuf *eb);

/*
 * Calls fn with each extended statistic of the port (name, value); stops
 * when fn returns non-zero and returns that.  Returns 0, or TW_EIO /
 * TW_ENOMEM.
 */
int tw_dpdk_port_xstats(uint16_t port,
                        int (*fn)(void *arg, const char *name, uint64_t v),
                        void *arg, struct tw_errbuf *eb);

/* ---- the replay backend --------------------------------------------- */

/*
 * Sets the port up with one TX queue and returns a backend (paced: the
 * engine's deadlines are real time) that copies each frame into an
 * mbuf, or attaches it without a copy when it lies in the arena given
 * to tw_dpdk_backend_set_arena().  tx_burst hands the burst to the port
 * and returns how many the port took; the rest are freed and may be
 * offered again.  stats() reports the port's drops (oerrors).  Returns
 * 0 and *out, TW_ESTATE (EAL not started), TW_EINVAL (no such port) or
 * TW_EIO / TW_ENOMEM with the message in eb.
 */
int tw_dpdk_backend_open(struct tw_backend **out,
                         const struct tw_dpdk_tx_opts *o, struct tw_errbuf *eb);

/*
 * Declares [base, base + len) stable until close: frames the engine
 * hands over from inside it are sent from there (an mbuf attached as an
 * external buffer, reference-counted), never copied.  The range is
 * registered with DPDK (rte_extmem_register) and DMA-mapped for the
 * port.  Returns 0, TW_EINVAL, or TW_EUNSUP when the port needs
 * physical addresses (IOVA as PA): frames are then copied.
 */
int tw_dpdk_backend_set_arena(struct tw_backend *b, const void *base,
                              size_t len, struct tw_errbuf *eb);

void tw_dpdk_backend_counts(const struct tw_backend *b,
                            struct tw_dpdk_tx_counts *c);

/* ---- multi-lcore replay of a preloaded trace ------------------------ */

/*
 * Sets the port up with one TX queue per lcore and loads the trace at
 * path into memory registered with DPDK; each packet is decoded once and
 * its flow assigned to an lcore by tw_flow_hash() (packets without IP go
 * to the first lcore).  A trace larger than preload_max is streamed
 * instead: read pass after pass into a ring of chunks (at most
 * preload_max bytes in all) while the lcores send, each frame copied
 * into an mbuf.  Returns 0 and *out, or TW_EINVAL, the reader's error,
 * TW_EIO, TW_ENOMEM.
 */
int tw_dpdk_replay_load(struct tw_dpdk_replay **out, const char *path,
                        const struct tw_dpdk_replay_cfg *cfg,
                        struct tw_errbuf *eb);

/*
 * Sends the trace: every lcore walks its own packets in file order and
 * sends each burst when its first packet's TSC deadline comes (start +
 * scheduled offset).  A preloaded trace can be run again; a streamed
 * one once (TW_ESTATE after).  Returns 0, or TW_EIO (the trace could
 * not be read while streaming) with the message in eb.
 */
int tw_dpdk_replay_run(struct tw_dpdk_replay *r, struct tw_errbuf *eb);

const struct tw_dpdk_replay_stats *tw_dpdk_replay_stats(
        const struct tw_dpdk_replay *r);

/*
 * When copy j of the i-th packet loaded (file order) is due in pass
 * loop, in ns from the run's start: the schedule the lcores keep.  -1
 * for a packet, pass or copy that does not exist, or a streamed trace
 * (its schedule is made while it is read).
 */
int64_t tw_dpdk_replay_due_ns(const struct tw_dpdk_replay *r, size_t i,
                              uint64_t loop, uint32_t j);

/* Frees r; the port stays configured. */
void tw_dpdk_replay_free(struct tw_dpdk_replay *r);

/* ---- capture ------------------------------------------------------- */

/*
 * The capture as pieces, for a front end with a loop of its own (the
 * shape of capture/live.h): open sets the port up with opts->queues RX
 * queues (RSS when more than one; at most TW_DPDK_MAX_LCORES) and an
 * mbuf pool, and starts one polling worker per queue on the EAL's free
 * worker lcores (queue q on worker q % W when there are fewer); dispatch
 * hands at most max packets to fn and never waits: what the workers
 * queued for this thread, or without workers one burst from each queue
 * in turn (returns how many, or the negative code fn returned); stop
 * ends the workers' polling, after which dispatch still hands over what
 * they had queued; stats reads the port's counters fresh; close stops
 * the port and frees the pool.  Timestamps are the wall clock when the
 * burst was taken from its queue.  Only port, queues, snaplen and
 * pool_mbufs of opts matter here.  open returns 0, TW_ESTATE, TW_EINVAL,
 * TW_EIO or TW_ENOMEM with the message in eb.
 */
int tw_dpdk_rx_open(struct tw_dpdk_rx **out, const struct tw_dpdk_rx_opts *o,
                    struct tw_errbuf *eb);
int tw_dpdk_rx_dispatch(struct tw_dpdk_rx *rx, unsigned max, tw_dpdk_rx_fn fn,
                        void *arg);
void tw_dpdk_rx_stop(struct tw_dpdk_rx *rx);
unsigned tw_dpdk_rx_workers(const struct tw_dpdk_rx *rx);
void tw_dpdk_rx_stats(struct tw_dpdk_rx *rx, struct tw_dpdk_rx_stats *st);
void tw_dpdk_rx_close(struct tw_dpdk_rx *rx);

/*
 * The pieces above in one blocking loop on the calling thread: each
 * packet goes to fn in the order of its queue until a limit, *stop, or
 * an error
 * that fn returns (negative TW_E* code, returned as is).  Timestamps are
 * the wall clock at the burst's arrival.  Returns 0 or an error, with
 * the message in eb.
 */
int tw_dpdk_capture(const struct tw_dpdk_rx_opts *opts, tw_dpdk_rx_fn fn,
                    void *arg, struct tw_dpdk_rx_stats *st,
                    struct tw_errbuf *eb);

/* ---- the benchmarks' floor ---------------------------------------- */

/*
 * Sends packets frames of the trace at path (cycling over it) on port
 * with a bare rte_eth_tx_burst loop of mbufs built once and re-sent by
 * reference, and returns the rate in *pps.  For tools/bench/dpdk.sh.
 * Returns 0, the reader's error, TW_EIO or TW_ENOMEM.
 */
int tw_dpdk_bare_tx(uint16_t port, const char *path, uint64_t packets,
                    unsigned burst, double *pps, struct tw_errbuf *eb);

#else
/* ---- fallbacks: built without DPDK ---------------------------------- */

static inline int tw_dpdk_unavailable(struct tw_errbuf *eb)
{
	return eb ? tw_errf(eb, TW_EUNSUP, "%s", TW_DPDK_UNAVAILABLE)
	          : TW_EUNSUP;
}

static inline bool tw_dpdk_available(void)
{
	return false;
}

static inline int tw_dpdk_args_split(const char *s, int *argc, char ***argv,
                                     struct tw_errbuf *eb)
{
	(void)s;
	*argc = 0;
	*argv = NULL;
	return tw_dpdk_unavailable(eb);
}

static inline void tw_dpdk_args_free(int argc, char **argv)
{
	(void)argc;
	(void)argv;
}

static inline int tw_dpdk_init(const char *eal_args, struct tw_errbuf *eb)
{
	(void)eal_args;
	return tw_dpdk_unavailable(eb);
}

static inline bool tw_dpdk_initialized(void)
{
	return false;
}

static inline unsigned tw_dpdk_lcore_count(void)
{
	return 0;
}

static inline void tw_dpdk_fini(void)
{
}

static inline int tw_dpdk_port_lookup(const char *spec, uint16_t *port,
                                      struct tw_errbuf *eb)
{
	(void)spec;
	(void)port;
	return tw_dpdk_unavailable(eb);
}

static inline int tw_dpdk_port_attach(const char *devargs, uint16_t *port,
                                      struct tw_errbuf *eb)
{
	(void)devargs;
	(void)port;
	return tw_dpdk_unavailable(eb);
}

static inline int tw_dpdk_port_detach(uint16_t port, struct tw_errbuf *eb)
{
	(void)port;
	return tw_dpdk_unavailable(eb);
}

static inline int tw_dpdk_port_info(uint16_t port, struct tw_dpdk_port_info *pi,
                                    struct tw_errbuf *eb)
{
	(void)port;
	(void)pi;
	return tw_dpdk_unavailable(eb);
}

static inline int tw_dpdk_port_counters(uint16_t port,
                                        struct tw_dpdk_counters *c,
                                        struct tw_errbuf *eb)
{
	(void)port;
	(void)c;
	return tw_dpdk_unavailable(eb);
}

static inline int tw_dpdk_port_xstats(uint16_t port,
                                      int (*fn)(void *arg, const char *name,
                                                uint64_t v),
                                      void *arg, struct tw_errbuf *eb)
{
	(void)port;
	(void)fn;
	(void)arg;
	return tw_dpdk_unavailable(eb);
}

static inline int tw_dpdk_backend_open(struct tw_backend **out,
                                       const struct tw_dpdk_tx_opts *o,
                                       struct tw_errbuf *eb)
{
	(void)o;
	*out = NULL;
	return tw_dpdk_unavailable(eb);
}

static inline int tw_dpdk_backend_set_arena(struct tw_backend *b,
                                            const void *base, size_t len,
                                            struct tw_errbuf *eb)
{
	(void)b;
	(void)base;
	(void)len;
	return tw_dpdk_unavailable(eb);
}

static inline void tw_dpdk_backend_counts(const struct tw_backend *b,
                                          struct tw_dpdk_tx_counts *c)
{
	(void)b;
	*c = (struct tw_dpdk_tx_counts){ 0 };
}

static inline int tw_dpdk_replay_load(struct tw_dpdk_replay **out,
                                      const char *path,
                                      const struct tw_dpdk_replay_cfg *cfg,
                                      struct tw_errbuf *eb)
{
	(void)path;
	(void)cfg;
	*out = NULL;
	return tw_dpdk_unavailable(eb);
}

static inline int tw_dpdk_replay_run(struct tw_dpdk_replay *r,
                                     struct tw_errbuf *eb)
{
	(void)r;
	return tw_dpdk_unavailable(eb);
}

static inline const struct tw_dpdk_replay_stats *tw_dpdk_replay_stats(
        const struct tw_dpdk_replay *r)
{
	(void)r;
	return NULL;
}

static inline int64_t tw_dpdk_replay_due_ns(const struct tw_dpdk_replay *r,
                                            size_t i, uint64_t loop, uint32_t j)
{
	(void)r;
	(void)i;
	(void)loop;
	(void)j;
	return -1;
}

static inline void tw_dpdk_replay_free(struct tw_dpdk_replay *r)
{
	(void)r;
}

static inline int tw_dpdk_rx_open(struct tw_dpdk_rx **out,
                                  const struct tw_dpdk_rx_opts *o,
                                  struct tw_errbuf *eb)
{
	(void)o;
	*out = NULL;
	return tw_dpdk_unavailable(eb);
}

static inline int tw_dpdk_rx_dispatch(struct tw_dpdk_rx *rx, unsigned max,
                                      tw_dpdk_rx_fn fn, void *arg)
{
	(void)rx;
	(void)max;
	(void)fn;
	(void)arg;
	return TW_EUNSUP;
}

static inline void tw_dpdk_rx_stop(struct tw_dpdk_rx *rx)
{
	(void)rx;
}

static inline unsigned tw_dpdk_rx_workers(const struct tw_dpdk_rx *rx)
{
	(void)rx;
	return 0;
}

static inline void tw_dpdk_rx_stats(struct tw_dpdk_rx *rx,
                                    struct tw_dpdk_rx_stats *st)
{
	(void)rx;
	*st = (struct tw_dpdk_rx_stats){ 0 };
}

static inline void tw_dpdk_rx_close(struct tw_dpdk_rx *rx)
{
	(void)rx;
}

static inline int tw_dpdk_capture(const struct tw_dpdk_rx_opts *opts,
                                  tw_dpdk_rx_fn fn, void *arg,
                                  struct tw_dpdk_rx_stats *st,
                                  struct tw_errbuf *eb)
{
	(void)opts;
	(void)fn;
	(void)arg;
	(void)st;
	return tw_dpdk_unavailable(eb);
}

static inline int tw_dpdk_bare_tx(uint16_t port, const char *path,
                                  uint64_t packets, unsigned burst, double *pps,
                                  struct tw_errbuf *eb)
{
	(void)port;
	(void)path;
	(void)packets;
	(void)burst;
	*pps = 0;
	return tw_dpdk_unavailable(eb);
}
#endif

#endif
