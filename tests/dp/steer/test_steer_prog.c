/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_steer_prog XDP_STEER_O: bpf/xdp_steer.bpf.c through BPF_PROG_TEST_RUN
 * (its skeleton), with 192.0.2.100:5060 in steer_vips. Hand-built frames:
 * UDP to the VIP (plain, VLAN-tagged, with IP options) is redirected; other
 * ports, other protocols, ARP, fragments and frames truncated at every layer
 * pass to the kernel.
 *
 * Also checks the built object as the af_xdp PMD sees it (XDP_STEER_O opened
 * with libbpf: one program, a map named xsks_map).
 *
 * Exit 0 when all pass, 1 on a failure, 77 (skip) when not root.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>

#include "siplb/steer.h"
#include "xdp_steer.skel.h"
#include "../../check.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif

#define EXIT_SKIP 77
#define VIP "192.0.2.100"
#define VIP_PORT 5060
#define FRAME_MAX 256

struct frame {
	uint8_t b[FRAME_MAX];
	unsigned len;
};

/* What a frame is built from; zero fields take the defaults of a UDP
 * datagram from 198.51.100.1:5060 to VIP:5060. */
struct spec {
	uint16_t vlan_type; /* ETH_P_8021Q/8021AD: one tag */
	uint16_t eth_type;  /* default ETH_P_IP */
	uint8_t proto;      /* default IPPROTO_UDP */
	uint8_t opt_words;  /* IPv4 option words (ihl = 5 + opt_words) */
	uint16_t frag;      /* frag_off field, host order */
	uint16_t dport;     /* default VIP_PORT */
	const char *daddr;  /* default VIP */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned build_l2(uint8_t *p, const struct spec *s)
{
	static const uint8_t dst[6] = { 0x02, 0, 0x5e, 0, 0, 1 }, src[6] = { 0x02, 0, 0x5e, 0, 0, 2 };
	unsigned off = 12;

	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	if (s->vlan_type) {
		put16(p + off, s->vlan_type);
		put16(p + off + 2, 100); /* VLAN id */
		off += 4;
	}
	put16(p + off, s->eth_type ? s->eth_type : ETH_P_IP);
	return off + 2;
}

/* Written byte by byte: after an odd-sized tag nothing here is aligned. */
static unsigned build_ipv4(uint8_t *p, const struct spec *s, unsigned l4len)
{
	unsigned hlen = 20 + 4u * s->opt_words;

	memset(p, 0, hlen);
	p[0] = (uint8_t)(0x40 | hlen / 4);
	put16(p + 2, (uint16_t)(hlen + l4len));
	put16(p + 6, s->frag);
	p[8] = 64; /* TTL */
	p[9] = s->proto ? s->proto : IPPROTO_UDP;
	inet_pton(AF_INET, "198.51.100.1", p + 12);
	inet_pton(AF_INET, s->daddr ? s->daddr : VIP, p + 16);
	memset(p + 20, 1, hlen - 20); /* NOP options */
	return hlen;
}

static struct frame build(const struct spec *s)
{
	static const char payload[] = "OPTIONS sip:x SIP/2.0\r\n\r\n";
	unsigned l4len = 8 + sizeof(payload) - 1;
	struct frame f = { .len = 0 };
	unsigned l3 = build_l2(f.b, s);
	uint8_t *l4 = f.b + l3 + build_ipv4(f.b + l3, s, l4len);

	put16(l4, 5060);
	put16(l4 + 2, s->dport ? s->dport : VIP_PORT);
	put16(l4 + 4, (uint16_t)l4len);
	put16(l4 + 6, 0); /* no checksum */
	memcpy(l4 + 8, payload, sizeof(payload) - 1);
	f.len = (unsigned)(l4 + l4len - f.b);
	return f;
}

static struct frame arp(void)
{
	struct spec s = { .eth_type = ETH_P_ARP };
	struct frame f = { .len = 0 };
	unsigned off = build_l2(f.b, &s);

	/* Ethernet/IPv4 who-has VIP, from 198.51.100.1. */
	static const uint8_t body[28] = { 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0x5e, 0, 0, 2,
					  198, 51, 100, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 100 };
	memcpy(f.b + off, body, sizeof(body));
	f.len = off + sizeof(body);
	return f;
}

static const char *verdict_name(unsigned v)
{
	static const char *const names[] = { "ABORTED", "DROP", "PASS", "TX", "REDIRECT" };

	return v < 5 ? names[v] : "?";
}

static void check_verdict(int prog_fd, struct frame f, unsigned want, const char *what)
{
	uint8_t out[FRAME_MAX + 64];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f.b, .data_size_in = f.len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	int err = bpf_prog_test_run_opts(prog_fd, &opts);

	CHECK(err >= 0, "%s: test run: %s", what, strerror(-err));
	if (err >= 0)
		CHECK_SHOW(opts.retval == want, "%s (%u bytes): %s, want %s", what, f.len,
			   verdict_name(opts.retval), verdict_name(want));
}

static struct frame cut(struct frame f, unsigned len)
{
	f.len = len;
	return f;
}

/* Frames to the VIP port, and what must happen to them. */
static void check_steered(int fd, unsigned hit)
{
	struct spec udp = { 0 }, q = { .vlan_type = ETH_P_8021Q },
		    ad = { .vlan_type = ETH_P_8021AD }, opts = { .opt_words = 3 },
		    opts_max = { .opt_words = 10 };

	check_verdict(fd, build(&udp), hit, "UDP to VIP:5060");
	check_verdict(fd, build(&q), hit, "802.1Q-tagged UDP to VIP:5060");
	check_verdict(fd, build(&ad), hit, "802.1ad-tagged UDP to VIP:5060");
	check_verdict(fd, build(&opts), hit, "IPv4 with 12 bytes of options to VIP:5060");
	check_verdict(fd, build(&opts_max), hit, "IPv4 with 40 bytes of options to VIP:5060");
}

static void check_passed(int fd)
{
	struct spec other_port = { .dport = VIP_PORT + 1 }, other_addr = { .daddr = "192.0.2.101" },
		    icmp = { .proto = IPPROTO_ICMP }, tcp = { .proto = IPPROTO_TCP },
		    first_frag = { .frag = 0x2000 }, later_frag = { .frag = 0x0003 },
		    ipv6 = { .eth_type = ETH_P_IPV6 }, q = { .vlan_type = ETH_P_8021Q };
	struct frame f = build(&(struct spec){ 0 }), ft = build(&q);
	struct frame bad_ihl = f, long_tot = f;

	check_verdict(fd, build(&other_port), XDP_PASS, "UDP to VIP:5061");
	check_verdict(fd, build(&other_addr), XDP_PASS, "UDP to another address:5060");
	check_verdict(fd, arp(), XDP_PASS, "ARP request for the VIP");
	check_verdict(fd, build(&icmp), XDP_PASS, "ICMP to VIP");
	check_verdict(fd, build(&tcp), XDP_PASS, "TCP to VIP:5060");
	check_verdict(fd, build(&first_frag), XDP_PASS, "first fragment (MF) to VIP:5060");
	check_verdict(fd, build(&later_frag), XDP_PASS, "later fragment to VIP:5060");
	check_verdict(fd, build(&ipv6), XDP_PASS, "EtherType IPv6");
	bad_ihl.b[14] = 0x44; /* ihl 4: shorter than the fixed header */
	check_verdict(fd, bad_ihl, XDP_PASS, "IPv4 ihl 4");
	long_tot.b[16] = 0x05; /* tot_len 1280+: more than the frame holds */
	check_verdict(fd, long_tot, XDP_PASS, "IPv4 total length beyond the frame");

	/* BPF_PROG_TEST_RUN refuses frames under ETH_HLEN (EINVAL), as no NIC
	 * delivers them: the shortest truncation is a bare Ethernet header. */
	check_verdict(fd, cut(f, 14), XDP_PASS, "truncated: Ethernet header only");
	check_verdict(fd, cut(ft, 16), XDP_PASS, "truncated: inside the VLAN tag");
	check_verdict(fd, cut(f, 14 + 19), XDP_PASS, "truncated: inside the IPv4 header");
	check_verdict(fd, cut(build(&(struct spec){ .opt_words = 3 }), 14 + 28), XDP_PASS,
		      "truncated: inside the IPv4 options");
	check_verdict(fd, cut(f, 14 + 20 + 7), XDP_PASS, "truncated: inside the UDP header");
}

/* The object as DPDK's af_xdp PMD opens it: its first program is the one it
 * attaches, and it puts its sockets in the map named xsks_map. */
static void check_object(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	unsigned n_progs = 0;

	CHECK(obj, "open %s: %s", path, strerror(errno));
	if (!obj)
		return;
	bpf_object__for_each_program(prog, obj)
		n_progs++;
	CHECK_SHOW(n_progs == 1 && bpf_object__find_map_by_name(obj, "xsks_map") &&
		   bpf_object__find_map_by_name(obj, SLB_STEER_MAP),
		   "%s: %u program(s), xsks_map and " SLB_STEER_MAP, path, n_progs);
	bpf_object__close(obj);
}

static int add_vip(struct xdp_steer *skel)
{
	struct slb_steer_key key = { .port = htons(VIP_PORT) };
	uint8_t one = 1;

	inet_pton(AF_INET, VIP, &key.addr);
	return bpf_map__update_elem(skel->maps.steer_vips, &key, sizeof(key), &one, sizeof(one),
				    BPF_ANY);
}

/*
 * An XSKMAP entry takes any AF_XDP socket, bound or not, and a test run
 * never performs the redirect (it only reports the verdict), so an unbound
 * socket in slot 0 (the test run's rx_queue_index) is enough to see
 * XDP_REDIRECT. With the slot empty, bpf_redirect_map() returns its
 * fallback, XDP_PASS: the behaviour while siplb-dp has no socket on a queue.
 */
static int add_socket(struct xdp_steer *skel)
{
	uint32_t slot = 0;
	int fd = socket(AF_XDP, SOCK_RAW, 0);

	if (fd < 0)
		return -errno;
	if (bpf_map__update_elem(skel->maps.xsks_map, &slot, sizeof(slot), &fd, sizeof(fd),
				 BPF_ANY) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct xdp_steer *skel;
	int prog_fd, xsk;

	if (argc != 2) {
		fprintf(stderr, "usage: %s XDP_STEER_O\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		printf("SKIP: needs root (loads an XDP program)\n");
		return EXIT_SKIP;
	}
	check_object(argv[1]);
	skel = xdp_steer__open_and_load();
	if (!skel) {
		printf("FAIL: cannot load xdp_steer: %s\n", strerror(errno));
		return 1;
	}
	prog_fd = bpf_program__fd(skel->progs.xdp_steer);
	if (add_vip(skel) < 0) {
		printf("FAIL: steer_vips update: %s\n", strerror(errno));
		return 1;
	}
	printf("-- xsks_map empty: a VIP hit falls back to the kernel\n");
	check_steered(prog_fd, XDP_PASS);
	xsk = add_socket(skel);
	if (xsk < 0) {
		printf("FAIL: AF_XDP socket into xsks_map: %s\n", strerror(-xsk));
		return 1;
	}
	printf("-- socket on queue 0\n");
	check_steered(prog_fd, XDP_REDIRECT);
	check_passed(prog_fd);
	close(xsk);
	xdp_steer__destroy(skel);
	return check_summary();
}
