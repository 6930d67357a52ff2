/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd's Prometheus endpoint (siplbd_metrics.c): started on the
 * configuration's metrics settings, fed a snapshot of the model.
 */
#ifndef SIPLB_SIPLBD_METRICS_H
#define SIPLB_SIPLBD_METRICS_H

#include "siplb/metrics.h"
#include "siplbd_model.h"

/* The endpoint on c (port 0: none, *out NULL); -1 (logged). */
int siplbd_metrics_start(const struct slb_config_metrics *c, struct slb_metrics_server **out);

/* A new snapshot of m, with the dataplane's counters t, for the endpoint
 * srv: after a publish and every second. */
void siplbd_metrics_update(struct slb_metrics_server *srv, const struct siplbd_model *m,
			   const struct slb_lcore_stats *t);

#endif
