/* SPDX-License-Identifier: BSD-3-Clause */
/* The configuration file parser (see include/siplb/config.h, docs/config.md). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "siplb/config.h"
#include "siplb/log.h"
#include "siplb/maglev.h"
#include "siplb/xdp.h"
#include "config_text.h"
#include "rules_config.h"

struct parser {
	struct slb_config_text *text; /* FILE:LINE of its lines */
	char *err;
	size_t errlen;
	struct slb_config *c;
	/* Top-level resolvers: those of SRV pools that name none. */
	struct slb_addr resolvers[SLB_SRV_MAX_RESOLVERS];
	uint32_t n_resolvers;
};

/* "pools[0].backends[2].weight": where a setting is, for messages. */
static void setting_path(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *parent = config_setting_parent(s);

	if (!parent || config_setting_is_root(parent)) {
		snprintf(buf, len, "%s", config_setting_name(s) ? config_setting_name(s) : "");
		return;
	}
	setting_path(parent, buf, len);
	size_t n = strlen(buf);
	if (config_setting_name(s))
		snprintf(buf + n, len - n, ".%s", config_setting_name(s));
	else
		snprintf(buf + n, len - n, "[%d]", config_setting_index(s));
}

/* Formats "FILE:LINE: reason" for setting s; always returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail(const struct parser *p, const config_setting_t *s, const char *fmt, ...)
{
	const char *file;
	unsigned line = slb_config_text_origin(p->text, config_setting_source_line(s), &file);
	int n = snprintf(p->err, p->errlen, "%s:%u: ", file, line);
	va_list ap;

	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Rejects members of group g not in known (NULL-terminated). */
static int check_keys(const struct parser *p, const config_setting_t *g,
		      const char *const *known)
{
	char where[256], list[256];
	const config_setting_t *s = slb_config_unknown_key(g, known, list, sizeof(list));

	if (!s)
		return 0;
	setting_path(g, where, sizeof(where));
	return fail(p, s, "unknown setting '%s'%s%s%s (known: %s)", config_setting_name(s),
		    where[0] ? " in '" : "", where, where[0] ? "'" : "", list);
}

/* Member key of g in *out, or NULL when absent: an error only if required. */
static int member(const struct parser *p, const config_setting_t *g, const char *key,
		  bool required, const config_setting_t **out)
{
	char where[256];

	*out = config_setting_get_member(g, key);
	if (*out || !required)
		return 0;
	setting_path(g, where, sizeof(where));
	return fail(p, g, "'%s' has no '%s'", where[0] ? where : "the file", key);
}

static int type_error(const struct parser *p, const config_setting_t *s, const char *what)
{
	char where[256];

	setting_path(s, where, sizeof(where));
	return fail(p, s, "'%s' must be %s", where, what);
}

/* Member key of g in *s, NULL when absent; of the given type or an error. */
static int typed_member(const struct parser *p, const config_setting_t *g, const char *key,
			bool required, int type, const char *what, const config_setting_t **s)
{
	int t;

	if (member(p, g, key, required, s))
		return -1;
	if (!*s)
		return 0;
	t = config_setting_type(*s);
	/* libconfig makes 64-bit integers of literals with an L suffix */
	if (t != type && !(type == CONFIG_TYPE_INT && t == CONFIG_TYPE_INT64))
		return type_error(p, *s, what);
	return 0;
}

/* Integer member in [min, max]; *out keeps its default when absent. */
static int get_uint(const struct parser *p, const config_setting_t *g, const char *key,
		    bool required, uint32_t min, uint32_t max, uint32_t *out)
{
	const config_setting_t *s;
	char where[256];
	long long v;

	if (typed_member(p, g, key, required, CONFIG_TYPE_INT, "an integer", &s))
		return -1;
	if (!s)
		return 0;
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		setting_path(s, where, sizeof(where));
		return fail(p, s, "'%s' is %lld, out of range %" PRIu32 "..%" PRIu32,
			    where, v, min, max);
	}
	*out = (uint32_t)v;
	return 0;
}

static int get_bool(const struct parser *p, const config_setting_t *g, const char *key,
		    bool *out)
{
	const config_setting_t *s;

	if (typed_member(p, g, key, false, CONFIG_TYPE_BOOL, "true or false", &s))
		return -1;
	if (s)
		*out = config_setting_get_bool(s);
	return 0;
}

/* String member; *out stays NULL when absent and not required. */
static int get_str(const struct parser *p, const config_setting_t *g, const char *key,
		   bool required, const config_setting_t **s, const char **out)
{
	if (typed_member(p, g, key, required, CONFIG_TYPE_STRING, "a string", s))
		return -1;
	*out = *s ? config_setting_get_string(*s) : NULL;
	return 0;
}

/* An absolute path of at most PATH_MAX - 1 bytes into out (its size), if set. */
static int get_path(const struct parser *p, const config_setting_t *g, const char *key,
		    const char *where, char *out, size_t size)
{
	const config_setting_t *s;
	const char *v;

	if (get_str(p, g, key, false, &s, &v))
		return -1;
	if (v && (v[0] != '/' || strlen(v) >= size))
		return fail(p, s, "'%s' is \"%s\": an absolute path shorter than %zu bytes expected",
			    where, v, size);
	if (v)
		memcpy(out, v, strlen(v) + 1);
	return 0;
}

/*
 * A 64-bit seed from a string, "0x..." or decimal: libconfig 1.5 integers
 * are signed and silently wrap beyond 32 bits, so seeds are strings.
 */
static int get_seed(const struct parser *p, const config_setting_t *g, const char *key,
		    uint64_t *out)
{
	const config_setting_t *s;
	const char *v;
	char *end;
	char where[256];

	if (typed_member(p, g, key, false, CONFIG_TYPE_STRING,
			 "a string (\"0x...\" or decimal): libconfig integers are signed", &s))
		return -1;
	if (!s)
		return 0;
	v = config_setting_get_string(s);
	bool hex = v[0] == '0' && (v[1] == 'x' || v[1] == 'X');
	const char *digits = hex ? v + 2 : v;
	errno = 0;
	unsigned long long n = strtoull(digits, &end, hex ? 16 : 10);
	if (!isxdigit((unsigned char)digits[0]) || *end || errno) {
		setting_path(s, where, sizeof(where));
		return fail(p, s, "'%s' is \"%s\": not a 64-bit number (\"0x...\" or decimal)",
			    where, v);
	}
	*out = n;
	return 0;
}

/* A unicast address of either family; *s is its setting (NULL when absent
 * and not required). */
/* The string setting s as a unicast address of either family. */
static int addr_of(const struct parser *p, const config_setting_t *s, struct slb_addr *out)
{
	const char *v = config_setting_get_string(s);
	char where[256];

	setting_path(s, where, sizeof(where));
	if (slb_addr_parse(v, out))
		return fail(p, s, "'%s' is \"%s\": not an IPv4 or IPv6 address", where, v);
	if (!slb_addr_unicast(out))
		return fail(p, s, "'%s' is \"%s\": not a unicast address", where, v);
	return 0;
}

static int get_addr(const struct parser *p, const config_setting_t *g, const char *key,
		    bool required, const config_setting_t **s, struct slb_addr *out)
{
	const char *v;

	memset(out, 0, sizeof(*out));
	if (get_str(p, g, key, required, s, &v))
		return -1;
	return *s ? addr_of(p, *s, out) : 0;
}

/* An address of one family: *why says what the other one would need. */
static int get_addr_of(const struct parser *p, const config_setting_t *g, const char *key,
		       bool required, int family, const char *why, struct slb_addr *out)
{
	const config_setting_t *s;
	char where[256];

	if (get_addr(p, g, key, required, &s, out))
		return -1;
	if (!s || out->family == family)
		return 0;
	setting_path(s, where, sizeof(where));
	return fail(p, s, "'%s' is \"%s\": %s", where, config_setting_get_string(s), why);
}

/* siplb-dp's own addresses: IPv4 only, like its proxy. */
static int get_ipv4(const struct parser *p, const config_setting_t *g, uint32_t *out)
{
	struct slb_addr a;

	if (get_addr_of(p, g, "address", true, AF_INET, "IPv6 is not yet supported", &a))
		return -1;
	*out = a.v4;
	return 0;
}

/* VIP and pool names show up in logs and JSON: keep them plain. */
static bool plain_name(const char *v)
{
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && !strchr("_-.", *v))
			return false;
	return true;
}

/*
 * A name of at most len - 1 bytes into dst; plain ones only letters,
 * digits, '_', '-' and '.', the others (DPDK devices, interfaces) at least
 * no blanks.
 */
/* A name; when optional and absent, dst is left empty. */
static int get_name_opt(const struct parser *p, const config_setting_t *g, const char *key,
			bool required, bool plain, char *dst, size_t len)
{
	const config_setting_t *s;
	const char *v;
	char where[256];

	dst[0] = 0;
	if (get_str(p, g, key, required, &s, &v))
		return -1;
	if (!s)
		return 0;
	setting_path(s, where, sizeof(where));
	if (!v[0])
		return fail(p, s, "'%s' is empty", where);
	if (strlen(v) >= len)
		return fail(p, s, "'%s' is \"%s\": longer than %zu bytes", where, v, len - 1);
	if (plain && !plain_name(v))
		return fail(p, s, "'%s' is \"%s\": only letters, digits, '_', '-' and '.' please",
			    where, v);
	for (const char *c = v; !plain && *c; c++)
		if (isspace((unsigned char)*c) || *c == '/')
			return fail(p, s, "'%s' is \"%s\": no blanks or '/' please", where, v);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int get_name(const struct parser *p, const config_setting_t *g, const char *key,
		    bool plain, char *dst, size_t len)
{
	return get_name_opt(p, g, key, true, plain, dst, len);
}

/*
 * The list member key of g (absent: *n = 0), its entries all groups, or with
 * strings all strings (then a list or an array).
 */
static int get_list_of(const struct parser *p, const config_setting_t *g, const char *key,
		       uint32_t max, bool strings, const config_setting_t **list, uint32_t *n)
{
	char where[256];

	*n = 0;
	if (member(p, g, key, false, list))
		return -1;
	if (!*list)
		return 0;
	if (strings ? !config_setting_is_aggregate(*list) || config_setting_is_group(*list) :
		      !config_setting_is_list(*list))
		return type_error(p, *list, strings ? "a list of strings ( \"...\", ... )" :
				  "a list ( { ... }, ... )");
	*n = (uint32_t)config_setting_length(*list);
	if (*n > max) {
		setting_path(*list, where, sizeof(where));
		return fail(p, *list, "'%s' has %" PRIu32 " entries, at most %" PRIu32 " are supported",
			    where, *n, max);
	}
	for (uint32_t i = 0; i < *n; i++) {
		const config_setting_t *e = config_setting_get_elem(*list, i);

		if (strings && config_setting_type(e) != CONFIG_TYPE_STRING)
			return type_error(p, e, "a string");
		if (!strings && !config_setting_is_group(e))
			return type_error(p, e, "a group { ... }");
	}
	return 0;
}

static int get_list(const struct parser *p, const config_setting_t *g, const char *key,
		    uint32_t max, const config_setting_t **list, uint32_t *n)
{
	return get_list_of(p, g, key, max, false, list, n);
}

/* calloc that accepts n == 0 (then NULL is fine). */
static int alloc_array(const struct parser *p, const config_setting_t *s, uint32_t n,
		       size_t size, void **out)
{
	*out = n ? calloc(n, size) : NULL;
	if (n && !*out)
		return fail(p, s, "out of memory");
	return 0;
}

/* Group member key of g, or NULL when absent. */
static int get_group(const struct parser *p, const config_setting_t *g, const char *key,
		     const config_setting_t **out)
{
	if (member(p, g, key, false, out))
		return -1;
	if (*out && !config_setting_is_group(*out))
		return type_error(p, *out, "a group { ... }");
	return 0;
}

/* Entry i of list repeats entry j: says where both are. */
static int duplicate(const struct parser *p, const config_setting_t *list, uint32_t i,
		     uint32_t j, const char *what)
{
	const config_setting_t *e = config_setting_get_elem(list, i);
	const config_setting_t *first = config_setting_get_elem(list, j);
	const char *file, *first_file;
	unsigned line = slb_config_text_origin(p->text, config_setting_source_line(first),
					       &first_file);
	char where[256];

	setting_path(e, where, sizeof(where));
	slb_config_text_origin(p->text, config_setting_source_line(e), &file);
	if (strcmp(file, first_file))
		return fail(p, e, "'%s': %s as the entry at %s:%u", where, what, first_file, line);
	return fail(p, e, "'%s': %s as the entry at line %u", where, what, line);
}

/* rule_maps = { capacity; counters; }: the sizes of the rules maps. */
static int parse_rule_maps(const struct parser *p, const config_setting_t *root)
{
	static const char *const keys[] = {"capacity", "counters", NULL};
	const config_setting_t *g;
	struct slb_config *c = p->c;

	if (get_group(p, root, "rule_maps", &g))
		return -1;
	if (!g)
		return 0;
	return check_keys(p, g, keys) ||
	       get_uint(p, g, "capacity", false, 4096, SLB_CONFIG_MAX_RULES_CAPACITY,
			&c->rules_capacity) ||
	       get_uint(p, g, "counters", false, 1, SLB_CONFIG_MAX_RULE_COUNTERS,
			&c->rule_counters) ? -1 : 0;
}

static int parse_maglev(const struct parser *p, const config_setting_t *root)
{
	static const char *const keys[] = {"table_size", "capacity", NULL};
	const config_setting_t *g;
	struct slb_config *c = p->c;
	uint32_t next;

	if (get_group(p, root, "maglev", &g))
		return -1;
	if (!g)
		return 0;
	if (check_keys(p, g, keys) ||
	    get_uint(p, g, "table_size", false, 2, SLB_MAGLEV_MAX_SIZE, &c->table_size) ||
	    get_uint(p, g, "capacity", false, 2, SLB_CONFIG_MAX_CAPACITY, &c->capacity))
		return -1;
	if (slb_is_prime(c->table_size))
		return 0;
	next = c->table_size;
	while (!slb_is_prime(next))
		next++;
	return fail(p, config_setting_get_member(g, "table_size"),
		    "'maglev.table_size' is %" PRIu32 ": not prime (%" PRIu32 " is)",
		    c->table_size, next);
}

static int parse_port(const struct parser *p, const config_setting_t *list, uint32_t i)
{
	static const char *const keys[] = {"name", "iface", "address", "prefix", NULL};
	const config_setting_t *e = config_setting_get_elem(list, i);
	struct slb_config_port *port = &p->c->ports[i];
	uint32_t prefix = 0;

	if (check_keys(p, e, keys) ||
	    get_name(p, e, "name", false, port->name, sizeof(port->name)) ||
	    /* no iface: a port the kernel does not see (pcap, null, vfio) */
	    get_name_opt(p, e, "iface", false, false, port->iface, sizeof(port->iface)) ||
	    get_ipv4(p, e, &port->addr) ||
	    get_uint(p, e, "prefix", true, 1, 32, &prefix))
		return -1;
	port->prefix = (uint8_t)prefix;
	for (uint32_t j = 0; j < i; j++)
		if (!strcmp(p->c->ports[j].name, port->name))
			return duplicate(p, list, i, j, "same name");
	return 0;
}

static int parse_dataplane(const struct parser *p, const config_setting_t *root)
{
	static const char *const keys[] = {"ports", NULL};
	const config_setting_t *g, *list;
	struct slb_config *c = p->c;

	if (get_group(p, root, "dataplane", &g))
		return -1;
	if (!g)
		return 0;
	if (check_keys(p, g, keys) || get_list(p, g, "ports", UINT32_MAX, &list, &c->n_ports) ||
	    alloc_array(p, g, c->n_ports, sizeof(*c->ports), (void **)&c->ports))
		return -1;
	for (uint32_t i = 0; i < c->n_ports; i++)
		if (parse_port(p, list, i))
			return -1;
	return 0;
}

static int parse_backend(const struct parser *p, const config_setting_t *list, uint32_t i,
			 struct slb_config_backend *bs)
{
	static const char *const keys[] = {"address", "port", "weight", "priority", NULL};
	const config_setting_t *e = config_setting_get_elem(list, i);
	uint32_t port = 0, weight = 0, priority = 0;

	const config_setting_t *addr;
	char where[256];

	if (check_keys(p, e, keys) || get_addr(p, e, "address", true, &addr, &bs[i].a) ||
	    get_uint(p, e, "port", true, 1, UINT16_MAX, &port) ||
	    get_uint(p, e, "weight", true, 0, SLB_MAGLEV_MAX_WEIGHT, &weight) ||
	    get_uint(p, e, "priority", false, 0, UINT16_MAX, &priority))
		return -1;
	bs[i].a.port = (uint16_t)port;
	bs[i].weight = (uint16_t)weight;
	bs[i].priority = (uint16_t)priority;
	for (uint32_t j = 0; j < i; j++)
		if (!slb_addr_cmp(&bs[j].a, &bs[i].a))
			return duplicate(p, list, i, j, "same address and port");
	if (i == 0 || bs[i].a.family == bs[0].a.family)
		return 0;
	setting_path(addr, where, sizeof(where));
	return fail(p, addr, "'%s' is \"%s\", of another family than the pool's first backend: "
		    "a pool's backends are one family, its VIPs'", where,
		    config_setting_get_string(addr));
}

/* The pool's backends; *total counts them over all pools. */
static int parse_backends(const struct parser *p, const config_setting_t *g,
			  struct slb_config_pool *pool, uint32_t *total)
{
	const config_setting_t *list;
	uint32_t weighted = 0;
	char where[256];

	if (get_list(p, g, "backends", SLB_MAX_BACKENDS, &list, &pool->n_backends) ||
	    alloc_array(p, g, pool->n_backends, sizeof(*pool->backends),
			(void **)&pool->backends))
		return -1;
	for (uint32_t i = 0; i < pool->n_backends; i++) {
		if (parse_backend(p, list, i, pool->backends))
			return -1;
		weighted += pool->backends[i].weight > 0;
	}
	*total += pool->n_backends;
	if (!list)
		return 0;
	setting_path(list, where, sizeof(where));
	if (*total > SLB_MAX_BACKENDS)
		return fail(p, list, "'%s': more than %d backends over all pools", where,
			    SLB_MAX_BACKENDS);
	if (weighted >= p->c->table_size)
		return fail(p, list, "'%s': %" PRIu32 " backends of weight > 0 need a "
			    "maglev.table_size larger than that (it is %" PRIu32 ")",
			    where, weighted, p->c->table_size);
	return 0;
}

/* ---- health checks and DNS SRV of a pool (docs/health.md) ------------------------ */

/*
 * Seconds, an integer or a float ("interval = 0.5"), as milliseconds within
 * [min_ms, max_ms]; *out keeps its default when absent.
 */
static int get_ms(const struct parser *p, const config_setting_t *g, const char *key,
		  uint32_t min_ms, uint32_t max_ms, uint32_t *out)
{
	const config_setting_t *s;
	char where[256];
	double v;

	if (member(p, g, key, false, &s))
		return -1;
	if (!s)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
		v = config_setting_get_float(s);
	else if (config_setting_type(s) == CONFIG_TYPE_INT ||
		 config_setting_type(s) == CONFIG_TYPE_INT64)
		v = (double)config_setting_get_int64(s);
	else
		return type_error(p, s, "a number of seconds");
	setting_path(s, where, sizeof(where));
	if (!(v * 1000 >= min_ms && v * 1000 <= max_ms)) /* NaN fails too */
		return fail(p, s, "'%s' is %g s, out of range %g..%g s", where, v, min_ms / 1e3,
			    max_ms / 1e3);
	*out = (uint32_t)(v * 1000 + 0.5);
	return 0;
}

/* A library's own check (slb_health_config_check, ...) failed: its reason at g. */
static int rejected(const struct parser *p, const config_setting_t *g, const char *why)
{
	char where[256];

	setting_path(g, where, sizeof(where));
	return fail(p, g, "'%s': %s", where, why);
}

/* One source address of the probes; one per family. */
static int probe_source(const struct parser *p, const config_setting_t *s, bool *seen,
			struct slb_health_config *h)
{
	struct slb_addr a;
	char where[256];

	if (addr_of(p, s, &a))
		return -1;
	setting_path(s, where, sizeof(where));
	if (seen[a.family == AF_INET6])
		return fail(p, s, "'%s': one source address per family", where);
	seen[a.family == AF_INET6] = true;
	if (a.family == AF_INET)
		h->source4.sin_addr.s_addr = a.v4;
	else
		memcpy(&h->source6.sin6_addr, a.v6, sizeof(a.v6));
	return 0;
}

/* probing.source: an address, or a list of one per family. */
static int probe_sources(const struct parser *p, const config_setting_t *g,
			 struct slb_health_config *h)
{
	const config_setting_t *s;
	bool seen[2] = {false, false};
	uint32_t n;

	if (member(p, g, "source", false, &s))
		return -1;
	if (!s)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return probe_source(p, s, seen, h);
	if (get_list_of(p, g, "source", 2, true, &s, &n))
		return -1;
	for (uint32_t i = 0; i < n; i++)
		if (probe_source(p, config_setting_get_elem(s, i), seen, h))
			return -1;
	return 0;
}

/* probing.reply_codes and probing.from, both strings. */
static int probe_texts(const struct parser *p, const config_setting_t *g,
		       struct slb_health_config *h)
{
	const config_setting_t *s;
	const char *v;
	char err[256], where[256];

	if (get_str(p, g, "reply_codes", false, &s, &v))
		return -1;
	if (v && slb_health_parse_codes(h, v, err, sizeof(err)))
		return rejected(p, s, err);
	if (get_str(p, g, "from", false, &s, &v))
		return -1;
	if (!v)
		return 0;
	setting_path(s, where, sizeof(where));
	/* It goes between <> in the From header of every probe. */
	if ((strncmp(v, "sip:", 4) && strncmp(v, "sips:", 5)) || strpbrk(v, " \t\r\n<>\"") ||
	    strlen(v) >= sizeof(h->from_uri))
		return fail(p, s, "'%s' is \"%s\": a sip: or sips: URI without blanks, '<', '>' "
			    "or '\"' expected, shorter than %zu bytes", where, v, sizeof(h->from_uri));
	memcpy(h->from_uri, v, strlen(v) + 1);
	return 0;
}

/* probing = { ... }: the pool's SIP OPTIONS health checks. */
static int parse_probing(const struct parser *p, const config_setting_t *e,
			 struct slb_config_pool *pool)
{
	static const char *const keys[] = {"interval", "timeout", "rise", "fall",
					   "reply_codes", "from", "source", NULL};
	struct slb_health_config *h = &pool->health;
	const config_setting_t *g;
	char err[256];

	slb_health_config_init(h);
	if (get_group(p, e, "probing", &g))
		return -1;
	if (!g)
		return 0;
	pool->probing = true;
	if (check_keys(p, g, keys) ||
	    get_ms(p, g, "interval", 10, 86400000, &h->interval_ms) ||
	    get_ms(p, g, "timeout", 10, 86400000, &h->timeout_ms) ||
	    get_uint(p, g, "rise", false, 1, 1000, &h->rise) ||
	    get_uint(p, g, "fall", false, 1, 1000, &h->fall) ||
	    probe_texts(p, g, h) || probe_sources(p, g, h))
		return -1;
	return slb_health_config_check(h, err, sizeof(err)) ? rejected(p, g, err) : 0;
}

/*
 * passive = { ... }: a verdict on the dataplane's counters. It takes a
 * backend down; only its probes bring it back, so it needs probing.
 */
static int parse_passive(const struct parser *p, const config_setting_t *e,
			 struct slb_config_pool *pool)
{
	static const char *const keys[] = {"silence", "min_requests", "window", "min_finals",
					   "max_503_share", NULL};
	struct slb_passive_config *c = &pool->passive_cfg;
	const config_setting_t *g;
	char where[256];

	slb_passive_config_init(c);
	if (get_group(p, e, "passive", &g))
		return -1;
	if (!g)
		return 0;
	pool->passive = true;
	setting_path(g, where, sizeof(where));
	if (!pool->probing)
		return fail(p, g, "'%s' needs 'probing' in the pool: a backend passive health "
			    "takes down comes back up through its probes", where);
	return check_keys(p, g, keys) ||
	       get_ms(p, g, "silence", 0, 86400000, &c->silence_ms) ||
	       get_uint(p, g, "min_requests", false, 0, UINT32_MAX, &c->min_requests) ||
	       get_ms(p, g, "window", 0, 86400000, &c->window_ms) ||
	       get_uint(p, g, "min_finals", false, 0, UINT32_MAX, &c->min_finals) ||
	       get_uint(p, g, "max_503_share", false, 0, 100, &c->max_503_pct) ? -1 : 0;
}

/* resolvers = ( "ip[:port]", ... ) of g, into out (absent: *n unchanged). */
static int parse_resolvers(const struct parser *p, const config_setting_t *g,
			   struct slb_addr *out, uint32_t *n)
{
	const config_setting_t *list;
	char err[256];
	uint32_t count;

	if (get_list_of(p, g, "resolvers", SLB_SRV_MAX_RESOLVERS, true, &list, &count))
		return -1;
	if (!list)
		return 0;
	for (uint32_t i = 0; i < count; i++) {
		const config_setting_t *s = config_setting_get_elem(list, i);

		if (slb_srv_parse_resolver(config_setting_get_string(s), &out[i], err, sizeof(err)))
			return rejected(p, s, err);
	}
	*n = count;
	return 0;
}

/* dns = { ... }: how an SRV pool's name is resolved. */
static int parse_dns(const struct parser *p, const config_setting_t *e, struct slb_srv_config *c)
{
	static const char *const keys[] = {"ttl_floor", "ttl_ceiling", "retry", "retry_max",
					   "timeout", "tries", NULL};
	const config_setting_t *g;

	if (get_group(p, e, "dns", &g))
		return -1;
	if (!g)
		return 0;
	return check_keys(p, g, keys) ||
	       get_ms(p, g, "ttl_floor", 1, 86400000, &c->ttl_floor_ms) ||
	       get_ms(p, g, "ttl_ceiling", 1, 86400000, &c->ttl_ceiling_ms) ||
	       get_ms(p, g, "retry", 1, 86400000, &c->retry_min_ms) ||
	       get_ms(p, g, "retry_max", 1, 86400000, &c->retry_max_ms) ||
	       get_ms(p, g, "timeout", 1, 60000, &c->query_timeout_ms) ||
	       get_uint(p, g, "tries", false, 1, 10, &c->query_tries) ? -1 : 0;
}

/* srv = "_sip._udp.example.net", its resolvers and dns settings. */
static int parse_srv(const struct parser *p, const config_setting_t *e,
		     struct slb_config_pool *pool)
{
	struct slb_srv_config *c = &pool->srv;
	const config_setting_t *s, *extra;
	char where[256], err[256];
	const char *v;

	slb_srv_config_init(c);
	memcpy(c->resolvers, p->resolvers, sizeof(c->resolvers));
	c->n_resolvers = p->n_resolvers;
	if (get_str(p, e, "srv", false, &s, &v) || parse_resolvers(p, e, c->resolvers,
								    &c->n_resolvers) ||
	    parse_dns(p, e, c))
		return -1;
	extra = config_setting_get_member(e, "resolvers") ? config_setting_get_member(e, "resolvers")
							   : config_setting_get_member(e, "dns");
	setting_path(e, where, sizeof(where));
	if (!s && extra)
		return fail(p, extra, "'%s' has DNS settings but no 'srv' name", where);
	if (!s)
		return 0;
	if (config_setting_get_member(e, "backends"))
		return fail(p, config_setting_get_member(e, "backends"), "'%s' has 'srv' and "
			    "'backends': an SRV pool's backends come from DNS", where);
	if (strlen(v) >= sizeof(c->name))
		return fail(p, s, "'%s.srv' is longer than 253 characters", where);
	memcpy(c->name, v, strlen(v) + 1);
	return slb_srv_config_check(c, err, sizeof(err)) ? rejected(p, s, err) : 0;
}

static int parse_pool(const struct parser *p, const config_setting_t *e,
		      struct slb_config_pool *pool, uint32_t *total)
{
	static const char *const keys[] = {"name", "seed", "backends", "probing", "passive",
					   "srv", "resolvers", "dns", NULL};

	return check_keys(p, e, keys) ||
	       get_name(p, e, "name", true, pool->name, sizeof(pool->name)) ||
	       get_seed(p, e, "seed", &pool->seed) ||
	       parse_backends(p, e, pool, total) || parse_probing(p, e, pool) ||
	       parse_passive(p, e, pool) || parse_srv(p, e, pool) ? -1 : 0;
}

static int parse_pools(const struct parser *p, const config_setting_t *root)
{
	const config_setting_t *list;
	struct slb_config *c = p->c;
	uint32_t total = 0;

	if (get_list(p, root, "pools", SLB_MAX_POOLS, &list, &c->n_pools) ||
	    alloc_array(p, root, c->n_pools, sizeof(*c->pools), (void **)&c->pools))
		return -1;
	for (uint32_t i = 0; i < c->n_pools; i++) {
		if (parse_pool(p, config_setting_get_elem(list, i), &c->pools[i], &total))
			return -1;
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(c->pools[j].name, c->pools[i].name))
				return duplicate(p, list, i, j, "same name");
	}
	return 0;
}

/* An SRV pool looks up the addresses of its VIPs' family (A if none). */
static void srv_families(struct slb_config *c)
{
	for (uint32_t p = 0; p < c->n_pools; p++) {
		struct slb_srv_config *srv = &c->pools[p].srv;
		uint8_t family = AF_INET;

		for (uint32_t i = 0; i < c->n_vips; i++)
			if (c->vips[i].pool == p)
				family = c->vips[i].a.family;
		srv->ipv4 = family == AF_INET;
		srv->ipv6 = family == AF_INET6;
	}
}

/* ---- control socket and metrics ---------------------------------------------------- */

/* mode = "0660": permission bits in octal, as chmod takes them. */
static int control_mode(const struct parser *p, const config_setting_t *g, uint32_t *mode)
{
	const config_setting_t *s;
	const char *v;
	char *end;
	unsigned long m;

	if (get_str(p, g, "mode", false, &s, &v))
		return -1;
	if (!v)
		return 0;
	m = strtoul(v, &end, 8);
	if (!*v || *end || m > 0777 || (m & 0600) != 0600)
		return fail(p, s, "'control.mode' is \"%s\": octal permission bits with read and "
			    "write for the owner (\"0600\", \"0660\") expected", v);
	*mode = (uint32_t)m;
	return 0;
}

/* allow_uids = ( 1000, ... ): who else may call, besides root and siplbd's user. */
static int control_uids(const struct parser *p, const config_setting_t *g,
			struct slb_config_control *c)
{
	const config_setting_t *list;
	char where[256];

	if (member(p, g, "allow_uids", false, &list))
		return -1;
	if (!list)
		return 0;
	if (!config_setting_is_aggregate(list) || config_setting_is_group(list))
		return type_error(p, list, "a list of user ids ( 1000, ... )");
	c->n_allow_uids = (uint32_t)config_setting_length(list);
	setting_path(list, where, sizeof(where));
	if (c->n_allow_uids > SLB_CONFIG_MAX_UIDS)
		return fail(p, list, "'%s' has %u entries, at most %d are supported", where,
			    c->n_allow_uids, SLB_CONFIG_MAX_UIDS);
	for (uint32_t i = 0; i < c->n_allow_uids; i++) {
		const config_setting_t *e = config_setting_get_elem(list, i);
		long long v;

		if (config_setting_type(e) != CONFIG_TYPE_INT &&
		    config_setting_type(e) != CONFIG_TYPE_INT64)
			return type_error(p, e, "a user id (an integer)");
		v = config_setting_get_int64(e);
		if (v < 0 || v >= UINT32_MAX)
			return fail(p, e, "'%s[%u]' is %lld: not a user id", where, i, v);
		c->allow_uids[i] = (uint32_t)v;
	}
	return 0;
}

static int parse_control(const struct parser *p, const config_setting_t *root)
{
	static const char *const keys[] = {"socket", "mode", "allow_uids", NULL};
	struct slb_config_control *c = &p->c->control;
	const config_setting_t *g, *s;
	const char *v;

	snprintf(c->socket, sizeof(c->socket), "%s", SLB_CONFIG_DEFAULT_SOCKET);
	if (get_group(p, root, "control", &g))
		return -1;
	if (!g)
		return 0;
	if (check_keys(p, g, keys) || get_str(p, g, "socket", false, &s, &v) ||
	    control_mode(p, g, &c->mode) || control_uids(p, g, c))
		return -1;
	if (!v)
		return 0;
	if (v[0] != '/' || strlen(v) >= sizeof(c->socket))
		return fail(p, s, "'control.socket' is \"%s\": an absolute path shorter than %zu "
			    "bytes expected", v, sizeof(c->socket));
	memcpy(c->socket, v, strlen(v) + 1);
	return 0;
}

static int parse_metrics(const struct parser *p, const config_setting_t *root)
{
	static const char *const keys[] = {"address", "port", NULL};
	struct slb_config_metrics *m = &p->c->metrics;
	const config_setting_t *g, *s;
	uint32_t port = SLB_METRICS_DEFAULT_PORT;
	struct slb_addr a;

	snprintf(m->address, sizeof(m->address), "%s", SLB_METRICS_DEFAULT_ADDRESS);
	m->port = SLB_METRICS_DEFAULT_PORT;
	if (get_group(p, root, "metrics", &g))
		return -1;
	if (!g)
		return 0;
	if (check_keys(p, g, keys) || get_uint(p, g, "port", false, 0, UINT16_MAX, &port))
		return -1;
	m->port = (uint16_t)port;
	if (member(p, g, "address", false, &s))
		return -1;
	if (!s)
		return 0;
	/* The wildcard is a fine place to serve metrics: not addr_of's rules. */
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return type_error(p, s, "a string");
	if (slb_addr_parse(config_setting_get_string(s), &a))
		return fail(p, s, "'metrics.address' is \"%s\": not an IPv4 or IPv6 address",
			    config_setting_get_string(s));
	snprintf(m->address, sizeof(m->address), "%s", config_setting_get_string(s));
	return 0;
}

/* ---- capture ------------------------------------------------------------------------ */

/* capture.vips: the VIPs' names, as a bit mask of their indexes. */
static int capture_vips(const struct parser *p, const config_setting_t *g, uint64_t *mask)
{
	const config_setting_t *list;
	uint32_t n;

	*mask = SLB_CAPTURE_ALL_VIPS;
	if (get_list_of(p, g, "vips", SLB_MAX_VIPS, true, &list, &n) || !list)
		return list ? -1 : 0;
	*mask = 0;
	for (uint32_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(list, i);
		const char *name = config_setting_get_string(e);
		int v = slb_config_vip_index(p->c, name);

		if (v < 0)
			return fail(p, e, "'capture.vips[%" PRIu32 "]' is \"%s\": no such VIP", i, name);
		*mask |= 1ULL << v;
	}
	return 0;
}

int slb_config_vip_index(const struct slb_config *c, const char *name)
{
	for (uint32_t v = 0; v < c->n_vips; v++)
		if (!strcmp(c->vips[v].name, name))
			return (int)v;
	return -1;
}

void slb_config_pcap_path(const char *dir, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s.pcap", dir, name);
}

bool slb_config_pcap_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= SLB_CAPTURE_PCAP_NAME_LEN || name[0] == '.')
		return false;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
	       == n;
}

/* capture = { ... }: a HEP collector (address) and where pcap files go;
 * without the group, pcap files still can be written, to the default
 * directory. */
static int parse_capture(const struct parser *p, const config_setting_t *root)
{
	static const char *const keys[] = {"address", "port", "agent_id", "password", "sample",
					   "rate", "vips", "start", "pcap_dir", "pcap_max_mb",
					   NULL};
	struct slb_config_capture *c = &p->c->capture;
	const config_setting_t *g, *s, *start;
	const char *password;
	uint32_t port = 9060;

	*c = (struct slb_config_capture){.sample = 1, .rate = SLB_CONFIG_DEFAULT_CAPTURE_RATE,
					 .pcap_dir = SLB_CONFIG_DEFAULT_PCAP_DIR,
					 .pcap_max_mb = SLB_CONFIG_DEFAULT_PCAP_MAX_MB};
	if (get_group(p, root, "capture", &g) || !g)
		return g ? -1 : 0;
	if (check_keys(p, g, keys) || get_addr(p, g, "address", false, &s, &c->collector) ||
	    get_path(p, g, "pcap_dir", "capture.pcap_dir", c->pcap_dir, sizeof(c->pcap_dir)) ||
	    get_uint(p, g, "pcap_max_mb", false, 1, 1u << 20, &c->pcap_max_mb))
		return -1;
	c->configured = s != NULL;
	start = config_setting_get_member(g, "start");
	if (!c->configured && start && config_setting_get_bool(start))
		return fail(p, start, "'capture.start' is true but there is no collector: "
			    "capture.address names it (docs/capture.md)");
	if (get_uint(p, g, "port", false, 1, UINT16_MAX, &port) ||
	    get_uint(p, g, "agent_id", false, 0, UINT32_MAX, &c->agent_id) ||
	    get_uint(p, g, "sample", false, 1, UINT32_MAX, &c->sample) ||
	    get_uint(p, g, "rate", false, 1, UINT32_MAX, &c->rate) ||
	    get_bool(p, g, "start", &c->enabled) || capture_vips(p, g, &c->vips) ||
	    get_str(p, g, "password", false, &s, &password))
		return -1;
	if (password && strlen(password) >= sizeof(c->password))
		return fail(p, s, "'capture.password' is %zu bytes, at most %zu", strlen(password),
			    sizeof(c->password) - 1);
	snprintf(c->password, sizeof(c->password), "%s", password ? password : "");
	c->collector.port = (uint16_t)port;
	return 0;
}

static int vip_mode(const struct parser *p, const config_setting_t *e, enum slb_vip_mode *mode)
{
	const config_setting_t *s;
	const char *v;
	char where[256];

	if (get_str(p, e, "mode", false, &s, &v))
		return -1;
	if (!v || !strcmp(v, "proxy"))
		*mode = SLB_MODE_PROXY;
	else if (!strcmp(v, "dsr"))
		*mode = SLB_MODE_DSR;
	else {
		setting_path(s, where, sizeof(where));
		return fail(p, s, "'%s' is \"%s\": \"proxy\" or \"dsr\" expected", where, v);
	}
	return 0;
}

static int vip_pool(const struct parser *p, const config_setting_t *e, uint32_t *pool)
{
	const config_setting_t *s;
	const char *v;
	char where[256];

	if (get_str(p, e, "pool", true, &s, &v))
		return -1;
	for (*pool = 0; *pool < p->c->n_pools; (*pool)++)
		if (!strcmp(p->c->pools[*pool].name, v))
			return 0;
	setting_path(s, where, sizeof(where));
	return fail(p, s, "'%s' is \"%s\": no pool of that name", where, v);
}

/*
 * An XDP rate cap: rate (packets per second, 0 = none) and the burst it
 * allows on top; a burst without a rate would silently do nothing.
 */
static int get_rate(const struct parser *p, const config_setting_t *g, const char *rate_key,
		    const char *burst_key, uint32_t *rate, uint32_t *burst)
{
	char where[256];

	if (get_uint(p, g, rate_key, false, 0, UINT32_MAX, rate) ||
	    get_uint(p, g, burst_key, false, 0, UINT32_MAX, burst))
		return -1;
	if (*rate || !*burst)
		return 0;
	setting_path(config_setting_get_member(g, burst_key), where, sizeof(where));
	return fail(p, config_setting_get_member(g, burst_key), "'%s' is %" PRIu32 " but '%s' "
		    "is 0 (no cap): a burst needs a rate", where, *burst, rate_key);
}

/* The VIP's address: IPv6 only for DSR (siplb-dp's proxy is IPv4 only). */
static int vip_addr(const struct parser *p, const config_setting_t *e, struct slb_config_vip *v)
{
	const config_setting_t *s;
	char where[256];

	if (get_addr(p, e, "address", true, &s, &v->a) || vip_mode(p, e, &v->mode))
		return -1;
	if (v->a.family == AF_INET || v->mode == SLB_MODE_DSR)
		return 0;
	setting_path(s, where, sizeof(where));
	return fail(p, s, "'%s' is \"%s\": IPv6 in proxy mode is not yet supported "
		    "(mode = \"dsr\" is)", where, config_setting_get_string(s));
}

/* rules = ( ... ): rules_config.c says what is wrong, and where. */
static int vip_rules(const struct parser *p, const config_setting_t *e, struct slb_config_vip *v)
{
	const config_setting_t *bad;
	char why[512];

	if (slb_rules_config_parse(config_setting_get_member(e, "rules"), p->c, p->text, v->pool,
				   &v->rules, &bad, why, sizeof(why)))
		return rejected(p, bad, why);
	return 0;
}

static int parse_vip(const struct parser *p, const config_setting_t *list, uint32_t i)
{
	static const char *const keys[] = {"name", "address", "port", "mode", "pool",
					   "record_route", "rate", "burst", "rules", NULL};
	const config_setting_t *e = config_setting_get_elem(list, i);
	struct slb_config_vip *vips = p->c->vips;
	uint32_t port = 0;

	vips[i].record_route = true;
	if (check_keys(p, e, keys) ||
	    get_name(p, e, "name", true, vips[i].name, sizeof(vips[i].name)) ||
	    vip_addr(p, e, &vips[i]) ||
	    get_uint(p, e, "port", true, 1, UINT16_MAX, &port) ||
	    vip_pool(p, e, &vips[i].pool) ||
	    get_bool(p, e, "record_route", &vips[i].record_route) ||
	    get_rate(p, e, "rate", "burst", &vips[i].rate, &vips[i].burst) ||
	    vip_rules(p, e, &vips[i]))
		return -1;
	vips[i].a.port = (uint16_t)port;
	for (uint32_t j = 0; j < i; j++) {
		if (!strcmp(vips[j].name, vips[i].name))
			return duplicate(p, list, i, j, "same name");
		if (!slb_addr_cmp(&vips[j].a, &vips[i].a))
			return duplicate(p, list, i, j, "same address and port");
	}
	return 0;
}

static int parse_vips(const struct parser *p, const config_setting_t *root)
{
	const config_setting_t *list;
	struct slb_config *c = p->c;

	if (get_list(p, root, "vips", SLB_MAX_VIPS, &list, &c->n_vips) ||
	    alloc_array(p, root, c->n_vips, sizeof(*c->vips), (void **)&c->vips))
		return -1;
	for (uint32_t i = 0; i < c->n_vips; i++)
		if (parse_vip(p, list, i))
			return -1;
	return 0;
}

/*
 * Every pool may need a full table in the same generation, so the maps
 * (sized once, at creation) must hold pools x table_size slots.
 */
static int check_capacity(const struct parser *p, const config_setting_t *root)
{
	const struct slb_config *c = p->c;
	const config_setting_t *maglev = config_setting_get_member(root, "maglev");
	const config_setting_t *cap = maglev ? config_setting_get_member(maglev, "capacity") : NULL;
	const config_setting_t *size = maglev ? config_setting_get_member(maglev, "table_size") : NULL;
	uint64_t need = (uint64_t)c->n_pools * c->table_size;

	if (need <= c->capacity)
		return 0;
	return fail(p, cap ? cap : size ? size : config_setting_get_member(root, "pools"),
		    "maglev.capacity %" PRIu32 "%s is smaller than %" PRIu32
		    " pools x table_size %" PRIu32 " = %" PRIu64, c->capacity,
		    cap ? "" : " (the default)", c->n_pools, c->table_size, need);
}

/* The setting of pools[pool].backends[j].address, for its FILE:LINE. */
static const config_setting_t *backend_addr(const config_setting_t *root, uint32_t pool,
					    uint32_t j)
{
	const config_setting_t *pools = config_setting_get_member(root, "pools");
	const config_setting_t *e = config_setting_get_elem(pools, pool);
	const config_setting_t *list = config_setting_get_member(e, "backends");

	return config_setting_get_member(config_setting_get_elem(list, j), "address");
}

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

int slb_config_rule_pool_check(const struct slb_config *c, const struct slb_config_vip *v,
			       const struct slb_rule *rule, char *err, size_t errlen)
{
	const struct slb_config_pool *pool = &c->pools[rule->rec.pool];

	if (rule->rec.action != SLB_RULE_ACT_POOL || rule->rec.pool == v->pool)
		return 0;
	for (uint32_t j = 0; j < pool->n_backends; j++) {
		if (pool->backends[j].a.family == v->a.family)
			continue;
		snprintf(err, errlen, "%s: \"pool %s\": its backend %u is %s, VIP '%s' is %s: a "
			 "rule's pool serves its VIP's family", rule->origin, pool->name, j,
			 family_name(pool->backends[j].a.family), v->name, family_name(v->a.family));
		return -1;
	}
	return 0;
}

/* The pools VIP i's rules send to serve the VIP's family (docs/rules.md). */
static int check_rule_pools(const struct parser *p, uint32_t i)
{
	const struct slb_config_vip *v = &p->c->vips[i];

	for (uint32_t r = 0; r < v->rules.n; r++)
		if (slb_config_rule_pool_check(p->c, v, &v->rules.rules[r], p->err, p->errlen))
			return -1;
	return 0;
}

/* A pool serves one family: its VIPs' and its backends'. */
static int check_vip_family(const struct parser *p, const config_setting_t *root, uint32_t i)
{
	const struct slb_config_vip *v = &p->c->vips[i];
	const struct slb_config_pool *pool = &p->c->pools[v->pool];
	char where[256];

	for (uint32_t j = 0; j < i; j++)
		if (p->c->vips[j].pool == v->pool && p->c->vips[j].a.family != v->a.family)
			return fail(p, config_setting_get_elem(config_setting_get_member(root, "vips"),
							       i),
				    "'vips[%u]' (%s) uses pool '%s', as 'vips[%u]' (%s) does: a "
				    "pool serves one family", i, family_name(v->a.family), pool->name,
				    j, family_name(p->c->vips[j].a.family));
	for (uint32_t j = 0; j < pool->n_backends; j++) {
		const config_setting_t *s = backend_addr(root, v->pool, j);

		if (pool->backends[j].a.family == v->a.family)
			continue;
		setting_path(s, where, sizeof(where));
		if (v->mode == SLB_MODE_PROXY)
			return fail(p, s, "'%s' is \"%s\": IPv6 in proxy mode is not yet supported "
				    "(pool '%s' serves proxy VIP '%s')", where,
				    config_setting_get_string(s), pool->name, v->name);
		return fail(p, s, "'%s' is \"%s\", but pool '%s' serves VIP '%s' over %s: a "
			    "pool's backends are one family, its VIPs'", where,
			    config_setting_get_string(s), pool->name, v->name,
			    family_name(v->a.family));
	}
	return 0;
}

/* Families match, and every DSR VIP's family has an outer source address. */
static int check_vips(const struct parser *p, const config_setting_t *root)
{
	const struct slb_config *c = p->c;

	for (uint32_t i = 0; i < c->n_vips; i++) {
		const struct slb_config_vip *v = &c->vips[i];
		bool v4 = v->a.family == AF_INET;

		if (check_vip_family(p, root, i) || check_rule_pools(p, i))
			return -1;
		if (v->mode != SLB_MODE_DSR || (v4 ? c->dsr.src4.family : c->dsr.src6.family))
			continue;
		return fail(p, config_setting_get_elem(config_setting_get_member(root, "vips"), i),
			    "'vips[%u]' is a DSR VIP over %s but 'dsr.%s' is not set: the source "
			    "address of the packets it encapsulates", i, family_name(v->a.family),
			    v4 ? "source" : "source6");
	}
	return 0;
}

static int dsr_encap(const struct parser *p, const config_setting_t *g, enum slb_encap *out)
{
	const config_setting_t *s;
	const char *v;

	if (get_str(p, g, "encap", false, &s, &v))
		return -1;
	if (!v || !strcmp(v, "ipip"))
		*out = SLB_ENCAP_IPIP;
	else if (!strcmp(v, "gue"))
		*out = SLB_ENCAP_GUE;
	else
		return fail(p, s, "'dsr.encap' is \"%s\": \"ipip\" or \"gue\" expected", v);
	return 0;
}

static int parse_dsr(const struct parser *p, const config_setting_t *root)
{
	static const char *const keys[] = {"source", "source6", "encap", "gue_port", NULL};
	struct slb_config_dsr *d = &p->c->dsr;
	const config_setting_t *g;
	uint32_t port = SLB_CONFIG_DEFAULT_GUE_PORT;

	d->gue_port = SLB_CONFIG_DEFAULT_GUE_PORT;
	if (get_group(p, root, "dsr", &g))
		return -1;
	if (!g)
		return 0;
	if (check_keys(p, g, keys) ||
	    get_addr_of(p, g, "source", false, AF_INET,
			"an IPv4 address expected (IPv6 goes in 'dsr.source6')", &d->src4) ||
	    get_addr_of(p, g, "source6", false, AF_INET6,
			"an IPv6 address expected (IPv4 goes in 'dsr.source')", &d->src6) ||
	    dsr_encap(p, g, &d->encap) || get_uint(p, g, "gue_port", false, 1, UINT16_MAX, &port))
		return -1;
	d->gue_port = (uint16_t)port;
	return 0;
}

/*
 * An interface for siplbd's XDP program, not an af_xdp port of siplb-dp:
 * siplb-dp puts the program there itself, with its sockets, and the af_xdp
 * PMD cannot start on an interface that already has a program.
 */
static int xdp_iface(const struct parser *p, const config_setting_t *s, uint32_t i)
{
	const struct slb_config *c = p->c;
	const char *v = config_setting_get_string(s);

	if (!v[0] || strlen(v) >= SLB_IFACE_LEN || strpbrk(v, " \t/"))
		return fail(p, s, "'xdp.interfaces[%u]' is \"%s\": not an interface name", i, v);
	for (uint32_t j = 0; j < i; j++)
		if (!strcmp(c->xdp.ifaces[j], v))
			return fail(p, s, "'xdp.interfaces[%u]' is \"%s\", as 'xdp.interfaces[%u]'",
				    i, v, j);
	for (uint32_t k = 0; k < c->n_ports; k++)
		if (!strcmp(c->ports[k].iface, v) && !strncmp(c->ports[k].name, "net_af_xdp", 10))
			return fail(p, s, "'xdp.interfaces[%u]' is \"%s\", the interface of af_xdp "
				    "port %s: siplb-dp attaches the program there itself", i, v,
				    c->ports[k].name);
	memcpy(c->xdp.ifaces[i], v, strlen(v) + 1);
	return 0;
}

static int xdp_mode(const struct parser *p, const config_setting_t *g, bool *generic)
{
	const config_setting_t *s;
	const char *v;

	if (get_str(p, g, "mode", false, &s, &v))
		return -1;
	*generic = v && !strcmp(v, "generic");
	if (v && !*generic && strcmp(v, "native"))
		return fail(p, s, "'xdp.mode' is \"%s\": \"native\" or \"generic\" expected", v);
	return 0;
}

static int parse_xdp(const struct parser *p, const config_setting_t *root)
{
	static const char *const keys[] = {"interfaces", "mode", NULL};
	struct slb_config_xdp *x = &p->c->xdp;
	const config_setting_t *g, *list;

	if (get_group(p, root, "xdp", &g))
		return -1;
	if (!g)
		return 0;
	if (check_keys(p, g, keys) || xdp_mode(p, g, &x->generic) ||
	    get_list_of(p, g, "interfaces", 256, true, &list, &x->n_ifaces) ||
	    alloc_array(p, g, x->n_ifaces, sizeof(*x->ifaces), (void **)&x->ifaces))
		return -1;
	for (uint32_t i = 0; i < x->n_ifaces; i++)
		if (xdp_iface(p, config_setting_get_elem(list, i), i))
			return -1;
	return 0;
}

/* "203.0.113.0/24", "2001:db8:bad::/48", or one address (/32, /128). */
static int parse_prefix(const struct parser *p, const config_setting_t *s, uint32_t i,
			struct slb_config_prefix *out)
{
	const char *v = config_setting_get_string(s);
	const char *slash = strchr(v, '/');
	char addr[INET6_ADDRSTRLEN] = "", *end;
	unsigned long len = 0;

	memset(out, 0, sizeof(*out));
	if ((size_t)(slash ? slash - v : (ptrdiff_t)strlen(v)) < sizeof(addr))
		memcpy(addr, v, slash ? (size_t)(slash - v) : strlen(v));
	out->family = inet_pton(AF_INET, addr, out->addr) == 1 ? AF_INET :
		      inet_pton(AF_INET6, addr, out->addr) == 1 ? AF_INET6 : 0;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || *end || errno)
			out->family = 0;
	}
	uint32_t max = out->family == AF_INET ? 32 : 128;
	if (!out->family || len > max)
		return fail(p, s, "'flood.blocklist[%u]' is \"%s\": not ADDRESS/LENGTH (IPv4 /0..32, "
			    "IPv6 /0..128)", i, v);
	out->len = (uint8_t)(slash ? len : max);
	for (uint32_t b = out->len; b < max; b++)
		if (out->addr[b / 8] & (0x80 >> (b % 8)))
			return fail(p, s, "'flood.blocklist[%u]' is \"%s\": bits set beyond /%u",
				    i, v, out->len);
	return 0;
}

static int parse_blocklist(const struct parser *p, const config_setting_t *g)
{
	struct slb_config_flood *f = &p->c->flood;
	const config_setting_t *list;

	if (get_list_of(p, g, "blocklist", 2 * SLB_XDP_BLOCK_ENTRIES, true, &list,
			&f->n_blocklist) ||
	    alloc_array(p, g, f->n_blocklist, sizeof(*f->blocklist), (void **)&f->blocklist))
		return -1;
	for (uint32_t i = 0; i < f->n_blocklist; i++) {
		const config_setting_t *s = config_setting_get_elem(list, i);
		uint32_t same = 0;

		if (parse_prefix(p, s, i, &f->blocklist[i]))
			return -1;
		for (uint32_t j = 0; j < i; j++) {
			if (!memcmp(&f->blocklist[j], &f->blocklist[i], sizeof(f->blocklist[i])))
				return fail(p, s, "'flood.blocklist[%u]' is \"%s\", as "
					    "'flood.blocklist[%u]'", i, config_setting_get_string(s), j);
			same += f->blocklist[j].family == f->blocklist[i].family;
		}
		if (same >= SLB_XDP_BLOCK_ENTRIES)
			return fail(p, s, "'flood.blocklist': more than %d %s prefixes",
				    SLB_XDP_BLOCK_ENTRIES, family_name(f->blocklist[i].family));
	}
	return 0;
}

static int parse_flood(const struct parser *p, const config_setting_t *root)
{
	static const char *const keys[] = {"source_rate", "source_burst", "blocklist", NULL};
	struct slb_config_flood *f = &p->c->flood;
	const config_setting_t *g;

	if (get_group(p, root, "flood", &g))
		return -1;
	if (!g)
		return 0;
	return check_keys(p, g, keys) ||
	       get_rate(p, g, "source_rate", "source_burst", &f->source_rate, &f->source_burst) ||
	       parse_blocklist(p, g) ? -1 : 0;
}

/* hooks = { backend_state = "/path"; timeout = 10; max_running = 4; } */
static int parse_hooks(const struct parser *p, const config_setting_t *root)
{
	static const char *const keys[] = {"backend_state", "timeout", "max_running", NULL};
	struct slb_config_hooks *h = &p->c->hooks;
	const config_setting_t *g;

	h->timeout_ms = SLB_HOOKS_DEFAULT_TIMEOUT_MS;
	h->max_running = SLB_HOOKS_DEFAULT_MAX_RUNNING;
	if (get_group(p, root, "hooks", &g))
		return -1;
	if (!g)
		return 0;
	if (check_keys(p, g, keys) ||
	    get_path(p, g, "backend_state", "hooks.backend_state", h->backend_state,
		     sizeof(h->backend_state)) ||
	    get_ms(p, g, "timeout", 100, 3600000, &h->timeout_ms) ||
	    get_uint(p, g, "max_running", false, 1, SLB_HOOKS_MAX_RUNNING, &h->max_running))
		return -1;
	/* Said now rather than at the first event, when nobody reads. */
	if (h->backend_state[0] && access(h->backend_state, X_OK))
		return fail(p, config_setting_get_member(g, "backend_state"),
			    "'hooks.backend_state' is \"%s\": %s (an executable expected)",
			    h->backend_state, strerror(errno));
	return 0;
}

static int parse_bpffs(const struct parser *p, const config_setting_t *root)
{
	const config_setting_t *s;
	const char *v;

	if (get_str(p, root, "bpffs", false, &s, &v))
		return -1;
	if (!v)
		return 0;
	if (!v[0])
		return fail(p, s, "'bpffs' is empty");
	if (strlen(v) >= sizeof(p->c->bpffs))
		return fail(p, s, "'bpffs' is longer than %zu bytes", sizeof(p->c->bpffs) - 1);
	memcpy(p->c->bpffs, v, strlen(v) + 1);
	return 0;
}

/*
 * branch_secret (and branch_secret_previous, for rotation): any text of
 * SLB_BRANCH_SECRET_MIN characters or more, hashed into a SipHash key so
 * that a passphrase and a hex string serve alike. Without it siplbd keeps
 * the key it published last, or makes a random one (publish.h).
 * 1 when key is set (its key in out), 0 when absent, -1 on error.
 */
static int get_branch_key(const struct parser *p, const config_setting_t *root,
			  const char *key, uint8_t *out)
{
	const config_setting_t *s;
	const char *v;

	if (get_str(p, root, key, false, &s, &v))
		return -1;
	if (!v)
		return 0;
	if (strlen(v) < SLB_BRANCH_SECRET_MIN)
		return fail(p, s, "'%s' has %zu characters, at least %d are needed (for "
			    "instance the output of `openssl rand -hex 16`)", key, strlen(v),
			    SLB_BRANCH_SECRET_MIN);
	crypto_generichash(out, SLB_BRANCH_KEY_LEN, (const unsigned char *)v, strlen(v),
			   NULL, 0);
	return 1;
}

static int parse_branch_keys(struct parser *p, const config_setting_t *root)
{
	struct slb_config *c = p->c;
	int cur = get_branch_key(p, root, "branch_secret", c->branch_keys[0]);
	int prev = cur < 0 ? -1 : get_branch_key(p, root, "branch_secret_previous",
						  c->branch_keys[1]);

	if (prev < 0)
		return -1;
	if (prev && !cur)
		return fail(p, config_setting_get_member(root, "branch_secret_previous"),
			    "'branch_secret_previous' without 'branch_secret'");
	c->n_branch_keys = (uint32_t)(cur + prev);
	return 0;
}

/* log_level: the programs' --log-level when the command line has none. */
static int parse_log_level(const struct parser *p, const config_setting_t *root)
{
	const config_setting_t *s;
	const char *v;
	enum slb_log_level level;

	if (get_str(p, root, "log_level", false, &s, &v))
		return -1;
	if (!v)
		return 0;
	if (slb_log_level_parse(v, &level))
		return fail(p, s, "'log_level' \"%s\": one of %s expected", v,
			    SLB_LOG_LEVEL_NAMES);
	p->c->log_level = (int)level;
	return 0;
}

static int parse(struct parser *p, const config_setting_t *root)
{
	static const char *const keys[] = {"bpffs", "log_level", "branch_seed", "branch_secret",
					   "branch_secret_previous", "maglev", "dataplane",
					   "vips", "pools", "dsr", "xdp", "flood", "resolvers",
					   "control", "metrics", "rule_maps", "state_file", "hooks",
					   "capture", NULL};

	if (check_keys(p, root, keys) || parse_bpffs(p, root) || parse_log_level(p, root) ||
	    get_seed(p, root, "branch_seed", &p->c->branch_seed) || parse_branch_keys(p, root) ||
	    parse_maglev(p, root) || parse_rule_maps(p, root) || parse_dataplane(p, root) ||
	    parse_resolvers(p, root, p->resolvers, &p->n_resolvers) ||
	    parse_pools(p, root) || parse_vips(p, root) || parse_dsr(p, root) ||
	    parse_xdp(p, root) || parse_flood(p, root) || parse_control(p, root) ||
	    parse_metrics(p, root) || parse_hooks(p, root) ||
	    get_path(p, root, "state_file", "state_file", p->c->state_file,
		     sizeof(p->c->state_file)) ||
	    check_capacity(p, root) || check_vips(p, root) || parse_capture(p, root))
		return -1;
	srv_families(p->c);
	return 0;
}

/*
 * libconfig parses the text siplb read itself (config_text.c) and opens no
 * file. Were it still to meet an @include, its include directory is one
 * that cannot exist (/proc/self/fd has no "-1"): the open fails, nothing
 * is read behind config_text.c's checks.
 */
static int parse_text(struct parser *p, const char *path)
{
	const char *file;
	unsigned line;
	config_t cf;
	int rc = -1;

	p->text = slb_config_text_read(path, p->err, p->errlen);
	if (!p->text)
		return -1;
	config_init(&cf);
	config_set_include_dir(&cf, "/proc/self/fd/-1");
	if (config_read_string(&cf, slb_config_text_buf(p->text))) {
		rc = parse(p, config_root_setting(&cf));
	} else {
		line = slb_config_text_origin(p->text, (unsigned)config_error_line(&cf), &file);
		snprintf(p->err, p->errlen, "%s:%u: %s", file, line, config_error_text(&cf));
	}
	config_destroy(&cf);
	slb_config_text_free(p->text);
	return rc;
}

int slb_config_load(const char *path, struct slb_config *out, char *err, size_t errlen)
{
	struct parser p = {.err = err, .errlen = errlen, .c = out};
	int rc;

	memset(out, 0, sizeof(*out));
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return -1;
	}
	snprintf(out->bpffs, sizeof(out->bpffs), "%s", SLB_CONFIG_DEFAULT_BPFFS);
	out->table_size = SLB_MAGLEV_DEFAULT_SIZE;
	out->capacity = SLB_CONFIG_DEFAULT_CAPACITY;
	out->rules_capacity = SLB_CONFIG_DEFAULT_RULES_CAPACITY;
	out->rule_counters = SLB_CONFIG_DEFAULT_RULE_COUNTERS;
	rc = parse_text(&p, path);
	if (rc)
		slb_config_free(out);
	return rc;
}

void slb_config_free(struct slb_config *c)
{
	for (uint32_t i = 0; c->pools && i < c->n_pools; i++)
		free(c->pools[i].backends);
	free(c->pools);
	for (uint32_t i = 0; c->vips && i < c->n_vips; i++)
		slb_rules_free(&c->vips[i].rules);
	free(c->vips);
	free(c->ports);
	free(c->xdp.ifaces);
	free(c->flood.blocklist);
	memset(c, 0, sizeof(*c));
}

uint32_t slb_config_n_backends(const struct slb_config *c)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < c->n_pools; i++)
		n += c->pools[i].n_backends;
	return n;
}
