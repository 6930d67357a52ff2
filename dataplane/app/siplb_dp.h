/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb-dp, the DPDK poll-mode dataplane (docs/dataplane.md): what its
 * files share. Like DPDK's examples/l3fwd, setup (args.c, ports.c,
 * kernel.c) builds these structures once; the worker loop (worker.c) only
 * reads them, and counters.c reports at exit.
 */
#ifndef SIPLB_DP_H
#define SIPLB_DP_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>

#include "ipv4_reasm.h"
#include "sip_rules.h"
#include "siplb/config.h"
#include "siplb/log.h"
#include "siplb/proxy.h"
#include "siplb/sip_scan.h"
#include "siplb/state_maps.h"

struct slb_neigh; /* dp_neigh.h */

#define SLB_DP_BURST 32      /* packets per rte_eth_rx_burst */
/* Descriptors per RX and TX queue: af_xdp's default, as testpmd takes it. The
 * RX ring is what absorbs the worker being off its core (a 20 ms stall at
 * 100k messages/s); half of it lost messages on a busy host (bench/RESULTS.md,
 * "End to end over veth"). */
#define SLB_DP_RXD 2048
#define SLB_DP_TXD 2048
#define SLB_DP_MBUF_CACHE 256
/* Packets an lcore holds while the kernel resolves their next hop's MAC (as
 * the kernel's own unres_qlen), and for how long, before dropping them. */
#define SLB_DP_HOLD 64
#define SLB_DP_HOLD_MS 1000
/* A datagram's fragments must all arrive within this time (docs/dataplane.md). */
#define SLB_DP_REASM_MS 1000
/* How long an af_xdp start waits for a killed siplb-dp's sockets to let go
 * of the interface's queues (xsk_queue.c); well inside the XDP program's
 * hold (SLB_DP_RESTART_GRACE_NS). */
#define SLB_DP_RECLAIM_WAIT_MS 5000
/* Fragments of one datagram sent: 65,535 bytes at the smallest MTU allowed. */
#define SLB_DP_MIN_MTU 576
#define SLB_DP_MAX_FRAGS 128

/* --static-mac PORT=MAC: the next-hop MAC of a port the kernel does not see. */
struct slb_dp_static_mac {
	const char *port;
	struct rte_ether_addr mac;
};

struct slb_dp_opts {
	const char *config;
	const char *bpffs;                 /* NULL: the config's */
	struct slb_dp_static_mac static_macs[RTE_MAX_ETHPORTS];
	unsigned n_static_macs;
	uint64_t exit_when_idle_ms;        /* 0: run until SIGINT/SIGTERM */
	enum slb_log_level log_level;      /* 0: the file's log_level, or info */
	enum slb_sip_path scan_path;       /* AUTO: the fastest this CPU has */
};

struct slb_dp_port {
	uint16_t id;                       /* DPDK port id */
	const struct slb_config_port *cfg;
	const char *driver;                /* "net_af_xdp", "net_pcap", ... */
	char iface[IF_NAMESIZE];           /* kernel interface; "" when none */
	struct rte_ether_addr mac;
	uint16_t mtu;
	bool udp_cksum_offload;            /* TX: the port fills UDP checksums */
	bool rx_cksum_offload;             /* RX: it verifies them (mbuf ol_flags) */
	bool has_static_mac;               /* --static-mac: every next hop gets it */
	struct rte_ether_addr static_mac;
	uint32_t net, mask;                /* the port's prefix, network order */
	bool started;
	bool reclaimed;                    /* its start detached a killed siplb-dp's program */
};

/* A worker's TX buffer for one egress port, drained after every RX burst. */
struct slb_dp_txq {
	uint16_t n;
	struct rte_mbuf *m[SLB_DP_BURST];
};

/* A rewritten packet waiting for its next hop's MAC. */
struct slb_dp_held {
	struct rte_mbuf *m;
	struct slb_frame f;
	struct slb_out out;
	uint64_t deadline;                 /* TSC */
};

/* One worker lcore (l3fwd's lcore_conf): queue `queue` of every port. */
struct slb_dp_lcore {
	unsigned reader;                   /* rte_lcore_index: epoch and stats slot */
	uint16_t queue;
	uint64_t now;                      /* TSC at the top of this loop iteration */
	struct slb_vip_text vip_text[SLB_MAX_VIPS]; /* the proxy's, kept across bursts */
	struct slb_sender_text senders[SLB_SENDER_SLOTS]; /* the proxy's, kept too */
	unsigned n_held;
	struct slb_dp_held held[SLB_DP_HOLD];
	struct slb_reasm *reasm;           /* IPv4 fragments to VIPs (ipv4_reasm.h) */
	struct slb_rules_worker *rules;    /* routing rules (sip_rules.h) */
	uint16_t ip_id;                    /* of the next datagram sent as fragments */
	uint32_t capture_seen;             /* messages since the last one captured */
	const struct slb_state *state;     /* the generation this loop iteration reads */
	struct slb_dp_txq tx[];            /* per slb_dp.ports index */
};

/* A socket on a proxy VIP that keeps the kernel from answering its SIP. */
struct slb_dp_guard {
	int fd;
	uint32_t addr;                     /* the VIP's, network order */
	uint16_t port;
};

struct slb_dp {
	struct slb_dp_opts opts;
	struct slb_config cfg;
	struct slb_maps maps;
	struct slb_neigh *neigh;           /* NULL: no port with an iface and no --static-mac */
	struct rte_mempool *pool;
	struct slb_dp_port ports[RTE_MAX_ETHPORTS];
	unsigned n_ports;
	bool ports_up;                     /* every port started once (main.c, teardown) */
	uint16_t port_index[RTE_MAX_ETHPORTS]; /* DPDK port id -> ports[] */
	int default_port;                  /* static-MAC port for off-prefix hops, or -1 */
	unsigned n_queues;                 /* worker lcores = queues per port */
	struct slb_dp_lcore *lcores[RTE_MAX_LCORE];
	bool udp_cksum_offload;            /* every port fills UDP checksums */
	uint16_t ip_mtu;                   /* smallest port MTU, at most an mbuf's room */
	struct slb_dp_guard guards[SLB_MAX_VIPS]; /* sockets silencing the kernel (kernel.c) */
	unsigned n_guards;
	bool guards_follow;                /* af_packet: the guards follow each generation */
	uint64_t guards_gen;               /* the generation they follow now */
	struct slb_lcore_stats *stats_at_start; /* [n_queues], by worker order */
	struct slb_rules_cache *rules_cache; /* the workers' rule databases */
	struct slb_dp_capture *capture;    /* HEP and pcap capture (capture.c) */
};

/* args.c. The placeholder XDP object for af_xdp ports' xdp_prog= (kernel.c). */
const char *slb_dp_xdp_prog(void);
/* 1 when argv asks for something that needs no EAL (--help,
 * --print-xdp-prog) and it was done; 0 otherwise. */
int slb_dp_early_args(int argc, char **argv);
/* The arguments after EAL's "--". -1 with a reason. */
int slb_dp_parse_args(int argc, char **argv, struct slb_dp_opts *o, char *err, size_t errlen);

/* ports.c */
int slb_dp_lcores_setup(struct slb_dp *dp, char *err, size_t errlen);
int slb_dp_ports_setup(struct slb_dp *dp, char *err, size_t errlen);
void slb_dp_ports_stop(struct slb_dp *dp);
void slb_dp_lcores_free(struct slb_dp *dp);

/* rss.c: the RSS hash types siplb-dp asks for, and those of them a device
 * with these flow_type_rss_offloads gets; their names, for the log. */
#define SLB_DP_RSS_ALL (RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP | \
			RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_IPV4 | \
			RTE_ETH_RSS_IPV6)
uint64_t slb_dp_rss_types(uint64_t supported);
const char *slb_dp_rss_text(uint64_t hf, char *buf, size_t len);

/* frag.c: frames out of a reassembly buffer into mbufs. f as IPv4 fragments
 * of at most mtu bytes (ip_id, network order), into frags[SLB_DP_MAX_FRAGS]:
 * how many, 0 when the pool is short. */
unsigned slb_dp_fragment(struct rte_mempool *pool, const struct slb_frame *f, uint16_t mtu,
			 uint16_t ip_id, struct rte_mbuf **frags);
/* f whole in one mbuf (it fits the MTU); NULL when the pool is empty. */
struct rte_mbuf *slb_dp_frame_copy(struct rte_mempool *pool, const struct slb_frame *f);

/* kernel.c: what the kernel must know or stop doing once ports are up;
 * before a port starts, the guards that keep the kernel from answering SIP
 * and, on af_xdp, the XDP program a killed siplb-dp left. */
int slb_dp_kernel_reclaim(struct slb_dp *dp, struct slb_dp_port *p, char *err, size_t errlen);
/* af_packet: the guards follow generation g's proxy VIPs (the main lcore's
 * worker, when it first reads g). */
void slb_dp_kernel_follow(struct slb_dp *dp, uint64_t g, const struct slb_state *s);
/* xsk_queue.c: after a kill, wait until no AF_XDP socket holds p's queues. */
int slb_dp_wait_xsk_queues(const struct slb_dp *dp, const struct slb_dp_port *p, char *err,
			   size_t errlen);
int slb_dp_kernel_setup(struct slb_dp *dp, char *err, size_t errlen);
void slb_dp_kernel_close(struct slb_dp *dp);

/* worker.c: the lcore loop, for rte_eal_mp_remote_launch. */
extern volatile bool slb_dp_quit;
int slb_dp_worker(void *dp);

/* capture.c: SIP capture as HEP v3 and pcap files (docs/capture.md): its
 * pool, ring and thread (after the counters start: it counts into the main
 * lcore's slot); stop joins the thread after it wrote and sent what was
 * queued. */
struct slb_dp_capture;
int slb_dp_capture_start(struct slb_dp *dp, char *err, size_t errlen);
void slb_dp_capture_stop(struct slb_dp *dp);
/* While HEP capture is on (the state's capture.sample, which the worker
 * tests first): a worker sends datagram f: a copy for HEP when it is from
 * one of the capture's VIPs, one in N. */
void slb_dp_capture_sent(struct slb_dp_capture *cap, struct slb_dp_lcore *lc,
			 const struct slb_state *s, struct slb_lcore_stats *stats,
			 const struct slb_frame *f);
/* While a pcap file is written (the state's capture.pcap_vips, which the
 * worker tests first): a worker puts m on a TX queue, addressed (MACs,
 * fragments) as it leaves: a copy when m is from one of the file's VIPs. */
void slb_dp_capture_wire(struct slb_dp_capture *cap, const struct slb_state *s,
			 struct slb_lcore_stats *stats, struct rte_mbuf *m);
/* Likewise for f received, not yet handled: a copy when it is to one of
 * the file's VIPs. */
void slb_dp_capture_received(struct slb_dp_capture *cap, const struct slb_state *s,
			     struct slb_lcore_stats *stats, const struct slb_frame *f);

/* counters.c: claims the workers' reader slots (refused while another
 * siplb-dp on these maps runs) and snapshots their counters; at exit,
 * prints this process's share. */
int slb_dp_counters_start(struct slb_dp *dp, char *err, size_t errlen);
void slb_dp_counters_print(struct slb_dp *dp);
/* The reader slots this process claimed, left (after a failed start too). */
void slb_dp_counters_release(struct slb_dp *dp);

#endif
