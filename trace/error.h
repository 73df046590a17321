/*
 * error.h - the one error space of tracewarp.
 *
 * Every fallible function returns 0 (or a positive count) on success and
 * one of the negative TW_E* codes below on failure.  The code says what
 * class of thing went wrong; the object that failed (a reader, a writer)
 * keeps a message that says where (file, byte offset) and what exactly.
 * Third-party errors (libpcap, nghttp2, OpenSSL, DPDK) are translated into
 * this space once, where they are called.
 */
#ifndef TW_ERROR_H
#define TW_ERROR_H

#include <stdarg.h>
#include <stddef.h>

enum tw_err {
	TW_OK = 0,
	TW_EIO = -1,     /* a read, write or open failed (errno kept) */
	TW_EFORMAT = -2, /* input is malformed */
	TW_ETRUNC = -3,  /* input ends in the middle of a record */
	TW_ENOMEM = -4,  /* an allocation failed */
	TW_EINVAL = -5,  /* a bad argument or option value */
	TW_EUNSUP = -6,  /* valid, but not supported */
	TW_ELIMIT = -7,  /* a configured resource bound was exceeded */
	TW_ESTATE = -8,  /* call out of order (e.g. write before open) */
	TW_EINTERNAL = -9
};

/* Returns a static, human-readable name for code (never NULL). */
const char *tw_strerror(int code);

/*
 * A message buffer that objects embed: "what: where: why".  Formatting
 * never overflows; an over-long message is cut.
 */
#define TW_ERRMSG_MAX 512

struct tw_errbuf {
	char msg[TW_ERRMSG_MAX];
};

/* Formats fmt into eb and returns code, so callers can write
 * "return tw_errf(&r->err, TW_EFORMAT, "...", ...);". */
int tw_errf(struct tw_errbuf *eb, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

int tw_verrf(struct tw_errbuf *eb, int code, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

#endif
