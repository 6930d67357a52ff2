/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing rules offloaded to XDP (docs/rules.md, "In XDP"; siplbd,
 * control/rules/rules_xdp.c): which rules of a VIP the XDP program can apply
 * itself, so that floods from known sources are dropped before siplb-dp,
 * and writing them into its rule_src map (include/siplb/xdp.h) for one
 * generation.
 *
 * A rule is offloaded only when XDP reaches the outcome siplb-dp would:
 *   - it looks at nothing but the source: no SIP field (method, URIs,
 *     headers...), only a source prefix and/or a source port;
 *   - it drops (`drop`), or limits each source's rate and drops what is
 *     over it (`rate = { per = "source"; over = "drop" }`, any action within
 *     the rate: XDP drops the excess and siplb-dp applies the action);
 *   - no earlier rule of the VIP can match a packet it matches: every
 *     earlier rule has a source prefix disjoint from its own. Ports are not
 *     looked at for this (a rule on port 5060 still blocks a later one on
 *     port 5062 of the same prefix: a simpler criterion, never a wrong one).
 * So the offloaded rules of a VIP never nest, and the longest-prefix match
 * XDP does is the rule siplb-dp would pick first. A DSR VIP's requests never
 * reach siplb-dp: there every rule must be offloaded, or the publish fails. Not offloaded: rates per
 * rule (one bucket for all sources) and `over = "reply 503"` (XDP would have
 * to build the response); siplb-dp applies those, as every other rule. It
 * still holds the offloaded ones too, for what XDP lets through or does not
 * see (fragments).
 */
#ifndef SIPLB_RULES_XDP_H
#define SIPLB_RULES_XDP_H

#include <stddef.h>
#include <stdint.h>

#include "siplb/addr.h"
#include "siplb/config.h"
#include "siplb/rules.h"

/* Why rule i of a VIP is or is not offloaded. */
enum slb_rule_xdp_why {
	SLB_RULE_XDP_YES = 0,
	SLB_RULE_XDP_SIP_FIELD,   /* it matches on a SIP field */
	SLB_RULE_XDP_NO_DROP,     /* neither a drop nor a per-source rate */
	SLB_RULE_XDP_PER_RULE,    /* its rate is one bucket for all sources */
	SLB_RULE_XDP_OVER_REPLY,  /* over the rate it answers 503 */
	SLB_RULE_XDP_EARLIER,     /* an earlier rule may match its sources */
	SLB_RULE_XDP_NO_ROOM,     /* SLB_XDP_RULE_ENTRIES taken by earlier ones */
	SLB_RULE_XDP_WHY_COUNT
};

/* "yes", "sip_field", ...: what the why is called (logs, tests). */
const char *slb_rule_xdp_why_name(enum slb_rule_xdp_why why);

/* One offloaded rule. */
struct slb_rule_xdp {
	uint32_t vip, rule;     /* the VIP's index, the rule's index in it */
	struct slb_addr src;    /* the prefix; family 0: every source */
	uint8_t len;            /* prefix length */
	uint16_t sport;         /* host order; 0: any */
	uint32_t rate, burst;   /* per source; rate 0: drop every message */
};

/*
 * The rules of r (VIP vip) offloaded to XDP, in order, into out (room
 * entries); why[i], if not NULL, says for each rule why (r->n entries).
 * Returns how many went into out. Cost: each candidate is compared with the
 * earlier rules (n^2 / 2 prefix compares at worst, 10,000 source-only rules
 * about 5 * 10^7).
 */
uint32_t slb_rules_xdp_select(const struct slb_rules *r, uint32_t vip, struct slb_rule_xdp *out,
			      uint32_t room, enum slb_rule_xdp_why *why);

struct slb_rules_xdp_report {
	uint32_t offloaded;  /* entries written for the generation */
	uint32_t no_room;    /* rules that qualified but found no room */
	uint64_t vips;       /* bit v: VIP v has entries (SLB_VIP_XDP_RULES) */
};

/*
 * Makes generation slot `slot`'s entries of the rule_src trie (src_fd) the
 * offloaded rules of cfg's VIPs. A rule that the active generation (the
 * other slot) offloads alike, with the same changed[v] (the generation in
 * which VIP v's list last changed; NULL: all 0), keeps its rule_hits
 * (hits_fd) counter; any other gets a counter nobody uses, zeroed. Call it
 * when no packet reads that slot any more (publish.c: after the readers
 * left, before the flip). 0, or -1 with the reason in err: a DSR VIP with a
 * rule XDP cannot apply (its FILE:LINE; nothing written), or a map that
 * failed (the slot may then hold part of the change: the flip does not
 * happen, and the next publish rewrites it).
 */
int slb_rules_xdp_sync(int src_fd, int hits_fd, const struct slb_config *cfg,
		       const uint64_t *changed, uint32_t slot, struct slb_rules_xdp_report *rep,
		       char *err, size_t errlen);

/*
 * What XDP dropped for rule `rule` (its record rec) of VIP vip in generation
 * slot `slot`: 0 when the rule is not offloaded there. Two lookups, for the
 * hit counters siplbd shows beside siplb-dp's.
 */
uint64_t slb_rules_xdp_rule_drops(int src_fd, int hits_fd, uint32_t slot, uint32_t vip,
				  uint32_t rule, const struct slb_rule_rec *rec);

/*
 * The XDP drops of each offloaded rule of generation slot `slot` (the
 * active one): calls fn(vip, rule, drops, arg) once per entry (a counter
 * that cannot be read counts 0). 0, or -1 with the reason in err.
 */
int slb_rules_xdp_hits(int src_fd, int hits_fd, uint32_t slot,
		       void (*fn)(uint32_t vip, uint32_t rule, uint64_t drops, void *arg),
		       void *arg, char *err, size_t errlen);

#endif
