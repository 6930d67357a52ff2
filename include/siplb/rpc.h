/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd's control socket: JSON-RPC 2.0 over a Unix stream socket, one
 * request per line, one response per line (docs/siplbctl.md).
 *
 * Two parts, usable apart:
 *  - the registry and dispatcher: the caller registers tables of methods
 *    with a typed parameter schema; slb_rpc_dispatch() turns one request
 *    line into one response (or none, for a notification). No I/O, so the
 *    fuzzer and the tests drive it directly.
 *  - the server: a listening socket and its clients behind one epoll fd.
 *    The caller polls slb_rpc_server_fd() for POLLIN in its own event loop
 *    and calls slb_rpc_server_process() when it is readable. Nothing blocks
 *    and no thread is started: handlers run in the caller's thread, between
 *    its other work, so they may touch the daemon's state without locks.
 *    Stalled clients are closed by a timerfd inside the same epoll set, so
 *    the caller computes no timeouts.
 */
#ifndef SIPLB_RPC_H
#define SIPLB_RPC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "siplb/addr.h"
#include "siplb/config.h"

#define SLB_RPC_DEFAULT_SOCKET SLB_CONFIG_DEFAULT_SOCKET
#define SLB_RPC_DEFAULT_MODE 0600
#define SLB_RPC_DEFAULT_MAX_REQUEST (64 * 1024)
#define SLB_RPC_DEFAULT_MAX_CLIENTS 32
/* A started request must end, and a new connection send its first one,
 * within this; after a request, a silent connection may stay this long. */
#define SLB_RPC_DEFAULT_REQUEST_TIMEOUT_MS 5000
#define SLB_RPC_DEFAULT_IDLE_TIMEOUT_MS 60000
/* Connections of one uid other than root and siplbd's own, at most. */
#define SLB_RPC_DEFAULT_MAX_PER_UID 8
#define SLB_RPC_MAX_BATCH 64
#define SLB_RPC_MAX_ALLOWED_UIDS SLB_CONFIG_MAX_UIDS

/* JSON-RPC 2.0 errors, and siplb's own in the server range -32000..-32099. */
enum slb_rpc_code {
	SLB_RPC_PARSE_ERROR = -32700,
	SLB_RPC_INVALID_REQUEST = -32600,
	SLB_RPC_METHOD_NOT_FOUND = -32601,
	SLB_RPC_INVALID_PARAMS = -32602,
	SLB_RPC_INTERNAL_ERROR = -32603,
	SLB_RPC_NOT_FOUND = -32001,      /* no such pool, backend, VIP */
	SLB_RPC_EXISTS = -32002,         /* backend.add of a backend already there */
	SLB_RPC_BAD_CONFIG = -32003,     /* config.validate/reload: FILE:LINE: reason */
	SLB_RPC_LIMIT = -32004,          /* too many clients, backends, ... */
	SLB_RPC_DENIED = -32005,         /* peer credentials not allowed */
	SLB_RPC_PUBLISH_FAILED = -32006, /* the change was valid, publishing it was not */
};

/* The standard message of a code ("Invalid params"); "Server error" if unknown. */
const char *slb_rpc_code_message(int code);

/* What a handler returns on failure: a code, a reason for people, and the
 * parameter at fault if there is one. The message is slb_rpc_code_message(). */
struct slb_rpc_error {
	int code;
	char reason[256];
	char param[32];
};

/* Fills e (param may be NULL) and returns -1, so a handler can `return slb_rpc_fail(...)`. */
__attribute__((format(printf, 4, 5)))
int slb_rpc_fail(struct slb_rpc_error *e, int code, const char *param, const char *fmt, ...);

/* Who is calling: from SO_PEERCRED, for the handlers' audit logs. uid -1 when
 * dispatched without a socket (tests, fuzzer). */
struct slb_rpc_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
};

struct slb_rpc_call {
	void *ctx;                       /* the ctx given with the method's table */
	const char *method;
	const struct slb_rpc_peer *peer;
};

/*
 * A handler gets params as an object holding only declared names with the
 * declared types (positional params already mapped onto names, absent
 * optional ones absent). On success it returns 0 and sets *result (an
 * object it hands over; NULL is JSON null). On failure it returns -1 with
 * err filled (slb_rpc_fail); *result is then ignored.
 */
typedef int slb_rpc_handler(const struct slb_rpc_call *call, json_object *params,
			    json_object **result, struct slb_rpc_error *err);

enum slb_rpc_type {
	SLB_RPC_STRING = 1,
	SLB_RPC_INT,    /* integer within [min, max] */
	SLB_RPC_BOOL,
};

struct slb_rpc_param {
	const char *name;
	enum slb_rpc_type type;
	bool required;
	int64_t min, max; /* SLB_RPC_INT only; min == max == 0: any int64 */
};

#define SLB_RPC_MAX_PARAMS 8

struct slb_rpc_method {
	const char *name;
	slb_rpc_handler *handler;
	const char *summary;  /* one line, shown by rpc.methods */
	struct slb_rpc_param params[SLB_RPC_MAX_PARAMS]; /* up to the first name NULL */
};

struct slb_rpc_registry;

struct slb_rpc_registry *slb_rpc_registry_new(void);
void slb_rpc_registry_free(struct slb_rpc_registry *r);

/*
 * Adds n methods, each called with ctx. The methods are copied; their
 * strings (names, summaries) are referenced and must outlive the registry
 * (string literals). Refuses, with a reason, a duplicate or malformed
 * name, a missing handler, a bad schema: nothing is added then. The
 * registry itself answers "rpc.methods": every method and its params.
 */
int slb_rpc_registry_add(struct slb_rpc_registry *r, const struct slb_rpc_method *m,
			 size_t n, void *ctx, char *err, size_t errlen);

/*
 * siplbd's methods (docs/siplbctl.md): their names, params and summaries
 * are fixed here, the caller brings the handlers. A NULL handler leaves its
 * method out (answered with "Method not found").
 */
struct slb_rpc_handlers {
	slb_rpc_handler *status;
	slb_rpc_handler *vip_list;        /* vip.list */
	slb_rpc_handler *pool_list;       /* pool.list */
	slb_rpc_handler *backend_list;    /* backend.list {pool?} */
	slb_rpc_handler *backend_add;     /* backend.add {pool, backend, weight?, priority?, up?} */
	slb_rpc_handler *backend_remove;  /* backend.remove {pool, backend} */
	slb_rpc_handler *backend_set;     /* backend.set {pool, backend, weight?, priority?} */
	slb_rpc_handler *backend_drain;   /* backend.drain {pool, backend} */
	slb_rpc_handler *backend_enable;  /* backend.enable {pool, backend} */
	slb_rpc_handler *backend_disable; /* backend.disable {pool, backend} */
	slb_rpc_handler *config_validate; /* config.validate {file} */
	slb_rpc_handler *config_reload;   /* config.reload {file?, set_default?} */
	slb_rpc_handler *config_diff;     /* config.diff: the run-time changes kept */
	slb_rpc_handler *state_clear;     /* state.clear: forget them, reload the file */
	slb_rpc_handler *stats;
	slb_rpc_handler *health;
	/* routing rules (docs/rules.md): indexes are positions, 0 first */
	slb_rpc_handler *rule_list;       /* rule.list {vip?} */
	slb_rpc_handler *rule_add;        /* rule.add {vip, rule, at?} */
	slb_rpc_handler *rule_remove;     /* rule.remove {vip, index} */
	slb_rpc_handler *rule_move;       /* rule.move {vip, from, to} */
	slb_rpc_handler *rule_test;       /* rule.test {vip, message, source?} */
	/* SIP capture as HEP v3 (docs/capture.md) */
	slb_rpc_handler *capture_start;   /* capture.start {vip?, sample?} */
	slb_rpc_handler *capture_stop;    /* capture.stop */
	slb_rpc_handler *capture_status;  /* capture.status */
};

/* rule.test's message: base64 of at most this many bytes of SIP, which
 * fits a request of SLB_RPC_DEFAULT_MAX_REQUEST encoded (a whole UDP
 * datagram, 65,507 bytes, would not; SIP messages are far smaller). */
#define SLB_RPC_RULE_TEST_MAX 32768

int slb_rpc_register_siplbd(struct slb_rpc_registry *r, const struct slb_rpc_handlers *h,
			    void *ctx, char *err, size_t errlen);

/*
 * One request line (without its newline; need not be NUL-terminated) to its
 * response object, or NULL when nothing is to be sent (notifications, and a
 * batch of notifications only). A JSON array is a batch of at most
 * SLB_RPC_MAX_BATCH requests, run in order, answered by one array.
 * peer may be NULL.
 */
json_object *slb_rpc_dispatch(struct slb_rpc_registry *r, const struct slb_rpc_peer *peer,
			      const char *line, size_t len);

/* A response object as its line: plain JSON ending in its one newline; malloc'd. */
char *slb_rpc_to_line(json_object *response, size_t *len);

/*
 * A backend as operators write it: "ADDR[:PORT]", IPv6 in brackets when a
 * port follows ("[2001:db8::1]:5060"); port 5060 when absent. -1 with a
 * reason: not an address, not unicast, port not 1..65535. The reverse is
 * slb_addr_format's SLB_ADDR_ENDPOINT.
 */
int slb_rpc_parse_backend(const char *s, struct slb_addr *a, char *err, size_t errlen);

typedef void slb_rpc_log_fn(void *log_ctx, const char *msg);

struct slb_rpc_server_config {
	const char *path;          /* socket path (up to 107 bytes) */
	mode_t mode;               /* 0: SLB_RPC_DEFAULT_MODE */
	/* Besides root and the socket's owner (this process' euid), these may call. */
	uid_t allowed_uids[SLB_RPC_MAX_ALLOWED_UIDS];
	unsigned n_allowed_uids;
	size_t max_request;        /* bytes, newline excluded; 0: default */
	unsigned max_clients;      /* 0: default */
	/* Other uids than root and the owner: at most max_per_uid connections
	 * each, and none of the last `reserved` slots, so that those two always
	 * get in. 0: defaults (SLB_RPC_DEFAULT_MAX_PER_UID, max_clients / 8). */
	unsigned max_per_uid;
	unsigned reserved;
	unsigned request_timeout_ms; /* 0: default */
	unsigned idle_timeout_ms;    /* 0: default */
	slb_rpc_log_fn *log;       /* refused, timed out, ...; may be NULL */
	void *log_ctx;
};

struct slb_rpc_server;

/*
 * Creates the socket at cfg->path with cfg->mode and listens. A stale
 * socket there (nobody accepts) is replaced; a live one, or a file that is
 * not a socket, is an error. NULL with a reason in err.
 */
struct slb_rpc_server *slb_rpc_server_open(const struct slb_rpc_server_config *cfg,
					   struct slb_rpc_registry *reg, char *err,
					   size_t errlen);

/* Closes every client, and removes the socket file if it is still ours. */
void slb_rpc_server_close(struct slb_rpc_server *s);

/* Poll it for POLLIN: readable when a client, the listener or a timeout needs us. */
int slb_rpc_server_fd(const struct slb_rpc_server *s);

/*
 * Accepts, reads, dispatches, writes and times out whatever is ready, then
 * returns; never waits. 0, or -1 with a reason if the epoll set itself
 * failed (the server is unusable then).
 */
int slb_rpc_server_process(struct slb_rpc_server *s, char *err, size_t errlen);

/* Connected clients now, for status. */
unsigned slb_rpc_server_clients(const struct slb_rpc_server *s);

#endif
