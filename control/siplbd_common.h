/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every module of siplbd uses, and nothing of theirs (the log is
 * include/siplb/log.h, siplb-dp's too): the clock, the configuration file with --bpffs over it. The modules sit
 * on it, one way (docs/architecture.md, "control/"):
 *
 *   siplbd.c          the program: command line, start, the event loop,
 *                     signals; it owns each module's state and wires them
 *   siplbd_rpc.c      the control socket's methods, on the model
 *   siplbd_metrics.c  the Prometheus snapshot, of the model
 *   siplbd_model.c    pools at run time, backend states, publishing,
 *                     reloads; tells the program of a publish by callback
 *   siplbd_stats.c    the dataplane's and the XDP program's counters
 *   siplbd_xdp.c      the XDP program on xdp.interfaces
 *   siplbd_state.c    the run-time changes kept (the state file), the model's
 *   siplbd_hooks.c    the operator's hook on backend state changes, the model's
 *   siplbd_common.c   this
 */
#ifndef SIPLB_SIPLBD_COMMON_H
#define SIPLB_SIPLBD_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "siplb/config.h"

uint64_t siplbd_now_ns(void); /* CLOCK_MONOTONIC */

/*
 * The loop's time for heavy requests (configuration files parsed, a VIP's
 * rules compiled): what they take is charged to a budget of
 * SIPLBD_BUDGET_BURST_NS at most, refilled by a fifth of the time that
 * passes; while it is spent they are refused, so that requests in a row
 * (a batch, a pipeline, many clients) cannot hold the loop for long.
 * {0} is a full budget.
 */
#define SIPLBD_BUDGET_BURST_NS 1000000000LL
struct siplbd_budget {
	int64_t left_ns;
	uint64_t at_ns;
};

/* 0: go ahead; -1: spent, with the time taken lately and the wait until
 * the next may go in *took_ms, *wait_ms. */
int siplbd_budget_take(struct siplbd_budget *b, int64_t *took_ms, int64_t *wait_ms);

/* What a request that started at since_ns took. */
void siplbd_budget_charge(struct siplbd_budget *b, uint64_t since_ns);

/* The file, with --bpffs (bpffs, when not NULL) over its bpffs. */
int siplbd_load_config(const char *path, const char *bpffs, struct slb_config *cfg, char *err,
		       size_t errlen);

#endif
