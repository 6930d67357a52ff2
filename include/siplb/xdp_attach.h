/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP fast path (bpf/siplb_xdp.bpf.c) on interfaces, by its loader
 * beside it (bpf/siplb_xdp.c): loaded from its libbpf skeleton with the
 * pinned maps (state_maps.h) in place of its own, then attached, replaced
 * or detached. siplbd puts it on xdp.interfaces;
 * siplb-dp puts it on its af_xdp ports in place of the program the af_xdp
 * PMD attached, keeping that program's xsks_map, which holds the PMD's
 * sockets.
 *
 * siplb's program is recognised by its name (siplb_xdp, its function's);
 * any other program on an interface is foreign and never replaced or
 * detached. Every change is atomic where the kernel allows it: a program
 * is replaced with XDP_FLAGS_REPLACE and the expected old program, so a
 * program attached by someone else meanwhile is not overwritten.
 */
#ifndef SIPLB_XDP_ATTACH_H
#define SIPLB_XDP_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siplb/state_maps.h"

struct siplb_xdp; /* the skeleton, siplb_xdp.skel.h */

/* The program, loaded and not attached anywhere by itself. */
struct slb_xdp {
	struct siplb_xdp *skel;
	int prog_fd;
	uint32_t prog_id;
	uint8_t tag[8];
	uint32_t control_id; /* id of the control map it reads: which maps it serves */
};

enum slb_xdp_done {
	SLB_XDP_NOTHING,  /* detach: no program was there */
	SLB_XDP_ATTACHED, /* the interface had none */
	SLB_XDP_REPLACED, /* an older siplb program (or the PMD's) gave way */
	SLB_XDP_KEPT,     /* the same program on the same maps was there already */
	SLB_XDP_DETACHED,
};

/* What one attach, detach or take-over did, for the log. */
struct slb_xdp_report {
	enum slb_xdp_done done;
	uint32_t old_id, new_id;
	bool generic;             /* the mode the program runs in (or ran in) */
};

/*
 * Loads the program with the maps of m (control, state, maglev and the XDP
 * maps of xdp.h: bpf_map__reuse_fd) and, when xsks_fd >= 0, that XSKMAP as
 * its xsks_map; otherwise it gets an empty one of its own (proxy-mode VIPs
 * then go to the kernel). -1 with a reason, also when the object's maps
 * are not those state_maps.h pins plus its own.
 */
int slb_xdp_load(const struct slb_maps *m, int xsks_fd, struct slb_xdp *x,
		 char *err, size_t errlen);
void slb_xdp_unload(struct slb_xdp *x);

/*
 * Puts x on iface in native (driver) mode, or generic mode when asked,
 * after recording iface's MAC in port_mac (xdp.h; also on a take-over):
 * attaches it where there is no program, keeps a siplb program that is x
 * already (same instructions, same maps), replaces any other siplb program
 * atomically, and refuses a foreign program (err names it). -1 with a
 * reason.
 */
int slb_xdp_attach(const struct slb_xdp *x, const char *iface, bool generic,
		   struct slb_xdp_report *rep, char *err, size_t errlen);

/* Removes siplb's program from iface, in whatever mode it runs; nothing
 * there is fine, a foreign program is refused. -1 with a reason. */
int slb_xdp_detach(const char *iface, struct slb_xdp_report *rep, char *err, size_t errlen);

/*
 * siplb-dp, before its af_xdp port on iface starts (the PMD attaches only
 * where no program is): removes what a siplb-dp killed without closing the
 * port left there, siplb's program on m's maps or the PMD's placeholder
 * (bpf/xdp_steer.bpf.c). Nothing there is fine (SLB_XDP_NOTHING); siplb's
 * program on other maps, or a foreign one, is refused. -1 with a reason.
 */
int slb_xdp_reclaim(const struct slb_maps *m, const char *iface, struct slb_xdp_report *rep,
		    char *err, size_t errlen);

/*
 * siplb-dp, right after its af_xdp port on iface started: puts the proxy
 * VIPs of s into the placeholder's steer_vips, so that it steers their SIP
 * to the PMD's sockets while siplb's program loads (the verifier takes a
 * few hundred ms), rather than pass it to a kernel that answers ICMP port
 * unreachable. Any other program there is left alone. -1 with a reason.
 */
int slb_xdp_steer_early(const char *iface, const struct slb_state *s, char *err, size_t errlen);

/*
 * siplb-dp, after its af_xdp port on iface started: replaces the program the
 * PMD attached (from xdp_prog=) by siplb's, loaded with m and the PMD's
 * xsks_map, in the same mode, atomically. -1 with a reason.
 */
int slb_xdp_take_over(const struct slb_maps *m, const char *iface,
		      struct slb_xdp_report *rep, char *err, size_t errlen);

/* "replaced XDP program 41 by 42 on eth0 (native)" and the like. */
void slb_xdp_describe(const struct slb_xdp_report *rep, const char *iface,
		      char *buf, size_t len);

#endif
