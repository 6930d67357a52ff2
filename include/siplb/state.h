/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state siplbd publishes and the dataplane (siplb-dp, and the XDP
 * program) reads: the layouts of the pinned BPF maps, defined once for the
 * kernel and user space.
 *
 * Maps, all BPF_MAP_TYPE_ARRAY with BPF_F_MMAPABLE, pinned under the bpffs
 * directory (default /sys/fs/bpf/siplb):
 *   control  1 x struct slb_control: the active generation, reader epochs
 *   state    2 x struct slb_state: two complete generations (double buffer)
 *   maglev   table_capacity x __u64: the pools' Maglev tables, two slots of
 *            table_capacity __u32 each, seen through mmap as one flat __u32
 *            array (slot s, table index t: flat s * table_capacity + t).
 *            Elements are 8 bytes so that the mmap has no gaps (the kernel
 *            rounds array elements up to 8 bytes); BPF looks up element
 *            flat / 2 and takes its low (even flat) or high (odd) half.
 *   stats    SLB_MAX_LCORES x struct slb_lcore_stats: one per worker lcore
 *   rules    2 x rules_capacity bytes as elements of 8: the VIPs' routing
 *            rule blobs (include/siplb/rules.h), slot s at byte
 *            s * rules_capacity; slb_state.rules[v] says where VIP v's is
 *   rule_stats  SLB_MAX_LCORES x rule_counters __u64 (elements of 8): hit
 *            counters of rules, lcore l's rule i of VIP v at
 *            l * rule_counters + slb_state.rules[v].counter_base + i
 *
 * Publishing (siplbd is the single writer): generation g lives in slot g & 1.
 * To publish g + 1, siplbd waits until every live reader has announced
 * epoch >= g (so nobody still reads slot (g + 1) & 1, which held g - 1),
 * writes that slot completely, then stores control.generation = g + 1: one
 * 64-bit store flips readers to the new slot, never to a half-written one.
 * Readers load control.generation once per poll-loop iteration, store it in
 * their epoch, and use that slot until the next iteration (quiescent-state
 * based reclamation, like rte_rcu_qsbr, in a shared map so that siplbd and
 * siplb-dp can restart independently). A reader whose heartbeat is older
 * than SLB_READER_TIMEOUT_NS is gone and not waited for.
 *
 * The XDP program reads the state too, one packet at a time, without
 * announcing itself: a run lasts microseconds (it is inside the kernel's RCU
 * read side). siplbd therefore also lets SLB_XDP_GRACE_NS pass after a flip
 * (control.flip_ns) before it rewrites the slot the flip retired.
 */
#define SLB_XDP_GRACE_NS 10000000ULL
#ifndef SIPLB_STATE_H
#define SIPLB_STATE_H

#ifdef __bpf__
#include <linux/types.h>
#else
#include <linux/types.h>
#include <stdint.h>
#endif

#define SLB_STATE_MAGIC 0x534c4253u /* "SLBS" */
#define SLB_STATE_VERSION 9u

#define SLB_MAX_VIPS 64
#define SLB_MAX_POOLS 64
#define SLB_MAX_BACKENDS 1024 /* across all pools; a backend's id is its index */
#define SLB_MAX_LCORES 128
#define SLB_NAME_LEN 32
#define SLB_READER_TIMEOUT_NS 1000000000ULL

#define SLB_MAP_CONTROL "control"
#define SLB_MAP_STATE "state"
#define SLB_MAP_MAGLEV "maglev"
#define SLB_MAP_STATS "stats"
#define SLB_MAP_RULES "rules"
#define SLB_MAP_RULE_STATS "rule_stats"

enum slb_vip_mode {
	SLB_MODE_PROXY = 0, /* stateless RFC 3261 §16.11 proxy in siplb-dp */
	SLB_MODE_DSR = 1,   /* direct server return, in XDP */
};

#define SLB_VIP_RECORD_ROUTE 0x01 /* Record-Route INVITE/SUBSCRIBE dialogs */

/* Kamailio's dispatcher knows these as active, inactive, probing, ... */
enum slb_backend_state {
	SLB_BACKEND_UNUSED = 0, /* free id */
	SLB_BACKEND_UP,         /* in the Maglev table */
	SLB_BACKEND_DOWN,       /* failed health checks: out of the table */
	SLB_BACKEND_PROBING,    /* coming back: out of the table until it rises */
	SLB_BACKEND_DRAINING,   /* out of the table; in-dialog traffic still goes */
	SLB_BACKEND_DISABLED,   /* set by the operator: no traffic at all */
};

/*
 * A VIP's and a backend's address are a struct slb_addr (addr.h) split into
 * family, addr, addr6 and port (network byte order): the layout the XDP
 * program and running dataplanes of SLB_STATE_VERSION 6 read, kept rather
 * than changed under them. slb_addr_from_state / slb_addr_to_state (and
 * SLB_STATE_ADDR) are the one way between the two.
 */
struct slb_vip {
	__u32 addr;   /* IPv4, network byte order; 0 for an IPv6 VIP */
	__u16 port;   /* network byte order */
	__u8 mode;    /* enum slb_vip_mode */
	__u8 flags;   /* SLB_VIP_* */
	__u32 pool;   /* index into slb_state.pools */
	char name[SLB_NAME_LEN];
	char host[16]; /* addr as text, NUL-terminated: our Via and Record-Route */
	__u8 family;   /* AF_INET or AF_INET6 (IPv6: DSR only, for now) */
	__u8 pad[3];
	__u8 addr6[16];
	__u32 rate_pps;  /* XDP cap on SIP packets per second; 0: none */
	__u32 rate_burst;
};

struct slb_pool {
	__u32 table_off;  /* first slot of its table in this generation's maglev slot */
	__u32 table_size; /* prime; 0 = no backend up: answer 503 */
	__u64 seed;       /* Call-ID hash seed of this pool */
	char name[SLB_NAME_LEN];
};

struct slb_backend {
	__u32 addr;   /* IPv4, network byte order */
	__u16 port;   /* network byte order */
	__u16 weight;
	__u8 state;   /* enum slb_backend_state */
	__u8 family;  /* AF_INET or AF_INET6 */
	__u8 flags;   /* SLB_BACKEND_F_*: for siplbctl and siplbd --stats only */
	__u8 pad;
	__u32 pool;
	__u8 addr6[16];
};

/* Up, but draining because a more preferred priority group takes the calls
 * (slb_srv_select): "standby" to the operator; the dataplanes see draining. */
#define SLB_BACKEND_F_STANDBY 0x01

/* Direct server return: the outer header siplb puts on a packet. */
enum slb_encap {
	SLB_ENCAP_IPIP = 0, /* IPv4-in-IPv4 (proto 4) or IPv6-in-IPv6 (proto 41) */
	SLB_ENCAP_GUE,      /* IP in UDP (GUE, RFC draft-ietf-intarea-gue) */
};

struct slb_dsr {
	__u32 src4;       /* outer source, IPv4 */
	__u8 src6[16];    /* outer source, IPv6 */
	__u8 encap;       /* enum slb_encap */
	__u8 pad;
	__u16 gue_port;   /* network byte order */
};

/*
 * Keys of the MAC in siplb's Via branch (include/siplb/proxy.h): responses
 * are relayed only when their top Via carries a MAC made with one of them.
 * key[0] signs and verifies; key[1], when n is 2, only verifies (rotation:
 * docs/security.md). Shared by every instance behind one VIP.
 */
#define SLB_BRANCH_KEY_LEN 16 /* SipHash-2-4 */
#define SLB_BRANCH_KEYS 2
struct slb_branch_keys {
	__u32 n;     /* 1 or 2 */
	__u32 pad;
	__u8 key[SLB_BRANCH_KEYS][SLB_BRANCH_KEY_LEN];
};

/*
 * A VIP's routing rules in one generation (docs/rules.md): its blob in the
 * generation's slot of the rules map, and where its hit counters are.
 * Counters belong to a rule's position: siplb-dp zeroes its own lcore's
 * range of a VIP when `changed` or counter_base moves (a reset, as
 * Prometheus counters know them).
 */
struct slb_vip_rules {
	__u32 blob_off;     /* bytes into the slot, a multiple of 8 */
	__u32 blob_len;     /* 0: the VIP has no rules */
	__u32 counter_base; /* its n_rules counters per lcore in rule_stats */
	__u32 n_rules;
	__u64 changed;      /* generation in which the blob last changed */
	__u64 pools;        /* bit p: some rule sends to pool p (in-dialog
			     * requests may then go to its backends) */
};

/*
 * SIP capture (docs/capture.md): siplb-dp mirrors what it sends as HEP v3
 * to a collector. Published with the generation like the rest, so that
 * `siplbctl capture start|stop` reach siplb-dp the way every change does.
 */
#define SLB_CAPTURE_PASSWORD_LEN 32
#define SLB_CAPTURE_ALL_VIPS (~0ULL)
#define SLB_CAPTURE_PCAP_NAME_LEN 64
struct slb_capture {
	__u32 sample;   /* 0: off; 1: every message; N: one in N (per lcore) */
	__u32 rate;     /* HEP packets per second at most; over it: counted drops */
	__u64 vips;     /* bit v: messages of VIP v; SLB_CAPTURE_ALL_VIPS: all */
	__u8 family;    /* the collector's: AF_INET or AF_INET6 */
	__u8 pad;
	__u16 port;     /* network order */
	__u32 agent_id; /* HEP capture agent id */
	__u8 addr[16];  /* IPv4 in [0..3] */
	char password[SLB_CAPTURE_PASSWORD_LEN]; /* HEP auth key; "": none */
	/* A pcap file of some VIPs (siplbctl capture start --pcap NAME): what
	 * siplb-dp receives for them and sends from them, as tcpdump on the
	 * VIP would show it, into pcap_name.pcap in the configuration's
	 * capture.pcap_dir (siplb-dp's own: never a path from the socket). */
	__u64 pcap_vips;   /* bit v: VIP v; 0: no file */
	__u32 pcap_id;     /* one per start: a new id, a new file */
	__u32 pcap_max_mb; /* the file's size at most; past it: pcap_dropped */
	char pcap_name[SLB_CAPTURE_PCAP_NAME_LEN]; /* [A-Za-z0-9._-], no leading '.' */
};

/* One complete generation. */
struct slb_state {
	__u64 generation;
	__u32 n_vips, n_pools, n_backends; /* used prefix of each array */
	__u32 pad;
	struct slb_dsr dsr;
	__u32 src_rate_pps;   /* XDP per-source cap on SIP to VIPs; 0: none */
	__u32 src_rate_burst;
	__u32 n_block4, n_block6; /* blocklist prefixes: XDP skips an empty trie */
	struct slb_branch_keys branch_keys;
	struct slb_vip vips[SLB_MAX_VIPS];
	struct slb_pool pools[SLB_MAX_POOLS];
	struct slb_backend backends[SLB_MAX_BACKENDS];
	struct slb_vip_rules rules[SLB_MAX_VIPS];
	struct slb_capture capture;
};

/* A slot's owner (pid, pidns) lets a restarted siplb-dp take over the slots
 * of one that died without waiting for their heartbeats to go stale: see
 * slb_reader_live (state_maps.h). pid 0: not known (a reader that never
 * said), so only the heartbeat counts. */
struct slb_reader {
	__u64 epoch;        /* generation this reader is using */
	__u64 heartbeat_ns; /* CLOCK_MONOTONIC; 0 = never registered */
	__u32 pid;          /* the owner process, in the PID namespace below */
	__u32 pad0;
	__u64 pidns;        /* inode of the owner's /proc/self/ns/pid */
	__u64 pad[4];       /* one cache line per reader */
};

struct slb_control {
	__u32 magic;          /* SLB_STATE_MAGIC */
	__u32 version;        /* SLB_STATE_VERSION */
	__u32 table_capacity; /* maglev map entries per slot */
	__u32 rules_capacity; /* rules map bytes per slot, a multiple of 8 */
	__u64 generation;     /* active generation: slot = generation & 1 */
	__u64 flip_ns;        /* CLOCK_MONOTONIC of the last flip (see below) */
	__u32 rule_counters;  /* rule_stats counters per lcore */
	__u32 pad1;
	__u64 pad2[3];
	struct slb_reader readers[SLB_MAX_LCORES];
};

/* Why a packet was dropped, or answered instead of forwarded. */
enum slb_drop {
	SLB_DROP_NOT_SIP = 0,      /* not IPv4/UDP to a VIP or from a backend */
	SLB_DROP_MALFORMED,        /* the scanner rejected it: see sip_reasons */
	SLB_DROP_NO_ROOM,          /* edit did not fit in the buffer or the MTU */
	SLB_DROP_NOT_OURS,         /* response whose top Via does not name us */
	SLB_DROP_NO_ROUTE,         /* response/request without a usable next hop */
	SLB_DROP_NEIGH_PENDING,    /* next-hop MAC unknown yet: resolution asked */
	SLB_DROP_TX_FULL,          /* TX ring full */
	SLB_DROP_IP_FRAGMENT,      /* IPv4 fragment not to a proxy VIP */
	SLB_DROP_BAD_MAC,          /* response: our Via, but its branch MAC fails */
	SLB_DROP_WRONG_SOURCE,     /* response: proven branch, not from its backend */
	SLB_DROP_BAD_CHECKSUM,     /* UDP checksum wrong */
	SLB_DROP_FRAG_TIMEOUT,     /* IPv4 fragment of a datagram not whole in time */
	SLB_DROP_FRAG_DROPPED,     /* IPv4 fragment overlapping, too far, or evicted */
	SLB_DROP_NO_MBUF,          /* no mbuf for a datagram's copy or its fragments */
	SLB_DROP_TRUNCATED,        /* IPv4 length past the frame (af_packet: a datagram
				    * the kernel reassembled, cut to its ring frame) */
	SLB_DROP_RULE,             /* a routing rule's `drop` (docs/rules.md) */
	SLB_DROP_RULE_RATE,        /* over a rule's rate, `over = "drop"` */
	SLB_DROP_NOT_ALLOWED,      /* allow-list VIP: no rule matched */
	SLB_DROP_COUNT
};
/* Their names, in enum order: the one list siplb-dp's counters, siplbd's
 * stats and the metrics print. */
#define SLB_DROP_NAMES                                                          \
	"not_sip", "malformed", "no_room", "not_ours", "no_route", "neigh_pending", \
	"tx_full", "ip_fragment", "bad_mac", "wrong_source", "bad_checksum",        \
	"frag_timeout", "frag_dropped", "no_mbuf", "truncated", "rule",            \
	"rule_rate", "not_allowed"

enum slb_reply {
	SLB_REPLY_483 = 0,         /* Max-Forwards exhausted */
	SLB_REPLY_503,             /* no backend up */
	SLB_REPLY_513,             /* request past 65,507 bytes of UDP with our edits */
	SLB_REPLY_RULE,            /* a rule's `reply CODE` (any code) */
	SLB_REPLY_RULE_RATE,       /* 503: over a rule's rate, `over = "reply 503"` */
	SLB_REPLY_COUNT
};
#define SLB_REPLY_CODES "483", "503", "513", "rule", "rule_rate"

struct slb_msg_counter {
	__u64 msgs, bytes;
};

/* Responses from one backend, for passive health (docs/health.md). A
 * response is its backend's by the id in siplb's Via branch (proxy.h). */
struct slb_backend_rx {
	__u64 responses; /* any status, 1xx included */
	__u64 finals;    /* of those, final (>= 200) */
	__u64 r503;      /* of those, 503 */
};

/* SIP capture: queued by the lcores, sent by siplb-dp's capture thread
 * (which counts into the main lcore's slot: other fields than the lcore's). */
struct slb_capture_stats {
	__u64 queued;      /* messages copied for the capture thread */
	__u64 queue_full;  /* not copied: its queue or the copy pool was full */
	__u64 sent;        /* HEP packets sent */
	__u64 over_rate;   /* not sent: over capture.rate */
	__u64 send_errors; /* not sent: the socket refused (errno in the log) */
	__u64 pcap_written; /* frames written to the pcap file */
	__u64 pcap_dropped; /* not written: no file open, full, or a write error (logged) */
};

/* Written by one lcore only; siplbd sums the lcores. */
struct slb_lcore_stats {
	struct slb_msg_counter vip_rx[SLB_MAX_VIPS];      /* requests in, per VIP */
	struct slb_msg_counter backend_tx[SLB_MAX_BACKENDS]; /* requests to a backend */
	struct slb_backend_rx backend_rx[SLB_MAX_BACKENDS];  /* responses from a backend */
	struct slb_msg_counter responses;                 /* responses relayed */
	struct slb_msg_counter in_dialog;                 /* routed by Route/Record-Route */
	__u64 drops[SLB_DROP_COUNT];
	__u64 replies[SLB_REPLY_COUNT];
	__u64 sip_reasons[32];     /* malformed SIP by enum slb_sip_reason */
	__u64 keepalives;
	__u64 reassembled;         /* datagrams reassembled from IPv4 fragments */
	__u64 fragmented;          /* datagrams sent as IPv4 fragments */
	struct slb_capture_stats capture;
};

#endif
