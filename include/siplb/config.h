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

#include "siplb/state.h"

#define SLB_CONFIG_DEFAULT_BPFFS "/sys/fs/bpf/siplb"
#define SLB_CONFIG_DEFAULT_CAPACITY 1048576u
/* 1 GiB of table per slot: far beyond SLB_MAX_POOLS x 65537, and the map
 * value (capacity x 4 bytes) stays below the kernel's INT_MAX. */
#define SLB_CONFIG_MAX_CAPACITY (1u << 28)
#define SLB_PORT_NAME_LEN 64 /* RTE_ETH_NAME_MAX_LEN */
#define SLB_IFACE_LEN 16     /* IF_NAMESIZE */

/* A DPDK port of siplb-dp. */
struct slb_config_port {
	char name[SLB_PORT_NAME_LEN]; /* --vdev name or PCI address */
	char iface[SLB_IFACE_LEN];    /* the kernel interface behind it; "" = none */
	uint32_t addr;                /* IPv4, network byte order */
	uint8_t prefix;               /* 1..32 */
};

struct slb_config_vip {
	char name[SLB_NAME_LEN];
	uint32_t addr;                /* IPv4, network byte order */
	uint16_t port;                /* host byte order */
	enum slb_vip_mode mode;
	bool record_route;
	uint32_t pool;                /* index into slb_config.pools */
};

struct slb_config_backend {
	uint32_t addr;                /* IPv4, network byte order */
	uint16_t port;                /* host byte order */
	uint16_t weight;              /* 0 = draining: out of the Maglev table */
	uint16_t priority;            /* parsed and logged; not used for selection yet */
};

struct slb_config_pool {
	char name[SLB_NAME_LEN];
	uint64_t seed;                /* Call-ID hash seed */
	struct slb_config_backend *backends;
	uint32_t n_backends;
};

struct slb_config {
	char bpffs[PATH_MAX];
	uint64_t branch_seed;         /* Via branch hash seed */
	uint32_t table_size;          /* prime, per pool */
	uint32_t capacity;            /* Maglev slots per generation, all pools */
	struct slb_config_port *ports;
	uint32_t n_ports;
	struct slb_config_vip *vips;
	uint32_t n_vips;
	struct slb_config_pool *pools;
	uint32_t n_pools;
};

/*
 * Parses path into out. On error returns -1, leaves out empty (nothing to
 * free) and writes "FILE:LINE: reason" (or "FILE: reason" when the file
 * cannot be read) into err.
 */
int slb_config_load(const char *path, struct slb_config *out, char *err, size_t errlen);

/* Frees what slb_config_load allocated; the struct may be loaded again. */
void slb_config_free(struct slb_config *c);

/* Total number of backends over all pools. */
uint32_t slb_config_n_backends(const struct slb_config *c);

#endif
