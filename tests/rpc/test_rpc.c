/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: the dispatcher on request lines (JSON-RPC 2.0 rules,
 * params schema, every siplbd method on siplbd's model, siplbd_fixture.h), then the
 * server on a real Unix socket, driven from this one thread (the server
 * never blocks, so a test can play server and clients in turn): mode and
 * stale sockets, pipelining, oversized and stalled requests, the client
 * cap, notifications, half-close, peer credentials.
 *
 * usage: test_rpc CONFIG_DIR (tests/rpc/configs)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "siplb/rules_text.h"
#include "siplbd_fixture.h"

#include "../control/check.h"

static struct siplbd_fixture fx;
static const char *configs;

static void path_of(char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "%s/%s", configs, file);
}

static uint64_t generation(void)
{
	return siplbd_model_generation(&fx.model);
}

/* ---- looking into responses ----------------------------------------------------- */

static struct slb_rpc_registry *reg;

static json_object *rpc(const char *line)
{
	return slb_rpc_dispatch(reg, NULL, line, strlen(line));
}

static json_object *get(json_object *o, const char *path)
{
	char key[64];
	const char *dot;

	while (o && path && *path) {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s", dot ? (int)(dot - path) : (int)strlen(path), path);
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(key));
		else if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path = dot ? dot + 1 : NULL;
	}
	return o;
}

static const char *str(json_object *o, const char *path)
{
	json_object *v = get(o, path);

	return v ? json_object_get_string(v) : "(absent)";
}

static int64_t num(json_object *o, const char *path)
{
	return json_object_get_int64(get(o, path));
}

/*
 * The loop's budget for heavy requests (siplbd_common.h) is real time: on a
 * loaded machine the compiles of the calls before can spend it and turn the
 * next call into "try again in N ms". Calls that are not about the budget
 * start with a full one; the budget's own checks set it themselves.
 */
static void full_budget(void)
{
	fx.rpc.budget = (struct siplbd_budget){0};
}

/* A call that must succeed: its result (owned by the response, kept in *res). */
static json_object *ok(const char *line, json_object **res)
{
	*res = rpc(line);
	CHECK(get(*res, "result") && !get(*res, "error"), "%s: a result, not %s", line,
	      json_object_to_json_string(*res));
	CHECK(!strcmp(str(*res, "jsonrpc"), "2.0"), "jsonrpc 2.0");
	return get(*res, "result");
}

/* A configuration file or a rule compiled: with a full budget. */
static json_object *heavy_ok(const char *line, json_object **res)
{
	full_budget();
	return ok(line, res);
}

/* A call that must fail with code, its reason containing `why`. */
static void fails(const char *line, int code, const char *why)
{
	json_object *res;

	if (code != SLB_RPC_LIMIT)
		full_budget();
	res = rpc(line);

	CHECK(num(res, "error.code") == code, "%.80s: code %lld, want %d (%s)", line,
	      (long long)num(res, "error.code"), code, json_object_to_json_string(res));
	CHECK(strstr(str(res, "error.data.reason"), why), "%.80s: reason \"%s\" lacks \"%s\"",
	      line, str(res, "error.data.reason"), why);
	CHECK(!strcmp(str(res, "error.message"), slb_rpc_code_message(code)), "message %s",
	      str(res, "error.message"));
	CHECK(!get(res, "result"), "no result beside an error");
	json_object_put(res);
}

#define REQ(method, params) "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"" method "\"" \
	",\"params\":" params "}"

/* ---- JSON-RPC rules -------------------------------------------------------------- */

static void test_parse_errors(void)
{
	static const char nul[] = "{\"jsonrpc\":\"2.0\",\0\"id\":1}";
	json_object *res;

	fails("{", SLB_RPC_PARSE_ERROR, "offset");
	fails("status", SLB_RPC_PARSE_ERROR, "");
	fails("{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":1} {}", SLB_RPC_PARSE_ERROR, "");
	fails("{'jsonrpc':'2.0'}", SLB_RPC_PARSE_ERROR, "");
	fails("{\"jsonrpc\":\"2.0\",\"method\":\"st\xff\xfe\",\"id\":1}", SLB_RPC_PARSE_ERROR, "");
	res = slb_rpc_dispatch(reg, NULL, nul, sizeof(nul) - 1);
	CHECK(num(res, "error.code") == SLB_RPC_PARSE_ERROR &&
	      strstr(str(res, "error.data.reason"), "NUL byte at offset 17"), "NUL: %s",
	      json_object_to_json_string(res));
	CHECK(get(res, "id") == NULL && json_object_object_get_ex(res, "id", NULL),
	      "a parse error's id is null");
	json_object_put(res);
	/* A number ends at the end of the line, not "wants more input". */
	fails("42", SLB_RPC_INVALID_REQUEST, "not int");
}

static void test_invalid_requests(void)
{
	json_object *res;

	fails("null", SLB_RPC_INVALID_REQUEST, "not null");
	fails("\"status\"", SLB_RPC_INVALID_REQUEST, "not string");
	fails("[]", SLB_RPC_INVALID_REQUEST, "1..64 requests, not 0");
	fails("{\"method\":\"status\",\"id\":1}", SLB_RPC_INVALID_REQUEST, "\"jsonrpc\": \"2.0\"");
	fails("{\"jsonrpc\":\"1.0\",\"method\":\"status\",\"id\":1}", SLB_RPC_INVALID_REQUEST,
	      "\"jsonrpc\": \"2.0\"");
	fails("{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":1}", SLB_RPC_INVALID_REQUEST, "\"method\"");
	fails("{\"jsonrpc\":\"2.0\",\"id\":1}", SLB_RPC_INVALID_REQUEST, "\"method\"");
	fails("{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"params\":\"x\",\"id\":1}",
	      SLB_RPC_INVALID_REQUEST, "params must be an object");
	fails("{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"param\":{},\"id\":1}",
	      SLB_RPC_INVALID_REQUEST, "unknown member 'param'");
	fails("{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":{}}", SLB_RPC_INVALID_REQUEST,
	      "id must be a string, a number or null");
	fails("{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":true}", SLB_RPC_INVALID_REQUEST,
	      "not boolean");
	/* A valid id is echoed even when something else is wrong. */
	res = rpc("{\"jsonrpc\":\"2.0\",\"id\":\"abc\"}");
	CHECK(!strcmp(str(res, "id"), "abc"), "id echoed: %s", json_object_to_json_string(res));
	json_object_put(res);
	/* ... and a string id comes back a string, a null id null. */
	res = rpc("{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":null}");
	CHECK(get(res, "result") && json_object_object_get_ex(res, "id", NULL) && !get(res, "id"),
	      "null id: %s", json_object_to_json_string(res));
	json_object_put(res);
}

/* json-c holds "a\u0000b" whole, C strings of it stop at the NUL: a name
 * must match as sent, not up to a NUL ("status\u0000x" ran status). */
static void test_nul_escapes(void)
{
	fails("{\"jsonrpc\":\"2.0\",\"method\":\"status\\u0000x\",\"id\":1}",
	      SLB_RPC_METHOD_NOT_FOUND, "no method 'status\\u0000...': names hold no NUL");
	fails("{\"jsonrpc\":\"2.0\",\"method\":\"rpc.methods\\u0000\",\"id\":1}",
	      SLB_RPC_METHOD_NOT_FOUND, "names hold no NUL");
	fails("{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"method\\u0000x\":\"status\",\"id\":1}",
	      SLB_RPC_INVALID_REQUEST, "the member name at offset 35 holds a NUL");
	fails(REQ("backend.list", "{\"pool\\u0000x\" : \"core\"}"), SLB_RPC_INVALID_REQUEST,
	      "holds a NUL");
	fails(REQ("backend.list", "{\"pool\":\"core\\u0000x\"}"), SLB_RPC_INVALID_PARAMS,
	      "pool: a NUL (\\u0000) in the string");
	/* An escaped backslash, then "u0000": no NUL. */
	fails(REQ("backend.list", "{\"pool\":\"core\\\\u0000\"}"), SLB_RPC_NOT_FOUND,
	      "core\\u0000");
}

static void test_methods_and_params(void)
{
	fails("{\"jsonrpc\":\"2.0\",\"method\":\"dispatcher.list\",\"id\":3}",
	      SLB_RPC_METHOD_NOT_FOUND, "no method 'dispatcher.list' (rpc.methods lists them)");
	fails(REQ("backend.add", "{\"backend\":\"192.0.2.9\"}"), SLB_RPC_INVALID_PARAMS,
	      "missing param 'pool' (a string)");
	fails(REQ("backend.add", "{\"pool\":\"core\",\"backend\":\"192.0.2.9\",\"weight\":\"5\"}"),
	      SLB_RPC_INVALID_PARAMS, "weight: an integer expected, got string");
	fails(REQ("backend.add", "{\"pool\":\"core\",\"backend\":\"192.0.2.9\",\"weight\":5.5}"),
	      SLB_RPC_INVALID_PARAMS, "weight: an integer expected, got double");
	fails(REQ("backend.add", "{\"pool\":\"core\",\"backend\":\"192.0.2.9\",\"weight\":70000}"),
	      SLB_RPC_INVALID_PARAMS, "weight: 70000 out of range 0..65535");
	fails(REQ("backend.add", "{\"pool\":\"core\",\"backend\":\"192.0.2.9\",\"weight\":-1}"),
	      SLB_RPC_INVALID_PARAMS, "weight: -1 out of range");
	fails(REQ("backend.set", "{\"pool\":\"core\",\"backend\":\"192.0.2.21\","
		  "\"weight\":18446744073709551615}"), SLB_RPC_INVALID_PARAMS, "out of range");
	fails(REQ("backend.set", "{\"pool\":\"core\",\"backend\":\"192.0.2.21\",\"wieght\":5}"),
	      SLB_RPC_INVALID_PARAMS,
	      "unknown param 'wieght' (backend.set takes: pool, backend, weight, priority)");
	fails(REQ("backend.drain", "[\"core\",\"192.0.2.21\",3]"), SLB_RPC_INVALID_PARAMS,
	      "3 params given, backend.drain takes at most 2 (pool, backend)");
	fails(REQ("status", "{\"verbose\":true}"), SLB_RPC_INVALID_PARAMS, "takes: none");
	fails(REQ("backend.list", "{\"pool\":7}"), SLB_RPC_INVALID_PARAMS,
	      "pool: a string expected, got int");
}

/* The failing param is named in error.data.param, for scripts. */
static void test_error_param(void)
{
	json_object *res = rpc(REQ("backend.set", "{\"pool\":\"core\",\"backend\":\"192.0.2.21\","
				   "\"priority\":true}"));

	CHECK(!strcmp(str(res, "error.data.param"), "priority"), "param: %s",
	      json_object_to_json_string(res));
	json_object_put(res);
	res = rpc(REQ("backend.drain", "{\"pool\":\"nope\",\"backend\":\"192.0.2.21\"}"));
	CHECK(!strcmp(str(res, "error.data.param"), "pool"), "param: %s",
	      json_object_to_json_string(res));
	json_object_put(res);
}

static void test_notifications(void)
{
	json_object *res, *r;

	CHECK(!rpc("{\"jsonrpc\":\"2.0\",\"method\":\"backend.drain\","
		   "\"params\":{\"pool\":\"core\",\"backend\":\"192.0.2.22\"}}"),
	      "a notification has no response");
	r = ok(REQ("backend.list", "{\"pool\":\"core\"}"), &res);
	CHECK(!strcmp(str(r, "backends.1.admin"), "draining"), "...but it ran: %s",
	      str(r, "backends.1.admin"));
	json_object_put(res);
	CHECK(!rpc("{\"jsonrpc\":\"2.0\",\"method\":\"no.such\"}"), "nor a failed one");
	CHECK(!rpc("{\"jsonrpc\":\"2.0\",\"method\":\"backend.set\",\"params\":{\"x\":1}}"),
	      "nor one with bad params");
	ok(REQ("backend.enable", "[\"core\",\"192.0.2.22\"]"), &res);
	json_object_put(res);
}

static void test_batches(void)
{
	char big[SLB_RPC_MAX_BATCH * 64 + 64] = "[";
	json_object *res = rpc("[{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":1},"
			       "{\"jsonrpc\":\"2.0\",\"method\":\"status\"},"
			       "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":\"b\"}, 5]");

	CHECK(json_object_is_type(res, json_type_array) && json_object_array_length(res) == 3,
	      "batch: one response per call: %s", json_object_to_json_string(res));
	CHECK(num(res, "0.id") == 1 && get(res, "0.result"), "batch[0]");
	CHECK(!strcmp(str(res, "1.id"), "b") && num(res, "1.error.code") == -32601, "batch[1]");
	CHECK(num(res, "2.error.code") == -32600, "batch[2]");
	json_object_put(res);
	CHECK(!rpc("[{\"jsonrpc\":\"2.0\",\"method\":\"status\"}]"),
	      "a batch of notifications has no response");
	for (int i = 0; i <= SLB_RPC_MAX_BATCH; i++)
		strcat(big, i ? ",{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":1}" :
				"{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":1}");
	strcat(big, "]");
	fails(big, SLB_RPC_INVALID_REQUEST, "1..64 requests, not 65");
	res = rpc("[[]]"); /* nested: one error, in an array */
	CHECK(json_object_array_length(res) == 1 && num(res, "0.error.code") == -32600,
	      "nested batch: %s", json_object_to_json_string(res));
	json_object_put(res);
}

static void test_rpc_methods(void)
{
	json_object *res, *r = ok("{\"jsonrpc\":\"2.0\",\"method\":\"rpc.methods\",\"id\":1}",
				  &res);

	CHECK(json_object_array_length(get(r, "methods")) == 24, "24 methods: %zu",
	      json_object_array_length(get(r, "methods")));
	CHECK(!strcmp(str(r, "methods.4.name"), "backend.add") &&
	      !strcmp(str(r, "methods.4.params.2.name"), "weight") &&
	      !strcmp(str(r, "methods.4.params.2.type"), "integer") &&
	      num(r, "methods.4.params.2.max") == 65535 &&
	      !json_object_get_boolean(get(r, "methods.4.params.2.required")),
	      "backend.add's schema: %s", json_object_to_json_string(get(r, "methods.4")));
	json_object_put(res);
}

/* ---- every method, on siplbd's model -------------------------------------------------- */

static void test_lists(void)
{
	json_object *res, *r;

	r = ok(REQ("status", "{}"), &res);
	CHECK(num(r, "generation") == (int64_t)generation() && num(r, "vips") == 3 &&
	      num(r, "pools") == 2 &&
	      num(r, "backends") == 5 && num(r, "backends_up") == 4 &&
	      get(r, "uptime_seconds") && get(r, "readers") && get(r, "bpffs") &&
	      !strncmp(str(r, "version"), "0.1.0", 5), "status: %s", json_object_to_json_string(r));
	json_object_put(res);
	r = ok(REQ("vip.list", "{}"), &res);
	CHECK(!strcmp(str(r, "vips.1.vip"), "192.0.2.100:5080") &&
	      !strcmp(str(r, "vips.2.mode"), "dsr") && !strcmp(str(r, "vips.1.pool"), "core") &&
	      !json_object_get_boolean(get(r, "vips.1.record_route")) &&
	      json_object_get_boolean(get(r, "vips.0.record_route")) &&
	      json_object_object_get_ex(get(r, "vips.2"), "record_route", NULL) &&
	      !get(r, "vips.2.record_route"), /* DSR: null, Record-Route does not apply */
	      "vip.list: %s", json_object_to_json_string(r));
	json_object_put(res);
	r = ok(REQ("pool.list", "{}"), &res);
	CHECK(!strcmp(str(r, "pools.0.name"), "core") && num(r, "pools.0.backends") == 3 &&
	      num(r, "pools.0.weight_total") == 100 && !strcmp(str(r, "pools.0.seed"), "0x1") &&
	      num(r, "pools.1.up") == 1 && !strcmp(str(r, "pools.0.vips.1"), "sip-alt"),
	      "pool.list: %s", json_object_to_json_string(r));
	json_object_put(res);
	r = ok(REQ("backend.list", "{\"pool\":\"edge\"}"), &res);
	CHECK(json_object_array_length(get(r, "backends")) == 2 &&
	      !strcmp(str(r, "backends.1.backend"), "198.51.100.11:5060") &&
	      !strcmp(str(r, "backends.1.state"), "draining") && num(r, "backends.1.id") == 4,
	      "backend.list edge: %s", json_object_to_json_string(r));
	json_object_put(res);
	r = ok(REQ("backend.list", "{}"), &res);
	CHECK(json_object_array_length(get(r, "backends")) == 5, "backend.list: all");
	json_object_put(res);
	fails(REQ("backend.list", "{\"pool\":\"nope\"}"), SLB_RPC_NOT_FOUND, "no pool 'nope'");
}

static void test_add_remove(void)
{
	json_object *res, *r;

	r = ok(REQ("backend.add", "{\"pool\":\"core\",\"backend\":\"192.0.2.30:5070\","
		   "\"weight\":5,\"priority\":2}"), &res);
	CHECK(num(r, "id") == 5 && num(r, "weight") == 5 && num(r, "priority") == 2 &&
	      !strcmp(str(r, "state"), "up") && !strcmp(str(r, "backend"), "192.0.2.30:5070"),
	      "added: %s", json_object_to_json_string(r));
	json_object_put(res);
	r = ok(REQ("backend.add", "[\"edge\",\"198.51.100.12\"]"), &res);
	CHECK(num(r, "weight") == 1 && num(r, "port") == 5060, "defaults: weight 1, port 5060");
	json_object_put(res);
	fails(REQ("backend.add", "{\"pool\":\"core\",\"backend\":\"192.0.2.30:5070\"}"),
	      SLB_RPC_EXISTS, "pool core has backend 192.0.2.30:5070 already (id 5)");
	fails(REQ("backend.add", "{\"pool\":\"core\",\"backend\":\"[2001:db8::1]:5060\"}"),
	      SLB_RPC_INVALID_PARAMS, "pool core is IPv4: an IPv4 backend expected");
	fails(REQ("backend.add", "{\"pool\":\"core\",\"backend\":\"192.0.2.300\"}"),
	      SLB_RPC_INVALID_PARAMS, "\"192.0.2.300\" is not an IPv4 or IPv6 address");
	fails(REQ("backend.add", "{\"pool\":\"core\",\"backend\":\"224.0.0.1\"}"),
	      SLB_RPC_INVALID_PARAMS, "not a unicast address");
	fails(REQ("backend.add", "{\"pool\":\"core\",\"backend\":\"192.0.2.31:0\"}"),
	      SLB_RPC_INVALID_PARAMS, "port \"0\": 1..65535 expected");
	r = ok(REQ("backend.remove", "{\"pool\":\"core\",\"backend\":\"192.0.2.30:5070\"}"), &res);
	CHECK(num(r, "id") == 5, "removed: the backend as it was");
	json_object_put(res);
	fails(REQ("backend.remove", "{\"pool\":\"core\",\"backend\":\"192.0.2.30:5070\"}"),
	      SLB_RPC_NOT_FOUND, "no backend 192.0.2.30:5070 in pool core");
	fails(REQ("backend.remove", "{\"pool\":\"edge\",\"backend\":\"192.0.2.21\"}"),
	      SLB_RPC_NOT_FOUND, "no backend 192.0.2.21:5060 in pool edge");
	ok(REQ("backend.remove", "{\"pool\":\"edge\",\"backend\":\"198.51.100.12\"}"), &res);
	json_object_put(res);
}

/* ---- routing rules (docs/rules.md) ------------------------------------------------ */

/* rule.list's "rule" of VIP sip's rule i (malloc'd). */
static char *rule_text(int i)
{
	json_object *res, *r = ok(REQ("rule.list", "{\"vip\":\"sip\"}"), &res);
	char path[32], *t;

	snprintf(path, sizeof(path), "rules.%d.rule", i);
	t = strdup(str(r, path));
	json_object_put(res);
	return t;
}

static int64_t n_rules(void)
{
	json_object *res, *r = ok(REQ("rule.list", "{\"vip\":\"sip\"}"), &res);
	int64_t n = (int64_t)json_object_array_length(get(r, "rules"));

	json_object_put(res);
	return n;
}

/* A call with params {"vip":"sip", "rule": text}, text as a JSON string. */
static json_object *add_rule(const char *text, int at)
{
	json_object *req = json_object_new_object(), *params = json_object_new_object(), *res;
	const char *line;

	json_object_object_add(req, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(req, "id", json_object_new_int(1));
	json_object_object_add(req, "method", json_object_new_string("rule.add"));
	json_object_object_add(params, "vip", json_object_new_string("sip"));
	json_object_object_add(params, "rule", json_object_new_string(text));
	if (at >= 0)
		json_object_object_add(params, "at", json_object_new_int(at));
	json_object_object_add(req, "params", params);
	line = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	res = rpc(line);
	json_object_put(req);
	return res;
}

/* A rule.add that must fail with code and why; nothing changes. */
static void add_fails(const char *text, int code, const char *why)
{
	uint64_t g = generation();
	int64_t n = n_rules();
	json_object *res;

	if (code != SLB_RPC_LIMIT)
		full_budget();
	res = add_rule(text, -1);
	CHECK(num(res, "error.code") == code && strstr(str(res, "error.data.reason"), why),
	      "rule.add %.60s: want %d \"%s\", got %s", text, code, why,
	      json_object_to_json_string(res));
	CHECK(generation() == g && n_rules() == n, "a refused rule.add changes nothing");
	json_object_put(res);
}

static void test_rule_list(void)
{
	const struct slb_vip_rules *vr = &siplbd_model_state(&fx.model)->rules[0];
	json_object *res, *r;
	char want[600];

	CHECK(vr->n_rules == 4, "4 rules published for sip, not %u", vr->n_rules);
	slb_rule_stats_of(&fx.maps, 0)[vr->counter_base + 0] = 40; /* as two lcores counted */
	slb_rule_stats_of(&fx.maps, 3)[vr->counter_base + 0] = 2;
	slb_rule_stats_of(&fx.maps, 1)[vr->counter_base + 2] = 9;
	r = ok(REQ("rule.list", "{}"), &res);
	CHECK(json_object_array_length(get(r, "rules")) == 4, "all VIPs: sip's 4 rules");
	CHECK(!strcmp(str(r, "rules.0.vip"), "sip") && num(r, "rules.0.index") == 0 &&
	      !strcmp(str(r, "rules.0.match"),
		      "user_agent = { regex = \"friendly-scanner|sipvicious|sipcli\" }") &&
	      !strcmp(str(r, "rules.0.action"), "drop") && num(r, "rules.0.hits") == 42,
	      "rule 0: %s", json_object_to_json_string(get(r, "rules.0")));
	path_of(want, sizeof(want), "rpc.conf:13");
	CHECK(!strcmp(str(r, "rules.0.origin"), want), "origin %s", str(r, "rules.0.origin"));
	CHECK(!strcmp(str(r, "rules.1.action"), "continue") &&
	      !strcmp(str(r, "rules.1.rate"), "50/s burst 100 per source, over: reply 503") &&
	      num(r, "rules.1.hits") == 0, "rule 1: %s", json_object_to_json_string(get(r, "rules.1")));
	CHECK(!strcmp(str(r, "rules.2.match"),
		      "method = \"REGISTER\"; ruri_host = \"reg.example.com\"") &&
	      !strcmp(str(r, "rules.2.action"), "pool core") &&
	      !strcmp(str(r, "rules.2.hash"), "to-user") && num(r, "rules.2.hits") == 9,
	      "rule 2: %s", json_object_to_json_string(get(r, "rules.2")));
	CHECK(!strcmp(str(r, "rules.3.rule"), "{ match = { ruri_user = { prefix = \"112\" }; "
		      "source = \"203.0.113.0/24\"; }; action = \"reply 403 Emergency calls "
		      "elsewhere\"; }"), "rule 3: %s", str(r, "rules.3.rule"));
	json_object_put(res);
	r = ok(REQ("rule.list", "{\"vip\":\"sip-alt\"}"), &res);
	CHECK(json_object_array_length(get(r, "rules")) == 0, "sip-alt has none");
	json_object_put(res);
	r = ok(REQ("stats", "{}"), &res);
	CHECK(json_object_array_length(get(r, "rules")) == 4 && !strcmp(str(r, "rules.0.vip"), "sip") &&
	      num(r, "rules.0.hits") == 42 && num(r, "rules.2.index") == 2 &&
	      num(r, "rules.2.hits") == 9, "stats: rules: %s",
	      json_object_to_json_string(get(r, "rules")));
	json_object_put(res);
	fails(REQ("rule.list", "{\"vip\":\"nope\"}"), SLB_RPC_NOT_FOUND, "no VIP 'nope'");
	memset(slb_rule_stats_of(&fx.maps, 0), 0, fx.maps.control->rule_counters * 8);
	memset(slb_rule_stats_of(&fx.maps, 1), 0, fx.maps.control->rule_counters * 8);
	memset(slb_rule_stats_of(&fx.maps, 3), 0, fx.maps.control->rule_counters * 8);
}

static void test_rule_changes(void)
{
	uint64_t g = generation();
	json_object *res, *r;
	char *t3, *t5;

	full_budget();
	res = add_rule("{ match = { method = \"OPTIONS\"; }; action = \"reply 404 Not Here\"; }", 1);
	CHECK(num(res, "result.index") == 1 && !strcmp(str(res, "result.origin"), "runtime") &&
	      num(res, "result.generation") == (int64_t)g + 1 && generation() == g + 1,
	      "added at 1, one generation: %s", json_object_to_json_string(res));
	json_object_put(res);
	CHECK(n_rules() == 5 && siplbd_model_state(&fx.model)->rules[0].n_rules == 5,
	      "5 rules, published");
	/* what rule.list shows, rule.add takes: the same rule back */
	t3 = rule_text(3);
	full_budget();
	json_object_put(add_rule(t3, -1));
	t5 = rule_text(5);
	CHECK(!strcmp(t3, t5), "round trip: %s -> %s", t3, t5);
	free(t3);
	free(t5);
	/* rule_maps.counters = 6 (rpc.conf): valid, but it cannot be published */
	add_fails("{ action = \"drop\"; }", SLB_RPC_PUBLISH_FAILED, "rule_maps.counters is 6");
	r = heavy_ok(REQ("rule.move", "{\"vip\":\"sip\",\"from\":5,\"to\":0}"), &res);
	CHECK(num(r, "index") == 0 && !strcmp(str(r, "hash"), "to-user") &&
	      !strcmp(str(r, "origin"), "runtime"), "moved: %s", json_object_to_json_string(r));
	json_object_put(res);
	t3 = rule_text(1);
	CHECK(strstr(t3, "friendly-scanner"), "the others moved down: %s", t3);
	free(t3);
	r = heavy_ok(REQ("rule.remove", "[\"sip\",0]"), &res);
	CHECK(num(r, "index") == 0 && !strcmp(str(r, "hash"), "to-user"), "removed: %s",
	      json_object_to_json_string(r));
	json_object_put(res);
	r = heavy_ok(REQ("rule.remove", "{\"vip\":\"sip\",\"index\":1}"), &res);
	CHECK(!strcmp(str(r, "action"), "reply 404 Not Here"), "the OPTIONS rule went");
	json_object_put(res);
	CHECK(n_rules() == 4 && generation() == g + 5, "back to 4 rules, 5 generations later");
}

static void swap_addr(struct slb_addr *a, struct slb_addr *b)
{
	struct slb_addr t = *a;

	*a = *b;
	*b = t;
}

static void test_rule_refusals(void)
{
	char big[SLB_RULE_TEXT_MAX + 64];
	struct slb_addr edge_be;
	uint64_t g = generation();

	add_fails("{ match = { user_agent = { regex = \"(\" }; }; action = \"drop\"; }",
		  SLB_RPC_INVALID_PARAMS, "rule:1: 'match.user_agent.regex': \"(\": Hyperscan "
		  "cannot compile it");
	add_fails("{ action = \"pool nope\"; }", SLB_RPC_INVALID_PARAMS,
		  "'action': \"pool nope\": no pool of that name");
	/* a pool of the other family (edge's first backend as if IPv6), as the file's check */
	slb_addr_parse("2001:db8::10", &edge_be);
	edge_be.port = 5060;
	swap_addr(&fx.model.cfg.pools[1].backends[0].a, &edge_be);
	add_fails("{ action = \"pool edge\"; }", SLB_RPC_INVALID_PARAMS,
		  "runtime: \"pool edge\": its backend 0 is IPv6, VIP 'sip' is IPv4: a rule's pool "
		  "serves its VIP's family");
	swap_addr(&fx.model.cfg.pools[1].backends[0].a, &edge_be);
	add_fails("{ match = { methd = \"INVITE\"; }; action = \"drop\"; }",
		  SLB_RPC_INVALID_PARAMS, "'match.methd': unknown setting");
	add_fails("{ match = { method = \"INVITE\"; }; }", SLB_RPC_INVALID_PARAMS,
		  "has no 'action', 'hash' or 'rate'");
	add_fails("{ action = \"drop\"; }, { action = \"allow\"; }", SLB_RPC_INVALID_PARAMS,
		  "one rule { ... } expected, 2 given");
	add_fails("{ action = \"drop\"; ", SLB_RPC_INVALID_PARAMS, "rule:");
	add_fails("", SLB_RPC_INVALID_PARAMS, "one rule { ... } expected, 0 given");
	add_fails("{ action = \"drop\";\n@include \"/etc/passwd\"\n}", SLB_RPC_INVALID_PARAMS,
		  "no @include in a rule");
	add_fails("{ action = \"reply 403 a\x01" "b\"; }", SLB_RPC_INVALID_PARAMS,
		  "a control character (0x01)");
	add_fails("{ action = \"reply 200\"; }); vips = ( {", SLB_RPC_INVALID_PARAMS, "rule:");
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(big, "{ action = \"drop\"; }", 20);
	add_fails(big, SLB_RPC_INVALID_PARAMS, "a rule has at most 4096");
	fails(REQ("rule.add", "{\"vip\":\"sip\",\"rule\":\"{ action = \\\"drop\\\"; }\",\"at\":5}"),
	      SLB_RPC_INVALID_PARAMS, "at 5: VIP sip has 4 rules, so 0..4");
	fails(REQ("rule.add", "{\"vip\":\"sip\",\"rule\":\"{}\",\"at\":-1}"),
	      SLB_RPC_INVALID_PARAMS, "at");
	fails(REQ("rule.add", "{\"vip\":\"nope\",\"rule\":\"{ action = \\\"drop\\\"; }\"}"),
	      SLB_RPC_NOT_FOUND, "no VIP 'nope'");
	fails(REQ("rule.remove", "{\"vip\":\"sip\",\"index\":4}"), SLB_RPC_NOT_FOUND,
	      "index 4: VIP sip has rules 0..3");
	fails(REQ("rule.remove", "{\"vip\":\"sip-alt\",\"index\":0}"), SLB_RPC_NOT_FOUND,
	      "VIP sip-alt has no rules");
	fails(REQ("rule.move", "{\"vip\":\"sip\",\"from\":0,\"to\":9}"), SLB_RPC_NOT_FOUND,
	      "to 9: VIP sip has rules 0..3");
	fails(REQ("rule.move", "{\"vip\":\"sip\",\"from\":0}"), SLB_RPC_INVALID_PARAMS, "to");
	/* compiles are charged to the loop's budget: spent, changes wait */
	fx.rpc.budget = (struct siplbd_budget){-500000000, siplbd_now_ns()};
	add_fails("{ action = \"drop\"; }", SLB_RPC_LIMIT, "rule changes and configuration files "
		  "took 1"); /* 1500 ms, less what passed since */
	fails(REQ("rule.add", "{\"vip\":\"sip\",\"rule\":\"{ action = \\\"drop\\\"; }\"}"),
	      SLB_RPC_LIMIT, "ms of siplbd's loop lately: try again in");
	fails(REQ("rule.remove", "[\"sip\",0]"), SLB_RPC_LIMIT, "try again in");
	fails(REQ("rule.move", "[\"sip\",0,1]"), SLB_RPC_LIMIT, "try again in");
	full_budget();
	CHECK(generation() == g && n_rules() == 4, "refusals change nothing");
	json_object_put(add_rule("{ action = \"drop\"; }", -1));
	CHECK(fx.rpc.budget.left_ns < SIPLBD_BUDGET_BURST_NS && n_rules() == 5,
	      "a change is charged: %lld ns left", (long long)fx.rpc.budget.left_ns);
	full_budget();
	json_object_put(rpc(REQ("rule.remove", "[\"sip\",4]")));
	CHECK(generation() == g + 2 && n_rules() == 4, "back as it was");
}

/* rule.test of a message (CRLF line ends), from source; its response. */
static json_object *rule_test(const char *vip, const char *msg, const char *source)
{
	static char b64[8192], line[9000];

	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)msg, strlen(msg),
			  sodium_base64_VARIANT_ORIGINAL);
	snprintf(line, sizeof(line), REQ("rule.test", "{\"vip\":\"%s\",\"message\":\"%s\"%s%s%s}"),
		 vip, b64, source ? ",\"source\":\"" : "", source ? source : "", source ? "\"" : "");
	return rpc(line);
}

#define SIP_REQ(method, ruri, to, tag, ua, call_id)                                        \
	method " " ruri " SIP/2.0\r\n"                                                     \
	"Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-1\r\n"                           \
	"From: <sip:alice@example.com>;tag=1\r\n"                                          \
	"To: <" to ">" tag "\r\n"                                                          \
	"Call-ID: " call_id "\r\n"                                                         \
	"CSeq: 1 " method "\r\n"                                                           \
	"Max-Forwards: 70\r\n"                                                             \
	"User-Agent: " ua "\r\n"                                                           \
	"Content-Length: 0\r\n\r\n"

static void test_rule_test(void)
{
	json_object *a, *b, *c;

	a = rule_test("sip", SIP_REQ("INVITE", "sip:bob@example.com", "sip:bob@example.com", "",
				     "friendly-scanner", "x1"), NULL);
	CHECK(num(a, "result.rule") == 0 && !strcmp(str(a, "result.action"), "drop") &&
	      !get(a, "result.backend"), "scanner dropped: %s", json_object_to_json_string(a));
	json_object_put(a);
	/* two REGISTERs of one AoR, other Call-IDs: one registrar, that of the
	 * Call-ID "alice" by default (the same pool, seed and hash) */
	a = rule_test("sip", SIP_REQ("REGISTER", "sip:reg.example.com", "sip:alice@reg.example.com",
				     "", "phone", "c1@h"), NULL);
	b = rule_test("sip", SIP_REQ("REGISTER", "sip:REG.example.com", "sip:alice@reg.example.com",
				     "", "phone", "c2@h"), NULL);
	c = rule_test("sip-alt", SIP_REQ("INVITE", "sip:bob@example.com", "sip:bob@example.com", "",
					 "phone", "alice"), NULL);
	CHECK(num(a, "result.rule") == 2 && num(a, "result.passed.0") == 1 &&
	      !strcmp(str(a, "result.hash"), "to-user") && !strcmp(str(a, "result.key"), "alice") &&
	      !strcmp(str(a, "result.pool"), "core") && get(a, "result.backend_id"),
	      "AoR hash: %s", json_object_to_json_string(a));
	CHECK(num(b, "result.rule") == 2 && num(b, "result.backend_id") == num(a, "result.backend_id"),
	      "the second REGISTER: the same backend: %s", json_object_to_json_string(b));
	CHECK(!get(c, "result.rule") && !strcmp(str(c, "result.action"), "default") &&
	      !strcmp(str(c, "result.key"), "alice") &&
	      num(c, "result.backend_id") == num(a, "result.backend_id"),
	      "by Call-ID alice: %s", json_object_to_json_string(c));
	json_object_put(a);
	json_object_put(b);
	json_object_put(c);
	a = rule_test("sip", SIP_REQ("INVITE", "sip:112@example.com", "sip:112@example.com", "",
				     "phone", "e1"), "203.0.113.9:5060");
	b = rule_test("sip", SIP_REQ("INVITE", "sip:112@example.com", "sip:112@example.com", "",
				     "phone", "e1"), "198.51.100.9");
	CHECK(num(a, "result.rule") == 3 && !strcmp(str(a, "result.action"),
						    "reply 403 Emergency calls elsewhere"),
	      "403 from the source prefix: %s", json_object_to_json_string(a));
	CHECK(!get(b, "result.rule") && !strcmp(str(b, "result.action"), "default"),
	      "another source: the default way: %s", json_object_to_json_string(b));
	json_object_put(a);
	json_object_put(b);
	a = rule_test("sip", SIP_REQ("BYE", "sip:bob@example.com", "sip:bob@example.com", ";tag=9",
				     "friendly-scanner", "d1"), NULL);
	CHECK(get(a, "result.rule") && !strcmp(str(a, "result.action"), "drop") &&
	      json_object_get_boolean(get(a, "result.in_dialog")) && get(a, "result.note"),
	      "in-dialog: a scanner's BYE is dropped all the same: %s",
	      json_object_to_json_string(a));
	json_object_put(a);
	a = rule_test("edge", SIP_REQ("INVITE", "sip:bob@example.com", "sip:bob@example.com", "",
				      "phone", "d2"), NULL);
	CHECK(!get(a, "result.rule") && strstr(str(a, "result.note"), "a DSR VIP") &&
	      !strcmp(str(a, "result.pool"), "edge"), "DSR: %s", json_object_to_json_string(a));
	json_object_put(a);
}

static void test_rule_test_refusals(void)
{
	static char line[SLB_RPC_DEFAULT_MAX_REQUEST];
	json_object *res;
	size_t n;

	res = rule_test("sip", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.100;branch=z9hG4bK1\r\n"
			"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\n"
			"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", NULL);
	CHECK(num(res, "error.code") == SLB_RPC_INVALID_PARAMS &&
	      strstr(str(res, "error.data.reason"), "not a request"), "a response: %s",
	      json_object_to_json_string(res));
	json_object_put(res);
	res = rule_test("sip", "INVITE sip:a@b SIP/2.0\r\n\r\n", NULL);
	CHECK(strstr(str(res, "error.data.reason"), "siplb-dp would drop it as malformed"),
	      "malformed: %s", json_object_to_json_string(res));
	json_object_put(res);
	res = rule_test("sip", SIP_REQ("INVITE", "sip:a@b", "sip:a@b", "", "x", "y"), "192.0.2.300");
	CHECK(num(res, "error.code") == SLB_RPC_INVALID_PARAMS &&
	      !strcmp(str(res, "error.data.param"), "source"), "bad source: %s",
	      json_object_to_json_string(res));
	json_object_put(res);
	fails(REQ("rule.test", "{\"vip\":\"sip\",\"message\":\"not base64!\"}"),
	      SLB_RPC_INVALID_PARAMS, "base64 of 1..32768 bytes");
	fails(REQ("rule.test", "{\"vip\":\"sip\",\"message\":\"\"}"), SLB_RPC_INVALID_PARAMS,
	      "base64 of 1..32768 bytes");
	n = (size_t)snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
			     "\"rule.test\",\"params\":{\"vip\":\"sip\",\"message\":\"");
	memset(line + n, 'A', 44000);
	snprintf(line + n + 44000, sizeof(line) - n - 44000, "\"}}");
	fails(line, SLB_RPC_LIMIT, "more than 32768 bytes of message");
}

/* config.reload keeps a VIP's rules changed at run time (the state);
 * state.clear gives the file's back. */
static void test_rule_reload(void)
{
	json_object *res, *r;
	char *t;

	full_budget();
	json_object_put(add_rule("{ action = \"allow\"; }", 0));
	CHECK(n_rules() == 5, "a run-time rule");
	heavy_ok(REQ("config.reload", "{}"), &res);
	json_object_put(res);
	t = rule_text(0);
	CHECK(n_rules() == 5 && strstr(t, "allow"), "kept through a reload: %s", t);
	free(t);
	r = ok(REQ("config.diff", "{}"), &res);
	CHECK(!strcmp(str(r, "rules.0.vip"), "sip") &&
	      !strcmp(str(r, "rules.0.rules.0.origin"), "runtime") &&
	      json_object_array_length(get(r, "rules.0.rules")) == 5, "config.diff: %s",
	      json_object_to_json_string(r));
	json_object_put(res);
	ok(REQ("state.clear", "{}"), &res);
	json_object_put(res);
	t = rule_text(0);
	CHECK(n_rules() == 4 && strstr(t, "friendly-scanner"), "state.clear: the file's: %s", t);
	free(t);
}

/* set, drain, disable, enable: the effective state follows admin, health, weight. */
static void test_states(void)
{
	static const struct {
		const char *req, *state, *admin;
	} steps[] = {
		{REQ("backend.set", "{\"pool\":\"core\",\"backend\":\"192.0.2.21\",\"weight\":0}"),
		 "draining", "enabled"},
		{REQ("backend.set", "{\"pool\":\"core\",\"backend\":\"192.0.2.21\",\"weight\":60,"
		     "\"priority\":3}"), "up", "enabled"},
		{REQ("backend.drain", "{\"pool\":\"core\",\"backend\":\"192.0.2.21:5060\"}"),
		 "draining", "draining"},
		{REQ("backend.disable", "{\"pool\":\"core\",\"backend\":\"192.0.2.21\"}"),
		 "disabled", "disabled"},
		{REQ("backend.enable", "{\"pool\":\"core\",\"backend\":\"192.0.2.21\"}"), "up",
		 "enabled"},
		{REQ("backend.disable", "{\"pool\":\"core\",\"backend\":\"192.0.2.23:5062\"}"),
		 "disabled", "disabled"},
	};
	uint64_t g = generation();
	json_object *res, *r;

	for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++) {
		r = ok(steps[i].req, &res);
		CHECK(!strcmp(str(r, "state"), steps[i].state) &&
		      !strcmp(str(r, "admin"), steps[i].admin), "step %zu: %s", i,
		      json_object_to_json_string(r));
		json_object_put(res);
	}
	CHECK(generation() == g + 6, "one generation per change");
	r = ok(REQ("backend.list", "[\"core\"]"), &res);
	CHECK(num(r, "backends.0.weight") == 60 && num(r, "backends.0.priority") == 3,
	      "set kept: %s", json_object_to_json_string(get(r, "backends.0")));
	json_object_put(res);
	fails(REQ("backend.set", "{\"pool\":\"core\",\"backend\":\"192.0.2.21\"}"),
	      SLB_RPC_INVALID_PARAMS, "nothing to set");
	fails(REQ("backend.drain", "{\"pool\":\"core\",\"backend\":\"192.0.2.99\"}"),
	      SLB_RPC_NOT_FOUND, "no backend 192.0.2.99:5060 in pool core");
}

static void test_config(void)
{
	char req[1024], path[512];
	json_object *res, *r;

	path_of(path, sizeof(path), "reload.conf");
	snprintf(req, sizeof(req), REQ("config.validate", "{\"file\":\"%s\"}"), path);
	r = heavy_ok(req, &res);
	CHECK(num(r, "vips") == 3 && num(r, "pools") == 2 && num(r, "backends") == 5 &&
	      num(r, "ports") == 0, "validate: %s", json_object_to_json_string(r));
	json_object_put(res);
	path_of(path, sizeof(path), "bad.conf");
	snprintf(req, sizeof(req), REQ("config.validate", "{\"file\":\"%s\"}"), path);
	fails(req, SLB_RPC_BAD_CONFIG, "bad.conf:6: ");
	snprintf(req, sizeof(req), REQ("config.reload", "{\"file\":\"%s\"}"), path);
	fails(req, SLB_RPC_BAD_CONFIG, "bad.conf:6: ");
	CHECK(strstr(fx.model.config, "rpc.conf"), "a bad reload changes nothing");
	/* The disabled 192.0.2.23 (test_states) stays disabled, at its id; .22 goes,
	 * .24 comes, with a new id: not .22's, which the generation before shows
	 * (publish.h), but the lowest free in both. */
	path_of(path, sizeof(path), "reload.conf");
	snprintf(req, sizeof(req), REQ("config.reload", "{\"file\":\"%s\"}"), path);
	r = heavy_ok(req, &res);
	CHECK(num(r, "generation") == (int64_t)generation() && num(r, "backends") == 5,
	      "reload: %s", json_object_to_json_string(r));
	json_object_put(res);
	r = ok(REQ("backend.list", "{\"pool\":\"core\"}"), &res);
	CHECK(!strcmp(str(r, "backends.1.backend"), "192.0.2.23:5062") &&
	      !strcmp(str(r, "backends.1.admin"), "disabled") && num(r, "backends.1.id") == 2 &&
	      !strcmp(str(r, "backends.2.backend"), "192.0.2.24:5060") &&
	      num(r, "backends.2.id") == 5 && json_object_array_length(get(r, "backends")) == 3,
	      "after reload: %s", json_object_to_json_string(r));
	json_object_put(res);
	/* FILE was a one-off: the default file again, until set_default. */
	r = heavy_ok(REQ("config.reload", "{}"), &res);
	CHECK(strstr(str(r, "file"), "rpc.conf") && strstr(str(r, "default"), "rpc.conf"),
	      "reload without file: the default one: %s", json_object_to_json_string(r));
	json_object_put(res);
	snprintf(req, sizeof(req), REQ("config.reload", "{\"file\":\"%s\",\"set_default\":true}"),
		 path);
	heavy_ok(req, &res);
	json_object_put(res);
	r = heavy_ok(REQ("config.reload", "{}"), &res);
	CHECK(strstr(str(r, "file"), "reload.conf") && strstr(str(r, "default"), "reload.conf"),
	      "reload without file after set_default: %s", json_object_to_json_string(r));
	json_object_put(res);
}

static void test_stats_health(void)
{
	json_object *res, *r;

	CHECK(!siplbd_fixture_down(&fx, "198.51.100.10", "3 timeouts"), "set health");
	r = ok(REQ("stats", "{}"), &res);
	CHECK(num(r, "generation") == (int64_t)generation() && num(r, "drops.tx_full") == 6 &&
	      num(r, "replies.503") == 2 && num(r, "malformed.no_call_id") == 16 &&
	      num(r, "backends.0.msgs") == 100 && !strcmp(str(r, "vips.0.address"), "192.0.2.100") &&
	      num(r, "responses.bytes") == 450000 && num(r, "keepalives") == 7,
	      "stats: %s", json_object_to_json_string(r));
	json_object_put(res);
	/* The probed pool's backends (edge), as their prober has them: no probe
	 * has gone out yet (tests/health checks the probes' figures). */
	r = ok(REQ("health", "{}"), &res);
	CHECK(json_object_array_length(get(r, "backends")) == 2 && num(r, "backends.0.id") == 3 &&
	      !strcmp(str(r, "backends.0.health"), "down") &&
	      !strcmp(str(r, "backends.0.reason"), "3 timeouts") && num(r, "backends.0.streak") == 0 &&
	      !get(r, "backends.0.last_code") &&
	      json_object_object_get_ex(get(r, "backends.0"), "latency_seconds", NULL) &&
	      !get(r, "backends.0.latency_seconds") && !strcmp(str(r, "backends.1.health"), "up") &&
	      json_object_object_get_ex(get(r, "backends.1"), "last_code", NULL) &&
	      num(r, "backends.1.probes") == 0,
	      "health: %s", json_object_to_json_string(r));
	json_object_put(res);
	r = ok(REQ("pool.list", "{}"), &res);
	CHECK(num(r, "pools.1.up") == 0 && num(r, "pools.1.table_size") == 0,
	      "a pool without a backend up has no table: %s", json_object_to_json_string(r));
	json_object_put(res);
}

/* ---- the registry and backend addresses -------------------------------------------- */

static int h_nop(const struct slb_rpc_call *call, json_object *params, json_object **res,
		 struct slb_rpc_error *e)
{
	(void)call;
	(void)params;
	(void)e;
	*res = NULL;
	return 0;
}

static int h_fail_silently(const struct slb_rpc_call *call, json_object *params,
			   json_object **res, struct slb_rpc_error *e)
{
	(void)call;
	(void)params;
	(void)res;
	(void)e;
	return -1;
}

static void test_registry(void)
{
	static const struct slb_rpc_method bad[][1] = {
		{{"Status", h_nop, "", {{0}}}},
		{{"rpc.x", h_nop, "", {{0}}}},
		{{"x", NULL, "", {{0}}}},
		{{"x", h_nop, "", {{"a", SLB_RPC_INT, false, 5, 1}}}},
		{{"x", h_nop, "", {{"a", 9, false, 0, 0}}}},
		{{"x", h_nop, "", {{"a", SLB_RPC_BOOL, false, 0, 0}, {"a", SLB_RPC_BOOL, false, 0, 0}}}},
		{{"status", h_nop, "", {{0}}}},
	};
	static const struct slb_rpc_method good[] = {
		{"test.nop", h_nop, "returns null", {{0}}},
		{"test.fail", h_fail_silently, "fails without a reason", {{0}}},
	};
	json_object *res;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		CHECK(slb_rpc_registry_add(reg, bad[i], 1, NULL, err, sizeof(err)) == -1,
		      "bad method %zu accepted", i);
	CHECK(slb_rpc_registry_add(reg, good, 2, NULL, err, sizeof(err)) == 0, "good: %s", err);
	CHECK(slb_rpc_registry_add(reg, good, 1, NULL, err, sizeof(err)) == -1 &&
	      strstr(err, "test.nop: registered twice"), "twice: %s", err);
	res = rpc("{\"jsonrpc\":\"2.0\",\"method\":\"test.nop\",\"id\":1}");
	CHECK(json_object_object_get_ex(res, "result", NULL) && !get(res, "result"),
	      "a null result: %s", json_object_to_json_string(res));
	json_object_put(res);
	fails("{\"jsonrpc\":\"2.0\",\"method\":\"test.fail\",\"id\":1}", SLB_RPC_INTERNAL_ERROR,
	      "test.fail failed");
}

static void test_parse_backend(void)
{
	static const struct {
		const char *in;
		int family;
		uint16_t port;
		const char *back; /* formatted again, or the error's words */
	} cases[] = {
		{"192.0.2.1", AF_INET, 5060, "192.0.2.1:5060"},
		{"192.0.2.1:5080", AF_INET, 5080, "192.0.2.1:5080"},
		{"2001:db8::1", AF_INET6, 5060, "[2001:db8::1]:5060"},
		{"[2001:db8::1]:5070", AF_INET6, 5070, "[2001:db8::1]:5070"},
		{"[2001:db8::1]", AF_INET6, 5060, "[2001:db8::1]:5060"},
		{"192.0.2.1:", 0, 0, "1..65535 expected"},
		{"192.0.2.1:65536", 0, 0, "1..65535 expected"},
		{"192.0.2.1:+80", 0, 0, "1..65535 expected"},
		{"[2001:db8::1", 0, 0, "'[' without ']'"},
		{"[2001:db8::1]x", 0, 0, "'[' without ']'"},
		{"host.example:5060", 0, 0, "not an IPv4 or IPv6 address"},
		{"", 0, 0, "not an IPv4 or IPv6 address"},
		{"0.0.0.0", 0, 0, "not a unicast address"},
		{"ff02::1", 0, 0, "not a unicast address"},
	};
	struct slb_addr a;
	char err[256], buf[SLB_ADDR_TEXT_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int rc = slb_rpc_parse_backend(cases[i].in, &a, err, sizeof(err));

		if (cases[i].family) {
			slb_addr_format(&a, SLB_ADDR_ENDPOINT, buf, sizeof(buf));
			CHECK(rc == 0 && a.family == cases[i].family && a.port == cases[i].port &&
			      !strcmp(buf, cases[i].back), "%s: rc %d %s", cases[i].in, rc,
			      rc ? err : buf);
		} else {
			CHECK(rc == -1 && strstr(err, cases[i].back), "%s: rc %d, %s", cases[i].in,
			      rc, err);
		}
	}
}

/* ---- the server, on a real socket ----------------------------------------------------- */

static char dir[64], sock[108];
static struct slb_rpc_server *srv;

static void log_line(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "  server: %s\n", msg);
}

static struct slb_rpc_server *start(struct slb_rpc_server_config *cfg)
{
	char err[256];
	struct slb_rpc_server *s;

	cfg->path = sock;
	cfg->log = log_line;
	s = slb_rpc_server_open(cfg, reg, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "server: %s\n", err);
		exit(1);
	}
	return s;
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct conn {
	int fd;
	bool eof;
	size_t len;
	char buf[1 << 20];
};

static struct conn *dial(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct conn *c = calloc(1, sizeof(*c));

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("connect");
		exit(1);
	}
	return c;
}

static void hang_up(struct conn *c)
{
	close(c->fd);
	free(c);
}

/* Runs the server and reads what the connections get, for up to ms. */
static void step(struct conn **cs, int n, int ms)
{
	struct pollfd p[8] = {{.fd = slb_rpc_server_fd(srv), .events = POLLIN}};
	char err[256];

	for (int i = 0; i < n; i++)
		p[i + 1] = (struct pollfd){.fd = cs[i]->eof ? -1 : cs[i]->fd, .events = POLLIN};
	poll(p, (nfds_t)n + 1, ms);
	if (p[0].revents && slb_rpc_server_process(srv, err, sizeof(err)))
		CHECK(0, "process: %s", err);
	for (int i = 0; i < n; i++) {
		ssize_t r;

		if (!p[i + 1].revents || cs[i]->len + 1 == sizeof(cs[i]->buf))
			continue; /* full: the test reads lines out first */
		r = recv(cs[i]->fd, cs[i]->buf + cs[i]->len, sizeof(cs[i]->buf) - 1 - cs[i]->len, 0);
		if (r > 0)
			cs[i]->len += (size_t)r;
		else if (r == 0 || errno != EAGAIN)
			cs[i]->eof = true;
	}
}

/* Sends all of s while the server runs: false if the server hung up first. */
static bool send_all(struct conn *c, const char *s, size_t len)
{
	int64_t end = ms_now() + 5000;

	while (len && ms_now() < end) {
		ssize_t n = send(c->fd, s, len, MSG_NOSIGNAL);

		if (n > 0) {
			s += n;
			len -= (size_t)n;
		} else if (errno != EAGAIN) {
			return false;
		}
		step(&c, 1, 0); /* the server drains what we sent */
	}
	return len == 0;
}

static void say(struct conn *c, const char *s, size_t len)
{
	CHECK(send_all(c, s, len), "could not send: %s", strerror(errno));
}

/* The next line c gets, without its newline; NULL at end of stream or after ms. */
static json_object *next(struct conn *c, int ms)
{
	int64_t end = ms_now() + ms;
	char *nl;
	json_object *o;

	while (!(nl = memchr(c->buf, '\n', c->len)) && !c->eof && ms_now() < end)
		step(&c, 1, 10);
	if (!nl)
		return NULL;
	*nl = 0;
	o = json_tokener_parse(c->buf);
	CHECK(o, "not JSON: %s", c->buf);
	c->len -= (size_t)(nl + 1 - c->buf);
	memmove(c->buf, nl + 1, c->len);
	return o;
}

/* Until the server closes c: true if it did within ms. */
static bool closed(struct conn *c, int ms)
{
	int64_t end = ms_now() + ms;

	while (!c->eof && ms_now() < end)
		step(&c, 1, 10);
	return c->eof;
}

static bool roundtrip(struct conn *c, int id)
{
	char req[128];
	json_object *o;
	bool good;

	snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":%d}\n", id);
	say(c, req, strlen(req));
	o = next(c, 2000);
	good = num(o, "id") == id && get(o, "result.generation");
	json_object_put(o);
	return good;
}

static void test_socket_file(void)
{
	struct slb_rpc_server_config cfg = {0}, cfg2 = {.path = sock};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	char err[256];
	int fd;

	srv = start(&cfg);
	CHECK(!stat(sock, &st) && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600,
	      "mode %o", st.st_mode & 0777);
	CHECK(!slb_rpc_server_open(&cfg2, reg, err, sizeof(err)) &&
	      strstr(err, "another server is listening there"), "second server: %s", err);
	slb_rpc_server_close(srv);
	CHECK(stat(sock, &st) && errno == ENOENT, "the socket file is removed on close");
	/* A socket nobody listens on is stale: replaced. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(!bind(fd, (struct sockaddr *)&sa, sizeof(sa)), "bind");
	cfg = (struct slb_rpc_server_config){.mode = 0660};
	srv = start(&cfg);
	close(fd);
	CHECK(!stat(sock, &st) && (st.st_mode & 0777) == 0660, "mode 0660: %o",
	      st.st_mode & 0777);
	slb_rpc_server_close(srv);
	fd = open(sock, O_CREAT | O_WRONLY, 0600);
	close(fd);
	CHECK(!slb_rpc_server_open(&cfg2, reg, err, sizeof(err)) &&
	      strstr(err, "exists and is not a socket"), "a file is not replaced: %s", err);
	unlink(sock);
	cfg2.path = "/tmp/this/path/is/much/too/long/for/a/unix/socket/address/which/holds/only/"
		    "one/hundred/and/seven/bytes/of/path/name.sock";
	CHECK(!slb_rpc_server_open(&cfg2, reg, err, sizeof(err)) && strstr(err, "1..107 bytes"),
	      "long path: %s", err);
}

#define BURST 2000
#define BURST_LINE 256

/*
 * More requests, and answers, than the socket buffers hold, written without
 * reading: the server must stop reading while its answers wait (so we
 * cannot send it all), then go on as we read, losing and reordering nothing.
 */
static void burst(struct conn *c)
{
	char *buf = malloc(BURST * BURST_LINE);
	size_t len = 0, sent = 0;
	int got = 0, stuck = 0;
	char err[256];

	/* each request padded with blanks to BURST_LINE bytes, newline included */
	for (int i = 0; i < BURST; i++, len += BURST_LINE) {
		int n = snprintf(buf + len, BURST_LINE, "{\"jsonrpc\":\"2.0\",\"method\":\"status\","
				 "\"id\":%d}", i);

		memset(buf + len + n, ' ', BURST_LINE - 1 - (size_t)n);
		buf[len + BURST_LINE - 1] = '\n';
	}
	while (sent < len && stuck < 50) {
		ssize_t n = send(c->fd, buf + sent, len - sent, MSG_NOSIGNAL);

		stuck = n > 0 ? 0 : stuck + 1;
		sent += n > 0 ? (size_t)n : 0;
		poll(&(struct pollfd){.fd = slb_rpc_server_fd(srv), .events = POLLIN}, 1, 2);
		slb_rpc_server_process(srv, err, sizeof(err));
	}
	CHECK(sent < len, "back-pressure: the server read all %zu bytes while nobody read its "
	      "answers", len);
	while (got < BURST) {
		json_object *r;

		if (sent < len && send_all(c, buf + sent, len - sent))
			sent = len;
		r = next(c, 2000);
		if (r && num(r, "id") == got && get(r, "result.generation"))
			got++;
		else
			got += BURST + 1; /* out of order or missing: stop */
		json_object_put(r);
	}
	CHECK(got == BURST, "all %d pipelined answers, in order", BURST);
	free(buf);
}

/* Several requests in one write, CRLF, blank lines and a notification among them. */
static void test_pipeline(void)
{
	static const char reqs[] =
		"{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":1}\r\n"
		"\n   \r\n"
		"{\"jsonrpc\":\"2.0\",\"method\":\"status\"}\n"
		"{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":2}\n"
		"{\"jsonrpc\":\"2.0\",\"method\":\"vip.list\",\"id\":3}\n";
	struct slb_rpc_server_config cfg = {0};
	struct conn *c;
	json_object *o[3];

	srv = start(&cfg);
	c = dial();
	say(c, reqs, sizeof(reqs) - 1);
	for (int i = 0; i < 3; i++)
		o[i] = next(c, 2000);
	CHECK(num(o[0], "id") == 1 && num(o[1], "id") == 2 && num(o[2], "id") == 3 &&
	      num(o[1], "error.code") == -32601 && get(o[2], "result.vips"),
	      "pipelined answers in order");
	for (int i = 0; i < 3; i++)
		json_object_put(o[i]);
	burst(c);
	hang_up(c);
	slb_rpc_server_close(srv);
}

static void test_oversized(void)
{
	struct slb_rpc_server_config cfg = {.max_request = 1024};
	char big[2048];
	struct conn *c;
	json_object *o;

	srv = start(&cfg);
	c = dial();
	memset(big, 'x', 1024);
	big[1024] = '\n';
	say(c, big, 1025); /* exactly the limit: parsed (and refused as JSON) */
	o = next(c, 2000);
	CHECK(num(o, "error.code") == SLB_RPC_PARSE_ERROR, "1024 bytes: parsed: %s",
	      json_object_to_json_string(o));
	json_object_put(o);
	memset(big, 'x', sizeof(big));
	say(c, big, sizeof(big));
	o = next(c, 2000);
	CHECK(num(o, "error.code") == SLB_RPC_INVALID_REQUEST &&
	      strstr(str(o, "error.data.reason"), "request larger than 1024 bytes"),
	      "oversized: %s", json_object_to_json_string(o));
	json_object_put(o);
	CHECK(closed(c, 2000), "closed after an oversized request");
	hang_up(c);
	slb_rpc_server_close(srv);
}

/* A client that starts a request and stops, or trickles it a byte at a
 * time, is cut off after request_timeout_ms; others are served meanwhile
 * without delay. */
static void test_stall(void)
{
	struct slb_rpc_server_config cfg = {.request_timeout_ms = 500, .idle_timeout_ms = 600};
	struct conn *stall, *trickle, *idle, *good;
	int64_t t0, trickle_closed = -1;
	json_object *o;
	bool served = true;

	srv = start(&cfg);
	stall = dial();
	trickle = dial();
	idle = dial();
	good = dial();
	CHECK(roundtrip(idle, 99), "idle spoke once: idle_timeout_ms from now on");
	t0 = ms_now();
	say(stall, "{\"jsonrpc\":\"2.0\",", 17);
	/* 2 s of trickling, a byte per 50 ms: each one progress, none a request */
	for (int i = 0; ms_now() - t0 < 2000; i++) {
		int64_t r0 = ms_now();

		if (!trickle->eof)
			send_all(trickle, "{", 1); /* fails once the server gave up on it */
		else if (trickle_closed < 0)
			trickle_closed = ms_now() - t0;
		served &= roundtrip(good, i) && ms_now() - r0 < 250; /* < the timeout */
		step((struct conn *[]){trickle, idle}, 2, 50);
	}
	CHECK(served, "the others were served at once while clients stalled");
	CHECK(trickle_closed >= 450 && trickle_closed < 1500,
	      "a trickling client is closed after 500 ms, not %lld", (long long)trickle_closed);
	o = next(stall, 100);
	CHECK(num(o, "error.code") == SLB_RPC_INVALID_REQUEST &&
	      strstr(str(o, "error.data.reason"), "not complete (no newline) after 500 ms"),
	      "stalled: %s", json_object_to_json_string(o));
	CHECK(closed(stall, 100), "a stalled client is closed");
	CHECK(idle->eof && !idle->len, "an idle client is closed silently after 600 ms");
	json_object_put(o);
	hang_up(stall);
	hang_up(trickle);
	hang_up(idle);
	hang_up(good);
	slb_rpc_server_close(srv);
}

static void test_client_cap(void)
{
	struct slb_rpc_server_config cfg = {.max_clients = 3};
	struct conn *c[4];
	json_object *o;

	srv = start(&cfg);
	for (int i = 0; i < 3; i++) {
		c[i] = dial();
		CHECK(roundtrip(c[i], i), "client %d served", i);
	}
	CHECK(slb_rpc_server_clients(srv) == 3, "3 clients: %u", slb_rpc_server_clients(srv));
	c[3] = dial();
	o = next(c[3], 2000);
	CHECK(num(o, "error.code") == SLB_RPC_LIMIT &&
	      strstr(str(o, "error.data.reason"), "too many clients (3)"), "over the cap: %s",
	      json_object_to_json_string(o));
	CHECK(closed(c[3], 1000), "and closed");
	json_object_put(o);
	hang_up(c[3]);
	hang_up(c[0]);
	step(&c[1], 1, 50); /* the server sees c[0] go */
	c[0] = dial();
	CHECK(roundtrip(c[0], 9), "a slot freed is taken again");
	for (int i = 0; i < 3; i++)
		hang_up(c[i]);
	slb_rpc_server_close(srv);
}

/* The last request may end with the stream instead of a newline (printf | socat). */
static void test_half_close(void)
{
	static const char req[] = "{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":5}";
	struct slb_rpc_server_config cfg = {0};
	struct conn *c;
	json_object *o;

	srv = start(&cfg);
	c = dial();
	say(c, req, sizeof(req) - 1);
	shutdown(c->fd, SHUT_WR);
	o = next(c, 2000);
	CHECK(num(o, "id") == 5 && get(o, "result"), "answered at end of stream");
	CHECK(closed(c, 1000), "then closed");
	json_object_put(o);
	hang_up(c);
	slb_rpc_server_close(srv);
}

/*
 * Out of fds, accept fails while the listener stays readable: the server
 * must stop accepting for a while instead of spinning, serve whom it has,
 * and take the waiting client once fds are back.
 */
static void test_out_of_fds(void)
{
	struct slb_rpc_server_config cfg = {0};
	struct rlimit old, low;
	struct conn *a, *b;
	int fds[64], n = 0;
	int64_t t0;
	bool spun;
	json_object *o;

	srv = start(&cfg);
	a = dial();
	CHECK(roundtrip(a, 1), "served before");
	getrlimit(RLIMIT_NOFILE, &old);
	low = old;
	low.rlim_cur = (rlim_t)dup(0) + 16;
	close((int)low.rlim_cur - 16);
	setrlimit(RLIMIT_NOFILE, &low);
	while (n < 64 && (fds[n] = dup(0)) >= 0)
		n++;
	close(fds[--n]);
	b = dial(); /* takes the last fd: the server's accept gets EMFILE */
	say(b, "{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":2}\n", 43);
	step(&b, 1, 10);
	t0 = ms_now();
	spun = poll(&(struct pollfd){.fd = slb_rpc_server_fd(srv), .events = POLLIN}, 1, 300) > 0 &&
	       ms_now() - t0 < 250;
	CHECK(!spun, "the server spins on a listener it cannot accept from");
	CHECK(roundtrip(a, 3), "a client it has is served meanwhile");
	while (n)
		close(fds[--n]);
	setrlimit(RLIMIT_NOFILE, &old);
	o = next(b, 3000);
	CHECK(num(o, "id") == 2, "the waiting client is taken after the pause: %s",
	      json_object_to_json_string(o));
	json_object_put(o);
	hang_up(a);
	hang_up(b);
	slb_rpc_server_close(srv);
}

/* As uid 65534 in a child: 0 if the first line has error code `code` (0: a result). */
static int child_call(int code)
{
	struct conn *c;
	json_object *o;
	int got;

	if (setgid(65534) || setuid(65534))
		return 3;
	c = calloc(1, sizeof(*c));
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
			return 4;
	}
	/* A refused client may find the socket closed already: it reads the reason anyway. */
	(void)!write(c->fd, "{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"id\":1}\n", 43);
	while (!memchr(c->buf, '\n', c->len)) {
		ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);

		if (r <= 0)
			return 6;
		c->len += (size_t)r;
	}
	o = json_tokener_parse(c->buf);
	got = (int)num(o, "error.code");
	return got == code && (code || get(o, "result")) ? 0 : 7;
}

/* Serves until child pid exits (killed after ms): its exit code. */
static int serve_until_exit(pid_t pid, int ms)
{
	int status = -1;
	int64_t end = ms_now() + ms;

	while (waitpid(pid, &status, WNOHANG) == 0 && ms_now() < end)
		step(NULL, 0, 10);
	if (ms_now() >= end)
		kill(pid, SIGKILL), waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The parent serves while the child calls; the child's exit code. */
static int as_nobody(int code)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(child_call(code));
	return serve_until_exit(pid, 5000);
}

struct hog_report {
	int refused, silent;   /* told why and closed; closed without a word */
	int64_t silent_ms;     /* when the last silent one was closed */
	char why[160];         /* the first refusal's reason */
};

/* One connection's end: refused (a line, then EOF) or closed silently.
 * What read returned: 0 or less, the end. */
static ssize_t hog_read(int fd, struct hog_report *r, int64_t t0, bool *said)
{
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	json_object *o;

	if (n > 0 && !*said) {
		buf[n] = 0;
		o = json_tokener_parse(buf);
		if (!r->refused++)
			snprintf(r->why, sizeof(r->why), "%s", str(o, "error.data.reason"));
		json_object_put(o);
		*said = true;
	} else if (n <= 0 && !*said) {
		r->silent++;
		r->silent_ms = ms_now() - t0;
	}
	return n;
}

/* As uid 65534 in a child: n connections that never say a thing, until the
 * server has closed each; the report into fd out. */
static int hog(int n, int out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct pollfd p[64];
	bool said[64] = {0};
	struct hog_report r = {0};
	int64_t t0 = ms_now();
	int open_ = n;

	if (setgid(65534) || setuid(65534))
		return 3;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	for (int i = 0; i < n; i++) {
		p[i] = (struct pollfd){.fd = socket(AF_UNIX, SOCK_STREAM, 0), .events = POLLIN};
		if (connect(p[i].fd, (struct sockaddr *)&sa, sizeof(sa)))
			return 4;
	}
	while (open_ && ms_now() - t0 < 8000 && poll(p, (nfds_t)n, 100) >= 0)
		for (int i = 0; i < n; i++) {
			if (p[i].revents && hog_read(p[i].fd, &r, t0, &said[i]) <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_--;
			}
		}
	return write(out, &r, sizeof(r)) == sizeof(r) ? 0 : 5;
}

/*
 * uid 65534 (allowed) opens `hogs` connections and never speaks: it gets
 * `admitted` of them, the first refusal says `why`, and they are closed
 * after the first request's timeout (1 s). Meanwhile root gets `root_n`
 * connections and is served at once.
 */
static void check_hogs(struct slb_rpc_server_config *cfg, int hogs, int admitted, int root_n,
		       const char *why)
{
	struct hog_report r = {0};
	struct conn *c[8];
	int fds[2], rc;
	pid_t pid;

	srv = start(cfg);
	CHECK(!pipe(fds), "pipe: %m");
	pid = fork();
	if (pid == 0)
		_exit(hog(hogs, fds[1]));
	for (int64_t end = ms_now() + 300; ms_now() < end;)
		step(NULL, 0, 10);
	CHECK(slb_rpc_server_clients(srv) == (unsigned)admitted, "%u clients, want %d",
	      slb_rpc_server_clients(srv), admitted);
	for (int i = 0; i < root_n; i++) {
		c[i] = dial();
		CHECK(roundtrip(c[i], i), "root's connection %d served beside the idle ones", i);
	}
	rc = serve_until_exit(pid, 10000);
	CHECK(rc == 0 && read(fds[0], &r, sizeof(r)) == sizeof(r), "child said %d", rc);
	CHECK(r.refused == hogs - admitted && strstr(r.why, why), "%d refused (want %d): %s",
	      r.refused, hogs - admitted, r.why);
	CHECK(r.silent == admitted && r.silent_ms >= 900 && r.silent_ms < 3000,
	      "%d silent connections closed after %lld ms (want %d after 1000)", r.silent,
	      (long long)r.silent_ms, admitted);
	for (int i = 0; i < root_n; i++)
		hang_up(c[i]);
	close(fds[0]);
	close(fds[1]);
	slb_rpc_server_close(srv);
}

/* 32 idle connections of an allowed uid locked root out for 60 s. */
static void test_uid_share(void)
{
	struct slb_rpc_server_config cfg = {.mode = 0666, .allowed_uids = {65534},
					    .n_allowed_uids = 1, .request_timeout_ms = 1000};

	if (geteuid() != 0) {
		printf("uid share: skipped (needs root to call as another uid)\n");
		return;
	}
	chmod(dir, 0711);
	check_hogs(&cfg, 32, 8, 8, "uid 65534 has 8 connections already (at most 8)");
	cfg.max_clients = 10;
	cfg.reserved = 4;
	check_hogs(&cfg, 10, 6, 4, "the 4 slots left are kept for root");
}

static void test_peer_credentials(void)
{
	struct slb_rpc_server_config cfg = {.mode = 0666};
	int rc;

	if (geteuid() != 0) {
		printf("peer credentials: skipped (needs root to call as another uid)\n");
		return;
	}
	chmod(dir, 0711);
	srv = start(&cfg);
	rc = as_nobody(SLB_RPC_DENIED);
	CHECK(rc == 0, "uid 65534 refused with -32005: child said %d", rc);
	slb_rpc_server_close(srv);
	cfg = (struct slb_rpc_server_config){.mode = 0666, .allowed_uids = {65534},
					     .n_allowed_uids = 1};
	srv = start(&cfg);
	rc = as_nobody(0);
	CHECK(rc == 0, "uid 65534 allowed: child said %d", rc);
	slb_rpc_server_close(srv);
}

int main(int argc, char **argv)
{
	char conf[512];
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: test_rpc CONFIG_DIR\n");
		return 2;
	}
	configs = argv[1];
	signal(SIGPIPE, SIG_IGN);
	path_of(conf, sizeof(conf), "rpc.conf");
	rc = siplbd_fixture_start(&fx, conf);
	if (rc)
		return rc;
	reg = fx.rpc.registry;
	test_parse_errors();
	test_invalid_requests();
	test_methods_and_params();
	test_nul_escapes();
	test_error_param();
	test_notifications();
	test_batches();
	test_rpc_methods();
	test_lists();
	test_add_remove();
	test_rule_list();
	test_rule_changes();
	test_rule_refusals();
	test_rule_test();
	test_rule_test_refusals();
	test_rule_reload();
	test_states();
	test_config();
	test_stats_health();
	test_registry();
	test_parse_backend();
	snprintf(dir, sizeof(dir), "/tmp/siplb-rpc-XXXXXX");
	if (!mkdtemp(dir))
		return perror("mkdtemp"), 1;
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	test_socket_file();
	test_pipeline();
	test_oversized();
	test_stall();
	test_client_cap();
	test_half_close();
	test_out_of_fds();
	test_peer_credentials();
	test_uid_share();
	rmdir(dir);
	siplbd_fixture_stop(&fx);
	return check_summary();
}
