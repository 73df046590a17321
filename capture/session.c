/*
 * session.c - the capture loop.
 *
 * Wait (ppoll on every interface's descriptor, with the front end's
 * signals unblocked only while waiting, so a signal is never missed
 * between a check and the wait), drain (each interface in turn, BATCH
 * packets at a time, until none has anything ready), then the once a
 * second work: timed rotation, flush, statistics.
 */
#include "capture/session.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redact/session.h"
#include "trace/log.h"

#define SEC 1000000000LL
#define BATCH 8192
#define FINAL_DRAIN_NS (SEC / 5)

struct iface {
	struct tw_capture *c;
	struct tw_live *live;
	uint32_t id; /* interface block in the output */
};

struct tw_capture {
	struct tw_capture_opts o;
	struct iface *ifs;
	uint32_t nifs;
	struct tw_capout *out;
	tw_capout_done_fn on_file;
	void *on_file_arg;

	enum tw_capture_end end;
	int err;
	struct tw_errbuf eb;

	uint64_t bytes_captured, bytes_wire, refused;
	int64_t start_ns; /* monotonic */

	struct tw_session *ses; /* redaction before the output, or NULL */
	uint64_t pushed;        /* packets handed to ses */
};

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static int64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static int64_t wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

static void close_ifaces(struct tw_capture *c)
{
	for (uint32_t i = 0; i < c->nifs; i++)
		tw_live_close(c->ifs[i].live);
	free(c->ifs);
}

int tw_capture_open(struct tw_capture **out, const struct tw_capture_opts *o,
                    struct tw_errbuf *eb)
{
	struct tw_capture *c = calloc(1, sizeof(*c));
	int rc = 0;

	if (c)
		c->ifs = calloc(o->nifaces ? o->nifaces : 1, sizeof(*c->ifs));
	if (!c || !c->ifs) {
		free(c);
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	}
	c->o = *o;
	for (uint32_t i = 0; i < o->nifaces && rc == 0; i++) {
		rc = tw_live_open(&c->ifs[i].live, o->ifaces[i], &o->live, eb);
		if (rc == 0) {
			c->ifs[i].c = c;
			c->ifs[i].id = i;
			c->nifs++;
		}
	}
	if (rc < 0) {
		close_ifaces(c);
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void tw_capture_on_file(struct tw_capture *c, tw_capout_done_fn fn, void *arg)
{
	c->on_file = fn;
	c->on_file_arg = arg;
}

void tw_capture_redact_with(struct tw_capture *c, struct tw_session *s)
{
	c->ses = s;
}

int tw_capture_start(struct tw_capture *c, int64_t wall, struct tw_errbuf *eb)
{
	struct tw_capout_iface *ifc = calloc(c->nifs, sizeof(*ifc));
	int rc;

	if (!ifc)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < c->nifs; i++) {
		ifc[i].linktype = tw_live_linktype(c->ifs[i].live);
		ifc[i].snaplen = tw_live_snaplen(c->ifs[i].live);
	}
	rc = tw_capout_open(&c->out, &c->o.out, ifc, c->nifs, wall, eb);
	free(ifc);
	if (rc == 0 && c->on_file)
		tw_capout_on_done(c->out, c->on_file, c->on_file_arg);
	return rc;
}

/* ---- per packet ---- */

static void halt(struct tw_capture *c, enum tw_capture_end why)
{
	c->end = why;
	for (uint32_t i = 0; i < c->nifs; i++)
		tw_live_break(c->ifs[i].live);
}

static void fail(struct tw_capture *c, int rc, const char *msg)
{
	if (c->err)
		return;
	c->err = tw_errf(&c->eb, rc, "%s", msg);
	halt(c, TW_END_ERROR);
}

/* Writes one packet to the output, within --max-bytes. */
static void emit(struct tw_capture *c, uint32_t id, int64_t ts_ns,
                 const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	uint64_t rec;
	int rc;

	/* After these ends nothing more may reach the output. */
	if (c->end == TW_END_BYTES || c->end == TW_END_ERROR)
		return;
	rec = tw_capout_record_size(c->out, caplen);
	if (c->o.max_bytes && tw_capout_bytes(c->out) + rec > c->o.max_bytes) {
		halt(c, TW_END_BYTES);
		return;
	}
	rc = tw_capout_write(c->out, id, ts_ns, data, caplen, wirelen);
	if (rc == TW_EINVAL) {
		c->refused++;
		tw_log(TW_LOG_WARN, "capture", "%s", tw_capout_errmsg(c->out));
		return;
	}
	if (rc < 0) {
		fail(c, rc, tw_capout_errmsg(c->out));
		return;
	}
	c->bytes_captured += caplen;
	c->bytes_wire += wirelen;
}

/* Writes the packets the redaction session has made final. */
static void emit_redacted(struct tw_capture *c)
{
	struct tw_out out;
	int rc;

	while ((rc = tw_session_pop(c->ses, &out)) != 0) {
		if (rc < 0) {
			fail(c, rc, "redaction: out of memory");
			continue;
		}
		emit(c, out.iface, out.ts_ns, out.data, out.caplen,
		     out.wirelen);
	}
}

/* Into the redaction session: the raw bytes stay in memory only. */
static void redact_packet(struct iface *ifc, int64_t ts_ns, const uint8_t *data,
                          uint32_t caplen, uint32_t wirelen)
{
	struct tw_capture *c = ifc->c;
	struct tw_packet pkt = {
		.ts_ns = ts_ns,
		.caplen = caplen,
		.wirelen = wirelen,
		.iface = ifc->id,
		.offset = c->pushed, /* the packet's number in messages */
		.data = data,
	};

	if (tw_session_push(c->ses, &pkt, tw_live_linktype(ifc->live)) < 0) {
		fail(c, TW_ENOMEM, "redaction: out of memory");
		return;
	}
	c->pushed++;
	if (c->o.max_packets && c->pushed >= c->o.max_packets)
		halt(c, TW_END_COUNT);
	emit_redacted(c);
}

static void on_packet(void *arg, int64_t ts_ns, const uint8_t *data,
                      uint32_t caplen, uint32_t wirelen)
{
	struct iface *ifc = arg;
	struct tw_capture *c = ifc->c;

	if (c->end)
		return;
	if (c->ses) {
		redact_packet(ifc, ts_ns, data, caplen, wirelen);
		return;
	}
	emit(c, ifc->id, ts_ns, data, caplen, wirelen);
	if (c->o.max_packets && tw_capout_packets(c->out) >= c->o.max_packets)
		halt(c, TW_END_COUNT);
}

/* At the end: what the redaction session still holds is made final
 * (incomplete messages zeroed) and written. */
static void flush_redacted(struct tw_capture *c)
{
	if (!c->ses)
		return;
	tw_session_finish(c->ses);
	emit_redacted(c);
}

/* ---- the loop ---- */

/* Hands ready packets to on_packet, interface after interface, until
 * none is ready or the deadline (monotonic) passes. */
static void drain(struct tw_capture *c, int64_t deadline)
{
	struct tw_errbuf eb;
	int got;

	do {
		got = 0;
		for (uint32_t i = 0; i < c->nifs && !c->end; i++) {
			int n = tw_live_dispatch(c->ifs[i].live, BATCH,
			                         on_packet, &c->ifs[i], &eb);

			if (n < 0) {
				fail(c, n, eb.msg);
				return;
			}
			got += n;
		}
	} while (got && !c->end && mono_ns() < deadline);
}

/* Waits until an interface is readable, a signal comes, or until ns. */
static void wait_ready(struct tw_capture *c, const struct tw_capture_ctl *ctl,
                       int64_t until)
{
	struct pollfd pfd[64];
	uint32_t n = c->nifs < 64 ? c->nifs : 64;
	int64_t left = until - mono_ns();
	struct timespec ts;

	if (left <= 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		pfd[i].fd = tw_live_fd(c->ifs[i].live);
		pfd[i].events = POLLIN;
	}
	ts.tv_sec = left / SEC;
	ts.tv_nsec = left % SEC;
	if (ppoll(pfd, n, &ts, ctl->waitmask) < 0 && errno != EINTR)
		tw_log(TW_LOG_WARN, "capture", "ppoll: %s", strerror(errno));
}

/* The next time (monotonic) the loop must wake without packets. */
static int64_t next_wake(const struct tw_capture *c, int64_t next_tick)
{
	int64_t wake = next_tick;
	int64_t b = tw_capout_next_boundary(c->out);

	if (b != INT64_MAX) {
		int64_t at = mono_ns() + (b + c->o.out.grace_ns - wall_ns());

		if (at < wake)
			wake = at;
	}
	if (c->o.duration_ns && c->start_ns + (int64_t)c->o.duration_ns < wake)
		wake = c->start_ns + (int64_t)c->o.duration_ns;
	return wake;
}

static void check_output(struct tw_capture *c, int rc)
{
	if (rc < 0)
		fail(c, rc, tw_capout_errmsg(c->out));
}

/* Whether a -G period ended (plus the grace) by the wall clock. */
static bool period_over(const struct tw_capture *c)
{
	int64_t b = tw_capout_next_boundary(c->out);

	return b != INT64_MAX && wall_ns() >= b + c->o.out.grace_ns;
}

/* Signals and the once-a-second work; returns the next tick. */
static int64_t housekeeping(struct tw_capture *c,
                            const struct tw_capture_ctl *ctl, int64_t tick)
{
	int64_t now = mono_ns();

	if (*ctl->rotate) {
		*ctl->rotate = 0;
		check_output(c, tw_capout_rotate(c->out, wall_ns()));
	}
	if (*ctl->report) {
		*ctl->report = 0;
		if (ctl->report_fn)
			ctl->report_fn(ctl->arg, c);
	}
	if (c->o.out.path && !strcmp(c->o.out.path, "-"))
		check_output(c, tw_capout_flush(c->out));
	if (now >= tick || period_over(c))
		check_output(c, tw_capout_tick(c->out, wall_ns()));
	if (now >= tick) {
		if (ctl->tick)
			ctl->tick(ctl->arg, c);
		tick = now - tick > SEC ? now + SEC : tick + SEC;
	}
	if (c->o.duration_ns && now - c->start_ns >= (int64_t)c->o.duration_ns)
		halt(c, TW_END_DURATION);
	if (*ctl->stop && !c->end)
		halt(c, TW_END_SIGNAL);
	return tick;
}

/* After a stop: what the kernel already holds (TPACKET_V3 hands a block
 * over at its timeout) is still written, for a bounded time. */
static void final_drain(struct tw_capture *c, const struct tw_capture_ctl *ctl)
{
	int64_t until = mono_ns() + FINAL_DRAIN_NS;
	enum tw_capture_end why = c->end;

	if (why != TW_END_SIGNAL && why != TW_END_DURATION)
		return;
	c->end = TW_END_RUNNING;
	while (!c->end && mono_ns() < until) {
		wait_ready(c, ctl, until);
		drain(c, until);
	}
	if (!c->end)
		c->end = why;
}

int tw_capture_run(struct tw_capture *c, const struct tw_capture_ctl *ctl,
                   struct tw_errbuf *eb)
{
	int64_t tick;

	c->start_ns = mono_ns();
	tick = c->start_ns + SEC;
	while (!c->end) {
		wait_ready(c, ctl, next_wake(c, tick));
		drain(c, tick);
		tick = housekeeping(c, ctl, tick);
	}
	final_drain(c, ctl);
	flush_redacted(c);
	if (c->err)
		return tw_errf(eb, c->err, "%s", c->eb.msg);
	return 0;
}

enum tw_capture_end tw_capture_ended(const struct tw_capture *c)
{
	return c->end;
}

uint32_t tw_capture_iface_count(const struct tw_capture *c)
{
	return c->nifs;
}

const char *tw_capture_iface_name(const struct tw_capture *c, uint32_t i)
{
	return tw_live_name(c->ifs[i].live);
}

const struct tw_live *tw_capture_iface(const struct tw_capture *c, uint32_t i)
{
	return c->ifs[i].live;
}

void tw_capture_iface_stats(struct tw_capture *c, uint32_t i,
                            struct tw_live_stats *st)
{
	struct tw_errbuf eb;

	memset(st, 0, sizeof(*st));
	if (tw_live_stats(c->ifs[i].live, st, &eb) < 0)
		tw_log(TW_LOG_WARN, "capture", "%s", eb.msg);
}

void tw_capture_counts(struct tw_capture *c, struct tw_capture_counts *n)
{
	memset(n, 0, sizeof(*n));
	for (uint32_t i = 0; i < c->nifs; i++) {
		struct tw_live_stats st;

		tw_capture_iface_stats(c, i, &st);
		n->kernel.received += st.received;
		n->kernel.dropped += st.dropped;
		n->kernel.ifdropped += st.ifdropped;
	}
	if (c->out) {
		n->packets = tw_capout_packets(c->out);
		n->file_bytes = tw_capout_bytes(c->out);
		n->files = tw_capout_files(c->out);
	}
	n->bytes_captured = c->bytes_captured;
	n->bytes_wire = c->bytes_wire;
	n->refused = c->refused;
	n->elapsed_ns = c->start_ns ? mono_ns() - c->start_ns : 0;
}

int tw_capture_close(struct tw_capture *c, struct tw_errbuf *eb)
{
	int rc = 0;

	if (c->out)
		rc = tw_capout_close(c->out, eb);
	close_ifaces(c);
	free(c);
	return rc;
}
