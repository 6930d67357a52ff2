/* SPDX-License-Identifier: BSD-3-Clause */
/* siplbd's files (siplbd.c, siplbd_stats.c): what they share. */
#ifndef SIPLB_SIPLBD_H
#define SIPLB_SIPLBD_H

#include <stdbool.h>
#include <stdint.h>

#include "siplb/config.h"
#include "siplb/state_maps.h"
#include "siplb/xdp_attach.h"

/* One line on stderr: "2024-05-01T10:00:00.123Z siplbd: ...". */
void siplbd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "up", "draining", ... */
const char *siplbd_state_name(uint8_t state);

/* "192.0.2.21:5060" or "[2001:db8::21]:5060"; port in network order. buf
 * holds SIPLBD_ENDPOINT_LEN bytes. */
#define SIPLBD_ENDPOINT_LEN 56
const char *siplbd_endpoint(uint8_t family, uint32_t addr, const uint8_t *addr6, uint16_t port,
			    char *buf);

/* --stats: the counters of the maps m on stdout, as lines or one JSON
 * object; 0, or 1 when they cannot be read (the reason on stderr). */
int siplbd_stats_print(const struct slb_maps *m, bool json);

/* SIGUSR1 and --stats-interval: the same lines in the log. */
void siplbd_stats_log(const struct slb_maps *m);

/*
 * siplbd_xdp.c. The XDP program onto cfg's xdp.interfaces (loaded into x
 * on first use, with m), and off those of old that cfg no longer lists.
 * Every outcome is logged; -1 when any interface failed.
 */
int siplbd_xdp_apply(struct slb_xdp *x, const struct slb_maps *m, const struct slb_config *old,
		     const struct slb_config *cfg);

/* --detach: siplb's program off cfg's xdp.interfaces; 0, or 1 if any failed. */
int siplbd_xdp_detach(const struct slb_config *cfg);

#endif
