/* SPDX-License-Identifier: BSD-3-Clause */
/* The steering map shared by bpf/xdp_steer.bpf.c and siplb-dp. */
#ifndef SIPLB_STEER_H
#define SIPLB_STEER_H

#include <linux/types.h>

#define SLB_STEER_MAP "steer_vips"
#define SLB_STEER_MAX 64

/* A VIP address and UDP port, network order; value: __u8 1. */
struct slb_steer_key {
	__u32 addr;
	__u16 port;
	__u16 pad;
};

#endif
