/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_xdp_helper: the parts of test_xdp_ns.py that need C.
 *
 *   test_xdp_helper foreign IFACE
 *       attaches a program that is not siplb's ("foreign_fw", XDP_PASS) to
 *       IFACE in native mode and leaves it there: what siplbd must refuse
 *       to replace or detach.
 *   test_xdp_helper takeover IFACE PLACEHOLDER_O BPFFS
 *       does what the af_xdp PMD does with xdp_prog=PLACEHOLDER_O (load the
 *       object, attach it where no program is), then what siplb-dp does
 *       after the port started (slb_xdp_take_over with the maps under
 *       BPFFS), and checks the result: siplb's program on IFACE, in the
 *       placeholder's mode, using the placeholder's xsks_map and the pinned
 *       control map; then detaches it.
 *
 * Prints "ok: ..." and exits 0, or says what failed and exits 1.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "siplb/state_maps.h"
#include "siplb/xdp_attach.h"

static int failures;
#define CHECK_FAILED exit(1)
#include "check.h"

static int foreign(const char *iface)
{
	struct bpf_insn pass[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS},
		{.code = BPF_JMP | BPF_EXIT},
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "foreign_fw", "GPL", pass, 2, NULL);
	int ifindex = (int)if_nametoindex(iface);

	CHECK(fd >= 0 && ifindex, "load or %s: %s", iface, strerror(errno));
	CHECK(!bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL),
	      "attach to %s", iface);
	printf("ok: foreign_fw on %s\n", iface);
	return 0;
}

/* The map ids of program id, and its name. */
static uint32_t prog_maps(uint32_t id, uint32_t *ids, uint32_t max, char *name)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = max;
	info.map_ids = (uint64_t)(unsigned long)ids;
	CHECK(fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len), "program %u: %s", id,
	      strerror(errno));
	close(fd);
	strcpy(name, info.name);
	return info.nr_map_ids;
}

static uint32_t map_id(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	CHECK(!bpf_obj_get_info_by_fd(fd, &info, &len), "map info: %s", strerror(errno));
	return info.id;
}

static bool has(const uint32_t *ids, uint32_t n, uint32_t id)
{
	for (uint32_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* The placeholder's program on iface, as the af_xdp PMD attaches it (no
 * mode flag: the driver's native mode where it has one). */
static struct bpf_object *pmd_attach(const char *iface, const char *obj_path, uint32_t *xsks_id)
{
	struct bpf_object *obj = bpf_object__open_file(obj_path, NULL);
	int ifindex = (int)if_nametoindex(iface);

	CHECK(obj && !bpf_object__load(obj), "load %s: %s", obj_path, strerror(errno));
	*xsks_id = map_id(bpf_object__find_map_fd_by_name(obj, "xsks_map"));
	CHECK(!bpf_xdp_attach(ifindex, bpf_program__fd(bpf_object__next_program(obj, NULL)),
			      XDP_FLAGS_UPDATE_IF_NOEXIST, NULL), "attach the placeholder");
	return obj;
}

static int takeover(const char *iface, const char *obj_path, const char *bpffs)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct slb_xdp_report rep;
	uint32_t xsks_id, ids[64], n;
	struct bpf_object *obj = pmd_attach(iface, obj_path, &xsks_id);
	struct slb_maps m;
	char err[512], name[16], what[256];

	CHECK(!slb_maps_open(bpffs, &m, err, sizeof(err)), "%s", err);
	CHECK(!slb_xdp_take_over(&m, iface, &rep, err, sizeof(err)), "%s", err);
	CHECK(!bpf_xdp_query((int)if_nametoindex(iface), 0, &q) && q.prog_id == rep.new_id &&
	      rep.old_id != rep.new_id && q.attach_mode == XDP_ATTACHED_DRV && !rep.generic,
	      "on %s: program %u mode %u, report %u -> %u", iface, q.prog_id, q.attach_mode,
	      rep.old_id, rep.new_id);
	n = prog_maps(q.prog_id, ids, 64, name);
	CHECK(!strcmp(name, "siplb_xdp") && has(ids, n, xsks_id) && has(ids, n, map_id(m.fd[0])),
	      "program %s: the placeholder's xsks_map %u and the pinned control map", name, xsks_id);
	slb_xdp_describe(&rep, iface, what, sizeof(what));
	bpf_object__close(obj); /* as the PMD closes: the program stays */
	CHECK(!slb_xdp_detach(iface, &rep, err, sizeof(err)) && rep.done == SLB_XDP_DETACHED,
	      "%s", err);
	slb_maps_close(&m);
	printf("ok: %s\n", what);
	return failures;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "foreign"))
		return foreign(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "takeover"))
		return takeover(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: %s foreign IFACE | takeover IFACE PLACEHOLDER_O BPFFS\n", argv[0]);
	return 2;
}
