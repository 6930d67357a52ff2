/* SPDX-License-Identifier: BSD-3-Clause */
/* The configuration file parser (see include/siplb/config.h, docs/config.md). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/config.h"
#include "siplb/maglev.h"

struct parser {
	const char *path;
	char *err;
	size_t errlen;
	struct slb_config *c;
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
	const char *file = config_setting_source_file(s);
	int n = snprintf(p->err, p->errlen, "%s:%u: ", file ? file : p->path,
			 config_setting_source_line(s));
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
	char where[256], list[256] = "";

	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *const *k = known;

		while (*k && strcmp(*k, config_setting_name(s)))
			k++;
		if (*k)
			continue;
		for (k = known; *k; k++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%s", k == known ? "" : ", ", *k);
		setting_path(g, where, sizeof(where));
		return fail(p, s, "unknown setting '%s'%s%s%s (known: %s)", config_setting_name(s),
			    where[0] ? " in '" : "", where, where[0] ? "'" : "", list);
	}
	return 0;
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

/* Unicast IPv4 address in network byte order; IPv6 is named as such. */
static int get_ipv4(const struct parser *p, const config_setting_t *g, uint32_t *out)
{
	const config_setting_t *s;
	const char *v;
	struct in6_addr a6;
	char where[256];

	if (get_str(p, g, "address", true, &s, &v))
		return -1;
	setting_path(s, where, sizeof(where));
	if (inet_pton(AF_INET, v, out) != 1) {
		if (inet_pton(AF_INET6, v, &a6) == 1)
			return fail(p, s, "'%s' is \"%s\": IPv6 is not yet supported", where, v);
		return fail(p, s, "'%s' is \"%s\": not an IPv4 address", where, v);
	}
	uint32_t h = ntohl(*out);
	if (h == 0 || h == UINT32_MAX || (h >> 28) == 0xe)
		return fail(p, s, "'%s' is \"%s\": not a unicast address", where, v);
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

/* The list member key of g (absent: *n = 0), its entries all groups. */
static int get_list(const struct parser *p, const config_setting_t *g, const char *key,
		    uint32_t max, const config_setting_t **list, uint32_t *n)
{
	char where[256];

	*n = 0;
	if (member(p, g, key, false, list))
		return -1;
	if (!*list)
		return 0;
	if (!config_setting_is_list(*list))
		return type_error(p, *list, "a list ( { ... }, ... )");
	*n = (uint32_t)config_setting_length(*list);
	if (*n > max) {
		setting_path(*list, where, sizeof(where));
		return fail(p, *list, "'%s' has %" PRIu32 " entries, at most %" PRIu32 " are supported",
			    where, *n, max);
	}
	for (uint32_t i = 0; i < *n; i++) {
		const config_setting_t *e = config_setting_get_elem(*list, i);

		if (!config_setting_is_group(e))
			return type_error(p, e, "a group { ... }");
	}
	return 0;
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
	char where[256];

	setting_path(e, where, sizeof(where));
	return fail(p, e, "'%s': %s as the entry at line %u", where, what,
		    config_setting_source_line(first));
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

	if (check_keys(p, e, keys) || get_ipv4(p, e, &bs[i].addr) ||
	    get_uint(p, e, "port", true, 1, UINT16_MAX, &port) ||
	    get_uint(p, e, "weight", true, 0, SLB_MAGLEV_MAX_WEIGHT, &weight) ||
	    get_uint(p, e, "priority", false, 0, UINT16_MAX, &priority))
		return -1;
	bs[i].port = (uint16_t)port;
	bs[i].weight = (uint16_t)weight;
	bs[i].priority = (uint16_t)priority;
	for (uint32_t j = 0; j < i; j++)
		if (bs[j].addr == bs[i].addr && bs[j].port == bs[i].port)
			return duplicate(p, list, i, j, "same address and port");
	return 0;
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

static int parse_pools(const struct parser *p, const config_setting_t *root)
{
	static const char *const keys[] = {"name", "seed", "backends", NULL};
	const config_setting_t *list;
	struct slb_config *c = p->c;
	uint32_t total = 0;

	if (get_list(p, root, "pools", SLB_MAX_POOLS, &list, &c->n_pools) ||
	    alloc_array(p, root, c->n_pools, sizeof(*c->pools), (void **)&c->pools))
		return -1;
	for (uint32_t i = 0; i < c->n_pools; i++) {
		const config_setting_t *e = config_setting_get_elem(list, i);
		struct slb_config_pool *pool = &c->pools[i];

		if (check_keys(p, e, keys) ||
		    get_name(p, e, "name", true, pool->name, sizeof(pool->name)) ||
		    get_seed(p, e, "seed", &pool->seed) ||
		    parse_backends(p, e, pool, &total))
			return -1;
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(c->pools[j].name, pool->name))
				return duplicate(p, list, i, j, "same name");
	}
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

static int parse_vip(const struct parser *p, const config_setting_t *list, uint32_t i)
{
	static const char *const keys[] = {"name", "address", "port", "mode", "pool",
					   "record_route", NULL};
	const config_setting_t *e = config_setting_get_elem(list, i);
	struct slb_config_vip *vips = p->c->vips;
	uint32_t port = 0;

	vips[i].record_route = true;
	if (check_keys(p, e, keys) ||
	    get_name(p, e, "name", true, vips[i].name, sizeof(vips[i].name)) ||
	    get_ipv4(p, e, &vips[i].addr) ||
	    get_uint(p, e, "port", true, 1, UINT16_MAX, &port) ||
	    vip_mode(p, e, &vips[i].mode) || vip_pool(p, e, &vips[i].pool) ||
	    get_bool(p, e, "record_route", &vips[i].record_route))
		return -1;
	vips[i].port = (uint16_t)port;
	for (uint32_t j = 0; j < i; j++) {
		if (!strcmp(vips[j].name, vips[i].name))
			return duplicate(p, list, i, j, "same name");
		if (vips[j].addr == vips[i].addr && vips[j].port == vips[i].port)
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

static int parse(const struct parser *p, const config_setting_t *root)
{
	static const char *const keys[] = {"bpffs", "branch_seed", "maglev", "dataplane",
					   "vips", "pools", NULL};

	return check_keys(p, root, keys) || parse_bpffs(p, root) ||
	       get_seed(p, root, "branch_seed", &p->c->branch_seed) ||
	       parse_maglev(p, root) || parse_dataplane(p, root) ||
	       parse_pools(p, root) || parse_vips(p, root) || check_capacity(p, root) ? -1 : 0;
}

/* @include "x" is relative to the including file, not to our cwd. */
static void set_include_dir(config_t *cf, const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return;
	slash[slash == dir] = 0; /* "/x.conf" is in "/" */
	config_set_include_dir(cf, dir);
}

static void read_error(const config_t *cf, const char *path, int saved_errno,
		       char *err, size_t errlen)
{
	if (config_error_type(cf) == CONFIG_ERR_FILE_IO)
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 saved_errno ? strerror(saved_errno) : config_error_text(cf));
	else
		snprintf(err, errlen, "%s:%d: %s",
			 config_error_file(cf) ? config_error_file(cf) : path,
			 config_error_line(cf), config_error_text(cf));
}

int slb_config_load(const char *path, struct slb_config *out, char *err, size_t errlen)
{
	struct parser p = {.path = path, .err = err, .errlen = errlen, .c = out};
	config_t cf;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	snprintf(out->bpffs, sizeof(out->bpffs), "%s", SLB_CONFIG_DEFAULT_BPFFS);
	out->table_size = SLB_MAGLEV_DEFAULT_SIZE;
	out->capacity = SLB_CONFIG_DEFAULT_CAPACITY;
	config_init(&cf);
	set_include_dir(&cf, path);
	errno = 0;
	if (!config_read_file(&cf, path))
		read_error(&cf, path, errno, err, errlen);
	else
		rc = parse(&p, config_root_setting(&cf));
	config_destroy(&cf);
	if (rc)
		slb_config_free(out);
	return rc;
}

void slb_config_free(struct slb_config *c)
{
	for (uint32_t i = 0; c->pools && i < c->n_pools; i++)
		free(c->pools[i].backends);
	free(c->pools);
	free(c->vips);
	free(c->ports);
	memset(c, 0, sizeof(*c));
}

uint32_t slb_config_n_backends(const struct slb_config *c)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < c->n_pools; i++)
		n += c->pools[i].n_backends;
	return n;
}
