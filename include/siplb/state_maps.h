/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Opening the pinned state maps (see state.h) and mapping them into memory:
 * siplbd creates and writes them, siplb-dp and the tools read them. After
 * slb_maps_open() no syscall is needed to read the state or count.
 *
 * The XDP fast path's maps (xdp.h) are pinned beside them and opened with
 * them, by fd only: nothing reads them per packet in user space, and a
 * per-CPU, hash or LPM map cannot be mmap'd anyway.
 */
#ifndef SIPLB_STATE_MAPS_H
#define SIPLB_STATE_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siplb/state.h"

/* The XDP maps of xdp.h, as indexes of slb_maps.xdp_fd. */
enum slb_xdp_map {
	SLB_XDP_MAP_STATS,    /* xdp_stats */
	SLB_XDP_MAP_NEXTHOP,  /* nexthop */
	SLB_XDP_MAP_SRC_RATE, /* src_rate */
	SLB_XDP_MAP_VIP_RATE, /* vip_rate */
	SLB_XDP_MAP_BLOCK4,   /* block4 */
	SLB_XDP_MAP_BLOCK6,   /* block6 */
	SLB_XDP_MAP_PORT_MAC, /* port_mac */
	SLB_XDP_MAP_RULE_SRC, /* rule_src */
	SLB_XDP_MAP_RULE_RATE, /* rule_rate */
	SLB_XDP_MAP_RULE_HITS, /* rule_hits */
	SLB_XDP_MAP_COUNT
};

struct slb_maps {
	struct slb_control *control;
	struct slb_state *state;        /* [2]: slot = generation & 1 */
	uint32_t *maglev;               /* [2 * control->table_capacity] */
	struct slb_lcore_stats *stats;  /* [SLB_MAX_LCORES] */
	uint8_t *rules;                 /* [2 * control->rules_capacity] */
	uint64_t *rule_stats;           /* [SLB_MAX_LCORES * control->rule_counters] */
	int fd[6];                      /* control, state, maglev, stats, rules, rule_stats */
	size_t len[6];                  /* mmap lengths */
	int xdp_fd[SLB_XDP_MAP_COUNT];  /* enum slb_xdp_map */
};

/* The pin name of XDP map i (SLB_MAP_XDP_STATS, ...). */
const char *slb_xdp_map_name(enum slb_xdp_map i);

/* Opens maps pinned under dir (readers). -1 with a reason when absent or of
 * another version/size. */
int slb_maps_open(const char *dir, struct slb_maps *m, char *err, size_t errlen);

/* The sizes siplbd creates the maps with (the configuration's maglev.capacity,
 * rule_maps.capacity and rule_maps.counters). */
struct slb_map_sizes {
	uint32_t table_capacity;        /* Maglev slots per generation */
	uint32_t rules_capacity;        /* rule blob bytes per generation */
	uint32_t rule_counters;         /* rule hit counters per lcore */
};

/* siplbd: opens the maps under dir if they are there and compatible
 * (same version, same sizes), otherwise creates and pins them.
 * Each XDP map is opened when it is there with the right shape, otherwise
 * created and pinned on its own: they carry no generation. */
int slb_maps_create(const char *dir, const struct slb_map_sizes *sizes, struct slb_maps *m,
		    char *err, size_t errlen);

void slb_maps_close(struct slb_maps *m);

/* The active generation, as siplbd last published it (acquire: its state
 * in slot generation & 1 is complete). */
static inline uint64_t slb_generation(const struct slb_maps *m)
{
	return __atomic_load_n(&m->control->generation, __ATOMIC_ACQUIRE);
}

/* Reader side, once per poll-loop iteration: announce and return the active
 * generation; use slot (generation & 1) until the next call. */
static inline uint64_t slb_reader_enter(struct slb_maps *m, unsigned reader)
{
	uint64_t g = slb_generation(m);

	__atomic_store_n(&m->control->readers[reader].epoch, g, __ATOMIC_SEQ_CST);
	return g;
}

/* Reader side, at start: the slot is this process's (its pid and PID
 * namespace, state.h) and alive. */
void slb_reader_claim(struct slb_maps *m, unsigned reader);

/*
 * Whether the slot's reader may still be reading: its heartbeat is at most
 * SLB_READER_TIMEOUT_NS old (*age_ns: how old) and its owner is not known
 * to be dead. An owner is known dead when it is in this process's PID
 * namespace and kill(pid, 0) fails with ESRCH, or when its pid is this
 * process's own (a restart given its predecessor's number, as in a
 * container). An owner in another PID namespace, or one that never said
 * (pid 0), is judged by its heartbeat alone.
 */
bool slb_reader_live(const struct slb_maps *m, unsigned reader, uint64_t *age_ns);

/* Reader side, now and then (every few ms): "still alive" for siplbd. */
void slb_reader_heartbeat(struct slb_maps *m, unsigned reader);

/* Reader side, on exit: stop being waited for. */
void slb_reader_leave(struct slb_maps *m, unsigned reader);

static inline const struct slb_state *slb_state_of(const struct slb_maps *m, uint64_t g)
{
	return &m->state[g & 1];
}

static inline const uint32_t *slb_tables_of(const struct slb_maps *m, uint64_t g)
{
	return m->maglev + (size_t)(g & 1) * m->control->table_capacity;
}

/* Generation g's rule blobs: slb_state.rules[v] gives offsets into it. */
static inline const uint8_t *slb_rules_of(const struct slb_maps *m, uint64_t g)
{
	return m->rules + (size_t)(g & 1) * m->control->rules_capacity;
}

/* Lcore (reader) l's rule hit counters (state.h). */
static inline uint64_t *slb_rule_stats_of(const struct slb_maps *m, unsigned reader)
{
	return m->rule_stats + (size_t)reader * m->control->rule_counters;
}

#endif
