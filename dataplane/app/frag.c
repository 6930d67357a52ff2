/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames that do not come out of an RX mbuf or do not fit one: IPv4
 * fragments of a frame larger than the MTU, and a reassembled datagram's
 * result copied into an mbuf. A rare path: a copy per byte is fine.
 *
 * Why not rte_ipv4_fragment_packet: it takes an mbuf (a 65,549-byte frame
 * fits none: buf_len is 16 bits) and returns chains of indirect mbufs, which
 * af_xdp's TX cannot send (it copies pkt_len bytes from the first segment).
 * Here each fragment is written whole into one direct mbuf: one copy.
 */
#include <string.h>

#include <rte_ip.h>

#include "siplb_dp.h"

unsigned slb_dp_fragment(struct rte_mempool *pool, const struct slb_frame *f, uint16_t mtu,
			 uint16_t ip_id, struct rte_mbuf **frags)
{
	const uint8_t *ip = f->data + RTE_ETHER_HDR_LEN;
	uint32_t hl = (ip[0] & 0x0f) * 4u, len = f->len - RTE_ETHER_HDR_LEN - hl;
	uint32_t step = (mtu - hl) & ~7u, n = (len + step - 1) / step; /* 8-byte units */

	if (n > SLB_DP_MAX_FRAGS || rte_pktmbuf_alloc_bulk(pool, frags, n))
		return 0;
	for (uint32_t k = 0, off = 0; k < n; k++, off += step) {
		uint32_t part = RTE_MIN(step, len - off);
		uint8_t *d = (uint8_t *)rte_pktmbuf_append(frags[k],
							   (uint16_t)(RTE_ETHER_HDR_LEN + hl + part));
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)(d + RTE_ETHER_HDR_LEN);

		/* options too: RFC 791 lets later fragments drop some, not requires it */
		memcpy(d, f->data, RTE_ETHER_HDR_LEN + hl);
		memcpy(d + RTE_ETHER_HDR_LEN + hl, ip + hl + off, part);
		h->total_length = rte_cpu_to_be_16((uint16_t)(hl + part));
		h->fragment_offset = rte_cpu_to_be_16(
			(uint16_t)(off / 8 | (k + 1 < n ? RTE_IPV4_HDR_MF_FLAG : 0)));
		h->packet_id = ip_id;
		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);
	}
	return n;
}

struct rte_mbuf *slb_dp_frame_copy(struct rte_mempool *pool, const struct slb_frame *f)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *d = m ? rte_pktmbuf_append(m, (uint16_t)f->len) : NULL;

	if (!d) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(d, f->data, f->len);
	return m;
}
