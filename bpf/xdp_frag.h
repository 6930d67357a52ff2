/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * IPv4 fragments of datagrams to proxy VIPs go to siplb-dp, which
 * reassembles them (docs/xdp.md, "Fragments"). Only the first fragment
 * (offset 0, MF set) has the UDP header, so it alone can be matched to a
 * VIP by address and port; when it is steered, its datagram's key (source,
 * destination, protocol, identification: RFC 791) goes into the frags LRU
 * with the port, and the later fragments are matched by that key for
 * SLB_XDP_FRAG_TIMEOUT_NS. A later fragment that finds no entry (it came
 * before its first fragment, or the first was not steered) goes to the
 * kernel: the address alone cannot tell SIP from other UDP to an address
 * the host may share with the VIP.
 */
#ifndef SIPLB_BPF_XDP_FRAG_H
#define SIPLB_BPF_XDP_FRAG_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdp_consts.h"
#include "xdp_maps.h"
#include "xdp_parse.h"

static __always_inline struct slb_frag_key slb_frag_key_of(const struct slb_pkt *pk)
{
	return (struct slb_frag_key){ .saddr = pk->saddr[0], .daddr = pk->daddr[0],
				      .id = pk->ip_id, .proto = SLB_IPPROTO_UDP };
}

/* A first fragment was steered: its later fragments follow it. */
static __always_inline void slb_frag_note(const struct slb_pkt *pk)
{
	struct slb_frag_key k = slb_frag_key_of(pk);
	struct slb_frag v = { .first_ns = bpf_ktime_get_ns(), .dport = pk->dport };

	bpf_map_update_elem(&frags, &k, &v, BPF_ANY);
}

/* A later fragment: 1 with its datagram's port in pk->dport when the first
 * fragment was steered within SLB_XDP_FRAG_TIMEOUT_NS, else 0. */
static __always_inline int slb_frag_follow(struct slb_pkt *pk)
{
	struct slb_frag_key k = slb_frag_key_of(pk);
	const struct slb_frag *e = bpf_map_lookup_elem(&frags, &k);

	if (!e || bpf_ktime_get_ns() - e->first_ns > SLB_XDP_FRAG_TIMEOUT_NS)
		return 0;
	pk->dport = e->dport;
	return 1;
}

#endif
