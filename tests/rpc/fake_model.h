/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A stand-in for siplbd's state behind the control socket's methods, for the
 * tests and the fuzzer: pools, VIPs and backends in memory, the same
 * semantics docs/siplbctl.md promises (stable ids, admin states kept across
 * reloads, effective state from admin, health and weight), every change one
 * new "generation". Counters are made up but fixed, so outputs can be
 * compared exactly.
 */
#ifndef SIPLB_TESTS_RPC_FAKE_MODEL_H
#define SIPLB_TESTS_RPC_FAKE_MODEL_H

#include <limits.h>
#include <stddef.h>
#include <time.h>

#include "siplb/config.h"
#include "siplb/rpc.h"
#include "siplb/state.h"

enum fake_admin { FAKE_ENABLED, FAKE_DRAINING, FAKE_DISABLED };

struct fake_backend {
	bool used;
	uint32_t pool;
	struct slb_addr a;
	uint16_t port;
	uint16_t weight, priority;
	enum fake_admin admin;
	uint8_t health;            /* SLB_BACKEND_UP, _DOWN or _PROBING */
};

struct fake_vip {
	char name[SLB_NAME_LEN];
	struct slb_addr a;
	uint16_t port;
	enum slb_vip_mode mode;
	bool record_route;
	uint32_t pool;
};

struct fake_pool {
	char name[SLB_NAME_LEN];
	uint64_t seed;
};

struct fake_model {
	char config[PATH_MAX];     /* the file config.reload reads by default */
	char bpffs[PATH_MAX];
	uint64_t generation;
	time_t started;            /* the first generation's time */
	uint32_t table_size, n_ports;
	struct fake_vip vips[SLB_MAX_VIPS];
	uint32_t n_vips;
	struct fake_pool pools[SLB_MAX_POOLS];
	uint32_t n_pools;
	struct fake_backend backends[SLB_MAX_BACKENDS]; /* index = id */
};

/* Replaces pools, VIPs and backends by c's, keeping the ids and admin states
 * of backends that stay; one new generation. */
void fake_model_apply(struct fake_model *m, const struct slb_config *c);

/* Health of every backend at "ADDR[:PORT]" (any pool): for the health tests. */
int fake_model_set_health(struct fake_model *m, const char *backend, uint8_t health);

/* The handlers of status, vip.list, pool.list, backend.*, stats and health
 * into h; their ctx is the model. */
void fake_handlers(struct slb_rpc_handlers *h);

/* config.validate and config.reload: they read files with slb_config_load
 * (fake_config.c), so the fuzzer goes without. */
void fake_config_handlers(struct slb_rpc_handlers *h);

#endif
