/*
 * log.h - the one leveled logger.
 *
 * Core code never prints; it reports diagnostics through tw_log() with
 * its component name ("trace", "redact", ...).  The front end decides
 * where they go (stderr by default) and which level is shown.  The level
 * is checked before any formatting, so a disabled message costs a compare.
 * Per-packet debug tracing uses TW_DEBUG(), which compiles out of release
 * builds (NDEBUG).
 */
#ifndef TW_LOG_H
#define TW_LOG_H

#include <stdarg.h>

enum tw_log_level {
	TW_LOG_ERROR = 0,
	TW_LOG_WARN = 1,
	TW_LOG_INFO = 2,
	TW_LOG_DEBUG = 3
};

typedef void (*tw_log_sink)(enum tw_log_level lvl, const char *component,
                            const char *msg, void *arg);

extern enum tw_log_level tw_log_threshold;

/* Sets where messages go; NULL restores the stderr sink. */
void tw_log_set_sink(tw_log_sink sink, void *arg);

void tw_log_emit(enum tw_log_level lvl, const char *component, const char *fmt,
                 ...) __attribute__((format(printf, 3, 4)));

#define tw_log(lvl, comp, ...)                                   \
	do {                                                     \
		if ((lvl) <= tw_log_threshold)                   \
			tw_log_emit((lvl), (comp), __VA_ARGS__); \
	} while (0)

#ifdef NDEBUG
#define TW_DEBUG(comp, ...) ((void)0)
#else
#define TW_DEBUG(comp, ...) tw_log(TW_LOG_DEBUG, (comp), __VA_ARGS__)
#endif

#endif
