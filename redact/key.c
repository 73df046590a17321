/*
 * key.c - reading the redaction key and deriving its sub-keys.
 */
#include "redact/key.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Labels of the derived keys; changing one changes every pseudonym. */
static const char LABEL_ADDR[] = "tracewarp address key";
static const char LABEL_MAC[] = "tracewarp mac key";
static const char LABEL_VALUE[] = "tracewarp value key";
static const char LABEL_TIME[] = "tracewarp timestamp key";
static const char LABEL_FPR[] = "tracewarp key fingerprint";

int tw_key_hmac(const uint8_t sub[TW_KEY_SUB_BYTES], const void *msg,
                size_t len, uint8_t out[32])
{
	unsigned int olen = 0;

	if (!HMAC(EVP_sha256(), sub, TW_KEY_SUB_BYTES, msg, len, out, &olen) ||
	    olen != 32)
		return TW_EINTERNAL;
	return 0;
}

static int derive(const uint8_t *raw, size_t len, const char *label,
                  uint8_t *out, size_t outlen)
{
	uint8_t md[32];
	unsigned int olen = 0;

	if (!HMAC(EVP_sha256(), raw, (int)len, (const uint8_t *)label,
	          strlen(label), md, &olen) ||
	    olen != 32)
		return TW_EINTERNAL;
	memcpy(out, md, outlen);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int tw_key_from_bytes(struct tw_key **out, const uint8_t *raw, size_t len,
                      struct tw_errbuf *eb)
{
	struct tw_key *k;

	*out = NULL;
	if (len < TW_KEY_MIN_BYTES)
		return tw_errf(eb, TW_EINVAL,
		               "key has %zu bits; at least %d are needed",
		               len * 8, TW_KEY_MIN_BYTES * 8);
	if (len > TW_KEY_MAX_BYTES)
		return tw_errf(eb, TW_EINVAL, "key longer than %d bytes",
		               TW_KEY_MAX_BYTES);
	k = calloc(1, sizeof(*k));
	if (!k)
		return tw_errf(eb, TW_ENOMEM, "key: out of memory");
	if (derive(raw, len, LABEL_ADDR, k->addr, sizeof(k->addr)) ||
	    derive(raw, len, LABEL_MAC, k->mac, sizeof(k->mac)) ||
	    derive(raw, len, LABEL_VALUE, k->value, sizeof(k->value)) ||
	    derive(raw, len, LABEL_TIME, k->time, sizeof(k->time)) ||
	    derive(raw, len, LABEL_FPR, k->fpr, sizeof(k->fpr))) {
		tw_key_free(k);
		return tw_errf(eb, TW_EINTERNAL, "key: HMAC-SHA256 failed");
	}
	*out = k;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes hex (whitespace ignored) from s into raw; returns the byte
 * count, or -1 when s is not hex or does not fit. */
static long hex_decode(const char *s, size_t n, uint8_t *raw, size_t cap)
{
	size_t got = 0;
	int hi = -1;

	for (size_t i = 0; i < n; i++) {
		int v;

		if (isspace((unsigned char)s[i]))
			continue;
		v = hexval((unsigned char)s[i]);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (got == cap)
			return -1;
		raw[got++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (long)got : -1;
}

static int hex_error(const char *path, const uint8_t *p, size_t n,
                     struct tw_errbuf *eb);

/*
 * Refuses a key whose bytes are all equal (all zeros, a run of 'a's):
 * not a secret but a placeholder, and every pseudonym made with it is
 * one anybody can recompute.
 */
static int not_degenerate(const uint8_t *raw, size_t n, const char *what,
                          struct tw_errbuf *eb)
{
	for (size_t i = 1; i < n; i++)
		if (raw[i] != raw[0])
			return 0;
	return tw_errf(eb, TW_EINVAL,
	               "%s: every byte of the key is 0x%02x: that is a "
	               "placeholder, not a secret; refused (make one with: "
	               "openssl rand -hex 32)",
	               what, n ? raw[0] : 0);
}

/* Puts "what: " before the message already in eb. */
static int prefix_err(struct tw_errbuf *eb, int rc, const char *what)
{
	struct tw_errbuf tmp = *eb;

	return tw_errf(eb, rc, "%s: %s", what, tmp.msg);
}

int tw_key_from_env(struct tw_key **out, const char *var, struct tw_errbuf *eb)
{
	const char *s = getenv(var);
	uint8_t raw[TW_KEY_MAX_BYTES];
	long n;
	int rc;

	*out = NULL;
	if (!s || !*s)
		return tw_errf(eb, TW_EINVAL, "%s is not set", var);
	n = hex_decode(s, strlen(s), raw, sizeof(raw));
	if (n < 0) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return hex_error(var, (const uint8_t *)s, strlen(s), eb);
	}
	rc = tw_key_from_bytes(out, raw, (size_t)n, eb);
	if (rc < 0)
		rc = prefix_err(eb, rc, var);
	else if ((size_t)n >= TW_KEY_MIN_BYTES)
		rc = not_degenerate(raw, (size_t)n, var, eb);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (rc < 0) {
		tw_key_free(*out);
		*out = NULL;
	}
	return rc;
}

static int read_all(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return TW_EIO;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap)
			return TW_ELIMIT;
	}
	*len = n;
	return 0;
}

/* Whether n bytes look like text someone typed: printable ASCII or
 * white space, at least three in four (random key bytes are printable
 * about one time in three). */
static bool looks_like_text(const uint8_t *p, size_t n)
{
	size_t text = 0;

	for (size_t i = 0; i < n; i++)
		text += (p[i] >= 0x20 && p[i] < 0x7f) || isspace(p[i]);
	return n && text * 4 >= n * 3;
}

#define HEX_ONLY                                                     \
	"a hex key holds 0-9, a-f, A-F and white space only: no 0x " \
	"prefix, no separators"

/* Why text that was meant as hex is not: the first byte that is not a
 * hex digit (line and column), or the count of digits. */
static int hex_error(const char *path, const uint8_t *p, size_t n,
                     struct tw_errbuf *eb)
{
	size_t line = 1, col = 1, digits = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			line++;
			col = 1;
			continue;
		}
		if (!isspace(p[i]) && hexval(p[i]) < 0 && p[i] >= 0x20 &&
		    p[i] < 0x7f)
			return tw_errf(eb, TW_EINVAL,
			               "%s:%zu:%zu: '%c' is not a hex digit "
			               "(%s)",
			               path, line, col, p[i], HEX_ONLY);
		if (!isspace(p[i]) && hexval(p[i]) < 0)
			return tw_errf(eb, TW_EINVAL,
			               "%s:%zu:%zu: byte 0x%02x is not a hex "
			               "digit (%s)",
			               path, line, col, p[i], HEX_ONLY);
		digits += !isspace(p[i]);
		col++;
	}
	if (digits % 2)
		return tw_errf(eb, TW_EINVAL,
		               "%s: %zu hex digits, an odd number: a key is "
		               "whole bytes (64 or more digits)",
		               path, digits);
	return tw_errf(eb, TW_EINVAL, "%s: %zu hex digits: at most %d", path,
	               digits, TW_KEY_MAX_BYTES * 2);
}

/*
 * Hex text when every byte is a hex digit or white space; raw bytes when
 * the content does not look like text.  Text that is not clean hex (a
 * 'g', a 0x prefix, colons, an odd count) is refused rather than taken
 * as raw bytes: that was surely a mistake.
 */
static int key_from_content(struct tw_key **out, const char *path,
                            const uint8_t *buf, size_t n, struct tw_errbuf *eb)
{
	uint8_t raw[TW_KEY_MAX_BYTES];
	long h = hex_decode((const char *)buf, n, raw, sizeof(raw));
	int rc;

	if (h < 0 && looks_like_text(buf, n))
		return hex_error(path, buf, n, eb);
	if (h >= 0)
		rc = tw_key_from_bytes(out, raw, (size_t)h, eb);
	else
		rc = tw_key_from_bytes(out, buf, n, eb);
	if (rc < 0)
		rc = prefix_err(eb, rc, path);
	else
		rc = h >= 0 ? not_degenerate(raw, (size_t)h, path, eb)
		            : not_degenerate(buf, n, path, eb);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (rc < 0) {
		tw_key_free(*out);
		*out = NULL;
	}
	return rc;
}

int tw_key_from_file(struct tw_key **out, const char *path,
                     struct tw_errbuf *eb)
{
	uint8_t buf[TW_KEY_MAX_BYTES * 2 + 64];
	struct stat st;
	size_t n = 0;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return tw_errf(eb, TW_EIO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = tw_errf(eb, TW_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = tw_errf(eb, TW_EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		rc = tw_errf(eb, TW_EINVAL,
		             "%s: mode %03o lets others read the key; "
		             "run: chmod 600 %s",
		             path, (unsigned)(st.st_mode & 0777), path);
		goto out;
	}
	rc = read_all(fd, buf, sizeof(buf), &n);
	if (rc == TW_ELIMIT) {
		rc = tw_errf(eb, TW_EINVAL, "%s: key file too long", path);
		goto out;
	}
	if (rc < 0) {
		rc = tw_errf(eb, TW_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = key_from_content(out, path, buf, n, eb);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return rc;
}

char *tw_key_fingerprint_hex(const struct tw_key *k, char *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t j = 0;

	for (size_t i = 0; i < TW_KEY_FPR_BYTES && j + 2 < len; i++) {
		buf[j++] = digits[k->fpr[i] >> 4];
		buf[j++] = digits[k->fpr[i] & 15];
	}
	if (len)
		buf[j] = '\0';
	return buf;
}

void tw_key_free(struct tw_key *k)
{
	if (!k)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}
