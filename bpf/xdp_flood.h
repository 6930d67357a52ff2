/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Flood protection, before any SIP work: the blocklists, then the
 * per-source rate, then the per-VIP cap. A packet a check drops is not
 * charged to the checks after it (a blocked or over-rate source does not eat
 * into the VIP's cap, so it cannot starve the well-behaved sources).
 *
 * Rates are GCRA as include/siplb/xdp.h defines it: one "theoretical arrival
 * time" (tat, ns) per key; a packet passes when now >= tat - burst * interval
 * and moves tat to max(tat, now) + interval, interval = 1 s / rate. So at
 * most burst + 1 packets pass back to back, then one per interval. Updates
 * are plain loads and stores through the map value: CPUs race, and a race
 * lets a packet or two more through, never fewer; no lock on the packet path.
 */
#ifndef SIPLB_BPF_XDP_FLOOD_H
#define SIPLB_BPF_XDP_FLOOD_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "siplb/xdp.h"
#include "xdp_consts.h"
#include "xdp_maps.h"
#include "xdp_parse.h"

#define SLB_NS_PER_S 1000000000ULL

static __always_inline __u64 slb_gcra_interval(__u32 rate)
{
	return SLB_NS_PER_S / rate; /* rate > 0: 0 = off is checked first */
}

/* 1 when the packet passes (tat moved on), 0 when it is over the rate. */
static __always_inline int slb_gcra(__u64 *tat, __u64 now, __u32 rate, __u32 burst)
{
	__u64 interval = slb_gcra_interval(rate), t = *tat;

	/* now >= t - burst * interval, without the underflow */
	if (t > now + burst * interval)
		return 0;
	*tat = (t > now ? t : now) + interval;
	return 1;
}

/* An empty trie is not looked up: the count comes with the state. */
static __always_inline int slb_blocked(const struct slb_state *st, const struct slb_pkt *pk)
{
	if (pk->family == AF_INET) {
		if (!st->n_block4)
			return 0;
		struct slb_lpm4 k4 = { .prefixlen = 32 };

		__builtin_memcpy(k4.addr, pk->saddr, 4);
		return bpf_map_lookup_elem(&block4, &k4) != NULL;
	}
	if (!st->n_block6)
		return 0;
	struct slb_lpm6 k6 = { .prefixlen = 128 };

	__builtin_memcpy(k6.addr, pk->saddr, 16);
	return bpf_map_lookup_elem(&block6, &k6) != NULL;
}

/* 1 when the packet of key in map (an LRU of GCRA states) is within rate
 * and burst. A key seen for the first time (or evicted) starts afresh. */
static __always_inline int slb_gcra_keyed(void *map, const void *key, __u64 now, __u32 rate,
					  __u32 burst)
{
	__u64 *tat = bpf_map_lookup_elem(map, key), fresh;

	if (tat)
		return slb_gcra(tat, now, rate, burst);
	fresh = now + slb_gcra_interval(rate);
	bpf_map_update_elem(map, key, &fresh, BPF_ANY);
	return 1;
}

/* 1 when the source is within src_rate_pps (or there is no such cap). */
static __always_inline int slb_source_ok(const struct slb_state *st, const struct slb_pkt *pk,
					 __u64 now)
{
	struct slb_addr key = { .family = pk->family }; /* port 0, the rest zero */

	if (!st->src_rate_pps)
		return 1;
	if (pk->family == AF_INET)
		__builtin_memcpy(key.v6, pk->saddr, 4); /* the rest stays zero */
	else
		__builtin_memcpy(key.v6, pk->saddr, 16);
	return slb_gcra_keyed(&src_rate, &key, now, st->src_rate_pps, st->src_rate_burst);
}

/* 1 when VIP vi is within its rate_pps (or has no cap). */
static __always_inline int slb_vip_ok(const struct slb_vip *vip, __u32 vi, __u64 now)
{
	__u64 *tat;

	if (!vip->rate_pps)
		return 1;
	tat = bpf_map_lookup_elem(&vip_rate, &vi);
	return !tat || slb_gcra(tat, now, vip->rate_pps, vip->rate_burst);
}

#endif
