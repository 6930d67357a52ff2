/* SPDX-License-Identifier: BSD-3-Clause */
/* See xdp_harness.h. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>

#include "siplb/callid_hash.h"
#include "siplb/maglev.h"
#include "xdp_harness.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif

static const char *const map_names[XH_MAP_COUNT] = {
	[XH_CONTROL] = SLB_MAP_CONTROL,     [XH_STATE] = SLB_MAP_STATE,
	[XH_MAGLEV] = SLB_MAP_MAGLEV,       [XH_XDP_STATS] = SLB_MAP_XDP_STATS,
	[XH_NEXTHOP] = SLB_MAP_NEXTHOP,     [XH_SRC_RATE] = SLB_MAP_SRC_RATE,
	[XH_VIP_RATE] = SLB_MAP_VIP_RATE,   [XH_BLOCK4] = SLB_MAP_BLOCK4,
	[XH_BLOCK6] = SLB_MAP_BLOCK6,       [XH_PORT_MAC] = SLB_MAP_PORT_MAC,
	[XH_XSKS] = "xsks_map",             [XH_FRAGS] = "frags",
	[XH_RULE_SRC] = SLB_MAP_RULE_SRC,   [XH_RULE_RATE] = SLB_MAP_RULE_RATE,
	[XH_RULE_HITS] = SLB_MAP_RULE_HITS,
};

int xh_prepare(struct bpf_object *obj, uint32_t capacity)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, SLB_MAP_MAGLEV);

	return m ? bpf_map__set_max_entries(m, capacity) : -ENOENT;
}

static void *map_mem(int fd, size_t len)
{
	void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return mem == MAP_FAILED ? NULL : mem;
}

static size_t page_round(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (n + page - 1) / page * page;
}

int xh_attach(struct xh_prog *p, struct bpf_object *obj, uint32_t capacity)
{
	struct bpf_program *prog = bpf_object__next_program(obj, NULL);

	memset(p, 0, sizeof(*p));
	if (!prog)
		return -ENOENT;
	p->prog_fd = bpf_program__fd(prog);
	for (int i = 0; i < XH_MAP_COUNT; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, map_names[i]);

		if (!m) {
			fprintf(stderr, "no map named '%s' in the object\n", map_names[i]);
			return -ENOENT;
		}
		p->fd[i] = bpf_map__fd(m);
	}
	if (xh_set_port_mac(p, if_nametoindex("lo"), xh_port_mac)) {
		fprintf(stderr, "port_mac: %s\n", strerror(errno));
		return -errno;
	}
	p->capacity = capacity;
	p->len[0] = page_round(sizeof(struct slb_control));
	p->len[1] = page_round(2 * sizeof(struct slb_state));
	p->len[2] = page_round((size_t)capacity * sizeof(uint64_t));
	p->control = map_mem(p->fd[XH_CONTROL], p->len[0]);
	p->state = map_mem(p->fd[XH_STATE], p->len[1]);
	p->maglev = map_mem(p->fd[XH_MAGLEV], p->len[2]);
	if (!p->control || !p->state || !p->maglev) {
		fprintf(stderr, "mmap of the state maps: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

int xh_set_port_mac(const struct xh_prog *p, uint32_t ifindex, const uint8_t mac[6])
{
	struct slb_port_mac pm = { .ifindex = ifindex };
	uint32_t key = ifindex & (SLB_XDP_PORT_ENTRIES - 1);

	memcpy(pm.mac, mac, 6);
	return bpf_map_update_elem(p->fd[XH_PORT_MAC], &key, &pm, BPF_ANY);
}

void xh_detach(struct xh_prog *p)
{
	if (p->control)
		munmap(p->control, p->len[0]);
	if (p->state)
		munmap(p->state, p->len[1]);
	if (p->maglev)
		munmap(p->maglev, p->len[2]);
	memset(p, 0, sizeof(*p));
}

void xh_publish(struct xh_prog *p, const struct slb_state *st, uint64_t gen,
		const uint32_t *tables)
{
	unsigned slot = (unsigned)(gen & 1);

	p->state[slot] = *st;
	p->state[slot].generation = gen;
	memcpy(p->maglev + (size_t)slot * p->capacity, tables, (size_t)p->capacity * 4);
	p->control->magic = SLB_STATE_MAGIC;
	p->control->version = SLB_STATE_VERSION;
	p->control->table_capacity = p->capacity;
	__atomic_store_n(&p->control->generation, gen, __ATOMIC_RELEASE);
}

int xh_add_xsk(struct xh_prog *p)
{
	uint32_t slot = 0;
	int fd = socket(AF_XDP, SOCK_RAW, 0);

	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(p->fd[XH_XSKS], &slot, &fd, BPF_ANY)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

void xh_del_xsk(struct xh_prog *p, int fd)
{
	if (fd >= 0)
		close(fd);
	bpf_map_delete_elem(p->fd[XH_XSKS], &(uint32_t){ 0 });
}

int xh_stats(const struct xh_prog *p, struct slb_xdp_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t stride = (sizeof(*sum) + 7) / 8 * 8;
	uint32_t key = 0;
	uint8_t *all;

	if (ncpu <= 0)
		return -1;
	all = calloc((size_t)ncpu, stride);
	if (!all || bpf_map_lookup_elem(p->fd[XH_XDP_STATS], &key, all)) {
		free(all);
		return -1;
	}
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpu; c++) {
		/* __u64, the counters' own type: uint64_t would alias them */
		const __u64 *v = (const __u64 *)(all + (size_t)c * stride);
		__u64 *s = (__u64 *)sum;

		for (size_t i = 0; i < sizeof(*sum) / 8; i++)
			s[i] += v[i];
	}
	free(all);
	return 0;
}

const char *xh_action_name(uint32_t action)
{
	static const char *const names[] = { "ABORTED", "DROP", "PASS", "TX", "REDIRECT" };

	return action < sizeof(names) / sizeof(names[0]) ? names[action] : "?";
}

int xh_run(const struct xh_prog *p, const void *frame, uint32_t len, uint32_t repeat,
	   struct xh_result *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = frame,
		.data_size_in = len,
		.data_out = r->out,
		.data_size_out = sizeof(r->out),
		.repeat = repeat);

	if (bpf_prog_test_run_opts(p->prog_fd, &opts))
		return -errno;
	r->retval = opts.retval;
	r->duration = opts.duration;
	r->out_len = opts.data_size_out;
	return 0;
}

/* ---- frames ---------------------------------------------------------------- */

uint32_t xh_csum_add(uint32_t sum, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	return sum;
}

uint16_t xh_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

void xh_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void xh_ip(int family, const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(family, text, out) != 1) {
		fprintf(stderr, "bad address %s\n", text);
		abort();
	}
}

/* The UDP checksum over the pseudo-header of either family. */
static uint16_t udp_csum(int family, const uint8_t *src, const uint8_t *dst,
			 const uint8_t *udp, size_t len)
{
	unsigned alen = family == AF_INET ? 4 : 16;
	uint32_t sum = xh_csum_add(0, src, alen);
	uint16_t c;

	sum = xh_csum_add(sum, dst, alen);
	sum += IPPROTO_UDP + (uint32_t)len;
	c = (uint16_t)~xh_csum_fold(xh_csum_add(sum, udp, len));
	return c ? c : 0xffff;
}

const uint8_t xh_port_mac[6] = { 0x02, 0, 0, 0, 0, 1 };

static size_t build_l2(const struct xh_spec *s, uint8_t *b)
{
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 2 };
	size_t off = 12;

	memcpy(b, xh_port_mac, 6);
	memcpy(b + 6, src, 6);
	for (int i = 0; i < 2 && s->tags[i]; i++) {
		xh_put16(b + off, s->tags[i]);
		xh_put16(b + off + 2, (uint16_t)(100 + i)); /* VLAN id */
		off += 4;
	}
	xh_put16(b + off, s->family == AF_INET6 ? ETH_P_IPV6 : ETH_P_IP);
	return off + 2;
}

int xh_build(const struct xh_spec *s, struct xh_frame *f)
{
	int family = s->family ? s->family : AF_INET;
	size_t l4_len = 8 + s->payload_len, hlen;
	uint8_t proto = s->proto || s->raw_proto ? s->proto : IPPROTO_UDP, *ip, *udp;

	memset(f, 0, sizeof(*f));
	f->l3_off = build_l2(s, f->b);
	ip = f->b + f->l3_off;
	hlen = family == AF_INET ? 20 + 4u * s->opt_words : 40;
	f->ip_len = hlen + l4_len;
	f->len = f->l3_off + f->ip_len + s->pad;
	if (f->len > sizeof(f->b))
		return -1;
	if (family == AF_INET) {
		ip[0] = (uint8_t)(0x40 | hlen / 4);
		ip[1] = s->tos;
		xh_put16(ip + 2, (uint16_t)f->ip_len);
		xh_put16(ip + 4, s->ip_id);
		xh_put16(ip + 6, (uint16_t)((s->df ? 0x4000 : 0) | s->frag));
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, s->src, 4);
		memcpy(ip + 16, s->dst, 4);
		memset(ip + 20, 1, hlen - 20); /* NOP options */
		xh_put16(ip + 10, (uint16_t)~xh_csum_fold(xh_csum_add(0, ip, hlen)));
	} else {
		uint32_t w = 6u << 28 | (uint32_t)s->tos << 20 | 0x12345; /* a flow label */

		xh_put16(ip, (uint16_t)(w >> 16));
		xh_put16(ip + 2, (uint16_t)w);
		xh_put16(ip + 4, (uint16_t)l4_len);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, s->src, 16);
		memcpy(ip + 24, s->dst, 16);
	}
	udp = ip + hlen;
	xh_put16(udp, s->sport ? s->sport : 5060);
	xh_put16(udp + 2, s->dport ? s->dport : 5060);
	xh_put16(udp + 4, (uint16_t)l4_len);
	if (s->payload_len)
		memcpy(udp + 8, s->payload, s->payload_len);
	xh_put16(udp + 6, udp_csum(family, s->src, s->dst, udp, l4_len));
	return 0;
}

/* ---- the world ------------------------------------------------------------- */

#define POOL0_SIZE 65537u
#define POOL1_SIZE 4099u

static void add_vip(struct slb_state *st, int family, const char *addr, uint8_t mode,
		    uint32_t pool)
{
	struct slb_vip *v = &st->vips[st->n_vips++];
	uint8_t a[16];

	xh_ip(family, addr, a);
	v->family = (uint8_t)family;
	if (family == AF_INET)
		memcpy(&v->addr, a, 4);
	else
		memcpy(v->addr6, a, 16);
	v->port = htons(5060);
	v->mode = mode;
	v->pool = pool;
	snprintf(v->name, sizeof(v->name), "vip%u", st->n_vips - 1);
	snprintf(v->host, sizeof(v->host), "%.15s", addr);
}

/* Builds pool p's table over backends [first, first + n) at table_off. */
static int add_pool(struct xh_world *w, uint32_t p, uint32_t first, uint32_t n, uint32_t size,
		    uint32_t off, uint64_t seed)
{
	struct slb_maglev_backend mb[8];
	char keys[8][64], err[256];

	w->st.pools[p] = (struct slb_pool){ .table_off = off, .table_size = size, .seed = seed };
	snprintf(w->st.pools[p].name, sizeof(w->st.pools[p].name), "pool%u", p);
	for (uint32_t i = 0; i < n; i++) {
		snprintf(keys[i], sizeof(keys[i]), "backend-%u", first + i);
		mb[i] = (struct slb_maglev_backend){ .id = first + i, .weight = 100,
						     .key = keys[i], .key_len = strlen(keys[i]) };
	}
	if (slb_maglev_build(mb, n, size, seed, w->tables + off, err, sizeof(err))) {
		fprintf(stderr, "maglev: %s\n", err);
		return -1;
	}
	return 0;
}

static void add_backend(struct xh_world *w, uint32_t id, int family, const char *addr,
			uint32_t pool)
{
	struct slb_backend *b = &w->st.backends[id];
	uint8_t a[16];

	xh_ip(family, addr, a);
	b->family = (uint8_t)family;
	if (family == AF_INET)
		memcpy(&b->addr, a, 4);
	else
		memcpy(b->addr6, a, 16);
	b->port = htons(5060);
	b->weight = 100;
	b->state = SLB_BACKEND_UP;
	b->pool = pool;
	w->st.n_backends = id + 1 > w->st.n_backends ? id + 1 : w->st.n_backends;
	w->nh[id] = (struct slb_nexthop){
		.dst_mac = { 0x02, 0, 0, 0, 1, (uint8_t)id },
		.src_mac = { 0x02, 0, 0, 0, 0, 0xff },
		.ifindex = w->lo_ifindex,
		.mtu = 1500,
	};
}

int xh_world_init(struct xh_world *w)
{
	static const char *const v6[] = { "2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::3" };
	uint8_t a16[16];
	char a4[32];

	memset(w, 0, sizeof(*w));
	w->lo_ifindex = if_nametoindex("lo");
	w->capacity = POOL0_SIZE + POOL1_SIZE; /* even, as siplbd rounds it */
	w->tables = calloc(w->capacity, sizeof(uint32_t));
	if (!w->lo_ifindex || !w->tables || w->capacity % 2)
		return -1;
	memset(w->tables, 0xff, (size_t)w->capacity * 4); /* SLB_MAGLEV_EMPTY */
	add_vip(&w->st, AF_INET, "192.0.2.10", SLB_MODE_DSR, 0);
	add_vip(&w->st, AF_INET, "192.0.2.11", SLB_MODE_PROXY, 0);
	add_vip(&w->st, AF_INET6, "2001:db8::10", SLB_MODE_DSR, 1);
	add_vip(&w->st, AF_INET6, "2001:db8::11", SLB_MODE_PROXY, 1);
	add_vip(&w->st, AF_INET, "192.0.2.12", SLB_MODE_DSR, 2);
	add_vip(&w->st, AF_INET, "192.0.2.13", SLB_MODE_PROXY, 0);
	for (uint32_t i = 0; i < 4; i++) {
		snprintf(a4, sizeof(a4), "198.51.100.%u", i + 1);
		add_backend(w, i, AF_INET, a4, 0);
	}
	for (uint32_t i = 0; i < 3; i++)
		add_backend(w, 4 + i, AF_INET6, v6[i], 1);
	w->st.n_pools = 3;
	w->st.pools[2] = (struct slb_pool){ .table_off = 0, .table_size = 0, .seed = 3 };
	xh_ip(AF_INET, "203.0.113.1", a16);
	memcpy(&w->st.dsr.src4, a16, 4);
	xh_ip(AF_INET6, "2001:db8:ffff::1", w->st.dsr.src6);
	w->st.dsr.encap = SLB_ENCAP_IPIP;
	w->st.dsr.gue_port = htons(XH_GUE_PORT);
	/* pool 1 starts at an odd entry: the high half of a map element */
	return add_pool(w, 0, 0, 4, POOL0_SIZE, 0, 0x5ca1ab1e5ca1ab1eULL) ||
	       add_pool(w, 1, 4, 3, POOL1_SIZE, POOL0_SIZE, 0x1234567890abcdefULL) ? -1 : 0;
}

void xh_world_free(struct xh_world *w)
{
	free(w->tables);
	w->tables = NULL;
}

int xh_world_load(struct xh_prog *p, const struct xh_world *w, uint64_t gen)
{
	if (p->capacity != w->capacity)
		return -1;
	xh_publish(p, &w->st, gen, w->tables);
	for (uint32_t id = 0; id < XH_N_BACKENDS; id++)
		if (bpf_map_update_elem(p->fd[XH_NEXTHOP], &id, &w->nh[id], BPF_ANY))
			return -1;
	return 0;
}

int xh_world_pick(const struct xh_world *w, unsigned vip, const uint8_t *callid, size_t len,
		  uint64_t *hash)
{
	const struct slb_pool *pool = &w->st.pools[w->st.vips[vip].pool];
	uint32_t id;

	*hash = slb_callid_hash(callid, (uint32_t)len, pool->seed);
	if (!pool->table_size)
		return -1;
	id = w->tables[pool->table_off + *hash % pool->table_size];
	return id < w->st.n_backends ? (int)id : -1;
}

int xh_vip_addr(const struct xh_world *w, unsigned vip, uint8_t out[16])
{
	const struct slb_vip *v = &w->st.vips[vip];

	memset(out, 0, 16);
	if (v->family == AF_INET)
		memcpy(out, &v->addr, 4);
	else
		memcpy(out, v->addr6, 16);
	return v->family;
}

struct xh_spec xh_to_vip(const struct xh_world *w, unsigned vip, const void *payload,
			 size_t len)
{
	struct xh_spec s = { .payload = payload, .payload_len = len, .sport = 5062 };

	s.family = xh_vip_addr(w, vip, s.dst);
	xh_ip(s.family, s.family == AF_INET ? "198.51.100.77" : "2001:db8:77::7", s.src);
	return s;
}

/* ---- setup ----------------------------------------------------------------- */

static int libbpf_errors(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

void xh_quiet_libbpf(void)
{
	libbpf_set_print(libbpf_errors);
}

int xh_check_can_run(void)
{
	int ret;

	if (geteuid() != 0) {
		printf("SKIP: not root: loading XDP programs needs root "
		       "(CAP_BPF + CAP_NET_ADMIN)\n");
		return XH_EXIT_SKIP;
	}
	ret = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL);
	if (ret <= 0) {
		printf("SKIP: this kernel cannot load XDP programs (%s)\n",
		       ret < 0 ? strerror(-ret) : "not supported");
		return XH_EXIT_SKIP;
	}
	return 0;
}

long xh_read_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return (long)n;
}
