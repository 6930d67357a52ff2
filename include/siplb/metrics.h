/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus metrics (docs/metrics.md): a snapshot of siplb's counters and
 * states, rendered in the text exposition format 0.0.4 and served on
 * GET /metrics by libmicrohttpd.
 *
 * Threads: libmicrohttpd answers scrapes on its own internal thread. The
 * caller's thread (siplbd's event loop) never shares memory with it:
 * slb_metrics_update() deep-copies the caller's snapshot, then swaps the
 * copy in under the server's mutex; a scrape takes a reference to the
 * current copy under the same mutex and renders it outside the lock. So a
 * scrape sees one whole snapshot, never half of two, the caller's snapshot
 * is its own again when update returns, and the caller never waits for a
 * render (~7 ms for 1024 backends), only for a pointer swap.
 */
#ifndef SIPLB_METRICS_H
#define SIPLB_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siplb/health.h"
#include "siplb/state.h"
#include "siplb/xdp.h"

#define SLB_METRICS_LABEL_LEN 64
#define SLB_METRICS_MALFORMED_MAX 32 /* as slb_lcore_stats.sip_reasons */

struct slb_metrics_vip {
	char name[SLB_NAME_LEN];
	char pool[SLB_NAME_LEN];
	struct slb_msg_counter rx;          /* requests in: siplb-dp's (proxy) and
					     * the XDP program's DSR */
	struct slb_msg_counter xdp;         /* SIP packets the XDP program saw for
					     * it (offered load: frames, bytes) */
};

struct slb_metrics_backend {
	char pool[SLB_NAME_LEN];
	char backend[SLB_METRICS_LABEL_LEN]; /* "192.0.2.21:5060", "[2001:db8::1]:5060" */
	uint8_t state;                      /* enum slb_backend_state; UNUSED is skipped */
	uint16_t weight;
	double health_latency_seconds;      /* last probe's round trip; < 0: none yet */
	struct slb_msg_counter tx;          /* requests forwarded to it (proxy + DSR) */
	bool probed;                        /* probes and latency are its prober's */
	struct slb_health_counters probes;
	struct slb_health_latency latency;
	bool standby;                       /* draining only because a group of a
					     * more preferred priority is up */
};

struct slb_metrics_pool {
	char name[SLB_NAME_LEN];
	uint64_t dns_failures;              /* failed SRV/A/AAAA resolutions */
};

/* A routing rule's hits (docs/rules.md): by its VIP and position. */
struct slb_metrics_rule {
	char vip[SLB_NAME_LEN];
	uint32_t index;
	uint64_t matches;
};

#define SLB_METRICS_VERSION_LEN 32

struct slb_metrics_snapshot {
	char version[SLB_METRICS_VERSION_LEN]; /* siplb_build_info */
	uint64_t generation;
	double table_rebuild_seconds;       /* the last publish's build time */
	const struct slb_metrics_vip *vips;
	uint32_t n_vips;
	const struct slb_metrics_pool *pools;
	uint32_t n_pools;
	const struct slb_metrics_backend *backends;
	uint32_t n_backends;
	const struct slb_metrics_rule *rules;  /* every VIP's, in VIP then rule order */
	uint32_t n_rules;
	struct slb_msg_counter responses, in_dialog;
	uint64_t drops[SLB_DROP_COUNT];
	uint64_t replies[SLB_REPLY_COUNT];
	uint64_t xdp_verdicts[SLB_XDP_VERDICT_COUNT]; /* the XDP program's */
	uint64_t xdp_passes[SLB_XDP_PASS_COUNT];  /* by reason */
	uint64_t xdp_drops[SLB_XDP_DROP_COUNT];   /* by reason */
	/* By enum slb_sip_reason; names from slb_sip_reason_name(). */
	uint64_t malformed[SLB_METRICS_MALFORMED_MAX];
	uint64_t keepalives;
	uint64_t reassembled, fragmented; /* IPv4 datagrams */
	struct slb_capture_stats capture; /* SIP capture (docs/capture.md) */
};

/* Names shared with the logs and siplbctl: "tx_full", "draining", ... */
const char *slb_drop_name(unsigned drop);
const char *slb_backend_state_name(unsigned state);
/* A published backend's state as operators read it: its state's name, or
 * "standby" for a draining one flagged SLB_BACKEND_F_STANDBY. */
const char *slb_backend_shown_state(const struct slb_backend *b);

/*
 * The totals (drops, replies, malformed, responses, in_dialog, keepalives,
 * reassembled, fragmented, capture)
 * of a summed slb_lcore_stats into s. VIPs, backends and pools are the
 * caller's: they need names from the state and the health checks.
 */
void slb_metrics_take_totals(struct slb_metrics_snapshot *s, const struct slb_lcore_stats *t);

/* The snapshot in the text format, malloc'd and NUL-terminated, *len
 * without the NUL. NULL when out of memory. */
char *slb_metrics_render(const struct slb_metrics_snapshot *s, size_t *len);

struct slb_metrics_config {
	const char *address;   /* IPv4 or IPv6 literal; NULL: 127.0.0.1 */
	uint16_t port;         /* 0: any free port (slb_metrics_port tells) */
	unsigned max_clients;  /* 0: 256; one address gets at most half */
};

#define SLB_METRICS_DEFAULT_ADDRESS "127.0.0.1"
#define SLB_METRICS_DEFAULT_PORT 9466

struct slb_metrics_server;

/* Listens and serves on libmicrohttpd's thread. NULL with a reason. Until
 * the first update, /metrics answers 503 (nothing measured yet). */
struct slb_metrics_server *slb_metrics_start(const struct slb_metrics_config *c, char *err,
					     size_t errlen);

uint16_t slb_metrics_port(const struct slb_metrics_server *m);

/* Replaces the served snapshot by a copy of s: 0, or -1 when out of memory
 * (the previous snapshot stays served). */
int slb_metrics_update(struct slb_metrics_server *m, const struct slb_metrics_snapshot *s);

/* Stops the thread (waits for a scrape in progress) and frees everything. */
void slb_metrics_stop(struct slb_metrics_server *m);

#endif
