/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb-bench-maglev: build time of the weighted Maglev table
 * (slb_maglev_build) beside the classic unweighted population of the Maglev
 * paper (Eisenbud et al., NSDI 2016, pseudocode 1), measured in the same run
 * for the same backends and table size.
 *
 * The baseline is the paper's: offset and skip from each key (here with the
 * Call-ID hash, under the bench's own seeds), the permutation walked
 * incrementally as offset + j * skip mod size (the paper precomputes
 * permutation[N][M], which at 1,000 x 655,373 would be 2.6 GB; the walk visits
 * the same slots), filled round-robin, one slot per backend per turn. The
 * builder walks keyed Feistel permutations instead (no linear correlation
 * between backends), so the tables differ even at equal weights. The ratio
 * weighted/unweighted is the price of the weights, of the order-independence
 * (key sort, duplicate check) and of the pseudo-random permutations.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siplb/callid_hash.h"
#include "siplb/maglev.h"

#define SEED 0x5349504c42ULL
/* Seeds of the baseline's offset and skip hashes. */
#define OFFSET_SEED 0x6f666673657431ULL
#define SKIP_SEED 0x736b6970736b6970ULL

#define MAX_REPS 15
#define MIN_REPS 3
#define TIME_BUDGET_NS 400000000ull /* per measurement */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct walker {
	uint32_t pos, skip, id;
};

/* Classic Maglev population: equal weights, round-robin over backends. */
static int populate(const struct slb_maglev_backend *b, size_t n, uint32_t size,
		    uint64_t seed, uint32_t *table)
{
	struct walker *w = malloc((n ? n : 1) * sizeof(*w));
	uint32_t filled = 0;

	if (!w)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *k = (const uint8_t *)b[i].key;
		uint32_t len = (uint32_t)b[i].key_len;

		w[i].pos = (uint32_t)(slb_callid_hash(k, len, seed ^ OFFSET_SEED) % size);
		w[i].skip = (uint32_t)(slb_callid_hash(k, len, seed ^ SKIP_SEED) % (size - 1)) + 1;
		w[i].id = b[i].id;
	}
	for (uint32_t s = 0; s < size; s++)
		table[s] = SLB_MAGLEV_EMPTY;
	while (n && filled < size) {
		for (size_t i = 0; i < n && filled < size; i++) {
			uint32_t c = w[i].pos;

			while (table[c] != SLB_MAGLEV_EMPTY) {
				c += w[i].skip;
				if (c >= size)
					c -= size;
			}
			table[c] = w[i].id;
			w[i].pos = c;
			filled++;
		}
	}
	free(w);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static volatile uint32_t sink;

/* Median build time in ns over up to MAX_REPS runs (at least MIN_REPS). */
static double median_ns(int weighted, const struct slb_maglev_backend *b, size_t n,
			uint32_t size, uint32_t *table, int *reps_out)
{
	uint64_t t[MAX_REPS], spent = 0;
	char err[256];
	int reps = 0;

	while (reps < MAX_REPS && (reps < MIN_REPS || spent < TIME_BUDGET_NS)) {
		uint64_t t0 = now_ns();
		int rc = weighted ? slb_maglev_build(b, n, size, SEED, table, err, sizeof(err))
				  : populate(b, n, size, SEED, table);
		uint64_t t1 = now_ns();

		if (rc) {
			fprintf(stderr, "build failed: %s\n", weighted ? err : "out of memory");
			exit(1);
		}
		sink ^= table[(t1 >> 3) % size];
		t[reps++] = t1 - t0;
		spent += t1 - t0;
	}
	qsort(t, (size_t)reps, sizeof(t[0]), cmp_u64);
	*reps_out = reps;
	return reps % 2 ? (double)t[reps / 2] : 0.5 * (double)(t[reps / 2 - 1] + t[reps / 2]);
}

enum wmode { W_UNEQUAL, W_EQUAL, W_SKEWED };

static const char *mode_name[] = {"1+(i*7919%100)", "equal (100)", "1x65535, rest 1"};

static void row(enum wmode mode, size_t n, uint32_t size)
{
	struct slb_maglev_backend *b = calloc(n, sizeof(*b));
	/* room for any size_t in both fields: gcc checks the worst case */
	char (*keys)[48] = calloc(n, sizeof(*keys));
	uint32_t *t1 = malloc(size * sizeof(*t1)), *t2 = malloc(size * sizeof(*t2));
	double tw, tu;
	int rw, ru;

	if (!b || !keys || !t1 || !t2) {
		perror("alloc");
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		/* zero-padded, so key order is index order */
		snprintf(keys[i], sizeof(keys[i]), "10.0.%03zu.%03zu:5060", i / 256, i % 256);
		b[i].id = (uint32_t)i;
		b[i].key = keys[i];
		b[i].key_len = strlen(keys[i]);
		switch (mode) {
		case W_UNEQUAL:
			b[i].weight = 1 + (uint32_t)(i * 7919 % 100);
			break;
		case W_EQUAL:
			b[i].weight = 100;
			break;
		case W_SKEWED:
			b[i].weight = i == 0 ? SLB_MAGLEV_MAX_WEIGHT : 1;
			break;
		}
	}
	tw = median_ns(1, b, n, size, t1, &rw);
	tu = median_ns(0, b, n, size, t2, &ru);
	printf("%9zu  %9u  %-16s  %10.3f  %3d  %11.3f  %3d  %7.2fx\n", n, size, mode_name[mode],
	       tw / 1e6, rw, tu / 1e6, ru, tw / tu);
	fflush(stdout);
	free(b);
	free(keys);
	free(t1);
	free(t2);
}

int main(void)
{
	static const size_t ns[] = {10, 100, 1000};
	static const uint32_t sizes[] = {65537, 655373};
	uint64_t t0 = now_ns();

	printf("siplb-bench-maglev: slb_maglev_build (weighted) vs classic Maglev populate "
	       "(unweighted, same keys and size)\n");
	printf("median of up to %d runs (at least %d, ~%.1f s budget each); times in ms\n\n",
	       MAX_REPS, MIN_REPS, TIME_BUDGET_NS / 1e9);
	printf("%9s  %9s  %-16s  %10s  %3s  %11s  %3s  %8s\n", "backends", "slots", "weights",
	       "weighted", "n", "unweighted", "n", "ratio");
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		for (size_t ni = 0; ni < sizeof(ns) / sizeof(ns[0]); ni++)
			row(W_UNEQUAL, ns[ni], sizes[si]);
		row(W_EQUAL, 1000, sizes[si]);
		row(W_SKEWED, 1000, sizes[si]);
	}
	printf("\ndone in %.1f s; ratio = weighted / unweighted median build time.\n",
	       (now_ns() - t0) / 1e9);
	return 0;
}
