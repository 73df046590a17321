/*
 * reader.c - streaming reader for classic pcap and pcapng.
 *
 * Classic pcap follows draft-ietf-opsawg-pcap (section 4, file header;
 * section 5, packet record).  pcapng follows draft-ietf-opsawg-pcapng
 * (section 3.1, block structure; 3.5, options; 4.1 to 4.4, SHB, IDB, EPB,
 * SPB; appendix A, the obsolete Packet Block).  libpcap is not used: it
 * refuses pcapng files whose interfaces have different link types.
 *
 * One buffer holds the unread part of the file.  It starts at 1 MiB and
 * grows only to fit the largest record met (bounded by
 * TW_READER_MAX_RECORD); it is refilled with one read() of all its free
 * space, so a file streams in a syscall per megabyte.  A packet is handed
 * out as a pointer into the buffer, never copied.  Memory readers use the
 * caller's bytes as the buffer.
 *
 * An error names the offset where the record at fault starts (a packet
 * record or a block; the message names the field), except a version, a
 * byte-order magic or an option, which are named by their own offset.
 */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "error.h"
#include "log.h"

__extension__ typedef __int128 tw_i128;
__extension__ typedef unsigned __int128 tw_u128;

#define BUF_INITIAL (1u << 20)
#define BUF_MAX (TW_READER_MAX_RECORD + PCAP_REC_HDR)

/* Interfaces one file may declare; each costs a small allocation. */
#define MAX_IFACES 65536u

/* Warnings of one kind logged before the rest are only counted. */
#define WARN_LOG_LIMIT 5

#define NS_PER_SEC 1000000000LL

/* Classic pcap, draft-ietf-opsawg-pcap sections 4 and 5. */
#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_MAGIC_KUZNETZOV 0xa1b2cd34u
#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16

/*
 * libpcap's largest snapshot length: a caplen above both it and the
 * file's snaplen is taken as corruption, as libpcap does.
 */
#define PCAP_MAX_SNAPLEN 262144u

/* pcapng block types, draft-ietf-opsawg-pcapng section 10.1. */
#define BT_SHB 0x0a0d0d0au
#define BT_IDB 0x00000001u
#define BT_PB 0x00000002u
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u
#define PCAPNG_BOM 0x1a2b3c4du

/* pcapng option codes, sections 3.5 and 4.2. */
#define OPT_ENDOFOPT 0
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

enum warn_kind { W_BAD_TS, W_CAPLEN, W_TS_RANGE, W_TRUNC, W_NKINDS };

static const char *const warn_names[W_NKINDS] = {
	[W_BAD_TS] = "invalid timestamp",
	[W_CAPLEN] = "caplen > wire length",
	[W_TS_RANGE] = "timestamp out of range",
	[W_TRUNC] = "truncation",
};

/* How an interface's time units become nanoseconds. */
enum ts_scale { TS_MUL, TS_DIV, TS_SHIFT };

struct iface {
	struct tw_iface pub;
	enum ts_scale scale;
	uint64_t factor; /* multiplier or divisor; shift count for TS_SHIFT */
};

struct tw_reader {
	char *name;
	int fd; /* -1 for a memory reader */
	bool own_fd;
	uint8_t *buf;
	size_t cap;
	const uint8_t *base; /* buf, or the caller's memory */
	size_t pos;          /* next unread byte at base */
	size_t end;          /* end of valid bytes at base */
	uint64_t base_off;   /* file offset of base[0] */
	bool eof;

	int err;
	struct tw_errbuf eb;
	enum tw_format fmt;
	bool big; /* the file (pcap) or current section (pcapng) is BE */

	uint32_t snaplen;  /* classic pcap */
	uint32_t frac_mul; /* classic pcap: 1000 (us) or 1 (ns) */
	uint32_t frac_lim; /* classic pcap: 1e6 or 1e9 */

	struct iface **ifaces;
	uint32_t nifaces;
	uint32_t ifaces_cap;
	uint32_t section_base; /* global index of this section's iface 0 */
	uint32_t sections;
	int64_t last_ts;

	uint64_t warnings;
	uint64_t skipped;
	uint32_t warn_count[W_NKINDS];
};

/* A pcapng block in the buffer, framing already checked. */
struct block {
	const uint8_t *p;
	uint32_t type;
	uint32_t len;
	uint64_t off;
};

static inline uint16_t rd16(const struct tw_reader *r, const uint8_t *p)
{
	return r->big ? tw_be16(p) : tw_le16(p);
}

static inline uint32_t rd32(const struct tw_reader *r, const uint8_t *p)
{
	return r->big ? tw_be32(p) : tw_le32(p);
}

static inline uint64_t rd64(const struct tw_reader *r, const uint8_t *p)
{
	uint64_t a = rd32(r, p), b = rd32(r, p + 4);

	return r->big ? a << 32 | b : b << 32 | a;
}

static inline uint64_t cur_off(const struct tw_reader *r)
{
	return r->base_off + r->pos;
}

static inline size_t avail(const struct tw_reader *r)
{
	return r->end - r->pos;
}

/* Records a fatal error as "NAME: offset N: problem" and returns code. */
__attribute__((format(printf, 4, 5))) static int fail(struct tw_reader *r,
                                                      int code, uint64_t off,
                                                      const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	r->err = code;
	return tw_errf(&r->eb, code, "%s: offset %" PRIu64 ": %s", r->name, off,
	               what);
}

/*
 * Counts a warning and logs it, unless this kind was already logged
 * WARN_LOG_LIMIT times: then one "suppressed" line, then silence.
 */
__attribute__((format(printf, 4, 5))) static void warn(struct tw_reader *r,
                                                       enum warn_kind kind,
                                                       uint64_t off,
                                                       const char *fmt, ...)
{
	uint32_t n = ++r->warn_count[kind];
	char what[256];
	va_list ap;

	r->warnings++;
	if (n > WARN_LOG_LIMIT + 1 || TW_LOG_WARN > tw_log_threshold)
		return;

	if (n == WARN_LOG_LIMIT + 1) {
		tw_log(TW_LOG_WARN, "trace",
		       "%s: further %s warnings suppressed", r->name,
		       warn_names[kind]);
		return;
	}

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tw_log(TW_LOG_WARN, "trace", "%s: offset %" PRIu64 ": %s", r->name, off,
	       what);
}

static int grow(struct tw_reader *r, size_t n)
{
	size_t cap = r->cap;
	uint8_t *nb;

	while (cap < n)
		cap *= 2;
	if (cap > BUF_MAX)
		cap = BUF_MAX;

	nb = realloc(r->buf, cap);
	if (!nb)
		return fail(r, TW_ENOMEM, cur_off(r),
		            "cannot grow the read buffer to %zu bytes", cap);

	r->buf = nb;
	r->base = nb;
	r->cap = cap;
	return 0;
}

/*
 * Makes n bytes (n <= BUF_MAX) available at r->base + r->pos.  Returns 0
 * when they are, 1 when the file ends first (avail() bytes are left), or
 * TW_EIO / TW_ENOMEM.  The unread tail moves to the front of the buffer,
 * so pointers into it die here.
 */
static int fill(struct tw_reader *r, size_t n)
{
	int rc;

	if (avail(r) >= n)
		return 0;
	if (r->eof)
		return 1;

	memmove(r->buf, r->buf + r->pos, avail(r));
	r->base_off += r->pos;
	r->end -= r->pos;
	r->pos = 0;

	if (n > r->cap) {
		rc = grow(r, n);
		if (rc < 0)
			return rc;
	}

	while (r->end < n) {
		ssize_t k = read(r->fd, r->buf + r->end, r->cap - r->end);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return fail(r, TW_EIO, r->base_off + r->end,
			            "read failed: %s", strerror(errno));
		if (k == 0) {
			r->eof = true;
			return 1;
		}
		r->end += (size_t)k;
	}
	return 0;
}

/*
 * The file ends inside a record that starts at off: every packet before
 * it has been returned; this one is counted as a warning and returned as
 * TW_ETRUNC.  It is not logged: the caller reports the error, and a
 * second line saying the same would only be noise.
 */
static int truncated(struct tw_reader *r, uint64_t off, const char *what,
                     size_t want)
{
	r->warn_count[W_TRUNC]++;
	r->warnings++;
	return fail(r, TW_ETRUNC, off, "file ends inside %s (%zu of %zu bytes)",
	            what, avail(r), want);
}

/* Keeps pkt->wirelen >= caplen, as section 5 of the pcap draft allows. */
static void check_wirelen(struct tw_reader *r, struct tw_packet *pkt)
{
	if (pkt->caplen <= pkt->wirelen)
		return;

	warn(r, W_CAPLEN, pkt->offset,
	     "caplen %" PRIu32 " > wire length %" PRIu32 ", using %" PRIu32,
	     pkt->caplen, pkt->wirelen, pkt->caplen);
	pkt->wirelen = pkt->caplen;
}

static int add_iface(struct tw_reader *r, const struct iface *ifc, uint64_t off)
{
	struct iface *copy;

	if (r->nifaces == MAX_IFACES)
		return fail(r, TW_EUNSUP, off,
		            "more than %u interfaces in one file", MAX_IFACES);

	if (r->nifaces == r->ifaces_cap) {
		uint32_t cap = r->ifaces_cap ? r->ifaces_cap * 2 : 8;
		struct iface **n = realloc(r->ifaces, cap * sizeof(*n));

		if (!n)
			return fail(r, TW_ENOMEM, off, "out of memory");
		r->ifaces = n;
		r->ifaces_cap = cap;
	}

	/* One allocation each keeps tw_reader_iface() pointers stable. */
	copy = malloc(sizeof(*copy));
	if (!copy)
		return fail(r, TW_ENOMEM, off, "out of memory");
	*copy = *ifc;
	r->ifaces[r->nifaces++] = copy;
	return 0;
}

/* ---- classic pcap ---- */

static int pcap_open(struct tw_reader *r, uint32_t magic)
{
	struct iface ifc = { .scale = TS_MUL, .factor = 1 };
	uint16_t major, minor;
	const uint8_t *p;
	int rc;

	rc = fill(r, PCAP_FILE_HDR);
	if (rc < 0)
		return rc;
	if (rc)
		return fail(r, TW_ETRUNC, 0,
		            "truncated pcap file header (%zu of %d bytes)",
		            avail(r), PCAP_FILE_HDR);

	p = r->base + r->pos;
	major = rd16(r, p + 4);
	minor = rd16(r, p + 6);
	if (major != 2)
		return fail(r, TW_EUNSUP, 4, "unsupported pcap version %u.%u",
		            major, minor);

	r->fmt = magic == PCAP_MAGIC_NS ? TW_FMT_PCAP_NS : TW_FMT_PCAP_US;
	r->frac_mul = magic == PCAP_MAGIC_NS ? 1 : 1000;
	r->frac_lim = magic == PCAP_MAGIC_NS ? 1000000000 : 1000000;
	r->snaplen = rd32(r, p + 16);

	/* The upper 16 bits carry FCS information (section 4). */
	ifc.pub.linktype = (uint16_t)rd32(r, p + 20);
	ifc.pub.snaplen = r->snaplen;
	ifc.pub.tsresol = magic == PCAP_MAGIC_NS ? 9 : 6;

	r->pos += PCAP_FILE_HDR;
	r->sections = 1;
	return add_iface(r, &ifc, 0);
}

/*
 * A fraction of a second that is not below one second is invalid (seen
 * in the wild from buggy writers).  It is carried into the seconds, so
 * the packet keeps its place in time order as closely as we can tell.
 */
static int64_t pcap_ts(struct tw_reader *r, struct tw_packet *pkt, uint32_t sec,
                       uint32_t frac)
{
	if (frac >= r->frac_lim) {
		warn(r, W_BAD_TS, pkt->offset,
		     "invalid timestamp: fraction %" PRIu32 " %s is not below "
		     "one second; carried into the seconds",
		     frac, r->frac_mul == 1 ? "ns" : "us");
		pkt->flags |= TW_PKT_BAD_TS;
	}
	return (int64_t)sec * NS_PER_SEC + (int64_t)frac * r->frac_mul;
}

static int pcap_next(struct tw_reader *r, struct tw_packet *pkt)
{
	uint64_t off = cur_off(r);
	uint32_t caplen, limit;
	const uint8_t *p;
	int rc;

	rc = fill(r, PCAP_REC_HDR);
	if (rc < 0)
		return rc;
	if (rc && avail(r) == 0)
		return 0;
	if (rc)
		return truncated(r, off, "a packet record header",
		                 PCAP_REC_HDR);

	p = r->base + r->pos;
	caplen = rd32(r, p + 8);
	limit = r->snaplen > PCAP_MAX_SNAPLEN ? r->snaplen : PCAP_MAX_SNAPLEN;
	if (caplen > limit || caplen > TW_READER_MAX_RECORD)
		return fail(r, TW_EFORMAT, off,
		            "absurd caplen %" PRIu32 " (snaplen %" PRIu32 ")",
		            caplen, r->snaplen);

	rc = fill(r, PCAP_REC_HDR + (size_t)caplen);
	if (rc < 0)
		return rc;
	if (rc)
		return truncated(r, off, "a packet",
		                 PCAP_REC_HDR + (size_t)caplen);

	p = r->base + r->pos;
	pkt->offset = off;
	pkt->flags = 0;
	pkt->iface = 0;
	pkt->caplen = caplen;
	pkt->wirelen = rd32(r, p + 12);
	pkt->data = p + PCAP_REC_HDR;
	pkt->ts_ns = pcap_ts(r, pkt, rd32(r, p), rd32(r, p + 4));
	check_wirelen(r, pkt);

	r->pos += PCAP_REC_HDR + (size_t)caplen;
	return 1;
}

/* ---- pcapng ---- */

/*
 * Walks the options of a block (section 3.5) from body offset start up to
 * the trailing length, calling fn on each.  An option that overruns the
 * block is an error; opt_endofopt ends the walk.
 */
typedef int (*opt_fn)(struct tw_reader *r, uint16_t code, const uint8_t *val,
                      uint16_t len, uint64_t off, void *arg);

static int walk_options(struct tw_reader *r, const struct block *b,
                        size_t start, opt_fn fn, void *arg)
{
	size_t o = start, end = b->len - 4;

	while (o < end) {
		uint16_t code, len;
		int rc;

		if (end - o < 4)
			return fail(r, TW_EFORMAT, b->off + o,
			            "option header overruns its block");

		code = rd16(r, b->p + o);
		len = rd16(r, b->p + o + 2);
		if (code == OPT_ENDOFOPT)
			return 0;
		if (((size_t)len + 3) / 4 * 4 > end - o - 4)
			return fail(r, TW_EFORMAT, b->off + o,
			            "option code %u, length %u, overruns its "
			            "block (%zu bytes left)",
			            code, len, end - o - 4);

		if (fn) {
			rc = fn(r, code, b->p + o + 4, len, b->off + o, arg);
			if (rc < 0)
				return rc;
		}
		o += 4 + ((size_t)len + 3) / 4 * 4;
	}
	return 0;
}

/* Section 4.1: byte order, version, options; a new interface numbering. */
static int parse_shb(struct tw_reader *r, const struct block *b)
{
	uint16_t major, minor;
	int rc;

	if (b->len < 28)
		return fail(r, TW_EFORMAT, b->off,
		            "section header block too short (%" PRIu32
		            " bytes)",
		            b->len);

	major = rd16(r, b->p + 12);
	minor = rd16(r, b->p + 14);
	if (major != 1)
		return fail(r, TW_EUNSUP, b->off + 12,
		            "unsupported pcapng version %u.%u", major, minor);

	rc = walk_options(r, b, 24, NULL, NULL);
	if (rc < 0)
		return rc;

	r->sections++;
	r->section_base = r->nifaces;
	return 0;
}

/* Section 4.2, if_tsresol: 10^-v or, with the MSB set, 2^-v seconds. */
static int set_tsresol(struct tw_reader *r, struct iface *ifc, uint8_t v,
                       uint64_t off)
{
	static const uint64_t dec_pow[] = {
		1ull,         10ull,         100ull,        1000ull,
		10000ull,     100000ull,     1000000ull,    10000000ull,
		100000000ull, 1000000000ull, 10000000000ull
	};
	unsigned e = v & 0x7f;

	ifc->pub.tsresol = v;
	if (v & 0x80) {
		ifc->scale = TS_SHIFT;
		ifc->factor = e;
		return 0;
	}
	if (e > 19)
		return fail(r, TW_EFORMAT, off,
		            "if_tsresol 10^-%u is beyond 10^-19", e);

	if (e <= 9) {
		ifc->scale = TS_MUL;
		ifc->factor = dec_pow[9 - e];
	} else {
		ifc->scale = TS_DIV;
		ifc->factor = dec_pow[e - 9];
	}
	return 0;
}

static int idb_option(struct tw_reader *r, uint16_t code, const uint8_t *val,
                      uint16_t len, uint64_t off, void *arg)
{
	struct iface *ifc = arg;
	size_t n;

	switch (code) {
	case OPT_IF_NAME:
		n = len < sizeof(ifc->pub.name) - 1 ? len
		                                    : sizeof(ifc->pub.name) - 1;
		memcpy(ifc->pub.name, val, n);
		ifc->pub.name[n] = '\0';
		return 0;
	case OPT_IF_TSRESOL:
		if (len != 1)
			return fail(r, TW_EFORMAT, off,
			            "if_tsresol option of %u bytes, not 1",
			            len);
		return set_tsresol(r, ifc, val[0], off);
	case OPT_IF_TSOFFSET:
		if (len != 8)
			return fail(r, TW_EFORMAT, off,
			            "if_tsoffset option of %u bytes, not 8",
			            len);
		ifc->pub.tsoffset = (int64_t)rd64(r, val);
		return 0;
	default:
		return 0;
	}
}

/* Section 4.2: link type, snaplen, if_name, if_tsresol, if_tsoffset. */
static int parse_idb(struct tw_reader *r, const struct block *b)
{
	struct iface ifc = { .scale = TS_MUL, .factor = 1000 };
	int rc;

	if (b->len < 20)
		return fail(r, TW_EFORMAT, b->off,
		            "interface description block too short (%" PRIu32
		            " bytes)",
		            b->len);

	ifc.pub.linktype = rd16(r, b->p + 8);
	ifc.pub.snaplen = rd32(r, b->p + 12);
	ifc.pub.section = r->sections - 1;
	ifc.pub.tsresol = 6;

	rc = walk_options(r, b, 16, idb_option, &ifc);
	if (rc < 0)
		return rc;
	return add_iface(r, &ifc, b->off);
}

/* Units of the interface's clock since the epoch, to nanoseconds. */
static int64_t iface_ts(struct tw_reader *r, const struct iface *ifc,
                        uint64_t units, struct tw_packet *pkt)
{
	tw_i128 ns;

	if (ifc->scale == TS_MUL)
		ns = (tw_i128)units * ifc->factor;
	else if (ifc->scale == TS_DIV)
		ns = units / ifc->factor;
	else
		ns = (tw_i128)(((tw_u128)units * NS_PER_SEC) >> ifc->factor);
	ns += (tw_i128)ifc->pub.tsoffset * NS_PER_SEC;

	if (ns >= INT64_MIN && ns <= INT64_MAX)
		return (int64_t)ns;

	warn(r, W_TS_RANGE, pkt->offset,
	     "timestamp beyond the range of 64-bit nanoseconds, clamped");
	pkt->flags |= TW_PKT_BAD_TS;
	return ns < 0 ? INT64_MIN : INT64_MAX;
}

/* The interface a packet block names, as an index in this section. */
static int section_iface(struct tw_reader *r, uint32_t id, uint64_t off)
{
	uint32_t n = r->nifaces - r->section_base;

	if (id >= n)
		return fail(r, TW_EFORMAT, off,
		            "interface id %" PRIu32 " out of range (%" PRIu32
		            " interfaces in this section)",
		            id, n);
	return 0;
}

/*
 * Section 4.3 (EPB) and appendix A (the obsolete PB): both have the same
 * layout after the interface id, which is 32 bits in an EPB and 16 in a
 * PB (followed by a 16-bit drop count).
 */
static int parse_epb(struct tw_reader *r, const struct block *b,
                     struct tw_packet *pkt)
{
	const uint8_t *p = b->p;
	uint32_t id, caplen, room;
	const struct iface *ifc;
	int rc;

	if (b->len < 32)
		return fail(r, TW_EFORMAT, b->off,
		            "packet block too short (%" PRIu32 " bytes)",
		            b->len);

	id = b->type == BT_EPB ? rd32(r, p + 8) : rd16(r, p + 8);
	rc = section_iface(r, id, b->off);
	if (rc < 0)
		return rc;

	caplen = rd32(r, p + 20);
	room = b->len - 32;
	if (caplen > room)
		return fail(r, TW_EFORMAT, b->off,
		            "caplen %" PRIu32 " overruns its block (%" PRIu32
		            " bytes of room)",
		            caplen, room);

	ifc = r->ifaces[r->section_base + id];
	pkt->offset = b->off;
	pkt->flags = 0;
	pkt->iface = r->section_base + id;
	pkt->caplen = caplen;
	pkt->wirelen = rd32(r, p + 24);
	pkt->data = p + 28;
	pkt->ts_ns = iface_ts(
	        r, ifc, (uint64_t)rd32(r, p + 12) << 32 | rd32(r, p + 16), pkt);
	r->last_ts = pkt->ts_ns;
	check_wirelen(r, pkt);
	return 1;
}

/*
 * Section 4.4: no interface id (always the section's first), no caplen
 * (the smaller of the original length, that interface's snaplen and the
 * block's room) and no timestamp: the previous packet's is used, so that
 * time never runs backwards, and TW_PKT_NO_TS says so.
 */
static int parse_spb(struct tw_reader *r, const struct block *b,
                     struct tw_packet *pkt)
{
	uint32_t room, caplen, snaplen;
	int rc;

	if (b->len < 16)
		return fail(r, TW_EFORMAT, b->off,
		            "simple packet block too short (%" PRIu32 " bytes)",
		            b->len);

	rc = section_iface(r, 0, b->off);
	if (rc < 0)
		return rc;

	pkt->wirelen = rd32(r, b->p + 8);
	room = b->len - 16;
	snaplen = r->ifaces[r->section_base]->pub.snaplen;
	caplen = pkt->wirelen < room ? pkt->wirelen : room;
	if (snaplen && snaplen < caplen)
		caplen = snaplen;

	pkt->offset = b->off;
	pkt->flags = TW_PKT_NO_TS;
	pkt->iface = r->section_base;
	pkt->caplen = caplen;
	pkt->data = b->p + 12;
	pkt->ts_ns = r->last_ts;
	return 1;
}

/*
 * Section 3.1: reads the next block's framing and makes the whole block
 * available.  Returns 1 with *b set, 0 at the clean end of the file, or
 * an error.  The block is consumed: its bytes stay valid until the next
 * fill().
 */
static int next_block(struct tw_reader *r, struct block *b)
{
	const uint8_t *p;
	uint32_t bom;
	int rc;

	b->off = cur_off(r);
	rc = fill(r, 12);
	if (rc < 0)
		return rc;
	if (rc && avail(r) == 0)
		return 0;
	if (rc)
		return truncated(r, b->off, "a block header", 12);

	/* A section header says its own byte order (section 4.1). */
	p = r->base + r->pos;
	if (tw_le32(p) == BT_SHB) {
		bom = tw_le32(p + 8);
		if (bom != PCAPNG_BOM && tw_be32(p + 8) != PCAPNG_BOM)
			return fail(r, TW_EFORMAT, b->off + 8,
			            "bad byte-order magic 0x%08" PRIx32, bom);
		r->big = bom != PCAPNG_BOM;
	}

	b->type = rd32(r, p);
	b->len = rd32(r, p + 4);
	if (b->len < 12 || b->len % 4)
		return fail(r, TW_EFORMAT, b->off,
		            "invalid block length %" PRIu32
		            " (below 12 or not a multiple of 4)",
		            b->len);
	if (b->len > TW_READER_MAX_RECORD)
		return fail(r, TW_EFORMAT, b->off,
		            "block length %" PRIu32 " over the limit of %u",
		            b->len, TW_READER_MAX_RECORD);

	rc = fill(r, b->len);
	if (rc < 0)
		return rc;
	if (rc)
		return truncated(r, b->off, "a block", b->len);

	b->p = r->base + r->pos;
	r->pos += b->len;
	return 1;
}

static int check_trailer(struct tw_reader *r, const struct block *b)
{
	uint32_t tail = rd32(r, b->p + b->len - 4);

	if (tail == b->len)
		return 0;
	return fail(r, TW_EFORMAT, b->off,
	            "trailing block length %" PRIu32 " differs from %" PRIu32,
	            tail, b->len);
}

/* One block: 1 and *pkt for a packet, 0 for any other block. */
static int dispatch(struct tw_reader *r, const struct block *b,
                    struct tw_packet *pkt)
{
	switch (b->type) {
	case BT_SHB:
		return parse_shb(r, b);
	case BT_IDB:
		return parse_idb(r, b);
	case BT_EPB:
	case BT_PB:
		return parse_epb(r, b, pkt);
	case BT_SPB:
		return parse_spb(r, b, pkt);
	default:
		/* NRB, ISB, DSB, custom, journal, unknown: section 3.1
		 * lets a reader skip what it does not need. */
		r->skipped++;
		return 0;
	}
}

static int pcapng_next(struct tw_reader *r, struct tw_packet *pkt)
{
	struct block b;
	int rc;

	for (;;) {
		rc = next_block(r, &b);
		if (rc <= 0)
			return rc;

		/* The body is in bounds, so it is parsed first: its
		 * errors say more than a mismatched trailing length. */
		rc = dispatch(r, &b, pkt);
		if (rc < 0)
			return rc;
		if (check_trailer(r, &b) < 0)
			return r->err;
		if (rc)
			return 1;
	}
}

static int pcapng_open(struct tw_reader *r)
{
	struct block b;
	int rc;

	r->fmt = TW_FMT_PCAPNG;
	rc = next_block(r, &b);
	if (rc < 0)
		return rc;

	rc = parse_shb(r, &b);
	if (rc < 0)
		return rc;
	return check_trailer(r, &b);
}

/* ---- opening and closing ---- */

static int open_header(struct tw_reader *r)
{
	uint32_t magic;
	int rc;

	rc = fill(r, 4);
	if (rc < 0)
		return rc;
	if (rc && avail(r) == 0)
		return fail(r, TW_EFORMAT, 0, "empty file");
	if (rc)
		return fail(r, TW_ETRUNC, 0,
		            "truncated file header (%zu of 4 bytes)", avail(r));

	magic = tw_le32(r->base + r->pos);
	if (magic == BT_SHB)
		return pcapng_open(r);

	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS)
		return pcap_open(r, magic);

	magic = tw_be32(r->base + r->pos);
	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS) {
		r->big = true;
		return pcap_open(r, magic);
	}

	if (magic == PCAP_MAGIC_KUZNETZOV ||
	    tw_le32(r->base + r->pos) == PCAP_MAGIC_KUZNETZOV)
		return fail(r, TW_EUNSUP, 0,
		            "modified (Kuznetzov) pcap is not supported");
	return fail(r, TW_EFORMAT, 0,
	            "not a pcap or pcapng file (magic 0x%08" PRIx32 ")", magic);
}

static struct tw_reader *alloc_reader(const char *name)
{
	struct tw_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;

	r->name = strdup(name ? name : "(memory)");
	if (!r->name) {
		free(r);
		return NULL;
	}
	r->fd = -1;
	return r;
}

/* Finishes an open: reads the header, or frees r and reports why not. */
static int finish_open(struct tw_reader **out, struct tw_reader *r,
                       char *errbuf, size_t errlen)
{
	int rc = open_header(r);

	if (rc == 0) {
		*out = r;
		return 0;
	}
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", r->eb.msg);
	tw_reader_close(r);
	return rc;
}

static int nomem(struct tw_reader **out, const char *name, char *errbuf,
                 size_t errlen)
{
	*out = NULL;
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s: out of memory",
		         name ? name : "(memory)");
	return TW_ENOMEM;
}

int tw_reader_open_fd(struct tw_reader **out, int fd, const char *name,
                      char *errbuf, size_t errlen)
{
	struct tw_reader *r = alloc_reader(name);

	*out = NULL;
	if (r)
		r->buf = malloc(BUF_INITIAL);
	if (!r || !r->buf) {
		tw_reader_close(r);
		return nomem(out, name, errbuf, errlen);
	}

	r->fd = fd;
	r->base = r->buf;
	r->cap = BUF_INITIAL;

	/* A hint only: pipes and terminals refuse it. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return finish_open(out, r, errbuf, errlen);
}

int tw_reader_open(struct tw_reader **out, const char *path, char *errbuf,
                   size_t errlen)
{
	struct tw_reader *r;
	int fd, rc;

	*out = NULL;
	if (strcmp(path, "-") == 0)
		return tw_reader_open_fd(out, STDIN_FILENO, "(stdin)", errbuf,
		                         errlen);

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "%s: cannot open: %s", path,
			         strerror(errno));
		return TW_EIO;
	}

	rc = tw_reader_open_fd(&r, fd, path, errbuf, errlen);
	if (rc < 0) {
		close(fd);
		return rc;
	}

	r->own_fd = true;
	*out = r;
	return 0;
}

int tw_reader_open_mem(struct tw_reader **out, const void *mem, size_t len,
                       const char *name, char *errbuf, size_t errlen)
{
	struct tw_reader *r = alloc_reader(name);

	*out = NULL;
	if (!r)
		return nomem(out, name, errbuf, errlen);

	r->base = mem;
	r->end = len;
	r->eof = true;
	return finish_open(out, r, errbuf, errlen);
}

int tw_reader_next(struct tw_reader *r, struct tw_packet *pkt)
{
	if (r->err)
		return r->err;
	if (r->fmt == TW_FMT_PCAPNG)
		return pcapng_next(r, pkt);
	return pcap_next(r, pkt);
}

const char *tw_reader_errmsg(const struct tw_reader *r)
{
	return r->eb.msg;
}

enum tw_format tw_reader_format(const struct tw_reader *r)
{
	return r->fmt;
}

uint32_t tw_reader_iface_count(const struct tw_reader *r)
{
	return r->nifaces;
}

const struct tw_iface *tw_reader_iface(const struct tw_reader *r, uint32_t i)
{
	return i < r->nifaces ? &r->ifaces[i]->pub : NULL;
}

uint32_t tw_reader_section_count(const struct tw_reader *r)
{
	return r->sections;
}

uint64_t tw_reader_warnings(const struct tw_reader *r)
{
	return r->warnings;
}

uint64_t tw_reader_skipped_blocks(const struct tw_reader *r)
{
	return r->skipped;
}

uint64_t tw_reader_offset(const struct tw_reader *r)
{
	return cur_off(r);
}

const char *tw_reader_name(const struct tw_reader *r)
{
	return r->name;
}

void tw_reader_close(struct tw_reader *r)
{
	if (!r)
		return;

	if (r->own_fd)
		close(r->fd);
	for (uint32_t i = 0; i < r->nifaces; i++)
		free(r->ifaces[i]);
	free(r->ifaces);
	free(r->buf);
	free(r->name);
	free(r);
}
