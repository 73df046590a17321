/*
 * bpf.c - BPF filters through libpcap, one compiled program per link type.
 */
#include "replay/bpf.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAPLEN 262144

struct prog {
	uint32_t linktype;
	bool ok;
	struct bpf_program bp;
	char err[PCAP_ERRBUF_SIZE + 64];
};

struct tw_bpf {
	char *expr;
	unsigned n;
	struct prog prog[TW_BPF_MAX_LINKTYPES];
};

/*
 * A pcap_t to compile for linktype.  libpcap generates different code for
 * a capture file than for a live or dead handle: for DLT_NULL it tests
 * the BSD address families a file from another system carries, not this
 * host's (AF_INET6 is 24, 28 or 30 there, 10 on Linux).  So the handle is
 * a capture file: a classic pcap header in memory, and no packets.
 */
static pcap_t *open_as_file(uint32_t linktype, uint32_t hdr[6])
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc;
	FILE *f;

	hdr[0] = 0xa1b2c3d4; /* written in host order, read as such */
	hdr[1] = 0x00040002;
	hdr[2] = hdr[3] = 0;
	hdr[4] = SNAPLEN;
	hdr[5] = linktype;
	f = fmemopen(hdr, 6 * sizeof(*hdr), "rb");
	if (!f)
		return pcap_open_dead((int)linktype, SNAPLEN);
	pc = pcap_fopen_offline(f, err);
	if (pc)
		return pc; /* owns f, and does not read past the header */
	fclose(f);
	return pcap_open_dead((int)linktype, SNAPLEN);
}

static void compile(struct tw_bpf *b, struct prog *p, uint32_t linktype)
{
	uint32_t hdr[6]; /* must outlive pc */
	pcap_t *pc = open_as_file(linktype, hdr);

	p->linktype = linktype;
	p->ok = false;
	if (!pc) {
		snprintf(p->err, sizeof(p->err), "link type %u: out of memory",
		         linktype);
		return;
	}
	if (pcap_compile(pc, &p->bp, b->expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
		snprintf(p->err, sizeof(p->err), "'%s' (link type %u): %s",
		         b->expr, linktype, pcap_geterr(pc));
	else
		p->ok = true;
	pcap_close(pc);
}

static struct prog *prog_for(struct tw_bpf *b, uint32_t linktype)
{
	for (unsigned i = 0; i < b->n; i++)
		if (b->prog[i].linktype == linktype)
			return &b->prog[i];
	if (b->n == TW_BPF_MAX_LINKTYPES)
		return NULL;
	compile(b, &b->prog[b->n], linktype);
	return &b->prog[b->n++];
}

int tw_bpf_new(struct tw_bpf **out, const char *expr, struct tw_errbuf *eb)
{
	struct tw_bpf *b = calloc(1, sizeof(*b));
	struct prog *p;

	*out = NULL;
	if (!b || !(b->expr = strdup(expr))) {
		free(b);
		return tw_errf(eb, TW_ENOMEM, "filter: out of memory");
	}
	p = prog_for(b, 1 /* LINKTYPE_ETHERNET */);
	if (!p->ok) {
		int rc = tw_errf(eb, TW_EINVAL, "filter %s", p->err);

		tw_bpf_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

int tw_bpf_match(struct tw_bpf *b, uint32_t linktype, const uint8_t *data,
                 uint32_t caplen, uint32_t wirelen, struct tw_errbuf *eb)
{
	struct prog *p = prog_for(b, linktype);
	struct pcap_pkthdr h;

	if (!p)
		return tw_errf(eb, TW_ELIMIT,
		               "filter: more than %d link types in one trace",
		               TW_BPF_MAX_LINKTYPES);
	if (!p->ok)
		return tw_errf(eb, TW_EINVAL, "filter %s", p->err);
	memset(&h, 0, sizeof(h));
	h.caplen = caplen;
	h.len = wirelen < caplen ? caplen : wirelen;
	return pcap_offline_filter(&p->bp, &h, data) ? 1 : 0;
}

const char *tw_bpf_expr(const struct tw_bpf *b)
{
	return b->expr;
}

void tw_bpf_free(struct tw_bpf *b)
{
	if (!b)
		return;
	for (unsigned i = 0; i < b->n; i++)
		if (b->prog[i].ok)
			pcap_freecode(&b->prog[i].bp);
	free(b->expr);
	free(b);
}
