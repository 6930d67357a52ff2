/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd's counters (siplbd_stats.c): siplb-dp's per-lcore counters and
 * the XDP program's per-CPU counters, read from the maps.
 */
#ifndef SIPLB_SIPLBD_STATS_H
#define SIPLB_SIPLBD_STATS_H

#include <json-c/json.h>
#include <stdbool.h>

#include "siplb/state_maps.h"
#include "siplb/xdp.h"

/* Every lcore's counters added up into t. */
void siplbd_stats_sum(const struct slb_maps *m, struct slb_lcore_stats *t);

/* What was forwarded, in both modes: siplb-dp's counters summed into t,
 * with the XDP program's DSR messages added to its VIPs' and backends'
 * (vip_rx, backend_tx; the two never count the same message). Without the
 * XDP counters (said on stderr), siplb-dp's alone. */
void siplbd_stats_forwarded(const struct slb_maps *m, struct slb_lcore_stats *t);

/* x's DSR messages added to t's VIPs and backends. */
void siplbd_stats_add_dsr(struct slb_lcore_stats *t, const struct slb_xdp_stats *x);

/* The XDP program's per-CPU counters added up into total: 0, or -1 (the
 * reason on stderr, total zero). */
int siplbd_stats_xdp(const struct slb_maps *m, struct slb_xdp_stats *total);

/* Hits of VIP vip's rule i in generation state s (the rule_stats map,
 * include/siplb/rules.h), every lcore's added up; 0 when s has no such rule. */
uint64_t siplbd_stats_rule_hits(const struct slb_maps *m, const struct slb_state *s,
				uint32_t vip, uint32_t i);

/* --stats: the counters of the maps m on stdout, as lines or one JSON
 * object; 0, or 1 when they cannot be read (the reason on stderr). */
int siplbd_stats_print(const struct slb_maps *m, bool json);

/* The object --stats --json prints; NULL when the counters cannot be read. */
json_object *siplbd_stats_json(const struct slb_maps *m);

/* SIGUSR1 and --stats-interval: the same lines in the log. */
void siplbd_stats_log(const struct slb_maps *m);

#endif
