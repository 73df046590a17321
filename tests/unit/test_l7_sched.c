/*
 * test_l7_sched.c - the L7 replay's open-loop schedule, amplification
 * rules, outcome classes and route templates (replay/l7.c), and the
 * late / latency counters (replay/l7_stats.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay/l7.h"
#include "replay/l7_stats.h"
#include "trace/error.h"

#define S 1000000000LL

static struct tw_ratio ratio(uint64_t num, uint64_t den)
{
	struct tw_ratio r = { num, den };

	return r;
}

static void test_due(void **state)
{
	static const struct {
		int64_t tk, t0;
		uint64_t num, den;
		int64_t want;
	} t[] = {
		{ 5 * S, 5 * S, 1, 1, 0 },
		{ 6 * S, 5 * S, 1, 1, S },
		{ 15 * S, 5 * S, 5, 1, 2 * S },  /* spread / 5 */
		{ 15 * S, 5 * S, 1, 2, 20 * S }, /* half speed */
		{ 5 * S + 3, 5 * S, 2, 1, 1 },   /* rounds down */
		{ 4 * S, 5 * S, 1, 1, 0 },       /* before t_0 */
		{ INT64_MAX, 0, 1, 1000, -1 },   /* beyond int64 */
		{ 1700000000 * S + 250000000, 1700000000 * S, 1000, 1, 250000 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(tw_l7_due_ns(t[i].tk, t[i].t0,
		                              ratio(t[i].num, t[i].den)),
		                 t[i].want);
}

/* The schedule's spread shrinks by the speedup, offsets never go back. */
static void test_spread(void **state)
{
	const int64_t ts[] = { 100, 250, 250, 900, 4000, 10000 };
	int64_t prev = -1, last1 = 0, last8 = 0;

	(void)state;
	for (size_t i = 0; i < 6; i++) {
		int64_t d =
		        tw_l7_due_ns(ts[i] * 1000, ts[0] * 1000, ratio(8, 1));

		assert_true(d >= prev);
		prev = d;
		last8 = d;
		last1 = tw_l7_due_ns(ts[i] * 1000, ts[0] * 1000, ratio(1, 1));
	}
	assert_int_equal(last1, 9900000);
	assert_int_equal(last8, 9900000 / 8);
}

static struct tw_l7_exchange mkex(const char *method, const char *path,
                                  const char *auth, struct tw_l7_header *h,
                                  size_t nh)
{
	struct tw_l7_exchange ex = { 0 };

	ex.method = (char *)method;
	ex.path = (char *)path;
	ex.authority = (char *)auth;
	ex.hdrs = h;
	ex.nhdrs = nh;
	ex.grpc_status = -1;
	return ex;
}

static void test_amp_parse(void **state)
{
	static const struct {
		const char *spec;
		int rc;
		enum tw_l7_sel_field field;
		const char *glob, *header;
		unsigned n;
	} t[] = {
		{ "/upload*5", 0, TW_L7_SEL_PATH, "/upload", "", 5 },
		{ "/upload/**3", 0, TW_L7_SEL_PATH, "/upload/*", "", 3 },
		{ "method=POST*2", 0, TW_L7_SEL_METHOD, "POST", "", 2 },
		{ "authority=*.corp*4", 0, TW_L7_SEL_AUTHORITY, "*.corp", "",
		  4 },
		{ "header:X-Tenant=acme*7", 0, TW_L7_SEL_HEADER, "acme",
		  "x-tenant", 7 },
		{ "/a", TW_EINVAL, 0, "", "", 0 },
		{ "/a*0", TW_EINVAL, 0, "", "", 0 },
		{ "/a*1001", TW_EINVAL, 0, "", "", 0 },
		{ "/a*x", TW_EINVAL, 0, "", "", 0 },
		{ "*5", TW_EINVAL, 0, "", "", 0 },
		{ "header:=x*2", TW_EINVAL, 0, "", "", 0 },
		{ "method=*", TW_EINVAL, 0, "", "", 0 },
	};
	struct tw_l7_amp_rule r;
	struct tw_errbuf eb;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = tw_l7_amp_parse(t[i].spec, &r, &eb);

		if (rc != t[i].rc)
			fail_msg("'%s': %d", t[i].spec, rc);
		if (rc)
			continue;
		assert_int_equal(r.field, t[i].field);
		assert_string_equal(r.glob, t[i].glob);
		assert_string_equal(r.header, t[i].header);
		assert_int_equal(r.copies, t[i].n);
	}
}

/* Amplification multiplies only the chosen exchanges. */
static void test_amp_select(void **state)
{
	struct tw_l7_header h[] = { { "x-tenant", "acme-1", 6 } };
	struct tw_l7_exchange ex[] = {
		mkex("POST", "/upload/1", "a.example", NULL, 0),
		mkex("GET", "/upload/1", "a.example", NULL, 0),
		mkex("GET", "/users", "b.corp", h, 1),
		mkex("PUT", "/users", "a.example", NULL, 0),
	};
	struct tw_l7_amp_rule r[3];
	struct tw_errbuf eb;
	/* rules: POST uploads x5, tenant acme* x3, *.corp x2 */
	static const unsigned want[] = { 5, 1, 3, 1 };

	(void)state;
	assert_int_equal(tw_l7_amp_parse("method=POST*5", &r[0], &eb), 0);
	assert_int_equal(tw_l7_amp_parse("header:x-tenant=acme**3", &r[1], &eb),
	                 0);
	assert_int_equal(tw_l7_amp_parse("authority=*.corp*2", &r[2], &eb), 0);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(tw_l7_copies(r, 3, &ex[i]), want[i]);
	assert_int_equal(tw_l7_amp_parse("/upload/*", &r[0], &eb), TW_EINVAL);
	assert_int_equal(tw_l7_amp_parse("/upload/**4", &r[0], &eb), 0);
	assert_int_equal(tw_l7_copies(r, 1, &ex[0]), 4);
	assert_int_equal(tw_l7_copies(r, 1, &ex[2]), 1);
	assert_int_equal(tw_l7_copies(r, 0, &ex[0]), 1);
}

static void test_classify(void **state)
{
	static const struct {
		int status, grpc_status;
		bool grpc;
		enum tw_l7_outcome want;
	} t[] = {
		{ 200, -1, false, TW_L7_OK },
		{ 204, -1, false, TW_L7_OK },
		{ 304, -1, false, TW_L7_OK },
		{ 404, -1, false, TW_L7_HTTP_4XX },
		{ 429, -1, false, TW_L7_HTTP_4XX },
		{ 503, -1, false, TW_L7_HTTP_5XX },
		{ 0, -1, false, TW_L7_PROTOCOL },
		{ 100, -1, false, TW_L7_PROTOCOL },
		{ 600, -1, false, TW_L7_PROTOCOL },
		{ 200, 0, true, TW_L7_OK },
		{ 200, 5, true, TW_L7_GRPC_ERROR },
		{ 200, 14, true, TW_L7_GRPC_ERROR },
		{ 200, -1, true, TW_L7_PROTOCOL },
		{ 503, 14, true, TW_L7_HTTP_5XX },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(tw_l7_classify(t[i].status, t[i].grpc_status,
		                                t[i].grpc),
		                 t[i].want);
	assert_true(tw_l7_outcome_transport(TW_L7_TIMEOUT));
	assert_true(tw_l7_outcome_transport(TW_L7_CONNECT));
	assert_false(tw_l7_outcome_transport(TW_L7_HTTP_5XX));
	assert_string_equal(tw_l7_outcome_name(TW_L7_TLS), "tls_error");
	assert_string_equal(tw_l7_outcome_name(TW_L7_OUTCOMES), "unknown");
}

static void test_route(void **state)
{
	static const struct {
		const char *method, *path;
		bool grpc;
		const char *want;
	} t[] = {
		{ "GET", "/users/12345", false, "GET /users/{id}" },
		{ "GET", "/users/12345/orders?page=2", false,
		  "GET /users/{id}/orders" },
		{ "DELETE", "/o/550e8400-e29b-41d4-a716-446655440000", false,
		  "DELETE /o/{id}" },
		{ "GET", "/static/app.js", false, "GET /static/app.js" },
		{ "GET", "/", false, "GET /" },
		{ "POST", "/corpus.Users/GetUser", true,
		  "/corpus.Users/GetUser" },
		{ "GET", "/t/aB3dE5gH7jK9mN1pQ3sT5", false, "GET /t/{id}" },
	};
	char buf[TW_L7_ROUTE_LEN], small[8];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tw_l7_exchange ex =
		        mkex(t[i].method, t[i].path, NULL, NULL, 0);

		ex.grpc = t[i].grpc;
		tw_l7_route(&ex, buf, sizeof(buf));
		assert_string_equal(buf, t[i].want);
	}
	{
		struct tw_l7_exchange ex =
		        mkex("GET", "/a/very/long/path", NULL, NULL, 0);

		tw_l7_route(&ex, small, sizeof(small));
		assert_int_equal(strlen(small), sizeof(small) - 1);
	}
}

/* Lateness is counted against the threshold; latency goes to the route. */
static void test_stats(void **state)
{
	struct tw_l7_stats *st = malloc(sizeof(*st));
	char buf[8192];
	json_t *j;

	(void)state;
	assert_non_null(st);
	tw_l7_stats_init(st, 1000000);
	tw_l7_stats_sent(st, -5);      /* early: counts as 0 */
	tw_l7_stats_sent(st, 1000000); /* exactly the threshold: on time */
	tw_l7_stats_sent(st, 1000001);
	tw_l7_stats_sent(st, 50000000);
	assert_int_equal(st->sent, 4);
	assert_int_equal(st->late, 2);
	assert_int_equal(st->lateness.min, 0);
	assert_int_equal(
	        tw_l7_stats_finish(st, "GET /a", TW_L7_OK, 200, -1, 2000000),
	        0);
	assert_int_equal(tw_l7_stats_finish(st, "/s/M", TW_L7_GRPC_ERROR, 200,
	                                    14, 4000000),
	                 0);
	assert_int_equal(tw_l7_stats_finish(st, "GET /a", TW_L7_TIMEOUT, 0, -1,
	                                    10000000000ULL),
	                 0);
	assert_int_equal(st->completed, 3);
	assert_int_equal(st->outcome[TW_L7_OK], 1);
	assert_int_equal(st->outcome[TW_L7_TIMEOUT], 1);
	assert_int_equal(st->grpc_code[14], 1);
	assert_int_equal(st->status_class[2], 2);
	assert_int_equal(st->status_class[0], 1);
	/* A transport error has no answer: no latency. */
	assert_int_equal(st->latency.count, 2);
	assert_int_equal(st->nroutes, 2);
	assert_int_equal(st->routes[0].latency.count, 1);
	assert_int_equal(st->routes[0].outcome[TW_L7_TIMEOUT], 1);
	j = tw_l7_stats_json(st, "http://x");
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "late")), 2);
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(j, "outcomes"), "timeout")),
	                 1);
	json_decref(j);
	assert_true(tw_l7_stats_prom(st, "http://x", buf, sizeof(buf)) <
	            sizeof(buf));
	assert_non_null(strstr(buf, "tracewarp_l7_late_total{target="
	                            "\"http://x\"} 2\n"));
	assert_non_null(strstr(buf, "outcome=\"grpc_error\"} 1\n"));
	assert_non_null(strstr(buf, "route=\"/s/M\",quantile=\"0.99\"}"));
	tw_l7_stats_free(st);
	free(st);
}

/* Routes beyond the table's size share one. */
static void test_stats_routes(void **state)
{
	struct tw_l7_stats *st = malloc(sizeof(*st));
	char name[32];

	(void)state;
	assert_non_null(st);
	tw_l7_stats_init(st, 1);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "GET /r%d", i);
		assert_int_equal(
		        tw_l7_stats_finish(st, name, TW_L7_OK, 200, -1, 1000),
		        0);
	}
	assert_int_equal(st->nroutes, TW_L7_MAX_ROUTES);
	assert_string_equal(st->routes[TW_L7_MAX_ROUTES - 1].name, "(other)");
	assert_int_equal(st->routes[TW_L7_MAX_ROUTES - 1].latency.count,
	                 200 - (TW_L7_MAX_ROUTES - 1));
	tw_l7_stats_free(st);
	free(st);
}

/* Requests without an answer (a protocol error before any status, a
 * cancel) have no latency, overall or per route; the first reason of an
 * outcome is kept and reaches the JSON. */
static void test_stats_no_answer(void **state)
{
	struct tw_l7_stats *st = malloc(sizeof(*st));
	json_t *j;

	(void)state;
	assert_non_null(st);
	tw_l7_stats_init(st, 1000000);
	tw_l7_stats_finish(st, "GET /a", TW_L7_PROTOCOL, 0, -1, 5000);
	tw_l7_stats_finish(st, "GET /a", TW_L7_CANCELLED, 0, -1, 7000);
	tw_l7_stats_reason(st, TW_L7_PROTOCOL, "GOAWAY sent: PROTOCOL_ERROR");
	tw_l7_stats_reason(st, TW_L7_PROTOCOL, "a later one");
	assert_int_equal(st->completed, 2);
	assert_int_equal(st->latency.count, 0);
	assert_int_equal(st->routes[0].latency.count, 0);
	tw_l7_stats_finish(st, "GET /a", TW_L7_PROTOCOL, 200, -1, 9000);
	assert_int_equal(st->latency.count, 1); /* it had a status */
	assert_string_equal(st->reason[TW_L7_PROTOCOL],
	                    "GOAWAY sent: PROTOCOL_ERROR");
	st->interrupted = true;
	j = tw_l7_stats_json(st, "http://x");
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(j, "reasons"),
	                                          "protocol_error")),
	        "GOAWAY sent: PROTOCOL_ERROR");
	assert_true(json_is_true(json_object_get(j, "interrupted")));
	assert_int_equal(json_integer_value(json_object_get(
	                         json_object_get(j, "outcomes"), "cancelled")),
	                 1);
	json_decref(j);
	tw_l7_stats_free(st);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_amp_parse),
		cmocka_unit_test(test_amp_select),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_stats_routes),
		cmocka_unit_test(test_stats_no_answer),
	};

	return cmocka_run_group_tests_name("l7_sched", tests, NULL, NULL);
}
