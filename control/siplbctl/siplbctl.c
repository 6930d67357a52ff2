/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbctl: siplbd's control socket from the command line (docs/siplbctl.md).
 * One command is one JSON-RPC call; the result is printed as aligned tables
 * (what kamcmd dispatcher.list shows, readable) or, with --json, as the raw
 * result for scripts.
 *
 * Exit codes: 0 done, 1 siplbd refused the call (its reason on stderr),
 * 2 no conversation with siplbd (socket, timeout, garbled answer), 64 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <sodium.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "siplb/rpc.h"
#include "siplb_version.h"

#define EXIT_REFUSED 1
#define EXIT_CONN 2
#define EXIT_USAGE 64
#define MAX_ANSWER (64u << 20) /* a stats answer for 1024 backends is ~200 KB */
/* A change publishes a generation, which may wait up to 10 s for a stuck
 * dataplane reader before siplbd gives up and says so: wait longer. */
#define DEFAULT_TIMEOUT_MS 15000

struct opts {
	const char *socket;
	bool json;
	int timeout_ms;
	const char *weight, *priority; /* backend add/set only */
	bool up;                       /* backend add only */
	bool set_default;              /* config reload only */
	const char *at;                /* rule add only */
	const char *source;            /* rule test only */
	const char *sample;            /* capture start only */
	const char *pcap;              /* capture start only */
};

/* ---- output: tables ---------------------------------------------------------- */

enum fmt { TEXT, NUM, MS, DURATION };

struct col {
	const char *head;
	const char *key;
	enum fmt fmt;
};

/* Seconds as people read them: "45s", "1h2m5s", "3d4h". */
static void duration(int64_t s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%lldd%lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, len, "%lldh%lldm%llds", (long long)(s / 3600),
			 (long long)(s % 3600 / 60), (long long)(s % 60));
	else if (s >= 60)
		snprintf(buf, len, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%llds", (long long)s);
}

/* A cell as text: numbers as they are, seconds as milliseconds, arrays joined. */
static void cell(json_object *v, enum fmt fmt, char *buf, size_t len)
{
	if (!v) {
		snprintf(buf, len, "-");
	} else if (fmt == MS && (json_object_is_type(v, json_type_double) ||
				 json_object_is_type(v, json_type_int))) {
		snprintf(buf, len, "%.3f ms", json_object_get_double(v) * 1e3);
	} else if (fmt == DURATION && json_object_is_type(v, json_type_int)) {
		duration(json_object_get_int64(v), buf, len);
	} else if (json_object_is_type(v, json_type_boolean)) {
		snprintf(buf, len, "%s", json_object_get_boolean(v) ? "yes" : "no");
	} else if (json_object_is_type(v, json_type_array)) {
		size_t off = 0, n = json_object_array_length(v);

		buf[0] = 0;
		for (size_t i = 0; i < n && off < len; i++)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "",
						json_object_get_string(json_object_array_get_idx(v, i)));
		if (!n)
			snprintf(buf, len, "-");
	} else {
		snprintf(buf, len, "%s", json_object_get_string(v));
	}
}

static json_object *field(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static void column_widths(const struct col *cols, size_t n, json_object *rows, size_t *w)
{
	char buf[256];

	for (size_t c = 0; c < n; c++)
		w[c] = strlen(cols[c].head);
	for (size_t r = 0; r < json_object_array_length(rows); r++)
		for (size_t c = 0; c < n; c++) {
			cell(field(json_object_array_get_idx(rows, r), cols[c].key), cols[c].fmt, buf,
			     sizeof(buf));
			if (strlen(buf) > w[c])
				w[c] = strlen(buf);
		}
}

/* One aligned row: text left, numbers right, two spaces apart, no trailing blanks. */
static void row(const struct col *cols, size_t n, const size_t *w, json_object *o)
{
	char buf[256];

	for (size_t c = 0; c < n; c++) {
		if (o)
			cell(field(o, cols[c].key), cols[c].fmt, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "%s", cols[c].head);
		if (cols[c].fmt != TEXT)
			printf("%s%*s", c ? "  " : "", (int)w[c], buf);
		else if (c + 1 < n)
			printf("%s%-*s", c ? "  " : "", (int)w[c], buf);
		else
			printf("%s%s", c ? "  " : "", buf);
	}
	putchar('\n');
}

static void table(const struct col *cols, size_t n, json_object *rows)
{
	size_t w[16];

	if (!json_object_is_type(rows, json_type_array))
		return;
	column_widths(cols, n, rows, w);
	row(cols, n, w, NULL);
	for (size_t r = 0; r < json_object_array_length(rows); r++)
		row(cols, n, w, json_object_array_get_idx(rows, r));
}

#define TABLE(cols, rows) table(cols, sizeof(cols) / sizeof(*cols), rows)

static const struct col vip_cols[] = {
	{"NAME", "name", TEXT}, {"VIP", "vip", TEXT}, {"MODE", "mode", TEXT},
	{"POOL", "pool", TEXT}, {"RECORD-ROUTE", "record_route", TEXT},
	{"MSGS", "msgs", NUM}, {"BYTES", "bytes", NUM},
};

static const struct col pool_cols[] = {
	{"POOL", "name", TEXT}, {"BACKENDS", "backends", NUM}, {"UP", "up", NUM},
	{"WEIGHT", "weight_total", NUM}, {"TABLE", "table_size", NUM}, {"SEED", "seed", TEXT},
	{"VIPS", "vips", TEXT},
};

static const struct col backend_cols[] = {
	{"POOL", "pool", TEXT}, {"ID", "id", NUM}, {"BACKEND", "backend", TEXT},
	{"WEIGHT", "weight", NUM}, {"EFFECTIVE", "effective_weight", NUM},
	{"PRIORITY", "priority", NUM}, {"STATE", "state", TEXT}, {"ADMIN", "admin", TEXT},
	{"HEALTH", "health", TEXT}, {"MSGS", "msgs", NUM}, {"BYTES", "bytes", NUM},
};

static const struct col health_cols[] = {
	{"POOL", "pool", TEXT}, {"ID", "id", NUM}, {"BACKEND", "backend", TEXT},
	{"HEALTH", "health", TEXT}, {"SINCE", "since_seconds", DURATION},
	{"LATENCY", "latency_seconds", MS}, {"CODE", "last_code", NUM},
	{"PROBES", "probes", NUM}, {"TIMEOUTS", "timeouts", NUM}, {"REASON", "reason", TEXT},
};

static const struct col stats_vip_cols[] = {
	{"VIP", "name", TEXT}, {"ADDRESS", "address", TEXT}, {"PORT", "port", NUM},
	{"MSGS", "msgs", NUM}, {"BYTES", "bytes", NUM},
};

static const struct col stats_backend_cols[] = {
	{"ID", "id", NUM}, {"POOL", "pool", TEXT}, {"ADDRESS", "address", TEXT},
	{"PORT", "port", NUM}, {"STATE", "state", TEXT}, {"WEIGHT", "weight", NUM},
	{"EFFECTIVE", "effective_weight", NUM}, {"MSGS", "msgs", NUM}, {"BYTES", "bytes", NUM},
};

/* The XDP program's packets per VIP and per backend of a DSR pool. */
static const struct col stats_xdp_vip_cols[] = {
	{"XDP-VIP", "name", TEXT}, {"ADDRESS", "address", TEXT}, {"PORT", "port", NUM},
	{"PKTS", "pkts", NUM}, {"BYTES", "bytes", NUM},
};

static const struct col stats_xdp_backend_cols[] = {
	{"XDP-BACKEND", "id", NUM}, {"POOL", "pool", TEXT}, {"ADDRESS", "address", TEXT},
	{"PORT", "port", NUM}, {"PKTS", "pkts", NUM}, {"BYTES", "bytes", NUM},
};

static const struct col stats_rule_cols[] = {
	{"VIP", "vip", TEXT}, {"RULE", "index", NUM}, {"HITS", "hits", NUM},
};

static const struct col rule_cols[] = {
	{"VIP", "vip", TEXT}, {"INDEX", "index", NUM}, {"MATCH", "match", TEXT},
	{"ACTION", "action", TEXT}, {"HASH", "hash", TEXT}, {"RATE", "rate", TEXT},
	{"HITS", "hits", NUM}, {"ORIGIN", "origin", TEXT},
};

/* ---- output: per command ------------------------------------------------------ */

static bool skipped(const char *key, const char *const *skip)
{
	while (*skip)
		if (!strcmp(key, *skip++))
			return true;
	return false;
}

/* "PREFIXkey: value" for every member but those of skip (NULL-terminated),
 * aligned; objects as "k v, k v". */
static void key_values(json_object *o, const char *prefix, const char *const *skip)
{
	size_t w = 0;
	char buf[256], k[80];

	json_object_object_foreach(o, key, val) {
		(void)val;
		if (!skipped(key, skip) && strlen(prefix) + strlen(key) > w)
			w = strlen(prefix) + strlen(key);
	}
	json_object_object_foreach(o, key2, val2) {
		if (skipped(key2, skip))
			continue;
		snprintf(k, sizeof(k), "%s%s:", prefix, key2);
		printf("%-*s ", (int)w + 1, k);
		if (json_object_is_type(val2, json_type_object)) {
			const char *sep = "";

			json_object_object_foreach(val2, k3, v3) {
				cell(v3, TEXT, buf, sizeof(buf));
				printf("%s%s %s", sep, k3, buf);
				sep = ", ";
			}
			putchar('\n');
		} else {
			cell(val2, TEXT, buf, sizeof(buf));
			printf("%s\n", buf);
		}
	}
}

static void print_status(json_object *r)
{
	key_values(r, "", (const char *const[]){NULL});
}

static void print_vips(json_object *r)
{
	TABLE(vip_cols, field(r, "vips"));
}

static void print_pools(json_object *r)
{
	TABLE(pool_cols, field(r, "pools"));
}

static void print_backends(json_object *r)
{
	TABLE(backend_cols, field(r, "backends"));
}

static void print_health(json_object *r)
{
	TABLE(health_cols, field(r, "backends"));
}

/* backend add/set/drain/enable/disable: the backend as it is now. */
static void print_backend(json_object *r)
{
	printf("%s %s: id %s, weight %s, priority %s, state %s (admin %s, health %s)\n",
	       json_object_get_string(field(r, "pool")), json_object_get_string(field(r, "backend")),
	       json_object_get_string(field(r, "id")), json_object_get_string(field(r, "weight")),
	       json_object_get_string(field(r, "priority")),
	       json_object_get_string(field(r, "state")), json_object_get_string(field(r, "admin")),
	       json_object_get_string(field(r, "health")));
}

static void print_removed(json_object *r)
{
	printf("%s %s: removed (was id %s)\n", json_object_get_string(field(r, "pool")),
	       json_object_get_string(field(r, "backend")), json_object_get_string(field(r, "id")));
}

/* The same words as siplbd --check. */
static void print_validated(json_object *r)
{
	printf("%s: ok: %s VIPs, %s pools, %s backends, %s ports\n",
	       json_object_get_string(field(r, "file")), json_object_get_string(field(r, "vips")),
	       json_object_get_string(field(r, "pools")),
	       json_object_get_string(field(r, "backends")),
	       json_object_get_string(field(r, "ports")));
}

static void print_reloaded(json_object *r)
{
	const char *file = json_object_get_string(field(r, "file"));
	const char *dflt = json_object_get_string(field(r, "default"));

	printf("%s: generation %s published: %s VIPs, %s pools, %s backends, %s run-time "
	       "changes over it\n", file, json_object_get_string(field(r, "generation")),
	       json_object_get_string(field(r, "vips")), json_object_get_string(field(r, "pools")),
	       json_object_get_string(field(r, "backends")),
	       json_object_get_string(field(r, "overrides")));
	if (dflt && strcmp(file, dflt))
		printf("once: SIGHUP and config reload read %s (config reload FILE --set-default "
		       "changes that)\n", dflt);
}

static const struct col diff_cols[] = {
	{"POOL", "pool", TEXT}, {"BACKEND", "backend", TEXT}, {"CHANGE", "change", TEXT},
	{"WEIGHT", "weight", NUM}, {"PRIORITY", "priority", NUM}, {"ADMIN", "admin", TEXT},
	{"FILE-WEIGHT", "file_weight", NUM}, {"FILE-PRIORITY", "file_priority", NUM},
};

/* config diff: what run time changed, against the file. */
static void print_diff(json_object *r)
{
	json_object *list = field(r, "overrides"), *rules = field(r, "rules");

	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		json_object *v = json_object_array_get_idx(rules, i);

		printf("vip %s: its %zu routing rules are kept from run time (--json shows them)\n",
		       json_object_get_string(field(v, "vip")),
		       json_object_array_length(field(v, "rules")));
	}
	if (!json_object_array_length(list) && !json_object_array_length(rules)) {
		printf("%s: the running backends are the file's (no run-time changes in %s)\n",
		       json_object_get_string(field(r, "file")),
		       json_object_get_string(field(r, "state_file")));
		return;
	}
	if (!json_object_array_length(list))
		return;
	printf("%s, with the run-time changes kept in %s:\n",
	       json_object_get_string(field(r, "file")),
	       json_object_get_string(field(r, "state_file")));
	TABLE(diff_cols, list);
}

static void print_cleared(json_object *r)
{
	printf("%s: generation %s published: %s run-time changes forgotten, the file as it is\n",
	       json_object_get_string(field(r, "file")),
	       json_object_get_string(field(r, "generation")),
	       json_object_get_string(field(r, "forgotten")));
}

static void print_rules(json_object *r)
{
	TABLE(rule_cols, field(r, "rules"));
}

/* rule add/remove/move: "sip: rule 2 added: { ... } (generation 5)", the
 * rule in the file's syntax. */
static void print_rule(const char *fmt, json_object *r)
{
	printf("%s: ", json_object_get_string(field(r, "vip")));
	printf(fmt, json_object_get_string(field(r, "index")));
	printf(": %s (generation %s)\n", json_object_get_string(field(r, "rule")),
	       json_object_get_string(field(r, "generation")));
}

static void print_rule_added(json_object *r)
{
	print_rule("rule %s added", r);
}

static void print_rule_removed(json_object *r)
{
	print_rule("rule %s removed", r);
}

static void print_rule_moved(json_object *r)
{
	print_rule("rule moved to %s", r);
}

/* rule test: the deciding rule (or none), then where the message goes. */
static void print_rule_test(json_object *r)
{
	json_object *rule = field(r, "rule"), *passed = field(r, "passed"), *id;
	const char *backend = json_object_get_string(field(r, "backend"));
	char buf[256];

	printf("vip:     %s\n", json_object_get_string(field(r, "vip")));
	if (rule)
		printf("rule:    %s (%s)\n", json_object_get_string(rule),
		       json_object_get_string(field(r, "origin")));
	else
		printf("rule:    none\n");
	if (json_object_array_length(passed)) {
		cell(passed, TEXT, buf, sizeof(buf));
		printf("passed:  %s (rates only, taken as within their rate)\n", buf);
	}
	printf("action:  %s\n", json_object_get_string(field(r, "action")));
	if (field(r, "key"))
		printf("hash:    %s \"%s\"\n", json_object_get_string(field(r, "hash")),
		       json_object_get_string(field(r, "key")));
	if (field(r, "pool") && (id = field(r, "backend_id")))
		printf("backend: %s (id %s, pool %s)\n", backend ? backend : "-",
		       json_object_get_string(id), json_object_get_string(field(r, "pool")));
	if (field(r, "note"))
		printf("note:    %s\n", json_object_get_string(field(r, "note")));
}

/* The XDP program's counters: "xdp verdicts: steer 9, dsr 20, ..." lines,
 * then its packets per VIP and per DSR backend as tables. */
static void print_stats_xdp(json_object *xdp)
{
	json_object *vips = field(xdp, "vips"), *backends = field(xdp, "backends");

	if (!xdp)
		return;
	key_values(xdp, "xdp ", (const char *const[]){"vips", "backends", NULL});
	if (json_object_array_length(vips)) {
		putchar('\n');
		TABLE(stats_xdp_vip_cols, vips);
	}
	if (json_object_array_length(backends)) {
		putchar('\n');
		TABLE(stats_xdp_backend_cols, backends);
	}
}

static void print_stats(json_object *r)
{
	TABLE(stats_vip_cols, field(r, "vips"));
	putchar('\n');
	TABLE(stats_backend_cols, field(r, "backends"));
	putchar('\n');
	if (json_object_array_length(field(r, "rules"))) {
		TABLE(stats_rule_cols, field(r, "rules"));
		putchar('\n');
	}
	key_values(r, "", (const char *const[]){"vips", "backends", "rules", "xdp", NULL});
	print_stats_xdp(field(r, "xdp"));
}

/* ---- arguments into params ------------------------------------------------------ */

/* "siplbctl: ..." on stderr; -1, for `return errorf(...)`. */
__attribute__((format(printf, 1, 2)))
static int errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("siplbctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int int_arg(const char *opt, const char *v, json_object *params, const char *key)
{
	char *end;
	long n;

	/* The range is siplbd's to check: one rule, one message. */
	errno = 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || errno)
		return errorf("%s %s: an integer expected", opt, v);
	json_object_object_add(params, key, json_object_new_int64(n));
	return 0;
}

/* A config file as siplbd sees it: siplbd runs elsewhere, so relative to our cwd. */
static int add_file(json_object *params, const char *file)
{
	char cwd[PATH_MAX], path[PATH_MAX * 2];

	if (file[0] == '/') {
		json_object_object_add(params, "file", json_object_new_string(file));
		return 0;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return errorf("%s: cannot make it absolute: %s", file, strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", cwd, file);
	json_object_object_add(params, "file", json_object_new_string(path));
	return 0;
}

enum args { NONE, POOL_OPT, POOL_BACKEND, POOL_BACKEND_WP, FILE_REQ, FILE_OPT, ONLY_OPT,
	    VIP_OPT, VIP_RULE, VIP_INDEX, VIP_FROM_TO, VIP_FILE };

struct command {
	const char *words[2];  /* "backend", "add"; [1] NULL for one word */
	const char *method;
	enum args args;
	const char *usage;
	void (*print)(json_object *result);
};

static const struct command commands[] = {
	{{"status"}, "status", NONE, "", print_status},
	{{"vip", "list"}, "vip.list", NONE, "", print_vips},
	{{"pool", "list"}, "pool.list", NONE, "", print_pools},
	{{"backend", "list"}, "backend.list", POOL_OPT, "[POOL]", print_backends},
	{{"backend", "add"}, "backend.add", POOL_BACKEND_WP,
	 "POOL ADDR[:PORT] [--weight W] [--priority P] [--up]", print_backend},
	{{"backend", "remove"}, "backend.remove", POOL_BACKEND, "POOL ADDR[:PORT]",
	 print_removed},
	{{"backend", "set"}, "backend.set", POOL_BACKEND_WP,
	 "POOL ADDR[:PORT] [--weight W] [--priority P]", print_backend},
	{{"backend", "drain"}, "backend.drain", POOL_BACKEND, "POOL ADDR[:PORT]", print_backend},
	{{"backend", "enable"}, "backend.enable", POOL_BACKEND, "POOL ADDR[:PORT]", print_backend},
	{{"backend", "disable"}, "backend.disable", POOL_BACKEND, "POOL ADDR[:PORT]",
	 print_backend},
	{{"config", "validate"}, "config.validate", FILE_REQ, "FILE", print_validated},
	{{"config", "reload"}, "config.reload", FILE_OPT, "[FILE [--set-default]]", print_reloaded},
	{{"config", "diff"}, "config.diff", NONE, "", print_diff},
	{{"state", "clear"}, "state.clear", NONE, "", print_cleared},
	{{"stats"}, "stats", NONE, "", print_stats},
	{{"health"}, "health", NONE, "", print_health},
	{{"rule", "list"}, "rule.list", VIP_OPT, "[VIP]", print_rules},
	{{"rule", "add"}, "rule.add", VIP_RULE, "VIP [--at N] RULE", print_rule_added},
	{{"rule", "remove"}, "rule.remove", VIP_INDEX, "VIP N", print_rule_removed},
	{{"rule", "move"}, "rule.move", VIP_FROM_TO, "VIP FROM TO", print_rule_moved},
	{{"rule", "test"}, "rule.test", VIP_FILE, "VIP FILE [--source ADDR[:PORT]]",
	 print_rule_test},
	{{"capture", "start"}, "capture.start", VIP_OPT, "[VIP] [--sample N | --pcap NAME]",
	 print_status},
	{{"capture", "stop"}, "capture.stop", ONLY_OPT, "[hep|pcap]", print_status},
	{{"capture", "status"}, "capture.status", NONE, "", print_status},
};

#define N_COMMANDS (sizeof(commands) / sizeof(*commands))

/*
 * A SIP message file's bytes as base64 into params.message, at most what
 * siplbd takes. A file without any CR (written in an editor) gets CRLF
 * line ends, as on the wire.
 */
static int add_message(json_object *params, const char *file)
{
	static uint8_t raw[SLB_RPC_RULE_TEST_MAX + 1], crlf[2 * SLB_RPC_RULE_TEST_MAX];
	static char b64[(2 * SLB_RPC_RULE_TEST_MAX + 2) / 3 * 4 + 1];
	FILE *f = fopen(file, "rb");
	size_t n, m = 0;

	if (!f)
		return errorf("%s: %s", file, strerror(errno));
	n = fread(raw, 1, sizeof(raw), f);
	fclose(f);
	if (n > SLB_RPC_RULE_TEST_MAX || !n)
		return errorf("%s: %s: a SIP message of 1..%d bytes expected", file,
			      n ? "too large" : "empty", SLB_RPC_RULE_TEST_MAX);
	for (size_t i = 0; !memchr(raw, '\r', n) && i < n; i++) {
		if (raw[i] == '\n')
			crlf[m++] = '\r';
		crlf[m++] = raw[i];
	}
	if (m > SLB_RPC_RULE_TEST_MAX)
		return errorf("%s: too large with CRLF line ends: at most %d bytes", file,
			      SLB_RPC_RULE_TEST_MAX);
	sodium_bin2base64(b64, sizeof(b64), m ? crlf : raw, m ? m : n,
			  sodium_base64_VARIANT_ORIGINAL);
	json_object_object_add(params, "message", json_object_new_string(b64));
	return 0;
}

/* VIP, then the rule commands' own words. */
static int vip_args(const struct command *c, int argc, char **argv, json_object *params)
{
	json_object_object_add(params, "vip", json_object_new_string(argv[0]));
	switch (c->args) {
	case VIP_RULE:
		json_object_object_add(params, "rule", json_object_new_string(argv[1]));
		return 0;
	case VIP_INDEX:
		return int_arg("N", argv[1], params, "index");
	case VIP_FROM_TO:
		return int_arg("FROM", argv[1], params, "from") ||
		       int_arg("TO", argv[2], params, "to") ? -1 : 0;
	case VIP_FILE:
		return add_message(params, argv[1]);
	default:
		return argc > 1 ? -1 : 0;
	}
}

static int positional(const struct command *c, int argc, char **argv, json_object *params)
{
	static const int lo[] = {[NONE] = 0, [POOL_OPT] = 0, [POOL_BACKEND] = 2,
				 [POOL_BACKEND_WP] = 2, [FILE_REQ] = 1, [FILE_OPT] = 0,
				 [ONLY_OPT] = 0, [VIP_OPT] = 0, [VIP_RULE] = 2, [VIP_INDEX] = 2,
				 [VIP_FROM_TO] = 3, [VIP_FILE] = 2};
	static const int hi[] = {[NONE] = 0, [POOL_OPT] = 1, [POOL_BACKEND] = 2,
				 [POOL_BACKEND_WP] = 2, [FILE_REQ] = 1, [FILE_OPT] = 1,
				 [ONLY_OPT] = 1, [VIP_OPT] = 1, [VIP_RULE] = 2, [VIP_INDEX] = 2,
				 [VIP_FROM_TO] = 3, [VIP_FILE] = 2};

	if (argc < lo[c->args] || argc > hi[c->args])
		return errorf("%s%s%s: %s arguments: %s", c->words[0], c->words[1] ? " " : "",
				   c->words[1] ? c->words[1] : "",
				   argc < lo[c->args] ? "missing" : "too many",
				   *c->usage ? c->usage : "none expected");
	if (c->args == FILE_REQ || (c->args == FILE_OPT && argc))
		return add_file(params, argv[0]);
	if (c->args >= VIP_OPT)
		return argc ? vip_args(c, argc, argv, params) : 0;
	if (c->args == ONLY_OPT) {
		if (argc)
			json_object_object_add(params, "only", json_object_new_string(argv[0]));
		return 0;
	}
	if (argc)
		json_object_object_add(params, "pool", json_object_new_string(argv[0]));
	if (argc > 1)
		json_object_object_add(params, "backend", json_object_new_string(argv[1]));
	return 0;
}

static int build_params(const struct command *c, const struct opts *o, int argc, char **argv,
			json_object *params)
{
	if ((o->weight || o->priority) && c->args != POOL_BACKEND_WP)
		return errorf("--weight and --priority go with backend add and backend set");
	if (o->up && strcmp(c->method, "backend.add"))
		return errorf("--up goes with backend add");
	if (o->set_default && (strcmp(c->method, "config.reload") || !argc))
		return errorf("--set-default goes with config reload FILE");
	if (o->set_default)
		json_object_object_add(params, "set_default", json_object_new_boolean(true));
	if (o->up)
		json_object_object_add(params, "up", json_object_new_boolean(true));
	if ((o->at && c->args != VIP_RULE) || (o->source && c->args != VIP_FILE))
		return errorf("--at goes with rule add, --source with rule test");
	if (o->source)
		json_object_object_add(params, "source", json_object_new_string(o->source));
	if ((o->sample || o->pcap) && strcmp(c->method, "capture.start"))
		return errorf("--sample and --pcap go with capture start");
	if (o->pcap)
		json_object_object_add(params, "pcap", json_object_new_string(o->pcap));
	if (o->sample && int_arg("--sample", o->sample, params, "sample"))
		return -1;
	if ((o->weight && int_arg("--weight", o->weight, params, "weight")) ||
	    (o->priority && int_arg("--priority", o->priority, params, "priority")) ||
	    (o->at && int_arg("--at", o->at, params, "at")) ||
	    positional(c, argc, argv, params))
		return -1;
	if (!strcmp(c->method, "backend.set") && !o->weight && !o->priority)
		return errorf("backend set: nothing to set: --weight W and/or --priority P");
	return 0;
}

static const struct command *find_command(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];

		if (strcmp(argv[0], c->words[0]))
			continue;
		if (!c->words[1]) {
			*used = 1;
			return c;
		}
		if (argc > 1 && !strcmp(argv[1], c->words[1])) {
			*used = 2;
			return c;
		}
	}
	return NULL;
}

/* ---- talking to siplbd ------------------------------------------------------------ */

static const char *hint(int err)
{
	return err == ENOENT || err == ECONNREFUSED ? " (is siplbd running? --socket PATH)" :
	       err == EACCES ? " (root or the socket's owner may connect)" :
	       err == EAGAIN ? " (siplbd is not accepting: busy?)" : "";
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return errorf("socket path %s: longer than %zu bytes", path,
				  sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errorf("socket: %s", strerror(errno));
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return fd;
	e = errno;
	close(fd);
	return errorf("cannot connect to %s: %s%s", path, strerror(e), hint(e));
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready for events until the deadline: 0, or -1 said why. */
static int wait_for(int fd, short events, int64_t deadline, const struct opts *o)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left = deadline - now_ms();
	int n;

	do
		n = poll(&p, 1, left > 0 ? (int)left : 0);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return 0;
	return errorf("%s: no answer within %.3g s (--timeout S)", o->socket,
			  o->timeout_ms / 1000.0);
}

/* 0 sent, 1 the peer closed (quietly: read what it said), -1 failed (said why). */
static int send_all(int fd, const char *p, size_t len, int64_t deadline, const struct opts *o)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_for(fd, POLLOUT, deadline, o))
				return -1;
			continue;
		}
		/* Closed on us: siplbd may have said why (too many clients,
		 * not allowed) before it closed, so the caller reads first. */
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return 1;
		if (n < 0)
			return errorf("%s: send: %s", o->socket, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One line, without its newline: malloc'd, or NULL after saying why. */
static char *recv_line(int fd, int64_t deadline, const struct opts *o, bool sent)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nl = NULL;

	while (buf && !nl) {
		ssize_t n;

		if (len + 1 == cap) {
			char *p = cap < MAX_ANSWER ? realloc(buf, cap * 2) : NULL;

			if (!p) {
				errorf("%s: answer longer than %u bytes", o->socket, MAX_ANSWER);
				break;
			}
			buf = p;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_for(fd, POLLIN, deadline, o))
				break;
			continue;
		}
		if (n <= 0) {
			errorf("%s: %s before an answer", o->socket,
				   !sent ? "connection closed while sending the request" :
				   n ? strerror(errno) : "connection closed");
			break;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	if (!nl) {
		free(buf);
		return NULL;
	}
	*nl = 0;
	return buf;
}

/* The call's response object, or NULL after saying why (exit 2). */
static json_object *call(const struct opts *o, const char *method, json_object *params)
{
	json_object *req = json_object_new_object(), *res = NULL;
	int64_t deadline = now_ms() + o->timeout_ms;
	char *line = NULL, *answer;
	size_t len;
	int sent, fd = connect_to(o->socket);

	json_object_object_add(req, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(req, "id", json_object_new_int(1));
	json_object_object_add(req, "method", json_object_new_string(method));
	json_object_object_add(req, "params", json_object_get(params));
	if (fd >= 0)
		line = slb_rpc_to_line(req, &len);
	if (line && (sent = send_all(fd, line, len, deadline, o)) >= 0) {
		answer = recv_line(fd, deadline, o, sent == 0);
		res = answer ? json_tokener_parse(answer) : NULL;
		if (answer && !json_object_is_type(res, json_type_object))
			errorf("%s: not a JSON-RPC answer: %.200s", o->socket, answer);
		free(answer);
	}
	free(line);
	json_object_put(req);
	if (fd >= 0)
		close(fd);
	return json_object_is_type(res, json_type_object) ? res : (json_object_put(res), NULL);
}

/* "siplbctl: backend.set: Invalid params: weight: ..." */
static void print_error(const char *method, json_object *err)
{
	json_object *data = field(err, "data");
	const char *reason = json_object_get_string(field(data, "reason"));

	fprintf(stderr, "siplbctl: %s: %s%s%s\n", method,
		json_object_get_string(field(err, "message")), reason ? ": " : "",
		reason ? reason : "");
}

static int run(const struct opts *o, const struct command *c, json_object *params)
{
	json_object *res = call(o, c->method, params), *result, *err;
	int rc = 0;

	if (!res)
		return EXIT_CONN;
	if (json_object_object_get_ex(res, "error", &err)) {
		print_error(c->method, err);
		rc = EXIT_REFUSED;
	} else if (!json_object_object_get_ex(res, "result", &result)) {
		errorf("%s: an answer without result or error", o->socket);
		rc = EXIT_CONN;
	} else if (o->json) {
		puts(json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		c->print(result);
	}
	json_object_put(res);
	return rc;
}

/* ---- command line ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f, "usage: siplbctl [--socket PATH] [--json] [--timeout S] COMMAND [ARGS]\n"
		   "       siplbctl --version\n"
		   "commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %s%s%s%s%s\n", commands[i].words[0], commands[i].words[1] ? " " : "",
			commands[i].words[1] ? commands[i].words[1] : "",
			*commands[i].usage ? " " : "", commands[i].usage);
	fprintf(f, "--socket: default $SIPLB_SOCKET or %s; --timeout: seconds, default 15.\n"
		   "exit: 0 done, 1 refused by siplbd, 2 no answer from siplbd, 64 usage.\n"
		   "See docs/siplbctl.md.\n", SLB_RPC_DEFAULT_SOCKET);
}

static int parse_timeout(const char *v, int *ms)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(v, &end);
	if (!*v || *end || errno || !(s > 0) || s > 3600)
		return errorf("--timeout %s: seconds, more than 0 and up to 3600", v);
	*ms = s * 1000 < 1 ? 1 : (int)(s * 1000);
	return 0;
}

/* Options may come anywhere, before or after the command's words; "--" ends them. */
static int parse_options(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{"socket", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
		{"weight", required_argument, NULL, 'w'}, {"priority", required_argument, NULL, 'p'},
		{"at", required_argument, NULL, 'a'}, {"source", required_argument, NULL, 'S'},
		{"version", no_argument, NULL, 'V'}, {"up", no_argument, NULL, 'u'},
		{"set-default", no_argument, NULL, 'D'},
		{"sample", required_argument, NULL, 'n'}, {"pcap", required_argument, NULL, 'P'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 't':
			if (parse_timeout(optarg, &o->timeout_ms))
				return -1;
			break;
		case 'w':
			o->weight = optarg;
			break;
		case 'p':
			o->priority = optarg;
			break;
		case 'a':
			o->at = optarg;
			break;
		case 'S':
			o->source = optarg;
			break;
		case 'u':
			o->up = true;
			break;
		case 'D':
			o->set_default = true;
			break;
		case 'n':
			o->sample = optarg;
			break;
		case 'P':
			o->pcap = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("siplbctl %s\n", SLB_VERSION);
			exit(0);
		default:
			return -1;
		}
	}
	return optind < argc ? 0 : errorf("a command is missing");
}

int main(int argc, char **argv)
{
	struct opts o = {.socket = getenv("SIPLB_SOCKET"), .timeout_ms = DEFAULT_TIMEOUT_MS};
	const struct command *c;
	json_object *params;
	int used, rc;

	if (!o.socket || !*o.socket)
		o.socket = SLB_RPC_DEFAULT_SOCKET;
	if (parse_options(argc, argv, &o)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c = find_command(argc - optind, argv + optind, &used);
	if (!c) {
		errorf("unknown command: %s%s%s", argv[optind], optind + 1 < argc ? " " : "",
			    optind + 1 < argc ? argv[optind + 1] : "");
		usage(stderr);
		return EXIT_USAGE;
	}
	params = json_object_new_object();
	if (build_params(c, &o, argc - optind - used, argv + optind + used, params)) {
		json_object_put(params);
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = run(&o, c, params);
	json_object_put(params);
	return rc;
}
