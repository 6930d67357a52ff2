/* SPDX-License-Identifier: BSD-3-Clause */
#include <linux/if_ether.h>
#include <arpa/inet.h>
#include <linux/ip.h>
#include <string.h>

#include "ipv4_reasm.h"

#define UNIT 8u /* fragment offsets count 8-byte units (RFC 791) */
#define MORE_FRAGMENTS 0x2000u
#define OFFSET_MASK 0x1fffu

void slb_reasm_init(struct slb_reasm *t, uint8_t *mem, uint64_t timeout)
{
	memset(t, 0, sizeof(*t));
	t->timeout = timeout;
	for (unsigned i = 0; i < SLB_REASM_SLOTS; i++)
		t->slot[i].buf = mem + (size_t)i * SLB_REASM_BUF;
}

static void release(struct slb_reasm *t, struct slb_reasm_slot *s)
{
	s->used = false;
	t->used--;
}

/* Drops a datagram: its fragments so far, and `more` not yet added. */
static void discard(struct slb_reasm *t, struct slb_reasm_slot *s, struct slb_lcore_stats *st,
		    enum slb_drop why, uint32_t more)
{
	st->drops[why] += s->n_frags + more;
	release(t, s);
}

static bool same_datagram(const struct slb_reasm_slot *s, const struct iphdr *ip)
{
	return s->used && s->saddr == ip->saddr && s->daddr == ip->daddr && s->id == ip->id &&
	       s->proto == ip->protocol;
}

/* A free slot; when there is none, the one nearest its deadline goes. */
static struct slb_reasm_slot *free_slot(struct slb_reasm *t, struct slb_lcore_stats *st)
{
	struct slb_reasm_slot *oldest = &t->slot[0];

	for (unsigned i = 0; i < SLB_REASM_SLOTS; i++) {
		if (!t->slot[i].used)
			return &t->slot[i];
		if (t->slot[i].deadline < oldest->deadline)
			oldest = &t->slot[i];
	}
	discard(t, oldest, st, SLB_DROP_FRAG_DROPPED, 0);
	return oldest;
}

static struct slb_reasm_slot *slot_of(struct slb_reasm *t, const struct iphdr *ip, uint64_t now,
				      struct slb_lcore_stats *st)
{
	for (unsigned i = 0; i < SLB_REASM_SLOTS; i++)
		if (same_datagram(&t->slot[i], ip))
			return &t->slot[i];
	struct slb_reasm_slot *s = free_slot(t, st);
	uint8_t *buf = s->buf;

	*s = (struct slb_reasm_slot){ .saddr = ip->saddr, .daddr = ip->daddr, .id = ip->id,
				      .proto = ip->protocol, .deadline = now + t->timeout,
				      .buf = buf, .used = true };
	t->used++;
	return s;
}

/* How many of the 8-byte units [first, end) are received already. */
static uint32_t units_set(const struct slb_reasm_slot *s, uint32_t first, uint32_t end)
{
	uint32_t n = 0;

	for (uint32_t u = first; u < end; u++)
		n += (s->units[u / 64] >> (u % 64)) & 1;
	return n;
}

static void set_units(struct slb_reasm_slot *s, uint32_t first, uint32_t end)
{
	for (uint32_t u = first; u < end; u++)
		s->units[u / 64] |= 1ull << (u % 64);
}

/* Whether a fragment can be one at all (see the header), before it takes
 * a slot: a bogus one must not evict a datagram. */
static bool valid(uint32_t off, uint32_t len, bool more)
{
	return len && off + len <= SLB_REASM_PAYLOAD_MAX && !(more && len % UNIT);
}

/* Whether a fragment fits with what the slot holds: one end. */
static bool consistent(const struct slb_reasm_slot *s, uint32_t off, uint32_t len, bool more)
{
	uint32_t end = off + len;

	if (!more)
		return !s->total && s->max_end <= end;
	return !s->total || end <= s->total;
}

/* The datagram is whole: its first fragment's headers, fixed, before it. */
static bool finish(struct slb_reasm *t, struct slb_reasm_slot *s, struct slb_lcore_stats *st,
		   struct slb_frame *whole)
{
	uint8_t *frame = s->buf + SLB_REASM_PAYLOAD_AT - s->hdr_len;
	uint32_t ip_len = s->hdr_len - ETH_HLEN + s->total;
	struct iphdr ip;

	if (ip_len > 65535) {
		discard(t, s, st, SLB_DROP_FRAG_DROPPED, 0);
		return false;
	}
	memcpy(&ip, frame + ETH_HLEN, sizeof(ip));
	ip.tot_len = htons((uint16_t)ip_len);
	ip.frag_off = 0;
	memcpy(frame + ETH_HLEN, &ip, sizeof(ip)); /* the proxy sums the header it sends */
	*whole = (struct slb_frame){ .data = frame, .len = s->hdr_len + s->total,
				     .headroom = SLB_REASM_PAYLOAD_AT - s->hdr_len,
				     .tailroom = SLB_REASM_BUF - SLB_REASM_PAYLOAD_AT - s->total };
	st->reassembled++;
	release(t, s);
	return true;
}

bool slb_reasm_add(struct slb_reasm *t, const uint8_t *frame, uint64_t now,
		   struct slb_lcore_stats *st, struct slb_frame *whole)
{
	struct iphdr ip;

	memcpy(&ip, frame + ETH_HLEN, sizeof(ip));
	uint32_t hl = ip.ihl * 4u, len = ntohs(ip.tot_len) - hl;
	uint32_t off = (ntohs(ip.frag_off) & OFFSET_MASK) * UNIT;
	bool more = ip.frag_off & htons(MORE_FRAGMENTS);

	if (!valid(off, len, more)) {
		st->drops[SLB_DROP_FRAG_DROPPED]++;
		return false;
	}
	struct slb_reasm_slot *s = slot_of(t, &ip, now, st);
	uint32_t first = off / UNIT, end = (off + len + UNIT - 1) / UNIT;
	uint32_t seen = units_set(s, first, end);

	if (seen == end - first) { /* a duplicate: the first copy stays */
		st->drops[SLB_DROP_FRAG_DROPPED]++;
		return false;
	}
	if (seen || !consistent(s, off, len, more)) {
		discard(t, s, st, SLB_DROP_FRAG_DROPPED, 1);
		return false;
	}
	set_units(s, first, end);
	memcpy(s->buf + SLB_REASM_PAYLOAD_AT + off, frame + ETH_HLEN + hl, len);
	if (!off) {
		s->hdr_len = (uint8_t)(ETH_HLEN + hl);
		memcpy(s->buf + SLB_REASM_PAYLOAD_AT - s->hdr_len, frame, s->hdr_len);
	}
	s->n_frags++;
	s->have += len;
	s->max_end = off + len > s->max_end ? off + len : s->max_end;
	if (!more)
		s->total = off + len;
	return s->total && s->have == s->total && s->hdr_len && finish(t, s, st, whole);
}

void slb_reasm_expire(struct slb_reasm *t, uint64_t now, struct slb_lcore_stats *st)
{
	for (unsigned i = 0; i < SLB_REASM_SLOTS && t->used; i++)
		if (t->slot[i].used && now >= t->slot[i].deadline)
			discard(t, &t->slot[i], st, SLB_DROP_FRAG_TIMEOUT, 0);
}
