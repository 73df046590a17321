/*
 * session.c - TCP reassembly and the ordered release of packets (see
 * session.h).
 *
 * Stream offsets: byte k of a direction is the k-th byte after its SYN
 * (the SYN's sequence number plus 1 plus k, modulo 2^32, widened to 64
 * bits near the next expected byte, RFC 9293 section 3.4).  Each
 * direction keeps the bytes [base, base + len) of its stream in one
 * buffer: the HTTP/2 redactor edits them in place and says how far they
 * are final ("done").  A packet's payload is copied out of the buffer
 * when done passes its end; the buffer is trimmed below the lowest
 * offset any waiting packet or incomplete message still needs.
 */
#include "redact/session.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "redact/h1.h"
#include "trace/decode.h"
#include "trace/flow.h"
#include "trace/log.h"

#define TRIM_SLACK (256u << 10)
#define MAX_OOO_SEGS 1024

enum mode { M_WAIT = 0, M_H2, M_H1, M_ZERO };

struct held {
	struct held *next;  /* input order */
	struct held *dnext; /* the direction's packets still waiting */
	struct rdir *dir;
	uint32_t iface, linktype, caplen, wirelen;
	int64_t ts;
	uint64_t offset;
	uint8_t *data;
	uint32_t poff, plen;
	uint64_t start;
	uint8_t *pay; /* redacted payload; NULL: zeroed */
	bool stream, ready;
};

struct seg {
	struct seg *next;
	uint64_t start;
	uint32_t len;
	uint8_t data[];
};

struct rflow;

struct rdir {
	struct rflow *f;
	int idx;
	struct tw_sbuf sb;
	size_t cap;
	bool syn, nosyn, fin;
	uint32_t isn;
	uint64_t nxt, done;
	enum mode mode;
	struct seg *ooo;
	size_t nooo;
	struct held *wait, **wait_tail;
};

struct rflow {
	struct rdir d[2];
	int client; /* direction of the SYN without ACK; -1 unknown */
	struct tw_h2conn *h2;
	struct tw_h1conn *h1;
	bool h2_checked;
	uint64_t conn_id; /* in the L7 trace */
	bool closed; /* ended (FIN both ways, RST, idle): resources freed */
	int64_t last_ts;
	uint8_t version;
	uint8_t addr[2][16];
	uint16_t port[2];
	struct rflow *all;
};

struct tw_session {
	struct tw_redactor *r;
	const struct tw_policy *pol;
	struct tw_session_cfg cfg;
	struct tw_h2cfg h2cfg;
	uint8_t vkey[TW_KEY_SUB_BYTES];
	struct tw_flow_table *flows;
	struct rflow *all;
	struct held *head, **tail;
	size_t held_bytes;
	struct held *last; /* popped, freed at the next pop */
	uint8_t *orig;
	size_t orig_cap;
	uint64_t conn_ids;
	uint64_t pushed;
	struct tw_session_stats st;
};

/* ---- held packets ----------------------------------------------------- */

static void held_free(struct held *h)
{
	if (!h)
		return;
	free(h->data);
	free(h->pay);
	free(h);
}

/* Copies the final bytes of h's payload out of its direction. */
static void resolve(struct rdir *d, struct held *h)
{
	uint64_t lo = d->sb.base, hi = d->sb.base + d->sb.len;
	uint64_t a = h->start, b = h->start + h->plen;

	if (hi > d->done)
		hi = d->done;
	h->pay = calloc(1, h->plen ? h->plen : 1);
	if (a < lo)
		a = lo;
	if (b > hi)
		b = hi;
	if (h->pay && a < b)
		memcpy(h->pay + (a - h->start), d->sb.p + (a - lo),
		       (size_t)(b - a));
	/* Outside the buffer: zeros.  No memory: pay stays NULL and the
	 * payload is zeroed. */
	h->ready = true;
}

/* Trims the buffer below what waiting packets still need. */
static void trim(struct rdir *d)
{
	uint64_t low = d->done;
	size_t cut;

	if (d->wait && d->wait->start < low)
		low = d->wait->start;
	if (low < d->sb.base + TRIM_SLACK)
		return;
	low -= TRIM_SLACK / 2;
	cut = (size_t)(low - d->sb.base);
	if (cut > d->sb.len)
		cut = d->sb.len;
	memmove(d->sb.p, d->sb.p + cut, d->sb.len - cut);
	d->sb.len -= cut;
	d->sb.base += cut;
}

/*
 * Releases the direction's waiting packets whose bytes are final, from
 * the oldest, up to the first that must still wait (packets leave in
 * input order anyway, so a later one gains nothing by resolving first;
 * a retransmission whose bytes were trimmed meanwhile gets zeros).
 */
static void settle(struct rdir *d)
{
	while (d->wait) {
		struct held *h = d->wait;

		if (d->mode != M_ZERO && h->start + h->plen > d->done)
			break;
		resolve(d, h);
		d->wait = h->dnext;
		h->dnext = NULL;
	}
	if (!d->wait)
		d->wait_tail = &d->wait;
	trim(d);
}

/* ---- directions ------------------------------------------------------- */

/* Gives up on a direction: what is not final yet becomes zeros. */
static void dir_zero(struct tw_session *s, struct rdir *d)
{
	uint64_t end = d->sb.base + d->sb.len;

	if (d->f->h2)
		tw_h2_fail(d->f->h2, d->idx);
	if (d->done < d->sb.base)
		d->done = d->sb.base;
	if (d->done < end) {
		memset(d->sb.p + (d->done - d->sb.base), 0,
		       (size_t)(end - d->done));
		s->st.zeroed_bytes += end - d->done;
	}
	d->done = end;
	d->mode = M_ZERO;
	while (d->ooo) {
		struct seg *g = d->ooo;

		d->ooo = g->next;
		free(g);
	}
	d->nooo = 0;
	settle(d);
}

static int append(struct rdir *d, const uint8_t *p, size_t n)
{
	if (d->sb.len + n > d->cap) {
		size_t cap = d->cap ? d->cap : 16384;
		uint8_t *b;

		while (cap < d->sb.len + n)
			cap *= 2;
		b = realloc(d->sb.p, cap);
		if (!b)
			return TW_ENOMEM;
		d->sb.p = b;
		d->cap = cap;
	}
	memcpy(d->sb.p + d->sb.len, p, n);
	d->sb.len += n;
	return 0;
}

/* Adds what is new in [start, start + n) to the stream. */
static int ingest(struct tw_session *s, struct rdir *d, uint64_t start,
                  const uint8_t *p, uint32_t n)
{
	uint64_t end = start + n;

	if (end <= d->nxt) {
		s->st.retransmitted += n;
		return 0;
	}
	if (start > d->nxt) {
		struct seg *g, **pp;

		if (d->nooo >= MAX_OOO_SEGS)
			return TW_ELIMIT;
		g = malloc(sizeof(*g) + n);
		if (!g)
			return TW_ENOMEM;
		g->start = start;
		g->len = n;
		memcpy(g->data, p, n);
		for (pp = &d->ooo; *pp && (*pp)->start < start;
		     pp = &(*pp)->next)
			;
		g->next = *pp;
		*pp = g;
		d->nooo++;
		return 0;
	}
	s->st.retransmitted += d->nxt - start;
	if (append(d, p + (d->nxt - start), (size_t)(end - d->nxt)) < 0)
		return TW_ENOMEM;
	d->nxt = end;
	while (d->ooo && d->ooo->start <= d->nxt) {
		struct seg *g = d->ooo;

		d->ooo = g->next;
		d->nooo--;
		if (g->start + g->len > d->nxt) {
			uint64_t skip = d->nxt - g->start;

			if (append(d, g->data + skip, g->len - skip) < 0) {
				free(g);
				return TW_ENOMEM;
			}
			d->nxt = g->start + g->len;
		}
		free(g);
	}
	return 0;
}

static json_t *endpoint(struct tw_session *s, struct rflow *f, int e)
{
	uint8_t a[16];
	char ip[64], buf[80];

	memcpy(a, f->addr[e], 16);
	tw_redact_addr(s->r, f->version, a);
	inet_ntop(f->version == 4 ? AF_INET : AF_INET6, a, ip, sizeof(ip));
	snprintf(buf, sizeof(buf), f->version == 4 ? "%s:%u" : "[%s]:%u", ip,
	         f->port[e]);
	return json_string(buf);
}

/* The L7 trace's "flow" object of f (redacted endpoints). */
static json_t *flow_json(struct tw_session *s, struct rflow *f)
{
	return json_pack("{s:o, s:o, s:i}", "client", endpoint(s, f, f->client),
	                 "server", endpoint(s, f, !f->client), "ip_version",
	                 f->version);
}

/* Not HTTP/2: HTTP/1.1 when the client's first bytes say so (or may
 * still say so), else zeroed. */
static void detect_h1(struct tw_session *s, struct rflow *f, struct rdir *c)
{
	size_t n = c->sb.len < 16 ? c->sb.len : 16, i = 0;

	while (c->sb.base == 0 && i < n && c->sb.p[i] >= 'A' &&
	       c->sb.p[i] <= 'Z')
		i++;
	if (c->mode != M_ZERO && c->sb.base == 0 && i == n && n < 16)
		return; /* a method still arriving */
	f->h2_checked = true;
	if (c->mode != M_ZERO && c->sb.base == 0 &&
	    tw_h1_looks_like(c->sb.p, c->sb.len)) {
		f->conn_id = ++s->conn_ids;
		f->h1 = tw_h1_new(&s->h2cfg, f->client, flow_json(s, f),
		                  f->conn_id, &f->d[0].sb, &f->d[1].sb);
	}
	if (!f->h1) {
		s->st.other_flows++;
		dir_zero(s, &f->d[0]);
		dir_zero(s, &f->d[1]);
		return;
	}
	s->st.h1_flows++;
	f->d[0].mode = f->d[1].mode = M_H1;
}

/* Decides, from the client's first bytes, whether f is HTTP/2. */
static void detect(struct tw_session *s, struct rflow *f)
{
	struct rdir *c;
	size_t n;

	if (f->h2_checked || f->client < 0)
		return;
	c = &f->d[f->client];
	n = c->sb.len < TW_H2_PREFACE_LEN ? c->sb.len : TW_H2_PREFACE_LEN;
	if (c->sb.base != 0 || c->mode == M_ZERO ||
	    memcmp(c->sb.p ? c->sb.p : (const uint8_t *)"", TW_H2_PREFACE, n)) {
		detect_h1(s, f, c);
		return;
	}
	if (n < TW_H2_PREFACE_LEN)
		return;
	f->h2_checked = true;
	f->conn_id = ++s->conn_ids;
	f->h2 = tw_h2_new(&s->h2cfg, f->client, flow_json(s, f), f->conn_id,
	                  &f->d[0].sb, &f->d[1].sb);
	if (!f->h2) {
		dir_zero(s, &f->d[0]);
		dir_zero(s, &f->d[1]);
		return;
	}
	s->st.h2_flows++;
	f->d[0].mode = f->d[1].mode = M_H2;
}

static void feed(struct tw_session *s, struct rflow *f, int i, int64_t ts);

/*
 * h2c via Upgrade: both directions of an HTTP/1.1 connection go on as
 * HTTP/2 where the HTTP/1.1 redactor says, with the upgrade request as
 * stream 1.  Fails closed: without memory both directions are zeroed.
 */
static void upgrade(struct tw_session *s, struct rflow *f, int64_t ts)
{
	struct tw_h2_upgrade u;

	if (tw_h1_take_upgrade(f->h1, &u) < 0)
		return;
	f->h2 = tw_h2_new(&s->h2cfg, f->client, flow_json(s, f), f->conn_id,
	                  &f->d[0].sb, &f->d[1].sb);
	if (!f->h2 || tw_h2_upgrade(f->h2, &u) < 0) {
		if (!f->h2) {
			json_decref(u.pseudo);
			json_decref(u.headers);
		}
		tw_h2_free(f->h2);
		f->h2 = NULL;
		dir_zero(s, &f->d[0]);
		dir_zero(s, &f->d[1]);
		return;
	}
	tw_h1_free(f->h1);
	f->h1 = NULL;
	s->st.h2c_upgrades++;
	f->d[0].mode = f->d[1].mode = M_H2;
	feed(s, f, 0, ts);
	feed(s, f, 1, ts);
}

static void feed(struct tw_session *s, struct rflow *f, int i, int64_t ts)
{
	struct rdir *d = &f->d[i];
	uint64_t done;
	int rc;

	if (d->mode == M_H1 && f->h1) {
		rc = tw_h1_feed(f->h1, i, &done, ts);
		if (rc < 0) {
			d->done = done > d->done ? done : d->done;
			s->st.failed_flows++;
			dir_zero(s, d);
			return;
		}
		d->done = done;
		settle(d);
		if (rc == 1)
			upgrade(s, f, ts);
		return;
	}
	if (d->mode != M_H2 || !f->h2)
		return;
	if (tw_h2_feed(f->h2, i, &done, ts) < 0) {
		d->done = done > d->done ? done : d->done;
		s->st.failed_flows++;
		dir_zero(s, d);
		return;
	}
	d->done = done;
	settle(d);
}

static void advance(struct tw_session *s, struct rflow *f, int i, int64_t ts)
{
	bool was = f->h2 || f->h1;

	detect(s, f);
	if (((f->h2 || f->h1) && !was) || f->h1) {
		/* HTTP/1.1: an answer can resume the other direction (an
		 * upgrade declined) or switch both. */
		feed(s, f, i, ts);
		feed(s, f, !i, ts);
	} else {
		feed(s, f, i, ts);
	}
	if (f->d[i].sb.len > s->cfg.max_dir_bytes && f->d[i].mode != M_ZERO) {
		tw_log(TW_LOG_INFO, "redact",
		       "a direction holds more than %zu bytes: zeroed",
		       s->cfg.max_dir_bytes);
		s->st.forced++;
		s->st.over_flow_buffer++;
		dir_zero(s, &f->d[i]);
	}
}

/* ---- packets in ------------------------------------------------------- */

static struct rflow *flow_of(struct tw_session *s, const uint8_t *data,
                             const struct tw_decoded *dec, int *dir)
{
	struct tw_flow_key key;
	struct rflow **slot, *f;
	bool created = false;
	int err = 0;

	if (!tw_flow_key_of(data, dec, &key, dir))
		return NULL;
	slot = tw_flow_table_get(s->flows, &key, &created, &err);
	if (!slot) {
		if (err == TW_ELIMIT)
			s->st.over_flows++; /* a packet the table had no
			                       room for */
		return NULL;
	}
	if (!created)
		return *slot;
	f = calloc(1, sizeof(*f));
	if (!f) {
		*slot = NULL;
		return NULL;
	}
	f->client = -1;
	f->version = key.version;
	memcpy(f->addr, key.addr, sizeof(f->addr));
	memcpy(f->port, key.port, sizeof(f->port));
	for (int i = 0; i < 2; i++) {
		f->d[i].f = f;
		f->d[i].idx = i;
		f->d[i].wait_tail = &f->d[i].wait;
	}
	f->all = s->all;
	s->all = f;
	*slot = f;
	s->st.tcp_flows++;
	return f;
}

/* Whether the session follows this packet's payload. */
static bool followed(const struct tw_session *s, const struct tw_decoded *d)
{
	const struct tw_policy *pol = s->pol;

	if (d->ip.version == 0 || d->ip.proto != TW_IPPROTO_TCP ||
	    d->tunnel_count || !d->ip.l4_off ||
	    (d->flags & (TW_DEC_TRUNCATED | TW_DEC_MALFORMED | TW_DEC_FRAGMENT |
	                 TW_DEC_TOO_DEEP)) ||
	    d->payload_caplen != d->payload_len)
		return false;
	if (tw_policy_bit(pol->keep_port, d->sport) ||
	    tw_policy_bit(pol->keep_port, d->dport))
		return false;
	if (pol->tls_records == TW_POL_TLS_KEEP_HEADERS &&
	    (tw_policy_bit(pol->tls_port, d->sport) ||
	     tw_policy_bit(pol->tls_port, d->dport)))
		return false;
	return true;
}

static void segment_in(struct tw_session *s, struct rflow *f, int dir,
                       struct held *h, const struct tw_decoded *dec);

/*
 * Ends a connection: open exchanges go to the L7 trace, what is not
 * final is zeroed (its waiting packets are released), and its buffers
 * are freed.  Later segments of it (retransmissions) are zeroed.
 * TODO(#10): its entry (a few hundred bytes) stays in the flow table,
 * which has no delete, until a SYN reuses it or the session ends: a
 * capture of more than limits.flows distinct connections zeroes the
 * later ones (counted as "packets past flows").
 */
static void flow_close(struct tw_session *s, struct rflow *f)
{
	tw_h2_free(f->h2);
	f->h2 = NULL;
	tw_h1_free(f->h1);
	f->h1 = NULL;
	for (int i = 0; i < 2; i++) {
		struct rdir *d = &f->d[i];

		if (d->nooo)
			s->st.gap_flows++;
		dir_zero(s, d);
		free(d->sb.p);
		d->sb.p = NULL;
		d->sb.len = 0;
		d->cap = 0;
	}
	f->closed = true;
	s->st.closed_flows++;
}

/* Closes the connections idle for longer than the configuration says
 * (in capture time). */
static void expire(struct tw_session *s, int64_t now)
{
	for (struct rflow *f = s->all; f; f = f->all)
		if (!f->closed && now - f->last_ts > s->cfg.idle_ns) {
			s->st.expired_flows++;
			flow_close(s, f);
		}
}

/*
 * A SYN on a connection that has ended: its addresses and ports are used
 * again (a port reused, a trace replayed in a loop), so it is followed
 * as a new connection, in the same table entry.
 */
static void flow_reopen(struct tw_session *s, struct rflow *f)
{
	memset(f->d, 0, sizeof(f->d));
	for (int i = 0; i < 2; i++) {
		f->d[i].f = f;
		f->d[i].idx = i;
		f->d[i].wait_tail = &f->d[i].wait;
	}
	f->client = -1;
	f->h2_checked = false;
	f->conn_id = 0;
	f->closed = false;
	s->st.tcp_flows++;
}

static void tcp_segment(struct tw_session *s, struct held *h,
                        const struct tw_decoded *dec)
{
	struct rflow *f;
	int dir = 0;

	f = flow_of(s, h->data, dec, &dir);
	if (!f)
		return; /* table full: redacted alone (zeroed) */
	f->last_ts = h->ts;
	if (f->closed && (dec->tcp_flags & 0x12) == 0x02)
		flow_reopen(s, f);
	if (f->closed)
		return; /* after its end: payload zeroed */
	segment_in(s, f, dir, h, dec);
	if (dec->tcp_flags & 0x01)
		f->d[dir].fin = true;
	if (!f->closed &&
	    ((dec->tcp_flags & 0x04) ||
	     (f->d[0].fin && f->d[1].fin && !f->d[0].nooo && !f->d[1].nooo)))
		flow_close(s, f);
}

static void segment_in(struct tw_session *s, struct rflow *f, int dir,
                       struct held *h, const struct tw_decoded *dec)
{
	struct rdir *d = &f->d[dir];
	uint32_t rel;

	if (dec->tcp_flags & 0x02) {
		if (!d->syn && !d->nosyn) {
			d->syn = true;
			d->isn = dec->tcp_seq;
		}
		if (f->client < 0)
			f->client = (dec->tcp_flags & 0x10) ? !dir : dir;
	}
	if (!dec->payload_len)
		return;
	if (!d->syn) {
		if (!d->nosyn) {
			d->nosyn = true;
			s->st.midstream_flows++;
			tw_log(TW_LOG_INFO, "redact",
			       "a TCP direction starts without its SYN: "
			       "payload zeroed");
		}
		d->mode = M_ZERO;
		s->st.zeroed_bytes += dec->payload_len;
		return;
	}
	h->stream = true;
	h->dir = d;
	h->poff = dec->payload_off;
	h->plen = dec->payload_len;
	rel = dec->tcp_seq - (d->isn + 1);
	h->start =
	        d->nxt + (uint64_t)(int64_t)(int32_t)(rel - (uint32_t)d->nxt);
	if ((int64_t)h->start < 0) {
		h->stream = false;
		return;
	}
	*d->wait_tail = h;
	d->wait_tail = &h->dnext;
	if (d->mode == M_ZERO) {
		s->st.zeroed_bytes += h->plen;
		settle(d);
		return;
	}
	if (ingest(s, d, h->start, h->data + h->poff, h->plen) < 0) {
		s->st.gap_flows++;
		dir_zero(s, d);
		return;
	}
	advance(s, f, dir, h->ts);
}

/*
 * A packet of a followed connection that the packet redactor zeroes
 * for its own reasons (its IPv4 header fails its checksum, so where
 * its transport is cannot be trusted): the connection is given up both
 * ways, so the L7 trace never carries what the capture does not.
 */
static void untrusted(struct tw_session *s, struct held *h,
                      const struct tw_decoded *dec)
{
	int dir = 0;
	struct rflow *f = flow_of(s, h->data, dec, &dir);

	if (!f || f->closed)
		return;
	if (f->d[0].mode != M_ZERO || f->d[1].mode != M_ZERO) {
		s->st.untrusted_flows++;
		tw_log(TW_LOG_INFO, "redact",
		       "an IPv4 header fails its checksum: its TCP "
		       "connection is zeroed");
	}
	f->last_ts = h->ts;
	for (int i = 0; i < 2; i++)
		dir_zero(s, &f->d[i]);
}

static void force_head(struct tw_session *s)
{
	struct held *h = s->head;

	if (!h || h->ready || !h->dir)
		return;
	s->st.forced++;
	s->st.over_held_buffer++;
	tw_log(TW_LOG_INFO, "redact",
	       "packets held exceed %zu bytes: a direction is zeroed",
	       s->cfg.max_held_bytes);
	dir_zero(s, h->dir);
}

int tw_session_push(struct tw_session *s, const struct tw_packet *pkt,
                    uint32_t linktype)
{
	struct held *h = calloc(1, sizeof(*h));
	struct tw_decoded dec;

	if (!h || !(h->data = malloc(pkt->caplen ? pkt->caplen : 1))) {
		free(h);
		return TW_ENOMEM;
	}
	memcpy(h->data, pkt->data, pkt->caplen);
	h->iface = pkt->iface;
	h->linktype = linktype;
	h->caplen = pkt->caplen;
	h->wirelen = pkt->wirelen;
	h->ts = pkt->ts_ns;
	h->offset = pkt->offset;
	*s->tail = h;
	s->tail = &h->next;
	s->held_bytes += pkt->caplen;
	tw_decode(h->data, h->caplen, linktype, &dec);
	if (followed(s, &dec)) {
		if (dec.ip.version == 4 &&
		    tw_redact_ipv4_untrusted(h->data + dec.ip.l3_off,
		                             dec.ip.l3_hlen))
			untrusted(s, h, &dec);
		else
			tcp_segment(s, h, &dec);
	}
	if (!h->stream)
		h->ready = true;
	if ((++s->pushed & 4095) == 0)
		expire(s, h->ts);
	while (s->held_bytes > s->cfg.max_held_bytes && s->head &&
	       !s->head->ready)
		force_head(s);
	return 0;
}

/* ---- packets out ------------------------------------------------------ */

int tw_session_pop(struct tw_session *s, struct tw_out *out)
{
	struct held *h = s->head;
	uint32_t caplen;
	int rc;

	held_free(s->last);
	s->last = NULL;
	if (!h || !h->ready)
		return 0;
	s->head = h->next;
	if (!s->head)
		s->tail = &s->head;
	s->held_bytes -= h->caplen;
	if (h->caplen > s->orig_cap) {
		uint8_t *o = realloc(s->orig, h->caplen);

		if (!o) {
			/* It still comes out, all zeros, as the original
			 * (which cannot be kept). */
			memset(h->data, 0, h->caplen);
			*out = (struct tw_out){ .iface = h->iface,
				                .linktype = h->linktype,
				                .ts_ns = h->ts,
				                .caplen = h->caplen,
				                .wirelen = h->wirelen,
				                .origlen = h->caplen,
				                .offset = h->offset,
				                .data = h->data,
				                .orig = h->data };
			s->last = h;
			return TW_ENOMEM;
		}
		s->orig = o;
		s->orig_cap = h->caplen;
	}
	memcpy(s->orig, h->data, h->caplen);
	caplen = h->caplen;
	if (h->stream && h->pay)
		rc = tw_redact_packet_with(s->r, h->linktype, h->data, &caplen,
		                           h->poff, h->pay, h->plen);
	else
		rc = tw_redact_packet(s->r, h->linktype, h->data, &caplen);
	*out = (struct tw_out){ .iface = h->iface,
		                .linktype = h->linktype,
		                .ts_ns = h->ts,
		                .caplen = caplen,
		                .wirelen = h->wirelen,
		                .origlen = h->caplen,
		                .offset = h->offset,
		                .data = h->data,
		                .orig = s->orig };
	s->last = h;
	return rc < 0 ? rc : 1;
}

void tw_session_finish(struct tw_session *s)
{
	for (struct rflow *f = s->all; f; f = f->all) {
		tw_h2_free(f->h2);
		f->h2 = NULL;
		tw_h1_free(f->h1);
		f->h1 = NULL;
		for (int i = 0; i < 2; i++) {
			struct rdir *d = &f->d[i];

			if (d->nooo)
				s->st.gap_flows++;
			/* An incomplete frame at the end is not passed. */
			dir_zero(s, d);
		}
	}
}

void tw_session_print_limits(const struct tw_session_stats *ss, FILE *f,
                             const char *indent)
{
	const struct tw_h2_stats *h = &ss->h2;

	fprintf(f,
	        "%slimits exceeded (zeroed): %" PRIu64
	        " packets past flows, %" PRIu64
	        " directions past flow_buffer, %" PRIu64
	        " past held_buffer, %" PRIu64 " header blocks, %" PRIu64
	        " messages, %" PRIu64 " JSON too deep, %" PRIu64
	        " protobuf too deep\n",
	        indent, ss->over_flows, ss->over_flow_buffer,
	        ss->over_held_buffer, h->over_header_block, h->over_message,
	        h->over_json_depth, h->over_pb_depth);
}

json_t *tw_session_limits_json(const struct tw_session_stats *ss)
{
	const struct tw_h2_stats *h = &ss->h2;

	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "flows",
	                 (json_int_t)ss->over_flows, "flow_buffer",
	                 (json_int_t)ss->over_flow_buffer, "held_buffer",
	                 (json_int_t)ss->over_held_buffer, "header_block",
	                 (json_int_t)h->over_header_block, "message",
	                 (json_int_t)h->over_message, "json_depth",
	                 (json_int_t)h->over_json_depth, "protobuf_depth",
	                 (json_int_t)h->over_pb_depth);
}

const struct tw_session_stats *tw_session_stats(const struct tw_session *s)
{
	return &s->st;
}

/* A policy built by hand, not parsed, may leave its limits at 0. */
static uint64_t or_default(uint64_t v, uint64_t def)
{
	return v ? v : def;
}

int tw_session_new(struct tw_session **out, struct tw_redactor *r,
                   const struct tw_policy *pol, const struct tw_key *key,
                   const struct tw_session_cfg *cfg, struct tw_errbuf *eb)
{
	struct tw_session *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return tw_errf(eb, TW_ENOMEM, "session: out of memory");
	s->r = r;
	s->pol = pol;
	if (cfg)
		s->cfg = *cfg;
	/* What the caller leaves at 0 comes from the policy's limits. */
	if (!s->cfg.max_flows)
		s->cfg.max_flows = (size_t)or_default(pol->lim.flows,
		                                      TW_LIMIT_FLOWS_DEFAULT);
	if (!s->cfg.max_dir_bytes)
		s->cfg.max_dir_bytes = (size_t)or_default(
		        pol->lim.flow_buffer, TW_LIMIT_FLOW_BUFFER_DEFAULT);
	if (!s->cfg.max_held_bytes)
		s->cfg.max_held_bytes = (size_t)or_default(
		        pol->lim.held_buffer, TW_LIMIT_HELD_BUFFER_DEFAULT);
	if (!s->cfg.idle_ns)
		s->cfg.idle_ns = 300 * (int64_t)1000000000;
	memcpy(s->vkey, key->value, sizeof(s->vkey));
	s->h2cfg = (struct tw_h2cfg){
		.pol = pol, .vkey = s->vkey, .l7 = s->cfg.l7, .st = &s->st.h2
	};
	s->tail = &s->head;
	s->flows = tw_flow_table_new(sizeof(struct rflow *), s->cfg.max_flows);
	if (!s->flows) {
		free(s);
		return tw_errf(eb, TW_ENOMEM, "session: out of memory");
	}
	*out = s;
	return 0;
}

void tw_session_free(struct tw_session *s)
{
	if (!s)
		return;
	held_free(s->last);
	while (s->head) {
		struct held *h = s->head;

		s->head = h->next;
		held_free(h);
	}
	while (s->all) {
		struct rflow *f = s->all;

		s->all = f->all;
		tw_h2_free(f->h2);
		tw_h1_free(f->h1);
		for (int i = 0; i < 2; i++) {
			while (f->d[i].ooo) {
				struct seg *g = f->d[i].ooo;

				f->d[i].ooo = g->next;
				free(g);
			}
			free(f->d[i].sb.p);
		}
		free(f);
	}
	tw_flow_table_free(s->flows);
	free(s->orig);
	memset(s->vkey, 0, sizeof(s->vkey));
	free(s);
}
