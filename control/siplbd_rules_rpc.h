/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The routing rules' methods (siplbd_rules_rpc.c; docs/siplbctl.md,
 * docs/rules.md): rule.list, .add, .remove, .move, .test on the model of
 * a struct siplbd_rpc (the call's ctx), for siplbd_rpc.c to register.
 */
#ifndef SIPLB_SIPLBD_RULES_RPC_H
#define SIPLB_SIPLBD_RULES_RPC_H

#include "siplb/rpc.h"

/* Sets h's rule_* handlers. */
void siplbd_rules_rpc_handlers(struct slb_rpc_handlers *h);

#endif
