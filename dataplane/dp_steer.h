/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The af_xdp ports' XDP program (bpf/xdp_steer.bpf.c), loaded by the af_xdp
 * PMD through its xdp_prog= option: UDP to a proxy-mode VIP goes to the
 * AF_XDP socket of its RX queue (xsks_map), everything else (ARP, ICMP, SSH,
 * other UDP) to the kernel. siplb-dp fills the program's VIP map after the
 * port starts.
 */
#ifndef SIPLB_DP_STEER_H
#define SIPLB_DP_STEER_H

#include <stddef.h>
#include <stdint.h>

#include "siplb/state.h"
#include "siplb/steer.h"

/* Finds the program attached to iface and puts the proxy-mode VIPs of vips in
 * its steer_vips map (replacing what was there). -1 with a reason. */
int slb_steer_set_vips(const char *iface, const struct slb_vip *vips, unsigned n,
		       char *err, size_t errlen);

#endif
