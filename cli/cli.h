/*
 * cli.h - what the verbs' front ends share: exit codes, error reporting,
 * progress on a terminal, number and time formatting.
 *
 * Only the front end prints.  Every verb exits 0 on success, 1 on a user
 * error (bad option, bad input file: the message says what and where) and
 * 2 on an internal failure.
 */
#ifndef TW_CLI_H
#define TW_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TW_VERSION "0.1.0"

enum { TW_EXIT_OK = 0, TW_EXIT_USER = 1, TW_EXIT_INTERNAL = 2 };

/* Maps a TW_E* code to the exit status its failure deserves. */
int tw_cli_exit_code(int err);

/* Prints "tracewarp VERB: message" on stderr. */
void tw_cli_error(const char *verb, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Prints a usage error with a hint to --help; returns TW_EXIT_USER. */
int tw_cli_usage_error(const char *verb, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Parses an unsigned decimal with optional k/M/G (1000) or
 * KiB/MiB/GiB (1024) suffix.  Returns false on junk or overflow. */
bool tw_cli_parse_u64(const char *s, uint64_t *out);

/* Copies in to buf, escaping bytes a terminal would interpret (and
 * backslash) as \xNN, so text taken from a file cannot fake output. */
char *tw_cli_escape(const char *in, char *buf, size_t len);

/* A JSON string of s; bytes that are not valid UTF-8 are escaped as with
 * tw_cli_escape() rather than lost.  NULL only when memory runs out. */
struct json_t;
struct json_t *tw_cli_json_str(const char *s);

/* Formats ns since the epoch as "2024-01-02 03:04:05.123456789 UTC". */
char *tw_cli_fmt_time(int64_t ns, char *buf, size_t len);

/* Formats ns since the epoch as "1704164645.123456789". */
char *tw_cli_fmt_epoch(int64_t ns, char *buf, size_t len);

/* Formats 1234567 as "1.23 M" (SI); unit appended. */
char *tw_cli_fmt_si(double v, const char *unit, char *buf, size_t len);

/*
 * Progress on a terminal: a single line on stderr, redrawn at most a few
 * times a second, cleared at the end.  Silent when stderr is not a TTY.
 */
struct tw_progress {
	bool on;
	uint64_t total;  /* bytes expected, 0 when unknown */
	int64_t last_ns; /* monotonic time of the last redraw */
	int64_t start_ns;
	const char *what;
};

void tw_progress_start(struct tw_progress *p, const char *what, uint64_t total);
void tw_progress_update(struct tw_progress *p, uint64_t done, uint64_t packets);
void tw_progress_end(struct tw_progress *p);

/*
 * Whether paths a and b name one file, so that writing one would destroy
 * the other or mix with it.  "-" stands for descriptor fd_a (fd_b):
 * standard input or output.  Files that exist compare by device and
 * inode, so symbolic and hard links, /dev/stdout and /dev/fd/N are seen
 * through; paths that do not exist yet compare by their canonical name
 * (directory resolved, dangling symbolic links followed), so "o.pcapng"
 * and "./o.pcapng" match as well.  For the verbs' checks of their
 * outputs against their inputs, key and policy before anything is
 * opened for writing.
 */
bool tw_cli_same_file(const char *a, int fd_a, const char *b, int fd_b);

/* Monotonic clock in ns. */
int64_t tw_cli_now_ns(void);

#endif
