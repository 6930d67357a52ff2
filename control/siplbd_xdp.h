/* SPDX-License-Identifier: BSD-3-Clause */
/* siplbd and the XDP program on xdp.interfaces (siplbd_xdp.c). */
#ifndef SIPLB_SIPLBD_XDP_H
#define SIPLB_SIPLBD_XDP_H

#include "siplb/config.h"
#include "siplb/state_maps.h"
#include "siplb/xdp_attach.h"

/*
 * The XDP program onto cfg's xdp.interfaces (loaded into x on first use,
 * with m), and off those of old that cfg no longer lists. Every outcome is
 * logged; -1 when any interface failed.
 */
int siplbd_xdp_apply(struct slb_xdp *x, const struct slb_maps *m, const struct slb_config *old,
		     const struct slb_config *cfg);

/* --detach: siplb's program off cfg's xdp.interfaces; 0, or 1 if any failed. */
int siplbd_xdp_detach(const struct slb_config *cfg);

#endif
