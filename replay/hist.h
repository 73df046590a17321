/*
 * hist.h - a log-linear histogram of nanosecond values (lateness), in the
 * manner of HdrHistogram: values below 2^TW_HIST_SUB_BITS are counted
 * exactly, larger ones in buckets whose width is under 1/64 of their
 * value, so every percentile is within 1.6% of the truth while the
 * histogram stays a fixed 30 KiB array that needs no allocation.
 * Recording is a few instructions, suitable for every packet.
 */
#ifndef TW_HIST_H
#define TW_HIST_H

#include <stdint.h>

#define TW_HIST_SUB_BITS 7
#define TW_HIST_SUB (1u << TW_HIST_SUB_BITS)
#define TW_HIST_BUCKETS ((66 - TW_HIST_SUB_BITS) * (TW_HIST_SUB / 2))

struct tw_hist {
	uint64_t count;
	uint64_t min, max; /* exact; min is UINT64_MAX while empty */
	unsigned __int128 sum;
	uint64_t bucket[TW_HIST_BUCKETS];
};

void tw_hist_init(struct tw_hist *h);

/* Counts one value. */
void tw_hist_record(struct tw_hist *h, uint64_t v);

/* Adds every count of src to dst. */
void tw_hist_merge(struct tw_hist *dst, const struct tw_hist *src);

/*
 * The value at percentile p (0 < p <= 100): the highest value of the
 * bucket that holds the ceil(p% * count)-th smallest value, never above
 * the exact maximum.  0 for an empty histogram.
 */
uint64_t tw_hist_percentile(const struct tw_hist *h, double p);

/* The mean, 0 for an empty histogram. */
double tw_hist_mean(const struct tw_hist *h);

/* The bucket v falls in, and the highest value that bucket holds. */
unsigned tw_hist_index(uint64_t v);
uint64_t tw_hist_bucket_max(unsigned idx);

#endif
