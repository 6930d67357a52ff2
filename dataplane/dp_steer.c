/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slb_steer_set_vips() (dp_steer.h): the af_xdp PMD loads and attaches the
 * steering program itself (xdp_prog=), so siplb-dp holds no handle on it and
 * finds its map through the interface: the attached program's id, the ids
 * of the maps it uses, the one named steer_vips.
 */
#include "dp_steer.h"

#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#define PROG_MAX_MAPS 64 /* the kernel's limit of maps per program (MAX_USED_MAPS) */

/* The id of the program attached to ifindex. With both a native and a
 * generic one attached, the native one: it sees the packets first, and it is
 * what the af_xdp PMD attaches on a driver with XDP support. */
static int xdp_prog_id(int ifindex, const char *iface, __u32 *id, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ret = bpf_xdp_query(ifindex, 0, &q);

	if (ret < 0) {
		snprintf(err, errlen, "steer: cannot query the XDP program of %s: %s", iface,
			 strerror(-ret));
		return -1;
	}
	if (q.attach_mode == XDP_ATTACHED_MULTI)
		*id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	else
		*id = q.prog_id;
	if (*id == 0) {
		snprintf(err, errlen, "steer: no XDP program on %s: was its af_xdp port started "
			 "with xdp_prog=<xdp_steer.o>?", iface);
		return -1;
	}
	return 0;
}

/* The map's fd when map_id is a steer_vips map of the expected layout, -1
 * when it has another name, -2 (with a reason) when it is one but unusable. */
static int steer_map_check(__u32 map_id, const char *iface, char *err, size_t errlen)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int fd = bpf_map_get_fd_by_id(map_id);

	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
		snprintf(err, errlen, "steer: cannot open map %u of the XDP program on %s: %s",
			 map_id, iface, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -2;
	}
	if (strcmp(info.name, SLB_STEER_MAP) != 0) {
		close(fd);
		return -1;
	}
	if (info.type != BPF_MAP_TYPE_HASH || info.key_size != sizeof(struct slb_steer_key) ||
	    info.value_size != sizeof(__u8) || info.max_entries != SLB_STEER_MAX) {
		snprintf(err, errlen, "steer: map " SLB_STEER_MAP " on %s is type %u, %u x %u+%u "
			 "bytes, expected a hash, %d x %zu+1: a program of another siplb "
			 "version?", iface, info.type, info.max_entries, info.key_size,
			 info.value_size, SLB_STEER_MAX, sizeof(struct slb_steer_key));
		close(fd);
		return -2;
	}
	return fd;
}

/* The fd of program prog_id's steer_vips map, -1 with a reason. */
static int steer_map_fd(__u32 prog_id, const char *iface, char *err, size_t errlen)
{
	__u32 ids[PROG_MAX_MAPS];
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int prog_fd = bpf_prog_get_fd_by_id(prog_id);
	int fd = -1;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = PROG_MAX_MAPS;
	info.map_ids = (__u64)(unsigned long)ids;
	if (prog_fd < 0 || bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0) {
		snprintf(err, errlen, "steer: cannot open XDP program %u on %s: %s", prog_id,
			 iface, strerror(errno));
		if (prog_fd >= 0)
			close(prog_fd);
		return -1;
	}
	close(prog_fd);
	for (__u32 i = 0; i < info.nr_map_ids && i < PROG_MAX_MAPS && fd == -1; i++)
		fd = steer_map_check(ids[i], iface, err, errlen);
	if (fd == -1)
		snprintf(err, errlen, "steer: XDP program %u (%s) on %s has no " SLB_STEER_MAP
			 " map: is this siplb's xdp_steer program?", prog_id, info.name, iface);
	return fd < 0 ? -1 : fd;
}

static bool key_in(const struct slb_steer_key *k, const struct slb_steer_key *set, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (k->addr == set[i].addr && k->port == set[i].port)
			return true;
	return false;
}

/* The keys of the proxy-mode VIPs; -1 when there are more than max. */
static int wanted_keys(const struct slb_vip *vips, unsigned n, struct slb_steer_key *keys,
		       unsigned max)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (vips[i].addr == 0 || vips[i].mode != SLB_MODE_PROXY)
			continue;
		if (k == max)
			return -1;
		memset(&keys[k], 0, sizeof(keys[k]));
		keys[k].addr = vips[i].addr;
		keys[k].port = vips[i].port;
		k++;
	}
	return (int)k;
}

/* Stale keys go first, then the wanted ones are written over the kept ones:
 * a VIP that stays is never missing from the map, so none of its packets
 * reach the kernel meanwhile. */
static int steer_fill(int fd, const struct slb_steer_key *keys, unsigned n, const char *iface,
		      char *err, size_t errlen)
{
	struct slb_steer_key old[SLB_STEER_MAX], k;
	unsigned n_old = 0;
	const __u8 one = 1;
	void *prev = NULL;

	while (n_old < SLB_STEER_MAX && bpf_map_get_next_key(fd, prev, &k) == 0) {
		old[n_old] = k;
		prev = &old[n_old++];
	}
	for (unsigned i = 0; i < n_old; i++)
		if (!key_in(&old[i], keys, n) && bpf_map_delete_elem(fd, &old[i]) < 0 &&
		    errno != ENOENT)
			goto fail;
	for (unsigned i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &keys[i], &one, BPF_ANY) < 0)
			goto fail;
	return 0;
fail:
	snprintf(err, errlen, "steer: cannot update " SLB_STEER_MAP " on %s: %s", iface,
		 strerror(errno));
	return -1;
}

int slb_steer_set_vips(const char *iface, const struct slb_vip *vips, unsigned n,
		       char *err, size_t errlen)
{
	struct slb_steer_key keys[SLB_STEER_MAX];
	unsigned ifindex = if_nametoindex(iface);
	int n_keys, fd, ret;
	__u32 prog_id;

	if (ifindex == 0) {
		snprintf(err, errlen, "steer: interface %s: %s", iface, strerror(errno));
		return -1;
	}
	n_keys = wanted_keys(vips, n, keys, SLB_STEER_MAX);
	if (n_keys < 0) {
		snprintf(err, errlen, "steer: more than %d proxy-mode VIPs", SLB_STEER_MAX);
		return -1;
	}
	if (xdp_prog_id((int)ifindex, iface, &prog_id, err, errlen) < 0)
		return -1;
	fd = steer_map_fd(prog_id, iface, err, errlen);
	if (fd < 0)
		return -1;
	ret = steer_fill(fd, keys, (unsigned)n_keys, iface, err, errlen);
	close(fd);
	return ret;
}
