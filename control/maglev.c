/* SPDX-License-Identifier: BSD-3-Clause */
/* Weighted Maglev table construction (see include/siplb/maglev.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/callid_hash.h"
#include "siplb/maglev.h"

/* Seeds that derive a backend's permutation (offset, skip) from its key. */
#define SLB_MAGLEV_OFFSET_SEED 0x6f666673657431ULL
#define SLB_MAGLEV_SKIP_SEED 0x736b6970736b6970ULL

struct slot_walker {
	uint32_t pos;   /* next candidate slot in this backend's permutation */
	uint32_t skip;
	uint32_t credit; /* accumulated weight; a turn costs max_weight */
	uint32_t id;
	uint32_t weight;
};

int slb_is_prime(uint32_t n)
{
	if (n < 2)
		return 0;
	for (uint32_t d = 2; (uint64_t)d * d <= n; d++)
		if (n % d == 0)
			return 0;
	return 1;
}

static int cmp_key(const void *a, const void *b)
{
	const struct slb_maglev_backend *x = *(const struct slb_maglev_backend *const *)a;
	const struct slb_maglev_backend *y = *(const struct slb_maglev_backend *const *)b;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);

	if (c)
		return c;
	return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

/* Sorts by key so the table does not depend on the input order. */
static int order_backends(const struct slb_maglev_backend *b, size_t n,
			  const struct slb_maglev_backend **sorted, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i].weight > SLB_MAGLEV_MAX_WEIGHT) {
			snprintf(err, errlen, "backend %u: weight %u over %u", b[i].id,
				 b[i].weight, SLB_MAGLEV_MAX_WEIGHT);
			return -1;
		}
		sorted[i] = &b[i];
	}
	qsort(sorted, n, sizeof(*sorted), cmp_key);
	for (size_t i = 1; i < n; i++)
		if (cmp_key(&sorted[i - 1], &sorted[i]) == 0) {
			snprintf(err, errlen, "duplicate backend key '%.*s'",
				 (int)sorted[i]->key_len, sorted[i]->key);
			return -1;
		}
	return 0;
}

static void place(struct slot_walker *w, uint32_t size, uint32_t *table)
{
	while (table[w->pos] != SLB_MAGLEV_EMPTY) {
		w->pos += w->skip;
		if (w->pos >= size)
			w->pos -= size;
	}
	table[w->pos] = w->id;
}

int slb_maglev_build(const struct slb_maglev_backend *backends, size_t n,
		     uint32_t size, uint64_t seed, uint32_t *table,
		     char *err, size_t errlen)
{
	if (!slb_is_prime(size) || size > SLB_MAGLEV_MAX_SIZE || size <= n ||
	    n > SLB_MAGLEV_MAX_BACKENDS) {
		snprintf(err, errlen, "table size %u must be a prime above the %zu backends "
			 "and at most %u", size, n, SLB_MAGLEV_MAX_SIZE);
		return -1;
	}
	const struct slb_maglev_backend **sorted = calloc(n ? n : 1, sizeof(*sorted));
	struct slot_walker *w = calloc(n ? n : 1, sizeof(*w));
	size_t live = 0;
	uint32_t max_weight = 0;
	int rc = -1;

	if (!sorted || !w) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (order_backends(backends, n, sorted, err, errlen))
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct slb_maglev_backend *b = sorted[i];
		const uint8_t *k = (const uint8_t *)b->key;

		if (!b->weight)
			continue;
		w[live].pos = (uint32_t)(slb_callid_hash(k, (uint32_t)b->key_len,
							  seed ^ SLB_MAGLEV_OFFSET_SEED) % size);
		w[live].skip = (uint32_t)(slb_callid_hash(k, (uint32_t)b->key_len,
							   seed ^ SLB_MAGLEV_SKIP_SEED) % (size - 1)) + 1;
		w[live].id = b->id;
		w[live].weight = b->weight;
		if (b->weight > max_weight)
			max_weight = b->weight;
		live++;
	}
	for (uint32_t s = 0; s < size; s++)
		table[s] = SLB_MAGLEV_EMPTY;
	/* Rounds: every live backend earns its weight; a turn costs max_weight,
	 * so the heaviest backend places a slot every round, a backend of half
	 * its weight every other round, and so on. */
	for (uint32_t filled = 0; live && filled < size;) {
		for (size_t i = 0; i < live && filled < size; i++) {
			w[i].credit += w[i].weight;
			if (w[i].credit < max_weight)
				continue;
			w[i].credit -= max_weight;
			place(&w[i], size, table);
			filled++;
		}
	}
	rc = 0;
out:
	free(sorted);
	free(w);
	return rc;
}
