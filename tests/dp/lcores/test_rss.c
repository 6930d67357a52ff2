/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RSS hash types siplb-dp asks a device for (dataplane/app/rss.c), for
 * devices that report all of them, some, or none: UDP on ports only in a
 * family whose fragments the device tells apart, so that a datagram's
 * fragments all hash on addresses and meet on one worker.
 */
#include <string.h>

#include "../../check.h"
#include "siplb_dp.h"

#define V4_UDP RTE_ETH_RSS_NONFRAG_IPV4_UDP
#define V6_UDP RTE_ETH_RSS_NONFRAG_IPV6_UDP
#define V4_FRAG RTE_ETH_RSS_FRAG_IPV4
#define V6_FRAG RTE_ETH_RSS_FRAG_IPV6
#define V4 RTE_ETH_RSS_IPV4
#define V6 RTE_ETH_RSS_IPV6

static void expect(const char *device, uint64_t supported, uint64_t want, const char *text)
{
	uint64_t got = slb_dp_rss_types(supported);
	char buf[128];

	CHECK(got == want, "%s: types %#llx, expected %#llx", device, (unsigned long long)got,
	      (unsigned long long)want);
	CHECK_SHOW(!strcmp(slb_dp_rss_text(got, buf, sizeof(buf)), text), "%s: %s", device,
		   slb_dp_rss_text(got, buf, sizeof(buf)));
}

int main(void)
{
	expect("every type (net_null, mlx5, i40e)", ~0ULL, SLB_DP_RSS_ALL,
	       "ipv4-udp ipv6-udp ipv4-frag ipv6-frag ipv4 ipv6");
	expect("UDP and IP, no fragment types (ixgbe-like)", V4_UDP | V6_UDP | V4 | V6, V4 | V6,
	       "ipv4 ipv6");
	expect("IPv4 fragments only", V4_UDP | V6_UDP | V4_FRAG | V4 | V6,
	       V4_UDP | V4_FRAG | V4 | V6, "ipv4-udp ipv4-frag ipv4 ipv6");
	expect("UDP only, no fragment types: no RSS at all", V4_UDP | V6_UDP,
	       0, "none");
	expect("no RSS (pcap, af_xdp)", 0, 0, "none");
	expect("fragments and IP, no UDP", V4_FRAG | V6_FRAG | V4 | V6, V4_FRAG | V6_FRAG | V4 | V6,
	       "ipv4-frag ipv6-frag ipv4 ipv6");
	return check_summary();
}
