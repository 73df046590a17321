/*
 * live.h - one libpcap live capture handle, its errors translated into
 * tracewarp's error space.
 *
 * On Linux, libpcap captures through a PACKET_MMAP ring: TPACKET_V3
 * (blocks of packets handed over whole, the fastest) unless immediate
 * mode is asked for, which makes libpcap fall back to TPACKET_V2 (one
 * packet at a time, lowest latency).  The ring's size is the buffer size
 * (-B).  Timestamps are asked for in nanoseconds.
 */
#ifndef TW_CAPTURE_LIVE_H
#define TW_CAPTURE_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "trace/error.h"

/*
 * The default kernel ring per interface: 256 MiB instead of libpcap's
 * 2 MiB.  2 MiB holds 1.7 ms of a 10 Gbit/s link; a capture loop that
 * waits for the disk (page-cache writeback, a rotation, a slow
 * post-rotate command) stalls for tens to hundreds of milliseconds, and
 * every packet that arrives meanwhile must fit in the ring.  256 MiB holds
 * about 200 ms at 10 Gbit/s and 2 s at 1 Gbit/s.  The memory is the
 * kernel's, per interface, for the capture's lifetime.
 */
#define TW_LIVE_DEFAULT_BUFFER (256ULL << 20)

/* The largest snaplen libpcap accepts, tcpdump's "full packet". */
#define TW_LIVE_MAX_SNAPLEN 262144

struct tw_live_opts {
	const char *filter;      /* BPF expression, or NULL for all */
	uint32_t snaplen;        /* 0 = TW_LIVE_MAX_SNAPLEN */
	uint64_t buffer_bytes;   /* 0 = TW_LIVE_DEFAULT_BUFFER */
	bool immediate;          /* deliver each packet at once (TPACKET_V2) */
	bool no_promisc;         /* promiscuous unless set */
	const char *tstamp_type; /* "host", "adapter"..., or NULL */
	int timeout_ms;          /* TPACKET_V3 block timeout; 0 = 100 */
};

struct tw_live_stats {
	uint64_t received;  /* packets that passed the filter */
	uint64_t dropped;   /* dropped by the kernel: ring full */
	uint64_t ifdropped; /* dropped by the interface or driver */
};

struct tw_live;

/*
 * Opens and activates a capture on dev, applies the filter and sets the
 * handle non-blocking.  Returns 0 and *out, or TW_EINVAL (no such
 * interface, bad filter, unknown timestamp type), TW_EIO (permission
 * denied, interface down, other libpcap failures), TW_ENOMEM; the
 * message in eb names the interface and what libpcap said.  Warnings
 * (promiscuous mode refused, nanosecond timestamps unavailable) go to
 * the log.
 */
int tw_live_open(struct tw_live **out, const char *dev,
                 const struct tw_live_opts *o, struct tw_errbuf *eb);

/* The descriptor to poll(2) for readability. */
int tw_live_fd(const struct tw_live *l);

const char *tw_live_name(const struct tw_live *l);
uint16_t tw_live_linktype(const struct tw_live *l);
uint32_t tw_live_snaplen(const struct tw_live *l);

/* The ring's size in bytes: -B, or the default (halved, with a warning,
 * down to 8 MiB while the kernel cannot find the memory). */
uint64_t tw_live_buffer(const struct tw_live *l);

/* Called for each packet; data is valid during the call only. */
typedef void (*tw_live_fn)(void *arg, int64_t ts_ns, const uint8_t *data,
                           uint32_t caplen, uint32_t wirelen);

/*
 * Hands up to max packets that are ready to fn, without waiting.
 * Returns how many (0 when none was ready) or TW_EIO (message in eb).
 */
int tw_live_dispatch(struct tw_live *l, int max, tw_live_fn fn, void *arg,
                     struct tw_errbuf *eb);

/* Makes a dispatch in progress return after the current packet. */
void tw_live_break(struct tw_live *l);

/* The kernel's counters since the handle was opened.  Returns 0 or
 * TW_EIO (message in eb). */
int tw_live_stats(struct tw_live *l, struct tw_live_stats *st,
                  struct tw_errbuf *eb);

void tw_live_close(struct tw_live *l);

#endif
