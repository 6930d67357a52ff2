/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSS: what the hash covers (docs/dataplane.md, Scaling over cores). A UDP
 * datagram on addresses and ports, so that clients behind one address
 * spread too; anything else IP, and every fragment, on addresses only.
 * A worker reassembles in its own table, so all fragments of a datagram
 * must reach one queue: later fragments carry no ports, and a device that
 * tells fragments apart (the FRAG flow types) hashes the first one on
 * addresses as well. A device that does not tell a family's fragments
 * apart might hash the first on its ports and the rest without: there that
 * family's UDP is hashed on addresses only.
 */
#include <stdio.h>

#include "siplb_dp.h"

static const struct {
	uint64_t bit;
	const char *name;
} rss_names[] = {
	{ RTE_ETH_RSS_NONFRAG_IPV4_UDP, "ipv4-udp" }, { RTE_ETH_RSS_NONFRAG_IPV6_UDP, "ipv6-udp" },
	{ RTE_ETH_RSS_FRAG_IPV4, "ipv4-frag" },       { RTE_ETH_RSS_FRAG_IPV6, "ipv6-frag" },
	{ RTE_ETH_RSS_IPV4, "ipv4" },                 { RTE_ETH_RSS_IPV6, "ipv6" },
};

uint64_t slb_dp_rss_types(uint64_t supported)
{
	uint64_t want = SLB_DP_RSS_ALL;

	if (!(supported & RTE_ETH_RSS_FRAG_IPV4))
		want &= ~RTE_ETH_RSS_NONFRAG_IPV4_UDP;
	if (!(supported & RTE_ETH_RSS_FRAG_IPV6))
		want &= ~RTE_ETH_RSS_NONFRAG_IPV6_UDP;
	return want & supported;
}

const char *slb_dp_rss_text(uint64_t hf, char *buf, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < RTE_DIM(rss_names) && n < len; i++)
		if (hf & rss_names[i].bit)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "",
					      rss_names[i].name);
	return n ? buf : "none";
}
