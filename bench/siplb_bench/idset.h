/* SPDX-License-Identifier: BSD-3-Clause */
/* A set of 64-bit Call-ID hashes (open addressing, grows at half full):
 * which calls a backend saw, for the affinity check across backends. */
#ifndef SIPLB_BENCH_IDSET_H
#define SIPLB_BENCH_IDSET_H

#include <stddef.h>
#include <stdint.h>

struct idset {
	uint64_t *slot; /* 0: empty (a hash of 0 is stored as 1) */
	size_t cap, n;
	size_t dropped; /* not added: out of memory */
};

void idset_add(struct idset *s, uint64_t h);
/* The members, sorted, in a new array of s->n (NULL when empty or out of memory). */
uint64_t *idset_sorted(const struct idset *s);
void idset_free(struct idset *s);

#endif
