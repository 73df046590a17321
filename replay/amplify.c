/*
 * amplify.c - flow selection and address shifting for amplification.
 */
#include "replay/amplify.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay/bpf.h"
#include "replay/rewrite.h"
#include "trace/bytes.h"
#include "trace/flow.h"

#define TCP_SYN 0x02
#define TCP_ACK 0x10

struct flow_state {
	uint8_t client_dir; /* direction of the flow's first packet */
	uint8_t amplified;
};

struct tw_amp {
	struct tw_amp_cfg cfg;
	struct tw_bpf *bpf;
	struct tw_flow_table *flows;
	uint64_t untracked;
};

int tw_amp_parse(char *spec, const char **filter, uint32_t *copies)
{
	char *star = strrchr(spec, '*'), *end;
	unsigned long n;

	if (!star || star == spec)
		return TW_EINVAL;
	errno = 0;
	n = strtoul(star + 1, &end, 10);
	if (end == star + 1 || *end || errno || n < 1 ||
	    n > TW_AMP_MAX_COPIES || star[1] == '-')
		return TW_EINVAL;
	*star = '\0';
	*filter = spec;
	*copies = (uint32_t)n;
	return 0;
}

int tw_amp_new(struct tw_amp **out, const struct tw_amp_cfg *cfg,
               struct tw_errbuf *eb)
{
	struct tw_amp *a = calloc(1, sizeof(*a));
	int rc;

	*out = NULL;
	if (!a)
		return tw_errf(eb, TW_ENOMEM, "amplify: out of memory");
	a->cfg = *cfg;
	a->cfg.filter = NULL;
	if (!a->cfg.copies)
		a->cfg.copies = 1;
	if (cfg->filter) {
		rc = tw_bpf_new(&a->bpf, cfg->filter, eb);
		if (rc < 0)
			goto fail;
	}
	a->flows =
	        tw_flow_table_new(sizeof(struct flow_state), TW_AMP_MAX_FLOWS);
	if (!a->flows) {
		rc = tw_errf(eb, TW_ENOMEM, "amplify: out of memory");
		goto fail;
	}
	*out = a;
	return 0;
fail:
	tw_amp_free(a);
	return rc;
}

/* Without a table entry: the endpoint with the higher port is the
 * client (ephemeral ports are high), the source when they tie. */
static int guess_client(const struct tw_decoded *d)
{
	return d->dport > d->sport ? 1 : 0;
}

int tw_amp_classify(struct tw_amp *a, const uint8_t *data, uint32_t caplen,
                    uint32_t wirelen, uint32_t linktype,
                    const struct tw_decoded *d, struct tw_amp_verdict *v,
                    struct tw_errbuf *eb)
{
	struct tw_flow_key key;
	struct flow_state *fs;
	bool created = false;
	int dir, match = 0;

	v->copies = 1;
	v->client = -1;
	if (!tw_flow_key_of(data, d, &key, &dir))
		return 0;
	if (a->bpf) {
		match = tw_bpf_match(a->bpf, linktype, data, caplen, wirelen,
		                     eb);
		if (match < 0)
			return match;
	}
	fs = tw_flow_table_get(a->flows, &key, &created, NULL);
	if (!fs) {
		a->untracked++;
		v->client = guess_client(d);
		v->copies = match ? a->cfg.copies : 1;
		return 0;
	}
	if (created)
		fs->client_dir = (uint8_t)dir;
	/* A SYN names the client for certain (RFC 9293 section 3.5). */
	if (d->ip.proto == TW_IPPROTO_TCP && (d->tcp_flags & TCP_SYN))
		fs->client_dir = (uint8_t)(d->tcp_flags & TCP_ACK ? !dir : dir);
	if (match)
		fs->amplified = 1;
	v->client = dir == fs->client_dir ? 0 : 1;
	v->copies = fs->amplified ? a->cfg.copies : 1;
	return 0;
}

uint64_t tw_amp_shift(const struct tw_amp *a, uint64_t loop, uint32_t j)
{
	return a->cfg.unique_ip ? loop * a->cfg.copies + j : j;
}

bool tw_amp_apply(uint8_t *buf, uint32_t len, const struct tw_decoded *d,
                  int client, uint64_t shift)
{
	uint32_t alen = d->ip.version == 6 ? 16 : 4;
	uint32_t off = d->ip.l3_off + (d->ip.version == 6 ? 8 : 12) +
	               (uint32_t)client * alen;
	uint8_t addr[16];

	if (client < 0 || (d->ip.version != 4 && d->ip.version != 6) ||
	    off + alen > len)
		return false;
	if (!shift)
		return true;
	memcpy(addr, buf + off, alen);
	tw_put_be32(addr + alen - 4,
	            tw_be32(addr + alen - 4) + (uint32_t)(shift << 8));
	return tw_rewrite_set_addr(buf, len, d, client, addr);
}

uint64_t tw_amp_flows(const struct tw_amp *a)
{
	return tw_flow_table_count(a->flows);
}

uint64_t tw_amp_untracked(const struct tw_amp *a)
{
	return a->untracked;
}

void tw_amp_free(struct tw_amp *a)
{
	if (!a)
		return;
	tw_bpf_free(a->bpf);
	tw_flow_table_free(a->flows);
	free(a);
}
