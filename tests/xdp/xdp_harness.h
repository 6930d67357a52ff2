/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the XDP tests (tests/xdp/) and the benchmark (bench/bench_xdp.c)
 * share to drive bpf/siplb_xdp.bpf.c through BPF_PROG_TEST_RUN: the loaded
 * program's maps (found by their SLB_MAP_* names, as a loader finds them),
 * publishing a state generation into them the way siplbd does (through the
 * mmap of the BPF_F_MMAPABLE maps), building test frames, running one and
 * reading the per-CPU counters.
 */
#ifndef SIPLB_TESTS_XDP_HARNESS_H
#define SIPLB_TESTS_XDP_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/libbpf.h>
#include <net/if.h>

#include "siplb/state.h"
#include "siplb/xdp.h"

#define XH_FRAME_MAX 4096
#define XH_EXIT_SKIP 77

enum xh_map {
	XH_CONTROL, XH_STATE, XH_MAGLEV, XH_XDP_STATS, XH_NEXTHOP, XH_SRC_RATE,
	XH_VIP_RATE, XH_BLOCK4, XH_BLOCK6, XH_PORT_MAC, XH_XSKS, XH_FRAGS, XH_RULE_SRC,
	XH_RULE_RATE, XH_RULE_HITS, XH_MAP_COUNT
};

/* A loaded siplb_xdp (or siplb_xdp_bytes) object. */
struct xh_prog {
	int prog_fd;
	int fd[XH_MAP_COUNT];
	struct slb_control *control; /* mmap'd */
	struct slb_state *state;     /* [2], mmap'd */
	uint32_t *maglev;            /* [2 * capacity], mmap'd */
	size_t len[3];               /* mmap lengths: control, state, maglev */
	uint32_t capacity;           /* u32 table entries per slot (even) */
};

/* Before loading: the maglev map gets room for two slots of capacity. */
int xh_prepare(struct bpf_object *obj, uint32_t capacity);
/* After loading: finds the program and maps, maps the state, records lo's
 * MAC (xh_port_mac) as a loader records its interface's. */
int xh_attach(struct xh_prog *p, struct bpf_object *obj, uint32_t capacity);
/* port_mac's slot of ifindex: that interface has mac. 0 or -1 (errno). */
int xh_set_port_mac(const struct xh_prog *p, uint32_t ifindex, const uint8_t mac[6]);
void xh_detach(struct xh_prog *p);

/* Publishes st as generation gen with this slot's Maglev tables (capacity
 * u32 entries), as siplbd does: the slot first, then the generation. */
void xh_publish(struct xh_prog *p, const struct slb_state *st, uint64_t gen,
		const uint32_t *tables);

/* An unbound AF_XDP socket in xsks_map slot 0 (the test run's RX queue):
 * its fd, or -errno. A test run never performs the redirect; it reports it. */
int xh_add_xsk(struct xh_prog *p);

/* Undoes xh_add_xsk: closes fd (when it is one) and empties slot 0. */
void xh_del_xsk(struct xh_prog *p, int fd);

/* Sums the per-CPU xdp_stats. */
int xh_stats(const struct xh_prog *p, struct slb_xdp_stats *sum);

struct xh_result {
	uint32_t retval;
	uint32_t duration;  /* ns per run, as the kernel measured it */
	uint32_t out_len;
	uint8_t out[XH_FRAME_MAX + 256];
};

/* "TX", "PASS", ... for an XDP action. */
const char *xh_action_name(uint32_t action);

/* One BPF_PROG_TEST_RUN; 0, or -errno. */
int xh_run(const struct xh_prog *p, const void *frame, uint32_t len, uint32_t repeat,
	   struct xh_result *r);

/* ---- frames ---------------------------------------------------------------- */

/* A UDP datagram in Ethernet; zero fields take the defaults. */
struct xh_spec {
	int family;            /* AF_INET (default) or AF_INET6 */
	uint16_t tags[2];      /* TPIDs of VLAN tags in order, 0 = none */
	unsigned opt_words;    /* IPv4 options, 4-byte words of NOP */
	uint8_t tos;           /* IPv4 TOS or IPv6 traffic class */
	uint16_t ip_id;
	bool df;
	uint16_t frag;         /* IPv4 MF/offset bits, host order */
	uint8_t proto;         /* default (0) UDP; IPv6: the next header */
	bool raw_proto;        /* proto as it is, 0 too (IPv6 hop-by-hop) */
	uint8_t src[16], dst[16];
	uint16_t sport, dport; /* host order */
	const void *payload;
	size_t payload_len;
	unsigned pad;          /* zero bytes after the IP packet (Ethernet padding) */
};

struct xh_frame {
	uint8_t b[XH_FRAME_MAX];
	size_t len;     /* frame */
	size_t l3_off;  /* IP header */
	size_t ip_len;  /* IP packet, without padding */
};

/* 0, or -1 when it does not fit. Its destination MAC is xh_port_mac. */
int xh_build(const struct xh_spec *s, struct xh_frame *f);

/* The MAC of the test run's ingress device (lo) in port_mac (xh_attach). */
extern const uint8_t xh_port_mac[6];

void xh_ip(int family, const char *text, uint8_t out[16]);
void xh_put16(uint8_t *p, uint16_t v); /* big-endian */

/* Ones'-complement sum of n bytes (big-endian 16-bit words), unfolded. */
uint32_t xh_csum_add(uint32_t sum, const void *p, size_t n);
uint16_t xh_csum_fold(uint32_t sum);

/* ---- the world the tests and the benchmark publish ------------------------- */

/*
 * VIPs (port 5060), pools and backends of a small deployment:
 *   0  192.0.2.10      dsr    pool 0: backends 0-3, 198.51.100.1-4, table 65537
 *   1  192.0.2.11      proxy  pool 0
 *   2  2001:db8::10    dsr    pool 1: backends 4-6, 2001:db8:1::1-3, table 4099
 *   3  2001:db8::11    proxy  pool 1
 *   4  192.0.2.12      dsr    pool 2: no backend up (table_size 0)
 *   5  192.0.2.13      proxy  pool 0 (the tests put a rate cap on it)
 * DSR source 203.0.113.1 / 2001:db8:ffff::1, IPIP; GUE port 6080. Next hop
 * of backend i: MAC 02:00:00:00:01:i from 02:00:00:00:00:ff, on lo (the
 * test run's ingress device: XDP_TX), MTU 1500.
 */
enum { XH_VIP4_DSR, XH_VIP4_PROXY, XH_VIP6_DSR, XH_VIP6_PROXY, XH_VIP4_EMPTY,
       XH_VIP4_CAPPED, XH_N_VIPS };
#define XH_N_BACKENDS 7
#define XH_GUE_PORT 6080

struct xh_world {
	struct slb_state st;
	uint32_t *tables;    /* one slot: capacity u32 */
	uint32_t capacity;
	uint32_t lo_ifindex;
	struct slb_nexthop nh[XH_N_BACKENDS];
};

int xh_world_init(struct xh_world *w);
void xh_world_free(struct xh_world *w);
/* Publishes the world as generation gen and writes every next hop. */
int xh_world_load(struct xh_prog *p, const struct xh_world *w, uint64_t gen);
/* siplb-dp's backend for a Call-ID to VIP vip (dataplane/sip_proxy.c's
 * formula), and the hash; -1 when the pool has none. */
int xh_world_pick(const struct xh_world *w, unsigned vip, const uint8_t *callid, size_t len,
		  uint64_t *hash);
/* The address of VIP vip, and its family. */
int xh_vip_addr(const struct xh_world *w, unsigned vip, uint8_t out[16]);
/* A datagram from a client (198.51.100.77 or 2001:db8:77::7, port 5062) to
 * VIP vip carrying payload; the caller may change fields before xh_build. */
struct xh_spec xh_to_vip(const struct xh_world *w, unsigned vip, const void *payload,
			 size_t len);

/* libbpf errors only (no debug chatter). */
void xh_quiet_libbpf(void);

/* 77 (skip) with the reason when not root or no XDP; 0 when we can run. */
int xh_check_can_run(void);

/* Reads a whole file; its length or -1. */
long xh_read_file(const char *path, uint8_t *buf, size_t cap);

#endif
