/*
 * test_l7_client.c - the L7 client's timing (replay/l7_client.c) against
 * a slow HTTP/2 server in a thread of this process, on loopback: latency
 * counts from the intended send time, not from when a request could be
 * sent (no coordinated omission), requests held back are counted late,
 * the open-loop schedule is kept, the messages of a streaming gRPC call
 * leave at their recorded times, and a refused port is an outcome.
 * Also: a big omitted body streamed as zeros, a server that does not
 * speak HTTP/2, a signal with requests in flight, a kernel without
 * epoll_pwait2 (seccomp), and --target's checks and path prefix.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "replay/l7.h"
#include "replay/l7_client.h"
#include "replay/l7_stats.h"
#include "trace/log.h"

#define MS 1000000LL
#define DELAY_MS 40 /* the server's time per request, one at a time */

static long delay_ms = DELAY_MS;

/* A server that answers one request at a time, DELAY_MS each. */
struct server {
	int lfd;
	unsigned port;
	pthread_t thread;
	int32_t pending[64];
	int npending;
	int64_t data_ns[16]; /* when each DATA frame with payload came */
	int ndata;
	uint64_t data_bytes;          /* request body bytes received */
	char path[64], authority[64]; /* of the last request */
	enum { SRV_H2, SRV_TEXT, SRV_SILENT } mode;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int srv_frame(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
	struct server *sv = arg;

	(void)s;
	if (f->hd.type == NGHTTP2_DATA)
		sv->data_bytes += f->hd.length;
	if (f->hd.type == NGHTTP2_DATA && f->hd.length && sv->ndata < 16)
		sv->data_ns[sv->ndata++] = mono_ns();
	if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
	    (f->hd.flags & NGHTTP2_FLAG_END_STREAM) && sv->npending < 64)
		sv->pending[sv->npending++] = f->hd.stream_id;
	return 0;
}

static int srv_header(nghttp2_session *s, const nghttp2_frame *f,
                      const uint8_t *name, size_t namelen, const uint8_t *value,
                      size_t valuelen, uint8_t flags, void *arg)
{
	struct server *sv = arg;

	(void)s;
	(void)f;
	(void)flags;
	if (namelen == 5 && !memcmp(name, ":path", 5))
		snprintf(sv->path, sizeof(sv->path), "%.*s", (int)valuelen,
		         (const char *)value);
	if (namelen == 10 && !memcmp(name, ":authority", 10))
		snprintf(sv->authority, sizeof(sv->authority), "%.*s",
		         (int)valuelen, (const char *)value);
	return 0;
}

static void srv_flush(nghttp2_session *s, int fd)
{
	const uint8_t *d;
	ssize_t n;

	while ((n = nghttp2_session_mem_send(s, &d)) > 0)
		if (write(fd, d, (size_t)n) != n)
			return;
}

static void srv_conn(struct server *sv, int fd)
{
	nghttp2_session_callbacks *cb;
	nghttp2_session *s;
	uint8_t buf[16384];
	ssize_t n;

	if (sv->mode != SRV_H2) { /* an HTTP/1.1 server, or a mute one */
		static const char text[] = "HTTP/1.1 400 Bad Request\r\n"
		                           "Content-Length: 0\r\n\r\n";

		if (sv->mode == SRV_TEXT &&
		    write(fd, text, sizeof(text) - 1) < 0)
			return;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		return;
	}
	nghttp2_session_callbacks_new(&cb);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, srv_frame);
	nghttp2_session_callbacks_set_on_header_callback(cb, srv_header);
	nghttp2_session_server_new(&s, cb, sv);
	nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0);
	srv_flush(s, fd);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (nghttp2_session_mem_recv(s, buf, (size_t)n) < 0)
			break;
		for (int i = 0; i < sv->npending; i++) {
			nghttp2_nv nv = { (uint8_t *)":status",
				          (uint8_t *)"200", 7, 3,
				          NGHTTP2_NV_FLAG_NONE };
			struct timespec ts = { 0, delay_ms * MS };

			nanosleep(&ts, NULL);
			nghttp2_submit_response(s, sv->pending[i], &nv, 1,
			                        NULL);
			srv_flush(s, fd);
		}
		sv->npending = 0;
		srv_flush(s, fd);
	}
	nghttp2_session_del(s);
	nghttp2_session_callbacks_del(cb);
}

static void *srv_main(void *arg)
{
	struct server *sv = arg;
	int fd = accept(sv->lfd, NULL, NULL), one = 1;

	if (fd >= 0) {
		/* Small frames (WINDOW_UPDATE) at once, not after an ACK. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		srv_conn(sv, fd);
		close(fd);
	}
	return NULL;
}

static void srv_start_mode(struct server *sv, int mode);

static void srv_start(struct server *sv)
{
	srv_start_mode(sv, SRV_H2);
}

static void srv_start_mode(struct server *sv, int mode)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);

	memset(sv, 0, sizeof(*sv));
	sv->mode = mode;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sv->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(sv->lfd >= 0);
	assert_int_equal(bind(sv->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(sv->lfd, 4), 0);
	getsockname(sv->lfd, (struct sockaddr *)&a, &l);
	sv->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&sv->thread, NULL, srv_main, sv), 0);
}

static void srv_stop(struct server *sv)
{
	pthread_join(sv->thread, NULL);
	close(sv->lfd);
}

/* n GETs of one recorded connection, gap_ms apart. */
static void mktrace(struct tw_l7_trace *t, int n, int gap_ms)
{
	char line[200];
	struct tw_errbuf eb;

	memset(t, 0, sizeof(*t));
	for (int i = 0; i < n; i++) {
		snprintf(line, sizeof(line),
		         "{\"conn\":1,\"start_ns\":%lld,\"method\":\"GET\","
		         "\"path\":\"/r%d\",\"response\":{\"status\":200}}",
		         (long long)i * gap_ms * MS, i);
		assert_int_equal(tw_l7_trace_add_line(t, "t", (uint64_t)i + 1,
		                                      line, strlen(line), &eb),
		                 0);
	}
	tw_l7_trace_sort(t);
}

/*
 * Three requests due at 0, 1 and 2 ms; at most one in flight; the server
 * takes DELAY_MS for each.  Request k can only go when k-1 is answered,
 * about k * DELAY_MS in: its latency from the intended time is about
 * (k + 1) * DELAY_MS, where a closed-loop tool would say DELAY_MS; the
 * two held back are late.
 */
static void test_no_coordinated_omission(void **state)
{
	struct tw_l7_stats *st = malloc(sizeof(*st));
	struct tw_l7_trace t;
	struct tw_l7_cfg cfg;
	struct tw_errbuf eb;
	struct server sv;
	char url[64];

	(void)state;
	srv_start(&sv);
	mktrace(&t, 3, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", sv.port);
	tw_l7_cfg_default(&cfg);
	cfg.target = url;
	cfg.max_inflight = 1;
	cfg.lead_ns = 20 * MS;
	assert_int_equal(tw_l7_run(&t, &cfg, st, &eb), 0);
	srv_stop(&sv);
	assert_int_equal(st->completed, 3);
	assert_int_equal(st->outcome[TW_L7_OK], 3);
	assert_int_equal(st->sent, 3);
	assert_true(st->late >= 2);
	/* The slowest waited for two others: about 3 x DELAY_MS. */
	assert_true(st->latency.max >= (uint64_t)(3 * DELAY_MS - 3) * MS);
	assert_true(st->latency.min >= (uint64_t)(DELAY_MS - 1) * MS);
	/* Held back by about DELAY_MS and 2 x DELAY_MS. */
	assert_true(st->lateness.max >= (uint64_t)(2 * DELAY_MS - 3) * MS);
	tw_l7_stats_free(st);
	tw_l7_trace_free(&t);
	free(st);
}

/* Open loop: without a bound on requests in flight, all three go out on
 * time whatever the server's pace (100 ms a request, one at a time), and
 * the last one's latency shows the queue it met at the server. */
static void test_open_loop(void **state)
{
	struct tw_l7_stats *st = malloc(sizeof(*st));
	struct tw_l7_trace t;
	struct tw_l7_cfg cfg;
	struct tw_errbuf eb;
	struct server sv;
	char url[64];

	(void)state;
	delay_ms = 100; /* well above a loaded machine's wake-up delays */
	srv_start(&sv);
	mktrace(&t, 3, 10);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", sv.port);
	tw_l7_cfg_default(&cfg);
	cfg.target = url;
	cfg.lead_ns = 20 * MS;
	cfg.speedup.num = 2;   /* 0, 5, 10 ms */
	cfg.late_ns = 60 * MS; /* a closed loop would be 100 ms late */
	assert_int_equal(tw_l7_run(&t, &cfg, st, &eb), 0);
	srv_stop(&sv);
	delay_ms = DELAY_MS;
	assert_int_equal(st->completed, 3);
	assert_int_equal(st->late, 0);
	assert_int_equal(st->span_ns, 10 * MS);
	assert_true(st->latency.max >= (uint64_t)(3 * 100 - 10 - 1) * MS);
	tw_l7_stats_free(st);
	tw_l7_trace_free(&t);
	free(st);
}

/* One gRPC client-streaming call of three messages; with times, they
 * were sent 0, 80 and 160 ms after the call started. */
static void mkstream(struct tw_l7_trace *t, bool times)
{
	char line[600];
	struct tw_errbuf eb;

	memset(t, 0, sizeof(*t));
	snprintf(line, sizeof(line),
	         "{\"conn\":1,\"start_ns\":1000,\"method\":\"POST\","
	         "\"path\":\"/a.B/Up\",\"request\":{\"headers\":[["
	         "\"content-type\",\"application/grpc\"]],\"body\":{"
	         "\"size\":24,\"encoding\":\"base64\",\"data\":"
	         "\"AAAAAAMKAWEAAAAAAwoBYQAAAAADCgFh\",\"grpc_messages\":3%s}},"
	         "\"response\":{\"status\":200}}",
	         times ? ",\"messages\":[{\"t_ns\":0,\"size\":8},{\"t_ns\":"
	                 "80000000,\"size\":8},{\"t_ns\":160000000,"
	                 "\"size\":8}]"
	               : "");
	assert_int_equal(
	        tw_l7_trace_add_line(t, "t", 1, line, strlen(line), &eb), 0);
	assert_int_equal(t->ex[0].nmsgs, times ? 3 : 0);
}

/* Replays mkstream's call at speedup num; returns the gaps between the
 * server's DATA frames in ms (first to second, first to last). */
static void stream_gaps(bool times, int num, int64_t *g1, int64_t *g2)
{
	struct tw_l7_stats *st = malloc(sizeof(*st));
	struct tw_l7_trace t;
	struct tw_l7_cfg cfg;
	struct tw_errbuf eb;
	struct server sv;
	char url[64];

	delay_ms = 0;
	srv_start(&sv);
	mkstream(&t, times);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", sv.port);
	tw_l7_cfg_default(&cfg);
	cfg.target = url;
	cfg.lead_ns = 20 * MS;
	cfg.speedup.num = (uint64_t)num;
	assert_int_equal(tw_l7_run(&t, &cfg, st, &eb), 0);
	srv_stop(&sv);
	delay_ms = DELAY_MS;
	/* Answered (the server sends no grpc-status: not "ok"). */
	assert_int_equal(st->completed, 1);
	assert_int_equal(st->outcome[TW_L7_RESET], 0);
	assert_int_equal(st->bytes_out, 24);
	assert_true(sv.ndata >= 1);
	*g1 = (sv.data_ns[sv.ndata > 1] - sv.data_ns[0]) / MS;
	*g2 = (sv.data_ns[sv.ndata - 1] - sv.data_ns[0]) / MS;
	tw_l7_stats_free(st);
	tw_l7_trace_free(&t);
	free(st);
}

/* The messages leave at their times (halved at speedup 2); a trace
 * without times sends the body at once. */
static void test_streaming_messages_paced(void **state)
{
	int64_t g1, g2;

	(void)state;
	stream_gaps(true, 1, &g1, &g2);
	assert_true(g1 >= 75 && g2 >= 155);
	assert_true(g2 < 400);
	stream_gaps(true, 2, &g1, &g2);
	assert_true(g1 >= 35 && g2 >= 75);
	assert_true(g2 < 155);
	stream_gaps(false, 1, &g1, &g2);
	assert_true(g2 < 40);
}

/* A loopback port nobody listens on (bound, then closed). */
static unsigned free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(fd, (struct sockaddr *)&a, &l);
	close(fd);
	return ntohs(a.sin_port);
}

/* Nobody listens: every request is a connect error, the run ends. */
static void test_refused(void **state)
{
	struct tw_l7_stats *st = malloc(sizeof(*st));
	struct tw_l7_trace t;
	struct tw_l7_cfg cfg;
	struct tw_errbuf eb;
	char url[64];

	(void)state;
	mktrace(&t, 4, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", free_port());
	tw_l7_cfg_default(&cfg);
	cfg.target = url;
	cfg.lead_ns = 5 * MS;
	assert_int_equal(tw_l7_run(&t, &cfg, st, &eb), 0);
	assert_int_equal(st->completed, 4);
	assert_int_equal(st->outcome[TW_L7_CONNECT], 4);
	assert_int_equal(st->latency.count, 0);
	tw_l7_stats_free(st);
	tw_l7_trace_free(&t);
	free(st);
}

static void test_bad_target(void **state)
{
	struct tw_l7_stats *st = malloc(sizeof(*st));
	struct tw_l7_trace t;
	struct tw_l7_cfg cfg;
	struct tw_errbuf eb;
	static const struct {
		const char *url, *why;
	} bad[] = {
		{ "ftp://x", "want http:// or https://" },
		{ "http://", "no host" },
		{ "https://[::1", "no ']' after the IPv6 address" },
		{ "http://[2001:db8:77::2", "no ']' after the IPv6 address" },
		{ "http://:80", "no host" },
		{ "http://127.0.0.1:0", "port '0' is not 1-65535" },
		{ "http://127.0.0.1:65536", "port '65536' is not 1-65535" },
		{ "http://127.0.0.1:", "port '' is not 1-65535" },
		{ "http://127.0.0.1:8x", "port '8x' is not 1-65535" },
		{ "http://u:p@127.0.0.1/", "user@ is not supported" },
		{ "http://127.0.0.1/a?b", "a query or fragment" },
		{ "http://127.0.0.1?b", "a query or fragment" },
	};

	(void)state;
	mktrace(&t, 1, 1);
	tw_l7_cfg_default(&cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.target = bad[i].url;
		assert_int_equal(tw_l7_run(&t, &cfg, st, &eb), TW_EINVAL);
		if (!strstr(eb.msg, bad[i].why))
			fail_msg("%s: '%s'", bad[i].url, eb.msg);
		tw_l7_stats_free(st);
	}
	tw_l7_trace_free(&t);
	free(st);
}

/* Runs t against a server of the given mode on loopback, with target
 * path suffix, timeout 10 s; returns the run's result. */
static int run_on(struct server *sv, int mode, struct tw_l7_trace *t,
                  struct tw_l7_cfg *cfg, const char *suffix,
                  struct tw_l7_stats *st)
{
	static char url[96];
	struct tw_errbuf eb;
	int rc;

	srv_start_mode(sv, mode);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", sv->port, suffix);
	cfg->target = url;
	cfg->lead_ns = 5 * MS;
	rc = tw_l7_run(t, cfg, st, &eb);
	srv_stop(sv);
	return rc;
}

/* An omitted body of 20 MB (over the old 16 MiB buffer) goes out whole,
 * as zeros, not as an empty body. */
static void test_big_zero_body(void **state)
{
	const char *line = "{\"conn\":1,\"start_ns\":0,\"method\":\"PUT\","
	                   "\"path\":\"/up\",\"request\":{\"body\":{"
	                   "\"encoding\":\"omitted\",\"size\":20000000}}}";
	struct tw_l7_stats *st = malloc(sizeof(*st));
	struct tw_l7_trace t = { 0 };
	struct tw_l7_cfg cfg;
	struct tw_errbuf eb;
	struct server sv;

	(void)state;
	assert_int_equal(
	        tw_l7_trace_add_line(&t, "t", 1, line, strlen(line), &eb), 0);
	tw_l7_cfg_default(&cfg);
	delay_ms = 0;
	assert_int_equal(run_on(&sv, SRV_H2, &t, &cfg, "", st), 0);
	delay_ms = DELAY_MS;
	assert_int_equal(st->outcome[TW_L7_OK], 1);
	assert_int_equal(st->bytes_out, 20000000);
	assert_int_equal(sv.data_bytes, 20000000);
	tw_l7_stats_free(st);
	tw_l7_trace_free(&t);
	free(st);
}

/* A server that answers in HTTP/1.1: protocol errors at once, with
 * nghttp2's reason, not timeouts after --timeout. */
static void test_not_http2(void **state)
{
	struct tw_l7_stats *st = malloc(sizeof(*st));
	struct tw_l7_trace t;
	struct tw_l7_cfg cfg;
	struct server sv;
	int64_t t0 = mono_ns();

	(void)state;
	mktrace(&t, 3, 0); /* all on the one connection the server takes */
	tw_l7_cfg_default(&cfg);
	assert_int_equal(run_on(&sv, SRV_TEXT, &t, &cfg, "", st), 0);
	assert_int_equal(st->completed, 3);
	assert_int_equal(st->outcome[TW_L7_PROTOCOL], 3);
	assert_int_equal(st->outcome[TW_L7_TIMEOUT], 0);
	assert_non_null(strstr(st->reason[TW_L7_PROTOCOL], "SETTINGS"));
	assert_int_equal(st->latency.count, 0); /* no answer, no latency */
	assert_true(mono_ns() - t0 < 3000 * MS);
	tw_l7_stats_free(st);
	tw_l7_trace_free(&t);
	free(st);
}

static volatile sig_atomic_t stop_sig;

static void on_usr1(int sig)
{
	stop_sig = sig;
}

/* Sends SIGUSR1 to the test's thread 200 ms after it starts. */
static void *signal_later(void *arg)
{
	struct timespec ts = { 0, 200 * MS };

	nanosleep(&ts, NULL);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

/* A signal while every request waits for a server that never answers:
 * the run ends at once, the requests counted cancelled, not after the
 * 10 s timeout. */
static void test_interrupt(void **state)
{
	struct tw_l7_stats *st = malloc(sizeof(*st));
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct tw_l7_trace t;
	struct tw_l7_cfg cfg;
	struct server sv;
	pthread_t self = pthread_self(), th;
	int64_t t0 = mono_ns();

	(void)state;
	stop_sig = 0;
	sigaction(SIGUSR1, &sa, NULL);
	mktrace(&t, 3, 1);
	tw_l7_cfg_default(&cfg);
	cfg.stop = &stop_sig;
	assert_int_equal(pthread_create(&th, NULL, signal_later, &self), 0);
	assert_int_equal(run_on(&sv, SRV_SILENT, &t, &cfg, "", st), 0);
	pthread_join(th, NULL);
	assert_true(st->interrupted);
	assert_int_equal(st->outcome[TW_L7_CANCELLED], 3);
	assert_int_equal(st->latency.count, 0);
	assert_true(mono_ns() - t0 < 2000 * MS);
	signal(SIGUSR1, SIG_DFL);
	tw_l7_stats_free(st);
	tw_l7_trace_free(&t);
	free(st);
}

static bool fell_back;

static void fallback_sink(enum tw_log_level lvl, const char *comp,
                          const char *msg, void *arg)
{
	(void)lvl;
	(void)comp;
	(void)arg;
	if (strstr(msg, "epoll_pwait2 unavailable"))
		fell_back = true;
}

/* In a child whose epoll_pwait2 fails with ENOSYS (seccomp, as on a
 * kernel before 5.11): the run falls back to epoll_wait, keeps its
 * schedule (four requests 30 ms apart) and completes.  Exit status: 0
 * passed, 77 seccomp unavailable, else the step that failed. */
static int no_pwait2_child(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		         offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_epoll_pwait2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	struct tw_l7_stats st;
	struct tw_l7_trace t;
	struct tw_l7_cfg cfg;
	struct tw_errbuf eb;
	struct server sv;
	char url[64];
	int64_t t0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return 77;
	delay_ms = 0;
	srv_start(&sv);
	mktrace(&t, 4, 30);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", sv.port);
	tw_l7_cfg_default(&cfg);
	cfg.target = url;
	cfg.lead_ns = 5 * MS;
	tw_log_set_sink(fallback_sink, NULL);
	tw_log_threshold = TW_LOG_INFO;
	t0 = mono_ns();
	if (tw_l7_run(&t, &cfg, &st, &eb))
		return 1;
	srv_stop(&sv);
	if (!fell_back)
		return 2;
	if (st.outcome[TW_L7_OK] != 4)
		return 3;
	if (mono_ns() - t0 < 90 * MS)
		return 4;
	tw_l7_stats_free(&st);
	tw_l7_trace_free(&t);
	return 0;
}

static void test_no_epoll_pwait2(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(no_pwait2_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* --target's path goes before every path; --set-header ':authority:X'
 * replaces the authority. */
static void test_target_path(void **state)
{
	static const struct tw_l7_header auth = { ":authority", "staging.x",
		                                  9 };
	struct tw_l7_stats *st = malloc(sizeof(*st));
	struct tw_l7_trace t;
	struct tw_l7_cfg cfg;
	struct server sv;

	(void)state;
	mktrace(&t, 1, 1);
	tw_l7_cfg_default(&cfg);
	cfg.set_hdrs = &auth;
	cfg.nset = 1;
	delay_ms = 0;
	assert_int_equal(run_on(&sv, SRV_H2, &t, &cfg, "/base/", st), 0);
	delay_ms = DELAY_MS;
	assert_int_equal(st->outcome[TW_L7_OK], 1);
	assert_string_equal(sv.path, "/base/r0");
	assert_string_equal(sv.authority, "staging.x");
	tw_l7_stats_free(st);
	tw_l7_trace_free(&t);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_coordinated_omission),
		cmocka_unit_test(test_open_loop),
		cmocka_unit_test(test_streaming_messages_paced),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bad_target),
		cmocka_unit_test(test_big_zero_body),
		cmocka_unit_test(test_not_http2),
		cmocka_unit_test(test_interrupt),
		cmocka_unit_test(test_no_epoll_pwait2),
		cmocka_unit_test(test_target_path),
	};

	return cmocka_run_group_tests_name("l7_client", tests, NULL, NULL);
}
