/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every module of siplbd uses, and nothing of theirs: the log line,
 * the clock, the configuration file with --bpffs over it. The modules sit
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
 *   siplbd_common.c   this
 */
#ifndef SIPLB_SIPLBD_COMMON_H
#define SIPLB_SIPLBD_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "siplb/config.h"

/* One line on stderr: "2024-05-01T10:00:00.123Z siplbd: ...". */
void siplbd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

uint64_t siplbd_now_ns(void); /* CLOCK_MONOTONIC */

/* The file, with --bpffs (bpffs, when not NULL) over its bpffs. */
int siplbd_load_config(const char *path, const char *bpffs, struct slb_config *cfg, char *err,
		       size_t errlen);

#endif
