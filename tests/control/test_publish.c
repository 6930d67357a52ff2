/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Publishing, seen by a reader: on its own bpffs (mounted on a fresh
 * directory under /run, unmounted and removed at the end whatever happens:
 * the tests run in a child process), it publishes good-full.conf and
 * variants, opens the maps as siplb-dp does and checks VIPs, pools,
 * backends, ids, Maglev tables (equal to slb_maglev_build's for the same
 * inputs), the generation flip, the id rule, the quiescence wait with live,
 * stale and departed readers, and siplbd restarts and --stats --json; the
 * XDP maps pinned beside them, the blocklist tries and the state fields of
 * the XDP program (families, IPv6 addresses, DSR, rates). The test process
 * has a network namespace of its own, so the siplbd it runs finds no route
 * to any DSR backend and asks the network for nothing.
 * Needs root (mount, BPF maps): exits 77 (skipped) without it.
 */
#define _GNU_SOURCE /* unshare */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sched.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "siplb/config.h"
#include "siplb/maglev.h"
#include "siplb/publish.h"
#include "siplb/rules.h"
#include "siplb/rules_xdp.h"
#include "siplb/sip_scan.h"
#include "siplb/state_maps.h"
#include "siplb/xdp.h"

#define SEC 1000000000ULL

static const char *siplbd, *configs;

/* In the child: the first failure ends it; the parent cleans up. */
#define CHECK_FAILED exit(1)
#include "check.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

/* Map sizes with capacity Maglev slots and the configuration's default
 * rule_maps, as siplbd makes them (test_restart runs it on the same maps). */
#define sizes(capacity)                                                                \
	((struct slb_map_sizes){(capacity), SLB_CONFIG_DEFAULT_RULES_CAPACITY,         \
				SLB_CONFIG_DEFAULT_RULE_COUNTERS})

static void load(struct slb_config *c)
{
	char path[PATH_MAX], err[1024];

	snprintf(path, sizeof(path), "%s/good-full.conf", configs);
	CHECK(!slb_config_load(path, c, err, sizeof(err)), "%s", err);
}

static void cfg_remove(struct slb_config *c, uint32_t p, uint32_t j)
{
	struct slb_config_pool *pool = &c->pools[p];

	memmove(&pool->backends[j], &pool->backends[j + 1],
		(pool->n_backends - j - 1) * sizeof(*pool->backends));
	pool->n_backends--;
}

static void cfg_add(struct slb_config *c, uint32_t p, const char *addr, uint16_t port,
		    uint16_t weight)
{
	struct slb_config_pool *pool = &c->pools[p];

	pool->backends = realloc(pool->backends, (pool->n_backends + 1) * sizeof(*pool->backends));
	CHECK(pool->backends, "out of memory");
	pool->backends[pool->n_backends++] = (struct slb_config_backend){
		.a = {.family = AF_INET, .port = port}, .weight = weight,
	};
	pool->backends[pool->n_backends - 1].a.v4 = ip(addr);
}

static uint64_t publish(struct slb_maps *m, const struct slb_config *c,
			const enum slb_backend_state *states, struct slb_publish_report *rep)
{
	struct slb_publish_report local;
	char err[512];

	rep = rep ? rep : &local;
	CHECK(!slb_publish(m, c, states, 5 * SEC, rep, err, sizeof(err)), "%s", err);
	return rep->generation;
}

/* cfg's backends' states as publish derives them. */
static enum slb_backend_state state_of(const struct slb_config_backend *be,
				       const enum slb_backend_state *states, uint32_t k)
{
	enum slb_backend_state s = states ? states[k] : SLB_BACKEND_UP;

	return s == SLB_BACKEND_UP && !be->weight ? SLB_BACKEND_DRAINING : s;
}

/* Pool p's table in generation g is slb_maglev_build's for the same inputs. */
static void check_table(const struct slb_maps *r, uint64_t g, const struct slb_config *c,
			uint32_t p, const uint32_t *ids, const enum slb_backend_state *states,
			uint32_t k0)
{
	const struct slb_config_pool *pool = &c->pools[p];
	const struct slb_pool *sp = &slb_state_of(r, g)->pools[p];
	struct slb_maglev_backend mb[16];
	char keys[16][64], err[256];
	uint32_t weighted = 0, *want = calloc(c->table_size, sizeof(*want));

	CHECK(want && pool->n_backends <= 16, "test sizes");
	for (uint32_t j = 0; j < pool->n_backends; j++) {
		const struct slb_config_backend *be = &pool->backends[j];
		char a[INET6_ADDRSTRLEN];

		if (be->a.family == AF_INET6)
			snprintf(keys[j], sizeof(keys[j]), "[%s]:%u",
				 inet_ntop(AF_INET6, be->a.v6, a, sizeof(a)), be->a.port);
		else
			snprintf(keys[j], sizeof(keys[j]), "%s:%u",
				 inet_ntop(AF_INET, &be->a.v4, a, sizeof(a)), be->a.port);
		mb[j] = (struct slb_maglev_backend){
			.id = ids[k0 + j], .key = keys[j], .key_len = strlen(keys[j]),
			.weight = state_of(be, states, k0 + j) == SLB_BACKEND_UP ? be->weight : 0,
		};
		weighted += mb[j].weight > 0;
	}
	CHECK(sp->table_size == (weighted ? c->table_size : 0), "pool %u: table_size %u", p,
	      sp->table_size);
	if (weighted) {
		CHECK(!slb_maglev_build(mb, pool->n_backends, c->table_size, pool->seed, want,
					err, sizeof(err)), "%s", err);
		CHECK(!memcmp(slb_tables_of(r, g) + sp->table_off, want,
			      c->table_size * sizeof(*want)), "pool %u: table differs", p);
	}
	free(want);
}

static void check_vips(const struct slb_state *s, const struct slb_config *c)
{
	CHECK(s->n_vips == c->n_vips, "%u VIPs", s->n_vips);
	for (uint32_t i = 0; i < c->n_vips; i++) {
		const struct slb_vip *v = &s->vips[i];
		const struct slb_addr *a = &c->vips[i].a;
		bool v6 = a->family == AF_INET6;

		/* IPv4 in addr (addr6 zero), IPv6 in addr6 (addr 0) */
		CHECK(v->family == a->family && v->addr == (v6 ? 0 : a->v4) &&
		      !memcmp(v->addr6, v6 ? a->v6 : (const uint8_t[16]){0}, 16) &&
		      v->port == htons(a->port) &&
		      v->rate_pps == c->vips[i].rate && v->rate_burst == c->vips[i].burst &&
		      v->mode == c->vips[i].mode && v->pool == c->vips[i].pool &&
		      v->flags == (c->vips[i].record_route ? SLB_VIP_RECORD_ROUTE : 0) &&
		      !strcmp(v->name, c->vips[i].name), "VIP %u", i);
	}
}

/*
 * Generation g as a reader sees it: in slot g & 1, c's VIPs and pools,
 * backend k of c at ids[k] (and no other backend), its tables.
 */
static void check_state(const struct slb_maps *r, uint64_t g, const struct slb_config *c,
			const uint32_t *ids, const enum slb_backend_state *states)
{
	const struct slb_state *s = slb_state_of(r, g);
	uint32_t k = 0, off = 0, used = 0;

	CHECK(slb_generation(r) == g, "generation");
	CHECK(s == &r->state[g & 1] && s->generation == g, "slot %u holds %llu", (unsigned)(g & 1),
	      (unsigned long long)s->generation);
	check_vips(s, c);
	CHECK(s->n_pools == c->n_pools, "%u pools", s->n_pools);
	for (uint32_t p = 0; p < c->n_pools; p++) {
		CHECK(!strcmp(s->pools[p].name, c->pools[p].name) && s->pools[p].seed == c->pools[p].seed &&
		      s->pools[p].table_off == off, "pool %u", p);
		for (uint32_t j = 0; j < c->pools[p].n_backends; j++) {
			const struct slb_config_backend *be = &c->pools[p].backends[j];
			const struct slb_backend *b = &s->backends[ids[k + j]];

			CHECK(ids[k + j] < s->n_backends && slb_backend_is(b, &be->a) &&
			      b->weight == be->weight && b->pool == p &&
			      b->state == state_of(be, states, k + j) &&
			      b->flags == (be->standby ? SLB_BACKEND_F_STANDBY : 0),
			      "pool %u backend %u: not at id %u", p, j, ids[k + j]);
		}
		check_table(r, g, c, p, ids, states, k);
		off += s->pools[p].table_size;
		k += c->pools[p].n_backends;
	}
	for (uint32_t i = 0; i < s->n_backends; i++)
		used += s->backends[i].state != SLB_BACKEND_UNUSED;
	CHECK(used == k, "%u backends in use, %u configured", used, k);
}

/* Backend ids over six generations: kept, freed, not reused at once, reused. */
static void test_ids(const char *dir, struct slb_maps *w)
{
	enum slb_backend_state some[] = {SLB_BACKEND_UP, SLB_BACKEND_DOWN, SLB_BACKEND_PROBING,
					 SLB_BACKEND_UP, SLB_BACKEND_UP, SLB_BACKEND_UP};
	enum slb_backend_state none[] = {SLB_BACKEND_DOWN, SLB_BACKEND_DOWN, SLB_BACKEND_DISABLED,
					 SLB_BACKEND_DRAINING, SLB_BACKEND_UP, SLB_BACKEND_UP};
	struct slb_config c;
	struct slb_maps r;
	char err[512];

	load(&c);
	CHECK(!slb_maps_create(dir, &sizes(c.capacity), w, err, sizeof(err)), "%s", err);
	CHECK(w->control->generation == 0 && w->control->table_capacity == 1000, "fresh maps");
	CHECK(!slb_maps_open(dir, &r, err, sizeof(err)), "%s", err);
	slb_reader_heartbeat(&r, 0);
	CHECK(slb_reader_enter(&r, 0) == 0 && r.state[0].n_vips == 0, "generation 0 is empty");

	CHECK(publish(w, &c, NULL, NULL) == 1 && slb_reader_enter(&r, 0) == 1, "published 1");
	check_state(&r, 1, &c, (uint32_t[]){0, 1, 2, 3, 4}, NULL);
	cfg_remove(&c, 0, 1); /* 192.0.2.22 goes: the others keep their ids */
	CHECK(publish(w, &c, NULL, NULL) == 2 && slb_reader_enter(&r, 0) == 2, "published 2");
	check_state(&r, 2, &c, (uint32_t[]){0, 2, 3, 4}, NULL);
	CHECK(r.state[0].backends[1].state == SLB_BACKEND_UNUSED, "id 1 freed");
	slb_config_free(&c);
	load(&c); /* back: id 1 was in use a generation ago, so a new one */
	CHECK(publish(w, &c, NULL, NULL) == 3 && slb_reader_enter(&r, 0) == 3, "published 3");
	check_state(&r, 3, &c, (uint32_t[]){0, 5, 2, 3, 4}, NULL);
	cfg_add(&c, 0, "192.0.2.24", 5060, 10); /* now id 1 is free in both slots */
	CHECK(publish(w, &c, NULL, NULL) == 4 && slb_reader_enter(&r, 0) == 4, "published 4");
	check_state(&r, 4, &c, (uint32_t[]){0, 5, 2, 1, 3, 4}, NULL);

	CHECK(publish(w, &c, some, NULL) == 5 && slb_reader_enter(&r, 0) == 5, "published 5");
	check_state(&r, 5, &c, (uint32_t[]){0, 5, 2, 1, 3, 4}, some);
	CHECK(publish(w, &c, none, NULL) == 6 && slb_reader_enter(&r, 0) == 6, "published 6");
	check_state(&r, 6, &c, (uint32_t[]){0, 5, 2, 1, 3, 4}, none);
	CHECK(r.state[0].pools[0].table_size == 0, "no core backend up: 503");
	slb_reader_leave(&r, 0);
	slb_maps_close(&r);
	slb_config_free(&c);
}

struct job {
	struct slb_maps *m;
	const struct slb_config *c;
	struct slb_publish_report rep;
	int rc, done;
	char err[512];
};

static void *publish_job(void *arg)
{
	struct job *j = arg;

	j->rc = slb_publish(j->m, j->c, NULL, 5 * SEC, &j->rep, j->err, sizeof(j->err));
	__atomic_store_n(&j->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* A reader on generation g blocks publishing g + 2 until it moves on. */
static void test_blocked(struct slb_maps *w, struct slb_maps *r, const struct slb_config *c)
{
	struct job j = {.m = w, .c = c};
	struct slb_publish_report rep;
	pthread_t t;
	uint64_t g;

	slb_reader_heartbeat(r, 3);
	g = slb_reader_enter(r, 3);
	CHECK(publish(w, c, NULL, &rep) == g + 1 && rep.readers == 1 && rep.wait_ns < SEC / 2,
	      "a reader on the active generation does not block");
	CHECK(!pthread_create(&t, NULL, publish_job, &j), "pthread_create");
	usleep(300000);
	slb_reader_heartbeat(r, 3);
	CHECK(!__atomic_load_n(&j.done, __ATOMIC_SEQ_CST) &&
	      slb_generation(w) == g + 1,
	      "published while a reader was on generation %llu", (unsigned long long)g);
	CHECK(slb_reader_enter(r, 3) == g + 1, "reader moves on");
	pthread_join(t, NULL);
	CHECK(!j.rc && j.rep.generation == g + 2 && j.rep.wait_ns >= 250000000ULL,
	      "rc %d generation %llu waited %llu ns: %s", j.rc,
	      (unsigned long long)j.rep.generation, (unsigned long long)j.rep.wait_ns, j.err);
}

/*
 * A slot's owner (state.h): one known dead (kill -9 of siplb-dp) is not
 * waited for however fresh its heartbeat; a live one, or one in another PID
 * namespace, is judged by the heartbeat. Reader 3 is on an old epoch.
 */
static void test_owner(struct slb_maps *w, struct slb_maps *r, const struct slb_config *c)
{
	struct slb_reader *rd = &r->control->readers[3];
	uint64_t g = w->control->generation, age;
	struct slb_publish_report rep;
	pid_t dead = fork();

	if (dead == 0)
		_exit(0);
	CHECK(dead > 0 && waitpid(dead, NULL, 0) == dead, "fork: %s", strerror(errno));
	slb_reader_claim(r, 3);
	CHECK(rd->pid == (uint32_t)getpid() && rd->pidns && !slb_reader_live(r, 3, &age),
	      "our own pid in a slot is a predecessor's");
	rd->pid = (uint32_t)getppid();
	CHECK(slb_reader_live(r, 3, &age) && age < SEC, "a live owner with a fresh heartbeat");
	rd->pid = (uint32_t)dead;
	CHECK(!slb_reader_live(r, 3, &age), "a dead owner with a fresh heartbeat");
	CHECK(publish(w, c, NULL, &rep) == g + 1 && rep.readers == 0 && rep.wait_ns < SEC / 10,
	      "a dead owner's slot blocked for %llu ns", (unsigned long long)rep.wait_ns);
	rd->pidns++;
	CHECK(slb_reader_live(r, 3, &age), "an owner in another PID namespace: its heartbeat");
	slb_reader_leave(r, 3);
}

/* Stale, fresh-but-stuck and departed readers. */
static void test_quiescence(const char *dir, struct slb_maps *w)
{
	struct slb_publish_report rep;
	struct slb_config c;
	struct slb_maps r;
	char err[512];
	uint64_t g;

	load(&c);
	CHECK(!slb_maps_open(dir, &r, err, sizeof(err)), "%s", err);
	test_blocked(w, &r, &c);
	g = w->control->generation;
	/* reader 3 is still on g - 1, but its heartbeat is 2 s old: it is gone */
	r.control->readers[3].heartbeat_ns = now_ns() - 2 * SEC;
	CHECK(publish(w, &c, NULL, &rep) == g + 1 && rep.readers == 0 && rep.wait_ns < SEC / 10,
	      "a stale reader blocked for %llu ns", (unsigned long long)rep.wait_ns);
	slb_reader_heartbeat(&r, 3); /* fresh again, still on g - 1: stuck */
	CHECK(slb_publish(w, &c, NULL, SEC / 20, &rep, err, sizeof(err)) &&
	      strstr(err, "reader 3 still uses generation") &&
	      w->control->generation == g + 1, "a stuck reader: %s", err);
	slb_reader_leave(&r, 3);
	CHECK(publish(w, &c, NULL, &rep) == g + 2 && rep.readers == 0, "a reader that left");
	test_owner(w, &r, &c);
	slb_maps_close(&r);
	slb_config_free(&c);
}

/* Runs siplbd with the given arguments; its exit status. */
__attribute__((format(printf, 1, 2)))
static int run_siplbd(const char *fmt, ...)
{
	char args[1024], cmd[2048];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s", siplbd, args);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* siplbd --once as a reader sees it: generation and ids. */
static void check_once(const char *dir, uint64_t g, const uint32_t *ids)
{
	struct slb_config c;
	struct slb_maps r;
	char err[512];

	CHECK(run_siplbd("--config %s/good-full.conf --bpffs %s --once", configs, dir) == 0,
	      "siplbd --once");
	load(&c);
	/* 192.0.2.22 has priority 1: siplbd gives it no weight (draining,
	 * flagged standby) while a backend of priority 0 is up (docs/siplbd.md,
	 * "Backend states"); edge's weight 0 backend is draining, no standby. */
	CHECK(c.pools[0].backends[1].priority == 1, "good-full.conf: priority 1 second");
	c.pools[0].backends[1].weight = 0;
	c.pools[0].backends[1].standby = true;
	CHECK(!slb_maps_open(dir, &r, err, sizeof(err)), "%s", err);
	check_state(&r, g, &c, ids, NULL);
	slb_maps_close(&r);
	slb_config_free(&c);
}

/*
 * A new siplbd reads the ids back from the maps: in dir, 192.0.2.22 has id
 * 5 (see test_ids), which no fresh numbering would give it.
 */
static void test_restart(const char *dir, const char *fresh, uint64_t g)
{
	check_once(dir, g + 1, (uint32_t[]){0, 5, 2, 3, 4});
	check_once(dir, g + 2, (uint32_t[]){0, 5, 2, 3, 4});
	check_once(fresh, 1, (uint32_t[]){0, 1, 2, 3, 4});
	check_once(fresh, 2, (uint32_t[]){0, 1, 2, 3, 4});
}

/* Output of a command, whole. */
static char *capture(const char *fmt, const char *dir)
{
	char cmd[1024];
	static char out[65536];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), fmt, siplbd, dir);
	p = popen(cmd, "r");
	CHECK(p, "popen %s", cmd);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	CHECK(pclose(p) == 0, "%s failed", cmd);
	return out;
}

static uint64_t json_u64(json_object *o, const char *path)
{
	char key[64];
	const char *dot = strchr(path, '.');
	json_object *v;

	snprintf(key, sizeof(key), "%.*s", dot ? (int)(dot - path) : (int)strlen(path), path);
	CHECK(json_object_object_get_ex(o, key, &v), "no %s", path);
	return dot ? json_u64(v, dot + 1) : json_object_get_uint64(v);
}

static void fill_counters(struct slb_lcore_stats *s, uint64_t n)
{
	s->vip_rx[0] = (struct slb_msg_counter){n, 100 * n};
	s->backend_tx[5] = (struct slb_msg_counter){2 * n, 200 * n};
	s->backend_rx[5] = (struct slb_backend_rx){5 * n, 4 * n, n};
	s->responses = (struct slb_msg_counter){3 * n, 300 * n};
	s->drops[SLB_DROP_MALFORMED] = n;
	s->sip_reasons[SLB_SIP_ERR_NO_CALL_ID] = n;
	s->replies[SLB_REPLY_503] = 4 * n;
}

/* XDP counters on the first and the last CPU, as the program would count. */
static void fill_xdp_counters(const struct slb_maps *w)
{
	int cpus = libbpf_num_possible_cpus();
	struct slb_xdp_stats *v = calloc((size_t)cpus, sizeof(*v));
	uint32_t key = 0;

	CHECK(cpus > 0 && v, "per-CPU values");
	for (int c = 0; c < cpus; c += cpus > 1 ? cpus - 1 : 1) {
		uint64_t n = c ? 10 : 1;

		v[c].verdict[SLB_XDP_PASS] = n;
		v[c].pass[SLB_XDP_PASS_NOT_UDP] = 2 * n;
		v[c].drop[SLB_XDP_DROP_BLOCKED] = 3 * n;
		v[c].vip[1] = (struct slb_xdp_counter){4 * n, 400 * n};
		v[c].backend[3] = (struct slb_xdp_counter){5 * n, 500 * n};
	}
	CHECK(!bpf_map_update_elem(w->xdp_fd[SLB_XDP_MAP_STATS], &key, v, BPF_ANY), "xdp_stats: %s",
	      strerror(errno));
	free(v);
}

/* What --stats shows of the XDP counters (1 + 10 when there is more than one CPU). */
static void check_xdp_stats(const char *text, json_object *o)
{
	uint64_t n = libbpf_num_possible_cpus() > 1 ? 11 : 1;
	json_object *x = json_object_object_get(o, "xdp"), *be;
	char want[256];

	snprintf(want, sizeof(want), "stats xdp verdicts steer 0 dsr 0 pass %llu drop 0\n",
		 (unsigned long long)n);
	CHECK(strstr(text, want), "%s", text);
	snprintf(want, sizeof(want), "stats xdp vip edge-dsr 192.0.2.101:5080 pkts %llu bytes %llu\n",
		 (unsigned long long)(4 * n), (unsigned long long)(400 * n));
	CHECK(strstr(text, want) && strstr(text, "stats xdp drop blocked ") &&
	      strstr(text, "stats xdp backend 3 198.51.100.10:5060 pool edge pkts ") &&
	      !strstr(text, "stats xdp backend 0 "), "%s", text);
	be = json_object_array_get_idx(json_object_object_get(x, "backends"), 0);
	CHECK(x && json_u64(x, "verdicts.pass") == n && json_u64(x, "pass.not_udp") == 2 * n &&
	      json_u64(x, "drop.blocked") == 3 * n &&
	      json_u64(json_object_array_get_idx(json_object_object_get(x, "vips"), 1), "pkts") ==
	      4 * n && json_u64(be, "id") == 3 && json_u64(be, "bytes") == 500 * n,
	      "%s", json_object_to_json_string(x));
}

/* Counters of two lcores, summed by siplbd --stats (text and JSON). */
static void test_stats(const char *dir, struct slb_maps *w)
{
	json_object *o, *backends, *be5 = NULL;
	char *text;

	fill_counters(&w->stats[0], 1);
	fill_counters(&w->stats[SLB_MAX_LCORES - 1], 10);
	fill_xdp_counters(w);
	text = strdup(capture("%s --bpffs %s --stats", dir));
	/* 192.0.2.22, priority 1, is a stand-by: standby (check_once) */
	CHECK(strstr(text, "stats vip sip 192.0.2.100:5060 msgs 11 bytes 1100\n") &&
	      strstr(text, "stats backend 5 192.0.2.22:5060 pool core standby effective_weight 0 "
			   "msgs 22 bytes 2200 responses 55 finals 44 503 11\n") &&
	      strstr(text, " malformed 11 ") && strstr(text, " no_call_id 11 ") &&
	      strstr(text, "stats replies 483 0 503 44 513 0 rule 0 rule_rate 0\n"), "%s", text);
	o = json_tokener_parse(capture("%s --bpffs %s --stats --json", dir));
	CHECK(o && json_object_object_get_ex(o, "backends", &backends), "JSON");
	for (size_t i = 0; i < json_object_array_length(backends); i++)
		if (json_u64(json_object_array_get_idx(backends, i), "id") == 5)
			be5 = json_object_array_get_idx(backends, i);
	CHECK(be5 && json_u64(be5, "bytes") == 2200 && json_u64(be5, "responses") == 55 &&
	      json_u64(be5, "finals") == 44 && json_u64(be5, "503") == 11 &&
	      json_u64(o, "responses.msgs") == 33 &&
	      json_u64(o, "drops.malformed") == 11 && json_u64(o, "malformed.no_call_id") == 11 &&
	      json_u64(o, "replies.503") == 44 && json_u64(o, "generation") == w->control->generation &&
	      json_u64(json_object_array_get_idx(json_object_object_get(o, "vips"), 0), "msgs") == 11,
	      "%s", json_object_to_json_string(o));
	check_xdp_stats(text, o);
	json_object_put(o);
	free(text);
}

/* ---- the XDP maps ------------------------------------------------------------ */

/* Every map is pinned under dir. */
static void check_pins(const char *dir)
{
	static const char *const names[] = {
		SLB_MAP_CONTROL, SLB_MAP_STATE, SLB_MAP_MAGLEV, SLB_MAP_STATS, SLB_MAP_XDP_STATS,
		SLB_MAP_NEXTHOP, SLB_MAP_SRC_RATE, SLB_MAP_VIP_RATE, SLB_MAP_BLOCK4, SLB_MAP_BLOCK6,
	};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		CHECK(access(path, F_OK) == 0, "%s is not pinned", path);
	}
}

/* The trie's entries as "ADDR/LEN" lines, sorted, in out. */
static void trie_text(int fd, int family, char *out, size_t len)
{
	size_t alen = family == AF_INET ? 4 : 16, ksize = sizeof(uint32_t) + alen;
	uint8_t key[20], next[20], *prev = NULL;
	char lines[64][64], a[INET6_ADDRSTRLEN];
	int n = 0;

	while (n < 64 && !bpf_map_get_next_key(fd, prev, next)) {
		uint32_t plen;

		memcpy(key, next, ksize);
		prev = key;
		memcpy(&plen, key, sizeof(plen));
		snprintf(lines[n++], sizeof(lines[0]), "%s/%u",
			 inet_ntop(family, key + sizeof(uint32_t), a, sizeof(a)), plen);
	}
	qsort(lines, (size_t)n, sizeof(lines[0]), (int (*)(const void *, const void *))strcmp);
	out[0] = 0;
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s ", lines[i]);
}

static void check_blocklist(const struct slb_maps *m, const char *want4, const char *want6)
{
	char t4[1024], t6[1024];

	trie_text(m->xdp_fd[SLB_XDP_MAP_BLOCK4], AF_INET, t4, sizeof(t4));
	trie_text(m->xdp_fd[SLB_XDP_MAP_BLOCK6], AF_INET6, t6, sizeof(t6));
	CHECK(!strcmp(t4, want4) && !strcmp(t6, want6), "block4 [%s] block6 [%s]", t4, t6);
}

static void load_dsr(struct slb_config *c)
{
	char path[PATH_MAX], err[1024];

	snprintf(path, sizeof(path), "%s/good-dsr.conf", configs);
	CHECK(!slb_config_load(path, c, err, sizeof(err)), "%s", err);
}

/* good-dsr.conf's DSR, IPv6 and rate fields as the XDP program reads them. */
static void check_dsr_state(const struct slb_state *s)
{
	uint8_t v6[16], b6[16], src6[16];

	inet_pton(AF_INET6, "2001:db8::101", v6);
	inet_pton(AF_INET6, "2001:db8:1::11", b6);
	inet_pton(AF_INET6, "2001:db8::1", src6);
	CHECK(s->vips[2].family == AF_INET6 && s->vips[2].addr == 0 && !memcmp(s->vips[2].addr6, v6, 16) &&
	      s->vips[2].port == htons(5080) && s->vips[2].mode == SLB_MODE_DSR &&
	      s->vips[2].rate_pps == 5000 && s->vips[2].host[0] == 0, "vip dsr6");
	CHECK(s->vips[0].family == AF_INET && s->vips[0].rate_pps == 1000 &&
	      s->vips[0].rate_burst == 200 && !strcmp(s->vips[0].host, "192.0.2.100"), "vip sip");
	CHECK(s->backends[3].family == AF_INET6 && !memcmp(s->backends[3].addr6, b6, 16) &&
	      s->backends[3].port == htons(5062) && s->backends[3].state == SLB_BACKEND_DRAINING &&
	      s->backends[1].family == AF_INET && s->backends[1].addr == ip("198.51.100.10"),
	      "backends");
	CHECK(s->pools[2].table_size == 251, "an IPv6 pool has its table");
	CHECK(s->dsr.src4 == ip("192.0.2.1") && !memcmp(s->dsr.src6, src6, 16) &&
	      s->dsr.encap == SLB_ENCAP_GUE && s->dsr.gue_port == htons(6081), "dsr");
	CHECK(s->src_rate_pps == 50 && s->src_rate_burst == 20, "source rate");
}

static uint64_t vip_rate(const struct slb_maps *m, uint32_t i)
{
	uint64_t v = 0;

	CHECK(!bpf_map_lookup_elem(m->xdp_fd[SLB_XDP_MAP_VIP_RATE], &i, &v), "vip_rate");
	return v;
}

/* Blocklist added and removed in place; vip_rate of a VIP index that changes hands reset. */
static void test_xdp_maps(const char *dir)
{
	const uint64_t tat = 123456789;
	struct slb_config c;
	struct slb_maps w;
	char err[512];

	load_dsr(&c);
	CHECK(!slb_maps_create(dir, &sizes(c.capacity), &w, err, sizeof(err)), "%s", err);
	check_pins(dir);
	CHECK(publish(&w, &c, NULL, NULL) == 1, "published");
	check_dsr_state(&w.state[1]);
	check_blocklist(&w, "198.51.100.99/32 203.0.113.0/24 ",
			"2001:db8:bad:1::7/128 2001:db8:bad::/48 ::/0 ");
	for (uint32_t i = 0; i < 3; i++)
		CHECK(!bpf_map_update_elem(w.xdp_fd[SLB_XDP_MAP_VIP_RATE], &i, &tat, BPF_ANY), "set");
	/* one prefix of each family goes, one comes, the others stay */
	c.flood.blocklist[0].addr[2] = 114;         /* 203.0.113.0/24 -> 203.0.114.0/24 */
	c.flood.n_blocklist = 4;                    /* 2001:db8:bad:1::7/128 goes */
	c.vips[1].a.port = 5061;                     /* VIP 1 is another VIP now */
	CHECK(publish(&w, &c, NULL, NULL) == 2, "published again");
	check_blocklist(&w, "198.51.100.99/32 203.0.114.0/24 ", "2001:db8:bad::/48 ::/0 ");
	CHECK(vip_rate(&w, 0) == tat && vip_rate(&w, 1) == 0 && vip_rate(&w, 2) == tat,
	      "vip_rate %llu %llu %llu", (unsigned long long)vip_rate(&w, 0),
	      (unsigned long long)vip_rate(&w, 1), (unsigned long long)vip_rate(&w, 2));
	c.flood.n_blocklist = 0;
	CHECK(publish(&w, &c, NULL, NULL) == 3, "published without a blocklist");
	check_blocklist(&w, "", "");
	slb_maps_close(&w);
	slb_config_free(&c);
}

/* Maps of another size are replaced; nothing is created off a bpffs. */
static void test_maps(const char *root, const char *dir, struct slb_maps *w)
{
	char tmp[] = "/tmp/slb-test-notbpf-XXXXXX", path[PATH_MAX], err[512];
	struct slb_maps m;

	slb_maps_close(w);
	CHECK(!slb_maps_create(dir, &sizes(2001), &m, err, sizeof(err)), "%s", err);
	CHECK(m.control->table_capacity == 2002 && m.control->generation == 0 &&
	      m.state[0].n_vips == 0, "replaced by new maps, capacity rounded up to even");
	slb_maps_close(&m);
	CHECK(!slb_maps_open(dir, &m, err, sizeof(err)) && m.control->table_capacity == 2002,
	      "%s", err);
	slb_maps_close(&m);
	snprintf(path, sizeof(path), "%s/deeper/still", root);
	CHECK(!slb_maps_create(path, &sizes(100), &m, err, sizeof(err)), "%s", err);
	slb_maps_close(&m);

	CHECK(mkdtemp(tmp), "mkdtemp");
	snprintf(path, sizeof(path), "%s/siplb", tmp);
	CHECK(slb_maps_create(path, &sizes(100), &m, err, sizeof(err)) && strstr(err, "is not on a bpffs") &&
	      access(path, F_OK) != 0, "off a bpffs: %s", err);
	CHECK(slb_maps_open(tmp, &m, err, sizeof(err)) && strstr(err, "is not on a bpffs"),
	      "open off a bpffs: %s", err);
	rmdir(tmp);
	snprintf(path, sizeof(path), "%s/nothing", root);
	CHECK(slb_maps_open(path, &m, err, sizeof(err)), "opened nothing");
}

static const struct slb_branch_keys *active_keys(const struct slb_maps *m)
{
	return &m->state[m->control->generation & 1].branch_keys;
}

/* The branch MAC keys (docs/security.md): without branch_secret a random
 * key, the same one in every later generation (so also for a restarted
 * siplbd: it reads the last one from the maps); with it, the file's keys,
 * the previous one second. */
static void test_branch_keys(struct slb_maps *w)
{
	struct slb_branch_keys first, zero = {0};
	struct slb_config c;

	load(&c);
	c.n_branch_keys = 0;
	publish(w, &c, NULL, NULL);
	first = *active_keys(w);
	CHECK(first.n == 1 && memcmp(first.key[0], zero.key[0], SLB_BRANCH_KEY_LEN),
	      "a random key without branch_secret (n %u)", first.n);
	publish(w, &c, NULL, NULL);
	CHECK(!memcmp(active_keys(w), &first, sizeof(first)), "kept by the next generation");
	memset(c.branch_keys[0], 1, SLB_BRANCH_KEY_LEN);
	memset(c.branch_keys[1], 2, SLB_BRANCH_KEY_LEN);
	c.n_branch_keys = 2;
	publish(w, &c, NULL, NULL);
	CHECK(active_keys(w)->n == 2 && active_keys(w)->key[0][0] == 1 &&
	      active_keys(w)->key[1][15] == 2, "the file's keys, signing key first");
	slb_config_free(&c);
}

/* good-rules.conf: VIP "sip" with 3 rules, VIP "plain" without. */
static void load_rules(struct slb_config *c)
{
	char path[PATH_MAX], err[1024];

	snprintf(path, sizeof(path), "%s/good-rules.conf", configs);
	CHECK(!slb_config_load(path, c, err, sizeof(err)), "%s", err);
	CHECK(c->vips[0].rules.n == 3 && c->vips[1].rules.n == 0, "good-rules.conf: 3 rules, 0");
}

/* Generation g's blob of VIP v, loaded as siplb-dp would: its rule count. */
static uint32_t loaded_rules(const struct slb_maps *r, uint64_t g, uint32_t v)
{
	const struct slb_vip_rules *vr = &slb_state_of(r, g)->rules[v];
	struct slb_rules_db *db;
	char err[256];
	uint32_t n;

	db = slb_rules_db_load(slb_rules_of(r, g) + vr->blob_off, vr->blob_len, err, sizeof(err));
	CHECK(db, "generation %llu vip %u: %s", (unsigned long long)g, v, err);
	n = slb_rules_db_count(db);
	slb_rules_db_free(db);
	return n;
}

/* A copy of generation g's blob of VIP v. */
static uint8_t *blob_copy(const struct slb_maps *r, uint64_t g, uint32_t v, size_t *len)
{
	const struct slb_vip_rules *vr = &slb_state_of(r, g)->rules[v];
	uint8_t *copy = malloc(vr->blob_len);

	CHECK(copy, "out of memory");
	memcpy(copy, slb_rules_of(r, g) + vr->blob_off, vr->blob_len);
	*len = vr->blob_len;
	return copy;
}

/* Publishing that fails changes nothing: same generation, same blob bytes. */
static void check_refused(struct slb_maps *w, const struct slb_config *c, const char *why)
{
	uint64_t g = slb_generation(w);
	size_t len;
	uint8_t *before = blob_copy(w, g, 0, &len);
	struct slb_publish_report rep;
	char err[512];

	CHECK(slb_publish(w, c, NULL, SEC, &rep, err, sizeof(err)) && strstr(err, why) &&
	      slb_generation(w) == g, "refused with \"%s\": %s", why, err);
	CHECK(w->state[g & 1].rules[0].blob_len == len &&
	      !memcmp(slb_rules_of(w, g) + w->state[g & 1].rules[0].blob_off, before, len),
	      "a refused publish left the active blob alone");
	free(before);
}

/*
 * Rules published with their generation: where each VIP's blob and
 * counters are, `changed` kept while the rules stay, a change flipping with
 * the generation while the slot a reader still reads stays whole, and a
 * rule that does not compile or does not fit changing nothing.
 */
static void test_rules(const char *dir)
{
	struct slb_config c;
	struct slb_maps w, r;
	size_t len1;
	uint8_t *blob1;
	char err[512];
	uint64_t g;

	load_rules(&c);
	CHECK(!slb_maps_create(dir, &sizes(c.capacity), &w, err, sizeof(err)), "%s", err);
	CHECK(!slb_maps_open(dir, &r, err, sizeof(err)), "%s", err);
	g = publish(&w, &c, NULL, NULL);
	const struct slb_vip_rules *v0 = &r.state[g & 1].rules[0], *v1 = &r.state[g & 1].rules[1];
	CHECK(v0->blob_len > 0 && v0->n_rules == 3 && v0->counter_base == 0 && v0->changed == g &&
	      v0->pools == 1u << 1 && v1->blob_len == 0 && v1->n_rules == 0,
	      "vip sip: %u bytes, %u rules, pools 0x%llx", v0->blob_len, v0->n_rules,
	      (unsigned long long)v0->pools);
	CHECK(loaded_rules(&r, g, 0) == 3, "generation %llu's blob loads", (unsigned long long)g);
	blob1 = blob_copy(&r, g, 0, &len1);
	CHECK(publish(&w, &c, NULL, NULL) == g + 1 && r.state[(g + 1) & 1].rules[0].changed == g,
	      "unchanged rules keep the generation they changed in");

	/* a reader on g + 1 while g + 2 gets a rule fewer: its slot stays as it was */
	slb_reader_heartbeat(&r, 5);
	CHECK(slb_reader_enter(&r, 5) == g + 1, "reader on g + 1");
	c.vips[0].rules.n = 2;
	CHECK(publish(&w, &c, NULL, NULL) == g + 2, "published a rule fewer");
	CHECK(r.state[g & 1].rules[0].changed == g + 2 && loaded_rules(&r, g + 2, 0) == 2 &&
	      r.state[g & 1].rules[0].n_rules == 2, "the change flipped with g + 2");
	CHECK(r.state[(g + 1) & 1].rules[0].blob_len == len1 &&
	      !memcmp(slb_rules_of(&r, g + 1) + r.state[(g + 1) & 1].rules[0].blob_off, blob1,
		      len1) && loaded_rules(&r, g + 1, 0) == 3,
	      "the slot of g + 1, which a reader may read, is whole");
	CHECK(slb_publish(&w, &c, NULL, SEC / 20, &(struct slb_publish_report){0}, err,
			  sizeof(err)) && strstr(err, "reader 5 still uses generation"),
	      "g + 1's slot is not reused while its reader is there: %s", err);
	slb_reader_leave(&r, 5);
	c.vips[0].rules.n = 3;

	/* a regex Hyperscan refuses (the configuration checks it; the RPC's
	 * rules may not have been): the rule's FILE:LINE, nothing changes */
	char *good = c.vips[0].rules.rules[0].cond[SLB_RULE_F_USER_AGENT].value;
	c.vips[0].rules.rules[0].cond[SLB_RULE_F_USER_AGENT].value = "sip(vicious";
	check_refused(&w, &c, "/good-rules.conf:9: user_agent: Hyperscan cannot compile it");
	c.vips[0].rules.rules[0].cond[SLB_RULE_F_USER_AGENT].value = good;
	slb_maps_close(&r);
	slb_maps_close(&w);
	free(blob1);

	/* rules that do not fit the counters or the slot */
	CHECK(!slb_maps_create(dir, &((struct slb_map_sizes){c.capacity, 65536, 2}), &w, err,
			       sizeof(err)), "%s", err);
	c.vips[0].rules.n = 1;
	publish(&w, &c, NULL, NULL);
	c.vips[0].rules.n = 3;
	check_refused(&w, &c, "vip sip: 3 rules: the VIPs have 3 rules, rule_maps.counters is 2");
	slb_maps_close(&w);
	CHECK(!slb_maps_create(dir, &((struct slb_map_sizes){c.capacity, 64, 100}), &w, err,
			       sizeof(err)), "%s", err);
	CHECK(slb_publish(&w, &c, NULL, SEC, &(struct slb_publish_report){0}, err, sizeof(err)) &&
	      strstr(err, "rule_maps.capacity is 64 per generation") && slb_generation(&w) == 0,
	      "capacity: %s", err);
	slb_maps_close(&w);
	slb_config_free(&c);
}

/* The rule_src entries of generation slot `slot` for VIP v. */
static uint32_t offloaded(const struct slb_maps *m, uint32_t slot, uint32_t v)
{
	struct slb_rule_src_key k, *prev = NULL;
	uint32_t n = 0;

	while (!bpf_map_get_next_key(m->xdp_fd[SLB_XDP_MAP_RULE_SRC], prev, &k)) {
		n += k.vip == slot * SLB_MAX_VIPS + v;
		prev = &k;
	}
	return n;
}

/* Every publish recomputes the rules offloaded to XDP (rules_xdp.h): the
 * next generation's entries and the VIPs' flags flip with it; VIP "sip"'s
 * rules all look at SIP fields (none offloaded), a drop on a source prefix
 * given to "plain" is. */
static void test_rules_xdp(const char *dir)
{
	struct slb_rule drop = {.rec = {.action = SLB_RULE_ACT_DROP, .src_len = 24}};
	struct slb_config c;
	struct slb_maps w;
	char err[512];
	uint64_t g;

	load_rules(&c);
	CHECK(!slb_addr_parse("203.0.113.0", &drop.rec.src), "address");
	CHECK(!slb_maps_create(dir, &sizes(c.capacity), &w, err, sizeof(err)), "%s", err);
	c.vips[1].rules = (struct slb_rules){.rules = &drop, .n = 1};
	g = publish(&w, &c, NULL, NULL);
	CHECK((w.state[g & 1].vips[1].flags & SLB_VIP_XDP_RULES) &&
	      !(w.state[g & 1].vips[0].flags & SLB_VIP_XDP_RULES) &&
	      offloaded(&w, g & 1, 1) == 1 && offloaded(&w, g & 1, 0) == 0,
	      "generation %llu: plain's drop offloaded, sip's rules not",
	      (unsigned long long)g);
	CHECK(slb_rules_xdp_rule_drops(w.xdp_fd[SLB_XDP_MAP_RULE_SRC],
				       w.xdp_fd[SLB_XDP_MAP_RULE_HITS], g & 1, 1, 0, &drop.rec) == 0,
	      "its counter starts at 0");
	c.vips[1].rules.n = 0;
	CHECK(publish(&w, &c, NULL, NULL) == g + 1 &&
	      !(w.state[(g + 1) & 1].vips[1].flags & SLB_VIP_XDP_RULES) &&
	      offloaded(&w, (g + 1) & 1, 1) == 0 && offloaded(&w, g & 1, 1) == 1,
	      "the rule gone: not in g + 1's entries (g's stay until its slot is reused)");
	CHECK(publish(&w, &c, NULL, NULL) == g + 2 && offloaded(&w, g & 1, 1) == 0,
	      "and gone from g's slot with g + 2");
	c.vips[1].rules = (struct slb_rules){0};
	slb_maps_close(&w);
	slb_config_free(&c);
}

static int run(const char *root)
{
	char a[PATH_MAX], b[PATH_MAX];
	struct slb_maps w;

	snprintf(a, sizeof(a), "%s/a", root);
	snprintf(b, sizeof(b), "%s/b", root);
	test_ids(a, &w);
	test_quiescence(a, &w);
	test_branch_keys(&w);
	test_restart(a, b, w.control->generation);
	check_pins(a);
	test_stats(a, &w);
	test_maps(root, a, &w);
	snprintf(a, sizeof(a), "%s/x", root);
	test_xdp_maps(a);
	snprintf(a, sizeof(a), "%s/rules", root);
	test_rules(a);
	snprintf(a, sizeof(a), "%s/rules-xdp", root);
	test_rules_xdp(a);
	printf("publish, ids, quiescence, restart, stats, maps, XDP maps, rules, rules in XDP: "
	       "ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	char root[] = "/run/siplb-test-publish-XXXXXX";
	int status = -1;
	pid_t pid;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SIPLBD CONFIGS_DIR\n", argv[0]);
		return 2;
	}
	siplbd = argv[1];
	configs = argv[2];
	if (geteuid()) {
		printf("SKIP: needs root (mounts a bpffs, creates BPF maps)\n");
		return 77;
	}
	if (!mkdtemp(root)) {
		perror(root);
		return 1;
	}
	if (mount("bpf", root, "bpf", 0, "mode=0700")) {
		printf("SKIP: mount -t bpf %s: %s\n", root, strerror(errno));
		rmdir(root);
		return 77;
	}
	fflush(stdout);
	/* A timeout's SIGTERM ends the tests, not the cleanup. */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		CHECK(!unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET): %s", strerror(errno));
		exit(run(root));
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (umount2(root, MNT_DETACH) || rmdir(root))
		fprintf(stderr, "cleaning up %s: %s\n", root, strerror(errno));
	if (!WIFEXITED(status))
		fprintf(stderr, "the test process died (status %d)\n", status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
