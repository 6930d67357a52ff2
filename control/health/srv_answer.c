/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SRV answer: records and addresses of one round into the sorted list
 * of backends, its TTL, and the choice of the backends that take traffic.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "srv_int.h"

void slb_srv_fail(struct round *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

/* ---- TTLs (c-ares 1.18 parses SRV records without them) ----------------- */

static uint32_t be(const unsigned char *p, int bytes)
{
	uint32_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* The offset after the (possibly compressed) name at off, or -1. */
static int skip_name(const unsigned char *abuf, int alen, int off)
{
	while (off < alen) {
		unsigned len = abuf[off];

		if (len == 0)
			return off + 1;
		if ((len & 0xc0) == 0xc0)
			return off + 2 <= alen ? off + 2 : -1;
		if (len & 0xc0)
			return -1;
		off += 1 + (int)len;
	}
	return -1;
}

/* The smallest TTL of the answer records of type; UINT32_MAX if none. */
static uint32_t answer_ttl(const unsigned char *abuf, int alen, int type)
{
	uint32_t min = UINT32_MAX;
	int off = 12;

	if (alen < 12)
		return min;
	for (uint32_t q = be(abuf + 4, 2); q && off >= 0; q--) {
		off = skip_name(abuf, alen, off);
		off = off < 0 ? -1 : off + 4;
	}
	for (uint32_t a = be(abuf + 6, 2); a && off >= 0; a--) {
		off = skip_name(abuf, alen, off);
		if (off < 0 || off + 10 > alen)
			break;
		uint32_t ttl = be(abuf + off + 4, 4);
		/* RFC 2181 §8: a TTL with the top bit set is read as 0. */
		ttl = ttl > 0x7fffffffu ? 0 : ttl;
		if ((int)be(abuf + off, 2) == type && ttl < min)
			min = ttl;
		off += 10 + (int)be(abuf + off + 8, 2);
	}
	return min;
}

static void take_ttl(struct round *r, uint32_t ttl)
{
	if (ttl < r->ttl)
		r->ttl = ttl;
}

/* ---- records and addresses ---------------------------------------------- */

/* RFC 2782: a target of "." means "decidedly not available". */
static bool is_root(const char *host)
{
	return host[0] == '\0' || !strcmp(host, ".");
}

static int add_host(struct round *r, const char *srv_name, const char *name)
{
	for (uint32_t i = 0; i < r->n_hosts; i++)
		if (!strcasecmp(r->hosts[i].name, name))
			return 0;
	if (strlen(name) >= SLB_SRV_NAME_LEN) {
		slb_srv_fail(r, "SRV %s: target name too long", srv_name);
		return -1;
	}
	strcpy(r->hosts[r->n_hosts++].name, name);
	return 0;
}

int slb_srv_take_records(struct round *r, const char *name, const unsigned char *abuf, int alen)
{
	uint32_t n = 0;
	int rc = ares_parse_srv_reply(abuf, alen, &r->srv);

	if (rc != ARES_SUCCESS) {
		slb_srv_fail(r, "SRV %s: %s", name, ares_strerror(rc));
		return -1;
	}
	take_ttl(r, answer_ttl(abuf, alen, ns_t_srv));
	for (struct ares_srv_reply *p = r->srv; p; p = p->next)
		n++;
	r->hosts = calloc(n, sizeof(*r->hosts));
	if (!r->hosts) {
		slb_srv_fail(r, "out of memory");
		return -1;
	}
	for (struct ares_srv_reply *p = r->srv; p; p = p->next)
		if (!is_root(p->host) && add_host(r, name, p->host))
			return -1;
	return 0;
}

static void add_address(struct round *r, struct host *h, uint8_t family, const void *addr)
{
	if (h->n_addrs == HOST_ADDRS) {
		slb_srv_fail(r, "%s: more than %u addresses", h->name, HOST_ADDRS);
		return;
	}
	h->addrs[h->n_addrs] = (struct slb_addr){.family = family};
	memcpy(h->addrs[h->n_addrs].v6, addr, family == AF_INET ? 4 : 16);
	h->n_addrs++;
}

void slb_srv_add_addresses(struct round *r, const struct query *q,
			   const unsigned char *abuf, int alen)
{
	struct host *h = &r->hosts[q->host];
	struct ares_addrttl a4[HOST_ADDRS + 1];
	struct ares_addr6ttl a6[HOST_ADDRS + 1];
	int n = HOST_ADDRS + 1, rc;

	if (q->type == ns_t_a)
		rc = ares_parse_a_reply(abuf, alen, NULL, a4, &n);
	else
		rc = ares_parse_aaaa_reply(abuf, alen, NULL, a6, &n);
	if (rc == ARES_ENODATA)
		return;
	if (rc != ARES_SUCCESS) {
		slb_srv_fail(r, "%s %s: %s", q->type == ns_t_a ? "A" : "AAAA", h->name,
			     ares_strerror(rc));
		return;
	}
	for (int i = 0; i < n; i++) {
		add_address(r, h, q->type == ns_t_a ? AF_INET : AF_INET6,
			    q->type == ns_t_a ? (const void *)&a4[i].ipaddr : (const void *)&a6[i].ip6addr);
		take_ttl(r, (uint32_t)(q->type == ns_t_a ? a4[i].ttl : a6[i].ttl));
	}
}

/* ---- the answer ---------------------------------------------------------- */

struct rec {
	const struct ares_srv_reply *r;
	struct host *host;
};

static int cmp_rec(const void *pa, const void *pb)
{
	const struct ares_srv_reply *a = ((const struct rec *)pa)->r;
	const struct ares_srv_reply *b = ((const struct rec *)pb)->r;
	int c;

	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	c = strcasecmp(a->host, b->host);
	if (c)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	/* The same target and port twice: the heavier record keeps it. */
	return (int)b->weight - (int)a->weight;
}

static int cmp_addr(const void *a, const void *b)
{
	return slb_addr_cmp(a, b);
}

static bool has_backend(const struct slb_srv_result *out, const struct slb_addr *a)
{
	for (uint32_t i = 0; i < out->n; i++)
		if (!slb_addr_cmp(&out->targets[i].a, a))
			return true;
	return false;
}

/* One backend per address and port: the first (preferred) record keeps it. */
static void add_backends(struct slb_srv_result *out, const struct rec *rc, uint32_t record)
{
	struct host *h = rc->host;

	qsort(h->addrs, h->n_addrs, sizeof(h->addrs[0]), cmp_addr);
	for (uint32_t i = 0; i < h->n_addrs && out->n < SLB_SRV_MAX_TARGETS; i++) {
		struct slb_srv_target *t = &out->targets[out->n];
		struct slb_addr a = h->addrs[i];

		a.port = rc->r->port;
		if (has_backend(out, &a))
			continue;
		t->priority = rc->r->priority;
		t->weight = rc->r->weight;
		t->a = a;
		t->record = record;
		strcpy(t->name, h->name);
		out->n++;
	}
}

static struct host *host_of(struct round *r, const char *name)
{
	for (uint32_t i = 0; i < r->n_hosts; i++)
		if (!strcasecmp(r->hosts[i].name, name))
			return &r->hosts[i];
	return NULL;
}

/* The records with a target, sorted; their count in *n. */
static struct rec *sorted_records(struct round *r, uint32_t *n)
{
	struct rec *recs;
	uint32_t k = 0;

	for (const struct ares_srv_reply *p = r->srv; p; p = p->next)
		k++;
	recs = calloc(k ? k : 1, sizeof(*recs));
	if (!recs)
		return NULL;
	*n = 0;
	for (const struct ares_srv_reply *p = r->srv; p; p = p->next)
		if (!is_root(p->host))
			recs[(*n)++] = (struct rec){p, host_of(r, p->host)};
	qsort(recs, *n, sizeof(*recs), cmp_rec);
	return recs;
}

void slb_srv_build(struct round *r, const char *name, struct slb_srv_result *out)
{
	uint32_t n = 0;
	struct rec *recs = sorted_records(r, &n);

	out->ttl = r->ttl == UINT32_MAX ? 0 : r->ttl;
	out->targets = calloc(SLB_SRV_MAX_TARGETS, sizeof(*out->targets));
	if (!recs || !out->targets) {
		slb_srv_fail(r, "out of memory");
	} else {
		for (uint32_t k = 0; k < n; k++)
			add_backends(out, &recs[k], k);
		if (n && !out->n)
			slb_srv_fail(r, "SRV %s: no target has an address", name);
	}
	free(recs);
	if (r->failed) {
		free(out->targets);
		out->targets = NULL;
		out->n = 0;
	}
}

bool slb_srv_same(const struct slb_srv_result *a, const struct slb_srv_result *b)
{
	if (a->n != b->n)
		return false;
	for (uint32_t i = 0; i < a->n; i++) {
		const struct slb_srv_target *x = &a->targets[i], *y = &b->targets[i];

		if (x->priority != y->priority || x->weight != y->weight ||
		    slb_addr_cmp(&x->a, &y->a) || x->record != y->record || strcmp(x->name, y->name))
			return false;
	}
	return true;
}

/* ---- which backends take traffic ----------------------------------------- */

/* Whether an address before i of the same record is live: then i waits. */
static bool earlier_live(const struct slb_srv_target *t, const bool *live, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (live[j] && t[j].record == t[i].record && t[j].priority == t[i].priority)
			return true;
	return false;
}

int32_t slb_srv_select(const struct slb_srv_target *t, size_t n, const bool *live,
		       uint16_t *weight)
{
	int32_t best = -1;
	bool weighted = false;

	for (size_t i = 0; i < n; i++)
		if (live[i] && (best < 0 || t[i].priority < best))
			best = t[i].priority;
	for (size_t i = 0; i < n; i++)
		weighted |= live[i] && t[i].priority == best && t[i].weight > 0;
	for (size_t i = 0; i < n; i++) {
		weight[i] = 0;
		if (!live[i] || t[i].priority != best || earlier_live(t, live, i))
			continue;
		if (weighted)
			weight[i] = t[i].weight;
		else
			weight[i] = 1;
	}
	return best;
}
