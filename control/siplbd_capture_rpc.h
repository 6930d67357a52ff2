/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP capture's methods (siplbd_capture_rpc.c; docs/capture.md):
 * capture.start, .stop, .status on the model of a struct siplbd_rpc (the
 * call's ctx), for siplbd_rpc.c to register.
 */
#ifndef SIPLB_SIPLBD_CAPTURE_RPC_H
#define SIPLB_SIPLBD_CAPTURE_RPC_H

#include "siplb/rpc.h"

/* Sets h's capture_* handlers. */
void siplbd_capture_rpc_handlers(struct slb_rpc_handlers *h);

#endif
