/* SPDX-License-Identifier: BSD-3-Clause */
#include "idset.h"

#include <stdlib.h>

/* 1 if h was added, 0 if it was there. */
static size_t insert(uint64_t *slot, size_t cap, uint64_t h)
{
	for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (slot[i] == h)
			return 0;
		if (!slot[i]) {
			slot[i] = h;
			return 1;
		}
	}
}

static int grow(struct idset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1 << 16;
	uint64_t *slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -1;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i])
			insert(slot, cap, s->slot[i]);
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return 0;
}

void idset_add(struct idset *s, uint64_t h)
{
	h = h ? h : 1;
	if (2 * (s->n + 1) > s->cap && grow(s)) {
		s->dropped++;
		return;
	}
	s->n += insert(s->slot, s->cap, h);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t *idset_sorted(const struct idset *s)
{
	uint64_t *out = s->n ? malloc(s->n * sizeof(*out)) : NULL;
	size_t k = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slot[i])
			out[k++] = s->slot[i];
	qsort(out, k, sizeof(*out), cmp_u64);
	return out;
}

void idset_free(struct idset *s)
{
	free(s->slot);
	*s = (struct idset){ 0 };
}
