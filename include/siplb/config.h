/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The siplb configuration file (docs/config.md), read by siplbd and
 * siplb-dp: libconfig syntax parsed into plain C. Everything the file can
 * get wrong is caught here, with FILE:LINE, so that neither program starts
 * on a half-understood file and a reload never publishes one.
 */
#ifndef SIPLB_CONFIG_H
#define SIPLB_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siplb/addr.h"
#include "siplb/health.h"
#include "siplb/metrics.h"
#include "siplb/rules.h"
#include "siplb/srv.h"
#include "siplb/state.h"

#define SLB_CONFIG_DEFAULT_BPFFS "/sys/fs/bpf/siplb"
#define SLB_CONFIG_DEFAULT_CAPACITY 1048576u
/* 1 GiB of table per slot: far beyond SLB_MAX_POOLS x 65537, and the map
 * value (capacity x 4 bytes) stays below the kernel's INT_MAX. */
#define SLB_CONFIG_MAX_CAPACITY (1u << 28)
/* rule_maps: rule blob bytes per generation, rule hit counters per lcore
 * (state.h's rules and rule_stats maps; docs/rules.md). */
#define SLB_CONFIG_DEFAULT_RULES_CAPACITY (8u << 20) /* 10,000 rules: ~6.9 MB */
#define SLB_CONFIG_MAX_RULES_CAPACITY (512u << 20)
#define SLB_CONFIG_DEFAULT_RULE_COUNTERS 16384u
#define SLB_CONFIG_MAX_RULE_COUNTERS (1u << 20)
#define SLB_PORT_NAME_LEN 64 /* RTE_ETH_NAME_MAX_LEN */
#define SLB_IFACE_LEN 16     /* IF_NAMESIZE */
#define SLB_CONFIG_DEFAULT_GUE_PORT 6080
#define SLB_CONFIG_DEFAULT_SOCKET "/run/siplb/siplbd.sock"
#define SLB_CONFIG_SOCKET_LEN 108 /* sizeof(sockaddr_un.sun_path) */
#define SLB_CONFIG_MAX_UIDS 16
#define SLB_CONFIG_ADDR_TEXT_LEN 46 /* INET6_ADDRSTRLEN */
#define SLB_BRANCH_SECRET_MIN 16

/* A DPDK port of siplb-dp. */
struct slb_config_port {
	char name[SLB_PORT_NAME_LEN]; /* --vdev name or PCI address */
	char iface[SLB_IFACE_LEN];    /* the kernel interface behind it; "" = none */
	uint32_t addr;                /* IPv4, network byte order */
	uint8_t prefix;               /* 1..32 */
};

struct slb_config_vip {
	char name[SLB_NAME_LEN];
	struct slb_addr a;            /* and port; IPv6 only in DSR mode */
	enum slb_vip_mode mode;
	bool record_route;
	uint32_t pool;                /* index into slb_config.pools */
	uint32_t rate, burst;         /* XDP cap, SIP packets per second; 0: none */
	struct slb_rules rules;       /* docs/rules.md; none: everything to pool */
};

struct slb_config_backend {
	struct slb_addr a;            /* and port; the family of the pool's VIPs */
	uint16_t weight;              /* 0 = draining: out of the Maglev table */
	uint16_t priority;            /* lowest value with a live backend takes traffic */
	bool standby;                 /* siplbd's published copy: live, weight 0 by priority */
};

struct slb_config_pool {
	char name[SLB_NAME_LEN];
	uint64_t seed;                /* Call-ID hash seed */
	struct slb_config_backend *backends; /* none in the file for an SRV pool */
	uint32_t n_backends;
	bool probing;                 /* probing = { ... }: SIP OPTIONS health checks */
	struct slb_health_config health;      /* its settings (defaults without) */
	bool passive;                 /* passive = { ... }: only with probing */
	struct slb_passive_config passive_cfg;
	/* srv = "...": the backends are the SRV name's targets (srv.name[0] != 0);
	 * A or AAAA by the family of the pool's VIPs, A if none uses it. */
	struct slb_srv_config srv;
};

/* control = { ... }: siplbd's JSON-RPC socket (docs/siplbctl.md). */
struct slb_config_control {
	char socket[SLB_CONFIG_SOCKET_LEN];
	uint32_t mode;                /* permission bits; 0: the server's default (0600) */
	uint32_t allow_uids[SLB_CONFIG_MAX_UIDS]; /* besides root and siplbd's euid */
	uint32_t n_allow_uids;
};

/* metrics = { ... }: the Prometheus endpoint (docs/metrics.md). */
struct slb_config_metrics {
	char address[SLB_CONFIG_ADDR_TEXT_LEN]; /* IPv4 or IPv6 literal */
	uint16_t port;                /* 0: no endpoint */
};

/* dsr = { ... }: how DSR packets are encapsulated. */
struct slb_config_dsr {
	struct slb_addr src4;         /* family 0 when not set; port 0 */
	struct slb_addr src6;
	enum slb_encap encap;
	uint16_t gue_port;            /* host byte order */
};

/* xdp = { ... }: the interfaces siplbd attaches the XDP program to. */
struct slb_config_xdp {
	char (*ifaces)[SLB_IFACE_LEN];
	uint32_t n_ifaces;
	bool generic;                 /* mode = "generic": XDP_FLAGS_SKB_MODE */
};

/* A blocked prefix; host bits are zero. */
struct slb_config_prefix {
	uint8_t family;
	uint8_t len;                  /* 0..32 or 0..128 */
	uint8_t addr[16];             /* IPv4 in addr[0..3] */
};

/* flood = { ... }: what the XDP program drops before it looks at SIP. */
struct slb_config_flood {
	uint32_t source_rate, source_burst; /* per source address; 0: no cap */
	struct slb_config_prefix *blocklist;
	uint32_t n_blocklist;
};

/* hooks = { ... }: what siplbd runs when something happens (docs/siplbd.md). */
#define SLB_HOOKS_DEFAULT_TIMEOUT_MS 10000
#define SLB_HOOKS_DEFAULT_MAX_RUNNING 4
#define SLB_HOOKS_MAX_RUNNING 64
struct slb_config_hooks {
	char backend_state[PATH_MAX]; /* an executable, absolute; "": none */
	uint32_t timeout_ms;          /* then it is killed */
	uint32_t max_running;         /* at once; later events wait their turn */
};

/* capture = { ... }: SIP mirrored as HEP v3 (docs/capture.md). */
#define SLB_CONFIG_DEFAULT_CAPTURE_RATE 10000u
#define SLB_CONFIG_DEFAULT_PCAP_DIR "/var/lib/siplb/pcap"
#define SLB_CONFIG_DEFAULT_PCAP_MAX_MB 100u
struct slb_config_capture {
	bool configured;              /* the file names a HEP collector (capture.address) */
	bool enabled;                 /* capturing now (start = true, siplbctl capture start) */
	struct slb_addr collector;    /* and port */
	uint32_t agent_id;
	char password[SLB_CAPTURE_PASSWORD_LEN];
	uint32_t sample;              /* one in N, >= 1 */
	uint32_t rate;                /* HEP packets per second at most */
	uint64_t vips;                /* bit v: VIP v; SLB_CAPTURE_ALL_VIPS */
	char pcap_dir[PATH_MAX];      /* capture.pcap_dir: where the pcap files go */
	uint32_t pcap_max_mb;         /* capture.pcap_max_mb */
	/* The pcap file being written (siplbctl capture start --pcap), kept by
	 * siplbd over reloads; pcap_vip "" is every VIP. */
	char pcap_name[SLB_CAPTURE_PCAP_NAME_LEN]; /* "": none */
	char pcap_vip[SLB_NAME_LEN];
	uint32_t pcap_id;
};

/* A pcap file's NAME (capture start --pcap NAME): 1 to 63 of [A-Za-z0-9._-],
 * not starting with '.': a file in pcap_dir, nothing else. */
bool slb_config_pcap_name_ok(const char *name);
/* "DIR/NAME.pcap" into out: where siplb-dp writes pcap file NAME. */
void slb_config_pcap_path(const char *dir, const char *name, char *out, size_t len);

struct slb_config {
	char bpffs[PATH_MAX];
	int log_level;                /* enum slb_log_level (log.h); 0: not in the file */
	/* state_file: where siplbd keeps the changes made at run time;
	 * "": beside the configuration file (siplbd_state.c) */
	char state_file[PATH_MAX];
	uint64_t branch_seed;         /* Via branch hash seed */
	/* branch_secret, branch_secret_previous: the keys of the Via branch
	 * MAC (state.h); n_branch_keys 0 when the file names none. */
	uint8_t branch_keys[SLB_BRANCH_KEYS][SLB_BRANCH_KEY_LEN];
	uint32_t n_branch_keys;
	uint32_t table_size;          /* prime, per pool */
	uint32_t capacity;            /* Maglev slots per generation, all pools */
	uint32_t rules_capacity;      /* rule_maps.capacity: blob bytes per generation */
	uint32_t rule_counters;       /* rule_maps.counters: per lcore, all VIPs */
	struct slb_config_port *ports;
	uint32_t n_ports;
	struct slb_config_vip *vips;
	uint32_t n_vips;
	struct slb_config_pool *pools;
	uint32_t n_pools;
	struct slb_config_dsr dsr;
	struct slb_config_xdp xdp;
	struct slb_config_flood flood;
	struct slb_config_control control;
	struct slb_config_metrics metrics;
	struct slb_config_hooks hooks;
	struct slb_config_capture capture;
};

/*
 * Parses path into out. On error returns -1, leaves out empty (nothing to
 * free) and writes "FILE:LINE: reason" (or "FILE: reason" when the file
 * cannot be read) into err.
 */
int slb_config_load(const char *path, struct slb_config *out, char *err, size_t errlen);

/* Frees what slb_config_load allocated; the struct may be loaded again. */
void slb_config_free(struct slb_config *c);

/* A rule of VIP v that sends to another pool: that pool serves v's family
 * (its backends'). 0, or -1 with "ORIGIN: \"pool NAME\": ..." in err. For
 * the file's rules and those given at run time (siplbctl rule add). */
/* The index of the VIP named name in c, or -1. */
int slb_config_vip_index(const struct slb_config *c, const char *name);
int slb_config_rule_pool_check(const struct slb_config *c, const struct slb_config_vip *v,
			       const struct slb_rule *rule, char *err, size_t errlen);

/* Total number of backends over all pools. */
uint32_t slb_config_n_backends(const struct slb_config *c);

#endif
