/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd's control socket (siplbd_rpc.c): the methods of docs/siplbctl.md
 * on the model, and the socket they are served on. The handlers' state is
 * their own; the model and the maps are the caller's.
 */
#ifndef SIPLB_SIPLBD_RPC_H
#define SIPLB_SIPLBD_RPC_H

#include "siplb/config.h"
#include "siplb/rpc.h"
#include "siplbd_model.h"

struct siplbd_rpc {
	struct siplbd_model *model;
	const struct slb_maps *maps;     /* the counters the methods show */
	uint64_t started_ns;             /* status: uptime */
	struct slb_lcore_stats *totals;  /* summed afresh for each method that shows them */
	/* the loop's time config.validate, .reload and rule changes may take */
	struct siplbd_budget budget;
	struct slb_rpc_registry *registry; /* siplbd's methods, on this */
	struct slb_rpc_server *server;     /* NULL: no socket */
};

/* The methods on m, with maps' counters, into r->registry (r's other
 * members zeroed). 0, or -1 with the reason in err. */
int siplbd_rpc_init(struct siplbd_rpc *r, struct siplbd_model *m, const struct slb_maps *maps,
		    char *err, size_t errlen);

/* The control socket on c (after init); -1 (logged) on failure. */
int siplbd_rpc_open(struct siplbd_rpc *r, const struct slb_config_control *c);

/* The socket's clients; a broken server (its epoll set) is closed (logged). */
void siplbd_rpc_serve(struct siplbd_rpc *r);

/* The socket (if open), the registry, the counters. */
void siplbd_rpc_close(struct siplbd_rpc *r);

#endif
