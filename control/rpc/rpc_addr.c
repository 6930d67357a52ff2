/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backends as operators type them: "ADDR[:PORT]", the way Kamailio's
 * dispatcher lists destinations (without the sip: scheme, which siplb does
 * not need: it only speaks UDP to an address).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/rpc.h"

#define SIP_PORT 5060

static int parse_port(const char *s, const char *p, uint16_t *port, char *err, size_t errlen)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(p, &end, 10);
	if (*p < '0' || *p > '9' || *end || errno || n < 1 || n > 65535) {
		snprintf(err, errlen, "backend \"%s\": port \"%s\": 1..65535 expected", s, p);
		return -1;
	}
	*port = (uint16_t)n;
	return 0;
}

/* host (NUL-terminated, no brackets) into a; the port stays. Same rule as
 * the configuration: no wildcard, broadcast or multicast. */
static int parse_host(const char *s, const char *host, struct slb_addr *a, char *err,
		      size_t errlen)
{
	uint16_t port = a->port;

	if (slb_addr_parse(host, a))
		return snprintf(err, errlen, "backend \"%s\": \"%s\" is not an IPv4 or IPv6 "
				"address (ADDR[:PORT], [IPv6]:PORT expected)", s, host), -1;
	a->port = port;
	if (!slb_addr_unicast(a))
		return snprintf(err, errlen, "backend \"%s\": not a unicast address", s), -1;
	return 0;
}

int slb_rpc_parse_backend(const char *s, struct slb_addr *a, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN];
	const char *h = s, *port_s = NULL, *colon = strchr(s, ':');
	size_t n;

	a->port = SIP_PORT;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] && close[1] != ':'))
			return snprintf(err, errlen, "backend \"%.64s\": '[' without ']' or ']:PORT'",
					s), -1;
		h = s + 1;
		n = (size_t)(close - h);
		port_s = close[1] ? close + 2 : NULL;
	} else if (colon && strchr(colon + 1, ':')) {
		n = strlen(s); /* a bare IPv6 address: its colons separate no port */
	} else {
		n = colon ? (size_t)(colon - s) : strlen(s);
		port_s = colon ? colon + 1 : NULL;
	}
	if (n >= sizeof(host))
		return snprintf(err, errlen, "backend \"%.64s...\": too long", s), -1;
	memcpy(host, h, n);
	host[n] = 0;
	return parse_host(s, host, a, err, errlen) ||
	       (port_s && parse_port(s, port_s, &a->port, err, errlen)) ? -1 : 0;
}
