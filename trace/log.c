/*
 * log.c - leveled logger with a replaceable sink.
 */
#include "log.h"

#include <stdio.h>

enum tw_log_level tw_log_threshold = TW_LOG_WARN;

static const char *const level_names[] = { "error", "warning", "info",
	                                   "debug" };

static void stderr_sink(enum tw_log_level lvl, const char *component,
                        const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "tracewarp: %s: %s: %s\n", component, level_names[lvl],
	        msg);
}

static tw_log_sink current_sink = stderr_sink;
static void *current_arg;

void tw_log_set_sink(tw_log_sink sink, void *arg)
{
	current_sink = sink ? sink : stderr_sink;
	current_arg = sink ? arg : NULL;
}

void tw_log_emit(enum tw_log_level lvl, const char *component, const char *fmt,
                 ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	current_sink(lvl, component, msg, current_arg);
}
