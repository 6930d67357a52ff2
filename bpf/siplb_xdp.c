/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The loader of the XDP fast path, beside its program (siplb_xdp.bpf.c):
 * loading it from its skeleton and attaching it (include/siplb/xdp_attach.h).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "siplb_xdp.skel.h"
#include "siplb/state.h"
#include "siplb/steer.h"
#include "siplb/xdp.h"
#include "siplb/xdp_attach.h"

#define XSKS_MAP "xsks_map"
/*
 * siplb's program: the skeleton's member and, as a string, the name the
 * kernel gives it (bpf_prog_info.name), which tells it from other programs.
 * One identifier for both, the function's name in siplb_xdp.bpf.c.
 */
#define PROG siplb_xdp
#define STR_(x) #x
#define STR(x) STR_(x)
#define PROG_NAME STR(PROG)
_Static_assert(sizeof(PROG_NAME) <= BPF_OBJ_NAME_LEN, "the kernel keeps the whole name");
/* The af_xdp PMD's placeholder (bpf/xdp_steer.bpf.c), siplb's as well. */
#define PLACEHOLDER "xdp_steer"
#define PROG_MAX_MAPS 64 /* the kernel's limit of maps per program (MAX_USED_MAPS) */

/* What an interface has in one mode. */
struct attached {
	uint32_t id;  /* 0: nothing */
	bool generic;
	int fd;       /* of the program, when id != 0 */
	struct bpf_prog_info info;
	uint32_t map_ids[PROG_MAX_MAPS];
};

static int iface_index(const char *iface, char *err, size_t errlen)
{
	unsigned i = if_nametoindex(iface);

	if (!i)
		snprintf(err, errlen, "xdp: interface %s: %s", iface, strerror(errno));
	return (int)i;
}

static void close_attached(struct attached *a)
{
	if (a->id && a->fd >= 0)
		close(a->fd);
	a->id = 0;
	a->fd = -1;
}

/* The program on ifindex: with both a native and a generic one (rare: two
 * tools), it is refused, as neither is clearly the one to manage. */
static int query(int ifindex, const char *iface, struct attached *a, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	uint32_t len = sizeof(a->info);
	int ret = bpf_xdp_query(ifindex, 0, &q);

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	if (ret < 0) {
		snprintf(err, errlen, "xdp: cannot query the XDP program of %s: %s", iface,
			 strerror(-ret));
		return -1;
	}
	if (q.attach_mode == XDP_ATTACHED_MULTI || q.attach_mode == XDP_ATTACHED_HW) {
		snprintf(err, errlen, "xdp: %s has XDP programs in more than one mode (or "
			 "offloaded): detach them first (ip link set dev %s xdp off; ... "
			 "xdpgeneric off)", iface, iface);
		return -1;
	}
	if (q.attach_mode == XDP_ATTACHED_NONE)
		return 0;
	a->id = q.prog_id;
	a->generic = q.attach_mode == XDP_ATTACHED_SKB;
	a->fd = bpf_prog_get_fd_by_id(a->id);
	a->info.nr_map_ids = PROG_MAX_MAPS;
	a->info.map_ids = (uint64_t)(unsigned long)a->map_ids;
	if (a->fd < 0 || bpf_obj_get_info_by_fd(a->fd, &a->info, &len)) {
		snprintf(err, errlen, "xdp: cannot open XDP program %u on %s: %s", a->id, iface,
			 strerror(errno));
		close_attached(a);
		return -1;
	}
	return 0;
}

static void tag_hex(const uint8_t *tag, char *buf)
{
	for (int i = 0; i < 8; i++)
		sprintf(buf + 2 * i, "%02x", tag[i]);
}

/* Whether a is siplb's; when not, err says whose it is and what to do. */
static int check_ours(const struct attached *a, const char *iface, char *err, size_t errlen)
{
	char tag[17];

	if (!strcmp(a->info.name, PROG_NAME))
		return 0;
	tag_hex(a->info.tag, tag);
	snprintf(err, errlen, "xdp: %s has XDP program %u '%s' (tag %s, loaded by uid %u), "
		 "which is not siplb's '%s': left in place. If siplb should have %s, detach it "
		 "first (ip link set dev %s %s off)", iface, a->id, a->info.name, tag,
		 a->info.created_by_uid, PROG_NAME, iface, iface, a->generic ? "xdpgeneric" : "xdp");
	return -1;
}

static uint32_t mode_flag(bool generic)
{
	return generic ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

/* Puts prog_fd on ifindex: in place of old (atomically) or where there is none. */
static int xdp_set(int ifindex, const char *iface, int prog_fd, const struct attached *old,
		   bool generic, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = old ? old->fd : 0);
	uint32_t flags = mode_flag(generic) | (old ? XDP_FLAGS_REPLACE : XDP_FLAGS_UPDATE_IF_NOEXIST);
	int ret = bpf_xdp_attach(ifindex, prog_fd, flags, &o);

	if (!ret)
		return 0;
	snprintf(err, errlen, "xdp: attaching to %s in %s mode: %s%s", iface,
		 generic ? "generic" : "native", strerror(-ret),
		 ret == -EOPNOTSUPP && !generic ?
		 " (the driver has no native XDP: xdp.mode = \"generic\" runs it in the kernel's "
		 "slower generic path)" :
		 ret == -EEXIST || ret == -EBUSY ? " (another program was attached meanwhile)" : "");
	return -1;
}

static int xdp_unset(int ifindex, const char *iface, const struct attached *old,
		     char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = old->fd);
	int ret = bpf_xdp_detach(ifindex, mode_flag(old->generic) | XDP_FLAGS_REPLACE, &o);

	if (!ret)
		return 0;
	snprintf(err, errlen, "xdp: detaching program %u from %s: %s", old->id, iface,
		 strerror(-ret));
	return -1;
}

/* A map of the object that siplbd pins: its pin name (state.h, xdp.h) and
 * the fd of the pinned one in m. */
struct pinned {
	struct bpf_map *map;
	const char *name;
	int fd;
};

enum { N_PINNED = 3 + SLB_XDP_MAP_COUNT };

/* The skeleton's maps for the pinned ones, in the order of state_maps.h. */
static void pinned_maps(const struct siplb_xdp *skel, const struct slb_maps *m,
			struct pinned *p)
{
	struct bpf_map *xdp[SLB_XDP_MAP_COUNT] = {
		[SLB_XDP_MAP_STATS] = skel->maps.xdp_stats,
		[SLB_XDP_MAP_NEXTHOP] = skel->maps.nexthop,
		[SLB_XDP_MAP_SRC_RATE] = skel->maps.src_rate,
		[SLB_XDP_MAP_VIP_RATE] = skel->maps.vip_rate,
		[SLB_XDP_MAP_BLOCK4] = skel->maps.block4,
		[SLB_XDP_MAP_BLOCK6] = skel->maps.block6,
		[SLB_XDP_MAP_PORT_MAC] = skel->maps.port_mac,
		[SLB_XDP_MAP_RULE_SRC] = skel->maps.rule_src,
		[SLB_XDP_MAP_RULE_RATE] = skel->maps.rule_rate,
		[SLB_XDP_MAP_RULE_HITS] = skel->maps.rule_hits,
	};

	p[0] = (struct pinned){skel->maps.control, SLB_MAP_CONTROL, m->fd[0]};
	p[1] = (struct pinned){skel->maps.state, SLB_MAP_STATE, m->fd[1]};
	p[2] = (struct pinned){skel->maps.maglev, SLB_MAP_MAGLEV, m->fd[2]};
	for (int i = 0; i < SLB_XDP_MAP_COUNT; i++)
		p[3 + i] = (struct pinned){xdp[i], slb_xdp_map_name((enum slb_xdp_map)i),
					   m->xdp_fd[i]};
}

static bool is_pinned(const struct bpf_map *map, const struct pinned *p)
{
	for (int i = 0; i < N_PINNED; i++)
		if (p[i].map == map)
			return true;
	return false;
}

/*
 * The object's maps against the pinned ones of state_maps.h: each under its
 * pin name, and no map besides them but the object's own (frags, scratch,
 * xsks_map, .rodata). A map added to the program and not to state_maps.h
 * would otherwise stay the object's, and siplbd would never see it.
 */
static int check_maps(const struct siplb_xdp *skel, const struct pinned *p, char *err,
		      size_t errlen)
{
	struct bpf_map *map;

	for (int i = 0; i < N_PINNED; i++)
		if (!p[i].map || strcmp(bpf_map__name(p[i].map), p[i].name))
			return snprintf(err, errlen, "xdp: the program has no map %s, which "
					"siplbd pins (state_maps.h)", p[i].name), -1;
	bpf_object__for_each_map(map, skel->obj)
		if (!is_pinned(map, p) && map != skel->maps.frags && map != skel->maps.scratch &&
		    map != skel->maps.xsks_map && !bpf_map__is_internal(map))
			return snprintf(err, errlen, "xdp: the program's map %s is neither pinned "
					"(state_maps.h) nor its own", bpf_map__name(map)), -1;
	return 0;
}

/* Every map of the object that siplbd pins (and xsks_map when given) is
 * the existing one; the others (frags, scratch, .rodata) stay the object's. */
static int reuse_maps(struct siplb_xdp *skel, const struct slb_maps *m, int xsks_fd,
		      char *err, size_t errlen)
{
	struct pinned p[N_PINNED + 1];

	pinned_maps(skel, m, p);
	if (check_maps(skel, p, err, errlen))
		return -1;
	p[N_PINNED] = (struct pinned){skel->maps.xsks_map, XSKS_MAP, xsks_fd};
	for (int i = 0; i <= N_PINNED; i++) {
		int ret = p[i].fd >= 0 ? bpf_map__reuse_fd(p[i].map, p[i].fd) : 0;

		if (ret) {
			snprintf(err, errlen, "xdp: map %s: %s", p[i].name, strerror(-ret));
			return -1;
		}
	}
	return 0;
}

/* The id of m's control map: which state maps a program serves. */
static int control_id(const struct slb_maps *m, uint32_t *id, char *err, size_t errlen)
{
	struct bpf_map_info mi;
	uint32_t len = sizeof(mi);

	memset(&mi, 0, sizeof(mi));
	if (bpf_obj_get_info_by_fd(m->fd[0], &mi, &len)) {
		snprintf(err, errlen, "xdp: control map info: %s", strerror(errno));
		return -1;
	}
	*id = mi.id;
	return 0;
}

static int fill_ids(struct slb_xdp *x, const struct slb_maps *m, char *err, size_t errlen)
{
	struct bpf_prog_info pi;
	uint32_t plen = sizeof(pi);

	memset(&pi, 0, sizeof(pi));
	if (bpf_obj_get_info_by_fd(x->prog_fd, &pi, &plen)) {
		snprintf(err, errlen, "xdp: program info: %s", strerror(errno));
		return -1;
	}
	x->prog_id = pi.id;
	memcpy(x->tag, pi.tag, sizeof(x->tag));
	return control_id(m, &x->control_id, err, errlen);
}

int slb_xdp_load(const struct slb_maps *m, int xsks_fd, struct slb_xdp *x,
		 char *err, size_t errlen)
{
	int ret;

	memset(x, 0, sizeof(*x));
	x->prog_fd = -1;
	x->skel = siplb_xdp__open();
	if (!x->skel) {
		snprintf(err, errlen, "xdp: cannot open the siplb_xdp skeleton: %s", strerror(errno));
		return -1;
	}
	if (reuse_maps(x->skel, m, xsks_fd, err, errlen))
		goto fail;
	/* siplb-dp's sockets: a miss may mean siplb-dp is restarting (docs/xdp.md) */
	x->skel->rodata->slb_dp_xsks = xsks_fd >= 0;
	ret = siplb_xdp__load(x->skel);
	if (ret) {
		snprintf(err, errlen, "xdp: loading the XDP program: %s%s", strerror(-ret),
			 ret == -EPERM ? " (needs root or CAP_BPF + CAP_NET_ADMIN)" :
			 " (the verifier's log is above)");
		goto fail;
	}
	x->prog_fd = bpf_program__fd(x->skel->progs.PROG);
	if (!fill_ids(x, m, err, errlen))
		return 0;
fail:
	slb_xdp_unload(x);
	return -1;
}

void slb_xdp_unload(struct slb_xdp *x)
{
	siplb_xdp__destroy(x->skel);
	memset(x, 0, sizeof(*x));
	x->prog_fd = -1;
}

static bool uses_map(const struct attached *a, uint32_t map_id)
{
	for (uint32_t i = 0; i < a->info.nr_map_ids && i < PROG_MAX_MAPS; i++)
		if (a->map_ids[i] == map_id)
			return true;
	return false;
}

/* a is x: the same instructions (tag) reading the same maps. */
static bool is_current(const struct attached *a, const struct slb_xdp *x)
{
	return !memcmp(a->info.tag, x->tag, sizeof(x->tag)) && uses_map(a, x->control_id);
}

/* A siplb program in the other mode: out first, as the kernel allows only
 * one mode at a time. Not atomic, so only on a change of xdp.mode. */
static int set_or_replace(int ifindex, const struct slb_xdp *x, const char *iface,
			  const struct attached *old, bool generic, char *err, size_t errlen)
{
	if (old->generic == generic)
		return xdp_set(ifindex, iface, x->prog_fd, old, generic, err, errlen);
	return xdp_unset(ifindex, iface, old, err, errlen) ||
	       xdp_set(ifindex, iface, x->prog_fd, NULL, generic, err, errlen) ? -1 : 0;
}

/*
 * iface's MAC into port_mac before x runs there, so that x passes frames for
 * other hosts to the kernel (include/siplb/xdp.h). An interface without an
 * Ethernet address gets none: x does not check there.
 */
static int note_mac(const struct slb_xdp *x, int ifindex, const char *iface, char *err,
		    size_t errlen)
{
	struct slb_port_mac pm = {.ifindex = (uint32_t)ifindex};
	uint32_t key = (uint32_t)ifindex & (SLB_XDP_PORT_ENTRIES - 1);
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), bad;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	bad = fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr);
	if (!bad && ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER) {
		memcpy(pm.mac, ifr.ifr_hwaddr.sa_data, sizeof(pm.mac));
		bad = bpf_map_update_elem(bpf_map__fd(x->skel->maps.port_mac), &key, &pm, BPF_ANY);
	}
	if (bad)
		snprintf(err, errlen, "xdp: the MAC address of %s into " SLB_MAP_PORT_MAC ": %s",
			 iface, strerror(errno));
	if (fd >= 0)
		close(fd);
	return bad ? -1 : 0;
}

int slb_xdp_attach(const struct slb_xdp *x, const char *iface, bool generic,
		   struct slb_xdp_report *rep, char *err, size_t errlen)
{
	int ifindex = iface_index(iface, err, errlen);
	struct attached a;
	int rc = -1;

	*rep = (struct slb_xdp_report){.new_id = x->prog_id, .generic = generic};
	if (!ifindex || note_mac(x, ifindex, iface, err, errlen) ||
	    query(ifindex, iface, &a, err, errlen))
		return -1;
	rep->old_id = a.id;
	if (!a.id) {
		rep->done = SLB_XDP_ATTACHED;
		rc = xdp_set(ifindex, iface, x->prog_fd, NULL, generic, err, errlen);
	} else if (!check_ours(&a, iface, err, errlen)) {
		bool keep = a.generic == generic && is_current(&a, x);

		rep->done = keep ? SLB_XDP_KEPT : SLB_XDP_REPLACED;
		rc = keep ? 0 : set_or_replace(ifindex, x, iface, &a, generic, err, errlen);
	}
	close_attached(&a);
	return rc;
}

/*
 * Whether siplb-dp may take a down before its af_xdp port starts: the
 * placeholder, or siplb's program on m's state maps. A siplb-dp that runs on
 * these maps holds their reader slots, which this one has claimed: the one
 * that put the program there is gone. siplb's program on other maps serves
 * another siplb; anything else is foreign.
 */
static int check_left(const struct attached *a, const struct slb_maps *m, const char *iface,
		      char *err, size_t errlen)
{
	uint32_t ctl;

	if (!strcmp(a->info.name, PLACEHOLDER))
		return 0;
	if (check_ours(a, iface, err, errlen) || control_id(m, &ctl, err, errlen))
		return -1;
	if (uses_map(a, ctl))
		return 0;
	snprintf(err, errlen, "xdp: %s has siplb's XDP program %u, which serves other state maps "
		 "(another siplbd's bpffs?): left in place. If that siplb is gone, detach it first "
		 "(ip link set dev %s %s off)", iface, a->id, iface, a->generic ? "xdpgeneric" : "xdp");
	return -1;
}

/* Detaches siplb's program from iface; with m, only what check_left allows. */
static int detach(const char *iface, const struct slb_maps *m, struct slb_xdp_report *rep,
		  char *err, size_t errlen)
{
	int ifindex = iface_index(iface, err, errlen);
	struct attached a;
	int rc = 0;

	*rep = (struct slb_xdp_report){.done = SLB_XDP_NOTHING};
	if (!ifindex || query(ifindex, iface, &a, err, errlen))
		return -1;
	if (a.id) {
		*rep = (struct slb_xdp_report){.done = SLB_XDP_DETACHED, .old_id = a.id,
					       .generic = a.generic};
		rc = (m ? check_left(&a, m, iface, err, errlen) : check_ours(&a, iface, err, errlen)) ||
		     xdp_unset(ifindex, iface, &a, err, errlen);
	}
	close_attached(&a);
	return rc ? -1 : 0;
}

int slb_xdp_detach(const char *iface, struct slb_xdp_report *rep, char *err, size_t errlen)
{
	return detach(iface, NULL, rep, err, errlen);
}

int slb_xdp_reclaim(const struct slb_maps *m, const char *iface, struct slb_xdp_report *rep,
		    char *err, size_t errlen)
{
	return detach(iface, m, rep, err, errlen);
}

/* The fd of a's map of that type and name, or -1. */
static int map_of(const struct attached *a, uint32_t type, const char *name)
{
	for (uint32_t i = 0; i < a->info.nr_map_ids && i < PROG_MAX_MAPS; i++) {
		struct bpf_map_info mi;
		uint32_t len = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(a->map_ids[i]);

		memset(&mi, 0, sizeof(mi));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &mi, &len) && mi.type == type &&
		    !strcmp(mi.name, name))
			return fd;
		if (fd >= 0)
			close(fd);
	}
	return -1;
}

/* The fd of a's xsks_map (an XSKMAP of that name), or -1 with a reason. */
static int xsks_of(const struct attached *a, const char *iface, char *err, size_t errlen)
{
	int fd = map_of(a, BPF_MAP_TYPE_XSKMAP, XSKS_MAP);

	if (fd >= 0)
		return fd;
	snprintf(err, errlen, "xdp: XDP program %u '%s' on %s has no XSKMAP named " XSKS_MAP
		 ": not the program the af_xdp PMD loads from xdp_prog=", a->id, a->info.name,
		 iface);
	return -1;
}

/* The proxy VIPs of s into the placeholder's steer_vips (fd). */
static int steer_vips(int fd, const struct slb_state *s, char *err, size_t errlen)
{
	const uint8_t one = 1;

	for (uint32_t i = 0; i < s->n_vips && i < SLB_MAX_VIPS; i++) {
		const struct slb_vip *v = &s->vips[i];
		struct slb_steer_key key = {.addr = v->addr, .port = v->port};

		if (v->mode != SLB_MODE_PROXY || v->family != AF_INET)
			continue;
		if (bpf_map_update_elem(fd, &key, &one, BPF_ANY)) {
			snprintf(err, errlen, "xdp: VIP %s into " SLB_STEER_MAP ": %s", v->name,
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

int slb_xdp_steer_early(const char *iface, const struct slb_state *s, char *err, size_t errlen)
{
	int ifindex = iface_index(iface, err, errlen), fd = -1, rc = 0;
	struct attached a;

	if (!ifindex || query(ifindex, iface, &a, err, errlen))
		return -1;
	if (a.id && !strcmp(a.info.name, PLACEHOLDER))
		fd = map_of(&a, BPF_MAP_TYPE_HASH, SLB_STEER_MAP);
	if (fd >= 0) {
		rc = steer_vips(fd, s, err, errlen);
		close(fd);
	}
	close_attached(&a);
	return rc;
}

int slb_xdp_take_over(const struct slb_maps *m, const char *iface,
		      struct slb_xdp_report *rep, char *err, size_t errlen)
{
	int ifindex = iface_index(iface, err, errlen), xsks = -1, rc = -1;
	struct slb_xdp x = {.prog_fd = -1};
	struct attached a;

	if (!ifindex || query(ifindex, iface, &a, err, errlen))
		return -1;
	if (!a.id)
		snprintf(err, errlen, "xdp: no XDP program on %s: the af_xdp PMD attaches one when "
			 "the port starts with xdp_prog=", iface);
	else if ((xsks = xsks_of(&a, iface, err, errlen)) >= 0 &&
		 !slb_xdp_load(m, xsks, &x, err, errlen) &&
		 !note_mac(&x, ifindex, iface, err, errlen) &&
		 !xdp_set(ifindex, iface, x.prog_fd, &a, a.generic, err, errlen)) {
		*rep = (struct slb_xdp_report){.done = SLB_XDP_REPLACED, .old_id = a.id,
					       .new_id = x.prog_id, .generic = a.generic};
		rc = 0;
	}
	/* Attached, the program lives on without our fds; the PMD keeps xsks_map. */
	slb_xdp_unload(&x);
	if (xsks >= 0)
		close(xsks);
	close_attached(&a);
	return rc;
}

void slb_xdp_describe(const struct slb_xdp_report *rep, const char *iface, char *buf, size_t len)
{
	const char *mode = rep->generic ? "generic" : "native";

	switch (rep->done) {
	case SLB_XDP_NOTHING:
		snprintf(buf, len, "no XDP program on %s", iface);
		break;
	case SLB_XDP_ATTACHED:
		snprintf(buf, len, "attached XDP program %u to %s (%s)", rep->new_id, iface, mode);
		break;
	case SLB_XDP_REPLACED:
		snprintf(buf, len, "replaced XDP program %u by %u on %s (%s)", rep->old_id,
			 rep->new_id, iface, mode);
		break;
	case SLB_XDP_KEPT:
		snprintf(buf, len, "kept XDP program %u on %s (%s): the same program on the same "
			 "maps", rep->old_id, iface, mode);
		break;
	case SLB_XDP_DETACHED:
		snprintf(buf, len, "detached XDP program %u from %s (%s)", rep->old_id, iface, mode);
		break;
	}
}
