// SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause)
/*
 * siplb_xdp_bytes: siplb_xdp with the Call-ID line search done one byte at
 * a time instead of eight (xdp_callid.h, SLB_XDP_SCAN_BYTES). Not shipped:
 * bench/bench_xdp.c measures it beside the real one to show what the word
 * loop buys, and tests/xdp checks that both find the same Call-IDs.
 */
#define SLB_XDP_SCAN_BYTES 1
#include "siplb_xdp.bpf.c"
