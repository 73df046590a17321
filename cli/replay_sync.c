/*
 * replay_sync.c - `--shard` and `--start-at` of the replay verb.
 */
#include "cli/replay_sync.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "trace/log.h"

#define NS 1000000000LL

bool tw_replay_parse_shard(const char *s, uint32_t *index, uint32_t *count)
{
	const char *slash = strchr(s, '/');
	uint64_t i, n;
	char num[24];

	if (!slash || (size_t)(slash - s) >= sizeof(num))
		return false;
	memcpy(num, s, (size_t)(slash - s));
	num[slash - s] = '\0';
	if (!tw_cli_parse_u64(num, &i) || !tw_cli_parse_u64(slash + 1, &n))
		return false;
	if (!i || i > n || n > 65536)
		return false;
	*index = (uint32_t)(i - 1);
	*count = (uint32_t)n;
	return true;
}

/* ".ddd" (up to 9 digits) at *p into ns; advances *p. */
static bool parse_fraction(const char **p, int64_t *ns)
{
	int64_t scale = NS / 10;

	*ns = 0;
	if (**p != '.')
		return true;
	(*p)++;
	if (!isdigit((unsigned char)**p))
		return false;
	for (; isdigit((unsigned char)**p); (*p)++) {
		*ns += (**p - '0') * scale;
		scale /= 10;
	}
	return true;
}

/* Epoch seconds, with an optional fraction. */
static bool parse_epoch(const char *s, int64_t *ns)
{
	char *end;
	long long sec;
	int64_t frac;

	errno = 0;
	sec = strtoll(s, &end, 10);
	if (errno || end == s || !isdigit((unsigned char)*s) ||
	    sec > INT64_MAX / NS - 1)
		return false;
	s = end;
	if (!parse_fraction(&s, &frac) || *s)
		return false;
	*ns = sec * NS + frac;
	return true;
}

/* RFC 3339 section 5.6: full-date "T" full-time with Z or +-HH:MM. */
static bool parse_rfc3339(const char *s, int64_t *ns)
{
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%d", &tm);
	int64_t frac, offset = 0;
	time_t t;

	if (!p || (*p != 'T' && *p != 't' && *p != ' '))
		return false;
	p = strptime(p + 1, "%H:%M:%S", &tm);
	if (!p || !parse_fraction(&p, &frac))
		return false;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		unsigned hh, mm;
		int used = 0;

		if (sscanf(p + 1, "%2u:%2u%n", &hh, &mm, &used) != 2 ||
		    used != 5 || hh > 23 || mm > 59)
			return false;
		offset = (int64_t)(hh * 3600 + mm * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return false;
	}
	if (*p)
		return false;
	t = timegm(&tm);
	if (t < 0)
		return false;
	*ns = ((int64_t)t - offset) * NS + frac;
	return true;
}

bool tw_replay_parse_start_at(const char *s, int64_t *ns)
{
	return parse_epoch(s, ns) || parse_rfc3339(s, ns);
}

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

int64_t tw_replay_wait_until(int64_t when, volatile sig_atomic_t *stop)
{
	struct timespec ts = { .tv_sec = when / NS, .tv_nsec = when % NS };

	/* A signal interrupts the sleep (EINTR): look at *stop again. */
	while (!(stop && *stop) &&
	       clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) ==
	               EINTR)
		;
	return wall_ns() - when;
}

void tw_replay_start(int64_t when, volatile sig_atomic_t *stop)
{
	int64_t late = tw_replay_wait_until(when, stop);

	if (late > 50000000 && !(stop && *stop))
		tw_log(TW_LOG_WARN, "replay",
		       "--start-at: starting %.3f s late", (double)late / NS);
}
