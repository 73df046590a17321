/*
 * writer.c - pcapng and classic pcap writer.
 *
 * pcapng output (draft-ietf-opsawg-pcapng) is little-endian, version 1.0:
 * one Section Header Block (section 4.1) with shb_userappl and the
 * caller's opt_comment options, one Interface Description Block (4.2) per
 * interface with if_tsresol = 9, and Enhanced Packet Blocks (4.3) with
 * nanosecond timestamps and no options.  Classic pcap output
 * (draft-ietf-opsawg-pcap, sections 4 and 5) is little-endian, version
 * 2.4, with the nanosecond or the microsecond magic.
 *
 * Records go through a 1 MiB buffer.  A record that does not fit in what
 * is left of it is preceded by a flush, so the buffer only ever holds
 * whole records and a flush never leaves half of one in the file (unless
 * the write itself fails).  A record larger than the buffer is written
 * straight through after a flush.
 *
 * Errors: I/O errors are sticky (every later call returns the first) and
 * tw_writer_close() reports them; a bad argument (caplen > wirelen, a
 * timestamp the format cannot hold) is refused with TW_EINVAL and leaves
 * the writer usable, the packet unwritten.  Negative timestamps are
 * refused rather than clamped: neither format can hold them, and moving
 * a packet silently in time would be worse than telling the caller.
 */
#include "writer.h"

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

#define BUF_SIZE (1u << 20)

#define NS_PER_SEC 1000000000LL

/* Comments of one section header, all together, at most. */
#define MAX_COMMENTS_BYTES (1u << 20)

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_DEFAULT_SNAPLEN 262144u

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define PCAPNG_BOM 0x1a2b3c4du

#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_TSRESOL 9

#define USERAPPL "tracewarp"

struct tw_writer {
	char *name;
	int fd;
	bool own_fd;
	enum tw_out_format fmt;
	uint8_t *buf;
	size_t len;

	int err; /* first I/O error, sticky */
	struct tw_errbuf eb;

	uint64_t bytes;
	uint64_t packets;
	uint32_t nifaces;
	bool started; /* file header or SHB in the buffer */

	uint16_t linktype; /* classic pcap: the file's only link type */
	uint32_t snaplen;  /* classic pcap: the header's snaplen */

	char **comments;
	uint32_t ncomments;
	size_t comments_bytes;
};

static inline size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Formats "NAME: problem" into the message buffer and returns code. */
__attribute__((format(printf, 3, 4))) static int set_msg(struct tw_writer *w,
                                                         int code,
                                                         const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return tw_errf(&w->eb, code, "%s: %s", w->name, what);
}

/* Writes all n bytes, through EINTR and short writes; sticky on error. */
static int write_all(struct tw_writer *w, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(w->fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			w->err = set_msg(w, TW_EIO, "write failed: %s",
			                 strerror(errno));
			return w->err;
		}
		p += k;
		n -= (size_t)k;
		w->bytes += (uint64_t)k;
	}
	return 0;
}

int tw_writer_flush(struct tw_writer *w)
{
	int rc;

	if (w->err)
		return w->err;

	rc = write_all(w, w->buf, w->len);
	w->len = 0;
	return rc;
}

/*
 * Appends one record made of up to three parts (header, data, trailer).
 * It goes whole into the buffer, after a flush if needed, or, when larger
 * than the buffer, straight to the file.
 */
static int put_record(struct tw_writer *w, const void *hdr, size_t hlen,
                      const void *data, size_t dlen, const void *tail,
                      size_t tlen)
{
	size_t total = hlen + dlen + tlen;
	int rc;

	if (w->err)
		return w->err;

	if (total > BUF_SIZE - w->len) {
		rc = tw_writer_flush(w);
		if (rc < 0)
			return rc;
	}

	if (total > BUF_SIZE) {
		rc = write_all(w, hdr, hlen);
		if (rc == 0 && dlen)
			rc = write_all(w, data, dlen);
		if (rc == 0 && tlen)
			rc = write_all(w, tail, tlen);
		return rc;
	}

	memcpy(w->buf + w->len, hdr, hlen);
	if (dlen)
		memcpy(w->buf + w->len + hlen, data, dlen);
	if (tlen)
		memcpy(w->buf + w->len + hlen + dlen, tail, tlen);
	w->len += total;
	return 0;
}

/* ---- pcapng ---- */

/* Appends one option (section 3.5) at p, padded; returns its size. */
static size_t put_option(uint8_t *p, uint16_t code, const void *val,
                         uint16_t len)
{
	tw_put_le16(p, code);
	tw_put_le16(p + 2, len);
	if (len)
		memcpy(p + 4, val, len);
	memset(p + 4 + len, 0, pad4(len) - len);
	return 4 + pad4(len);
}

/* Section 4.1: the one section header, with its options. */
static int put_shb(struct tw_writer *w)
{
	size_t len = 24 + 4 + pad4(sizeof(USERAPPL) - 1) + 4 + 4;
	size_t o = 24;
	uint8_t *b;
	int rc;

	for (uint32_t i = 0; i < w->ncomments; i++)
		len += 4 + pad4(strlen(w->comments[i]));

	b = malloc(len);
	if (!b) {
		w->err = set_msg(w, TW_ENOMEM, "out of memory");
		return w->err;
	}

	tw_put_le32(b, BT_SHB);
	tw_put_le32(b + 4, (uint32_t)len);
	tw_put_le32(b + 8, PCAPNG_BOM);
	tw_put_le16(b + 12, 1);
	tw_put_le16(b + 14, 0);
	/* Section length -1: not known in advance. */
	memset(b + 16, 0xff, 8);

	o += put_option(b + o, OPT_SHB_USERAPPL, USERAPPL,
	                sizeof(USERAPPL) - 1);
	for (uint32_t i = 0; i < w->ncomments; i++)
		o += put_option(b + o, OPT_COMMENT, w->comments[i],
		                (uint16_t)strlen(w->comments[i]));
	o += put_option(b + o, OPT_ENDOFOPT, NULL, 0);
	tw_put_le32(b + o, (uint32_t)len);

	rc = put_record(w, b, len, NULL, 0, NULL, 0);
	free(b);
	w->started = true;
	return rc;
}

/* Section 4.2: link type, snaplen, if_tsresol = 9 (nanoseconds). */
static int put_idb(struct tw_writer *w, uint16_t linktype, uint32_t snaplen)
{
	uint8_t b[32], resol = 9;
	size_t o = 16;

	tw_put_le32(b, BT_IDB);
	tw_put_le32(b + 4, sizeof(b));
	tw_put_le16(b + 8, linktype);
	tw_put_le16(b + 10, 0);
	tw_put_le32(b + 12, snaplen);
	o += put_option(b + o, OPT_IF_TSRESOL, &resol, 1);
	o += put_option(b + o, OPT_ENDOFOPT, NULL, 0);
	tw_put_le32(b + o, sizeof(b));

	return put_record(w, b, sizeof(b), NULL, 0, NULL, 0);
}

/* Section 4.3: an EPB without options; ts_ns >= 0 was checked. */
static int put_epb(struct tw_writer *w, uint32_t iface, int64_t ts_ns,
                   const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	static const uint8_t zeros[4];
	size_t pad = pad4(caplen) - caplen;
	uint32_t len = (uint32_t)(32 + caplen + pad);
	uint8_t hdr[28], tail[8];

	tw_put_le32(hdr, BT_EPB);
	tw_put_le32(hdr + 4, len);
	tw_put_le32(hdr + 8, iface);
	tw_put_le32(hdr + 12, (uint32_t)((uint64_t)ts_ns >> 32));
	tw_put_le32(hdr + 16, (uint32_t)ts_ns);
	tw_put_le32(hdr + 20, caplen);
	tw_put_le32(hdr + 24, wirelen);
	memcpy(tail, zeros, pad);
	tw_put_le32(tail + pad, len);

	return put_record(w, hdr, sizeof(hdr), data, caplen, tail, pad + 4);
}

/* ---- classic pcap ---- */

/* Section 4: the file header, written with the first interface. */
static int put_pcap_header(struct tw_writer *w)
{
	uint8_t b[24];

	tw_put_le32(b,
	            w->fmt == TW_OUT_PCAP_NS ? PCAP_MAGIC_NS : PCAP_MAGIC_US);
	tw_put_le16(b + 4, 2);
	tw_put_le16(b + 6, 4);
	tw_put_le32(b + 8, 0);
	tw_put_le32(b + 12, 0);
	tw_put_le32(b + 16, w->snaplen);
	tw_put_le32(b + 20, w->linktype);

	w->started = true;
	return put_record(w, b, sizeof(b), NULL, 0, NULL, 0);
}

/* Section 5: a packet record; the timestamp range was checked. */
static int put_pcap_record(struct tw_writer *w, int64_t ts_ns,
                           const uint8_t *data, uint32_t caplen,
                           uint32_t wirelen)
{
	int64_t frac = ts_ns % NS_PER_SEC;
	uint8_t hdr[16];

	if (w->fmt == TW_OUT_PCAP_US)
		frac /= 1000;
	tw_put_le32(hdr, (uint32_t)(ts_ns / NS_PER_SEC));
	tw_put_le32(hdr + 4, (uint32_t)frac);
	tw_put_le32(hdr + 8, caplen);
	tw_put_le32(hdr + 12, wirelen);

	return put_record(w, hdr, sizeof(hdr), data, caplen, NULL, 0);
}

static int pcap_add_iface(struct tw_writer *w, uint16_t linktype,
                          uint32_t snaplen)
{
	if (w->started && linktype == w->linktype)
		return 0;
	if (w->started)
		return set_msg(w, TW_EUNSUP,
		               "classic pcap holds one link type: cannot add "
		               "link type %u to a file of link type %u "
		               "(write pcapng instead)",
		               linktype, w->linktype);

	w->linktype = linktype;
	w->snaplen = snaplen ? snaplen : PCAP_DEFAULT_SNAPLEN;
	return put_pcap_header(w);
}

/* ---- public ---- */

int tw_writer_add_comment(struct tw_writer *w, const char *text)
{
	size_t n = strlen(text);
	char **list, *copy;

	if (w->err)
		return w->err;
	if (w->nifaces)
		return set_msg(w, TW_ESTATE,
		               "comments must come before the first interface");
	if (w->fmt != TW_OUT_PCAPNG)
		return 0;
	if (n > UINT16_MAX || w->comments_bytes + n > MAX_COMMENTS_BYTES)
		return set_msg(w, TW_EINVAL, "comment of %zu bytes is too long",
		               n);

	list = realloc(w->comments, (w->ncomments + 1) * sizeof(*list));
	if (!list)
		return set_msg(w, TW_ENOMEM, "out of memory");
	w->comments = list;

	copy = strdup(text);
	if (!copy)
		return set_msg(w, TW_ENOMEM, "out of memory");
	w->comments[w->ncomments++] = copy;
	w->comments_bytes += n;
	return 0;
}

int tw_writer_add_iface(struct tw_writer *w, uint16_t linktype,
                        uint32_t snaplen, uint32_t *id)
{
	int rc;

	if (w->err)
		return w->err;

	if (w->fmt != TW_OUT_PCAPNG)
		rc = pcap_add_iface(w, linktype, snaplen);
	else if (!w->started)
		rc = put_shb(w);
	else
		rc = 0;
	if (rc == 0 && w->fmt == TW_OUT_PCAPNG)
		rc = put_idb(w, linktype, snaplen);
	if (rc < 0)
		return rc;

	*id = w->nifaces++;
	return 0;
}

/* Refuses what the output format cannot hold, before anything is put. */
static int check_packet(struct tw_writer *w, uint32_t iface, int64_t ts_ns,
                        uint32_t caplen, uint32_t wirelen)
{
	uint32_t limit;

	if (iface >= w->nifaces)
		return set_msg(w, TW_EINVAL,
		               "packet %" PRIu64 ": interface %" PRIu32
		               " was never added",
		               w->packets + 1, iface);
	if (caplen > wirelen)
		return set_msg(w, TW_EINVAL,
		               "packet %" PRIu64 ": caplen %" PRIu32
		               " > wire length %" PRIu32,
		               w->packets + 1, caplen, wirelen);
	if (caplen > TW_WRITER_MAX_CAPLEN)
		return set_msg(w, TW_EINVAL,
		               "packet %" PRIu64 ": caplen %" PRIu32
		               " over the limit of %u",
		               w->packets + 1, caplen, TW_WRITER_MAX_CAPLEN);
	if (ts_ns < 0)
		return set_msg(w, TW_EINVAL,
		               "packet %" PRIu64 ": negative timestamp %" PRId64
		               " ns",
		               w->packets + 1, ts_ns);
	if (w->fmt == TW_OUT_PCAPNG)
		return 0;

	/* Classic pcap: 32-bit seconds, and a caplen libpcap accepts. */
	if (ts_ns / NS_PER_SEC > UINT32_MAX)
		return set_msg(w, TW_EINVAL,
		               "packet %" PRIu64 ": timestamp %" PRId64
		               " ns is past what pcap can hold (2106)",
		               w->packets + 1, ts_ns);
	limit = w->snaplen > PCAP_DEFAULT_SNAPLEN ? w->snaplen
	                                          : PCAP_DEFAULT_SNAPLEN;
	if (caplen > limit)
		return set_msg(w, TW_EINVAL,
		               "packet %" PRIu64 ": caplen %" PRIu32
		               " over the snaplen %" PRIu32,
		               w->packets + 1, caplen, w->snaplen);
	return 0;
}

int tw_writer_write(struct tw_writer *w, uint32_t iface, int64_t ts_ns,
                    const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	int rc;

	if (w->err)
		return w->err;

	rc = check_packet(w, iface, ts_ns, caplen, wirelen);
	if (rc < 0)
		return rc;

	if (w->fmt == TW_OUT_PCAPNG)
		rc = put_epb(w, iface, ts_ns, data, caplen, wirelen);
	else
		rc = put_pcap_record(w, ts_ns, data, caplen, wirelen);
	if (rc < 0)
		return rc;

	w->packets++;
	return 0;
}

uint64_t tw_writer_bytes(const struct tw_writer *w)
{
	return w->bytes;
}

uint64_t tw_writer_packets(const struct tw_writer *w)
{
	return w->packets;
}

const char *tw_writer_errmsg(const struct tw_writer *w)
{
	return w->eb.msg;
}

int tw_writer_open_fd(struct tw_writer **out, int fd, const char *name,
                      enum tw_out_format fmt, char *errbuf, size_t errlen)
{
	struct tw_writer *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w) {
		w->name = strdup(name ? name : "(output)");
		w->buf = malloc(BUF_SIZE);
	}
	if (!w || !w->name || !w->buf) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "%s: out of memory",
			         name ? name : "(output)");
		if (w) {
			free(w->name);
			free(w->buf);
		}
		free(w);
		return TW_ENOMEM;
	}

	w->fd = fd;
	w->fmt = fmt;
	*out = w;
	return 0;
}

int tw_writer_open(struct tw_writer **out, const char *path,
                   enum tw_out_format fmt, char *errbuf, size_t errlen)
{
	int fd, rc;

	*out = NULL;
	if (strcmp(path, "-") == 0)
		return tw_writer_open_fd(out, STDOUT_FILENO, "(stdout)", fmt,
		                         errbuf, errlen);

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "%s: cannot create: %s", path,
			         strerror(errno));
		return TW_EIO;
	}

	rc = tw_writer_open_fd(out, fd, path, fmt, errbuf, errlen);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	(*out)->own_fd = true;
	return 0;
}

/*
 * A pcapng file with no interface still gets its section header, so that
 * an empty trace is a valid file; a classic pcap one stays empty, having
 * no link type to declare.
 */
int tw_writer_close(struct tw_writer *w, char *errbuf, size_t errlen)
{
	int rc = w->err;

	if (rc == 0 && !w->started && w->fmt == TW_OUT_PCAPNG)
		rc = put_shb(w);
	if (rc == 0)
		rc = tw_writer_flush(w);
	if (w->own_fd && close(w->fd) < 0 && rc == 0)
		rc = set_msg(w, TW_EIO, "close failed: %s", strerror(errno));

	if (rc < 0 && errbuf && errlen)
		snprintf(errbuf, errlen, "%s", w->eb.msg);

	for (uint32_t i = 0; i < w->ncomments; i++)
		free(w->comments[i]);
	free(w->comments);
	free(w->buf);
	free(w->name);
	free(w);
	return rc;
}
