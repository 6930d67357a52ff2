/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * The routing rules offloaded to XDP (docs/rules.md, "In XDP"): a VIP's
 * rules that look at nothing but the source (prefix, port) and drop, or
 * limit each source's rate and drop what is over it. siplbd chooses them
 * (control/rules/rules_xdp.c) only where the outcome is the one siplb-dp
 * would reach: no earlier rule of the VIP can match the same sources. siplb-dp
 * still holds every rule, so what XDP lets through meets them there.
 *
 * Only requests, and whole datagrams: responses follow their Via (rules do
 * not apply to them), and a fragment is left to siplb-dp, which reassembles
 * the datagram and applies the rules once to it. The payload's first bytes
 * are read only when the source has an entry, so a VIP with offloaded rules
 * costs other sources one trie lookup, and a VIP without them one flag test.
 *
 * Checked after the flood protection (xdp_flood.h), as siplb-dp's rules come
 * after it: what a rule drops here would have reached the rule there.
 */
#ifndef SIPLB_BPF_XDP_RULES_H
#define SIPLB_BPF_XDP_RULES_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "siplb/xdp.h"
#include "xdp_consts.h"
#include "xdp_flood.h"
#include "xdp_maps.h"
#include "xdp_parse.h"

/* "SIP/" of a status line, as a little-endian word: no method starts so
 * ('/' is not a token character, RFC 3261 §25.1). */
#define SLB_SIP_SLASH_LE 0x2f504953u
/* Past this, a payload offset cannot be one the parser gave. */
#define SLB_PAYLOAD_OFF_MAX 128

/* 1 when the datagram is a response (starts "SIP/"), or too short to say. */
static __always_inline int slb_is_response(const struct xdp_md *ctx, const struct slb_pkt *pk)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 off = pk->payload_off;
	__u32 *first;

	if (off > SLB_PAYLOAD_OFF_MAX || pk->payload_len < 4)
		return 1;
	first = data + off;
	if ((void *)(first + 1) > end)
		return 1;
	return *first == SLB_SIP_SLASH_LE;
}

/* 1 when source src is within rule r's rate (its bucket moved on). */
static __always_inline int slb_rule_rate_ok(const struct slb_pkt *pk, __u32 vi,
					    const struct slb_xdp_rule *r)
{
	struct slb_rule_rate_key key = {
		.src.family = pk->family, .vip = (__u16)vi, .rule = (__u16)r->rule,
		.rate = r->rate, .burst = r->burst,
	};

	if (pk->family == AF_INET)
		__builtin_memcpy(key.src.v6, pk->saddr, 4);
	else
		__builtin_memcpy(key.src.v6, pk->saddr, 16);
	return slb_gcra_keyed(&rule_rate, &key, bpf_ktime_get_ns(), r->rate, r->burst);
}

/*
 * VIP vi's offloaded rule for this packet in generation slot: the drop
 * reason when the rule drops it, -1 when it goes on (no rule, a response, a
 * fragment, another source port, within the rate). The rule's hit counter
 * counts what it drops; what it lets through siplb-dp counts.
 */
static __always_inline int slb_rules_check(const struct xdp_md *ctx, const struct slb_pkt *pk,
					   __u32 slot, __u32 vi)
{
	struct slb_rule_src_key key = { .vip = slot * SLB_MAX_VIPS + vi };
	const struct slb_xdp_rule *r;
	__u32 hit;
	__u64 *count;
	int reason;

	if (pk->frag != SLB_FRAG_NONE)
		return -1;
	if (pk->family == AF_INET) {
		key.prefixlen = 32 + 32;
		__builtin_memcpy(key.addr, pk->saddr, 4);
	} else {
		key.prefixlen = 32 + 128;
		__builtin_memcpy(key.addr, pk->saddr, 16);
	}
	r = bpf_map_lookup_elem(&rule_src, &key);
	if (!r || (r->sport && r->sport != pk->sport) || slb_is_response(ctx, pk))
		return -1;
	if (!r->rate)
		reason = SLB_XDP_DROP_RULE;
	else if (slb_rule_rate_ok(pk, vi, r))
		return -1;
	else
		reason = SLB_XDP_DROP_RULE_RATE;
	hit = r->hit;
	count = bpf_map_lookup_elem(&rule_hits, &hit);
	if (count)
		*count += 1;
	return reason;
}

#endif
