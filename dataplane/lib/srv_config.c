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

static int parse_port(const char *p, uint16_t *port)
{
	char *end;
	unsigned long v = strtoul(p, &end, 10);

	if (*p < '0' || *p > '9' || *end || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* Splits "[v6]:port", "v6", "v4:port" or "v4" into address text and port. */
static int split_resolver(const char *text, char *addr, size_t len, uint16_t *port)
{
	const char *colon = strrchr(text, ':');
	size_t n;

	*port = 53;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || (close[1] && (close[1] != ':' || parse_port(close + 2, port))))
			return -1;
		n = (size_t)(close - text - 1);
		text++;
	} else if (colon && strchr(text, ':') == colon) {
		if (parse_port(colon + 1, port))
			return -1;
		n = (size_t)(colon - text);
	} else {
		n = strlen(text);
	}
	if (n >= len)
		return -1;
	memcpy(addr, text, n);
	addr[n] = '\0';
	return 0;
}

int slb_srv_parse_resolver(const char *text, struct slb_addr *out, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN];
	struct slb_addr r;
	uint16_t port;

	if (split_resolver(text, addr, sizeof(addr), &port)) {
		snprintf(err, errlen, "resolver \"%s\": not ip, ip:port, [ipv6]:port (port 1..65535)",
			 text);
		return -1;
	}
	if (slb_addr_parse(addr, &r)) {
		snprintf(err, errlen, "resolver \"%s\": \"%s\" is not an IP address", text, addr);
		return -1;
	}
	r.port = port;
	*out = r;
	return 0;
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
