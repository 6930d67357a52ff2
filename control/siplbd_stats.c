/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbd's counters (docs/siplbd.md): siplb-dp's per-lcore counters of the
 * stats map and the XDP program's per-CPU counters of xdp_stats, summed and
 * shown per VIP and backend of the active generation, as log lines or JSON.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/log.h"
#include "siplb/metrics.h"
#include "siplb/publish.h"
#include "siplb/rpc.h"
#include "siplb/rules_xdp.h"
#include "siplb/sip_scan.h"
#include "siplb/xdp.h"
#include "siplbd_common.h"
#include "siplbd_stats.h"

static const char *const xdp_verdict_names[] = {SLB_XDP_VERDICT_NAMES};

static const char *const xdp_pass_names[] = {SLB_XDP_PASS_NAMES};

static const char *const xdp_drop_names[] = {SLB_XDP_DROP_NAMES};

static const char *const xdp_steer_names[] = {"whole", "first_fragment", "later_fragment"};

static const char *const reply_codes[] = {SLB_REPLY_CODES};

/* struct slb_capture_stats, in its order (docs/capture.md). */
static const char *const capture_names[] = {"queued", "queue_full", "sent", "over_rate",
					    "send_errors", "pcap_written", "pcap_dropped"};

#define N_OF(a) (sizeof(a) / sizeof(*(a)))

_Static_assert(N_OF(xdp_verdict_names) == SLB_XDP_VERDICT_COUNT, "a name per XDP verdict");
_Static_assert(N_OF(xdp_pass_names) == SLB_XDP_PASS_COUNT, "a name per XDP pass reason");
_Static_assert(N_OF(xdp_drop_names) == SLB_XDP_DROP_COUNT, "a name per XDP drop reason");
_Static_assert(N_OF(xdp_steer_names) == SLB_XDP_STEER_COUNT, "a name per XDP steer kind");
_Static_assert(N_OF(capture_names) * sizeof(__u64) == sizeof(struct slb_capture_stats),
	       "a name per capture counter");
_Static_assert(SLB_SIP_REASON_COUNT <= sizeof(((struct slb_lcore_stats *)0)->sip_reasons) /
	       sizeof(uint64_t), "a counter per scanner reason");
/* Summing treats the counters as one array of u64. */
_Static_assert(sizeof(struct slb_lcore_stats) % sizeof(uint64_t) == 0, "u64 counters only");
_Static_assert(sizeof(struct slb_xdp_stats) % sizeof(uint64_t) == 0, "u64 counters only");

/* Rule i's record in VIP vr's published blob (include/siplb/rules.h: the
 * records follow the header), or NULL. */
static const struct slb_rule_rec *published_rule(const struct slb_maps *m,
						 const struct slb_state *s,
						 const struct slb_vip_rules *vr, uint32_t i)
{
	size_t at = (sizeof(struct slb_rules_blob) + 7) / 8 * 8 +
		    (size_t)i * sizeof(struct slb_rule_rec);

	if (at + sizeof(struct slb_rule_rec) > vr->blob_len ||
	    (uint64_t)vr->blob_off + vr->blob_len > m->control->rules_capacity)
		return NULL;
	return (const void *)(slb_rules_of(m, s->generation) + vr->blob_off + at);
}

/* siplb-dp's matches of the rule, and what XDP dropped for it when it is
 * offloaded (docs/rules.md, "In XDP"). */
uint64_t siplbd_stats_rule_hits(const struct slb_maps *m, const struct slb_state *s,
				uint32_t vip, uint32_t i)
{
	const struct slb_vip_rules *vr = &s->rules[vip % SLB_MAX_VIPS];
	const struct slb_rule_rec *rec;
	uint64_t n = 0;

	if (i >= vr->n_rules || (uint64_t)vr->counter_base + i >= m->control->rule_counters)
		return 0;
	for (unsigned l = 0; l < SLB_MAX_LCORES; l++)
		n += slb_rule_stats_of(m, l)[vr->counter_base + i];
	rec = published_rule(m, s, vr, i);
	if (rec && (s->vips[vip % SLB_MAX_VIPS].flags & SLB_VIP_XDP_RULES))
		n += slb_rules_xdp_rule_drops(m->xdp_fd[SLB_XDP_MAP_RULE_SRC],
					      m->xdp_fd[SLB_XDP_MAP_RULE_HITS],
					      (uint32_t)(s->generation & 1), vip % SLB_MAX_VIPS, i, rec);
	return n;
}

/* Everything one report shows. */
struct totals {
	uint64_t generation;
	const struct slb_state *s;
	struct slb_lcore_stats dp;
	struct slb_xdp_stats xdp;
	bool dsr_pool[SLB_MAX_POOLS];
};

typedef void emit_fn(const char *fmt, ...);

/* The dataplane's drop reasons by name (the metrics module names them). */
static void drop_names(const char **names)
{
	for (unsigned i = 0; i < SLB_DROP_COUNT; i++)
		names[i] = slb_drop_name(i);
}

/* Plain lines on stdout, for --stats: the same shape as the log lines. */
__attribute__((format(printf, 1, 2)))
static void outf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* The lines of SIGUSR1 and --stats-interval, in the log. */
__attribute__((format(printf, 1, 2)))
static void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	slb_vlog(SLB_LOG_INFO, fmt, ap);
	va_end(ap);
}

/* Every lcore's counters added up. They are all __u64, so one array (of
 * __u64, the members' own type: a uint64_t view breaks strict aliasing). */
void siplbd_stats_sum(const struct slb_maps *m, struct slb_lcore_stats *total)
{
	__u64 *t = (__u64 *)total;
	size_t n = sizeof(*total) / sizeof(__u64);

	memset(total, 0, sizeof(*total));
	for (int l = 0; l < SLB_MAX_LCORES; l++) {
		const __u64 *c = (const __u64 *)&m->stats[l];

		for (size_t i = 0; i < n; i++)
			t[i] += __atomic_load_n(&c[i], __ATOMIC_RELAXED);
	}
}

/* Every CPU's XDP counters added up: a per-CPU lookup gives one value per
 * possible CPU, each at an 8-byte stride (the size is a multiple of 8). */
int siplbd_stats_xdp(const struct slb_maps *m, struct slb_xdp_stats *total)
{
	int cpus = libbpf_num_possible_cpus();
	size_t n = sizeof(*total) / sizeof(__u64);
	__u64 *v = cpus > 0 ? calloc((size_t)cpus, sizeof(*total)) : NULL;
	__u64 *t = (__u64 *)total;
	uint32_t key = 0;

	memset(total, 0, sizeof(*total));
	if (!v || bpf_map_lookup_elem(m->xdp_fd[SLB_XDP_MAP_STATS], &key, v)) {
		slb_log(SLB_LOG_ERR, "map %s: %s", SLB_MAP_XDP_STATS,
			cpus < 0 ? strerror(-cpus) : strerror(errno));
		free(v);
		return -1;
	}
	for (int c = 0; c < cpus; c++)
		for (size_t i = 0; i < n; i++)
			t[i] += v[(size_t)c * n + i];
	free(v);
	return 0;
}

void siplbd_stats_add_dsr(struct slb_lcore_stats *t, const struct slb_xdp_stats *x)
{
	for (uint32_t i = 0; i < SLB_MAX_VIPS; i++) {
		t->vip_rx[i].msgs += x->dsr_vip[i].pkts;
		t->vip_rx[i].bytes += x->dsr_vip[i].bytes;
	}
	for (uint32_t i = 0; i < SLB_MAX_BACKENDS; i++) {
		t->backend_tx[i].msgs += x->backend[i].pkts;
		t->backend_tx[i].bytes += x->backend[i].bytes;
	}
}

void siplbd_stats_forwarded(const struct slb_maps *m, struct slb_lcore_stats *t)
{
	struct slb_xdp_stats *x = malloc(sizeof(*x));

	siplbd_stats_sum(m, t);
	if (x && !siplbd_stats_xdp(m, x))
		siplbd_stats_add_dsr(t, x);
	free(x);
}

static int sum_all(const struct slb_maps *m, struct totals *t)
{
	t->generation = slb_generation(m);
	t->s = slb_state_of(m, t->generation);
	memset(t->dsr_pool, 0, sizeof(t->dsr_pool));
	for (uint32_t i = 0; i < t->s->n_vips && i < SLB_MAX_VIPS; i++)
		if (t->s->vips[i].mode == SLB_MODE_DSR && t->s->vips[i].pool < SLB_MAX_POOLS)
			t->dsr_pool[t->s->vips[i].pool] = true;
	siplbd_stats_sum(m, &t->dp);
	return siplbd_stats_xdp(m, &t->xdp);
}

static bool backend_shown(const struct slb_state *s, uint32_t i)
{
	return i < SLB_MAX_BACKENDS && s->backends[i].state != SLB_BACKEND_UNUSED &&
	       s->backends[i].pool < SLB_MAX_POOLS;
}

static void append(char *buf, size_t len, const char *name, uint64_t v)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, " %s %" PRIu64, name, v);
}

/* "stats PREFIX name n name n ...": one line of named counters. */
static void emit_named(emit_fn *emit, const char *prefix, const char *const *names,
		       const __u64 *v, int n)
{
	char line[1024] = "";

	for (int i = 0; i < n; i++)
		append(line, sizeof(line), names[i], v[i]);
	emit("stats %s%s", prefix, line);
}

/* Drops, replies, scanner reasons and keep-alives: one line each. */
static void print_totals(emit_fn *emit, const struct slb_lcore_stats *t)
{
	const char *drops[SLB_DROP_COUNT];
	char line[1024] = "";

	emit("stats responses msgs %" PRIu64 " bytes %" PRIu64, t->responses.msgs,
	     t->responses.bytes);
	emit("stats in_dialog msgs %" PRIu64 " bytes %" PRIu64, t->in_dialog.msgs,
	     t->in_dialog.bytes);
	drop_names(drops);
	emit_named(emit, "drops", drops, t->drops, SLB_DROP_COUNT);
	emit_named(emit, "replies", reply_codes, t->replies, SLB_REPLY_COUNT);
	for (int i = SLB_SIP_OK + 1; i < SLB_SIP_REASON_COUNT; i++)
		append(line, sizeof(line), slb_sip_reason_name((enum slb_sip_reason)i),
		       t->sip_reasons[i]);
	emit("stats malformed%s", line);
	emit("stats keepalives %" PRIu64, t->keepalives);
	emit("stats ip reassembled %" PRIu64 " fragmented %" PRIu64, t->reassembled,
	     t->fragmented);
	emit_named(emit, "capture", capture_names, (const __u64 *)&t->capture, N_OF(capture_names));
}

/* The XDP program's verdicts and reasons, per VIP and per DSR backend. */
static void print_xdp(emit_fn *emit, const struct totals *t)
{
	const struct slb_state *s = t->s;
	char e[SLB_ADDR_TEXT_LEN];

	emit_named(emit, "xdp verdicts", xdp_verdict_names, t->xdp.verdict, SLB_XDP_VERDICT_COUNT);
	emit_named(emit, "xdp pass", xdp_pass_names, t->xdp.pass, SLB_XDP_PASS_COUNT);
	emit_named(emit, "xdp drop", xdp_drop_names, t->xdp.drop, SLB_XDP_DROP_COUNT);
	emit_named(emit, "xdp steer", xdp_steer_names, t->xdp.steer, SLB_XDP_STEER_COUNT);
	emit("stats xdp no_port_mac %" PRIu64, t->xdp.no_port_mac);
	for (uint32_t i = 0; i < s->n_vips && i < SLB_MAX_VIPS; i++) {
		const struct slb_vip *v = &s->vips[i];
		struct slb_addr a = SLB_STATE_ADDR(v);

		emit("stats xdp vip %.*s %s pkts %" PRIu64 " bytes %" PRIu64, SLB_NAME_LEN, v->name,
		     slb_addr_format(&a, SLB_ADDR_ENDPOINT, e, sizeof(e)), t->xdp.vip[i].pkts,
		     t->xdp.vip[i].bytes);
	}
	for (uint32_t i = 0; i < s->n_backends; i++) {
		const struct slb_backend *b = &s->backends[i];
		struct slb_addr a = SLB_STATE_ADDR(b);

		if (!backend_shown(s, i) || !t->dsr_pool[b->pool])
			continue;
		emit("stats xdp backend %u %s pool %.*s pkts %" PRIu64 " bytes %" PRIu64, i,
		     slb_addr_format(&a, SLB_ADDR_ENDPOINT, e, sizeof(e)), SLB_NAME_LEN,
		     s->pools[b->pool].name, t->xdp.backend[i].pkts, t->xdp.backend[i].bytes);
	}
}

/* Per VIP and per backend of the active generation, then the totals. */
static void print_stats(emit_fn *emit, const struct totals *t)
{
	const struct slb_state *s = t->s;
	char e[SLB_ADDR_TEXT_LEN];

	emit("stats generation %" PRIu64, t->generation);
	for (uint32_t i = 0; i < s->n_vips && i < SLB_MAX_VIPS; i++) {
		const struct slb_vip *v = &s->vips[i];
		struct slb_addr a = SLB_STATE_ADDR(v);

		emit("stats vip %.*s %s msgs %" PRIu64 " bytes %" PRIu64, SLB_NAME_LEN, v->name,
		     slb_addr_format(&a, SLB_ADDR_ENDPOINT, e, sizeof(e)),
		     t->dp.vip_rx[i].msgs, t->dp.vip_rx[i].bytes);
	}
	for (uint32_t i = 0; i < s->n_backends; i++) {
		const struct slb_backend *b = &s->backends[i];
		struct slb_addr a = SLB_STATE_ADDR(b);

		if (!backend_shown(s, i))
			continue;
		emit("stats backend %u %s pool %.*s %s effective_weight %u msgs %" PRIu64
		     " bytes %" PRIu64 " responses %" PRIu64 " finals %" PRIu64 " 503 %" PRIu64, i,
		     slb_addr_format(&a, SLB_ADDR_ENDPOINT, e, sizeof(e)), SLB_NAME_LEN,
		     s->pools[b->pool].name, slb_backend_shown_state(b), b->weight,
		     t->dp.backend_tx[i].msgs, t->dp.backend_tx[i].bytes,
		     t->dp.backend_rx[i].responses, t->dp.backend_rx[i].finals,
		     t->dp.backend_rx[i].r503);
	}
	print_totals(emit, &t->dp);
	print_xdp(emit, t);
}

/* ---- JSON ------------------------------------------------------------------- */

static void add_u64(json_object *o, const char *name, uint64_t v)
{
	json_object_object_add(o, name, json_object_new_uint64(v));
}

static void add_str(json_object *o, const char *name, const char *v, size_t max)
{
	json_object_object_add(o, name, json_object_new_string_len(v, (int)strnlen(v, max)));
}

static json_object *counter_json(const struct slb_msg_counter *c)
{
	json_object *o = json_object_new_object();

	add_u64(o, "msgs", c->msgs);
	add_u64(o, "bytes", c->bytes);
	return o;
}

static json_object *named_json(const char *const *names, const __u64 *v, int n)
{
	json_object *o = json_object_new_object();

	for (int i = 0; i < n; i++)
		add_u64(o, names[i], v[i]);
	return o;
}

/* {"name"?, "address", "port", UNIT, "bytes"}: a VIP (named) or a backend. */
static json_object *counted_json(const char *name, const struct slb_addr *addr,
				 const char *unit, uint64_t n, uint64_t bytes)
{
	json_object *o = json_object_new_object();
	char a[SLB_ADDR_TEXT_LEN];

	if (name)
		add_str(o, "name", name, SLB_NAME_LEN);
	add_str(o, "address", slb_addr_format(addr, SLB_ADDR_IP, a, sizeof(a)), sizeof(a));
	json_object_object_add(o, "port", json_object_new_int(addr->port));
	add_u64(o, unit, n);
	add_u64(o, "bytes", bytes);
	return o;
}

static json_object *vip_json(const struct slb_vip *v, const char *unit, uint64_t n,
			     uint64_t bytes)
{
	struct slb_addr a = SLB_STATE_ADDR(v);

	return counted_json(v->name, &a, unit, n, bytes);
}

/* A backend, with its id and pool after the counters. */
static json_object *backend_json(const struct slb_state *s, uint32_t i, const char *unit,
				 uint64_t n, uint64_t bytes)
{
	const struct slb_backend *b = &s->backends[i];
	struct slb_addr a = SLB_STATE_ADDR(b);
	json_object *o = counted_json(NULL, &a, unit, n, bytes);

	json_object_object_add(o, "id", json_object_new_int((int)i));
	add_str(o, "pool", s->pools[b->pool].name, SLB_NAME_LEN);
	return o;
}

static json_object *totals_json(const struct slb_lcore_stats *t, json_object *o)
{
	json_object *malformed = json_object_new_object();
	const char *drops[SLB_DROP_COUNT];

	drop_names(drops);
	json_object_object_add(o, "responses", counter_json(&t->responses));
	json_object_object_add(o, "in_dialog", counter_json(&t->in_dialog));
	json_object_object_add(o, "drops", named_json(drops, t->drops, SLB_DROP_COUNT));
	json_object_object_add(o, "replies", named_json(reply_codes, t->replies, SLB_REPLY_COUNT));
	for (int i = SLB_SIP_OK + 1; i < SLB_SIP_REASON_COUNT; i++)
		add_u64(malformed, slb_sip_reason_name((enum slb_sip_reason)i), t->sip_reasons[i]);
	json_object_object_add(o, "malformed", malformed);
	add_u64(o, "keepalives", t->keepalives);
	add_u64(o, "reassembled", t->reassembled);
	add_u64(o, "fragmented", t->fragmented);
	json_object_object_add(o, "capture", named_json(capture_names, (const __u64 *)&t->capture,
							 N_OF(capture_names)));
	return o;
}

static json_object *xdp_json(const struct totals *t)
{
	const struct slb_state *s = t->s;
	json_object *o = json_object_new_object(), *vips = json_object_new_array();
	json_object *backends = json_object_new_array();

	json_object_object_add(o, "verdicts", named_json(xdp_verdict_names, t->xdp.verdict,
							 SLB_XDP_VERDICT_COUNT));
	json_object_object_add(o, "pass", named_json(xdp_pass_names, t->xdp.pass,
						     SLB_XDP_PASS_COUNT));
	json_object_object_add(o, "drop", named_json(xdp_drop_names, t->xdp.drop,
						     SLB_XDP_DROP_COUNT));
	json_object_object_add(o, "steer", named_json(xdp_steer_names, t->xdp.steer,
						      SLB_XDP_STEER_COUNT));
	add_u64(o, "no_port_mac", t->xdp.no_port_mac);
	for (uint32_t i = 0; i < s->n_vips && i < SLB_MAX_VIPS; i++)
		json_object_array_add(vips, vip_json(&s->vips[i], "pkts", t->xdp.vip[i].pkts,
						     t->xdp.vip[i].bytes));
	for (uint32_t i = 0; i < s->n_backends; i++)
		if (backend_shown(s, i) && t->dsr_pool[s->backends[i].pool])
			json_object_array_add(backends, backend_json(s, i, "pkts",
								     t->xdp.backend[i].pkts,
								     t->xdp.backend[i].bytes));
	json_object_object_add(o, "vips", vips);
	json_object_object_add(o, "backends", backends);
	return o;
}

/* The same as print_stats, as one JSON object. */
static json_object *stats_json(const struct totals *t)
{
	const struct slb_state *s = t->s;
	json_object *o = json_object_new_object(), *vips = json_object_new_array();
	json_object *backends = json_object_new_array();

	add_u64(o, "generation", t->generation);
	for (uint32_t i = 0; i < s->n_vips && i < SLB_MAX_VIPS; i++)
		json_object_array_add(vips, vip_json(&s->vips[i], "msgs", t->dp.vip_rx[i].msgs,
						     t->dp.vip_rx[i].bytes));
	for (uint32_t i = 0; i < s->n_backends; i++) {
		const struct slb_backend *b = &s->backends[i];
		json_object *e;

		if (!backend_shown(s, i))
			continue;
		e = backend_json(s, i, "msgs", t->dp.backend_tx[i].msgs, t->dp.backend_tx[i].bytes);
		json_object_object_add(e, "state",
				       json_object_new_string(slb_backend_shown_state(b)));
		json_object_object_add(e, "effective_weight", json_object_new_int(b->weight));
		add_u64(e, "responses", t->dp.backend_rx[i].responses);
		add_u64(e, "finals", t->dp.backend_rx[i].finals);
		add_u64(e, "503", t->dp.backend_rx[i].r503);
		json_object_array_add(backends, e);
	}
	json_object_object_add(o, "vips", vips);
	json_object_object_add(o, "backends", backends);
	json_object_object_add(o, "xdp", xdp_json(t));
	return totals_json(&t->dp, o);
}

/* Every VIP's routing rules with their hits: [{vip, index, hits}]. */
static json_object *rules_json(const struct slb_maps *m, const struct slb_state *s)
{
	json_object *list = json_object_new_array();

	for (uint32_t v = 0; v < s->n_vips && v < SLB_MAX_VIPS; v++)
		for (uint32_t i = 0; i < s->rules[v].n_rules; i++) {
			json_object *o = json_object_new_object();

			add_str(o, "vip", s->vips[v].name, SLB_NAME_LEN);
			json_object_object_add(o, "index", json_object_new_int64(i));
			add_u64(o, "hits", siplbd_stats_rule_hits(m, s, v, i));
			json_object_array_add(list, o);
		}
	return list;
}

json_object *siplbd_stats_json(const struct slb_maps *m)
{
	struct totals *t = calloc(1, sizeof(*t));
	json_object *o = t && !sum_all(m, t) ? stats_json(t) : NULL;

	if (o)
		json_object_object_add(o, "rules", rules_json(m, t->s));

	free(t);
	return o;
}

int siplbd_stats_print(const struct slb_maps *m, bool json)
{
	struct totals *t;
	json_object *o;

	if (json) {
		o = siplbd_stats_json(m);
		if (!o)
			return 1;
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return 0;
	}
	t = calloc(1, sizeof(*t));
	if (!t || sum_all(m, t)) {
		free(t);
		return 1;
	}
	print_stats(outf, t);
	free(t);
	return 0;
}

void siplbd_stats_log(const struct slb_maps *m)
{
	struct totals *t = calloc(1, sizeof(*t));

	if (t && !sum_all(m, t))
		print_stats(log_info, t);
	free(t);
}
