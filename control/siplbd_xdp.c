/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd and the XDP program: attached to xdp.interfaces at start, kept
 * across reloads (the maps carry each new generation to it), moved when the
 * list or the mode changes, left in place at exit, removed by --detach.
 */
#include <stdio.h>
#include <string.h>

#include "siplb/log.h"
#include "siplbd_common.h"
#include "siplbd_xdp.h"

static bool listed(const struct slb_config *c, const char *iface)
{
	for (uint32_t i = 0; i < c->xdp.n_ifaces; i++)
		if (!strcmp(c->xdp.ifaces[i], iface))
			return true;
	return false;
}

/* One attach or detach, logged either way; -1 when it failed. */
static int logged(int rc, const struct slb_xdp_report *rep, const char *iface, const char *err)
{
	char what[256];

	if (rc) {
		slb_log(SLB_LOG_ERR, "%s", err);
		return -1;
	}
	slb_xdp_describe(rep, iface, what, sizeof(what));
	slb_log(SLB_LOG_NOTICE, "xdp: %s", what);
	return 0;
}

static int detach_removed(const struct slb_config *old, const struct slb_config *cfg)
{
	struct slb_xdp_report rep;
	char err[512];
	int rc = 0;

	for (uint32_t i = 0; i < old->xdp.n_ifaces; i++) {
		const char *iface = old->xdp.ifaces[i];

		if (!listed(cfg, iface))
			rc |= logged(slb_xdp_detach(iface, &rep, err, sizeof(err)), &rep, iface, err);
	}
	return rc;
}

int siplbd_xdp_apply(struct slb_xdp *x, const struct slb_maps *m, const struct slb_config *old,
		     const struct slb_config *cfg)
{
	struct slb_xdp_report rep;
	char err[512];
	int rc = detach_removed(old, cfg);

	if (!cfg->xdp.n_ifaces)
		return rc;
	if (!x->skel && slb_xdp_load(m, -1, x, err, sizeof(err))) {
		slb_log(SLB_LOG_ERR, "%s", err);
		return -1;
	}
	if (cfg->xdp.generic)
		slb_log(SLB_LOG_WARNING, "xdp: xdp.mode is \"generic\": the program runs after the "
			"kernel has built a socket buffer for every packet, several times "
			"slower than native XDP; use it only where the driver has none");
	for (uint32_t i = 0; i < cfg->xdp.n_ifaces; i++) {
		const char *iface = cfg->xdp.ifaces[i];

		rc |= logged(slb_xdp_attach(x, iface, cfg->xdp.generic, &rep, err, sizeof(err)),
			     &rep, iface, err);
	}
	return rc;
}

int siplbd_xdp_detach(const struct slb_config *cfg)
{
	struct slb_xdp_report rep;
	char err[512];
	int rc = 0;

	if (!cfg->xdp.n_ifaces)
		slb_log(SLB_LOG_NOTICE, "xdp: the configuration lists no xdp.interfaces: nothing to "
			"detach");
	for (uint32_t i = 0; i < cfg->xdp.n_ifaces; i++) {
		const char *iface = cfg->xdp.ifaces[i];

		rc |= logged(slb_xdp_detach(iface, &rep, err, sizeof(err)), &rep, iface, err);
	}
	return rc ? 1 : 0;
}
