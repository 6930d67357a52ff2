/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP fast path (bpf/siplb_xdp.bpf.c): the records and maps it shares
 * with siplbd (which creates, fills and sums them) and siplb-dp (which
 * attaches it to its af_xdp ports). Besides the state maps of state.h:
 *
 *   xdp_stats  PERCPU_ARRAY 1 x struct slb_xdp_stats   counters per CPU
 *   nexthop    ARRAY backend id -> struct slb_nexthop  DSR next hops, from
 *              the kernel's neighbour table (siplbd keeps it filled);
 *              ifindex 0 = none yet. An array: the verifier inlines its
 *              lookup, a hash lookup costs ~25 ns a packet.
 *   src_rate   LRU_HASH struct slb_addr -> __u64       per-source GCRA state
 *              (the source address, port 0: addr.h)
 *   vip_rate   ARRAY SLB_MAX_VIPS x __u64              per-VIP GCRA state
 *   block4     LPM_TRIE struct slb_lpm4 -> __u8        blocked IPv4 prefixes
 *   block6     LPM_TRIE struct slb_lpm6 -> __u8        blocked IPv6 prefixes
 *   rule_src   LPM_TRIE struct slb_rule_src_key -> struct slb_xdp_rule
 *              the routing rules offloaded to XDP (docs/rules.md, "In XDP"):
 *              per VIP and generation slot, a source prefix -> drop, or a
 *              per-source rate
 *   rule_rate  LRU_HASH struct slb_rule_rate_key -> __u64  their GCRA state
 *   rule_hits  PERCPU_ARRAY SLB_XDP_RULE_HITS x __u64: messages each
 *              offloaded rule dropped (slb_xdp_rule.hit)
 *   port_mac   ARRAY ifindex % SLB_XDP_PORT_ENTRIES -> struct slb_port_mac
 *              the MAC of each interface the program is attached to, written
 *              by whoever attaches it (bpf/siplb_xdp.c)
 *
 * All are pinned next to the state maps; the program reuses them by fd
 * (bpf_map__reuse_fd), so every attached copy shares one state.
 *
 * Rate limits are GCRA (a token bucket kept as one "theoretical arrival
 * time" per key): a packet passes when now >= tat - burst * interval, and
 * moves tat to max(tat, now) + interval. Updates race benignly between CPUs
 * (a burst may pass a few packets over): no lock on the packet path.
 */
#ifndef SIPLB_XDP_H
#define SIPLB_XDP_H

#include <linux/types.h>

#include "siplb/addr.h"
#include "siplb/state.h"

#define SLB_XDP_CALLID_WINDOW 1500 /* payload bytes searched for Call-ID */
#define SLB_XDP_SRC_RATE_ENTRIES 65536
#define SLB_XDP_BLOCK_ENTRIES 16384
#define SLB_XDP_NEXTHOP_ENTRIES SLB_MAX_BACKENDS
#define SLB_XDP_PORT_ENTRIES 4096 /* a power of two: the program masks */
#define SLB_XDP_RULE_ENTRIES 8192 /* offloaded rules per generation (rule_src
				   * holds two generations) */
#define SLB_XDP_RULE_RATE_ENTRIES 65536
#define SLB_XDP_RULE_HITS (2 * SLB_XDP_RULE_ENTRIES) /* counters: a rule new in a
							* generation gets one the
							* active one does not use */

/*
 * How long after siplb-dp's last heartbeat (control.readers[].heartbeat_ns)
 * SIP for a proxy VIP that finds no AF_XDP socket is dropped (drop
 * no_dataplane: the client retransmits, a restarted siplb-dp takes it)
 * rather than passed to the kernel (pass no_steer: with no listener the
 * kernel answers ICMP port unreachable, and the client fails over, RFC
 * 3263). Covers a supervisor restarting a crashed siplb-dp (docs/xdp.md).
 */
#define SLB_DP_RESTART_GRACE_NS 10000000000ULL

/* A bit of slb_vip.flags (state.h, beside SLB_VIP_RECORD_ROUTE): the VIP
 * has rules offloaded to XDP in this generation, so the program looks up
 * rule_src for it; the other VIPs pay nothing for them. */
#define SLB_VIP_XDP_RULES 0x02

#define SLB_MAP_XDP_STATS "xdp_stats"
#define SLB_MAP_NEXTHOP "nexthop"
#define SLB_MAP_SRC_RATE "src_rate"
#define SLB_MAP_VIP_RATE "vip_rate"
#define SLB_MAP_BLOCK4 "block4"
#define SLB_MAP_BLOCK6 "block6"
#define SLB_MAP_PORT_MAC "port_mac"
#define SLB_MAP_RULE_SRC "rule_src"
#define SLB_MAP_RULE_RATE "rule_rate"
#define SLB_MAP_RULE_HITS "rule_hits"

struct slb_lpm4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct slb_lpm6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/*
 * A rule offloaded to XDP, under the key (generation slot, VIP, source
 * prefix): vip = slot * SLB_MAX_VIPS + the VIP's index, so that a
 * generation's entries are written before its flip and read only by packets
 * of that generation (as the state's slots). The VIP is part of the key: one
 * VIP's rule never touches another's traffic. prefixlen counts the vip word
 * too (32 + the prefix's length); a packet is looked up with 32 + 32
 * (IPv4, in addr[0..3]) or 32 + 128. The offloaded rules of one VIP and
 * generation never nest (control/rules/rules_xdp.c), so the longest match
 * is the only one.
 */
struct slb_rule_src_key {
	__u32 prefixlen;
	__u32 vip;
	__u8 addr[16];
};

struct slb_xdp_rule {
	__u32 rule;   /* its index in the VIP's rules (first is 0) */
	__u32 hit;    /* its counter in rule_hits */
	__u32 rate;   /* messages per second per source; 0: drop them all */
	__u32 burst;
	__be16 sport; /* the rule's source_port, network order; 0: any */
	__u16 pad;
	__u32 epoch;  /* low half of the generation in which the VIP's rule list
		       * last changed (slb_vip_rules.changed): its counter restarts
		       * with the list's, as siplb-dp's do */
};

/* Per source, VIP and rule: a rule whose rate changes starts afresh. */
struct slb_rule_rate_key {
	struct slb_addr src; /* port 0, as src_rate's */
	__u16 vip, rule;     /* vip without the slot */
	__u32 rate, burst;
};

/* Where a DSR packet for a backend goes: the same interface it came in on
 * (XDP_TX) or another one (redirect). */
struct slb_nexthop {
	__u8 dst_mac[6];
	__u8 src_mac[6];
	__u32 ifindex;
	__u16 mtu;       /* of that interface: encapsulated packets above go to the kernel */
	__u16 pad;
};

/* The MAC of the interface ifindex: frames to another unicast MAC (the
 * kernel's PACKET_OTHERHOST) are passed untouched. The slot is ifindex %
 * SLB_XDP_PORT_ENTRIES; one holding another ifindex is no MAC known. */
struct slb_port_mac {
	__u32 ifindex; /* 0: empty */
	__u8 mac[6];
	__u8 pad[2];
};

/* The program's own frags map (not pinned; bpf/xdp_frag.h): an IPv4
 * datagram whose first fragment was steered, by its reassembly key (RFC
 * 791), -> when, and the UDP port its later fragments lack. */
struct slb_frag_key {
	__be32 saddr, daddr;
	__be16 id;
	__u8 proto;
	__u8 pad;
};

struct slb_frag {
	__u64 first_ns; /* bpf_ktime_get_ns() when the first fragment was steered */
	__be16 dport;
	__u16 pad[3];
};

enum slb_xdp_verdict {
	SLB_XDP_STEER = 0, /* to siplb-dp's AF_XDP socket (proxy-mode VIPs) */
	SLB_XDP_DSR,       /* encapsulated to a backend, sent from XDP */
	SLB_XDP_PASS,      /* to the kernel: see pass reasons */
	SLB_XDP_DROP,      /* see drop reasons */
	SLB_XDP_VERDICT_COUNT
};
#define SLB_XDP_VERDICT_NAMES "steer", "dsr", "pass", "drop"

enum slb_xdp_pass {
	SLB_XDP_PASS_NOT_IP = 0,   /* ARP, other EtherTypes */
	SLB_XDP_PASS_NOT_UDP,      /* ICMP, TCP (SSH), ... */
	SLB_XDP_PASS_NOT_VIP,      /* UDP to another address or port */
	SLB_XDP_PASS_FRAGMENT,     /* IPv4/IPv6 fragments: the kernel reassembles */
	SLB_XDP_PASS_TRUNCATED,    /* shorter than its headers say */
	SLB_XDP_PASS_NO_CALLID,    /* DSR: no Call-ID in the first 1500 bytes */
	SLB_XDP_PASS_NO_BACKEND,   /* DSR: the pool has no backend up */
	SLB_XDP_PASS_NO_NEXTHOP,   /* DSR: the backend's MAC is not known yet */
	SLB_XDP_PASS_TOO_BIG,      /* DSR: over the MTU once encapsulated */
	SLB_XDP_PASS_NO_STEER,     /* proxy VIP but no AF_XDP socket on this queue */
	SLB_XDP_PASS_OTHER_HOST,   /* to another host's unicast MAC (a switch flooding) */
	SLB_XDP_PASS_COUNT
};
/* Their names, in enum order: siplbd's counters and its metrics. */
#define SLB_XDP_PASS_NAMES "not_ip", "not_udp", "not_vip", "fragment", "truncated", "no_callid", \
	"no_backend", "no_nexthop", "too_big", "no_steer", "other_host"

enum slb_xdp_drop {
	SLB_XDP_DROP_BLOCKED = 0,  /* source in the blocklist */
	SLB_XDP_DROP_SOURCE_RATE,  /* source over its rate */
	SLB_XDP_DROP_VIP_RATE,     /* VIP over its cap */
	SLB_XDP_DROP_NO_DATAPLANE, /* proxy VIP, no socket, siplb-dp seen within the grace */
	SLB_XDP_DROP_RULE,         /* a routing rule's drop, offloaded */
	SLB_XDP_DROP_RULE_RATE,    /* over a routing rule's per-source rate, offloaded */
	SLB_XDP_DROP_COUNT
};
/* Their names, in enum order: siplbd's counters and its metrics. */
#define SLB_XDP_DROP_NAMES "blocked", "source_rate", "vip_rate", "no_dataplane", "rule", \
	"rule_rate"

/* What a steer verdict steered. */
enum slb_xdp_steer {
	SLB_XDP_STEER_WHOLE = 0,   /* a whole UDP datagram */
	SLB_XDP_STEER_FIRST_FRAG,  /* IPv4 fragment at offset 0: it has the ports */
	SLB_XDP_STEER_LATER_FRAG,  /* IPv4 fragment matched to a steered first one */
	SLB_XDP_STEER_COUNT
};

struct slb_xdp_counter {
	__u64 pkts, bytes;
};

/* DSR counts SIP bytes (the UDP payload), as siplb-dp's counters do, so
 * that a VIP's or a backend's messages and bytes add up across both modes. */
struct slb_xdp_stats {
	struct slb_xdp_counter vip[SLB_MAX_VIPS];         /* SIP packets to a VIP, offered:
							   * frames and their bytes, before
							   * flood protection */
	struct slb_xdp_counter dsr_vip[SLB_MAX_VIPS];     /* DSR messages sent, per VIP */
	struct slb_xdp_counter backend[SLB_MAX_BACKENDS]; /* DSR messages sent, per backend */
	__u64 verdict[SLB_XDP_VERDICT_COUNT];
	__u64 pass[SLB_XDP_PASS_COUNT];
	__u64 drop[SLB_XDP_DROP_COUNT];
	__u64 steer[SLB_XDP_STEER_COUNT];
	__u64 no_port_mac; /* UDP frames on a port with no MAC in port_mac: not checked */
};

#endif
