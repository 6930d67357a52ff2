/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Weighted Maglev lookup tables (Eisenbud et al., NSDI 2016), with weights
 * in the way Katran applies them: each backend walks its own permutation of
 * the slots, and takes a turn in proportion to its weight. The permutations
 * are keyed Feistel networks rather than the paper's offset + j * skip, whose
 * linear walks can correlate between backends.
 *
 * The table is a pure function of (backends' keys and weights, size, seed):
 * the input order does not matter, so identical instances build identical
 * tables from the same configuration. It is built in user space by siplbd
 * and only looked up by the dataplane and the XDP program:
 *     backend = table[slb_callid_hash(call_id, len, seed) % size]
 */
#ifndef SIPLB_MAGLEV_H
#define SIPLB_MAGLEV_H

#include <stddef.h>
#include <stdint.h>

#define SLB_MAGLEV_DEFAULT_SIZE 65537u
#define SLB_MAGLEV_MAX_SIZE 16777213u   /* largest prime below 2^24 */
#define SLB_MAGLEV_MAX_WEIGHT 65535u
#define SLB_MAGLEV_MAX_BACKENDS 65535u
#define SLB_MAGLEV_EMPTY UINT32_MAX     /* slot value when no backend has weight */

struct slb_maglev_backend {
	uint32_t id;      /* what the table stores: the backend's stable id */
	uint32_t weight;  /* 0..65535; 0 keeps the backend out of the table */
	const char *key;  /* stable identity, e.g. "192.0.2.10:5060" */
	size_t key_len;
};

/*
 * Fills table[0..size-1]. size must be prime and larger than the number of
 * backends of weight > 0 (backends at weight 0 take no slot, so they do not
 * count). Returns 0, or -1 with a reason in err (bad size, weight over 65535,
 * duplicate key, out of memory).
 */
int slb_maglev_build(const struct slb_maglev_backend *backends, size_t n,
		     uint32_t size, uint64_t seed, uint32_t *table,
		     char *err, size_t errlen);

/* Inline: the configuration check (dataplane/lib/config.c) needs it without the
 * table build, which only siplbd links. */
static inline int slb_is_prime(uint32_t n)
{
	if (n < 2)
		return 0;
	for (uint32_t d = 2; (uint64_t)d * d <= n; d++)
		if (n % d == 0)
			return 0;
	return 1;
}

#endif
