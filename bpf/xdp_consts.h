/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Constants of the XDP fast path (siplb_xdp.bpf.c) that are not part of the
 * contract with user space (that is include/siplb/xdp.h): protocol numbers
 * the UAPI headers spell differently, header sizes, limits of the parser.
 */
#ifndef SIPLB_BPF_XDP_CONSTS_H
#define SIPLB_BPF_XDP_CONSTS_H

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

#define SLB_ETH_ALEN 6
#define SLB_ETH_HLEN 14
#define SLB_VLAN_HLEN 4
#define SLB_MAX_VLAN_TAGS 2     /* 802.1Q, or 802.1ad + 802.1Q (QinQ) */
#define SLB_IPV4_HLEN 20        /* without options */
#define SLB_IPV6_HLEN 40
#define SLB_UDP_HLEN 8
#define SLB_GUE_HLEN 4          /* GUE variant 0 header without options */

#define SLB_IPV4_DF 0x4000      /* don't fragment (host order) */
#define SLB_IPV4_MF 0x2000      /* more fragments */
#define SLB_IPV4_OFFSET 0x1fff  /* fragment offset, 8-byte units */

#define SLB_IPPROTO_IPIP 4      /* IPv4 in IP */
#define SLB_IPPROTO_IPV6 41     /* IPv6 in IP */
#define SLB_IPPROTO_UDP 17
#define SLB_IPPROTO_FRAGMENT 44 /* IPv6 fragment header */

#define SLB_OUTER_TTL 64        /* TTL / hop limit of the encapsulating header */

/*
 * Every offset into the frame the Call-ID search computes stays below this:
 * headers (at most 14 + 8 + 60 + 8 bytes) plus the window. Masking an offset
 * with SLB_PKT_OFF_MASK never changes it, but gives the verifier the bound it
 * needs for a variable-offset packet access (it refuses offsets it cannot
 * bound below 64 KiB).
 */
#define SLB_PKT_OFF_MASK 0xfff

/* SLB_MAGLEV_EMPTY of include/siplb/maglev.h (a user-space header): a
 * table slot no backend holds. tests/xdp asserts that the two agree. */
#define SLB_XDP_MAGLEV_EMPTY 0xffffffffu

/* Data path limits derived from include/siplb/xdp.h */
#define SLB_XDP_WINDOW_WORDS ((SLB_XDP_CALLID_WINDOW + 7) / 8)

/* XSKMAP size: RX queues of a port (as bpf/xdp_steer.bpf.c). */
#define SLB_XSK_MAX_QUEUES 256

/*
 * IPv4 fragments steered to siplb-dp (docs/xdp.md, "Fragments"): a first
 * fragment steered is remembered this long, so that the later fragments of
 * its datagram (no UDP header) follow it; a datagram whose fragments take
 * longer is not one SIP can use (its sender has retransmitted by then: T1 is
 * 500 ms). Not below siplb-dp's reassembly time (SLB_DP_REASM_MS, 1 s), so
 * that every fragment siplb-dp could still use reaches it. At most
 * SLB_XDP_FRAG_ENTRIES datagrams are remembered (an LRU: the oldest is
 * forgotten first), enough for that many within the timeout.
 */
#define SLB_XDP_FRAG_TIMEOUT_NS 2000000000ULL
#define SLB_XDP_FRAG_ENTRIES 16384

/* Fragment kinds (struct slb_pkt.frag): as enum slb_xdp_steer counts them. */
#define SLB_FRAG_NONE SLB_XDP_STEER_WHOLE
#define SLB_FRAG_FIRST SLB_XDP_STEER_FIRST_FRAG
#define SLB_FRAG_LATER SLB_XDP_STEER_LATER_FRAG

#endif
