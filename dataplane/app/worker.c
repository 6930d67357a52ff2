/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast path: one loop per worker lcore, l3fwd's shape. Per iteration it
 * announces the state generation it reads (slb_reader_enter), then for every
 * port: a burst in, slb_proxy_handle_burst() on its packets in place, MAC
 * addresses, a burst out per egress port. No allocation, no syscall, no lock per packet;
 * the only clock is the TSC. A packet whose next hop's MAC is not known yet
 * waits in a small per-lcore hold list until it is (or a second passes).
 * Off the normal path: IPv4 fragments to a VIP are copied into the lcore's
 * reassembly table (ipv4_reasm.c) and handled once whole, and a frame past
 * the MTU leaves as fragments in mbufs of their own (frag.c).
 */
#include <rte_cycles.h>

#include "dp_neigh.h"
#include "siplb/proxy.h"
#include "siplb_dp.h"

volatile bool slb_dp_quit;

/* Egress port and next-hop MAC: a --static-mac port whose prefix holds the
 * next hop, else the kernel's neighbour table, else the first --static-mac
 * port (a default gateway for ports the kernel does not see). */
static inline bool next_hop(const struct slb_dp *dp, uint32_t addr, unsigned *port,
			    struct rte_ether_addr *mac)
{
	uint16_t id;

	for (unsigned i = 0; i < dp->n_ports; i++) {
		const struct slb_dp_port *p = &dp->ports[i];

		if (p->has_static_mac && (addr & p->mask) == p->net) {
			*port = i;
			*mac = p->static_mac;
			return true;
		}
	}
	if (dp->neigh) {
		if (!slb_neigh_lookup(dp->neigh, addr, &id, mac))
			return false;
		*port = dp->port_index[id];
		return true;
	}
	if (dp->default_port < 0)
		return false;
	*port = (unsigned)dp->default_port;
	*mac = dp->ports[*port].static_mac;
	return true;
}

/* The rewritten frame back into the mbuf, addressed for its egress port. */
static inline void fill_mbuf(struct rte_mbuf *m, const struct slb_frame *f,
			     const struct slb_out *out, const struct slb_dp_port *egress,
			     const struct rte_ether_addr *dst)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->data;

	m->data_off = (uint16_t)(f->data - (uint8_t *)m->buf_addr);
	m->data_len = f->len;
	m->pkt_len = f->len;
	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(&egress->mac, &eth->src_addr);
	if (out->cksum_offload) {
		/* the proxy left the pseudo-header sum in the UDP checksum */
		m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
		m->l2_len = RTE_ETHER_HDR_LEN;
		m->l3_len = (f->data[RTE_ETHER_HDR_LEN] & 0x0f) * 4u;
	} else {
		m->ol_flags = 0;
	}
}

/* Keeps a packet whose next hop is being resolved (a backend just added, a
 * client not seen yet), so that resolution does not cost a datagram. */
static void hold(struct slb_dp_lcore *lc, struct slb_lcore_stats *stats, struct rte_mbuf *m,
		 const struct slb_frame *f, const struct slb_out *out)
{
	if (lc->n_held == SLB_DP_HOLD) {
		stats->drops[SLB_DROP_NEIGH_PENDING]++;
		rte_pktmbuf_free(m);
		return;
	}
	lc->held[lc->n_held++] = (struct slb_dp_held){
		m, *f, *out, lc->now + SLB_DP_HOLD_MS * (rte_get_tsc_hz() / 1000),
	};
}

/* Sends port i's TX buffer; what a full TX ring refuses is dropped. */
static inline void flush(const struct slb_dp *dp, struct slb_dp_lcore *lc,
			 struct slb_lcore_stats *stats, unsigned i)
{
	struct slb_dp_txq *t = &lc->tx[i];
	uint16_t sent = rte_eth_tx_burst(dp->ports[i].id, lc->queue, t->m, t->n);

	if (unlikely(sent < t->n)) {
		stats->drops[SLB_DROP_TX_FULL] += t->n - sent;
		rte_pktmbuf_free_bulk(t->m + sent, t->n - sent);
	}
	t->n = 0;
}

/* Sends what the burst produced. */
static inline void drain(const struct slb_dp *dp, struct slb_dp_lcore *lc,
			 struct slb_lcore_stats *stats)
{
	for (unsigned i = 0; i < dp->n_ports; i++)
		if (lc->tx[i].n)
			flush(dp, lc, stats, i);
}

/* Into port's TX buffer; a full one (a datagram's fragments) goes first. */
static inline void enqueue(const struct slb_dp *dp, struct slb_dp_lcore *lc,
			   struct slb_lcore_stats *stats, unsigned port, struct rte_mbuf *m)
{
	if (unlikely(lc->tx[port].n == SLB_DP_BURST))
		flush(dp, lc, stats, port);
	if (unlikely(lc->state->capture.pcap_vips))
		slb_dp_capture_wire(dp->capture, lc->state, stats, m);
	lc->tx[port].m[lc->tx[port].n++] = m;
}

/* The frame in m, addressed to its next hop's MAC, or held until it is known. */
static inline void deliver(const struct slb_dp *dp, struct slb_dp_lcore *lc,
			   struct slb_lcore_stats *stats, struct rte_mbuf *m,
			   const struct slb_frame *f, const struct slb_out *out)
{
	struct rte_ether_addr dst;
	unsigned port;

	if (!next_hop(dp, out->next_hop, &port, &dst)) {
		hold(lc, stats, m, f, out);
		return;
	}
	fill_mbuf(m, f, out, &dp->ports[port], &dst);
	enqueue(dp, lc, stats, port, m);
}

/* Datagram f, sent, to HEP capture: a call only while capture is on. */
static inline void capture_sent(const struct slb_dp *dp, struct slb_dp_lcore *lc,
				const struct slb_proxy_view *view, const struct slb_frame *f)
{
	if (unlikely(view->state->capture.sample))
		slb_dp_capture_sent(dp->capture, lc, view->state, view->stats, f);
}

/* A frame larger than the MTU leaves as IPv4 fragments. Their IP id is this
 * worker's: the client's could meet another client's at the backend, now
 * that both come from the VIP. */
static void deliver_fragments(const struct slb_dp *dp, struct slb_dp_lcore *lc,
			      struct slb_lcore_stats *stats, const struct slb_frame *f,
			      const struct slb_out *out)
{
	struct rte_mbuf *frags[SLB_DP_MAX_FRAGS];
	unsigned n = slb_dp_fragment(dp->pool, f, dp->ip_mtu, rte_cpu_to_be_16(lc->ip_id), frags);

	lc->ip_id = (uint16_t)(lc->ip_id + dp->n_queues); /* ids apart from other lcores' */
	if (!n) {
		stats->drops[SLB_DROP_NO_MBUF]++;
		return;
	}
	stats->fragmented++;
	for (unsigned i = 0; i < n; i++) {
		struct slb_frame piece = { .data = rte_pktmbuf_mtod(frags[i], uint8_t *),
					   .len = rte_pktmbuf_data_len(frags[i]) };

		deliver(dp, lc, stats, frags[i], &piece, out);
	}
}

/* A fragment to a VIP: once its datagram is whole, the proxy handles that in
 * the reassembly buffer, and what it sends is copied out into mbufs. */
static void reassemble(const struct slb_dp *dp, struct slb_dp_lcore *lc,
		       const struct slb_proxy_view *view, const struct slb_frame *frag)
{
	struct slb_frame f;
	struct slb_out out;

	if (!slb_reasm_add(lc->reasm, frag->data, lc->now, view->stats, &f) ||
	    slb_proxy_handle(view, &f, &out) != SLB_ACTION_SEND)
		return;
	capture_sent(dp, lc, view, &f);
	if (out.fragment) {
		deliver_fragments(dp, lc, view->stats, &f, &out);
		return;
	}
	struct rte_mbuf *m = slb_dp_frame_copy(dp->pool, &f);
	if (!m) {
		view->stats->drops[SLB_DROP_NO_MBUF]++;
		return;
	}
	f.data = rte_pktmbuf_mtod(m, uint8_t *);
	deliver(dp, lc, view->stats, m, &f, &out);
}

/* What the proxy did with m's frame f: sent, kept for reassembly, dropped. */
static inline void finish(const struct slb_dp *dp, struct slb_dp_lcore *lc,
			  const struct slb_proxy_view *view, struct rte_mbuf *m,
			  struct slb_frame *f, const struct slb_out *out, enum slb_action a)
{
	if (a == SLB_ACTION_SEND)
		capture_sent(dp, lc, view, f);
	if (likely(a == SLB_ACTION_SEND && !out->fragment)) {
		deliver(dp, lc, view->stats, m, f, out);
		return;
	}
	if (a == SLB_ACTION_SEND)
		deliver_fragments(dp, lc, view->stats, f, out);
	else if (a == SLB_ACTION_REASSEMBLE)
		reassemble(dp, lc, view, f);
	rte_pktmbuf_free(m);
}

/* The frames of the burst's mbufs, packed at the front of pkts (each in the
 * VIPs' pcap files, if any, as received); their count. */
static inline uint16_t frames(const struct slb_dp *dp, const struct slb_proxy_view *view,
			      struct rte_mbuf **pkts, uint16_t n, struct slb_frame *f)
{
	struct slb_lcore_stats *stats = view->stats;
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		/* The in-place edits need one contiguous buffer; RX scatter is
		 * never enabled, so only an oversized frame gets here. */
		if (m->nb_segs != 1) {
			stats->drops[SLB_DROP_NO_ROOM]++;
			rte_pktmbuf_free(m);
			continue;
		}
		f[k] = (struct slb_frame){ rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m),
					   rte_pktmbuf_headroom(m), rte_pktmbuf_tailroom(m),
					   (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) ==
						   RTE_MBUF_F_RX_L4_CKSUM_GOOD };
		if (unlikely(view->state->capture.pcap_vips)) /* a pcap file is written */
			slb_dp_capture_received(dp->capture, view->state, stats, &f[k]);
		pkts[k++] = m;
	}
	return k;
}

/* Sends the held packets whose MAC is known now, drops the expired ones. */
static void release_held(const struct slb_dp *dp, struct slb_dp_lcore *lc,
			 struct slb_lcore_stats *stats)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < lc->n_held; i++) {
		struct slb_dp_held *h = &lc->held[i];
		struct rte_ether_addr dst;
		unsigned port;

		if (next_hop(dp, h->out.next_hop, &port, &dst) &&
		    lc->tx[port].n < SLB_DP_BURST) {
			fill_mbuf(h->m, &h->f, &h->out, &dp->ports[port], &dst);
			if (unlikely(lc->state->capture.pcap_vips))
				slb_dp_capture_wire(dp->capture, lc->state, stats, h->m);
			lc->tx[port].m[lc->tx[port].n++] = h->m;
		} else if (lc->now >= h->deadline) {
			stats->drops[SLB_DROP_NEIGH_PENDING]++;
			rte_pktmbuf_free(h->m);
		} else {
			lc->held[kept++] = *h;
		}
	}
	lc->n_held = kept;
	drain(dp, lc, stats);
}

static inline uint16_t poll_port(const struct slb_dp *dp, struct slb_dp_lcore *lc,
				 const struct slb_proxy_view *view, uint16_t port_id)
{
	struct rte_mbuf *pkts[SLB_DP_BURST];
	struct slb_frame f[SLB_DP_BURST];
	struct slb_out out[SLB_DP_BURST];
	enum slb_action act[SLB_DP_BURST];
	uint16_t n = rte_eth_rx_burst(port_id, lc->queue, pkts, SLB_DP_BURST), k;

	if (!n)
		return 0;
	k = frames(dp, view, pkts, n, f);
	slb_proxy_handle_burst(view, f, k, out, act);
	for (uint16_t i = 0; i < k; i++)
		finish(dp, lc, view, pkts[i], &f[i], &out[i], act[i]);
	drain(dp, lc, view->stats);
	return n;
}

/* The generation's routing rules (sip_rules.h), and the time for their
 * rates: nothing but a compare unless the generation is new. */
static inline void sync_rules(const struct slb_dp *dp, struct slb_dp_lcore *lc, uint64_t g,
			      const struct slb_state *s, uint64_t hz)
{
	uint64_t ns = lc->now / hz * 1000000000ull + lc->now % hz * 1000000000ull / hz;
	char err[256];

	if (unlikely(slb_rules_worker_sync(lc->rules, s, slb_rules_of(&dp->maps, g),
					   dp->maps.control->rules_capacity, ns, err,
					   sizeof(err))))
		slb_log(SLB_LOG_ERR, "lcore %u, generation %" PRIu64 ": %s (its VIP goes the "
			"default way)", rte_lcore_id(), g, err);
}

int slb_dp_worker(void *arg)
{
	struct slb_dp *dp = arg;
	struct slb_dp_lcore *lc = dp->lcores[rte_lcore_id()];
	struct slb_maps *maps = &dp->maps;
	struct slb_proxy_view view = {
		.stats = &maps->stats[lc->reader],
		.rules = lc->rules,
		.branch_seed = dp->cfg.branch_seed,
		.udp_cksum_offload = dp->udp_cksum_offload,
		.ip_mtu = dp->ip_mtu,
		.vip_text = lc->vip_text,
		.senders = lc->senders,
	};
	const uint64_t hz = rte_get_tsc_hz(), heartbeat = hz / 1000;
	const uint64_t idle_limit = dp->opts.exit_when_idle_ms * (hz / 1000);
	const bool guards = dp->guards_follow && rte_lcore_id() == rte_get_main_lcore();
	uint64_t last_heartbeat = rte_rdtsc(), last_rx = last_heartbeat;

	slb_reader_heartbeat(maps, lc->reader);
	slb_log(SLB_LOG_INFO, "lcore %u: queue %u of %u ports", rte_lcore_id(), lc->queue,
		dp->n_ports);
	while (!slb_dp_quit) {
		uint64_t now = rte_rdtsc();
		uint64_t g = slb_reader_enter(maps, lc->reader);
		unsigned got = 0;

		lc->now = now;
		if (now - last_heartbeat >= heartbeat) {
			slb_reader_heartbeat(maps, lc->reader);
			last_heartbeat = now;
		}
		view.state = lc->state = slb_state_of(maps, g);
		view.tables = slb_tables_of(maps, g);
		sync_rules(dp, lc, g, view.state, hz);
		if (unlikely(guards && g != dp->guards_gen))
			slb_dp_kernel_follow(dp, g, view.state);
		for (unsigned i = 0; i < dp->n_ports; i++)
			got += poll_port(dp, lc, &view, dp->ports[i].id);
		if (unlikely(lc->n_held))
			release_held(dp, lc, view.stats);
		if (unlikely(lc->reasm->used))
			slb_reasm_expire(lc->reasm, now, view.stats);
		if (got)
			last_rx = now;
		else if (idle_limit && now - last_rx >= idle_limit)
			break;
	}
	for (unsigned i = 0; i < lc->n_held; i++)
		rte_pktmbuf_free(lc->held[i].m);
	lc->n_held = 0;
	slb_reader_leave(maps, lc->reader);
	return 0;
}
