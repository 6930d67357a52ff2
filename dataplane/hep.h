/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HEP v3 (Homer's encapsulation protocol, "HEP3_rev12"): one captured SIP
 * message as a datagram for a Homer or heplify-server collector
 * (docs/capture.md). DPDK-free, so the encoding is unit tested on plain
 * buffers (tests/proxy/test_hep.c); siplb-dp's capture thread sends it.
 *
 * A HEP3 packet is "HEP3", its total length (16 bits, network order), then
 * chunks: vendor 0 (generic), type, length (with the 6-byte chunk header),
 * value. siplb writes, in order: IP family (1), IP protocol (2), source
 * and destination address (3, 4 for IPv4; 5, 6 for IPv6), source and
 * destination port (7, 8), time in seconds and microseconds (9, 10),
 * protocol type (11: 1 = SIP), capture agent id (12), the auth key (14)
 * when there is one, and the SIP message (15).
 */
#ifndef SIPLB_DP_HEP_H
#define SIPLB_DP_HEP_H

#include <stddef.h>
#include <stdint.h>

#define SLB_HEP_MAX 65535u     /* the 16-bit total length */
#define SLB_HEP_PASSWORD_LEN 32

/* One message, as it went on the wire. */
struct slb_hep_msg {
	uint8_t family;         /* AF_INET or AF_INET6 */
	uint8_t src[16], dst[16]; /* IPv4 in [0..3], network order */
	uint16_t sport, dport;  /* host order */
	uint32_t ts_sec, ts_usec;
	uint32_t agent_id;      /* capture agent id (Homer's "capture id") */
	const char *password;   /* auth key; NULL or "": none */
	const uint8_t *payload; /* the SIP message */
	size_t len;
};

/* m as HEP3 into buf (cap bytes): its length, or 0 when it does not fit in
 * cap or in SLB_HEP_MAX. */
size_t slb_hep_encode(const struct slb_hep_msg *m, uint8_t *buf, size_t cap);

/* The addresses, ports and UDP payload of an Ethernet frame (0-2 VLAN
 * tags, IPv4 without fragments or IPv6 without extension headers, UDP)
 * into m: 0, or -1 when it is not such a frame. Time and agent are the
 * caller's. */
int slb_hep_from_frame(const uint8_t *frame, size_t len, struct slb_hep_msg *m);

#endif
