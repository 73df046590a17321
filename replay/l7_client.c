/*
 * l7_client.c - the L7 replay's event loop: one epoll instance, many
 * connections, each an nghttp2 client session over a non-blocking socket
 * (with OpenSSL for https).  See l7_client.h for the timing model.
 *
 * A request lives in two lists: the run's list of live requests, in due
 * order (which makes the assignment cursor, the release cursor and the
 * timeout scan each a walk from the front), and its connection's list.
 * It is freed when it finishes; a stream whose request timed out keeps no
 * pointer to it (the stream's user data is cleared and the stream reset).
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "replay/l7_client.h"
#include "trace/log.h"

#define OUT_CHUNK 65536
#define MAX_EVENTS 64

enum conn_state { C_CONNECTING, C_TLS, C_READY, C_DEAD };

struct req;

struct conn {
	struct run *run;
	int fd;
	SSL *ssl;
	nghttp2_session *h2;
	enum conn_state state;
	enum tw_l7_outcome fail;      /* why it died */
	uint64_t expected, done;      /* close when done == expected (> 0) */
	uint32_t nreqs;               /* live requests on it */
	bool out_armed;               /* EPOLLOUT wanted */
	bool closing;                 /* GOAWAY sent: close once it is out */
	bool failing;                 /* conn_fail() is walking its requests */
	bool proto;                   /* a GOAWAY with an error went either way:
	                            the server does not speak HTTP/2 well */
	char h2err[TW_L7_REASON_LEN]; /* nghttp2's first complaint, or "" */
	size_t slot;                  /* index in slots[] or fixed[] */
	bool dirty;                   /* on the run's list of conns to flush */
	struct conn *dirty_next;
	uint8_t *out; /* bytes not yet written */
	size_t out_len, out_off;
	struct req *reqs;         /* its live requests */
	struct conn *next, *prev; /* all connections */
};

struct req {
	const struct tw_l7_exchange *ex;
	struct conn *c;
	int64_t due;    /* absolute, CLOCK_MONOTONIC ns */
	int32_t stream; /* 0 until submitted */
	bool released;  /* its due time came */
	int status, grpc_status;
	size_t body_off;
	/* Paced gRPC messages (ex->msgs): the body is sent up to allowed,
	 * the end of the messages whose time came; the next one, msg_next,
	 * is due at msg_due.  Requests with messages still to come are on
	 * the run's paced list. */
	size_t allowed, msg_next;
	int64_t msg_due;
	bool paced;
	struct req *prev, *next;   /* the run's live list */
	struct req *cprev, *cnext; /* the connection's list */
	struct req *pprev, *pnext; /* the run's paced list */
};

/* A slot: the connection a recorded connection (and copy) maps to. */
struct slot {
	struct conn *c;
	uint64_t assigned; /* requests of this loop given to it so far */
};

struct run {
	const struct tw_l7_trace *t;
	const struct tw_l7_cfg *cfg;
	struct tw_l7_stats *st;
	struct tw_errbuf *eb;
	int ep;
	SSL_CTX *tls;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char host[256];
	char authority[300];
	const char *scheme;
	bool is_ip;
	nghttp2_session_callbacks *cbs;
	int64_t start, period;
	/* The plan: the next exchange to assign. */
	uint64_t loop;
	size_t idx;
	unsigned copy;
	bool plan_done;
	unsigned *ncopies;   /* per exchange */
	size_t *slot_base;   /* per recorded connection, into slots[] */
	uint64_t *slot_need; /* per slot: requests in one loop */
	struct slot *slots;
	size_t nslots;
	struct conn **fixed; /* --connections N */
	uint64_t rr;
	struct req *head, *tail; /* live requests, due order */
	struct req *release;     /* first not yet released */
	struct req *paced;       /* submitted, with messages still to come */
	struct conn *conns;
	struct conn *dirty; /* ready connections with requests to send */
	uint64_t nassigned; /* released */
	uint64_t nlive;     /* assigned, not finished */
	bool blocked;       /* assignment waits for --max-inflight */
	bool no_pwait2;     /* epoll_pwait2 is missing: epoll_wait (ms) */
	int64_t next_tick;
	char prefix[256]; /* --target's path, put before every path */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void tw_l7_cfg_default(struct tw_l7_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->speedup.num = cfg->speedup.den = 1;
	cfg->loops = 1;
	cfg->timeout_ns = 10000000000LL;
	cfg->late_ns = 1000000;
	cfg->lead_ns = 100000000;
}

/* ---- requests ---- */

static void conn_maybe_close(struct conn *c);

static void paced_unlink(struct run *r, struct req *q)
{
	if (!q->paced)
		return;
	if (q->pprev)
		q->pprev->pnext = q->pnext;
	else
		r->paced = q->pnext;
	if (q->pnext)
		q->pnext->pprev = q->pprev;
	q->paced = false;
	q->pprev = q->pnext = NULL;
}

/* When message k of q is due: its recorded time after the request's due
 * time, divided by the speedup (at once under --topspeed). */
static int64_t msg_due(const struct run *r, const struct req *q, size_t k)
{
	int64_t off = tw_l7_due_ns(q->ex->msgs[k].t_ns, 0, r->cfg->speedup);

	if (r->cfg->topspeed || off < 0 || off > INT64_MAX - q->due)
		return q->due;
	return q->due + off;
}

/* Lets q's body go up to the end of every message due by now, and keeps
 * q on the paced list while messages are still to come. */
static void pace(struct run *r, struct req *q, int64_t now)
{
	const struct tw_l7_exchange *ex = q->ex;

	while (q->msg_next < ex->nmsgs && msg_due(r, q, q->msg_next) <= now)
		q->allowed = ex->msgs[q->msg_next++].end;
	if (q->msg_next == ex->nmsgs) {
		q->allowed = ex->body_len;
		paced_unlink(r, q);
		return;
	}
	q->msg_due = msg_due(r, q, q->msg_next);
	if (!q->paced) {
		q->paced = true;
		q->pnext = r->paced;
		if (r->paced)
			r->paced->pprev = q;
		r->paced = q;
	}
}

static void req_unlink(struct run *r, struct req *q)
{
	struct conn *c = q->c;

	if (r->release == q)
		r->release = q->next;
	if (q->prev)
		q->prev->next = q->next;
	else
		r->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		r->tail = q->prev;
	if (q->cprev)
		q->cprev->cnext = q->cnext;
	else
		c->reqs = q->cnext;
	if (q->cnext)
		q->cnext->cprev = q->cprev;
	paced_unlink(r, q);
	c->nreqs--;
	r->nlive--;
}

/* Counts q's outcome and frees it. */
static void req_finish(struct run *r, struct req *q, enum tw_l7_outcome o)
{
	struct conn *c = q->c;
	char route[TW_L7_ROUTE_LEN];
	int64_t lat = now_ns() - q->due;
	const struct tw_l7_exchange *ex = q->ex;

	if (q->stream && c->h2)
		nghttp2_session_set_stream_user_data(c->h2, q->stream, NULL);
	tw_l7_route(ex, route, sizeof(route));
	if (tw_l7_outcome_transport(o))
		q->status = 0, q->grpc_status = -1;
	tw_l7_stats_finish(r->st, route, o, q->status, q->grpc_status,
	                   lat < 0 ? 0 : (uint64_t)lat);
	if (r->cfg->compare && ex->status) {
		r->st->compared++;
		if (q->status != ex->status ||
		    (ex->grpc_status >= 0 && q->grpc_status != ex->grpc_status))
			r->st->status_mismatch++;
	}
	req_unlink(r, q);
	c->done++;
	free(q);
	conn_maybe_close(c);
}

/* ---- connections: I/O ---- */

static void conn_fail(struct conn *c, enum tw_l7_outcome o, const char *why);

static void conn_arm(struct conn *c, bool out)
{
	struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0),
		                  .data.ptr = c };

	if (c->fd < 0 || out == c->out_armed)
		return;
	c->out_armed = out;
	epoll_ctl(c->run->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes n bytes; returns the count written, 0 when the socket is full,
 * -1 on an error. */
static ssize_t raw_write(struct conn *c, const uint8_t *p, size_t n)
{
	ssize_t w;
	int e;

	if (!c->ssl) {
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		return w;
	}
	ERR_clear_error();
	w = SSL_write(c->ssl, p, (int)n);
	if (w > 0)
		return w;
	e = SSL_get_error(c->ssl, (int)w);
	return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? 0 : -1;
}

/* Moves what nghttp2 has to send into c->out, then out to the socket,
 * until either runs dry.  Returns 0, or -1 when the connection died. */
static int conn_flush(struct conn *c)
{
	for (;;) {
		const uint8_t *data;
		ssize_t n, w;

		while (c->out_len < OUT_CHUNK &&
		       (n = nghttp2_session_mem_send(c->h2, &data)) > 0) {
			uint8_t *o = realloc(c->out, c->out_len + (size_t)n);

			if (!o) {
				conn_fail(c, TW_L7_RESET, "out of memory");
				return -1;
			}
			c->out = o;
			memcpy(c->out + c->out_len, data, (size_t)n);
			c->out_len += (size_t)n;
		}
		if (c->out_off == c->out_len) {
			c->out_off = c->out_len = 0;
			conn_arm(c, false);
			return 0;
		}
		w = raw_write(c, c->out + c->out_off, c->out_len - c->out_off);
		if (w < 0) {
			conn_fail(c, TW_L7_RESET, "write failed");
			return -1;
		}
		if (w == 0) {
			conn_arm(c, true);
			return 0;
		}
		c->out_off += (size_t)w;
		if (c->out_off == c->out_len)
			c->out_off = c->out_len = 0;
	}
}

/* Reads everything the socket has into the session.  Returns 0, or -1
 * when the connection died. */
static int conn_read(struct conn *c)
{
	uint8_t buf[16384];

	for (;;) {
		ssize_t n;

		if (c->ssl) {
			ERR_clear_error();
			n = SSL_read(c->ssl, buf, sizeof(buf));
			if (n <= 0) {
				int e = SSL_get_error(c->ssl, (int)n);

				if (e == SSL_ERROR_WANT_READ ||
				    e == SSL_ERROR_WANT_WRITE)
					return 0;
				n = e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
			}
		} else {
			n = recv(c->fd, buf, sizeof(buf), 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return 0;
		}
		if (n <= 0) {
			conn_fail(c, c->proto ? TW_L7_PROTOCOL : TW_L7_RESET,
			          c->h2err[0] ? c->h2err
			          : n         ? "read failed"
			                      : "closed by the server");
			return -1;
		}
		if (nghttp2_session_mem_recv(c->h2, buf, (size_t)n) < 0) {
			conn_fail(c, TW_L7_PROTOCOL,
			          c->h2err[0] ? c->h2err
			                      : "HTTP/2 protocol error");
			return -1;
		}
	}
}

/* ---- nghttp2 callbacks ---- */

static int on_header(nghttp2_session *s, const nghttp2_frame *frame,
                     const uint8_t *name, size_t namelen, const uint8_t *value,
                     size_t valuelen, uint8_t flags, void *arg)
{
	struct req *q =
	        nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
	int v = 0;

	(void)flags;
	(void)arg;
	if (!q || valuelen > 9)
		return 0;
	for (size_t i = 0; i < valuelen; i++) {
		if (value[i] < '0' || value[i] > '9')
			return 0;
		v = v * 10 + (value[i] - '0');
	}
	if (namelen == 7 && !memcmp(name, ":status", 7))
		q->status = v;
	else if (namelen == 11 && !memcmp(name, "grpc-status", 11))
		q->grpc_status = v;
	return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id,
                   const uint8_t *data, size_t len, void *arg)
{
	struct conn *c = arg;

	(void)s;
	(void)flags;
	(void)id;
	(void)data; /* TODO(#8): counted, not compared with the trace's */
	c->run->st->bytes_in += len;
	return 0;
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t err, void *arg)
{
	struct conn *c = arg;
	struct req *q = nghttp2_session_get_stream_user_data(s, id);

	if (!q)
		return 0;
	q->stream = 0; /* the stream is gone: nothing to clear */
	if (err) {
		char why[64];

		snprintf(why, sizeof(why), "stream closed: %s",
		         nghttp2_http2_strerror(err));
		tw_l7_stats_reason(c->run->st,
		                   c->proto ? TW_L7_PROTOCOL : TW_L7_RESET,
		                   c->h2err[0] ? c->h2err : why);
	}
	req_finish(
	        c->run, q,
	        err ? (c->proto ? TW_L7_PROTOCOL : TW_L7_RESET)
	            : tw_l7_classify(q->status, q->grpc_status, q->ex->grpc));
	return 0;
}

/* A GOAWAY with an error code, sent (nghttp2 found the server's bytes
 * are not HTTP/2) or received: the connection's requests are protocol
 * errors, now, not timeouts later. */
static void goaway_seen(struct conn *c, const nghttp2_frame *f, bool sent)
{
	if (f->hd.type != NGHTTP2_GOAWAY ||
	    f->goaway.error_code == NGHTTP2_NO_ERROR)
		return;
	c->proto = true;
	if (!c->h2err[0])
		snprintf(c->h2err, sizeof(c->h2err), "GOAWAY %s: %s",
		         sent ? "sent" : "from the server",
		         nghttp2_http2_strerror(f->goaway.error_code));
}

static int on_frame_send(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
	(void)s;
	goaway_seen(arg, f, true);
	return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *arg)
{
	(void)s;
	goaway_seen(arg, f, false);
	return 0;
}

/* nghttp2's words for what went wrong ("... expected SETTINGS frame"). */
static int on_error(nghttp2_session *s, int code, const char *msg, size_t len,
                    void *arg)
{
	struct conn *c = arg;

	(void)s;
	(void)code;
	if (!c->h2err[0])
		snprintf(c->h2err, sizeof(c->h2err), "%.*s",
		         (int)(len < sizeof(c->h2err) ? len
		                                      : sizeof(c->h2err) - 1),
		         msg);
	return 0;
}

/* Body bytes [off, off + n): those the trace held, then zeros. */
static void body_copy(const struct tw_l7_exchange *ex, size_t off, uint8_t *buf,
                      size_t n)
{
	size_t have = off < ex->body_have ? ex->body_have - off : 0;

	if (have > n)
		have = n;
	if (have)
		memcpy(buf, ex->body + off, have);
	memset(buf + have, 0, n - have);
}

static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf,
                         size_t len, uint32_t *flags, nghttp2_data_source *src,
                         void *arg)
{
	struct req *q = src->ptr;
	struct conn *c = arg;
	size_t n;

	(void)s;
	(void)id;
	if (!q) {
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		return 0;
	}
	if (q->body_off == q->allowed && q->allowed < q->ex->body_len)
		return NGHTTP2_ERR_DEFERRED; /* the next message's time */
	n = q->allowed - q->body_off;
	if (n > len)
		n = len;
	body_copy(q->ex, q->body_off, buf, n);
	q->body_off += n;
	c->run->st->bytes_out += n;
	if (q->body_off == q->ex->body_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static int make_callbacks(struct run *r)
{
	if (nghttp2_session_callbacks_new(&r->cbs))
		return TW_ENOMEM;
	nghttp2_session_callbacks_set_on_header_callback(r->cbs, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(r->cbs,
	                                                          on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(r->cbs,
	                                                       on_close);
	nghttp2_session_callbacks_set_on_frame_send_callback(r->cbs,
	                                                     on_frame_send);
	nghttp2_session_callbacks_set_on_frame_recv_callback(r->cbs,
	                                                     on_frame_recv);
	nghttp2_session_callbacks_set_error_callback2(r->cbs, on_error);
	return 0;
}

/* ---- requests onto streams ---- */

/* Connection-specific fields, which HTTP/2 forbids (RFC 9113 section
 * 8.2.2): "te" only as "trailers"; content-length is left out too, since
 * a redacted body need not keep it true. */
static bool hop_by_hop(const struct tw_l7_header *h)
{
	static const char *const skip[] = {
		"connection",        "keep-alive", "proxy-connection",
		"transfer-encoding", "upgrade",    "host",
		"content-length"
	};

	if (!strcmp(h->name, "te"))
		return strcmp(h->value, "trailers") != 0;
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (!strcmp(h->name, skip[i]))
			return true;
	return false;
}

static bool dropped(const struct tw_l7_cfg *cfg, const char *n)
{
	for (size_t i = 0; i < cfg->ndrop; i++)
		if (!strcasecmp(cfg->drop_hdrs[i], n))
			return true;
	for (size_t i = 0; i < cfg->nset; i++)
		if (!strcasecmp(cfg->set_hdrs[i].name, n))
			return true;
	return false;
}

#define NV(n, v, vl)                                                    \
	((nghttp2_nv){ (uint8_t *)(n), (uint8_t *)(v), strlen(n), (vl), \
	               NGHTTP2_NV_FLAG_NONE })

/* The :authority sent: --set-header ':authority:X', else the recorded
 * one under --keep-authority, else the target's. */
static const char *authority_of(const struct run *r,
                                const struct tw_l7_exchange *ex)
{
	const struct tw_l7_cfg *cfg = r->cfg;

	for (size_t i = cfg->nset; i-- > 0;)
		if (!strcmp(cfg->set_hdrs[i].name, ":authority"))
			return cfg->set_hdrs[i].value;
	return cfg->keep_authority && ex->authority ? ex->authority
	                                            : r->authority;
}

static int submit(struct conn *c, struct req *q)
{
	struct run *r = c->run;
	const struct tw_l7_exchange *ex = q->ex;
	const struct tw_l7_cfg *cfg = r->cfg;
	nghttp2_nv *nv = malloc((4 + ex->nhdrs + cfg->nset) * sizeof(*nv));
	const char *auth = authority_of(r, ex);
	nghttp2_data_provider dp = { .source.ptr = q,
		                     .read_callback = read_body };
	size_t n = 0, plen = strlen(r->prefix);
	char *path = malloc(plen + strlen(ex->path) + 1);
	int32_t id;

	if (!nv || !path) {
		free(nv);
		free(path);
		return TW_ENOMEM;
	}
	/* The target's path before every path; "*" (OPTIONS) is no path. */
	if (!strcmp(ex->path, "*"))
		plen = 0;
	memcpy(path, r->prefix, plen);
	memcpy(path + plen, ex->path, strlen(ex->path) + 1);
	nv[n++] = NV(":method", ex->method, strlen(ex->method));
	nv[n++] = NV(":scheme", r->scheme, strlen(r->scheme));
	nv[n++] = NV(":authority", auth, strlen(auth));
	nv[n++] = NV(":path", path, strlen(path));
	for (size_t i = 0; i < ex->nhdrs; i++)
		if (!hop_by_hop(&ex->hdrs[i]) &&
		    !dropped(cfg, ex->hdrs[i].name))
			nv[n++] = NV(ex->hdrs[i].name, ex->hdrs[i].value,
			             ex->hdrs[i].value_len);
	for (size_t i = 0; i < cfg->nset; i++)
		if (cfg->set_hdrs[i].name[0] != ':')
			nv[n++] = NV(cfg->set_hdrs[i].name,
			             cfg->set_hdrs[i].value,
			             cfg->set_hdrs[i].value_len);
	q->allowed = ex->body_len;
	if (ex->msgs) { /* a streaming call: each message at its time */
		q->allowed = 0;
		pace(r, q, now_ns());
	}
	id = nghttp2_submit_request(c->h2, NULL, nv, n,
	                            ex->body_len ? &dp : NULL, q);
	free(nv);
	free(path);
	if (id < 0)
		return TW_EINTERNAL;
	q->stream = id;
	tw_l7_stats_sent(r->st, now_ns() - q->due);
	return 0;
}

/* Submits every released request of a ready connection not yet sent. */
static void conn_submit_released(struct conn *c)
{
	struct req *q, *next;

	for (q = c->reqs; q; q = next) {
		next = q->cnext;
		if (q->released && !q->stream && submit(c, q) < 0)
			req_finish(c->run, q, TW_L7_PROTOCOL);
	}
}

/* ---- connections: life cycle ---- */

static void conn_free(struct conn *c)
{
	struct run *r = c->run;

	for (struct conn **d = &r->dirty; c->dirty && *d; d = &(*d)->dirty_next)
		if (*d == c) {
			*d = c->dirty_next;
			c->dirty = false;
			break;
		}

	if (c->prev)
		c->prev->next = c->next;
	else
		r->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->out);
	free(c);
}

/* Closes the socket and the session; the object stays while requests
 * still point at it. */
static void conn_shut(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(c->run->ep, EPOLL_CTL_DEL, c->fd, NULL);
		if (c->ssl && c->state == C_READY)
			SSL_shutdown(c->ssl);
		close(c->fd);
		c->fd = -1;
	}
	SSL_free(c->ssl);
	c->ssl = NULL;
	nghttp2_session_del(c->h2);
	c->h2 = NULL;
	c->state = C_DEAD;
	if (c->run->fixed && c->run->fixed[c->slot] == c)
		c->run->fixed[c->slot] = NULL;
	else if (!c->run->fixed && c->run->slots[c->slot].c == c)
		c->run->slots[c->slot].c = NULL;
}

/* Fails the released requests of c with o; those not yet due fail when
 * they are (see release()). */
static void conn_fail(struct conn *c, enum tw_l7_outcome o, const char *why)
{
	struct req *q, *next;

	if (c->state == C_DEAD)
		return;
	tw_log(TW_LOG_INFO, "l7", "connection to %s: %s", c->run->authority,
	       why);
	tw_l7_stats_reason(c->run->st, o, why);
	c->fail = o;
	conn_shut(c);
	c->failing = true;
	for (q = c->reqs; q; q = next) {
		next = q->cnext;
		if (q->released)
			req_finish(c->run, q, o);
	}
	c->failing = false;
	if (!c->nreqs)
		conn_free(c);
}

/* A connection whose requests are all done goes away. */
static void conn_maybe_close(struct conn *c)
{
	if (c->state == C_DEAD) {
		if (!c->nreqs && !c->failing)
			conn_free(c);
		return;
	}
	if (c->nreqs || !c->expected || c->done < c->expected)
		return;
	if (c->state == C_READY) {
		nghttp2_session_terminate_session(c->h2, NGHTTP2_NO_ERROR);
		c->closing = true; /* the GOAWAY goes out on the next flush */
		return;
	}
	conn_shut(c);
	conn_free(c);
}

static int conn_ready(struct conn *c)
{
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 24 },
	};

	if (nghttp2_session_client_new(&c->h2, c->run->cbs, c)) {
		conn_fail(c, TW_L7_PROTOCOL, "out of memory");
		return -1;
	}
	nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, 2);
	nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0,
	                                      1 << 24);
	c->state = C_READY;
	conn_submit_released(c);
	return conn_flush(c);
}

static int tls_step(struct conn *c)
{
	const unsigned char *alpn = NULL;
	unsigned alen = 0;
	int rc, e;

	ERR_clear_error();
	rc = SSL_connect(c->ssl);
	if (rc <= 0) {
		e = SSL_get_error(c->ssl, rc);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			conn_arm(c, e == SSL_ERROR_WANT_WRITE);
			return 0;
		}
		char why[160];

		snprintf(
		        why, sizeof(why), "TLS handshake failed: %s",
		        ERR_reason_error_string(ERR_peek_last_error())
		                ? ERR_reason_error_string(ERR_peek_last_error())
		                : "connection closed");
		conn_fail(c, TW_L7_TLS, why);
		return -1;
	}
	SSL_get0_alpn_selected(c->ssl, &alpn, &alen);
	if (alen != 2 || memcmp(alpn, "h2", 2)) {
		conn_fail(c, TW_L7_TLS, "the server did not choose ALPN h2");
		return -1;
	}
	conn_arm(c, false);
	return conn_ready(c);
}

static int tls_start(struct conn *c)
{
	struct run *r = c->run;

	c->ssl = SSL_new(r->tls);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd)) {
		conn_fail(c, TW_L7_TLS, "cannot set TLS up");
		return -1;
	}
	if (!r->is_ip)
		SSL_set_tlsext_host_name(c->ssl, r->host);
	if (!r->cfg->insecure) {
		if (r->is_ip)
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl),
			                              r->host);
		else
			SSL_set1_host(c->ssl, r->host);
	}
	c->state = C_TLS;
	return tls_step(c);
}

static void connected(struct conn *c)
{
	int err = 0;
	socklen_t l = sizeof(err);
	char why[128];

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
	if (err) {
		snprintf(why, sizeof(why), "connect: %s", strerror(err));
		conn_fail(c, TW_L7_CONNECT, why);
		return;
	}
	if (c->run->tls)
		tls_start(c);
	else
		conn_ready(c);
}

/* Why a connection could not even start, from errno. */
static void conn_refused(struct run *r, const char *what)
{
	char why[TW_L7_REASON_LEN];

	snprintf(why, sizeof(why), "%s: %s", what, strerror(errno));
	tw_l7_stats_reason(r->st, TW_L7_CONNECT, why);
}

static struct conn *conn_new(struct run *r)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };
	int one = 1;

	if (!c)
		return NULL;
	c->run = r;
	c->out_armed = true;
	c->next = r->conns;
	if (r->conns)
		r->conns->prev = c;
	r->conns = c;
	r->st->connections++;
	ev.data.ptr = c;
	c->fd = socket(r->addr.ss_family,
	               SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		conn_refused(r, "socket");
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		c->state = C_DEAD;
		c->fail = TW_L7_CONNECT;
		return c;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&r->addr, r->addrlen) < 0 &&
	    errno != EINPROGRESS) {
		conn_refused(r, "connect");
		c->state = C_DEAD; /* reported as its requests come due */
		c->fail = TW_L7_CONNECT;
		epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	return c;
}

static void conn_event(struct conn *c, uint32_t ev)
{
	if (c->state == C_CONNECTING) {
		connected(c);
		return;
	}
	if (c->state == C_TLS) {
		tls_step(c);
		return;
	}
	if (c->state != C_READY)
		return;
	if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) && conn_read(c) < 0)
		return;
	if (conn_flush(c) < 0)
		return;
	if (c->closing && !c->out_len && !nghttp2_session_want_write(c->h2)) {
		conn_shut(c);
		conn_maybe_close(c);
		return;
	}
	/* nghttp2 ended the session itself (the server's bytes were not
	 * HTTP/2, or it said GOAWAY): its streams will not be answered. */
	if (!c->closing && !c->out_len && !nghttp2_session_want_read(c->h2) &&
	    !nghttp2_session_want_write(c->h2))
		conn_fail(c, c->proto ? TW_L7_PROTOCOL : TW_L7_RESET,
		          c->h2err[0] ? c->h2err : "the session ended");
}

/* ---- the plan ---- */

static int plan_init(struct run *r)
{
	const struct tw_l7_trace *t = r->t;
	const struct tw_l7_cfg *cfg = r->cfg;
	unsigned *maxc = calloc(t->nconns ? t->nconns : 1, sizeof(*maxc));

	r->ncopies = calloc(t->n, sizeof(*r->ncopies));
	r->slot_base = calloc(t->nconns + 1, sizeof(*r->slot_base));
	if (!maxc || !r->ncopies || !r->slot_base) {
		free(maxc);
		return TW_ENOMEM;
	}
	for (size_t i = 0; i < t->n; i++) {
		unsigned n = tw_l7_copies(cfg->amp, cfg->namp, &t->ex[i]);

		r->ncopies[i] = n;
		if (n > maxc[t->ex[i].conn])
			maxc[t->ex[i].conn] = n;
	}
	for (uint32_t c = 0; c < t->nconns; c++)
		r->slot_base[c + 1] = r->slot_base[c] + maxc[c];
	free(maxc);
	r->nslots = r->slot_base[t->nconns];
	r->slots = calloc(r->nslots ? r->nslots : 1, sizeof(*r->slots));
	r->slot_need = calloc(r->nslots ? r->nslots : 1, sizeof(*r->slot_need));
	if (!r->slots || !r->slot_need)
		return TW_ENOMEM;
	for (size_t i = 0; i < t->n; i++)
		for (unsigned j = 0; j < r->ncopies[i]; j++)
			r->slot_need[r->slot_base[t->ex[i].conn] + j]++;
	if (cfg->connections) {
		r->fixed = calloc(cfg->connections, sizeof(*r->fixed));
		if (!r->fixed)
			return TW_ENOMEM;
	}
	/* One loop's period: the span plus the mean gap. */
	r->period = t->ex[t->n - 1].start_ns - t->ex[0].start_ns;
	if (t->n > 1)
		r->period += r->period / (int64_t)(t->n - 1);
	if (!r->period)
		r->period = 1;
	return 0;
}

/* The due time of the plan's next request, INT64_MAX when none. */
static int64_t plan_due(struct run *r)
{
	const struct tw_l7_cfg *cfg = r->cfg;
	int64_t off;
	__int128 tk;

	if (r->plan_done)
		return INT64_MAX;
	if (cfg->topspeed)
		return r->start;
	tk = (__int128)r->t->ex[r->idx].start_ns +
	     (__int128)r->loop * r->period;
	if (tk > INT64_MAX) {
		r->plan_done = true;
		return INT64_MAX;
	}
	off = tw_l7_due_ns((int64_t)tk, r->t->ex[0].start_ns, cfg->speedup);
	if (off < 0 || (cfg->duration_ns && off >= cfg->duration_ns)) {
		r->plan_done = true;
		return INT64_MAX;
	}
	return r->start + off;
}

static void plan_advance(struct run *r)
{
	if (++r->copy < r->ncopies[r->idx])
		return;
	r->copy = 0;
	if (++r->idx < r->t->n)
		return;
	r->idx = 0;
	r->loop++;
	r->st->loops_done = r->loop;
	memset(r->slots, 0, r->nslots * sizeof(*r->slots));
	if (r->cfg->loops && r->loop >= r->cfg->loops)
		r->plan_done = true;
}

/* The connection the plan's next request goes on. */
static struct conn *pick_conn(struct run *r)
{
	const struct tw_l7_exchange *ex = &r->t->ex[r->idx];
	struct conn **fc;
	struct slot *s;
	size_t si;

	if (r->fixed) {
		si = r->rr++ % r->cfg->connections;
		fc = &r->fixed[si];
		if (!*fc || (*fc)->state == C_DEAD) {
			*fc = conn_new(r);
			if (*fc)
				(*fc)->slot = si;
		}
		return *fc;
	}
	si = r->slot_base[ex->conn] + r->copy;
	s = &r->slots[si];
	if (!s->c || s->c->state == C_DEAD) {
		s->c = conn_new(r);
		if (s->c) {
			s->c->slot = si;
			s->c->expected = r->slot_need[si] - s->assigned;
		}
	}
	s->assigned++;
	return s->c;
}

static int64_t rate_at(const struct run *r, uint64_t n);

/* Assigns the plan's requests due before until to their connections
 * (and, under --rate-limit, whose turn comes before until). */
static int assign(struct run *r, int64_t until)
{
	int64_t due;

	r->blocked = false;
	while ((due = plan_due(r)) <= until) {
		struct req *q;
		struct conn *c;

		if (r->cfg->duration_ns && r->cfg->rate_limit > 0 &&
		    rate_at(r, r->st->scheduled) - r->start >=
		            r->cfg->duration_ns) {
			r->plan_done = true;
			break;
		}
		if ((r->cfg->max_inflight &&
		     r->nlive >= r->cfg->max_inflight) ||
		    rate_at(r, r->st->scheduled) > until) {
			r->blocked = true;
			break;
		}
		q = calloc(1, sizeof(*q));
		c = q ? pick_conn(r) : NULL;
		if (!c) {
			free(q);
			return TW_ENOMEM;
		}
		q->ex = &r->t->ex[r->idx];
		q->c = c;
		q->due = due;
		q->grpc_status = -1;
		q->prev = r->tail;
		if (r->tail)
			r->tail->next = q;
		else
			r->head = q;
		r->tail = q;
		if (!r->release)
			r->release = q;
		q->cnext = c->reqs;
		if (c->reqs)
			c->reqs->cprev = q;
		c->reqs = q;
		c->nreqs++;
		r->nlive++;
		r->st->scheduled++;
		r->st->copies += r->copy > 0;
		r->st->span_ns = due - r->start;
		plan_advance(r);
	}
	return 0;
}

/* The earliest time the rate limit lets request n (from 0) go. */
static int64_t rate_at(const struct run *r, uint64_t n)
{
	if (r->cfg->rate_limit <= 0)
		return INT64_MIN;
	return r->start + (int64_t)((double)n * 1e9 / r->cfg->rate_limit);
}

static int64_t rate_slot(const struct run *r)
{
	return rate_at(r, r->nassigned);
}

/* Flushes every connection a request was submitted on, once. */
static void flush_dirty(struct run *r)
{
	while (r->dirty) {
		struct conn *c = r->dirty;

		r->dirty = c->dirty_next;
		c->dirty = false;
		if (c->state == C_READY)
			conn_flush(c); /* may free c: not touched after */
	}
}

/* Releases the requests whose time came (due, and the rate limit). */
static void release(struct run *r, int64_t now)
{
	while (r->release && r->release->due <= now && rate_slot(r) <= now) {
		struct req *q = r->release;
		struct conn *c = q->c;

		r->release = q->next;
		q->released = true;
		r->nassigned++;
		if (c->state == C_DEAD) {
			req_finish(r, q, c->fail);
			continue;
		}
		if (c->state != C_READY)
			continue; /* submitted when it is */
		if (submit(c, q) < 0) {
			req_finish(r, q, TW_L7_PROTOCOL);
			continue;
		}
		if (!c->dirty) {
			c->dirty = true;
			c->dirty_next = r->dirty;
			r->dirty = c;
		}
	}
	flush_dirty(r);
}

/* Resumes the paced requests whose next message's time came. */
static void pace_due(struct run *r, int64_t now)
{
	struct req *q, *next;

	for (q = r->paced; q; q = next) {
		struct conn *c = q->c;

		next = q->pnext;
		if (q->msg_due > now)
			continue;
		pace(r, q, now);
		if (!q->stream || c->state != C_READY)
			continue;
		nghttp2_session_resume_data(c->h2, q->stream);
		if (!c->dirty) {
			c->dirty = true;
			c->dirty_next = r->dirty;
			r->dirty = c;
		}
	}
	flush_dirty(r);
}

/* The earliest time a paced message is due, INT64_MAX when none. */
static int64_t next_paced(const struct run *r)
{
	int64_t t = INT64_MAX;

	for (const struct req *q = r->paced; q; q = q->pnext)
		if (q->msg_due < t)
			t = q->msg_due;
	return t;
}

/* Requests past due + timeout. */
static void expire(struct run *r, int64_t now)
{
	while (r->head && r->head->due + r->cfg->timeout_ns <= now) {
		struct req *q = r->head;
		struct conn *c = q->c;
		bool flush = c->state == C_READY && !c->closing;

		if (q->stream && c->h2) {
			nghttp2_session_set_stream_user_data(c->h2, q->stream,
			                                     NULL);
			nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE,
			                          q->stream, NGHTTP2_CANCEL);
		}
		q->stream = 0;
		q->released = true;
		req_finish(r, q, TW_L7_TIMEOUT);
		if (flush) /* the RST_STREAM; c is alive, it was ready */
			conn_flush(c);
	}
}

/* ---- set-up ---- */

/* The port of --target: 1 to 65535, digits only. */
static int target_port(struct run *r, const char *url, const char *p, size_t n,
                       char *port, size_t len)
{
	unsigned long v = 0;

	for (size_t i = 0; i < n && v <= 65535; i++) {
		if (p[i] < '0' || p[i] > '9')
			v = 0, i = n;
		else
			v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (!n || !v || v > 65535)
		return tw_errf(r->eb, TW_EINVAL,
		               "--target '%s': port '%.*s' is not 1-65535", url,
		               (int)(n < 16 ? n : 16), p);
	snprintf(port, len, "%lu", v);
	return 0;
}

/* --target's path: kept (trailing '/' dropped) and put before every
 * recorded path; a query or a fragment is refused. */
static int target_prefix(struct run *r, const char *url, const char *path)
{
	size_t n = strlen(path);

	if (strpbrk(path, "?#"))
		return tw_errf(r->eb, TW_EINVAL,
		               "--target '%s': a query or fragment cannot "
		               "prefix every path",
		               url);
	while (n && path[n - 1] == '/')
		n--;
	if (n >= sizeof(r->prefix))
		return tw_errf(r->eb, TW_EINVAL,
		               "--target '%s': path over %zu bytes", url,
		               sizeof(r->prefix) - 1);
	memcpy(r->prefix, path, n);
	r->prefix[n] = '\0';
	return 0;
}

/* HOST, [V6ADDR], HOST:PORT or [V6ADDR]:PORT (n bytes at p) into
 * r->host and port. */
static int target_hostport(struct run *r, const char *url, const char *p,
                           size_t n, char *port, size_t plen)
{
	const char *host = p, *end = p + n, *colon;
	size_t hl;

	if (memchr(p, '@', n))
		return tw_errf(r->eb, TW_EINVAL,
		               "--target '%s': user@ is not supported (send "
		               "credentials with --set-header)",
		               url);
	if (*p == '[') {
		const char *rb = memchr(p, ']', n);

		if (!rb)
			return tw_errf(r->eb, TW_EINVAL,
			               "--target '%s': no ']' after the IPv6 "
			               "address ([ADDR]:PORT)",
			               url);
		host = p + 1;
		hl = (size_t)(rb - host);
		colon = rb + 1 < end ? rb + 1 : NULL;
		if (colon && *colon != ':')
			return tw_errf(r->eb, TW_EINVAL,
			               "--target '%s': want ':PORT' after ']'",
			               url);
	} else {
		colon = memchr(p, ':', n);
		hl = colon ? (size_t)(colon - p) : n;
	}
	if (!hl || hl >= sizeof(r->host))
		return tw_errf(r->eb, TW_EINVAL, "--target '%s': no host", url);
	memcpy(r->host, host, hl);
	r->host[hl] = '\0';
	snprintf(port, plen, "%s", r->scheme[4] == 's' ? "443" : "80");
	if (colon)
		return target_port(r, url, colon + 1, (size_t)(end - colon - 1),
		                   port, plen);
	return 0;
}

/* --target: http[s]://HOST[:PORT][/PATH] resolved into r. */
static int parse_target(struct run *r, const char *url)
{
	const char *p;
	char port[8];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	size_t n;
	int rc;

	if (!strncmp(url, "http://", 7)) {
		r->scheme = "http";
		p = url + 7;
	} else if (!strncmp(url, "https://", 8)) {
		r->scheme = "https";
		p = url + 8;
	} else {
		return tw_errf(r->eb, TW_EINVAL,
		               "--target '%s': want http:// or https://", url);
	}
	n = strcspn(p, "/?#");
	if (p[n] == '?' || p[n] == '#')
		return tw_errf(r->eb, TW_EINVAL,
		               "--target '%s': a query or fragment cannot "
		               "prefix every path",
		               url);
	rc = target_hostport(r, url, p, n, port, sizeof(port));
	if (rc >= 0)
		rc = target_prefix(r, url, p + n);
	if (rc < 0)
		return rc;
	snprintf(r->authority, sizeof(r->authority), "%.*s", (int)n, p);
	rc = getaddrinfo(r->host, port, &hints, &ai);
	if (rc)
		return tw_errf(r->eb, TW_EINVAL, "--target '%s': %s: %s", url,
		               r->host, gai_strerror(rc));
	memcpy(&r->addr, ai->ai_addr, ai->ai_addrlen);
	r->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	hints.ai_flags = AI_NUMERICHOST;
	r->is_ip = !getaddrinfo(r->host, NULL, &hints, &ai);
	if (r->is_ip)
		freeaddrinfo(ai);
	return 0;
}

static int tls_init(struct run *r)
{
	static const unsigned char alpn[] = { 2, 'h', '2' };
	const struct tw_l7_cfg *cfg = r->cfg;

	r->tls = SSL_CTX_new(TLS_client_method());
	if (!r->tls)
		return tw_errf(r->eb, TW_ENOMEM, "TLS: cannot start OpenSSL");
	SSL_CTX_set_min_proto_version(r->tls, TLS1_2_VERSION);
	SSL_CTX_set_mode(r->tls, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                                 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_alpn_protos(r->tls, alpn, sizeof(alpn));
	if (cfg->insecure) {
		SSL_CTX_set_verify(r->tls, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	SSL_CTX_set_verify(r->tls, SSL_VERIFY_PEER, NULL);
	if (cfg->ca_file) {
		if (SSL_CTX_load_verify_locations(r->tls, cfg->ca_file, NULL) !=
		    1)
			return tw_errf(r->eb, TW_EINVAL,
			               "--ca %s: cannot load certificates",
			               cfg->ca_file);
	} else {
		SSL_CTX_set_default_verify_paths(r->tls);
	}
	return 0;
}

static void run_free(struct run *r)
{
	while (r->head)
		req_finish(r, r->head, TW_L7_RESET);
	while (r->conns) {
		struct conn *c = r->conns;

		conn_shut(c);
		conn_free(c);
	}
	if (r->ep >= 0)
		close(r->ep);
	SSL_CTX_free(r->tls);
	nghttp2_session_callbacks_del(r->cbs);
	free(r->ncopies);
	free(r->slot_base);
	free(r->slot_need);
	free(r->slots);
	free(r->fixed);
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* When assign() has something to do next: never while --max-inflight
 * holds it (an answer wakes the loop), else lead before the next due
 * time or rate-limit turn. */
static int64_t next_assign(const struct run *r)
{
	if (r->cfg->max_inflight && r->nlive >= r->cfg->max_inflight)
		return INT64_MAX;
	return max64(plan_due((struct run *)r), rate_at(r, r->st->scheduled)) -
	       r->cfg->lead_ns;
}

/* Waits for I/O until deadline (absolute), and handles it. */
static int wait_io(struct run *r, int64_t deadline)
{
	struct epoll_event ev[MAX_EVENTS];
	int64_t d = deadline - now_ns();
	struct timespec ts;
	int n;

	if (d < 0)
		d = 0;
	ts.tv_sec = d / 1000000000;
	ts.tv_nsec = d % 1000000000;
	n = r->no_pwait2 ? -1 : epoll_pwait2(r->ep, ev, MAX_EVENTS, &ts, NULL);
	if (r->no_pwait2 || (n < 0 && errno == ENOSYS)) {
		/* Before Linux 5.11 (or under valgrind): milliseconds,
		 * rounded up so that a wake-up is never early. */
		if (!r->no_pwait2)
			tw_log(TW_LOG_INFO, "l7",
			       "epoll_pwait2 unavailable: waiting in ms");
		r->no_pwait2 = true;
		n = epoll_wait(r->ep, ev, MAX_EVENTS,
		               (int)min64((d + 999999) / 1000000, INT_MAX));
	}
	if (n < 0 && errno != EINTR)
		return tw_errf(r->eb, TW_EIO, "epoll: %s", strerror(errno));
	for (int i = 0; i < n; i++)
		conn_event(ev[i].data.ptr, ev[i].events);
	return 0;
}

static void tick(struct run *r, int64_t now)
{
	if (now < r->next_tick)
		return;
	r->next_tick = now + 1000000000;
	r->st->elapsed_ns = now - r->start;
	if (r->cfg->tick)
		r->cfg->tick(r->st, r->cfg->tick_arg);
}

/*
 * A signal: every live request is cancelled (RST_STREAM CANCEL, best
 * effort) and counted as such, so the run ends now, not after
 * --timeout.
 */
static void cancel_all(struct run *r)
{
	while (r->head) {
		struct req *q = r->head;
		struct conn *c = q->c;

		if (q->stream && c->h2 && c->state == C_READY) {
			nghttp2_session_set_stream_user_data(c->h2, q->stream,
			                                     NULL);
			nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE,
			                          q->stream, NGHTTP2_CANCEL);
			if (!c->dirty) {
				c->dirty = true;
				c->dirty_next = r->dirty;
				r->dirty = c;
			}
		}
		q->stream = 0;
		req_finish(r, q, TW_L7_CANCELLED);
	}
	flush_dirty(r);
	r->plan_done = true;
	r->st->interrupted = true;
}

static int loop(struct run *r)
{
	int rc = 0;

	while (rc >= 0) {
		int64_t now = now_ns(), wake;

		if (r->cfg->stop && *r->cfg->stop) {
			cancel_all(r);
			break;
		}
		if (r->cfg->duration_ns &&
		    now - r->start >= r->cfg->duration_ns)
			r->plan_done = true;
		rc = assign(r, now + r->cfg->lead_ns);
		release(r, now);
		pace_due(r, now);
		expire(r, now);
		tick(r, now);
		if (r->plan_done && !r->head)
			break;
		wake = min64(r->next_tick, next_assign(r));
		if (r->release)
			wake = min64(wake,
			             max64(r->release->due, rate_slot(r)));
		if (r->head)
			wake = min64(wake, r->head->due + r->cfg->timeout_ns);
		wake = min64(wake, next_paced(r));
		if (rc >= 0)
			rc = wait_io(r, wake);
	}
	return rc;
}

int tw_l7_run(const struct tw_l7_trace *t, const struct tw_l7_cfg *cfg,
              struct tw_l7_stats *st, struct tw_errbuf *eb)
{
	struct run r = { .t = t, .cfg = cfg, .st = st, .eb = eb, .ep = -1 };
	int rc;

	tw_l7_stats_init(st, cfg->late_ns);
	if (!t->n)
		return tw_errf(eb, TW_EINVAL, "the trace has no exchange");
	rc = parse_target(&r, cfg->target);
	if (rc >= 0 && !strcmp(r.scheme, "https"))
		rc = tls_init(&r);
	if (rc >= 0 && make_callbacks(&r) < 0)
		rc = tw_errf(eb, TW_ENOMEM, "out of memory");
	if (rc >= 0 && plan_init(&r) < 0)
		rc = tw_errf(eb, TW_ENOMEM, "out of memory");
	if (rc >= 0) {
		r.ep = epoll_create1(EPOLL_CLOEXEC);
		if (r.ep < 0)
			rc = tw_errf(eb, TW_EIO, "epoll: %s", strerror(errno));
	}
	if (rc >= 0) {
		/* Wake-ups as asked, not up to 50 us later. */
		prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
		r.start = now_ns() + (cfg->topspeed ? 0 : cfg->lead_ns);
		r.next_tick = r.start;
		rc = loop(&r);
		st->elapsed_ns = now_ns() - r.start;
	}
	run_free(&r);
	return rc;
}
