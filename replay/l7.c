/*
 * l7.c - the L7 replay's pure parts: the open-loop schedule, amplification
 * rules, outcome classification and route templates.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "replay/l7.h"

int64_t tw_l7_due_ns(int64_t t_k, int64_t t_0, struct tw_ratio speedup)
{
	__int128 d;

	if (t_k <= t_0 || !speedup.num)
		return 0;
	d = ((__int128)t_k - t_0) * speedup.den / speedup.num;
	return d > INT64_MAX ? -1 : (int64_t)d;
}

static int parse_field(const char *spec, const char **rest,
                       struct tw_l7_amp_rule *r, struct tw_errbuf *eb)
{
	const char *eq;
	size_t n;

	*rest = spec;
	r->field = TW_L7_SEL_PATH;
	if (!strncmp(spec, "method=", 7)) {
		r->field = TW_L7_SEL_METHOD;
		*rest = spec + 7;
	} else if (!strncmp(spec, "authority=", 10)) {
		r->field = TW_L7_SEL_AUTHORITY;
		*rest = spec + 10;
	} else if (!strncmp(spec, "header:", 7)) {
		eq = strchr(spec + 7, '=');
		n = eq ? (size_t)(eq - spec - 7) : 0;
		if (!n || n >= sizeof(r->header))
			return tw_errf(eb, TW_EINVAL,
			               "'%s': want header:NAME=GLOB*N", spec);
		for (size_t i = 0; i < n; i++)
			r->header[i] =
			        (char)tolower((unsigned char)spec[7 + i]);
		r->header[n] = '\0';
		r->field = TW_L7_SEL_HEADER;
		*rest = eq + 1;
	}
	return 0;
}

int tw_l7_amp_parse(const char *spec, struct tw_l7_amp_rule *r,
                    struct tw_errbuf *eb)
{
	const char *glob, *star = strrchr(spec, '*');
	char *end;
	unsigned long n;
	size_t gl;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = parse_field(spec, &glob, r, eb);
	if (rc < 0)
		return rc;
	if (!star || star < glob || !star[1])
		return tw_errf(eb, TW_EINVAL, "'%s': want GLOB*N", spec);
	n = strtoul(star + 1, &end, 10);
	if (*end || !isdigit((unsigned char)star[1]) || n < 1 || n > 1000)
		return tw_errf(eb, TW_EINVAL, "'%s': N must be 1-1000", spec);
	gl = (size_t)(star - glob);
	if (!gl || gl >= sizeof(r->glob))
		return tw_errf(eb, TW_EINVAL, "'%s': empty or long glob", spec);
	memcpy(r->glob, glob, gl);
	r->glob[gl] = '\0';
	r->copies = (unsigned)n;
	return 0;
}

static const char *header_value(const struct tw_l7_exchange *ex,
                                const char *name)
{
	for (size_t i = 0; i < ex->nhdrs; i++)
		if (!strcasecmp(ex->hdrs[i].name, name))
			return ex->hdrs[i].value;
	return NULL;
}

bool tw_l7_amp_match(const struct tw_l7_amp_rule *r,
                     const struct tw_l7_exchange *ex)
{
	const char *v = NULL;

	switch (r->field) {
	case TW_L7_SEL_PATH:
		v = ex->path;
		break;
	case TW_L7_SEL_METHOD:
		v = ex->method;
		break;
	case TW_L7_SEL_AUTHORITY:
		v = ex->authority;
		break;
	case TW_L7_SEL_HEADER:
		v = header_value(ex, r->header);
		break;
	}
	return v && fnmatch(r->glob, v, 0) == 0;
}

unsigned tw_l7_copies(const struct tw_l7_amp_rule *rules, size_t n,
                      const struct tw_l7_exchange *ex)
{
	for (size_t i = 0; i < n; i++)
		if (tw_l7_amp_match(&rules[i], ex))
			return rules[i].copies;
	return 1;
}

static const char *const outcome_names[TW_L7_OUTCOMES] = {
	[TW_L7_OK] = "ok",
	[TW_L7_HTTP_4XX] = "http_4xx",
	[TW_L7_HTTP_5XX] = "http_5xx",
	[TW_L7_GRPC_ERROR] = "grpc_error",
	[TW_L7_CONNECT] = "connect_error",
	[TW_L7_TLS] = "tls_error",
	[TW_L7_RESET] = "reset",
	[TW_L7_TIMEOUT] = "timeout",
	[TW_L7_PROTOCOL] = "protocol_error",
	[TW_L7_CANCELLED] = "cancelled",
};

const char *tw_l7_outcome_name(enum tw_l7_outcome o)
{
	return (unsigned)o < TW_L7_OUTCOMES ? outcome_names[o] : "unknown";
}

bool tw_l7_outcome_transport(enum tw_l7_outcome o)
{
	return o == TW_L7_CONNECT || o == TW_L7_TLS || o == TW_L7_RESET ||
	       o == TW_L7_TIMEOUT || o == TW_L7_CANCELLED;
}

enum tw_l7_outcome tw_l7_classify(int status, int grpc_status, bool grpc)
{
	if (status < 100 || status > 599)
		return TW_L7_PROTOCOL;
	if (status >= 500)
		return TW_L7_HTTP_5XX;
	if (status >= 400)
		return TW_L7_HTTP_4XX;
	if (status < 200)
		return TW_L7_PROTOCOL; /* only a final status ends a stream */
	if (!grpc)
		return TW_L7_OK;
	if (grpc_status < 0)
		return TW_L7_PROTOCOL;
	return grpc_status == 0 ? TW_L7_OK : TW_L7_GRPC_ERROR;
}

/* Whether a path segment looks like an identifier rather than a name. */
static bool is_id(const char *s, size_t n)
{
	size_t digits = 0, hex = 0, alpha = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		digits += isdigit(c) != 0;
		hex += isxdigit(c) != 0 || c == '-';
		alpha += isalpha(c) != 0;
	}
	if (!n)
		return false;
	if (digits == n)
		return true; /* 12345 */
	if (hex == n && digits && n >= 16)
		return true;               /* a UUID, a long hex hash */
	return n >= 20 && digits && alpha; /* a long mixed token */
}

void tw_l7_route(const struct tw_l7_exchange *ex, char *buf, size_t len)
{
	const char *p = ex->path ? ex->path : "";
	size_t o;
	int w;

	if (!len)
		return;
	if (ex->grpc) {
		snprintf(buf, len, "%.*s", (int)strcspn(p, "?"), p);
		return;
	}
	w = snprintf(buf, len, "%s ", ex->method ? ex->method : "-");
	o = w < 0 ? 0 : (size_t)w;
	while (*p && *p != '?' && *p != '#' && o + 1 < len) {
		size_t n;

		if (*p == '/') {
			buf[o++] = *p++;
			continue;
		}
		n = strcspn(p, "/?#");
		w = is_id(p, n) ? snprintf(buf + o, len - o, "{id}")
		                : snprintf(buf + o, len - o, "%.*s", (int)n, p);
		o += w < 0 ? 0 : (size_t)w;
		p += n;
	}
	if (o >= len)
		o = len - 1;
	buf[o] = '\0';
}
