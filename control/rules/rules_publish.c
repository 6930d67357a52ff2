/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rules part of a generation (include/siplb/rules_compile.h): every
 * VIP's rules compiled into its blob, the blobs laid out for the rules
 * map's slot, the counters' ranges given out. publish.c writes the image
 * into the slot with the rest of the generation, so a rule change flips
 * with it.
 *
 * siplbd publishes on every health change; compiling 10,000 rules takes
 * Hyperscan seconds. A blob is therefore kept, keyed by a digest of what
 * the rules say, and reused while a VIP's rules stay the same.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "siplb/rules_compile.h"

#define CACHE_SLOTS (2 * SLB_MAX_VIPS)
#define DIGEST_LEN crypto_generichash_BYTES

struct cached_blob {
	uint8_t digest[DIGEST_LEN];
	void *blob;                /* NULL: slot free */
	size_t len;
	uint64_t used;             /* build count of its last use: the oldest goes */
};

/* The single writer publishes from one thread (as publish.c's sort). */
static struct cached_blob cache[CACHE_SLOTS];
static uint64_t builds;

static void hash_string(crypto_generichash_state *h, const char *s)
{
	/* with its NUL, so that "ab" + "c" differs from "a" + "bc" */
	crypto_generichash_update(h, (const unsigned char *)(s ? s : ""), s ? strlen(s) + 1 : 1);
}

static void hash_cond(crypto_generichash_state *h, const struct slb_rule_cond *c)
{
	crypto_generichash_update(h, &c->op, sizeof(c->op));
	if (c->op != SLB_RULE_OP_NONE)
		hash_string(h, c->value);
}

/* What the compiler reads of r; not the rules' origins (no part of a blob). */
static void rules_digest(const struct slb_rules *r, uint8_t *digest)
{
	crypto_generichash_state h;
	uint8_t allow = r->allow_list;

	crypto_generichash_init(&h, NULL, 0, DIGEST_LEN);
	crypto_generichash_update(&h, (const unsigned char *)&r->n, sizeof(r->n));
	crypto_generichash_update(&h, &allow, 1);
	for (uint32_t i = 0; i < r->n; i++) {
		const struct slb_rule *x = &r->rules[i];

		for (int f = 0; f < SLB_RULE_F_HEADER; f++)
			hash_cond(&h, &x->cond[f]);
		hash_string(&h, x->header);
		hash_cond(&h, &x->header_cond);
		hash_string(&h, x->hash_header);
		crypto_generichash_update(&h, (const unsigned char *)&x->rec, sizeof(x->rec));
	}
	crypto_generichash_final(&h, digest, DIGEST_LEN);
}

/* r's blob, from the cache or compiled into it; NULL with the reason. */
static const struct cached_blob *blob_of(const struct slb_rules *r, char *err, size_t errlen)
{
	uint8_t digest[DIGEST_LEN];
	struct cached_blob *oldest = &cache[0];

	rules_digest(r, digest);
	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (cache[i].blob && !memcmp(cache[i].digest, digest, DIGEST_LEN)) {
			cache[i].used = builds;
			return &cache[i];
		}
		if (!cache[i].blob || (oldest->blob && cache[i].used < oldest->used))
			oldest = &cache[i];
	}
	size_t len;
	void *blob = slb_rules_compile(r, &len, err, errlen);

	if (!blob)
		return NULL;
	free(oldest->blob);
	*oldest = (struct cached_blob){.blob = blob, .len = len, .used = builds};
	memcpy(oldest->digest, digest, DIGEST_LEN);
	return oldest;
}

/* The pools r sends to (bits of pool indexes). */
static uint64_t pools_of(const struct slb_rules *r)
{
	uint64_t pools = 0;

	for (uint32_t i = 0; i < r->n; i++)
		if (r->rules[i].rec.action == SLB_RULE_ACT_POOL && r->rules[i].rec.pool < 64)
			pools |= 1ull << r->rules[i].rec.pool;
	return pools;
}

/* The generation in which VIP v's blob last changed: the active one's when
 * the same bytes are there. */
static uint64_t changed_in(const struct slb_rules_image_in *in, uint32_t v, const void *blob,
			   size_t len, uint64_t generation)
{
	const struct slb_vip_rules *a = &in->active->rules[v];

	if (v < in->active->n_vips && a->changed && a->blob_len == len &&
	    (uint64_t)a->blob_off + len <= in->capacity &&
	    !memcmp(in->active_slot + a->blob_off, blob, len))
		return a->changed;
	return generation;
}

/* Where VIP v's blob goes; -1 when it does not fit in the slot or the counters. */
static int place(const struct slb_rules_image_in *in, uint32_t v, size_t len, uint32_t n_rules,
		 size_t *off, uint32_t *counters, char *err, size_t errlen)
{
	const char *name = in->cfg->vips[v].name;

	if (*off + len > in->capacity) {
		snprintf(err, errlen, "vip %s: its rules' databases (%zu bytes) do not fit: the "
			 "VIPs' rules take %zu bytes, rule_maps.capacity is %" PRIu32 " per "
			 "generation (a restart with a larger one)", name, len, *off + len,
			 in->capacity);
		return -1;
	}
	if ((uint64_t)*counters + n_rules > in->counters) {
		snprintf(err, errlen, "vip %s: %" PRIu32 " rules: the VIPs have %" PRIu64 " rules, "
			 "rule_maps.counters is %" PRIu32 " (a restart with a larger one)", name,
			 n_rules, (uint64_t)*counters + n_rules, in->counters);
		return -1;
	}
	*off += (len + 7) & ~(size_t)7;
	*counters += n_rules;
	return 0;
}

int slb_rules_image_build(const struct slb_rules_image_in *in, struct slb_state *next,
			  struct slb_rules_image *out, char *err, size_t errlen)
{
	const struct cached_blob *blobs[SLB_MAX_VIPS] = {NULL};
	size_t off = 0;
	uint32_t counters = 0;

	builds++;
	memset(next->rules, 0, sizeof(next->rules));
	for (uint32_t v = 0; v < in->cfg->n_vips && v < SLB_MAX_VIPS; v++) {
		const struct slb_rules *r = &in->cfg->vips[v].rules;
		struct slb_vip_rules *vr = &next->rules[v];

		if (!r->n)
			continue;
		blobs[v] = blob_of(r, err, errlen);
		if (!blobs[v])
			return -1;
		*vr = (struct slb_vip_rules){
			.blob_off = (uint32_t)off, .blob_len = (uint32_t)blobs[v]->len,
			.counter_base = counters, .n_rules = r->n, .pools = pools_of(r),
			.changed = changed_in(in, v, blobs[v]->blob, blobs[v]->len,
					      next->generation),
		};
		if (place(in, v, blobs[v]->len, r->n, &off, &counters, err, errlen))
			return -1;
	}
	out->len = off;
	out->bytes = calloc(1, off + 1);
	if (!out->bytes) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (uint32_t v = 0; v < SLB_MAX_VIPS; v++)
		if (blobs[v])
			memcpy(out->bytes + next->rules[v].blob_off, blobs[v]->blob, blobs[v]->len);
	return 0;
}
