/*
 * cli.c - shared front-end helpers.
 */
#include "cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "trace/error.h"

int tw_cli_exit_code(int err)
{
	switch (err) {
	case TW_OK:
		return TW_EXIT_OK;
	case TW_ENOMEM:
	case TW_EINTERNAL:
	case TW_ESTATE:
		return TW_EXIT_INTERNAL;
	default:
		/* Bad input, bad options, unreadable files: the user's. */
		return TW_EXIT_USER;
	}
}

__attribute__((format(printf, 2, 0))) static void vmsg(const char *verb,
                                                       const char *fmt,
                                                       va_list ap)
{
	fprintf(stderr, "tracewarp %s: ", verb);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void tw_cli_error(const char *verb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(verb, fmt, ap);
	va_end(ap);
}

int tw_cli_usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(verb, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'tracewarp %s --help'.\n", verb);
	return TW_EXIT_USER;
}

static bool suffix_scale(const char *s, uint64_t *scale)
{
	static const struct {
		const char *sfx;
		uint64_t scale;
	} tab[] = {
		{ "", 1 },
		{ "k", 1000ULL },
		{ "K", 1000ULL },
		{ "M", 1000000ULL },
		{ "G", 1000000000ULL },
		{ "T", 1000000000000ULL },
		{ "KiB", 1ULL << 10 },
		{ "MiB", 1ULL << 20 },
		{ "GiB", 1ULL << 30 },
		{ "TiB", 1ULL << 40 },
		{ "kB", 1000ULL },
		{ "KB", 1000ULL },
		{ "MB", 1000000ULL },
		{ "GB", 1000000000ULL },
		{ "TB", 1000000000000ULL },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(s, tab[i].sfx) == 0) {
			*scale = tab[i].scale;
			return true;
		}
	}
	return false;
}

bool tw_cli_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t scale;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || !suffix_scale(end, &scale))
		return false;
	if (v > UINT64_MAX / scale)
		return false;
	*out = v * scale;
	return true;
}

static void split_ns(int64_t ns, int64_t *sec, int64_t *frac)
{
	*sec = ns / 1000000000;
	*frac = ns % 1000000000;
	if (*frac < 0) {
		*frac += 1000000000;
		*sec -= 1;
	}
}

char *tw_cli_fmt_time(int64_t ns, char *buf, size_t len)
{
	int64_t sec, frac;
	time_t t;
	struct tm tm;
	char day[32];

	split_ns(ns, &sec, &frac);
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm) ||
	    !strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(day, sizeof(day), "?");
	snprintf(buf, len, "%s.%09lld UTC", day, (long long)frac);
	return buf;
}

char *tw_cli_fmt_epoch(int64_t ns, char *buf, size_t len)
{
	int64_t sec, frac;

	split_ns(ns, &sec, &frac);
	snprintf(buf, len, "%lld.%09lld", (long long)sec, (long long)frac);
	return buf;
}

char *tw_cli_fmt_si(double v, const char *unit, char *buf, size_t len)
{
	static const char *const pfx[] = { "", "k", "M", "G", "T", "P" };
	size_t i = 0;

	while (v >= 1000.0 && i + 1 < sizeof(pfx) / sizeof(pfx[0])) {
		v /= 1000.0;
		i++;
	}
	snprintf(buf, len, "%.2f %s%s", v, pfx[i], unit);
	return buf;
}

/* The directory part of p ("." when it has none) into dir. */
static bool dir_part(const char *p, char *dir, size_t len)
{
	const char *slash = strrchr(p, '/');
	int n;

	if (!slash)
		n = snprintf(dir, len, ".");
	else if (slash == p)
		n = snprintf(dir, len, "/");
	else
		n = snprintf(dir, len, "%.*s", (int)(slash - p), p);
	return n >= 0 && (size_t)n < len;
}

/* Follows the symbolic links at path, which end nowhere, to the name
 * that opening path for writing would create. */
static bool link_target(const char *path, char *cur, size_t len)
{
	char tgt[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	int n = snprintf(cur, len, "%s", path);

	for (int hops = 0; n >= 0 && (size_t)n < len; hops++) {
		ssize_t k;

		if (hops > 40 || lstat(cur, &st) || !S_ISLNK(st.st_mode))
			return hops <= 40;
		k = readlink(cur, tgt, sizeof(tgt) - 1);
		if (k < 0 || !dir_part(cur, dir, sizeof(dir)))
			return false;
		tgt[k] = 0;
		n = tgt[0] == '/' ? snprintf(cur, len, "%s", tgt)
		                  : snprintf(cur, len, "%s/%s", dir, tgt);
	}
	return false;
}

/* The canonical name of a path that does not exist: its directory
 * resolved, its last component as it is. */
static bool canon_new(const char *path, char *out, size_t len)
{
	char cur[PATH_MAX], dir[PATH_MAX], *real;
	const char *base;
	int n;

	if (!link_target(path, cur, sizeof(cur)) ||
	    !dir_part(cur, dir, sizeof(dir)))
		return false;
	base = strrchr(cur, '/');
	base = base ? base + 1 : cur;
	real = realpath(dir, NULL);
	if (!real)
		return false; /* no directory: nothing can be created there */
	n = snprintf(out, len, "%s/%s", strcmp(real, "/") ? real : "", base);
	free(real);
	return n >= 0 && (size_t)n < len;
}

struct path_id {
	bool exists, named; /* a file that exists; a canonical name */
	struct stat st;
	char canon[PATH_MAX];
};

static void path_id(const char *p, int fd, struct path_id *id)
{
	id->exists = strcmp(p, "-") ? stat(p, &id->st) == 0
	                            : fstat(fd, &id->st) == 0;
	id->named = !id->exists && strcmp(p, "-") &&
	            canon_new(p, id->canon, sizeof(id->canon));
}

bool tw_cli_same_file(const char *a, int fd_a, const char *b, int fd_b)
{
	struct path_id x, y;

	path_id(a, fd_a, &x);
	path_id(b, fd_b, &y);
	if (x.exists && y.exists)
		return x.st.st_dev == y.st.st_dev && x.st.st_ino == y.st.st_ino;
	return x.named && y.named && !strcmp(x.canon, y.canon);
}

int64_t tw_cli_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void tw_progress_start(struct tw_progress *p, const char *what, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->on = isatty(STDERR_FILENO);
	p->total = total;
	p->what = what;
	p->start_ns = tw_cli_now_ns();
	p->last_ns = p->start_ns;
}

void tw_progress_update(struct tw_progress *p, uint64_t done, uint64_t packets)
{
	int64_t now;
	double secs;

	if (!p->on)
		return;
	now = tw_cli_now_ns();
	if (now - p->last_ns < 250000000)
		return;
	p->last_ns = now;
	secs = (double)(now - p->start_ns) / 1e9;
	if (p->total)
		fprintf(stderr, "\r%s: %5.1f%%  %llu packets  %.0f MB/s   ",
		        p->what, 100.0 * (double)done / (double)p->total,
		        (unsigned long long)packets, (double)done / 1e6 / secs);
	else
		fprintf(stderr, "\r%s: %llu packets  %.0f MB/s   ", p->what,
		        (unsigned long long)packets, (double)done / 1e6 / secs);
}

void tw_progress_end(struct tw_progress *p)
{
	/* Only a line that was drawn needs clearing. */
	if (p->on && p->last_ns != p->start_ns)
		fprintf(stderr, "\r%*s\r", 70, "");
}

char *tw_cli_escape(const char *in, char *buf, size_t len)
{
	size_t o = 0;

	for (; *in && o + 5 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	buf[o] = 0;
	return buf;
}

json_t *tw_cli_json_str(const char *s)
{
	json_t *j = json_string(s);
	char buf[4096];

	if (j)
		return j;
	return json_string(tw_cli_escape(s, buf, sizeof(buf)));
}
