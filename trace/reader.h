/*
 * reader.h - streaming reader for classic pcap and pcapng.
 *
 * Reads classic pcap (microsecond and nanosecond magic, either byte order)
 * and pcapng (several sections, each with its own byte order; several
 * interfaces with different link types, snaplens, if_tsresol and
 * if_tsoffset; enhanced, simple and obsolete packet blocks; every other
 * block skipped).  Memory use is bounded by the largest record, never by
 * the file: a multi-GB trace streams through one buffer.
 *
 * Errors name the file, the byte offset and the problem, through
 * tw_reader_errmsg().  A file that ends inside a record yields every
 * complete packet before it, then TW_ETRUNC.  Recoverable oddities
 * (an invalid timestamp fraction, caplen > wirelen) are counted, logged
 * as warnings and normalized, never fatal.
 */
#ifndef TW_READER_H
#define TW_READER_H

#include <stddef.h>
#include <stdint.h>

#include "packet.h"

enum tw_format {
	TW_FMT_PCAP_US = 1, /* classic pcap, microsecond timestamps */
	TW_FMT_PCAP_NS,     /* classic pcap, nanosecond timestamps */
	TW_FMT_PCAPNG
};

/* Largest record the reader accepts; anything larger is corrupt. */
#define TW_READER_MAX_RECORD (16u << 20)

struct tw_reader;

/*
 * Opens path ("-" is standard input, named "(stdin)" in messages) and
 * reads the file header (for pcapng, the first section header block).
 * On success *out owns the reader (free with tw_reader_close()) and 0 is
 * returned.  On failure *out is NULL, the code is returned and, when
 * errbuf is non-NULL, it receives the message (errlen bytes at most).
 * Errors: TW_EIO, TW_EFORMAT, TW_ETRUNC, TW_EUNSUP, TW_ENOMEM.
 */
int tw_reader_open(struct tw_reader **out, const char *path, char *errbuf,
                   size_t errlen);

/* As tw_reader_open() on an open descriptor; name is used in messages.
 * The reader does not close fd. */
int tw_reader_open_fd(struct tw_reader **out, int fd, const char *name,
                      char *errbuf, size_t errlen);

/* As tw_reader_open() on bytes in memory (not copied: mem must outlive
 * the reader).  For tests and fuzzing. */
int tw_reader_open_mem(struct tw_reader **out, const void *mem, size_t len,
                       const char *name, char *errbuf, size_t errlen);

/*
 * Reads the next packet into *pkt.  Returns 1 for a packet, 0 at the clean
 * end of the file, or a negative TW_E* code (TW_EIO, TW_EFORMAT, TW_ETRUNC,
 * TW_EUNSUP, TW_ENOMEM); after an error every later call returns the same
 * code.  pkt->data is valid until the next call.
 */
int tw_reader_next(struct tw_reader *r, struct tw_packet *pkt);

/* The message of the last error: "FILE: offset N: problem". */
const char *tw_reader_errmsg(const struct tw_reader *r);

enum tw_format tw_reader_format(const struct tw_reader *r);

/* Interfaces seen so far (pcapng adds them as its blocks are read), in
 * file order across sections.  The pointers stay valid until
 * tw_reader_close(). */
uint32_t tw_reader_iface_count(const struct tw_reader *r);
const struct tw_iface *tw_reader_iface(const struct tw_reader *r, uint32_t i);

/* Sections seen so far (1 for classic pcap). */
uint32_t tw_reader_section_count(const struct tw_reader *r);

/* Non-fatal problems met so far: invalid timestamp fractions, caplen >
 * wirelen, out-of-range timestamps, and the truncation that ended the
 * file.  Each kind is logged for its first few occurrences, then once as
 * "further ... suppressed". */
uint64_t tw_reader_warnings(const struct tw_reader *r);

/* pcapng blocks that were skipped (statistics, names, unknown types). */
uint64_t tw_reader_skipped_blocks(const struct tw_reader *r);

/* Bytes consumed from the file so far. */
uint64_t tw_reader_offset(const struct tw_reader *r);

/* The name given at open. */
const char *tw_reader_name(const struct tw_reader *r);

void tw_reader_close(struct tw_reader *r);

#endif
