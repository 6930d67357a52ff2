/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A log-linear latency histogram in microseconds (HdrHistogram's layout,
 * fixed): values below 32 have a bucket each, above that every power of two
 * is cut into 32 equal buckets, so a percentile is within 1/32 (3%) of the
 * true value from 1 us to 2^40 us. One writer per histogram (its thread);
 * the reporter reads it with relaxed loads and diffs snapshots per second.
 */
#ifndef SIPLB_BENCH_HIST_H
#define SIPLB_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_EXP 40
#define HIST_BUCKETS (HIST_SUB + (HIST_MAX_EXP - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t bucket[HIST_BUCKETS];
};

/* A counter with one writing thread and any number of readers. */
static inline void ctr_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t ctr_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

unsigned hist_index(uint64_t us);
void hist_record(struct hist *h, uint64_t us);
/* dst += src (dst private to the caller). */
void hist_merge(struct hist *dst, const struct hist *src);
/* dst = a - b, both snapshots of the same cumulative histogram. */
void hist_diff(struct hist *dst, const struct hist *a, const struct hist *b);
/* The value (us) below which a fraction q (0..1) of the samples lie; 0 if empty. */
double hist_quantile(const struct hist *h, double q);

#endif
