// SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause)
/*
 * siplb_xdp: the XDP fast path in front of siplb-dp (docs/xdp.md). One
 * program per object: DPDK's af_xdp PMD attaches the first program of the
 * object it is given and fills its xsks_map.
 *
 * Per packet:
 *  1. parse Ethernet (0-2 VLAN tags), IPv4 or IPv6, UDP (xdp_parse.h);
 *  2. a frame to another host's MAC goes to the kernel untouched;
 *  3. find the VIP (address, port) in the active generation of the state;
 *     a later IPv4 fragment takes its port from its first (xdp_frag.h);
 *  4. flood protection: blocklists, per-source rate, per-VIP cap
 *     (xdp_flood.h); then the VIP's routing rules offloaded to XDP, a
 *     source's drop or rate (xdp_rules.h);
 *  5. proxy-mode VIP: to siplb-dp's AF_XDP socket on this RX queue,
 *     fragments too (siplb-dp reassembles);
 *  6. DSR VIP: Call-ID (xdp_callid.h) -> the pool's Maglev table -> backend
 *     -> next hop; encapsulate (xdp_encap.h) and send it out from here.
 * Everything else goes to the kernel (XDP_PASS), which answers ARP and
 * neighbour discovery and keeps the host's own traffic working. Every
 * verdict and every reason to pass or drop is counted in xdp_stats.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "siplb/callid_hash.h"
#include "siplb/state.h"
#include "siplb/xdp.h"
#include "xdp_callid.h"
#include "xdp_consts.h"
#include "xdp_encap.h"
#include "xdp_flood.h"
#include "xdp_frag.h"
#include "xdp_maps.h"
#include "xdp_parse.h"
#include "xdp_rules.h"

#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "=r"(var) : "0"(var))
#endif

/* 1 when this copy's xsks_map holds siplb-dp's sockets: siplb-dp's loader
 * sets it (bpf/siplb_xdp.c, slb_xdp_take_over); a copy siplbd attaches
 * for DSR has an empty xsks_map of its own, where a miss means nothing. */
const volatile __u8 slb_dp_xsks = 0;

/* 1 only in bench/bench_xdp.c: a DSR packet is put back as it came after
 * its encapsulation (slb_bench_undo_encap), so that BPF_PROG_TEST_RUN's
 * repeat loop, which reruns the program on its own output, times the whole
 * DSR path every time. 0 everywhere else, where the verifier drops the
 * code it guards (a known constant at load). */
const volatile __u8 slb_bench_undo = 0;

static __always_inline int slb_count_pass(struct slb_xdp_stats *s, __u32 reason)
{
	s->verdict[SLB_XDP_PASS]++;
	if (reason < SLB_XDP_PASS_COUNT)
		s->pass[reason]++;
	return XDP_PASS;
}

static __always_inline int slb_count_drop(struct slb_xdp_stats *s, __u32 reason)
{
	s->verdict[SLB_XDP_DROP]++;
	if (reason < SLB_XDP_DROP_COUNT)
		s->drop[reason]++;
	return XDP_DROP;
}

/* addr6 of a VIP is 8-aligned in the state map (tests/xdp asserts it), the
 * packet's copy in struct slb_pkt 4-aligned: four word compares. */
static __always_inline int slb_addr6_eq(const __u8 *vip6, const __u32 *a)
{
	const __u32 *v = (const void *)vip6;

	return v[0] == a[0] && v[1] == a[1] && v[2] == a[2] && v[3] == a[3];
}

/* The index of the VIP the packet is addressed to, or SLB_MAX_VIPS. */
static __always_inline __u64 slb_vip_find(const struct slb_state *st, const struct slb_pkt *pk)
{
	__u64 n = st->n_vips;

	for (__u64 i = 0; i < SLB_MAX_VIPS; i++) {
		const struct slb_vip *v = &st->vips[i];

		if (i >= n)
			break;
		if (v->family != pk->family || v->port != pk->dport)
			continue;
		if (pk->family == AF_INET ? v->addr == pk->daddr[0]
					  : slb_addr6_eq(v->addr6, pk->daddr))
			return i;
	}
	return SLB_MAX_VIPS;
}

/*
 * Whether the frame is for this host at Ethernet: to the port's MAC, or to a
 * group address (broadcast, multicast), as the kernel sees it (not
 * PACKET_OTHERHOST). A port without a recorded MAC (a loader that does not
 * write port_mac, a test) is not checked, and counted: failing closed would
 * pass all its SIP to the kernel. The parser has checked the Ethernet header.
 */
static __always_inline int slb_for_us(const struct xdp_md *ctx, const __u8 *dst,
				      struct slb_xdp_stats *s)
{
	__u32 ifindex = ctx->ingress_ifindex, key = ifindex & (SLB_XDP_PORT_ENTRIES - 1);
	const struct slb_port_mac *p;

	if (dst[0] & 1)
		return 1;
	p = bpf_map_lookup_elem(&port_mac, &key);
	if (!p || p->ifindex != ifindex) {
		s->no_port_mac++;
		return 1;
	}
	return *(const __u32 *)dst == *(const __u32 *)p->mac &&
	       *(const __u16 *)(dst + 4) == *(const __u16 *)(p->mac + 4);
}

/* Whether some siplb-dp lcore heartbeat within SLB_DP_RESTART_GRACE_NS: a
 * crashed siplb-dp is then being restarted. 0: never registered, or left
 * cleanly (a stopped siplb-dp means to be gone). */
static __always_inline int slb_dp_recent(const struct slb_control *ctl)
{
	__u64 now = bpf_ktime_get_ns(), hb;

	for (__u32 i = 0; i < SLB_MAX_LCORES; i++) {
		hb = *(volatile const __u64 *)&ctl->readers[i].heartbeat_ns;
		if (hb && now < hb + SLB_DP_RESTART_GRACE_NS)
			return 1;
	}
	return 0;
}

/*
 * Proxy-mode VIP: to the AF_XDP socket of this RX queue, if siplb-dp has
 * one there (the flags' fallback action on a miss is 0, never XDP_REDIRECT).
 * A steered first fragment is remembered for the rest of its datagram. On a
 * miss while siplb-dp is restarting, drop: the client retransmits and the
 * new siplb-dp answers, where the kernel would answer ICMP port unreachable
 * and fail the transaction (RFC 3261 §18.4). The clock only on a miss.
 */
static __always_inline int slb_steer(struct xdp_md *ctx, struct slb_xdp_stats *s,
				     const struct slb_control *ctl, const struct slb_pkt *pk)
{
	__u32 kind = pk->frag;

	if (bpf_redirect_map(&xsks_map, ctx->rx_queue_index, 0) == XDP_REDIRECT) {
		if (kind == SLB_FRAG_FIRST)
			slb_frag_note(pk);
		s->verdict[SLB_XDP_STEER]++;
		if (kind < SLB_XDP_STEER_COUNT)
			s->steer[kind]++;
		return XDP_REDIRECT;
	}
	if (slb_dp_xsks && slb_dp_recent(ctl))
		return slb_count_drop(s, SLB_XDP_DROP_NO_DATAPLANE);
	return slb_count_pass(s, SLB_XDP_PASS_NO_STEER);
}

/*
 * The Call-ID hash of the value at packed (offset << 32 | length), as
 * siplb-dp computes it (slb_callid_hash, include/siplb/callid_hash.h: its
 * mix and finaliser, over the first 256 bytes and the full length), read
 * from the packet itself: each whole word as it lies there, the last
 * partial word once, zero-padded past the value (what the shared hash's
 * byte loop builds). tests/bpf and tests/xdp hold the two equal. Nothing
 * is copied, and no helper is called (bpf_xdp_load_bytes would be a call
 * per packet, and calls are dear where returns go through a mitigation
 * thunk).
 */
static __always_inline __u64 slb_hash_callid(struct xdp_md *ctx, __u64 found, __u64 seed)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 off = found >> 32, len = (__u32)found, tail = 0, w, i;
	__u64 n = len < SLB_CALLID_HASH_MAX ? len : SLB_CALLID_HASH_MAX;
	__u64 h = seed ^ (len * SLB_HASH_K1);

	for (i = 0; i < SLB_CALLID_HASH_MAX / 8; i++) {
		if (8 * i + 8 > n || slb_word(data, end, off + 8 * i, &w))
			break;
		h = slb_hash_mix(h, w);
	}
	if (slb_load8(data, end, off + 8 * i, off + n, &w) == 0)
		tail = w;
	return slb_hash_fmix(slb_hash_mix(h, tail));
}

/* Backend id for hash h in the VIP's pool (state.h: slot s, table index t
 * is u32 number s * table_capacity + t of the maglev map), or
 * SLB_XDP_MAGLEV_EMPTY when there is none. */
static __always_inline __u32 slb_maglev_pick(const struct slb_control *ctl,
					     const struct slb_state *st, __u32 slot,
					     const struct slb_pool *pool, __u64 h)
{
	__u64 cap = ctl->table_capacity, t, flat, *pair;
	__u32 key, id;

	if (!pool->table_size)
		return SLB_XDP_MAGLEV_EMPTY;
	t = pool->table_off + h % pool->table_size;
	if (t >= cap) /* a table reaching into the other slot: never read it */
		return SLB_XDP_MAGLEV_EMPTY;
	flat = slot * cap + t;
	key = (__u32)(flat >> 1);
	pair = bpf_map_lookup_elem(&maglev, &key);
	if (!pair)
		return SLB_XDP_MAGLEV_EMPTY;
	id = flat & 1 ? (__u32)(*pair >> 32) : (__u32)*pair;
	return id < st->n_backends ? id : SLB_XDP_MAGLEV_EMPTY;
}

/* The benchmark's undo of slb_encap for a frame without VLAN tags or
 * padding: the outer headers dropped, the saved Ethernet header written
 * back. */
static __always_inline void slb_bench_save_eth(struct xdp_md *ctx, __u64 eth[2])
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;

	if (data + 16 <= end) {
		eth[0] = *(__u64 *)data;
		eth[1] = *(__u64 *)(data + 8);
	}
}

static __always_inline void slb_bench_undo_encap(struct xdp_md *ctx, const struct slb_pkt *pk,
						 __u8 encap, const __u64 eth[2])
{
	void *data, *end;

	if (pk->l3_off != SLB_ETH_HLEN ||
	    bpf_xdp_adjust_head(ctx, (int)slb_encap_len(pk->family, encap)))
		return;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + 16 > end)
		return;
	*(__u64 *)data = eth[0];
	*(__u32 *)(data + 8) = (__u32)eth[1];
	*(__u16 *)(data + 12) = (__u16)(eth[1] >> 32);
}

/*
 * A STUN message (RFC 5389: two zero bits, the magic cookie 0x2112A442):
 * on a DSR VIP, an RFC 5626 keep-alive that the backend, the flow's edge
 * proxy behind the VIP, answers. It has no Call-ID, so it goes by its
 * source (slb_flow_hash): every keep-alive of a flow to the same backend.
 */
static __always_inline int slb_stun(struct xdp_md *ctx, const struct slb_pkt *pk)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 w;

	return pk->payload_len >= 20 && !slb_word(data, end, pk->payload_off, &w) &&
	       (w & 0xc0) == 0 && w >> 32 == 0x42a41221; /* 21 12 a4 42, little-endian */
}

/*
 * DSR: Call-ID -> backend -> next hop -> encapsulated, out of here.
 *
 * Over the next hop's MTU once encapsulated: PASS too_big. XDP can neither
 * fragment nor send ICMP with the right quoting and rate limits; the kernel
 * can. With a tunnel route for the VIP (ipip/ip6tnl or fou/gue) it
 * fragments the outer packet (DF clear) or answers frag-needed /
 * packet-too-big (DF set); without one it treats the packet as local and
 * the counter shows the operator what happened. SIP over UDP near the MTU
 * is rare by design: RFC 3261 §18.1.1 moves such requests to TCP.
 */
static __always_inline int slb_dsr(struct xdp_md *ctx, struct slb_xdp_stats *s,
				   struct slb_scratch *sc, const struct slb_control *ctl,
				   const struct slb_state *st, __u32 slot, __u64 vi,
				   const struct slb_pkt *pk)
{
	struct slb_encap_args a = { .pk = pk, .dsr = &st->dsr };
	struct slb_xdp_counter *count, *vip_count = &s->dsr_vip[vi];
	__u32 pool_i = st->vips[vi].pool, lim;
	__u64 eth[2] = { 0, 0 };
	__u64 found;
	__u32 id;

	lim = pk->payload_len < SLB_XDP_CALLID_WINDOW ? pk->payload_len : SLB_XDP_CALLID_WINDOW;
	if (lim < 8) /* no room for a start line and a Call-ID */
		return slb_count_pass(s, SLB_XDP_PASS_NO_CALLID);
	found = slb_callid_find(ctx, sc, pk->payload_off, pk->payload_off + lim);
	if (found == SLB_CALLID_NONE && !slb_stun(ctx, pk))
		return slb_count_pass(s, SLB_XDP_PASS_NO_CALLID);
	if (pool_i >= SLB_MAX_POOLS || pool_i >= st->n_pools)
		return slb_count_pass(s, SLB_XDP_PASS_NO_BACKEND);
	if (found == SLB_CALLID_NONE) /* STUN: the client's flow stays on one backend */
		a.hash = slb_flow_hash(pk->saddr, pk->family == AF_INET6, pk->sport,
				       st->pools[pool_i].seed);
	else
		a.hash = slb_hash_callid(ctx, found, st->pools[pool_i].seed);
	id = slb_maglev_pick(ctl, st, slot, &st->pools[pool_i], a.hash);
	/* One register for the check and the uses (clang would check a copy). */
	barrier_var(id);
	if (id >= SLB_MAX_BACKENDS) /* SLB_XDP_MAGLEV_EMPTY too */
		return slb_count_pass(s, SLB_XDP_PASS_NO_BACKEND);
	a.be = &st->backends[id];
	count = &s->backend[id];
	/* The outer header has the VIP's family: a backend of the other family
	 * in a DSR pool cannot be reached by it. */
	if (a.be->family != pk->family)
		return slb_count_pass(s, SLB_XDP_PASS_NO_BACKEND);
	a.nh = bpf_map_lookup_elem(&nexthop, &id);
	if (!a.nh || !a.nh->ifindex)
		return slb_count_pass(s, SLB_XDP_PASS_NO_NEXTHOP);
	if (slb_encap_len(pk->family, st->dsr.encap) + pk->ip_len > a.nh->mtu)
		return slb_count_pass(s, SLB_XDP_PASS_TOO_BIG);
	/* Only a driver with less headroom than every one in the tree fails
	 * here: the packet cannot be sent from XDP, as if it were too big. */
	if (slb_bench_undo)
		slb_bench_save_eth(ctx, eth);
	if (slb_encap(ctx, &a))
		return slb_count_pass(s, SLB_XDP_PASS_TOO_BIG);
	s->verdict[SLB_XDP_DSR]++;
	count->pkts++;
	count->bytes += pk->payload_len;
	vip_count->pkts++;
	vip_count->bytes += pk->payload_len;
	if (slb_bench_undo)
		slb_bench_undo_encap(ctx, pk, st->dsr.encap, eth);
	if (a.nh->ifindex == ctx->ingress_ifindex)
		return XDP_TX;
	return bpf_redirect(a.nh->ifindex, 0);
}

SEC("xdp")
int siplb_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	const struct slb_control *ctl;
	const struct slb_state *st;
	const struct slb_vip *vip;
	struct slb_xdp_stats *s;
	struct slb_scratch *sc;
	struct slb_pkt *pk;
	__u32 zero = 0, slot;
	__u64 now, vi;
	int r;

	s = bpf_map_lookup_elem(&xdp_stats, &zero);
	sc = bpf_map_lookup_elem(&scratch, &zero);
	if (!s || !sc)
		return XDP_PASS;
	pk = &sc->pk;
	r = slb_parse(data, end, pk);
	if (r >= 0)
		return slb_count_pass(s, (__u32)r);
	if (!slb_for_us(ctx, data, s))
		return slb_count_pass(s, SLB_XDP_PASS_OTHER_HOST);
	if (pk->frag == SLB_FRAG_LATER && !slb_frag_follow(pk))
		return slb_count_pass(s, SLB_XDP_PASS_FRAGMENT);

	/* One load of the generation; the whole packet uses its slot (state.h). */
	ctl = bpf_map_lookup_elem(&control, &zero);
	if (!ctl || ctl->magic != SLB_STATE_MAGIC || ctl->version != SLB_STATE_VERSION)
		return slb_count_pass(s, SLB_XDP_PASS_NOT_VIP); /* nothing published */
	slot = (__u32)(*(volatile const __u64 *)&ctl->generation & 1);
	st = bpf_map_lookup_elem(&state, &slot);
	if (!st)
		return slb_count_pass(s, SLB_XDP_PASS_NOT_VIP);
	/* Forgotten: each of the loop's 64 exits would otherwise carry its own
	 * constant index into everything after it (slb_forget). */
	vi = slb_forget(sc, SLB_FORGET_POS, slb_vip_find(st, pk));
	if (vi >= SLB_MAX_VIPS)
		return slb_count_pass(s, pk->frag ? SLB_XDP_PASS_FRAGMENT : SLB_XDP_PASS_NOT_VIP);
	vip = &st->vips[vi];
	/* Offered load per VIP: counted before flood protection sheds any. */
	s->vip[vi].pkts++;
	s->vip[vi].bytes += pk->frame_len;

	if (slb_blocked(st, pk))
		return slb_count_drop(s, SLB_XDP_DROP_BLOCKED);
	/* The clock only when a rate is set: a helper call is not free (its
	 * return goes through a mitigation thunk on many CPUs). */
	if (st->src_rate_pps || vip->rate_pps) {
		now = bpf_ktime_get_ns();
		if (!slb_source_ok(st, pk, now))
			return slb_count_drop(s, SLB_XDP_DROP_SOURCE_RATE);
		if (!slb_vip_ok(vip, (__u32)vi, now))
			return slb_count_drop(s, SLB_XDP_DROP_VIP_RATE);
	}
	if (vip->flags & SLB_VIP_XDP_RULES) {
		r = slb_rules_check(ctx, pk, slot, (__u32)vi);
		if (r >= 0)
			return slb_count_drop(s, (__u32)r);
	}

	if (vip->mode != SLB_MODE_DSR)
		return slb_steer(ctx, s, ctl, pk);
	/* DSR needs the Call-ID, in the first fragment at best: the kernel
	 * reassembles (docs/xdp.md, "Fragments"). */
	if (pk->frag != SLB_FRAG_NONE)
		return slb_count_pass(s, SLB_XDP_PASS_FRAGMENT);
	return slb_dsr(ctx, s, sc, ctl, st, slot, vi, pk);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
