/*
 * error.c - error codes and message buffers.
 */
#include "error.h"

#include <stdio.h>

static const char *const names[] = {
	[0] = "success",
	[-TW_EIO] = "I/O error",
	[-TW_EFORMAT] = "malformed input",
	[-TW_ETRUNC] = "truncated input",
	[-TW_ENOMEM] = "out of memory",
	[-TW_EINVAL] = "invalid argument",
	[-TW_EUNSUP] = "not supported",
	[-TW_ELIMIT] = "resource limit exceeded",
	[-TW_ESTATE] = "call out of order",
	[-TW_EINTERNAL] = "internal error",
};

const char *tw_strerror(int code)
{
	size_t i = code < 0 ? (size_t)-code : (size_t)code;

	if (i >= sizeof(names) / sizeof(names[0]) || !names[i])
		return "unknown error";
	return names[i];
}

int tw_verrf(struct tw_errbuf *eb, int code, const char *fmt, va_list ap)
{
	vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
	return code;
}

int tw_errf(struct tw_errbuf *eb, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tw_verrf(eb, code, fmt, ap);
	va_end(ap);
	return code;
}
