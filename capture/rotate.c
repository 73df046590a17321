/*
 * rotate.c - sizes, aligned periods, file names, the ring of kept files,
 * renames and the post-rotate command.
 */
#include "capture/rotate.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_SEC 1000000000LL

static bool suffix_scale(const char *s, uint64_t unit, uint64_t *scale)
{
	static const struct {
		const char *sfx;
		uint64_t scale;
	} tab[] = {
		{ "k", 1000ULL },          { "K", 1000ULL },
		{ "kB", 1000ULL },         { "KB", 1000ULL },
		{ "M", 1000000ULL },       { "MB", 1000000ULL },
		{ "G", 1000000000ULL },    { "GB", 1000000000ULL },
		{ "T", 1000000000000ULL }, { "TB", 1000000000000ULL },
		{ "KiB", 1ULL << 10 },     { "MiB", 1ULL << 20 },
		{ "GiB", 1ULL << 30 },     { "TiB", 1ULL << 40 },
	};

	if (!*s) {
		*scale = unit;
		return true;
	}
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (!strcmp(s, tab[i].sfx)) {
			*scale = tab[i].scale;
			return true;
		}
	}
	return false;
}

bool tw_rotate_parse_size(const char *s, uint64_t unit, uint64_t *out)
{
	unsigned long long v;
	uint64_t scale;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || !suffix_scale(end, unit, &scale))
		return false;
	if (scale && v > UINT64_MAX / scale)
		return false;
	*out = v * scale;
	return true;
}

int64_t tw_rotate_period_start(int64_t t_ns, uint64_t period_s)
{
	int64_t p = (int64_t)period_s * NS_PER_SEC;
	int64_t r = t_ns % p;

	if (r < 0)
		r += p;
	return t_ns - r;
}

int64_t tw_rotate_next_boundary(int64_t t_ns, uint64_t period_s)
{
	return tw_rotate_period_start(t_ns, period_s) +
	       (int64_t)period_s * NS_PER_SEC;
}

/* Where ".NNNNNN" goes: before the last '.' of the last component,
 * unless that '.' starts the component (a hidden file's name). */
static size_t seq_insert_at(const char *name)
{
	const char *base = strrchr(name, '/');
	const char *dot;

	base = base ? base + 1 : name;
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		return strlen(name);
	return (size_t)(dot - name);
}

/* The pattern is the user's by design (-w): strftime only formats
 * times, it reads no arguments, so a non-literal format is safe here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static size_t format_time(char *buf, size_t len, const char *pattern,
                          const struct tm *tm)
{
	return strftime(buf, len, pattern, tm);
}
#pragma GCC diagnostic pop

static int expand_time(char *buf, size_t len, const char *pattern, int64_t t_ns,
                       struct tw_errbuf *eb)
{
	time_t t = (time_t)(t_ns / NS_PER_SEC);
	struct tm tm;

	if (t_ns < 0 && t_ns % NS_PER_SEC)
		t--;
	if (!gmtime_r(&t, &tm))
		return tw_errf(eb, TW_EINVAL, "'%s': time out of range",
		               pattern);
	if (!*pattern || format_time(buf, len, pattern, &tm) == 0)
		return tw_errf(eb, TW_EINVAL,
		               "'%s': file name pattern expands to nothing or "
		               "to more than %zu bytes",
		               pattern, len - 1);
	return 0;
}

int tw_rotate_name(char *buf, size_t len, const char *pattern, int64_t t_ns,
                   uint64_t seq, bool numbered, struct tw_errbuf *eb)
{
	char name[4096], num[32];
	size_t at;
	int rc, n;

	rc = expand_time(name, sizeof(name), pattern, t_ns, eb);
	if (rc < 0)
		return rc;
	at = strlen(name);
	num[0] = 0;
	if (numbered) {
		at = seq_insert_at(name);
		snprintf(num, sizeof(num), ".%06" PRIu64, seq);
	}

	n = snprintf(buf, len, "%.*s%s%s", (int)at, name, num, name + at);
	if (n < 0 || (size_t)n >= len)
		return tw_errf(eb, TW_EINVAL, "'%s': file name too long",
		               pattern);
	return 0;
}

int tw_rotate_temp_name(char *buf, size_t len, const char *final,
                        struct tw_errbuf *eb)
{
	int n = snprintf(buf, len, "%s.part", final);

	if (n < 0 || (size_t)n >= len)
		return tw_errf(eb, TW_EINVAL, "'%s': file name too long",
		               final);
	return 0;
}

int tw_ring_init(struct tw_ring *r, uint32_t cap)
{
	memset(r, 0, sizeof(*r));
	r->names = calloc(cap, sizeof(*r->names));
	if (!r->names)
		return TW_ENOMEM;
	r->cap = cap;
	return 0;
}

int tw_ring_push(struct tw_ring *r, const char *name, char **evicted)
{
	char *copy = strdup(name);

	*evicted = NULL;
	if (!copy)
		return TW_ENOMEM;
	if (r->count == r->cap) {
		*evicted = r->names[r->head];
		r->names[r->head] = copy;
		r->head = (r->head + 1) % r->cap;
		return 0;
	}
	r->names[(r->head + r->count) % r->cap] = copy;
	r->count++;
	return 0;
}

void tw_ring_free(struct tw_ring *r)
{
	for (uint32_t i = 0; i < r->count; i++)
		free(r->names[(r->head + i) % r->cap]);
	free(r->names);
	memset(r, 0, sizeof(*r));
}

int tw_rotate_delete(const char *path, struct tw_errbuf *eb)
{
	if (unlink(path) == 0 || errno == ENOENT)
		return 0;
	return tw_errf(eb, TW_EIO, "%s: cannot delete the oldest file: %s",
	               path, strerror(errno));
}

int tw_rotate_finish(const char *temp, const char *final, struct tw_errbuf *eb)
{
	if (rename(temp, final) == 0)
		return 0;
	return tw_errf(eb, TW_EIO, "%s: cannot rename to %s: %s", temp, final,
	               strerror(errno));
}

/* In the child: a clean slate, then the shell. */
static void exec_command(const char *cmd, const char *file)
{
	char script[8192];
	sigset_t none;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	close_range(3, ~0U, 0);
	snprintf(script, sizeof(script), "%s \"$1\"", cmd);
	execl("/bin/sh", "sh", "-c", script, "sh", file, (char *)NULL);
	_exit(127);
}

pid_t tw_rotate_spawn(const char *cmd, const char *file, struct tw_errbuf *eb)
{
	pid_t pid = fork();

	if (pid < 0)
		return tw_errf(eb, TW_EIO, "--post-rotate: fork failed: %s",
		               strerror(errno));
	if (pid == 0)
		exec_command(cmd, file);
	return pid;
}
