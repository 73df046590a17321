/*
 * h2conn.h - synthetic TCP connections for the stream redactor's suites
 * (test_h1.c, test_h2.c): raw IPv4 segments with valid checksums, a
 * handshake, byte streams cut into segments (one may be lost), HTTP/2
 * frames and HPACK blocks, a run through a session, and the redacted
 * header blocks decoded again.  Included once per suite; the suite
 * defines key and pol before including it.
 */
#ifndef TW_TEST_H2CONN_H
#define TW_TEST_H2CONN_H

/* ---- building a connection -------------------------------------------- */

#define MAXPKT 4096

struct conv {
	uint8_t *pk[MAXPKT];
	uint32_t len[MAXPKT];
	int n;
	uint32_t seq[2];
	bool drop_next; /* lose the next data segment (not sent) */
	bool no_syn;
};

static const uint8_t IPC[4] = { 198, 18, 0, 1 }, IPS[4] = { 198, 18, 0, 2 };

/* A raw IPv4 TCP segment from side d (0 client) with valid checksums. */
static void seg(struct conv *c, int d, uint8_t flags, const uint8_t *p,
                uint32_t n)
{
	uint32_t len = 40 + n;
	uint8_t *b = calloc(1, len);

	assert_non_null(b);
	b[0] = 0x45;
	tw_put_be16(b + 2, (uint16_t)len);
	b[8] = 64;
	b[9] = 6;
	memcpy(b + 12, d ? IPS : IPC, 4);
	memcpy(b + 16, d ? IPC : IPS, 4);
	tw_put_be16(b + 10, tw_cksum_ipv4(b, 20));
	tw_put_be16(b + 20, d ? 8080 : 40000);
	tw_put_be16(b + 22, d ? 40000 : 8080);
	tw_put_be32(b + 24, c->seq[d]);
	tw_put_be32(b + 28, c->seq[!d]);
	b[32] = 0x50;
	b[33] = flags;
	tw_put_be16(b + 34, 65535);
	if (n)
		memcpy(b + 40, p, n);
	tw_put_be16(b + 36, tw_cksum_l4(4, b + 12, b + 16, 6, b + 20, 20 + n));
	c->seq[d] += n + ((flags & 0x03) ? 1 : 0);
	if (c->drop_next && n) {
		c->drop_next = false;
		free(b);
		return;
	}
	assert_true(c->n < MAXPKT);
	c->pk[c->n] = b;
	c->len[c->n++] = len;
}

static void handshake(struct conv *c)
{
	c->seq[0] = 1000;
	c->seq[1] = 5000000;
	if (c->no_syn)
		return;
	seg(c, 0, 0x02, NULL, 0);
	seg(c, 1, 0x12, NULL, 0);
	seg(c, 0, 0x10, NULL, 0);
}

/* Sends n bytes from side d in segments of at most mss bytes. */
static void send_bytes(struct conv *c, int d, const void *p, size_t n,
                       size_t mss)
{
	const uint8_t *b = p;

	while (n) {
		size_t k = n < mss ? n : mss;

		seg(c, d, 0x18, b, (uint32_t)k);
		b += k;
		n -= k;
	}
}

static size_t frame(uint8_t *out, uint8_t type, uint8_t flags, uint32_t sid,
                    const void *p, size_t n)
{
	out[0] = (uint8_t)(n >> 16);
	out[1] = (uint8_t)(n >> 8);
	out[2] = (uint8_t)n;
	out[3] = type;
	out[4] = flags;
	tw_put_be32(out + 5, sid);
	if (n)
		memcpy(out + 9, p, n);
	return 9 + n;
}

static size_t block(nghttp2_hd_deflater *d, uint8_t *out, const char **nv,
                    size_t count)
{
	nghttp2_nv v[32];
	ssize_t n;

	for (size_t i = 0; i < count; i++)
		v[i] = (nghttp2_nv){ (uint8_t *)nv[2 * i],
			             (uint8_t *)nv[2 * i + 1],
			             strlen(nv[2 * i]), strlen(nv[2 * i + 1]),
			             NGHTTP2_NV_FLAG_NONE };
	n = nghttp2_hd_deflate_hd(d, out, 8192, v, count);
	assert_true(n > 0);
	return (size_t)n;
}

/* ---- running the session ---------------------------------------------- */

struct result {
	uint8_t *stream[2]; /* redacted payload by stream offset */
	size_t slen[2];
	uint8_t *raw; /* every output byte, for secret searches */
	size_t rawlen;
	char *l7;
	size_t l7len;
	struct tw_session_stats st;
	bool cksum_ok;
};

static void run(struct conv *c, struct result *res)
{
	struct tw_redactor *r;
	struct tw_session *s;
	struct tw_errbuf eb;
	struct tw_out o;
	FILE *l7;
	struct tw_session_cfg cfg = { 0 };
	uint32_t isn[2] = { 1000 + 1, 5000000 + 1 };

	memset(res, 0, sizeof(*res));
	res->cksum_ok = true;
	l7 = open_memstream(&res->l7, &res->l7len);
	assert_non_null(l7);
	cfg.l7 = l7;
	for (int d = 0; d < 2; d++) {
		res->stream[d] = calloc(1, 1 << 20);
		assert_non_null(res->stream[d]);
	}
	res->raw = malloc(1 << 22);
	assert_int_equal(tw_redactor_new(&r, &pol, key, &eb), 0);
	assert_int_equal(tw_session_new(&s, r, &pol, key, &cfg, &eb), 0);
	for (int i = 0; i <= c->n; i++) {
		if (i < c->n) {
			struct tw_packet p = { .caplen = c->len[i],
				               .wirelen = c->len[i],
				               .data = c->pk[i],
				               .ts_ns = i * 1000 };

			assert_int_equal(tw_session_push(s, &p, TW_LINK_RAW),
			                 0);
		} else {
			tw_session_finish(s);
		}
		while (tw_session_pop(s, &o) == 1) {
			int d = tw_be16(o.data + 20) == 8080;
			uint32_t n = o.caplen - 40;
			uint32_t off = tw_be32(o.data + 24) - isn[d];

			assert_int_equal(o.caplen, o.origlen);
			memcpy(res->raw + res->rawlen, o.data, o.caplen);
			res->rawlen += o.caplen;
			if (tw_cksum_l4(4, o.data + 12, o.data + 16, 6,
			                o.data + 20,
			                20 + n) != tw_be16(o.data + 36))
				res->cksum_ok = false;
			if (n && off < (1u << 20) && off + n <= (1u << 20)) {
				memcpy(res->stream[d] + off, o.data + 40, n);
				if (off + n > res->slen[d])
					res->slen[d] = off + n;
			}
		}
	}
	res->st = *tw_session_stats(s);
	tw_session_free(s);
	tw_redactor_free(r);
	fclose(l7);
	for (int i = 0; i < c->n; i++)
		free(c->pk[i]);
	c->n = 0;
}

static void result_free(struct result *res)
{
	free(res->stream[0]);
	free(res->stream[1]);
	free(res->raw);
	free(res->l7);
}

static bool contains(const struct result *res, const char *s)
{
	return memmem(res->raw, res->rawlen, s, strlen(s)) != NULL;
}

/* Decodes a redacted stream's frames: each header block is inflated
 * with a fresh inflater (as the receiver would), and the headers are
 * appended to out as "name: value\n". */
static int decode_stream(const uint8_t *p, size_t n, bool client, char *out,
                         size_t cap, int *data_frames)
{
	nghttp2_hd_inflater *in;
	uint8_t blk[65536];
	size_t pos = client ? 24 : 0, bl = 0, o = 0;
	int blocks = 0;

	nghttp2_hd_inflate_new(&in);
	out[0] = '\0';
	while (pos + 9 <= n) {
		uint32_t len =
		        (uint32_t)p[pos] << 16 | p[pos + 1] << 8 | p[pos + 2];
		uint8_t type = p[pos + 3], fl = p[pos + 4];
		const uint8_t *f = p + pos + 9;
		size_t skip = 0, pad = 0;

		if (pos + 9 + len > n)
			break;
		if ((type == 1 || type == 0) && (fl & 8)) {
			pad = f[0];
			skip = 1;
		}
		if (type == 1 && (fl & 0x20))
			skip += 5;
		if (type == 0 && data_frames)
			(*data_frames)++;
		if (type == 1 || type == 9) {
			memcpy(blk + bl, f + skip, len - skip - pad);
			bl += len - skip - pad;
			if (fl & 4) {
				size_t q = 0;

				for (;;) {
					nghttp2_nv nv;
					int ifl = 0;
					ssize_t r = nghttp2_hd_inflate_hd2(
					        in, &nv, &ifl, blk + q, bl - q,
					        1);

					if (r < 0) {
						nghttp2_hd_inflate_del(in);
						return -1;
					}
					q += (size_t)r;
					if (ifl & NGHTTP2_HD_INFLATE_EMIT)
						o += (size_t)snprintf(
						        out + o, cap - o,
						        "%.*s: %.*s\n",
						        (int)nv.namelen,
						        (const char *)nv.name,
						        (int)nv.valuelen,
						        (const char *)nv.value);
					if (ifl & NGHTTP2_HD_INFLATE_FINAL)
						break;
				}
				nghttp2_hd_inflate_end_headers(in);
				bl = 0;
				blocks++;
			}
		}
		pos += 9 + len;
	}
	nghttp2_hd_inflate_del(in);
	return blocks;
}

#endif
