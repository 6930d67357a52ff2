/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_steer_set WITH_PROG WITHOUT_PROG: slb_steer_set_vips() (dataplane/
 * dp_steer.c) on real interfaces, run by run_steer_set.sh in a namespace of
 * its own where both are the two ends of a veth pair.
 *
 * The steer program is attached (native XDP) to WITH_PROG as the af_xdp PMD
 * would; its map starts with a stale VIP. Then: a proxy and a dsr VIP go in
 * and exactly the proxy one is in the map; the same again changes nothing;
 * an empty set empties it. Errors: no program on WITHOUT_PROG; a program
 * that is not xdp_steer (the Call-ID hash probe) on it; a missing interface.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "callid_hash_probe.skel.h"
#include "dp_steer.h"
#include "xdp_steer.skel.h"

#define EXIT_SKIP 77

static int failures;

static void check(bool ok, const char *what, const char *detail)
{
	printf("%s: %s%s%s\n", ok ? "ok" : "FAIL", what, detail ? ": " : "",
	       detail ? detail : "");
	if (!ok)
		failures++;
}

static struct slb_vip vip(const char *addr, uint16_t port, enum slb_vip_mode mode)
{
	struct slb_vip v = { .port = htons(port), .mode = (uint8_t)mode };

	inet_pton(AF_INET, addr, &v.addr);
	snprintf(v.name, sizeof(v.name), "%s-%u", addr, port);
	return v;
}

static struct slb_steer_key key_of(const struct slb_vip *v)
{
	return (struct slb_steer_key){ .addr = v->addr, .port = v->port };
}

/* True when the map holds exactly the n keys of want, each with value 1. */
static bool map_is(int fd, const struct slb_steer_key *want, unsigned n)
{
	struct slb_steer_key k, *prev = NULL, seen[SLB_STEER_MAX];
	unsigned count = 0;
	uint8_t val;

	while (count < SLB_STEER_MAX && bpf_map_get_next_key(fd, prev, &k) == 0) {
		bool found = false;

		for (unsigned i = 0; i < n; i++)
			found |= want[i].addr == k.addr && want[i].port == k.port;
		if (!found || bpf_map_lookup_elem(fd, &k, &val) < 0 || val != 1)
			return false;
		seen[count] = k;
		prev = &seen[count++];
	}
	return count == n;
}

static void check_set(const char *iface, int map_fd)
{
	struct slb_vip vips[] = { vip("192.0.2.100", 5060, SLB_MODE_PROXY),
				  vip("192.0.2.101", 5060, SLB_MODE_DSR) };
	struct slb_steer_key stale = { .port = htons(5070) }, proxy = key_of(&vips[0]);
	uint8_t one = 1;
	char err[256] = "";
	int ret;

	inet_pton(AF_INET, "192.0.2.99", &stale.addr);
	if (bpf_map_update_elem(map_fd, &stale, &one, BPF_ANY) < 0)
		check(false, "stale VIP into the map", strerror(errno));

	ret = slb_steer_set_vips(iface, vips, 2, err, sizeof(err));
	check(ret == 0, "set a proxy and a dsr VIP", ret ? err : NULL);
	check(map_is(map_fd, &proxy, 1), "map holds exactly the proxy VIP", NULL);

	ret = slb_steer_set_vips(iface, vips, 2, err, sizeof(err));
	check(ret == 0 && map_is(map_fd, &proxy, 1), "same set again: unchanged",
	      ret ? err : NULL);

	ret = slb_steer_set_vips(iface, NULL, 0, err, sizeof(err));
	check(ret == 0 && map_is(map_fd, NULL, 0), "empty set: empty map", ret ? err : NULL);
}

/* slb_steer_set_vips on iface must fail with a reason containing want. */
static void check_error(const char *iface, const char *want, const char *what)
{
	struct slb_vip v = vip("192.0.2.100", 5060, SLB_MODE_PROXY);
	char err[256] = "";
	int ret = slb_steer_set_vips(iface, &v, 1, err, sizeof(err));

	check(ret < 0 && strstr(err, want), what, err);
}

static void check_errors(const char *without)
{
	struct callid_hash_probe *probe;
	int ifindex = (int)if_nametoindex(without);
	char want[64];

	snprintf(want, sizeof(want), "no XDP program on %s", without);
	check_error(without, want, "interface without a program");
	check_error("slb-no-such0", "slb-no-such0", "missing interface");

	probe = callid_hash_probe__open_and_load();
	if (!probe || bpf_xdp_attach(ifindex, bpf_program__fd(probe->progs.callid_hash_probe),
				     XDP_FLAGS_DRV_MODE, NULL) < 0) {
		check(false, "attach a foreign XDP program", strerror(errno));
	} else {
		check_error(without, "is this siplb's xdp_steer program?",
			    "interface with another program");
		bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	}
	callid_hash_probe__destroy(probe);
}

int main(int argc, char **argv)
{
	struct xdp_steer *skel;
	int ifindex, err;

	if (argc != 3) {
		fprintf(stderr, "usage: %s WITH_PROG WITHOUT_PROG\n", argv[0]);
		return 2;
	}
	if (geteuid() != 0) {
		printf("SKIP: needs root (attaches XDP programs)\n");
		return EXIT_SKIP;
	}
	ifindex = (int)if_nametoindex(argv[1]);
	skel = xdp_steer__open_and_load();
	if (!ifindex || !skel) {
		printf("FAIL: %s: %s\n", ifindex ? "load xdp_steer" : argv[1], strerror(errno));
		return 1;
	}
	err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xdp_steer),
			     XDP_FLAGS_DRV_MODE, NULL);
	if (err < 0) {
		printf("FAIL: native XDP on %s: %s\n", argv[1], strerror(-err));
		xdp_steer__destroy(skel);
		return 1;
	}
	check_set(argv[1], bpf_map__fd(skel->maps.steer_vips));
	check_errors(argv[2]);
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	xdp_steer__destroy(skel);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
