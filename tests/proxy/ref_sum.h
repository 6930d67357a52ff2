/* SPDX-License-Identifier: BSD-3-Clause */
/* The proxy tests' own Internet checksum (RFC 1071), independent of the
 * proxy's: 16-bit big-endian words added to sum, folded. */
#ifndef SIPLB_TESTS_REF_SUM_H
#define SIPLB_TESTS_REF_SUM_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

static inline uint16_t ref_sum(const uint8_t *b, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The UDP datagram of an Ethernet + IPv4 (no options) frame summed with its
 * pseudo-header (addresses, protocol, UDP length): 0xffff when its checksum
 * is right. */
static inline uint16_t ref_udp_sum(const uint8_t *frame, uint32_t udp_len)
{
	return ref_sum(frame + 34, udp_len, ref_sum(frame + 26, 8, IPPROTO_UDP + udp_len));
}

#endif
