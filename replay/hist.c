/*
 * hist.c - log-linear histogram: per power of two above 2^SUB_BITS, 64
 * linear sub-buckets.
 */
#include "replay/hist.h"

#include <math.h>
#include <string.h>

#define HALF (TW_HIST_SUB / 2)

void tw_hist_init(struct tw_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned tw_hist_index(uint64_t v)
{
	unsigned shift;

	if (v < TW_HIST_SUB)
		return (unsigned)v;
	/* v >> shift lands in [SUB/2, SUB): the top SUB_BITS bits of v. */
	shift = (unsigned)(63 - __builtin_clzll(v)) - TW_HIST_SUB_BITS + 1;
	return shift * HALF + (unsigned)(v >> shift);
}

uint64_t tw_hist_bucket_max(unsigned idx)
{
	unsigned shift, sub;

	if (idx < TW_HIST_SUB)
		return idx;
	shift = idx / HALF - 1;
	sub = idx - shift * HALF;
	if (sub + 1 == TW_HIST_SUB && shift + TW_HIST_SUB_BITS == 64)
		return UINT64_MAX;
	return ((uint64_t)(sub + 1) << shift) - 1;
}

void tw_hist_record(struct tw_hist *h, uint64_t v)
{
	h->bucket[tw_hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void tw_hist_merge(struct tw_hist *dst, const struct tw_hist *src)
{
	for (unsigned i = 0; i < TW_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t tw_hist_percentile(const struct tw_hist *h, double p)
{
	uint64_t rank, seen = 0;

	if (!h->count)
		return 0;
	if (p <= 0)
		return h->min;
	rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (unsigned i = 0; i < TW_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t hi = tw_hist_bucket_max(i);

			return hi < h->max ? hi : h->max;
		}
	}
	return h->max;
}

double tw_hist_mean(const struct tw_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}
