/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publishing a generation (siplbd, the single writer): a complete state and
 * its Maglev tables built from the configuration and the backends' health,
 * written into the inactive slot once no live reader uses it, then made
 * active by one atomic store (the protocol is in state.h).
 *
 * Backend ids (indexes into slb_state.backends) are stable: a backend keyed
 * by (pool name, address, port) that is in the active generation keeps its
 * id, read back from the maps, so a restarted siplbd keeps them too. A new
 * backend gets the lowest id free in both slots (the active generation and
 * the one before it), or failing that the lowest id free in the active one.
 */
#ifndef SIPLB_PUBLISH_H
#define SIPLB_PUBLISH_H

#include <stdbool.h>
#include <stdint.h>

#include "siplb/config.h"
#include "siplb/state_maps.h"

struct slb_publish_report {
	uint64_t generation; /* now active */
	uint64_t wait_ns;    /* waiting for readers to leave the slot */
	uint64_t build_ns;   /* ids, state, tables, and writing them */
	uint32_t readers;    /* live readers when the slot was written */
};

/* Whether the published backend x is the configured address (and port) a. */
static inline bool slb_backend_is(const struct slb_backend *x, const struct slb_addr *a)
{
	struct slb_addr published = SLB_STATE_ADDR(x);

	return !slb_addr_cmp(&published, a);
}

/*
 * Publishes cfg as the next generation. states[i] is the health of the i-th
 * backend of cfg (pools in order, each pool's backends in order), NULL when
 * all are UP; an UP backend of weight 0 is published as DRAINING, and only
 * UP backends with a weight are in the tables (a pool without any gets
 * table_size 0: 503). Gives up, publishing nothing, when a live reader still
 * uses the slot after max_wait_ns. -1 with a reason in err.
 *
 * Besides the state, it brings the XDP maps that follow the configuration
 * in line: the blocklist tries (block4, block6) get cfg's flood.blocklist,
 * a VIP's rate state (vip_rate) starts afresh when another VIP takes its
 * index, and the rules XDP can apply itself go into the new generation's
 * slot of rule_src (include/siplb/rules_xdp.h; the VIPs that have some get
 * SLB_VIP_XDP_RULES). All of it happens once the readers have left the slot,
 * right before the flip; if it fails, nothing is flipped (the tries may then
 * hold part of the change: the next publish completes it).
 */
int slb_publish(struct slb_maps *m, const struct slb_config *cfg,
		const enum slb_backend_state *states, uint64_t max_wait_ns,
		struct slb_publish_report *rep, char *err, size_t errlen);

#endif
