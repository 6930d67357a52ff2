/* SPDX-License-Identifier: BSD-3-Clause */
/* Between the dispatcher and the server: not part of siplb/rpc.h's API. */
#ifndef SIPLB_CONTROL_RPC_INTERNAL_H
#define SIPLB_CONTROL_RPC_INTERNAL_H

#include "siplb/rpc.h"

/* {"jsonrpc":"2.0","id":id,"error":{code, message, data:{reason, param?}}} */
json_object *slb_rpc_error_response(json_object *id, const struct slb_rpc_error *e);

#endif
