/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backends as operators type them: "ADDR[:PORT]", the way Kamailio's
 * dispatcher lists destinations (without the sip: scheme, which siplb does
 * not need: it only speaks UDP to an address).
 */
#include <stdio.h>

#include "siplb/rpc.h"

#define SIP_PORT 5060

/* Same rule as the configuration: no wildcard, broadcast or multicast. */
int slb_rpc_parse_backend(const char *s, struct slb_addr *a, char *err, size_t errlen)
{
	struct slb_addr_parts parts;
	enum slb_addr_error rc = slb_addr_parse_endpoint(s, SIP_PORT, a, &parts);

	if (rc == SLB_ADDR_ERR_BRACKET)
		snprintf(err, errlen, "backend \"%.64s\": '[' without ']' or ']:PORT'", s);
	else if (rc == SLB_ADDR_ERR_LONG)
		snprintf(err, errlen, "backend \"%.64s...\": too long", s);
	else if (rc == SLB_ADDR_ERR_HOST)
		snprintf(err, errlen, "backend \"%s\": \"%s\" is not an IPv4 or IPv6 address "
			 "(ADDR[:PORT], [IPv6]:PORT expected)", s, parts.host);
	else if (!slb_addr_unicast(a))
		snprintf(err, errlen, "backend \"%s\": not a unicast address", s);
	else if (rc == SLB_ADDR_ERR_PORT)
		snprintf(err, errlen, "backend \"%s\": port \"%s\": 1..65535 expected", s,
			 parts.port);
	else
		return 0;
	return -1;
}
