/* SPDX-License-Identifier: BSD-3-Clause */
/* The SRV module's configuration: defaults, resolver addresses, checks. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siplb/srv.h"

void slb_srv_config_init(struct slb_srv_config *c)
{
	memset(c, 0, sizeof(*c));
	c->ipv4 = c->ipv6 = true;
	/* The floor only guards the resolver against TTL 0; the ceiling
	 * bounds how long a changed zone goes unnoticed. */
	c->ttl_floor_ms = 1000;
	c->ttl_ceiling_ms = 3600 * 1000;
	c->retry_min_ms = 1000;
	c->retry_max_ms = 60 * 1000;
	c->query_timeout_ms = 1000;
	c->query_tries = 2;
}

int slb_srv_parse_resolver(const char *text, struct slb_addr *out, char *err, size_t errlen)
{
	struct slb_addr_parts parts;
	enum slb_addr_error rc = slb_addr_parse_endpoint(text, 53, out, &parts);

	if (rc == SLB_ADDR_ERR_HOST)
		snprintf(err, errlen, "resolver \"%s\": \"%s\" is not an IP address", text,
			 parts.host);
	else if (rc != SLB_ADDR_OK)
		snprintf(err, errlen, "resolver \"%s\": not ip, ip:port, [ipv6]:port (port 1..65535)",
			 text);
	return rc == SLB_ADDR_OK ? 0 : -1;
}

static int check_resolvers(const struct slb_srv_config *c, char *err, size_t errlen)
{
	if (c->n_resolvers > SLB_SRV_MAX_RESOLVERS) {
		snprintf(err, errlen, "more than %d resolvers", SLB_SRV_MAX_RESOLVERS);
		return -1;
	}
	for (uint32_t i = 0; i < c->n_resolvers; i++)
		if ((c->resolvers[i].family != AF_INET && c->resolvers[i].family != AF_INET6) ||
		    !c->resolvers[i].port) {
			snprintf(err, errlen, "resolver %u: no address or port", i);
			return -1;
		}
	return 0;
}

int slb_srv_config_check(const struct slb_srv_config *c, char *err, size_t errlen)
{
	size_t len = strnlen(c->name, sizeof(c->name));

	if (len == 0 || len > 253)
		snprintf(err, errlen, "srv name: 1..253 characters");
	else if (!c->ipv4 && !c->ipv6)
		snprintf(err, errlen, "srv %s: neither IPv4 nor IPv6 addresses wanted", c->name);
	else if (!c->ttl_floor_ms || c->ttl_floor_ms > c->ttl_ceiling_ms)
		snprintf(err, errlen, "srv %s: TTL floor must be > 0 and <= the ceiling", c->name);
	else if (!c->retry_min_ms || c->retry_min_ms > c->retry_max_ms)
		snprintf(err, errlen, "srv %s: retry minimum must be > 0 and <= the maximum", c->name);
	else if (!c->query_timeout_ms || !c->query_tries || c->query_timeout_ms > 60000)
		snprintf(err, errlen, "srv %s: query timeout 1..60000 ms, tries >= 1", c->name);
	else
		return check_resolvers(c, err, errlen);
	return -1;
}
