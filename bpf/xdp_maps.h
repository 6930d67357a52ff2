/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * The maps of the XDP fast path. Names, types and key/value sizes are those
 * of include/siplb/state.h and include/siplb/xdp.h: siplbd creates and pins
 * them, and a loader (siplb-dp, or a script) hands each pinned fd to libbpf
 * with bpf_map__reuse_fd() before loading, which replaces the definition
 * below. The definitions only matter when the object is loaded on its own
 * (the tests, the benchmark), and then they must still match the pinned
 * shapes exactly, so that the same object loads either way.
 */
#ifndef SIPLB_BPF_XDP_MAPS_H
#define SIPLB_BPF_XDP_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "siplb/state.h"
#include "siplb/xdp.h"
#include "siplb/callid_hash.h"
#include "xdp_consts.h"
#include "xdp_parse.h"

/* 1 x struct slb_control: the active generation. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slb_control);
} control SEC(".maps");

/* 2 x struct slb_state: generation g lives in slot g & 1. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct slb_state);
} state SEC(".maps");

/*
 * The Maglev tables: control.table_capacity elements of 8 bytes, two u32
 * table entries each (state.h). max_entries is whatever the pinned map has
 * (siplbd sizes it from maglev.capacity); loaders reuse the pinned fd, which
 * replaces this default, and the tests set their own size before loading.
 * The default holds one default-sized table (65537 entries) per slot.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 65538);
	__type(key, __u32);
	__type(value, __u64);
} maglev SEC(".maps");

/* Counters, per CPU: siplbd sums the CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slb_xdp_stats);
} xdp_stats SEC(".maps");

/* Backend id -> where its DSR packets go (siplbd keeps it filled from the
 * kernel's neighbour table); ifindex 0: not known yet. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLB_XDP_NEXTHOP_ENTRIES);
	__type(key, __u32);
	__type(value, struct slb_nexthop);
} nexthop SEC(".maps");

/* Per-source GCRA state (theoretical arrival time, ns). LRU: a flood from
 * spoofed sources evicts old entries instead of filling the map, and an
 * evicted source simply starts with a full burst again. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SLB_XDP_SRC_RATE_ENTRIES);
	__type(key, struct slb_addr);
	__type(value, __u64);
} src_rate SEC(".maps");

/* Per-VIP GCRA state, indexed like slb_state.vips. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLB_MAX_VIPS);
	__type(key, __u32);
	__type(value, __u64);
} vip_rate SEC(".maps");

/* Blocked prefixes; LPM tries exist only without preallocation. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLB_XDP_BLOCK_ENTRIES);
	__type(key, struct slb_lpm4);
	__type(value, __u8);
} block4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SLB_XDP_BLOCK_ENTRIES);
	__type(key, struct slb_lpm6);
	__type(value, __u8);
} block6 SEC(".maps");

/* The routing rules offloaded to XDP, their per-source rate state and hit
 * counters (include/siplb/xdp.h, bpf/xdp_rules.h). Two generations of
 * entries: SLB_XDP_RULE_ENTRIES each. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 2 * SLB_XDP_RULE_ENTRIES);
	__type(key, struct slb_rule_src_key);
	__type(value, struct slb_xdp_rule);
} rule_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SLB_XDP_RULE_RATE_ENTRIES);
	__type(key, struct slb_rule_rate_key);
	__type(value, __u64);
} rule_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLB_XDP_RULE_HITS);
	__type(key, __u32);
	__type(value, __u64);
} rule_hits SEC(".maps");

/* The MAC of each interface the program is on, by ifindex % entries
 * (include/siplb/xdp.h): the loader writes it (bpf/siplb_xdp.c). An
 * array: the verifier inlines its lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLB_XDP_PORT_ENTRIES);
	__type(key, __u32);
	__type(value, struct slb_port_mac);
} port_mac SEC(".maps");

/* IPv4 datagrams whose first fragment was steered (xdp_frag.h, struct
 * slb_frag in include/siplb/xdp.h). The program's own, not pinned:
 * fragments of one datagram arrive on one interface, and each copy of the
 * program serves its own. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SLB_XDP_FRAG_ENTRIES);
	__type(key, struct slb_frag_key);
	__type(value, struct slb_frag);
} frags SEC(".maps");

/* siplb-dp's AF_XDP sockets, one per RX queue: DPDK's af_xdp PMD fills the
 * map of this name in the object it attaches. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, SLB_XSK_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/*
 * Per-CPU scratch of the program, not shared (so not pinned):
 * pk      what the parser found: here rather than on the stack, where the
 *         verifier would know each field's value on each way through the
 *         parser (14, 18 or 22 for l3_off...) and check everything after
 *         it once per combination;
 * forget  hands numbers from one loop to the next so that the verifier
 *         forgets what it knew about them (slb_forget); NEXT is where the
 *         Call-ID search goes on (slb_callid_next).
 */
enum { SLB_FORGET_POS, SLB_FORGET_LIM, SLB_FORGET_NEXT, SLB_FORGET_N };

struct slb_scratch {
	struct slb_pkt pk;
	__u64 forget[SLB_FORGET_N];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slb_scratch);
} scratch SEC(".maps");

/*
 * v, stored in the scratch and read back: the same number, which the
 * verifier no longer knows anything about (a map value is opaque to it).
 * A loop with many exits, each with its own facts (the index; the ranges of
 * the offsets it compared, which the verifier keeps when they address the
 * packet), then continues into the code after it in one state, and the
 * verifier checks that code once instead of once per exit.
 */
static __always_inline __u64 slb_forget(struct slb_scratch *sc, int slot, __u64 v)
{
	*(volatile __u64 *)&sc->forget[slot] = v;
	return *(volatile __u64 *)&sc->forget[slot];
}

#endif
