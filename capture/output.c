/*
 * output.c - capture files: temporary names, rotation, the ring, cutting
 * back after a write error, and --post-rotate commands.
 *
 * The writer (trace/writer.h) buffers 1 MiB and only ever hands whole
 * records to the file, so after every call that succeeded the file ends
 * on a record boundary.  That offset is remembered; when a write fails
 * (ENOSPC), the file is truncated back to it, which leaves a valid trace.
 */
#include "capture/output.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture/rotate.h"
#include "trace/reader.h"
#include "trace/log.h"

#define MAX_CHILDREN 64
#define FILE_MODE 0600 /* raw traffic: for the capturing user only */

struct tw_capout {
	struct tw_capout_opts o;
	struct tw_capout_iface *ifaces;
	uint32_t nifaces;
	bool to_stdout;
	bool numbered;

	struct tw_writer *w; /* NULL between files */
	int fd;
	char final[PATH_MAX];
	char temp[PATH_MAX];
	int64_t boundary_ns; /* next -G boundary, INT64_MAX without -G */
	uint64_t seq;

	uint64_t file_bytes;   /* headers + records handed to the writer */
	uint64_t file_good;    /* bytes in the file at a record boundary */
	uint64_t file_packets; /* packets in the current file */

	uint64_t packets, bytes, files;
	struct tw_ring ring;

	pid_t children[MAX_CHILDREN];
	uint32_t nchildren;

	tw_capout_done_fn done;
	void *done_arg;

	int err; /* sticky */
	struct tw_errbuf eb;
};

uint64_t tw_capout_record_size(const struct tw_capout *c, uint32_t caplen)
{
	if (c->o.fmt == TW_OUT_PCAPNG)
		return 32 + (((uint64_t)caplen + 3) & ~3ULL);
	return 16 + (uint64_t)caplen;
}

/* ---- --post-rotate children ---- */

static void child_status(pid_t pid, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	tw_log(TW_LOG_WARN, "capture",
	       "--post-rotate command (pid %d) failed with status %d", (int)pid,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Collects finished children; with block, waits for all of them. */
static void reap(struct tw_capout *c, bool block)
{
	uint32_t i = 0;

	while (i < c->nchildren) {
		int status;
		pid_t r = waitpid(c->children[i], &status, block ? 0 : WNOHANG);

		if (r == 0) {
			i++;
			continue;
		}
		if (r > 0)
			child_status(r, status);
		c->children[i] = c->children[--c->nchildren];
	}
}

static void post_rotate(struct tw_capout *c, const char *path)
{
	struct tw_errbuf eb;
	pid_t pid;

	if (!c->o.post_rotate)
		return;
	if (c->nchildren == MAX_CHILDREN) {
		int status;

		/* Too many still running: wait for the oldest. */
		if (waitpid(c->children[0], &status, 0) > 0)
			child_status(c->children[0], status);
		c->children[0] = c->children[--c->nchildren];
	}
	pid = tw_rotate_spawn(c->o.post_rotate, path, &eb);
	if (pid < 0) {
		tw_log(TW_LOG_WARN, "capture", "%s", eb.msg);
		return;
	}
	c->children[c->nchildren++] = pid;
}

/* ---- one file ---- */

/* The record boundary the file has reached, after a call that worked. */
static void mark_good(struct tw_capout *c)
{
	c->file_good = tw_writer_bytes(c->w);
}

static int start_writer(struct tw_capout *c)
{
	char msg[TW_ERRMSG_MAX];
	uint32_t id;
	int rc;

	rc = tw_writer_open_fd(&c->w, c->fd, c->final, c->o.fmt, msg,
	                       sizeof(msg));
	if (rc < 0)
		return tw_errf(&c->eb, rc, "%s", msg);
	for (size_t i = 0; c->o.comments && c->o.comments[i] && rc == 0; i++)
		rc = tw_writer_add_comment(c->w, c->o.comments[i]);
	for (uint32_t i = 0; i < c->nifaces && rc == 0; i++)
		rc = tw_writer_add_iface(c->w, c->ifaces[i].linktype,
		                         c->ifaces[i].snaplen, &id);
	if (rc == 0)
		rc = tw_writer_flush(c->w);
	if (rc < 0)
		return tw_errf(&c->eb, rc, "%s", tw_writer_errmsg(c->w));

	mark_good(c);
	c->file_bytes = c->file_good;
	c->bytes += c->file_bytes;
	c->file_packets = 0;
	return 0;
}

/* Makes room in the ring for the file about to be created. */
static int ring_advance(struct tw_capout *c)
{
	char *evicted;
	int rc;

	if (!c->o.ring)
		return 0;
	rc = tw_ring_push(&c->ring, c->final, &evicted);
	if (rc < 0)
		return tw_errf(&c->eb, rc, "out of memory");
	if (!evicted)
		return 0;
	rc = tw_rotate_delete(evicted, &c->eb);
	free(evicted);
	return rc;
}

static int create_file(struct tw_capout *c)
{
	c->fd = open(c->temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	             FILE_MODE);
	if (c->fd < 0)
		return tw_errf(&c->eb, TW_EIO, "%s: cannot create: %s", c->temp,
		               strerror(errno));
	return 0;
}

/* Opens the next file of the series, whose period holds t_ns. */
static int open_file(struct tw_capout *c, int64_t t_ns)
{
	int64_t start = t_ns;
	int rc;

	if (c->o.period_s) {
		start = tw_rotate_period_start(t_ns, c->o.period_s);
		c->boundary_ns = tw_rotate_next_boundary(t_ns, c->o.period_s);
	}
	rc = tw_rotate_name(c->final, sizeof(c->final), c->o.path, start,
	                    c->seq, c->numbered || c->seq > 0, &c->eb);
	if (rc == 0)
		rc = tw_rotate_temp_name(c->temp, sizeof(c->temp), c->final,
		                         &c->eb);
	if (rc == 0)
		rc = ring_advance(c);
	if (rc == 0)
		rc = create_file(c);
	if (rc < 0)
		return rc;

	c->seq++;
	rc = start_writer(c);
	if (rc < 0) {
		if (c->w)
			tw_writer_close(c->w, NULL, 0);
		c->w = NULL;
		close(c->fd);
		unlink(c->temp);
	}
	return rc;
}

/* Cuts the file back to its last complete record after an error. */
static void cut_back(struct tw_capout *c)
{
	if (ftruncate(c->fd, (off_t)c->file_good) < 0)
		tw_log(TW_LOG_ERROR, "capture", "%s: cannot truncate: %s",
		       c->temp, strerror(errno));
}

/*
 * After a cut, the counts must say what the file holds, not what was
 * handed to the writer: the records still in its buffer were lost.  The
 * file is read back (a rare path: once, when the capture stops on an
 * error).
 */
static void recount(struct tw_capout *c)
{
	struct tw_reader *r;
	struct tw_packet pkt;
	char msg[TW_ERRMSG_MAX];
	uint64_t n = 0;

	if (tw_reader_open(&r, c->temp, msg, sizeof(msg)) < 0)
		return;
	while (tw_reader_next(r, &pkt) > 0)
		n++;
	tw_reader_close(r);
	if (n > c->file_packets)
		return;
	c->packets -= c->file_packets - n;
	c->file_packets = n;
	if (c->file_bytes > c->file_good) {
		c->bytes -= c->file_bytes - c->file_good;
		c->file_bytes = c->file_good;
	}
}

/* Flushes and closes the writer; on error cuts the file back. */
static int end_writer(struct tw_capout *c)
{
	char msg[TW_ERRMSG_MAX];
	int rc = tw_writer_flush(c->w);

	if (rc == 0)
		mark_good(c);
	else
		tw_errf(&c->eb, rc, "%s", tw_writer_errmsg(c->w));
	tw_writer_close(c->w, msg, sizeof(msg));
	c->w = NULL;
	if (rc < 0 && !c->to_stdout) {
		cut_back(c);
		recount(c);
	}
	return rc;
}

static int close_fd(struct tw_capout *c, int rc)
{
	if (c->to_stdout)
		return rc;
	if (close(c->fd) < 0 && rc == 0)
		rc = tw_errf(&c->eb, TW_EIO, "%s: close failed: %s", c->final,
		             strerror(errno));
	return rc;
}

/* Finishes the current file: flushed, closed, renamed, announced.  A file
 * that lost even its header to an error is deleted. */
static int close_file(struct tw_capout *c)
{
	int rc = close_fd(c, end_writer(c));
	struct tw_errbuf eb;

	if (c->to_stdout)
		return rc;
	if (c->file_good == 0) {
		unlink(c->temp);
		return rc;
	}
	if (tw_rotate_finish(c->temp, c->final, &eb) < 0) {
		if (rc == 0)
			rc = tw_errf(&c->eb, TW_EIO, "%s", eb.msg);
		return rc;
	}
	c->files++;
	if (c->done)
		c->done(c->done_arg, c->final, c->file_packets, c->file_good);
	post_rotate(c, c->final);
	return rc;
}

/* ---- public ---- */

/* A file is written as NAME.part and renamed over NAME: over a device
 * or a FIFO (-w /dev/null) that would replace it with a regular file. */
static int check_target(const char *path, struct tw_errbuf *eb)
{
	struct stat st;

	if (!strcmp(path, "-") || stat(path, &st) < 0 || S_ISREG(st.st_mode))
		return 0;
	return tw_errf(eb, TW_EINVAL,
	               "%s: not a regular file (it would be replaced); "
	               "for a pipe or a device, write -w - and redirect",
	               path);
}

static int check_opts(const struct tw_capout_opts *o, struct tw_errbuf *eb)
{
	bool rotating = o->file_bytes || o->period_s || o->ring;

	if (!o->path || !*o->path)
		return tw_errf(eb, TW_EINVAL, "no output file given");
	if (!strcmp(o->path, "-") && (rotating || o->post_rotate))
		return tw_errf(eb, TW_EINVAL,
		               "rotation and --post-rotate need files, not "
		               "standard output");
	if (o->ring && !o->file_bytes && !o->period_s)
		return tw_errf(eb, TW_EINVAL,
		               "-W needs -C or -G: a ring of files needs "
		               "rotation");
	return check_target(o->path, eb);
}

static int init(struct tw_capout *c, const struct tw_capout_opts *o,
                const struct tw_capout_iface *ifaces, uint32_t nifaces)
{
	c->o = *o;
	c->to_stdout = !strcmp(o->path, "-");
	c->numbered = o->file_bytes || o->period_s || o->ring;
	c->boundary_ns = INT64_MAX;
	c->fd = -1;
	c->ifaces = calloc(nifaces ? nifaces : 1, sizeof(*ifaces));
	if (!c->ifaces)
		return TW_ENOMEM;
	memcpy(c->ifaces, ifaces, nifaces * sizeof(*ifaces));
	c->nifaces = nifaces;
	if (o->ring)
		return tw_ring_init(&c->ring, o->ring);
	return 0;
}

static void destroy(struct tw_capout *c)
{
	if (c->o.ring)
		tw_ring_free(&c->ring);
	free(c->ifaces);
	free(c);
}

static int open_stdout(struct tw_capout *c)
{
	snprintf(c->final, sizeof(c->final), "(stdout)");
	c->fd = STDOUT_FILENO;
	return start_writer(c);
}

int tw_capout_open(struct tw_capout **out, const struct tw_capout_opts *o,
                   const struct tw_capout_iface *ifaces, uint32_t nifaces,
                   int64_t now_ns, struct tw_errbuf *eb)
{
	struct tw_capout *c;
	int rc = check_opts(o, eb);

	if (rc < 0)
		return rc;
	c = calloc(1, sizeof(*c));
	if (!c || init(c, o, ifaces, nifaces) < 0) {
		if (c)
			destroy(c);
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	}

	rc = c->to_stdout ? open_stdout(c) : open_file(c, now_ns);
	if (rc < 0) {
		tw_errf(eb, rc, "%s", c->eb.msg);
		if (c->w)
			tw_writer_close(c->w, NULL, 0);
		destroy(c);
		return rc;
	}
	*out = c;
	return 0;
}

void tw_capout_on_done(struct tw_capout *c, tw_capout_done_fn fn, void *arg)
{
	c->done = fn;
	c->done_arg = arg;
}

/* Ends the capture's output after a write error (see the header). */
static int fail(struct tw_capout *c)
{
	char what[TW_ERRMSG_MAX];

	snprintf(what, sizeof(what), "%s", tw_writer_errmsg(c->w));
	close_file(c);
	c->err = tw_errf(&c->eb, TW_EIO,
	                 "%s; capture stopped, the file ends after its last "
	                 "complete packet",
	                 what);
	return c->err;
}

static int do_rotate(struct tw_capout *c, int64_t t_ns)
{
	int rc = close_file(c);

	if (rc == 0)
		rc = open_file(c, t_ns);
	if (rc < 0)
		c->err = rc;
	return rc;
}

static bool rotation_due(const struct tw_capout *c, int64_t ts_ns, uint64_t rec)
{
	if (c->to_stdout)
		return false;
	if (ts_ns >= c->boundary_ns)
		return true;
	/* A packet larger than -C still goes somewhere: alone in a file. */
	return c->o.file_bytes && c->file_packets &&
	       c->file_bytes + rec > c->o.file_bytes;
}

int tw_capout_write(struct tw_capout *c, uint32_t iface, int64_t ts_ns,
                    const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	uint64_t rec = tw_capout_record_size(c, caplen);
	int rc;

	if (c->err)
		return c->err;
	if (rotation_due(c, ts_ns, rec) && do_rotate(c, ts_ns) < 0)
		return c->err;

	rc = tw_writer_write(c->w, iface, ts_ns, data, caplen, wirelen);
	if (rc == TW_EIO)
		return fail(c);
	if (rc < 0)
		return tw_errf(&c->eb, rc, "%s", tw_writer_errmsg(c->w));

	mark_good(c);
	c->file_bytes += rec;
	c->file_packets++;
	c->bytes += rec;
	c->packets++;
	return 0;
}

int tw_capout_flush(struct tw_capout *c)
{
	if (c->err)
		return c->err;
	if (tw_writer_flush(c->w) < 0)
		return fail(c);
	mark_good(c);
	return 0;
}

int tw_capout_tick(struct tw_capout *c, int64_t now_ns)
{
	reap(c, false);
	if (c->err)
		return c->err;
	if (c->boundary_ns != INT64_MAX &&
	    now_ns >= c->boundary_ns + c->o.grace_ns)
		return do_rotate(c, now_ns);
	return tw_capout_flush(c);
}

int tw_capout_rotate(struct tw_capout *c, int64_t now_ns)
{
	if (c->err)
		return c->err;
	if (c->to_stdout)
		return tw_capout_flush(c);
	return do_rotate(c, now_ns);
}

int64_t tw_capout_next_boundary(const struct tw_capout *c)
{
	return c->boundary_ns;
}

uint64_t tw_capout_packets(const struct tw_capout *c)
{
	return c->packets;
}

uint64_t tw_capout_bytes(const struct tw_capout *c)
{
	return c->bytes;
}

uint64_t tw_capout_files(const struct tw_capout *c)
{
	return c->files;
}

const char *tw_capout_errmsg(const struct tw_capout *c)
{
	return c->eb.msg;
}

int tw_capout_close(struct tw_capout *c, struct tw_errbuf *eb)
{
	int rc = c->err;

	if (c->w) {
		int r = close_file(c);

		if (rc == 0)
			rc = r;
	}
	reap(c, true);
	if (rc < 0)
		tw_errf(eb, rc, "%s", c->eb.msg);
	destroy(c);
	return rc;
}
