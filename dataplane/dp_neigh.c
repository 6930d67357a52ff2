/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Next-hop MACs for siplb-dp from the kernel's neighbour table (dp_neigh.h).
 *
 * Who touches what:
 *   workers         slb_neigh_lookup(): read the hash and the slots; on a
 *                   miss, stamp a rate-limit word with a CAS and put the
 *                   destination on the ask ring. No locks, no syscalls.
 *   control thread  everything else: the only writer of the hash, of the
 *                   slots' owner and next-hop words, of the next-hop records
 *                   and of the netlink sockets.
 *
 * The worker-visible table is an rte_hash (RW_CONCURRENCY_LF: lock-free
 * readers, one writer) from destination (be32) to a struct dst_slot in a
 * fixed array. A slot holds the destination it belongs to now and one 64-bit
 * word "valid | port | MAC": a MAC or port change is a single atomic store,
 * so a reader never sees half of an address.
 *
 * Slots are reused (a full table evicts its oldest destination) without an
 * RCU grace period, because the workers' quiescent states are not known
 * here. A reader may therefore hold a pointer to a slot that has been given
 * to another destination since its hash lookup. So a slot's (owner, word)
 * pair is written under a sequence lock and a reader checks that the slot
 * still belongs to the destination it looked up; otherwise it is a miss.
 * The same check is what allows handing a deleted key's position back to
 * rte_hash at once (rte_hash_free_key_with_position right after the delete):
 * the worst a racing reader can get is another destination's slot, which it
 * rejects. The key store, the slots and the extendable buckets are never
 * freed while the thread runs, so a racing reader never reads freed memory.
 *
 * Destinations and next hops: a destination's next hop is what the kernel's
 * route lookup (RTM_GETROUTE) says: the gateway, or the destination itself
 * when on-link, on the route's output interface, which must be one of ours.
 * Next hops are records keyed by (ifindex, address) that mirror the kernel's
 * neighbour entries (dump at start, RTM_NEWNEIGH/RTM_DELNEIGH events); each
 * keeps the list of destinations using it, so one neighbour change rewrites
 * every destination behind it. Route changes re-run the route lookup for
 * every destination, a batch per loop turn.
 */
#define _GNU_SOURCE
#include "dp_neigh.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_log.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "siplb/netlink.h"

#ifndef NEIGH_MAX_DSTS /* tests/dp/neigh builds a small table to exercise eviction */
#define NEIGH_MAX_DSTS 65536u   /* destinations tracked; beyond, the oldest goes */
#endif
#define NEIGH_ASK_MS 100u       /* a destination is asked for at most this often */
#define NEIGH_RING_SIZE 4096u   /* pending asks; when full an ask is dropped and
				 * comes again after NEIGH_ASK_MS */
#define NEIGH_RECENT 4096u      /* rate-limit cells for destinations without a slot */
#define NEIGH_POLL_MS 10        /* control thread's longest sleep: the latency of
				 * an ask and of slb_neigh_stop */
#define NEIGH_ASK_BATCH 256u    /* asks handled per loop turn */
#define NEIGH_SWEEP_BATCH 256u  /* destinations re-routed per loop turn */
#define NEIGH_EVENT_BATCH 64u   /* event datagrams read per loop turn */
#define NEIGH_NH_BUCKETS 1024u
#define NEIGH_DUMP_TRIES 3      /* a dump interrupted by changes is redone */

#define NO_SLOT UINT32_MAX
#define NH_VALID (1ULL << 63)
#define NH_PORT_SHIFT 48
#define NUD_USABLE (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)

/* The port id shares the next-hop word with the valid bit and the MAC. */
_Static_assert(RTE_MAX_ETHPORTS <= 0x8000, "port id must fit in 15 bits");

RTE_LOG_REGISTER(slb_neigh_logtype, siplb.neigh, NOTICE);
#define NEIGH_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, slb_neigh_logtype, "siplb.neigh: " fmt "\n", ##__VA_ARGS__)

/* Worker-visible; seq/owner/nh written by the control thread only. */
struct dst_slot {
	uint32_t seq;      /* odd while the control thread rewrites owner/nh */
	uint32_t owner;    /* the destination (be32) this slot holds; 0 = free */
	uint64_t nh;       /* NH_VALID | port << 48 | MAC, 0 = not usable */
	uint64_t asked_ms; /* last ask for owner; workers CAS it */
	uint64_t pad;
};

/* Control thread only: a slot's place in its next hop's list of users, or
 * in the free list. */
struct dst_meta {
	struct nh *nh; /* NULL: no route through one of our ports (yet) */
	uint32_t prev, next;
	bool used;
};

/* A neighbour on one of our ports, as the kernel last told us. */
struct nh {
	struct nh *chain;
	uint32_t ip;       /* be32 */
	int ifindex;
	uint16_t port_id;
	uint16_t state;    /* NUD_*; NUD_NONE: the kernel has no entry */
	bool has_mac;
	bool seen;         /* in the latest dump */
	bool solicit_failed; /* the last NTF_USE failed (and was logged) */
	uint8_t mac[RTE_ETHER_ADDR_LEN];
	uint64_t solicited_ms;
	uint32_t users;    /* first slot using it as next hop, NO_SLOT = none */
};

struct port_if {
	int ifindex;
	uint16_t port_id;
};

struct slb_neigh {
	/* worker-visible */
	struct rte_hash *dsts;
	struct rte_ring *asks;
	struct dst_slot *slots;
	uint64_t *recent;  /* dst << 32 | (uint32_t)ms of the last ask */
	uint64_t tsc_per_ms;

	/* control thread */
	struct dst_meta *meta;
	uint32_t free_head, evict_hand;
	uint32_t sweep_pos; /* next slot to re-route; NO_SLOT = no sweep running */
	bool resync;        /* events were lost: dump again */
	struct nh *nh_buckets[NEIGH_NH_BUCKETS];
	struct port_if ports[RTE_MAX_ETHPORTS];
	unsigned n_ports;
	struct slb_nl ev, req;
	pthread_t thread;
	bool running, stop;
};

static uint64_t now_ms(const struct slb_neigh *n)
{
	return rte_rdtsc() / n->tsc_per_ms;
}

static uint64_t nh_pack(uint16_t port_id, const uint8_t *mac)
{
	uint64_t w = NH_VALID | (uint64_t)port_id << NH_PORT_SHIFT;

	for (unsigned i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		w |= (uint64_t)mac[i] << (8 * (RTE_ETHER_ADDR_LEN - 1 - i));
	return w;
}

static void nh_unpack(uint64_t w, uint16_t *port_id, struct rte_ether_addr *mac)
{
	*port_id = (uint16_t)((w & ~NH_VALID) >> NH_PORT_SHIFT);
	for (unsigned i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		mac->addr_bytes[i] = (uint8_t)(w >> (8 * (RTE_ETHER_ADDR_LEN - 1 - i)));
}

/* ---- worker side ------------------------------------------------------------ */

/* The next-hop word of s if s still belongs to dst; false when it belongs to
 * another destination now or is being rewritten (both: a miss). */
static bool slot_read(const struct dst_slot *s, uint32_t dst, uint64_t *nh)
{
	uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
	uint32_t owner = __atomic_load_n(&s->owner, __ATOMIC_RELAXED);
	uint64_t w = __atomic_load_n(&s->nh, __ATOMIC_RELAXED);

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if ((seq & 1) || owner != dst || __atomic_load_n(&s->seq, __ATOMIC_RELAXED) != seq)
		return false;
	*nh = w;
	return true;
}

/*
 * The rate limit is a shared timestamp per destination, not per lcore, so
 * that N lcores missing the same destination still ask once per
 * NEIGH_ASK_MS: whoever wins the CAS asks. It costs an atomic only on the
 * miss path. A destination with a slot keeps its stamp in the slot; one
 * without a slot yet (never asked for, or evicted) uses a direct-mapped cell
 * of recent[], which a colliding destination can take over: then both may
 * ask more often, only until the control thread has given them slots (its
 * next loop turn), and it ignores repeated asks anyway.
 */
static bool stamp_due(uint64_t *stamp, uint64_t now)
{
	uint64_t last = __atomic_load_n(stamp, __ATOMIC_RELAXED);

	if (now - last < NEIGH_ASK_MS)
		return false;
	return __atomic_compare_exchange_n(stamp, &last, now, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static bool recent_due(struct slb_neigh *n, uint32_t dst, uint64_t now)
{
	uint64_t *cell = &n->recent[rte_hash_crc_4byte(dst, 0) & (NEIGH_RECENT - 1)];
	uint64_t old = __atomic_load_n(cell, __ATOMIC_RELAXED);
	uint64_t stamp = (uint64_t)dst << 32 | (uint32_t)now;

	if ((uint32_t)(old >> 32) == dst && (uint32_t)now - (uint32_t)old < NEIGH_ASK_MS)
		return false;
	return __atomic_compare_exchange_n(cell, &old, stamp, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static __rte_noinline void ask(struct slb_neigh *n, uint32_t dst, struct dst_slot *s)
{
	uint64_t now = now_ms(n);
	bool due = s ? stamp_due(&s->asked_ms, now) : recent_due(n, dst, now);

	/* A full ring loses this ask; the stamp makes it come again later. */
	if (due)
		(void)rte_ring_mp_enqueue_elem(n->asks, &dst, sizeof(dst));
}

bool slb_neigh_lookup(struct slb_neigh *n, uint32_t dst, uint16_t *port_id,
		      struct rte_ether_addr *mac)
{
	struct dst_slot *s = NULL;
	uint64_t w = 0;
	void *data;

	if (rte_hash_lookup_data(n->dsts, &dst, &data) >= 0) {
		s = data;
		if (!slot_read(s, dst, &w))
			s = NULL;
	}
	if (unlikely(!(w & NH_VALID))) {
		ask(n, dst, s);
		return false;
	}
	nh_unpack(w, port_id, mac);
	return true;
}

/* ---- control thread: slots and next hops ------------------------------------ */

/* Sequence-lock write: readers retry or miss while seq is odd. */
static void slot_write(struct dst_slot *s, uint32_t owner, uint64_t nh)
{
	uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);

	__atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&s->owner, owner, __ATOMIC_RELAXED);
	__atomic_store_n(&s->nh, nh, __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

static const struct port_if *port_by_ifindex(const struct slb_neigh *n, int ifindex)
{
	for (unsigned i = 0; i < n->n_ports; i++)
		if (n->ports[i].ifindex == ifindex)
			return &n->ports[i];
	return NULL;
}

static struct nh **nh_bucket(struct slb_neigh *n, int ifindex, uint32_t ip)
{
	return &n->nh_buckets[rte_hash_crc_4byte(ip, (uint32_t)ifindex) % NEIGH_NH_BUCKETS];
}

static struct nh *nh_find(struct slb_neigh *n, int ifindex, uint32_t ip)
{
	struct nh *nh = *nh_bucket(n, ifindex, ip);

	while (nh && (nh->ip != ip || nh->ifindex != ifindex))
		nh = nh->chain;
	return nh;
}

static struct nh *nh_get(struct slb_neigh *n, const struct port_if *p, uint32_t ip)
{
	struct nh *nh = nh_find(n, p->ifindex, ip);
	struct nh **b;

	if (nh)
		return nh;
	nh = calloc(1, sizeof(*nh));
	if (!nh) {
		NEIGH_LOG(ERR, "out of memory for a next hop");
		return NULL;
	}
	b = nh_bucket(n, p->ifindex, ip);
	*nh = (struct nh){ .chain = *b, .ip = ip, .ifindex = p->ifindex,
			   .port_id = p->port_id, .state = NUD_NONE, .users = NO_SLOT };
	*b = nh;
	return nh;
}

/* Drops the record of a neighbour that neither the kernel nor a destination
 * has any more. */
static void nh_release(struct slb_neigh *n, struct nh *nh)
{
	struct nh **p = nh_bucket(n, nh->ifindex, nh->ip);

	if (nh->users != NO_SLOT || nh->state != NUD_NONE)
		return;
	while (*p != nh)
		p = &(*p)->chain;
	*p = nh->chain;
	free(nh);
}

static uint64_t nh_word(const struct nh *nh)
{
	if (!nh || !nh->has_mac || !(nh->state & NUD_USABLE))
		return 0;
	return nh_pack(nh->port_id, nh->mac);
}

static void nh_publish(struct slb_neigh *n, const struct nh *nh)
{
	uint64_t w = nh_word(nh);

	for (uint32_t i = nh->users; i != NO_SLOT; i = n->meta[i].next)
		if (n->slots[i].nh != w)
			slot_write(&n->slots[i], n->slots[i].owner, w);
}

static void dst_detach(struct slb_neigh *n, uint32_t i)
{
	struct dst_meta *m = &n->meta[i];
	struct nh *nh = m->nh;

	if (!nh)
		return;
	if (m->prev != NO_SLOT)
		n->meta[m->prev].next = m->next;
	else
		nh->users = m->next;
	if (m->next != NO_SLOT)
		n->meta[m->next].prev = m->prev;
	m->nh = NULL;
	nh_release(n, nh);
}

static void dst_attach(struct slb_neigh *n, uint32_t i, struct nh *nh)
{
	struct dst_meta *m = &n->meta[i];

	m->nh = nh;
	m->prev = NO_SLOT;
	m->next = nh->users;
	if (nh->users != NO_SLOT)
		n->meta[nh->users].prev = i;
	nh->users = i;
}

static void dst_remove(struct slb_neigh *n, uint32_t i)
{
	struct dst_slot *s = &n->slots[i];
	uint32_t dst = s->owner;
	int32_t pos = rte_hash_del_key(n->dsts, &dst);

	/* No grace period needed: see the top of the file. */
	if (pos >= 0)
		rte_hash_free_key_with_position(n->dsts, pos);
	dst_detach(n, i);
	slot_write(s, 0, 0);
	n->meta[i].used = false;
	n->meta[i].next = n->free_head;
	n->free_head = i;
}

/* A free slot; when there is none the round-robin victim is evicted (a
 * worker still sending there misses once and asks again). */
static uint32_t slot_alloc(struct slb_neigh *n)
{
	uint32_t i;

	if (n->free_head == NO_SLOT) {
		dst_remove(n, n->evict_hand);
		n->evict_hand = (n->evict_hand + 1) % NEIGH_MAX_DSTS;
	}
	i = n->free_head;
	n->free_head = n->meta[i].next;
	return i;
}

static uint32_t dst_find(struct slb_neigh *n, uint32_t dst)
{
	void *data;

	if (rte_hash_lookup_data(n->dsts, &dst, &data) < 0)
		return NO_SLOT;
	return (uint32_t)((struct dst_slot *)data - n->slots);
}

static uint32_t dst_add(struct slb_neigh *n, uint32_t dst)
{
	uint32_t i = slot_alloc(n);
	struct dst_slot *s = &n->slots[i];
	int ret;

	/* The slot is complete before the key makes it reachable. */
	slot_write(s, dst, 0);
	__atomic_store_n(&s->asked_ms, now_ms(n), __ATOMIC_RELAXED);
	ret = rte_hash_add_key_data(n->dsts, &dst, s);
	if (ret < 0) {
		NEIGH_LOG(ERR, "destination table: %s", strerror(-ret));
		slot_write(s, 0, 0);
		n->meta[i].next = n->free_head;
		n->free_head = i;
		return NO_SLOT;
	}
	n->meta[i] = (struct dst_meta){ .nh = NULL, .prev = NO_SLOT, .next = NO_SLOT,
					.used = true };
	return i;
}

/* ---- control thread: netlink ------------------------------------------------ */

struct attr_table {
	const struct nlattr **tb;
	unsigned max;
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct attr_table *t = data;
	unsigned type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

static int attrs_parse(const struct nlmsghdr *nlh, size_t hdr, const struct nlattr **tb,
		       unsigned max)
{
	struct attr_table t = { tb, max };

	return mnl_attr_parse(nlh, (unsigned)hdr, attr_cb, &t);
}

/* A be32 address attribute, or 0 when absent or of another size. */
static uint32_t attr_ip(const struct nlattr *a)
{
	if (!a || mnl_attr_get_payload_len(a) != sizeof(uint32_t))
		return 0;
	return mnl_attr_get_u32(a);
}

/* Asks the kernel to resolve nh (see slb_nl_neigh_use); the answer comes
 * back as an RTM_NEWNEIGH event. */
static void nh_solicit(struct slb_neigh *n, struct nh *nh)
{
	uint64_t now = now_ms(n);
	int ret;

	if (now - nh->solicited_ms < NEIGH_ASK_MS)
		return;
	nh->solicited_ms = now;
	ret = slb_nl_neigh_use(&n->req, AF_INET, nh->ifindex, &nh->ip);
	if (ret == 0)
		nh->solicit_failed = false;
	else if (!nh->solicit_failed) { /* once, not every NEIGH_ASK_MS */
		nh->solicit_failed = true;
		NEIGH_LOG(WARNING, "cannot ask the kernel to resolve a next hop on ifindex "
			  "%d: %s", nh->ifindex, strerror(-ret));
	}
}

/* (Re)does the route lookup of slot i and moves it to its next hop. */
static void dst_resolve(struct slb_neigh *n, uint32_t i)
{
	struct dst_slot *s = &n->slots[i];
	const struct port_if *p = NULL;
	struct nh *nh = NULL;
	struct slb_nl_route r;
	uint32_t gw = 0;

	/* A gateway of another family (RFC 5549) has no ARP entry: unsupported. */
	if (slb_nl_route_get(&n->req, AF_INET, &s->owner, &r) == 0 && r.type == RTN_UNICAST &&
	    !r.other_family_gw)
		p = port_by_ifindex(n, r.oif);
	if (r.has_gw)
		memcpy(&gw, r.gw, sizeof(gw));
	if (p)
		nh = nh_get(n, p, gw ? gw : s->owner);
	if (nh != n->meta[i].nh) {
		dst_detach(n, i);
		if (nh)
			dst_attach(n, i, nh);
	}
	if (s->nh != nh_word(nh))
		slot_write(s, s->owner, nh_word(nh));
	if (nh && !nh_word(nh))
		nh_solicit(n, nh);
}

/* A worker missed dst. */
static void ask_handle(struct slb_neigh *n, uint32_t dst)
{
	uint32_t i;

	if (dst == 0)
		return;
	i = dst_find(n, dst);
	if (i == NO_SLOT) {
		i = dst_add(n, dst);
		if (i == NO_SLOT)
			return;
	}
	if (!n->meta[i].nh)
		dst_resolve(n, i); /* new, or had no route through our ports */
	else if (!nh_word(n->meta[i].nh))
		nh_solicit(n, n->meta[i].nh);
}

/* Applies an RTM_NEWNEIGH/RTM_DELNEIGH (event or dump) to its record; the
 * record, or NULL when it is not ours or is gone. */
static struct nh *neigh_msg(struct slb_neigh *n, const struct nlmsghdr *nlh)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NDA_MAX + 1] = { 0 };
	const struct port_if *p;
	struct nh *nh;
	uint32_t ip;

	/* Proxy-ARP entries answer for others: not next hops. */
	if (ndm->ndm_family != AF_INET || (ndm->ndm_flags & NTF_PROXY) ||
	    !(p = port_by_ifindex(n, ndm->ndm_ifindex)) ||
	    attrs_parse(nlh, sizeof(*ndm), tb, NDA_MAX) < 0 || !(ip = attr_ip(tb[NDA_DST])))
		return NULL;
	nh = nh_find(n, p->ifindex, ip);
	if (nlh->nlmsg_type == RTM_DELNEIGH) {
		if (!nh)
			return NULL;
		nh->state = NUD_NONE;
		nh->has_mac = false;
	} else {
		if (!nh && !(nh = nh_get(n, p, ip)))
			return NULL;
		nh->state = ndm->ndm_state;
		nh->has_mac = tb[NDA_LLADDR] &&
			      mnl_attr_get_payload_len(tb[NDA_LLADDR]) == RTE_ETHER_ADDR_LEN;
		if (nh->has_mac)
			memcpy(nh->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), RTE_ETHER_ADDR_LEN);
	}
	nh->seen = true;
	nh_publish(n, nh);
	if (nh->users == NO_SLOT && nh->state == NUD_NONE) {
		nh_release(n, nh);
		return NULL;
	}
	return nh;
}

/*
 * Our traffic bypasses the kernel, so it never confirms a neighbour that
 * siplb-dp keeps sending to: a used entry would stay STALE forever, even
 * after the address moved to another host. Asking for it when it turns stale
 * makes the kernel re-probe it (unicast ARP), as for a flow it forwards.
 */
static void nh_keep_fresh(struct slb_neigh *n, struct nh *nh)
{
	if (nh->users != NO_SLOT && nh->state == NUD_STALE)
		nh_solicit(n, nh);
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	neigh_msg(data, nlh);
	return MNL_CB_OK;
}

static int neigh_dump_once(struct slb_neigh *n)
{
	char buf[SLB_NL_MSG_SIZE] __rte_aligned(8);
	struct nlmsghdr *nlh = slb_nl_request(buf, RTM_GETNEIGH, NLM_F_DUMP);
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

	ndm->ndm_family = AF_INET;
	return slb_nl_talk(&n->req, nlh, true, dump_cb, n);
}

/* Every record not in the dump is gone; used stale ones get re-probed (not
 * from dump_cb: the request socket is busy with the dump there). */
static void neigh_dump_settle(struct slb_neigh *n)
{
	for (unsigned b = 0; b < NEIGH_NH_BUCKETS; b++) {
		struct nh *nh = n->nh_buckets[b], *next;

		for (; nh; nh = next) {
			next = nh->chain;
			if (!nh->seen) {
				nh->state = NUD_NONE;
				nh->has_mac = false;
				nh_publish(n, nh);
				nh_release(n, nh);
			} else {
				nh_keep_fresh(n, nh);
			}
		}
	}
}

/* Brings every record in line with the kernel's table. 0 or -errno. */
static int neigh_dump(struct slb_neigh *n)
{
	int ret = -EINTR; /* EINTR: changed during the dump */

	for (int t = 0; t < NEIGH_DUMP_TRIES && ret == -EINTR; t++) {
		for (unsigned b = 0; b < NEIGH_NH_BUCKETS; b++)
			for (struct nh *nh = n->nh_buckets[b]; nh; nh = nh->chain)
				nh->seen = false;
		ret = neigh_dump_once(n);
	}
	if (ret == 0)
		neigh_dump_settle(n);
	return ret;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct slb_neigh *n = data;
	struct nh *nh;

	switch (nlh->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		nh = neigh_msg(n, nlh);
		if (nh)
			nh_keep_fresh(n, nh);
		/* A host the kernel just learned (a client's ARP request for a
		 * VIP, say) is a likely destination: have it ready before the
		 * first response to it. */
		if (nh && nh->has_mac && nlh->nlmsg_type == RTM_NEWNEIGH)
			ask_handle(n, nh->ip);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		/* Any IPv4 route change may move destinations: route them all again. */
		if (((const struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_family == AF_INET)
			n->sweep_pos = 0;
		break;
	}
	return MNL_CB_OK;
}

static void events_drain(struct slb_neigh *n)
{
	int ret = slb_nl_events(&n->ev, NEIGH_EVENT_BATCH, event_cb, n);

	if (ret == -ENOBUFS)
		n->resync = true; /* the kernel dropped events: start over */
	else if (ret)
		NEIGH_LOG(ERR, "netlink events: %s", strerror(-ret));
}

static void asks_drain(struct slb_neigh *n)
{
	uint32_t dsts[NEIGH_ASK_BATCH];
	unsigned got = rte_ring_sc_dequeue_burst_elem(n->asks, dsts, sizeof(dsts[0]),
						      NEIGH_ASK_BATCH, NULL);

	for (unsigned k = 0; k < got; k++)
		ask_handle(n, dsts[k]);
}

static void sweep_step(struct slb_neigh *n)
{
	unsigned done = 0;

	while (n->sweep_pos != NO_SLOT && done < NEIGH_SWEEP_BATCH) {
		uint32_t i = n->sweep_pos;

		n->sweep_pos = i + 1 < NEIGH_MAX_DSTS ? i + 1 : NO_SLOT;
		if (n->meta[i].used) {
			dst_resolve(n, i);
			done++;
		}
	}
}

static void *neigh_thread(void *arg)
{
	struct slb_neigh *n = arg;
	struct pollfd pfd = { .fd = slb_nl_fd(&n->ev), .events = POLLIN };
	int ret;

	while (!__atomic_load_n(&n->stop, __ATOMIC_ACQUIRE)) {
		if (poll(&pfd, 1, NEIGH_POLL_MS) > 0)
			events_drain(n);
		if (n->resync) {
			n->resync = false;
			ret = neigh_dump(n);
			if (ret < 0) {
				NEIGH_LOG(ERR, "neighbour dump: %s", strerror(-ret));
				n->resync = true;
			}
			n->sweep_pos = 0;
		}
		asks_drain(n);
		sweep_step(n);
	}
	return NULL;
}

/* ---- start and stop --------------------------------------------------------- */

static int neigh_ports(struct slb_neigh *n, const struct slb_neigh_port *ports,
		       unsigned n_ports, char *err, size_t errlen)
{
	if (!ports || n_ports == 0 || n_ports > RTE_MAX_ETHPORTS) {
		snprintf(err, errlen, "neigh: need 1 to %d ports, got %u", RTE_MAX_ETHPORTS,
			 n_ports);
		return -1;
	}
	for (unsigned i = 0; i < n_ports; i++) {
		unsigned ifindex = ports[i].iface ? if_nametoindex(ports[i].iface) : 0;

		if (ports[i].port_id >= RTE_MAX_ETHPORTS) {
			snprintf(err, errlen, "neigh: port id %u out of range (max %d)",
				 ports[i].port_id, RTE_MAX_ETHPORTS - 1);
			return -1;
		}
		if (ifindex == 0) {
			snprintf(err, errlen, "neigh: interface %s of port %u: %s",
				 ports[i].iface ? ports[i].iface : "(none)", ports[i].port_id,
				 ports[i].iface ? strerror(errno) : "no name given");
			return -1;
		}
		if (port_by_ifindex(n, (int)ifindex)) {
			snprintf(err, errlen, "neigh: interface %s given for two ports",
				 ports[i].iface);
			return -1;
		}
		n->ports[n->n_ports++] = (struct port_if){ .ifindex = (int)ifindex,
							   .port_id = ports[i].port_id };
	}
	return 0;
}

static int neigh_tables(struct slb_neigh *n, char *err, size_t errlen)
{
	static uint32_t instances;
	uint32_t id = __atomic_fetch_add(&instances, 1, __ATOMIC_RELAXED);
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = NEIGH_MAX_DSTS,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		/* EXT_TABLE: an insert never fails before NEIGH_MAX_DSTS keys. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	n->tsc_per_ms = rte_get_tsc_hz() / 1000;
	if (n->tsc_per_ms == 0) {
		snprintf(err, errlen, "neigh: no TSC frequency: is the EAL initialised?");
		return -1;
	}
	snprintf(name, sizeof(name), "slb_neigh_%u", id);
	n->dsts = rte_hash_create(&hp);
	n->asks = rte_ring_create_elem(name, sizeof(uint32_t), NEIGH_RING_SIZE, SOCKET_ID_ANY,
				       RING_F_SC_DEQ);
	if (!n->dsts || !n->asks) {
		snprintf(err, errlen, "neigh: cannot create the %s: %s",
			 n->dsts ? "ask ring" : "destination hash", rte_strerror(rte_errno));
		return -1;
	}
	n->slots = aligned_alloc(RTE_CACHE_LINE_SIZE, NEIGH_MAX_DSTS * sizeof(*n->slots));
	n->recent = calloc(NEIGH_RECENT, sizeof(*n->recent));
	n->meta = calloc(NEIGH_MAX_DSTS, sizeof(*n->meta));
	if (!n->slots || !n->recent || !n->meta) {
		snprintf(err, errlen, "neigh: out of memory for %u destinations", NEIGH_MAX_DSTS);
		return -1;
	}
	memset(n->slots, 0, NEIGH_MAX_DSTS * sizeof(*n->slots));
	for (uint32_t i = 0; i < NEIGH_MAX_DSTS; i++)
		n->meta[i].next = i + 1 < NEIGH_MAX_DSTS ? i + 1 : NO_SLOT;
	n->free_head = 0;
	n->sweep_pos = NO_SLOT;
	return 0;
}

static int neigh_sockets(struct slb_neigh *n, char *err, size_t errlen)
{
	int rcvbuf = 4 << 20;

	/* Events first, so that no change falls between the dump and them. */
	if (slb_nl_open(&n->ev, RTMGRP_NEIGH | RTMGRP_IPV4_ROUTE, "neigh", err, errlen) < 0)
		return -1;
	/* A bigger buffer makes overruns (and the resync they cost) rarer;
	 * FORCE needs CAP_NET_ADMIN and is only an improvement. */
	if (setsockopt(slb_nl_fd(&n->ev), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		(void)setsockopt(slb_nl_fd(&n->ev), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf));
	return slb_nl_open(&n->req, 0, "neigh", err, errlen);
}

static void neigh_free(struct slb_neigh *n)
{
	for (unsigned b = 0; b < NEIGH_NH_BUCKETS; b++) {
		struct nh *nh = n->nh_buckets[b], *next;

		for (; nh; nh = next) {
			next = nh->chain;
			free(nh);
		}
	}
	slb_nl_close(&n->ev);
	slb_nl_close(&n->req);
	rte_hash_free(n->dsts);
	rte_ring_free(n->asks);
	free(n->slots);
	free(n->recent);
	free(n->meta);
	free(n);
}

struct slb_neigh *slb_neigh_start(const struct slb_neigh_port *ports, unsigned n_ports,
				  char *err, size_t errlen)
{
	struct slb_neigh *n = calloc(1, sizeof(*n));
	int ret;

	if (!n) {
		snprintf(err, errlen, "neigh: out of memory");
		return NULL;
	}
	if (neigh_ports(n, ports, n_ports, err, errlen) < 0 ||
	    neigh_tables(n, err, errlen) < 0 || neigh_sockets(n, err, errlen) < 0)
		goto fail;
	ret = neigh_dump(n);
	if (ret < 0) {
		snprintf(err, errlen, "neigh: neighbour dump: %s", strerror(-ret));
		goto fail;
	}
	ret = pthread_create(&n->thread, NULL, neigh_thread, n);
	if (ret != 0) {
		snprintf(err, errlen, "neigh: control thread: %s", strerror(ret));
		goto fail;
	}
	pthread_setname_np(n->thread, "slb-neigh");
	n->running = true;
	return n;
fail:
	neigh_free(n);
	return NULL;
}

void slb_neigh_stop(struct slb_neigh *n)
{
	if (!n)
		return;
	if (n->running) {
		__atomic_store_n(&n->stop, true, __ATOMIC_RELEASE);
		pthread_join(n->thread, NULL);
	}
	neigh_free(n);
}
