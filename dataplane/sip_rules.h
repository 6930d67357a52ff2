/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Routing rules in siplb-dp (docs/rules.md): what a worker does with the
 * rule blobs siplbd publishes with each generation (include/siplb/state.h,
 * rules.h), and the verdict on one request. DPDK-free, as sip_proxy.c,
 * which asks for a verdict on a request to a VIP that has rules.
 *
 * A VIP's blob is deserialized once per process (struct slb_rules_cache),
 * by the first worker that takes the generation it changed in, off the
 * per-packet path; each worker grows its own scratch for it. A database is
 * freed when the last worker that used it has taken a generation without
 * it: a worker only drops its reference at the top of its loop, when it no
 * longer handles a packet of the old generation.
 */
#ifndef SIPLB_SIP_RULES_H
#define SIPLB_SIP_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siplb/rules.h"
#include "siplb/sip_scan.h"
#include "siplb/state.h"

/* Entries of a worker's per-source rate table: bounded, whatever the
 * number of sources (a spoofed flood replaces entries, never adds). */
#define SLB_RULES_SRC_SETS 1024
#define SLB_RULES_SRC_WAYS 4

struct slb_rules_cache;
struct slb_rules_worker;

struct slb_rules_cache *slb_rules_cache_create(void);
/* After every worker of it has been freed. */
void slb_rules_cache_free(struct slb_rules_cache *c);

/* counters: this worker's n_counters rule hit counters (rule_stats). */
struct slb_rules_worker *slb_rules_worker_create(struct slb_rules_cache *c, uint64_t *counters,
						 uint32_t n_counters);
void slb_rules_worker_free(struct slb_rules_worker *w);

/*
 * At the top of a loop iteration, with the generation s the worker has
 * announced (slb_reader_enter) and its slot of the rules map (slot_len
 * bytes); now_ns: a monotonic clock for the rates. Nothing to do unless
 * the generation is new. A VIP whose blob does not load takes the default
 * way (no rules) and the call returns -1 with the reason, for the log.
 */
int slb_rules_worker_sync(struct slb_rules_worker *w, const struct slb_state *s,
			  const uint8_t *slot, uint32_t slot_len, uint64_t now_ns, char *err,
			  size_t errlen);

enum slb_rules_verdict_kind {
	SLB_RULES_DEFAULT = 0, /* the VIP's pool, the Call-ID hash */
	SLB_RULES_FORWARD,     /* pool `pool`, hashed on `key` */
	SLB_RULES_DROP,        /* counted as `drop` */
	SLB_RULES_REPLY,       /* a stateless response: status_line, counted as `reply` */
};

struct slb_rules_verdict {
	uint8_t kind;          /* enum slb_rules_verdict_kind */
	uint8_t drop;          /* DROP: enum slb_drop */
	uint8_t reply;         /* REPLY: enum slb_reply */
	bool retry_after;      /* REPLY: a 503, which says when to come back */
	uint32_t pool;         /* FORWARD */
	struct slb_span key;   /* FORWARD: the hash key in the message (the Call-ID
				* when the rule's key is absent) */
	char status_line[80];  /* REPLY: "SIP/2.0 CODE REASON\r\n" */
};

/*
 * The first matching rule of VIP vip decides a request from saddr:sport
 * (network order) that the scanner found in buf as msg; rules before it
 * that only limit a rate let it through or stop it. Counts the rules'
 * hits. Only for a VIP whose state has rules (state.rules[vip].blob_len).
 */
void slb_rules_decide(struct slb_rules_worker *w, unsigned vip, const uint8_t *buf,
		      const struct slb_sip_msg *msg, uint32_t saddr, uint16_t sport,
		      struct slb_rules_verdict *out);

#endif
