/*
 * generate.c - the scheduler: starts sessions at the rate curve's arrival
 * times and merges their packet queues, through a binary heap keyed on
 * each queue's first timestamp, into one time-ordered trace.
 *
 * A session queues packets a step at a time, always at or after the time
 * of its last one, and a session starts only once every packet written
 * so far is no later than its start, so the output never goes back in
 * time.  Limits (sessions, packets, bytes, duration) stop new sessions;
 * sessions already running finish, so every conversation in the file is
 * whole and the counts in the statistics are what a decoder will find.
 */
#include "tools/generate/sess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/log.h"
#include "trace/packet.h"

#define SNAPLEN 262144
#define PORT_FIRST 10000
#define PORT_SPAN 55000
#define PROGRESS_EVERY 4096

struct heap {
	struct tw_gen_sess **v;
	size_t n, cap;
};

struct run {
	struct tw_gen g;
	struct tw_gen_rng rng; /* arrivals, kinds and session seeds */
	struct heap h;
	struct tw_gen_sess **spare; /* finished sessions, for reuse */
	size_t nspare, spare_cap;
	struct tw_writer *w;
	uint32_t iface;
	uint64_t started;
	int64_t next_arrival;
	double total_weight;
};

uint16_t tw_gen_port(struct tw_gen *g)
{
	return (uint16_t)(PORT_FIRST + g->next_port++ % PORT_SPAN);
}

const char *tw_gen_plant(struct tw_gen *g, struct tw_gen_rng *r)
{
	const char *s;

	if (!g->nsecrets || !tw_gen_rng_chance(r, g->p->plant_rate))
		return NULL;
	s = g->secrets[g->next_secret++ % g->nsecrets];
	g->st->plants++;
	return s;
}

void tw_gen_host(const struct tw_gen *g, int server, int v6, uint32_t idx,
                 struct tw_gen_ep *ep)
{
	const struct tw_gen_hosts *h = server ? &g->p->servers : &g->p->clients;
	const struct tw_gen_prefix *pf = v6 ? &h->v6 : &h->v4;
	size_t alen = v6 ? 16 : 4;
	uint32_t host = idx + 1, x;

	memset(ep, 0, sizeof(*ep));
	ep->v6 = v6;
	memcpy(ep->addr, pf->addr, alen);
	/* The host number in the last four bytes, under the prefix. */
	memcpy(&x, ep->addr + alen - 4, 4);
	x = __builtin_bswap32(x) + host;
	x = __builtin_bswap32(x);
	memcpy(ep->addr + alen - 4, &x, 4);
	ep->mac[0] = 0x02; /* locally administered, unicast */
	ep->mac[1] = (uint8_t)(server ? 0x53 : 0x43);
	ep->mac[2] = (uint8_t)(host >> 24);
	ep->mac[3] = (uint8_t)(host >> 16);
	ep->mac[4] = (uint8_t)(host >> 8);
	ep->mac[5] = (uint8_t)host;
}

uint64_t tw_gen_draw_size(const struct tw_gen *g, const struct tw_gen_dist *d,
                          struct tw_gen_rng *r)
{
	uint64_t v = tw_gen_dist_draw(d, r);

	if (g->o->max_size && v > g->o->max_size)
		v = g->o->max_size;
	return v;
}

/* The heap. */

static bool before(const struct tw_gen_sess *a, const struct tw_gen_sess *b)
{
	int64_t ta = a->q.v[a->q.head].ts_ns, tb = b->q.v[b->q.head].ts_ns;

	return ta < tb || (ta == tb && a->id < b->id);
}

static void sift_down(struct heap *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct tw_gen_sess *t;

		if (l < h->n && before(h->v[l], h->v[m]))
			m = l;
		if (l + 1 < h->n && before(h->v[l + 1], h->v[m]))
			m = l + 1;
		if (m == i)
			return;
		t = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = t;
		i = m;
	}
}

static int heap_push(struct heap *h, struct tw_gen_sess *s)
{
	size_t i;

	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 64;
		struct tw_gen_sess **v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return TW_ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	i = h->n++;
	h->v[i] = s;
	while (i > 0 && before(h->v[i], h->v[(i - 1) / 2])) {
		struct tw_gen_sess *t = h->v[i];

		h->v[i] = h->v[(i - 1) / 2];
		h->v[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
	return 0;
}

static void heap_pop(struct heap *h)
{
	h->v[0] = h->v[--h->n];
	sift_down(h, 0);
}

/* Sessions. */

static void sess_destroy(struct tw_gen_sess *s)
{
	tw_gen_sess_free(s);
	free(s);
}

/* A finished session goes to the spares, so that the next one reuses
 * its buffers instead of allocating (and faulting in) new ones. */
static void sess_retire(struct run *r, struct tw_gen_sess *s)
{
	if (r->nspare == r->spare_cap) {
		size_t cap = r->spare_cap ? 2 * r->spare_cap : 16;
		struct tw_gen_sess **v = realloc(r->spare, cap * sizeof(*v));

		if (!v) {
			sess_destroy(s);
			return;
		}
		r->spare = v;
		r->spare_cap = cap;
	}
	tw_gen_sess_end(s);
	r->spare[r->nspare++] = s;
}

static struct tw_gen_sess *sess_get(struct run *r)
{
	if (r->nspare)
		return r->spare[--r->nspare];
	return calloc(1, sizeof(struct tw_gen_sess));
}

/* Steps s until it has packets queued or is done. */
static int refill(struct tw_gen_sess *s)
{
	int rc = 0;

	while (!rc && !tw_gen_q_len(&s->q) && !s->done)
		rc = tw_gen_sess_step(s);
	return rc;
}

static const struct tw_gen_mix *pick_mix(struct run *r)
{
	const struct tw_gen_profile *p = r->g.p;
	double x = tw_gen_rng_unit(&r->rng) * r->total_weight;
	size_t i;

	for (i = 0; i + 1 < p->nmix; i++) {
		if (x < p->mix[i].weight)
			break;
		x -= p->mix[i].weight;
	}
	return &p->mix[i];
}

static bool may_start(const struct run *r)
{
	const struct tw_gen_profile *p = r->g.p;
	const struct tw_gen_stats *st = r->g.st;

	if (p->max_sessions && r->started >= p->max_sessions)
		return false;
	if (p->max_packets && st->packets >= p->max_packets)
		return false;
	if (p->max_bytes && st->bytes >= p->max_bytes)
		return false;
	return !p->max_duration_ns ||
	       r->next_arrival - p->start_ns < p->max_duration_ns;
}

static int start_session(struct run *r)
{
	const struct tw_gen_mix *m = pick_mix(r);
	uint64_t seed = tw_gen_rng_next(&r->rng);
	struct tw_gen_sess *s = sess_get(r);
	int rc;

	if (!s)
		return TW_ENOMEM;
	tw_gen_sess_init(s, &r->g, m, seed, r->next_arrival);
	s->id = r->started++;
	r->g.st->sessions++;
	r->next_arrival =
	        tw_gen_rate_next(&r->g.p->rate,
	                         r->next_arrival - r->g.p->start_ns, &r->rng) +
	        r->g.p->start_ns;
	rc = refill(s);
	if (!rc && tw_gen_q_len(&s->q))
		rc = heap_push(&r->h, s);
	else
		sess_retire(r, s);
	return rc;
}

static int write_head(struct run *r, struct tw_errbuf *eb)
{
	struct tw_gen_sess *s = r->h.v[0];
	const struct tw_gen_pkt *pkt = &s->q.v[s->q.head];
	const uint8_t *data = tw_gen_q_data(&s->q, s->q.head++);
	struct tw_gen_stats *st = r->g.st;
	int rc;

	rc = tw_writer_write(r->w, r->iface, pkt->ts_ns, data, pkt->len,
	                     pkt->len);
	if (rc)
		return tw_errf(eb, rc, "%s", tw_writer_errmsg(r->w));
	if (!st->packets)
		st->first_ns = pkt->ts_ns;
	st->last_ns = pkt->ts_ns;
	st->packets++;
	st->bytes += pkt->len;
	if (r->g.o->progress && st->packets % PROGRESS_EVERY == 0)
		r->g.o->progress(r->g.o->progress_arg, st);
	rc = refill(s);
	if (rc)
		return tw_errf(eb, rc, "generating session %llu: %s",
		               (unsigned long long)s->id, tw_strerror(rc));
	if (tw_gen_q_len(&s->q)) {
		sift_down(&r->h, 0);
	} else {
		heap_pop(&r->h);
		sess_retire(r, s);
	}
	return 0;
}

static int loop(struct run *r, struct tw_errbuf *eb)
{
	int rc = 0;

	while (!rc) {
		bool can = may_start(r);
		struct tw_gen_sess *top = r->h.n ? r->h.v[0] : NULL;

		if (can &&
		    (!top || r->next_arrival <= top->q.v[top->q.head].ts_ns)) {
			rc = start_session(r);
			if (rc)
				tw_errf(eb, rc, "starting a session: %s",
				        tw_strerror(rc));
		} else if (top) {
			rc = write_head(r, eb);
		} else {
			break;
		}
	}
	return rc;
}

/* Set-up. */

static int load_secrets(struct tw_gen *g, const char *path,
                        struct tw_errbuf *eb)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (!f)
		return tw_errf(eb, TW_EIO, "%s: %m", path);
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\r\n");
		char **v;

		line[n] = '\0';
		if (!n)
			continue;
		v = realloc(g->secrets, (g->nsecrets + 1) * sizeof(*v));
		if (!v || !(v[g->nsecrets] = strdup(line))) {
			if (v)
				g->secrets = v;
			fclose(f);
			return tw_errf(eb, TW_ENOMEM, "%s: out of memory",
			               path);
		}
		g->secrets = v;
		g->nsecrets++;
	}
	fclose(f);
	if (!g->nsecrets)
		return tw_errf(eb, TW_EFORMAT, "%s: no secrets in the file",
		               path);
	return 0;
}

static int setup(struct run *r, const struct tw_gen_profile *p,
                 const struct tw_gen_opts *o, struct tw_gen_stats *st,
                 struct tw_errbuf *eb)
{
	char msg[256] = "";
	struct tw_gen_rng frng;
	int rc;

	r->g.p = p;
	r->g.o = o;
	r->g.st = st;
	tw_gen_rng_seed(&r->rng, o->seed);
	tw_gen_rng_seed(&frng, o->seed ^ 0x5eed5eedULL);
	r->next_arrival = p->start_ns;
	for (size_t i = 0; i < p->nmix; i++)
		r->total_weight += p->mix[i].weight;
	r->g.filler = malloc(2 * TW_GEN_FILLER_SPAN);
	if (!r->g.filler)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	tw_gen_rng_fill(&frng, r->g.filler, 2 * TW_GEN_FILLER_SPAN);
	for (size_t i = 0; i < 2 * TW_GEN_FILLER_SPAN; i++)
		r->g.filler[i] = (uint8_t)('a' + r->g.filler[i] % 26);
	if (p->secrets_file) {
		rc = load_secrets(&r->g, p->secrets_file, eb);
		if (rc)
			return rc;
	}
	rc = tw_gen_builder_new(&r->g.b, msg, sizeof(msg));
	if (rc)
		return tw_errf(eb, rc, "%s", msg[0] ? msg : "out of memory");
	tw_gen_builder_every_packet(r->g.b, o->libnet_every_packet);
	rc = tw_writer_add_iface(r->w, TW_LINK_ETHERNET, SNAPLEN, &r->iface);
	if (rc)
		return tw_errf(eb, rc, "%s", tw_writer_errmsg(r->w));
	return 0;
}

int tw_gen_run(const struct tw_gen_profile *p, const struct tw_gen_opts *o,
               struct tw_writer *w, struct tw_gen_stats *st,
               struct tw_errbuf *eb)
{
	struct run r;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(st, 0, sizeof(*st));
	r.w = w;
	rc = setup(&r, p, o, st, eb);
	if (!rc && r.total_weight <= 0.0)
		rc = tw_errf(eb, TW_EINVAL, "%s: every session weight is 0",
		             p->path);
	if (!rc)
		rc = loop(&r, eb);
	if (!rc && o->progress)
		o->progress(o->progress_arg, st);
	tw_log(TW_LOG_DEBUG, "generate", "%llu sessions, %llu packets",
	       (unsigned long long)st->sessions,
	       (unsigned long long)st->packets);
	for (size_t i = 0; i < r.h.n; i++)
		sess_destroy(r.h.v[i]);
	free(r.h.v);
	for (size_t i = 0; i < r.nspare; i++)
		sess_destroy(r.spare[i]);
	free(r.spare);
	for (size_t i = 0; i < r.g.nsecrets; i++)
		free(r.g.secrets[i]);
	free(r.g.secrets);
	free(r.g.filler);
	tw_gen_builder_free(r.g.b);
	return rc;
}
