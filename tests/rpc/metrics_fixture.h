/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One metrics snapshot, known line by line, for test_metrics (the renderer)
 * and metrics_test_server (the same over HTTP, for curl and Prometheus'
 * own parser).
 */
#ifndef SIPLB_TESTS_RPC_METRICS_FIXTURE_H
#define SIPLB_TESTS_RPC_METRICS_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "siplb/metrics.h"

static const struct slb_metrics_vip fixture_vips[] = {
	{"sip", "core", {11, 1100}, {13, 1500}},
	{"sip-alt", "core", {5, 500}, {5, 700}},
};

static const struct slb_metrics_backend fixture_backends[] = {
	/* probed: 10 OPTIONS, 4 answered (0.4 ms, 0.9 ms, 3 ms, 7 s), 5 timeouts, 1 ICMP */
	{"core", "192.0.2.21:5060", SLB_BACKEND_UP, 50, 0.0012, {22, 2200}, true,
	 {.sent = 10, .alive = 3, .bad_code = 1, .timeouts = 5, .icmp = 1},
	 {{1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 7004300}, false},
	{"core", "192.0.2.22:5060", SLB_BACKEND_DOWN, 30, -1, {0, 0}, false, {0}, {{0}, 0}, false},
	{"edge", "[2001:db8::10]:5060", SLB_BACKEND_DRAINING, 0, 0.25, {7, 700}, false, {0},
	 {{0}, 0}, false},
	{"edge", "198.51.100.9:5060", SLB_BACKEND_UNUSED, 0, 0.5, {1, 1}, true, {0},
	 {{0}, 0}, false}, /* a free id */
	/* up, but a group of a more preferred priority takes the new calls */
	{"edge", "[2001:db8::11]:5060", SLB_BACKEND_DRAINING, 0, 0.01, {0, 0}, false, {0},
	 {{0}, 0}, true},
};

static const struct slb_metrics_pool fixture_pools[] = {
	{"core", 0},
	{"edge", 3},
};

static const struct slb_metrics_rule fixture_rules[] = {
	{"sip", 0, 12}, {"sip", 1, 0}, {"sip", 2, 3456},
};

static inline void fixture_snapshot(struct slb_metrics_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->version, sizeof(s->version), "1.2.3");
	s->generation = 7;
	s->table_rebuild_seconds = 0.00421;
	s->vips = fixture_vips;
	s->n_vips = 2;
	s->backends = fixture_backends;
	s->n_backends = sizeof(fixture_backends) / sizeof(fixture_backends[0]);
	s->pools = fixture_pools;
	s->n_pools = 2;
	s->rules = fixture_rules;
	s->n_rules = 3;
	s->responses = (struct slb_msg_counter){33, 3300};
	s->in_dialog = (struct slb_msg_counter){4, 400};
	s->drops[SLB_DROP_MALFORMED] = 11;
	s->drops[SLB_DROP_TX_FULL] = 2;
	s->replies[SLB_REPLY_503] = 44;
	s->drops[SLB_DROP_RULE] = 5;
	s->drops[SLB_DROP_RULE_RATE] = 6;
	s->drops[SLB_DROP_NOT_ALLOWED] = 7;
	s->replies[SLB_REPLY_RULE] = 8;
	s->replies[SLB_REPLY_RULE_RATE] = 9;
	s->xdp_drops[SLB_XDP_DROP_BLOCKED] = 10;
	s->xdp_drops[SLB_XDP_DROP_RULE] = 11;
	s->xdp_drops[SLB_XDP_DROP_RULE_RATE] = 12;
	s->xdp_verdicts[SLB_XDP_DSR] = 13;
	s->xdp_verdicts[SLB_XDP_PASS] = 14;
	s->xdp_passes[SLB_XDP_PASS_NO_CALLID] = 14;
	s->malformed[1] = 3;  /* empty */
	s->malformed[16] = 8; /* no_call_id */
	s->keepalives = 9;
	s->capture = (struct slb_capture_stats){.queued = 15, .sent = 14, .over_rate = 1};
}

#endif
