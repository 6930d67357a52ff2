/* SPDX-License-Identifier: BSD-3-Clause */
/* Weighted Maglev table construction (see include/siplb/maglev.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/callid_hash.h"
#include "siplb/maglev.h"

/* Seed that derives a backend's permutation key from its key. */
#define SLB_MAGLEV_PERM_SEED 0x7065726d75746531ULL
/*
 * Feistel rounds of a permutation (even, so the two halves end where they
 * started). The halves are tiny (257 x 256 for 65537 slots) and a walk reads
 * the whole permutation, so two more than the 4 of Luby-Rackoff: 4 already
 * matched truly random permutations (Fisher-Yates) in a 300-seed sweep of
 * removals and additions; 6 is a margin for ~25% more build time.
 */
#define SLB_MAGLEV_ROUNDS 6
/*
 * Permutation values a walker computes at once, ahead of its visits: the
 * lanes are independent, so the CPU overlaps their multiply chains (about
 * 3x faster than one value at a time). The order of visits is unchanged.
 */
#define SLB_MAGLEV_LANES 4

/*
 * The slots [0, size) seen as pairs [0, a) x [0, b), a * b >= size, a and b
 * about sqrt(size): the domain of the Feistel networks. It overshoots size
 * by less than a, so hardly any value of a permutation is skipped.
 */
struct slot_domain {
	uint32_t size, a, b;
};

/*
 * A backend's walk through its own pseudo-random permutation of the slots.
 * The classic offset + j * skip (mod size) walks are linear: two backends
 * whose skips are multiples of each other (mod size) visit the slots in
 * correlated orders, so one of them inherits most of the other's slots. Keyed
 * Feistel networks have no such relation between backends.
 */
struct slot_walker {
	uint64_t key[SLB_MAGLEV_ROUNDS]; /* round keys, from the backend's key */
	uint64_t next_turn; /* credit round of its next turn */
	uint32_t hi, lo;    /* counter: the permutation's next input */
	uint32_t ahead[SLB_MAGLEV_LANES]; /* values computed, not visited: last first */
	uint32_t nahead;
	uint32_t turns;     /* turns taken: slots placed */
	uint32_t id;
	uint32_t weight;
};

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

/* a = ceil(sqrt(size)), b = ceil(size / a): a square-ish domain just above size. */
static struct slot_domain domain_of(uint32_t size)
{
	struct slot_domain d = {.size = size, .a = 1};

	while ((uint64_t)d.a * d.a < size)
		d.a++;
	d.b = (size + d.a - 1) / d.a;
	return d;
}

/* Round keys: one hash of the backend's key (with the seed), then spread by
 * the murmur finaliser so that every round has its own key. */
static void key_walker(struct slot_walker *w, const struct slb_maglev_backend *b,
		       uint64_t seed)
{
	uint64_t h = slb_callid_hash((const uint8_t *)b->key, (uint32_t)b->key_len,
				     seed ^ SLB_MAGLEV_PERM_SEED);

	for (int r = 0; r < SLB_MAGLEV_ROUNDS; r++)
		w->key[r] = slb_hash_fmix(h + (uint64_t)(r + 1) * SLB_HASH_K1);
}

/* Maps a 64-bit hash onto [0, n) by its high half times n (no division). */
static uint32_t reduce(uint64_t h, uint32_t n)
{
	return (uint32_t)(((h >> 32) * n) >> 32);
}

/*
 * The permutation of [0, a * b) at SLB_MAGLEV_LANES inputs (hi[i], lo[i]),
 * hi < a, lo < b, in place: Feistel rounds (hi, lo) -> (lo, hi + F(lo) mod a)
 * as in FF1 for an arbitrary radix, each round a bijection whatever F is. The
 * halves' radices swap every round; after an even number they are (a, b)
 * again. F is a keyed murmur finaliser: full avalanche, and no linear
 * relation between rounds or between backends.
 */
static void permute(const uint64_t *key, uint32_t a, uint32_t b, uint32_t *hi,
		    uint32_t *lo)
{
	for (int r = 0; r < SLB_MAGLEV_ROUNDS; r++) {
		uint32_t x = a;

		for (int i = 0; i < SLB_MAGLEV_LANES; i++) {
			uint32_t t = hi[i] + reduce(slb_hash_fmix(lo[i] ^ key[r]), a);

			if (t >= a)
				t -= a;
			hi[i] = lo[i];
			lo[i] = t;
		}
		a = b;
		b = x;
	}
}

/* Computes the walker's next values: its counter steps lo, then hi (and
 * wraps, though a walk never gets that far: see place()). */
static void look_ahead(struct slot_walker *w, const struct slot_domain *d)
{
	uint32_t hi[SLB_MAGLEV_LANES], lo[SLB_MAGLEV_LANES];

	for (int i = 0; i < SLB_MAGLEV_LANES; i++) {
		hi[i] = w->hi;
		lo[i] = w->lo;
		if (++w->lo == d->b) {
			w->lo = 0;
			if (++w->hi == d->a)
				w->hi = 0;
		}
	}
	permute(w->key, d->a, d->b, hi, lo);
	for (int i = 0; i < SLB_MAGLEV_LANES; i++)
		w->ahead[SLB_MAGLEV_LANES - 1 - i] = hi[i] * d->b + lo[i];
	w->nahead = SLB_MAGLEV_LANES;
}

/*
 * Places the walker's next slot: the first of its permutation still empty.
 * Values >= size are skipped, so the walk is a permutation of [0, size). It
 * meets each slot once per a * b values and only runs while a slot is empty,
 * so it finds one before its counter wraps.
 */
static void place(struct slot_walker *w, const struct slot_domain *d, uint32_t *table)
{
	for (;;) {
		uint32_t s;

		if (!w->nahead)
			look_ahead(w, d);
		s = w->ahead[--w->nahead];
		if (s < d->size && table[s] == SLB_MAGLEV_EMPTY) {
			table[s] = w->id;
			w->turns++;
			return;
		}
	}
}

/*
 * Credit rounds: in each round every backend earns its weight, and takes a
 * turn (places one slot) whenever its credit reaches max_weight, backends in
 * key order within a round. So a backend of weight w takes its t-th turn in
 * round ceil(t * max_weight / w), which lets a heap jump straight to the next
 * turn instead of visiting every backend every round: the same order of
 * turns, O(log n) per slot even when one weight dwarfs the others.
 */
static uint64_t turn_round(uint32_t turn, uint32_t weight, uint32_t max_weight)
{
	return ((uint64_t)turn * max_weight + weight - 1) / weight;
}

/* Heap order: the earlier round first, then the key order (the index). */
static int before(const struct slot_walker *w, uint32_t i, uint32_t j)
{
	if (w[i].next_turn != w[j].next_turn)
		return w[i].next_turn < w[j].next_turn;
	return i < j;
}

static void sift_down(const struct slot_walker *w, uint32_t *heap, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		uint32_t x;

		if (l < n && before(w, heap[l], heap[m]))
			m = l;
		if (l + 1 < n && before(w, heap[l + 1], heap[m]))
			m = l + 1;
		if (m == i)
			return;
		x = heap[i];
		heap[i] = heap[m];
		heap[m] = x;
		i = m;
	}
}

/* Fills the table turn by turn; heap is scratch space for live entries. */
static void fill(struct slot_walker *w, uint32_t *heap, size_t live, uint32_t max_weight,
		 uint32_t size, uint32_t *table)
{
	struct slot_domain d = domain_of(size);

	for (uint32_t s = 0; s < size; s++)
		table[s] = SLB_MAGLEV_EMPTY;
	if (!live)
		return;
	for (size_t i = 0; i < live; i++) {
		w[i].next_turn = turn_round(1, w[i].weight, max_weight);
		heap[i] = (uint32_t)i;
	}
	for (size_t i = live / 2; i-- > 0;)
		sift_down(w, heap, live, i);
	for (uint32_t filled = 0; filled < size; filled++) {
		struct slot_walker *x = &w[heap[0]];

		place(x, &d, table);
		x->next_turn = turn_round(x->turns + 1, x->weight, max_weight);
		sift_down(w, heap, live, 0);
	}
}

/* Backends with weight > 0: only they take slots. */
static size_t count_live(const struct slb_maglev_backend *b, size_t n)
{
	size_t live = 0;

	for (size_t i = 0; i < n; i++)
		live += b[i].weight > 0;
	return live;
}

int slb_maglev_build(const struct slb_maglev_backend *backends, size_t n,
		     uint32_t size, uint64_t seed, uint32_t *table,
		     char *err, size_t errlen)
{
	size_t live = 0;

	if (n > SLB_MAGLEV_MAX_BACKENDS) {
		snprintf(err, errlen, "%zu backends, at most %u", n, SLB_MAGLEV_MAX_BACKENDS);
		return -1;
	}
	live = count_live(backends, n);
	if (!slb_is_prime(size) || size > SLB_MAGLEV_MAX_SIZE || size <= live) {
		snprintf(err, errlen, "table size %u must be a prime above the %zu backends "
			 "of weight > 0 and at most %u", size, live, SLB_MAGLEV_MAX_SIZE);
		return -1;
	}
	const struct slb_maglev_backend **sorted = calloc(n ? n : 1, sizeof(*sorted));
	struct slot_walker *w = calloc(live ? live : 1, sizeof(*w));
	uint32_t *heap = calloc(live ? live : 1, sizeof(*heap));
	uint32_t max_weight = 0;
	size_t k = 0;
	int rc = -1;

	if (!sorted || !w || !heap) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (order_backends(backends, n, sorted, err, errlen))
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct slb_maglev_backend *b = sorted[i];

		if (!b->weight)
			continue;
		key_walker(&w[k], b, seed);
		w[k].id = b->id;
		w[k].weight = b->weight;
		if (b->weight > max_weight)
			max_weight = b->weight;
		k++;
	}
	fill(w, heap, live, max_weight, size, table);
	rc = 0;
out:
	free(sorted);
	free(w);
	free(heap);
	return rc;
}
