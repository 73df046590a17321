/*
 * live.c - libpcap live capture: create, configure, activate, filter,
 * dispatch, statistics.  libpcap's errors are translated here, once,
 * with the interface and the step that failed.
 */
#include "capture/live.h"

#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "trace/log.h"

#define DEFAULT_TIMEOUT_MS 100
#define MIN_FALLBACK_RING (8ULL << 20)

struct tw_live {
	pcap_t *p;
	char *name;
	bool nano;       /* timestamps are in nanoseconds */
	uint64_t buffer; /* the ring's size */
	bool ring_nomem; /* activation failed for want of memory */
	int fd;

	/* libpcap's counters are 32 bits: accumulated here so they do not
	 * wrap in a long capture (read at least once per wrap: a second
	 * loop reads them every second). */
	unsigned int last[3];
	uint64_t total[3];

	/* The dispatch in progress. */
	tw_live_fn fn;
	void *arg;
};

/* "eth0: activate: <libpcap's words>" with the code that fits. */
static int pcap_fail(struct tw_live *l, int code, const char *what,
                     struct tw_errbuf *eb)
{
	return tw_errf(eb, code, "%s: %s: %s", l->name, what,
	               pcap_geterr(l->p));
}

/* pcap_activate()'s failures, in words a user can act on. */
static int activate_error(struct tw_live *l, int rc, struct tw_errbuf *eb)
{
	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return tw_errf(eb, TW_EINVAL, "%s: no such interface", l->name);
	case PCAP_ERROR_PERM_DENIED:
		return tw_errf(eb, TW_EIO,
		               "%s: permission denied: capturing needs root "
		               "(or CAP_NET_RAW and CAP_NET_ADMIN): %s",
		               l->name, pcap_geterr(l->p));
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		return tw_errf(eb, TW_EIO,
		               "%s: no permission for promiscuous mode "
		               "(try --no-promisc)",
		               l->name);
	case PCAP_ERROR_IFACE_NOT_UP:
		return tw_errf(eb, TW_EIO, "%s: interface is down", l->name);
	case PCAP_ERROR_TSTAMP_PRECISION_NOTSUP:
		return tw_errf(eb, TW_EUNSUP,
		               "%s: nanosecond timestamps not supported",
		               l->name);
	default:
		return pcap_fail(l, TW_EIO, "cannot start capturing", eb);
	}
}

static void activate_warning(struct tw_live *l, int rc)
{
	const char *what = pcap_geterr(l->p);

	if (rc == PCAP_WARNING_PROMISC_NOTSUP)
		what = "promiscuous mode not supported";
	else if (rc == PCAP_WARNING_TSTAMP_TYPE_NOTSUP)
		what = "timestamp type not supported, using the default";
	tw_log(TW_LOG_WARN, "capture", "%s: %s", l->name, what);
}

static int set_tstamp_type(struct tw_live *l, const char *name,
                           struct tw_errbuf *eb)
{
	int t = pcap_tstamp_type_name_to_val(name);

	if (t < 0)
		return tw_errf(eb, TW_EINVAL,
		               "--tstamp-type: unknown timestamp type '%s' "
		               "(host, host_lowprec, host_hiprec, adapter, "
		               "adapter_unsynced...)",
		               name);
	if (pcap_set_tstamp_type(l->p, t) == PCAP_WARNING_TSTAMP_TYPE_NOTSUP)
		return tw_errf(eb, TW_EINVAL,
		               "%s: timestamp type '%s' not offered by this "
		               "interface",
		               l->name, name);
	return 0;
}

/* Everything that must be set before activation. */
static int configure(struct tw_live *l, const struct tw_live_opts *o,
                     struct tw_errbuf *eb)
{
	uint64_t buf = l->buffer;
	int snap = o->snaplen ? (int)o->snaplen : TW_LIVE_MAX_SNAPLEN;
	int tmo = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;

	if (buf > INT32_MAX)
		return tw_errf(eb, TW_EINVAL,
		               "-B: %llu bytes is over the kernel's 2 GiB",
		               (unsigned long long)buf);
	pcap_set_snaplen(l->p, snap);
	pcap_set_promisc(l->p, !o->no_promisc);
	pcap_set_timeout(l->p, tmo);
	pcap_set_buffer_size(l->p, (int)buf);
	pcap_set_immediate_mode(l->p, o->immediate);
	if (o->tstamp_type)
		return set_tstamp_type(l, o->tstamp_type, eb);
	return 0;
}

static int activate(struct tw_live *l, const struct tw_live_opts *o,
                    struct tw_errbuf *eb)
{
	int rc;

	/* Ask for nanoseconds; fall back to microseconds, with a word. */
	l->nano = pcap_set_tstamp_precision(l->p, PCAP_TSTAMP_PRECISION_NANO) ==
	          0;
	rc = configure(l, o, eb);
	if (rc < 0)
		return rc;

	rc = pcap_activate(l->p);
	if (rc < 0) {
		l->ring_nomem = strstr(pcap_geterr(l->p), "memory") != NULL;
		return activate_error(l, rc, eb);
	}
	if (rc > 0)
		activate_warning(l, rc);
	l->nano = pcap_get_tstamp_precision(l->p) == PCAP_TSTAMP_PRECISION_NANO;
	if (!l->nano)
		tw_log(TW_LOG_WARN, "capture",
		       "%s: timestamps in microseconds only", l->name);
	return 0;
}

static int set_filter(struct tw_live *l, const char *expr, struct tw_errbuf *eb)
{
	struct bpf_program prog;
	int rc;

	if (!expr || !*expr)
		return 0;
	if (pcap_compile(l->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
		return tw_errf(eb, TW_EINVAL, "%s: bad filter '%s': %s",
		               l->name, expr, pcap_geterr(l->p));
	rc = pcap_setfilter(l->p, &prog);
	pcap_freecode(&prog);
	if (rc < 0)
		return pcap_fail(l, TW_EIO, "cannot set the filter", eb);
	return 0;
}

static int finish_setup(struct tw_live *l, const struct tw_live_opts *o,
                        struct tw_errbuf *eb)
{
	char err[PCAP_ERRBUF_SIZE];
	int rc = set_filter(l, o->filter, eb);

	if (rc < 0)
		return rc;
	if (pcap_setnonblock(l->p, 1, err) < 0)
		return tw_errf(eb, TW_EIO, "%s: non-blocking mode: %s", l->name,
		               err);
	l->fd = pcap_get_selectable_fd(l->p);
	if (l->fd < 0)
		return tw_errf(eb, TW_EUNSUP, "%s: no descriptor to wait on",
		               l->name);
	return 0;
}

/* One attempt with a ring of l->buffer bytes; closed again on failure. */
static int try_open(struct tw_live *l, const struct tw_live_opts *o,
                    struct tw_errbuf *eb)
{
	char err[PCAP_ERRBUF_SIZE];
	int rc;

	l->ring_nomem = false;
	l->p = pcap_create(l->name, err);
	if (!l->p)
		return tw_errf(eb, TW_EIO, "%s: %s", l->name, err);
	rc = activate(l, o, eb);
	if (rc < 0) {
		pcap_close(l->p);
		l->p = NULL;
	}
	return rc;
}

/*
 * The default ring is large, and a fragmented kernel may not find the
 * memory: then halve it, down to MIN_FALLBACK_RING, with a warning.  A
 * size the user asked for (-B) is taken as it is or refused.
 */
static int open_with_fallback(struct tw_live *l, const struct tw_live_opts *o,
                              struct tw_errbuf *eb)
{
	int rc;

	l->buffer = o->buffer_bytes ? o->buffer_bytes : TW_LIVE_DEFAULT_BUFFER;
	while ((rc = try_open(l, o, eb)) < 0 && l->ring_nomem &&
	       !o->buffer_bytes && l->buffer > MIN_FALLBACK_RING) {
		l->buffer /= 2;
		tw_log(TW_LOG_WARN, "capture",
		       "%s: no memory for the ring, trying %llu MiB", l->name,
		       (unsigned long long)(l->buffer >> 20));
	}
	return rc;
}

int tw_live_open(struct tw_live **out, const char *dev,
                 const struct tw_live_opts *o, struct tw_errbuf *eb)
{
	struct tw_live *l = calloc(1, sizeof(*l));
	int rc;

	if (!l || !(l->name = strdup(dev))) {
		free(l);
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	}
	rc = open_with_fallback(l, o, eb);
	if (rc == 0)
		rc = finish_setup(l, o, eb);
	if (rc < 0) {
		tw_live_close(l);
		return rc;
	}
	*out = l;
	return 0;
}

int tw_live_fd(const struct tw_live *l)
{
	return l->fd;
}

const char *tw_live_name(const struct tw_live *l)
{
	return l->name;
}

uint16_t tw_live_linktype(const struct tw_live *l)
{
	return (uint16_t)pcap_datalink(l->p);
}

uint64_t tw_live_buffer(const struct tw_live *l)
{
	return l->buffer;
}

uint32_t tw_live_snaplen(const struct tw_live *l)
{
	return (uint32_t)pcap_snapshot(l->p);
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h,
                      const u_char *data)
{
	struct tw_live *l = (struct tw_live *)user;
	int64_t frac = h->ts.tv_usec;
	int64_t ts = (int64_t)h->ts.tv_sec * 1000000000 +
	             (l->nano ? frac : frac * 1000);

	l->fn(l->arg, ts, data, h->caplen, h->len);
}

int tw_live_dispatch(struct tw_live *l, int max, tw_live_fn fn, void *arg,
                     struct tw_errbuf *eb)
{
	int n;

	l->fn = fn;
	l->arg = arg;
	n = pcap_dispatch(l->p, max, on_packet, (u_char *)l);
	if (n == PCAP_ERROR)
		return pcap_fail(l, TW_EIO, "capture failed", eb);
	return n < 0 ? 0 : n; /* PCAP_ERROR_BREAK: broken on purpose */
}

void tw_live_break(struct tw_live *l)
{
	pcap_breakloop(l->p);
}

int tw_live_stats(struct tw_live *l, struct tw_live_stats *st,
                  struct tw_errbuf *eb)
{
	struct pcap_stat ps;
	unsigned int now[3];

	if (pcap_stats(l->p, &ps) < 0)
		return pcap_fail(l, TW_EIO, "statistics", eb);
	now[0] = ps.ps_recv;
	now[1] = ps.ps_drop;
	now[2] = ps.ps_ifdrop;
	for (int i = 0; i < 3; i++) {
		l->total[i] += (unsigned int)(now[i] - l->last[i]);
		l->last[i] = now[i];
	}
	st->received = l->total[0];
	st->dropped = l->total[1];
	st->ifdropped = l->total[2];
	return 0;
}

void tw_live_close(struct tw_live *l)
{
	if (!l)
		return;
	if (l->p)
		pcap_close(l->p);
	free(l->name);
	free(l);
}
