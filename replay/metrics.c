/*
 * metrics.c - JSON and Prometheus renderings of the replay counters, and
 * a minimal HTTP/1.0 responder for /metrics on loopback.
 */
#include "replay/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const double quantiles[] = { 50, 90, 99, 99.9 };

static json_t *lateness_json(const struct tw_hist *h)
{
	json_t *o = json_object();

	json_object_set_new(o, "count", json_integer((json_int_t)h->count));
	if (!h->count)
		return o;
	json_object_set_new(o, "min_ns", json_integer((json_int_t)h->min));
	json_object_set_new(o, "mean_ns", json_real(tw_hist_mean(h)));
	json_object_set_new(
	        o, "p50_ns",
	        json_integer((json_int_t)tw_hist_percentile(h, 50)));
	json_object_set_new(
	        o, "p90_ns",
	        json_integer((json_int_t)tw_hist_percentile(h, 90)));
	json_object_set_new(
	        o, "p99_ns",
	        json_integer((json_int_t)tw_hist_percentile(h, 99)));
	json_object_set_new(
	        o, "p99_9_ns",
	        json_integer((json_int_t)tw_hist_percentile(h, 99.9)));
	json_object_set_new(o, "max_ns", json_integer((json_int_t)h->max));
	return o;
}

json_t *tw_metrics_json(const struct tw_replay_stats *st, const char *output)
{
	double s = (double)st->elapsed_ns / 1e9;
	json_t *o, *loops = json_array();

	for (uint64_t i = 0; i < st->loops_done + 1 && i < TW_RP_LOOP_STATS;
	     i++)
		if (st->loop[i].sent || i < st->loops_done)
			json_array_append_new(
			        loops,
			        json_pack("{s:I, s:I}", "packets",
			                  (json_int_t)st->loop[i].sent, "bytes",
			                  (json_int_t)st->loop[i].bytes));
	o = json_pack(
	        "{s:s, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:I, s:I, "
	        "s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:b, s:I}",
	        "output", output, "packets_read", (json_int_t)st->read,
	        "packets_sent", (json_int_t)st->sent, "bytes_sent",
	        (json_int_t)st->bytes, "packets_failed", (json_int_t)st->failed,
	        "packets_retried", (json_int_t)st->retried, "skipped",
	        "oversize", (json_int_t)st->skipped_oversize, "filtered",
	        (json_int_t)st->skipped_filtered, "link_type",
	        (json_int_t)st->skipped_link, "amplified_copies",
	        (json_int_t)st->copies, "out_of_order",
	        (json_int_t)st->out_of_order, "gaps_capped",
	        (json_int_t)st->gaps_capped, "port_dropped",
	        (json_int_t)st->port_dropped, "loops_completed",
	        (json_int_t)st->loops_done, "flows_amplified",
	        (json_int_t)st->flows_amplified, "elapsed_s", s, "pps",
	        s > 0 ? (double)st->sent / s : 0.0, "bps",
	        s > 0 ? (double)st->bytes * 8 / s : 0.0, "preloaded",
	        st->preloaded, "schedule_span_ns",
	        (json_int_t)st->sched_span_ns);
	if (!o) {
		json_decref(loops);
		return NULL;
	}
	json_object_set_new(o, "loops", loops);
	json_object_set_new(o, "lateness", lateness_json(&st->lateness));
	return o;
}

/* An appender that counts what it could not fit. */
struct out {
	char *buf;
	size_t len, used;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o,
                                                      const char *fmt, ...)
{
	size_t room = o->used < o->len ? o->len - o->used : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

static void counter(struct out *o, const char *name, const char *help,
                    const char *label, uint64_t v)
{
	put(o, "# HELP tracewarp_replay_%s %s\n", name, help);
	put(o, "# TYPE tracewarp_replay_%s counter\n", name);
	put(o, "tracewarp_replay_%s{output=\"%s\"} %llu\n", name, label,
	    (unsigned long long)v);
}

/* Label values escape backslash, quote and newline (exposition format). */
static void escape_label(const char *in, char *out, size_t len)
{
	size_t j = 0;

	for (; *in && j + 3 < len; in++) {
		if (*in == '\\' || *in == '"' || *in == '\n') {
			out[j++] = '\\';
			out[j++] = *in == '\n' ? 'n' : *in;
		} else {
			out[j++] = *in;
		}
	}
	out[j] = '\0';
}

static tw_metrics_extra_fn extra_fn;
static void *extra_arg;

void tw_metrics_set_extra(tw_metrics_extra_fn fn, void *arg)
{
	extra_fn = fn;
	extra_arg = arg;
}

size_t tw_metrics_prom(const struct tw_replay_stats *st, const char *output,
                       char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	const struct tw_hist *h = &st->lateness;
	char l[256];

	escape_label(output, l, sizeof(l));
	if (len)
		buf[0] = '\0';
	counter(&o, "packets_sent_total", "Packets accepted by the port.", l,
	        st->sent);
	counter(&o, "bytes_sent_total", "Bytes accepted by the port.", l,
	        st->bytes);
	counter(&o, "packets_failed_total",
	        "Packets the port refused, given up.", l, st->failed);
	counter(&o, "packets_retried_total",
	        "Packets offered again after a refusal.", l, st->retried);
	counter(&o, "amplified_copies_total",
	        "Extra packets made by amplification.", l, st->copies);
	counter(&o, "out_of_order_total",
	        "Packets whose timestamp went backwards.", l, st->out_of_order);
	counter(&o, "port_dropped_total",
	        "Frames the port dropped after accepting them.", l,
	        st->port_dropped);
	counter(&o, "loops_completed_total", "Complete passes over the trace.",
	        l, st->loops_done);
	put(&o, "# HELP tracewarp_replay_packets_skipped_total Packets not "
	        "sent, by reason.\n"
	        "# TYPE tracewarp_replay_packets_skipped_total counter\n");
	put(&o,
	    "tracewarp_replay_packets_skipped_total{output=\"%s\","
	    "reason=\"oversize\"} %llu\n"
	    "tracewarp_replay_packets_skipped_total{output=\"%s\","
	    "reason=\"filtered\"} %llu\n"
	    "tracewarp_replay_packets_skipped_total{output=\"%s\","
	    "reason=\"link_type\"} %llu\n",
	    l, (unsigned long long)st->skipped_oversize, l,
	    (unsigned long long)st->skipped_filtered, l,
	    (unsigned long long)st->skipped_link);
	put(&o, "# HELP tracewarp_replay_loop_packets_sent_total Packets sent "
	        "in each of the first loops.\n"
	        "# TYPE tracewarp_replay_loop_packets_sent_total counter\n");
	for (uint64_t i = 0; i < TW_RP_LOOP_STATS && i <= st->loops_done; i++)
		if (st->loop[i].sent)
			put(&o,
			    "tracewarp_replay_loop_packets_sent_total{output="
			    "\"%s\",loop=\"%llu\"} %llu\n",
			    l, (unsigned long long)i,
			    (unsigned long long)st->loop[i].sent);
	put(&o,
	    "# HELP tracewarp_replay_elapsed_seconds Time since the first "
	    "packet.\n# TYPE tracewarp_replay_elapsed_seconds gauge\n"
	    "tracewarp_replay_elapsed_seconds{output=\"%s\"} %.9f\n",
	    l, (double)st->elapsed_ns / 1e9);
	put(&o, "# HELP tracewarp_replay_lateness_seconds Send time minus "
	        "scheduled time.\n"
	        "# TYPE tracewarp_replay_lateness_seconds summary\n");
	for (size_t i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++)
		put(&o,
		    "tracewarp_replay_lateness_seconds{output=\"%s\","
		    "quantile=\"%g\"} %.9f\n",
		    l, quantiles[i] / 100,
		    (double)tw_hist_percentile(h, quantiles[i]) / 1e9);
	put(&o,
	    "tracewarp_replay_lateness_seconds_sum{output=\"%s\"} %.9f\n"
	    "tracewarp_replay_lateness_seconds_count{output=\"%s\"} %llu\n",
	    l, (double)h->sum / 1e9, l, (unsigned long long)h->count);
	if (extra_fn)
		o.used += extra_fn(extra_arg, l,
		                   o.used < len ? buf + o.used : NULL,
		                   o.used < len ? len - o.used : 0);
	return o.used;
}

static char *render(const struct tw_replay_stats *st, const char *output)
{
	/* The extra samples are read afresh each time: leave room for
	 * counters that grew a digit between the two calls. */
	size_t cap = tw_metrics_prom(st, output, NULL, 0) + 256;

	for (;;) {
		char *buf = malloc(cap);
		size_t n;

		if (!buf)
			return NULL;
		n = tw_metrics_prom(st, output, buf, cap);
		if (n < cap)
			return buf;
		free(buf);
		cap = n + 256;
	}
}

int tw_metrics_check_file(const char *path, struct tw_errbuf *eb)
{
	struct stat st;

	if (stat(path, &st) < 0 || S_ISREG(st.st_mode))
		return 0;
	return tw_errf(eb, TW_EINVAL,
	               "%s: not a regular file (the metrics are renamed "
	               "over it, which would replace it); give a regular "
	               "file's path",
	               path);
}

int tw_metrics_write_text(const char *path, const char *text,
                          struct tw_errbuf *eb)
{
	char tmp[4096];
	FILE *f;
	int ok;

	/* Checked at each write: the path may have changed since the
	 * front end's check. */
	if (tw_metrics_check_file(path, eb) < 0)
		return TW_EINVAL;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return tw_errf(eb, TW_EIO, "%s: %s", tmp, strerror(errno));
	ok = fputs(text, f) >= 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) < 0) {
		int err = errno;

		unlink(tmp);
		return tw_errf(eb, TW_EIO, "%s: %s", path, strerror(err));
	}
	return 0;
}

int tw_metrics_write_file(const char *path, const struct tw_replay_stats *st,
                          const char *output, struct tw_errbuf *eb)
{
	char *text = render(st, output);
	int rc;

	if (!text)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	rc = tw_metrics_write_text(path, text, eb);
	free(text);
	return rc;
}

struct tw_metrics_server {
	int fd;
	int wake[2]; /* pipe: closing it stops the thread */
	unsigned port;
	pthread_t thread;
	pthread_mutex_t lock;
	char *text;
	char output[128];
};

static void serve_one(struct tw_metrics_server *s, int c)
{
	char req[2048], head[256];
	struct pollfd p = { c, POLLIN, 0 };
	ssize_t n = 0;
	const char *body;
	char *copy = NULL;

	/* One read with a short timeout: a scraper sends the request line
	 * at once; anything slower is not served. */
	if (poll(&p, 1, 1000) == 1)
		n = read(c, req, sizeof(req) - 1);
	if (n <= 0)
		return;
	req[n] = '\0';
	if (strncmp(req, "GET /metrics", 12) ||
	    (req[12] != ' ' && req[12] != '?')) {
		body = "not found: try /metrics\n";
		snprintf(head, sizeof(head),
		         "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain"
		         "\r\nContent-Length: %zu\r\n\r\n",
		         strlen(body));
	} else {
		pthread_mutex_lock(&s->lock);
		copy = strdup(s->text ? s->text : "");
		pthread_mutex_unlock(&s->lock);
		body = copy ? copy : "";
		snprintf(head, sizeof(head),
		         "HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
		         "version=0.0.4\r\nContent-Length: %zu\r\n\r\n",
		         strlen(body));
	}
	if (write(c, head, strlen(head)) > 0)
		(void)!write(c, body, strlen(body));
	free(copy);
}

static void *serve(void *arg)
{
	struct tw_metrics_server *s = arg;

	for (;;) {
		struct pollfd p[2] = { { s->fd, POLLIN, 0 },
			               { s->wake[0], POLLIN, 0 } };
		int c;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		serve_one(s, c);
		close(c);
	}
	return NULL;
}

/* Parses "127.0.0.1:PORT" or "[::1]:PORT"; loopback only. */
static int parse_listen(const char *addr, struct sockaddr_storage *ss,
                        socklen_t *sl, struct tw_errbuf *eb)
{
	char host[64];
	const char *colon = strrchr(addr, ':');
	char *end;
	long port;
	size_t hl;

	if (!colon)
		return tw_errf(eb, TW_EINVAL, "'%s': want ADDR:PORT", addr);
	port = strtol(colon + 1, &end, 10);
	hl = (size_t)(colon - addr);
	if (end == colon + 1 || *end || port < 0 || port > 65535 ||
	    hl >= sizeof(host))
		return tw_errf(eb, TW_EINVAL, "'%s': bad port", addr);
	memcpy(host, addr, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1 ||
		    !IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
			return tw_errf(eb, TW_EINVAL,
			               "'%s': only a loopback address", addr);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*a6);
		return 0;
	}
	{
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (!strcmp(host, "localhost"))
			snprintf(host, sizeof(host), "127.0.0.1");
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1 ||
		    (ntohl(a4->sin_addr.s_addr) >> 24) != 127)
			return tw_errf(eb, TW_EINVAL,
			               "'%s': only a loopback address", addr);
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*sl = sizeof(*a4);
	}
	return 0;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int tw_metrics_listen(struct tw_metrics_server **out, const char *addr,
                      const char *output, struct tw_errbuf *eb)
{
	struct tw_metrics_server *s;
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	int one = 1, rc;

	*out = NULL;
	rc = parse_listen(addr, &ss, &sl, eb);
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	snprintf(s->output, sizeof(s->output), "%s", output);
	s->wake[0] = s->wake[1] = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 ||
	    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->fd, (struct sockaddr *)&ss, sl) < 0 ||
	    listen(s->fd, 16) < 0 || pipe(s->wake) < 0) {
		rc = tw_errf(eb, TW_EIO, "listen on %s: %s", addr,
		             strerror(errno));
		goto fail;
	}
	s->port = (unsigned)bound_port(s->fd);
	if (pthread_create(&s->thread, NULL, serve, s)) {
		rc = tw_errf(eb, TW_ENOMEM, "metrics thread: cannot start");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->fd >= 0)
		close(s->fd);
	if (s->wake[0] >= 0) {
		close(s->wake[0]);
		close(s->wake[1]);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
	return rc;
}

void tw_metrics_publish(struct tw_metrics_server *s,
                        const struct tw_replay_stats *st)
{
	char *text = render(st, s->output), *old;

	if (!text)
		return;
	pthread_mutex_lock(&s->lock);
	old = s->text;
	s->text = text;
	pthread_mutex_unlock(&s->lock);
	free(old);
}

unsigned tw_metrics_port(const struct tw_metrics_server *s)
{
	return s->port;
}

void tw_metrics_close(struct tw_metrics_server *s)
{
	if (!s)
		return;
	close(s->wake[1]);
	pthread_join(s->thread, NULL);
	close(s->wake[0]);
	close(s->fd);
	pthread_mutex_destroy(&s->lock);
	free(s->text);
	free(s);
}
