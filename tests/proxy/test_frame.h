/* SPDX-License-Identifier: BSD-3-Clause */
/* The proxy tests' frames: Ethernet + IPv4 (no options) + UDP around a
 * payload, on the test's own buffer. */
#ifndef SIPLB_TESTS_TEST_FRAME_H
#define SIPLB_TESTS_TEST_FRAME_H

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* The frame at d, the payload last (it may overlap d: moved); returns the
 * frame's length. id and frag_off in host order. */
static inline uint32_t test_udp_frame(uint8_t *d, const char *src, uint16_t sport,
				      const char *dst, uint16_t dport, uint16_t id,
				      uint16_t frag_off, const void *payload, size_t n)
{
	struct ethhdr eth = { .h_proto = htons(ETH_P_IP) };
	struct iphdr ip = { .version = 4, .ihl = 5, .ttl = 63, .protocol = IPPROTO_UDP,
			    .id = htons(id), .frag_off = htons(frag_off) };
	struct udphdr udp = { .source = htons(sport), .dest = htons(dport) };

	ip.saddr = ip4(src);
	ip.daddr = ip4(dst);
	ip.tot_len = htons((uint16_t)(sizeof(ip) + sizeof(udp) + n));
	udp.len = htons((uint16_t)(sizeof(udp) + n));
	memmove(d + 42, payload, n);
	memcpy(d, &eth, sizeof(eth));
	memcpy(d + 14, &ip, sizeof(ip));
	memcpy(d + 34, &udp, sizeof(udp));
	return (uint32_t)(42 + n);
}

#endif
