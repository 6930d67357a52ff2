/* SPDX-License-Identifier: BSD-3-Clause */
/* Building and publishing a generation (see include/siplb/publish.h). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <errno.h>
#include <sodium.h>

#include "siplb/maglev.h"
#include "siplb/publish.h"
#include "siplb/rules_compile.h"
#include "siplb/rules_xdp.h"
#include "siplb/xdp.h"

#define NO_ID UINT32_MAX
/* How often a blocked publish looks at the readers again. */
#define WAIT_POLL_NS 100000

/* "192.0.2.21:5060" or "[2001:db8::21]:5060" (SLB_ADDR_ENDPOINT): a
 * backend's Maglev key. */
#define KEY_LEN SLB_ADDR_TEXT_LEN

struct build {
	const struct slb_config *cfg;
	const enum slb_backend_state *states; /* NULL: all UP */
	const struct slb_state *active, *older; /* generation g and g - 1 */
	struct slb_state *next;
	uint32_t *ids;     /* per backend of cfg, pools in order */
	uint32_t *tables;  /* the next slot's Maglev tables, built aside */
	uint32_t capacity;
	struct slb_rules_image rules; /* the next slot of the rules map, built aside */
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t used_backends(const struct slb_state *s)
{
	return s->n_backends < SLB_MAX_BACKENDS ? s->n_backends : SLB_MAX_BACKENDS;
}

static bool id_free(const struct slb_state *s, uint32_t id)
{
	return id >= used_backends(s) || s->backends[id].state == SLB_BACKEND_UNUSED;
}

/* cfg's pool index for each pool of the active state, by name; -1 if gone. */
static void map_pools(const struct build *b, int32_t *pool_of)
{
	for (uint32_t i = 0; i < SLB_MAX_POOLS; i++) {
		pool_of[i] = -1;
		if (i >= b->active->n_pools)
			continue;
		for (uint32_t p = 0; p < b->cfg->n_pools; p++)
			if (!strncmp(b->active->pools[i].name, b->cfg->pools[p].name, SLB_NAME_LEN))
				pool_of[i] = (int32_t)p;
	}
}

/* The id backend be of pool p has in the active state, or NO_ID. */
static uint32_t active_id(const struct build *b, const int32_t *pool_of, uint32_t p,
			  const struct slb_config_backend *be)
{
	for (uint32_t i = 0; i < used_backends(b->active); i++) {
		const struct slb_backend *x = &b->active->backends[i];

		if (x->state != SLB_BACKEND_UNUSED && x->pool < SLB_MAX_POOLS &&
		    pool_of[x->pool] == (int32_t)p && slb_backend_is(x, &be->a))
			return i;
	}
	return NO_ID;
}

/* The lowest id not taken and free in the active state (and the older one). */
static uint32_t new_id(const struct build *b, const bool *taken, bool in_older_too)
{
	for (uint32_t i = 0; i < SLB_MAX_BACKENDS; i++)
		if (!taken[i] && id_free(b->active, i) && (!in_older_too || id_free(b->older, i)))
			return i;
	return NO_ID;
}

static int assign_ids(struct build *b, char *err, size_t errlen)
{
	int32_t pool_of[SLB_MAX_POOLS];
	bool taken[SLB_MAX_BACKENDS] = {false};
	uint32_t k = 0;

	map_pools(b, pool_of);
	for (uint32_t p = 0; p < b->cfg->n_pools; p++)
		for (uint32_t j = 0; j < b->cfg->pools[p].n_backends; j++, k++) {
			b->ids[k] = active_id(b, pool_of, p, &b->cfg->pools[p].backends[j]);
			if (b->ids[k] != NO_ID)
				taken[b->ids[k]] = true;
		}
	for (k = 0; k < slb_config_n_backends(b->cfg); k++) {
		if (b->ids[k] != NO_ID)
			continue;
		b->ids[k] = new_id(b, taken, true);
		if (b->ids[k] == NO_ID)
			b->ids[k] = new_id(b, taken, false);
		if (b->ids[k] == NO_ID) {
			snprintf(err, errlen, "no free backend id (at most %d)", SLB_MAX_BACKENDS);
			return -1;
		}
		taken[b->ids[k]] = true;
	}
	return 0;
}

static enum slb_backend_state state_of(const struct build *b, uint32_t k,
				       const struct slb_config_backend *be)
{
	enum slb_backend_state s = b->states ? b->states[k] : SLB_BACKEND_UP;

	return s == SLB_BACKEND_UP && be->weight == 0 ? SLB_BACKEND_DRAINING : s;
}

/* The VIPs a pcap file is written for: pcap_vip's bit, or all; 0 while no
 * file is (or its VIP is gone). */
static uint64_t pcap_vips(const struct slb_config *cfg)
{
	const struct slb_config_capture *c = &cfg->capture;
	int v = slb_config_vip_index(cfg, c->pcap_vip);

	if (!c->pcap_name[0])
		return 0;
	if (!c->pcap_vip[0])
		return SLB_CAPTURE_ALL_VIPS;
	return v < 0 ? 0 : 1ULL << v;
}

/* SIP capture for siplb-dp: sample 0 while HEP is not enabled. */
static void fill_capture(const struct slb_config *cfg, struct slb_capture *out)
{
	const struct slb_config_capture *c = &cfg->capture;

	*out = (struct slb_capture){.sample = c->enabled ? c->sample : 0, .rate = c->rate,
				    .vips = c->vips, .agent_id = c->agent_id,
				    .family = c->collector.family, .port = htons(c->collector.port),
				    .pcap_vips = pcap_vips(cfg), .pcap_id = c->pcap_id,
				    .pcap_max_mb = c->pcap_max_mb};
	memcpy(out->addr, c->collector.v6, sizeof(out->addr));
	memcpy(out->password, c->password, sizeof(out->password));
	memcpy(out->pcap_name, c->pcap_name, sizeof(out->pcap_name));
}

/* The VIPs, and what the XDP program needs for all of them. */
static void fill_vips(const struct slb_config *cfg, struct slb_state *s)
{
	s->n_vips = cfg->n_vips;
	for (uint32_t i = 0; i < cfg->n_vips; i++) {
		const struct slb_config_vip *v = &cfg->vips[i];

		struct slb_vip *sv = &s->vips[i];

		*sv = (struct slb_vip){
			.mode = (uint8_t)v->mode, .pool = v->pool,
			.flags = v->record_route ? SLB_VIP_RECORD_ROUTE : 0,
			.rate_pps = v->rate, .rate_burst = v->burst,
		};
		slb_addr_to_state(&v->a, &sv->family, &sv->addr, sv->addr6, &sv->port);
		memcpy(sv->name, v->name, sizeof(sv->name));
		/* Only the proxy (IPv4) writes host into Via and Record-Route; an
		 * IPv6 address would not fit anyway. */
		if (v->a.family == AF_INET)
			slb_addr_format(&v->a, SLB_ADDR_IP, sv->host, sizeof(sv->host));
	}
	s->dsr = (struct slb_dsr){
		.src4 = cfg->dsr.src4.v4, .encap = (uint8_t)cfg->dsr.encap,
		.gue_port = htons(cfg->dsr.gue_port),
	};
	memcpy(s->dsr.src6, cfg->dsr.src6.v6, sizeof(s->dsr.src6));
	s->src_rate_pps = cfg->flood.source_rate;
	s->src_rate_burst = cfg->flood.source_burst;
	fill_capture(cfg, &s->capture);
}

/*
 * The branch MAC keys: the file's; without them the ones published last,
 * so that a restarted siplbd keeps verifying the responses to requests
 * sent before; failing that a random key (one instance: nothing to share).
 */
static void fill_branch_keys(const struct build *b, struct slb_state *s)
{
	const struct slb_branch_keys *last = &b->active->branch_keys;

	if (b->cfg->n_branch_keys) {
		s->branch_keys.n = b->cfg->n_branch_keys;
		memcpy(s->branch_keys.key, b->cfg->branch_keys, sizeof(s->branch_keys.key));
	} else if (last->n >= 1 && last->n <= SLB_BRANCH_KEYS) {
		s->branch_keys = *last;
	} else {
		s->branch_keys.n = 1;
		randombytes_buf(s->branch_keys.key[0], SLB_BRANCH_KEY_LEN);
	}
}

static void fill_state(struct build *b, uint64_t generation)
{
	const struct slb_config *cfg = b->cfg;
	struct slb_state *s = b->next;
	uint32_t k = 0;

	s->generation = generation;
	s->n_pools = cfg->n_pools;
	s->n_block4 = s->n_block6 = 0;
	for (uint32_t i = 0; i < cfg->flood.n_blocklist; i++)
		*(cfg->flood.blocklist[i].family == AF_INET ? &s->n_block4 : &s->n_block6) += 1;
	fill_vips(cfg, s);
	fill_branch_keys(b, s);
	for (uint32_t p = 0; p < cfg->n_pools; p++) {
		s->pools[p].seed = cfg->pools[p].seed;
		memcpy(s->pools[p].name, cfg->pools[p].name, sizeof(s->pools[p].name));
		for (uint32_t j = 0; j < cfg->pools[p].n_backends; j++, k++) {
			const struct slb_config_backend *be = &cfg->pools[p].backends[j];
			struct slb_backend *sb = &s->backends[b->ids[k]];

			*sb = (struct slb_backend){
				.weight = be->weight, .pool = p,
				.state = (uint8_t)state_of(b, k, be),
				.flags = be->standby ? SLB_BACKEND_F_STANDBY : 0,
			};
			slb_addr_to_state(&be->a, &sb->family, &sb->addr, sb->addr6, &sb->port);
			if (b->ids[k] >= s->n_backends)
				s->n_backends = b->ids[k] + 1;
		}
	}
}

/*
 * Pool p's table at *off in b->tables, from its backends (the first is
 * cfg's k0-th): only UP ones weigh. A pool where none does gets size 0.
 */
static int build_table(struct build *b, uint32_t p, uint32_t k0, uint32_t *off,
		       char *err, size_t errlen)
{
	const struct slb_config_pool *pool = &b->cfg->pools[p];
	struct slb_maglev_backend *mb = calloc(pool->n_backends + 1, sizeof(*mb));
	char (*keys)[KEY_LEN] = calloc(pool->n_backends + 1, KEY_LEN);
	struct slb_pool *sp = &b->next->pools[p];
	uint32_t weighted = 0;
	int rc = -1;

	if (!mb || !keys) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (uint32_t j = 0; j < pool->n_backends; j++) {
		const struct slb_config_backend *be = &pool->backends[j];
		const struct slb_backend *sb = &b->next->backends[b->ids[k0 + j]];
		slb_addr_format(&be->a, SLB_ADDR_ENDPOINT, keys[j], KEY_LEN);
		mb[j] = (struct slb_maglev_backend){
			.id = b->ids[k0 + j], .key = keys[j], .key_len = strlen(keys[j]),
			.weight = sb->state == SLB_BACKEND_UP ? sb->weight : 0,
		};
		weighted += mb[j].weight > 0;
	}
	sp->table_off = *off;
	sp->table_size = weighted ? b->cfg->table_size : 0;
	rc = weighted ? slb_maglev_build(mb, pool->n_backends, sp->table_size, pool->seed,
					 b->tables + *off, err, errlen) : 0;
	*off += sp->table_size;
out:
	free(keys);
	free(mb);
	return rc;
}

/* The next generation in b->next and b->tables; *used: table slots filled. */
static int build_next(struct build *b, uint64_t generation, uint32_t *used,
		      char *err, size_t errlen)
{
	uint32_t k = 0;

	if (assign_ids(b, err, errlen))
		return -1;
	fill_state(b, generation);
	*used = 0;
	for (uint32_t p = 0; p < b->cfg->n_pools; p++) {
		if (build_table(b, p, k, used, err, errlen))
			return -1;
		k += b->cfg->pools[p].n_backends;
	}
	return 0;
}

/* The first live reader (slb_reader_live: a fresh heartbeat, an owner not
 * known to be dead) still on an epoch below g, or -1. */
static int find_blocker(const struct slb_maps *m, uint64_t g, uint32_t *live, uint64_t *epoch)
{
	int blocker = -1;

	*live = 0;
	for (int r = 0; r < SLB_MAX_LCORES; r++) {
		const struct slb_reader *rd = &m->control->readers[r];
		uint64_t e, age;

		if (!slb_reader_live(m, (unsigned)r, &age))
			continue;
		(*live)++;
		e = __atomic_load_n(&rd->epoch, __ATOMIC_ACQUIRE);
		if (blocker < 0 && e < g) {
			blocker = r;
			*epoch = e;
		}
	}
	return blocker;
}

/*
 * Until no live reader announces an epoch below g, i.e. until nobody can
 * still be reading slot (g + 1) & 1, which held g - 1.
 */
static int wait_readers(const struct slb_maps *m, uint64_t g, uint64_t max_wait_ns,
			uint32_t *live, char *err, size_t errlen)
{
	const struct timespec poll = {0, WAIT_POLL_NS};
	uint64_t start = monotonic_ns(), epoch = 0;
	int blocker;

	/* XDP runs do not announce themselves: give them a grace after the flip */
	while (monotonic_ns() - m->control->flip_ns < SLB_XDP_GRACE_NS)
		nanosleep(&poll, NULL);
	while ((blocker = find_blocker(m, g, live, &epoch)) >= 0) {
		uint64_t waited = monotonic_ns() - start;

		if (waited >= max_wait_ns) {
			snprintf(err, errlen, "reader %d still uses generation %" PRIu64 " (active: %"
				 PRIu64 ") after %" PRIu64 " ms with a fresh heartbeat: nothing "
				 "published", blocker, epoch, g, waited / 1000000);
			return -1;
		}
		nanosleep(&poll, NULL);
	}
	return 0;
}

/* Key order for sorting and searching a trie's keys (any fixed order will
 * do). bsearch has no context argument, hence the size in a static: the
 * single writer publishes from one thread. */
static size_t sort_key_size;

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sort_key_size);
}

static bool key_in(const uint8_t *keys, uint32_t n, size_t size, const uint8_t *k)
{
	sort_key_size = size;
	return bsearch(k, keys, n, size, key_cmp) != NULL;
}

/* The trie's keys, sorted, into keys (room for SLB_XDP_BLOCK_ENTRIES). */
static int trie_keys(int fd, size_t size, uint8_t *keys, uint32_t *n)
{
	uint8_t *prev = NULL;

	*n = 0;
	while (*n < SLB_XDP_BLOCK_ENTRIES && !bpf_map_get_next_key(fd, prev, keys + *n * size)) {
		prev = keys + *n * size;
		(*n)++;
	}
	if (*n < SLB_XDP_BLOCK_ENTRIES && errno != ENOENT)
		return -1;
	sort_key_size = size;
	qsort(keys, *n, size, key_cmp);
	return 0;
}

/* cfg's prefixes of one family as LPM keys ({prefixlen, address}), sorted. */
static uint32_t wanted_keys(const struct slb_config *cfg, int family, size_t size,
			    uint8_t *keys)
{
	size_t alen = size - sizeof(uint32_t);
	uint32_t n = 0;

	for (uint32_t i = 0; i < cfg->flood.n_blocklist; i++) {
		const struct slb_config_prefix *pf = &cfg->flood.blocklist[i];
		uint32_t len = pf->len;
		uint8_t *k = keys + n * size;

		/* the config holds at most SLB_XDP_BLOCK_ENTRIES per family */
		if (pf->family != family || n == SLB_XDP_BLOCK_ENTRIES)
			continue;
		n++;
		memcpy(k, &len, sizeof(len));
		memcpy(k + sizeof(len), pf->addr, alen);
	}
	sort_key_size = size;
	qsort(keys, n, size, key_cmp);
	return n;
}

/*
 * The trie gets exactly the wanted prefixes: the new ones added first, then
 * the removed ones deleted. LPM tries are updated an entry at a time (there
 * is no batch or swap for them), so for a moment the XDP program may see
 * some of the change and not the rest; each entry is always whole, and a
 * blocklist that is right a few microseconds later is fine. Adding before
 * deleting errs on the side of blocking.
 */
static int sync_trie(int fd, int family, size_t size, const struct slb_config *cfg,
		     char *err, size_t errlen)
{
	uint8_t *want = calloc(SLB_XDP_BLOCK_ENTRIES, size), *have = calloc(SLB_XDP_BLOCK_ENTRIES, size);
	const uint8_t one = 1;
	uint32_t n_want, n_have;
	int rc = -1;

	if (!want || !have) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	n_want = wanted_keys(cfg, family, size, want);
	if (trie_keys(fd, size, have, &n_have))
		goto fail;
	for (uint32_t i = 0; i < n_want; i++)
		if (!key_in(have, n_have, size, want + i * size) &&
		    bpf_map_update_elem(fd, want + i * size, &one, BPF_ANY))
			goto fail;
	for (uint32_t i = 0; i < n_have; i++)
		if (!key_in(want, n_want, size, have + i * size) &&
		    bpf_map_delete_elem(fd, have + i * size) && errno != ENOENT)
			goto fail;
	rc = 0;
	goto out;
fail:
	snprintf(err, errlen, "blocklist map %s: %s", family == AF_INET ? SLB_MAP_BLOCK4 :
		 SLB_MAP_BLOCK6, strerror(errno));
out:
	free(want);
	free(have);
	return rc;
}

static bool same_vip(const struct slb_vip *a, const struct slb_vip *b)
{
	struct slb_addr x = SLB_STATE_ADDR(a), y = SLB_STATE_ADDR(b);

	return !slb_addr_cmp(&x, &y);
}

/* A VIP index that now names another VIP starts with a full burst. */
static int reset_vip_rates(const struct slb_maps *m, const struct build *b, char *err,
			   size_t errlen)
{
	const uint64_t zero = 0;

	for (uint32_t i = 0; i < b->next->n_vips; i++) {
		if (i < b->active->n_vips && same_vip(&b->active->vips[i], &b->next->vips[i]))
			continue;
		if (bpf_map_update_elem(m->xdp_fd[SLB_XDP_MAP_VIP_RATE], &i, &zero, BPF_ANY)) {
			snprintf(err, errlen, "map %s: %s", SLB_MAP_VIP_RATE, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The rules offloaded to XDP (rules_xdp.h): the next generation's slot of
 * rule_src, and the flag that has the program look there for a VIP. */
static int sync_xdp_rules(const struct slb_maps *m, const struct build *b, char *err,
			  size_t errlen)
{
	struct slb_rules_xdp_report rep;
	uint64_t changed[SLB_MAX_VIPS];

	for (uint32_t v = 0; v < SLB_MAX_VIPS; v++)
		changed[v] = b->next->rules[v].changed; /* counters restart with the list */
	if (slb_rules_xdp_sync(m->xdp_fd[SLB_XDP_MAP_RULE_SRC], m->xdp_fd[SLB_XDP_MAP_RULE_HITS],
			       b->cfg, changed, (uint32_t)(b->next->generation & 1), &rep, err,
			       errlen))
		return -1;
	for (uint32_t v = 0; v < b->next->n_vips; v++)
		if (rep.vips >> v & 1)
			b->next->vips[v].flags |= SLB_VIP_XDP_RULES;
	return 0;
}

static int sync_xdp_maps(const struct slb_maps *m, const struct build *b, char *err,
			 size_t errlen)
{
	return sync_trie(m->xdp_fd[SLB_XDP_MAP_BLOCK4], AF_INET, sizeof(struct slb_lpm4), b->cfg,
			 err, errlen) ||
	       sync_trie(m->xdp_fd[SLB_XDP_MAP_BLOCK6], AF_INET6, sizeof(struct slb_lpm6), b->cfg,
			 err, errlen) ||
	       reset_vip_rates(m, b, err, errlen) || sync_xdp_rules(m, b, err, errlen) ? -1 : 0;
}

/* The inactive slot, then the flip: readers see all of it or none. */
static void write_slot(struct slb_maps *m, const struct build *b, uint64_t next, uint32_t used)
{
	memcpy(&m->state[next & 1], b->next, sizeof(*b->next));
	memcpy(m->maglev + (size_t)(next & 1) * b->capacity, b->tables,
	       (size_t)used * sizeof(uint32_t));
	memcpy(m->rules + (size_t)(next & 1) * m->control->rules_capacity, b->rules.bytes,
	       b->rules.len);
	__atomic_store_n(&m->control->generation, next, __ATOMIC_RELEASE);
	m->control->flip_ns = monotonic_ns();
}

/* What state.h, the maps and the health array can hold, checked up front. */
static int check_fits(const struct slb_config *cfg, const enum slb_backend_state *states,
		      uint32_t capacity, char *err, size_t errlen)
{
	uint64_t need = (uint64_t)cfg->n_pools * cfg->table_size;

	if (cfg->n_vips > SLB_MAX_VIPS || cfg->n_pools > SLB_MAX_POOLS ||
	    slb_config_n_backends(cfg) > SLB_MAX_BACKENDS) {
		snprintf(err, errlen, "%u VIPs, %u pools, %u backends: more than state.h holds",
			 cfg->n_vips, cfg->n_pools, slb_config_n_backends(cfg));
		return -1;
	}
	if (need > capacity) {
		snprintf(err, errlen, "%u pools x table_size %u = %" PRIu64 " slots, the maps "
			 "hold %u per generation", cfg->n_pools, cfg->table_size, need, capacity);
		return -1;
	}
	for (uint32_t k = 0; states && k < slb_config_n_backends(cfg); k++)
		if (states[k] <= SLB_BACKEND_UNUSED || states[k] > SLB_BACKEND_DISABLED) {
			snprintf(err, errlen, "backend %u: bad health state %d", k, states[k]);
			return -1;
		}
	return 0;
}

/* The VIPs' rules compiled for the next slot (rules_compile.h): a rule
 * that does not compile, or rules that do not fit, publish nothing. */
static int build_rules(const struct slb_maps *m, struct build *b, char *err, size_t errlen)
{
	const struct slb_rules_image_in in = {
		.cfg = b->cfg, .active = b->active,
		.active_slot = slb_rules_of(m, b->active->generation),
		.capacity = m->control->rules_capacity, .counters = m->control->rule_counters,
	};

	return slb_rules_image_build(&in, b->next, &b->rules, err, errlen);
}

static int build_and_flip(struct slb_maps *m, struct build *b, uint64_t max_wait_ns,
			  struct slb_publish_report *rep, char *err, size_t errlen)
{
	uint64_t g = slb_generation(m);
	uint64_t t0 = monotonic_ns(), t1, t2;
	uint32_t used;

	b->active = &m->state[g & 1];
	b->older = &m->state[(g + 1) & 1];
	if (build_next(b, g + 1, &used, err, errlen) || build_rules(m, b, err, errlen))
		return -1;
	t1 = monotonic_ns();
	if (wait_readers(m, g, max_wait_ns, &rep->readers, err, errlen))
		return -1;
	t2 = monotonic_ns();
	if (sync_xdp_maps(m, b, err, errlen))
		return -1;
	write_slot(m, b, g + 1, used);
	rep->generation = g + 1;
	rep->wait_ns = t2 - t1;
	rep->build_ns = (t1 - t0) + (monotonic_ns() - t2);
	return 0;
}

int slb_publish(struct slb_maps *m, const struct slb_config *cfg,
		const enum slb_backend_state *states, uint64_t max_wait_ns,
		struct slb_publish_report *rep, char *err, size_t errlen)
{
	struct build b = {.cfg = cfg, .states = states, .capacity = m->control->table_capacity};
	/* + 1: calloc(0) may return NULL */
	size_t n_tables = (size_t)cfg->n_pools * cfg->table_size + 1;
	int rc = -1;

	if (check_fits(cfg, states, b.capacity, err, errlen))
		return -1;
	b.next = calloc(1, sizeof(*b.next));
	b.ids = calloc(slb_config_n_backends(cfg) + 1, sizeof(*b.ids));
	b.tables = calloc(n_tables, sizeof(*b.tables));
	if (!b.next || !b.ids || !b.tables)
		snprintf(err, errlen, "out of memory");
	else
		rc = build_and_flip(m, &b, max_wait_ns, rep, err, errlen);
	free(b.rules.bytes);
	free(b.tables);
	free(b.ids);
	free(b.next);
	return rc;
}
