/* SPDX-License-Identifier: BSD-3-Clause */
/* Routing rules offloaded to XDP: the choice and the map (rules_xdp.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "siplb/rules_xdp.h"
#include "siplb/state.h"
#include "siplb/xdp.h"

static const char *const why_names[SLB_RULE_XDP_WHY_COUNT] = {
	"yes", "sip_field", "no_drop", "per_rule", "over_reply", "earlier", "no_room",
};

const char *slb_rule_xdp_why_name(enum slb_rule_xdp_why why)
{
	return why < SLB_RULE_XDP_WHY_COUNT ? why_names[why] : "?";
}

static bool has_sip_field(const struct slb_rule *r)
{
	for (int k = 0; k < SLB_RULE_F_HEADER; k++)
		if (r->cond[k].op)
			return true;
	return r->header[0] != 0;
}

/* Whether some address is in both rules' source prefixes (no prefix: all). */
static bool sources_overlap(const struct slb_rule_rec *a, const struct slb_rule_rec *b)
{
	unsigned len = a->src_len < b->src_len ? a->src_len : b->src_len;
	unsigned bytes = len / 8, bits = len % 8;

	if (!a->src.family || !b->src.family)
		return true;
	if (a->src.family != b->src.family)
		return false;
	if (memcmp(a->src.v6, b->src.v6, bytes))
		return false;
	return !bits || !((a->src.v6[bytes] ^ b->src.v6[bytes]) & (0xff00 >> bits));
}

/* What rule r would be in XDP by itself: YES with its rate (0: drop). */
static enum slb_rule_xdp_why kind_of(const struct slb_rule *r, uint32_t *rate, uint32_t *burst)
{
	const struct slb_rule_rec *rec = &r->rec;

	*rate = *burst = 0;
	if (has_sip_field(r))
		return SLB_RULE_XDP_SIP_FIELD;
	/* drop within the rate and drop over it: a drop */
	if (rec->action == SLB_RULE_ACT_DROP && (!rec->rate || !rec->over_reply))
		return SLB_RULE_XDP_YES;
	if (!rec->rate)
		return SLB_RULE_XDP_NO_DROP;
	if (!rec->rate_per_source)
		return SLB_RULE_XDP_PER_RULE;
	if (rec->over_reply)
		return SLB_RULE_XDP_OVER_REPLY;
	*rate = rec->rate;
	*burst = rec->burst;
	return SLB_RULE_XDP_YES;
}

/* Whether a rule before i may match a packet that rule i matches. */
static bool earlier_overlaps(const struct slb_rules *r, uint32_t i)
{
	for (uint32_t j = 0; j < i; j++)
		if (sources_overlap(&r->rules[j].rec, &r->rules[i].rec))
			return true;
	return false;
}

uint32_t slb_rules_xdp_select(const struct slb_rules *r, uint32_t vip, struct slb_rule_xdp *out,
			      uint32_t room, enum slb_rule_xdp_why *why)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < r->n; i++) {
		const struct slb_rule_rec *rec = &r->rules[i].rec;
		uint32_t rate, burst;
		enum slb_rule_xdp_why w = kind_of(&r->rules[i], &rate, &burst);

		if (w == SLB_RULE_XDP_YES && earlier_overlaps(r, i))
			w = SLB_RULE_XDP_EARLIER;
		if (w == SLB_RULE_XDP_YES && n == room)
			w = SLB_RULE_XDP_NO_ROOM;
		if (w == SLB_RULE_XDP_YES)
			out[n++] = (struct slb_rule_xdp){
				.vip = vip, .rule = i, .src = rec->src, .len = rec->src_len,
				.sport = rec->src_port, .rate = rate, .burst = burst,
			};
		if (why)
			why[i] = w;
	}
	return n;
}

/* ---- the map ---- */

/* The trie's key of entry e in generation slot `slot`. */
static struct slb_rule_src_key key_of(const struct slb_rule_xdp *e, uint32_t slot)
{
	struct slb_rule_src_key k = {
		.prefixlen = 32 + (e->src.family ? e->len : 0u),
		.vip = slot * SLB_MAX_VIPS + e->vip,
	};

	if (e->src.family)
		memcpy(k.addr, e->src.v6, sizeof(k.addr));
	return k;
}

/*
 * The entries a VIP of `family` can use, kept at the front; how many. A VIP
 * gets packets of its own family only, and the key does not say the
 * family: an IPv6 prefix on an IPv4 VIP (a rule that matches nothing) would
 * match IPv4 sources with the same first bits.
 */
static uint32_t same_family(struct slb_rule_xdp *e, uint32_t n, uint8_t family)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < n; i++)
		if (!e[i].src.family || e[i].src.family == family)
			e[kept++] = e[i];
	return kept;
}

/*
 * A DSR VIP's traffic never reaches siplb-dp: XDP is the only place its
 * rules can apply, so one XDP cannot apply is refused, with its FILE:LINE
 * and why, rather than left to do nothing. -1 with the reason in err.
 */
static int check_dsr(const struct slb_config_vip *vip, const enum slb_rule_xdp_why *why,
		     char *err, size_t errlen)
{
	if (vip->mode != SLB_MODE_DSR)
		return 0;
	for (uint32_t i = 0; i < vip->rules.n; i++)
		if (why[i] != SLB_RULE_XDP_YES) {
			snprintf(err, errlen, "%s: vip %s is dsr, whose requests only XDP sees, and "
				 "XDP cannot apply rule %u (%s): only drops and per-source rates "
				 "on the source alone, with no earlier rule over the same sources "
				 "(docs/rules.md, \"In XDP\")", vip->rules.rules[i].origin,
				 vip->name, i, slb_rule_xdp_why_name(why[i]));
			return -1;
		}
	return 0;
}

/* Every VIP's offloaded rules into all, numbered in order (hit = index);
 * *n of them. -1 with the reason in err. */
static int select_all(const struct slb_config *cfg, struct slb_rule_xdp *all, uint32_t *n,
		      struct slb_rules_xdp_report *rep, char *err, size_t errlen)
{
	enum slb_rule_xdp_why *why;
	uint32_t most = 0;
	int rc = 0;

	for (uint32_t v = 0; v < cfg->n_vips; v++)
		most = cfg->vips[v].rules.n > most ? cfg->vips[v].rules.n : most;
	why = calloc(most + 1, sizeof(*why));
	if (!why) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*rep = (struct slb_rules_xdp_report){0};
	*n = 0;
	for (uint32_t v = 0; !rc && v < cfg->n_vips && v < SLB_MAX_VIPS; v++) {
		const struct slb_rules *r = &cfg->vips[v].rules;
		uint32_t got = slb_rules_xdp_select(r, v, all + *n, SLB_XDP_RULE_ENTRIES - *n, why);

		for (uint32_t i = 0; i < r->n; i++)
			rep->no_room += why[i] == SLB_RULE_XDP_NO_ROOM;
		got = same_family(all + *n, got, cfg->vips[v].a.family);
		if (got)
			rep->vips |= 1ull << v;
		*n += got;
		rc = check_dsr(&cfg->vips[v], why, err, errlen);
	}
	rep->offloaded = *n;
	free(why);
	return rc;
}

/* The trie's keys (at most 2 * SLB_XDP_RULE_ENTRIES) and their values. */
static int read_trie(int fd, struct slb_rule_src_key *keys, struct slb_xdp_rule *vals,
		     uint32_t *n)
{
	struct slb_rule_src_key *prev = NULL;

	*n = 0;
	while (*n < 2 * SLB_XDP_RULE_ENTRIES && !bpf_map_get_next_key(fd, prev, &keys[*n])) {
		if (bpf_map_lookup_elem(fd, &keys[*n], &vals[*n]))
			return errno == ENOENT ? 0 : -1;
		prev = &keys[*n];
		(*n)++;
	}
	return *n < 2 * SLB_XDP_RULE_ENTRIES && errno != ENOENT ? -1 : 0;
}

static bool key_in_slot(const struct slb_rule_src_key *k, uint32_t slot)
{
	return k->vip / SLB_MAX_VIPS == slot;
}

/* Counter e zeroed on every CPU. */
static int zero_hits(int hits_fd, uint32_t e)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *zero;
	int rc;

	if (ncpu <= 0)
		return -1;
	zero = calloc((size_t)ncpu, sizeof(*zero));
	if (!zero)
		return -1;
	rc = bpf_map_update_elem(hits_fd, &e, zero, BPF_ANY);
	free(zero);
	return rc;
}

/* What makes an entry of one generation the same rule as one of another. */
struct ident {
	struct slb_rule_src_key key; /* vip without the slot */
	uint32_t rule, rate, burst, epoch;
	uint16_t sport, pad;
};

struct counted {
	struct ident id;
	uint32_t hit;
};

static struct ident ident_of(const struct slb_rule_src_key *k, const struct slb_xdp_rule *v)
{
	struct ident id;

	memset(&id, 0, sizeof(id));
	id.key = *k;
	id.key.vip %= SLB_MAX_VIPS;
	id.rule = v->rule;
	id.rate = v->rate;
	id.burst = v->burst;
	id.epoch = v->epoch;
	id.sport = v->sport;
	return id;
}

static int ident_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ident));
}

/*
 * The counters of the new entries (vals[e].hit): an entry the active
 * generation (the other slot) has too keeps its counter; any other gets one
 * the active generation does not use, zeroed, so what the active generation
 * still counts until the flip never lands on another rule's counter.
 */
static int assign_hits(int hits_fd, const struct slb_rule_src_key *want,
		       struct slb_xdp_rule *vals, uint32_t n, const struct slb_rule_src_key *keys,
		       const struct slb_xdp_rule *have, uint32_t n_have, uint32_t slot)
{
	struct counted *active = calloc(n_have + 1, sizeof(*active));
	bool *used = calloc(SLB_XDP_RULE_HITS, sizeof(*used));
	uint32_t m = 0, next = 0;
	int rc = -1;

	if (!active || !used)
		goto out;
	for (uint32_t i = 0; i < n_have; i++)
		if (!key_in_slot(&keys[i], slot) && have[i].hit < SLB_XDP_RULE_HITS) {
			active[m++] = (struct counted){ident_of(&keys[i], &have[i]), have[i].hit};
			used[have[i].hit] = true;
		}
	qsort(active, m, sizeof(*active), ident_cmp);
	for (uint32_t e = 0; e < n; e++) {
		struct ident id = ident_of(&want[e], &vals[e]);
		const struct counted *same = bsearch(&id, active, m, sizeof(*active), ident_cmp);

		if (same) {
			vals[e].hit = same->hit;
			continue;
		}
		while (used[next]) /* at most SLB_XDP_RULE_ENTRIES used, and n as many */
			next++;
		used[next] = true;
		vals[e].hit = next;
		if (zero_hits(hits_fd, next))
			goto out;
	}
	rc = 0;
out:
	free(used);
	free(active);
	return rc;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct slb_rule_src_key));
}

/* An entry of the trie; key first, so key_cmp orders these too. */
struct entry {
	struct slb_rule_src_key k;
	struct slb_xdp_rule v;
};

/* The slot's entries now, sorted by key; NULL when out of memory. */
static struct entry *slot_entries(const struct slb_rule_src_key *keys,
				  const struct slb_xdp_rule *have, uint32_t n_have, uint32_t slot,
				  uint32_t *n)
{
	struct entry *old = calloc(n_have + 1, sizeof(*old));

	*n = 0;
	for (uint32_t i = 0; old && i < n_have; i++)
		if (key_in_slot(&keys[i], slot))
			old[(*n)++] = (struct entry){keys[i], have[i]};
	if (old)
		qsort(old, *n, sizeof(*old), key_cmp);
	return old;
}

/*
 * The slot's entries: the wanted ones written (unless the slot, which held
 * the generation before the active one, has them already: a publish that
 * changes no rule writes nothing), the others deleted. want is sorted on
 * the way.
 */
static int write_slot(int src_fd, struct slb_rule_src_key *want, const struct slb_xdp_rule *vals,
		      uint32_t n, const struct slb_rule_src_key *keys,
		      const struct slb_xdp_rule *have, uint32_t n_have, uint32_t slot)
{
	uint32_t n_old;
	struct entry *old = slot_entries(keys, have, n_have, slot, &n_old);
	int rc = -1;

	if (!old)
		return -1;
	for (uint32_t e = 0; e < n; e++) {
		const struct entry *same = bsearch(&want[e], old, n_old, sizeof(*old), key_cmp);

		if ((!same || memcmp(&same->v, &vals[e], sizeof(vals[e]))) &&
		    bpf_map_update_elem(src_fd, &want[e], &vals[e], BPF_ANY))
			goto out;
	}
	qsort(want, n, sizeof(*want), key_cmp);
	for (uint32_t i = 0; i < n_old; i++)
		if (!bsearch(&old[i].k, want, n, sizeof(*want), key_cmp) &&
		    bpf_map_delete_elem(src_fd, &old[i].k) && errno != ENOENT)
			goto out;
	rc = 0;
out:
	free(old);
	return rc;
}

/* The trie's entries for the offloaded rules, counters not yet assigned. */
static void entries_of(const struct slb_rule_xdp *all, uint32_t n, const uint64_t *changed,
		       uint32_t slot, struct slb_rule_src_key *want, struct slb_xdp_rule *vals)
{
	for (uint32_t e = 0; e < n; e++) {
		want[e] = key_of(&all[e], slot);
		vals[e] = (struct slb_xdp_rule){
			.rule = all[e].rule, .rate = all[e].rate, .burst = all[e].burst,
			.sport = htons(all[e].sport),
			.epoch = changed ? (uint32_t)changed[all[e].vip] : 0,
		};
	}
}

int slb_rules_xdp_sync(int src_fd, int hits_fd, const struct slb_config *cfg,
		       const uint64_t *changed, uint32_t slot, struct slb_rules_xdp_report *rep,
		       char *err, size_t errlen)
{
	struct slb_rule_xdp *all = calloc(SLB_XDP_RULE_ENTRIES, sizeof(*all));
	struct slb_rule_src_key *keys = calloc(2 * SLB_XDP_RULE_ENTRIES, sizeof(*keys));
	struct slb_xdp_rule *have = calloc(2 * SLB_XDP_RULE_ENTRIES, sizeof(*have));
	struct slb_rule_src_key *want = calloc(SLB_XDP_RULE_ENTRIES, sizeof(*want));
	struct slb_xdp_rule *vals = calloc(SLB_XDP_RULE_ENTRIES, sizeof(*vals));
	uint32_t n, n_have;
	int rc = -1;

	if (!all || !keys || !have || !want || !vals) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (select_all(cfg, all, &n, rep, err, errlen))
		goto out;
	entries_of(all, n, changed, slot, want, vals);
	if (read_trie(src_fd, keys, have, &n_have) ||
	    assign_hits(hits_fd, want, vals, n, keys, have, n_have, slot) ||
	    write_slot(src_fd, want, vals, n, keys, have, n_have, slot)) {
		snprintf(err, errlen, "rule maps %s/%s: %s", SLB_MAP_RULE_SRC, SLB_MAP_RULE_HITS,
			 strerror(errno ? errno : ENOMEM));
		goto out;
	}
	rc = 0;
out:
	free(vals);
	free(want);
	free(have);
	free(keys);
	free(all);
	return rc;
}

/* Counter e summed over the CPUs; 0 when it cannot be read. */
static uint64_t hits_of(int hits_fd, uint32_t e)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *per_cpu = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*per_cpu)) : NULL, sum = 0;

	if (per_cpu && !bpf_map_lookup_elem(hits_fd, &e, per_cpu))
		for (int c = 0; c < ncpu; c++)
			sum += per_cpu[c];
	free(per_cpu);
	return sum;
}

uint64_t slb_rules_xdp_rule_drops(int src_fd, int hits_fd, uint32_t slot, uint32_t vip,
				  uint32_t rule, const struct slb_rule_rec *rec)
{
	struct slb_rule_xdp e = {.vip = vip, .src = rec->src, .len = rec->src_len};
	struct slb_rule_src_key k = key_of(&e, slot);
	struct slb_xdp_rule v;

	/* The longest entry within the rule's prefix: the rule's own if it is
	 * offloaded (offloaded rules of a VIP never nest), else another's. */
	if (vip >= SLB_MAX_VIPS || bpf_map_lookup_elem(src_fd, &k, &v) || v.rule != rule)
		return 0;
	return hits_of(hits_fd, v.hit);
}

int slb_rules_xdp_hits(int src_fd, int hits_fd, uint32_t slot,
		       void (*fn)(uint32_t vip, uint32_t rule, uint64_t drops, void *arg),
		       void *arg, char *err, size_t errlen)
{
	struct slb_rule_src_key *keys = calloc(2 * SLB_XDP_RULE_ENTRIES, sizeof(*keys));
	struct slb_xdp_rule *vals = calloc(2 * SLB_XDP_RULE_ENTRIES, sizeof(*vals));
	uint32_t n_have;
	int rc = -1;

	if (!keys || !vals || read_trie(src_fd, keys, vals, &n_have)) {
		snprintf(err, errlen, "map %s: %s", SLB_MAP_RULE_SRC, strerror(errno ? errno : ENOMEM));
		goto out;
	}
	for (uint32_t i = 0; i < n_have; i++)
		if (key_in_slot(&keys[i], slot))
			fn(keys[i].vip % SLB_MAX_VIPS, vals[i].rule, hits_of(hits_fd, vals[i].hit), arg);
	rc = 0;
out:
	free(vals);
	free(keys);
	return rc;
}
