/*
 * test_metrics.c - Prometheus text and JSON renderings of the replay
 * counters, the textfile writer and the loopback /metrics server.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "replay/metrics.h"

static struct tw_replay_stats *sample(void)
{
	struct tw_replay_stats *st = calloc(1, sizeof(*st));

	assert_non_null(st);
	tw_hist_init(&st->lateness);
	st->sent = 1234;
	st->bytes = 567890;
	st->failed = 3;
	st->skipped_oversize = 2;
	st->loops_done = 2;
	st->loop[0].sent = 617;
	st->loop[1].sent = 617;
	st->paced = true;
	st->elapsed_ns = 2500000000;
	for (uint64_t v = 1000; v <= 100000; v += 1000)
		tw_hist_record(&st->lateness, v);
	return st;
}

static void test_prom(void **state)
{
	struct tw_replay_stats *st = sample();
	size_t n = tw_metrics_prom(st, "veth\"0", NULL, 0);
	char *buf = malloc(n + 1);

	(void)state;
	assert_int_equal(tw_metrics_prom(st, "veth\"0", buf, n + 1), n);
	assert_int_equal(strlen(buf), n);
	assert_non_null(strstr(buf, "tracewarp_replay_packets_sent_total"
	                            "{output=\"veth\\\"0\"} 1234\n"));
	assert_non_null(strstr(buf, "# TYPE tracewarp_replay_packets_sent_total"
	                            " counter\n"));
	assert_non_null(strstr(buf, "reason=\"oversize\"} 2\n"));
	assert_non_null(strstr(buf, "loop=\"1\"} 617\n"));
	assert_non_null(strstr(buf, "quantile=\"0.99\"} 0.000099"));
	assert_non_null(strstr(buf, "lateness_seconds_count{output=\"veth\\\""
	                            "0\"} 100\n"));
	/* A short buffer is cut, terminated, and the need still told. */
	assert_int_equal(tw_metrics_prom(st, "veth\"0", buf, 10), n);
	assert_int_equal(strlen(buf), 9);
	free(buf);
	free(st);
}

static void test_json(void **state)
{
	struct tw_replay_stats *st = sample();
	json_t *j = tw_metrics_json(st, "out.pcapng");

	(void)state;
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "packets_sent")),
	                 1234);
	assert_int_equal(json_array_size(json_object_get(j, "loops")), 2);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(j, "lateness"), "max_ns")),
	                 100000);
	json_decref(j);
	free(st);
}

static void test_file(void **state)
{
	struct tw_replay_stats *st = sample();
	char path[] = "/tmp/tw_metrics_XXXXXX", text[8192];
	struct tw_errbuf eb;
	FILE *f;
	size_t n;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(tw_metrics_write_file(path, st, "eth0", &eb), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	assert_non_null(
	        strstr(text, "packets_failed_total{output=\"eth0\"} 3"));
	unlink(path);
	assert_int_equal(
	        tw_metrics_write_file("/nonexistent/dir/x", st, "a", &eb),
	        TW_EIO);
	free(st);
}

/* The file is renamed into place: a FIFO there (or a device, as
 * /dev/null) must be refused and left as it was, not replaced. */
static void test_file_not_regular(void **state)
{
	struct tw_replay_stats *st = sample();
	char dir[] = "/tmp/tw_metrics_XXXXXX", fifo[64];
	struct tw_errbuf eb;
	struct stat sb;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(tw_metrics_check_file(fifo, &eb), TW_EINVAL);
	assert_non_null(strstr(eb.msg, "not a regular file"));
	assert_int_equal(tw_metrics_write_file(fifo, st, "a", &eb), TW_EINVAL);
	assert_int_equal(tw_metrics_write_text(fifo, "x 1\n", &eb), TW_EINVAL);
	assert_int_equal(stat(fifo, &sb), 0);
	assert_true(S_ISFIFO(sb.st_mode));
	/* A directory is refused too; a path not there yet is fine. */
	assert_int_equal(tw_metrics_check_file(dir, &eb), TW_EINVAL);
	unlink(fifo);
	assert_int_equal(tw_metrics_check_file(fifo, &eb), 0);
	rmdir(dir);
	free(st);
}

/* One HTTP request to 127.0.0.1:port; returns the response. */
static char *get(unsigned port, const char *path)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	static char resp[16384];
	char req[128];
	size_t used = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	assert_true(write(fd, req, strlen(req)) > 0);
	while ((n = read(fd, resp + used, sizeof(resp) - 1 - used)) > 0)
		used += (size_t)n;
	resp[used] = '\0';
	close(fd);
	return resp;
}

static void test_server(void **state)
{
	struct tw_replay_stats *st = sample();
	struct tw_metrics_server *s;
	struct tw_errbuf eb;
	char *r;

	(void)state;
	assert_int_equal(tw_metrics_listen(&s, "0.0.0.0:0", "x", &eb),
	                 TW_EINVAL);
	assert_int_equal(tw_metrics_listen(&s, "198.18.0.1:9", "x", &eb),
	                 TW_EINVAL);
	assert_int_equal(tw_metrics_listen(&s, "127.0.0.1", "x", &eb),
	                 TW_EINVAL);
	assert_int_equal(tw_metrics_listen(&s, "127.0.0.1:0", "veth0", &eb), 0);
	r = get(tw_metrics_port(s), "/metrics");
	assert_non_null(strstr(r, "HTTP/1.0 200 OK"));
	tw_metrics_publish(s, st);
	r = get(tw_metrics_port(s), "/metrics");
	assert_non_null(strstr(r, "text/plain; version=0.0.4"));
	assert_non_null(strstr(r, "packets_sent_total{output=\"veth0\"} 1234"));
	r = get(tw_metrics_port(s), "/other");
	assert_non_null(strstr(r, "404"));
	tw_metrics_close(s);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prom),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_not_regular),
		cmocka_unit_test(test_server),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
