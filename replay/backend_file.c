/*
 * backend_file.c - the dry run: what would be sent, written to a trace
 * with the scheduled send times as timestamps.
 */
#include <stdlib.h>

#include "replay/backend.h"
#include "trace/writer.h"

#define MAX_IFACES 8
#define BURST 256

struct file_backend {
	struct tw_backend b; /* first: the engine's handle */
	struct tw_writer *w;
	unsigned n_ifaces;
	uint32_t linktype[MAX_IFACES];
	uint32_t iface[MAX_IFACES];
};

static int iface_of(struct file_backend *fb, uint32_t linktype, uint32_t *id)
{
	int rc;

	for (unsigned i = 0; i < fb->n_ifaces; i++)
		if (fb->linktype[i] == linktype) {
			*id = fb->iface[i];
			return 0;
		}
	if (fb->n_ifaces == MAX_IFACES)
		return tw_errf(&fb->b.err, TW_ELIMIT,
		               "output: more than %d link types", MAX_IFACES);
	rc = tw_writer_add_iface(fb->w, (uint16_t)linktype, 0, id);
	if (rc < 0)
		return tw_errf(&fb->b.err, rc, "%s", tw_writer_errmsg(fb->w));
	fb->linktype[fb->n_ifaces] = linktype;
	fb->iface[fb->n_ifaces++] = *id;
	return 0;
}

static int file_tx(struct tw_backend *b, const struct tw_txpkt *pkts,
                   unsigned n)
{
	struct file_backend *fb = (struct file_backend *)b;

	for (unsigned i = 0; i < n; i++) {
		const struct tw_txpkt *p = &pkts[i];
		uint32_t id;
		int rc = iface_of(fb, p->linktype, &id);

		if (rc < 0)
			return rc;
		rc = tw_writer_write(fb->w, id, p->sched_ns, p->data, p->len,
		                     p->len);
		if (rc < 0)
			return tw_errf(&b->err, rc, "%s",
			               tw_writer_errmsg(fb->w));
	}
	return (int)n;
}

static int file_flush(struct tw_backend *b)
{
	struct file_backend *fb = (struct file_backend *)b;
	int rc = tw_writer_flush(fb->w);

	if (rc < 0)
		return tw_errf(&b->err, rc, "%s", tw_writer_errmsg(fb->w));
	return 0;
}

static void file_stats(struct tw_backend *b, struct tw_backend_stats *st)
{
	(void)b;
	st->port_dropped = 0;
}

static int file_close(struct tw_backend *b, struct tw_errbuf *eb)
{
	struct file_backend *fb = (struct file_backend *)b;
	int rc = tw_writer_close(fb->w, eb->msg, sizeof(eb->msg));

	free(fb);
	return rc;
}

static const struct tw_backend_ops file_ops = {
	.name = "file",
	.tx_burst = file_tx,
	.flush = file_flush,
	.stats = file_stats,
	.close = file_close,
};

int tw_backend_file_open(struct tw_backend **out, const char *path,
                         int out_format, struct tw_errbuf *eb)
{
	struct file_backend *fb = calloc(1, sizeof(*fb));
	int rc;

	*out = NULL;
	if (!fb)
		return tw_errf(eb, TW_ENOMEM, "out of memory");
	rc = tw_writer_open(&fb->w, path, (enum tw_out_format)out_format,
	                    eb->msg, sizeof(eb->msg));
	if (rc < 0) {
		free(fb);
		return rc;
	}
	tw_writer_add_comment(fb->w, "tracewarp replay dry run: timestamps "
	                             "are scheduled send times");
	fb->b.ops = &file_ops;
	fb->b.paced = false;
	fb->b.burst = BURST;
	*out = &fb->b;
	return 0;
}
