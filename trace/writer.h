/*
 * writer.h - pcapng (default, nanosecond) and classic pcap writer.
 *
 * Output carries only what tracewarp puts there: one section header with
 * shb_userappl and the comments the caller adds (for example the policy
 * hash of a redacted trace), interface blocks with link type, snaplen and
 * if_tsresol, and enhanced packet blocks.  Never the input's interface
 * names, filters, comments, name-resolution blocks or secrets.
 *
 * Writes are buffered; tw_writer_flush() pushes whole records to the file,
 * so a file cut short by a crash still ends on a record boundary as far as
 * the last flush.  Errors name the file and the problem.
 */
#ifndef TW_WRITER_H
#define TW_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

enum tw_out_format {
	TW_OUT_PCAPNG = 0,
	TW_OUT_PCAP_NS, /* classic pcap, nanosecond magic */
	TW_OUT_PCAP_US  /* classic pcap, microsecond magic */
};

struct tw_writer;

/* Largest caplen written: what tw_reader accepts back (16 MiB records). */
#define TW_WRITER_MAX_CAPLEN ((16u << 20) - 64)

/*
 * Creates path ("-" is standard output, "(stdout)" in messages),
 * truncating it.  Nothing is
 * written until the first interface is added.  Returns 0 and *out, or
 * TW_EIO / TW_ENOMEM with the message in errbuf.
 */
int tw_writer_open(struct tw_writer **out, const char *path,
                   enum tw_out_format fmt, char *errbuf, size_t errlen);

/* As tw_writer_open() on an open descriptor (not closed by the writer). */
int tw_writer_open_fd(struct tw_writer **out, int fd, const char *name,
                      enum tw_out_format fmt, char *errbuf, size_t errlen);

/*
 * Adds a comment to the section header (pcapng opt_comment).  Only before
 * the first interface; ignored by classic pcap.  Returns 0, TW_ESTATE or
 * TW_EINVAL (too long).  The text is copied.
 */
int tw_writer_add_comment(struct tw_writer *w, const char *text);

/*
 * Declares an interface and returns its index in *id.  pcapng writes an
 * interface block; classic pcap writes the file header on the first call
 * and accepts later calls only with the same link type (TW_EUNSUP).
 */
int tw_writer_add_iface(struct tw_writer *w, uint16_t linktype,
                        uint32_t snaplen, uint32_t *id);

/* Appends one packet.  caplen bytes of data are written; wirelen is the
 * on-the-wire length (>= caplen).  Returns 0, TW_EINVAL, TW_EIO.
 * TW_EINVAL (unknown iface, caplen > wirelen or > TW_WRITER_MAX_CAPLEN,
 * negative ts_ns, past 2106 or caplen beyond the snaplen in classic
 * pcap) refuses this packet only; the writer stays usable.  TW_EIO is
 * sticky: every later call returns it. */
int tw_writer_write(struct tw_writer *w, uint32_t iface, int64_t ts_ns,
                    const uint8_t *data, uint32_t caplen, uint32_t wirelen);

/* Pushes buffered records to the file. */
int tw_writer_flush(struct tw_writer *w);

/* Bytes handed to the file so far (after flushes), and packets written. */
uint64_t tw_writer_bytes(const struct tw_writer *w);
uint64_t tw_writer_packets(const struct tw_writer *w);

const char *tw_writer_errmsg(const struct tw_writer *w);

/*
 * Flushes and closes.  Returns 0 or the first error met (the message is
 * then in errbuf).  Always frees w.  A pcapng writer that never had an
 * interface still writes its section header, so the file is a valid
 * empty trace; a classic pcap one leaves the file empty.
 */
int tw_writer_close(struct tw_writer *w, char *errbuf, size_t errlen);

#endif
