/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd's model and control socket methods, the real ones
 * (control/siplbd_model.c, siplbd_rpc.c), for the RPC tests and the
 * fuzzer: in mount and network namespaces of the process's own, on maps
 * in a bpffs mounted on a fresh directory, with lo up and 198.51.100.1/24
 * on it (probed pools' backends there can be probe targets; the tests'
 * intervals are long enough that no probe goes out while they run). The
 * dataplane's counters are written as siplb-dp's lcore 0 would have
 * counted them (fixed, so outputs compare exactly):
 *   VIP i: 1000 (i + 1) requests, 500000 (i + 1) bytes;
 *   backend id: 100 (id + 1) requests, 50000 (id + 1) bytes;
 *   responses 900 / 450000, in-dialog 300 / 150000, drop reason i: i,
 *   replies 483: 1, 503: 2, malformed reason i: i, keepalives 7.
 */
#ifndef SIPLB_TESTS_RPC_SIPLBD_FIXTURE_H
#define SIPLB_TESTS_RPC_SIPLBD_FIXTURE_H

#include "siplbd_model.h"
#include "siplbd_rpc.h"

struct siplbd_fixture {
	char dir[64];               /* its bpffs */
	char config[PATH_MAX];      /* the file it starts (and resets) the model on */
	struct slb_maps maps;
	struct siplbd_model model;
	struct siplbd_rpc rpc;      /* rpc.registry: siplbd's methods on the model */
};

/* Everything above, the model started on the file config (its bpffs
 * replaced by f->dir). 0; 77 when it cannot be had (not root); 1 on
 * failure; the reason on stderr. */
int siplbd_fixture_start(struct siplbd_fixture *f, const char *config);

/* The state start made, for the fuzzer's runs: maps made afresh (their
 * first generation again), the model started again on the file, the
 * configuration files' time budget full. 0, or 1 (the reason on stderr). */
int siplbd_fixture_reset(struct siplbd_fixture *f);

/* Model, methods, maps, bpffs. */
void siplbd_fixture_stop(struct siplbd_fixture *f);

/* Every backend at "ADDR[:PORT]" (any probed pool) taken down by its
 * prober with reason, as a probe or passive health would, and the change
 * published. 0, or -1 if there is none. */
int siplbd_fixture_down(struct siplbd_fixture *f, const char *backend, const char *reason);

#endif
