/* SPDX-License-Identifier: BSD-3-Clause */
#include "hist.h"

unsigned hist_index(uint64_t us)
{
	if (us < HIST_SUB)
		return (unsigned)us;
	if (us >= (1ull << (HIST_MAX_EXP + 1)))
		return HIST_BUCKETS - 1;
	unsigned exp = 63u - (unsigned)__builtin_clzll(us); /* >= HIST_SUB_BITS */
	unsigned shift = exp - HIST_SUB_BITS;

	return HIST_SUB + shift * HIST_SUB + (unsigned)((us >> shift) - HIST_SUB);
}

/* The middle of bucket i, in us. */
static double bucket_value(unsigned i)
{
	if (i < HIST_SUB)
		return i;
	unsigned shift = (i - HIST_SUB) / HIST_SUB, sub = (i - HIST_SUB) % HIST_SUB;
	double low = (double)((uint64_t)(HIST_SUB + sub) << shift);

	return low + (double)(1ull << shift) / 2;
}

void hist_record(struct hist *h, uint64_t us)
{
	ctr_add(&h->bucket[hist_index(us)], 1);
	ctr_add(&h->count, 1);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->bucket[i] += ctr_get(&src->bucket[i]);
	dst->count += ctr_get(&src->count);
}

void hist_diff(struct hist *dst, const struct hist *a, const struct hist *b)
{
	dst->count = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		dst->bucket[i] = a->bucket[i] - b->bucket[i];
		dst->count += dst->bucket[i];
	}
}

double hist_quantile(const struct hist *h, double q)
{
	uint64_t total = 0, seen = 0;

	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		total += h->bucket[i];
	if (!total)
		return 0;
	uint64_t rank = (uint64_t)(q * (double)total);

	if (rank >= total)
		rank = total - 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen > rank)
			return bucket_value(i);
	}
	return 0;
}
