/*
 * summary.c - per-packet accounting behind `tracewarp info`.
 */
#include "summary.h"

#include <string.h>

#include "error.h"
#include "flow.h"

#define DEFAULT_MAX_FLOWS 10000000u

int tw_summary_init(struct tw_summary *s, uint64_t max_flows)
{
	memset(s, 0, sizeof(*s));
	s->flow_table =
	        tw_flow_table_new(0, max_flows ? max_flows : DEFAULT_MAX_FLOWS);
	return s->flow_table ? TW_OK : TW_ENOMEM;
}

static void count_time(struct tw_summary *s, const struct tw_packet *pkt)
{
	if (pkt->flags & TW_PKT_BAD_TS)
		s->bad_ts++;
	if (pkt->flags & TW_PKT_NO_TS) {
		s->no_ts++;
		return;
	}
	if (!s->have_ts) {
		s->first_ns = s->last_ns = pkt->ts_ns;
		s->have_ts = true;
	} else {
		if (pkt->ts_ns < s->prev_ns)
			s->out_of_order++;
		if (pkt->ts_ns < s->first_ns)
			s->first_ns = pkt->ts_ns;
		if (pkt->ts_ns > s->last_ns)
			s->last_ns = pkt->ts_ns;
	}
	s->prev_ns = pkt->ts_ns;
}

static void count_l4(struct tw_summary *s, const struct tw_decoded *d)
{
	const struct tw_dec_ip *ip = tw_decoded_ip(d);

	if (!ip) {
		s->non_ip++;
		return;
	}
	if (ip->version == 4)
		s->ipv4++;
	else
		s->ipv6++;
	if (d->flags & TW_DEC_FRAGMENT)
		s->fragments++;
	switch (ip->proto) {
	case TW_IPPROTO_TCP:
		s->tcp++;
		break;
	case TW_IPPROTO_UDP:
		s->udp++;
		break;
	case TW_IPPROTO_ICMP:
		s->icmp++;
		break;
	case TW_IPPROTO_ICMPV6:
		s->icmpv6++;
		break;
	default:
		s->other_l4++;
	}
}

static void count_flow(struct tw_summary *s, const struct tw_packet *pkt,
                       const struct tw_decoded *d)
{
	struct tw_flow_key key;
	bool created = false;
	int dir, err = 0;

	if (!tw_flow_key_of(pkt->data, d, &key, &dir))
		return;
	if (!tw_flow_table_get(s->flow_table, &key, &created, &err)) {
		/* Full (or out of memory): keep counting packets, report
		 * the flow count as a lower bound. */
		s->flows_capped = true;
		return;
	}
	if (created)
		s->flows++;
}

void tw_summary_add_decoded(struct tw_summary *s, const struct tw_packet *pkt,
                            const struct tw_decoded *d, bool decoded)
{
	s->packets++;
	s->bytes_captured += pkt->caplen;
	s->bytes_wire += pkt->wirelen;
	if (pkt->caplen < pkt->wirelen)
		s->truncated++;
	count_time(s, pkt);

	if (!decoded && !d->ip.version)
		s->undecoded++;
	if (d->vlan_count)
		s->vlan_tagged++;
	for (unsigned i = 0; i < d->tunnel_count && i < TW_DEC_MAX_DEPTH; i++)
		if (d->tunnel[i].kind < 5)
			s->tunnel[d->tunnel[i].kind]++;
	count_l4(s, d);
	count_flow(s, pkt, d);
}

void tw_summary_add(struct tw_summary *s, const struct tw_packet *pkt,
                    uint32_t linktype)
{
	struct tw_decoded d;
	bool ok = tw_decode(pkt->data, pkt->caplen, linktype, &d);

	tw_summary_add_decoded(s, pkt, &d, ok);
}

void tw_summary_free(struct tw_summary *s)
{
	tw_flow_table_free(s->flow_table);
	s->flow_table = NULL;
}
