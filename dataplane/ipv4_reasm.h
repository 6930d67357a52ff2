/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 reassembly for siplb-dp: the fragments of a datagram to a proxy VIP
 * are copied into one buffer per datagram, which the proxy then edits in
 * place like any frame. Pure C without DPDK, so it is unit tested on plain
 * buffers; the caller brings the clock and the memory.
 *
 * Why not DPDK's librte_ip_frag: it keeps at most RTE_LIBRTE_IP_FRAG_MAX_FRAG
 * fragments per datagram, 8 in Debian's build (11,840 bytes at MTU 1500),
 * and a 65,507-byte datagram comes in 45; it also holds the fragments' mbufs,
 * so a flood of fragments that never complete drains the RX pool. Here every
 * fragment's mbuf is freed as soon as its bytes are copied, and the datagram
 * comes out contiguous, as the in-place editor needs it (an mbuf could not
 * hold it: buf_len is 16 bits, the frame is up to 65,549 bytes).
 *
 * Bounds: SLB_REASM_SLOTS datagrams at a time per worker, each in a buffer
 * of SLB_REASM_BUF bytes (about 2.1 MB per worker in all). A datagram not
 * whole by its deadline is dropped (its fragments count as frag_timeout); a
 * new datagram when every slot is taken evicts the one with the nearest
 * deadline (frag_dropped). Like Linux since 4.19, a fragment that overlaps
 * one already there drops the whole datagram, as do a datagram past 65,535
 * bytes, a fragment other than the last whose length is not a multiple of
 * 8, and a second last fragment (all frag_dropped).
 */
#ifndef SIPLB_IPV4_REASM_H
#define SIPLB_IPV4_REASM_H

#include <stdbool.h>
#include <stdint.h>

#include "siplb/proxy.h"
#include "siplb/state.h"

#define SLB_REASM_SLOTS 32
/* Room the editor can grow the frame into, before and after it: more than
 * siplb's additions (Via, Record-Route, received, rport: about 250 bytes). */
#define SLB_REASM_HEADROOM 128
#define SLB_REASM_TAILROOM 384
#define SLB_REASM_HDR_MAX (14 + 60)         /* Ethernet + IPv4 with options */
#define SLB_REASM_PAYLOAD_MAX (65535 - 20) /* IPv4 payload, with a bare header */
#define SLB_REASM_PAYLOAD_AT (SLB_REASM_HEADROOM + SLB_REASM_HDR_MAX)
#define SLB_REASM_BUF (SLB_REASM_PAYLOAD_AT + SLB_REASM_PAYLOAD_MAX + SLB_REASM_TAILROOM)

/* One datagram being reassembled. */
struct slb_reasm_slot {
	uint32_t saddr, daddr;  /* with id and protocol: the key (RFC 791) */
	uint16_t id;
	uint8_t proto;
	uint8_t hdr_len;        /* the first fragment's Ethernet + IPv4 header; 0: not yet */
	uint32_t n_frags;
	uint32_t have;          /* payload bytes received */
	uint32_t total;         /* payload length, once the last fragment came; else 0 */
	uint32_t max_end;       /* the end of the farthest fragment */
	uint64_t deadline;      /* the caller's clock */
	uint64_t units[(SLB_REASM_PAYLOAD_MAX / 8 + 64) / 64]; /* 8-byte units received */
	uint8_t *buf;           /* SLB_REASM_BUF bytes; payload at SLB_REASM_PAYLOAD_AT */
	bool used;
};

struct slb_reasm {
	uint64_t timeout;       /* the caller's clock units */
	unsigned used;          /* slots in use: expiry skips an empty table */
	struct slb_reasm_slot slot[SLB_REASM_SLOTS];
};

/* Sets t up over mem: SLB_REASM_SLOTS * SLB_REASM_BUF bytes, the caller's. */
void slb_reasm_init(struct slb_reasm *t, uint8_t *mem, uint64_t timeout);

/*
 * Adds one fragment: frame is Ethernet + an IPv4 fragment whose header
 * (version, length, total length within len) the caller checked. True when
 * it completes its datagram: *whole is then the datagram as a frame (not a
 * fragment any more), in t's memory until the next call. Drops are counted
 * in st.
 */
bool slb_reasm_add(struct slb_reasm *t, const uint8_t *frame, uint64_t now,
		   struct slb_lcore_stats *st, struct slb_frame *whole);

/* Drops the datagrams past their deadline (frag_timeout). */
void slb_reasm_expire(struct slb_reasm *t, uint64_t now, struct slb_lcore_stats *st);

#endif
