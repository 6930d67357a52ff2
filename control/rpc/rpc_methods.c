/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd's methods: names, params and summaries in one place, the contract
 * docs/siplbctl.md describes and siplbctl relies on. siplbd's handlers
 * (control/siplbd_rpc.c) register against it, and the tests run those same
 * handlers (tests/rpc/siplbd_fixture.h), so what they check is what
 * siplbd serves.
 */
#include <stddef.h>
#include <stdio.h>

#include "siplb/rpc.h"
#include "siplb/rules.h"

#define POOL(required) {"pool", SLB_RPC_STRING, required, 0, 0}
#define BACKEND {"backend", SLB_RPC_STRING, true, 0, 0}
#define WEIGHT {"weight", SLB_RPC_INT, false, 0, 65535}
#define PRIORITY {"priority", SLB_RPC_INT, false, 0, 65535}
#define FILE_(required) {"file", SLB_RPC_STRING, required, 0, 0}
#define VIP(required) {"vip", SLB_RPC_STRING, required, 0, 0}
#define INDEX(name) {name, SLB_RPC_INT, true, 0, SLB_RULES_MAX - 1}
#define SLOT(name) offsetof(struct slb_rpc_handlers, name)

static const struct {
	size_t slot; /* of the handler in struct slb_rpc_handlers */
	struct slb_rpc_method m;
} methods[] = {
	{SLOT(status), {"status", NULL, "siplbd: version, config, generation, counts", {{0}}}},
	{SLOT(vip_list), {"vip.list", NULL, "the VIPs, their pools and counters", {{0}}}},
	{SLOT(pool_list), {"pool.list", NULL, "the pools (Kamailio's sets)", {{0}}}},
	{SLOT(backend_list), {"backend.list", NULL, "the backends, of one pool or all",
			      {POOL(false)}}},
	{SLOT(backend_add), {"backend.add", NULL, "add a backend to a pool (weight 1 if not given; "
			     "probed pools: calls after rise good probes, unless up)",
			     {POOL(true), BACKEND, WEIGHT, PRIORITY,
			      {"up", SLB_RPC_BOOL, false, 0, 0}}}},
	{SLOT(backend_remove), {"backend.remove", NULL, "remove a backend from its pool",
				{POOL(true), BACKEND}}},
	{SLOT(backend_set), {"backend.set", NULL, "change a backend's weight and/or priority",
			     {POOL(true), BACKEND, WEIGHT, PRIORITY}}},
	{SLOT(backend_drain), {"backend.drain", NULL,
			       "no new calls; in-dialog requests still reach it",
			       {POOL(true), BACKEND}}},
	{SLOT(backend_enable), {"backend.enable", NULL,
				"undo drain or disable: back to health-checked service",
				{POOL(true), BACKEND}}},
	{SLOT(backend_disable), {"backend.disable", NULL, "no traffic at all, in-dialog included",
				 {POOL(true), BACKEND}}},
	{SLOT(config_validate), {"config.validate", NULL, "check a configuration file, change nothing",
				 {FILE_(true)}}},
	{SLOT(config_reload), {"config.reload", NULL,
			       "load the configuration file (or another, once unless set_default) "
			       "and publish it with the run-time changes over it",
			       {FILE_(false), {"set_default", SLB_RPC_BOOL, false, 0, 0}}}},
	{SLOT(config_diff), {"config.diff", NULL,
			     "how the running backends differ from the file: the changes kept in "
			     "the state file", {{0}}}},
	{SLOT(state_clear), {"state.clear", NULL,
			     "forget the run-time changes (the state file) and reload the file",
			     {{0}}}},
	{SLOT(stats), {"stats", NULL, "the dataplane's counters (as siplbd --stats --json)",
		       {{0}}}},
	{SLOT(health), {"health", NULL, "the health checks' view of every backend", {{0}}}},
	{SLOT(rule_list), {"rule.list", NULL, "the routing rules, of one VIP or all, and their hits",
			   {VIP(false)}}},
	{SLOT(rule_add), {"rule.add", NULL, "add a rule (the config's syntax), last or at an index",
			  {VIP(true), {"rule", SLB_RPC_STRING, true, 0, 0},
			   {"at", SLB_RPC_INT, false, 0, SLB_RULES_MAX}}}},
	{SLOT(rule_remove), {"rule.remove", NULL, "remove the rule at an index",
			     {VIP(true), INDEX("index")}}},
	{SLOT(rule_move), {"rule.move", NULL, "move a rule to another index",
			   {VIP(true), INDEX("from"), INDEX("to")}}},
	{SLOT(rule_test), {"rule.test", NULL, "the rule and backend a SIP message (base64) gets",
			   {VIP(true), {"message", SLB_RPC_STRING, true, 0, 0},
			    {"source", SLB_RPC_STRING, false, 0, 0}}}},
	{SLOT(capture_start), {"capture.start", NULL,
			       "mirror the SIP siplb-dp sends as HEP v3, or with pcap: write "
			       "what one VIP (or all) receives and sends to pcap_dir/PCAP.pcap",
			       {VIP(false), {"sample", SLB_RPC_INT, false, 1, UINT32_MAX},
				{"pcap", SLB_RPC_STRING, false, 0, 0}}}},
	{SLOT(capture_stop), {"capture.stop", NULL,
			      "stop mirroring and the pcap file; only: \"hep\" or \"pcap\"",
			      {{"only", SLB_RPC_STRING, false, 0, 0}}}},
	{SLOT(capture_status), {"capture.status", NULL,
				"what is captured, where to, and the counters", {{0}}}},
};

_Static_assert(sizeof(methods) / sizeof(*methods) ==
	       sizeof(struct slb_rpc_handlers) / sizeof(slb_rpc_handler *),
	       "a method per handler");

int slb_rpc_register_siplbd(struct slb_rpc_registry *r, const struct slb_rpc_handlers *h,
			    void *ctx, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++) {
		struct slb_rpc_method m = methods[i].m;

		m.handler = *(slb_rpc_handler *const *)((const char *)h + methods[i].slot);
		if (m.handler && slb_rpc_registry_add(r, &m, 1, ctx, err, errlen))
			return -1;
	}
	return 0;
}
