/*
 * profile.c - generator profiles: YAML (through trace/yamldoc) into a
 * struct tw_gen_profile.  Every key is known or refused, every value is
 * checked, and every complaint says FILE:LINE:COL.  config/PROFILES.md
 * is the reference for what is accepted here.
 */
#include "tools/generate/gen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/yamldoc.h"

#define DEFAULT_START 1767225600LL /* 2026-01-01 00:00:00 UTC */

struct ctx {
	const struct tw_ydoc *doc;
	struct tw_errbuf *eb;
	struct tw_gen_profile *p;
	const char *dir; /* for relative paths, or NULL */
};

static const char *const kind_names[] = { "h2",  "grpc",  "rest", "upload",
	                                  "dns", "flood", NULL };

/* "FILE:LINE:COL: what: problem", and TW_EFORMAT. */
static int bad(struct ctx *c, const struct tw_ynode *n, const char *what,
               const char *problem)
{
	return tw_ydoc_errf(c->doc, n, c->eb, TW_EFORMAT, "%s: %s", what,
	                    problem);
}

bool tw_gen_parse_duration(const char *s, int64_t *ns)
{
	static const struct {
		const char *unit;
		double scale;
	} units[] = { { "", 1e9 },    { "s", 1e9 },  { "ms", 1e6 },
		      { "us", 1e3 },  { "ns", 1.0 }, { "m", 60e9 },
		      { "h", 3600e9 } };
	char *end;
	double v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v >= 0.0) || isinf(v))
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(end, units[i].unit)) {
			v *= units[i].scale;
			if (v > 9e18)
				return false;
			*ns = (int64_t)llround(v);
			return true;
		}
	}
	return false;
}

bool tw_gen_parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *sfx;
		uint64_t scale;
	} tab[] = { { "", 1 },
		    { "k", 1000ULL },
		    { "K", 1000ULL },
		    { "M", 1000000ULL },
		    { "G", 1000000000ULL },
		    { "T", 1000000000000ULL },
		    { "KiB", 1ULL << 10 },
		    { "MiB", 1ULL << 20 },
		    { "GiB", 1ULL << 30 },
		    { "TiB", 1ULL << 40 } };
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (!strcmp(end, tab[i].sfx)) {
			if (v > UINT64_MAX / tab[i].scale)
				return false;
			*out = v * tab[i].scale;
			return true;
		}
	}
	return false;
}

static int get_size(struct ctx *c, const struct tw_ynode *n, const char *what,
                    uint64_t min, uint64_t max, uint64_t *out)
{
	if (tw_ydoc_expect(c->doc, n, TW_YNODE_SCALAR, what, c->eb))
		return TW_EFORMAT;
	if (!tw_gen_parse_size(n->str, out))
		return bad(c, n, what, "not a size (1500, 64k, 10M, 1GiB)");
	if (*out < min || *out > max)
		return tw_ydoc_errf(c->doc, n, c->eb, TW_EFORMAT,
		                    "%s: %llu is outside [%llu, %llu]", what,
		                    (unsigned long long)*out,
		                    (unsigned long long)min,
		                    (unsigned long long)max);
	return 0;
}

static int get_duration(struct ctx *c, const struct tw_ynode *n,
                        const char *what, int64_t *out)
{
	if (tw_ydoc_expect(c->doc, n, TW_YNODE_SCALAR, what, c->eb))
		return TW_EFORMAT;
	if (!tw_gen_parse_duration(n->str, out))
		return bad(c, n, what, "not a duration (250ms, 2s, 1h)");
	return 0;
}

/* A real number in [min, max]. */
static int get_real(struct ctx *c, const struct tw_ynode *n, const char *what,
                    double min, double max, double *out)
{
	char *end;

	if (tw_ydoc_expect(c->doc, n, TW_YNODE_SCALAR, what, c->eb))
		return TW_EFORMAT;
	errno = 0;
	*out = strtod(n->str, &end);
	if (errno || end == n->str || *end || !(*out >= min && *out <= max))
		return tw_ydoc_errf(c->doc, n, c->eb, TW_EFORMAT,
		                    "%s: wanted a number in [%g, %g]", what,
		                    min, max);
	return 0;
}

static int get_tier(struct ctx *c, const struct tw_ynode *n, const char *what,
                    struct tw_gen_dist *d)
{
	static const char *const keys[] = { "weight", "min", "max", NULL };
	const struct tw_ynode *w = tw_ydoc_get(n, "weight");
	const struct tw_ynode *lo = tw_ydoc_get(n, "min");
	const struct tw_ynode *hi = tw_ydoc_get(n, "max");
	size_t i = d->n;

	if (i == TW_GEN_MAX_TIERS)
		return bad(c, n, what, "too many tiers");
	if (tw_ydoc_check_keys(c->doc, n, what, keys, c->eb))
		return TW_EFORMAT;
	if (!lo || !hi)
		return bad(c, n, what, "wants min and max");
	d->tier[i].weight = 1.0;
	if (w && get_real(c, w, "weight", 0.0, 1e9, &d->tier[i].weight))
		return TW_EFORMAT;
	if (get_size(c, lo, "min", 0, UINT64_MAX, &d->tier[i].min) ||
	    get_size(c, hi, "max", 0, UINT64_MAX, &d->tier[i].max))
		return TW_EFORMAT;
	if (d->tier[i].max < d->tier[i].min)
		return bad(c, hi, what, "max is below min");
	d->n++;
	return 0;
}

/* A number, {min, max}, or a list of {weight, min, max} tiers. */
static int get_dist(struct ctx *c, const struct tw_ynode *n, const char *what,
                    struct tw_gen_dist *d)
{
	memset(d, 0, sizeof(*d));
	if (n->kind == TW_YNODE_SCALAR) {
		d->n = 1;
		d->tier[0].weight = 1.0;
		if (get_size(c, n, what, 0, UINT64_MAX, &d->tier[0].min))
			return TW_EFORMAT;
		d->tier[0].max = d->tier[0].min;
		return 0;
	}
	if (n->kind == TW_YNODE_MAP)
		return get_tier(c, n, what, d);
	if (!n->n)
		return bad(c, n, what, "an empty list of tiers");
	for (size_t i = 0; i < n->n; i++) {
		if (tw_ydoc_expect(c->doc, n->kids[i], TW_YNODE_MAP, what,
		                   c->eb) ||
		    get_tier(c, n->kids[i], what, d))
			return TW_EFORMAT;
	}
	return 0;
}

static void dist_fixed(struct tw_gen_dist *d, uint64_t lo, uint64_t hi)
{
	memset(d, 0, sizeof(*d));
	d->n = 1;
	d->tier[0].weight = 1.0;
	d->tier[0].min = lo;
	d->tier[0].max = hi;
}

uint64_t tw_gen_dist_draw(const struct tw_gen_dist *d, struct tw_gen_rng *r)
{
	double total = 0.0, x;
	size_t i;

	if (!d->n)
		return 0;
	for (i = 0; i < d->n; i++)
		total += d->tier[i].weight;
	x = tw_gen_rng_unit(r) * total;
	for (i = 0; i + 1 < d->n; i++) {
		if (x < d->tier[i].weight)
			break;
		x -= d->tier[i].weight;
	}
	return tw_gen_rng_range(r, d->tier[i].min, d->tier[i].max);
}

/* "198.18.0.0/16" or "2001:db8:1::/64", inside the documentation and
 * benchmarking ranges (RFC 2544, RFC 3849). */
static int get_prefix(struct ctx *c, const struct tw_ynode *n, int v6,
                      struct tw_gen_prefix *pf)
{
	const char *what = v6 ? "ipv6" : "ipv4";
	char buf[64];
	char *slash, *end;
	unsigned long len;
	int ok;

	if (tw_ydoc_expect(c->doc, n, TW_YNODE_SCALAR, what, c->eb))
		return TW_EFORMAT;
	snprintf(buf, sizeof(buf), "%s", n->str);
	slash = strchr(buf, '/');
	if (!slash)
		return bad(c, n, what, "wants a prefix such as 198.18.0.0/16");
	*slash = '\0';
	len = strtoul(slash + 1, &end, 10);
	memset(pf->addr, 0, sizeof(pf->addr));
	ok = inet_pton(v6 ? AF_INET6 : AF_INET, buf, pf->addr) == 1;
	if (!ok || *end || slash[1] == '\0' || len > (v6 ? 120u : 30u))
		return bad(c, n, what, "not an address prefix (or too long)");
	pf->len = (unsigned)len;
	if (c->p->any_range)
		return 0;
	if (!v6 &&
	    !(pf->addr[0] == 198 && (pf->addr[1] & 0xfe) == 18 && len >= 15))
		return bad(c, n, what, "must lie inside 198.18.0.0/15");
	if (v6 && !(pf->addr[0] == 0x20 && pf->addr[1] == 0x01 &&
	            pf->addr[2] == 0x0d && pf->addr[3] == 0xb8 && len >= 32))
		return bad(c, n, what, "must lie inside 2001:db8::/32");
	return 0;
}

static int get_hosts(struct ctx *c, const struct tw_ynode *n, const char *what,
                     struct tw_gen_hosts *h)
{
	static const char *const keys[] = { "ipv4", "ipv6", "count", NULL };
	const struct tw_ynode *v;
	uint64_t count;

	if (tw_ydoc_check_keys(c->doc, n, what, keys, c->eb))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "ipv4")) && get_prefix(c, v, 0, &h->v4))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "ipv6")) && get_prefix(c, v, 1, &h->v6))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "count"))) {
		if (tw_ydoc_u64(c->doc, v, "count", 1, 1000000, &count, c->eb))
			return TW_EFORMAT;
		h->count = (uint32_t)count;
	}
	if (h->count >= (1u << (32 - h->v4.len)) - 2)
		return bad(c, n, what, "count does not fit in the ipv4 prefix");
	return 0;
}

static int get_addresses(struct ctx *c, const struct tw_ynode *n)
{
	static const char *const keys[] = { "clients", "servers", "ipv6",
		                            "any_range", NULL };
	const struct tw_ynode *v;

	if (tw_ydoc_check_keys(c->doc, n, "addresses", keys, c->eb))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "any_range")) &&
	    tw_ydoc_bool(c->doc, v, "any_range", &c->p->any_range, c->eb))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "clients")) &&
	    get_hosts(c, v, "clients", &c->p->clients))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "servers")) &&
	    get_hosts(c, v, "servers", &c->p->servers))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "ipv6")) &&
	    get_real(c, v, "ipv6", 0.0, 1.0, &c->p->ipv6))
		return TW_EFORMAT;
	return 0;
}

static int get_network(struct ctx *c, const struct tw_ynode *n)
{
	static const char *const keys[] = { "rtt",     "ack_delay", "loss",
		                            "reorder", "mss",       "link",
		                            NULL };
	struct tw_gen_net *net = &c->p->net;
	const struct tw_ynode *v;
	uint64_t x;

	if (tw_ydoc_check_keys(c->doc, n, "network", keys, c->eb))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "rtt")) &&
	    get_duration(c, v, "rtt", &net->rtt_ns))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "ack_delay")) &&
	    get_duration(c, v, "ack_delay", &net->ack_delay_ns))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "loss")) &&
	    get_real(c, v, "loss", 0.0, 0.5, &net->loss))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "reorder")) &&
	    get_real(c, v, "reorder", 0.0, 0.5, &net->reorder))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "mss"))) {
		if (get_size(c, v, "mss", 536, 8960, &x))
			return TW_EFORMAT;
		net->mss = (uint16_t)x;
	}
	if ((v = tw_ydoc_get(n, "link")) &&
	    get_size(c, v, "link", 1000000, 1000000000000ULL, &net->bps))
		return TW_EFORMAT;
	return 0;
}

static int get_rate(struct ctx *c, const struct tw_ynode *n)
{
	static const char *const keys[] = { "curve",  "per_sec", "from",
		                            "to",     "over",    "amplitude",
		                            "period", "poisson", NULL };
	static const char *const curves[] = { "constant", "ramp", "diurnal",
		                              NULL };
	struct tw_gen_rate *r = &c->p->rate;
	const struct tw_ynode *v;
	int curve = 0;
	bool poisson = false;

	if (tw_ydoc_check_keys(c->doc, n, "rate", keys, c->eb))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "curve")) &&
	    tw_ydoc_enum(c->doc, v, "curve", curves, &curve, c->eb))
		return TW_EFORMAT;
	r->curve = (enum tw_gen_curve)curve;
	if ((v = tw_ydoc_get(n, "per_sec")) &&
	    get_real(c, v, "per_sec", 0.001, 1e9, &r->rate))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "from")) &&
	    get_real(c, v, "from", 0.0, 1e9, &r->from))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "to")) &&
	    get_real(c, v, "to", 0.0, 1e9, &r->to))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "over")) &&
	    get_duration(c, v, "over", &r->over_ns))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "amplitude")) &&
	    get_real(c, v, "amplitude", 0.0, 1.0, &r->amplitude))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "period")) &&
	    get_duration(c, v, "period", &r->period_ns))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "poisson")) &&
	    tw_ydoc_bool(c->doc, v, "poisson", &poisson, c->eb))
		return TW_EFORMAT;
	r->poisson = poisson;
	if (r->curve == TW_GEN_RAMP && (!tw_ydoc_get(n, "to") || !r->over_ns))
		return bad(c, n, "rate", "a ramp wants from, to and over");
	if (r->curve == TW_GEN_DIURNAL && !r->period_ns)
		return bad(c, n, "rate", "a diurnal curve wants a period");
	return 0;
}

static int get_limit(struct ctx *c, const struct tw_ynode *n)
{
	static const char *const keys[] = { "sessions", "packets", "bytes",
		                            "duration", NULL };
	struct tw_gen_profile *p = c->p;
	const struct tw_ynode *v;

	if (tw_ydoc_check_keys(c->doc, n, "limit", keys, c->eb))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "sessions")) &&
	    get_size(c, v, "sessions", 1, UINT64_MAX, &p->max_sessions))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "packets")) &&
	    get_size(c, v, "packets", 1, UINT64_MAX, &p->max_packets))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "bytes")) &&
	    get_size(c, v, "bytes", 1, UINT64_MAX, &p->max_bytes))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "duration")) &&
	    get_duration(c, v, "duration", &p->max_duration_ns))
		return TW_EFORMAT;
	return 0;
}

static char *resolve(struct ctx *c, const char *file)
{
	size_t n;
	char *out;

	if (file[0] == '/' || !c->dir)
		return strdup(file);
	n = strlen(c->dir) + strlen(file) + 2;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s/%s", c->dir, file);
	return out;
}

static int get_plants(struct ctx *c, const struct tw_ynode *n)
{
	static const char *const keys[] = { "file", "rate", NULL };
	const struct tw_ynode *v;
	const char *file;

	if (tw_ydoc_check_keys(c->doc, n, "plants", keys, c->eb))
		return TW_EFORMAT;
	c->p->plant_rate = 0.5;
	if ((v = tw_ydoc_get(n, "rate")) &&
	    get_real(c, v, "rate", 0.0, 1.0, &c->p->plant_rate))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "file"))) {
		if (tw_ydoc_str(c->doc, v, "file", &file, c->eb))
			return TW_EFORMAT;
		c->p->secrets_file = resolve(c, file);
		if (!c->p->secrets_file)
			return TW_ENOMEM;
	}
	return 0;
}

static const uint16_t default_port[TW_GEN_KINDS] = { 8080, 50051, 80,
	                                             8000, 53,    9 };

/* What each kind starts from when the profile says nothing. */
static void mix_defaults(struct tw_gen_mix *m)
{
	m->weight = 1.0;
	m->port = default_port[m->kind];
	m->think_ns = 200000;
	dist_fixed(&m->requests, 1, 8);
	dist_fixed(&m->request_size, 64, 2048);
	dist_fixed(&m->response_size, 256, 16384);
	dist_fixed(&m->messages, 1, 5);
	dist_fixed(&m->size, 1000, 1000000);
	dist_fixed(&m->chunk, 256 * 1024, 4 * 1024 * 1024);
	m->pps = 100000;
	if (m->kind == TW_GEN_FLOOD) {
		dist_fixed(&m->requests, 1000, 1000);
		dist_fixed(&m->size, 64, 64);
	}
	if (m->kind == TW_GEN_DNS)
		dist_fixed(&m->requests, 1, 4);
}

/* Bodies and messages are built in memory: at most this big. */
#define MAX_BODY (256ULL << 20)

static int get_mix_dist(struct ctx *c, const struct tw_ynode *n,
                        const char *key, uint64_t max, struct tw_gen_dist *d)
{
	const struct tw_ynode *v = tw_ydoc_get(n, key);
	int rc = v ? get_dist(c, v, key, d) : 0;

	for (size_t i = 0; !rc && v && i < d->n; i++)
		if (d->tier[i].max > max)
			rc = tw_ydoc_errf(c->doc, v, c->eb, TW_EFORMAT,
			                  "%s: at most %llu", key,
			                  (unsigned long long)max);
	return rc;
}

static int get_mix(struct ctx *c, const struct tw_ynode *n,
                   struct tw_gen_mix *m)
{
	static const char *const keys[] = { "kind",         "weight",
		                            "port",         "requests",
		                            "request_size", "response_size",
		                            "messages",     "streaming",
		                            "rst",          "size",
		                            "chunk",        "pps",
		                            "think",        NULL };
	const struct tw_ynode *v = tw_ydoc_get(n, "kind");
	int kind;
	uint64_t x;

	if (tw_ydoc_check_keys(c->doc, n, "sessions", keys, c->eb))
		return TW_EFORMAT;
	if (!v)
		return bad(c, n, "sessions", "every entry wants a kind");
	if (tw_ydoc_enum(c->doc, v, "kind", kind_names, &kind, c->eb))
		return TW_EFORMAT;
	m->kind = (enum tw_gen_kind)kind;
	mix_defaults(m);
	if ((v = tw_ydoc_get(n, "weight")) &&
	    get_real(c, v, "weight", 0.0, 1e9, &m->weight))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "port"))) {
		if (tw_ydoc_u64(c->doc, v, "port", 1, 65535, &x, c->eb))
			return TW_EFORMAT;
		m->port = (uint16_t)x;
	}
	if (get_mix_dist(c, n, "requests", UINT64_MAX, &m->requests) ||
	    get_mix_dist(c, n, "request_size", MAX_BODY, &m->request_size) ||
	    get_mix_dist(c, n, "response_size", MAX_BODY, &m->response_size) ||
	    get_mix_dist(c, n, "messages", 1000000, &m->messages) ||
	    get_mix_dist(c, n, "size", UINT64_MAX, &m->size) ||
	    get_mix_dist(c, n, "chunk", UINT64_MAX, &m->chunk))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "streaming")) &&
	    get_real(c, v, "streaming", 0.0, 1.0, &m->streaming))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "rst")) &&
	    get_real(c, v, "rst", 0.0, 1.0, &m->rst))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "pps")) &&
	    get_size(c, v, "pps", 1, 1000000000ULL, &m->pps))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(n, "think")) &&
	    get_duration(c, v, "think", &m->think_ns))
		return TW_EFORMAT;
	if (m->kind == TW_GEN_UPLOAD && m->chunk.tier[0].min == 0)
		return bad(c, n, "chunk", "an upload chunk must not be 0");
	return 0;
}

static int get_sessions(struct ctx *c, const struct tw_ynode *n)
{
	if (tw_ydoc_expect(c->doc, n, TW_YNODE_SEQ, "sessions", c->eb))
		return TW_EFORMAT;
	if (!n->n || n->n > TW_GEN_MAX_MIX)
		return tw_ydoc_errf(c->doc, n, c->eb, TW_EFORMAT,
		                    "sessions: wants 1 to %d entries",
		                    TW_GEN_MAX_MIX);
	for (size_t i = 0; i < n->n; i++) {
		if (tw_ydoc_expect(c->doc, n->kids[i], TW_YNODE_MAP, "sessions",
		                   c->eb) ||
		    get_mix(c, n->kids[i], &c->p->mix[i]))
			return TW_EFORMAT;
		c->p->nmix++;
	}
	return 0;
}

static void profile_defaults(struct tw_gen_profile *p)
{
	static const uint8_t v6c[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
	static const uint8_t v6s[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2 };

	p->seed = 1;
	p->start_ns = DEFAULT_START * 1000000000LL;
	p->clients.v4 = (struct tw_gen_prefix){ { 198, 18, 0, 0 }, 16 };
	memcpy(p->clients.v6.addr, v6c, 16);
	p->clients.v6.len = 48;
	p->clients.count = 256;
	p->servers.v4 = (struct tw_gen_prefix){ { 198, 19, 0, 0 }, 24 };
	memcpy(p->servers.v6.addr, v6s, 16);
	p->servers.v6.len = 48;
	p->servers.count = 4;
	p->net = (struct tw_gen_net){ .rtt_ns = 1000000,
		                      .ack_delay_ns = 40000,
		                      .mss = 1460,
		                      .bps = 10000000000ULL };
	p->rate =
	        (struct tw_gen_rate){ .curve = TW_GEN_CONSTANT, .rate = 100.0 };
}

static int get_root(struct ctx *c, const struct tw_ynode *root)
{
	static const char *const keys[] = {
		"version", "description", "seed",    "start",
		"limit",   "addresses",   "network", "rate",
		"plants",  "sessions",    NULL
	};
	const struct tw_ynode *v;
	uint64_t x;

	if (!root)
		return bad(c, NULL, "profile", "the file is empty");
	if (tw_ydoc_expect(c->doc, root, TW_YNODE_MAP, "profile", c->eb) ||
	    tw_ydoc_check_keys(c->doc, root, "profile", keys, c->eb))
		return TW_EFORMAT;
	if (!(v = tw_ydoc_get(root, "version")))
		return bad(c, root, "profile", "wants 'version: 1'");
	if (tw_ydoc_u64(c->doc, v, "version", 1, 1, &x, c->eb))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(root, "seed")) &&
	    tw_ydoc_u64(c->doc, v, "seed", 0, UINT64_MAX, &c->p->seed, c->eb))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(root, "start"))) {
		if (tw_ydoc_u64(c->doc, v, "start", 0, 4000000000ULL, &x,
		                c->eb))
			return TW_EFORMAT;
		c->p->start_ns = (int64_t)x * 1000000000LL;
	}
	if ((v = tw_ydoc_get(root, "description")) &&
	    tw_ydoc_expect(c->doc, v, TW_YNODE_SCALAR, "description", c->eb))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(root, "limit")) && get_limit(c, v))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(root, "addresses")) && get_addresses(c, v))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(root, "network")) && get_network(c, v))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(root, "rate")) && get_rate(c, v))
		return TW_EFORMAT;
	if ((v = tw_ydoc_get(root, "plants")))
		if (get_plants(c, v))
			return c->eb->msg[0] ? TW_EFORMAT : TW_ENOMEM;
	if (!(v = tw_ydoc_get(root, "sessions")))
		return bad(c, root, "profile", "wants a 'sessions' list");
	return get_sessions(c, v);
}

static int parse(struct tw_gen_profile **out, const char *name,
                 const char *text, size_t len, const char *dir,
                 struct tw_errbuf *eb)
{
	struct tw_gen_profile *p = calloc(1, sizeof(*p));
	struct tw_ydoc *doc = NULL;
	struct ctx c = { .eb = eb, .p = p, .dir = dir };
	int rc;

	*out = NULL;
	eb->msg[0] = '\0';
	if (!p)
		return tw_errf(eb, TW_ENOMEM, "%s: out of memory", name);
	profile_defaults(p);
	p->path = strdup(name);
	rc = p->path ? tw_ydoc_parse(&doc, name, text, len, eb) : TW_ENOMEM;
	if (!rc) {
		c.doc = doc;
		rc = get_root(&c, doc->root);
	}
	tw_ydoc_free(doc);
	if (rc) {
		if (!eb->msg[0])
			tw_errf(eb, rc, "%s: out of memory", name);
		tw_gen_profile_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int tw_gen_profile_parse(struct tw_gen_profile **out, const char *name,
                         const char *text, size_t len, struct tw_errbuf *eb)
{
	return parse(out, name, text, len, NULL, eb);
}

int tw_gen_profile_load(struct tw_gen_profile **out, const char *path,
                        struct tw_errbuf *eb)
{
	char *text = NULL, *copy = strdup(path);
	size_t len = 0;
	int rc;

	*out = NULL;
	if (!copy)
		return tw_errf(eb, TW_ENOMEM, "%s: out of memory", path);
	rc = tw_ydoc_read_file(path, &text, &len, eb);
	if (!rc)
		rc = parse(out, path, text, len, dirname(copy), eb);
	free(text);
	free(copy);
	return rc;
}

void tw_gen_profile_free(struct tw_gen_profile *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->secrets_file);
	free(p);
}
